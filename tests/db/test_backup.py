"""Backups of the lane's store (issue #19, point 3): a checked copy with its manifest, made
beside a live writer, generations kept, listed and checked again; the key escrow."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from db.backup import (
    REASONS,
    BackupError,
    backup_store,
    list_backups,
    load_backup,
    manifest_path,
    rotate,
    verify_backup,
)
from db.engine import DB_FILENAME
from db.key_escrow import EscrowError, open_key, seal_key
from db.keys import load_secret
from tests.db.support import TestStore

PASSPHRASE = "correct horse battery staple"


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        input=stdin,
    )


def store_fingerprint(folder: Path) -> dict[str, str]:
    """ "Untouched": the SHA-256 of the store file and of its -wal (its commits), and whether
    a -shm is there (SQLite's shared-memory index of the WAL, which any reader updates)."""
    out = {}
    for name in (DB_FILENAME, DB_FILENAME + "-wal"):
        path = folder / name
        if path.exists():
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    out["shm"] = str((folder / (DB_FILENAME + "-shm")).exists())
    return out


def receipts(db_file: Path) -> list[str]:
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as conn:
        return sorted(r[0] for r in conn.execute("SELECT receipt_number FROM sales WHERE terminal_id = 'T01'"))


def sell_some(shop: TestStore, n: int) -> list[str]:
    return [shop.sell([(shop.item_in("apparel", k % 3), 1 + k % 2)]).receipt_number for k in range(n)]


def test_a_backup_is_a_checked_copy_with_a_manifest_that_names_it(shop: TestStore, tmp_path: Path) -> None:
    sold = sell_some(shop, 3)
    result = backup_store(shop.db.path, tmp_path, "manual")
    assert result.ok
    backup = result.backup
    assert backup.path.parent == tmp_path and backup.path.name.startswith("counter-S01-T01-")
    manifest = json.loads(manifest_path(backup.path).read_text(encoding="utf-8"))
    data = backup.path.read_bytes()
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest() and manifest["size"] == len(data)
    assert manifest["reason"] == "manual" and manifest["store_id"] == "S01" and manifest["terminal_id"] == "T01"
    assert manifest["key_id"] == load_secret().key_id
    assert manifest["schema_revision"] and manifest["check"]["ok"] is True
    assert "OK: integrity check" in manifest["check"]["lines"]
    assert any(line.startswith("journal: T01: OK") for line in manifest["check"]["lines"])
    with shop.db.read.connect() as conn:
        head = conn.exec_driver_sql("SELECT seq, hash FROM journal_head WHERE terminal_id = 'T01'").one()
    assert manifest["heads"]["T01"] == {"seq": head[0], "hash": head[1]}
    # one self-contained file: no -wal beside it, and every sale in it
    assert not list(tmp_path.glob("*-wal")) and not list(tmp_path.glob(".*partial"))
    assert set(sold) <= set(receipts(backup.path))


def test_sales_still_in_the_write_ahead_log_are_in_the_backup(shop: TestStore, tmp_path: Path) -> None:
    shop.db.checkpointer.stop()  # nothing moves the WAL into the file during this test
    sold = sell_some(shop, 2)
    wal = shop.db.path.with_name(DB_FILENAME + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    assert not set(sold) & set(receipts_in_main_file_only(shop.db.path, tmp_path))
    result = backup_store(shop.db.path, tmp_path, "schedule")
    assert set(sold) <= set(receipts(result.backup.path))


def receipts_in_main_file_only(db_file: Path, scratch: Path) -> list[str]:
    """The receipts the main file holds without its WAL (a naive file copy's view)."""
    copy = scratch / "naive-copy.sqlite3"
    copy.write_bytes(db_file.read_bytes())
    try:
        return receipts(copy)
    finally:
        copy.unlink()


def test_only_the_known_reasons(shop: TestStore, tmp_path: Path) -> None:
    assert REASONS == ("manual", "z-report", "schedule", "pre-migration")
    with pytest.raises(BackupError, match="Unknown backup reason"):
        backup_store(shop.db.path, tmp_path, "because")


def test_generations_past_keep_go_the_newest_good_one_and_newer_failed_ones_stay(
    shop: TestStore, tmp_path: Path
) -> None:
    made = [backup_store(shop.db.path, tmp_path, "schedule", keep=3).backup for _ in range(3)]
    # the newest of them failed its check (as if the store had been damaged): it stays, and so do 3 good ones
    failed = made[-1]
    manifest = dict(failed.manifest, check={"ok": False, "lines": ["BAD: integrity check: page 7"]})
    failed.manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    newest = backup_store(shop.db.path, tmp_path, "schedule", keep=2)
    names = {b.path.name for b in list_backups(tmp_path)}
    assert newest.backup.path.name in names and failed.path.name in names
    assert made[1].path.name in names and made[0].path.name not in names  # 2 good kept: the newest two
    assert newest.removed == [made[0].path] and newest.notes == []
    # once older than every good one kept, the failed one goes, and that is said
    later = backup_store(shop.db.path, tmp_path, "schedule", keep=1)
    assert {b.path.name for b in list_backups(tmp_path)} == {later.backup.path.name}
    assert f"Removed the old backup {failed.path.name}, which had FAILED its check." in later.notes


def test_a_shared_folder_keeps_other_lanes_backups(shop: TestStore, tmp_path: Path) -> None:
    other = backup_store(shop.db.path, tmp_path, "manual").backup
    manifest = dict(other.manifest, terminal_id="T09")
    other.manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    for _ in range(3):
        backup_store(shop.db.path, tmp_path, "manual", keep=1)
    removed, _ = rotate(tmp_path, ("S01", "T09"), 5)
    assert other.path.exists() and removed == []
    assert sum(1 for b in list_backups(tmp_path) if b.lane == ("S01", "T01")) == 1


def test_list_and_check_say_each_backup_and_a_flipped_byte_fails_the_check(shop: TestStore, tmp_path: Path) -> None:
    first = backup_store(shop.db.path, tmp_path, "z-report").backup
    sell_some(shop, 1)
    second = backup_store(shop.db.path, tmp_path, "manual").backup
    listing = run_cli("backup", "list", "--data-dir", str(shop.db.path.parent), "--in", str(tmp_path))
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].startswith(second.created_at) and "manual" in lines[0] and "checked OK" in lines[0]
    assert lines[1].startswith(first.created_at) and "z-report" in lines[1] and "S01-T01" in lines[1]
    assert f"T01 at {first.heads['T01']['seq']}" in lines[1]
    assert run_cli("backup", "check", "--data-dir", str(shop.db.path.parent), "--in", str(tmp_path)).returncode == 0

    data = bytearray(first.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    first.path.write_bytes(bytes(data))
    check = verify_backup(load_backup(first.path))
    assert not check.ok and "damaged or changed after it was made" in check.lines[0]
    again = run_cli("backup", "check", str(first.path), "--data-dir", str(shop.db.path.parent))
    assert again.returncode == 1 and "FAILED" in again.stdout and "Traceback" not in again.stderr


def test_the_key_escrow_opens_with_its_passphrase_only(tmp_path: Path) -> None:
    secret = load_secret()
    out = tmp_path / "key.escrow"
    seal_key(secret, PASSPHRASE, out)
    assert out.stat().st_mode & 0o077 == 0
    assert secret.key.hex() not in out.read_text(encoding="utf-8")
    opened = open_key(out, PASSPHRASE)
    assert opened.key == secret.key and opened.key_id == secret.key_id
    with pytest.raises(EscrowError, match="does not open the key escrow file"):
        open_key(out, PASSPHRASE + "!")
    # the key id is authenticated: a file edited to claim another key does not open
    doc = json.loads(out.read_text(encoding="utf-8"))
    edited = tmp_path / "edited.escrow"
    edited.write_text(json.dumps(dict(doc, key_id="0" * 16)), encoding="utf-8")
    with pytest.raises(EscrowError, match="does not open"):
        open_key(edited, PASSPHRASE)
    with pytest.raises(EscrowError, match="too short"):
        seal_key(secret, "short", tmp_path / "short.escrow")
    assert not (tmp_path / "short.escrow").exists()


def test_backup_key_on_the_command_line(store_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "key.escrow"
    env = {"COUNTER_BACKUP_PASSPHRASE": PASSPHRASE}
    done = run_cli("backup", "key", "--out", str(out), "--data-dir", str(store_dir), env=env)
    assert done.returncode == 0, done.stderr
    assert f"installation key {load_secret().key_id}" in done.stdout and "Keep it apart" in done.stdout
    assert open_key(out, PASSPHRASE).key == load_secret().key
    again = run_cli("backup", "key", "--out", str(out), "--data-dir", str(store_dir), env=env)
    assert again.returncode == 1 and "already exists" in again.stderr
    weak = {"COUNTER_BACKUP_PASSPHRASE": "abc"}
    short = run_cli("backup", "key", "--out", str(tmp_path / "k2"), "--data-dir", str(store_dir), env=weak)
    assert short.returncode == 1 and "too short" in short.stderr and not (tmp_path / "k2").exists()


def test_a_backup_before_a_migration_checks_integrity_and_leaves_the_journal_to_the_restore(
    shop: TestStore, tmp_path: Path
) -> None:
    result = backup_store(shop.db.path, tmp_path, "pre-migration")
    assert result.ok and result.backup.reason == "pre-migration"
    assert result.check.lines[0] == "OK: integrity check"
    assert any("journal verify not run on an older schema" in line for line in result.check.lines)
    assert not any(line.startswith("journal:") for line in result.check.lines)
