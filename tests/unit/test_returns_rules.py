"""The rules of a return's quote and record (counter.returns.process), asserted to the cent and to
the word (issue 14), on the same pure functions the handler calls inside its unit of work:

* a receipted line refunds its cumulative share; never more than is still out, also when
  the same line is asked twice; a line not on the receipt is refused by name;
* an opened item keeps the category's restocking fee (half up), unless the fee is waived,
  which needs ``fee_waiver``; a refusal that no approval overrides is listed by name;
* without a receipt: the item must be scanned, the customer's ID is required, the refund is
  the lowest recent price times the units (tax added or included), store credit only;
  ``no_receipt`` above the store's threshold and ``customer_limit`` when the customer's
  window total would pass the limit (both inclusive limits);
* an exchange uses the refund to pay the new items, the rest is refunded;
* HQ's lower amounts replace the lane's, with the fee recomputed and the refund
  allocated again; a line returned meanwhile by another lane in pieces is refused;
* the journal body of a return holds every amount in minor units.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from counter.catalog import CategoryId, Item, ItemId, TaxClass
from counter.money import Currency
from counter.people.users import Role, User, UserId
from counter.returns.lookup import normalize_receipt_number
from counter.returns.model import (
    CustomerId,
    ExchangeSale,
    ProcessReturn,
    ReturnableLine,
    ReturnContext,
    Returned,
    ReturnError,
    ReturnLineRequest,
)
from counter.returns.policy import ApprovalKind, Condition, Reason as R, ReturnPolicy, ReturnRules, Status
from counter.returns.process import ReturnRecord, held_to_hq, quote
from counter.returns.refunds import PaidTender, RefundError, RefundMethod, RefundPart
from counter.sales.cart import CartLine
from counter.sales.checkout import CompleteSale
from counter.sales.sale import Sale, SaleLine
from counter.sales.tenders import CardDetails, TenderKind
from counter.store import StoreConfig
from counter.sync.upstream import ReservedLine

USD = Currency.of("USD")
D = Decimal
RATE = D("0.0825")
TAX = TaxClass("A", "State", RATE)
SOLD = datetime(2026, 11, 1, 15, tzinfo=UTC)
NOW = SOLD + timedelta(days=5)
STORE = StoreConfig("S01", "Test", USD, "en_US", "America/Chicago", False, D("0.01"))
INCL = StoreConfig("S01", "Test", USD, "en_US", "America/Chicago", True, D("0.01"))
RULES = ReturnRules()
CASHIER = User(UserId("u1"), "Maria Lopez", Role.CASHIER, "x")
VISA = CardDetails("Visa", "4242", "AB12")

KETTLE = SaleLine("L1", 1, "I1", "K-1", "Kettle", 3, D(10), D(0), D(0), D("30.00"), D("2.48"), D("32.48"), "A", RATE)
LAMP = SaleLine("L2", 2, "I2", "LMP", "Lamp", 1, D(40), D(0), D(0), D("40.00"), D("3.30"), D("43.30"), "A", RATE)
SALE = Sale("s1", "S01-T01-000042", "S01", "T01", "u1", "Maria", SOLD, USD, False, (KETTLE, LAMP), (), (), D(0))
MUG = Item(ItemId("i9"), "MUG", "Mug", D("5.00"), TAX, CategoryId("kitchen"))


def ctx(kettle_returned: Returned | None = None, policies: dict[str, ReturnPolicy] | None = None) -> ReturnContext:
    return ReturnContext(
        SALE,
        returnable={
            "L1": ReturnableLine(KETTLE, kettle_returned or Returned(), "kitchen"),
            "L2": ReturnableLine(LAMP, Returned(), "lighting"),
        },
        paid=(PaidTender(1, TenderKind.CARD, D("50.00"), card=VISA), PaidTender(2, TenderKind.CASH, D("25.78"))),
        policies={"lighting": ReturnPolicy("lighting", restocking_fee_percent=D(15))} if policies is None else policies,
        drawer_cash=D("500.00"),
    )


def req(line: str, qty: int, condition: Condition = Condition.NEW, reason: R = R.WRONG_SIZE) -> ReturnLineRequest:
    return ReturnLineRequest(qty, reason, condition, sale_line_id=line)


def cmd(*lines: ReturnLineRequest, method: RefundMethod = RefundMethod.ORIGINAL, **kw: object) -> ProcessReturn:
    return ProcessReturn("req-1", CASHIER, tuple(lines), method, **kw)  # type: ignore[arg-type]


def error(fn, *a, **kw) -> ReturnError:  # type: ignore[no-untyped-def]
    with pytest.raises(ReturnError) as err:
        fn(*a, **kw)
    return err.value


# ---- receipted quotes ----------------------------------------------------------------------


def test_nothing_marked_is_refused_with_what_to_press() -> None:
    e = error(quote, cmd(), ctx(), store=STORE, rules=RULES, now=NOW)
    assert (e.message, e.hint) == ("No item is marked to return.", "Pick a line and press + (or Space) to return it.")


@pytest.mark.parametrize("qty", [0, -2])
def test_a_quantity_below_one_is_refused(qty: int) -> None:
    e = error(quote, cmd(req("L1", qty)), ctx(), store=STORE, rules=RULES, now=NOW)
    assert (e.message, e.hint) == ("A returned quantity must be at least 1.", "Lower or remove the line.")


def test_a_line_not_on_the_receipt_is_refused_naming_the_receipt() -> None:
    e = error(quote, cmd(req("L7", 1)), ctx(), store=STORE, rules=RULES, now=NOW)
    assert e.message == "That item is not on receipt S01-T01-000042."
    assert e.hint == "Return it without a receipt, or find the right receipt."


def test_the_same_line_asked_twice_counts_both_requests() -> None:
    done = Returned(quantity=1, amount=D("10.00"), tax=D("0.83"), gross=D("10.83"))
    ok = quote(cmd(req("L1", 1), req("L1", 1)), ctx(done), store=STORE, rules=RULES, now=NOW)
    assert [ql.gross for ql in ok.lines] == [D("10.82"), D("10.82")]
    e = error(quote, cmd(req("L1", 2), req("L1", 1)), ctx(done), store=STORE, rules=RULES, now=NOW)
    assert e.message == "Only 2 of Kettle can still be returned (3 sold, 1 already returned)."
    assert e.hint == "Lower the quantity to return."


def test_a_receipted_quote_to_the_cent_with_a_restocking_fee() -> None:
    q = quote(cmd(req("L1", 2), req("L2", 1, Condition.OPENED)), ctx(), store=STORE, rules=RULES, now=NOW)
    kettle, lamp = q.lines
    assert (kettle.amount, kettle.tax, kettle.gross, kettle.fee) == (D("20.00"), D("1.65"), D("21.65"), D(0))
    assert (kettle.name, kettle.sku, kettle.item_id, kettle.sale_line_id, kettle.tax_code, kettle.tax_rate) == (
        "Kettle", "K-1", "I1", "L1", "A", RATE
    )  # fmt: skip
    # 15 % of 43.30 = 6.495, half up 6.50
    assert (lamp.gross, lamp.fee, lamp.refund) == (D("43.30"), D("6.50"), D("36.80"))
    assert lamp.decision.status is Status.CONDITIONS
    assert q.refund_total == D("58.45")
    assert q.fee_total == D("6.50")
    assert q.approvals == frozenset()
    assert q.refused == ()
    assert q.allocation.parts == (
        RefundPart(TenderKind.CARD, D("50.00"), 1, VISA, "AB12"),
        RefundPart(TenderKind.CASH, D("8.45"), 2, None, ""),
    )
    assert (q.exchange_total, q.exchange_credit, q.to_pay) == (D(0), D(0), D(0))


def test_a_waived_fee_is_quoted_as_asked_and_needs_fee_waiver() -> None:
    q = quote(cmd(req("L2", 1, Condition.OPENED), waive_fees=True), ctx(), store=STORE, rules=RULES, now=NOW)
    assert (q.lines[0].fee, q.refund_total) == (D(0), D("43.30"))
    assert q.approvals == {ApprovalKind.FEE_WAIVER}


def test_waiving_fees_when_no_line_has_one_needs_no_approval() -> None:
    q = quote(cmd(req("L2", 1), waive_fees=True), ctx(), store=STORE, rules=RULES, now=NOW)
    assert q.approvals == frozenset()
    assert q.refund_total == D("43.30")


def test_a_category_without_a_policy_gets_the_default_30_days() -> None:
    late = SOLD + timedelta(days=31)
    q = quote(cmd(req("L1", 1)), ctx(policies={}), store=STORE, rules=RULES, now=late)
    assert q.approvals == {ApprovalKind.OUT_OF_WINDOW}
    assert q.status is Status.REFUSED
    assert q.refused == ()  # a supervisor may override it
    assert (
        quote(cmd(req("L1", 1)), ctx(policies={}), store=STORE, rules=RULES, now=SOLD + timedelta(days=29)).approvals
        == frozenset()
    )


def test_the_policy_of_the_line_category_decides() -> None:
    policies = {"kitchen": ReturnPolicy("kitchen", return_days=3), "lighting": ReturnPolicy("lighting")}
    q = quote(cmd(req("L1", 1), req("L2", 1)), ctx(policies=policies), store=STORE, rules=RULES, now=NOW)
    assert [ql.decision.approvals for ql in q.lines] == [{ApprovalKind.OUT_OF_WINDOW}, frozenset()]


def test_damage_needs_a_supervisor_and_a_cash_refund_over_the_limit_too() -> None:
    q = quote(cmd(req("L2", 1, Condition.DAMAGED), method=RefundMethod.CASH), ctx(), store=STORE, rules=RULES, now=NOW)
    assert q.approvals == {ApprovalKind.DAMAGED_ITEM, ApprovalKind.DIFFERENT_TENDER}
    big = ReturnRules(cash_refund_approval_over=D("43.29"))
    q = quote(cmd(req("L2", 1), method=RefundMethod.CASH), ctx(), store=STORE, rules=big, now=NOW)
    assert ApprovalKind.CASH_REFUND_OVER_LIMIT in q.approvals


# ---- without a receipt ---------------------------------------------------------------------


def no_receipt_ctx(recent: str = "0", price: str = "4.00") -> ReturnContext:
    """``price``: what load_context worked out the mug refunds per unit (the lowest price
    it sold at lately, or its shelf price)."""
    return ReturnContext(
        None, customer_recent_no_receipt=D(recent), drawer_cash=D(100), no_receipt_prices={str(MUG.id): D(price)}
    )


def nr(qty: int = 2, price: str = "4.00", item: Item | None = MUG, **kw: object) -> ReturnLineRequest:
    return ReturnLineRequest(qty, R.CHANGED_MIND, Condition.NEW, item=item, unit_price=D(price) if price else None)


PASSPORT = CustomerId.checked("Passport", "X1234567")
LENIENT = ReturnRules(no_receipt_approval_over=D(1000))


def test_without_a_receipt_the_item_must_be_scanned() -> None:
    for line in (nr(item=None), nr(price="")):
        e = error(quote, cmd(line, id_document=PASSPORT), no_receipt_ctx(), store=STORE, rules=LENIENT, now=NOW)
        assert (e.message, e.hint) == ("Scan the item the customer brings back.", "")


def test_without_a_receipt_the_customer_id_is_required() -> None:
    e = error(quote, cmd(nr()), no_receipt_ctx(), store=STORE, rules=LENIENT, now=NOW)
    assert (e.message, e.hint) == ("A return without a receipt needs the customer's ID.", "Press F7 and enter the ID.")


def test_no_receipt_amounts_with_tax_added() -> None:
    q = quote(
        cmd(nr(3, "3.35"), id_document=PASSPORT), no_receipt_ctx(price="3.35"), store=STORE, rules=LENIENT, now=NOW
    )
    [ln] = q.lines
    # 3 x 3.35 = 10.05; tax 10.05 x 0.0825 = 0.829125 -> 0.83
    assert (ln.amount, ln.tax, ln.gross) == (D("10.05"), D("0.83"), D("10.88"))
    assert (ln.name, ln.sku, ln.item_id, ln.sale_line_id, ln.tax_code, ln.tax_rate) == (
        "Mug", "MUG", "i9", None, "A", RATE
    )  # fmt: skip
    assert q.allocation.parts == (RefundPart(TenderKind.STORE_CREDIT, D("10.88")),)
    assert q.lines[0].decision.store_credit_only


def test_no_receipt_amounts_with_tax_included() -> None:
    q = quote(
        cmd(nr(3, "3.35"), id_document=PASSPORT), no_receipt_ctx(price="3.35"), store=INCL, rules=LENIENT, now=NOW
    )
    [ln] = q.lines
    # tax inside 10.05: 10.05 x 0.0825 / 1.0825 = 0.7659... -> 0.77
    assert (ln.amount, ln.tax, ln.gross) == (D("10.05"), D("0.77"), D("10.05"))


def test_no_receipt_needs_approval_only_above_the_threshold() -> None:
    at = ReturnRules(no_receipt_approval_over=D("8.66"), no_receipt_customer_limit=D(1000))
    q = quote(cmd(nr(), id_document=PASSPORT), no_receipt_ctx(), store=STORE, rules=at, now=NOW)
    assert q.refund_total == D("8.66")
    assert q.approvals == frozenset()
    below = ReturnRules(no_receipt_approval_over=D("8.65"), no_receipt_customer_limit=D(1000))
    q = quote(cmd(nr(), id_document=PASSPORT), no_receipt_ctx(), store=STORE, rules=below, now=NOW)
    assert q.approvals == {ApprovalKind.NO_RECEIPT}


def test_the_customer_limit_counts_the_window_total_and_this_refund() -> None:
    q = quote(cmd(nr(), id_document=PASSPORT), no_receipt_ctx("141.34"), store=STORE, rules=LENIENT, now=NOW)
    assert q.approvals == frozenset()  # 141.34 + 8.66 = 150.00, the limit itself
    q = quote(cmd(nr(), id_document=PASSPORT), no_receipt_ctx("141.35"), store=STORE, rules=LENIENT, now=NOW)
    assert q.approvals == {ApprovalKind.CUSTOMER_LIMIT}


def test_a_no_receipt_refund_in_cash_is_refused() -> None:
    e = error(
        quote,
        cmd(nr(), method=RefundMethod.CASH, id_document=PASSPORT),
        no_receipt_ctx(),
        store=STORE,
        rules=LENIENT,
        now=NOW,
    )
    assert e.message == "Returns without a receipt are refunded as store credit only."
    assert e.hint == "Choose store credit (F8)."


def test_a_receipt_required_item_without_receipt_is_refused_outright() -> None:
    c = no_receipt_ctx()
    c.policies = {"kitchen": ReturnPolicy("kitchen", receipt_required=True)}
    q = quote(cmd(nr(), id_document=PASSPORT), c, store=STORE, rules=LENIENT, now=NOW)
    assert q.refused == (
        "Mug: this item is returned only with its receipt; no receipt: store credit only, at the lowest recent price",
    )


# ---- exchange ------------------------------------------------------------------------------


def exchange(qty: int) -> ExchangeSale:
    return ExchangeSale(CompleteSale(CASHIER, [CartLine(MUG, qty)], None, [], D(0)))


def test_an_exchange_spends_the_refund_on_the_new_items_first() -> None:
    # Kettle: 10.83 back; 3 mugs: 15.00 + 1.24 tax = 16.24 -> 5.41 to pay
    q = quote(cmd(req("L1", 1), exchange=exchange(3)), ctx(), store=STORE, rules=RULES, now=NOW)
    assert (q.exchange_total, q.exchange_credit, q.to_pay) == (D("16.24"), D("10.83"), D("5.41"))
    assert q.allocation.parts == ()
    # Lamp: 43.30 back; 2 mugs: 10.83 -> 32.47 refunded to the card
    q = quote(cmd(req("L2", 1), exchange=exchange(2)), ctx(), store=STORE, rules=RULES, now=NOW)
    assert (q.exchange_total, q.exchange_credit, q.to_pay) == (D("10.83"), D("10.83"), D(0))
    assert q.allocation.parts == (RefundPart(TenderKind.CARD, D("32.47"), 1, VISA, "AB12"),)


# ---- HQ's amounts --------------------------------------------------------------------------


def lamp_quote(*lines: ReturnLineRequest, **kw: object) -> tuple[ProcessReturn, ReturnContext]:
    c = cmd(*(lines or (req("L2", 1, Condition.OPENED),)), **kw)
    return c, ctx()


def test_hq_amounts_that_are_not_lower_leave_the_quote_alone() -> None:
    c, x = lamp_quote()
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    same = [ReservedLine("L2", 1, 4000, 330, 4330)]
    assert held_to_hq(q, same, c, x, STORE, RULES) is q
    assert held_to_hq(q, [ReservedLine("L1", 1, 1, 1, 2)], c, x, STORE, RULES) is q


def test_lower_hq_amounts_replace_the_line_with_the_fee_again() -> None:
    c, x = lamp_quote()
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    held = held_to_hq(q, [ReservedLine("L2", 1, 3000, 248, 3248)], c, x, STORE, RULES)
    [ln] = held.lines
    # 15 % of 32.48 = 4.872 -> 4.87
    assert (ln.amount, ln.tax, ln.gross, ln.fee, ln.refund) == (
        D("30.00"),
        D("2.48"),
        D("32.48"),
        D("4.87"),
        D("27.61"),
    )
    assert held.allocation.parts == (RefundPart(TenderKind.CARD, D("27.61"), 1, VISA, "AB12"),)
    assert held.exchange_credit == D(0)


def test_lower_hq_amounts_with_a_waived_fee_keep_no_fee() -> None:
    c, x = lamp_quote(req("L2", 1, Condition.OPENED), waive_fees=True)
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    held = held_to_hq(q, [ReservedLine("L2", 1, 3000, 248, 3248)], c, x, STORE, RULES)
    assert (held.lines[0].fee, held.refund_total) == (D(0), D("32.48"))


def test_lower_hq_amounts_of_a_line_without_fee_keep_the_fee_at_most_the_gross() -> None:
    c, x = lamp_quote(req("L2", 1))
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    held = held_to_hq(q, [ReservedLine("L2", 1, 100, 8, 108)], c, x, STORE, RULES)
    assert (held.lines[0].gross, held.lines[0].fee, held.refund_total) == (D("1.08"), D(0), D("1.08"))


def test_lower_hq_amounts_also_lower_an_exchange_credit() -> None:
    c, x = lamp_quote(req("L2", 1), exchange=exchange(3))  # mugs 16.24
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    held = held_to_hq(q, [ReservedLine("L2", 1, 1000, 83, 1083)], c, x, STORE, RULES)
    assert (held.exchange_credit, held.to_pay, held.allocation.parts) == (D("10.83"), D("5.41"), ())
    held = held_to_hq(q, [ReservedLine("L2", 1, 2000, 165, 2165)], c, x, STORE, RULES)
    assert held.exchange_credit == D("16.24")
    assert held.allocation.parts == (RefundPart(TenderKind.CARD, D("5.41"), 1, VISA, "AB12"),)


def test_a_line_another_lane_returned_meanwhile_is_refused_when_it_cannot_be_matched() -> None:
    c, x = lamp_quote(req("L1", 1), req("L1", 1))
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    e = error(held_to_hq, q, [ReservedLine("L1", 2, 1000, 80, 1080)], c, x, STORE, RULES)
    assert e.message == "Another lane returned some of Kettle since this receipt was looked up."
    assert e.hint == "Look the receipt up again."
    c, x = lamp_quote(req("L1", 2))
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    e = error(held_to_hq, q, [ReservedLine("L1", 1, 1000, 80, 1080)], c, x, STORE, RULES)
    assert e.message == "Another lane returned some of Kettle since this receipt was looked up."


def test_a_no_receipt_return_held_to_hq_stays_store_credit() -> None:
    c = cmd(nr(), id_document=PASSPORT)
    x = no_receipt_ctx()
    q = quote(c, x, store=STORE, rules=LENIENT, now=NOW)
    held = held_to_hq(q, [ReservedLine("", 2, 500, 41, 541)], c, x, STORE, LENIENT)
    assert held.allocation.parts == (RefundPart(TenderKind.STORE_CREDIT, D("5.41")),)


# ---- receipt numbers and the journal body --------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        (" s01-t01-000042 ", "S01-T01-000042"),
        ("CNTR:S01-T01-000042", "S01-T01-000042"),
        ("cntr:s01-t01-7", "S01-T01-7"),
    ],
)
def test_receipt_numbers_from_a_person_a_barcode_or_a_qr_code(typed: str, number: str) -> None:
    assert normalize_receipt_number(typed) == number


def test_the_journal_body_of_a_return_holds_every_amount_in_cents() -> None:
    c = cmd(req("L1", 2, reason=R.DEFECTIVE), req("L2", 1, Condition.OPENED), id_document=PASSPORT)
    q = quote(c, ctx(), store=STORE, rules=RULES, now=NOW)
    record = ReturnRecord(
        "ret-1", "S01-T01-R0001", "req-1", "s1", "S01-T01-000042", "u1", NOW, q,
        PASSPORT.key, "Passport …4567", "VCODE", None, hq_reserved=True,
    )  # fmt: skip
    body = record.journal_body(USD)
    assert body == {
        "return_id": "ret-1",
        "return_number": "S01-T01-R0001",
        "request_id": "req-1",
        "original_sale_id": "s1",
        "original_receipt": "S01-T01-000042",
        "cashier": "u1",
        "currency": "USD",
        "customer_key": PASSPORT.key,
        "customer_hint": "Passport …4567",
        "lines": [
            {
                "sale_line_id": "L1", "item_id": "I1", "sku": "K-1", "name": "Kettle", "qty": 2,
                "amount": 2000, "tax": 165, "gross": 2165, "fee": 0, "tax_code": "A", "tax_rate": "0.0825",
                "reason": "defective", "condition": "new", "disposition": "restock",
            },
            {
                "sale_line_id": "L2", "item_id": "I2", "sku": "LMP", "name": "Lamp", "qty": 1,
                "amount": 4000, "tax": 330, "gross": 4330, "fee": 650, "tax_code": "A", "tax_rate": "0.0825",
                "reason": "wrong_size", "condition": "opened", "disposition": "open_box",
            },
        ],
        "refunds": [
            {"kind": "card", "amount": 5000, "original_tender": 1, "reference": "AB12",
             "card_brand": "Visa", "card_last4": "4242"},
            {"kind": "cash", "amount": 845, "original_tender": 2, "reference": "",
             "card_brand": None, "card_last4": None},
        ],
        "voucher": "VCODE",
        "exchange_sale_id": None,
        "exchange_credit": 0,
        "fee_total": 650,
        "refund_total": 5845,
        "approvals": [],
        "hq_reserved": True,
    }  # fmt: skip


def test_the_journal_body_lists_approvals_sorted_and_the_exchange_credit() -> None:
    c = cmd(req("L2", 1, Condition.DAMAGED), method=RefundMethod.CASH, exchange=exchange(2))
    q = quote(c, ctx(), store=STORE, rules=RULES, now=NOW)
    record = ReturnRecord("r", "n", "q", "s1", "x", "u1", NOW, q, None, None, None, None)
    body = record.journal_body(USD)
    assert body["approvals"] == ["damaged_item", "different_tender"]
    assert body["exchange_credit"] == 1083
    assert body["refunds"] == [
        {"kind": "cash", "amount": 3247, "original_tender": None, "reference": "",
         "card_brand": None, "card_last4": None},
    ]  # fmt: skip
    assert body["hq_reserved"] is False


def test_the_price_a_no_receipt_request_carries_is_not_what_is_refunded() -> None:
    """The screen's figure in the request counts for nothing: the refund is the price
    load_context worked out from the store's sales; an item it has no price for is refused."""
    q = quote(
        cmd(nr(1, "99.00"), id_document=PASSPORT), no_receipt_ctx(price="2.50"), store=STORE, rules=LENIENT, now=NOW
    )
    [ln] = q.lines
    assert (ln.amount, ln.tax, ln.gross) == (D("2.50"), D("0.21"), D("2.71"))
    bare = ReturnContext(None, drawer_cash=D(100))
    e = error(quote, cmd(nr(), id_document=PASSPORT), bare, store=STORE, rules=LENIENT, now=NOW)
    assert (e.message, e.hint) == (f"The refund for {MUG.name} could not be worked out.", "Scan the item again.")


