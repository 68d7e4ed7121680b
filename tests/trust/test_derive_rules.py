"""``counter journal verify`` re-derives every table from the journal (db.derive,
db.derive_sales): each edit, deletion and insertion is named with its table, key, column,
the stored and the derived value and the entry the row comes from; a sale journaled twice,
rows no entry makes, chunk boundaries, worker processes and the approvals' roles.

Two kinds of store: a small file made here (the journal and the sales' four tables, each
sale of one line at 8.25 % paid in cash, amounts worked out below), where every row and
every chunk boundary is chosen; and the demo store (tests/conftest.py) for the whole of
verify, with rows changed behind Counter's back as tests/trust/test_derived_tables.py does."""

from __future__ import annotations

import gc
import sqlite3
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import create_engine

import db.derive as derive
import db.derive_compare as derive_compare
import db.derive_sales as derive_sales
from counter.journal import EventType, make_entry
from counter.projection import TABLES, UNKNOWN, EntryRef, Insert, TableSpec, Update, project
from db.derive import derive_and_compare, sale_differences
from db.derive_compare import Derivation, Difference
from db.derive_sales import BY_SALE, SalesResult, check_entries, check_part
from db.engine import DB_FILENAME, open_database
from db.uow import _APPEND_SQL
from tests.trust.test_derived_tables import _journal_an_approval, behind_the_back

AT = "2026-12-01T10:00:00.000000Z"


# --------------------------------------------------------------------------- a small file


def sale_body(n: int, voucher: str | None = None) -> dict[str, Any]:
    """Sale n: one line of n units at 10.00 (amount 1000n, tax 8.25 % half up, gross the
    sum), paid in cash with 20.00 more than the gross handed over (change 2000). With
    ``voucher``: paid by store credit instead (no change)."""
    amount = 1000 * n
    tax = (amount * 825 + 5000) // 10000
    gross = amount + tax
    tender: dict[str, Any] = {"kind": "cash", "amount": gross, "tendered": gross + 2000}
    if voucher:
        tender = {"kind": "store_credit", "amount": gross, "tendered": gross, "voucher": voucher}
    return {
        "sale_id": f"sale-{n}",
        "receipt_number": f"S01-T01-{n:06d}",
        "store": "S01",
        "cashier": "u-1",
        "cashier_name": "Maria",
        "currency": "USD",
        "prices_include_tax": False,
        "lines": [
            {"line_id": f"line-{n}", "item_id": "item-1", "sku": "KET-01", "name": "Kettle", "qty": n,
             "unit_price": 1000, "line_discount": 0, "order_discount": 0, "amount": amount, "tax": tax,
             "gross": gross, "tax_code": "A", "tax_rate": "0.0825"},
        ],
        "taxes": [{"code": "A", "label": "Sales tax", "rate": "0.0825", "base": amount, "tax": tax}],
        "tenders": [tender],
        "rounding": 0,
    }  # fmt: skip


class Shop:
    """A sqlite3 file with the journal and the sales' tables, rows written as the entries make them."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("CREATE TABLE journal (terminal_id TEXT, seq INTEGER, type TEXT, at TEXT, body TEXT)")
        for table in BY_SALE:
            self.conn.execute(f"CREATE TABLE {table} ({', '.join(TABLES[table].columns)})")
        self.seqs: dict[str, int] = {}

    def entry(self, terminal: str, type_: str, text: str) -> EntryRef:
        seq = self.seqs[terminal] = self.seqs.get(terminal, 0) + 1
        self.conn.execute("INSERT INTO journal VALUES (?, ?, ?, ?, ?)", (terminal, seq, type_, AT, text))
        return EntryRef(terminal, seq, type_, AT)

    def sell(
        self, n: int, terminal: str = "T01", voucher: str | None = None, rows: bool = True, old: bool = False
    ) -> EntryRef:
        """Sale n; ``old``: as an entry written before its body held the cashier's name and
        the tax's label (stored as NULL, not checked)."""
        body = sale_body(n, voucher)
        if old:
            del body["cashier_name"], body["taxes"][0]["label"]
        ref = self.entry(terminal, "SaleCompleted", orjson.dumps(body).decode())
        if rows:
            for op in project("SaleCompleted", body, ref):
                if isinstance(op, Insert) and op.table in BY_SALE:
                    values = tuple(None if v is UNKNOWN else v for v in op.values)
                    self.conn.execute(f"INSERT INTO {op.table} VALUES ({', '.join('?' * len(values))})", values)
        return ref

    def check(self, *part: tuple[str, int, int], chunk: int = 20_000) -> SalesResult:
        return check_entries(self.conn, part or tuple((t, 1, last) for t, last in self.seqs.items()), chunk)


def sale_row(n: int, terminal: str = "T01") -> dict[str, Any]:
    amount, tax = 1000 * n, (1000 * n * 825 + 5000) // 10000
    return {
        "id": f"sale-{n}", "receipt_number": f"S01-T01-{n:06d}", "store_id": "S01", "terminal_id": terminal,
        "cashier_id": "u-1", "cashier_name": "Maria", "completed_at": AT, "currency": "USD",
        "prices_include_tax": False, "subtotal_minor": amount, "discount_minor": 0, "tax_minor": tax,
        "total_minor": amount + tax, "rounding_minor": 0, "change_minor": 2000,
    }  # fmt: skip


def tender_row(n: int, seq: int = 1, amount: int | None = None) -> dict[str, Any]:
    gross = 1000 * n + (1000 * n * 825 + 5000) // 10000
    return {
        "sale_id": f"sale-{n}", "seq": seq, "kind": "cash", "amount_minor": gross if amount is None else amount,
        "tendered_minor": gross + 2000, "card_brand": None, "card_last4": None, "approval_code": None,
        "voucher_code": None,
    }  # fmt: skip


def test_sale_one_is_worked_out_by_hand() -> None:
    # 1 × 10.00 at 8.25 %: tax 0.825 → 0.83, gross 10.83; 3 units: tax 2.475 → 2.48
    assert (sale_body(1)["lines"][0]["tax"], sale_body(1)["lines"][0]["gross"]) == (83, 1083)
    assert (sale_body(3)["lines"][0]["tax"], sale_body(3)["lines"][0]["gross"]) == (248, 3248)


def test_sales_stored_as_their_entries_make_them_verify() -> None:
    shop = Shop()
    for n in (1, 2, 3):
        shop.sell(n)
    shop.entry("T01", "ShiftClosed", "{}")  # not a sale: not this part's to check
    shop.sell(4, terminal="T02")
    result = shop.check()
    assert result.entries == 4
    assert result.seen == {"sales": 4, "sale_lines": 4, "sale_taxes": 4, "tenders": 4}
    assert result.rows == 16
    assert (result.differences, result.entry_problems, result.other_ops) == ([], [], [])
    assert (result.total_differences, result.unchecked) == (0, 0)


def test_a_part_checks_only_its_runs_of_each_chain() -> None:
    shop = Shop()
    for n in (1, 2, 3, 4, 5):
        shop.sell(n)
    shop.sell(6, terminal="T02")
    shop.sell(7, terminal="T02")
    result = shop.check(("T01", 2, 4), ("T02", 2, 2))
    assert result.entries == 4  # T01 #2, #3, #4 and T02 #2
    assert result.seen == {"sales": 4, "sale_lines": 4, "sale_taxes": 4, "tenders": 4}
    shop.conn.execute("UPDATE tenders SET amount_minor = 1 WHERE sale_id IN ('sale-1', 'sale-5', 'sale-6')")
    assert shop.check(("T01", 2, 4), ("T02", 2, 2)).differences == []  # edits outside the part


