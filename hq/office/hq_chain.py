"""HQ's own desk work (issue #18, point 2): what a department records in the back office (a
note, the outcome) is a journal entry on HQ's own chain of that store (terminal ``HQ``),
made and hashed as a lane makes its entries, projected into HQ's desk tables by the same
functions and put on the store's desk feed with its typed text, so every lane takes it as
another lane's work (``DeskEventReceived``): the outcome raises "tell the customer" there.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from counter.journal import GENESIS, JournalEntry, make_entry
from hq import desk, schema as s
from hq.store import utcnow

HQ_TERMINAL = "HQ"


def append(
    conn: Connection,
    store_id: str,
    type_: str,
    body: dict[str, Any],
    private: dict[str, Any],
    at: datetime | None = None,
) -> JournalEntry:
    """One entry on HQ's chain of the store, in the caller's transaction: journaled, its
    text kept, projected and published. The chain's head is locked for the append."""
    now = at or utcnow()
    t = s.terminals
    head = conn.execute(
        select(t.c.head_seq, t.c.head_hash)
        .where(t.c.store_id == store_id, t.c.terminal_id == HQ_TERMINAL)
        .with_for_update()
    ).first()
    if head is None:
        conn.execute(
            insert(t).values(
                store_id=store_id, terminal_id=HQ_TERMINAL, enrolled_at=now, head_seq=0, head_hash=GENESIS,
                last_push_at=None,
            )
        )  # fmt: skip
        seq, prev = 1, GENESIS
    else:
        seq, prev = int(head.head_seq) + 1, str(head.head_hash)
    entry = make_entry(HQ_TERMINAL, seq, str(uuid.uuid4()), type_, now, body, prev)
    conn.execute(
        insert(s.journal).values(
            store_id=store_id, terminal_id=HQ_TERMINAL, seq=seq, id=entry.id, type=entry.type, at=entry.at,
            body=entry.body, prev_hash=entry.prev_hash, hash=entry.hash, received_at=now,
        )
    )  # fmt: skip
    conn.execute(
        update(t)
        .where(t.c.store_id == store_id, t.c.terminal_id == HQ_TERMINAL)
        .values(head_seq=seq, head_hash=entry.hash, last_push_at=now)
    )
    if any(private.values()):
        conn.execute(
            insert(s.desk_texts).values(
                store_id=store_id, terminal_id=HQ_TERMINAL, seq=seq, private=json.dumps(private, sort_keys=True),
                received_at=now,
            )
        )  # fmt: skip
    desk.project(conn, store_id, HQ_TERMINAL, [entry], [body])
    return entry
