"""Voiding a sale after payments were taken: each payment given back by its own tender.

Cash comes out of the drawer, a card payment is reversed on the external card terminal
(Counter records the reversal as done there: brand, last 4 and approval code, never a
card number), store credit goes back onto its voucher (a movement restores the balance)
and exchange credit is released. One unit of work journals ``SaleVoided`` with

    {"user", "lines", "total" (as a void before payment), "sale_id", "void_number",
     "part_payments": n (the first n given back were journaled part payments),
     "given_back": [{"seq", kind, "amount" (given back), tendered, card_brand, card_last4,
                     approval_code, voucher?}, ...],
     "approved_by"?: the supervisor who approved it, "request_id"}

and makes the void slip due with it (``uow.outbox``), printed after the commit like a
receipt. The drawer opens after the commit for the cash given back (app/events.py).

Giving money back is a right of its own: a person without ``REFUND_CASH`` (a cashier)
needs a supervisor's approval bound to this very request and amount (``ApprovalKind.
VOID_PAID``, recorded before as ApprovalGranted); without it the void is refused and the
refusal journaled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from counter.cash.drawer import DrawerOpening, DrawerReason
from counter.documents import Receipt, ReceiptKind, ReceiptLine, TaxSummaryLine, TenderLine
from counter.errors import CartError
from counter.i18n import _, in_sentence
from counter.journal import EventType
from counter.money import ZERO
from counter.people.access import authorize
from counter.people.users import Permission, User, UserId
from counter.ports import Clock, UnitOfWork
from counter.returns.policy import ApprovalKind
from counter.sales.cart import Cart
from counter.sales.part_payments import check_taken_before
from counter.sales.tenders import Tender, TenderKind
from counter.store import StoreConfig, TerminalIdentity
from counter.trust.outbox import Due


class VoidApprovalNeeded(CartError):
    """Giving payments back needs a supervisor's approval that this request does not have."""

    def __init__(self, amount: Decimal, money: str) -> None:
        super().__init__(
            _("A supervisor must approve giving back {amount} before the sale is voided.").format(amount=money),
            _("Press Shift+F6 again and ask a supervisor to enter their PIN."),
        )
        self.kinds = frozenset({ApprovalKind.VOID_PAID})
        self.amount = amount


@dataclass(frozen=True)
class VoidPaidSale:
    user: User
    sale_id: str  # the id the part payments named (counter.sales.part_payments)
    cart: Cart  # the open sale's items (empty for a sale interrupted by a stop)
    total: Decimal  # the sale's total
    tenders: Sequence[Tender]  # what was taken, in the order taken
    recorded: int  # the first ``recorded`` tenders were journaled as part payments
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def given_back(self) -> tuple[tuple[int, Tender], ...]:
        """(seq, tender with ``amount`` = what goes back) for each tender that took something:
        all that was handed over (a last tender whose sale failed to record gave no change)."""
        return tuple((n, replace(t, amount=t.tendered)) for n, t in enumerate(self.tenders, start=1) if t.tendered > 0)

    @property
    def given_back_total(self) -> Decimal:
        return sum((t.amount for _seq, t in self.given_back), ZERO)


@dataclass(frozen=True)
class VoidRecord:
    void_number: str
    sale_id: str
    lines: int
    total: Decimal
    given_back: tuple[Tender, ...]  # ``amount``: what went back by that tender
    voided_by: str
    approved_by: str | None
    at: datetime

    @property
    def cash_out(self) -> Decimal:
        return sum((t.amount for t in self.given_back if t.kind is TenderKind.CASH), ZERO)


def needs_void_approval(user: User) -> bool:
    """Giving back payments by this person needs a supervisor's PIN."""
    return not user.can(Permission.REFUND_CASH)