def test_an_edited_column_of_each_sales_table_is_named_with_its_key_values_and_entry() -> None:
    shop = Shop()
    shop.sell(1)
    ref = shop.sell(2)
    shop.sell(3)
    edits = [
        ("sales", "total_minor = total_minor + 4305", "id = 'sale-2'", ("sale-2",), "total_minor", 6470, 2165),
        ("sale_lines", "quantity = 7", "id = 'line-2'", ("line-2",), "quantity", 7, 2),
        ("sale_taxes", "label = 'Tax'", "sale_id = 'sale-2'", ("sale-2", "A"), "label", "Tax", "Sales tax"),
        ("tenders", "kind = 'card'", "sale_id = 'sale-2'", ("sale-2", 1), "kind", "card", "cash"),
    ]
    for table, change, where, key, column, stored, derived in edits:
        shop.conn.execute(f"UPDATE {table} SET {change} WHERE {where}")
        result = shop.check()
        assert result.differences == [Difference(table, key, column, stored, derived, ref)], table
        assert result.total_differences == 1 and result.entries == 3 and result.rows == 12
        shop.conn.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (derived,))
        assert shop.check().differences == []


def test_a_deleted_row_is_named_missing_with_what_its_entry_makes() -> None:
    shop = Shop()
    shop.sell(1)
    ref = shop.sell(2)
    shop.conn.execute("DELETE FROM tenders WHERE sale_id = 'sale-2'")
    result = shop.check()
    assert result.differences == [Difference("tenders", ("sale-2", 1), None, None, tender_row(2), ref)]
    assert result.seen["tenders"] == 1 and result.rows == 7
    assert result.differences[0].describe() == (
        "tenders [sale-2, 1]: missing (deleted outside Counter); derived from journal entry T01 #2 (SaleCompleted)"
    )


def test_a_row_of_a_journaled_sale_that_no_entry_makes_is_named_inserted() -> None:
    shop = Shop()
    shop.sell(1)
    shop.sell(2)
    forged = tender_row(2, seq=2, amount=500)
    shop.conn.execute(f"INSERT INTO tenders VALUES ({', '.join('?' * len(forged))})", tuple(forged.values()))
    result = shop.check()
    assert result.differences == [Difference("tenders", ("sale-2", 2), None, forged, None, None)]
    assert result.seen["tenders"] == 3
    assert result.differences[0].describe() == (
        "tenders [sale-2, 2]: stored, but no journal entry makes it (inserted outside Counter)"
    )


def test_a_row_stored_twice_is_named_once_as_inserted() -> None:
    # the real tables have primary keys; a file rebuilt by hand need not
    shop = Shop()
    ref = shop.sell(1)
    shop.conn.execute("INSERT INTO tenders SELECT * FROM tenders")
    result = shop.check()
    assert result.differences == [Difference("tenders", ("sale-1", 1), None, tender_row(1), None, None)]
    assert ref.seq == 1


def test_rows_written_in_another_order_are_not_a_difference() -> None:
    shop = Shop()
    body = sale_body(2)
    body["lines"].append(body["lines"][0] | {"line_id": "line-2b", "sku": "MUG-01"})
    body["taxes"][0]["base"] *= 2
    body["taxes"][0]["tax"] *= 2
    ref = shop.entry("T01", "SaleCompleted", orjson.dumps(body).decode())
    ops = [op for op in project("SaleCompleted", body, ref) if isinstance(op, Insert) and op.table in BY_SALE]
    for op in reversed(ops):  # the second line before the first
        shop.conn.execute(f"INSERT INTO {op.table} VALUES ({', '.join('?' * len(op.values))})", op.values)
    result = shop.check()
    assert (result.differences, result.entry_problems, result.rows) == ([], [], 5)


def test_an_entry_that_cannot_be_projected_is_named_and_counted() -> None:
    shop = Shop()
    shop.sell(1)
    shop.entry("T01", "SaleCompleted", "[1, 2]")
    shop.entry("T01", "SaleCompleted", "{not json")
    shop.entry("T01", "SaleAdopted", '{"sale_id": "x"}')
    shop.sell(5)
    result = shop.check()
    assert result.entries == 5 and result.differences == []
    assert result.entry_problems[0] == "entry T01 #2 (SaleCompleted) cannot be projected: its body is not an object"
    assert result.entry_problems[1].startswith("entry T01 #3 (SaleCompleted) cannot be projected: ")
    assert result.entry_problems[2].startswith(
        "entry T01 #4 (SaleAdopted) cannot be projected: T01 #4 (SaleAdopted): the body lacks what a SaleAdopted needs"
    )
    assert len(result.entry_problems) == 3


def test_in_a_chunk_compared_key_by_key_every_table_adds_its_differences_and_unchecked_values() -> None:
    """A chunk whose rows differ is compared again table by table: each table's differences
    and unchecked values add up, an unreadable entry in the chunk is named once and does
    not stop the entries after it from being folded."""
    shop = Shop()
    shop.sell(1, old=True)
    shop.entry("T01", "SaleCompleted", "{not json")
    ref = shop.sell(2)
    shop.conn.execute("UPDATE sales SET total_minor = 1 WHERE id = 'sale-2'")
    shop.conn.execute("UPDATE tenders SET kind = 'card' WHERE sale_id = 'sale-2'")
    result = shop.check()
    assert result.differences == [
        Difference("sales", ("sale-2",), "total_minor", 1, 2165, ref),
        Difference("tenders", ("sale-2", 1), "kind", "card", "cash", ref),
    ]
    assert result.total_differences == 2
    assert result.unchecked == 2  # sale 1's cashier name and its tax's label
    assert len(result.entry_problems) == 1
    assert result.entry_problems[0].startswith("entry T01 #2 (SaleCompleted) cannot be projected: ")


def test_a_store_credit_redemption_goes_back_to_the_main_process_in_journal_order() -> None:
    shop = Shop()
    shop.sell(1)
    ref = shop.sell(2, voucher="V-1")
    result = shop.check()
    assert result.differences == []
    ((where, got_ref, ops),) = result.other_ops
    assert (where, got_ref) == (("T01", 2), ref)
    assert ops == [Insert("voucher_movements", {"voucher_code": "V-1", "at": AT, "amount_minor": -2165,
                                                "reference": "sale-2"})]  # fmt: skip


def moved_line(shop: Shop, source: int, target: int) -> None:
    """The line of sale ``source`` moved onto sale ``target`` (its sale_id edited)."""
    shop.conn.execute(f"UPDATE sale_lines SET sale_id = 'sale-{target}' WHERE id = 'line-{source}'")


def line_moved_to_the_next_terminal() -> tuple[Shop, EntryRef]:
    """Sales 1 and 2 at T01, sale 3 at T02; sale 2's line moved onto sale 3. Returns sale 2's entry."""
    shop = Shop()
    shop.sell(1)
    ref = shop.sell(2)
    shop.sell(3, terminal="T02")
    moved_line(shop, 2, 3)
    return shop, ref


def test_within_one_chunk_a_moved_line_is_one_edited_column() -> None:
    shop, ref = line_moved_to_the_next_terminal()
    result = shop.check(chunk=3)
    assert result.differences == [Difference("sale_lines", ("line-2",), "sale_id", "sale-3", "sale-2", ref)]


