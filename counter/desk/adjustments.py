"""Bill adjustments: a price adjustment on a past purchase (the price dropped within the
store's window, or a competitor's price matched) and a goodwill credit.

Each has a reason, goes through the approval rules (an approval bound to this request
and this exact amount, by someone other than the cashier: ``counter.trust.approvals``), and is
refunded to the original tenders or as store credit by ``counter.returns.refunds.allocate_refund``
with what was already refunded of the sale (returns and earlier adjustments) taken off
each tender first. A price adjustment refunds the difference on the units not yet
returned, with its tax; it enters the sale line's ledger, so a later return of those units
refunds what the customer paid net of the adjustment.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from counter.cash.shifts import require_open_shift
from counter.desk.customers import CustomerError
from counter.desk.payments import DeskPayment, Purpose, payment_fields, record_payment
from counter.desk.service import DeskError, ServiceRules
from counter.i18n import N_, _
from counter.journal import EventType
from counter.money import ZERO, Currency
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.returns.lookup import find_sale
from counter.returns.model import ApprovalNeeded, Returned, ReturnError
from counter.returns.policy import ApprovalKind, ReturnRules
from counter.returns.proration import split_gross
from counter.returns.refunds import Allocation, PaidTender, RefundMethod, allocate_refund
from counter.sales.sale import Sale, SaleLine
from counter.sales.tenders import TenderKind
from counter.sales.vouchers import new_voucher_code
from counter.store import StoreConfig, TerminalIdentity


class AdjustmentKind(enum.StrEnum):
    PRICE_DROP = "price_drop"
    PRICE_MATCH = "price_match"
    GOODWILL = "goodwill"

    @property
    def label(self) -> str:
        return _(_ADJUSTMENT_LABELS[self.value])


_ADJUSTMENT_LABELS = {
    "price_drop": N_("Price drop"),
    "price_match": N_("Price match"),
    "goodwill": N_("Goodwill credit"),
}


@dataclass(frozen=True)
class AdjustBill:
    request_id: str  # approvals are bound to it
    cashier: User
    kind: AdjustmentKind
    reason: str
    refund_method: RefundMethod = RefundMethod.ORIGINAL
    customer_id: str | None = None
    receipt: str | None = None  # the purchase; optional only for a goodwill credit
    sale_line_id: str | None = None
    quantity: int = 1
    new_price: Decimal | None = None  # price match: the competitor's price (as the store shows prices)
    competitor: str = ""
    amount: Decimal | None = None  # goodwill: the credit, tax included


@dataclass(frozen=True)
class AdjustmentQuote:
    kind: AdjustmentKind
    amount: Decimal  # net of tax
    tax: Decimal
    gross: Decimal  # what the customer gets back
    allocation: Allocation
    approvals: frozenset[ApprovalKind]
    line_name: str = ""
    unit_paid: Decimal = ZERO  # per unit, as the store shows prices
    unit_new: Decimal = ZERO


@dataclass
class AdjustContext:
    sale: Sale | None
    line: SaleLine | None = None
    returned: Returned = field(default_factory=Returned)
    paid: tuple[PaidTender, ...] = ()
    drawer_cash: Decimal = ZERO
    shelf_price: Decimal | None = None  # the item's price today


@dataclass(frozen=True)
class AdjustmentRecord:
    id: str
    number: str
    kind: AdjustmentKind
    quote: AdjustmentQuote
    payment: DeskPayment
    sale_id: str | None
    receipt: str | None
    sale_line_id: str | None
    quantity: int
    reason: str
    competitor: str
    customer_id: str | None
    at: datetime

    @property
    def voucher_code(self) -> str | None:
        return self.payment.voucher_code


def load_adjust_context(
    uow: UnitOfWork, cmd: AdjustBill, store: StoreConfig, terminal: TerminalIdentity
) -> AdjustContext:
    shift = uow.shifts.current(terminal.terminal_id)
    drawer = uow.shifts.expected_cash(shift) if shift else ZERO
    if not cmd.receipt:
        return AdjustContext(None, drawer_cash=drawer)
    sale = find_sale(uow, cmd.receipt, store)
    refunded = uow.returns.refunded_per_tender(sale.id)
    paid = tuple(
        PaidTender(n, t.kind, t.amount, refunded.get(n, ZERO), t.card, t.voucher)
        for n, t in enumerate(sale.tenders, start=1)
        if t.kind in (TenderKind.CASH, TenderKind.CARD, TenderKind.STORE_CREDIT)
    )
    ctx = AdjustContext(sale, paid=paid, drawer_cash=drawer)
    if cmd.sale_line_id:
        line = next((ln for ln in sale.lines if ln.id == cmd.sale_line_id), None)
        if line is None:
            raise DeskError(
                _("That line is not on receipt {receipt_number}.").format(receipt_number=sale.receipt_number),
                _("Pick the line again."),
            )
        ctx.line = line
        ctx.returned = uow.returns.returned_for(sale.id).get(line.id, Returned())
        ctx.shelf_price = uow.desk.current_price(line.item_id)
    return ctx


def quote_adjustment(
    cmd: AdjustBill,
    ctx: AdjustContext,
    *,
    store: StoreConfig,
    rules: ReturnRules,
    desk_rules: ServiceRules,
    now: datetime,
) -> AdjustmentQuote:
    cur = store.currency
    if not cmd.reason.strip():
        raise DeskError(_("Say why the bill is adjusted."), _("For example: “advertised price from Sunday's flyer”."))
    approvals: set[ApprovalKind] = set()
    name, unit_paid, unit_new = "", ZERO, ZERO
    if cmd.kind is AdjustmentKind.GOODWILL:
        if cmd.amount is None or cmd.amount <= 0:
            raise DeskError(_("Type the amount of the goodwill credit."), "")
        cur.to_minor(cmd.amount)
        gross, amount, tax = cmd.amount, cmd.amount, ZERO
        if ctx.sale is not None and cmd.refund_method is not RefundMethod.STORE_CREDIT:
            left = sum((p.refundable for p in ctx.paid), ZERO)
            if gross > left:
                raise DeskError(
                    _("Only {amount} of receipt {receipt_number} can still go back to its payments.").format(
                        amount=cur.format(left, store.locale), receipt_number=ctx.sale.receipt_number
                    ),
                    _("Give the goodwill credit as store credit (F8), or lower it."),
                )
        approvals.add(ApprovalKind.GOODWILL)
    else:
        sale, line = ctx.sale, ctx.line
        if sale is None or line is None:
            raise DeskError(
                _("A price adjustment is on a line of a past purchase."), _("Scan the receipt and pick the line.")
            )
        name = line.name
        age = now - sale.completed_at
        if cmd.kind is AdjustmentKind.PRICE_DROP:
            if age > timedelta(days=desk_rules.price_adjustment_days):
                raise DeskError(
                    _(
                        "{name} was bought {days} days ago; price drops are adjusted within "
                        "{price_adjustment_days} days."
                    ).format(name=line.name, days=age.days, price_adjustment_days=desk_rules.price_adjustment_days),
                    _("Explain the policy; a goodwill credit needs a manager."),
                )
            if ctx.shelf_price is None:
                raise DeskError(
                    _("{name} is no longer in the catalog.").format(name=line.name),
                    _("Use a price match with the price shown."),
                )
            new_price = ctx.shelf_price
        else:
            if cmd.new_price is None or cmd.new_price < 0:
                raise DeskError(_("Type the competitor's price."), _("As the customer shows it (ad, web page)."))
            if not cmd.competitor.strip():
                raise DeskError(_("Name the competitor whose price is matched."), "")
            new_price = cmd.new_price
            approvals.add(ApprovalKind.PRICE_MATCH)
        units_left = line.quantity - ctx.returned.quantity
        if not 0 < cmd.quantity <= units_left:
            raise DeskError(
                _("{units_left} of {name} can still be adjusted ({bought} bought, {returned} returned).").format(
                    units_left=units_left, name=line.name, bought=line.quantity, returned=ctx.returned.quantity
                ),
                _("Lower the quantity."),
            )
        amount, tax, gross, unit_paid = price_difference(
            line, ctx.returned, cmd.quantity, new_price, cur, store.prices_include_tax
        )
        unit_new = new_price
        if gross <= 0:
            raise DeskError(
                _(
                    "{name} costs {price} now; the customer paid {paid} a unit, so there is nothing to give back."
                ).format(
                    name=line.name, price=cur.format(new_price, store.locale), paid=cur.format(unit_paid, store.locale)
                ),
                "",
            )
        if gross > desk_rules.adjustment_approval_over:
            approvals.add(ApprovalKind.PRICE_ADJUSTMENT)
    allocation = allocate_refund(
        gross,
        ctx.paid,
        cmd.refund_method if ctx.sale is not None else RefundMethod.STORE_CREDIT,
        drawer_cash=ctx.drawer_cash,
        rules=rules,
        format_money=lambda a: cur.format(a, store.locale),
    )
    approvals |= allocation.approvals
    return AdjustmentQuote(cmd.kind, amount, tax, gross, allocation, frozenset(approvals), name, unit_paid, unit_new)


def price_difference(
    line: SaleLine, returned: Returned, k: int, new_price: Decimal, currency: Currency, prices_include_tax: bool
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(amount net of tax, tax, gross, unit paid) given back for ``k`` units now priced ``new_price``.

    What a unit still holds is what is left of the line (after returns and earlier
    adjustments) over the units left, so adjusting twice never gives back more. Net and
    tax are each capped at what is left of them on the line (``counter.returns.proration.split_gross``):
    the tax on the difference can round above the line's own share of its rate's tax, and
    the line's ledger must never go below zero, or a later return would refund a negative
    tax or more than was paid."""
    left = line.quantity - returned.quantity
    gross_left = line.gross - returned.gross
    tax_left = line.tax - returned.tax
    net_left = gross_left - tax_left
    rate = line.tax_rate
    if prices_include_tax:
        unit_paid = gross_left / left
        gross = min(currency.quantize((unit_paid - new_price) * k), gross_left)
        net, tax = split_gross(gross, currency.quantize(gross * rate / (1 + rate)), net_left, tax_left)
        return net, tax, gross, currency.quantize(unit_paid)
    unit_paid = net_left / left
    net = min(currency.quantize((unit_paid - new_price) * k), net_left)
    tax = max(ZERO, min(currency.quantize(net * rate), tax_left))
    return net, tax, net + tax, currency.quantize(unit_paid)


