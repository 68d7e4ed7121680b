"""Card requests through the integrated terminal: journaled before they are sent, never
charged twice, never lost.

Every request to the terminal (a sale's card payment, a return's card refund, a void's
reversal) goes the same way:

1. ``CardRequestSent`` is journaled and committed, with the request's own id, before a byte
   goes to the terminal. It names what the request is for (the sale and the tender's number,
   or the return and its refund's number) and the terminal's last trace number this lane
   knew (``prior_trace``).
2. The terminal is asked, with no transaction open.
3. Its answer is journaled (``CardRequestSettled``, ``how: "answer"``); an approved sale
   payment is journaled as the sale's part payment in the same transaction
   (``counter.sales.part_payments``), so the charge and the sale it pays for never part.

A request whose answer never came (the connection cut, Counter killed, the terminal
garbled it) stays **pending**: nothing else goes to the terminal until it is resolved, by
asking the terminal for its last transaction (``resolve_pending``). The terminal's last
transaction is this request's when its trace number is newer than ``prior_trace`` and its
amount is the request's; then its outcome is journaled (``how: "asked"``). When the
terminal holds nothing newer, the request never reached it: ``not_charged``. When the
terminal cannot be reached, it stays pending, and only a supervisor may settle it by hand
from the terminal's own slip (``settle_by_hand``, approval ``CARD_OUTCOME``).

A crash at any moment therefore leaves at most one charge, and the next start resolves it:
before step 1 nothing was asked; between 1 and 3 the request is pending and resolved by
asking; after 3 it is recorded.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from counter.errors import CounterError, TenderError
from counter.i18n import N_, _
from counter.journal import EventType
from counter.payments.ports import CardRequestRow
from counter.payments.terminal import Answer, Outcome, PaymentTerminal, StatusCallback
from counter.people.users import User
from counter.ports import Clock, UnitOfWork
from counter.returns.policy import ApprovalKind
from counter.sales.tenders import CARD_BRANDS, CardDetails, Tender
from counter.store import StoreConfig, TerminalIdentity

#: the crash points tests kill at (app.crashpoints): after the request is journaled, and
#: after the terminal answered but before the answer is journaled
CRASH_SENT = "card.sent"
CRASH_ANSWERED = "card.answered"
#: what is journaled (in English) when the terminal has no record of a request; shown through _()
NO_RECORD = N_("The terminal has no record of it: nothing was charged.")
#: journaled (in English) when a supervisor settles a request by hand; shown through _()
SETTLED_CHARGED = N_("Settled by hand: charged, as the terminal's slip shows.")
SETTLED_NOT_CHARGED = N_("Settled by hand: not charged, as the terminal shows.")


class CardNotApproved(TenderError):
    """The terminal said no (declined, cancelled) or was not reached: nothing was charged."""

    def __init__(self, message: str, hint: str, outcome: str) -> None:
        super().__init__(message, hint)
        self.outcome = outcome


class CardOutcomeUnknown(TenderError):
    """The request was sent and no answer came, and asking the terminal did not settle it."""

    def __init__(self, request: CardRequestRow | str, money: str, earlier: bool = False) -> None:
        super().__init__(
            (
                _("Payment outcome unknown for {amount}: the card terminal did not answer to an earlier request.")
                if earlier
                else _("Payment outcome unknown for {amount}: the card terminal did not answer.")
            ).format(amount=money),
            _(
                "Do not charge the card again. Check the terminal: press Retry to ask it again, "
                "or let a supervisor settle it from the terminal's own slip."
            ),
        )
        self.request_id = request if isinstance(request, str) else request.request_id


class CardApprovalNeeded(TenderError):
    """A supervisor must approve this before it is recorded (``kinds``)."""

    def __init__(self, kind: ApprovalKind, amount: Decimal, message: str, hint: str) -> None:
        super().__init__(message, hint)
        self.kinds = frozenset({kind})
        self.amount = amount


@dataclass(frozen=True)
class Purpose:
    kind: str  # sale | return | void
    id: str
    seq: int  # the tender's (or refund's) number within it


@dataclass(frozen=True)
class CardRequest:
    op: str  # sale | refund | reversal
    amount: Decimal
    purpose: Purpose
    original: str = ""  # the reference a refund or reversal names
    total: Decimal | None = None  # a sale payment: the sale's total (its part payment names it)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class Settled:
    """A request with its outcome recorded. ``tender``: the card tender an approved sale
    payment became (journaled as the sale's part payment)."""

    request_id: str
    purpose: Purpose
    outcome: str
    text: str
    amount: Decimal
    answer: Answer | None = None
    tender: Tender | None = None


def money_of(store: StoreConfig) -> Callable[[Decimal], str]:
    return lambda amount: store.currency.format(amount, store.locale)


def card_details(answer: Answer) -> CardDetails:
    """The card tender's details from the terminal's answer: only the last 4 digits and the
    approval code (the trace number when the terminal gives no code)."""
    brand = next((b for b in CARD_BRANDS if b.lower() == answer.card_brand.strip().lower()), "Other")
    last4 = answer.pan_last4 if len(answer.pan_last4) == 4 and answer.pan_last4.isdigit() else "0000"
    code = "".join(ch for ch in (answer.approval_code or answer.trace or answer.receipt_no) if ch.isalnum())[:12]
    return CardDetails(brand, last4, code.upper() or "TERMINAL")


def pending_block(uow: UnitOfWork, terminal: TerminalIdentity, store: StoreConfig) -> None:
    """Refuse a new request while an earlier one's outcome is unknown."""
    pending = uow.cards.pending(terminal.terminal_id)
    if pending:
        first = pending[0]
        money = money_of(store)(store.currency.from_minor(first.amount_minor))
        raise CardOutcomeUnknown(first, money, earlier=True)


def journal_sent(
    uow: UnitOfWork, req: CardRequest, user: User, store: StoreConfig, terminal: TerminalIdentity, clock: Clock,
    device: str,
) -> None:  # fmt: skip
    """Journal the request (step 1), in the caller's unit of work (which commits it)."""
    uow.journal.append(
        EventType.CARD_REQUEST_SENT,
        {
            "request_id": req.request_id,
            "op": req.op,
            "amount": store.currency.to_minor(req.amount),
            "currency": store.currency.code,
            "user": user.id,
            "for": req.purpose.kind,
            "for_id": req.purpose.id,
            "seq": req.purpose.seq,
            "original": req.original,
            **({"total": store.currency.to_minor(req.total)} if req.total is not None else {}),
            "prior_trace": uow.cards.last_trace(terminal.terminal_id),
            "device": device[:64],
        },
        clock.now(),
    )


def answer_body(answer: Answer, outcome: str, how: str, user: User) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "how": how,
        "amount": answer.amount_minor,
        "reference": answer.reference[:64],
        "trace": answer.trace[:16],
        "receipt_no": answer.receipt_no[:16],
        "approval_code": answer.approval_code[:16],
        "card_brand": answer.card_brand[:32],
        "card_last4": answer.pan_last4 if len(answer.pan_last4) == 4 and answer.pan_last4.isdigit() else "",
        "device_terminal_id": answer.terminal_id[:16],
        "text": answer.text[:500],
        "user": user.id,
    }