def test_a_chunk_ends_once_it_holds_chunk_entries_so_a_line_moved_across_is_missing_and_inserted() -> None:
    # T01's two sales fill a chunk of 2; T02's sale is the next chunk
    shop, ref = line_moved_to_the_next_terminal()
    result = shop.check(chunk=2)
    line = {"id": "line-2", "sale_id": "sale-2", "line_no": 1, "item_id": "item-1", "sku": "KET-01",
            "name": "Kettle", "quantity": 2, "unit_price_minor": 1000, "line_discount_minor": 0,
            "order_discount_minor": 0, "amount_minor": 2000, "tax_minor": 165, "gross_minor": 2165,
            "tax_code": "A", "tax_rate": "0.0825", "completed_at": ref.at}  # fmt: skip
    assert result.differences == [
        Difference("sale_lines", ("line-2",), None, None, line, ref),
        Difference("sale_lines", ("line-2",), None, line | {"sale_id": "sale-3"}, None, None),
    ]
    assert result.seen["sale_lines"] == 3 and result.entries == 3


def test_the_journal_is_read_two_thousand_entries_at_a_time_and_a_chunk_ends_at_a_batch() -> None:
    # a chunk of 2000: the first read of 2000 entries is one chunk, sale 2001 the next
    shop = Shop()
    for n in range(1, 2002):
        shop.sell(n)
    moved_line(shop, 2000, 2001)
    result = shop.check(chunk=2000)
    assert [(d.key, d.column, d.stored is None) for d in result.differences] == [
        (("line-2000",), None, True),
        (("line-2000",), None, False),
    ]
    assert result.entries == 2001
    whole = shop.check(chunk=2001)
    assert [(d.key, d.column, d.stored) for d in whole.differences] == [(("line-2000",), "sale_id", "sale-2001")]


def test_a_sale_journaled_twice_in_one_chunk_is_named_by_each_table_it_makes_rows_in() -> None:
    shop = Shop()
    first = shop.sell(1)
    second = shop.sell(1, rows=False)  # the same entry again, its rows stored once
    shop.conn.execute("DELETE FROM sale_taxes")
    result = shop.check()
    assert result.entry_problems == [f"entry {second} makes sale_taxes [sale-1, A] a second time"]
    tax = {"sale_id": "sale-1", "code": "A", "label": "Sales tax", "rate": "0.0825", "base_minor": 1000,
           "tax_minor": 83}  # fmt: skip
    assert result.differences == [Difference("sale_taxes", ("sale-1", "A"), None, None, tax, first)]
    assert result.seen == {"sales": 2, "sale_lines": 2, "sale_taxes": 0, "tenders": 2}


def test_check_part_opens_the_file_read_only_in_a_transaction_of_its_own(tmp_path: Path) -> None:
    shop = Shop(tmp_path / "store.sqlite3")
    shop.sell(1)
    ref = shop.sell(2)
    shop.conn.execute("UPDATE sales SET change_minor = 0 WHERE id = 'sale-2'")
    result = check_part(str(tmp_path / "store.sqlite3"), (("T01", 1, 2),), 20_000)
    assert result.differences == [Difference("sales", ("sale-2",), "change_minor", 0, 2000, ref)]
    assert result.entries == 2 and result.rows == 8


def test_the_cycle_collector_is_off_only_while_a_part_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    during: list[bool] = []
    real = derive_sales._check_entries

    def spy(*args: Any) -> SalesResult:
        during.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(derive_sales, "_check_entries", spy)
    shop = Shop()
    shop.sell(1)
    # the suite runs with automatic collection off (tests/conftest.py, as the app's window
    # does); a command-line verify runs with it on
    gc.enable()
    try:
        shop.check()
        assert during == [False] and gc.isenabled()
        with pytest.raises(RuntimeError), derive_sales.no_cycle_collector():
            raise RuntimeError
        assert gc.isenabled()
    finally:
        gc.disable()
    shop.check()
    assert not gc.isenabled()  # left off as it was


# --------------------------------------------------------------------------- the pieces of verify


REF = EntryRef("T01", 7, "SaleCompleted", AT)


def test_a_difference_says_what_was_changed_deleted_or_inserted() -> None:
    assert Difference("tenders", ("s-1", 2), "amount_minor", 5, 500, REF).describe() == (
        "tenders [s-1, 2] amount_minor: stored 5, derived 500 from journal entry T01 #7 (SaleCompleted) "
        "(changed outside Counter)"
    )
    assert Difference("sales", ("s-1",), "cashier_name", "Eve", "Maria", None).describe() == (
        "sales [s-1] cashier_name: stored 'Eve', derived 'Maria' from no journal entry (changed outside Counter)"
    )
    assert Difference("sales", ("s-1",), None, None, {"id": "s-1"}, REF).describe() == (
        "sales [s-1]: missing (deleted outside Counter); derived from journal entry T01 #7 (SaleCompleted)"
    )
    assert Difference("sales", ("s-1",), None, {"id": "s-1"}, None, None).describe() == (
        "sales [s-1]: stored, but no journal entry makes it (inserted outside Counter)"
    )


def test_a_derivation_is_ok_only_without_differences_entry_or_approval_problems() -> None:
    assert Derivation().ok and Derivation().lines() == []
    assert not Derivation(total_differences=1).ok
    assert not Derivation(entry_problems=["x"]).ok
    assert not Derivation(approval_problems=["y"]).ok
    d = Difference("sales", ("s-1",), None, {"id": "s-1"}, None, None)
    out = Derivation(differences=[d], total_differences=3, entry_problems=["e"], approval_problems=["a"])
    assert out.lines() == [
        "derived tables: sales [s-1]: stored, but no journal entry makes it (inserted outside Counter)",
        "derived tables: 2 more differences",
        "journal: e",
        "approvals: a",
    ]
    assert Derivation(differences=[d], total_differences=1).lines() == [f"derived tables: {d.describe()}"]


def test_only_the_first_fifty_differences_are_kept_all_are_counted() -> None:
    out = Derivation()
    for n in range(52):
        derive_compare._add(out, Difference("sales", (f"s-{n}",), None, {}, None, None))
    assert out.total_differences == 52
    assert [d.key for d in out.differences] == [(f"s-{n}",) for n in range(50)]
    assert derive.MAX_REPORTED == 50


def test_row_keys_are_the_key_columns_and_an_ordinal_counts_rows_of_the_same_parent() -> None:
    spec = TableSpec("t", ("b",), ("a", "b", "c"))
    assert derive_compare._Keys(spec)(("x", "y", "z")) == ("y",)
    two = TableSpec("t", ("c", "a"), ("a", "b", "c"))
    assert derive_compare._Keys(two)(("x", "y", "z")) == ("z", "x")
    counted = derive_compare._Keys(TableSpec("t", ("a", "#"), ("a", "b")))
    assert [counted(v) for v in (("p", 1), ("q", 2), ("p", 3), ("p", 4), ("q", 5))] == [
        ("p", 1), ("q", 1), ("p", 2), ("p", 3), ("q", 2)
    ]  # fmt: skip
    both = derive_compare._Keys(TableSpec("t", ("a", "b", "#"), ("a", "b", "c")))
    assert [both(v) for v in (("p", 1, 0), ("p", 2, 0), ("p", 1, 0))] == [("p", 1, 1), ("p", 2, 1), ("p", 1, 2)]


SPEC = TableSpec("things", ("id",), ("id", "n", "doc", "flag"), json_columns=("doc",))


