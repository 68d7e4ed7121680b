"""The outbox repository: what is due after a commit (counter.trust.outbox), in the commit's
own transaction: documents, settled in the transaction that writes their print job, and
drawer openings, settled in the transaction that journals DrawerOpened (app.drawer)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Select, select, update

from counter.cash.drawer import DrawerOpening
from counter.documents import Receipt, receipt_from_data, receipt_to_data
from counter.journal import utc_stamp
from counter.trust.outbox import Due, DueDocument, DueDrawer, DueState
from db import driver_sql, schema as s

log = logging.getLogger(__name__)
_T = s.outbox
_INSERT_SQL = "INSERT INTO outbox (id, due, reference, document, state, created_at) VALUES (?, ?, ?, ?, ?, ?)"


class SqlOutbox:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, due: Due, reference: str, document: Receipt, at: datetime) -> str:
        if due is Due.DRAWER:
            raise ValueError("a drawer opening is added with add_drawer")
        return self._add(due, reference, receipt_to_data(document), at)

    def add_drawer(self, reference: str, opening: DrawerOpening, at: datetime) -> str:
        return self._add(Due.DRAWER, reference, opening.to_data(), at)

    def _add(self, due: Due, reference: str, data: object, at: datetime) -> str:
        item_id = str(uuid.uuid4())
        document = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        # one prebuilt statement on the driver's connection: a row costs its bind, not a build
        # (issue #22; the write engine's card-data guard still sees it: db/driver_sql.py)
        row = (item_id, str(due), reference, document, str(DueState.PENDING), utc_stamp(at))
        driver_sql.execute(self._conn, _INSERT_SQL, row)
        return item_id

    def _pending(self, references: Sequence[str] | None, drawers: bool) -> Select[tuple[str, str, str, str, str]]:
        drawer = str(Due.DRAWER)
        query = select(_T.c.id, _T.c.due, _T.c.reference, _T.c.document, _T.c.created_at).where(
            _T.c.state == str(DueState.PENDING), (_T.c.due == drawer) if drawers else (_T.c.due != drawer)
        )
        if references is not None:
            query = query.where(_T.c.reference.in_(list(references)))
        return query.order_by(_T.c.created_at, _T.c.reference)

    def pending(self, references: Sequence[str] | None = None) -> list[DueDocument]:
        out = []
        for row in self._conn.execute(self._pending(references, drawers=False)):
            try:
                document = receipt_from_data(json.loads(row.document))
                due = Due(row.due)
            except (KeyError, TypeError, ValueError, ArithmeticError):
                # Not what add() wrote (the file was edited): never offered, never lost.
                log.error("the due document %s (%s) cannot be read; it stays in the outbox", row.id, row.reference)
                continue
            out.append(DueDocument(row.id, due, row.reference, document, datetime.fromisoformat(row.created_at)))
        return out

    def pending_drawers(self, references: Sequence[str] | None = None) -> list[DueDrawer]:
        out = []
        for row in self._conn.execute(self._pending(references, drawers=True)):
            try:
                opening = DrawerOpening.from_data(json.loads(row.document))
            except (KeyError, TypeError, ValueError, ArithmeticError):
                log.error("the drawer opening %s (%s) cannot be read; it stays in the outbox", row.id, row.reference)
                continue
            out.append(DueDrawer(row.id, row.reference, opening, datetime.fromisoformat(row.created_at)))
        return out

    def settle(self, item_id: str, state: DueState, at: datetime, by: str | None = None) -> bool:
        if state is DueState.PENDING:
            raise ValueError("an item is settled as done or declined")
        result = self._conn.execute(
            update(_T)
            .where(_T.c.id == item_id, _T.c.state == str(DueState.PENDING))
            .values(state=str(state), settled_at=utc_stamp(at), settled_by=by)
        )
        return bool(result.rowcount)
