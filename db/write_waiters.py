"""Threads of this process waiting to begin a transaction on one of the store's engines
(db/engine.py counts them around its ``BEGIN IMMEDIATE``): a long run of write transactions
(a first catalog load, db/first_load.py) leaves the write lock free between two of them only
while somebody waits for it."""

from __future__ import annotations

import threading

from sqlalchemy import Engine


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