def test_the_fold_makes_each_row_once_and_updates_only_rows_an_entry_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(TABLES, "things", SPEC)
    fold = derive_compare._Fold(["things"])
    problems: list[str] = []
    first, later = REF, EntryRef("T01", 9, "ShiftClosed", AT)
    fold.add(Insert("things", {"id": "a", "n": 1, "doc": "{}", "flag": False}), first, problems)
    fold.add(Insert("other", {"id": "a"}), first, problems)  # not a table of this fold
    fold.add(Update("other", ("a",), {"n": 5}), first, problems)
    fold.add(Update("things", ("a",), {"n": 2, "flag": True}), later, problems)
    assert problems == []
    row = fold.rows["things"][("a",)]
    assert (row.values, row.ref, row.set_by) == (("a", 2, "{}", True), first, {"n": later, "flag": later})
    fold.add(Insert("things", {"id": "a", "n": 9, "doc": "{}", "flag": False}), later, problems)
    fold.add(Update("things", ("b",), {"n": 2}), later, problems)
    assert problems == [
        "entry T01 #9 (ShiftClosed) makes things [a] a second time",
        "entry T01 #9 (ShiftClosed) changes things [b], which no entry made",
    ]
    assert fold.rows["things"][("a",)].values == ("a", 2, "{}", True)
    assert list(fold.rows) == ["things"]


@pytest.mark.parametrize(
    ("column", "stored", "derived", "same"),
    [
        ("n", None, None, True),
        ("n", None, 0, False),
        ("n", 0, None, False),
        ("doc", '{"a": 1, "b": [1, 2]}', '{"b":[1,2],"a":1}', True),
        ("doc", '{"a": 1}', '{"a": 2}', False),
        ("doc", "{broken", "{broken", False),
        ("doc", '{"a": 1}', {"a": 1}, False),  # a derived value that is not text: compared as is
        ("n", '{"a": 1}', '{"a":1}', False),  # JSON only in a JSON column
        ("flag", 1, True, True),
        ("flag", 0, False, True),
        ("flag", 0, True, False),
        ("flag", 2, True, False),
        ("flag", "1", True, False),
        ("n", 1, 1, True),
        ("n", 1, 2, False),
        ("n", "1", 1, False),
        ("n", 1.0, 1, False),
        ("n", True, 1, False),
    ],
)
def test_a_stored_value_is_the_derived_one_only_in_kind_and_value(
    column: str, stored: Any, derived: Any, same: bool
) -> None:
    assert derive_compare._same(SPEC, column, stored, derived) is same


def derived_rows(*rows: tuple[tuple[Any, ...], EntryRef]) -> dict[tuple[Any, ...], Any]:
    return {(values[0],): derive_compare._Derived(values, ref) for values, ref in rows}


def test_compare_names_each_column_each_deleted_and_each_inserted_row() -> None:
    other = EntryRef("T02", 3, "ShiftClosed", AT)
    derived = derived_rows(
        (("a", 1, "{}", False), REF), (("b", 2, "{}", True), REF), (("c", 3, "{}", False), REF),
        (("d", UNKNOWN, "{}", False), REF), (("e", 5, "{}", False), REF),
    )  # fmt: skip
    derived[("b",)].set_by["n"] = other
    stored = [
        (("a",), ("a", 1, "{}", 0)),  # as derived, false stored as 0
        (("b",), ("b", 20, "[]", 1)),  # two columns edited; n last set by a later entry
        (("x",), ("x", 9, "{}", 0)),  # no entry makes it
        (("d",), ("d", 44, "{}", 1)),  # n not in the entry: not checked; flag edited
        (("e",), ("e", 5, "{}", 0)),
    ]
    out = Derivation()
    derive_compare._compare(SPEC, derived, iter(stored), out)
    assert out.differences == [
        Difference("things", ("b",), "n", 20, 2, other),
        Difference("things", ("b",), "doc", "[]", "{}", REF),
        Difference("things", ("x",), None, {"id": "x", "n": 9, "doc": "{}", "flag": 0}, None, None),
        Difference("things", ("d",), "flag", 1, False, REF),
        Difference("things", ("c",), None, None, {"id": "c", "n": 3, "doc": "{}", "flag": False}, REF),
    ]
    assert (out.rows, out.unchecked, out.total_differences) == (5, 1, 5)
    assert derived == {}


def test_stored_rows_are_read_in_rowid_order_with_their_keys() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a, b)")
    conn.executemany("INSERT INTO t (rowid, a, b) VALUES (?, ?, ?)", [(3, "p", 1), (1, "q", 2), (2, "p", 3)])
    spec = TableSpec("t", ("a", "#"), ("a", "b"))
    rows = list(derive_compare._stored_rows_from(conn, spec, "SELECT a, b FROM t"))
    assert rows == [(("q", 1), ("q", 2)), (("p", 1), ("p", 3)), (("p", 2), ("p", 1))]
    where = list(derive_compare._stored_rows_from(conn, spec, "SELECT a, b FROM t WHERE a = ?", ("p",)))
    assert where == [(("p", 1), ("p", 3)), (("p", 2), ("p", 1))]
    many = sqlite3.connect(":memory:")
    many.execute("CREATE TABLE t (a, b)")
    many.executemany("INSERT INTO t VALUES (?, ?)", [("k", n) for n in range(5001)])
    assert len(list(derive_compare._stored_rows_from(many, spec, "SELECT a, b FROM t"))) == 5001


@pytest.mark.parametrize(
    ("asked", "entries", "database", "cpus", "workers"),
    [
        (None, 49_999, "/s/counter.sqlite3", 4, 0),
        (None, 50_000, "/s/counter.sqlite3", 4, 4),
        (None, 50_000, "/s/counter.sqlite3", 16, 8),
        (None, 50_000, "/s/counter.sqlite3", None, 1),
        (3, 10, "/s/counter.sqlite3", 4, 3),
        (0, 10**6, "/s/counter.sqlite3", 4, 0),
        (3, 10**6, None, 4, 0),
        (3, 10**6, "", 4, 0),
        (3, 10**6, ":memory:", 4, 0),
        (3, 10**6, "file:mem?mode=memory", 4, 0),
    ],
)
def test_worker_processes_only_for_a_file_and_by_default_only_from_fifty_thousand_entries(
    monkeypatch: pytest.MonkeyPatch, asked: int | None, entries: int, database: str | None, cpus: int | None,
    workers: int,
) -> None:  # fmt: skip
    monkeypatch.setattr(derive.os, "cpu_count", lambda: cpus)
    assert derive._workers(asked, entries, database) == workers


def test_each_chain_is_cut_into_runs_and_each_part_takes_one_run_of_every_chain() -> None:
    assert derive._split([("T01", 10), ("T02", 3)], 3) == [
        (("T01", 1, 4), ("T02", 1, 1)),
        (("T01", 5, 8), ("T02", 2, 2)),
        (("T01", 9, 10), ("T02", 3, 3)),
    ]
    assert derive._split([("T01", 10), ("T02", 1)], 2) == [(("T01", 1, 5), ("T02", 1, 1)), (("T01", 6, 10),)]
    assert derive._split([("T01", 2)], 4) == [(("T01", 1, 1),), (("T01", 2, 2),)]
    assert derive._split([("T01", 7)], 1) == [(("T01", 1, 7),)]
    assert derive._split([], 2) == []


class _Future:
    def __init__(self, value: Any = None, error: Exception | None = None) -> None:
        self.value, self.error = value, error

    def result(self) -> Any:
        if self.error:
            raise self.error
        return self.value


