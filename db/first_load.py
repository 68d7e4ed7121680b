"""A lane's first load of the catalog (a store with no items, cursor 0), for ``db.sync.Syncer``.

The item search index's triggers are set aside while the catalog streams in; the items are
then indexed in chunks of ``chunk`` rows (each its own short transaction: a sale waits for
one at most), and the triggers are put back in the same transaction as the last chunk, so
no item can be missed between. The state of a load is kept in ``settings[FIRST_LOAD_KEY]``
(phase ``loading`` or ``indexing``), so an interrupted one resumes; a load cut by HQ going
away is indexed at once (``Syncer.pull_all``), so that name search finds every item the
lane has while it waits, and what is missing then comes as ordinary changes.

Also the pull's small shared pieces: leaving the write lock free between transactions to a
thread that waits for it, one
setting written inside a transaction, and pages read ahead on a helper thread.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, select, text

from db import schema as s
from db.queries import read_settings
from db.side_index import MARK_SQL, UNMARK_SQL, SideIndex
from db.write_waiters import write_waiters

log = logging.getLogger("db.sync")

FIRST_LOAD_KEY = "sync_first_load"
#: Set with a first load, gone when a pull has reached HQ's end: until then pulls stream
#: (``GET /v1/changes/stream``) rather than page, also after an interrupted first load.
CATCH_UP_KEY = "sync_catch_up"
#: After each of its write transactions a pull leaves the write lock free while a thread of
#: the lane waits for it, up to half as long as it held it (at least ``YIELD_MIN`` s): a sale
#: waiting for the lock gets it at one of its next polls instead of finding it taken again
#: at once (SQLite's lock is not fair).
YIELD_RATIO = 0.5
YIELD_MIN = 0.005
YIELD_MAX = 0.25

T = TypeVar("T")


def let_others_write(held: float, write: Engine | None = None) -> None:
    """After a write transaction of a long run: with ``write``, leave the lock free while
    another thread of this process waits for it (until it has it, at most the pause below;
    none when nobody waits); without, pause for half as long as the lock was held."""
    pause = min(YIELD_MAX, max(YIELD_MIN, held * YIELD_RATIO))
    if write is None:
        time.sleep(pause)
        return
    until = time.monotonic() + pause
    while write_waiters(write) and time.monotonic() < until:
        time.sleep(0.002)


def put_setting(conn: Connection, key: str, value: Any) -> None:
    conn.execute(s.settings.delete().where(s.settings.c.key == key))
    conn.execute(s.settings.insert().values(key=key, value=json.dumps(value)))


def state(read: Engine) -> dict[str, Any] | None:
    found = read_settings(read).get(FIRST_LOAD_KEY)
    return dict(found) if isinstance(found, dict) else None


def no_items(read: Engine) -> bool:
    with read.connect() as conn:
        return conn.execute(select(s.items.c.rowid).limit(1)).first() is None


def begin(write: Engine) -> dict[str, Any]:
    """Set the item search index's triggers aside (their SQL is kept in the state, to be put
    back exactly as the store's migration made them)."""
    with write.begin() as conn:
        found = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'items' "
                "AND sql LIKE '%items_fts%' ORDER BY name"
            )
        ).all()
        started = {"phase": "loading", "indexed_upto": 0, "triggers": [[str(n), str(q)] for n, q in found]}
        for name, _sql in found:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        for sql in UNMARK_SQL + MARK_SQL:  # a change the index built beside would miss
            conn.exec_driver_sql(sql)
        put_setting(conn, FIRST_LOAD_KEY, started)
        put_setting(conn, CATCH_UP_KEY, True)
    log.info("sync: first catalog load; search index triggers set aside (%d)", len(found))
    return started


def finish(
    write: Engine,
    read: Engine,
    chunk: int,
    tick: Callable[[], None] | None = None,
    side: SideIndex | None = None,
) -> None:
    """Index the items written by the first load, ``chunk`` at a time, and put the triggers
    back with the last chunk (``tick`` after each chunk: the status bar stays fed). With
    ``side`` (the index built beside the load, db/side_index.py), its index is copied in
    first when that is exact, and only the items after it are indexed here."""
    current = state(read)
    if current is None:
        return
    if side is not None and current["phase"] == "loading" and not current["indexed_upto"]:
        copied = side.copy_into(
            {**current, "phase": "indexing"}, FIRST_LOAD_KEY, lambda held: let_others_write(held, write)
        )
        if copied is not None:
            log.info("sync: first catalog load's search index built beside it (up to item rowid %d)", copied)
            current["indexed_upto"] = copied
    current["phase"] = "indexing"
    upto = int(current["indexed_upto"])
    while True:
        with write.begin() as conn:
            held = time.perf_counter()
            if not upto:  # from the start: whatever an interrupted copy left goes first
                conn.exec_driver_sql("INSERT INTO items_fts(items_fts) VALUES ('delete-all')")
            last = conn.execute(
                text(
                    "SELECT max(rowid), count(*) FROM (SELECT rowid FROM items WHERE rowid > :a "
                    "ORDER BY rowid LIMIT :n)"
                ),
                {"a": upto, "n": chunk},
            ).one()
            if last[1]:
                conn.execute(
                    text(
                        "INSERT INTO items_fts(rowid, name, sku) SELECT rowid, name, sku FROM items "
                        "WHERE rowid > :a AND rowid <= :b"
                    ),
                    {"a": upto, "b": int(last[0])},
                )
                upto = int(last[0])
            done = int(last[1]) < chunk
            if done:
                for _name, sql in current["triggers"]:
                    conn.exec_driver_sql(str(sql))
                for sql in UNMARK_SQL:
                    conn.exec_driver_sql(sql)
                conn.execute(s.settings.delete().where(s.settings.c.key == FIRST_LOAD_KEY))
            else:
                current["indexed_upto"] = upto
                put_setting(conn, FIRST_LOAD_KEY, current)
        if tick is not None:
            tick()
        if done:
            log.info("sync: first catalog load indexed for search (up to item rowid %d)", upto)
            return
        let_others_write(time.perf_counter() - held, write)


def caught_up(write: Engine) -> None:
    with write.begin() as conn:
        conn.execute(s.settings.delete().where(s.settings.c.key == CATCH_UP_KEY))


def read_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items`` as they come, read up to ``depth`` ahead on a helper thread (a streamed page
    is received and decoded while the one before is written). An exception of the reader is
    raised here, in order; leaving early stops the reader and closes ``items`` (a generator
    is closed on the thread that runs it)."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    break
            else:
                put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            put(("error", exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=reader, name="sync-stream", daemon=True)
    thread.start()
    try:
        while True:
            what, value = box.get()
            if what == "end":
                return
            if what == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join(timeout=30)