def adjust_bill(
    cmd: AdjustBill,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    rules: ReturnRules,
    desk_rules: ServiceRules,
) -> AdjustmentRecord:
    if not cmd.cashier.can(Permission.RETURN):
        raise ReturnError(_("{name} may not adjust bills.").format(name=cmd.cashier.name), _("Ask a supervisor."))
    with uow_factory() as uow:
        now = clock.now()
        require_open_shift(uow, terminal.terminal_id)
        if cmd.customer_id and uow.customers.get(cmd.customer_id) is None:
            raise CustomerError(_("That customer is no longer on file."), _("Look the customer up again."))
        ctx = load_adjust_context(uow, cmd, store, terminal)
        q = quote_adjustment(cmd, ctx, store=store, rules=rules, desk_rules=desk_rules, now=now)
        granted = uow.approvals.granted(cmd.request_id, cmd.cashier.id)
        missing = frozenset(k for k in q.approvals if granted.get(k) != q.gross)
        if missing:
            raise ApprovalNeeded(missing, q.gross, store.currency.format(q.gross, store.locale))
        adjustment_id = str(uuid.uuid4())
        voucher = new_voucher_code() if any(p.kind is TenderKind.STORE_CREDIT for p in q.allocation.parts) else None
        payment = DeskPayment(
            id=str(uuid.uuid4()),
            number=uow.desk.next_number(terminal, "payment"),
            purpose=Purpose.GOODWILL if cmd.kind is AdjustmentKind.GOODWILL else Purpose.PRICE_ADJUSTMENT,
            amount=q.gross,
            at=now,
            user_id=cmd.cashier.id,
            terminal_id=terminal.terminal_id,
            customer_id=cmd.customer_id,
            parts=q.allocation.parts,
            original_sale_id=ctx.sale.id if ctx.sale else None,
            voucher_code=voucher,
            reference=adjustment_id,
        )
        record = AdjustmentRecord(
            adjustment_id,
            uow.desk.next_number(terminal, "adjustment"),
            cmd.kind,
            q,
            payment,
            ctx.sale.id if ctx.sale else None,
            ctx.sale.receipt_number if ctx.sale else None,
            ctx.line.id if ctx.line else None,
            cmd.quantity if ctx.line else 0,
            cmd.reason.strip(),
            cmd.competitor.strip(),
            cmd.customer_id,
            now,
        )
        record_payment(uow, payment, store.currency, cmd.cashier)  # first: the adjustment row refers to it
        uow.journal.append(EventType.BILL_ADJUSTED, adjustment_body(record, store, cmd.request_id), now)
        uow.commit()
    return record