class _Executor:
    shut = False

    def shutdown(self) -> None:
        self.shut = True


def test_a_part_whose_worker_died_is_checked_again_in_this_process() -> None:
    shop = Shop()
    for n in (1, 2, 3):
        shop.sell(n)
    parts = [(("T01", 1, 1),), (("T01", 2, 3),), (("T01", 3, 3),)]
    done = SalesResult(entries=99)
    executor = _Executor()
    futures = [_Future(done), _Future(error=BrokenProcessPool()), _Future(error=OSError())]
    out = derive._results((executor, futures), shop.conn, parts, 20_000)  # type: ignore[arg-type]
    assert out[0] is done
    assert [r.entries for r in out if r] == [99, 2, 1]
    assert executor.shut


def test_no_way_to_start_a_process_checks_the_sales_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no processes in this sandbox")

    monkeypatch.setattr(derive, "ProcessPoolExecutor", refuse)
    assert derive._start("/s/counter.sqlite3", [(("T01", 1, 1),)], 10) is None
    monkeypatch.setattr(derive, "ProcessPoolExecutor", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no")))
    assert derive._start("/s/counter.sqlite3", [(("T01", 1, 1),)], 10) is None


def test_in_this_process_every_part_is_checked_in_one_go() -> None:
    shop = Shop()
    for n in (1, 2, 3):
        shop.sell(n)
    shop.sell(4, terminal="T02")
    result = derive._in_process(shop.conn, [(("T01", 1, 2), ("T02", 1, 1)), (("T01", 3, 3),)], 20_000)
    assert result.entries == 4 and result.rows == 16


# --------------------------------------------------------------------------- who may approve


def staff_engine(users: list[tuple[str, str, str, int]], events: list[tuple[str, dict[str, Any]]]) -> Any:
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE users (id, name, role, active)")
        conn.exec_driver_sql("CREATE TABLE journal (terminal_id, seq, type, at, body)")
        for user in users:
            conn.exec_driver_sql("INSERT INTO users VALUES (?, ?, ?, ?)", user)
        for n, (type_, body) in enumerate(events, start=1):
            at = f"2026-12-01T10:00:{n:02d}.000000Z"
            text = body if isinstance(body, str) else orjson.dumps(body).decode()
            conn.exec_driver_sql("INSERT INTO journal VALUES ('T01', ?, ?, ?, ?)", (n, str(type_), at, text))
    return engine


def approval(approver: str, requester: str = "u-cash", kinds: list[str] | None = None) -> dict[str, Any]:
    return {"request_id": "r1", "kinds": kinds or ["no_receipt"], "amount": 500, "requester": requester,
            "approver": approver, "reason": "x", "approval_ids": ["a1"]}  # fmt: skip


def problems_of(history: derive._RoleHistory, *events: tuple[str, dict[str, Any]]) -> list[str]:
    out = Derivation()
    for n, (type_, body) in enumerate(events, start=1):
        history.see(type_, body, EntryRef("T01", 100 + n, type_, AT), out)
    return out.approval_problems


STAFF = [
    ("u-cash", "Maria Lopez", "cashier", 1),
    ("u-sup", "Dana Whitfield", "supervisor", 1),
    ("u-man", "Alex Morgan", "manager", 1),
    ("u-gone", "Pat Old", "supervisor", 0),
]


def test_an_approval_is_checked_against_the_approvers_role_and_standing_now() -> None:
    history = derive._RoleHistory(staff_engine(STAFF, []))
    G = EventType.APPROVAL_GRANTED
    assert problems_of(history, (G, approval("u-sup")), (G, approval("u-man"))) == []
    assert problems_of(history, (G, approval("u-cash", requester="u-sup"))) == [
        "entry T01 #101 (ApprovalGranted): Maria Lopez (cashier) could not approve this: Maria Lopez may not approve."
    ]
    assert problems_of(history, (G, approval("u-gone"))) == [
        "entry T01 #101 (ApprovalGranted): Pat Old (supervisor) could not approve this: Pat Old may not approve."
    ]
    assert problems_of(history, (G, approval("u-sup", requester="u-sup"))) == [
        "entry T01 #101 (ApprovalGranted): u-sup approved their own request"
    ]
    assert problems_of(history, (G, approval("u-nobody"))) == [
        "entry T01 #101 (ApprovalGranted): the approver u-nobody is not on the staff list"
    ]
    assert problems_of(history, (G, approval("u-sup", kinds=["free_lunch"]))) == [
        "entry T01 #101 (ApprovalGranted): the approval names kinds or a role Counter does not know"
    ]
    # a manager station's answer through HQ names its lane: checked there, not here
    assert problems_of(history, (G, approval("u-cash") | {"lane": "T09"})) == []
    assert problems_of(history, (G, {"kinds": ["no_receipt"]})) == [
        "entry T01 #101 (ApprovalGranted):  approved their own request"
    ]


def test_staff_events_in_the_journal_change_who_may_approve_from_then_on() -> None:
    G = EventType.APPROVAL_GRANTED
    history = derive._RoleHistory(staff_engine(STAFF, []))
    assert problems_of(
        history,
        (EventType.USER_ROLE_CHANGED, {"user": "u-cash", "from": "cashier", "to": "supervisor"}),
        (G, approval("u-cash", requester="u-man")),
        (EventType.USER_DEACTIVATED, {"user": "u-cash"}),
        (G, approval("u-cash", requester="u-man")),
        (EventType.USER_REACTIVATED, {"user": "u-cash"}),
        (G, approval("u-cash", requester="u-man")),
        (EventType.USER_ADDED, {"user": "u-new", "role": "manager"}),
        (G, approval("u-new")),
        (EventType.USER_ROLE_CHANGED, {"user": "u-new", "from": "manager", "to": "cashier"}),
        (G, approval("u-new")),
    ) == [
        "entry T01 #104 (ApprovalGranted): Maria Lopez (supervisor) could not approve this: "
        "Maria Lopez may not approve.",
        "entry T01 #110 (ApprovalGranted): u-new (cashier) could not approve this: u-new may not approve.",
    ]
    # a deactivated person's role change keeps them inactive; events without a text user change nobody
    assert problems_of(
        history,
        (EventType.USER_DEACTIVATED, {"user": "u-man"}),
        (EventType.USER_ROLE_CHANGED, {"user": "u-man", "from": "manager", "to": "manager"}),
        (EventType.USER_REACTIVATED, {"user": 7}),
        (EventType.USER_ADDED, {"user": "", "role": "manager"}),
        (G, approval("u-man")),
    ) == [
        "entry T01 #105 (ApprovalGranted): Alex Morgan (manager) could not approve this: Alex Morgan may not approve."
    ]
    assert "" not in history.state


def test_before_their_first_staff_event_a_person_is_what_that_event_changed_from() -> None:
    # the users table as it is now: Maria a manager, Dana inactive, Sam added later as a manager
    now = [
        ("u-cash", "Maria Lopez", "manager", 1),
        ("u-sup", "Dana Whitfield", "supervisor", 0),
        ("u-sam", "Sam Carter", "manager", 1),
        ("u-rae", "Rae Kim", "supervisor", 1),
    ]
    events = [
        (EventType.USER_ROLE_CHANGED, "{broken"),  # skipped: the events after it still count
        (EventType.USER_ROLE_CHANGED, {"user": "u-cash", "from": "cashier", "to": "manager"}),
        (EventType.USER_ROLE_CHANGED, {"user": "u-cash", "from": "supervisor", "to": "manager"}),  # not the first
        (EventType.USER_DEACTIVATED, {"user": "u-sup"}),
        (EventType.USER_REACTIVATED, {"user": "u-rae"}),
        (EventType.USER_ADDED, {"user": "u-sam", "role": "cashier"}),
        (EventType.USER_PIN_RESET, {"user": "u-sam"}),  # not a staff event of this history
        (EventType.USER_ROLE_CHANGED, "{broken"),
        (EventType.USER_ROLE_CHANGED, {"from": "admin"}),
    ]
    history = derive._RoleHistory(staff_engine(now, events))
    assert history.state == {
        "u-cash": ("cashier", True),
        "u-sup": ("supervisor", True),
        "u-sam": ("cashier", True),
        "u-rae": ("supervisor", False),
    }
    assert history.names == {"u-cash": "Maria Lopez", "u-sup": "Dana Whitfield", "u-sam": "Sam Carter",
                             "u-rae": "Rae Kim"}  # fmt: skip


def test_a_first_staff_event_without_its_old_value_keeps_the_table_or_defaults() -> None:
    now = [("u-a", "A", "manager", 0), ("u-b", "B", "supervisor", 1)]
    events = [
        (EventType.USER_ROLE_CHANGED, {"user": "u-a", "to": "cashier"}),  # no "from": the table's role
        (EventType.USER_ADDED, {"user": "u-b"}),  # no role: the table's, active
        (EventType.USER_DEACTIVATED, {"user": "u-z"}),  # nobody in the table: no role, was active
        (EventType.USER_ROLE_CHANGED, {"user": "u-w", "from": "supervisor", "to": "manager"}),  # was active
    ]
    history = derive._RoleHistory(staff_engine(now, events))
    assert history.state == {
        "u-a": ("manager", False),
        "u-b": ("supervisor", True),
        "u-z": ("", True),
        "u-w": ("supervisor", True),
    }


# --------------------------------------------------------------------------- the whole of verify


def table_rows(store_dir: Path) -> int:
    conn = sqlite3.connect(store_dir / DB_FILENAME)
    try:
        return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES)
    finally:
        conn.close()


