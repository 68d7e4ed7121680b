"""counter.sales.tenders' rules at their edges: what a card slip must give (and the words when it
does not), the limits of each tender (equal is allowed, a cent more is refused), cash rounding
to the coin and the change, and a paid sale that takes nothing more. (Random totals and
splits are the property tests in test_tenders_and_cart.py.)"""

from __future__ import annotations

from decimal import Decimal

import pytest

from counter.errors import InvalidAmount, TenderError
from counter.money import Currency
from counter.sales.tenders import CARD_BRANDS, CardDetails, Payment, Tender, TenderKind

USD = Currency.of("USD")
D = Decimal
VISA = CardDetails("Visa", "4242", "OK1234")


def payment(total: str, coin: str = "0.01") -> Payment:
    return Payment(D(total), USD, D(coin))


# --- the card slip ------------------------------------------------------------------------


def test_card_details_are_taken_trimmed_with_the_approval_code_in_capitals() -> None:
    card = CardDetails.checked("Mastercard", " 0042 ", " ab12cd ")
    assert card == CardDetails("Mastercard", "0042", "AB12CD")
    assert card.label == "Mastercard •••• 0042"


@pytest.mark.parametrize("brand", CARD_BRANDS)
def test_every_listed_brand_is_taken(brand: str) -> None:
    assert CardDetails.checked(brand, "1234", "A1").brand == brand


def test_a_brand_not_on_the_list_is_refused_by_name() -> None:
    with pytest.raises(TenderError) as err:
        CardDetails.checked("Diners", "1234", "A1")
    assert err.value.message == "“Diners” is not a card brand we take."
    assert err.value.hint == "Pick the brand from the list."
    with pytest.raises(TenderError):
        CardDetails.checked("visa", "1234", "A1")  # the list's spelling, as picked


@pytest.mark.parametrize("last4", ["123", "12345", "12a4", "    ", "12 4"])
def test_anything_but_four_digits_is_refused_without_echoing_it(last4: str) -> None:
    with pytest.raises(TenderError) as err:
        CardDetails.checked("Visa", last4, "A1")
    assert err.value.message == "Enter only the last 4 digits of the card."
    assert err.value.hint == "They are printed on the terminal's slip, e.g. **** 4242."


@pytest.mark.parametrize("code", ["AB", "ABCDEF123456", "a9"])
def test_approval_codes_of_2_to_12_letters_or_digits_are_taken(code: str) -> None:
    assert CardDetails.checked("Visa", "4242", code).approval_code == code.upper()


@pytest.mark.parametrize("code", ["", "A", "ABCDEF1234567", "AB-12", "AB 12", "ÄB12"])
def test_other_approval_codes_are_refused(code: str) -> None:
    with pytest.raises(TenderError) as err:
        CardDetails.checked("Visa", "4242", code)
    assert err.value.message == "The approval code is missing or not valid."
    assert err.value.hint == "Copy the 2 to 12 letters or digits from the terminal's slip."


def test_an_approval_code_must_match_whole_not_as_a_prefix_or_suffix() -> None:
    for code in ("AB12\n", "ok1234!x", "!OK1234"):
        with pytest.raises(TenderError):
            CardDetails.checked("Visa", "4242", code + "-")


# --- tenders and their labels ---------------------------------------------------------------


def test_each_tender_says_what_it_is() -> None:
    assert Tender(TenderKind.CARD, D(1), D(1), VISA).label == "Visa •••• 4242"
    assert Tender(TenderKind.STORE_CREDIT, D(1), D(1), voucher="SC123").label == "Store credit SC123"
    assert Tender(TenderKind.EXCHANGE_CREDIT, D(1), D(1)).label == "Exchange credit"
    assert Tender(TenderKind.DEPOSIT, D(1), D(1)).label == "Paid before (deposits)"
    assert Tender(TenderKind.HOUSE_ACCOUNT, D(1), D(1)).label == "Charged to house account"
    assert Tender(TenderKind.CASH, D(1), D(5)).label == "Cash"
    assert Tender(TenderKind.CASH, D("3.95"), D("5.00")).change == D("1.05")


# --- cards ------------------------------------------------------------------------------------


def test_a_card_may_pay_exactly_what_is_due_and_closes_the_sale() -> None:
    p = payment("25.50")
    assert (p.paid, p.remaining, p.is_complete, p.change) == (D(0), D("25.50"), False, D(0))
    tender = p.add_card(D("25.50"), VISA)
    assert tender == Tender(TenderKind.CARD, D("25.50"), D("25.50"), VISA)
    assert p.tenders == [tender]
    assert (p.paid, p.remaining, p.is_complete, p.change) == (D("25.50"), D(0), True, D(0))


