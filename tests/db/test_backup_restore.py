"""The drill (issue #19, 'Show'): sell, back up, destroy the store, restore, verify, and
every sale is there; on a machine without the key, through the key escrow. And the bad
input of 'Bad input': each refused with a sentence, exit 1, the store untouched."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.backup import BackupError
from db.backup_restore import carry_out, plan_restore
from db.engine import DB_FILENAME
from db.keys import InstallationSecret
from db.queries import write_settings
from tests.db.support import TestStore
from tests.db.test_backup import PASSPHRASE, receipts, run_cli, sell_some, store_fingerprint


@pytest.fixture
def sold(store_dir: Path) -> Iterator[tuple[Path, list[str]]]:
    """A store with sales of its own today, closed (as the lane is when IT restores)."""
    shop = TestStore(store_dir)
    numbers = sell_some(shop, 4)
    close(shop)
    yield store_dir, numbers


def close(shop: TestStore) -> None:
    """Close the store as the app does: its catalog's kept look-up connection too (left to
    the collector, it would close at a random moment and take the -wal and -shm with it)."""
    shop.catalog.close()
    shop.close()


def destroy(store_dir: Path) -> None:
    for name in (DB_FILENAME, DB_FILENAME + "-wal", DB_FILENAME + "-shm"):
        (store_dir / name).unlink(missing_ok=True)


def backup_now(store_dir: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    done = run_cli("backup", "now", "--to", str(folder), "--data-dir", str(store_dir))
    assert done.returncode == 0, done.stderr
    assert "checked OK" in done.stdout
    (made,) = folder.glob("counter-*.sqlite3")
    return made


def test_the_drill_sell_back_up_destroy_restore_verify(sold: tuple[Path, list[str]], tmp_path: Path) -> None:
    store_dir, numbers = sold
    before = receipts(store_dir / DB_FILENAME)
    assert set(numbers) <= set(before)
    backup = backup_now(store_dir, tmp_path / "usb")
    destroy(store_dir)
    assert run_cli("journal", "verify", "--data-dir", str(store_dir)).returncode == 1  # nothing there

    restored = run_cli("restore", "--from", str(backup), "--yes", "--data-dir", str(store_dir))
    assert restored.returncode == 0, restored.stderr
    assert "The data folder holds no store now." in restored.stdout and "the journal verifies" in restored.stdout
    assert "readable by other users" not in restored.stderr  # restored owner-only, not tightened afterwards
    assert (store_dir / "counter.sqlite3").stat().st_mode & 0o777 == 0o600

    verify = run_cli("journal", "verify", "--data-dir", str(store_dir))
    assert verify.returncode == 0, verify.stdout
    assert receipts(store_dir / DB_FILENAME) == before  # every sale, by count and number


def test_the_drill_on_a_new_machine_needs_the_escrowed_key_and_its_passphrase(
    sold: tuple[Path, list[str]], tmp_path: Path
) -> None:
    store_dir, _ = sold
    before = receipts(store_dir / DB_FILENAME)
    escrow = tmp_path / "key.escrow"
    env = {"COUNTER_BACKUP_PASSPHRASE": PASSPHRASE}
    assert run_cli("backup", "key", "--out", str(escrow), "--data-dir", str(store_dir), env=env).returncode == 0
    backup = backup_now(store_dir, tmp_path / "usb")

    # the new machine: another folder, no installation key yet
    new_dir, new_key = tmp_path / "new-lane", tmp_path / "new-config" / "secret.key"
    machine = {"COUNTER_SECRET_FILE": str(new_key)}
    no_key = run_cli("restore", "--from", str(backup), "--yes", "--data-dir", str(new_dir), env=machine)
    assert no_key.returncode == 1 and "this machine has no installation key" in no_key.stderr
    assert "--key FILE" in no_key.stderr

    wrong = run_cli(
        "restore", "--from", str(backup), "--key", str(escrow), "--yes", "--data-dir", str(new_dir),
        env={**machine, "COUNTER_BACKUP_PASSPHRASE": "not the passphrase at all"},
    )  # fmt: skip
    assert wrong.returncode == 1 and "That passphrase does not open the key escrow file" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    assert not new_key.exists() and not (new_dir / DB_FILENAME).exists()  # nothing changed

    right = run_cli(
        "restore", "--from", str(backup), "--key", str(escrow), "--yes", "--data-dir", str(new_dir),
        env={**machine, **env},
    )  # fmt: skip
    assert right.returncode == 0, right.stderr
    assert "Kept aside" not in right.stdout  # nothing was there to keep
    assert new_key.exists() and new_key.stat().st_mode & 0o077 == 0
    verify = run_cli("journal", "verify", "--data-dir", str(new_dir), env=machine)
    assert verify.returncode == 0 and "NOTE" not in verify.stdout, verify.stdout  # seals checked with the key
    assert receipts(new_dir / DB_FILENAME) == before


def test_a_backup_folder_that_is_missing_is_said_and_nothing_is_made(
    sold: tuple[Path, list[str]], tmp_path: Path
) -> None:
    store_dir, _ = sold
    before = store_fingerprint(store_dir)
    gone = tmp_path / "usb-not-plugged-in"
    done = run_cli("backup", "now", "--to", str(gone), "--data-dir", str(store_dir))
    assert done.returncode == 1 and "is missing (is the USB drive plugged in" in done.stderr
    assert "Traceback" not in done.stderr and not gone.exists()
    assert store_fingerprint(store_dir) == before


def _mount_tmpfs(folder: Path, options: str) -> None:
    folder.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc}): needs root in a container that allows mounts")


@pytest.fixture
def tiny_drive(tmp_path: Path) -> Iterator[Path]:
    """A real file system of 64 KiB: a USB stick that is full."""
    folder = tmp_path / "full-usb"
    _mount_tmpfs(folder, "size=64k")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def read_only_drive(tmp_path: Path) -> Iterator[Path]:
    """A real read-only file system (root ignores file permissions, not a read-only mount)."""
    folder = tmp_path / "locked-usb"
    _mount_tmpfs(folder, "ro,size=64m")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


def test_a_full_backup_folder_is_said_and_nothing_is_left_there(sold: tuple[Path, list[str]], tiny_drive: Path) -> None:
    store_dir, _ = sold
    before = store_fingerprint(store_dir)
    done = run_cli("backup", "now", "--to", str(tiny_drive), "--data-dir", str(store_dir))
    assert done.returncode == 1 and f"The backup folder {tiny_drive} is full" in done.stderr, done.stderr
    assert "Make room there" in done.stderr and "Traceback" not in done.stderr
    assert list(tiny_drive.iterdir()) == []
    assert store_fingerprint(store_dir) == before


def test_a_read_only_backup_folder_is_said(sold: tuple[Path, list[str]], read_only_drive: Path) -> None:
    store_dir, _ = sold
    before = store_fingerprint(store_dir)
    done = run_cli("backup", "now", "--to", str(read_only_drive), "--data-dir", str(store_dir))
    assert done.returncode == 1 and "cannot be written to" in done.stderr, done.stderr
    assert "write-protected" in done.stderr and "Traceback" not in done.stderr
    assert store_fingerprint(store_dir) == before


def test_a_corrupt_backup_is_refused_and_the_store_is_untouched(sold: tuple[Path, list[str]], tmp_path: Path) -> None:
    store_dir, _ = sold
    backup = backup_now(store_dir, tmp_path / "usb")
    data = bytearray(backup.read_bytes())
    for at in range(4096, len(data), 8192):  # a byte flipped in every other page
        data[at] ^= 0x5A
    backup.write_bytes(bytes(data))
    before = store_fingerprint(store_dir)
    done = run_cli("restore", "--from", str(backup), "--yes", "--data-dir", str(store_dir))
    assert done.returncode == 1 and "does not pass its check" in done.stderr
    assert "damaged or changed after it was made" in done.stderr and "Traceback" not in done.stderr
    assert store_fingerprint(store_dir) == before
    assert not list(store_dir.glob("*.before-restore-*")) and not list(store_dir.glob(".*restoring"))


def test_a_file_that_is_not_a_backup_is_refused(sold: tuple[Path, list[str]], tmp_path: Path) -> None:
    store_dir, _ = sold
    before = store_fingerprint(store_dir)
    bare = tmp_path / "counter-copied-by-hand.sqlite3"
    shutil.copyfile(store_dir / DB_FILENAME, bare)  # a plain copy: no manifest, no check
    done = run_cli("restore", "--from", str(bare), "--yes", "--data-dir", str(store_dir))
    assert done.returncode == 1 and "has no manifest beside it" in done.stderr
    missing = run_cli("restore", "--from", str(tmp_path / "nope.sqlite3"), "--yes", "--data-dir", str(store_dir))
    assert missing.returncode == 1 and "There is no backup at" in missing.stderr
    assert store_fingerprint(store_dir) == before


def test_another_installations_backup_needs_its_key(sold: tuple[Path, list[str]], tmp_path: Path) -> None:
    store_dir, _ = sold
    backup = backup_now(store_dir, tmp_path / "usb")
    before = store_fingerprint(store_dir)
    other_machine = {"COUNTER_SECRET_FILE": str(tmp_path / "other" / "secret.key")}
    made = run_cli("backup", "list", "--in", str(tmp_path / "usb"), "--data-dir", str(store_dir), env=other_machine)
    assert made.returncode == 0  # listing needs no key
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "secret.key").write_text("ab" * 32 + "\n", encoding="ascii")
    done = run_cli("restore", "--from", str(backup), "--yes", "--data-dir", str(store_dir), env=other_machine)
    assert done.returncode == 1 and "is sealed with installation key" in done.stderr
    assert "this machine's key is" in done.stderr and "Nothing was changed" in done.stderr
    assert store_fingerprint(store_dir) == before


def test_another_lanes_backup_is_refused_over_this_lanes_store(sold: tuple[Path, list[str]], tmp_path: Path) -> None:
    store_dir, _ = sold
    backup = backup_now(store_dir, tmp_path / "usb")
    other_dir = tmp_path / "lane-2"
    other_dir.mkdir()
    shutil.copyfile(store_dir / DB_FILENAME, other_dir / DB_FILENAME)
    lane2 = TestStore(other_dir)
    write_settings(lane2.db.write, {"terminal": {"id": "T02", "code": "S01-T02"}})
    close(lane2)
    before = store_fingerprint(other_dir)
    done = run_cli("restore", "--from", str(backup), "--yes", "--data-dir", str(other_dir))
    assert done.returncode == 1 and "a foreign backup" in done.stderr, done.stderr
    assert "store S01 terminal T01" in done.stderr and "terminal T02" in done.stderr
    assert store_fingerprint(other_dir) == before


def test_unsynced_sales_refuse_the_restore_unless_forced_and_forced_keeps_them_aside(
    sold: tuple[Path, list[str]], tmp_path: Path
) -> None:
    store_dir, numbers = sold
    backup = backup_now(store_dir, tmp_path / "usb")
    shop = TestStore(store_dir)
    later = sell_some(shop, 3)  # in no backup, and this lane is not enrolled: nowhere else
    close(shop)
    before = store_fingerprint(store_dir)

    done = run_cli("restore", "--from", str(backup), "--yes", "--data-dir", str(store_dir))
    assert done.returncode == 1, done.stdout
    assert "neither in this backup nor at HQ" in done.stderr and "3 sale(s)" in done.stderr
    assert all(number in done.stderr for number in later)  # what would be lost, by receipt
    assert "--force" in done.stderr and store_fingerprint(store_dir) == before

    asked = run_cli("restore", "--from", str(backup), "--force", "--data-dir", str(store_dir), stdin="no\n")
    assert asked.returncode == 1 and "Nothing was changed." in asked.stdout
    assert store_fingerprint(store_dir) == before

    forced = run_cli("restore", "--from", str(backup), "--force", "--yes", "--data-dir", str(store_dir))
    assert forced.returncode == 0, forced.stderr
    assert "Would be lost: T01: 3 journal entries" in forced.stdout and "Kept aside:" in forced.stdout
    assert not set(later) & set(receipts(store_dir / DB_FILENAME))
    assert set(numbers) <= set(receipts(store_dir / DB_FILENAME))
    (aside,) = store_dir.glob(f"{DB_FILENAME}.before-restore-*[0-9]Z")
    assert set(later) <= set(receipts(aside))  # nothing deleted: the replaced store is kept
    assert run_cli("journal", "verify", "--data-dir", str(store_dir)).returncode == 0


def test_the_restore_asks_first_and_says_what_it_replaces(sold: tuple[Path, list[str]], tmp_path: Path) -> None:
    store_dir, _ = sold
    backup = backup_now(store_dir, tmp_path / "usb")
    before = store_fingerprint(store_dir)
    asked = run_cli("restore", "--from", str(backup), "--data-dir", str(store_dir), stdin="")
    assert asked.returncode == 1 and "It replaces the store in the data folder" in asked.stdout
    assert "give --yes" in asked.stderr and store_fingerprint(store_dir) == before


def test_usage_errors_exit_2(store_dir: Path, tmp_path: Path) -> None:
    assert run_cli("restore", "--data-dir", str(store_dir)).returncode == 2
    both = run_cli("backup", "now", "--to", "--data-dir", str(store_dir))
    assert both.returncode == 2


def test_the_restored_store_is_the_backup_even_when_the_wal_held_more(
    sold: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """A -wal left beside a destroyed store must not be replayed into the restored one."""
    store_dir, _ = sold
    backup = backup_now(store_dir, tmp_path / "usb")
    (store_dir / DB_FILENAME).unlink()
    (store_dir / (DB_FILENAME + "-wal")).write_bytes(b"\x00" * 4096)
    done = run_cli("restore", "--from", str(backup), "--yes", "--data-dir", str(store_dir))
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(f"file:{store_dir / DB_FILENAME}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_damaged_store_is_replaced_without_force_and_kept_aside(sold: tuple[Path, list[str]], tmp_path: Path) -> None:
    store_dir, _ = sold
    before = receipts(store_dir / DB_FILENAME)
    backup = backup_now(store_dir, tmp_path / "usb")
    (store_dir / DB_FILENAME).write_bytes(b"this disk sector went bad" * 400)
    (store_dir / (DB_FILENAME + "-wal")).unlink(missing_ok=True)
    done = run_cli("restore", "--from", str(backup), "--yes", "--data-dir", str(store_dir))
    assert done.returncode == 0, done.stderr
    assert "cannot be read (damaged?)" in done.stdout and "kept aside" in done.stdout
    (aside,) = store_dir.glob(f"{DB_FILENAME}.before-restore-*[0-9]Z")
    assert aside.read_bytes().startswith(b"this disk sector went bad")
    assert receipts(store_dir / DB_FILENAME) == before


def test_what_hq_acknowledged_is_not_lost_and_the_rest_is_listed(sold: tuple[Path, list[str]], tmp_path: Path) -> None:
    store_dir, _ = sold
    backup = backup_now(store_dir, tmp_path / "usb")
    shop = TestStore(store_dir)
    later = sell_some(shop, 3)
    with shop.db.write.begin() as conn:
        first_later = conn.exec_driver_sql(
            "SELECT seq FROM journal WHERE type = 'SaleCompleted' AND body LIKE ?", (f'%"{later[0]}"%',)
        ).scalar_one()
        conn.exec_driver_sql(  # HQ acknowledged up to the first of the later sales
            "INSERT INTO sync_state (terminal_id, acked_seq) VALUES ('T01', ?)", (first_later,)
        )
    close(shop)
    with pytest.raises(BackupError) as refused:
        plan_restore(backup, store_dir)
    assert "2 sale(s)" in refused.value.message and later[0] not in refused.value.message
    assert later[1] in refused.value.message and later[2] in refused.value.message

    shop = TestStore(store_dir)
    with shop.db.write.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE sync_state SET acked_seq = (SELECT seq FROM journal_head WHERE terminal_id = 'T01')"
        )
    close(shop)
    plan = plan_restore(backup, store_dir)  # everything beyond the backup is at HQ: nothing lost
    assert plan.losses == []
    assert any("HQ holds entries" in note and "behind HQ" in note for note in plan.notes), plan.notes


def test_a_restore_that_fails_after_the_swap_puts_everything_back(sold: tuple[Path, list[str]], tmp_path: Path) -> None:
    store_dir, _ = sold
    backup = backup_now(store_dir, tmp_path / "usb")
    plan = plan_restore(backup, store_dir)
    before = store_fingerprint(store_dir)
    # the restored store is then opened with a key that is not its own: it refuses to open
    plan.secret = InstallationSecret(plan.secret.path, bytes(32))
    undone = "The restore was undone: This store was set up with another installation key"
    with pytest.raises(BackupError, match=undone):
        carry_out(plan, store_dir)
    assert store_fingerprint(store_dir) == before
    assert sorted(p.name for p in store_dir.iterdir() if "restor" in p.name) == []
