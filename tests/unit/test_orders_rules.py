"""counter.desk.orders' rules without a store: the terms a layaway and a special order state
(minimum deposit, due date, the fee a cancellation keeps), the agreement's words, the
order's total and tax, and what a cancellation keeps and refunds. The commands on a real
store are in tests/db/test_orders_rules.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from counter.catalog import CategoryId, Item, ItemId, TaxClass
from counter.desk.orders import (
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    Terms,
    order_total,
    quote_cancel,
    terms_for,
)
from counter.desk.service import ServiceRules
from counter.money import Currency
from counter.returns.policy import ApprovalKind, ReturnRules
from counter.returns.refunds import PaidTender, RefundError, RefundMethod, RefundPart
from counter.sales.tenders import CardDetails, TenderKind
from counter.store import StoreConfig

USD = Currency.of("USD")
TODAY = date(2026, 12, 6)
TAX_A = TaxClass("A", "Sales tax", Decimal("0.0825"))
NO_TAX = TaxClass("N", "No tax", Decimal(0))
VISA = CardDetails("Visa", "4242", "AP1234")


def d(text: str) -> Decimal:
    return Decimal(text)


def store(inclusive: bool = False) -> StoreConfig:
    return StoreConfig("S01", "Riverton", USD, "en_US", "America/Chicago", inclusive, d("0.01"))


def item(price: str, tax: TaxClass = TAX_A, name: str = "Sofa") -> Item:
    return Item(ItemId(f"item-{name}"), f"SKU-{name}", name, d(price), tax, CategoryId("furniture"))


def money(amount: Decimal) -> str:
    return USD.format(amount, "en_US")


def test_a_layaway_states_a_share_of_the_total_as_deposit_and_a_fee_with_a_floor() -> None:
    rules = ServiceRules()  # 20 % down, 60 days, 10 % fee of at least 5.00
    assert terms_for(OrderKind.LAYAWAY, d("649.53"), rules, TODAY, USD) == Terms(
        d("129.91"), date(2027, 2, 4), d("64.95"), True
    )
    # 10 % of 30.00 is 3.00: the fee is the 5.00 minimum
    assert terms_for(OrderKind.LAYAWAY, d("30.00"), rules, TODAY, USD) == Terms(
        d("6.00"), date(2027, 2, 4), d("5.00"), True
    )
    # the fee never goes above the total
    assert terms_for(OrderKind.LAYAWAY, d("4.00"), rules, TODAY, USD).cancel_fee == d("4.00")
    other = ServiceRules(layaway_min_deposit_percent=d("25"), layaway_days=30, layaway_cancel_fee_percent=d("12.5"))
    assert terms_for(OrderKind.LAYAWAY, d("100.02"), other, TODAY, USD) == Terms(
        d("25.01"), date(2027, 1, 5), d("12.50"), True
    )
    # half a cent rounds up
    assert terms_for(OrderKind.LAYAWAY, d("0.05"), rules, TODAY, USD).min_deposit == d("0.01")


def test_a_special_order_states_its_deposit_and_keeps_it_unless_the_store_refunds_it() -> None:
    rules = ServiceRules()  # 50 % down, 30 days, not refundable
    assert terms_for(OrderKind.SPECIAL_ORDER, d("199.99"), rules, TODAY, USD) == Terms(
        d("100.00"), date(2027, 1, 5), d(0), False
    )
    refundable = ServiceRules(
        special_order_deposit_refundable=True, special_order_deposit_percent=d(30), special_order_days=10
    )
    assert terms_for(OrderKind.SPECIAL_ORDER, d("199.99"), refundable, TODAY, USD) == Terms(
        d("60.00"), date(2026, 12, 16), d(0), True
    )


def test_the_agreement_says_what_the_terms_are() -> None:
    layaway = Terms(d("129.91"), date(2027, 2, 4), d("64.95"), True)
    assert layaway.lines(OrderKind.LAYAWAY, money) == (
        "A deposit of at least $129.91 is paid today; the items are held for you.",
        "Pay the balance and collect the items by February 4, 2027.",
        "Payments of any amount can be made at the service desk until then.",
        "If you cancel, everything paid is refunded less a cancellation fee of $64.95, "
        "to the card or cash that paid it.",
        "Prices are those of today and do not change.",
    )
    special = Terms(d("100.00"), date(2027, 1, 5), d(0), False)
    assert special.lines(OrderKind.SPECIAL_ORDER, money) == (
        "A deposit of at least $100.00 is paid today; the items are ordered for you.",
        "Pay the balance and collect the items by January 5, 2027.",
        "Payments of any amount can be made at the service desk until then.",
        "Special-ordered items are bought for you: if you cancel, the deposit is not refunded.",
        "Prices are those of today and do not change.",
    )


def test_labels() -> None:
    assert [k.label for k in OrderKind] == ["Layaway", "Special order"]
    assert [s.label for s in OrderStatus] == ["Open", "Picked up", "Cancelled"]


def test_an_orders_total_and_tax_are_those_of_a_sale_of_its_lines() -> None:
    lines = [OrderLine(1, item("599.99"), 1), OrderLine(2, item("4.99", NO_TAX, "Cushion"), 2)]
    # 599.99 + 8.25 % (49.50) + 9.98 untaxed
    assert order_total(lines, store()) == (d("659.47"), d("49.50"))
    # with the tax inside the prices: 599.99 holds 45.73 of tax
    assert order_total(lines, store(inclusive=True)) == (d("609.97"), d("45.73"))


def order(paid: str, terms: Terms, total: str = "300.00") -> Order:
    return Order(
        "o-1",
        "S01-T01-O000001",
        OrderKind.LAYAWAY,
        "c-jane",
        OrderStatus.OPEN,
        datetime(2026, 12, 1, tzinfo=UTC),
        "u-maria",
        (OrderLine(1, item("277.14"), 1),),
        d(total),
        d("22.86"),
        terms,
        d(paid),
    )


def test_the_balance_is_the_total_less_what_was_paid() -> None:
    terms = Terms(d("60.00"), TODAY, d("30.00"), True)
    assert order("75.50", terms).balance == d("224.50")
    assert order("300.00", terms).balance == d(0)


def paid(*amounts: tuple[TenderKind, str]) -> list[PaidTender]:
    return [
        PaidTender(n, kind, d(a), d(0), VISA if kind is TenderKind.CARD else None)
        for n, (kind, a) in enumerate(amounts, 1)
    ]


def cancel(o: Order, tenders: list[PaidTender], method: RefundMethod = RefundMethod.ORIGINAL, drawer: str = "500"):  # type: ignore[no-untyped-def]
    return quote_cancel(o, tenders, method, drawer_cash=d(drawer), rules=ReturnRules(), store=store())


def test_a_cancelled_layaway_keeps_its_fee_and_refunds_the_rest_card_first() -> None:
    terms = Terms(d("60.00"), TODAY, d("30.00"), True)
    tenders = paid((TenderKind.CASH, "50.00"), (TenderKind.CARD, "25.50"))
    q = cancel(order("75.50", terms), tenders)
    assert (q.kept, q.refund) == (d("30.00"), d("45.50"))
    assert q.allocation.parts == (
        RefundPart(TenderKind.CARD, d("25.50"), 2, VISA, "AP1234"),
        RefundPart(TenderKind.CASH, d("20.00"), 1),
    )
    assert q.allocation.approvals == frozenset()


def test_the_fee_kept_is_never_more_than_was_paid() -> None:
    terms = Terms(d("20.00"), TODAY, d("30.00"), True)
    q = cancel(order("25.00", terms), paid((TenderKind.CASH, "25.00")))
    assert (q.kept, q.refund, q.allocation.parts) == (d("25.00"), d(0), ())
    q = cancel(order("30.00", terms), paid((TenderKind.CASH, "30.00")))
    assert (q.kept, q.refund) == (d("30.00"), d(0))


def test_a_special_order_that_keeps_its_deposit_refunds_nothing() -> None:
    terms = Terms(d("150.00"), TODAY, d(0), False)
    q = cancel(order("180.00", terms), paid((TenderKind.CARD, "180.00")))
    assert (q.kept, q.refund, q.allocation.parts) == (d("180.00"), d(0), ())


def test_a_cancellation_refund_follows_the_refund_rules() -> None:
    terms = Terms(d("60.00"), TODAY, d("5.00"), True)
    tenders = paid((TenderKind.CASH, "205.00"))
    q = cancel(order("205.00", terms), tenders)
    assert q.allocation.parts == (RefundPart(TenderKind.CASH, d("200.00"), 1),)
    assert q.allocation.approvals == {ApprovalKind.CASH_REFUND_OVER_LIMIT}
    with pytest.raises(RefundError) as info:
        cancel(order("205.00", terms), tenders, drawer="150.00")
    assert info.value.message == "The refund needs $200.00 in cash, but the drawer should hold only $150.00."
    credit = cancel(order("205.00", terms), tenders, RefundMethod.STORE_CREDIT)
    assert credit.allocation.parts == (RefundPart(TenderKind.STORE_CREDIT, d("200.00")),)
