"""Returns and exchanges: the returned-quantity ledger, refund amounts, and ProcessReturn.

The ledger: every returned line points at the original sale line; what is still
returnable is *computed* (sold − returned so far), never typed, and read inside the same
``BEGIN IMMEDIATE`` transaction that records the return, so returning the same receipt
twice in a row can never take back more than was sold.

Refund amounts are cumulative prorations of what the line actually cost the customer
(after line and order discounts, with its tax as charged). For a line of quantity q and
paid total G, returning k more units when r were returned before refunds

    round(G × (r + k) / q) − (what was refunded for the first r units)

so that any sequence of partial returns adds up to G exactly, to the cent, once all q
units are back. The tax is then split inside that gross, and the net is the rest
(``counter.returns.proration.prorate_line``).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from counter.cash.drawer import opening_for_return
from counter.cash.shifts import require_open_shift
from counter.i18n import N_, _, in_sentence
from counter.journal import EventType
from counter.money import ZERO, Currency
from counter.payments.card_refunds import journal_refund_requests
from counter.payments.terminal import PaymentTerminal
from counter.people.access import authorize
from counter.people.users import Permission
from counter.ports import Clock, UnitOfWork
from counter.returns.customer_limit import limit_note
from counter.returns.hq_phase import HqAnswer, ReservationGuard, ask_hq
from counter.returns.lookup import find_remote_sale, load_context, normalize_receipt_number
from counter.returns.model import (
    ApprovalNeeded,
    ProcessReturn,
    QuotedLine,
    ReturnContext,
    ReturnError,
    ReturnQuote,
)
from counter.returns.policy import (
    ApprovalKind,
    Disposition,
    LineFacts,
    ReturnPolicy,
    ReturnRules,
    Status,
    allowed_dispositions,
    decide_line,
)
from counter.returns.receipt import return_receipt
from counter.returns.refunds import Allocation, RefundMethod, allocate_refund
from counter.sales.checkout import check_sale, check_settlement, customer_language, price_command, record_sale
from counter.sales.sale import Sale
from counter.sales.tenders import TenderKind
from counter.sales.vouchers import new_voucher_code
from counter.store import StoreConfig, TerminalIdentity
from counter.sync.upstream import ChainNoReceipt, RemoteSale, ReservedLine, ReturnReservations, by_line
from counter.trust.outbox import Due

HUNDRED = Decimal(100)


def quote(
    cmd: ProcessReturn,
    ctx: ReturnContext,
    *,
    store: StoreConfig,
    rules: ReturnRules,
    now: datetime,
) -> ReturnQuote:
    if not cmd.lines:
        raise ReturnError(_("No item is marked to return."), _("Pick a line and press + (or Space) to return it."))
    cur = store.currency
    has_receipt = ctx.sale is not None
    quoted: list[QuotedLine] = []
    seen: dict[str, int] = {}
    for req in cmd.lines:
        if req.quantity <= 0:
            raise ReturnError(_("A returned quantity must be at least 1."), _("Lower or remove the line."))
        if has_receipt:
            assert ctx.sale is not None
            rl = ctx.returnable.get(req.sale_line_id or "")
            if rl is None:
                raise ReturnError(
                    _("That item is not on receipt {receipt_number}.").format(receipt_number=ctx.sale.receipt_number),
                    _("Return it without a receipt, or find the right receipt."),
                )
            seen[rl.line.id] = seen.get(rl.line.id, 0) + req.quantity
            if seen[rl.line.id] > rl.returnable:
                raise ReturnError(
                    _(
                        "Only {returnable} of {name} can still be returned ({sold} sold, {returned} already returned)."
                    ).format(
                        returnable=rl.returnable,
                        name=rl.line.name,
                        sold=rl.line.quantity,
                        returned=rl.returned.quantity,
                    ),
                    _("Lower the quantity to return."),
                )
            amount, tax, gross = rl.refund_for(req.quantity, cur, store.prices_include_tax)
            policy = ctx.policies.get(rl.category_id) or ReturnPolicy(rl.category_id)
            facts = LineFacts(ctx.sale.completed_at, policy, req.condition, req.reason, True)
            line_info: tuple[str, str, str, str | None, str, Decimal] = (
                rl.line.name,
                rl.line.sku,
                rl.line.item_id,
                rl.line.id,
                rl.line.tax_code,
                rl.line.tax_rate,
            )
        else:
            if req.item is None or req.unit_price is None:
                raise ReturnError(_("Scan the item the customer brings back."), "")
            item = req.item
            unit_price = ctx.no_receipt_prices.get(str(item.id))
            if unit_price is None:  # load_context works it out for every item of the command
                raise ReturnError(
                    _("The refund for {name} could not be worked out.").format(name=item.name),
                    _("Scan the item again."),
                )
            amount, tax, gross = _no_receipt_amounts(unit_price, req.quantity, item.tax.rate, cur, store)
            policy = ctx.policies.get(item.category_id) or ReturnPolicy(item.category_id)
            facts = LineFacts(None, policy, req.condition, req.reason, False)
            line_info = (item.name, item.sku, str(item.id), None, item.tax.code, item.tax.rate)
        if req.goes_to not in allowed_dispositions(req.condition):
            raise ReturnError(
                _("{item} is {condition}: it cannot go {where}.").format(
                    item=line_info[0], condition=in_sentence(req.condition.label), where=_where(req.goes_to)
                ),
                _("Choose {choices} for it (Shift+F5 changes where it goes).").format(
                    choices=_either([in_sentence(d.label) for d in allowed_dispositions(req.condition)])
                ),
            )
        decision = decide_line(facts, now)
        fee = ZERO
        # A fee waiver is quoted as asked; the FEE_WAIVER approval it needs is bound to that amount.
        if decision.restocking_fee_percent and not cmd.waive_fees:
            fee = cur.quantize(gross * decision.restocking_fee_percent / HUNDRED)
        name, sku, item_id, sale_line_id, tax_code, tax_rate = line_info
        quoted.append(
            QuotedLine(req, name, sku, item_id, sale_line_id, tax_code, tax_rate, amount, tax, gross, fee, decision)
        )

    approvals: set[ApprovalKind] = set()
    refused: list[str] = []
    for ql in quoted:
        approvals |= ql.decision.approvals
        if ql.decision.status is Status.REFUSED and not ql.decision.overridable:
            # Translators: why a returned item is refused: the item's name, then the policy's reasons
            refused.append(_("{item}: {reasons}").format(item=ql.name, reasons="; ".join(ql.decision.reasons)))
    if cmd.waive_fees and any(ql.decision.restocking_fee_percent for ql in quoted):
        approvals.add(ApprovalKind.FEE_WAIVER)
    refund_total = sum((ql.refund for ql in quoted), ZERO)
    if not has_receipt:
        if cmd.id_document is None:
            raise ReturnError(_("A return without a receipt needs the customer's ID."), _("Press F7 and enter the ID."))
        if refund_total > rules.no_receipt_approval_over:
            approvals.add(ApprovalKind.NO_RECEIPT)
        if ctx.customer_recent_no_receipt + refund_total > rules.no_receipt_customer_limit:
            approvals.add(ApprovalKind.CUSTOMER_LIMIT)

    exchange_total = ZERO
    if cmd.exchange is not None:
        check_sale(cmd.exchange.sale, store)
        exchange_total = price_command(cmd.exchange.sale, store).total
    credit = min(refund_total, exchange_total)
    method = cmd.refund_method if has_receipt else RefundMethod.STORE_CREDIT
    if not has_receipt and cmd.refund_method is RefundMethod.CASH:
        raise ReturnError(
            _("Returns without a receipt are refunded as store credit only."), _("Choose store credit (F8).")
        )
    allocation = _allocate(refund_total - credit, ctx, method, rules, store)
    approvals |= allocation.approvals
    return ReturnQuote(tuple(quoted), allocation, exchange_total, credit, frozenset(approvals), tuple(refused))


#: where a unit cannot go, as "it cannot go {where}" says it
_WHERE = {
    Disposition.RESTOCK: N_("back to stock as new"),
    Disposition.OPEN_BOX: N_("to open box"),
    Disposition.RETURN_TO_VENDOR: N_("to return to vendor"),
    Disposition.SCRAP: N_("to scrap"),
    Disposition.DAMAGED: N_("to written off (damaged)"),
}


def _where(disposition: Disposition) -> str:
    return _(_WHERE[disposition])


def _either(choices: list[str]) -> str:
    """The choices as "a or b or c", one added at a time."""
    said = choices[0]
    for choice in choices[1:]:
        # Translators: one more choice added to a list of choices ("open box or scrap")
        said = _("{earlier} or {last}").format(earlier=said, last=choice)
    return said


def _no_receipt_amounts(
    unit_price: Decimal, quantity: int, rate: Decimal, cur: Currency, store: StoreConfig
) -> tuple[Decimal, Decimal, Decimal]:
    amount = cur.quantize(unit_price * quantity)
    if store.prices_include_tax:
        tax = cur.quantize(amount * rate / (1 + rate))
        return amount, tax, amount
    tax = cur.quantize(amount * rate)
    return amount, tax, amount + tax


@dataclass(frozen=True)
class ReturnRecord:
    id: str
    return_number: str
    request_id: str
    original_sale_id: str | None
    original_receipt: str | None
    cashier_id: str
    completed_at: datetime
    quote: ReturnQuote
    customer_key: str | None
    customer_hint: str | None
    voucher_code: str | None
    exchange_sale: Sale | None
    hq_reserved: bool = False  # HQ reserved the quantities chain-wide before it was taken

    def journal_body(self, currency: Currency) -> dict[str, Any]:
        m = currency.to_minor
        q = self.quote
        return {
            "return_id": self.id,
            "return_number": self.return_number,
            "request_id": self.request_id,
            "original_sale_id": self.original_sale_id,
            "original_receipt": self.original_receipt,
            "cashier": self.cashier_id,
            "currency": currency.code,
            "customer_key": self.customer_key,
            "customer_hint": self.customer_hint,
            "lines": [
                {
                    "sale_line_id": ln.sale_line_id,
                    "item_id": ln.item_id,
                    "sku": ln.sku,
                    "name": ln.name,
                    "qty": ln.request.quantity,
                    "amount": m(ln.amount),
                    "tax": m(ln.tax),
                    "gross": m(ln.gross),
                    "fee": m(ln.fee),
                    "tax_code": ln.tax_code,
                    "tax_rate": str(ln.tax_rate),
                    "reason": str(ln.request.reason),
                    "condition": str(ln.request.condition),
                    "disposition": str(ln.request.goes_to),
                }
                for ln in q.lines
            ],
            "refunds": [
                {
                    "kind": str(p.kind),
                    "amount": m(p.amount),
                    "original_tender": p.original_seq,
                    "reference": p.reference,
                    "card_brand": p.card.brand if p.card else None,
                    "card_last4": p.card.last4 if p.card else None,
                }
                for p in q.allocation.parts
            ],
            "voucher": self.voucher_code,
            "exchange_sale_id": self.exchange_sale.id if self.exchange_sale else None,
            "exchange_credit": m(q.exchange_credit),
            "fee_total": m(q.fee_total),
            "refund_total": m(q.refund_total),
            "approvals": sorted(str(k) for k in q.approvals),
            "hq_reserved": self.hq_reserved,
        }


def process_return(
    cmd: ProcessReturn,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    rules: ReturnRules,
    upstream: ReturnReservations | None = None,
    read_uow_factory: Callable[[], UnitOfWork] | None = None,
    card_terminal: PaymentTerminal | None = None,
) -> ReturnRecord:
    """Record a return (and the new sale of an exchange) in one unit of work.

    With ``upstream`` (an enrolled terminal), a receipted return first reserves its
    quantities at HQ, so lanes racing on one receipt never take back more than was sold,
    and a return without a receipt asks HQ the customer's no-receipt total at every lane
    and holds its own amount against it (``counter.returns.hq_phase``; a reservation or
    hold whose return then fails to commit is released); when HQ cannot be asked, the
    return must stay within the offline caps instead.

    Nothing waits on the network inside a transaction: with HQ, the receipt is looked up
    (at HQ when it is another lane's) and the return quoted in a read transaction
    (``read_uow_factory``), then reserved at HQ with no transaction open, then written in
    one unit of work that quotes again and refuses a return that changed meanwhile.
    Without HQ there is nothing to wait for: it is quoted and written in one unit of work.

    With ``card_terminal``, each refund to a card that paid through it is journaled as a
    card request with the return (``counter.payments.card_refunds``); the caller then asks
    the terminal (``send_refunds``), with no transaction open."""
    authorize(
        cmd.cashier,
        Permission.RETURN,
        "take returns",
        uow_factory=uow_factory,
        clock=clock,
        error=ReturnError,
        message=_("{name} may not take returns.").format(name=cmd.cashier.name),
        hint=_("Ask a supervisor."),
    )
    guard = ReservationGuard(upstream, str(uuid.uuid4()))
    remote = None
    reserved_q: ReturnQuote | None = None
    answer = HqAnswer()
    if upstream is not None:  # HQ is asked between a read and the write, never inside either
        read = read_uow_factory or uow_factory
        if cmd.original_receipt:
            with read() as uow:
                here = uow.sales.get_by_number(normalize_receipt_number(cmd.original_receipt)) is not None
            if not here:
                remote = find_remote_sale(cmd.original_receipt, upstream)
        with read() as uow:
            now = clock.now()
            # Without a receipt the approvals wait for HQ's total: one supervisor visit for all.
            approvals = bool(cmd.original_receipt)
            ctx, reserved_q = _checked_quote(uow, cmd, store, terminal, rules, now, remote, approvals=approvals)
    with guard:
        if reserved_q is not None:
            answer = ask_hq(upstream, guard.return_id, cmd, ctx, reserved_q, store, rules, now)
            guard.reserved = answer.reserved
        with uow_factory() as uow:
            now = clock.now()
            ctx, q = _checked_quote(uow, cmd, store, terminal, rules, now, remote, answer.chain)
            if reserved_q is not None and q.refund_total != reserved_q.refund_total:
                # what was reserved is not what it would be now
                was, now_is = (
                    store.currency.format(t, store.locale) for t in (reserved_q.refund_total, q.refund_total)
                )
                raise ReturnError(
                    _(
                        "The refund changed while HQ was asked, from {was} to {now} "
                        "(the receipt or the policy changed meanwhile)."
                    ).format(was=was, now=now_is),
                    _("Nothing was recorded: look the receipt up again."),
                )
            record = _write_return(uow, cmd, ctx, q, answer.lines, guard, store, terminal, rules, now, upstream)
            if card_terminal is not None:
                parts = record.quote.allocation.parts
                device = card_terminal.name
                journal_refund_requests(
                    uow, record.id, record.original_sale_id, parts, cmd.cashier,
                    clock=clock, store=store, terminal=terminal, device=device,
                )  # fmt: skip
            uow.commit()
            return record


def quote_draft(
    uow: UnitOfWork,
    cmd: ProcessReturn,
    *,
    store: StoreConfig,
    terminal: TerminalIdentity,
    rules: ReturnRules,
    clock: Clock,
    remote: RemoteSale | None = None,
) -> ReturnQuote:
    """What a return being prepared would refund, read in the caller's (read) unit of work:
    the screen's quote on every key, from the same rules the command applies."""
    now = clock.now()
    return quote(cmd, load_context(uow, cmd, store, terminal, rules, now, remote), store=store, rules=rules, now=now)


def _checked_quote(
    uow: UnitOfWork,
    cmd: ProcessReturn,
    store: StoreConfig,
    terminal: TerminalIdentity,
    rules: ReturnRules,
    now: datetime,
    remote: RemoteSale | None,
    chain: ChainNoReceipt | None = None,
    *,
    approvals: bool = True,
) -> tuple[ReturnContext, ReturnQuote]:
    """The return's context and quote, refused when the policy refuses it or (unless
    ``approvals`` is False) an approval it needs is missing (or was given for another amount)."""
    require_open_shift(uow, terminal.terminal_id)
    ctx = load_context(uow, cmd, store, terminal, rules, now, remote, chain)
    granted = uow.approvals.granted(cmd.request_id, cmd.cashier.id)
    q = quote(cmd, ctx, store=store, rules=rules, now=now)
    if q.refused:
        raise ReturnError(
            _("This return cannot be taken: {why}").format(why=" / ".join(q.refused)),
            _("Explain the policy to the customer."),
        )
    missing = frozenset(k for k in q.approvals if granted.get(k) != q.refund_total)
    if missing and approvals:
        stale = {k: granted[k] for k in missing if k in granted}
        if stale:
            was = ", ".join(sorted({store.currency.format(v, store.locale) for v in stale.values()}))
            now_text = store.currency.format(q.refund_total, store.locale)
            raise ReturnError(
                _("The approval was for {was}; the refund is now {now}.").format(was=was, now=now_text),
                _("Ask the supervisor to approve again (F9)."),
            )
        raise ApprovalNeeded(missing, q.refund_total, store.currency.format(q.refund_total, store.locale))
    return ctx, q


def _write_return(
    uow: UnitOfWork,
    cmd: ProcessReturn,
    ctx: ReturnContext,
    q: ReturnQuote,
    answered: Sequence[ReservedLine],
    guard: ReservationGuard,
    store: StoreConfig,
    terminal: TerminalIdentity,
    rules: ReturnRules,
    now: datetime,
    upstream: ReturnReservations | None,
) -> ReturnRecord:
    """Write the checked return (and its exchange sale) in the caller's unit of work."""
    if ctx.remote is not None and upstream is not None:
        upstream.adopt(uow, ctx.remote.sale, now)
    if answered:
        q = held_to_hq(q, answered, cmd, ctx, store, rules)
    exchange_sale = None
    exchange_id = None
    if cmd.exchange is not None:
        exchange_id = cmd.request_id
        sale_cmd = cmd.exchange.sale
        pricing = price_command(sale_cmd, store)
        if q.exchange_credit and not any(t.kind is TenderKind.EXCHANGE_CREDIT for t in sale_cmd.tenders):
            raise ReturnError(_("The exchange credit is missing from the payment."), _("Take the payment again."))
        credit_tenders = [t for t in sale_cmd.tenders if t.kind is TenderKind.EXCHANGE_CREDIT]
        if sum((t.amount for t in credit_tenders), ZERO) != q.exchange_credit:
            raise ReturnError(_("The exchange credit does not match the returned items."), _("Take the payment again."))
        check_settlement(sale_cmd, pricing.total, store)
    voucher = None
    if any(p.kind is TenderKind.STORE_CREDIT for p in q.allocation.parts):
        voucher = new_voucher_code()
    record = ReturnRecord(
        id=guard.return_id,
        return_number=uow.receipt_numbers.next("return"),
        request_id=cmd.request_id,
        original_sale_id=ctx.sale.id if ctx.sale else None,
        original_receipt=ctx.sale.receipt_number if ctx.sale else None,
        cashier_id=cmd.cashier.id,
        completed_at=now,
        quote=q,
        customer_key=cmd.id_document.key if cmd.id_document else None,
        customer_hint=f"{cmd.id_document.id_type} …{cmd.id_document.last4}" if cmd.id_document else None,
        voucher_code=voucher,
        exchange_sale=None,
        hq_reserved=guard.reserved,
    )
    if cmd.exchange is not None:
        exchange_sale = record_sale(
            uow,
            cmd.exchange.sale,
            price_command(cmd.exchange.sale, store),
            now,
            store,
            terminal,
            exchange_id=exchange_id,
        )
        record = ReturnRecord(**{**record.__dict__, "exchange_sale": exchange_sale})
    # the return's rows, its refunds and its voucher are this entry's projection (counter.projection)
    body = record.journal_body(store.currency)
    if cmd.customer:
        body["customer_id"] = cmd.customer
    if ctx.sale is None and cmd.id_document is not None:  # HQ judges the chain's total by it
        body["no_receipt_limit"] = limit_note(rules, ctx.customer_recent_no_receipt, store.currency)
    uow.journal.append(EventType.RETURN_PROCESSED, body, now)
    # Its receipt and credit note are due with the commit (counter.trust.outbox).
    document = return_receipt(record, store, cmd.cashier.name, language=customer_language(uow, cmd.customer))
    uow.outbox.add(Due.PRINT, record.return_number, document, now)
    uow.outbox.add(Due.CREDIT_NOTE, record.return_number, document, now)
    # And the drawer's opening, for cash handed out or taken by the exchange.
    exchange_tenders = exchange_sale.tenders if exchange_sale is not None else None
    opening = opening_for_return(q.allocation.parts, exchange_tenders, cmd.cashier)
    if opening is not None:
        uow.outbox.add_drawer(record.return_number, opening, now)
    return record


def _allocate(
    refund: Decimal, ctx: ReturnContext, method: RefundMethod, rules: ReturnRules, store: StoreConfig
) -> Allocation:
    """The refund split over the sale's tenders (or store credit), capped by the drawer."""
    return allocate_refund(
        refund,
        ctx.paid,
        method,
        drawer_cash=ctx.drawer_cash,
        rules=rules,
        format_money=lambda m: store.currency.format(m, store.locale),
    )


def held_to_hq(
    q: ReturnQuote,
    answered: Sequence[ReservedLine],
    cmd: ProcessReturn,
    ctx: ReturnContext,
    store: StoreConfig,
    rules: ReturnRules,
) -> ReturnQuote:
    """The quote with HQ's amounts where HQ computed less for a line than this lane: HQ
    prorates from the chain's ledger, which may hold a return of the receipt by another
    lane that this lane had not yet seen (and HQ's ingest refuses a reserved return above
    its reservation). The refund is allocated again; nothing else changes."""
    cur = store.currency
    hq = by_line(answered)
    per_line: dict[str, int] = {}
    for ql in q.lines:
        per_line[ql.sale_line_id or ""] = per_line.get(ql.sale_line_id or "", 0) + 1
    lines: list[QuotedLine] = []
    for ql in q.lines:
        a = hq.get(ql.sale_line_id or "")
        if a is None or cur.from_minor(a.gross_minor) >= ql.gross:
            lines.append(ql)
            continue
        if per_line[ql.sale_line_id or ""] > 1 or a.quantity != ql.request.quantity:
            raise ReturnError(
                _("Another lane returned some of {name} since this receipt was looked up.").format(name=ql.name),
                _("Look the receipt up again."),
            )
        gross = cur.from_minor(a.gross_minor)
        fee = min(ql.fee, gross)
        if ql.decision.restocking_fee_percent and not cmd.waive_fees:
            fee = cur.quantize(gross * ql.decision.restocking_fee_percent / HUNDRED)
        lines.append(
            dataclasses.replace(
                ql, amount=cur.from_minor(a.amount_minor), tax=cur.from_minor(a.tax_minor), gross=gross, fee=fee
            )
        )
    if lines == list(q.lines):
        return q
    refund_total = sum((ln.refund for ln in lines), ZERO)
    credit = min(refund_total, q.exchange_total)
    method = cmd.refund_method if ctx.sale is not None else RefundMethod.STORE_CREDIT
    allocation = _allocate(refund_total - credit, ctx, method, rules, store)
    return dataclasses.replace(q, lines=tuple(lines), allocation=allocation, exchange_credit=credit)
