"""The derived tables against the journal: a store with sales, returns, refunds, store
credit, approvals, part payments, a void that gave them back, cash movements, a recount
and Z reports on two terminals; each table is
edited, deleted from and inserted into behind Counter's back (triggers dropped, as an
attacker with the file would), and verify names the table, the row's key and the column.

Also: the money decisions that read those tables (what a receipt still refunds) refuse a
sale whose rows no longer match its journal entry."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from counter.cash.shifts import CashRules, MovementKind, close_shift, record_movement, recount_shift
from counter.journal import EventType
from counter.returns.model import ApprovalNeeded, CustomerId, ProcessReturn, ReturnError, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from counter.sales.checkout import CompleteSale, complete_sale
from db.demo import count_for
from db.derive import derive_and_compare, sale_differences
from db.derive_compare import Derivation, Difference
from db.engine import DB_FILENAME, open_database
from tests.db.support import TestStore, approve
from tests.trust.support import audit, raw


@contextmanager
def behind_the_back(store_dir: Path) -> Iterator[sqlite3.Connection]:
    """Raw SQL with every protecting trigger dropped, and put back afterwards (as an
    attacker would, so the store still opens and looks untouched)."""
    with raw(store_dir) as conn:
        saved = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        saved = [(n, q) for n, q in saved if not n.startswith("items_fts")]
        for name, _ in saved:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("PRAGMA foreign_keys=OFF")
        yield conn
        for _, sql in saved:
            conn.execute(sql)


@pytest.fixture(scope="module")
def busy_template(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store (two terminals of past days, shifts, Z reports) and, at T01: a card
    sale returned in part, a no-receipt return to store credit approved by a supervisor,
    the voucher spent, a paid-out, a blind close and a manager's recount."""
    folder = tmp_path_factory.mktemp("busy")
    shutil.copy2(demo_template / DB_FILENAME, folder / DB_FILENAME)
    shop = TestStore(folder)
    try:
        run = {"uow_factory": shop.uow, "clock": shop.clock, "store": shop.cfg, "terminal": shop.terminal}
        sale = shop.sell([(shop.item_in("apparel"), 3)], card=Decimal("1e6"), cash=False)
        process_return(_request(shop, sale.receipt_number, sale.lines[0].id, 1), rules=shop.rules, **run)
        toy = shop.item_in("toys-games")
        cmd = ProcessReturn(
            request_id=str(uuid.uuid4()),
            cashier=shop.user("Maria"),
            lines=(ReturnLineRequest(1, Reason.GIFT, Condition.NEW, item=toy, unit_price=toy.price),),
            refund_method=RefundMethod.STORE_CREDIT,
            id_document=CustomerId.checked("Driver's license", "D123-4567-8901"),
        )
        try:
            process_return(cmd, rules=shop.rules, **run)
        except ApprovalNeeded as needed:
            approve(shop, cmd, needed.kinds, needed.amount)
        record = process_return(cmd, rules=shop.rules, **run)
        assert record.voucher_code
        cheap = shop.item_in("office-school")
        credit = record.quote.refund_total
        shop.sell([(cheap, 1)], voucher=(record.voucher_code, min(credit, cheap.price), credit))
        _part_paid(shop)
        cash = {"clock": shop.clock, "terminal_id": "T01", "currency": shop.cfg.currency}
        record_movement(
            shop.user("Dana"), MovementKind.PAID_OUT, Decimal("5.00"), "window cleaner",
            uow_factory=shop.uow, **cash,
        )  # fmt: skip
        with shop.uow() as u:
            shift = u.shifts.current("T01")
            assert shift is not None
            expected = u.shifts.expected_cash(shift)
        close_shift(
            shop.user("Maria"), count_for(expected, shop.cfg.currency), "", uow_factory=shop.uow,
            rules=CashRules(), **cash,
        )  # fmt: skip
        recount_shift(
            shop.user("Alex"), shift.id, count_for(expected, shop.cfg.currency), "counted again",
            uow_factory=shop.uow, clock=shop.clock, currency=shop.cfg.currency,
        )  # fmt: skip
    finally:
        shop.close()
    return folder


