"""``counter diagnose`` (issue #19, point 6), run as the real command on a copy of the demo
store: what the zip holds, what it never holds, and a folder it cannot write to."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from sqlalchemy import text

from db.credentials import write_token
from db.demo import DEMO_CUSTOMERS
from db.engine import DB_FILENAME, open_database, script_head
from db.queries import write_settings
from devices.sim.netprinter import SimNetworkPrinter

VISA = "4111111111111111"
TOKEN = "Hq7" + secrets.token_urlsafe(32)
PIN = "1357"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, timeout=300)


def customer_values() -> list[str]:
    """Every name, phone (as typed and as stored), e-mail address and street of the demo's
    customers, and a line of what one of them said at the desk."""
    values = ["Is the patio set back in stock soon?"]
    for name, phone, email, street, _city, _postal in DEMO_CUSTOMERS:
        values += [name, street]
        if phone:
            digits = "".join(c for c in phone if c.isdigit())
            values += [phone, f"+1{digits}", digits, f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"]
        if email:
            values.append(email)
    return values


@pytest.fixture
def planted(store_dir: Path) -> Path:
    """What a careless log line, or the old unrotated log, could hold: customers, a PIN, a
    card number, HQ's token (which also sits in hq.token, never bundled)."""
    (store_dir / "counter.log").write_text(
        f"2026-12-01 10:00:00,000 INFO desk: Priya Raman called from (217) 555-0101; pin={PIN} card {VISA}\n"
        f"2026-12-01 10:00:01,000 INFO sync: token {TOKEN}\n",
        encoding="utf-8",
    )
    (store_dir / "logs").mkdir()
    (store_dir / "logs" / "counter.log").write_text(
        "2026-12-02 10:00:00,000 INFO desk: Marcus Bell of 77 Lakeview Drive, +12175550102, "
        "said: Is the patio set back in stock soon? (elena.novak@example.org copied)\n",
        encoding="utf-8",
    )
    (store_dir / "hq.token").write_text(TOKEN, encoding="utf-8")
    return store_dir


def read_zip(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name).decode("utf-8") for name in zf.namelist()}


def test_the_bundle_holds_what_support_needs_and_no_customer_or_secret(planted: Path, tmp_path: Path) -> None:
    out = tmp_path / "support.zip"
    result = run_cli("diagnose", "--data-dir", str(planted), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out}" in result.stdout and "journal_verify.txt" in result.stdout
    files = read_zip(out)
    assert set(files) >= {
        "README.txt",
        "versions.txt",
        "settings.txt",
        "devices.txt",
        "journal_verify.txt",
        "sync_status.txt",
        "store_counts.txt",
        "logs/counter.log",
        "logs/old-counter.log",
    }
    assert "customers.json" not in files
    versions = files["versions.txt"]
    assert f"Counter {metadata.version('counter-pos')}" in versions
    assert f"Python {sys.version.split()[0]}" in versions
    assert f"SQLAlchemy {metadata.version('SQLAlchemy')}" in versions and "\nQt 6." in versions
    assert f"store schema revision {script_head()}" in versions
    verify = files["journal_verify.txt"]
    assert verify.startswith("RESULT: OK\n") and "T01: OK" in verify and "T02: OK" in verify
    assert any(line.split() == ["customers", "5"] for line in files["store_counts.txt"].splitlines())
    assert "printer: sim://printer\n  OK:" in files["devices.txt"]
    assert "terminal: sim://terminal\n  OK: Card terminal sim://terminal" in files["devices.txt"]
    assert "Not enrolled with HQ" in files["sync_status.txt"]
    assert "log_max_kb = 1024" in files["settings.txt"]
    # the logs are in, the customers out of them
    assert "called from [phone]" in files["logs/old-counter.log"]
    assert "[customer] of [customer], [phone], said: [customer]" in files["logs/counter.log"]
    everything = "\n".join(files.values())
    for value in customer_values():
        assert value.lower() not in everything.lower(), value
    for secret in (VISA, TOKEN, f"pin={PIN}"):
        assert secret not in everything
    assert "•••• 1111" in files["logs/old-counter.log"]