def verify(store_dir: Path, **kwargs: Any) -> Derivation:
    db = open_database(store_dir, create=False, audit=True)
    try:
        return derive_and_compare(db.read, **kwargs)
    finally:
        db.dispose()


def test_the_demo_store_derives_every_row_it_holds(store_dir: Path) -> None:
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        entries = conn.execute("SELECT count(*) FROM journal").fetchone()[0]
    unchecked = set()
    for kwargs in ({}, {"chunk": 1}, {"chunk": 2}, {"workers": 0}):
        result = verify(store_dir, **kwargs)
        assert result.ok, result.lines()
        assert (result.entries, result.rows) == (entries, table_rows(store_dir)), kwargs
        unchecked.add(result.unchecked)
    assert len(unchecked) == 1  # the demo's older entries carry no cashier name: the same count each way


def first_sale(conn: sqlite3.Connection, terminal: str) -> tuple[str, EntryRef]:
    seq, at, body = conn.execute(
        "SELECT seq, at, body FROM journal WHERE terminal_id = ? AND type = 'SaleCompleted' ORDER BY seq LIMIT 1",
        (terminal,),
    ).fetchone()
    return orjson.loads(body)["sale_id"], EntryRef(terminal, seq, "SaleCompleted", at)


def test_rows_of_a_sale_no_entry_records_are_named_in_each_sales_table(store_dir: Path) -> None:
    with behind_the_back(store_dir) as conn:
        sale, _ = first_sale(conn, "T02")
        stored: dict[str, dict[str, Any]] = {}
        for table, column in BY_SALE.items():
            conn.row_factory = sqlite3.Row
            row = dict(conn.execute(f"SELECT * FROM {table} WHERE {column} = ? LIMIT 1", (sale,)).fetchone())
            conn.row_factory = None
            row[column] = "forged-sale"
            if table == "sales":
                row["receipt_number"] = "S01-T09-000001"
            if table == "sale_lines":
                row["id"] = "forged-line"
            conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                         tuple(row.values()))  # fmt: skip
            stored[table] = {c: row[c] for c in TABLES[table].columns}
    result = verify(store_dir)
    keys = {"sales": ("forged-sale",), "sale_lines": ("forged-line",)}
    expected = [
        Difference(t, keys.get(t) or (stored[t]["sale_id"], stored[t].get("code", stored[t].get("seq"))), None,
                   stored[t], None, None)
        for t in BY_SALE
    ]  # fmt: skip
    assert result.differences == expected
    assert result.entry_problems == [] and result.total_differences == 4


def test_a_stray_row_is_looked_for_only_in_the_tables_whose_row_count_is_off(store_dir: Path) -> None:
    # a tender moved to a sale no entry records: one tender short of its sale, one stray
    with behind_the_back(store_dir) as conn:
        sale, ref = first_sale(conn, "T01")
        conn.execute("UPDATE tenders SET sale_id = 'forged-sale' WHERE sale_id = ? AND seq = 1", (sale,))
        tender = conn.execute("SELECT * FROM tenders WHERE sale_id = 'forged-sale'").fetchone()
    result = verify(store_dir)
    columns = TABLES["tenders"].columns
    assert result.differences == [
        Difference("tenders", (sale, 1), None, None, dict(zip(columns, (sale, *tender[1:]), strict=True)), ref),
        Difference("tenders", ("forged-sale", 1), None, dict(zip(columns, tender, strict=True)), None, None),
    ]


def test_a_sale_journaled_twice_on_two_terminals_is_named_once_per_sale(store_dir: Path) -> None:
    with behind_the_back(store_dir) as conn:
        conn.row_factory = sqlite3.Row
        for terminal in ("T01", "T02"):
            entry = dict(conn.execute(
                "SELECT * FROM journal WHERE terminal_id = ? AND type = 'SaleCompleted' ORDER BY seq LIMIT 1",
                (terminal,),
            ).fetchone())  # fmt: skip
            last = conn.execute("SELECT max(seq) FROM journal WHERE terminal_id = ?", (terminal,)).fetchone()[0]
            entry.update(seq=last + 1, id="copy-" + entry["id"][5:])
            conn.execute(f"INSERT INTO journal ({', '.join(entry)}) VALUES ({', '.join('?' * len(entry))})",
                         tuple(entry.values()))  # fmt: skip
        conn.row_factory = None
        sales = [first_sale(conn, t)[0] for t in ("T01", "T02")]
    result = verify(store_dir, chunk=3)
    assert sorted(result.entry_problems) == sorted(
        f"2 journal entries record sale {s}: a sale is recorded once" for s in sales
    )
    assert result.differences == [] and not result.ok


def test_an_edit_of_a_table_outside_the_sales_names_its_entry(store_dir: Path) -> None:
    with behind_the_back(store_dir) as conn:
        shift_id, float_minor = conn.execute(
            "SELECT id, float_minor FROM shifts WHERE terminal_id = 'T02' ORDER BY rowid LIMIT 1"
        ).fetchone()
        seq, at = conn.execute(
            "SELECT seq, at FROM journal WHERE type = 'ShiftOpened' AND json_extract(body, '$.shift_id') = ?",
            (shift_id,),
        ).fetchone()
        conn.execute("UPDATE shifts SET float_minor = float_minor + 50000 WHERE id = ?", (shift_id,))
    result = verify(store_dir)
    assert result.differences == [
        Difference("shifts", (shift_id,), "float_minor", float_minor + 50000, float_minor,
                   EntryRef("T02", seq, "ShiftOpened", at))
    ]  # fmt: skip


