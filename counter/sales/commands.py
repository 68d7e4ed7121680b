"""The sale screen's commands that write outside a sale's own commit: voiding the open
sale, voiding a line of it, and journaling the reprint of a receipt. Each checks the
person's right here, not on the screen, so that every way in (keys, menus, scripts) is
held to the same rule and a refusal is journaled (counter.people.access)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from counter.errors import CartError
from counter.i18n import _
from counter.journal import EventType
from counter.people.access import authorize
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.sales.cart import Cart, CartLine


@dataclass(frozen=True)
class VoidedSale:
    lines: int
    total: Decimal


def void_sale(user: User, cart: Cart, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> VoidedSale:
    """Journal SaleVoided for the open cart (nothing was charged) and empty it. A sale with
    payments taken is voided by ``counter.sales.voids.void_paid_sale``, which gives them back."""
    if cart.is_empty:
        raise CartError(_("There is nothing to void."), _("Scan an item to start a sale."))
    authorize(
        user,
        Permission.VOID_LINE,
        "void a sale",
        uow_factory=uow_factory,
        clock=clock,
        error=CartError,
        message=_("{name} may not void a sale.").format(name=user.name),
    )
    voided = VoidedSale(len(cart.active_lines), cart.total)
    with uow_factory() as uow:
        uow.journal.append(
            EventType.SALE_VOIDED,
            {"user": user.id, "lines": voided.lines, "total": cart.currency.to_minor(voided.total)},
            clock.now(),
        )
        uow.commit()
    return voided


def void_line(user: User, cart: Cart, line_id: str, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> CartLine:
    """Void one line of the open cart, for a person who may."""
    authorize(
        user,
        Permission.VOID_LINE,
        "void a line",
        uow_factory=uow_factory,
        clock=clock,
        error=CartError,
        message=_("{name} may not void a line.").format(name=user.name),
    )
    return cart.void(line_id)


def record_reprint(user: User, reference: str, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> int:
    """Journal ReceiptReprinted for the next copy of ``reference`` and return its number
    (1 for the first copy): read and written in one unit of work, so two reprints never
    share a number."""
    authorize(
        user,
        Permission.SELL,
        "reprint a receipt",
        uow_factory=uow_factory,
        clock=clock,
        error=CartError,
        message=_("{name} may not reprint a receipt.").format(name=user.name),
    )
    with uow_factory() as uow:
        copy_number = uow.print_jobs.last_copy_number(reference) + 1
        body = {"receipt_number": reference, "copy": copy_number, "user": user.id}
        uow.journal.append(EventType.RECEIPT_REPRINTED, body, clock.now())
        uow.commit()
    return copy_number
