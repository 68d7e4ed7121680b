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