def test_hq_amounts_of_the_same_gross_keep_the_lanes_split() -> None:
    c, x = lamp_quote()
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    assert held_to_hq(q, [ReservedLine("L2", 1, 3900, 430, 4330)], c, x, STORE, RULES) is q


def test_only_the_lines_hq_computed_lower_change() -> None:
    c, x = lamp_quote(req("L1", 1), req("L2", 1))
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    answered = [ReservedLine("L1", 1, 1000, 83, 1083), ReservedLine("L2", 1, 3000, 248, 3248)]
    held = held_to_hq(q, answered, c, x, STORE, RULES)
    assert [(ln.sale_line_id, ln.gross) for ln in held.lines] == [("L1", D("10.83")), ("L2", D("32.48"))]
    assert held.refund_total == D("43.31")


def test_a_line_asked_in_two_pieces_cannot_take_hqs_lower_amount() -> None:
    c, x = lamp_quote(req("L1", 1), req("L1", 1))
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    e = error(held_to_hq, q, [ReservedLine("L1", 1, 900, 74, 974)], c, x, STORE, RULES)
    assert e.message == "Another lane returned some of Kettle since this receipt was looked up."


def test_lower_hq_amounts_are_refunded_the_way_the_cashier_chose() -> None:
    c, x = lamp_quote(req("L2", 1), method=RefundMethod.CASH)
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    held = held_to_hq(q, [ReservedLine("L2", 1, 3000, 248, 3248)], c, x, STORE, RULES)
    assert held.allocation.parts == (RefundPart(TenderKind.CASH, D("32.48")),)
    assert held.allocation.approvals == {ApprovalKind.DIFFERENT_TENDER}