def void_paid_sale(
    cmd: VoidPaidSale,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
) -> VoidRecord:
    """Journal the void of an open sale with payments taken, each given back by its own
    tender, and make its slip due; returns what to tell the person."""
    if not cmd.given_back:
        raise CartError(_("No payment was taken for this sale."), _("Void it with Shift+F6: nothing goes back."))
    authorize(
        cmd.user,
        Permission.VOID_LINE,
        "void a sale",
        uow_factory=uow_factory,
        clock=clock,
        error=CartError,
        message=_("{name} may not void a sale.").format(name=cmd.user.name),
    )
    cur = store.currency
    amount = cmd.given_back_total
    with uow_factory() as uow:
        check_taken_before(uow, cmd.sale_id, cmd.tenders, cmd.recorded)
        approver_id: str | None = None
        if needs_void_approval(cmd.user):
            granted = uow.approvals.granted(cmd.request_id, cmd.user.id)
            if granted.get(ApprovalKind.VOID_PAID) != amount:
                uow.journal.append(  # the refusal is on the record too (counter.people.access)
                    EventType.ACCESS_REFUSED,
                    {
                        "user": cmd.user.id,
                        "role": str(cmd.user.role),
                        "active": cmd.user.active,
                        "action": "give back payments of a voided sale",
                        "permission": str(Permission.REFUND_CASH),
                        "detail": {"request_id": cmd.request_id},
                    },
                    clock.now(),
                )
                uow.commit()
                raise VoidApprovalNeeded(amount, cur.format(amount, store.locale))
            approver_id = uow.approvals.approver_of(cmd.request_id, cmd.user.id, ApprovalKind.VOID_PAID)
        approver = uow.users.get(UserId(approver_id)) if approver_id else None
        now = clock.now()
        record = VoidRecord(
            void_number=uow.receipt_numbers.next("void"),
            sale_id=cmd.sale_id,
            lines=len(cmd.cart.active_lines),
            total=cmd.total,
            given_back=tuple(t for _seq, t in cmd.given_back),
            voided_by=cmd.user.name,
            approved_by=approver.name if approver else None,
            at=now,
        )
        body = {
            "user": cmd.user.id,
            "lines": record.lines,
            "total": cur.to_minor(cmd.total),
            "sale_id": cmd.sale_id,
            "void_number": record.void_number,
            "part_payments": cmd.recorded,
            "given_back": [{"seq": n, **t.journal_body(cur.to_minor)} for n, t in cmd.given_back],
            "request_id": cmd.request_id,
            **({"approved_by": approver_id} if approver_id else {}),
        }
        uow.journal.append(EventType.SALE_VOIDED, body, now)
        # The slip is due with the commit, like a receipt (counter.trust.outbox), and the
        # drawer's opening for the cash given back, like a refund's.
        uow.outbox.add(Due.PRINT, record.void_number, void_slip(record, cmd.cart, store, terminal), now)
        if record.cash_out > 0:
            opening = DrawerOpening(DrawerReason.CASH_REFUND, "void", cmd.user.id, cmd.user.name, record.cash_out)
            uow.outbox.add_drawer(record.void_number, opening, now)
        uow.commit()
    return record


# ------------------------------------------------------------------ words and paper


def give_back_phrases(tenders: Sequence[Tender], money: Callable[[Decimal], str]) -> list[str]:
    """What goes back, tender by tender, as the cashier does it."""
    out = []
    for t in tenders:
        if t.kind is TenderKind.CASH:
            out.append(_("give back {amount} cash").format(amount=money(t.amount)))
        elif t.kind is TenderKind.CARD and t.card is not None:
            out.append(_("reverse {card} {amount}").format(card=t.card.label, amount=money(t.amount)))
        elif t.kind is TenderKind.STORE_CREDIT:
            out.append(_("put {amount} back on voucher {voucher}").format(amount=money(t.amount), voucher=t.voucher))
        else:
            # Translators: part of the question before a void; {tender}: a payment, lower case ("exchange credit")
            out.append(_("release {amount} {tender}").format(amount=money(t.amount), tender=in_sentence(t.label)))
    return out


def give_back_question(tenders: Sequence[Tender], money: Callable[[Decimal], str]) -> str:
    """The question before a void: "Give back $5.00 cash and reverse Visa •••• 4242 $20.00?"
    (each tender's ``amount``: what goes back)."""
    phrases = give_back_phrases(tenders, money)
    if len(phrases) == 1:
        said = phrases[0]
    else:
        # Translators: the last two of a list of things to give back ("{earlier}" is the rest, comma-separated)
        said = _("{earlier} and {last}").format(earlier=", ".join(phrases[:-1]), last=phrases[-1])
    # Translators: a question asked before voiding a paid sale; {actions} lists what goes back
    return _("{actions}?").format(actions=f"{said[:1].upper()}{said[1:]}")


