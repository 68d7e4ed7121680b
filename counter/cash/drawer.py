"""Opening the cash drawer: when it may open, and the journal entry that records it.

The drawer opens only for a committed cash movement (a cash sale, a cash refund, the cash
part of an exchange) or for a recorded **no-sale**: the person says why, and needs the
OPEN_DRAWER permission or a supervisor's approval bound to this very request (recorded
before, as ApprovalGranted, by ``counter.trust.approvals.grant_approval``).

Every opening is one ``DrawerOpened`` journal entry, committed *before* the drawer is
kicked: an opening is never unrecorded, and a kick that then fails is said on screen (the
cashier opens the drawer with its key, or asks again, which is a new entry).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from counter.errors import CounterError
from counter.journal import EventType
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.returns.policy import ApprovalKind
from counter.sales.tenders import Tender, TenderKind

MIN_NOTE = 3  # "float" is a reason; "x" is not


class DrawerError(CounterError):
    """The drawer may not be opened (no reason, no right, nothing to pay out)."""


class DrawerReason(enum.StrEnum):
    CASH_SALE = "cash_sale"  # change for a cash sale (or the cash part of an exchange)
    CASH_REFUND = "cash_refund"  # cash handed back on a return
    NO_SALE = "no_sale"  # opened without a sale: the person's note says why

    @property
    def label(self) -> str:
        return {"cash_sale": "cash sale", "cash_refund": "cash refund", "no_sale": "no sale"}[self.value]


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


def open_drawer(cmd: OpenDrawer, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> dict[str, Any]:
    """Check that the drawer may open and journal ``DrawerOpened``; returns the entry's body.

    The caller kicks the drawer only after this returned (the entry is committed)."""
    note = cmd.note.strip()
    if cmd.reason is DrawerReason.NO_SALE:
        if len(note) < MIN_NOTE:
            raise DrawerError(
                "Say why the drawer is opened without a sale.",
                "Type a short reason, for example “change for the float”.",
            )
    elif not cmd.reference:
        raise DrawerError("The drawer opens for a recorded sale or return only.", "This is a bug in the app.")
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
                    f"{cmd.user.name} may not open the drawer without a sale.",
                    "A supervisor must approve it with their PIN.",
                )
            approved = True
        body: dict[str, Any] = {
            "request_id": cmd.request_id,
            "reason": str(cmd.reason),
            "user": cmd.user.id,
            "reference": cmd.reference,
            "note": note,
            "approved": approved,
        }
        uow.journal.append(EventType.DRAWER_OPENED, body, clock.now())
        uow.commit()
    return body


NO_AMOUNT = Decimal(0)  # a no-sale approval is bound to the request, not to an amount