def test_lower_hq_amounts_still_need_the_cash_in_the_drawer() -> None:
    c, x = lamp_quote(req("L2", 1), method=RefundMethod.CASH)
    q = quote(c, x, store=STORE, rules=RULES, now=NOW)
    x.drawer_cash = D("20.00")
    with pytest.raises(RefundError) as err:
        held_to_hq(q, [ReservedLine("L2", 1, 3000, 248, 3248)], c, x, STORE, RULES)
    assert err.value.message == "The refund needs $32.48 in cash, but the drawer should hold only $20.00."


def test_with_prices_including_tax_a_receipted_line_splits_its_tax_inside_the_gross() -> None:
    line = SaleLine("L1", 1, "I1", "K-1", "Kettle", 3, D(10), D(0), D(0), D("27.71"), D("2.29"), D("30.00"), "A", RATE)
    sale = Sale("s2", "S01-T01-000043", "S01", "T01", "u1", "Maria", SOLD, USD, True, (line,), (), (), D(0))
    x = ReturnContext(sale, returnable={"L1": ReturnableLine(line, Returned(), "kitchen")}, drawer_cash=D(100))
    q = quote(cmd(req("L1", 1), method=RefundMethod.STORE_CREDIT), x, store=INCL, rules=RULES, now=NOW)
    [ln] = q.lines
    expected = ReturnableLine(line, Returned(), "kitchen").refund_for(1, USD, True)
    assert (ln.amount, ln.tax, ln.gross) == tuple(expected)
    assert tuple(expected) != tuple(ReturnableLine(line, Returned(), "kitchen").refund_for(1, USD, False))