def adjustment_body(record: AdjustmentRecord, store: StoreConfig, request_id: str) -> dict[str, Any]:
    m = store.currency.to_minor
    q = record.quote
    return {
        "adjustment_id": record.id,
        "number": record.number,
        "payment_id": record.payment.id,
        "payment_number": record.payment.number,
        "request_id": request_id,
        "kind": str(record.kind),
        "sale_id": record.sale_id,
        "receipt_number": record.receipt,
        "sale_line_id": record.sale_line_id,
        "qty": record.quantity,
        "amount": m(q.amount),
        "tax": m(q.tax),
        "gross": m(q.gross),
        "currency": store.currency.code,
        "refunds": record.payment.journal_tenders(store.currency),
        "voucher": record.voucher_code,
        "approvals": sorted(str(k) for k in q.approvals),
        "customer_id": record.customer_id,
        "cashier": record.payment.user_id,
        "reason": record.reason,
        "competitor": record.competitor,
        "desk_payment": payment_fields(record.payment, store.currency),
    }


def merge_adjustments(returned: Mapping[str, Returned], adjusted: Mapping[str, Returned]) -> dict[str, Returned]:
    """The ledger of a sale's lines with its adjustments in: quantity from returns only,
    money from both (so what is left of a line is what the customer still holds)."""
    out = dict(returned)
    for line_id, adj in adjusted.items():
        r = out.get(line_id, Returned())
        out[line_id] = Returned(
            r.quantity,
            r.amount + adj.amount,
            r.tax + adj.tax,
            r.gross + adj.gross,
            r.adjusted_gross + adj.gross,
        )
    return out