def call_terminal(
    device: PaymentTerminal, req: CardRequest, amount_minor: int, on_status: StatusCallback | None
) -> Answer:
    """Step 2. A DeviceError (not sent) propagates."""
    if req.op == "sale":
        return device.sale(amount_minor, on_status=on_status)
    if req.op == "refund":
        return device.refund(amount_minor, req.original, on_status=on_status)
    return device.reverse(req.original, on_status=on_status)


def other_amount(answer: Answer, amount_minor: int) -> bool:
    """The terminal approved another amount than asked: an approval, or an answer the
    device layer did not trust for that reason, that carries the terminal's reference."""
    trusted = answer.outcome is Outcome.APPROVED or (answer.outcome is Outcome.UNKNOWN and bool(answer.reference))
    return trusted and answer.amount_minor != amount_minor


def send(
    req: CardRequest,
    user: User,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    card_terminal: PaymentTerminal,
    on_status: StatusCallback | None = None,
    check: Callable[[UnitOfWork], None] = lambda uow: None,
    settle: Callable[[UnitOfWork, Settled], None] = lambda uow, settled: None,
    step: Callable[[str], None] = lambda name: None,
) -> Settled:
    """Steps 1 to 3 for one request. ``check`` runs in step 1's unit of work before the
    request is journaled; ``settle`` in step 3's when the answer is approved (an approved
    sale payment's part payment). ``step`` is called at the crash points. Raises
    CardNotApproved, CardOutcomeUnknown, or what ``check`` raises."""
    with uow_factory() as uow:
        pending_block(uow, terminal, store)
        check(uow)
        journal_sent(uow, req, user, store, terminal, clock, card_terminal.name)
        uow.commit()
    return ask(req, user, uow_factory=uow_factory, clock=clock, store=store, terminal=terminal,
               card_terminal=card_terminal, on_status=on_status, settle=settle, step=step)  # fmt: skip