def _part_paid(shop: TestStore) -> None:
    """A sale paid $5 cash and $4 by card before the rest (completed), and one voided after
    $5 cash and $4 by card were taken (given back)."""
    from tests.db.test_part_payment_voids import VISA, open_sale, taken, void

    for complete in (True, False):
        cart, payment = open_sale(shop)
        taken(shop, payment, payment.add_cash(Decimal("5.00"), part_payment=True))
        taken(shop, payment, payment.add_card(Decimal("4.00"), VISA))
        if not complete:
            void(shop, cart, payment)
            continue
        payment.add_cash(payment.cash_due)
        cmd = CompleteSale(
            shop.user("Maria"), cart.lines, None, payment.tenders, payment.rounding, sale_id=payment.sale_id,
            part_payments=payment.recorded,
        )  # fmt: skip
        complete_sale(cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)


def _request(shop: TestStore, receipt: str, line_id: str, qty: int) -> ProcessReturn:
    return ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=shop.user("Maria"),
        lines=(ReturnLineRequest(qty, Reason.CHANGED_MIND, Condition.NEW, line_id),),
        refund_method=RefundMethod.ORIGINAL,
        original_receipt=receipt,
    )


@pytest.fixture
def busy(busy_template: Path, tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "store"
    target.mkdir()
    shutil.copy2(busy_template / DB_FILENAME, target / DB_FILENAME)
    yield target


def derive(store_dir: Path) -> list[Difference]:
    db = open_database(store_dir, create=False, audit=True)
    try:
        result = derive_and_compare(db.read)
    finally:
        db.dispose()
    assert not result.entry_problems, result.entry_problems
    return result.differences


def test_a_busy_store_derives_exactly_what_is_stored(busy: Path) -> None:
    db = open_database(busy)
    try:
        result = derive_and_compare(db.read)
    finally:
        db.dispose()
    assert result.ok, result.lines()
    assert result.entries > 50 and result.rows > 150
    with raw(busy) as conn:
        for table in (
            "returns", "refunds", "vouchers", "voucher_movements", "approvals", "cash_movements", "part_payments",
            "voided_payments",
        ):  # fmt: skip
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
        assert conn.execute("SELECT count(*) FROM shift_recounts").fetchone()[0] == 1
        assert conn.execute("SELECT count(DISTINCT terminal_id) FROM sales").fetchone()[0] == 2


# table, a row to pick (SQL condition), the column edited and how, the key columns
CASES = [
    ("sales", "terminal_id = 'T01' AND id IN (SELECT sale_id FROM tenders WHERE kind = 'card')", "total_minor",
     "total_minor + 4305", ("id",)),
    ("sales", "terminal_id = 'T02'", "cashier_name", "'Someone Else'", ("id",)),
    ("sale_lines", "sale_id IN (SELECT id FROM sales WHERE terminal_id = 'T02')", "quantity", "quantity + 4",
     ("id",)),
    ("sale_lines", "id IN (SELECT sale_line_id FROM return_lines)", "gross_minor", "gross_minor * 5", ("id",)),
    ("sale_taxes", "1", "tax_minor", "tax_minor + 1", ("sale_id", "code")),
    ("tenders", "kind = 'card'", "kind", "'cash'", ("sale_id", "seq")),
    ("tenders", "kind = 'cash' AND sale_id IN (SELECT id FROM sales WHERE terminal_id = 'T02')", "amount_minor",
     "amount_minor + 100", ("sale_id", "seq")),
    ("returns", "1", "refund_minor", "refund_minor + 1000", ("id",)),
    ("return_lines", "1", "gross_minor", "gross_minor + 1", ("id",)),
    ("refunds", "1", "amount_minor", "amount_minor + 100000", ("return_id", "seq")),
    ("vouchers", "1", "initial_minor", "initial_minor + 100000", ("code",)),
    ("voucher_movements", "amount_minor > 0", "amount_minor", "amount_minor + 100000", ("voucher_code", "reference")),
    ("approvals", "1", "approver_id", "requester_id", ("request_id", "kind")),
    ("shifts", "terminal_id = 'T02'", "float_minor", "float_minor + 50000", ("id",)),
    ("shifts", "terminal_id = 'T01' AND closed_at IS NOT NULL", "counted_minor", "counted_minor + 98765", ("id",)),
    ("cash_movements", "1", "amount_minor", "amount_minor - 400", ("shift_id",)),
    ("shift_recounts", "1", "counted_minor", "counted_minor + 1", ("shift_id",)),
    ("z_reports", "terminal_id = 'T02'", "grand_sales_minor", "grand_sales_minor + 1", ("terminal_id", "number")),
    ("part_payments", "kind = 'cash'", "amount_minor", "amount_minor + 500", ("sale_id", "seq")),
    ("voided_payments", "kind = 'cash'", "recorded_before", "0", ("sale_id", "seq")),
]  # fmt: skip


each_case = pytest.mark.parametrize(
    ("table", "where", "column", "change", "key"), CASES, ids=[f"{c[0]}.{c[2]}" for c in CASES]
)


def _pick(conn: sqlite3.Connection, table: str, where: str) -> dict[str, object]:
    conn.row_factory = sqlite3.Row
    row = conn.execute(f"SELECT rowid AS _rowid, * FROM {table} WHERE {where} ORDER BY rowid LIMIT 1").fetchone()
    conn.row_factory = None
    assert row is not None, (table, where)
    return dict(row)


@each_case
def test_an_edited_column_is_named(
    busy: Path, table: str, where: str, column: str, change: str, key: tuple[str, ...]
) -> None:
    with behind_the_back(busy) as conn:
        row = _pick(conn, table, where)
        conn.execute(f"UPDATE {table} SET {column} = {change} WHERE rowid = ?", (row["_rowid"],))
        after = conn.execute(f"SELECT {column} FROM {table} WHERE rowid = ?", (row["_rowid"],)).fetchone()[0]
    found = [d for d in derive(busy) if d.table == table and d.column == column]
    assert len(found) == 1, derive(busy)
    (d,) = found
    assert d.key[: len(key)] == tuple(row[k] for k in key)
    assert d.stored == after and d.derived == row[column] and d.entry is not None
    lines = audit(busy).record_problems
    assert any(f"{table} [" in p and f"{column}: stored {after!r}" in p for p in lines), lines


@each_case
def test_a_deleted_row_is_named(
    busy: Path, table: str, where: str, column: str, change: str, key: tuple[str, ...]
) -> None:
    with behind_the_back(busy) as conn:
        row = _pick(conn, table, where)
        conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (row["_rowid"],))
    found = derive(busy)
    missing = [d for d in found if d.table == table and d.column is None and d.stored is None]
    assert missing, found
    assert missing[0].entry is not None
    if table not in _AUTO_ID and table != "approvals":  # ordinal keys renumber the rows after it
        assert missing[0].key == tuple(row[k] for k in key)
    assert any("missing (deleted outside Counter)" in p for p in audit(busy).record_problems)


