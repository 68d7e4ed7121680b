"""The write engine counts the threads of the lane waiting for the store's write lock
(db/write_waiters.py), and a long run of write transactions (a first catalog load,
db/first_load.py) pauses after one only while somebody waits, until that one has the lock."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from db import first_load
from db.engine import open_database
from db.write_waiters import WriteWaiters, write_waiters


def test_a_thread_waiting_for_the_write_lock_is_counted_until_it_has_it(tmp_path: Path) -> None:
    db = open_database(tmp_path)
    began = threading.Event()
    try:
        with db.write.begin():
            assert write_waiters(db.write) == 0  # the holder is not waiting

            def sells() -> None:
                with db.write.begin():
                    began.set()

            other = threading.Thread(target=sells)
            other.start()
            for _ in range(500):
                if write_waiters(db.write) == 1:
                    break
                threading.Event().wait(0.01)
            assert write_waiters(db.write) == 1 and not began.is_set()
        other.join(timeout=30)
        assert began.is_set() and write_waiters(db.write) == 0
        assert write_waiters(db.read) == 0  # an engine beginning no writes: never waiting
    finally:
        db.dispose()


def test_the_pause_lasts_while_somebody_waits_and_not_at_all_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(tmp_path)
    waiting: WriteWaiters = db.write.write_waiters  # type: ignore[attr-defined]
    naps: list[float] = []
    monkeypatch.setattr(first_load.time, "sleep", naps.append)
    first_load.let_others_write(0.2, db.write)
    assert naps == []  # nobody waits: no time lost

    def nap(seconds: float) -> None:  # the waiter gets the lock after three polls
        naps.append(seconds)
        if len(naps) == 3:
            waiting.__exit__(None, None, None)

    monkeypatch.setattr(first_load.time, "sleep", nap)
    waiting.__enter__()
    first_load.let_others_write(0.5, db.write)  # may pause up to 0.25 s: three polls take far less
    assert len(naps) == 3 and waiting.count == 0
    naps.clear()
    first_load.let_others_write(0.2)  # no engine: the old pause, half the time held
    assert naps == [0.1]
    db.dispose()


def test_a_waiting_write_begins_within_milliseconds_of_the_lock_coming_free(tmp_path: Path) -> None:
    """SQLite's own busy handler sleeps up to 100 ms between tries; the write engine asks
    every 2 ms (db/write_waiters.begin_asking): a sale behind a long write has the lock at
    once. And a lock that stays taken still ends in "database is locked", as before."""
    import sqlite3
    import time

    from sqlalchemy.exc import OperationalError

    from db import write_waiters as ww

    db = open_database(tmp_path)
    waits: list[float] = []
    try:
        for _ in range(5):
            freed = [0.0]

            def sells(freed: list[float] = freed) -> None:
                with db.write.begin():
                    waits.append(time.perf_counter() - freed[0])

            with db.write.begin():
                other = threading.Thread(target=sells)
                other.start()
                time.sleep(0.34)  # SQLite's handler would be 10 ms into a 100 ms sleep (1, 2, 5 ... 100)
                freed[0] = time.perf_counter()
            other.join(timeout=30)
        assert len(waits) == 5 and max(waits) < 0.04, waits  # SQLite's handler: tens of ms
        holder = sqlite3.connect(tmp_path / "counter.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's long write
        old = ww.BUSY_TIMEOUT
        ww.BUSY_TIMEOUT = 0.2
        try:
            started = time.perf_counter()
            with pytest.raises(OperationalError, match="locked"), db.write.begin():
                pass
            assert 0.2 <= time.perf_counter() - started < 2
        finally:
            ww.BUSY_TIMEOUT = old
            holder.execute("ROLLBACK")
            holder.close()
        assert write_waiters(db.write) == 0
        with db.write.begin() as conn:  # and its busy timeout is back for the statements after
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 5000
    finally:
        db.dispose()
