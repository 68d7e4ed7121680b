"""Which store days' kept analysis (hq/office/analysis_days.py) a change makes stale: the
push that changes a day's rows marks that store day in ``analysis_dirty``, in its own
transaction, so a day is never read as kept once its rows changed. A mark that exists
already is left as it is (no row lock held between two lanes of one store).

``forget`` drops what was kept of one store (its zone changed) or of every store (a
label every day shows changed: an item's category, a person's name), to be made again."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert

from counter.journal import parse_stamp
from hq import departments, schema as s


def mark(conn: Connection, store_id: str, days: Iterable[date]) -> None:
    rows = [{"store_id": store_id, "day": d} for d in sorted(set(days))]
    if rows:
        conn.execute(pg_insert(s.analysis_dirty).values(rows).on_conflict_do_nothing())


def mark_stamps(conn: Connection, store_id: str, stamps: Iterable[object]) -> None:
    """Mark the days (in the store's zone) of journal stamps ('...Z' text or datetimes)."""
    texts = {str(x) for x in stamps if x}
    if not texts:
        return
    zone = departments.zone_of(conn, store_id)
    mark(conn, store_id, {parse_stamp(x).astimezone(zone).date() for x in texts})


def forget(conn: Connection, store_id: str | None = None) -> None:
    """Drop the kept analysis of one store (and every store's days it is part of), or all."""
    if store_id is None:
        conn.execute(delete(s.analysis_days))
    else:
        conn.execute(delete(s.analysis_days).where(s.analysis_days.c.store_id == store_id))
    conn.execute(delete(s.analysis_chain_days))
