"""Stores as earlier versions of Counter left them, made by the earlier migrations
themselves: a fresh file upgraded with Alembic to an earlier revision, then filled with the
records of a real store (the demo's: sales, returns, shifts and Z reports, customers,
contacts, a referred case) as far as that revision's tables hold them.

How the records are written: each journal entry of the source store whose rows all land
in tables that exist at the revision is appended (a chain of a terminal that loses
entries, because its shifts or desk work had no tables yet, is chained again with
``counter.journal.make_entry``, as that terminal would have written it), and its rows are
its projection (``counter.projection``) as the entry makes them, written with SQL into the
columns the revision's tables have (read by inspection). Values the journal does not hold
(contact details) come from the source store's own row. Reference data (tax classes,
categories, items, users, settings, document counters, due documents) is copied column by
column as far as the revision has the columns.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from counter.journal import JournalEntry, make_entry, parse_stamp
from counter.projection import ORDINAL, TABLES, UNKNOWN, EntryRef, Insert, Op, Update, project
from db.engine import DB_FILENAME, _make_engine, alembic_config
from db.keys import InstallationSecret
from db.upgrade import VERSION_KEY, script_revisions

#: Copied column by column, in this order (foreign keys are on).
REFERENCE_TABLES = (
    "tax_classes",
    "categories",
    "items",
    "users",
    "return_policies",
    "settings",
    "counters",
    "sync_state",
    "print_jobs",
    "outbox",
)
#: Document counters and the table whose records they number: an earlier version kept only
#: the counters of the records it had.
COUNTED = {"receipt": "sales", "return": "returns", "case": "cases"}
#: What a snapshot leaves out: the migration bookkeeping and the search index's own pages.
NOT_RECORDS = ("alembic_version", "items_fts")


def revisions() -> list[str]:
    return sorted(script_revisions())


def store_at(folder: Path, revision: str, secret: InstallationSecret) -> Path:
    """A new store file in ``folder`` brought to ``revision`` by the migrations themselves,
    on the app's own write engine (its pragmas and the journal's seal functions)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DB_FILENAME
    migrate(path, revision, secret)
    return path


def migrate(path: Path, revision: str, secret: InstallationSecret, *, up: bool = True) -> None:
    """Bring the store file at ``path`` up (or down) to ``revision`` by the migrations, on the
    app's own write engine."""
    from alembic import command

    engine = _make_engine(path, immediate=True, secret=secret)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.upgrade if up else command.downgrade)(cfg, revision)
    finally:
        engine.dispose()