def test_a_card_above_what_is_due_is_refused_with_the_amount_due() -> None:
    p = payment("25.50")
    p.add_card(D("10.00"), VISA)
    with pytest.raises(TenderError) as err:
        p.add_card(D("15.51"), VISA)
    assert err.value.message == "The card amount is more than the $15.50 still due."
    assert err.value.hint == "Charge only what is due; cash back is not given on cards here."
    assert p.paid == D("10.00") and len(p.tenders) == 1


@pytest.mark.parametrize("amount", ["0", "-1.00"])
def test_a_card_of_zero_or_less_is_refused(amount: str) -> None:
    p = payment("5.00")
    with pytest.raises(TenderError) as err:
        p.add_card(D(amount), VISA)
    assert (err.value.message, err.value.hint) == ("A card payment must be above zero.", "Type the amount charged.")
    assert p.tenders == []


def test_a_card_of_a_fraction_of_a_cent_is_refused() -> None:
    p = payment("5.00")
    with pytest.raises(InvalidAmount):
        p.add_card(D("1.005"), VISA)
    assert p.tenders == []


# --- store credit ----------------------------------------------------------------------------


def test_store_credit_may_take_the_whole_balance_or_the_whole_due() -> None:
    p = payment("30.00")
    t = p.add_store_credit(D("20.00"), "SCAAAA", D("20.00"))
    assert t == Tender(TenderKind.STORE_CREDIT, D("20.00"), D("20.00"), voucher="SCAAAA")
    p.add_store_credit(D("10.00"), "SCBBBB", D("50.00"))
    assert p.is_complete and p.paid == D("30.00")


def test_store_credit_above_the_balance_is_refused_with_the_balance() -> None:
    p = payment("30.00")
    with pytest.raises(TenderError) as err:
        p.add_store_credit(D("20.01"), "SCAAAA", D("20.00"))
    assert err.value.message == "Voucher SCAAAA holds only $20.00."
    assert err.value.hint == "Take that much from it and the rest with another tender."
    assert p.tenders == []


def test_store_credit_above_what_is_due_is_refused_with_the_due() -> None:
    p = payment("30.00")
    with pytest.raises(TenderError) as err:
        p.add_store_credit(D("30.01"), "SCAAAA", D("100.00"))
    assert (err.value.message, err.value.hint) == ("Only $30.00 is due.", "Take that much from the voucher.")


@pytest.mark.parametrize("amount", ["0", "-0.01"])
def test_store_credit_of_zero_or_less_is_refused(amount: str) -> None:
    p = payment("30.00")
    with pytest.raises(TenderError) as err:
        p.add_store_credit(D(amount), "SCAAAA", D("100.00"))
    assert err.value.message == "The store-credit amount must be above zero."
    assert err.value.hint == "Type the amount to take from the voucher."


def test_store_credit_of_less_than_one_unit_is_taken() -> None:
    p = payment("0.80")
    p.add_store_credit(D("0.50"), "SCAAAA", D("0.50"))
    assert p.remaining == D("0.30")


def test_a_voucher_pays_once_per_sale() -> None:
    p = payment("30.00")
    p.add_store_credit(D("5.00"), "SCAAAA", D("10.00"))
    with pytest.raises(TenderError) as err:
        p.add_store_credit(D("5.00"), "SCAAAA", D("5.00"))
    assert err.value.message == "Voucher SCAAAA is already used in this sale."
    assert err.value.hint == "Use another tender for the rest."
    p.add_store_credit(D("5.00"), "SCBBBB", D("5.00"))  # another voucher is fine
    assert p.paid == D("10.00")


# --- exchange credit and cash ------------------------------------------------------------------


def test_exchange_credit_pays_its_amount() -> None:
    p = payment("12.00")
    t = p.add_exchange_credit(D("7.00"))
    assert t == Tender(TenderKind.EXCHANGE_CREDIT, D("7.00"), D("7.00"))
    assert p.remaining == D("5.00")


