"""The outbox repository: documents due after a commit (counter.trust.outbox), in the commit's
own transaction; settled in the transaction that writes their print job."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from counter.documents import Receipt, receipt_from_data, receipt_to_data
from counter.journal import utc_stamp
from counter.trust.outbox import Due, DueDocument, DueState
from db import schema as s

log = logging.getLogger(__name__)
_T = s.outbox


class SqlOutbox:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, due: Due, reference: str, document: Receipt, at: datetime) -> str:
        item_id = str(uuid.uuid4())
        self._conn.execute(
            insert(_T).values(
                id=item_id,
                due=str(due),
                reference=reference,
                document=json.dumps(receipt_to_data(document), ensure_ascii=False, separators=(",", ":")),
                state=str(DueState.PENDING),
                created_at=utc_stamp(at),
            )
        )
        return item_id

    def pending(self, references: Sequence[str] | None = None) -> list[DueDocument]:
        query = select(_T.c.id, _T.c.due, _T.c.reference, _T.c.document, _T.c.created_at).where(
            _T.c.state == str(DueState.PENDING)
        )
        if references is not None:
            query = query.where(_T.c.reference.in_(list(references)))
        out = []
        for row in self._conn.execute(query.order_by(_T.c.created_at, _T.c.reference)):
            try:
                document = receipt_from_data(json.loads(row.document))
                due = Due(row.due)
            except (KeyError, TypeError, ValueError, ArithmeticError):
                # Not what add() wrote (the file was edited): never offered, never lost.
                log.error("the due document %s (%s) cannot be read; it stays in the outbox", row.id, row.reference)
                continue
            out.append(DueDocument(row.id, due, row.reference, document, datetime.fromisoformat(row.created_at)))
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
