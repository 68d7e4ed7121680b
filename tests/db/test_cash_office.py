"""The cash office on a real store: expected cash, blind close, X/Z reports, grand totals."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from counter.cash.shifts import (
    CashRules,
    Count,
    MovementKind,
    ShiftError,
    close_shift,
    open_shift,
    record_movement,
    recount_shift,
    take_z_report,
    x_report,
)
from counter.journal import verify
from counter.returns.model import ProcessReturn, ReturnError, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from db import schema as s
from db.demo import FLOAT, count_for
from db.queries import journal_entries
from tests.db.support import TestStore


def expected(shop: TestStore) -> Decimal:
    with shop.uow() as uow:
        return uow.shifts.expected_cash(uow.shifts.current("T01"))


def close(shop: TestStore, count: Count, note: str = "", user: str = "Maria"):  # type: ignore[no-untyped-def]
    return close_shift(
        shop.user(user),
        count,
        note,
        uow_factory=shop.uow,
        clock=shop.clock,
        terminal_id="T01",
        currency=shop.cfg.currency,
        rules=CashRules(),
    )


def move(shop: TestStore, kind: MovementKind, amount: Decimal, user: str = "Dana") -> Decimal:
    return record_movement(
        shop.user(user),
        kind,
        amount,
        "test",
        uow_factory=shop.uow,
        clock=shop.clock,
        terminal_id="T01",
        currency=shop.cfg.currency,
    )


def z(shop: TestStore, user: str = "Dana"):  # type: ignore[no-untyped-def]
    return take_z_report(
        shop.user(user),
        uow_factory=shop.uow,
        clock=shop.clock,
        terminal_id="T01",
        currency=shop.cfg.currency,
        zone=shop.cfg.zone,
    )


def cash_return(shop: TestStore, sale, qty: int = 1):  # type: ignore[no-untyped-def]
    return process_return(
        ProcessReturn(
            str(uuid.uuid4()),
            shop.user("Maria"),
            (ReturnLineRequest(qty, Reason.CHANGED_MIND, Condition.NEW, sale.lines[0].id),),
            RefundMethod.ORIGINAL,
            original_receipt=sale.receipt_number,
        ),
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
        rules=shop.rules,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_expected_cash_is_the_sum_of_the_cash_events_of_a_random_day(shop: TestStore, seed: int) -> None:
    rng = random.Random(seed)
    items = [shop.item_in(c, n) for c in ("apparel", "home-kitchen", "toys-games") for n in range(5)]
    cash_in = Decimal(0)
    sales = []
    for _ in range(25):
        step = rng.random()
        shop.clock.advance(minutes=3)
        if step < 0.5 or not sales:
            sale = shop.sell([(rng.choice(items), rng.randint(1, 3))], card=Decimal(rng.choice([0, 5, 1e6])) or None)
            sales.append(sale)
        elif step < 0.7:
            sale = rng.choice(sales)
            with contextlib.suppress(ReturnError):  # nothing left to return on that line: fine
                cash_return(shop, sale)
        elif step < 0.85:
            move(shop, MovementKind.PAID_IN, Decimal(rng.randint(1, 50)))
        else:
            amount = min(Decimal(rng.randint(1, 40)), expected(shop))
            if amount > 0:
                move(shop, rng.choice([MovementKind.PAID_OUT, MovementKind.CASH_DROP]), amount)
    # independent sum over the journal of this shift
    with shop.uow() as uow:
        shift = uow.shifts.current("T01")
    started = False
    for e in journal_entries(shop.db.read, "T01"):
        body = e.body_data()
        if e.type == "ShiftOpened" and body["shift_id"] == shift.id:
            cash_in = shop.cfg.currency.from_minor(body["float"])
            started = True
        elif not started:
            continue
        elif e.type == "SaleCompleted":
            cash_in += sum(shop.cfg.currency.from_minor(t["amount"]) for t in body["tenders"] if t["kind"] == "cash")
        elif e.type == "ReturnProcessed":
            cash_in -= sum(shop.cfg.currency.from_minor(p["amount"]) for p in body["refunds"] if p["kind"] == "cash")
        elif e.type == "CashMoved":
            sign = 1 if body["kind"] == "paid_in" else -1
            cash_in += sign * shop.cfg.currency.from_minor(body["amount"])
    assert expected(shop) == cash_in


def test_blind_close_records_over_short_and_wants_a_note_beyond_tolerance(shop: TestStore) -> None:
    shop.sell([(shop.item_in("apparel"), 2)])
    should = expected(shop)
    with pytest.raises(ShiftError, match="does not match"):
        close(shop, count_for(should - Decimal("10.00"), shop.cfg.currency))
    result = close(shop, count_for(should - Decimal("10.00"), shop.cfg.currency), note="gave wrong change?")
    assert result.over_short == Decimal("-10.00")
    body = list(journal_entries(shop.db.read, "T01"))[-1].body_data()
    assert body["over_short"] == -1000 and body["note"] == "gave wrong change?"
    # a closed shift can never be edited; a recount is a new record
    conn = sqlite3.connect(shop.db.path)
    with pytest.raises(sqlite3.IntegrityError, match="closed shift"):
        conn.execute("UPDATE shifts SET counted_minor = 0 WHERE closed_at IS NOT NULL")
    conn.close()
    recount = recount_shift(
        shop.user("Dana"),
        result.shift.id,
        count_for(should, shop.cfg.currency),
        "found $10 under the tray",
        uow_factory=shop.uow,
        clock=shop.clock,
        currency=shop.cfg.currency,
    )
    assert recount.over_short == 0
    report = z(shop)
    (line,) = [sl for sl in report.shifts if sl.shift_id == result.shift.id]
    assert line.over_short == 0 and line.recounted


def test_selling_needs_an_open_shift_and_a_drawer_has_one(shop: TestStore) -> None:
    close(shop, count_for(expected(shop), shop.cfg.currency))
    with pytest.raises(ShiftError, match="No shift is open"):
        shop.sell([(shop.item_in("apparel"), 1)])
    open_shift(
        shop.user("Sam"), FLOAT, uow_factory=shop.uow, clock=shop.clock, terminal_id="T01", currency=shop.cfg.currency
    )
    with pytest.raises(ShiftError, match="already open"):
        open_shift(
            shop.user("Maria"),
            FLOAT,
            uow_factory=shop.uow,
            clock=shop.clock,
            terminal_id="T01",
            currency=shop.cfg.currency,
        )
    conn = sqlite3.connect(shop.db.path)  # the database refuses it even behind Counter's back
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO shifts (id, terminal_id, opened_by, opened_at, float_minor, float_count) "
            "VALUES ('x', 'T01', 'u-admin', '2026', 0, '{}')"
        )
    conn.close()


def test_bad_counts_and_movements_are_refused(shop: TestStore) -> None:
    with pytest.raises(ShiftError, match="negative"):
        Count.of(shop.cfg.currency, {Decimal(20): -1})
    with pytest.raises(ShiftError, match="not a USD note"):
        Count.of(shop.cfg.currency, {Decimal(3): 1})
    before = expected(shop)
    with pytest.raises(ShiftError, match="cannot come out"):
        move(shop, MovementKind.PAID_OUT, before + 1)
    with pytest.raises(ShiftError, match="may not take cash out"):
        move(shop, MovementKind.PAID_OUT, Decimal(1), user="Maria")
    with pytest.raises(ShiftError, match="still open"):
        close_shift(
            shop.user("Maria"),
            FLOAT,
            "",
            uow_factory=shop.uow,
            clock=shop.clock,
            terminal_id="T01",
            currency=shop.cfg.currency,
            rules=CashRules(),
            has_suspended_sale=True,
        )
    assert expected(shop) == before


def test_z_totals_equal_the_tables_and_grand_totals_continue(shop: TestStore) -> None:
    with shop.uow() as uow:
        _, _, grand_before, _ = uow.shifts.last_z("T01")
    sales = [
        shop.sell([(shop.item_in("apparel", n), 1 + n % 2)], card=Decimal("1e6") if n % 2 else None) for n in range(6)
    ]
    cash_return(shop, sales[0])
    x = None
    with shop.db.read.connect(), shop.uow() as uow:
        x = x_report(uow, "T01", shop.cfg.currency, shop.cfg.zone)
    assert x.sales.count == 6
    close(shop, count_for(expected(shop), shop.cfg.currency))
    report = z(shop)
    with shop.db.read.connect() as conn:
        since = conn.execute(select(s.shifts.c.opened_at).order_by(s.shifts.c.opened_at.desc()).limit(1)).scalar_one()
        sales_sum = conn.execute(
            select(func.sum(s.sales.c.total_minor)).where(
                s.sales.c.terminal_id == "T01", s.sales.c.completed_at >= since
            )
        ).scalar_one()
        refund_sum = conn.execute(
            select(func.sum(s.returns.c.refund_minor)).where(
                s.returns.c.terminal_id == "T01", s.returns.c.completed_at >= since
            )
        ).scalar_one()
    assert shop.cfg.currency.to_minor(report.sales.amount) == sales_sum
    assert shop.cfg.currency.to_minor(report.returns.amount) == refund_sum
    assert sum(t.amount for t in report.tenders_in.values()) == report.sales.amount
    assert report.grand_after.sales == grand_before.sales + report.sales.amount
    # the next day continues from there
    open_shift(
        shop.user("Sam"), FLOAT, uow_factory=shop.uow, clock=shop.clock, terminal_id="T01", currency=shop.cfg.currency
    )
    more = shop.sell([(shop.item_in("apparel"), 1)])
    close(shop, count_for(expected(shop), shop.cfg.currency), user="Sam")
    second = z(shop)
    assert second.number == report.number + 1
    assert second.grand_after.sales == report.grand_after.sales + more.total
    assert verify(journal_entries(shop.db.read, "T01")).ok
    with pytest.raises(ShiftError, match="Nothing has happened"):
        z(shop)