def ask(
    req: CardRequest,
    user: User,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    card_terminal: PaymentTerminal,
    on_status: StatusCallback | None = None,
    settle: Callable[[UnitOfWork, Settled], None] = lambda uow, settled: None,
    step: Callable[[str], None] = lambda name: None,
) -> Settled:
    """Steps 2 and 3 for a request already journaled (step 1)."""
    money = money_of(store)
    amount_minor = store.currency.to_minor(req.amount)
    step(CRASH_SENT)
    try:
        answer = call_terminal(card_terminal, req, amount_minor, on_status)
    except CounterError as exc:  # not sent: nothing was charged
        failed = Answer(Outcome.DECLINED, 0, f"{exc.message} {exc.hint}".strip())
        record(req.request_id, failed, "failed", "answer", user, uow_factory=uow_factory, clock=clock)
        raise CardNotApproved(
            _("The card terminal was not reached: {message} Nothing was charged.").format(message=exc.message),
            exc.hint or _("Check the terminal's cable and power, then try again, or take another tender."),
            "failed",
        ) from exc
    step(CRASH_ANSWERED)
    if other_amount(answer, amount_minor):
        reverse_other_amount(req.request_id, req.purpose, answer, user, uow_factory=uow_factory, clock=clock,
                             store=store, terminal=terminal, card_terminal=card_terminal)  # fmt: skip
    if answer.outcome is Outcome.UNKNOWN:  # (an approval for another amount was reversed just above)
        raise CardOutcomeUnknown(req.request_id, money(req.amount))
    return record(
        req.request_id, answer, str(answer.outcome), "answer", user,
        uow_factory=uow_factory, clock=clock, settle=settle, amount=req.amount,
    )  # fmt: skip


def reverse_other_amount(
    request_id: str,
    purpose: Purpose,
    answer: Answer,
    user: User,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    card_terminal: PaymentTerminal,
) -> None:
    """The terminal approved another amount than asked: that answer is journaled as
    ``other_amount`` (never as the sale's payment), and the charge is reversed at once, as
    a request of its own. Always raises: CardNotApproved saying what happened."""
    money = money_of(store)
    charged = store.currency.from_minor(answer.amount_minor)
    with uow_factory() as uow:
        row = uow.cards.get(request_id)
        asked = store.currency.from_minor(row.amount_minor) if row is not None else charged
    with contextlib.suppress(CardNotApproved):
        record(request_id, answer, "other_amount", "answer", user, uow_factory=uow_factory, clock=clock)
    reversal = CardRequest("reversal", charged, Purpose("void", purpose.id, purpose.seq), original=answer.reference)
    what = _("The card terminal charged {charged} instead of {asked}.").format(
        charged=money(charged), asked=money(asked)
    )
    try:
        send(reversal, user, uow_factory=uow_factory, clock=clock, store=store, terminal=terminal,
             card_terminal=card_terminal)  # fmt: skip
    except CardNotApproved as exc:
        raise CardNotApproved(
            _("{what} Its reversal failed: {message}").format(what=what, message=exc.message),
            _("Reverse it on the terminal by hand (reference {reference}), then charge the card again.").format(
                reference=answer.reference
            ),
            "other_amount",
        ) from exc
    raise CardNotApproved(
        _("{what} That charge was reversed: nothing is charged now.").format(what=what),
        _("Charge the card again."),
        "other_amount",
    )


