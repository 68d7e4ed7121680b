"""Special orders and layaways: items held (or ordered) for a customer against a deposit,
the balance paid over time and collected at pickup, or the order cancelled under the
policy stated on its agreement.

* Opening records the order, its lines at today's prices and taxes, the stated terms
  (minimum deposit, due date, what a cancellation keeps) and the deposit, in one unit of
  work. The agreement (printed and PDF) shows exactly those terms.
* Each later payment is a desk payment; the balance owed is always total − paid.
* Pickup is the sale: the order's lines become a Sale whose tenders are what was paid
  before (``TenderKind.DEPOSIT``) and what is paid now, so sales, tax and the returned-
  quantity ledger see an ordinary sale from then on.
* Cancellation keeps the fee the terms state (never more than was paid) and refunds the
  rest to the tenders that paid, through ``allocate_refund`` (cash capped by the drawer).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from counter.cash.shifts import require_open_shift
from counter.catalog import Item
from counter.dates import show_date
from counter.desk.payments import DeskPayment, Purpose, check_tenders, payment_fields, record_payment
from counter.desk.service import DeskError, ServiceRules
from counter.i18n import N_, _, in_sentence
from counter.journal import EventType
from counter.money import ZERO, Currency
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.returns.model import ApprovalNeeded
from counter.returns.policy import ReturnRules
from counter.returns.refunds import Allocation, PaidTender, RefundMethod, allocate_refund
from counter.sales.cart import CartLine, check_quantity
from counter.sales.checkout import CompleteSale, check_settlement, price_command, record_sale
from counter.sales.pricing import LineInput, price_lines
from counter.sales.sale import Sale
from counter.sales.tenders import Tender, TenderKind
from counter.sales.vouchers import new_voucher_code
from counter.store import StoreConfig, TerminalIdentity

HUNDRED = Decimal(100)


class OrderKind(enum.StrEnum):
    LAYAWAY = "layaway"
    SPECIAL_ORDER = "special_order"

    @property
    def label(self) -> str:
        return _({"layaway": N_("Layaway"), "special_order": N_("Special order")}[self.value])


class OrderStatus(enum.StrEnum):
    OPEN = "open"
    PICKED_UP = "picked_up"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        # Translators: an order's status
        return _({"open": N_("Open"), "picked_up": N_("Picked up"), "cancelled": N_("Cancelled")}[self.value])


@dataclass(frozen=True)
class Terms:
    """What the customer agrees to, printed on the agreement and kept with the order."""

    min_deposit: Decimal
    due_on: date
    cancel_fee: Decimal  # what a cancellation keeps, at most what was paid
    deposit_refundable: bool

    def lines(self, kind: OrderKind, money: Callable[[Decimal], str], locale: str = "en_US") -> tuple[str, ...]:
        deposit = (
            N_("A deposit of at least {deposit} is paid today; the items are held for you.")
            if kind is OrderKind.LAYAWAY
            else N_("A deposit of at least {deposit} is paid today; the items are ordered for you.")
        )
        out = [
            _(deposit).format(deposit=money(self.min_deposit)),
            _("Pay the balance and collect the items by {date}.").format(
                date=show_date(self.due_on, locale, form="long")
            ),
            _("Payments of any amount can be made at the service desk until then."),
        ]
        if self.deposit_refundable:
            out.append(
                _(
                    "If you cancel, everything paid is refunded less a cancellation fee of {fee}, "
                    "to the card or cash that paid it."
                ).format(fee=money(self.cancel_fee))
            )
        else:
            out.append(_("Special-ordered items are bought for you: if you cancel, the deposit is not refunded."))
        out.append(_("Prices are those of today and do not change."))
        return tuple(out)


def terms_for(kind: OrderKind, total: Decimal, rules: ServiceRules, today: date, currency: Currency) -> Terms:
    if kind is OrderKind.LAYAWAY:
        min_deposit = currency.quantize(total * rules.layaway_min_deposit_percent / HUNDRED)
        fee = max(rules.layaway_cancel_fee_min, currency.quantize(total * rules.layaway_cancel_fee_percent / HUNDRED))
        return Terms(min_deposit, today + timedelta(days=rules.layaway_days), min(fee, total), True)
    min_deposit = currency.quantize(total * rules.special_order_deposit_percent / HUNDRED)
    refundable = rules.special_order_deposit_refundable
    return Terms(min_deposit, today + timedelta(days=rules.special_order_days), ZERO, refundable)


@dataclass(frozen=True)
class OrderLine:
    line_no: int
    item: Item  # with the price agreed
    quantity: int


@dataclass(frozen=True)
class Order:
    id: str
    number: str
    kind: OrderKind
    customer_id: str
    status: OrderStatus
    created_at: datetime
    created_by: str
    lines: tuple[OrderLine, ...]
    total: Decimal
    tax: Decimal
    terms: Terms
    paid: Decimal = ZERO  # payments in, less refunds
    sale_id: str | None = None

    @property
    def balance(self) -> Decimal:
        return self.total - self.paid


@dataclass(frozen=True)
class OrderResult:
    order: Order
    payment: DeskPayment | None = None
    sale: Sale | None = None
    kept: Decimal = ZERO  # cancellation: what the policy kept


def _cart_lines(lines: Sequence[OrderLine]) -> list[CartLine]:
    return [CartLine(item=ln.item, quantity=ln.quantity) for ln in lines]


def order_total(lines: Sequence[OrderLine], store: StoreConfig) -> tuple[Decimal, Decimal]:
    pricing = price_lines(
        [LineInput(ln.item.price, ln.quantity, ln.item.tax, None) for ln in lines],
        store.currency,
        prices_include_tax=store.prices_include_tax,
    )
    return pricing.total, sum((p.tax for p in pricing.lines), ZERO)


def _may_take_money(user: User) -> None:
    if not user.can(Permission.SELL):
        raise DeskError(_("{name} may not take payments.").format(name=user.name), _("Sign in as a cashier."))


def open_order(
    user: User,
    kind: OrderKind,
    customer_id: str,
    lines: Sequence[OrderLine],
    deposit: Sequence[Tender],
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    rules: ServiceRules,
) -> OrderResult:
    _may_take_money(user)
    if not lines:
        raise DeskError(_("The order has no items."), _("Scan the items the customer wants."))
    for ln in lines:
        check_quantity(ln.quantity)
    total, tax = order_total(lines, store)
    amount = sum((t.amount for t in deposit), ZERO)
    with uow_factory() as uow:
        require_open_shift(uow, terminal.terminal_id)
        now = clock.now()
        if uow.customers.get(customer_id) is None:
            raise DeskError(_("That customer is no longer on file."), _("Look the customer up again."))
        terms = terms_for(kind, total, rules, now.astimezone(store.zone).date(), store.currency)
        money = _money(store)
        if amount < terms.min_deposit:
            raise DeskError(
                _("The deposit must be at least {deposit} of the {total} total.").format(
                    deposit=money(terms.min_deposit), total=money(total)
                ),
                _("Take a larger deposit."),
            )
        if amount > total:
            raise DeskError(
                _("The deposit is more than the {amount} total.").format(amount=money(total)),
                _("Take at most the total."),
            )
        check_tenders(deposit, amount, store.currency)
        order = Order(
            str(uuid.uuid4()),
            uow.desk.next_number(terminal, "order"),
            kind,
            customer_id,
            OrderStatus.OPEN,
            now,
            user.id,
            tuple(lines),
            total,
            tax,
            terms,
            amount,
        )
        payment = _payment(uow, terminal, Purpose.DEPOSIT, amount, now, user, order, deposit)
        record_payment(uow, payment, store.currency, user)
        m = store.currency.to_minor
        # the order, its lines, the deposit and the customer's links are this entry's projection
        uow.journal.append(
            EventType.ORDER_OPENED,
            {
                "order_id": order.id,
                "number": order.number,
                "kind": str(kind),
                "customer_id": customer_id,
                "lines": [
                    {
                        "line_no": ln.line_no,
                        "item_id": ln.item.id,
                        "sku": ln.item.sku,
                        "name": ln.item.name,
                        "category_id": ln.item.category_id,
                        "qty": ln.quantity,
                        "unit_price": m(ln.item.price),
                        "tax_code": ln.item.tax.code,
                        "tax_label": ln.item.tax.label,
                        "tax_rate": str(ln.item.tax.rate),
                    }
                    for ln in order.lines
                ],
                "currency": store.currency.code,
                "min_deposit": m(terms.min_deposit),
                "total": m(total),
                "tax": m(tax),
                "due": terms.due_on.isoformat(),
                "cancel_fee": m(terms.cancel_fee),
                "deposit_refundable": terms.deposit_refundable,
                "deposit": _payment_body(payment, store.currency),
                "user": user.id,
            },
            now,
        )
        uow.commit()
    return OrderResult(order, payment)


def _payment(
    uow: UnitOfWork,
    terminal: TerminalIdentity,
    purpose: Purpose,
    amount: Decimal,
    now: datetime,
    user: User,
    order: Order,
    tenders: Sequence[Tender],
) -> DeskPayment:
    return DeskPayment(
        id=str(uuid.uuid4()),
        number=uow.desk.next_number(terminal, "payment"),
        purpose=purpose,
        amount=amount,
        at=now,
        user_id=user.id,
        terminal_id=terminal.terminal_id,
        customer_id=order.customer_id,
        order_id=order.id,
        tenders=tuple(tenders),
        reference=order.number,
    )


def _payment_body(payment: DeskPayment, currency: Currency) -> dict[str, object]:
    return {**payment_fields(payment, currency), "tenders": payment.journal_tenders(currency)}


def _money(store: StoreConfig) -> Callable[[Decimal], str]:
    return lambda a: store.currency.format(a, store.locale)


def _open_order(uow: UnitOfWork, order_id: str) -> Order:
    order = uow.desk.get_order(order_id)
    if order is None:
        raise DeskError(_("That order is no longer on file."), "")
    if order.status is not OrderStatus.OPEN:
        raise DeskError(
            _("Order {number} is {label}.").format(number=order.number, label=in_sentence(order.status.label)), ""
        )
    return order


def pay_order(
    user: User,
    order_id: str,
    tenders: Sequence[Tender],
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
) -> OrderResult:
    """A payment towards the balance (at most the balance)."""
    _may_take_money(user)
    amount = sum((t.amount for t in tenders), ZERO)
    with uow_factory() as uow:
        require_open_shift(uow, terminal.terminal_id)
        order = _open_order(uow, order_id)
        money = _money(store)
        if amount > order.balance:
            raise DeskError(
                _("Only {amount} is owed on order {number}.").format(amount=money(order.balance), number=order.number),
                _("Take at most the balance."),
            )
        check_tenders(tenders, amount, store.currency)
        now = clock.now()
        payment = _payment(uow, terminal, Purpose.ORDER_PAYMENT, amount, now, user, order, tenders)
        record_payment(uow, payment, store.currency, user)
        order = replace(order, paid=order.paid + amount)
        uow.journal.append(
            EventType.ORDER_PAYMENT_TAKEN,
            {
                "order_id": order.id,
                "number": order.number,
                "customer_id": order.customer_id,
                "payment": _payment_body(payment, store.currency),
                "balance": store.currency.to_minor(order.balance),
                "user": user.id,
            },
            now,
        )
        uow.commit()
    return OrderResult(order, payment)


def pick_up_order(
    user: User,
    order_id: str,
    tenders: Sequence[Tender],
    rounding: Decimal,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
) -> OrderResult:
    """The customer collects: the order becomes a sale paid by the deposits and ``tenders``
    (the balance, if any is left)."""
    _may_take_money(user)
    with uow_factory() as uow:
        require_open_shift(uow, terminal.terminal_id)
        order = _open_order(uow, order_id)
        paid_before = [Tender(TenderKind.DEPOSIT, order.paid, order.paid)] if order.paid else []
        cmd = CompleteSale(user, _cart_lines(order.lines), None, [*paid_before, *tenders], rounding, order.customer_id)
        pricing = price_command(cmd, store)
        if pricing.total != order.total:
            raise DeskError(
                _("Order {number} no longer prices to its agreed total.").format(number=order.number),
                _("Ask a manager to check the tax setup."),
            )
        check_settlement(cmd, pricing.total, store)
        now = clock.now()
        sale = record_sale(uow, cmd, pricing, now, store, terminal)
        uow.journal.append(
            EventType.ORDER_PICKED_UP,
            {
                "order_id": order.id,
                "number": order.number,
                "customer_id": order.customer_id,
                "sale_id": sale.id,
                "receipt_number": sale.receipt_number,
                "deposits_applied": store.currency.to_minor(order.paid),
                "user": user.id,
            },
            now,
        )
        uow.commit()
    return OrderResult(replace(order, status=OrderStatus.PICKED_UP, sale_id=sale.id), None, sale)


@dataclass(frozen=True)
class CancelQuote:
    kept: Decimal
    refund: Decimal
    allocation: Allocation


def quote_cancel(
    order: Order,
    paid: Sequence[PaidTender],
    method: RefundMethod,
    *,
    drawer_cash: Decimal,
    rules: ReturnRules,
    store: StoreConfig,
) -> CancelQuote:
    kept = order.paid if not order.terms.deposit_refundable else min(order.terms.cancel_fee, order.paid)
    refund = order.paid - kept
    allocation = allocate_refund(refund, paid, method, drawer_cash=drawer_cash, rules=rules, format_money=_money(store))
    return CancelQuote(kept, refund, allocation)


def cancel_order(
    user: User,
    order_id: str,
    reason: str,
    method: RefundMethod,
    request_id: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    rules: ReturnRules,
) -> OrderResult:
    """Cancel under the order's stated terms; the refund goes back to the tenders that paid."""
    _may_take_money(user)
    if not reason.strip():
        raise DeskError(_("Say why the order is cancelled."), "")
    with uow_factory() as uow:
        require_open_shift(uow, terminal.terminal_id)
        order = _open_order(uow, order_id)
        shift = uow.shifts.current(terminal.terminal_id)
        drawer = uow.shifts.expected_cash(shift) if shift else ZERO
        paid = uow.desk.order_tenders(order.id)
        q = quote_cancel(order, paid, method, drawer_cash=drawer, rules=rules, store=store)
        granted = uow.approvals.granted(request_id, user.id)
        missing = frozenset(k for k in q.allocation.approvals if granted.get(k) != q.refund)
        if missing:
            raise ApprovalNeeded(missing, q.refund, _money(store)(q.refund))
        now = clock.now()
        payment = None
        if q.refund:
            voucher = new_voucher_code() if any(p.kind is TenderKind.STORE_CREDIT for p in q.allocation.parts) else None
            payment = replace(
                _payment(uow, terminal, Purpose.ORDER_REFUND, q.refund, now, user, order, ()),
                parts=q.allocation.parts,
                voucher_code=voucher,
            )
            record_payment(uow, payment, store.currency, user)
        m = store.currency.to_minor
        uow.journal.append(
            EventType.ORDER_CANCELLED,
            {
                "order_id": order.id,
                "number": order.number,
                "customer_id": order.customer_id,
                "paid": m(order.paid),
                "kept": m(q.kept),
                "refund": _payment_body(payment, store.currency) if payment else None,
                "reason": reason.strip(),
                "approvals": sorted(str(k) for k in q.allocation.approvals),
                "user": user.id,
            },
            now,
        )
        uow.commit()
    return OrderResult(replace(order, status=OrderStatus.CANCELLED), payment, None, q.kept)