@each_case
def test_an_inserted_row_is_named(
    busy: Path, table: str, where: str, column: str, change: str, key: tuple[str, ...]
) -> None:
    with behind_the_back(busy) as conn:
        row = _pick(conn, table, where)
        values = {k: v for k, v in row.items() if k != "_rowid" and k != "id" or table not in _AUTO_ID}
        values.pop("_rowid", None)
        text_key = next((k for k in key if isinstance(row[k], str)), None)
        if table not in _AUTO_ID and text_key is not None:
            values[text_key] = f"forged-{uuid.uuid4().hex[:8]}"
        elif table not in _AUTO_ID:
            values[key[-1]] = int(str(row[key[-1]])) + 1000
        if table == "sales":
            values["receipt_number"] = "S01-T09-000001"
        if table == "sale_lines":
            values["line_no"] = int(str(values["line_no"])) + 100
        if table == "returns":
            values["return_number"] = "S01-T09-R000001"
        if table == "approvals":
            values["id"] = "forged-approval"
        if table == "shifts":
            values["closed_at"] = values["closed_at"] or "2026-01-01T00:00:00.000000Z"
        cols = ", ".join(values)
        conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(values))})", tuple(values.values()))
    found = derive(busy)
    extra = [d for d in found if d.table == table and d.column is None and d.derived is None]
    assert len(extra) == 1, found
    assert extra[0].entry is None
    assert any("inserted outside Counter" in p for p in audit(busy).record_problems)


_AUTO_ID = {"cash_movements", "shift_recounts", "voucher_movements"}


