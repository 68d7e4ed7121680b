"""Helpers for the trust tests: raw SQL on a store file, as an attacker would use it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from db.audit import StoreAudit, audit_store
from db.engine import DB_FILENAME, open_database

GENESIS = "0" * 64


@contextmanager
def raw(store_dir: Path) -> Iterator[sqlite3.Connection]:
    """The sqlite3 shell: no Counter functions registered, autocommit off, commit at the end."""
    conn = sqlite3.connect(store_dir / DB_FILENAME)
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def drop_triggers(conn: sqlite3.Connection, *names: str) -> None:
    for name in names or [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]:
        if not name.startswith("items_fts"):
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")


def audit(store_dir: Path, anchors: dict[str, dict[int, str]] | None = None) -> StoreAudit:
    db = open_database(store_dir, create=False, audit=True)
    try:
        return audit_store(db.read, db.secret, anchors)
    finally:
        db.dispose()


def rehash(conn: sqlite3.Connection, terminal: str, from_seq: int) -> str:
    """Recompute every hash of ``terminal`` from ``from_seq`` on (SHA-256 needs no key):
    what a careful attacker does after editing an entry. Returns the new last hash."""
    prev = conn.execute(
        "SELECT hash FROM journal WHERE terminal_id = ? AND seq = ?", (terminal, from_seq - 1)
    ).fetchone()
    prev_hash = prev[0] if prev else GENESIS
    rows = conn.execute(
        "SELECT seq, id, type, at, body FROM journal WHERE terminal_id = ? AND seq >= ? ORDER BY seq",
        (terminal, from_seq),
    ).fetchall()
    for seq, entry_id, type_, at, body in rows:
        env = {"at": at, "body": json.loads(body), "id": entry_id, "seq": seq, "terminal": terminal, "type": type_}
        canon = json.dumps(env, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        new = hashlib.sha256(prev_hash.encode() + b"\n" + canon).hexdigest()
        conn.execute(
            "UPDATE journal SET prev_hash = ?, hash = ? WHERE terminal_id = ? AND seq = ?",
            (prev_hash, new, terminal, seq),
        )
        prev_hash = new
    return prev_hash


def last_seq(conn: sqlite3.Connection, terminal: str) -> int:
    return int(conn.execute("SELECT max(seq) FROM journal WHERE terminal_id = ?", (terminal,)).fetchone()[0])


def chain_line(result: StoreAudit, terminal: str) -> str:
    return f"{terminal}: {result.chains[terminal].describe()}"
