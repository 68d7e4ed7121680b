"""Barcode look-up at the counter: ``SqlCatalog.by_code(read_code(code))`` for codes as
printed (UPC-A or EAN-13 digits) of random existing items.

Figures (3 runs of --n look-ups each, the median of the runs' percentiles):

* ``barcode_lookup_p99``: the app's path (check the code's GS1 check digit with biip, build
  the GTIN-14, one prepared indexed query on the catalog's kept look-up connection, build
  the Item); floor: the same indexed SELECT with raw sqlite3 on the GTIN-14;
* ``barcode_lookup_p99_vs_floor``: the ratio (target 3x);
* ``barcode_lookup_p50`` and the parts: ``read_code`` alone and ``by_code`` alone.

After the warm-up the script freezes the objects made so far out of the garbage
collector's generations (``gc.freeze()``), as ``ui.main_window.run_app`` does once the
window is up.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    app_context,
    emit,
    ms,
    note,
    parser,
    printed_code,
    random_rowids,
    raw_connect,
    require_dataset,
    runs_percentile,
    time_each,
)

RAW_SQL = (
    "SELECT i.id, i.sku, i.barcode, i.name, i.category_id, i.price_minor, i.active, t.code, t.label, t.rate "
    "FROM items i JOIN tax_classes t ON t.code = i.tax_code WHERE i.barcode = ?"
)


def main() -> int:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=10_000, help="look-ups per run")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    require_dataset(args.data_dir)

    from counter.barcodes import read_code

    ctx = app_context(args.data_dir)
    raw = raw_connect(args.data_dir)
    rowids = random_rowids(raw, "items", args.n * 2, args.seed)
    gtins: list[str] = []
    for start in range(0, len(rowids), 500):
        chunk = rowids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        gtins += [
            r[0]
            for r in raw.execute(f"SELECT barcode FROM items WHERE rowid IN ({marks}) AND barcode IS NOT NULL", chunk)
        ]
    gtins = gtins[: args.n]
    printed = [printed_code(g) for g in gtins]
    catalog = ctx.catalog
    items = catalog.count()
    note(f"barcode_lookup: {items:,} items, {len(printed):,} codes per run, {args.runs} runs")

    def app(code: str) -> None:
        if catalog.by_code(read_code(code)) is None:
            raise AssertionError(f"{code} not found")

    def floor(gtin: str) -> None:
        if raw.execute(RAW_SQL, (gtin,)).fetchone() is None:
            raise AssertionError(f"{gtin} not found")

    scanned = [read_code(c) for c in printed]
    for c, g in zip(printed[:500], gtins[:500], strict=True):  # warm-up: caches, pool, index pages
        app(c)
        floor(g)
    gc.freeze()  # as the app does after start-up (ui/main_window.py)

    app_runs, floor_runs, parse_runs, query_runs = [], [], [], []
    for _ in range(args.runs):
        app_runs.append(ms(time_each(app, printed)))
        floor_runs.append(ms(time_each(floor, gtins)))
        parse_runs.append(ms(time_each(read_code, printed)))
        query_runs.append(ms(time_each(catalog.by_code, scanned)))

    p99 = runs_percentile(app_runs, 99)
    f99 = runs_percentile(floor_runs, 99)
    emit("barcode_lookup_p99", p99, "ms", 1.0, f99)
    emit("barcode_lookup_p99_vs_floor", p99 / f99, "x", 3.0)
    emit("barcode_lookup_p50", runs_percentile(app_runs, 50), "ms", None, runs_percentile(floor_runs, 50))
    emit("barcode_lookup_read_code_p99", runs_percentile(parse_runs, 99), "ms")
    emit("barcode_lookup_by_code_p99", runs_percentile(query_runs, 99), "ms", None, f99)
    ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