def test_compared_a_few_entries_at_a_time_the_same_edits_are_named(busy: Path) -> None:
    """Sales are compared a chunk of entries at a time (memory stays flat on a large
    store): chunks of 7 entries find the same edited line and forged sale as one chunk."""
    with behind_the_back(busy) as conn:
        line = _pick(conn, "sale_lines", "sale_id IN (SELECT id FROM sales WHERE terminal_id = 'T02')")
        conn.execute("UPDATE sale_lines SET quantity = quantity + 4 WHERE rowid = ?", (line["_rowid"],))
        conn.execute(
            "INSERT INTO tenders (sale_id, seq, kind, amount_minor, tendered_minor) "
            "VALUES ('no-such-sale', 1, 'cash', 5, 5)"
        )
    db = open_database(busy, create=False, audit=True)
    try:
        whole, chunked = derive_and_compare(db.read), derive_and_compare(db.read, chunk=7)
    finally:
        db.dispose()
    assert [d.describe() for d in chunked.differences] == [d.describe() for d in whole.differences]
    assert {(d.table, d.column) for d in chunked.differences} == {("sale_lines", "quantity"), ("tenders", None)}
    assert chunked.entries == whole.entries and chunked.rows == whole.rows


def test_in_worker_processes_the_same_edits_deletions_and_insertions_are_named(busy: Path) -> None:
    """On a large store the sales are checked by worker processes, one per core, each on
    its part of every chain: an edit, a deletion and an insertion in the sales' tables, and
    an edit of a sale's store-credit redemption (folded back in the main process), are named
    exactly as in one process."""
    with behind_the_back(busy) as conn:
        line = _pick(conn, "sale_lines", "sale_id IN (SELECT id FROM sales WHERE terminal_id = 'T02')")
        conn.execute("UPDATE sale_lines SET amount_minor = amount_minor + 100 WHERE rowid = ?", (line["_rowid"],))
        tax = _pick(conn, "sale_taxes", "sale_id IN (SELECT id FROM sales WHERE terminal_id = 'T01')")
        conn.execute("DELETE FROM sale_taxes WHERE rowid = ?", (tax["_rowid"],))
        conn.execute(
            "INSERT INTO tenders (sale_id, seq, kind, amount_minor, tendered_minor) VALUES (?, 9, 'cash', 5, 5)",
            (line["sale_id"],),
        )
        conn.execute("UPDATE voucher_movements SET amount_minor = amount_minor - 1 WHERE amount_minor < 0")
    db = open_database(busy, create=False, audit=True)
    try:
        alone = derive_and_compare(db.read, workers=0)
        spread = derive_and_compare(db.read, chunk=7, workers=2)
    finally:
        db.dispose()
    assert sorted(d.describe() for d in spread.differences) == sorted(d.describe() for d in alone.differences)
    named = {(d.table, d.column) for d in spread.differences}
    assert named == {
        ("sale_lines", "amount_minor"), ("sale_taxes", None), ("tenders", None), ("voucher_movements", "amount_minor")
    }  # fmt: skip
    assert spread.entries == alone.entries and spread.rows == alone.rows and not spread.ok


def test_a_sale_journaled_twice_is_named(busy: Path) -> None:
    """Each worker sees only its part of the journal, so a copy of a sale's entry in
    another part would match its rows in both: verify counts the entries per sale."""
    with behind_the_back(busy) as conn:
        conn.row_factory = sqlite3.Row
        entry = dict(conn.execute("SELECT * FROM journal WHERE type = 'SaleCompleted' ORDER BY seq LIMIT 1").fetchone())
        conn.row_factory = None
        last = conn.execute("SELECT max(seq) FROM journal WHERE terminal_id = ?", (entry["terminal_id"],)).fetchone()
        entry.update(seq=last[0] + 1, id="copy-of-" + entry["id"][8:])
        columns, marks = ", ".join(entry), ", ".join("?" * len(entry))
        conn.execute(f"INSERT INTO journal ({columns}) VALUES ({marks})", list(entry.values()))
    db = open_database(busy, create=False, audit=True)
    try:
        result = derive_and_compare(db.read, workers=2)
    finally:
        db.dispose()
    sale = orjson.loads(entry["body"])["sale_id"]
    assert f"2 journal entries record sale {sale}: a sale is recorded once" in result.entry_problems


