"""The tamper suite: the store is changed with raw SQL (the sqlite3 shell, no Counter code,
triggers dropped first as an attacker would) in every way, and the audit catches each
one and names the first bad record. Without the installation key the attacker cannot
make a valid seal; what an attacker *with* the key can do is in docs/trust.md."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from counter.errors import StoreError
from db.audit import audit_store, export_journal, manifest_path
from db.engine import DB_FILENAME, open_database
from tests.db.support import TestStore
from tests.trust.support import audit, chain_line, drop_triggers, last_seq, raw, rehash

T = "T01"


def middle(conn: sqlite3.Connection) -> int:
    return last_seq(conn, T) // 2


def test_an_untouched_store_verifies(store_dir: Path) -> None:
    result = audit(store_dir)
    assert result.ok, result.lines()
    assert set(result.chains) == {"T01", "T02"}


def test_raw_sql_cannot_change_anything_while_the_triggers_stand(store_dir: Path) -> None:
    with raw(store_dir) as conn:
        n = last_seq(conn, T)
        for sql in (
            "UPDATE journal SET body = '{}' WHERE seq = 1",
            "DELETE FROM journal WHERE seq = 1",
            "UPDATE journal_head SET seq = seq - 1",
            "DELETE FROM journal_head",
            "UPDATE counters SET value = value - 1",
            "DELETE FROM counters",
            "DELETE FROM users WHERE id = 'u-cashier-1'",
            "UPDATE sales SET total_minor = 1",
        ):
            with pytest.raises(sqlite3.DatabaseError):
                conn.execute(sql)
        # Appending needs the seal function, which only Counter's own connections have.
        with pytest.raises(sqlite3.OperationalError, match="counter_seal"):
            conn.execute(
                "INSERT INTO journal (terminal_id, seq, id, type, at, body, prev_hash, hash, seal) "
                "SELECT terminal_id, seq + 1, 'x', type, at, body, hash, hash, seal FROM journal "
                "WHERE terminal_id = ? AND seq = ?",
                (T, n),
            )
    assert audit(store_dir).ok


def test_an_edited_entry_is_named(store_dir: Path) -> None:
    with raw(store_dir) as conn:
        drop_triggers(conn, "journal_no_update")
        k = middle(conn)
        conn.execute("UPDATE journal SET at = '2020-01-01T00:00:00.000000Z' WHERE terminal_id = ? AND seq = ?", (T, k))
    result = audit(store_dir)
    assert not result.ok
    assert result.chains[T].first_bad_seq == k and "hash" in result.chains[T].reason
    assert result.chains["T02"].ok  # the other terminal's chain is untouched


def test_an_edited_and_rehashed_entry_is_named_by_its_seal(store_dir: Path) -> None:
    """SHA-256 needs no key: a careful attacker recomputes every hash after the edit.
    The first entry whose seal no longer matches is the edited one."""
    with raw(store_dir) as conn:
        drop_triggers(conn)
        k = middle(conn)
        conn.execute("UPDATE journal SET at = '2020-01-01T00:00:00.000000Z' WHERE terminal_id = ? AND seq = ?", (T, k))
        new_last = rehash(conn, T, k)
        conn.execute("UPDATE journal_head SET hash = ? WHERE terminal_id = ?", (new_last, T))  # and the head
    result = audit(store_dir)
    assert result.chains[T].first_bad_seq == k
    assert "seal" in result.chains[T].reason
    assert result.missing_triggers  # and the dropped triggers are reported too


def test_a_deleted_entry_is_named(store_dir: Path) -> None:
    with raw(store_dir) as conn:
        drop_triggers(conn, "journal_no_delete")
        k = middle(conn)
        conn.execute("DELETE FROM journal WHERE terminal_id = ? AND seq = ?", (T, k))
    chain = audit(store_dir).chains[T]
    assert chain.first_bad_seq == k + 1 and f"expected sequence number {k}" in chain.reason


def test_an_entry_inserted_in_the_middle_is_named(store_dir: Path) -> None:
    """Renumber the tail and slip in an entry that links correctly to the one before:
    the chain itself cannot tell, the missing seal does."""
    with raw(store_dir) as conn:
        drop_triggers(conn)
        k = middle(conn)
        conn.execute("UPDATE journal SET seq = -seq WHERE terminal_id = ? AND seq >= ?", (T, k))
        conn.execute("UPDATE journal SET seq = 1 - seq WHERE terminal_id = ? AND seq < 0", (T,))
        prev = conn.execute("SELECT hash FROM journal WHERE terminal_id = ? AND seq = ?", (T, k - 1)).fetchone()[0]
        body = json.dumps({"user": "u-cashier-1", "method": "pin"}, sort_keys=True, separators=(",", ":"))
        conn.execute(
            "INSERT INTO journal (terminal_id, seq, id, type, at, body, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)",
            (T, k, str(uuid.uuid4()), "SignedIn", "2026-11-25T03:00:00.000000Z", body, prev, "0" * 64),
        )
        rehash(conn, T, k)
    chain = audit(store_dir).chains[T]
    assert chain.first_bad_seq == k and "seal" in chain.reason


def test_an_entry_appended_behind_counters_back_is_named(store_dir: Path) -> None:
    with raw(store_dir) as conn:
        drop_triggers(conn, "journal_insert_in_order", "journal_head_advance", "journal_no_update")
        n = last_seq(conn, T)
        conn.execute(
            "INSERT INTO journal (terminal_id, seq, id, type, at, body, prev_hash, hash) "
            "SELECT terminal_id, seq + 1, ?, type, at, body, hash, hash FROM journal WHERE terminal_id = ? AND seq = ?",
            (str(uuid.uuid4()), T, n),
        )
        rehash(conn, T, n + 1)
    chain = audit(store_dir).chains[T]
    assert chain.first_bad_seq == n + 1


def test_reordered_entries_are_named(store_dir: Path) -> None:
    with raw(store_dir) as conn:
        drop_triggers(conn, "journal_no_update")
        k = middle(conn)
        conn.execute("UPDATE journal SET seq = -1 WHERE terminal_id = ? AND seq = ?", (T, k))
        conn.execute("UPDATE journal SET seq = ? WHERE terminal_id = ? AND seq = ?", (k, T, k + 1))
        conn.execute("UPDATE journal SET seq = ? WHERE terminal_id = ? AND seq = -1", (k + 1, T))
    chain = audit(store_dir).chains[T]
    assert chain.first_bad_seq == k


def test_truncation_is_caught_by_the_head(store_dir: Path) -> None:
    with raw(store_dir) as conn:
        drop_triggers(conn, "journal_no_delete")
        n = last_seq(conn, T)
        conn.execute("DELETE FROM journal WHERE terminal_id = ? AND seq > ?", (T, n - 3))
    chain = audit(store_dir).chains[T]
    assert chain.first_bad_seq == n - 2 and "missing" in chain.reason and str(n) in chain.reason


def test_truncation_with_the_head_rewound_is_caught_by_the_seal(store_dir: Path) -> None:
    with raw(store_dir) as conn:
        drop_triggers(conn)
        n = last_seq(conn, T)
        conn.execute("DELETE FROM journal WHERE terminal_id = ? AND seq > ?", (T, n - 3))
        last = conn.execute("SELECT hash FROM journal WHERE terminal_id = ? AND seq = ?", (T, n - 3)).fetchone()[0]
        conn.execute("UPDATE journal_head SET seq = ?, hash = ? WHERE terminal_id = ?", (n - 3, last, T))
    result = audit(store_dir)
    assert "journal head" in chain_line(result, T) and "seal" in result.chains[T].reason


def test_truncation_with_the_head_deleted_is_caught(store_dir: Path) -> None:
    with raw(store_dir) as conn:
        drop_triggers(conn)
        n = last_seq(conn, T)
        conn.execute("DELETE FROM journal WHERE terminal_id = ? AND seq > ?", (T, n - 3))
        conn.execute("DELETE FROM journal_head WHERE terminal_id = ?", (T,))
    result = audit(store_dir)
    assert "journal head: missing" in chain_line(result, T)


def test_a_rewind_to_an_old_copy_of_the_head_is_caught_by_an_outside_anchor(store_dir: Path, tmp_path: Path) -> None:
    """The one thing the store alone cannot prove: truncating back to a state whose head
    row (and seal) the attacker kept from an old copy of the file. An anchor from outside,
    here the manifest of a later export, still catches it."""
    shutil.copy2(store_dir / DB_FILENAME, tmp_path / "old-copy.sqlite3")
    shop = TestStore(store_dir)
    shop.sell([(shop.item_in("apparel"), 1)])
    shop.sell([(shop.item_in("apparel", 1), 2)])
    manifest = export_journal(shop.db.read, shop.db.secret, tmp_path / "later.jsonl")
    shop.close()
    n = manifest["terminals"][T]["last_seq"]
    old = sqlite3.connect(tmp_path / "old-copy.sqlite3")
    old_head = old.execute("SELECT seq, hash, seal FROM journal_head WHERE terminal_id = ?", (T,)).fetchone()
    old.close()
    with raw(store_dir) as conn:
        drop_triggers(conn)
        conn.execute("DELETE FROM journal WHERE terminal_id = ? AND seq > ?", (T, old_head[0]))
        conn.execute("DELETE FROM sale_lines WHERE sale_id IN (SELECT id FROM sales ORDER BY rowid DESC LIMIT 2)")
        conn.execute("DELETE FROM sale_taxes WHERE sale_id IN (SELECT id FROM sales ORDER BY rowid DESC LIMIT 2)")
        conn.execute("DELETE FROM tenders WHERE sale_id IN (SELECT id FROM sales ORDER BY rowid DESC LIMIT 2)")
        conn.execute("DELETE FROM sales WHERE id IN (SELECT id FROM sales ORDER BY rowid DESC LIMIT 2)")
        conn.execute("UPDATE counters SET value = value - 2 WHERE terminal_id = ? AND name = 'receipt'", (T,))
        conn.execute("UPDATE journal_head SET seq = ?, hash = ?, seal = ? WHERE terminal_id = ?", (*old_head, T))
    fooled = audit(store_dir)
    assert fooled.chains[T].ok and not fooled.record_problems  # the store alone is fooled...
    chain = audit(store_dir, {T: {n: manifest["terminals"][T]["last_hash"]}}).chains[T]
    assert not chain.ok and chain.first_bad_seq == old_head[0] + 1  # ...the later export is not


def test_copying_an_entry_seal_does_not_rewind_the_head(store_dir: Path) -> None:
    with raw(store_dir) as conn:
        drop_triggers(conn)
        n = last_seq(conn, T)
        conn.execute("DELETE FROM journal WHERE terminal_id = ? AND seq = ?", (T, n))
        seq, digest, seal = conn.execute(
            "SELECT seq, hash, seal FROM journal WHERE terminal_id = ? AND seq = ?", (T, n - 1)
        ).fetchone()
        conn.execute(
            "UPDATE journal_head SET seq = ?, hash = ?, seal = ? WHERE terminal_id = ?", (seq, digest, seal, T)
        )
    assert "journal head" in chain_line(audit(store_dir), T)


def test_a_wiped_terminal_is_caught_by_its_z_reports(store_dir: Path) -> None:
    with raw(store_dir) as conn:
        drop_triggers(conn)
        conn.execute("DELETE FROM journal WHERE terminal_id = 'T02'")
        conn.execute("DELETE FROM journal_head WHERE terminal_id = 'T02'")
    chain = audit(store_dir).chains["T02"]
    assert not chain.ok and chain.first_bad_seq == 1


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        (
            "UPDATE sales SET total_minor = total_minor - 100 WHERE receipt_number = 'S01-T01-000002'",
            "total_minor: stored",
        ),
        (
            "DELETE FROM tenders WHERE sale_id = (SELECT id FROM sales WHERE receipt_number = 'S01-T01-000002')",
            "tenders [",
        ),
        (
            "INSERT INTO sales SELECT 'forged', 'S01-T01-999999', store_id, terminal_id, cashier_id, cashier_name, "
            "completed_at, currency, prices_include_tax, subtotal_minor, discount_minor, tax_minor, total_minor, "
            "rounding_minor, change_minor FROM sales WHERE receipt_number = 'S01-T01-000002'",
            "sales [forged]: stored, but no journal entry makes it",
        ),
        ("UPDATE counters SET value = value + 1 WHERE terminal_id = 'T01' AND name = 'receipt'", "gap"),
    ],
)
def test_records_changed_beside_the_journal_are_caught(store_dir: Path, sql: str, fragment: str) -> None:
    with raw(store_dir) as conn:
        drop_triggers(conn)
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute(sql)
    result = audit(store_dir)
    assert any(fragment in p for p in result.record_problems), result.record_problems


def test_a_store_with_a_dropped_trigger_does_not_open_for_selling(store_dir: Path) -> None:
    with raw(store_dir) as conn:
        drop_triggers(conn, "sales_no_update")
    with pytest.raises(StoreError, match="protections were removed"):
        open_database(store_dir)
    assert audit(store_dir).missing_triggers == ["sales_no_update"]


def test_without_the_key_seals_are_not_checked_and_the_report_says_so(store_dir: Path, tmp_path: Path) -> None:
    db = open_database(store_dir, create=False, audit=True, secret=None)
    db.dispose()
    other = subprocess.run(
        [sys.executable, "-m", "cli.main", "journal", "verify", "--data-dir", str(store_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "COUNTER_SECRET_FILE": str(tmp_path / "none.key")},
    )
    assert other.returncode == 0, other.stdout + other.stderr
    assert "seal not checked" in other.stdout and "seals were not checked" in other.stdout


def test_verify_command_and_stdlib_script_catch_truncation(store_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "journal.jsonl"
    export = subprocess.run(
        [sys.executable, "-m", "cli.main", "journal", "export", "--data-dir", str(store_dir), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert export.returncode == 0, export.stdout + export.stderr
    script = Path(__file__).resolve().parents[2] / "scripts" / "verify_export.py"
    good = subprocess.run([sys.executable, "-I", str(script), str(out)], capture_output=True, text=True, timeout=60)
    assert good.returncode == 0 and "VERIFIED" in good.stdout, good.stdout + good.stderr
    # The store is truncated afterwards: the earlier manifest is the anchor.
    with raw(store_dir) as conn:
        drop_triggers(conn)
        n = last_seq(conn, T)
        conn.execute("DELETE FROM journal WHERE terminal_id = ? AND seq > ?", (T, n - 1))
        conn.execute("DELETE FROM journal_head WHERE terminal_id = ?", (T,))
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "journal",
            "verify",
            "--data-dir",
            str(store_dir),
            "--manifest",
            str(manifest_path(out)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and f"T01: BAD: entry {n}:" in bad.stdout, bad.stdout
    assert "Traceback" not in bad.stderr
    # And an export edited by hand fails the script, naming the entry.
    lines = out.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[4])
    record["at"] = "2020-01-01T00:00:00.000000Z"
    lines[4] = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    edited = subprocess.run(
        [sys.executable, "-I", str(script), str(out), "--no-manifest"], capture_output=True, text=True, timeout=60
    )
    assert edited.returncode == 1 and f"{record['terminal']}: BAD: entry {record['seq']}:" in edited.stdout


def test_audit_of_the_store_reads_only(store_dir: Path) -> None:
    before = (store_dir / "counter.sqlite3").stat().st_mtime_ns
    db = open_database(store_dir, create=False, audit=True)
    audit_store(db.read, db.secret)
    db.dispose()
    assert (store_dir / "counter.sqlite3").stat().st_mtime_ns == before


def test_the_z_report_prints_an_anchor_that_verify_accepts(store_dir: Path) -> None:
    from counter.cash.report_document import report_document
    from counter.cash.shifts import CashRules, close_shift, take_z_report
    from db.demo import count_for

    shop = TestStore(store_dir)
    shop.sell([(shop.item_in("apparel"), 1)])
    with shop.uow() as uow:
        shift = uow.shifts.current(T)
        assert shift is not None
        expected = uow.shifts.expected_cash(shift)
    cur = shop.cfg.currency
    close_shift(
        shop.user("Maria"),
        count_for(expected, cur),
        "",
        uow_factory=shop.uow,
        clock=shop.clock,
        terminal_id=T,
        currency=cur,
        rules=CashRules(),
    )
    report = take_z_report(
        shop.user("Alex"), uow_factory=shop.uow, clock=shop.clock, terminal_id=T, currency=cur, zone=shop.cfg.zone
    )
    document = report_document(report, shop.cfg, printed_at=shop.clock.now(), printed_by="Alex Morgan")
    shop.close()
    printed = [row.value for row in document.facts if row.label in ("Entry hash", "")]
    assert "".join(printed) == report.last_hash and len(report.last_hash) == 64
    assert audit(store_dir, {T: {report.last_seq: report.last_hash}}).ok
    with raw(store_dir) as conn:  # rewritten up to the report: the paper anchor catches it
        drop_triggers(conn)
        conn.execute("UPDATE journal SET at = '2020-01-01T00:00:00.000000Z' WHERE terminal_id = ? AND seq = 2", (T,))
        rehash(conn, T, 2)
    chain = audit(store_dir, {T: {report.last_seq: report.last_hash}}).chains[T]
    assert not chain.ok and chain.first_bad_seq in (2, report.last_seq)
