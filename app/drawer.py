"""After a commit that moved cash: the drawer opening it made due (counter.trust.outbox,
``Due.DRAWER``, recorded by the sale's or the return's own transaction).

``open_for`` runs right after the commit, on the screen's behalf: for each opening still
due it journals ``DrawerOpened`` and settles the due item in ONE transaction, and only
then returns the request id the caller kicks the drawer with. So at every moment the
opening is either still due, or recorded as opened; a crash before that transaction leaves
it due, and ``pending`` lists it at the next start, where the person who signs in opens
the drawer (``open``, journaled with their name) or says it is not needed (``decline``,
recorded with who). Nothing opens the drawer by itself at start-up, and an opening that
was settled meanwhile is never opened twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from app.crashpoints import crash_point
from counter.cash.drawer import opening_body
from counter.journal import EventType
from counter.ports import Clock, UnitOfWork
from counter.trust.outbox import DueDrawer, DueState

#: the note of a DrawerOpened entry for an opening a crash left due, opened at the next sign-in
AFTER_RESTART = "after a restart: the drawer had not opened"


class DueDrawers:
    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], read_uow_factory: Callable[[], UnitOfWork], clock: Clock
    ) -> None:
        self._uow = uow_factory
        self._read = read_uow_factory
        self._clock = clock

    def pending(self, references: Sequence[str] | None = None) -> list[DueDrawer]:
        with self._read() as uow:
            return uow.outbox.pending_drawers(references)

    def open_for(self, references: Sequence[str], by: str) -> list[str]:
        """Right after the commit of these records: journal the openings they made due
        (by ``by``, the person signed in); returns the request ids to kick with."""
        return [rid for item in self.pending(references) if (rid := self.open(item, by)) is not None]

    def open(self, item: DueDrawer, by: str, note: str = "") -> str | None:
        """Journal ``DrawerOpened`` for ``item`` and settle it, in one transaction; returns
        the request id to kick with, or None when it was no longer due (opened or declined
        meanwhile: nothing is journaled, and the drawer must not open again)."""
        request_id = str(uuid.uuid4())
        crash_point("drawer.settling")
        with self._uow() as uow:
            now = self._clock.now()
            if not uow.outbox.settle(item.id, DueState.DONE, now, by):
                return None
            body = opening_body(request_id, item.opening.reason, by, item.reference, note, False)
            uow.journal.append(EventType.DRAWER_OPENED, body, now)
            uow.commit()
        crash_point("drawer.settled")
        return request_id

    def decline(self, items: Sequence[DueDrawer], by: str) -> int:
        """The person said the drawer need not open for these (offered after a restart).
        Returns how many were still due and are now settled as declined, with who."""
        declined = 0
        with self._uow() as uow:
            for item in items:
                declined += uow.outbox.settle(item.id, DueState.DECLINED, self._clock.now(), by)
            uow.commit()
        return declined
