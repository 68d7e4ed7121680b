"""Opening the cash drawer: when it may open, and the journal entry that records it.

The drawer opens only for a committed cash movement (a cash sale, a cash refund, the cash
part of an exchange) or for a recorded **no-sale**: the person says why, and needs the
OPEN_DRAWER permission or a supervisor's approval bound to this very request (recorded
before, as ApprovalGranted, by ``counter.trust.approvals.grant_approval``).

Every opening is one ``DrawerOpened`` journal entry, committed *before* the drawer is
kicked: an opening is never unrecorded, and a kick that then fails is said on screen (the
cashier opens the drawer with its key, or asks again, which is a new entry).

An opening for a cash movement is *due* with the commit that moved the cash: the sale's or
the return's handler records a ``DrawerOpening`` in the outbox in its own transaction
(counter.trust.outbox, ``Due.DRAWER``). After the commit the application journals
``DrawerOpened`` in the transaction that settles it (app.drawer), then kicks; a crash in
between leaves it due, and the next sign-in offers it. A drawer never opens by itself.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from counter.errors import CounterError
from counter.i18n import N_, _
from counter.journal import EventType
from counter.people.users import Permission, User
from counter.returns.policy import ApprovalKind
from counter.returns.refunds import RefundPart
from counter.sales.tenders import Tender, TenderKind

if TYPE_CHECKING:  # (counter.ports names the outbox, whose drawer items hold a DrawerOpening)
    from counter.ports import Clock, UnitOfWork

MIN_NOTE = 3  # "float" is a reason; "x" is not


class DrawerError(CounterError):
    """The drawer may not be opened (no reason, no right, nothing to pay out)."""


class DrawerReason(enum.StrEnum):
    CASH_SALE = "cash_sale"  # change for a cash sale (or the cash part of an exchange)
    CASH_REFUND = "cash_refund"  # cash handed back on a return
    NO_SALE = "no_sale"  # opened without a sale: the person's note says why

    @property
    def label(self) -> str:
        return _(_REASON_LABELS[self.value])


#: what each reason is called on screen (the journal keeps the code)
_REASON_LABELS = {"cash_sale": N_("cash sale"), "cash_refund": N_("cash refund"), "no_sale": N_("no sale")}


@dataclass(frozen=True)
class OpenDrawer:
    """The command: ``reference`` is the receipt or return number the opening belongs to."""

    user: User
    reason: DrawerReason
    reference: str | None = None
    note: str = ""
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def needs_approval(user: User) -> bool:
    """A no-sale by this person needs a supervisor's PIN."""
    return not user.can(Permission.OPEN_DRAWER)


def takes_cash(tenders: Iterable[Tender]) -> bool:
    """True when a sale or exchange took cash, so that the drawer must open for change."""
    return any(t.kind is TenderKind.CASH and t.tendered > 0 for t in tenders)


