"""The desk's change feed: every lane's desk events handed to the other lanes of its store,
with the typed text the journal must not hold (issue #17, point 2).

* **Texts** (``POST /v1/desk/texts``, ``receive_texts``): before pushing entries, a lane
  sends the typed text of its desk entries among them (a customer's words, a note, an
  outcome), per entry and table, only the columns the projection leaves to the lane
  (``counter.projection.desk.PRIVATE_COLUMNS``), each within ``MAX_TEXT``. They wait in
  ``desk_texts`` (a re-send changes nothing) until the entry comes.
* **Ingest** (``texts_for`` and ``publish``, called by hq/desk.py in the push's
  transaction): each desk entry's rows at HQ are filled with its text (so HQ's desk tables
  hold notes and outcomes), and the entry goes on the feed (``desk_feed``), with its text,
  stamped with the next version under the downstream writers' lock: the other lanes pull
  a store's desk events in the order HQ took them. Text that does not fit the entry's rows
  (too many or too few rows for a table) is left off, with an alert; the entry is taken.
* **Late text** (the entry came first): the feed row takes it with a new version, so the
  lanes that had not pulled it yet get it; HQ's desk rows stay without it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from counter.journal import JournalEntry
from counter.projection.desk import PRIVATE_COLUMNS
from hq import schema as s
from hq.store import lock_downstream, utcnow
from hq.web import Refusal

log = logging.getLogger(__name__)

MAX_TEXTS = 500  # entries per request (a push's batch)
MAX_ROWS = 50  # rows of one table in one entry
MAX_TEXT = 4000  # characters of one text
#: The tables a desk entry's text may fill (not the customers': those travel by hq/people.py).
TEXT_TABLES = {t: cols for t, cols in PRIVATE_COLUMNS.items() if not t.startswith("customer")}


def _refuse(message: str) -> Refusal:
    return Refusal(422, "malformed", f"{message} Send each desk entry's text as the lane recorded it.")


def checked_texts(payload: Any) -> list[tuple[int, dict[str, list[dict[str, str | None]]]]]:
    """The request's texts as (seq, table → rows), or a 422 naming what is wrong."""
    texts = payload.get("texts") if isinstance(payload, dict) else None
    if not isinstance(texts, list) or not texts:
        raise _refuse("The request has no list of texts.")
    if len(texts) > MAX_TEXTS:
        raise _refuse(f"At most {MAX_TEXTS} entries' texts per request, not {len(texts)}.")
    out: list[tuple[int, dict[str, list[dict[str, str | None]]]]] = []
    for n, item in enumerate(texts):
        seq = item.get("seq") if isinstance(item, dict) else None
        private = item.get("private") if isinstance(item, dict) else None
        if type(seq) is not int or seq < 1 or not isinstance(private, dict):
            raise _refuse(f"Text {n + 1} needs a seq (a whole number from 1) and its private values.")
        tables: dict[str, list[dict[str, str | None]]] = {}
        for table, rows in private.items():
            allowed = TEXT_TABLES.get(table)
            if allowed is None:
                raise _refuse(f"Entry {seq}: {str(table)[:40]!r} holds no typed text of the desk.")
            if not isinstance(rows, list) or len(rows) > MAX_ROWS:
                raise _refuse(f"Entry {seq}: {table} must be a list of at most {MAX_ROWS} rows.")
            tables[table] = [_row(seq, table, allowed, row) for row in rows]
        out.append((seq, tables))
    return out


def _row(seq: int, table: str, allowed: tuple[str, ...], row: Any) -> dict[str, str | None]:
    if not isinstance(row, dict):
        raise _refuse(f"Entry {seq}: a row of {table} is not an object.")
    for column, value in row.items():
        if column not in allowed:
            raise _refuse(f"Entry {seq}: {table} has no typed column {str(column)[:40]!r}.")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
            raise _refuse(f"Entry {seq}: {table}.{column} must be text of at most {MAX_TEXT} characters.")
    return dict(row)


def receive_texts(engine: Engine, store_id: str, terminal_id: str, payload: Any) -> dict[str, Any]:
    """Keep a lane's texts (the first copy of each entry's wins); a text whose entry HQ
    already took goes on that entry's feed row if the row has none."""
    texts = checked_texts(payload)
    rows = [
        {
            "store_id": store_id,
            "terminal_id": terminal_id,
            "seq": seq,
            "private": json.dumps(private, sort_keys=True),
            "received_at": utcnow(),
        }
        for seq, private in texts
    ]
    with engine.begin() as conn:
        conn.execute(pg_insert(s.desk_texts).on_conflict_do_nothing(), rows)
        f = s.desk_feed
        late = {
            int(seq): fid
            for seq, fid in conn.execute(
                select(f.c.seq, f.c.id).where(
                    f.c.store_id == store_id,
                    f.c.origin_terminal == terminal_id,
                    f.c.seq.in_([r["seq"] for r in rows]),
                    f.c.private.is_(None),
                )
            )
        }
        if late:
            lock_downstream(conn)
            for r in rows:
                if r["seq"] in late:
                    conn.execute(
                        update(f)
                        .where(f.c.id == late[r["seq"]])
                        .values(private=r["private"], version=s.change_seq.next_value())
                    )
    return {"kept": len(rows), "late": len(late)}


def texts_for(conn: Connection, store_id: str, terminal_id: str, seqs: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The texts HQ holds for these entries of the lane, by seq."""
    if not seqs:
        return {}
    t = s.desk_texts
    return {
        int(seq): json.loads(private)
        for seq, private in conn.execute(
            select(t.c.seq, t.c.private).where(
                t.c.store_id == store_id, t.c.terminal_id == terminal_id, t.c.seq.in_(list(seqs))
            )
        )
    }


def publish(
    conn: Connection,
    store_id: str,
    terminal_id: str,
    entries: Sequence[JournalEntry],
    texts: Mapping[int, Mapping[str, Any] | None],
) -> None:
    """Put the batch's desk entries on the feed, in seq order, with the texts that fit them."""
    if not entries:
        return
    lock_downstream(conn)
    conn.execute(
        insert(s.desk_feed).values(version=s.change_seq.next_value(), deleted=False),
        [
            {
                "id": f"{store_id}:{terminal_id}:{e.seq}",
                "store_id": store_id,
                "origin_terminal": terminal_id,
                "seq": e.seq,
                "type": e.type,
                "at": e.at,
                "body": e.body,
                "private": json.dumps(texts[e.seq], sort_keys=True) if texts.get(e.seq) else None,
            }
            for e in entries
        ],
    )