def test_damaged_in_transit_needs_no_damage_approval_with_or_without_receipt() -> None:
    q = quote(cmd(req("L1", 1, Condition.DAMAGED, R.DAMAGED_IN_TRANSIT)), ctx(), store=STORE, rules=RULES, now=NOW)
    assert q.approvals == frozenset()
    line = ReturnLineRequest(1, R.DAMAGED_IN_TRANSIT, Condition.DAMAGED, item=MUG, unit_price=D("4.00"))
    q = quote(cmd(line, id_document=PASSPORT), no_receipt_ctx(), store=STORE, rules=LENIENT, now=NOW)
    assert q.approvals == frozenset()


def test_an_opened_item_without_receipt_keeps_the_restocking_fee() -> None:
    c = no_receipt_ctx()
    c.policies = {"kitchen": ReturnPolicy("kitchen", restocking_fee_percent=D(10))}
    line = ReturnLineRequest(2, R.CHANGED_MIND, Condition.OPENED, item=MUG, unit_price=D("4.00"))
    q = quote(cmd(line, id_document=PASSPORT), c, store=STORE, rules=LENIENT, now=NOW)
    # 8.66 gross, 10 % fee 0.866 -> 0.87
    assert (q.lines[0].gross, q.lines[0].fee, q.refund_total) == (D("8.66"), D("0.87"), D("7.79"))


