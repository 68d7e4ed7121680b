"""The local store on a real SQLite file: migrations, the write path, the journal."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from counter.barcodes import read_code
from counter.errors import SignInError, StoreError
from counter.journal import verify
from counter.people.staff import sign_in
from counter.people.users import UserId
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.tenders import CardDetails, Payment
from db import schema as s
from db.engine import DB_FILENAME, current_revision, head_revision, open_database
from db.queries import SqlCatalog, journal_entries, list_users, read_settings, store_config, terminal_identity
from db.uow import SqlUnitOfWork
from tests.conftest import FAST_HASHER


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def store(store_dir: Path):  # type: ignore[no-untyped-def]
    db = open_database(store_dir)
    raw = read_settings(db.read)
    cfg, terminal = store_config(raw), terminal_identity(raw)
    yield db, cfg, terminal, SqlCatalog(db.read, cfg.currency)
    db.dispose()


def count(db, table) -> int:  # type: ignore[no-untyped-def]
    with db.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_migrations_reach_head_and_match_the_schema(store) -> None:  # type: ignore[no-untyped-def]
    db = store[0]
    assert current_revision(db.write) == head_revision()
    with db.write.connect() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": s.include_object}), s.metadata
        )
    assert diffs == []


def test_pragmas_are_set(store) -> None:  # type: ignore[no-untyped-def]
    db = store[0]
    with db.write.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def _sell(db, cfg, terminal, catalog, uow_factory=None):  # type: ignore[no-untyped-def]
    cart = Cart(cfg.currency, cfg.prices_include_tax)
    for code in catalog_codes(catalog)[:3]:
        cart.add(catalog.by_code(read_code(code)))
    payment = Payment(cart.total, cfg.currency, cfg.smallest_coin)
    payment.add_card(Decimal("1.00"), CardDetails("Visa", "4242", "A1B2C3"))
    payment.add_cash(payment.cash_due + 5)
    user = next(u for u in list_users(db.read) if u.role == "cashier")
    return complete_sale(
        CompleteSale(user, cart.lines, None, payment.tenders, payment.rounding),
        uow_factory=uow_factory or (lambda: SqlUnitOfWork(db.write, terminal, cfg.currency)),
        clock=Clock(),
        store=cfg,
        terminal=terminal,
    )


def catalog_codes(catalog: SqlCatalog) -> list[str]:
    with catalog._engine.connect() as conn:  # noqa: SLF001 - test helper
        return [
            r[0][1:] for r in conn.execute(select(s.items.c.barcode).where(s.items.c.barcode.is_not(None)).limit(5))
        ]


def test_a_sale_commits_lines_tenders_and_one_journal_entry(store) -> None:  # type: ignore[no-untyped-def]
    db, cfg, terminal, catalog = store
    sales_before, journal_before = count(db, s.sales), count(db, s.journal)
    sale = _sell(db, cfg, terminal, catalog)
    assert count(db, s.sales) == sales_before + 1
    assert count(db, s.journal) == journal_before + 1
    with db.read.connect() as conn:
        lines = conn.execute(select(s.sale_lines).where(s.sale_lines.c.sale_id == sale.id)).all()
        tenders = conn.execute(select(s.tenders).where(s.tenders.c.sale_id == sale.id)).all()
    assert len(lines) == 3 and len(tenders) == 2
    assert sale.receipt_number.startswith("S01-T01-")
    entries = list(journal_entries(db.read, terminal.terminal_id))
    assert entries[-1].type == "SaleCompleted"
    assert entries[-1].body_data()["receipt_number"] == sale.receipt_number
    assert verify(entries).ok


def test_receipt_numbers_are_gap_free(store) -> None:  # type: ignore[no-untyped-def]
    db, cfg, terminal, catalog = store
    a = _sell(db, cfg, terminal, catalog)
    b = _sell(db, cfg, terminal, catalog)
    assert int(b.receipt_number.rsplit("-", 1)[1]) == int(a.receipt_number.rsplit("-", 1)[1]) + 1


class Boom(RuntimeError):
    pass


def test_a_failure_before_commit_leaves_nothing(store) -> None:  # type: ignore[no-untyped-def]
    """Inject a failure after the sale's lines are written and before the commit."""
    db, cfg, terminal, catalog = store
    before = {t.name: count(db, t) for t in (s.sales, s.sale_lines, s.tenders, s.journal, s.counters)}
    with db.read.connect() as conn:
        counter_before = conn.execute(select(s.counters.c.value)).all()

    class FailingUow(SqlUnitOfWork):
        def __enter__(self):  # type: ignore[no-untyped-def]
            uow = super().__enter__()
            real_append = uow.journal.append

            def append(*args, **kwargs):  # type: ignore[no-untyped-def]
                real_append(*args, **kwargs)  # the journal row is written too ...
                assert count_in_tx(uow) > 0  # ... and the lines are in the transaction
                raise Boom("disk pulled")

            uow.journal.append = append  # type: ignore[method-assign]
            return uow

    def count_in_tx(uow) -> int:  # type: ignore[no-untyped-def]
        return int(uow._conn.execute(select(func.count()).select_from(s.sale_lines)).scalar_one())  # noqa: SLF001

    with pytest.raises(Boom):
        _sell(db, cfg, terminal, catalog, uow_factory=lambda: FailingUow(db.write, terminal, cfg.currency))
    after = {t.name: count(db, t) for t in (s.sales, s.sale_lines, s.tenders, s.journal, s.counters)}
    assert after == before
    with db.read.connect() as conn:
        assert conn.execute(select(s.counters.c.value)).all() == counter_before
    assert verify(journal_entries(db.read, terminal.terminal_id)).ok


