"""counter.sales.checkout's rules (issue #14): who may sell and give discounts, which lines count,
the payments that settle a total exactly (cash rounding to the coin, change only in cash,
the details each tender needs), and what a completed sale writes: the sale as priced, its
receipt number, its tenders and change, and one SaleCompleted entry with the customer and
exchange it belongs to. Figures are worked out by hand from the demo catalog:
T-shirt 9.99 and kettle 29.99 at 8.25 %, chips 3.99 at 2.25 %, prices before tax."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from counter.cash.shifts import ShiftError
from counter.catalog import Item
from counter.errors import CartError, CounterError, InvalidQuantity, TenderError
from counter.journal import EventType
from counter.people.users import PERMISSIONS, Permission, Role
from counter.sales.cart import CartLine
from counter.sales.checkout import CompleteSale, check_settlement, complete_sale, price_command, record_sale
from counter.sales.pricing import Discount
from counter.sales.sale import Sale
from counter.sales.tenders import CardDetails, Tender, TenderKind
from counter.sales.vouchers import VoucherError
from counter.store import StoreConfig
from db import schema as s
from db.queries import journal_entries
from db.uow import load_sale
from tests.db.support import TestStore

D = Decimal
AT = datetime(2026, 12, 5, 15, 30, 12, tzinfo=UTC)
VISA = CardDetails("Visa", "4242", "APPR01")


def cash(amount: str, tendered: str | None = None) -> Tender:
    return Tender(TenderKind.CASH, D(amount), D(tendered or amount))


def card(amount: str, details: CardDetails | None = VISA, tendered: str | None = None) -> Tender:
    return Tender(TenderKind.CARD, D(amount), D(tendered or amount), details)


def credit(amount: str, code: str | None) -> Tender:
    return Tender(TenderKind.STORE_CREDIT, D(amount), D(amount), voucher=code)


def tshirt(shop: TestStore) -> Item:
    item = shop.item_in("apparel")
    assert (item.price, item.tax.rate) == (D("9.99"), D("0.0825"))
    return item


def chips(shop: TestStore) -> Item:
    item = shop.item_in("grocery")
    assert (item.price, item.tax.rate) == (D("3.99"), D("0.0225"))
    return item


def kettle(shop: TestStore) -> Item:
    item = shop.item_in("small-appliances")
    assert (item.price, item.tax.rate) == (D("29.99"), D("0.0825"))
    return item


def basket(shop: TestStore) -> list[CartLine]:
    """2 T-shirts: 19.98 + 1.65 tax (1.64835); chips: 3.99 + 0.09 tax (0.089775). Total 25.71."""
    return [CartLine(tshirt(shop), 2), CartLine(chips(shop), 1)]


def command(
    shop: TestStore,
    lines: list[CartLine],
    tenders: list[Tender],
    rounding: str = "0",
    cashier: str = "Maria",
    **kw: Any,
) -> CompleteSale:
    return CompleteSale(shop.user(cashier), lines, kw.pop("order_discount", None), tenders, D(rounding), **kw)


def sell(shop: TestStore, cmd: CompleteSale, **kw: Any) -> Sale:
    args: dict[str, Any] = dict(uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    args.update(kw)
    return complete_sale(cmd, **args)


def refused(fn: Any, kind: type[CounterError] = CounterError) -> tuple[str, str]:
    with pytest.raises(kind) as err:
        fn()
    return err.value.message, err.value.hint


def rows(shop: TestStore) -> tuple[int, ...]:
    with shop.db.read.connect() as conn:
        return tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (s.sales, s.sale_lines, s.tenders, s.journal)
        )


def sale_entries(shop: TestStore) -> list[Any]:
    return [e for e in journal_entries(shop.db.read, shop.terminal.terminal_id) if e.type == "SaleCompleted"]


def store(shop: TestStore, coin: str = "0.01", **kw: Any) -> StoreConfig:
    return dataclasses.replace(shop.cfg, smallest_coin=D(coin), **kw)


# --- a completed sale ----------------------------------------------------------------------


def test_a_paid_sale_is_recorded_as_priced_with_its_receipt_number_tenders_and_change(shop: TestStore) -> None:
    shop.clock.moment = AT
    maria = shop.user("Maria")
    before = len(sale_entries(shop))
    lines = basket(shop)
    sale = sell(shop, command(shop, lines, [cash("25.71", "30.00")]))
    assert (sale.subtotal, sale.tax_total, sale.total) == (D("23.97"), D("1.74"), D("25.71"))
    assert sale.change == D("4.29") and sale.rounding == 0
    assert sale.tenders == (cash("25.71", "30.00"),)
    assert (sale.store_id, sale.terminal_id) == ("S01", "T01")
    assert (sale.cashier_id, sale.cashier_name) == (maria.id, "Maria Lopez")
    assert sale.completed_at == AT
    assert sale.currency.code == "USD" and sale.prices_include_tax is False
    assert sale.receipt_number.startswith("S01-T01-")
    shirt, bag = sale.lines
    assert (shirt.id, shirt.line_no, shirt.item_id, shirt.sku, shirt.name) == (
        lines[0].id,
        1,
        lines[0].item.id,
        "APP-00004",
        "Men's Crew Neck T-Shirt, Navy, M",
    )
    assert (shirt.quantity, shirt.unit_price, shirt.amount, shirt.tax, shirt.gross) == (
        2,
        D("9.99"),
        D("19.98"),
        D("1.65"),
        D("21.63"),
    )
    assert (shirt.line_discount, shirt.order_discount, shirt.tax_code, shirt.tax_rate) == (0, 0, "A", D("0.0825"))
    assert (bag.id, bag.line_no, bag.sku, bag.quantity, bag.amount, bag.tax, bag.gross) == (
        lines[1].id,
        2,
        "GRO-00004",
        1,
        D("3.99"),
        D("0.09"),
        D("4.08"),
    )
    assert (bag.tax_code, bag.tax_rate) == ("B", D("0.0225"))
    assert [(t.tax.code, t.base, t.amount) for t in sale.taxes] == [
        ("A", D("19.98"), D("1.65")),
        ("B", D("3.99"), D("0.09")),
    ]
    with shop.db.read.connect() as conn:
        assert load_sale(conn, sale.receipt_number) == sale
    entries = sale_entries(shop)
    assert len(entries) == before + 1
    entry = entries[-1]
    body = entry.body_data()
    assert body == sale.journal_body()
    assert "customer_id" not in body and "exchange_id" not in body
    assert body["total"] == 2571 and body["tenders"][0]["tendered"] == 3000
    assert entry.at.startswith("2026-12-05T15:30:12")


def test_each_sale_takes_the_next_receipt_number(shop: TestStore) -> None:
    first = sell(shop, command(shop, basket(shop), [card("25.71")]))
    second = sell(shop, command(shop, basket(shop), [card("25.71")]))
    n = int(first.receipt_number.rsplit("-", 1)[1])
    assert second.receipt_number == shop.terminal.receipt_number(n + 1)
    assert first.id != second.id


def test_voided_lines_are_neither_checked_priced_nor_recorded(shop: TestStore) -> None:
    shirt, bag = basket(shop)
    void = CartLine(kettle(shop), 0, voided=True, discount=Discount(True, D("50")))  # quantity 0: never checked
    sale = sell(shop, command(shop, [shirt, void, bag], [cash("25.71")]))
    assert sale.total == D("25.71")
    assert [(ln.line_no, ln.sku) for ln in sale.lines] == [(1, "APP-00004"), (2, "GRO-00004")]
    assert void.id not in {ln.id for ln in sale.lines}


def test_the_customer_the_desk_attached_is_in_the_entry(shop: TestStore) -> None:
    from tests.db.test_accounts_rules import customer

    jane = customer(shop)
    sale = sell(shop, command(shop, basket(shop), [card("25.71")], customer_id=jane))
    body = sale_entries(shop)[-1].body_data()
    assert body["customer_id"] == jane
    assert body == {**sale.journal_body(), "customer_id": jane}


def test_an_exchange_sale_names_its_exchange_in_the_entry(shop: TestStore) -> None:
    cmd = command(shop, basket(shop), [card("25.71")])
    pricing = price_command(cmd, shop.cfg)
    with shop.uow() as uow:
        sale = record_sale(uow, cmd, pricing, AT, shop.cfg, shop.terminal, exchange_id="ex-42")
        uow.commit()
    entry = sale_entries(shop)[-1]
    assert entry.body_data() == {**sale.journal_body(), "exchange_id": "ex-42"}
    assert sale.completed_at == AT and entry.at.startswith("2026-12-05T15:30:12")


def test_a_sale_is_never_recorded_with_lines_its_pricing_does_not_cover(shop: TestStore) -> None:
    before = rows(shop)
    one = command(shop, [CartLine(tshirt(shop), 1)], [card("10.81")])
    two = command(shop, basket(shop), [card("25.71")])
    with shop.uow() as uow, pytest.raises(ValueError):
        record_sale(uow, two, price_command(one, shop.cfg), AT, shop.cfg, shop.terminal)
    with shop.uow() as uow, pytest.raises(ValueError):
        record_sale(uow, one, price_command(two, shop.cfg), AT, shop.cfg, shop.terminal)
    assert rows(shop) == before


def test_a_sale_by_card_and_cash_keeps_both_tenders_in_order(shop: TestStore) -> None:
    sale = sell(shop, command(shop, basket(shop), [card("20.00"), cash("5.71", "10.00")]))
    assert sale.tenders == (card("20.00"), cash("5.71", "10.00"))
    assert sale.change == D("4.29")
    tenders = sale_entries(shop)[-1].body_data()["tenders"]
    assert [(t["kind"], t["amount"], t["tendered"], t["card_last4"]) for t in tenders] == [
        ("card", 2000, 2000, "4242"),
        ("cash", 571, 1000, None),
    ]


def test_cash_rounding_to_a_five_cent_coin_is_recorded_with_the_sale(shop: TestStore) -> None:
    # 25.71 rounds to 25.70 with a 0.05 coin: the store gives up a cent
    sale = sell(
        shop, command(shop, basket(shop), [cash("25.70", "40.00")], rounding="-0.01"), store=store(shop, "0.05")
    )
    assert (sale.total, sale.rounding, sale.change) == (D("25.71"), D("-0.01"), D("14.30"))
    assert sale_entries(shop)[-1].body_data()["rounding"] == -1


# --- store credit ---------------------------------------------------------------------------


def test_store_credit_is_redeemed_against_the_voucher_balance_read_when_the_sale_commits(shop: TestStore) -> None:
    from tests.db.test_accounts_rules import customer, voucher

    code = voucher(shop, "20.00", customer(shop))
    # kettle 29.99 + 2.47 tax (2.474175) = 32.46: 20.00 from the voucher, 12.46 by card
    sale = sell(shop, command(shop, [CartLine(kettle(shop), 1)], [credit("20.00", code), card("12.46")]))
    assert sale.total == D("32.46")
    assert sale_entries(shop)[-1].body_data()["tenders"][0]["voucher"] == code
    with shop.uow() as uow:
        assert uow.vouchers.balance(code) == 0
    # another lane took the voucher's value first: the second sale is refused at commit
    before = rows(shop)
    cmd = command(shop, [CartLine(chips(shop), 1)], [credit("1.00", code), card("3.08")])
    assert refused(lambda: sell(shop, cmd), VoucherError) == (
        f"Voucher {code} holds only $0.00; it cannot pay $1.00.",
        "Take the balance from it and the rest with another tender.",
    )
    assert rows(shop) == before


def test_a_voucher_code_nobody_issued_pays_nothing(shop: TestStore) -> None:
    before = rows(shop)
    cmd = command(shop, [CartLine(chips(shop), 1)], [credit("4.08", "NOSUCHCODE")])
    message, _ = refused(lambda: sell(shop, cmd), VoucherError)
    assert message == "No store-credit voucher has the code NOSUCHCODE."
    assert rows(shop) == before


# --- who may sell, what may be sold ----------------------------------------------------------


def test_nothing_is_sold_without_an_open_shift_on_the_drawer(shop: TestStore) -> None:
    before = rows(shop)
    other = dataclasses.replace(shop.terminal, terminal_id="T09")
    cmd = command(shop, basket(shop), [cash("25.71")])
    assert refused(lambda: sell(shop, cmd, terminal=other), ShiftError) == (
        "No shift is open on this drawer, so nothing can be sold or refunded.",
        "Open a shift and count the float (Cash office, Ctrl+K).",
    )
    assert rows(shop) == before


def test_a_user_who_may_not_sell_is_refused_by_name(shop: TestStore) -> None:
    before = rows(shop)
    gone = dataclasses.replace(shop.user("Maria"), active=False)
    cmd = dataclasses.replace(command(shop, basket(shop), [cash("25.71")]), cashier=gone)
    assert refused(lambda: sell(shop, cmd), CartError) == ("Maria Lopez may not sell.", "Sign in as a cashier.")
    assert rows(shop) == before


@pytest.mark.parametrize("lines", ["none", "all voided"])
def test_a_sale_without_items_is_refused(shop: TestStore, lines: str) -> None:
    cart = [] if lines == "none" else [CartLine(tshirt(shop), 1, voided=True)]
    cmd = command(shop, cart, [cash("10.81")])
    assert refused(lambda: sell(shop, cmd), CartError) == ("The sale has no items.", "Scan an item first.")


def test_a_line_of_no_units_is_refused(shop: TestStore) -> None:
    cmd = command(shop, [CartLine(chips(shop), 1), CartLine(tshirt(shop), 0)], [cash("4.08")])
    message, _ = refused(lambda: sell(shop, cmd), InvalidQuantity)
    assert message == "The quantity must be at least 1."


@pytest.fixture
def cashiers_may_not_discount(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PERMISSIONS, Role.CASHIER, PERMISSIONS[Role.CASHIER] - {Permission.DISCOUNT})


@pytest.mark.parametrize("where", ["line", "order"])
def test_a_discount_needs_the_discount_permission(shop: TestStore, cashiers_may_not_discount: None, where: str) -> None:
    ten = Discount(True, D("10"))
    lines = [CartLine(tshirt(shop), 1, discount=ten if where == "line" else None)]
    # 9.99 less 1.00 (10 %, to the cent) = 8.99, + 0.74 tax (0.741675) = 9.73
    cmd = command(shop, lines, [cash("9.73")], order_discount=ten if where == "order" else None)
    assert refused(lambda: sell(shop, cmd), CartError) == ("Maria Lopez may not give discounts.", "Ask a supervisor.")
    dana = dataclasses.replace(cmd, cashier=shop.user("Dana"))  # a supervisor may
    assert sell(shop, dana).total == D("9.73")


def test_without_a_discount_the_discount_permission_is_not_needed(
    shop: TestStore, cashiers_may_not_discount: None
) -> None:
    discounted_void = CartLine(kettle(shop), 1, voided=True, discount=Discount(False, D("5.00")))
    sale = sell(shop, command(shop, [*basket(shop), discounted_void], [cash("25.71")]))
    assert sale.total == D("25.71")


def test_a_cashier_may_give_discounts(shop: TestStore) -> None:
    ten = Discount(True, D("10"))
    sale = sell(shop, command(shop, [CartLine(tshirt(shop), 1, discount=ten)], [card("9.73")]))
    assert (sale.lines[0].line_discount, sale.total) == (D("1.00"), D("9.73"))


# --- pricing the command ----------------------------------------------------------------------


def test_the_sale_is_priced_from_the_lines_not_the_screen(shop: TestStore) -> None:
    cmd = command(shop, [CartLine(tshirt(shop), 1), CartLine(kettle(shop), 1, voided=True)], [])
    assert price_command(cmd, shop.cfg).total == D("10.81")  # 9.99 + 0.82 (0.824175)
    inclusive = dataclasses.replace(shop.cfg, prices_include_tax=True)
    priced = price_command(cmd, inclusive)
    assert priced.total == D("9.99")  # the tax is inside the price
    assert priced.tax_total == D("0.76")  # 9.99 - 9.99 / 1.0825 = 0.7612...
    ordered = dataclasses.replace(cmd, order_discount=Discount(False, D("2.00")))
    assert price_command(ordered, shop.cfg).total == D("8.65")  # 7.99 + 0.66 (0.659175)


def test_a_sale_priced_with_tax_included_records_it(shop: TestStore) -> None:
    inclusive = dataclasses.replace(shop.cfg, prices_include_tax=True)
    sale = sell(shop, command(shop, [CartLine(tshirt(shop), 1)], [cash("9.99")]), store=inclusive)
    assert sale.prices_include_tax is True and sale.total == D("9.99")
    assert sale_entries(shop)[-1].body_data()["prices_include_tax"] is True


# --- settling the total (check_settlement) ------------------------------------------------------


def settle(shop: TestStore, total: str, tenders: list[Tender], rounding: str = "0", coin: str = "0.01") -> None:
    cmd = CompleteSale(shop.user("Maria"), [], None, tenders, D(rounding))
    check_settlement(cmd, D(total), store(shop, coin))


def settle_refused(
    shop: TestStore, total: str, tenders: list[Tender], rounding: str = "0", coin: str = "0.01"
) -> tuple[str, str]:
    return refused(lambda: settle(shop, total, tenders, rounding, coin), TenderError)


AGAIN = "Take the payment again."


def test_a_sale_without_a_payment_is_refused(shop: TestStore) -> None:
    assert settle_refused(shop, "25.71", []) == ("No payment was taken.", "Take cash (F9) or card (F10).")


@pytest.mark.parametrize(
    "tenders",
    [
        [cash("25.71")],
        [cash("25.71", "30.00")],
        [card("25.71")],
        [card("20.00"), cash("5.71", "100.00")],
        [card("25.70"), cash("0.01")],  # a cent is a payment
        [credit("25.71", "V-1")],
        [Tender(TenderKind.EXCHANGE_CREDIT, D("5.71"), D("5.71")), card("20.00")],
    ],
)
def test_payments_that_add_up_to_the_total_settle_it(shop: TestStore, tenders: list[Tender]) -> None:
    settle(shop, "25.71", tenders)


@pytest.mark.parametrize(
    ("tenders", "paid"),
    [([cash("25.70")], "$25.70"), ([card("25.72")], "$25.72"), ([card("20.00"), cash("5.00", "10.00")], "$25.00")],
)
def test_payments_that_do_not_add_up_to_the_total_are_refused_with_both_figures(
    shop: TestStore, tenders: list[Tender], paid: str
) -> None:
    assert settle_refused(shop, "25.71", tenders) == (f"The payments ({paid}) do not match the total ($25.71).", AGAIN)


def test_the_figures_of_a_refusal_are_in_the_stores_locale(shop: TestStore) -> None:
    german = store(shop, locale="de_DE")
    cmd = CompleteSale(shop.user("Maria"), [], None, [cash("25.75")], D("-0.01"))
    assert refused(lambda: check_settlement(cmd, D("25.71"), store(shop, "0.05", locale="de_DE")), TenderError)[0] == (
        "The payments (25,75\xa0$) do not match the total (25,70\xa0$)."  # a no-break space before $
    )
    cmd = CompleteSale(shop.user("Maria"), [], None, [card("25.70")], D("0"))
    assert refused(lambda: check_settlement(cmd, D("25.71"), german), TenderError)[0] == (
        "The payments (25,70\xa0$) do not match the total (25,71\xa0$)."
    )


def test_cash_rounding_settles_the_rounded_total(shop: TestStore) -> None:
    settle(shop, "25.71", [cash("25.70", "30.00")], rounding="-0.01", coin="0.05")
    settle(shop, "25.73", [cash("25.75")], rounding="0.02", coin="0.05")
    settle(shop, "25.73", [card("20.00"), cash("5.75", "10.00")], rounding="0.02", coin="0.05")
    assert settle_refused(shop, "25.71", [cash("25.71")], rounding="-0.01", coin="0.05") == (
        "The payments ($25.71) do not match the total ($25.70).",
        AGAIN,
    )


def test_cash_rounding_of_exactly_half_the_coin_is_allowed_and_more_is_not(shop: TestStore) -> None:
    # a 0.10 coin: 10.05 rounds half up to 10.10
    settle(shop, "10.05", [cash("10.10")], rounding="0.05", coin="0.10")
    assert settle_refused(shop, "10.04", [cash("10.10")], rounding="0.06", coin="0.10") == (
        "The cash rounding is larger than half the smallest coin.",
        AGAIN,
    )
    assert settle_refused(shop, "10.06", [cash("10.00")], rounding="-0.06", coin="0.10")[0] == (
        "The cash rounding is larger than half the smallest coin."
    )


def test_cash_rounding_must_land_on_the_coin(shop: TestStore) -> None:
    assert settle_refused(shop, "25.71", [cash("25.72")], rounding="0.01", coin="0.05") == (
        "The cash rounding does not match the smallest coin.",
        AGAIN,
    )


def test_cash_rounding_applies_only_when_cash_is_taken(shop: TestStore) -> None:
    assert settle_refused(shop, "25.71", [card("25.70")], rounding="-0.01", coin="0.05") == (
        "Cash rounding applies only to cash.",
        AGAIN,
    )


def test_a_card_pays_a_total_that_is_not_a_whole_coin_without_rounding(shop: TestStore) -> None:
    settle(shop, "25.71", [card("25.71")], coin="0.05")


def test_a_zero_cash_tender_settles_a_total_below_half_a_coin(shop: TestStore) -> None:
    settle(shop, "0.02", [cash("0.00")], rounding="-0.02", coin="0.05")
    settle(shop, "0.02", [cash("0.00", "1.00")], rounding="-0.02", coin="0.05")


@pytest.mark.parametrize(
    ("total", "tenders", "rounding"),
    [
        ("25.71", [card("25.71"), cash("0.00")], "0"),  # a zero cash tender without rounding
        ("0.02", [cash("0.00"), card("0.00")], "-0.02"),  # only cash may be zero, not a card
        ("25.71", [cash("-1.00"), card("26.71")], "0"),  # a negative tender
        ("25.71", [card("26.71"), cash("-1.00")], "0"),
        ("25.71", [cash("25.71", "25.70")], "0"),  # less handed over than it pays
        ("25.71", [cash("25.71", "0.00")], "0"),
    ],
)
def test_a_payment_of_zero_or_less_or_short_of_its_amount_is_refused(
    shop: TestStore, total: str, tenders: list[Tender], rounding: str
) -> None:
    assert settle_refused(shop, total, tenders, rounding, coin="0.05") == ("A payment amount is not valid.", AGAIN)


@pytest.mark.parametrize(
    "tender",
    [
        card("25.71", tendered="30.00"),
        Tender(TenderKind.STORE_CREDIT, D("25.71"), D("30.00"), voucher="V-1"),
        Tender(TenderKind.EXCHANGE_CREDIT, D("25.71"), D("25.72")),
    ],
)
def test_only_cash_gives_change(shop: TestStore, tender: Tender) -> None:
    assert settle_refused(shop, "25.71", [tender]) == ("Only cash can give change.", AGAIN)


@pytest.mark.parametrize("code", [None, ""])
def test_store_credit_needs_its_voucher_code(shop: TestStore, code: str | None) -> None:
    assert settle_refused(shop, "25.71", [credit("25.71", code)]) == (
        "A store-credit payment is missing its voucher code.",
        "Scan the voucher again.",
    )


def test_a_card_payment_needs_its_slip_details(shop: TestStore) -> None:
    assert settle_refused(shop, "25.71", [card("25.71", details=None)]) == (
        "A card payment is missing its details.",
        "Enter the card's brand, last 4 and approval code.",
    )


def test_a_refused_payment_writes_nothing(shop: TestStore) -> None:
    before = rows(shop)
    cmd = command(shop, basket(shop), [card("25.71", details=None)])
    refused(lambda: sell(shop, cmd), TenderError)
    assert rows(shop) == before
    assert EventType.SALE_COMPLETED == "SaleCompleted"