def test_a_non_sale_entry_that_cannot_be_projected_is_named(store_dir: Path) -> None:
    with behind_the_back(store_dir) as conn:
        seq, at = conn.execute(
            "SELECT seq, at FROM journal WHERE type = 'ShiftOpened' AND terminal_id = 'T02' ORDER BY seq LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE journal SET body = '[]' WHERE terminal_id = 'T02' AND seq = ?", (seq,))
        (contact,) = conn.execute(
            "SELECT seq FROM journal WHERE type = 'ContactLogged' ORDER BY seq LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE journal SET body = '{broken' WHERE terminal_id = 'T02' AND seq = ?", (contact,))
    result = verify(store_dir)
    assert f"entry T02 #{seq} (ShiftOpened) cannot be projected: its body is not an object" in result.entry_problems
    contact_problems = [p for p in result.entry_problems if p.startswith(f"entry T02 #{contact} (ContactLogged)")]
    assert len(contact_problems) == 1 and "cannot be projected: " in contact_problems[0]


def test_a_store_credit_redemption_by_a_sale_is_compared_with_the_rest_of_the_journal(store_dir: Path) -> None:
    """Checked in worker processes: the sale's voucher movement comes back to the main
    process and is compared there."""
    with behind_the_back(store_dir) as conn:
        assert conn.execute("SELECT count(*) FROM voucher_movements").fetchone()[0] == 0
    assert verify(store_dir, workers=2, chunk=5).ok


def test_a_receipts_rows_are_checked_against_its_sealed_entry_before_a_refund(store_dir: Path) -> None:
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        sale, ref = first_sale(conn, "T01")
    db = open_database(store_dir, create=False)
    try:
        with db.write.connect() as conn:
            assert sale_differences(conn, sale) == []
        with db.read.connect() as conn:
            assert sale_differences(conn, "no-such-sale") == ["no journal entry records sale no-such-sale"]
    finally:
        db.dispose()
    with behind_the_back(store_dir) as conn:
        # a seal changed for certain (its first character flipped: 'f' when it was not, else '0')
        conn.execute("UPDATE journal SET seal = CASE WHEN substr(seal, 1, 1) = 'f' THEN '0' ELSE 'f' END "
                     "|| substr(seal, 2) WHERE terminal_id = ? AND seq = ?", (ref.terminal, ref.seq))  # fmt: skip
        conn.execute("UPDATE tenders SET tendered_minor = tendered_minor + 1 WHERE sale_id = ?", (sale,))
    db = open_database(store_dir, create=False)
    try:
        with db.write.connect() as conn:
            assert sale_differences(conn, sale) == [
                f"journal entry {ref} is not the one Counter wrote (its hash or seal does not match)",
                f"no journal entry records sale {sale}",
            ]
        with db.read.connect() as conn:  # no seal function here: the hash alone, which holds
            (changed,) = sale_differences(conn, sale)
            assert changed.startswith(f"tenders [{sale}, 1] tendered_minor: stored ")
            assert changed.endswith(f"from journal entry {ref} (changed outside Counter)")
    finally:
        db.dispose()


def test_asked_for_workers_on_a_file_the_sales_go_to_a_pool_of_that_many_parts(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[str, list[Any], int]] = []

    def start(database: str, parts: list[Any], chunk: int) -> None:
        started.append((database, parts, chunk))
        return None  # as if no process could start here: the same work in this process

    monkeypatch.setattr(derive, "_start", start)
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        heads = dict(conn.execute("SELECT terminal_id, max(seq) FROM journal GROUP BY terminal_id").fetchall())
    assert verify(store_dir, workers=1).ok and verify(store_dir, workers=0).ok
    assert started == []
    assert verify(store_dir, workers=2, chunk=9).ok
    ((database, parts, chunk),) = started
    assert (Path(database), chunk) == (store_dir / DB_FILENAME, 9)
    assert parts == derive._split(sorted(heads.items()), 2)


