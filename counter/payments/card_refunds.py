"""A return's refund to the card that paid, through the integrated terminal, referenced.

The refund's parts are allocated as before (``counter.returns.refunds``): back to the card
tender that paid, capped by what that card paid less what was already refunded to it. A
part whose card payment went through the terminal (it has the terminal's reference) gets a
card request, journaled as ``CardRequestSent`` in the same transaction as the return
(``journal_refund_requests``, called by ``counter.returns.process``). After the commit the
terminal is asked for each (``send_refunds``), naming the original payment's reference.

A card refund the terminal did not make (declined, not reached, or found not made after an
unknown outcome) keeps the return **open**: it is listed (``CardRequests.open_refunds``)
until it is tried again and approved (``retry_refund``) or paid another way, in cash or
store credit, with a supervisor's approval (``close_refund_otherwise``, journaled as
``CardRefundClosed``).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from counter.cash.drawer import DrawerOpening, DrawerReason
from counter.errors import CounterError, TenderError
from counter.i18n import _
from counter.journal import EventType
from counter.payments.ports import CardRequestRow
from counter.payments.requests import (
    CardApprovalNeeded,
    CardNotApproved,
    CardOutcomeUnknown,
    CardRequest,
    Purpose,
    Settled,
    ask,
    journal_sent,
    money_of,
    pending_block,
    send,
)
from counter.payments.terminal import PaymentTerminal, StatusCallback
from counter.people.users import User
from counter.ports import Clock, UnitOfWork
from counter.returns.policy import ApprovalKind
from counter.returns.refunds import RefundPart
from counter.sales.tenders import TenderKind
from counter.sales.vouchers import new_voucher_code
from counter.store import StoreConfig, TerminalIdentity


def journal_refund_requests(
    uow: UnitOfWork,
    return_id: str,
    original_sale_id: str | None,
    parts: Sequence[RefundPart],
    user: User,
    *,
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    device: str,
) -> int:
    """Journal a card request for each card part whose payment went through the terminal, in
    the return's own unit of work; how many."""
    if original_sale_id is None:
        return 0
    made = 0
    for part in parts:
        if part.kind is not TenderKind.CARD or part.original_seq is None:
            continue
        reference = uow.cards.payment_reference(original_sale_id, part.original_seq)
        if reference is None:
            continue  # keyed by hand from a standalone terminal: refunded there, as before
        if made == 0:
            pending_block(uow, terminal, store)
        req = CardRequest("refund", part.amount, Purpose("return", return_id, part.original_seq), original=reference)
        journal_sent(uow, req, user, store, terminal, clock, device)
        made += 1
    return made


@dataclass(frozen=True)
class RefundOutcome:
    seq: int
    amount: Decimal
    approved: bool
    text: str
    unknown: bool = False


def _request_of(row: CardRequestRow, store: StoreConfig) -> CardRequest:
    return CardRequest(
        row.op, store.currency.from_minor(row.amount_minor), Purpose(row.for_kind, row.for_id, row.seq),
        original=row.original, request_id=row.request_id,
    )  # fmt: skip


def _outcome(call: Callable[[], Settled], seq: int, amount: Decimal, money: Callable[[Decimal], str]) -> RefundOutcome:
    try:
        call()
    except CardNotApproved as exc:
        return RefundOutcome(seq, amount, False, f"{exc.message} {exc.hint}".strip())
    except CardOutcomeUnknown as exc:
        return RefundOutcome(seq, amount, False, f"{exc.message} {exc.hint}".strip(), unknown=True)
    return RefundOutcome(seq, amount, True, _("{amount} refunded to the card.").format(amount=money(amount)))


def send_refunds(
    return_id: str,
    user: User,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    card_terminal: PaymentTerminal | None,
    on_status: StatusCallback | None = None,
) -> list[RefundOutcome]:
    """Ask the terminal for each card refund the return journaled and has not sent yet."""
    with uow_factory() as uow:
        rows = [r for r in uow.cards.for_purpose("return", return_id) if r.pending]
    money = money_of(store)
    out: list[RefundOutcome] = []
    for row in rows:
        req = _request_of(row, store)
        if card_terminal is None:
            out.append(RefundOutcome(row.seq, req.amount, False, _("No card terminal is set up."), unknown=True))
            continue
        device = card_terminal
        out.append(
            _outcome(
                functools.partial(
                    ask, req, user, uow_factory=uow_factory, clock=clock, store=store, terminal=terminal,
                    card_terminal=device,
                    on_status=on_status,
                ),
                row.seq, req.amount, money,
            )
        )  # fmt: skip
    return out