def test_cash_is_rounded_to_the_coin_and_the_difference_is_the_rounding() -> None:
    p = payment("10.02", "0.05")
    assert p.cash_due == D("10.00")
    t = p.add_cash(D("20.00"))
    assert t == Tender(TenderKind.CASH, D("10.00"), D("20.00"))
    assert (p.rounding, p.paid, p.remaining, p.change, p.is_complete) == (D("-0.02"), D("10.00"), 0, D("10.00"), True)
    q = payment("10.03", "0.05")
    assert q.cash_due == D("10.05")
    q.add_cash(D("10.05"))
    assert (q.rounding, q.change, q.is_complete) == (D("0.02"), D(0), True)


def test_cash_after_a_card_rounds_only_the_cash_part() -> None:
    p = payment("10.00", "0.05")
    p.add_card(D("7.98"), VISA)
    assert (p.remaining, p.cash_due) == (D("2.02"), D("2.00"))
    p.add_cash(D("2.00"))
    assert (p.rounding, p.paid, p.is_complete) == (D("-0.02"), D("9.98"), True)


def test_what_rounds_to_no_cash_is_settled_by_handing_over_nothing() -> None:
    p = payment("5.02", "0.05")
    p.add_card(D("5.00"), VISA)
    assert p.cash_due == D("0.00")
    t = p.add_cash(D("0"))
    assert (t.amount, t.tendered) == (D(0), D(0))
    assert (p.rounding, p.is_complete) == (D("-0.02"), True)


@pytest.mark.parametrize("tendered", ["0", "-5.00"])
def test_cash_of_zero_or_less_is_refused_while_cash_is_due(tendered: str) -> None:
    p = payment("5.00")
    with pytest.raises(TenderError) as err:
        p.add_cash(D(tendered), part_payment=True)
    assert err.value.message == "The cash amount must be above zero."
    assert err.value.hint == "Type what the customer hands over."
    assert p.tenders == []


def test_no_cash_is_refused_even_when_less_than_one_unit_is_due() -> None:
    p = payment("0.50")
    with pytest.raises(TenderError, match="The cash amount must be above zero."):
        p.add_cash(D("0"), part_payment=True)
    p.add_card(D("0.49"), VISA)
    with pytest.raises(TenderError, match="The cash amount must be above zero."):
        p.add_cash(D("0"), part_payment=True)
    assert len(p.tenders) == 1


def test_too_little_cash_is_refused_with_both_amounts() -> None:
    p = payment("10.00")
    with pytest.raises(TenderError) as err:
        p.add_cash(D("9.99"))
    assert err.value.message == "$9.99 is less than the $10.00 due."
    assert err.value.hint == "Take more cash, or take this as a part payment and the rest by card."
    assert p.tenders == []


def test_a_part_payment_in_cash_takes_it_all_without_rounding() -> None:
    p = payment("10.00", "0.05")
    t = p.add_cash(D("4.00"), part_payment=True)
    assert t == Tender(TenderKind.CASH, D("4.00"), D("4.00"))
    assert (p.rounding, p.remaining, p.change, p.is_complete) == (D(0), D("6.00"), D(0), False)
    p.add_cash(D("10.00"), part_payment=True)  # enough after all: settles with change
    assert (p.remaining, p.change, p.is_complete) == (D(0), D("4.00"), True)


def test_cash_exactly_due_settles_with_no_change() -> None:
    p = payment("7.35")
    t = p.add_cash(D("7.35"))
    assert (t.amount, t.tendered, t.change, p.rounding, p.is_complete) == (D("7.35"), D("7.35"), 0, 0, True)


def test_cash_finer_than_a_cent_is_refused() -> None:
    p = payment("7.35")
    with pytest.raises(InvalidAmount):
        p.add_cash(D("7.355"))
    assert p.tenders == []


def test_a_paid_sale_takes_no_further_tender() -> None:
    p = payment("5.00")
    p.add_cash(D("5.00"))
    for take in (
        lambda: p.add_card(D("1.00"), VISA),
        lambda: p.add_store_credit(D("1.00"), "SCAAAA", D("1.00")),
        lambda: p.add_exchange_credit(D("1.00")),
        lambda: p.add_cash(D("1.00")),
    ):
        with pytest.raises(TenderError) as err:
            take()
        assert (err.value.message, err.value.hint) == ("This sale is already paid.", "Start a new sale.")
    assert len(p.tenders) == 1


def test_a_sale_of_nothing_is_not_complete_before_a_tender() -> None:
    p = payment("0.00")
    assert p.remaining == 0 and not p.is_complete
    p.add_cash(D("0.00"))
    assert p.is_complete