def columns_of(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Every table of the file and its columns, as the file has them."""
    names = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        if not r[0].startswith(NOT_RECORDS)
    ]
    return {name: [r[1] for r in conn.execute(f"PRAGMA table_info({name})")] for name in names}


@dataclass
class Filled:
    """What went into a store at an earlier revision."""

    entries: dict[str, list[JournalEntry]] = field(default_factory=dict)  # by terminal
    rechained: set[str] = field(default_factory=set)  # terminals whose chain lost entries
    left_out: dict[str, int] = field(default_factory=dict)  # entry type -> entries left out


def fill(target: Path, source: Path, secret: InstallationSecret) -> Filled:
    """Fill the store at ``target`` (at an earlier revision) with the source store's records."""
    engine: Engine = _make_engine(target, immediate=True, secret=secret)
    try:
        raw = engine.raw_connection()
        try:
            conn = raw.driver_connection
            assert isinstance(conn, sqlite3.Connection)
            src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
            try:
                conn.execute("BEGIN IMMEDIATE")
                filled = _fill(conn, src, secret)
                conn.execute("COMMIT")
            finally:
                src.close()
        finally:
            raw.close()
    finally:
        engine.dispose()
    return filled


def _fill(conn: sqlite3.Connection, src: sqlite3.Connection, secret: InstallationSecret) -> Filled:
    have = columns_of(conn)
    source_columns = columns_of(src)
    for table in REFERENCE_TABLES:
        if table in have:
            cols = [c for c in have[table] if c in source_columns[table]]
            rows = src.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY rowid").fetchall()
            if table == "settings":
                rows = [r for r in rows if r[cols.index("key")] != VERSION_KEY]  # later Counters write it
            if table == "counters":
                rows = [r for r in rows if COUNTED.get(r[cols.index("name")], "sales") in have]
            if rows:
                conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
    filled = Filled()
    writer = _RowWriter(conn, src, have)
    for terminal, chain in _chains(src).items():
        kept = []
        for entry in chain:
            ops = project(entry.type, entry.body_data(), EntryRef(terminal, entry.seq, entry.type, entry.at))
            if all(op.table in have for op in ops):
                kept.append(entry)
            else:
                filled.left_out[entry.type] = filled.left_out.get(entry.type, 0) + 1
        if len(kept) < len(chain):
            filled.rechained.add(terminal)
            kept = list(_rechain(kept))
        filled.entries[terminal] = kept
    # journal order across terminals as the source wrote them (ordinal rows follow it)
    order = {(t, e.id): i for i, (t, e) in enumerate(_in_rowid_order(src))}
    every = sorted(
        ((t, e) for t, chain in filled.entries.items() for e in chain), key=lambda te: order[(te[0], te[1].id)]
    )
    sealed = "seal" in have["journal"]
    for terminal, entry in every:
        row = [entry.terminal, entry.seq, entry.id, entry.type, entry.at, entry.body, entry.prev_hash, entry.hash]
        cols = "terminal_id, seq, id, type, at, body, prev_hash, hash"
        if sealed:
            row.append(secret.seal(entry.terminal, entry.seq, entry.hash))
            cols += ", seal"
        conn.execute(f"INSERT INTO journal ({cols}) VALUES ({', '.join('?' * len(row))})", row)
        for op in project(entry.type, entry.body_data(), EntryRef(terminal, entry.seq, entry.type, entry.at)):
            writer.write(op)
    return filled


def _chains(src: sqlite3.Connection) -> dict[str, list[JournalEntry]]:
    out: dict[str, list[JournalEntry]] = {}
    for terminal, entry in _in_rowid_order(src):
        out.setdefault(terminal, []).append(entry)
    for chain in out.values():
        chain.sort(key=lambda e: e.seq)
    return out


def _in_rowid_order(src: sqlite3.Connection) -> Iterator[tuple[str, JournalEntry]]:
    for r in src.execute("SELECT terminal_id, seq, id, type, at, body, prev_hash, hash FROM journal ORDER BY rowid"):
        yield str(r[0]), JournalEntry(*r)


def _rechain(entries: list[JournalEntry]) -> Iterator[JournalEntry]:
    """The entries as a terminal that never had the left-out ones would have chained them."""
    prev = "0" * 64
    for seq, e in enumerate(entries, start=1):
        made = make_entry(e.terminal, seq, e.id, e.type, parse_stamp(e.at), json.loads(e.body), prev)
        assert made.body == e.body, "canonical bodies serialise to the same text"
        prev = made.hash
        yield made


class _RowWriter:
    """Writes an entry's row operations into the columns the file has; the values the
    journal does not carry come from the source store's row with the same key."""

    def __init__(self, conn: sqlite3.Connection, src: sqlite3.Connection, have: dict[str, list[str]]) -> None:
        self.conn, self.src, self.have = conn, src, have
        self.ordinals: dict[tuple[str, tuple[Any, ...]], int] = {}

    def write(self, op: Op) -> None:
        spec = TABLES[op.table]
        cols = self.have[op.table]
        if isinstance(op, Insert):
            row = dict(op.row)
            parent = tuple(row[c] for c in spec.key if c != ORDINAL)
            n = self.ordinals[(op.table, parent)] = self.ordinals.get((op.table, parent), 0) + 1
            if UNKNOWN in row.values():
                row = self._filled(op.table, row, parent, n)
            names = [c for c in row if c in cols]
            self.conn.execute(
                f"INSERT INTO {op.table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [row[c] for c in names],
            )
            return
        assert isinstance(op, Update)
        values = dict(op.values)
        if UNKNOWN in values.values():
            values = self._filled(op.table, values, op.key, None)
        names = [c for c in values if c in cols]
        where = " AND ".join(f"{c} = ?" for c in spec.key)
        done = self.conn.execute(
            f"UPDATE {op.table} SET {', '.join(f'{c} = ?' for c in names)} WHERE {where}",
            [*(values[c] for c in names), *op.key],
        )
        assert done.rowcount == 1, (op.table, op.key)

    def _filled(self, table: str, row: dict[str, Any], parent: tuple[Any, ...], n: int | None) -> dict[str, Any]:
        spec = TABLES[table]
        keys = [c for c in spec.key if c != ORDINAL]
        sql = f"SELECT {', '.join(row)} FROM {table} WHERE {' AND '.join(f'{c} = ?' for c in keys)} ORDER BY rowid"
        if ORDINAL in spec.key and n is not None:
            sql += f" LIMIT 1 OFFSET {n - 1}"
        found = self.src.execute(sql, parent).fetchone()
        assert found is not None, (table, parent)
        return {c: (found[i] if v is UNKNOWN else v) for i, (c, v) in enumerate(row.items())}


def snapshot(path: Path, tables: dict[str, list[str]] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every record of the file: table -> its rows (the given columns, or all), sorted.
    ``settings`` leaves out what an upgrade itself records (``VERSION_KEY``)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = tables or columns_of(conn)
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table, cols in tables.items():
            rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
            if table == "settings":
                rows = [r for r in rows if r[cols.index("key")] != VERSION_KEY]
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()