def test_a_cash_refund_above_the_drawer_is_refused_in_the_stores_locale() -> None:
    de = StoreConfig("S01", "Test", USD, "de_DE", "Europe/Berlin", False, D("0.01"))
    x = ctx()
    x.drawer_cash = D("20.00")
    with pytest.raises(RefundError) as err:
        quote(cmd(req("L2", 1), method=RefundMethod.CASH), x, store=de, rules=RULES, now=NOW)
    assert err.value.message == (
        f"The refund needs {USD.format(D('43.30'), 'de_DE')} in cash, "
        f"but the drawer should hold only {USD.format(D('20.00'), 'de_DE')}."
    )
    assert USD.format(D("43.30"), "de_DE") != USD.format(D("43.30"))


def test_the_journal_body_names_the_exchange_sale() -> None:
    c = cmd(req("L1", 1), exchange=exchange(3))
    q = quote(c, ctx(), store=STORE, rules=RULES, now=NOW)
    exchange_sale = Sale("x9", "S01-T01-000050", "S01", "T01", "u1", "Maria", NOW, USD, False, (), (), (), D(0))
    record = ReturnRecord("r", "n", "q", "s1", "x", "u1", NOW, q, None, None, None, exchange_sale)
    assert record.journal_body(USD)["exchange_sale_id"] == "x9"