def record(
    request_id: str,
    answer: Answer,
    outcome: str,
    how: str,
    user: User,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    settle: Callable[[UnitOfWork, Settled], None] = lambda uow, settled: None,
    amount: Decimal = Decimal(0),
    approved_by: str | None = None,
) -> Settled:
    """Step 3: journal the outcome of a pending request (and, approved, what ``settle`` adds)."""
    with uow_factory() as uow:
        row = uow.cards.get(request_id)
        if row is None or not row.pending:
            raise TenderError(_("This card request is already settled."), _("Look at the sale or return again."))
        purpose, op = Purpose(row.for_kind, row.for_id, row.seq), row.op
        settled = Settled(request_id, purpose, outcome, answer.text, amount, answer)
        body = {"request_id": request_id, **answer_body(answer, outcome, how, user)}
        if approved_by:
            body["approved_by"] = approved_by
        uow.journal.append(EventType.CARD_REQUEST_SETTLED, body, clock.now())
        if outcome == "approved":
            settle(uow, settled)
        uow.commit()
    if outcome not in ("approved", "failed", "other_amount"):
        raise CardNotApproved(*not_approved_words(answer, outcome, op), outcome)
    return settled


def not_approved_words(answer: Answer, outcome: str, op: str = "sale") -> tuple[str, str]:
    """(what happened, what to do) from the terminal's words: its first sentence says what
    happened, the rest what to do (devices.payment.zvt_texts); ours when it gave none.
    A refund or reversal says nothing was given back (not "charged")."""
    if op != "sale":
        # Translators: what a card refund or reversal the terminal did not make is called
        what = answer.text.strip().partition(". ")[0].rstrip(".") or _("Not made")
        if outcome == "not_charged":
            what = _("The card terminal has no record of it")
        nothing = {
            "refund": _("{what}. Nothing was refunded to the card."),
            "reversal": _("{what}. Nothing was given back to the card."),
        }.get(op, _("{what}. Nothing was charged to the card."))
        return (nothing.format(what=what), _("Try again, or pay it another way with a supervisor."))
    if outcome == "not_charged":
        return (
            _("The card terminal has no record of this payment: nothing was charged."),
            _("Charge the card again, or take another tender."),
        )
    # The terminal's own words (devices.payment.zvt_texts) are read as the device layer wrote them.
    text, _sep, extra = answer.text.strip().partition(" The terminal says: ")
    what, _sep, said = text.partition(". ")
    if not what.rstrip("."):
        what = {"declined": _("Declined"), "cancelled": _("Cancelled at the terminal")}.get(outcome, _("Not charged"))
    what = what.rstrip(".")
    extra = extra.strip().rstrip(".")
    if extra and extra.lower() not in what.lower():
        what = f"{what} ({extra})"
    said = said.removeprefix("Nothing was charged; ").strip()
    said = said[:1].upper() + said[1:]
    default = (
        _("Press Enter to try the card again, or take another tender.")
        if outcome == "cancelled"
        else _("Ask for another card, or take cash (F9) or store credit (F8).")
    )
    # Translators: {what} is the card terminal's own words ("Declined")
    return (_("{what}. Nothing was charged.").format(what=what), said.strip() or default)


# ------------------------------------------------------------------ resolving the unknown


def _newer(row: CardRequestRow, last: Answer | None) -> bool:
    """The terminal's last transaction came after what the lane knew when it sent ``row``."""
    return last is not None and bool(last.trace) and last.trace != row.prior_trace


def matches(row: CardRequestRow, last: Answer | None) -> bool:
    """Is the terminal's last transaction this request's? Newer than what the lane knew
    when it sent the request, and for the request's amount."""
    return (
        _newer(row, last)
        and last is not None
        and last.outcome is not Outcome.UNKNOWN
        and last.amount_minor == row.amount_minor
    )


def newer_other_amount(row: CardRequestRow, last: Answer | None) -> bool:
    """The terminal's last transaction is newer than the request and approved, but for
    another amount: a charge to reverse."""
    return (
        _newer(row, last)
        and last is not None
        and last.outcome is Outcome.APPROVED
        and last.amount_minor != row.amount_minor
    )


