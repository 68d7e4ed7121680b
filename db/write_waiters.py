"""Threads of this process waiting to begin a transaction on one of the store's engines
(db/engine.py counts them around its ``BEGIN IMMEDIATE``): a long run of write transactions
(a first catalog load, db/first_load.py) leaves the write lock free between two of them only
while somebody waits for it."""

from __future__ import annotations

import sqlite3
import threading
import time

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

#: How long a transaction waits for the store's write lock before "database is locked"
#: (the connections' busy timeout, db/engine.py), and how often it asks meanwhile.
BUSY_TIMEOUT = 5.0
POLL = 0.002


class WriteWaiters:
    """How many threads of this process are starting a transaction on the engine (for the
    write engine: waiting for the store's write lock). A long run of write transactions
    (a first catalog load, db/first_load.py) leaves the lock free after one of them only
    while somebody waits for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __enter__(self) -> None:
        with self._lock:
            self.count += 1

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self.count -= 1


def write_waiters(engine: Engine) -> int:
    """How many threads of this process wait to begin a transaction on ``engine`` (0 for an
    engine not made here)."""
    found = getattr(engine, "write_waiters", None)
    return found.count if isinstance(found, WriteWaiters) else 0


def begin_asking(dbapi_connection: sqlite3.Connection, sql: str, waiting: WriteWaiters) -> None:
    """Begin a transaction (``sql``; for ``BEGIN IMMEDIATE``, the write lock is asked for
    every ``POLL`` seconds until ``BUSY_TIMEOUT``), counted in ``waiting`` meanwhile.

    SQLite's own busy handler sleeps longer and longer between tries (1, 2, 5 ... 100 ms):
    a sale behind a first load's page found the lock taken again at each of its late
    tries and waited up to a third of a second (p99 235-340 ms in
    bench/hq_catalog_pull.py). Asking every 2 ms, it has the lock as soon as it is free.
    A lock still taken at the end: SQLAlchemy's ``OperationalError`` ("database is
    locked"), as before."""
    cursor = dbapi_connection.cursor()
    deadline = time.monotonic() + BUSY_TIMEOUT
    try:
        with waiting:
            cursor.execute("PRAGMA busy_timeout=0")
            try:
                while True:
                    try:
                        cursor.execute(sql)
                        return
                    except sqlite3.OperationalError as exc:
                        if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                            raise DBAPIError.instance(sql, (), exc, sqlite3.Error) from exc
                    time.sleep(POLL)
            finally:
                cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
    finally:
        cursor.close()
