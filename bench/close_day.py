"""Closing a day of 5,000 sales: the blind close plus the Z report (target ≤ 2 s).

    .venv/bin/python bench/close_day.py [--sales 5000] [--runs 3]

Builds a throwaway demo store, rings up N sales in today's shift through the real write
path (CompleteSale: one SQLite transaction and one journal entry each), then times the
close of the shift and the Z report, which sums the day from the journal. Each run uses a
fresh copy of the store. Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from counter.cash.shifts import CashRules, close_shift, take_z_report  # noqa: E402
from counter.people.users import PinHasher  # noqa: E402
from counter.sales.cart import Cart  # noqa: E402
from counter.sales.checkout import CompleteSale, complete_sale  # noqa: E402
from counter.sales.tenders import CardDetails, Payment  # noqa: E402
from db.demo import build_demo, count_for  # noqa: E402
from db.engine import DB_FILENAME, open_database  # noqa: E402
from db.queries import SqlCatalog, list_users, read_settings, store_config, terminal_identity  # noqa: E402
from db.uow import SqlUnitOfWork  # noqa: E402


class Clock:
    def now(self):  # type: ignore[no-untyped-def]
        from datetime import UTC, datetime

        return datetime.now(UTC)


def ring_up(folder: Path, n: int) -> None:
    db = open_database(folder)
    raw = read_settings(db.read)
    store, terminal = store_config(raw), terminal_identity(raw)
    users = list_users(db.read)
    cashier = next(u for u in users if u.role == "cashier")
    catalog = SqlCatalog(db.read, store.currency)
    items = catalog.search("a", limit=200) + catalog.search("e", limit=200)
    rng = random.Random(5)
    clock = Clock()
    for _ in range(n):
        cart = Cart(store.currency, store.prices_include_tax)
        for _ in range(rng.randint(1, 4)):
            cart.add(rng.choice(items))
        pay = Payment(cart.total, store.currency, store.smallest_coin)
        if rng.random() < 0.5:
            pay.add_card(cart.total, CardDetails("Visa", "4242", "AB1234"))
        else:
            pay.add_cash(pay.cash_due)
        complete_sale(
            CompleteSale(cashier, cart.lines, None, pay.tenders, pay.rounding),
            uow_factory=lambda: SqlUnitOfWork(db.write, terminal, store.currency),
            clock=clock,
            store=store,
            terminal=terminal,
        )
    db.dispose()


def close_day(folder: Path) -> float:
    db = open_database(folder)
    raw = read_settings(db.read)
    store, terminal = store_config(raw), terminal_identity(raw)
    users = {u.name.split()[0]: u for u in list_users(db.read)}
    uow = lambda: SqlUnitOfWork(db.write, terminal, store.currency)  # noqa: E731
    with uow() as u:
        expected = u.shifts.expected_cash(u.shifts.current("T01"))
    count = count_for(expected, store.currency)
    start = time.perf_counter()
    close_shift(
        users["Maria"],
        count,
        "",
        uow_factory=uow,
        clock=Clock(),
        terminal_id="T01",
        currency=store.currency,
        rules=CashRules(),
    )
    report = take_z_report(
        users["Dana"], uow_factory=uow, clock=Clock(), terminal_id="T01", currency=store.currency, zone=store.zone
    )
    elapsed = time.perf_counter() - start
    assert report.sales.count >= 1
    db.dispose()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, help="ignored: this benchmark builds its own throwaway store")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        build_demo(base, days=1, sales_per_day=(1, 2), hasher=PinHasher(time_cost=1, memory_cost=1024)).dispose()
        t0 = time.perf_counter()
        ring_up(base, args.sales)
        ring_seconds = time.perf_counter() - t0
        times = []
        for run in range(args.runs):
            copy = Path(tmp) / f"run{run}"
            copy.mkdir()
            shutil.copy2(base / DB_FILENAME, copy / DB_FILENAME)
            times.append(close_day(copy))
    print(
        json.dumps(
            {
                "name": "close_day_5000_sales",
                "value": round(statistics.median(times), 3),
                "unit": "s",
                "target": 2.0,
                "floor": None,
                "sales": args.sales,
                "runs": args.runs,
            }
        )
    )
    print(
        json.dumps(
            {
                "name": "sale_commit_mean_while_ringing",
                "value": round(ring_seconds / args.sales * 1000, 3),
                "unit": "ms",
                "target": 10.0,
                "floor": None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