@dataclass(frozen=True)
class Resolution:
    request: CardRequestRow
    outcome: str  # approved | declined | cancelled | not_charged | other_amount (reversed) | pending
    text: str


def resolve_pending(
    user: User,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    card_terminal: PaymentTerminal | None,
    settle_sale: Callable[[UnitOfWork, Settled], None],
) -> list[Resolution]:
    """Ask the terminal about every pending request of this lane, oldest first, and journal
    what it says. One the terminal cannot settle stays pending (outcome "pending")."""
    with uow_factory() as uow:
        pending = uow.cards.pending(terminal.terminal_id)
    out: list[Resolution] = []
    for row in pending:
        if card_terminal is None:
            out.append(Resolution(row, "pending", _("No card terminal is set up to ask.")))
            continue
        try:
            last = card_terminal.last_transaction()
        except CounterError as exc:
            out.append(Resolution(row, "pending", f"{exc.message} {exc.hint}".strip()))
            break  # the terminal is not answering: the later ones wait too
        amount = store.currency.from_minor(row.amount_minor)
        if newer_other_amount(row, last):
            assert last is not None
            try:
                reverse_other_amount(
                    row.request_id, Purpose(row.for_kind, row.for_id, row.seq), last, user, uow_factory=uow_factory,
                    clock=clock, store=store, terminal=terminal, card_terminal=card_terminal,
                )  # fmt: skip
            except CardNotApproved as exc:
                out.append(Resolution(row, "other_amount", f"{exc.message} {exc.hint}"))
            continue
        if matches(row, last):
            assert last is not None
            outcome = str(last.outcome)
            answer = last
        else:
            outcome = "not_charged"
            answer = Answer(Outcome.DECLINED, 0, NO_RECORD)  # journaled as it is: English
        settle = settle_sale if row.for_kind == "sale" else (lambda uow, settled: None)
        with contextlib.suppress(CardNotApproved):  # recorded; the outcome says it
            record(row.request_id, answer, outcome, "asked", user, uow_factory=uow_factory, clock=clock,
                   settle=settle, amount=amount)  # fmt: skip
        out.append(Resolution(row, outcome, _(NO_RECORD) if answer.text == NO_RECORD else answer.text))
    return out


def settle_by_hand(
    request_id: str,
    user: User,
    charged: bool,
    card: CardDetails | None,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    settle_sale: Callable[[UnitOfWork, Settled], None],
) -> Settled | None:
    """A supervisor settles a pending request from the terminal's own slip: charged (with the
    slip's card details) or not. Needs a CARD_OUTCOME approval bound to the request id."""
    with uow_factory() as uow:
        row = uow.cards.get(request_id)
        if row is None or not row.pending:
            raise TenderError(_("This card request is already settled."), _("Look at the sale again."))
        amount = store.currency.from_minor(row.amount_minor)
        granted = uow.approvals.granted(request_id, user.id)
        if ApprovalKind.CARD_OUTCOME not in granted:
            raise CardApprovalNeeded(
                ApprovalKind.CARD_OUTCOME, amount,
                _("A supervisor must settle a card payment whose outcome is unknown."),
                _("Ask a supervisor to read the terminal's own slip and enter their PIN."),
            )  # fmt: skip
        approver = uow.approvals.approver_of(request_id, user.id, ApprovalKind.CARD_OUTCOME)
    if charged and card is None:
        raise TenderError(
            _("Enter the card's details from the terminal's slip."), _("Brand, last 4 and approval code.")
        )
    answer = (
        Answer(
            Outcome.APPROVED,
            row.amount_minor,
            SETTLED_CHARGED,
            approval_code=card.approval_code,
            card_brand=card.brand,
            pan_last4=card.last4,
        )  # fmt: skip
        if charged and card is not None
        else Answer(Outcome.DECLINED, 0, SETTLED_NOT_CHARGED)
    )
    outcome = "approved" if charged else "not_charged"
    settle = settle_sale if row.for_kind == "sale" else (lambda uow, settled: None)
    try:
        return record(request_id, answer, outcome, "supervisor", user, uow_factory=uow_factory, clock=clock,
                      settle=settle, amount=amount, approved_by=approver)  # fmt: skip
    except CardNotApproved:
        return None
