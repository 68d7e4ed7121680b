"""The auditor's commands never change the store they examine (db/audit_copy.py).

A store an older Counter wrote is behind this Counter's migrations. ``counter journal
verify``, ``export`` and ``diagnose`` used to upgrade it on opening: the evidence changed by
checking it. Now they check an upgraded temporary copy, and the store file keeps every byte
and its database version; the copy is gone afterwards. Real store files, the real command
line, in this process."""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pytest

from cli.main import main
from db.audit_copy import behind, revision_of
from db.engine import DB_FILENAME, script_head
from db.keys import load_secret
from db.upgrade import PRE_MIGRATION_DIR
from tests.db.test_backup import run_cli
from tests.db.test_backup_restore import tiny_drive  # noqa: F401 - a fixture
from tests.db.upgrade_support import migrate
from tests.trust.test_derived_tables import behind_the_back


def _older_store(store_dir: Path) -> Path:
    """The demo store taken back one database version, its WAL folded into the file."""
    path = store_dir / DB_FILENAME
    head = script_head()
    assert head is not None
    previous = f"{int(head) - 1:04d}"
    migrate(path, previous, load_secret(), up=False)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert revision_of(path) == [previous] and behind(path) == previous
    return path


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.stat().st_size and not p.name.endswith("-shm") and p.parent.name != "logs"
    }  # the command's own log (logs/counter.log) may grow


def _audit_copies() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("counter-audit-*")}


def test_verify_checks_an_upgraded_copy_of_an_older_store_and_leaves_the_store_as_it_was(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _older_store(store_dir)
    before, copies = _files(store_dir), _audit_copies()
    assert main(["journal", "verify", "--data-dir", str(store_dir)]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"The store is at database version {revision_of(path)[0]}, older than this Counter's")
    assert "the store itself was not changed" in said
    assert _files(store_dir) == before  # every byte, the database version with it
    assert not (store_dir / PRE_MIGRATION_DIR).exists()  # nothing was upgraded here, so no copy was kept
    assert _audit_copies() == copies  # the temporary copy is gone


def test_verify_on_the_copy_still_names_a_row_edited_behind_the_journals_back(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _older_store(store_dir)
    with behind_the_back(store_dir) as conn:
        receipt = conn.execute("SELECT receipt_number FROM sales ORDER BY rowid LIMIT 1").fetchone()[0]
        conn.execute("UPDATE sales SET total_minor = total_minor - 100 WHERE receipt_number = ?", (receipt,))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _files(store_dir)
    assert main(["journal", "verify", "--data-dir", str(store_dir)]) == 1
    said = capsys.readouterr().out
    assert "total_minor" in said and "not changed" in said
    assert _files(store_dir) == before


def test_a_store_at_this_counters_version_is_verified_in_place(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copies = _audit_copies()
    assert behind(store_dir / DB_FILENAME) is None
    assert main(["journal", "verify", "--data-dir", str(store_dir)]) == 0
    assert "older than this Counter's" not in capsys.readouterr().out
    assert _audit_copies() == copies


def test_diagnose_reads_an_older_store_without_upgrading_it(store_dir: Path, tmp_path: Path) -> None:
    path = _older_store(store_dir)
    before = _files(store_dir)
    older = revision_of(path)
    bundle = tmp_path / "bundle.zip"
    assert main(["diagnose", "--data-dir", str(store_dir), "--out", str(bundle)]) == 0
    with zipfile.ZipFile(bundle) as z:
        verified = z.read("journal_verify.txt").decode("utf-8")
    assert "could not be opened" not in verified and verified.strip()
    assert revision_of(path) == older
    assert _files(store_dir) == before


def test_no_room_for_the_copy_is_said_in_words_and_nothing_is_changed(store_dir: Path, tiny_drive: Path) -> None:  # noqa: F811 - the fixture
    """A temporary folder too small for the copy (a real 64 KiB file system as TMPDIR)."""
    path = _older_store(store_dir)
    before = _files(store_dir)
    done = run_cli("journal", "verify", "--data-dir", str(store_dir), env={"TMPDIR": str(tiny_drive)})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"the temporary folder {tiny_drive} has" in done.stderr and "the copy needs" in done.stderr
    assert "set TMPDIR to a folder on a disk with room" in done.stderr
    assert _files(store_dir) == before and behind(path) == revision_of(path)[0]
    assert list(tiny_drive.iterdir()) == []


def test_an_sqlite_file_that_is_not_a_counter_store_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "someone-elses"
    folder.mkdir()
    with sqlite3.connect(folder / DB_FILENAME) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    before = hashlib.sha256((folder / DB_FILENAME).read_bytes()).hexdigest()
    done = run_cli("journal", "verify", "--data-dir", str(folder))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "is an SQLite file but not a Counter store" in done.stderr and "Nothing was changed" in done.stderr
    assert hashlib.sha256((folder / DB_FILENAME).read_bytes()).hexdigest() == before
    with sqlite3.connect(folder / DB_FILENAME) as conn:
        assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} == {"invoices"}
