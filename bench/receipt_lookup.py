"""Finding a past sale among ten million sale lines.

* ``receipt_by_number_p95``: ``db.queries.sale_by_number`` (the sale, its lines, taxes and
  tenders, as the returns screen loads a receipt) for random receipt numbers over the
  whole history; floor: the same four indexed SELECTs with raw sqlite3. Target 20 ms.
* ``receipt_by_date_amount_p95``: the sales of one day with one exact total (a customer
  without the receipt who knows when and how much), through ``db.queries.find_sales``
  (day_from, day_to, amount) where the tree has it; floor: one raw SELECT on
  ``sales`` with the same conditions. Same 20 ms bound, as it is the same task.
* ``receipt_find_30d_amount_p95`` and ``receipt_find_30d_card_p95``: the returns screen's
  "Find a sale" dialog as it calls ``find_sales``: the last 30 days with an exact total, or
  with a card's last 4 digits; floors: the same SQL with raw sqlite3.
* ``lowest_recent_price_p95`` and ``_p50``: ``db.queries.lowest_recent_price`` (a no-receipt
  return scans an item: the lowest price it sold for in the last 90 days) over --n-price
  items: the --n-popular items sold most often in the last 50,000 lines (a best seller has
  ~12,000 lines in 90 days at 10M lines) and items of random lines of the last 90 days (so
  weighted as sales are); floor: the same SQL with raw sqlite3 (one range of the index
  (item_id, completed_at, amount_minor, quantity), migration 0017). Target 20 ms.
  ``lowest_recent_price_join_floor_p50``: the SQL before 0017 (every line's sale looked up
  for its time), on the popular items only, for comparison.

3 runs each (except the last), median of the runs' percentiles. The query plans are printed to stderr.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    app_context,
    emit,
    median,
    ms,
    note,
    parser,
    random_rowids,
    raw_connect,
    require_dataset,
    runs_percentile,
    time_each,
)

RAW_BY_NUMBER = (
    "SELECT * FROM sales WHERE receipt_number = ?",
    "SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no",
    "SELECT * FROM sale_taxes WHERE sale_id = ? ORDER BY code",
    "SELECT * FROM tenders WHERE sale_id = ? ORDER BY seq",
)
RAW_DATE_AMOUNT = (
    "SELECT id, receipt_number, completed_at, total_minor FROM sales "
    "WHERE completed_at >= ? AND completed_at < ? AND total_minor = ? ORDER BY completed_at DESC LIMIT 50"
)
RAW_SINCE_AMOUNT = (
    "SELECT id, receipt_number, completed_at, total_minor FROM sales "
    "WHERE completed_at >= ? AND total_minor = ? ORDER BY completed_at DESC LIMIT 50"
)
RAW_SINCE_CARD = (
    "SELECT id, receipt_number, completed_at, total_minor FROM sales WHERE completed_at >= ? "
    "AND id IN (SELECT sale_id FROM tenders WHERE card_last4 = ?) ORDER BY completed_at DESC LIMIT 50"
)
RAW_LOWEST = "SELECT min(amount_minor / (quantity + 0.0)) FROM sale_lines WHERE item_id = ? AND completed_at >= ?"
#: before migration 0017: the time of every line from its sale
RAW_LOWEST_JOIN = (
    "SELECT min(sale_lines.amount_minor / (sale_lines.quantity + 0.0)) FROM sale_lines "
    "JOIN sales ON sales.id = sale_lines.sale_id WHERE sale_lines.item_id = ? AND sales.completed_at >= ?"
)


def stamp(moment: datetime) -> str:
    from counter.journal import utc_stamp

    return utc_stamp(moment)


def plan(raw: Any, sql: str, params: tuple[Any, ...]) -> str:
    return "; ".join(r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + sql, params))


def main() -> int:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=500, help="look-ups per run (by number)")
    p.add_argument("--n-find", type=int, default=60, help="searches per run (date and amount, card)")
    p.add_argument("--n-price", type=int, default=300, help="lowest_recent_price calls per run")
    p.add_argument("--n-popular", type=int, default=20, help="of them, the items sold most often")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    require_dataset(args.data_dir)

    import db.queries as q

    ctx = app_context(args.data_dir)
    raw = raw_connect(args.data_dir)
    currency = ctx.store.currency
    zone = ctx.store.zone
    rng = random.Random(args.seed)
    total_sales = raw.execute("SELECT count(*) FROM sales").fetchone()[0]
    lines = raw.execute("SELECT max(rowid) FROM sale_lines").fetchone()[0]
    note(f"receipt_lookup: {total_sales:,} sales, ~{lines:,} sale lines")

    def sample(n: int) -> list[tuple[str, str, int, str]]:
        rowids = random_rowids(raw, "sales", n, rng.randrange(1 << 30))
        marks = ",".join("?" * len(rowids))
        return list(
            raw.execute(
                f"SELECT receipt_number, completed_at, total_minor, id FROM sales WHERE rowid IN ({marks})", rowids
            )
        )

    picked = sample(args.n * args.runs)
    numbers = [r[0] for r in picked]

    def app_by_number(number: str) -> None:
        if q.sale_by_number(ctx.db.read, number) is None:
            raise AssertionError(number)

    def raw_by_number(number: str) -> None:
        sale = raw.execute(RAW_BY_NUMBER[0], (number,)).fetchone()
        for sql in RAW_BY_NUMBER[1:]:
            raw.execute(sql, (sale[0],)).fetchall()

    for n in numbers[:20]:
        app_by_number(n)
    app_runs, floor_runs = [], []
    for run in range(args.runs):
        chunk = numbers[run * args.n : (run + 1) * args.n]
        app_runs.append(ms(time_each(app_by_number, chunk)))
        floor_runs.append(ms(time_each(raw_by_number, chunk)))
    emit("receipt_by_number_p95", runs_percentile(app_runs, 95), "ms", 20.0, runs_percentile(floor_runs, 95))
    emit("receipt_by_number_p50", runs_percentile(app_runs, 50), "ms", None, runs_percentile(floor_runs, 50))
    note("plan by number: " + plan(raw, RAW_BY_NUMBER[0], (numbers[0],)))

    find_sales = getattr(q, "find_sales", None)

    # One day and an exact total (the local day of a random past sale).
    def day_bounds(completed_at: str) -> tuple[datetime, datetime]:
        local = datetime.strptime(completed_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).astimezone(zone)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)

    cases = [(day_bounds(c), t) for _, c, t, _ in sample(args.n_find * args.runs)]

    def app_date_amount(case: tuple[tuple[datetime, datetime], int]) -> None:
        (start, end), total = case
        assert find_sales is not None
        if not find_sales(ctx.db.read, currency, day_from=start, day_to=end, amount=currency.from_minor(total)):
            raise AssertionError(case)

    def raw_date_amount(case: tuple[tuple[datetime, datetime], int]) -> None:
        (start, end), total = case
        if not raw.execute(RAW_DATE_AMOUNT, (stamp(start), stamp(end), total)).fetchall():
            raise AssertionError(case)

    app_runs, floor_runs = [], []
    for run in range(args.runs):
        chunk = cases[run * args.n_find : (run + 1) * args.n_find]
        if find_sales is not None:
            app_runs.append(ms(time_each(app_date_amount, chunk)))
        floor_runs.append(ms(time_each(raw_date_amount, chunk)))
    f95 = runs_percentile(floor_runs, 95)
    (s0, e0), t0 = cases[0]
    note("plan date+amount: " + plan(raw, RAW_DATE_AMOUNT, (stamp(s0), stamp(e0), t0)))
    if app_runs:
        emit("receipt_by_date_amount_p95", runs_percentile(app_runs, 95), "ms", 20.0, f95)
    else:
        emit("receipt_by_date_amount_raw_p95", f95, "ms", 20.0)

    # The "Find a sale" dialog of the returns screen: the last 30 days.
    now = datetime.now(zone)
    since = now - timedelta(days=30)
    recent = list(
        raw.execute(
            "SELECT s.total_minor, t.card_last4 FROM sales s JOIN tenders t ON t.sale_id = s.id "
            "WHERE s.completed_at >= ? ORDER BY random() LIMIT ?",
            (stamp(since), args.n_find * args.runs),
        )
    )
    if find_sales is not None and recent:
        totals = [r[0] for r in recent]
        cards = [r[1] for r in recent if r[1]] or ["0000"]

        def app_amount(total: int) -> None:
            find_sales(ctx.db.read, currency, day_from=since, amount=currency.from_minor(total))

        def raw_amount(total: int) -> None:
            raw.execute(RAW_SINCE_AMOUNT, (stamp(since), total)).fetchall()

        def app_card(last4: str) -> None:
            find_sales(ctx.db.read, currency, day_from=since, card_last4=last4)

        def raw_card(last4: str) -> None:
            raw.execute(RAW_SINCE_CARD, (stamp(since), last4)).fetchall()

        for name, app_fn, raw_fn, values, n in (
            ("receipt_find_30d_amount_p95", app_amount, raw_amount, totals, args.n_find),
            ("receipt_find_30d_card_p95", app_card, raw_card, cards, max(4, args.n_find // 12)),
        ):
            a_runs, f_runs = [], []
            for run in range(args.runs):
                chunk = [values[(run * n + i) % len(values)] for i in range(n)]
                a_runs.append(ms(time_each(app_fn, chunk)))
                f_runs.append(ms(time_each(raw_fn, chunk)))
            emit(name, runs_percentile(a_runs, 95), "ms", 20.0, runs_percentile(f_runs, 95))
        note("plan 30 days + amount: " + plan(raw, RAW_SINCE_AMOUNT, (stamp(since), totals[0])))
        note("plan 30 days + card: " + plan(raw, RAW_SINCE_CARD, (stamp(since), cards[0])))

    lowest = getattr(q, "lowest_recent_price", None)
    if lowest is not None:
        lowest_price(args, raw, ctx, lowest, lines, rng)
    ctx.close()
    return 0


def lowest_price(args: Any, raw: Any, ctx: Any, lowest: Any, lines: int, rng: random.Random) -> None:
    from counter.barcodes import CodeKind, ScannedCode

    now_utc = datetime.now(UTC)
    since = stamp(now_utc - timedelta(days=90))
    popular = [
        r[0]
        for r in raw.execute(
            "SELECT item_id FROM sale_lines WHERE rowid > ? GROUP BY item_id ORDER BY count(*) DESC LIMIT ?",
            (lines - 50_000, args.n_popular),
        )
    ]
    # random lines of the last 90 days (rowids grow with time, as lines are appended)
    first = raw.execute("SELECT min(rowid) FROM sale_lines WHERE completed_at >= ?", (since,)).fetchone()[0]
    picked = list(popular)
    while len(picked) < args.n_price and first is not None:
        rowids = [rng.randrange(first, lines + 1) for _ in range(args.n_price)]
        marks = ",".join("?" * len(rowids))
        found = [r[0] for r in raw.execute(f"SELECT item_id FROM sale_lines WHERE rowid IN ({marks})", rowids)]
        picked += [i for i in found if i not in picked][: args.n_price - len(picked)]
    items = []
    for item_id in picked:
        sku = raw.execute("SELECT sku FROM items WHERE id = ?", (item_id,)).fetchone()[0]
        items.append(ctx.catalog.by_code(ScannedCode(CodeKind.SKU, sku, sku)))
    counts = [
        raw.execute("SELECT count(*) FROM sale_lines WHERE item_id = ? AND completed_at >= ?", (i, since)).fetchone()[0]
        for i in popular[:3]
    ]
    note(f"lowest price: {len(items)} items, the best sellers' lines in 90 days: {counts}")

    def app_lowest(item: Any) -> None:
        price = lowest(ctx.db.read, item, 90, now_utc, ctx.store.currency)
        assert isinstance(price, Decimal)

    def raw_lowest(item: Any) -> None:
        raw.execute(RAW_LOWEST, (item.id, since)).fetchone()

    for item in items[:20]:
        app_lowest(item)
    app_runs, floor_runs = [], []
    for _run in range(args.runs):
        rng.shuffle(items)
        app_runs.append(ms(time_each(app_lowest, items)))
        floor_runs.append(ms(time_each(raw_lowest, items)))
    emit("lowest_recent_price_p95", runs_percentile(app_runs, 95), "ms", 20.0, runs_percentile(floor_runs, 95))
    emit("lowest_recent_price_p50", runs_percentile(app_runs, 50), "ms", None, runs_percentile(floor_runs, 50))
    worst = max(zip(app_runs[-1], items, strict=True), key=lambda pair: pair[0])
    note(f"lowest price: slowest {worst[0]:.1f} ms ({worst[1].id})")
    note("plan lowest price: " + plan(raw, RAW_LOWEST, (popular[0] if popular else "", since)))
    join = ms(time_each(lambda i: raw.execute(RAW_LOWEST_JOIN, (i, since)).fetchone(), popular))
    emit("lowest_recent_price_join_floor_p50", median(join), "ms")


if __name__ == "__main__":
    sys.exit(main())
