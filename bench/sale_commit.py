"""Recording a sale: ``counter.sales.checkout.complete_sale`` of a 10-line cart paid with two
tenders (cash in part, the rest by card), i.e. pricing again, the receipt number, the sale,
its lines, taxes and tenders and the SaleCompleted journal entry in one ``BEGIN IMMEDIATE``
transaction committed with ``synchronous=FULL`` (WAL), on the store's write engine.

The floor, interleaved with it (one app sale, then one raw one): the same rows and a
journal row with a valid hash, written with raw sqlite3 (WAL, synchronous=FULL): begin
immediate, read the last journal entry and the receipt counter, update the counter,
insert, hash, insert the journal row, insert what is due after the sale (the receipt
document and the drawer opening the app's outbox holds, issue #15, as the app wrote them
for its sale: since #22 the floor writes them too, so that both sides write the same
rows), commit. ``sale_commit_fsync_only`` is a transaction
that changes one row (a ``bench.fsync_probe`` settings row) and commits: the disk's share.

Checkpoints: the write engine never checkpoints inside a commit (``wal_autocheckpoint=0``);
the app's checkpointer copies the WAL into the file once the store has been quiet for a
moment, i.e. between two customers (db/engine.py, Checkpointer). Here that moment is after
each sale/floor/probe triple (``--checkpoint-every 1``), untimed, on the same thread; its
own duration is ``sale_commit_idle_checkpoint_p50``/``_p99``. The raw connection of the
floor gets ``wal_autocheckpoint=0`` too, so that neither side pays for a checkpoint.

After the warm-up the objects made so far are frozen out of the garbage collector's
generations (``gc.freeze()``), as ``ui.main_window.run_app`` does once the window is up.

Both write into terminal T01 of the benchmark store (the chain stays valid), so every run
adds 2 x runs x --n sales to it.
"""

from __future__ import annotations

import gc
import hashlib
import random
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    app_context,
    emit,
    journal_insert_sql,
    note,
    parser,
    random_rowids,
    raw_connect,
    require_dataset,
    runs_percentile,
)

#: stands for the receipt number in the floor's body until the number is taken; plain ASCII,
#: so the canonical JSON holds it as it is (a NUL was escaped there, the replace missed it,
#: and the floor's sales kept a body whose receipt differed from their row: `journal
#: verify` named all of them)
PLACEHOLDER = "@@RECEIPT-NUMBER@@"


