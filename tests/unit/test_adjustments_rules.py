"""counter.desk.adjustments' quote on a sale made here: what a price drop, a price match and a
goodwill credit give back (net, tax and gross to the cent, with prices excluding and
including tax), which approvals each needs, where the window and the quantities stop,
and the words of each refusal. The commands on a real store are in tests/db."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from counter.desk.adjustments import (
    AdjustBill,
    AdjustContext,
    AdjustmentKind,
    AdjustmentQuote,
    merge_adjustments,
    price_difference,
    quote_adjustment,
)
from counter.desk.service import DeskError, ServiceRules
from counter.errors import InvalidAmount
from counter.money import Currency
from counter.people.users import Role, User, UserId
from counter.returns.model import Returned
from counter.returns.policy import ApprovalKind, ReturnRules
from counter.returns.refunds import PaidTender, RefundError, RefundMethod, RefundPart
from counter.sales.sale import Sale, SaleLine
from counter.sales.tenders import CardDetails, Tender, TenderKind
from counter.store import StoreConfig

USD = Currency.of("USD")
NOW = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
VISA = CardDetails("Visa", "4242", "AP1234")
RATE = Decimal("0.0825")
MARIA = User(UserId("u-maria"), "Maria Lopez", Role.CASHIER, "!")


def d(text: str) -> Decimal:
    return Decimal(text)


def store(inclusive: bool = False) -> StoreConfig:
    return StoreConfig("S01", "Riverton", USD, "en_US", "America/Chicago", inclusive, d("0.01"))


def kettles(inclusive: bool = False) -> SaleLine:
    """3 kettles at 20.00 (8.25 % tax: 4.95), or at 21.65 with the tax inside."""
    if inclusive:
        return SaleLine(
            "L1",
            1,
            "item-1",
            "KET-01",
            "Kettle",
            3,
            d("21.65"),
            d(0),
            d(0),
            d("64.95"),
            d("4.95"),
            d("64.95"),
            "A",
            RATE,
        )
    return SaleLine(
        "L1", 1, "item-1", "KET-01", "Kettle", 3, d("20.00"), d(0), d(0), d("60.00"), d("4.95"), d("64.95"), "A", RATE
    )


def sale(line: SaleLine, days_ago: float = 5, inclusive: bool = False) -> Sale:
    return Sale(
        "sale-1",
        "S01-T01-000042",
        "S01",
        "T01",
        "u-maria",
        "Maria",
        NOW - timedelta(days=days_ago),
        USD,
        inclusive,
        (line,),
        (),
        (Tender(TenderKind.CARD, line.gross, line.gross, VISA),),
        d(0),
    )


def context(
    *,
    inclusive: bool = False,
    days_ago: float = 5,
    shelf: str | None = "15.00",
    returned: Returned | None = None,
    paid: tuple[PaidTender, ...] | None = None,
) -> AdjustContext:
    line = kettles(inclusive)
    return AdjustContext(
        sale(line, days_ago, inclusive),
        line,
        returned or Returned(),
        paid if paid is not None else (PaidTender(1, TenderKind.CARD, line.gross, d(0), VISA),),
        d("100.00"),
        None if shelf is None else d(shelf),
    )


def cmd(kind: AdjustmentKind = AdjustmentKind.PRICE_DROP, **kw: object) -> AdjustBill:
    fields: dict[str, object] = dict(
        request_id="req-1",
        cashier=MARIA,
        kind=kind,
        reason="flyer price",
        receipt="S01-T01-000042",
        sale_line_id="L1",
        quantity=2,
    )
    fields.update(kw)
    return AdjustBill(**fields)  # type: ignore[arg-type]


def quote(
    c: AdjustBill, ctx: AdjustContext, *, inclusive: bool = False, over: str = "0.00", days: int = 14
) -> AdjustmentQuote:
    rules = ServiceRules(price_adjustment_days=days, adjustment_approval_over=d(over))
    return quote_adjustment(c, ctx, store=store(inclusive), rules=ReturnRules(), desk_rules=rules, now=NOW)


def refused(c: AdjustBill, ctx: AdjustContext, **kw: object) -> tuple[str, str]:
    with pytest.raises(DeskError) as info:
        quote(c, ctx, **kw)  # type: ignore[arg-type]
    return info.value.message, info.value.hint


# ------------------------------------------------------------------- price drop


def test_a_price_drop_gives_back_the_difference_with_its_tax_to_the_card() -> None:
    q = quote(cmd(), context())
    # 2 × (20.00 − 15.00) = 10.00, tax 0.825 → 0.83, 10.83 back to the card that paid
    assert (q.amount, q.tax, q.gross) == (d("10.00"), d("0.83"), d("10.83"))
    assert (q.kind, q.line_name, q.unit_paid, q.unit_new) == (
        AdjustmentKind.PRICE_DROP,
        "Kettle",
        d("20.00"),
        d("15.00"),
    )
    assert q.allocation.parts == (RefundPart(TenderKind.CARD, d("10.83"), 1, VISA, "AP1234"),)
    assert q.approvals == {ApprovalKind.PRICE_ADJUSTMENT}  # above 0.00: always, by default


def test_a_price_drop_with_prices_including_tax_takes_the_tax_out_of_the_difference() -> None:
    q = quote(cmd(), context(inclusive=True), inclusive=True)
    # 2 × (21.65 − 15.00) = 13.30, of which tax 13.30 × 0.0825 / 1.0825 = 1.0136 → 1.01
    assert (q.amount, q.tax, q.gross, q.unit_paid) == (d("12.29"), d("1.01"), d("13.30"), d("21.65"))


def test_the_supervisor_is_needed_only_above_the_stores_limit() -> None:
    assert quote(cmd(), context(), over="10.83").approvals == frozenset()
    assert quote(cmd(), context(), over="10.82").approvals == {ApprovalKind.PRICE_ADJUSTMENT}


def test_a_price_drop_is_within_the_stores_window() -> None:
    assert quote(cmd(), context(days_ago=14)).gross == d("10.83")  # the last day still counts
    assert refused(cmd(), context(days_ago=14.01)) == (
        "Kettle was bought 14 days ago; price drops are adjusted within 14 days.",
        "Explain the policy; a goodwill credit needs a manager.",
    )
    assert refused(cmd(), context(days_ago=20), days=7)[0] == (
        "Kettle was bought 20 days ago; price drops are adjusted within 7 days."
    )


def test_a_price_drop_needs_the_item_in_the_catalog() -> None:
    assert refused(cmd(), context(shelf=None)) == (
        "Kettle is no longer in the catalog.",
        "Use a price match with the price shown.",
    )


def test_nothing_to_give_back_when_the_price_did_not_drop() -> None:
    assert refused(cmd(), context(shelf="20.00")) == (
        "Kettle costs $20.00 now; the customer paid $20.00 a unit, so there is nothing to give back.",
        "",
    )
    assert refused(cmd(), context(shelf="25.00"))[0].startswith("Kettle costs $25.00 now;")
    assert quote(cmd(quantity=1), context(shelf="19.99")).gross == d("0.01")  # a cent is something


@pytest.mark.parametrize("quantity", [0, -1, 3])
def test_only_the_units_not_returned_are_adjusted(quantity: int) -> None:
    ctx = context(returned=Returned(1, d("20.00"), d("1.65"), d("21.65")))
    assert refused(cmd(quantity=quantity), ctx) == (
        "2 of Kettle can still be adjusted (3 bought, 1 returned).",
        "Lower the quantity.",
    )


def test_all_the_units_left_may_be_adjusted_at_what_they_still_hold() -> None:
    ctx = context(returned=Returned(1, d("20.00"), d("1.65"), d("21.65")))
    q = quote(cmd(quantity=2), ctx)
    assert (q.amount, q.tax, q.gross) == (d("10.00"), d("0.83"), d("10.83"))
    # after an earlier adjustment of 10.83 on these units, each holds 50.00 / 3 = 16.67
    adjusted = Returned(0, d("10.00"), d("0.83"), d("10.83"), d("10.83"))
    q = quote(cmd(quantity=3), context(returned=adjusted))
    assert (q.amount, q.tax, q.gross, q.unit_paid) == (d("5.00"), d("0.41"), d("5.41"), d("16.67"))


def test_an_adjustment_needs_a_reason_and_a_line() -> None:
    assert refused(cmd(reason="  "), context()) == (
        "Say why the bill is adjusted.",
        "For example: “advertised price from Sunday's flyer”.",
    )
    words = ("A price adjustment is on a line of a past purchase.", "Scan the receipt and pick the line.")
    assert refused(cmd(), replace(context(), line=None)) == words
    assert refused(cmd(), AdjustContext(None)) == words
    assert refused(cmd(AdjustmentKind.PRICE_MATCH, new_price=d(1), competitor="X"), AdjustContext(None)) == words


# ------------------------------------------------------------------ price match


def test_a_price_match_gives_back_down_to_the_competitors_price_with_approval() -> None:
    q = quote(cmd(AdjustmentKind.PRICE_MATCH, new_price=d("17.50"), competitor="  MegaMart "), context(shelf=None))
    # 2 × 2.50 = 5.00, tax 0.4125 → 0.41
    assert (q.amount, q.tax, q.gross, q.unit_new) == (d("5.00"), d("0.41"), d("5.41"), d("17.50"))
    assert q.approvals == {ApprovalKind.PRICE_MATCH, ApprovalKind.PRICE_ADJUSTMENT}
    assert quote(
        cmd(AdjustmentKind.PRICE_MATCH, new_price=d("17.50"), competitor="M"), context(), over="9"
    ).approvals == {ApprovalKind.PRICE_MATCH}
    # a competitor giving it away: the whole of what the units hold
    free = quote(cmd(AdjustmentKind.PRICE_MATCH, new_price=d(0), competitor="M", quantity=3), context())
    assert (free.amount, free.tax, free.gross) == (d("60.00"), d("4.95"), d("64.95"))


def test_a_price_match_is_not_held_to_the_price_drop_window() -> None:
    q = quote(cmd(AdjustmentKind.PRICE_MATCH, new_price=d("17.50"), competitor="M"), context(days_ago=60))
    assert q.gross == d("5.41")


def test_a_price_match_needs_the_competitor_and_its_price() -> None:
    assert refused(cmd(AdjustmentKind.PRICE_MATCH, competitor="M"), context()) == (
        "Type the competitor's price.",
        "As the customer shows it (ad, web page).",
    )
    assert refused(cmd(AdjustmentKind.PRICE_MATCH, new_price=d("-0.01"), competitor="M"), context())[0] == (
        "Type the competitor's price."
    )
    assert refused(cmd(AdjustmentKind.PRICE_MATCH, new_price=d("17.50"), competitor=" "), context()) == (
        "Name the competitor whose price is matched.",
        "",
    )


# ---------------------------------------------------------------------- goodwill


def goodwill(amount: str | None, method: RefundMethod = RefundMethod.ORIGINAL) -> AdjustBill:
    return cmd(
        AdjustmentKind.GOODWILL,
        amount=None if amount is None else d(amount),
        refund_method=method,
        sale_line_id=None,
        quantity=1,
    )


def test_a_goodwill_credit_on_a_receipt_goes_back_to_its_payments_with_approval() -> None:
    q = quote(goodwill("25.00"), context())
    assert (q.amount, q.tax, q.gross, q.line_name) == (d("25.00"), d(0), d("25.00"), "")
    assert q.approvals == {ApprovalKind.GOODWILL}
    assert q.allocation.parts == (RefundPart(TenderKind.CARD, d("25.00"), 1, VISA, "AP1234"),)


def test_a_goodwill_credit_goes_back_at_most_what_the_payments_still_hold() -> None:
    paid = (PaidTender(1, TenderKind.CARD, d("64.95"), d("40.00"), VISA),)  # 24.95 left on the card
    assert quote(goodwill("24.95"), context(paid=paid)).gross == d("24.95")
    assert refused(goodwill("24.96"), context(paid=paid)) == (
        "Only $24.95 of receipt S01-T01-000042 can still go back to its payments.",
        "Give the goodwill credit as store credit (F8), or lower it.",
    )
    # as store credit it is not held to the payments
    q = quote(goodwill("80.00", RefundMethod.STORE_CREDIT), context(paid=paid))
    assert q.allocation.parts == (RefundPart(TenderKind.STORE_CREDIT, d("80.00")),)
    two = paid + (PaidTender(2, TenderKind.CASH, d("5.00"), d(0)),)
    assert quote(goodwill("29.95"), context(paid=two)).allocation.total == d("29.95")


def test_a_goodwill_credit_without_receipt_is_store_credit() -> None:
    q = quote(goodwill("12.00", RefundMethod.CASH), AdjustContext(None, drawer_cash=d("500")))
    assert q.allocation.parts == (RefundPart(TenderKind.STORE_CREDIT, d("12.00")),)
    assert q.approvals == {ApprovalKind.GOODWILL}


@pytest.mark.parametrize("amount", [None, "0", "-5.00"])
def test_a_goodwill_credit_needs_its_amount(amount: str | None) -> None:
    assert refused(goodwill(amount), context()) == ("Type the amount of the goodwill credit.", "")


def test_a_goodwill_credit_is_in_whole_cents() -> None:
    with pytest.raises(InvalidAmount):
        quote(goodwill("1.005"), context())


# ------------------------------------------------------------- the line's ledger


def test_the_tax_given_back_never_goes_below_what_the_line_still_holds() -> None:
    # a line whose tax share rounded to 0.00 (the rate's tax went to another line)
    line = SaleLine("L9", 2, "item-9", "PEN-01", "Pen", 1, d("0.10"), d(0), d(0), d("0.10"), d(0), d("0.10"), "A", RATE)
    net, tax, gross, unit = price_difference(line, Returned(), 1, d(0), USD, False)
    assert (net, tax, gross, unit) == (d("0.10"), d(0), d("0.10"), d("0.10"))
    incl = replace(line, tax=d(0))
    assert price_difference(incl, Returned(), 1, d(0), USD, True) == (d("0.10"), d(0), d("0.10"), d("0.10"))


def test_adjustments_enter_the_ledger_as_money_not_units() -> None:
    returned = {"L1": Returned(1, d("20.00"), d("1.65"), d("21.65")), "L2": Returned(2, d(4), d(0), d(4))}
    adjusted = {
        "L1": Returned(0, d("10.00"), d("0.83"), d("10.83"), d("10.83")),
        "L3": Returned(0, d("1.00"), d("0.08"), d("1.08"), d("1.08")),
    }
    merged = merge_adjustments(returned, adjusted)
    assert merged == {
        "L1": Returned(1, d("30.00"), d("2.48"), d("32.48"), d("10.83")),
        "L2": Returned(2, d(4), d(0), d(4)),
        "L3": Returned(0, d("1.00"), d("0.08"), d("1.08"), d("1.08")),
    }
    assert returned["L1"] == Returned(1, d("20.00"), d("1.65"), d("21.65"))  # the input is left alone


def test_a_goodwill_credit_of_a_dollar_or_less_is_taken() -> None:
    assert quote(goodwill("1.00"), context()).gross == d("1.00")
    assert quote(goodwill("0.01"), context()).gross == d("0.01")


def canadian(c: AdjustBill, ctx: AdjustContext) -> AdjustmentQuote:
    where = replace(store(), locale="en_CA")  # US dollars shown as a Canadian store shows them
    return quote_adjustment(c, ctx, store=where, rules=ReturnRules(), desk_rules=ServiceRules(), now=NOW)


def test_the_words_show_money_in_the_stores_locale() -> None:
    paid = (PaidTender(1, TenderKind.CARD, d("64.95"), d("40.00"), VISA),)
    with pytest.raises(DeskError) as info:
        canadian(goodwill("24.96"), context(paid=paid))
    assert info.value.message == "Only US$24.95 of receipt S01-T01-000042 can still go back to its payments."
    with pytest.raises(DeskError) as info:
        canadian(cmd(), context(shelf="20.00"))
    assert info.value.message == (
        "Kettle costs US$20.00 now; the customer paid US$20.00 a unit, so there is nothing to give back."
    )
    cash_paid = (PaidTender(1, TenderKind.CASH, d("64.95"), d(0)),)
    short = replace(context(paid=cash_paid), drawer_cash=d("10.00"))
    with pytest.raises(RefundError) as refused_cash:
        canadian(goodwill("25.00"), short)
    assert refused_cash.value.message == (
        "The refund needs US$25.00 in cash, but the drawer should hold only US$10.00."
    )
