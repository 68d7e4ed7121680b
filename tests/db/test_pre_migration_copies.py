"""Copies taken before upgrades are kept to a few and listed (db/upgrade.py, cli/backup.py).

Each upgrade copies the whole store first (docs/upgrades.md): on the 12 GB benchmark store
that is 12 GB a time, and the copies were never removed, so a lane's disk filled up with them
one upgrade after another. An upgrade now keeps the two newest earlier copies and adds its
own; `counter backup list` shows them. Real store files, the app's own upgrade."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from cli.main import main
from db.engine import DB_FILENAME, open_database, script_head
from db.keys import load_secret
from db.upgrade import KEEP_EARLIER_COPIES, PRE_MIGRATION_DIR, pre_migration_copies
from tests.db.upgrade_support import migrate


def _older(store_dir: Path) -> tuple[str, str]:
    head = script_head()
    assert head is not None
    previous = f"{int(head) - 1:04d}"
    migrate(store_dir / DB_FILENAME, previous, load_secret(), up=False)
    return previous, head


def _earlier_copy(folder: Path, old: str, new: str, stamp: str) -> Path:
    path = folder / f"counter-{old}-to-{new}-{stamp}.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    return path


def test_an_upgrade_keeps_the_two_newest_earlier_copies_and_adds_its_own(
    store_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    previous, head = _older(store_dir)
    folder = store_dir / PRE_MIGRATION_DIR
    folder.mkdir(parents=True)
    oldest = _earlier_copy(folder, "0014", "0015", "20250101T000000000000Z")
    older = _earlier_copy(folder, "0015", "0016", "20250601T000000000000Z")
    newer = _earlier_copy(folder, "0016", "0017", "20260101T000000000000Z")
    newest = _earlier_copy(folder, "0017", previous, "20260601T120000000000Z")
    other = folder / "notes.txt"
    other.write_text("the manager's notes")
    unlike = folder / "counter-keep-me.sqlite3"  # not a name the upgrade gives: not its copy
    unlike.write_bytes(b"x")
    with caplog.at_level(logging.INFO, logger="db.upgrade"):
        open_database(store_dir).dispose()
    copies = pre_migration_copies(folder)
    assert len(copies) == KEEP_EARLIER_COPIES + 1 == 3
    new_copy, old_rev, new_rev, _stamp = copies[0]
    assert (old_rev, new_rev) == (previous, head)
    with sqlite3.connect(f"{new_copy.as_uri()}?mode=ro", uri=True) as conn:  # the real copy, whole
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (previous,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert [c[0] for c in copies[1:]] == [newest, newer]
    assert not oldest.exists() and not older.exists()
    assert other.read_text() == "the manager's notes" and unlike.read_bytes() == b"x"
    removed = [r.getMessage() for r in caplog.records if r.getMessage().startswith("removed the copy")]
    # by the upgrade each was taken for (the log's redaction may hide the file's long name,
    # depending on which test set logging up before this one)
    assert len(removed) == 2 and any("0014 -> 0015" in m for m in removed) and any("0015 -> 0016" in m for m in removed)


def test_backup_list_shows_the_copies_taken_before_upgrades_newest_first(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous, head = _older(store_dir)
    open_database(store_dir).dispose()
    folder = store_dir / PRE_MIGRATION_DIR
    _earlier_copy(folder, "0016", "0017", "20260101T093000123456Z")
    assert main(["backup", "list", "--data-dir", str(store_dir)]) == 0
    out = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(out) if line.startswith("Copies of the store taken before"))
    assert f"newest {KEEP_EARLIER_COPIES} of them" in out[start]
    rows = out[start + 1 :]
    assert len(rows) == 2
    assert f"upgrade {previous} -> {head}" in rows[0] and rows[0].endswith(".sqlite3")
    assert rows[1].startswith("2026-01-01 09:30:00Z") and "upgrade 0016 -> 0017" in rows[1]
    assert " MB " in rows[1]


def test_without_copies_the_list_says_nothing_of_them(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", "list", "--data-dir", str(store_dir)]) == 0
    assert "taken before database upgrades" not in capsys.readouterr().out
