"""A sale's card payment through the integrated terminal (``counter.payments.requests``).

An approved payment becomes the sale's card tender, journaled as its part payment in the
same transaction as the terminal's answer; the sale then completes with it like any part
payment (``counter.sales.checkout``), or is voided and the payment reversed on the
terminal (``counter.payments.card_void``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from counter.cash.shifts import require_open_shift
from counter.errors import TenderError
from counter.i18n import _
from counter.payments.requests import (
    CardApprovalNeeded,
    CardRequest,
    Purpose,
    Resolution,
    Settled,
    card_details,
    resolve_pending,
    send,
    settle_by_hand,
)
from counter.payments.terminal import PaymentTerminal, StatusCallback
from counter.people.users import User, UserId
from counter.ports import Clock, UnitOfWork
from counter.returns.policy import ApprovalKind
from counter.sales.part_payments import TakePartPayment, check_next_part, journal_part_payment, may_take_payment
from counter.sales.tenders import CardDetails, Tender, TenderKind
from counter.store import StoreConfig, TerminalIdentity


@dataclass(frozen=True)
class ChargeCard:
    cashier: User
    sale_id: str
    seq: int  # the tender's number within the sale (1 for the first)
    amount: Decimal
    total: Decimal  # the sale's total
    on_status: StatusCallback | None = None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def sale_settler(store: StoreConfig, clock: Clock) -> Callable[[UnitOfWork, Settled], None]:
    """What an approved sale payment adds in the transaction that journals its answer: the
    sale's part payment, when the sale is still open at that tender (it always is when the
    answer comes at once; after a crash, a voided sale gets none, and its charge is listed
    for a reversal)."""

    def settle(uow: UnitOfWork, settled: Settled) -> None:
        row = uow.cards.get(settled.request_id)
        assert row is not None and settled.answer is not None
        if uow.sales.sale_state(row.for_id) != "open" or len(uow.sales.part_payments(row.for_id)) != row.seq - 1:
            return
        cashier = uow.users.get(UserId(row.user_id))
        if cashier is None:
            return
        amount = store.currency.from_minor(row.amount_minor)
        tender = Tender(TenderKind.CARD, amount, amount, card_details(settled.answer))
        total = store.currency.from_minor(row.total_minor if row.total_minor is not None else row.amount_minor)
        journal_part_payment(uow, TakePartPayment(cashier, row.for_id, row.seq, tender, total), store, clock)

    return settle


@dataclass(frozen=True)
class CardCharge:
    """An approved payment: its card tender (journaled as the sale's part payment) and the
    terminal's receipt text, for the till's printer when the terminal has none."""

    tender: Tender
    receipt_lines: tuple[str, ...]


def tender_of(settled: Settled) -> Tender:
    assert settled.answer is not None
    return Tender(TenderKind.CARD, settled.amount, settled.amount, card_details(settled.answer))


def charge_card(
    cmd: ChargeCard,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    card_terminal: PaymentTerminal | None,
    step: Callable[[str], None] = lambda name: None,
) -> CardCharge:
    """Charge ``cmd.amount`` on the terminal for the open sale; the approved card tender,
    already journaled as the sale's part payment. Raises CardNotApproved (nothing charged),
    CardOutcomeUnknown (resolve before anything else)."""
    if card_terminal is None:
        raise TenderError(_("No card terminal is set up."), _("Set one up in Devices, or key the card by hand."))
    may_take_payment(cmd.cashier, uow_factory=uow_factory, clock=clock)
    if cmd.amount <= 0 or cmd.amount > cmd.total:
        raise TenderError(
            _("A card payment must be above zero and at most what is due."), _("Type the amount to charge.")
        )

    def check(uow: UnitOfWork) -> None:
        require_open_shift(uow, terminal.terminal_id)
        check_next_part(uow, cmd.sale_id, cmd.seq)

    req = CardRequest("sale", cmd.amount, Purpose("sale", cmd.sale_id, cmd.seq), total=cmd.total,
                      request_id=cmd.request_id)  # fmt: skip
    settled = send(
        req, cmd.cashier, uow_factory=uow_factory, clock=clock, store=store, terminal=terminal,
        card_terminal=card_terminal, on_status=cmd.on_status, check=check, settle=sale_settler(store, clock),
        step=step,
    )  # fmt: skip
    assert settled.answer is not None
    return CardCharge(tender_of(settled), settled.answer.receipt_lines)


def resolve_cards(
    user: User,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    card_terminal: PaymentTerminal | None,
) -> list[Resolution]:
    """Resolve every pending card request of this lane by asking the terminal."""
    return resolve_pending(
        user, uow_factory=uow_factory, clock=clock, store=store, terminal=terminal, card_terminal=card_terminal,
        settle_sale=sale_settler(store, clock),
    )  # fmt: skip


def settle_card_by_hand(
    request_id: str,
    user: User,
    charged: bool,
    card: CardDetails | None,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
) -> Tender | None:
    """A supervisor's settling of a pending request (``counter.payments.requests.settle_by_hand``);
    the card tender when it was charged."""
    settled = settle_by_hand(request_id, user, charged, card, uow_factory=uow_factory, clock=clock, store=store,
                             settle_sale=sale_settler(store, clock))  # fmt: skip
    return tender_of(settled) if settled is not None else None


@dataclass(frozen=True)
class KeyCardByHand:
    """A card paid on a standalone terminal while the integrated one cannot be reached."""

    cashier: User
    sale_id: str
    seq: int
    amount: Decimal
    total: Decimal
    card: CardDetails
    request_id: str  # the CARD_MANUAL approval's


def key_card_by_hand(
    cmd: KeyCardByHand,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
) -> Tender:
    """Journal a card keyed from a standalone terminal's slip as the sale's part payment; with
    an integrated terminal set up, only with a supervisor's CARD_MANUAL approval for it (a
    keyed card is not checked by anything: the slip is the only proof)."""
    may_take_payment(cmd.cashier, uow_factory=uow_factory, clock=clock)
    tender = Tender(TenderKind.CARD, cmd.amount, cmd.amount, cmd.card)
    with uow_factory() as uow:
        if uow.approvals.granted(cmd.request_id, cmd.cashier.id).get(ApprovalKind.CARD_MANUAL) != cmd.amount:
            raise CardApprovalNeeded(
                ApprovalKind.CARD_MANUAL, cmd.amount,
                _("A supervisor must approve a card keyed by hand while the card terminal is set up."),
                _("Ask a supervisor to enter their PIN, or take another tender."),
            )  # fmt: skip
        require_open_shift(uow, terminal.terminal_id)
        check_next_part(uow, cmd.sale_id, cmd.seq)
        journal_part_payment(uow, TakePartPayment(cmd.cashier, cmd.sale_id, cmd.seq, tender, cmd.total), store, clock)
        uow.commit()
    return tender
