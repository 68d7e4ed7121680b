"""HQ's tables of the desk's change feed (migration 0009, hq/desk_feed.py): every lane's
desk events, handed to the other lanes of the store, and the typed text the lanes send
beside them.

``desk_feed`` is a downstream table (``version`` from ``change_seq``, ``deleted``): one row
per desk entry HQ took, written in the push's transaction under the downstream writers'
lock, so a lane pulling "everything above cursor N" gets a store's desk events in the
order HQ took them, an order's opening before any payment on it. ``desk_texts`` holds
what the journal must not (a customer's words, notes, outcomes), per entry, as the lane
sent it; it is never in the journal and can be erased.

Defined by ``define`` on ``hq.schema``'s metadata (hq/schema.py re-exports them).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, MetaData, String, Table, Text


def define(metadata: MetaData) -> dict[str, Table]:
    t: dict[str, Table] = {}
    t["desk_feed"] = Table(
        "desk_feed",
        metadata,
        Column("id", String(60), primary_key=True),  # store:terminal:seq
        Column("store_id", String(16), nullable=False),
        Column("origin_terminal", String(16), nullable=False),
        Column("seq", BigInteger, nullable=False),
        Column("type", String(48), nullable=False),
        Column("at", String(32), nullable=False),
        Column("body", Text, nullable=False),  # the entry's body, as in the journal
        Column("private", Text, nullable=True),  # JSON: the entry's typed text; null: none came
        Column("version", BigInteger, nullable=False, index=True),
        Column("deleted", Boolean, nullable=False, default=False),
    )
    Index(None, t["desk_feed"].c.store_id, t["desk_feed"].c.version)
    t["desk_texts"] = Table(
        "desk_texts",
        metadata,
        Column("store_id", String(16), primary_key=True),
        Column("terminal_id", String(16), primary_key=True),
        Column("seq", BigInteger, primary_key=True),
        Column("private", Text, nullable=False),  # JSON: table → rows of column → text
        Column("received_at", DateTime(timezone=True), nullable=False),
    )
    return t
