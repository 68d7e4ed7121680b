"""After a commit: the events screens publish once what they recorded is committed, and the
reactions subscribed to them (issue #15: one mechanism for after-commit effects).

A screen that committed a sale or a return publishes ``SaleCommitted`` or
``ReturnCommitted`` on the context's ``AfterCommit`` with a ``tell`` callback (how to add a
line to what the screen says); the service desk publishes ``DeskPaymentCommitted`` for money
taken or given back outside a sale (deposits, order payments, cancellation refunds,
payments on a house account), and the sale screen ``VoidCommitted`` for a sale voided after
payments were taken (each given back by its own tender), and the cash office
``ZReportCommitted`` for a Z report (a backup follows it, app/backups.py). Subscribed, in the order they were
wired: the documents the commit made due (``app.reactions``: receipt, credit note, void
slip), the cash drawer and the
customer display (``ui/devices/device_wiring.py``), the sync nudge (``ui/sync_bridge.py``). A
reaction that fails is logged and said; the others still run, and nothing recorded is
touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, overload

from counter.i18n import _
from counter.returns.process import ReturnRecord
from counter.sales.sale import Sale
from counter.sales.voids import VoidRecord

log = logging.getLogger(__name__)

#: add a line to what the screen says: (text, "ok" | "info" | "error")
Tell = Callable[[str, str], None]


@dataclass(frozen=True)
class SaleCommitted:
    sale: Sale
    tell: Tell
    #: a device's problem, said above what the screen says (its printing line stays last);
    #: None: said through ``tell``
    warn: Tell | None = None


@dataclass(frozen=True)
class ReturnCommitted:
    record: ReturnRecord
    tell: Tell
    warn: Tell | None = None


@dataclass(frozen=True)
class DeskPaymentCommitted:
    """Money taken or given back at the service desk outside a sale (its sales, service
    charges and pickups, publish ``SaleCommitted``)."""

    reference: str  # the payment's number (the outbox keys the drawer's opening by it)
    cash_in: Decimal  # cash taken into the drawer
    cash_out: Decimal  # cash handed back from it
    tell: Tell
    warn: Tell | None = None


@dataclass(frozen=True)
class VoidCommitted:
    """A sale voided after payments were taken, each given back by its own tender
    (counter.sales.voids): its slip is due, the drawer opens for the cash given back."""

    record: VoidRecord
    tell: Tell
    warn: Tell | None = None


@dataclass(frozen=True)
class ZReportCommitted:
    """A Z report was taken (the cash office): the day is closed, and a backup follows
    (app/backups.py)."""

    number: int | None
    tell: Tell
    warn: Tell | None = None


Committed = SaleCommitted | ReturnCommitted | DeskPaymentCommitted | VoidCommitted | ZReportCommitted


class AfterCommit:
    def __init__(self) -> None:
        self._reactions: list[tuple[type[Committed], Callable[[Any], None]]] = []

    @overload
    def subscribe(self, kind: type[SaleCommitted], reaction: Callable[[SaleCommitted], None]) -> Callable[[], None]: ...

    @overload
    def subscribe(
        self, kind: type[ReturnCommitted], reaction: Callable[[ReturnCommitted], None]
    ) -> Callable[[], None]: ...

    @overload
    def subscribe(
        self, kind: type[DeskPaymentCommitted], reaction: Callable[[DeskPaymentCommitted], None]
    ) -> Callable[[], None]: ...

    @overload
    def subscribe(self, kind: type[VoidCommitted], reaction: Callable[[VoidCommitted], None]) -> Callable[[], None]: ...

    @overload
    def subscribe(
        self, kind: type[ZReportCommitted], reaction: Callable[[ZReportCommitted], None]
    ) -> Callable[[], None]: ...

    def subscribe(self, kind: type[Committed], reaction: Callable[[Any], None]) -> Callable[[], None]:
        """Run ``reaction`` after every commit of this kind; returns the unsubscribe."""
        entry = (kind, reaction)
        self._reactions.append(entry)
        return lambda: self._reactions.remove(entry)

    def publish(self, event: Committed) -> None:
        for kind, reaction in list(self._reactions):
            if not isinstance(event, kind):
                continue
            try:
                reaction(event)
            except Exception:  # one reaction's fault stops no other, and is said
                log.exception("an after-commit reaction failed: %s", getattr(reaction, "__qualname__", reaction))
                event.tell(_("Recorded, but something that follows it went wrong (details are in the log)."), "error")
