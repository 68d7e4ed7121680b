"""The sales' share of ``counter journal verify`` (``db.derive``): every ``SaleCompleted``
and ``SaleAdopted`` entry projected through ``counter.projection`` and compared with the
rows it makes in ``sales``, ``sale_lines``, ``sale_taxes`` and ``tenders``.

These entries are nearly all of a store's journal (2.4 million of 2.4 million on the
10M-line benchmark store), so this part runs in worker processes, one per core, each on
its own part of every terminal's chain, each in its own read transaction (its journal and
its rows as of one moment). A chunk of entries is compared in one step: the derived rows
as tuples against the stored rows of those sales, as lists in the order written (or as
sets, for rows written in another order). Only a chunk where they differ
is compared again key by key and column by column, to name each difference exactly as the
rest of verify does (table, key, column, stored, derived, entry).

A sale entry's rows in other tables (a store-credit redemption in ``voucher_movements``)
go back to the main process, which folds them with the rest of the journal in order.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from counter.projection import TABLES, EntryRef, Insert, Op, ProjectionError, project
from db.derive_compare import Derivation, _compare, _Fold, _stored_rows_from

SALE_TYPES: Final = ("SaleCompleted", "SaleAdopted")
#: table → the column naming the sale
BY_SALE: Final = {"sales": "id", "sale_lines": "sale_id", "sale_taxes": "sale_id", "tenders": "sale_id"}
_SELECT: Final = {
    table: f"SELECT {', '.join(TABLES[table].columns)} FROM {table} WHERE {column} IN (SELECT value FROM json_each(?))"
    for table, column in BY_SALE.items()
}
#: the same rows as the join gives them: the sales in the order given, each sale's rows in
#: the order of its index (line, tax code, tender number), which is the order its entry's
#: projection made them in (where it is not, the chunk is compared as sets; no sort here,
#: it costs a fifth of the query)
_IN_ORDER: Final = {
    table: f"SELECT {', '.join('r.' + c for c in TABLES[table].columns)} FROM json_each(?) AS j "
    f"JOIN {table} AS r ON r.{column} = j.value"
    for table, column in BY_SALE.items()
}

#: one worker's share: per terminal, the first and last sequence number (inclusive)
Part = tuple[tuple[str, int, int], ...]


@dataclass
class SalesResult:
    entries: int = 0
    rows: int = 0
    #: stored rows looked at, per table (the main process compares the sums with the tables'
    #: row counts: a row of a sale that no entry records shows there)
    seen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BY_SALE, 0))
    unchecked: int = 0
    total_differences: int = 0
    differences: list[Any] = field(default_factory=list)  # db.derive.Difference
    entry_problems: list[str] = field(default_factory=list)
    #: ops of sale entries on tables other than BY_SALE: ((terminal, seq), ref, ops)
    other_ops: list[tuple[tuple[str, int], EntryRef, list[Op]]] = field(default_factory=list)


def check_part(database: str, part: Part, chunk: int) -> SalesResult:
    """One worker's share, on its own read-only connection (``database`` is the file's path)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("BEGIN")  # one snapshot for this worker's journal and rows
        return check_entries(conn, part, chunk)
    finally:
        conn.close()


@contextmanager
def no_cycle_collector() -> Iterator[None]:
    """The cyclic garbage collector off while a chunk's many small dicts and tuples come
    and go (they hold no cycles; reference counting frees them): with it on, it walks
    every live object again and again and more than doubles the time of a chunk."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def check_entries(conn: sqlite3.Connection, part: Part, chunk: int) -> SalesResult:
    with no_cycle_collector():
        return _check_entries(conn, part, chunk)


def _check_entries(conn: sqlite3.Connection, part: Part, chunk: int) -> SalesResult:
    out = SalesResult()
    pending: list[tuple[EntryRef, bytes]] = []
    for terminal, first, last in part:
        cursor = conn.execute(
            "SELECT seq, type, at, CAST(body AS BLOB) FROM journal WHERE terminal_id = ? AND seq BETWEEN ? AND ? "
            f"AND type IN ({', '.join('?' * len(SALE_TYPES))}) ORDER BY seq",
            (terminal, first, last, *SALE_TYPES),
        )
        while batch := cursor.fetchmany(2000):
            for seq, type_, at, text in batch:  # the body as bytes: orjson reads them as they are
                pending.append((EntryRef(terminal, seq, type_, at), text))
            if len(pending) >= chunk:
                _check_chunk(conn, pending, out)
                pending = []
    if pending:
        _check_chunk(conn, pending, out)
    return out


def _check_chunk(conn: sqlite3.Connection, entries: list[tuple[EntryRef, bytes]], out: SalesResult) -> None:
    derived: dict[str, list[tuple[Any, ...]]] = {table: [] for table in BY_SALE}
    sale_ids: list[str] = []
    derived_get, loads = derived.get, orjson.loads
    for ref, text in entries:
        out.entries += 1
        try:
            body = loads(text)
            if not isinstance(body, dict):
                raise ProjectionError("its body is not an object")
            ops = project(ref.type, body, ref)
        except (orjson.JSONDecodeError, ProjectionError) as exc:
            out.entry_problems.append(f"entry {ref} cannot be projected: {exc}")
            continue
        other: list[Op] = []
        for op in ops:
            table = op.table
            rows = derived_get(table)
            if rows is None or type(op) is not Insert:
                other.append(op)
                continue
            values = op.values
            rows.append(values)
            if table == "sales":
                sale_ids.append(values[0])
        if other:
            out.other_ops.append(((ref.terminal, ref.seq), ref, other))
    ids = orjson.dumps(sale_ids).decode()
    for table, rows in derived.items():
        stored = conn.execute(_IN_ORDER[table], (ids,)).fetchall()
        out.rows += len(stored)
        out.seen[table] += len(stored)
        if stored == rows or (len(stored) == len(rows) and set(stored) == set(rows)):
            continue  # the common case: every derived row stored as derived, and nothing else
        _name_differences(conn, entries, table, ids, out)


def _name_differences(
    conn: sqlite3.Connection, entries: list[tuple[EntryRef, bytes]], table: str, ids: str, out: SalesResult
) -> None:
    """This chunk's rows of ``table`` again, key by key and column by column."""
    fold = _Fold((table,))
    problems: list[str] = []
    for ref, text in entries:
        try:
            body = orjson.loads(text)
            ops = project(ref.type, body, ref) if isinstance(body, dict) else []
        except (orjson.JSONDecodeError, ProjectionError):
            continue  # reported above
        for op in ops:
            fold.add(op, ref, problems)
    out.entry_problems += problems
    found = Derivation()
    spec = TABLES[table]
    stored = _stored_rows_from(conn, spec, _SELECT[table], (ids,))  # the chunk's sales, as looked up above
    _compare(spec, fold.rows[table], stored, found)
    out.unchecked += found.unchecked
    out.total_differences += found.total_differences
    out.differences += found.differences
