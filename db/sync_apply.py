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
from db.engine import _SEPARATOR, _refuse_card_data, text_may_hold_card_data
from db.sync_people import apply_people


@dataclass(frozen=True)
class Prepared:
    """A page sorted by kind, its items as the rows to write (types checked): the work
    done before the page's transaction, so that the write lock is held for writing only."""

    by_kind: dict[str, list[dict[str, Any]]]
    live: dict[str, list[dict[str, Any]]]
    gone: dict[str, list[dict[str, Any]]]
    items: ItemPage


@dataclass(frozen=True)
class ItemPage:
    """A page's items as they are written: each item once (an item twice in a page is
    written as its last), checked for card data (``CardDataRefused``) as the write engine's
    guard checks every statement, and as one JSON text for ``_ITEM_INSERT_JSON``. Made on
    the thread that reads the page (``prepare``): a first load's writer only writes."""

    rows: list[tuple[Any, ...]]
    json: str | None

    @classmethod
    def of(cls, rows: Iterable[tuple[Any, ...]], typed: bool = False) -> ItemPage:
        """``typed``: rows made by ``_item_row`` (its text columns are known: the guard's
        quick test runs over them joined, 1 ms a page of 5,000 where gathering every text
        of every row took 4)."""
        latest = list({row[0]: row for row in rows}.values())
        if not typed or text_may_hold_card_data(
            _SEPARATOR.join([_SEPARATOR.join((r[0], r[1], r[2] or "", r[3], r[4], r[6])) for r in latest])
        ):
            _refuse_card_data(None, None, _ITEM_INSERT, latest, None, True)
        return cls(latest, orjson.dumps(latest).decode("utf-8") if _JSON_ROWS and latest else None)


def prepare(rows: Iterable[dict[str, Any]]) -> Prepared:
    """Sort a page by kind and check its items (``ValueError``, ``KeyError`` or
    ``TypeError`` for a page this terminal cannot read, ``CardDataRefused`` for one with
    card data)."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault(str(row["kind"]), []).append(row)
    live = {k: [r["data"] for r in v if not r["deleted"]] for k, v in by_kind.items()}
    gone = {k: [r["data"] for r in v if r["deleted"]] for k, v in by_kind.items()}
    return Prepared(by_kind, live, gone, ItemPage.of((_item_row(d) for d in live.get("item", [])), typed=True))


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


def _upsert_items(conn: Connection, items: Sequence[tuple[Any, ...]] | ItemPage) -> None:
    """Write items on the driver's connection (a first load writes a million): the page
    inserted by one statement over it as JSON (``_ITEM_INSERT_JSON``) and, when some of its
    items are here already (that insert fails at the first), the ones not here inserted so
    and the others updated by an executemany. Not ``INSERT ... ON CONFLICT DO UPDATE``: with
    the foreign keys on, SQLite takes twice as long a row for that (12 µs against 6,
    measured in docs/benchmarks.md); nor a look-up of the page's ids first: a first load's
    pages hold new items only (4 ms a page of 5,000 saved). ``items``: rows, or the
    ``ItemPage`` made of them beforehand (the card-data guard is applied there, as the
    write engine's listener applies it: its quick test first, in C)."""
    page = items if isinstance(items, ItemPage) else ItemPage.of(items)
    if not page.rows:
        return
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if page.json is not None:
            try:  # a statement that fails is undone whole (SQLite's ABORT), the transaction goes on
                cursor.execute(_ITEM_INSERT_JSON, (page.json,))
                return
            except sqlite3.IntegrityError:  # some are here (or refused: raised again below)
                pass
            here = {r[0] for r in cursor.execute(_IDS_HERE_JSON, (page.json,))}
            new = [row for row in page.rows if row[0] not in here]
            if new:
                cursor.execute(_ITEM_INSERT_JSON, (orjson.dumps(new).decode("utf-8"),))
        else:  # an SQLite before 3.38: the ids asked in lists, the new items by executemany
            here, ids = set(), [row[0] for row in page.rows]
            for start in range(0, len(ids), _IDS_AT_ONCE):
                some = ids[start : start + _IDS_AT_ONCE]
                marks = ", ".join("?" * len(some))
                here.update(r[0] for r in cursor.execute(f"SELECT id FROM items WHERE id IN ({marks})", some))
            cursor.executemany(_ITEM_INSERT, [row for row in page.rows if row[0] not in here])
        cursor.executemany(_ITEM_UPDATE, [(*row[1:], row[0]) for row in page.rows if row[0] in here])
    finally:
        cursor.close()
