"""counter.desk.orders' commands at their edges on a real store: the deposit's limits (the
minimum and the total are both taken), what a payment may take, the refusals with their
words, the journal entries HQ receives (amounts in cents) and a cancellation that needs a
supervisor. The flows end to end are in tests/db/test_desk_flows.py."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from counter.desk.customers import ContactDetails, create_customer
from counter.desk.orders import OrderKind, OrderLine, OrderStatus, cancel_order, open_order, pay_order, pick_up_order
from counter.desk.payments import Purpose
from counter.desk.service import DeskConfig, DeskError
from counter.errors import CounterError
from counter.returns.model import ApprovalNeeded
from counter.returns.policy import ApprovalKind
from counter.returns.refunds import RefundError, RefundMethod
from counter.sales.tenders import CardDetails, Tender, TenderKind
from counter.sales.vouchers import VoucherError
from db.queries import journal_entries
from tests.db.support import TestStore
from tests.db.test_desk_flows import grant

CENT = Decimal("0.01")
TAX_A = Decimal("0.0825")


def half_up(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def jane(shop: TestStore) -> str:
    details = ContactDetails.checked("Jane Doe", "(217) 555-0175", "")
    return create_customer(shop.user("Maria"), details, uow_factory=shop.uow, clock=shop.clock).id


def kw(shop: TestStore) -> dict[str, object]:
    return dict(uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)


def cash(amount: Decimal) -> Tender:
    return Tender(TenderKind.CASH, amount, amount)


def card(amount: Decimal, code: str = "OR0001") -> Tender:
    return Tender(TenderKind.CARD, amount, amount, CardDetails("Visa", "4242", code))


def bodies(shop: TestStore, kind: str) -> list[dict]:  # type: ignore[type-arg]
    return [e.body_data() for e in journal_entries(shop.db.read, "T01") if e.type == kind]


def desk_error(call, *args, **kwargs) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(DeskError) as info:
        call(*args, **kwargs)
    return info.value.message, info.value.hint


def open_layaway(shop: TestStore, customer: str, lines: list[OrderLine], deposit: list[Tender], **extra):  # type: ignore[no-untyped-def]
    return open_order(
        extra.pop("user", shop.user("Maria")),
        extra.pop("kind", OrderKind.LAYAWAY),
        customer,
        lines,
        deposit,
        rules=extra.pop("rules", DeskConfig().rules),
        **kw(shop),  # type: ignore[arg-type]
    )


def test_the_deposit_is_at_least_the_minimum_and_at_most_the_total(shop: TestStore) -> None:
    customer = jane(shop)
    item = shop.item_in("small-appliances")
    lines = [OrderLine(1, item, 2)]
    total = item.price * 2 + half_up(item.price * 2 * TAX_A)
    minimum = half_up(total * Decimal("0.20"))
    money = lambda a: shop.cfg.currency.format(a, shop.cfg.locale)  # noqa: E731
    assert desk_error(open_layaway, shop, customer, lines, [cash(minimum - CENT)]) == (
        f"The deposit must be at least {money(minimum)} of the {money(total)} total.",
        "Take a larger deposit.",
    )
    assert desk_error(open_layaway, shop, customer, lines, [cash(total), cash(CENT)]) == (
        f"The deposit is more than the {money(total)} total.",
        "Take at most the total.",
    )
    at_least = open_layaway(shop, customer, lines, [cash(minimum)]).order
    assert (at_least.paid, at_least.balance, at_least.total) == (minimum, total - minimum, total)
    whole = open_layaway(shop, customer, lines, [card(total)]).order
    assert whole.balance == 0 and whole.status is OrderStatus.OPEN


def test_an_order_needs_items_a_known_customer_and_a_cashier(shop: TestStore) -> None:
    customer = jane(shop)
    item = shop.item_in("small-appliances")
    assert desk_error(open_layaway, shop, customer, [], [cash(Decimal(100))]) == (
        "The order has no items.",
        "Scan the items the customer wants.",
    )
    assert desk_error(open_layaway, shop, "nobody", [OrderLine(1, item, 1)], [cash(item.price)]) == (
        "That customer is no longer on file.",
        "Look the customer up again.",
    )
    with pytest.raises(CounterError):
        open_layaway(shop, customer, [OrderLine(1, item, 0)], [cash(item.price)])
    gone = dataclasses.replace(shop.user("Maria"), active=False)
    assert desk_error(open_layaway, shop, customer, [OrderLine(1, item, 1)], [cash(item.price)], user=gone) == (
        "Maria Lopez may not take payments.",
        "Sign in as a cashier.",
    )
    assert bodies(shop, "OrderOpened") == []


def test_the_order_opened_entry_carries_its_lines_terms_and_deposit(shop: TestStore) -> None:
    customer = jane(shop)
    kettle, mug = shop.item_in("small-appliances"), shop.item_in("small-appliances", 1)
    opened = open_layaway(
        shop, customer, [OrderLine(1, kettle, 1), OrderLine(2, mug, 3)], [card(Decimal("50.00"), "DEP001")]
    )
    order = opened.order
    m = shop.cfg.currency.to_minor
    (body,) = bodies(shop, "OrderOpened")
    assert body["lines"] == [
        {
            "line_no": n,
            "item_id": it.id,
            "sku": it.sku,
            "name": it.name,
            "category_id": it.category_id,
            "qty": qty,
            "unit_price": m(it.price),
            "tax_code": it.tax.code,
            "tax_label": it.tax.label,
            "tax_rate": str(it.tax.rate),
        }
        for n, it, qty in ((1, kettle, 1), (2, mug, 3))
    ]
    expected = {
        "order_id": order.id,
        "number": order.number,
        "kind": "layaway",
        "customer_id": customer,
        "currency": "USD",
        "min_deposit": m(order.terms.min_deposit),
        "total": m(order.total),
        "tax": m(order.tax),
        "due": order.terms.due_on.isoformat(),
        "cancel_fee": m(order.terms.cancel_fee),
        "deposit_refundable": True,
        "user": shop.user("Maria").id,
    }
    assert {k: body[k] for k in expected} == expected
    deposit = body["deposit"]
    assert (deposit["purpose"], deposit["amount"], deposit["order_id"], deposit["reference"]) == (
        "deposit",
        5000,
        order.id,
        order.number,
    )
    assert deposit["tenders"][0]["approval_code"] == "DEP001"
    p = opened.payment
    assert p is not None and (p.purpose, p.amount, p.customer_id, p.order_id) == (
        Purpose.DEPOSIT,
        Decimal("50.00"),
        customer,
        order.id,
    )


def test_a_payment_takes_at_most_the_balance_and_says_what_is_left(shop: TestStore) -> None:
    customer = jane(shop)
    item = shop.item_in("small-appliances")
    order = open_layaway(shop, customer, [OrderLine(1, item, 2)], [cash(Decimal("20.00"))]).order
    maria = shop.user("Maria")
    money = shop.cfg.currency.format(order.balance, shop.cfg.locale)
    assert desk_error(pay_order, maria, order.id, [cash(order.balance + CENT)], **kw(shop)) == (
        f"Only {money} is owed on order {order.number}.",
        "Take at most the balance.",
    )
    assert desk_error(pay_order, maria, "no-order", [cash(CENT)], **kw(shop)) == (
        "That order is no longer on file.",
        "",
    )
    gone = dataclasses.replace(maria, active=False)
    assert desk_error(pay_order, gone, order.id, [cash(CENT)], **kw(shop))[0] == "Maria Lopez may not take payments."
    paid = pay_order(maria, order.id, [card(order.balance - Decimal("1.00"))], **kw(shop))  # type: ignore[arg-type]
    assert paid.order.balance == Decimal("1.00") and paid.order.paid == order.total - Decimal("1.00")
    assert paid.payment is not None and paid.payment.purpose is Purpose.ORDER_PAYMENT
    last = pay_order(maria, order.id, [cash(Decimal("1.00"))], **kw(shop))  # type: ignore[arg-type]
    assert last.order.balance == 0
    first, second = bodies(shop, "OrderPaymentTaken")
    assert (second["order_id"], second["number"], second["customer_id"], second["balance"], second["user"]) == (
        order.id,
        order.number,
        customer,
        0,
        maria.id,
    )
    assert first["balance"] == 100 and first["payment"]["amount"] == shop.cfg.currency.to_minor(order.balance - 1)
    assert first["payment"]["tenders"][0]["kind"] == "card"
    # paid in full: the pickup takes no more money, the deposits pay the sale
    done = pick_up_order(maria, order.id, [], Decimal(0), **kw(shop))  # type: ignore[arg-type]
    assert done.sale is not None and [(t.kind, t.amount) for t in done.sale.tenders] == [
        (TenderKind.DEPOSIT, order.total)
    ]
    assert done.order.status is OrderStatus.PICKED_UP and done.order.sale_id == done.sale.id
    (picked,) = bodies(shop, "OrderPickedUp")
    assert picked == {
        "order_id": order.id,
        "number": order.number,
        "customer_id": customer,
        "sale_id": done.sale.id,
        "receipt_number": done.sale.receipt_number,
        "deposits_applied": shop.cfg.currency.to_minor(order.total),
        "user": maria.id,
    }
    assert desk_error(pick_up_order, maria, order.id, [], Decimal(0), **kw(shop)) == (
        f"Order {order.number} is picked up.",
        "",
    )


def cancel(shop: TestStore, order_id: str, request_id: str, reason: str = "changed plans", **extra):  # type: ignore[no-untyped-def]
    return cancel_order(
        extra.pop("user", shop.user("Maria")),
        order_id,
        reason,
        extra.pop("method", RefundMethod.ORIGINAL),
        request_id,
        rules=shop.rules,
        **kw(shop),  # type: ignore[arg-type]
    )


def test_a_cash_refund_over_the_limit_waits_for_a_supervisor(shop: TestStore) -> None:
    customer = jane(shop)
    item = shop.item_in("small-appliances")
    total = item.price * 10 + half_up(item.price * 10 * TAX_A)
    order = open_layaway(shop, customer, [OrderLine(1, item, 10)], [cash(total)]).order
    fee = order.terms.cancel_fee
    refund = total - fee
    assert refund > shop.rules.cash_refund_approval_over
    request = str(uuid.uuid4())
    with pytest.raises(ApprovalNeeded) as needed:
        cancel(shop, order.id, request)
    assert needed.value.kinds == {ApprovalKind.CASH_REFUND_OVER_LIMIT} and needed.value.amount == refund
    money = shop.cfg.currency.format(refund, shop.cfg.locale)
    assert needed.value.message == f"A supervisor must approve: {ApprovalKind.CASH_REFUND_OVER_LIMIT.label} ({money})."
    assert bodies(shop, "OrderCancelled") == []
    grant(shop, request, needed.value.kinds, refund)
    result = cancel(shop, order.id, request, "  moving away  ")
    assert result.order.status is OrderStatus.CANCELLED and result.kept == fee
    p = result.payment
    assert p is not None and (p.purpose, p.amount, p.voucher_code) == (Purpose.ORDER_REFUND, refund, None)
    assert p.at == shop.clock.now() and p.order_id == order.id
    (body,) = bodies(shop, "OrderCancelled")
    m = shop.cfg.currency.to_minor
    assert {
        k: body[k] for k in ("order_id", "number", "customer_id", "paid", "kept", "reason", "approvals", "user")
    } == {
        "order_id": order.id,
        "number": order.number,
        "customer_id": customer,
        "paid": m(total),
        "kept": m(fee),
        "reason": "moving away",
        "approvals": ["cash_refund_over_limit"],
        "user": shop.user("Maria").id,
    }
    assert [(t["kind"], t["amount"]) for t in body["refund"]["tenders"]] == [("cash", -m(refund))]
    assert body["refund"]["purpose"] == "order_refund"


def test_a_cancellation_refund_as_store_credit_issues_a_voucher(shop: TestStore) -> None:
    customer = jane(shop)
    item = shop.item_in("small-appliances")
    order = open_layaway(shop, customer, [OrderLine(1, item, 2)], [card(Decimal("40.00"))]).order
    result = cancel(shop, order.id, str(uuid.uuid4()), method=RefundMethod.STORE_CREDIT)
    p = result.payment
    assert p is not None and p.voucher_code and p.amount == Decimal("40.00") - order.terms.cancel_fee
    (body,) = bodies(shop, "OrderCancelled")
    (part,) = body["refund"]["tenders"]
    assert (part["kind"], part["reference"]) == ("store_credit", p.voucher_code)
    assert body["approvals"] == []
    with shop.uow() as uow:
        balance = uow.vouchers.balance(p.voucher_code)
    assert balance == p.amount  # the voucher holds the refund


def test_a_special_order_cancelled_keeps_its_deposit_and_journals_no_refund(shop: TestStore) -> None:
    customer = jane(shop)
    item = shop.item_in("small-appliances")
    total = item.price + half_up(item.price * TAX_A)
    order = open_layaway(shop, customer, [OrderLine(1, item, 1)], [cash(total)], kind=OrderKind.SPECIAL_ORDER).order
    assert desk_error(cancel, shop, order.id, "r", " ") == ("Say why the order is cancelled.", "")
    result = cancel(shop, order.id, "r")
    assert (result.kept, result.payment) == (total, None)
    (body,) = bodies(shop, "OrderCancelled")
    assert (body["refund"], body["kept"], body["paid"]) == (None, *(shop.cfg.currency.to_minor(total),) * 2)
    gone = dataclasses.replace(shop.user("Maria"), active=False)
    assert desk_error(cancel, shop, order.id, "r", user=gone)[0] == "Maria Lopez may not take payments."
    assert desk_error(cancel, shop, "no-order", "r") == ("That order is no longer on file.", "")


def test_store_credit_pays_a_deposit_and_a_payment_up_to_its_balance(shop: TestStore) -> None:
    from tests.db.test_accounts_rules import voucher

    customer = jane(shop)
    item = shop.item_in("small-appliances")
    code = voucher(shop, "30.00", customer)
    credit = lambda a: Tender(TenderKind.STORE_CREDIT, a, a, None, code)  # noqa: E731
    with pytest.raises(VoucherError) as info:
        open_layaway(shop, customer, [OrderLine(1, item, 2)], [credit(Decimal("30.01"))])
    assert info.value.message == f"Voucher {code} holds only $30.00; it cannot pay $30.01."
    assert bodies(shop, "OrderOpened") == []
    opened = open_layaway(shop, customer, [OrderLine(1, item, 2)], [credit(Decimal("20.00"))])
    p = opened.payment
    assert p is not None and uuid.UUID(p.id) and p.number.startswith("S01-T01-P") and p.at == shop.clock.now()
    assert (p.user_id, p.terminal_id, p.reference) == (shop.user("Maria").id, "T01", opened.order.number)
    order = opened.order
    assert uuid.UUID(order.id) and order.number.startswith("S01-T01-") and order.created_at == shop.clock.now()
    assert (order.created_by, order.customer_id, order.kind) == (shop.user("Maria").id, customer, OrderKind.LAYAWAY)
    maria = shop.user("Maria")
    with pytest.raises(VoucherError):
        pay_order(maria, order.id, [credit(Decimal("10.01"))], **kw(shop))  # type: ignore[arg-type]
    paid = pay_order(maria, order.id, [credit(Decimal("10.00"))], **kw(shop))  # type: ignore[arg-type]
    q = paid.payment
    assert q is not None and uuid.UUID(q.id) and q.number != p.number and q.at == shop.clock.now()
    assert (q.customer_id, q.order_id, q.reference) == (customer, order.id, order.number)
    with shop.uow() as uow:
        assert uow.vouchers.balance(code) == 0


def test_only_store_credit_is_redeemed_from_a_voucher(shop: TestStore) -> None:
    customer = jane(shop)
    item = shop.item_in("small-appliances")
    order = open_layaway(shop, customer, [OrderLine(1, item, 2)], [cash(Decimal("20.00"))]).order
    # a cash payment that happens to carry a voucher field is cash: no voucher is looked up
    stray = Tender(TenderKind.CASH, Decimal("5.00"), Decimal("5.00"), None, "SC-NOPE")
    paid = pay_order(shop.user("Maria"), order.id, [stray], **kw(shop))  # type: ignore[arg-type]
    assert paid.order.paid == Decimal("25.00")


def test_a_pickup_that_no_longer_prices_to_the_agreed_total_is_refused(shop: TestStore) -> None:
    customer = jane(shop)
    item = shop.item_in("small-appliances")
    order = open_layaway(shop, customer, [OrderLine(1, item, 2)], [card(Decimal("60.00"))]).order
    inclusive = dataclasses.replace(shop.cfg, prices_include_tax=True)  # the store changed its tax setup
    with pytest.raises(DeskError) as info:
        pick_up_order(
            shop.user("Maria"),
            order.id,
            [cash(order.balance)],
            Decimal(0),
            uow_factory=shop.uow,
            clock=shop.clock,
            store=inclusive,
            terminal=shop.terminal,
        )
    assert (info.value.message, info.value.hint) == (
        f"Order {order.number} no longer prices to its agreed total.",
        "Ask a manager to check the tax setup.",
    )
    assert bodies(shop, "OrderPickedUp") == []


def test_a_cash_refund_of_a_cancellation_is_limited_by_the_drawer(shop: TestStore) -> None:
    customer = jane(shop)
    item = shop.item_in("small-appliances")
    total = item.price * 20 + half_up(item.price * 20 * TAX_A)
    order = open_layaway(shop, customer, [OrderLine(1, item, 20)], [card(total)]).order
    with shop.uow() as uow:
        in_drawer = uow.shifts.expected_cash(uow.shifts.current("T01"))  # type: ignore[arg-type]
    refund = total - order.terms.cancel_fee
    assert refund > in_drawer
    with pytest.raises(RefundError) as info:
        cancel(shop, order.id, "r", method=RefundMethod.CASH)
    money = lambda a: shop.cfg.currency.format(a, shop.cfg.locale)  # noqa: E731
    assert info.value.message == (
        f"The refund needs {money(refund)} in cash, but the drawer should hold only {money(in_drawer)}."
    )


def test_the_due_date_counts_from_the_stores_own_day(shop: TestStore) -> None:
    customer = jane(shop)
    item = shop.item_in("small-appliances")
    # 03:00 UTC on December 7 is still December 6 in the store (America/Chicago)
    shop.clock.moment = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    order = open_layaway(shop, customer, [OrderLine(1, item, 1)], [cash(Decimal("20.00"))]).order
    assert order.terms.due_on == date(2026, 12, 6) + timedelta(days=60)


def test_the_deposit_refusal_names_money_in_the_stores_locale(shop: TestStore) -> None:
    customer = jane(shop)
    item = shop.item_in("small-appliances")
    total = item.price + half_up(item.price * TAX_A)
    canadian = dataclasses.replace(shop.cfg, locale="en_CA")
    with pytest.raises(DeskError) as info:
        open_order(
            shop.user("Maria"),
            OrderKind.LAYAWAY,
            customer,
            [OrderLine(1, item, 1)],
            [cash(total + CENT)],
            rules=DeskConfig().rules,
            uow_factory=shop.uow,
            clock=shop.clock,
            store=canadian,
            terminal=shop.terminal,
        )
    assert info.value.message == f"The deposit is more than the US${total} total."