def test_with_customer_data_they_are_in(planted: Path, tmp_path: Path) -> None:
    out = tmp_path / "support.zip"
    result = run_cli("diagnose", "--data-dir", str(planted), "--out", str(out), "--with-customer-data", "--no-probe")
    assert result.returncode == 0, result.stderr
    files = read_zip(out)
    customers = files["customers.json"]
    for name, _phone, email, street, _city, _postal in DEMO_CUSTOMERS:
        assert name in customers and street in customers and email in customers
    assert "+12175550101" in customers
    assert "Priya Raman called from" in files["logs/old-counter.log"]  # not scrubbed when asked
    assert "Marcus Bell of 77 Lakeview Drive" in files["logs/counter.log"]
    assert "not probed (--no-probe)" in files["devices.txt"]
    everything = "\n".join(files.values())
    for secret in (VISA, TOKEN, f"pin={PIN}"):  # secrets and cards stay out all the same
        assert secret not in everything


def test_without_a_store_the_bundle_says_so(tmp_path: Path) -> None:
    out = tmp_path / "support.zip"
    result = run_cli("diagnose", "--data-dir", str(tmp_path / "empty"), "--out", str(out), "--no-probe")
    assert result.returncode == 0, result.stderr
    files = read_zip(out)
    assert "The store could not be opened: There is no store" in files["journal_verify.txt"]
    assert "store schema revision (no store)" in files["versions.txt"]


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write in: without write permission, and as root (who ignores
    permissions) immutable (chattr +i) too; skipped where neither holds."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    immutable = False
    if os.access(folder, os.W_OK) and shutil.which("chattr"):
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    try:
        probe = folder / "probe"
        try:
            probe.touch()
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("no way to make a read-only folder here")
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(stat.S_IRWXU)


def test_a_read_only_folder_is_one_clear_line(store_dir: Path, read_only_folder: Path) -> None:
    result = run_cli("diagnose", "--data-dir", str(store_dir), "--out", str(read_only_folder / "s.zip"), "--no-probe")
    assert result.returncode == 1
    assert f"Cannot write in {read_only_folder}" in result.stderr and "--out" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert list(read_only_folder.iterdir()) == []


@pytest.mark.parametrize("where", ["missing", "folder"])
def test_a_missing_folder_or_a_folder_for_a_file_is_one_clear_line(store_dir: Path, tmp_path: Path, where: str) -> None:
    out = tmp_path / "nowhere" / "s.zip" if where == "missing" else tmp_path
    result = run_cli("diagnose", "--data-dir", str(store_dir), "--out", str(out), "--no-probe")
    assert result.returncode == 1
    expected = f"The folder {tmp_path / 'nowhere'} does not exist" if where == "missing" else "is a folder"
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_an_enrolled_lane_bundles_its_backlog_and_never_its_token(store_dir: Path, tmp_path: Path) -> None:
    """Enrolled as `counter sync enrol` leaves a lane (settings, hq.token); HQ is never asked."""
    db = open_database(store_dir, create=False)
    try:
        write_settings(db.write, {"sync": {"hq": "https://hq.example:8765", "store": "S01", "terminal": "T01"}})
        with db.read.connect() as conn:
            entries = conn.execute(text("SELECT count(*) FROM journal WHERE terminal_id = 'T01'")).scalar_one()
    finally:
        db.dispose()
    write_token(store_dir, TOKEN)
    out = tmp_path / "support.zip"
    result = run_cli("diagnose", "--data-dir", str(store_dir), "--out", str(out), "--no-probe")
    assert result.returncode == 0, result.stderr
    files = read_zip(out)
    status = files["sync_status.txt"]
    assert status.startswith(f"S01-T01 at https://hq.example:8765: {entries} entries waiting, acknowledged up to 0")
    assert "HQ has acknowledged nothing yet" in status
    assert TOKEN not in "\n".join(files.values())
    same = run_cli("sync", "status", "--data-dir", str(store_dir))  # the command says the same
    assert same.returncode == 0 and same.stdout == status
    db = open_database(store_dir, create=False)
    try:
        with db.write.begin() as conn:  # as a push HQ acknowledged up to entry 5 leaves it
            conn.execute(text("INSERT INTO sync_state (terminal_id, acked_seq) VALUES ('T01', 5)"))
        with db.read.connect() as conn:
            at = conn.execute(text("SELECT at FROM journal WHERE terminal_id = 'T01' AND seq = 5")).scalar_one()
    finally:
        db.dispose()
    later = run_cli("sync", "status", "--data-dir", str(store_dir))
    assert f"{entries - 5} entries waiting, acknowledged up to 5" in later.stdout
    assert f"last entry HQ acknowledged written at {at} (UTC)" in later.stdout


