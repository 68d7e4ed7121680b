"""The pull's write side: the rows HQ sends (catalog, tax classes, categories, return
policies, users and people, the desk's departments and escalations, other lanes' desk
events, tombstones) upserted
into the local tables, one statement per kind and page, inside the page's transaction
(``db.sync.Syncer.pull_page``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db import schema as s
from db.desk_feed import apply_desk_events
from db.desk_hq import apply_desk
from db.engine import _refuse_card_data
from db.sync_people import apply_people


@dataclass(frozen=True)
class Prepared:
    """A page sorted by kind, its items as the rows to write (types checked): the work
    done before the page's transaction, so that the write lock is held for writing only."""

    by_kind: dict[str, list[dict[str, Any]]]
    live: dict[str, list[dict[str, Any]]]
    gone: dict[str, list[dict[str, Any]]]
    items: list[tuple[Any, ...]]


def prepare(rows: Iterable[dict[str, Any]]) -> Prepared:
    """Sort a page by kind and check its items (``ValueError``, ``KeyError`` or
    ``TypeError`` for a page this terminal cannot read)."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault(str(row["kind"]), []).append(row)
    live = {k: [r["data"] for r in v if not r["deleted"]] for k, v in by_kind.items()}
    gone = {k: [r["data"] for r in v if r["deleted"]] for k, v in by_kind.items()}
    return Prepared(by_kind, live, gone, [_item_row(d) for d in live.get("item", [])])


def apply_changes(
    conn: Connection, rows: Iterable[dict[str, Any]], terminal: str, prepared: Prepared | None = None
) -> None:
    """Upsert pulled rows into the local tables, one statement per kind and page
    (executemany); a tombstone deactivates (local sales still point at the item or user,
    so nothing is deleted). ``prepared``: ``prepare(rows)``, done before the transaction."""
    page = prepared if prepared is not None else prepare(rows)
    by_kind, live, gone = page.by_kind, page.live, page.gone
    # A deleted tax class or category stays (past sales and items name it), and one this lane
    # never had is written from its tombstone: HQ's items may still name it.
    for side, keep in ((live, False), (gone, True)):
        taxes = [_pick(d, "code", "label", "rate") for d in side.get("tax_class", [])]
        _upsert_many(conn, s.tax_classes, "code", taxes, keep)
        cats = side.get("category", [])
        _upsert_many(conn, s.categories, "id", [_pick(d, "id", "name", "tax_code") for d in cats], keep)
        policies = [
            {
                "category_id": d["id"],
                **_pick(d, "return_days", "final_sale", "receipt_required", "restocking_fee_percent"),
            }
            for d in cats
        ]
        _upsert_many(conn, s.return_policies, "category_id", policies, keep)
    _upsert_items(conn, page.items)
    if gone.get("item"):
        conn.execute(s.items.update().where(s.items.c.id.in_([d["id"] for d in gone["item"]])).values(active=False))
    user_cols = ("id", "name", "role", "pin_hash")
    users = [{**_pick(d, *user_cols), "active": bool(d["active"])} for d in live.get("user", [])]
    users += [{**_pick(d, *user_cols), "active": False} for d in gone.get("user", [])]
    if users:
        stmt = sqlite_insert(s.users)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"], set_={c: stmt.excluded[c] for c in ("name", "role", "pin_hash", "active")}
            ),
            [{**u, "failed_attempts": 0} for u in users],
        )
    apply_people(conn, by_kind, terminal)  # customers and store credit (db/sync_people.py)
    apply_desk(conn, by_kind)  # the desk's departments and HQ's escalations (db/desk_hq.py)
    # other lanes' desk events, after the customers they name (db/desk_feed.py)
    events = [{**r["data"], "version": r["version"]} for r in by_kind.get("desk_event", []) if not r["deleted"]]
    apply_desk_events(conn, events, terminal)


def _pick(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: d[k] for k in keys}


def _upsert_many(conn: Connection, table: Any, key: str, rows: list[dict[str, Any]], keep: bool = False) -> None:
    """Insert ``rows`` or update them by ``key``; ``keep``: insert only the ones not here."""
    if not rows:
        return
    stmt = sqlite_insert(table)
    if keep:
        conn.execute(stmt.on_conflict_do_nothing(index_elements=[key]), rows)
        return
    cols = [c for c in rows[0] if c != key]
    conn.execute(stmt.on_conflict_do_update(index_elements=[key], set_={c: stmt.excluded[c] for c in cols}), rows)


ITEM_COLUMNS = ("id", "sku", "barcode", "name", "category_id", "price_minor", "tax_code", "active")
_ITEM_INSERT = f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"
_ITEM_UPDATE = "UPDATE items SET " + ", ".join(f"{c} = ?" for c in ITEM_COLUMNS[1:]) + " WHERE id = ?"
#: The new items of a page in one statement, from the page as one JSON text (SQLite's
#: json_each, 3.38 or later): an executemany takes the interpreter's lock back after every
#: row, and with the pull's reading thread busy beside it each row waited for it (a first
#: load's writes took twice as long as alone, measured in docs/benchmarks.md).
_ITEM_INSERT_JSON = (
    f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) SELECT "
    + ", ".join(f"value ->> {n}" for n in range(len(ITEM_COLUMNS)))
    + " FROM json_each(?) ORDER BY key"
)
#: The items of a page (as JSON) that are here already.
_IDS_HERE_JSON = "SELECT value ->> 0 FROM json_each(?) WHERE EXISTS (SELECT 1 FROM items WHERE id = value ->> 0)"
_JSON_ROWS = sqlite3.sqlite_version_info >= (3, 38)
_IDS_AT_ONCE = 900  # ids per "which of these are here" query (SQLite's bound-parameter limit is 999 at least)


def _item_row(d: dict[str, Any]) -> tuple[Any, ...]:
    """One item of a page as the row to write, its types checked (ValueError if wrong)."""
    row = (d["id"], d["sku"], d["barcode"], d["name"], d["category_id"], d["price_minor"], d["tax_code"], d["active"])
    ok = (
        all(isinstance(v, str) for v in (row[0], row[1], row[3], row[4], row[6]))
        and (row[2] is None or isinstance(row[2], str))
        and isinstance(row[5], int)
        and not isinstance(row[5], bool)
        and isinstance(row[7], bool | int)
        and row[7] in (0, 1)
    )
    if not ok:
        raise ValueError(f"item {d.get('id')!r}: a field has the wrong type")
    return row[:7] + (bool(row[7]),)


def _upsert_items(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Write items on the driver's connection (a first load writes a million): the ones
    not here inserted by one statement over the page as JSON (``_ITEM_INSERT_JSON``), the
    others updated by an executemany. Not ``INSERT ... ON CONFLICT DO UPDATE``: with the
    foreign keys on, SQLite takes twice as long a row for that (12 µs against 6, measured
    in docs/benchmarks.md). An item twice in a page is written as its last. The write
    engine's card-data guard is applied to the rows as its listener applies it (its quick
    test first, in C: 4 ms for 5,000 items where a regular expression took 11)."""
    if not rows:
        return
    _refuse_card_data(conn, None, _ITEM_INSERT, rows, None, True)
    latest = {row[0]: row for row in rows}
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if _JSON_ROWS:
            page = orjson.dumps(list(latest.values())).decode("utf-8")
            here = {r[0] for r in cursor.execute(_IDS_HERE_JSON, (page,))}
            if here:
                page = orjson.dumps([row for key, row in latest.items() if key not in here]).decode("utf-8")
            if len(here) < len(latest):
                cursor.execute(_ITEM_INSERT_JSON, (page,))
        else:  # an SQLite before 3.38: the ids asked in lists, the new items by executemany
            here, ids = set(), list(latest)
            for start in range(0, len(ids), _IDS_AT_ONCE):
                some = ids[start : start + _IDS_AT_ONCE]
                marks = ", ".join("?" * len(some))
                here.update(r[0] for r in cursor.execute(f"SELECT id FROM items WHERE id IN ({marks})", some))
            cursor.executemany(_ITEM_INSERT, [row for key, row in latest.items() if key not in here])
        cursor.executemany(_ITEM_UPDATE, [(*row[1:], key) for key, row in latest.items() if key in here])
    finally:
        cursor.close()