def test_journal_and_sales_refuse_update_and_delete(store_dir: Path) -> None:
    conn = sqlite3.connect(store_dir / DB_FILENAME)
    try:
        for sql in (
            "UPDATE journal SET body = '{}' WHERE seq = 1",
            "DELETE FROM journal WHERE seq = 1",
            "UPDATE sales SET total_minor = 1",
            "DELETE FROM sale_lines",
            "DELETE FROM tenders",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, timeout=120)


def test_journal_verify_command_names_the_first_bad_entry(store_dir: Path) -> None:
    good = run_cli("journal", "verify", "--data-dir", str(store_dir))
    assert good.returncode == 0, good.stderr
    assert "T01: OK" in good.stdout and "T02: OK" in good.stdout
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
    bad = run_cli("journal", "verify", "--data-dir", str(store_dir))
    assert bad.returncode == 1
    assert f"T01: BAD: entry {seq}:" in bad.stdout
    assert "T02: OK" in bad.stdout


def test_verify_on_a_missing_store_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("journal", "verify", "--data-dir", str(tmp_path / "nothing"))
    assert result.returncode == 1
    assert "There is no store" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_corrupt_file_is_refused_with_a_message(tmp_path: Path) -> None:
    (tmp_path / DB_FILENAME).write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    with pytest.raises(StoreError) as err:
        open_database(tmp_path)
    assert "damaged" in err.value.message


def test_catalog_lookup_by_every_gtin_form(store) -> None:  # type: ignore[no-untyped-def]
    db, cfg, terminal, catalog = store
    with db.read.connect() as conn:
        gtins = [r[0] for r in conn.execute(select(s.items.c.barcode).where(s.items.c.barcode.is_not(None)))]
    upc = next(g for g in gtins if g.startswith("00") and not g.startswith("000000"))
    item = catalog.by_code(read_code(upc[2:]))  # the 12 digits under a UPC-A symbol
    assert item is not None
    assert catalog.by_code(read_code(upc[1:])) == item  # the same as EAN-13 with a leading 0
    assert catalog.by_code(read_code("4006381333931")) is None  # valid, but not sold here


def test_search_matches_word_prefixes_and_ignores_accents(store) -> None:  # type: ignore[no-untyped-def]
    catalog = store[3]
    results = catalog.search("bat")
    assert results and all("bat" in (r.name + r.sku).lower() for r in results)
    assert len(catalog.search("a", limit=7)) <= 7
    assert catalog.search("") == []
    assert isinstance(catalog.search('"; DROP TABLE items; -- NEAR( *'), list)  # FTS syntax is neutralised
    assert catalog.count() >= 600  # and nothing was dropped
    assert catalog.count() >= 600


def test_wrong_pins_lock_the_user_and_are_journaled(store) -> None:  # type: ignore[no-untyped-def]
    db, cfg, terminal, catalog = store
    clock = Clock()
    uow = lambda: SqlUnitOfWork(db.write, terminal, cfg.currency)  # noqa: E731
    for attempt_no in range(5):
        with pytest.raises(SignInError) as err:
            sign_in(UserId("u-cashier-1"), "0000", uow_factory=uow, hasher=FAST_HASHER, clock=clock)
        if attempt_no < 4:
            assert "not right" in err.value.message
    assert "locked" in err.value.message
    with pytest.raises(SignInError, match="locked"):  # even the right PIN, while locked
        sign_in(UserId("u-cashier-1"), "1111", uow_factory=uow, hasher=FAST_HASHER, clock=clock)
    clock.moment = clock.moment.replace(hour=16)
    user = sign_in(UserId("u-cashier-1"), "1111", uow_factory=uow, hasher=FAST_HASHER, clock=clock)
    assert user.failed_attempts == 0
    types = [e.type for e in journal_entries(db.read, terminal.terminal_id)][-6:]
    assert types == ["SignInFailed"] * 5 + ["SignedIn"]