def test_a_tampered_store_is_bundled_with_what_verify_says(store_dir: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(store_dir / DB_FILENAME)
    conn.execute("DROP TRIGGER journal_no_update")  # what someone tampering would do first
    seq = conn.execute(
        "SELECT min(seq) FROM journal WHERE terminal_id='T01' AND type='SaleCompleted' AND body LIKE '%\"qty\":1%'"
    ).fetchone()[0]
    conn.execute(
        "UPDATE journal SET body = replace(body, '\"qty\":1', '\"qty\":2') WHERE terminal_id='T01' AND seq = ?", (seq,)
    )
    conn.commit()
    conn.close()
    out = tmp_path / "support.zip"
    result = run_cli("diagnose", "--data-dir", str(store_dir), "--out", str(out), "--no-probe")
    assert result.returncode == 0, result.stderr  # the bundle was written: that is what support needs now
    assert "The store did not verify; journal_verify.txt says why (RESULT: BAD)" in result.stdout
    verify = read_zip(out)["journal_verify.txt"]
    assert verify.startswith("RESULT: BAD\n") and f"T01: BAD: entry {seq}:" in verify and "T02: OK" in verify
    assert "journal_no_update" in verify
    if os.name == "posix":
        assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_printer_that_does_not_answer_is_said_and_does_not_hold_the_command(store_dir: Path, tmp_path: Path) -> None:
    printer = SimNetworkPrinter().start()
    printer.silent = True  # accepts the connection, never answers a status request
    try:
        (store_dir / "counter.toml").write_text(f'printer = "{printer.url}"\ndisplay = "none"\n', encoding="utf-8")
        out = tmp_path / "support.zip"
        result = run_cli("diagnose", "--data-dir", str(store_dir), "--out", str(out))
        assert result.returncode == 0, result.stderr
        devices = read_zip(out)["devices.txt"]
    finally:
        printer.stop()
    assert f"printer: {printer.url}\n  FAILED: Receipt printer {printer.url}: Not answering" in devices
    assert "drawer: printer\n  FAILED:" in devices and "display: none" in devices
    assert printer.jobs == []  # asked its status, nothing printed


def test_when_the_customers_cannot_be_read_the_bundle_says_so(planted: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(planted / DB_FILENAME)
    conn.execute("DROP TABLE customer_changes")  # a table of customer texts lost: they cannot be looked up
    conn.commit()
    conn.close()
    out = tmp_path / "support.zip"
    result = run_cli("diagnose", "--data-dir", str(planted), "--out", str(out), "--no-probe")
    assert result.returncode == 0, result.stderr
    files = read_zip(out)
    assert "the store's customers could not be read, so their names could not be taken" in files["README.txt"]
    assert "Priya Raman called from [phone]" in files["logs/old-counter.log"]  # as documented: names stay
    assert f"pin={PIN}" not in files["logs/old-counter.log"] and VISA not in files["logs/old-counter.log"]
