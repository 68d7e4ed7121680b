"""A backup's check of a large store runs in a child process (db/apart.py), so that the app's
backup thread does not hold the interpreter's lock from the sale screen for minutes (issue
#22: 280 ms a sale instead of 75 during a backup of the 10M-line store). Here the size from
which that happens is set to 0, so the demo store counts as large."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

import db.apart
from db.apart import run_apart
from db.backup import backup_store, check_file
from db.engine import DB_FILENAME, open_database


def whose_pid(path: Path, *, add: int = 0) -> tuple[int, int]:
    """(the process that ran this, the size of ``path`` plus ``add``)."""
    return os.getpid(), path.stat().st_size + add


def test_a_large_file_is_worked_on_in_a_child_and_a_small_one_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert run_apart(whose_pid, path, add=1) == (os.getpid(), 101)  # small: this process
    monkeypatch.setattr(db.apart, "APART_FROM_BYTES", 100)
    pid, size = run_apart(whose_pid, path, add=2)
    assert pid != os.getpid() and size == 102  # large: a child, the same answer


def test_the_backup_check_made_in_a_child_says_what_the_check_here_says(
    store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_database(store_dir)
    secret = store.secret
    store.dispose()
    monkeypatch.setattr(db.apart, "APART_FROM_BYTES", 0)
    for name in ("b1", "b2"):
        (tmp_path / name).mkdir()
    made = backup_store(store_dir / DB_FILENAME, tmp_path / "b1", "manual", secret=secret)
    here = check_file(made.backup.path, secret, reason="manual")
    assert made.check.ok and here.ok and made.check.lines == here.lines
    assert any(line.startswith("journal:") for line in made.check.lines)

    # a journal entry edited in the store file: the child's check finds it, as the check here does
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        conn.execute("DROP TRIGGER IF EXISTS journal_no_update")
        conn.execute("UPDATE journal SET body = replace(body, '\"qty\":1', '\"qty\":9') WHERE type = 'SaleCompleted'")
    conn.close()
    bad = backup_store(store_dir / DB_FILENAME, tmp_path / "b2", "manual", secret=secret)
    again = check_file(bad.backup.path, secret, reason="manual")
    assert not bad.check.ok and bad.check.lines == again.lines


def test_when_no_child_can_start_the_check_runs_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"y" * 10)
    monkeypatch.setattr(db.apart, "APART_FROM_BYTES", 0)

    def no_child(*_a: object, **_k: object) -> None:
        raise OSError("no more processes")

    monkeypatch.setattr(db.apart, "ProcessPoolExecutor", no_child)
    assert run_apart(whose_pid, path) == (os.getpid(), 10)