def what_to_do(record: VoidRecord, money: Callable[[Decimal], str], *, cards_done: bool = False) -> str:
    """The cashier's steps after the void, one sentence per tender (none for the cards when
    the integrated terminal gave them back already: ``cards_done``)."""
    steps = []
    for t in record.given_back:
        if t.kind is TenderKind.CASH:
            steps.append(_("Give the customer {amount} cash from the drawer.").format(amount=money(t.amount)))
        elif t.kind is TenderKind.CARD and cards_done:
            continue
        elif t.kind is TenderKind.CARD and t.card is not None:
            steps.append(
                _("Reverse {card} {amount} on the card terminal (approval {approval}).").format(
                    card=t.card.label, amount=money(t.amount), approval=t.card.approval_code
                )
            )
        elif t.kind is TenderKind.STORE_CREDIT:
            steps.append(_("{amount} is back on voucher {voucher}.").format(amount=money(t.amount), voucher=t.voucher))
        else:
            # Translators: after a void; {tender} is a payment's name, lower case ("exchange credit")
            steps.append(_("{amount} {tender} released.").format(amount=money(t.amount), tender=in_sentence(t.label)))
    return " ".join(steps)


def _given_back_line(t: Tender) -> TenderLine:
    if t.kind is TenderKind.CASH:
        return TenderLine(_("Cash given back"), t.amount)
    if t.kind is TenderKind.CARD and t.card is not None:
        return TenderLine(
            # Translators: a line of the void slip; {card} is "Visa •••• 4242"
            _("{card} reversed").format(card=t.card.label),
            t.amount,
            _("Approval {code}").format(code=t.card.approval_code),
        )
    if t.kind is TenderKind.STORE_CREDIT:
        return TenderLine(_("Back on store credit"), t.amount, _("Voucher {code}").format(code=t.voucher))
    # Translators: a line of the void slip; {tender} is a payment's name ("Exchange credit")
    return TenderLine(_("{tender} released").format(tender=t.label), t.amount)


def void_slip(record: VoidRecord, cart: Cart, store: StoreConfig, terminal: TerminalIdentity) -> Receipt:
    """VOID, the items, each payment given back by tender, who voided, who approved."""
    pricing = cart.price()
    lines = cart.active_lines
    notes = [_("Voided by {name}.").format(name=record.voided_by)]
    notes.append(
        _("Approved by {name}.").format(name=record.approved_by) if record.approved_by else _("No approval was needed.")
    )
    if not lines:
        notes.append(_("Items unknown: the sale was interrupted."))
    if any(t.kind is TenderKind.CARD for t in record.given_back):
        notes.append(_("Cards are reversed on the card terminal."))
    return Receipt(
        kind=ReceiptKind.VOID,
        store=store.header,
        receipt_number=record.void_number,
        terminal=terminal.terminal_id,
        cashier=record.voided_by,
        issued_at=record.at.astimezone(store.zone),
        currency=store.currency.code,
        locale=store.locale,
        lines=tuple(
            ReceiptLine(
                name=ln.item.name,
                sku=ln.item.sku,
                quantity=ln.quantity,
                unit_price=ln.item.price,
                amount=p.amount,
                discount=p.discount,
                tax_code=ln.item.tax.code,
            )
            for ln, p in zip(lines, pricing.lines, strict=True)
        ),
        prices_include_tax=cart.prices_include_tax,
        subtotal=pricing.subtotal,
        discount_total=pricing.discount_total,
        taxes=tuple(TaxSummaryLine(t.tax.code, t.tax.label, t.tax.rate, t.base, t.amount) for t in pricing.taxes),
        total=record.total,
        tenders=tuple(_given_back_line(t) for t in record.given_back),
        notes=tuple(notes),
        vat_table=cart.prices_include_tax,
    )
