"""What Counter does before it migrates a store: a store newer than the app is refused
with both versions named and what to do; a store behind is copied first, and when the copy
cannot be made the migration is refused and the store stays as it was (db/upgrade.py)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from cli.main import main
from counter.errors import StoreError
from db.app_version import app_version
from db.engine import DB_FILENAME, open_database, script_head
from db.upgrade import PRE_MIGRATION_DIR, VERSION_KEY
from tests.db.upgrade_support import snapshot

HEAD = script_head()
NEWER = f"{int(HEAD or 0) + 1:04d}"


def _as_if_newer(store_dir: Path, by: str | None = "9.1.0") -> None:
    """The store as a newer Counter leaves it: a revision this app does not know."""
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (NEWER,))
        conn.execute("DELETE FROM settings WHERE key = ?", (VERSION_KEY,))
        if by is not None:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)",
                (VERSION_KEY, json.dumps({"app": by, "schema": NEWER})),
            )
    conn.close()


def _version(store_dir: Path) -> str:
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        (found,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    conn.close()
    return str(found)


def test_a_store_newer_than_the_app_is_refused_naming_both_versions(store_dir: Path) -> None:
    _as_if_newer(store_dir)
    before = snapshot(store_dir / DB_FILENAME)
    with pytest.raises(StoreError) as refused:
        open_database(store_dir, create=False)
    text = f"{refused.value.message} {refused.value.hint}"
    assert f"version {NEWER}" in text and f"up to {HEAD}" in text
    assert "Counter 9.1.0" in text and f"({app_version()})" in text
    assert "Install Counter 9.1.0 or later" in refused.value.hint and "restore a backup" in refused.value.hint
    assert "Nothing was changed" in refused.value.message
    assert _version(store_dir) == NEWER and snapshot(store_dir / DB_FILENAME) == before
    assert not (store_dir / PRE_MIGRATION_DIR).exists()


def test_a_newer_store_that_did_not_say_who_upgraded_it_is_refused_too(store_dir: Path) -> None:
    _as_if_newer(store_dir, by=None)
    with pytest.raises(StoreError, match="upgraded by a newer Counter") as refused:
        open_database(store_dir, create=False, audit=True)
    assert refused.value.hint.startswith("Install that newer Counter on this terminal")


def test_the_command_line_refuses_a_newer_store_in_one_clear_line(store_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _as_if_newer(store_dir)
    assert main(["journal", "verify", "--data-dir", str(store_dir)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("counter: This store was upgraded by Counter 9.1.0") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert _version(store_dir) == NEWER


def test_the_app_refuses_a_newer_store_at_start_with_the_message(store_dir: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    _as_if_newer(store_dir)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, title, text: shown.append(f"{title}: {text}"))
    from ui.main_window import run_app

    assert run_app(store_dir, demo=False) == 1
    assert shown and shown[0].startswith("Counter cannot start: This store was upgraded by Counter 9.1.0")
    assert "Install Counter 9.1.0 or later" in shown[0]
    out, err = capsys.readouterr()
    assert err.startswith("counter: This store was upgraded by Counter 9.1.0") and "Traceback" not in out + err
    assert _version(store_dir) == NEWER


def _one_revision_behind(store_dir: Path) -> None:
    """The store as the version before the head left it (0014 added the card terminal's tables)."""
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        for table in ("card_requests", "card_answers", "card_refunds_closed", "card_days"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DROP INDEX ix_print_jobs_created_at")  # 0016 makes it again (0015 and 0017 look first)
        conn.execute("UPDATE alembic_version SET version_num = '0013'")
    conn.close()


def test_a_store_behind_is_copied_before_it_is_migrated(store_dir: Path) -> None:
    assert HEAD == "0019"
    _one_revision_behind(store_dir)
    before = snapshot(store_dir / DB_FILENAME)
    open_database(store_dir, create=False).dispose()
    (copy,) = (store_dir / PRE_MIGRATION_DIR).glob("*.sqlite3")
    assert copy.name.startswith("counter-0013-to-0019-")
    assert snapshot(copy) == before and copy.stat().st_mode & 0o077 == 0
    assert not list((store_dir / PRE_MIGRATION_DIR).glob("*.partial"))
    assert not copy.with_name(copy.name + "-wal").exists()  # one file, no WAL beside it
    assert _version(store_dir) == "0019"
    open_database(store_dir, create=False).dispose()  # at the head: no second copy
    assert len(list((store_dir / PRE_MIGRATION_DIR).glob("*.sqlite3"))) == 1


def test_no_copy_is_taken_of_a_new_empty_store(tmp_path: Path) -> None:
    open_database(tmp_path / "new").dispose()
    assert _version(tmp_path / "new") == HEAD
    assert not (tmp_path / "new" / PRE_MIGRATION_DIR).exists()


def test_when_the_copy_cannot_be_made_the_migration_is_refused_and_nothing_changes(store_dir: Path) -> None:
    _one_revision_behind(store_dir)
    (store_dir / "backups").write_text("a file where the backups folder should be")
    before = snapshot(store_dir / DB_FILENAME)
    with pytest.raises(StoreError) as refused:
        open_database(store_dir, create=False)
    assert "from version 0013 to 0019" in refused.value.message
    assert "the copy could not be made" in refused.value.message
    assert refused.value.hint.startswith("Nothing was changed.")
    assert _version(store_dir) == "0013" and snapshot(store_dir / DB_FILENAME) == before


@contextmanager
def small_disk(folder: Path, options: str) -> Iterator[None]:
    """A filesystem of its own at ``folder`` (tmpfs with ``options``), unmounted afterwards;
    skipped where this user may not mount one."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here ({done.stderr.strip() or done.returncode})")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize(
    ("options", "said", "hint"),
    [
        ("size=2m", "that disk has 2 MB free and the copy needs", "Free some space on that disk"),
        ("ro,size=64m", "the copy could not be made (Read-only file system)", "writable"),
    ],
)
def test_a_full_or_read_only_backup_disk_refuses_the_migration_and_changes_nothing(
    store_dir: Path, options: str, said: str, hint: str
) -> None:
    _one_revision_behind(store_dir)
    before = snapshot(store_dir / DB_FILENAME)
    with small_disk(store_dir / PRE_MIGRATION_DIR, options):
        with pytest.raises(StoreError) as refused:
            open_database(store_dir, create=False)
        assert not list((store_dir / PRE_MIGRATION_DIR).iterdir())  # no copy, not even a part of one
    assert said in refused.value.message and hint in refused.value.hint
    assert refused.value.hint.startswith("Nothing was changed.")
    assert _version(store_dir) == "0013" and snapshot(store_dir / DB_FILENAME) == before