def _journal_an_approval(store_dir: Path, requester: str, approver: str) -> Derivation:
    """An ApprovalGranted written through Counter's own write path (as someone with the key
    could), then the store re-derived."""
    shop = TestStore(store_dir)
    try:
        body = {
            "request_id": "r1", "kinds": ["no_receipt"], "amount": 500, "requester": shop.user(requester).id,
            "approver": shop.user(approver).id, "reason": "x", "approval_ids": ["a1"],
        }  # fmt: skip
        with shop.uow() as u:
            u.journal.append(EventType.APPROVAL_GRANTED, body, shop.clock.now())
            u.commit()
        return derive_and_compare(shop.db.read)
    finally:
        shop.close()


def test_an_approval_by_the_requester_is_named_even_with_its_row_matching(busy: Path) -> None:
    """An attacker with the key could write a matching entry and row; verify still checks
    that the approver is not the requester and held the right at that moment."""
    result = _journal_an_approval(busy, "Maria", "Maria")
    assert any("approved their own request" in p for p in result.approval_problems), result.approval_problems
    assert not result.ok


def test_a_cashier_approval_is_named(busy: Path) -> None:
    result = _journal_an_approval(busy, "Dana", "Sam")
    assert any("could not approve" in p and "(cashier)" in p for p in result.approval_problems)


def test_journal_verify_names_the_edit_and_fails(busy: Path) -> None:
    with behind_the_back(busy) as conn:
        conn.execute("UPDATE cash_movements SET amount_minor = 1 WHERE rowid = (SELECT min(rowid) FROM cash_movements)")
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "journal", "verify", "--data-dir", str(busy)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0, done.stdout
    assert "cash_movements [" in done.stdout and "amount_minor: stored 1, derived 500" in done.stdout, done.stdout


def test_a_receipt_inflated_behind_the_back_refunds_nothing(store_dir: Path) -> None:
    """The review's attack: a line's quantity and amount raised together with its cash
    tender (the sale's total left alone). The return reads the receipt's rows only after
    checking them against the sealed entry, so it refuses instead of refunding 5x."""
    shop = TestStore(store_dir)
    try:
        sale = shop.sell([(shop.item_in("apparel"), 1)])
    finally:
        shop.close()
    with behind_the_back(store_dir) as conn:
        conn.execute(
            "UPDATE sale_lines SET quantity = 5, amount_minor = amount_minor * 5, gross_minor = gross_minor * 5 "
            "WHERE sale_id = ?",
            (sale.id,),
        )
        conn.execute("UPDATE tenders SET amount_minor = amount_minor * 5, tendered_minor = tendered_minor * 5 "
                     "WHERE sale_id = ?", (sale.id,))  # fmt: skip
    shop = TestStore(store_dir)
    try:
        with raw(store_dir) as conn:
            before = conn.execute("SELECT count(*) FROM returns").fetchone()[0]
        run = {"uow_factory": shop.uow, "clock": shop.clock, "store": shop.cfg, "terminal": shop.terminal}
        with pytest.raises(ReturnError) as refused:
            process_return(_request(shop, sale.receipt_number, sale.lines[0].id, 5), rules=shop.rules, **run)
        assert f"receipt {sale.receipt_number} were changed outside Counter" in refused.value.message
        with shop.db.read.connect() as conn:
            (changed, *_) = sale_differences(conn, sale.id)
        assert changed.startswith("sale_lines [") and "quantity: stored 5, derived 1" in changed
        assert "Call a manager" in refused.value.hint
        with raw(store_dir) as conn:
            assert conn.execute("SELECT count(*) FROM returns").fetchone()[0] == before
    finally:
        shop.close()


def test_an_untouched_receipt_still_returns(store_dir: Path) -> None:
    shop = TestStore(store_dir)
    try:
        sale = shop.sell([(shop.item_in("apparel"), 2)])
        run = {"uow_factory": shop.uow, "clock": shop.clock, "store": shop.cfg, "terminal": shop.terminal}
        first = process_return(_request(shop, sale.receipt_number, sale.lines[0].id, 1), rules=shop.rules, **run)
        second = process_return(_request(shop, sale.receipt_number, sale.lines[0].id, 1), rules=shop.rules, **run)
        assert first.quote.refund_total + second.quote.refund_total == sale.total
    finally:
        shop.close()
