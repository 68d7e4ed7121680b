"""The rules held by the value types of returns (counter.returns.model), each asserted to the
cent or to the word (issue 14): what a returnable line still allows and what k more units
refund (also after a price adjustment), how a customer ID is checked and kept (a hash and
the last four characters only), the approval message, and a quote's totals and status."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from counter.money import Currency
from counter.returns.model import (
    ID_TYPES,
    ApprovalNeeded,
    CustomerId,
    QuotedLine,
    ReturnableLine,
    Returned,
    ReturnError,
    ReturnLineRequest,
    ReturnQuote,
)
from counter.returns.policy import ApprovalKind, Condition, LineDecision, Reason, Status
from counter.returns.refunds import Allocation
from counter.sales.sale import SaleLine
from counter.trust.carddata import CardDataRefused

USD = Currency.of("USD")
D = Decimal


def sale_line(quantity: int = 3, amount: str = "30.00", tax: str = "2.48", gross: str = "32.48") -> SaleLine:
    return SaleLine(
        "L1", 1, "I1", "SKU1", "Kettle", quantity, D(amount) / quantity, D(0), D(0),
        D(amount), D(tax), D(gross), "A", D("0.0825"),
    )  # fmt: skip


def returnable(quantity: int = 3, returned: Returned | None = None, **kw: str) -> ReturnableLine:
    return ReturnableLine(sale_line(quantity, **kw), returned or Returned(), "kitchen")


# ---- ReturnableLine ---------------------------------------------------------------------


def test_returnable_is_sold_minus_already_returned() -> None:
    assert returnable(3).returnable == 3
    assert returnable(3, Returned(quantity=1)).returnable == 2
    assert returnable(3, Returned(quantity=3)).returnable == 0


def test_unit_paid_is_the_line_gross_over_its_units() -> None:
    assert returnable(4, gross="10.00").unit_paid == D("2.50")


def test_k_more_units_refund_the_cumulative_share_of_what_was_paid() -> None:
    rl = returnable(3)
    one = rl.refund_for(1, USD, False)
    assert (one.amount, one.tax, one.gross) == (D("10.00"), D("0.83"), D("10.83"))
    assert tuple(rl.refund_for(3, USD, False)) == (D("30.00"), D("2.48"), D("32.48"))


def test_after_one_unit_back_the_rest_refunds_what_is_left_to_the_cent() -> None:
    done = Returned(quantity=1, amount=D("10.00"), tax=D("0.83"), gross=D("10.83"))
    rl = returnable(3, done)
    rest = rl.refund_for(2, USD, False)
    assert tuple(rest) == (D("20.00"), D("1.65"), D("21.65"))
    nxt = rl.refund_for(1, USD, False)
    # the second unit: round(32.48 * 2/3) - 10.83 = 21.65 - 10.83
    assert nxt.gross == D("10.82")


@pytest.mark.parametrize("k", [0, -1, 3])
def test_only_units_still_out_can_be_refunded(k: int) -> None:
    rl = returnable(3, Returned(quantity=1, amount=D("10.00"), tax=D("0.83"), gross=D("10.83")))
    with pytest.raises(ReturnError) as err:
        rl.refund_for(k, USD, False)
    assert err.value.message == "Only 2 of Kettle can still be returned."
    assert err.value.hint == "Lower the quantity to return."


def test_the_last_unit_out_is_refundable() -> None:
    rl = returnable(3, Returned(quantity=2, amount=D("20.00"), tax=D("1.65"), gross=D("21.65")))
    assert tuple(rl.refund_for(1, USD, False)) == (D("10.00"), D("0.83"), D("10.83"))


def test_after_a_price_adjustment_what_is_left_is_shared_over_the_units_left() -> None:
    # 3 units paid 32.48; an adjustment gave back 3.00 gross (0.23 tax) without a unit.
    # Left: 29.48 gross, 2.25 tax over 3 units -> one unit refunds round(29.48/3) = 9.83.
    adjusted = Returned(quantity=0, amount=D("2.77"), tax=D("0.23"), gross=D("3.00"), adjusted_gross=D("3.00"))
    rl = returnable(3, adjusted)
    one = rl.refund_for(1, USD, False)
    assert (one.gross, one.tax, one.amount) == (D("9.83"), D("0.75"), D("9.08"))
    assert tuple(rl.refund_for(3, USD, False)) == (D("27.23"), D("2.25"), D("29.48"))


def test_after_an_adjustment_and_a_returned_unit_the_pool_is_what_is_left() -> None:
    # 3 units paid 30.00 + 3.00 tax: one unit refunded 11.00 gross (1.00 tax) and an
    # adjustment 2.00 gross (0.20 tax): 20.00 gross, 1.80 tax left for 2 units.
    done = Returned(quantity=1, amount=D("10.80"), tax=D("1.20"), gross=D("13.00"), adjusted_gross=D("2.00"))
    rl = returnable(3, done, amount="30.00", tax="3.00", gross="33.00")
    one = rl.refund_for(1, USD, False)
    assert (one.gross, one.tax, one.amount) == (D("10.00"), D("0.90"), D("9.10"))
    both = rl.refund_for(2, USD, False)
    assert (both.gross, both.tax, both.amount) == (D("20.00"), D("1.80"), D("18.20"))


# ---- CustomerId ---------------------------------------------------------------------------


def test_the_id_types_offered() -> None:
    assert ID_TYPES == ("Driver's license", "State ID", "Passport", "Military ID", "Other")


def test_an_id_number_is_kept_upper_case_without_spaces_or_dashes() -> None:
    cid = CustomerId.checked("Passport", "  ab-12 34c ")
    assert cid == CustomerId("Passport", "AB1234C")
    assert cid.last4 == "234C"


def test_only_a_hash_of_type_and_number_is_the_key() -> None:
    cid = CustomerId.checked("State ID", "d1234567")
    assert cid.key == hashlib.sha256(b"State ID|D1234567").hexdigest()
    assert cid.key != CustomerId.checked("Passport", "D1234567").key


def test_an_id_type_off_the_list_is_refused() -> None:
    with pytest.raises(ReturnError) as err:
        CustomerId.checked("Library card", "12345")
    assert err.value.message == "Pick the type of ID from the list."
    assert err.value.hint == ""


@pytest.mark.parametrize("number", ["ABCD", "A" * 20, "12-34", "1 2 3 4"])
def test_id_numbers_of_4_to_20_letters_or_digits_are_accepted(number: str) -> None:
    assert CustomerId.checked("Other", number).number == number.replace("-", "").replace(" ", "")


@pytest.mark.parametrize("number", ["ABC", "A" * 21, "AB.CD", "ABCD!", "", "1-2-3"])
def test_other_id_numbers_are_refused_with_how_to_type_them(number: str) -> None:
    with pytest.raises(ReturnError) as err:
        CustomerId.checked("Other", number)
    assert err.value.message == "The ID number must be 4 to 20 letters or digits."
    assert err.value.hint == "Type it as printed on the ID."


def test_a_payment_card_number_is_not_an_id() -> None:
    with pytest.raises(CardDataRefused) as err:
        CustomerId.checked("Other", "4111 1111 1111 1111")
    assert err.value.message == (
        "That looks like a payment card number. Counter never takes card numbers as an ID: a payment card is not an ID."
    )


# ---- ApprovalNeeded ------------------------------------------------------------------------


def test_the_approval_message_names_every_kind_sorted_and_the_amount() -> None:
    kinds = frozenset({ApprovalKind.NO_RECEIPT, ApprovalKind.CUSTOMER_LIMIT})
    exc = ApprovalNeeded(kinds, D("12.50"), "$12.50")
    labels = sorted(k.label for k in kinds)
    assert exc.message == f"A supervisor must approve: {labels[0]}, {labels[1]} ($12.50)."
    assert exc.hint == "Press F9 and ask a supervisor to enter their PIN."
    assert exc.kinds == kinds
    assert exc.amount == D("12.50")
    assert isinstance(exc, ReturnError)


# ---- ReturnQuote ---------------------------------------------------------------------------


def quoted(gross: str, fee: str, status: Status = Status.ALLOWED) -> QuotedLine:
    req = ReturnLineRequest(1, Reason.OTHER, Condition.NEW, sale_line_id="L1")
    g = D(gross)
    return QuotedLine(req, "X", "S", "I", "L1", "A", D(0), g, D(0), g, D(fee), LineDecision(status))


def make_quote(lines: list[QuotedLine], exchange_total: str = "0", credit: str = "0") -> ReturnQuote:
    return ReturnQuote(tuple(lines), Allocation((), frozenset()), D(exchange_total), D(credit), frozenset(), ())


def test_a_line_refunds_its_gross_less_its_fee() -> None:
    assert quoted("40.00", "6.00").refund == D("34.00")


def test_quote_totals_add_every_line_to_the_cent() -> None:
    q = make_quote([quoted("40.00", "6.00"), quoted("10.01", "0.00"), quoted("5.50", "0.55")])
    assert q.refund_total == D("48.96")
    assert q.fee_total == D("6.55")


def test_an_exchange_leaves_to_pay_the_new_items_less_the_credit() -> None:
    assert make_quote([quoted("10.00", "0")], exchange_total="25.00", credit="10.00").to_pay == D("15.00")
    assert make_quote([quoted("30.00", "0")], exchange_total="25.00", credit="25.00").to_pay == D("0.00")


def test_a_quote_is_as_bad_as_its_worst_line() -> None:
    q = make_quote([quoted("1", "0", Status.CONDITIONS), quoted("1", "0", Status.REFUSED), quoted("1", "0")])
    assert q.status is Status.REFUSED
    assert make_quote([quoted("1", "0", Status.NEEDS_APPROVAL), quoted("1", "0")]).status is Status.NEEDS_APPROVAL
    assert make_quote([]).status is Status.ALLOWED