def test_the_workers_results_are_added_up_and_fifty_differences_kept_of_all(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each part's result (here computed in this process, as a worker would; the second
    part's worker dies and its part is checked again here) adds its entries, rows, unchecked
    values and differences; of all parts' differences the first fifty are kept. The parts
    are not checked here as well."""

    def start(database: str, parts: list[Any], chunk: int) -> Any:
        futures = [_Future(check_part(database, part, chunk)) for part in parts]
        futures[1] = _Future(error=BrokenProcessPool())
        return _Executor(), futures

    def twice(*args: Any) -> Any:
        raise AssertionError("the workers' sales checked again in this process")

    before = verify(store_dir, workers=0).unchecked  # the desk's older entries
    with behind_the_back(store_dir) as conn:  # sales journaled before the body held the cashier's name
        conn.execute("UPDATE journal SET body = json_remove(body, '$.cashier_name') WHERE type = 'SaleCompleted'")
        sales = conn.execute("SELECT count(*) FROM sales").fetchone()[0]
    whole = verify(store_dir, workers=0)
    assert whole.unchecked == before + sales  # and each sale's cashier name
    monkeypatch.setattr(derive, "_start", start)
    monkeypatch.setattr(derive, "_in_process", twice)
    with behind_the_back(store_dir) as conn:
        lines = conn.execute("SELECT count(*) FROM sale_lines").fetchone()[0]
        conn.execute("UPDATE sale_lines SET name = name || ' (forged)'")
        conn.execute("UPDATE shifts SET float_minor = float_minor + 1")
        shifts = conn.execute("SELECT count(*) FROM shifts").fetchone()[0]
    assert lines > 50
    spread = verify(store_dir, workers=3, chunk=4)
    assert (spread.entries, spread.rows, spread.unchecked) == (whole.entries, whole.rows, whole.unchecked)
    assert spread.total_differences == lines + shifts
    assert len(spread.differences) == 50
    assert {(d.table, d.column) for d in spread.differences} == {("sale_lines", "name")}
    assert spread.lines()[50] == f"derived tables: {lines + shifts - 50} more differences"


def test_an_entry_verify_does_not_project_may_hold_anything(store_dir: Path) -> None:
    with behind_the_back(store_dir) as conn:
        last = conn.execute("SELECT max(seq) FROM journal WHERE terminal_id = 'T01'").fetchone()[0]
        conn.execute(
            "INSERT INTO journal (terminal_id, seq, id, type, at, body, prev_hash, hash) "
            "VALUES ('T01', ?, 'x', 'UserPinReset', '2026-12-01T10:00:00.000000Z', '{broken', 'p', 'h')",
            (last + 1,),
        )
        entries = conn.execute("SELECT count(*) FROM journal").fetchone()[0]
    result = verify(store_dir)
    assert result.ok, result.lines()
    assert result.entries == entries


def test_a_role_change_of_someone_not_on_the_list_leaves_them_active() -> None:
    G = EventType.APPROVAL_GRANTED
    history = derive._RoleHistory(staff_engine(STAFF, []))
    problems = problems_of(
        history,
        (EventType.USER_ROLE_CHANGED, {"user": "u-x", "from": "cashier", "to": "supervisor"}),
        (G, approval("u-x")),
        (G, {k: v for k, v in approval("u-sup").items() if k != "kinds"}),  # no kinds named: none asked
        (EventType.USER_ADDED, {"user": 7, "role": "manager"}),  # not a text: adds nobody
        (G, approval("7")),
        (EventType.USER_REACTIVATED, {"user": "u-y"}),  # someone never added: no role
        (G, approval("u-y")),
    )
    assert problems == [
        "entry T01 #105 (ApprovalGranted): the approver 7 is not on the staff list",
        "entry T01 #107 (ApprovalGranted): the approval names kinds or a role Counter does not know",
    ]


def test_a_sealed_return_of_the_receipt_that_cannot_be_read_is_named(store_dir: Path) -> None:
    """An entry with a good hash and seal (written with the key) whose body verify cannot
    project: named, and the receipt's rows still compared with the sale's own entry."""
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        sale, ref = first_sale(conn, "T01")
        seq, prev = conn.execute(
            "SELECT seq, hash FROM journal WHERE terminal_id = 'T01' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    db = open_database(store_dir, create=False)
    try:
        entry = make_entry("T01", seq + 1, "broken-return", "ReturnProcessed", datetime(2026, 12, 2, tzinfo=UTC),
                           {"original_sale_id": sale, "return_id": "r-x"}, prev)  # fmt: skip
        with db.write.begin() as conn:
            conn.exec_driver_sql(_APPEND_SQL, (entry.terminal, entry.seq, entry.id, entry.type, entry.at, entry.body,
                                               entry.prev_hash, entry.hash))  # fmt: skip
            problems = sale_differences(conn, sale)
    finally:
        db.dispose()
    bad = EntryRef("T01", seq + 1, "ReturnProcessed", entry.at)
    assert len(problems) == 1
    assert problems[0].startswith(f"journal entry {bad} cannot be read: ")


def append_sealed(store_dir: Path, terminal: str, type_: str, body: dict[str, Any]) -> EntryRef:
    """An entry with a good hash and seal, written with the key on a chain of its own."""
    db = open_database(store_dir, create=False)
    try:
        with db.write.begin() as conn:
            last = conn.exec_driver_sql(
                "SELECT seq, hash FROM journal WHERE terminal_id = ? ORDER BY seq DESC LIMIT 1", (terminal,)
            ).first()
            seq, prev = (last[0] + 1, last[1]) if last else (1, "0" * 64)
            entry = make_entry(
                terminal, seq, f"e-{terminal}-{seq}", type_, datetime(2026, 12, 2, tzinfo=UTC), body, prev
            )
            values = (
                entry.terminal,
                entry.seq,
                entry.id,
                entry.type,
                entry.at,
                entry.body,
                entry.prev_hash,
                entry.hash,
            )
            conn.exec_driver_sql(_APPEND_SQL, values)
    finally:
        db.dispose()
    return EntryRef(terminal, seq, type_, entry.at)


def receipt_problems(store_dir: Path, sale: str) -> list[str]:
    db = open_database(store_dir, create=False)
    try:
        with db.write.connect() as conn:
            return sale_differences(conn, sale)
    finally:
        db.dispose()


def test_entries_of_a_receipt_before_its_sale_that_cannot_be_trusted_do_not_stop_the_check(store_dir: Path) -> None:
    """Entries are read terminal by terminal: an unreadable or forged one on T00 comes
    before the sale's own on T01; each is named and the sale's rows are still compared."""
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        sale, ref = first_sale(conn, "T01")
    broken = append_sealed(store_dir, "T00", "ReturnProcessed", {"original_sale_id": sale, "return_id": "r-x"})
    with behind_the_back(store_dir) as conn:
        conn.execute(
            "INSERT INTO journal (terminal_id, seq, id, type, at, body, prev_hash, hash, seal) "
            "VALUES ('S00', 1, 'forged', 'ReturnProcessed', ?, ?, ?, 'not-its-hash', 'x')",
            (AT, orjson.dumps({"original_sale_id": sale, "return_id": "r-y"}).decode(), "0" * 64),
        )
        conn.execute("UPDATE tenders SET tendered_minor = tendered_minor + 1 WHERE sale_id = ?", (sale,))
    forged = EntryRef("S00", 1, "ReturnProcessed", AT)
    problems = receipt_problems(store_dir, sale)
    assert problems[0] == f"journal entry {forged} is not the one Counter wrote (its hash or seal does not match)"
    assert problems[1].startswith(f"journal entry {broken} cannot be read: ")
    assert problems[2].startswith(f"tenders [{sale}, 1] tendered_minor: stored ")
    assert problems[2].endswith(f"from journal entry {ref} (changed outside Counter)")
    assert len(problems) == 3


def test_a_receipt_journaled_twice_is_named_before_a_refund(store_dir: Path) -> None:
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        sale, ref = first_sale(conn, "T01")
        (text,) = conn.execute(
            "SELECT body FROM journal WHERE terminal_id = ? AND seq = ?", (ref.terminal, ref.seq)
        ).fetchone()
    again = append_sealed(store_dir, "T03", "SaleCompleted", orjson.loads(text))
    problems = receipt_problems(store_dir, sale)
    assert f"entry {again} makes sales [{sale}] a second time" in problems


def test_the_pool_has_a_fresh_process_per_part(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spawned, not forked: a fork would copy this process's open SQLite connections."""
    made: list[dict[str, Any]] = []

    class Pool:
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)

        def submit(self, fn: Any, *args: Any) -> Any:
            return (fn, args)

    monkeypatch.setattr(derive, "ProcessPoolExecutor", Pool)
    parts = [(("T01", 1, 5),), (("T01", 6, 9),), (("T01", 10, 12),)]
    started = derive._start("/s/counter.sqlite3", parts, 7)
    assert started is not None
    pool, futures = started
    ((kwargs),) = made
    assert kwargs["max_workers"] == 3
    assert kwargs["mp_context"].get_start_method() == "spawn"
    assert futures == [(check_part, ("/s/counter.sqlite3", part, 7)) for part in parts]


def test_in_one_process_each_chain_is_read_as_one_run_so_a_line_moved_along_it_is_one_edited_column(
    store_dir: Path,
) -> None:
    """Chunks end only at the end of a run of entries read (or every 2,000): in one process
    T01's chain is one run, so a line moved from its first sale to its last shows as its
    edited columns, however small the chunk (cut in two runs, as missing and inserted)."""
    with behind_the_back(store_dir) as conn:
        first, ref = first_sale(conn, "T01")
        (last_text,) = conn.execute(
            "SELECT body FROM journal WHERE terminal_id = 'T01' AND type = 'SaleCompleted' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        last = orjson.loads(last_text)["sale_id"]
        line, line_no = conn.execute(
            "SELECT id, line_no FROM sale_lines WHERE sale_id = ? ORDER BY line_no LIMIT 1", (first,)
        ).fetchone()
        conn.execute("UPDATE sale_lines SET sale_id = ?, line_no = 99 WHERE id = ?", (last, line))
    result = verify(store_dir, chunk=1)
    assert result.differences == [
        Difference("sale_lines", (line,), "sale_id", last, first, ref),
        Difference("sale_lines", (line,), "line_no", 99, line_no, ref),
    ]


def test_an_approval_in_the_journal_is_named_by_its_entry(store_dir: Path) -> None:
    result = _journal_an_approval(store_dir, "Dana", "Sam")
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        terminal, seq, at = conn.execute(
            "SELECT terminal_id, seq, at FROM journal WHERE type = 'ApprovalGranted'"
        ).fetchone()
    assert result.approval_problems == [
        f"entry {terminal} #{seq} (ApprovalGranted): Sam Carter (cashier) could not approve this: "
        "Sam Carter may not approve."
    ]