def main() -> int:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=200, help="sales per run (and as many raw ones)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--lines", type=int, default=10)
    p.add_argument(
        "--checkpoint-every", type=int, default=1, help="sales between the idle checkpoints (0: none, the WAL grows)"
    )
    args = p.parse_args()
    require_dataset(args.data_dir)

    from counter.barcodes import CodeKind, ScannedCode
    from counter.catalog import Item
    from counter.journal import canonical, utc_stamp
    from counter.sales.cart import Cart
    from counter.sales.checkout import CompleteSale, complete_sale
    from counter.sales.sale import Sale
    from counter.sales.tenders import CardDetails, Payment
    from db.queries import list_users

    ctx = app_context(args.data_dir)
    raw = raw_connect(args.data_dir)
    raw.execute("PRAGMA wal_autocheckpoint=0")  # as the app's write engine
    ctx.db.checkpointer.stop()  # the idle checkpoint runs here, between sales, timed apart
    store, terminal, catalog, clock = ctx.store, ctx.terminal, ctx.catalog, ctx.clock
    tid = terminal.terminal_id
    cashier = next(u for u in list_users(ctx.db.read) if u.id == "u-cashier-1")
    uow_factory = ctx.uow
    rng = random.Random(args.seed)

    rowids = random_rowids(raw, "items", args.n * args.runs * args.lines * 2, args.seed)
    marks_of = lambda k: ",".join("?" * k)  # noqa: E731
    skus: list[str] = []
    for start in range(0, len(rowids), 500):
        chunk = rowids[start : start + 500]
        skus += [
            r[0]
            for r in raw.execute(f"SELECT sku FROM items WHERE active AND rowid IN ({marks_of(len(chunk))})", chunk)
        ]
    items: list[Item] = []
    for sku in skus:
        item = catalog.by_code(ScannedCode(CodeKind.SKU, sku, sku))
        assert item is not None
        items.append(item)

    def make_cart() -> CompleteSale:
        cart = Cart(store.currency, store.prices_include_tax)
        for item in rng.sample(items, args.lines):
            cart.add(item, rng.choice((1, 1, 1, 2, 3)))
        total = cart.total
        payment = Payment(total, store.currency, store.smallest_coin)
        payment.add_cash(Decimal(int(total) // 2 or 1), part_payment=True)
        payment.add_card(payment.remaining, CardDetails.checked("Visa", f"{rng.randrange(10000):04d}", "A1B2C3"))
        assert payment.is_complete and len(payment.tenders) == 2
        return CompleteSale(cashier, list(cart.lines), None, list(payment.tenders), payment.rounding)

    def app(cmd: CompleteSale) -> Sale:
        return complete_sale(cmd, uow_factory=uow_factory, clock=clock, store=store, terminal=terminal)

    def floor_rows(sale: Sale) -> dict[str, Any]:
        """The rows SqlSales.add and SqlJournal.append write for ``sale``, with fresh ids."""
        import uuid

        m = sale.currency.to_minor
        sale_id = str(uuid.uuid4())
        line_ids = [str(uuid.uuid4()) for _ in sale.lines]
        body = sale.journal_body()
        body["sale_id"] = sale_id
        body["receipt_number"] = PLACEHOLDER
        for entry, line_id in zip(body["lines"], line_ids, strict=True):
            entry["line_id"] = line_id
        return {
            "sale": [sale_id, None, sale.store_id, sale.terminal_id, sale.cashier_id, sale.cashier_name, None,
                     sale.currency.code, sale.prices_include_tax, m(sale.subtotal), m(sale.discount_total),
                     m(sale.tax_total), m(sale.total), m(sale.rounding), m(sale.change)],
            "lines": [
                (lid, sale_id, ln.line_no, ln.item_id, ln.sku, ln.name, ln.quantity, m(ln.unit_price),
                 m(ln.line_discount), m(ln.order_discount), m(ln.amount), m(ln.tax), m(ln.gross), ln.tax_code,
                 str(ln.tax_rate))
                for lid, ln in zip(line_ids, sale.lines, strict=True)
            ],
            "taxes": [(sale_id, t.tax.code, t.tax.label, str(t.tax.rate), m(t.base), m(t.amount)) for t in sale.taxes],
            "tenders": [
                (sale_id, n, str(t.kind), m(t.amount), m(t.tendered), t.card.brand if t.card else None,
                 t.card.last4 if t.card else None, t.card.approval_code if t.card else None)
                for n, t in enumerate(sale.tenders, start=1)
            ],
            "body": canonical(body).decode("utf-8"),
            "journal_id": str(uuid.uuid4()),
            # what is due after the sale (the receipt to print, the drawer to open), as the
            # app wrote it in the sale's transaction (db/outbox.py), for this sale's number
            "outbox": [
                (str(uuid.uuid4()), due, document.replace(sale.receipt_number, PLACEHOLDER))
                for due, document in raw.execute(
                    "SELECT due, document FROM outbox WHERE reference = ?", (sale.receipt_number,)
                )
            ],
        }  # fmt: skip

    def floor(rows: dict[str, Any]) -> float:
        t0 = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        seq, prev = raw.execute(
            "SELECT seq, hash FROM journal WHERE terminal_id = ? ORDER BY seq DESC LIMIT 1", (tid,)
        ).fetchone()
        n = raw.execute("SELECT value FROM counters WHERE terminal_id = ? AND name = 'receipt'", (tid,)).fetchone()[0]
        raw.execute("UPDATE counters SET value = ? WHERE terminal_id = ? AND name = 'receipt'", (n + 1, tid))
        receipt = terminal.receipt_number(n + 1)
        at = utc_stamp(datetime.now(UTC))
        sale = rows["sale"]
        sale[1], sale[6] = receipt, at
        raw.execute(
            "INSERT INTO sales (id, receipt_number, store_id, terminal_id, cashier_id, cashier_name, completed_at, "
            "currency, prices_include_tax, subtotal_minor, discount_minor, tax_minor, total_minor, rounding_minor, "
            "change_minor) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            sale,
        )
        raw.executemany(
            "INSERT INTO sale_lines (id, sale_id, line_no, item_id, sku, name, quantity, unit_price_minor, "
            "line_discount_minor, order_discount_minor, amount_minor, tax_minor, gross_minor, tax_code, tax_rate, "
            "completed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*line, at) for line in rows["lines"]],  # each line with its sale's time (migration 0017)
        )
        raw.executemany(
            "INSERT INTO sale_taxes (sale_id, code, label, rate, base_minor, tax_minor) VALUES (?,?,?,?,?,?)",
            rows["taxes"],
        )
        raw.executemany(
            "INSERT INTO tenders (sale_id, seq, kind, amount_minor, tendered_minor, card_brand, card_last4, "
            "approval_code) VALUES (?,?,?,?,?,?,?,?)",
            rows["tenders"],
        )
        body = rows["body"].replace(PLACEHOLDER, receipt)
        env = (
            f'{{"at":"{at}","body":{body},"id":"{rows["journal_id"]}","seq":{seq + 1},'
            f'"terminal":"{tid}","type":"SaleCompleted"}}'
        )
        digest = hashlib.sha256(prev.encode("ascii") + b"\n" + env.encode("utf-8")).hexdigest()
        raw.execute(journal_sql, (tid, seq + 1, rows["journal_id"], "SaleCompleted", at, body, prev, digest))
        raw.executemany(
            "INSERT INTO outbox (id, due, reference, document, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?)",
            [(i, due, receipt, document.replace(PLACEHOLDER, receipt), at) for i, due, document in rows["outbox"]],
        )
        raw.execute("COMMIT")
        return time.perf_counter() - t0

    journal_sql = journal_insert_sql(raw)  # sealed (HMAC in a SQL function) where the store seals its journal
    probe = [0]

    def fsync_only() -> float:
        """One changed row committed: the WAL append and its fsync. (SQLite skips writing a
        row whose content is unchanged, so the value must change.)"""
        probe[0] += 1
        t0 = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('bench.fsync_probe', ?)", (str(probe[0]),))
        raw.execute("COMMIT")
        return time.perf_counter() - t0

    note(f"sale_commit: {args.runs} runs of {args.n} app sales + {args.n} raw ones, {args.lines} lines, 2 tenders")
    for _ in range(5):  # warm-up
        app(make_cart())
    gc.freeze()  # as the app does once its window is up (ui/main_window.py)
    app_runs: list[list[float]] = []
    floor_runs: list[list[float]] = []
    fsync_runs: list[list[float]] = []
    checkpoints: list[float] = []
    for _ in range(args.runs):
        carts = [make_cart() for _ in range(args.n)]
        a, f, s = [], [], []
        for n, cmd in enumerate(carts, start=1):
            quiet = bool(args.checkpoint_every) and n % args.checkpoint_every == 0
            t0 = time.perf_counter()
            sale = app(cmd)
            a.append((time.perf_counter() - t0) * 1000)
            rows = floor_rows(sale)
            if quiet:  # the floor starts from the same quiet moment as the app's sale (see above)
                ctx.db.checkpointer.checkpoint()
            f.append(floor(rows) * 1000)
            s.append(fsync_only() * 1000)
            if quiet:  # the quiet moment between customers, before the next app sale
                t0 = time.perf_counter()
                ctx.db.checkpointer.checkpoint()
                checkpoints.append((time.perf_counter() - t0) * 1000)
        app_runs.append(a)
        floor_runs.append(f)
        fsync_runs.append(s)
    # The raw rows must chain like the app's: check the hash of the last entry written.
    row = raw.execute(
        "SELECT terminal_id, seq, id, type, at, body, prev_hash, hash FROM journal "
        "WHERE terminal_id = ? ORDER BY seq DESC LIMIT 1",
        (tid,),
    ).fetchone()
    from counter.journal import JournalEntry

    entry = JournalEntry(*row)
    assert entry.computed_hash() == entry.hash, "the raw floor wrote a journal row with a wrong hash"

    p99 = runs_percentile(app_runs, 99)
    f99 = runs_percentile(floor_runs, 99)
    emit("sale_commit_p99", p99, "ms", 10.0, f99)
    emit("sale_commit_p99_vs_floor", p99 / f99, "x", 2.0)  # issue #22
    emit("sale_commit_p50", runs_percentile(app_runs, 50), "ms", None, runs_percentile(floor_runs, 50))
    emit("sale_commit_fsync_only_p99", runs_percentile(fsync_runs, 99), "ms")
    emit("sale_commit_fsync_only_p50", runs_percentile(fsync_runs, 50), "ms")
    if checkpoints:
        emit("sale_commit_idle_checkpoint_p50", runs_percentile([checkpoints], 50), "ms")
        emit("sale_commit_idle_checkpoint_p99", runs_percentile([checkpoints], 99), "ms")
    ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
