"""The item search index of a first catalog load, built beside the load (db/first_load.py).

A first load writes a million items on the lane's one writer, and indexing them for name
search afterwards took that writer another 4-7 s (docs/benchmarks.md). Here a helper thread
builds the index at the same time, on the machine's other core, in a scratch file beside
the store: it follows the ``items`` table by rowid on its own read-only connection (each
read its own short snapshot: the WAL checkpoint is never held back) and feeds a contentless
FTS5 table made with the store's own tokenizer and prefix options. At the end the scratch
index's shadow tables are copied into the store's ``items_fts`` in short transactions (a
sale waits for one at most); the segments copied stay invisible until the last
transaction writes the index's structure record, with the load's state, in one go.

The copy is used only when it is exact: the store's index was empty, and no item's name or
SKU changed and no item was deleted during the load (two triggers set by
``first_load.begin`` leave a mark in ``settings``; rowids only grow, so what the helper read
is what the store holds). Anything else (a helper that failed, an interrupted copy, a load
resumed in a new process) falls back to indexing in chunks on the writer, from an emptied
index.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine

from counter.errors import StoreError
from db.credentials import create_private
from db.write_waiters import BUSY_TIMEOUT, WriteWaiters, begin_asking

log = logging.getLogger("db.sync")

#: Set by the triggers below when an item's name or SKU changes or an item is deleted
#: during a first load: the helper's index may then be stale, and is not used.
CHANGED_KEY = "sync_first_load_changed"
MARK_TRIGGERS = {
    "items_first_load_au": "AFTER UPDATE OF name, sku ON items",
    "items_first_load_ad": "AFTER DELETE ON items",
}
READ_CHUNK = 20_000  # items the helper reads from the store at a time
POLL = 0.05  # how often the helper looks for new items when it has caught up
COPY_DATA_ROWS = 1_000  # index pages (~4 KB each) copied per transaction
COPY_SIZE_ROWS = 50_000  # per-item sizes copied per transaction
_CONTENT = re.compile(r"content\s*=\s*'items'\s*,\s*content_rowid\s*=\s*'rowid'")


#: The triggers that mark a change the helper's index would miss (made by ``first_load.begin``).
MARK_SQL = tuple(
    f'CREATE TRIGGER "{name}" {when} BEGIN '
    f"INSERT OR REPLACE INTO settings(key, value) VALUES ('{CHANGED_KEY}', 'true'); END"
    for name, when in MARK_TRIGGERS.items()
)
#: Those triggers and their mark gone (with the load's last chunk, or before it begins).
UNMARK_SQL = (
    *(f'DROP TRIGGER IF EXISTS "{name}"' for name in MARK_TRIGGERS),
    f"DELETE FROM settings WHERE key = '{CHANGED_KEY}'",
)


def scratch_path(store: Path) -> Path:
    return store.with_name(store.name + ".search-build")


class SideIndex:
    """The helper thread and its scratch index. ``complete`` waits until it has indexed
    every item committed so far; ``copy_into`` moves its index into the store; ``close``
    stops it and removes the scratch file (always call it)."""

    def __init__(self, store: Path, fts_sql: str) -> None:
        self.store = store
        self.scratch = scratch_path(store)
        self._fts_sql = fts_sql
        self._last_round = threading.Event()
        self._stop = threading.Event()
        self.upto = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sync-search-build", daemon=True)

    @classmethod
    def start(cls, write: Engine) -> SideIndex | None:
        """A helper for the store of ``write``, running; None when the store's index is not
        the one this copies (a store made otherwise: the load indexes on the writer)."""
        store = Path(str(write.url.database))
        try:
            with write.connect() as conn:
                raw = conn.connection.driver_connection
                found = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'items_fts'").fetchone()  # type: ignore[union-attr]
            fts_sql, n = _CONTENT.subn("content=''", str(found[0]) if found else "")
            if n != 1:
                return None
            with contextlib.suppress(FileNotFoundError):
                scratch_path(store).unlink()  # a crashed load's
            create_private(scratch_path(store))  # item names, kept as private as the store
        except (OSError, sqlite3.Error, StoreError) as exc:
            log.warning("sync: search index not built beside the load (%r); indexing on the writer", exc)
            return None
        side = cls(store, fts_sql)
        side._thread.start()
        return side

    # ------------------------------------------------------------------ the helper thread

    def _run(self) -> None:
        scratch = lane = None
        try:
            scratch = sqlite3.connect(self.scratch, isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-65536"):
                scratch.execute(f"PRAGMA {pragma}")  # a scratch file: thrown away if anything goes wrong
            scratch.execute(self._fts_sql)
            lane = sqlite3.connect(f"{self.store.as_uri()}?mode=ro", uri=True, isolation_level=None)
            lane.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
            scratch.execute("BEGIN")
            while not self._stop.is_set():
                last = self._last_round.is_set()  # set after the load's last write committed
                got = self._read_some(lane, scratch)
                if got < READ_CHUNK:
                    if last:
                        break
                    self._last_round.wait(POLL)
            scratch.execute("COMMIT")
        except BaseException as exc:  # the load goes on; its index is then made on the writer
            self.error = exc
            log.warning("sync: search index built beside the load failed (%r); indexing on the writer", exc)
        finally:
            for conn in (lane, scratch):
                if conn is not None:
                    conn.close()

    def _read_some(self, lane: sqlite3.Connection, scratch: sqlite3.Connection) -> int:
        """Index the next items above ``upto`` (one read of the store, as one JSON text:
        the interpreter's lock is not taken back row by row)."""
        rows, last, count = lane.execute(
            "SELECT json_group_array(json_array(rowid, name, sku)), max(rowid), count(*) FROM "
            "(SELECT rowid, name, sku FROM items WHERE rowid > ? ORDER BY rowid LIMIT ?)",
            (self.upto, READ_CHUNK),
        ).fetchone()
        if count:
            scratch.execute(
                "INSERT INTO items_fts(rowid, name, sku) SELECT json_extract(value, '$[0]'), "
                "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)",
                (rows,),
            )
            self.upto = int(last)
        return int(count)

    def complete(self) -> int | None:
        """Wait until every item committed before this call is indexed; the last rowid
        indexed, or None if the helper failed."""
        self._last_round.set()
        self._thread.join()
        return None if self.error is not None or self._stop.is_set() else self.upto

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        with contextlib.suppress(FileNotFoundError):
            self.scratch.unlink()

    # ------------------------------------------------------------------ the copy

    def copy_into(self, state: dict[str, object], state_key: str, pause: Callable[[float], None]) -> int | None:
        """Copy the helper's index into the store's ``items_fts`` and write ``state`` (its
        ``indexed_upto`` set) to ``settings[state_key]`` with the structure record: the
        rowid indexed up to, or None when the copy would not be exact (the store's index not
        empty, a mark set, the helper failed). ``pause(held)`` after each transaction lets a
        waiting sale write."""
        upto = self.complete()
        if upto is None:
            return None
        conn = sqlite3.connect(self.store, isolation_level=None, check_same_thread=False)
        waiting = WriteWaiters()  # not the engine's: this copy is not a sale waiting for the lock
        try:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("ATTACH ? AS side", (str(self.scratch),))
            if not _empty_and_unmarked(conn):
                return None
            ids = [r[0] for r in conn.execute("SELECT id FROM side.items_fts_data WHERE id NOT IN (1, 10) ORDER BY id")]
            last = conn.execute("SELECT coalesce(max(id), 0) FROM side.items_fts_docsize").fetchone()[0]
            steps = [
                (_COPY_DATA, (ids[at], ids[min(at + COPY_DATA_ROWS, len(ids)) - 1]))
                for at in range(0, len(ids), COPY_DATA_ROWS)
            ] + [(_COPY_SIZES, (low, low + COPY_SIZE_ROWS)) for low in range(0, int(last), COPY_SIZE_ROWS)]
            for sql, bounds in steps:
                with _transaction(conn, waiting):
                    held = time.perf_counter()
                    conn.execute(sql, bounds)
                pause(time.perf_counter() - held)
            with _transaction(conn, waiting):  # made visible at once: the segment index, the structure, the state
                if not _empty_and_unmarked(conn, segments_copied=True):
                    return None
                conn.execute("INSERT INTO items_fts_idx SELECT * FROM side.items_fts_idx")
                conn.execute(
                    "INSERT OR REPLACE INTO items_fts_data SELECT * FROM side.items_fts_data WHERE id IN (1, 10)"
                )
                conn.execute(
                    "INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)",
                    (state_key, json.dumps({**state, "indexed_upto": upto})),
                )
            return upto
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("DETACH side")
            conn.close()


#: The copy's steps: index pages by id range (FTS5's averages and structure records, ids 1
#: and 10, come last with the state), per-item sizes by rowid range.
_COPY_DATA = (
    "INSERT INTO items_fts_data SELECT * FROM side.items_fts_data WHERE id >= ? AND id <= ? AND id NOT IN (1, 10)"
)
_COPY_SIZES = "INSERT INTO items_fts_docsize SELECT * FROM side.items_fts_docsize WHERE id > ? AND id <= ?"


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection, waiting: WriteWaiters) -> Iterator[None]:
    """One write transaction on the copy's own connection (the lock asked as the engine asks
    it), committed at the end of the block, rolled back on an error."""
    begin_asking(conn, "BEGIN IMMEDIATE", waiting)
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _empty_and_unmarked(conn: sqlite3.Connection, segments_copied: bool = False) -> bool:
    """The store's index holds nothing (but for what this copy wrote), both mark triggers
    are there and neither has marked a change."""
    marks = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (?, ?)", tuple(MARK_TRIGGERS)
    ).fetchone()[0]
    changed = conn.execute("SELECT count(*) FROM settings WHERE key = ?", (CHANGED_KEY,)).fetchone()[0]
    if marks != len(MARK_TRIGGERS) or changed:
        return False
    if segments_copied:
        return bool(conn.execute("SELECT count(*) FROM items_fts_idx").fetchone()[0] == 0)
    data = conn.execute("SELECT count(*) FROM items_fts_data WHERE id NOT IN (1, 10)").fetchone()[0]
    sizes = conn.execute("SELECT count(*) FROM items_fts_docsize").fetchone()[0]
    return bool(data == 0 and sizes == 0)
