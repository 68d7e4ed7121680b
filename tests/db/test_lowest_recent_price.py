"""The lowest recent price of a no-receipt return read from the sale lines alone (each line
carries its sale's ``completed_at``, migration 0017): the same answer as the query before it,
which took every line's time from its sale; written by the sale write path, checked by
``journal verify``, and put on (and taken off) an existing store by the migration."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import Connection, create_engine, func, select

from cli.journal import verify_report
from counter.journal import utc_stamp
from counter.projection import EntryRef
from counter.projection.sales import sale_ops
from db import projector, schema as s
from db.engine import DB_FILENAME, open_database
from db.keys import load_secret
from db.queries import lowest_recent_price
from db.returns import SqlReturns, lowest_unit_amount_query
from tests.db.support import TestStore
from tests.db.upgrade_support import columns_of, fill, migrate, snapshot, store_at

T0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
ITEMS = ("item-a", "item-b", "item-c")


def before_0017(item_id: str, since: datetime) -> Any:
    """The query as it was before migration 0017: each line's time is its sale's."""
    line = s.sale_lines.c
    return (
        select(func.min(line.amount_minor / line.quantity))
        .join(s.sales, s.sales.c.id == line.sale_id)
        .where(line.item_id == item_id, s.sales.c.completed_at >= utc_stamp(since))
    )


@pytest.fixture(scope="module")
def memory() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    s.metadata.create_all(engine)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def body(sale_id: str, lines: list[tuple[str, int, int]]) -> dict[str, Any]:
    """A SaleCompleted body with these (item, quantity, amount) lines (the other figures
    are not read by the price query)."""
    return {
        "sale_id": sale_id,
        "receipt_number": sale_id,
        "store": "S01",
        "cashier": "u-1",
        "cashier_name": "Maria Lopez",
        "currency": "USD",
        "prices_include_tax": False,
        "rounding": 0,
        "taxes": [],
        "tenders": [],
        "lines": [
            {
                "line_id": f"{sale_id}:{n}",
                "item_id": item,
                "sku": item,
                "name": item,
                "qty": qty,
                "unit_price": amount,
                "amount": amount,
                "gross": amount,
                "line_discount": 0,
                "order_discount": 0,
                "tax": 0,
                "tax_code": "N",
                "tax_rate": "0",
            }
            for n, (item, qty, amount) in enumerate(lines, start=1)
        ],
    }


line_st = st.tuples(
    st.sampled_from(ITEMS),
    st.integers(1, 7),
    st.one_of(st.integers(-5_000, 50_000), st.integers(-(2**40), 2**40)),
)
sale_st = st.tuples(st.integers(0, 400), st.integers(0, 999_999), st.lists(line_st, min_size=1, max_size=4))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sales=st.lists(sale_st, max_size=25), probes=st.lists(st.tuples(st.integers(-1, 25), st.integers(-2, 2))))
def test_the_lowest_unit_amount_is_the_one_the_join_with_the_sales_gave(
    memory: Connection, sales: list[tuple[int, int, list[tuple[str, int, int]]]], probes: list[tuple[int, int]]
) -> None:
    """Random sales written by the write path's own projection and insert code; for every
    item and many moments, among them the very time of a sale (the boundary counts) and a
    microsecond either side, the new query gives the same value (the minimum of true
    quotients) and the same whole number as the join, and that number is the lowest
    quotient truncated towards zero as SQLite divides whole numbers."""
    tx = memory.begin()
    try:
        times = []
        for n, (minutes, micros, lines) in enumerate(sales):
            at = T0 + timedelta(minutes=minutes, microseconds=micros)
            times.append(at)
            ref = EntryRef("T01", n + 1, "SaleCompleted", utc_stamp(at))
            projector.apply(memory, sale_ops(body(f"sale-{n}", lines), ref))
        moments = [T0 - timedelta(days=1)]
        for i, shift in probes:
            if 0 <= i < len(times):
                moments.append(times[i] + timedelta(microseconds=shift))
        returns = SqlReturns(memory)
        for item in ITEMS:
            for since in moments:
                new = memory.execute(lowest_unit_amount_query(item, since)).scalar()
                assert new == memory.execute(before_0017(item, since)).scalar()
                got = returns.lowest_unit_amount(item, since)
                whole = [
                    memory.exec_driver_sql("SELECT ? / ?", (amount, qty)).scalar()
                    for (minutes, micros, lines), at in zip(sales, times, strict=True)
                    if at >= since
                    for it, qty, amount in lines
                    if it == item
                ]
                assert got == (min(whole) if whole else None)
    finally:
        tx.rollback()


def test_a_line_carries_its_sales_time_from_the_write_path_and_is_found_by_it(shop: TestStore) -> None:
    item = shop.item_in("toys-games", 3)
    cur = shop.cfg.currency
    shop.clock.moment = datetime(2026, 11, 20, 16, 30, 15, 250_000, tzinfo=UTC)
    sale = shop.sell([(item, 2), (shop.item_in("home-kitchen"), 1)])
    with shop.db.read.connect() as conn:
        rows = conn.execute(
            select(s.sale_lines.c.completed_at, s.sales.c.completed_at)
            .join(s.sales, s.sales.c.id == s.sale_lines.c.sale_id)
            .where(s.sales.c.id == sale.id)
        ).all()
        empty = conn.execute(select(func.count()).where(s.sale_lines.c.completed_at == "")).scalar_one()
    assert len(rows) == 2 and all(line == "2026-11-20T16:30:15.250000Z" == of_sale for line, of_sale in rows)
    assert empty == 0  # the demo's own sales, written by the same path, carry theirs too
    at = shop.clock.moment
    # the boundary: a sale at the very moment the window starts is in it; a microsecond later it is not
    with shop.db.read.connect() as conn:
        assert SqlReturns(conn).lowest_unit_amount(item.id, at) == cur.to_minor(sale.lines[0].amount) // 2
        assert SqlReturns(conn).lowest_unit_amount(item.id, at + timedelta(microseconds=1)) is None
        assert SqlReturns(conn).lowest_unit_amount(item.id, at - timedelta(days=1)) is not None
    assert lowest_recent_price(shop.db.read, item, 0, at, cur) == item.price  # sold at the shelf price
    ok, lines = verify_report(shop.db)
    assert ok, lines


def test_a_lines_time_edited_in_the_file_is_found_by_verify(shop: TestStore, store_dir: Path) -> None:
    item = shop.item_in("toys-games", 4)
    shop.sell([(item, 1)])
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        (trigger,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'sale_lines_no_update'").fetchone()
        conn.execute("DROP TRIGGER sale_lines_no_update")
        # moved into the window of a later no-receipt return: a cheap old sale made recent
        conn.execute("UPDATE sale_lines SET completed_at = '2099-01-01T00:00:00.000000Z' WHERE item_id = ?", (item.id,))
        conn.execute(trigger)  # and the protection put back, so only the records tell
    conn.close()
    ok, lines = verify_report(shop.db)
    assert not ok
    assert any("sale_lines" in line and "completed_at" in line for line in lines), lines
    assert not any("protections" in line for line in lines), lines


def test_the_migration_fills_every_lines_time_and_goes_back(demo_template: Path, tmp_path: Path) -> None:
    """A store at 0016 with a real store's records: 0017 gives every line its sale's time
    and the covering index in place of (item_id); the answer of the price query is the one
    of the query before; the downgrade leaves the 0016 store as it was, and up again."""

    secret = load_secret()
    folder = tmp_path / "store"
    path = store_at(folder, "0016", secret)
    fill(path, demo_template / DB_FILENAME, secret)
    with sqlite3.connect(path) as conn:
        tables = columns_of(conn)
    conn.close()
    assert "completed_at" not in tables["sale_lines"]
    before = snapshot(path, tables)
    assert len(before["sale_lines"]) > 20

    def indexes(conn: sqlite3.Connection) -> set[str]:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}

    for _round in range(2):
        migrate(path, "0017", secret)
        with sqlite3.connect(path) as conn:
            pairs = conn.execute(
                "SELECT l.completed_at, s.completed_at FROM sale_lines l JOIN sales s ON s.id = l.sale_id"
            ).fetchall()
            assert len(pairs) == len(before["sale_lines"]) and all(a == b for a, b in pairs)
            assert "ix_sale_lines_item_time_amount" in indexes(conn) and "ix_sale_lines_item_id" not in indexes(conn)
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute("UPDATE sale_lines SET completed_at = ''")  # the protection is back
            items = [r[0] for r in conn.execute("SELECT DISTINCT item_id FROM sale_lines")]
            since = conn.execute("SELECT completed_at FROM sales ORDER BY completed_at LIMIT 1 OFFSET 5").fetchone()[0]
            query = (
                "SELECT min(amount_minor / (quantity + 0.0)) FROM sale_lines WHERE item_id = ? AND completed_at >= ?"
            )
            old = (
                "SELECT min(l.amount_minor / (l.quantity + 0.0)) FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
                "WHERE l.item_id = ? AND s.completed_at >= ?"
            )
            for item in items:
                assert conn.execute(query, (item, since)).fetchone() == conn.execute(old, (item, since)).fetchone()
            plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + query, (items[0], since)))
            assert "COVERING INDEX ix_sale_lines_item_time_amount" in plan, plan
        conn.close()
        db = open_database(folder, create=False)
        try:
            ok, lines = verify_report(db)
        finally:
            db.dispose()
        assert ok, lines

        migrate(path, "0016", secret, up=False)
        with sqlite3.connect(path) as conn:
            assert columns_of(conn)["sale_lines"] == tables["sale_lines"]
            assert "ix_sale_lines_item_id" in indexes(conn) and "ix_sale_lines_item_time_amount" not in indexes(conn)
        conn.close()
        assert snapshot(path, tables) == before