@dataclass(frozen=True)
class DrawerOpening:
    """The drawer opening a commit owes (``Due.DRAWER`` in the outbox): why, for whom, and
    the cash that went in or out, said to the person if a crash left it due."""

    reason: DrawerReason  # CASH_SALE (a sale, or the cash part of an exchange) or CASH_REFUND
    record: str  # what the item's reference numbers: "sale" or "return"
    user: str  # who took or handed out the cash (the cashier's id)
    cashier: str  # their name
    cash: Decimal  # taken by the sale or exchange, or handed out by the refund
    change: Decimal = Decimal(0)  # given back from what was tendered

    def to_data(self) -> dict[str, str]:
        return {
            "reason": str(self.reason),
            "record": self.record,
            "user": self.user,
            "cashier": self.cashier,
            "cash": str(self.cash),
            "change": str(self.change),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> DrawerOpening:
        """What ``to_data`` wrote; raises KeyError, ValueError or ArithmeticError otherwise."""
        reason, record = DrawerReason(data["reason"]), str(data["record"])
        if reason is DrawerReason.NO_SALE or record not in ("sale", "return", "payment", "void"):
            raise ValueError(f"not an opening a commit owes: {reason}, {record!r}")
        return cls(
            reason,
            record,
            str(data["user"]),
            str(data["cashier"]),
            Decimal(data["cash"]),
            Decimal(data["change"]),
        )

    def text(self, reference: str, money: Callable[[Decimal], str]) -> str:
        """What the offer after a restart says, e.g. "Sale S01-T01-000042 took $20.00 cash"."""
        cash, change = money(self.cash), money(self.change)
        if self.reason is DrawerReason.CASH_REFUND:
            if self.record == "payment":
                return _("Payment {reference} handed out {cash} cash").format(reference=reference, cash=cash)
            if self.record == "void":
                return _("Void {reference} handed out {cash} cash").format(reference=reference, cash=cash)
            return _("Return {reference} handed out {cash} cash").format(reference=reference, cash=cash)
        texts = {
            "sale": (
                N_("Sale {reference} took {cash} cash"),
                N_("Sale {reference} took {cash} cash and gave {change} change"),
            ),
            "payment": (
                N_("Payment {reference} took {cash} cash"),
                N_("Payment {reference} took {cash} cash and gave {change} change"),
            ),
        }
        plain, with_change = texts.get(
            self.record,
            (
                N_("Exchange {reference} took {cash} cash"),
                N_("Exchange {reference} took {cash} cash and gave {change} change"),
            ),
        )
        return _(with_change if self.change else plain).format(reference=reference, cash=cash, change=change)


def opening_for_sale(tenders: Iterable[Tender], cashier: User, record: str = "sale") -> DrawerOpening | None:
    """The opening a sale (or an exchange's new sale) owes: one when it took cash."""
    cash = [t for t in tenders if t.kind is TenderKind.CASH and t.tendered > 0]
    if not cash:
        return None
    amount = sum((t.amount for t in cash), Decimal(0))
    change = sum((t.change for t in cash), Decimal(0))
    return DrawerOpening(DrawerReason.CASH_SALE, record, cashier.id, cashier.name, amount, change)


def opening_for_return(
    refunds: Iterable[RefundPart], exchange: Iterable[Tender] | None, cashier: User, record: str = "return"
) -> DrawerOpening | None:
    """The opening a return owes: one when it hands out cash, or its exchange takes cash.
    A desk payment (``record="payment"``: a deposit, an order or account payment, a
    cancellation's or an adjustment's refund) owes one the same way."""
    out = sum((p.amount for p in refunds if p.kind is TenderKind.CASH and p.amount > 0), Decimal(0))
    if out > 0:
        return DrawerOpening(DrawerReason.CASH_REFUND, record, cashier.id, cashier.name, out)
    return opening_for_sale(exchange or (), cashier, record)


def opening_body(
    request_id: str, reason: DrawerReason, user: str, reference: str | None, note: str, approved: bool
) -> dict[str, Any]:
    """The body of a ``DrawerOpened`` entry (here, and for a due opening: app.drawer)."""
    return {
        "request_id": request_id,
        "reason": str(reason),
        "user": user,
        "reference": reference,
        "note": note,
        "approved": approved,
    }


def open_drawer(cmd: OpenDrawer, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> dict[str, Any]:
    """Check that the drawer may open and journal ``DrawerOpened``; returns the entry's body.

    The caller kicks the drawer only after this returned (the entry is committed)."""
    note = cmd.note.strip()
    if cmd.reason is DrawerReason.NO_SALE:
        if len(note) < MIN_NOTE:
            raise DrawerError(
                _("Say why the drawer is opened without a sale."),
                _("Type a short reason, for example “change for the float”."),
            )
    elif not cmd.reference:
        raise DrawerError(_("The drawer opens for a recorded sale or return only."), _("This is a bug in the app."))
    with uow_factory() as uow:
        approved = False
        if cmd.reason is DrawerReason.NO_SALE and needs_approval(cmd.user):
            granted = uow.approvals.granted(cmd.request_id, cmd.user.id)
            if ApprovalKind.NO_SALE not in granted:
                uow.journal.append(  # the refusal is on the record too (counter.people.access)
                    EventType.ACCESS_REFUSED,
                    {
                        "user": cmd.user.id,
                        "role": str(cmd.user.role),
                        "active": cmd.user.active,
                        "action": "open the drawer without a sale",
                        "permission": str(Permission.OPEN_DRAWER),
                        "detail": {"request_id": cmd.request_id},
                    },
                    clock.now(),
                )
                uow.commit()
                raise DrawerError(
                    _("{name} may not open the drawer without a sale.").format(name=cmd.user.name),
                    _("A supervisor must approve it with their PIN."),
                )
            approved = True
        body = opening_body(cmd.request_id, cmd.reason, cmd.user.id, cmd.reference, note, approved)
        uow.journal.append(EventType.DRAWER_OPENED, body, clock.now())
        uow.commit()
    return body


NO_AMOUNT = Decimal(0)  # a no-sale approval is bound to the request, not to an amount
