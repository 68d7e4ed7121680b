"""Part payments: a tender that leaves part of a sale due is journaled as it is taken.

The cash is in the drawer, the card charged on the terminal, the voucher spent the moment a
part payment is taken; so that is when it is recorded, one ``PartPaymentTaken`` entry each:

    {"sale_id", "seq" (1, 2, ... within the sale), "user", "currency", "total" (the sale's
     total, minor units), "tender": {kind, amount, tendered, card_brand, card_last4,
     approval_code, voucher?}}

A store-credit part payment redeems its voucher in the same transaction (the balance is
checked there, so another lane cannot spend it meanwhile). A crash between a part payment
and the rest of the sale loses nothing: the drawer's expected cash holds it, and the next
person to sign in is shown the interrupted sale's payments to give back
(``SalesRepository.interrupted``, counter.sales.voids).

The sale then either completes, under the same id, with all its tenders and
``"part_payments": n`` (the first n were taken so; ``counter.sales.checkout`` checks that
they are the ones journaled and redeems no voucher twice), or is voided and each one given
back by its own tender (``counter.sales.voids``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from counter.cash.shifts import require_open_shift
from counter.errors import CartError, TenderError
from counter.i18n import _
from counter.journal import EventType
from counter.people.access import authorize
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.sales.tenders import Tender, TenderKind
from counter.store import StoreConfig, TerminalIdentity

#: what the sale screen takes as a part payment
PART_KINDS = frozenset({TenderKind.CASH, TenderKind.CARD, TenderKind.STORE_CREDIT})


@dataclass(frozen=True)
class TakePartPayment:
    cashier: User
    sale_id: str
    seq: int  # 1 for the sale's first tender
    tender: Tender
    total: Decimal  # the sale's total


def may_take_payment(cashier: User, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
    """Return if ``cashier`` may take a payment; else journal the refusal and raise CartError."""
    authorize(
        cashier,
        Permission.SELL,
        "take a payment",
        uow_factory=uow_factory,
        clock=clock,
        error=CartError,
        message=_("{name} may not take a payment.").format(name=cashier.name),
    )


def _already(state: str) -> str:
    """What a sale no longer open already is ("completed" or "voided", as stored)."""
    return _("This sale is already completed.") if state == "completed" else _("This sale is already voided.")


def check_part_tender(tender: Tender, total: Decimal) -> None:
    if tender.kind not in PART_KINDS:
        raise TenderError(
            _("{label} cannot be taken as a part payment.").format(label=tender.label),
            _("Take cash, a card or store credit."),
        )
    if tender.amount <= 0 or tender.tendered != tender.amount or tender.amount > total:
        raise TenderError(_("A part payment amount is not valid."), _("Take the payment again."))
    if tender.kind is TenderKind.CARD and tender.card is None:
        raise TenderError(
            _("A card payment is missing its details."), _("Enter the card's brand, last 4 and approval code.")
        )
    if tender.kind is TenderKind.STORE_CREDIT and not tender.voucher:
        raise TenderError(_("A store-credit payment is missing its voucher code."), _("Scan the voucher again."))


def take_part_payment(
    cmd: TakePartPayment,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
) -> None:
    """Journal one part payment of the open sale ``cmd.sale_id`` (the store-credit
    voucher's redemption with it)."""
    may_take_payment(cmd.cashier, uow_factory=uow_factory, clock=clock)
    check_part_tender(cmd.tender, cmd.total)
    with uow_factory() as uow:
        require_open_shift(uow, terminal.terminal_id)
        check_next_part(uow, cmd.sale_id, cmd.seq)
        journal_part_payment(uow, cmd, store, clock)
        uow.commit()


def check_next_part(uow: UnitOfWork, sale_id: str, seq: int) -> None:
    """The sale is open, ``seq`` is its next part payment, and no card request for it is
    waiting for its outcome (counter.payments.requests)."""
    state = uow.sales.sale_state(sale_id)
    if state != "open":
        raise CartError(_already(state), _("Start a new sale."))
    if len(uow.sales.part_payments(sale_id)) != seq - 1:
        raise CartError(_("The payments on screen do not match those recorded."), _("Void the sale and start again."))
    check_no_card_pending(uow, sale_id)


def check_no_card_pending(uow: UnitOfWork, sale_id: str) -> None:
    if any(r.pending for r in uow.cards.for_purpose("sale", sale_id)):
        raise TenderError(
            _("A card payment of this sale has an unknown outcome."),
            _("Wait until the terminal's answer is known (Retry), or let a supervisor settle it."),
        )


def journal_part_payment(uow: UnitOfWork, cmd: TakePartPayment, store: StoreConfig, clock: Clock) -> None:
    """Journal ``cmd``'s tender as the sale's part payment (and redeem its voucher), in the
    caller's unit of work."""
    minor = store.currency.to_minor
    t = cmd.tender
    if t.kind is TenderKind.STORE_CREDIT and t.voucher:
        uow.vouchers.check_redeem(t.voucher, t.amount)
    body = {
        "sale_id": cmd.sale_id,
        "seq": cmd.seq,
        "user": cmd.cashier.id,
        "currency": store.currency.code,
        "total": minor(cmd.total),
        "tender": t.journal_body(minor),
    }
    uow.journal.append(EventType.PART_PAYMENT_TAKEN, body, clock.now())


def check_taken_before(uow: UnitOfWork, sale_id: str, tenders: Sequence[Tender], count: int) -> None:
    """The first ``count`` of ``tenders`` are the part payments journaled for ``sale_id``,
    and the sale is neither completed nor voided (in the caller's unit of work)."""
    state = uow.sales.sale_state(sale_id)
    if state != "open":
        raise CartError(_already(state), _("Start a new sale."))
    check_no_card_pending(uow, sale_id)
    recorded = uow.sales.part_payments(sale_id)
    if list(tenders[:count]) != recorded or len(recorded) != count:
        raise TenderError(
            _("The payments on screen do not match the part payments recorded for this sale."),
            _("Void the sale (Shift+F6) to give them back, and ring it up again."),
        )
