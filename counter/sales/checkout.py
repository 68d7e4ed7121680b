"""CompleteSale: the command that turns a paid cart into a recorded sale.

One unit of work: the sale, its lines, its tenders and one SaleCompleted journal entry
commit together or not at all. The handler prices the lines again itself rather than
trusting the screen's totals, and refuses payments that do not settle the total exactly.
Side effects (printing, the drawer) run only after it returns, i.e. after the commit; the
commit records them as due (counter.trust.outbox), so a crash cannot lose them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from counter.cash.drawer import opening_for_sale
from counter.cash.shifts import require_open_shift
from counter.errors import CartError, TenderError
from counter.i18n import _
from counter.journal import EventType
from counter.money import round_to_coin
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.sales.cart import CartLine, check_quantity
from counter.sales.part_payments import check_taken_before
from counter.sales.pricing import Discount, LineInput, Pricing, price_lines
from counter.sales.sale import Sale, SaleLine, receipt_for
from counter.sales.tenders import Tender, TenderKind
from counter.store import StoreConfig, TerminalIdentity
from counter.trust.outbox import Due


@dataclass(frozen=True)
class CompleteSale:
    cashier: User
    lines: Sequence[CartLine]  # voided lines are skipped
    order_discount: Discount | None
    tenders: Sequence[Tender]
    rounding: Decimal
    customer_id: str | None = None  # the customer the desk attached (counter.desk.customers)
    #: the id the part payments were journaled under (counter.sales.part_payments); None: a new one
    sale_id: str | None = None
    #: the first ``part_payments`` tenders were journaled as they were taken
    part_payments: int = 0


def check_sale(cmd: CompleteSale, store: StoreConfig) -> None:
    if not cmd.cashier.can(Permission.SELL):
        raise CartError(_("{name} may not sell.").format(name=cmd.cashier.name), _("Sign in as a cashier."))
    lines = [ln for ln in cmd.lines if not ln.voided]
    if not lines:
        raise CartError(_("The sale has no items."), _("Scan an item first."))
    for ln in lines:
        check_quantity(ln.quantity)
    discounted = cmd.order_discount is not None or any(ln.discount is not None for ln in lines)
    if discounted and not cmd.cashier.can(Permission.DISCOUNT):
        raise CartError(_("{name} may not give discounts.").format(name=cmd.cashier.name), _("Ask a supervisor."))


def complete_sale(
    cmd: CompleteSale,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
) -> Sale:
    check_sale(cmd, store)
    pricing = price_command(cmd, store)
    check_settlement(cmd, pricing.total, store)

    with uow_factory() as uow:
        require_open_shift(uow, terminal.terminal_id)
        sale = record_sale(uow, cmd, pricing, clock.now(), store, terminal)
        uow.commit()
    return sale


def price_command(cmd: CompleteSale, store: StoreConfig) -> Pricing:
    lines = [ln for ln in cmd.lines if not ln.voided]
    return price_lines(
        [LineInput(ln.item.price, ln.quantity, ln.item.tax, ln.discount) for ln in lines],
        store.currency,
        prices_include_tax=store.prices_include_tax,
        order_discount=cmd.order_discount,
    )


def record_sale(
    uow: UnitOfWork,
    cmd: CompleteSale,
    pricing: Pricing,
    now: datetime,
    store: StoreConfig,
    terminal: TerminalIdentity,
    *,
    exchange_id: str | None = None,
) -> Sale:
    """Write a checked sale and its journal entry inside the caller's unit of work.

    Store-credit tenders are redeemed here, against the voucher balance read in the same
    transaction, so two lanes can never spend one voucher twice."""
    lines = [ln for ln in cmd.lines if not ln.voided]
    if cmd.sale_id is not None:  # the id part payments were journaled under: exactly those, once
        check_taken_before(uow, cmd.sale_id, cmd.tenders, cmd.part_payments)
    elif cmd.part_payments:
        raise TenderError(_("Part payments name the sale they were taken for."), _("Take the payment again."))
    sale = Sale(
        id=cmd.sale_id or str(uuid.uuid4()),
        receipt_number=uow.receipt_numbers.next(),
        store_id=terminal.store_id,
        terminal_id=terminal.terminal_id,
        cashier_id=cmd.cashier.id,
        cashier_name=cmd.cashier.name,
        completed_at=now,
        currency=store.currency,
        prices_include_tax=store.prices_include_tax,
        lines=tuple(
            SaleLine(
                id=ln.id,
                line_no=n,
                item_id=ln.item.id,
                sku=ln.item.sku,
                name=ln.item.name,
                quantity=ln.quantity,
                unit_price=ln.item.price,
                line_discount=p.line_discount,
                order_discount=p.order_discount,
                amount=p.amount,
                tax=p.tax,
                gross=p.gross,
                tax_code=ln.item.tax.code,
                tax_rate=ln.item.tax.rate,
            )
            for n, (ln, p) in enumerate(zip(lines, pricing.lines, strict=True), start=1)
        ),
        taxes=pricing.taxes,
        tenders=tuple(cmd.tenders),
        rounding=cmd.rounding,
    )
    for tender in sale.tenders[cmd.part_payments :]:  # a part payment's voucher was redeemed when taken
        if tender.kind is TenderKind.STORE_CREDIT and tender.voucher:
            uow.vouchers.check_redeem(tender.voucher, tender.amount)
    body = sale.journal_body()
    if cmd.part_payments:
        body["part_payments"] = cmd.part_payments
    if exchange_id:
        body["exchange_id"] = exchange_id
    if cmd.customer_id:
        body["customer_id"] = cmd.customer_id
    uow.journal.append(EventType.SALE_COMPLETED, body, now)
    # The receipt is due with the commit: a crash before it prints leaves it due (counter.trust.outbox).
    receipt = receipt_for(sale, store, language=customer_language(uow, cmd.customer_id))
    uow.outbox.add(Due.PRINT, sale.receipt_number, receipt, now)
    # So is the drawer's opening for cash (an exchange's is its return's: counter.returns.process).
    opening = opening_for_sale(sale.tenders, cmd.cashier) if exchange_id is None else None
    if opening is not None:
        uow.outbox.add_drawer(sale.receipt_number, opening, now)
    return sale


def check_settlement(cmd: CompleteSale, total: Decimal, store: StoreConfig) -> None:
    if not cmd.tenders:
        raise TenderError(_("No payment was taken."), _("Take cash (F9) or card (F10)."))
    if not 0 <= cmd.part_payments <= len(cmd.tenders):
        raise TenderError(_("The part payments do not match the payments."), _("Take the payment again."))
    paid = sum((t.amount for t in cmd.tenders), Decimal(0))
    if cmd.rounding and not any(t.kind is TenderKind.CASH for t in cmd.tenders):
        raise TenderError(_("Cash rounding applies only to cash."), _("Take the payment again."))
    if abs(cmd.rounding) * 2 > store.smallest_coin:
        raise TenderError(_("The cash rounding is larger than half the smallest coin."), _("Take the payment again."))
    if cmd.rounding and round_to_coin(total + cmd.rounding, store.smallest_coin) != total + cmd.rounding:
        raise TenderError(_("The cash rounding does not match the smallest coin."), _("Take the payment again."))
    if paid != total + cmd.rounding:
        raise TenderError(
            _("The payments ({paid}) do not match the total ({total}).").format(
                paid=store.currency.format(paid, store.locale),
                total=store.currency.format(total + cmd.rounding, store.locale),
            ),
            _("Take the payment again."),
        )
    for t in cmd.tenders:
        # A zero cash tender is how cash rounding settles a total below half a coin.
        zero_ok = t.kind is TenderKind.CASH and t.amount == 0 and cmd.rounding != 0
        if (t.amount <= 0 and not zero_ok) or t.tendered < t.amount:
            raise TenderError(_("A payment amount is not valid."), _("Take the payment again."))
        if t.kind is not TenderKind.CASH and t.tendered != t.amount:
            raise TenderError(_("Only cash can give change."), _("Take the payment again."))
        if t.kind is TenderKind.STORE_CREDIT and not t.voucher:
            raise TenderError(_("A store-credit payment is missing its voucher code."), _("Scan the voucher again."))
        if t.kind is TenderKind.CARD and (t.card is None or t.tendered != t.amount):
            raise TenderError(
                _("A card payment is missing its details."), _("Enter the card's brand, last 4 and approval code.")
            )


def customer_language(uow: UnitOfWork, customer_id: str | None) -> str:
    """The language the customer reads their documents in ("" when none is on file: the
    store's)."""
    if not customer_id:
        return ""
    customer = uow.customers.get(customer_id)
    return customer.language if customer is not None else ""