def retry_refund(
    return_id: str,
    seq: int,
    user: User,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    card_terminal: PaymentTerminal | None,
    on_status: StatusCallback | None = None,
) -> RefundOutcome:
    """Try an open card refund again on the terminal, as a new request naming the same payment."""
    if card_terminal is None:
        raise TenderError(_("No card terminal is set up."), _("Set one up in Devices, or pay the refund another way."))
    with uow_factory() as uow:
        row = open_refund(uow, return_id, seq, terminal)
    req = CardRequest("refund", store.currency.from_minor(row.amount_minor), Purpose("return", return_id, seq),
                      original=row.original)  # fmt: skip

    def check(uow: UnitOfWork) -> None:
        open_refund(uow, return_id, seq, terminal)

    return _outcome(
        lambda: send(req, user, uow_factory=uow_factory, clock=clock, store=store, terminal=terminal,
                     card_terminal=card_terminal, on_status=on_status, check=check),  # fmt: skip
        seq, req.amount, money_of(store),
    )  # fmt: skip


def open_refund(uow: UnitOfWork, return_id: str, seq: int, terminal: TerminalIdentity) -> CardRequestRow:
    """The return's card refund ``seq`` while it is open (in the caller's unit of work)."""
    for row in uow.cards.open_refunds(terminal.terminal_id):
        if row.for_id == return_id and row.seq == seq:
            return row
    raise TenderError(_("This card refund is not open any more."), _("Look at the open card refunds again."))


@dataclass(frozen=True)
class CloseCardRefund:
    user: User
    return_id: str
    seq: int
    how: str  # cash | store_credit
    request_id: str = field(default_factory=lambda: secrets.token_hex(8))  # the approval's


@dataclass(frozen=True)
class ClosedRefund:
    amount: Decimal
    how: str
    voucher: str | None
    approved_by: str
    reference: str  # what the drawer's opening (cash) is due under


def close_refund_otherwise(
    cmd: CloseCardRefund,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
) -> ClosedRefund:
    """Pay an open card refund in cash or store credit; needs a CARD_REFUND_OTHER_WAY
    approval for its amount bound to ``cmd.request_id``. A cash payment opens the drawer
    after the commit (its opening is due with it)."""
    if cmd.how not in ("cash", "store_credit"):
        raise TenderError(_("A card refund can be paid instead in cash or store credit."), _("Pick one of the two."))
    with uow_factory() as uow:
        row = open_refund(uow, cmd.return_id, cmd.seq, terminal)
        amount = store.currency.from_minor(row.amount_minor)
        granted = uow.approvals.granted(cmd.request_id, cmd.user.id)
        if granted.get(ApprovalKind.CARD_REFUND_OTHER_WAY) != amount:
            raise CardApprovalNeeded(
                ApprovalKind.CARD_REFUND_OTHER_WAY, amount,
                _("A supervisor must approve paying the {amount} card refund another way.").format(
                    amount=money_of(store)(amount)
                ),
                _("Ask a supervisor to enter their PIN."),
            )  # fmt: skip
        approver = uow.approvals.approver_of(cmd.request_id, cmd.user.id, ApprovalKind.CARD_REFUND_OTHER_WAY)
        if approver is None:
            raise CounterError(_("The approval has no approver."), _("Ask a supervisor to approve again."))
        voucher = new_voucher_code() if cmd.how == "store_credit" else None
        reference = f"{cmd.return_id[:8]}/{cmd.seq}"
        now = clock.now()
        uow.journal.append(
            EventType.CARD_REFUND_CLOSED,
            {
                "return_id": cmd.return_id,
                "seq": cmd.seq,
                "request_id": row.request_id,
                "how": cmd.how,
                "amount": row.amount_minor,
                **({"voucher": voucher} if voucher else {}),
                "user": cmd.user.id,
                "approved_by": approver,
            },
            now,
        )
        if cmd.how == "cash":
            opening = DrawerOpening(DrawerReason.CASH_REFUND, "return", cmd.user.id, cmd.user.name,
                                    amount)  # fmt: skip
            uow.outbox.add_drawer(reference, opening, now)
        uow.commit()
    return ClosedRefund(amount, cmd.how, voucher, approver, reference)
