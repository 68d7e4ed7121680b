"""Make a store at the scale of the issue "Performance at store scale".

    python bench/generate.py [--data-dir /tmp/bench-store] [--items 1000000] [--lines 10000000]

Builds, in ``--data-dir``:

* the demo store's settings, staff and tax classes (``db.demo.build_demo(dir, days=1)``,
  i.e. the real migrations and write path, dated just before the history starts);
* ``--items`` items in all (the demo's 724 plus generated ones): "<Brand> [<Line>]
  <demo product variant>", e.g. "Copperfield Pro Nonstick Frying Pan, 10 in", each with a
  unique SKU and a unique valid GTIN (check digits from biip), prices and tax classes as
  in the demo categories, 2 % of them inactive;
* ``--lines`` sale lines over ``--days`` days (two terminals, store hours 9:00-20:00
  America/Chicago, weekly and seasonal variation, ~4 lines per sale), with their sales,
  sale_taxes, tenders and one ``SaleCompleted`` journal entry per sale; each terminal-day
  as the app records it: SignedIn, ShiftOpened with the demo float, the sales, a blind
  close (ShiftClosed, expected cash as ``SqlShifts.expected_cash`` sums it), the Z report
  computed by ``counter.cash.reports.build_report`` (ZReportTaken and a ``z_reports`` row), and
  SignedOut. Entries are made by ``counter.journal.make_entry`` and chained per terminal;
  where the store seals its journal (migration 0006) the seal is written with the app's
  sealing functions, so the append trigger checks every entry;
* ``--today-sales`` sales so far today, in open shifts on both terminals.

This is test data, not the write path: rows go in with raw ``sqlite3`` ``executemany`` in
large transactions with ``synchronous=OFF`` and a rollback journal. Amounts are computed
with integer arithmetic that follows ``counter.sales.pricing`` (checked against
``price_lines`` on a sample while generating).

Two worker processes (one per terminal, so each hash chain is built in order) make the
rows and the parent inserts them. Progress is committed with the data (a ``bench.dataset``
row in ``settings`` and ``bench-dataset.json``), so an interrupted run resumes where it
stopped; a complete dataset of the requested size is left alone.

Differences from data made by the app, on purpose:

* ids of generated sales, lines and journal entries are time-ordered UUIDs (RFC 9562
  version 7 layout, random tail) instead of ``uuid4``: inserting ten million random keys
  into three indexes is ~3x slower and grows worse with size. Indexes built in key order
  are packed fuller than ones built from random keys, which makes later random inserts
  (the sale_commit benchmark) split pages a little more often than in a real store;
* the FTS index is filled by one ``rebuild`` after the item load rather than row by row
  through the triggers (same content, fewer and larger segments).
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import random
import shutil
import sqlite3
import sys
import time
from array import array
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    DB_FILENAME,
    DEFAULT_DATA_DIR,
    MANIFEST,
    install_sealing,
    journal_insert_sql,
    migration_fingerprint,
    parser,
)  # noqa: E402
from biip.checksums import gs1_standard_check_digit  # noqa: E402

from counter.cash.reports import GrandTotals, build_report  # noqa: E402
from counter.catalog import TaxClass  # noqa: E402
from counter.journal import GENESIS, JournalEntry, make_entry  # noqa: E402
from counter.money import Currency  # noqa: E402
from counter.sales.pricing import Discount, LineInput, price_lines  # noqa: E402
from counter.sales.tenders import CARD_BRANDS  # noqa: E402
from counter.store import TerminalIdentity  # noqa: E402

SETTINGS_KEY = "bench.dataset"
VERSION = 3  # bump when the rows made change: a store made by another version is rebuilt
STORE_ID = "S01"
TERMINALS = ("T01", "T02")
TERMINAL_SHARE = {"T01": 0.55, "T02": 0.45}
ZONE = ZoneInfo("America/Chicago")
OPEN_HOUR, CLOSE_HOUR = 9, 20
#: Who sells (the demo's two cashiers) and who takes the Z report (the demo's supervisor).
STAFF = (("u-cashier-1", "Maria Lopez"), ("u-cashier-2", "Sam Carter"))
Z_TAKER = "u-supervisor"
FLOAT_MINOR = 20000  # db.demo.FLOAT, $200
TAX = {"A": ("Sales tax 8.25%", "0.0825", 825), "B": ("Food 2.25%", "0.0225", 225), "N": ("Non-taxable", "0", 0)}
#: Lines per sale and how often (mean ~4.0); the plan then nudges counts to hit --lines exactly.
LINE_COUNTS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20)
LINE_WEIGHTS = (24, 19, 14, 10, 8, 6, 5, 4, 4, 3, 2, 1)
BRAND_HEADS = (
    "North", "Blue", "Copper", "Harbor", "Maple", "Stone", "River", "Oak", "Silver", "Cedar",
    "Summit", "Prairie", "Golden", "Red", "Iron", "Pine", "Lake", "Sun", "Meadow", "Bright",
)  # fmt: skip
BRAND_TAILS = ("field", "line", "leaf", "crest", "wood", "brook", "point", "ridge", "craft", "works", "mark", "haven")
TIERS = (("", 1.0), ("Classic", 1.0), ("Pro", 1.3), ("Essentials", 0.9), ("Premium", 1.5), ("Eco", 1.1), ("Value", 0.8))
EAN_PREFIXES = ("400", "401", "405", "409", "500", "501", "539", "300", "301", "690", "693", "800", "840", "871", "560")
CHUNK_DAYS = 8  # days per transaction in the history phase


def migrations_still_match(recorded: dict[str, str] | None) -> bool:
    """True if every migration the store was built with is unchanged (new ones are fine:
    the app applies them when it opens the store)."""
    if recorded is None:
        return False
    now = migration_fingerprint()
    return all(now.get(name) == digest for name, digest in recorded.items())


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# --------------------------------------------------------------------------- the plan
@dataclass
class Plan:
    """Everything about the dataset's shape, derived from the arguments and the seed alone
    (so a resumed run makes exactly the rows an uninterrupted one would have made)."""

    items: int
    lines: int
    days: int
    today_sales: int
    seed: int
    first_day: date  # first day of history (local date)
    last_day: date  # last day of history (yesterday when the run began)

    def key(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "items": self.items,
            "lines": self.lines,
            "days": self.days,
            "today_sales": self.today_sales,
            "seed": self.seed,
        }

    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]

    def schedule(self) -> dict[str, tuple[array[int], array[int]]]:
        """Per terminal: sales per day, and the line count of each sale in order."""
        rng = random.Random(f"{self.seed}-plan")
        days = self.day_list()
        mean = sum(c * w for c, w in zip(LINE_COUNTS, LINE_WEIGHTS, strict=True)) / sum(LINE_WEIGHTS)
        weekday = (0.9, 0.85, 0.9, 1.0, 1.15, 1.4, 0.8)
        weights = []
        for n, d in enumerate(days):
            growth = 0.85 + 0.3 * n / max(1, len(days) - 1)
            season = 1.45 if (d.month == 12 and d.day < 25) else (1.15 if d.month == 11 else 1.0)
            weights.append(weekday[d.weekday()] * growth * season * rng.uniform(0.9, 1.1))
        total_sales = self.lines / mean
        scale = total_sales / sum(weights)
        per_day = {t: array("I") for t in TERMINALS}
        for w in weights:
            n = max(1, round(w * scale))
            first = round(n * TERMINAL_SHARE["T01"])
            per_day["T01"].append(first)
            per_day["T02"].append(n - first)
        counts = {t: array("B", rng.choices(LINE_COUNTS, LINE_WEIGHTS, k=sum(per_day[t]))) for t in TERMINALS}
        # Nudge line counts so that the history holds exactly --lines lines.
        diff = self.lines - sum(sum(c) for c in counts.values())
        pools = [counts[t] for t in TERMINALS]
        while diff:
            pool = pools[rng.randrange(2)]
            i = rng.randrange(len(pool))
            if diff > 0 and pool[i] < 30:
                pool[i] += 1
                diff -= 1
            elif diff < 0 and pool[i] > 1:
                pool[i] -= 1
                diff += 1
        return {t: (per_day[t], counts[t]) for t in TERMINALS}


# ------------------------------------------------------------------------- the items
@dataclass
class Catalog:
    """The items, as parallel lists (index = position in the catalog)."""

    ids: list[str]
    skus: list[str]
    names: list[str]
    prices: array[int]
    taxes: list[str]

    def __len__(self) -> int:
        return len(self.ids)


def _brands(rng: random.Random) -> list[tuple[str, str]]:
    """(brand name, barcode head) pairs. The head is a GS1 company prefix: 6-digit UPC
    (GTIN-12) for most brands, or a GS1 country prefix + 4-digit company for EAN-13."""
    names = [h + t for h in BRAND_HEADS for t in BRAND_TAILS]
    rng.shuffle(names)
    heads: set[str] = set()
    out = []
    for name in names:
        while True:
            if rng.random() < 0.7:
                first = rng.choice("0678")
                if first == "0":
                    first += rng.choice("136789")
                head = first + "".join(rng.choice("0123456789") for _ in range(6 - len(first)))
            else:
                head = rng.choice(EAN_PREFIXES) + f"{rng.randrange(10000):04d}"
            if head not in heads:
                heads.add(head)
                break
        out.append((name.capitalize(), head))
    return out


def _variants() -> list[tuple[str, str, int, str]]:
    """(category, name, price in cents, tax code) of every demo product variant that has a barcode."""
    import csv

    from resources.demo.make_catalog import CATEGORIES_CSV, PRODUCTS, _variants as variants_of

    with CATEGORIES_CSV.open(newline="", encoding="utf-8") as fh:
        default_tax = {row["id"]: row["tax_code"] for row in csv.DictReader(fh)}
    out = []
    seen = set()
    for category, products in PRODUCTS.items():
        for product in products:
            if product.code == "none":  # services are sold by SKU and exist once, in the demo
                continue
            for name, price in variants_of(product):
                if name not in seen:
                    seen.add(name)
                    out.append((category, name, int(price * 100), product.tax or default_tax[category]))
    return out


def item_rows(plan: Plan, existing: int, taken_barcodes: set[str]) -> list[tuple[Any, ...]]:
    """Rows for the generated items (plan.items minus the ones already in the demo)."""
    from resources.demo.make_catalog import SKU_PREFIX

    rng = random.Random(f"{plan.seed}-items")
    variants = _variants()
    brands = _brands(rng)
    brand_factor = [rng.uniform(0.85, 1.25) for _ in brands]
    n_gen = plan.items - existing
    combos = len(variants) * len(TIERS) * len(brands)
    if n_gen > combos:
        raise SystemExit(f"at most {combos + existing} distinct items can be made")
    picked = sorted(rng.sample(range(combos), n_gen))  # brand-major: a supplier's catalog at a time
    sku_no = dict.fromkeys(SKU_PREFIX, 100000)
    next_ref: dict[int, int] = {}
    rows = []
    for n, combo in enumerate(picked, start=1):
        b, rest = divmod(combo, len(variants) * len(TIERS))
        t, v = divmod(rest, len(variants))
        category, vname, base_price, tax = variants[v]
        brand, head = brands[b]
        tier, tier_factor = TIERS[t]
        name = f"{brand} {tier} {vname}" if tier else f"{brand} {vname}"
        price = max(99, round(base_price * tier_factor * brand_factor[b]) // 10 * 10 + 9)
        # Consecutive item references per brand; skip any that collide with demo barcodes.
        ref_len = 11 - len(head) if len(head) == 6 else 12 - len(head)
        while True:
            ref = next_ref.get(b, 0)
            next_ref[b] = ref + 1
            if ref >= 10**ref_len:
                raise SystemExit(f"brand {brand} ran out of item references")
            payload = head + f"{ref:0{ref_len}d}"
            code = payload + str(gs1_standard_check_digit(payload))
            gtin14 = code.zfill(14)
            if gtin14 not in taken_barcodes:
                break
        sku_no[category] += 1
        rows.append(
            (
                f"itm-{n:07d}",
                f"{SKU_PREFIX[category]}-{sku_no[category]:07d}",
                gtin14,
                name,
                category,
                price,
                tax,
                0 if rng.random() < 0.02 else 1,
            )
        )
    return rows


def load_catalog(conn: sqlite3.Connection) -> Catalog:
    ids, skus, names, taxes = [], [], [], []
    prices = array("i")
    for row in conn.execute("SELECT id, sku, name, price_minor, tax_code FROM items ORDER BY rowid"):
        ids.append(row[0])
        skus.append(row[1])
        names.append(row[2])
        prices.append(row[3])
        taxes.append(row[4])
    return Catalog(ids, skus, names, prices, taxes)


# ------------------------------------------------------------------------- the sales
def _uuid7(rng: random.Random, ms: int, seq: int) -> str:
    """A time-ordered UUID (RFC 9562 version 7 layout): 48-bit ms time, 12 bits of seq, random tail."""
    tail = rng.getrandbits(62)
    return (
        f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7{seq & 0xFFF:03x}-"
        f"{0x8000 | ((tail >> 48) & 0x3FFF):04x}-{tail & 0xFFFFFFFFFFFF:012x}"
    )


def _allocate(total: int, weights: list[int]) -> list[int]:
    """counter.money.allocate in integer minor units (largest remainder, earliest on ties):
    both are exact in integers, so equal remainders are equal in both."""
    n = len(weights)
    wsum = sum(weights)
    if wsum == 0:
        weights, wsum = [1] * n, n
    floors = [total * w // wsum for w in weights]
    left = total - sum(floors)
    if left:
        for i in sorted(range(n), key=lambda i: (-(total * weights[i] % wsum), i))[:left]:
            floors[i] += 1
    return floors


@dataclass
class Chain:
    """Where a terminal's records stand: journal seq and hash, receipt counter, the last Z
    report (number, grand totals) and the journal entries since it (the next Z's period)."""

    seq: int
    prev_hash: str
    receipt_no: int
    z_number: int = 0
    grand_sales: int = 0
    grand_returns: int = 0
    since_z: list[JournalEntry] | None = None


@dataclass
class Rows:
    sales: list[tuple[Any, ...]]
    lines: list[tuple[Any, ...]]
    taxes: list[tuple[Any, ...]]
    tenders: list[tuple[Any, ...]]
    journal: list[tuple[Any, ...]]
    shifts: list[tuple[Any, ...]]
    zreports: list[tuple[Any, ...]]

    @classmethod
    def empty(cls) -> Rows:
        return cls([], [], [], [], [], [], [])


class SaleMaker:
    """Makes the rows of sales as CompleteSale would store them (for prices_include_tax=False)."""

    def __init__(self, catalog: Catalog, seed: int) -> None:
        self.cat = catalog
        n = len(catalog)
        # A few items sell a lot: rank r = n * u^3; rank -> item by a fixed permutation.
        self.step = next(p for p in (1_000_003, 999_983, 1_299_709, 7919) if math.gcd(p, n) == 1)
        self.offset = seed % n
        self.checked = 0
        self.currency = Currency.of("USD")
        self.tax_classes = {code: TaxClass(code, label, Decimal(rate)) for code, (label, rate, _) in TAX.items()}
        from db.demo import DEMO_USERS, FLOAT, count_for

        self.users = {u.id: u.name for u in DEMO_USERS}
        self.float_count = FLOAT.to_json(self.currency)
        self.count_for = count_for

    def _pick(self, rng: random.Random) -> int:
        n = len(self.cat)
        return (int(n * rng.random() ** 3) * self.step + self.offset) % n

    def day(
        self,
        terminal: TerminalIdentity,
        chain: Chain,
        rng: random.Random,
        start: datetime,
        end: datetime,
        line_counts: list[int],
        *,
        close: bool = True,
    ) -> Rows:
        """One terminal's day as the app records it: sign-in, a shift opened with the $200
        float at 8:55, the sales spread over [start, end], then (``close``) a blind close at
        20:30 (now and then a little over or short, with a note), the Z report at 20:45 and
        the sign-out."""
        rows = Rows.empty()
        tid = terminal.terminal_id
        cashier = STAFF[rng.randrange(len(STAFF))]
        opened = start - timedelta(minutes=5)
        self._event(rows, terminal, chain, rng, opened - timedelta(seconds=rng.randint(30, 600)), "SignedIn", cashier)
        shift_id = _uuid7(rng, int(opened.timestamp() * 1000), 0xFFE)
        self._journal(
            rows,
            chain,
            tid,
            rng,
            opened,
            "ShiftOpened",
            {"shift_id": shift_id, "user": cashier[0], "float": FLOAT_MINOR, "count": self.float_count},
        )
        span = (end - start).total_seconds()
        moments = sorted(rng.random() * span for _ in line_counts)
        cash = 0
        for offset, count in zip(moments, line_counts, strict=True):
            cash += self._sale(rows, terminal, chain, rng, start + timedelta(seconds=offset), count, cashier)
        shift = [shift_id, tid, cashier[0], _stamp(opened), FLOAT_MINOR, json.dumps(self.float_count)]
        if not close:
            rows.shifts.append((*shift, None, None, None, None, None, None))
            return rows

        closed = end + timedelta(minutes=30)
        expected = FLOAT_MINOR + cash
        off = 0 if rng.random() < 0.85 else rng.choice((-100, -25, 10, 200))
        counted = expected + off
        count = self.count_for(self.currency.from_minor(counted), self.currency).to_json(self.currency)
        note = "" if not off else "Counted twice; cause unknown"
        self._journal(
            rows,
            chain,
            tid,
            rng,
            closed,
            "ShiftClosed",
            {
                "shift_id": shift_id,
                "user": cashier[0],
                "counted": counted,
                "expected": expected,
                "over_short": off,
                "count": count,
                "note": note,
            },
        )
        rows.shifts.append((*shift, _stamp(closed), cashier[0], counted, expected, json.dumps(count), note))

        # The Z report, computed by counter.cash.reports.build_report from the entries since the last Z.
        taken = end + timedelta(minutes=45)
        cur = self.currency
        assert chain.since_z is not None
        report = build_report(
            "Z",
            tid,
            chain.since_z,
            currency=cur,
            zone=ZONE,
            users=self.users,
            grand_before=GrandTotals(cur.from_minor(chain.grand_sales), cur.from_minor(chain.grand_returns)),
            number=chain.z_number + 1,
        )
        m = cur.to_minor
        after = report.grand_after
        chain.z_number += 1
        chain.grand_sales, chain.grand_returns = m(after.sales), m(after.returns)
        rows.zreports.append(
            (tid, chain.z_number, report.first_seq, report.last_seq, _stamp(taken), Z_TAKER, m(report.sales.amount),
             m(report.returns.amount), chain.grand_sales, chain.grand_returns,
             json.dumps([x.shift_id for x in report.shifts]))
        )  # fmt: skip
        self._journal(
            rows,
            chain,
            tid,
            rng,
            taken,
            "ZReportTaken",
            {
                "number": chain.z_number,
                "user": Z_TAKER,
                "first_seq": report.first_seq,
                "last_seq": report.last_seq,
                "sales": m(report.sales.amount),
                "sales_count": report.sales.count,
                "returns": m(report.returns.amount),
                "returns_count": report.returns.count,
                "over_short": m(report.over_short),
                "grand_sales": chain.grand_sales,
                "grand_returns": chain.grand_returns,
                "shift_ids": [x.shift_id for x in report.shifts],
            },
        )
        chain.since_z = chain.since_z[-1:]  # the ZReportTaken entry opens the next period
        self._event(rows, terminal, chain, rng, taken + timedelta(seconds=rng.randint(60, 600)), "SignedOut", cashier)
        return rows

    def _journal(
        self,
        rows: Rows,
        chain: Chain,
        tid: str,
        rng: random.Random,
        at: datetime,
        type_: str,
        body: dict[str, Any],
    ) -> JournalEntry:
        chain.seq += 1
        entry_id = _uuid7(rng, int(at.timestamp() * 1000), 0xFFF)
        e = make_entry(tid, chain.seq, entry_id, type_, at, body, chain.prev_hash)
        rows.journal.append((e.terminal, e.seq, e.id, e.type, e.at, e.body, e.prev_hash, e.hash))
        chain.prev_hash = e.hash
        assert chain.since_z is not None
        chain.since_z.append(e)
        return e

    def _event(
        self,
        rows: Rows,
        terminal: TerminalIdentity,
        chain: Chain,
        rng: random.Random,
        at: datetime,
        type_: str,
        cashier: tuple[str, str],
    ) -> None:
        self._journal(rows, chain, terminal.terminal_id, rng, at, type_, {"user": cashier[0]})

    def _sale(
        self,
        rows: Rows,
        terminal: TerminalIdentity,
        chain: Chain,
        rng: random.Random,
        at: datetime,
        count: int,
        cashier: tuple[str, str],
    ) -> int:
        """Make one sale's rows and journal entry; return the cash it put in the drawer."""
        cat = self.cat
        at = at.replace(microsecond=rng.randrange(1_000_000))
        ms = int(at.timestamp() * 1000)
        sale_id = _uuid7(rng, ms, 0)
        chain.receipt_no += 1
        receipt = terminal.receipt_number(chain.receipt_no)

        # The cart: distinct items (the same item scanned twice raises the quantity).
        picks: list[int] = []
        while len(picks) < count:
            i = self._pick(rng)
            if i not in picks:
                picks.append(i)
        qty = rng.choices((1, 2, 3), (80, 15, 5), k=count)
        line_pct = [0] * count
        if rng.random() < 0.08:
            line_pct[0] = rng.choice((10, 15, 20))
        order_pct = 10 if rng.random() < 0.04 else 0

        # counter.sales.pricing.price_lines, exclusive prices, in integer cents.
        extended = [cat.prices[i] * q for i, q in zip(picks, qty, strict=True)]
        line_disc = [(e * p + 50) // 100 for e, p in zip(extended, line_pct, strict=True)]
        after = [e - d for e, d in zip(extended, line_disc, strict=True)]
        order_off = (sum(after) * order_pct + 50) // 100
        shares = _allocate(order_off, after) if order_off else [0] * count
        amounts = [a - s for a, s in zip(after, shares, strict=True)]
        line_tax = [0] * count
        by_code: dict[str, list[int]] = {}
        for n, i in enumerate(picks):
            by_code.setdefault(cat.taxes[i], []).append(n)
        taxes = []
        for code in sorted(by_code):
            idx = by_code[code]
            base = sum(amounts[n] for n in idx)
            tax = (base * TAX[code][2] + 5000) // 10000
            for n, part in zip(idx, _allocate(tax, [amounts[n] for n in idx]), strict=True):
                line_tax[n] = part
            taxes.append((code, base, tax))
        gross = [a + t for a, t in zip(amounts, line_tax, strict=True)]
        total = sum(gross)
        if self.checked < 1 or rng.random() < 0.0005:
            self._check(picks, qty, line_pct, order_pct, line_disc, shares, line_tax, total)

        # Payment: card (55 %), cash with change, now and then cash in part and the rest by card.
        tenders: list[tuple[str, int, int, str | None, str | None, str | None]] = []
        r = rng.random()
        if r < 0.55:
            tenders.append(("card", total, total, *self._card(rng)))
        elif r < 0.58 and total > 2000:
            part = rng.choice([v for v in (1000, 2000) if v < total])
            tenders.append(("cash", part, part, None, None, None))
            tenders.append(("card", total - part, total - part, *self._card(rng)))
        else:
            notes = [v for v in (500, 1000, 2000, 5000, 10000) if v >= total]
            tendered = rng.choice(notes) if notes and rng.random() < 0.7 else total
            tenders.append(("cash", total, tendered, None, None, None))
        change = sum(t[2] - t[1] for t in tenders)

        tid = terminal.terminal_id
        body_lines = []
        lines = []
        for n, i in enumerate(picks):
            line_id = _uuid7(rng, ms, n + 1)
            code = cat.taxes[i]
            rate = TAX[code][1]
            lines.append(
                (line_id, sale_id, n + 1, cat.ids[i], cat.skus[i], cat.names[i], qty[n], cat.prices[i],
                 line_disc[n], shares[n], amounts[n], line_tax[n], gross[n], code, rate)
            )  # fmt: skip
            body_lines.append(
                {
                    "line_id": line_id,
                    "item_id": cat.ids[i],
                    "sku": cat.skus[i],
                    "name": cat.names[i],
                    "qty": qty[n],
                    "unit_price": cat.prices[i],
                    "line_discount": line_disc[n],
                    "order_discount": shares[n],
                    "amount": amounts[n],
                    "tax": line_tax[n],
                    "gross": gross[n],
                    "tax_code": code,
                    "tax_rate": rate,
                }
            )
        for code, base, tax in taxes:
            rows.taxes.append((sale_id, code, TAX[code][0], TAX[code][1], base, tax))
        for n, t in enumerate(tenders, start=1):
            rows.tenders.append((sale_id, n, *t))
        body = {
            "sale_id": sale_id,
            "receipt_number": receipt,
            "store": terminal.store_id,
            "cashier": cashier[0],
            "cashier_name": cashier[1],
            "currency": "USD",
            "prices_include_tax": False,
            "lines": body_lines,
            "taxes": [{"code": c, "label": TAX[c][0], "rate": TAX[c][1], "base": b, "tax": x} for c, b, x in taxes],
            "tenders": [
                {"kind": k, "amount": a, "tendered": td, "card_brand": cb, "card_last4": cl, "approval_code": ac}
                for k, a, td, cb, cl, ac in tenders
            ],
            "rounding": 0,
            "total": total,
        }
        e = self._journal(rows, chain, tid, rng, at, "SaleCompleted", body)
        rows.lines.extend((*line, e.at) for line in lines)  # completed_at: the sale's (migration 0017)
        rows.sales.append(
            (sale_id, receipt, terminal.store_id, tid, cashier[0], cashier[1], e.at, "USD", 0,
             sum(amounts), sum(line_disc) + order_off, sum(t[2] for t in taxes), total, 0, change)
        )  # fmt: skip
        return sum(t[1] for t in tenders if t[0] == "cash")

    @staticmethod
    def _card(rng: random.Random) -> tuple[str, str, str]:
        return rng.choice(CARD_BRANDS[:5]), f"{rng.randrange(10000):04d}", f"{rng.randrange(1000000):06d}"

    def _check(
        self,
        picks: list[int],
        qty: list[int],
        line_pct: list[int],
        order_pct: int,
        line_disc: list[int],
        shares: list[int],
        line_tax: list[int],
        total: int,
    ) -> None:
        """Compare the integer arithmetic with counter.sales.pricing.price_lines for this sale."""
        cat, cur = self.cat, self.currency
        inputs = [
            LineInput(
                cur.from_minor(cat.prices[i]),
                q,
                self.tax_classes[cat.taxes[i]],
                Discount(True, Decimal(p)) if p else None,
            )
            for i, q, p in zip(picks, qty, line_pct, strict=True)
        ]
        priced = price_lines(
            inputs,
            cur,
            prices_include_tax=False,
            order_discount=Discount(True, Decimal(order_pct)) if order_pct else None,
        )
        got = (
            [cur.to_minor(p.line_discount) for p in priced.lines],
            [cur.to_minor(p.order_discount) for p in priced.lines],
            [cur.to_minor(p.tax) for p in priced.lines],
            cur.to_minor(priced.total),
        )
        if got != (line_disc, shares, line_tax, total):
            mine = (line_disc, shares, line_tax, total)
            cart = (picks, qty, line_pct, order_pct)
            raise AssertionError(f"generator pricing differs from counter.sales.pricing: {got} != {mine} for {cart}")
        self.checked += 1


def _stamp(moment: datetime) -> str:
    from counter.journal import utc_stamp

    return utc_stamp(moment)


def day_window(d: date) -> tuple[datetime, datetime]:
    start = datetime(d.year, d.month, d.day, OPEN_HOUR, tzinfo=ZONE).astimezone(UTC)
    end = datetime(d.year, d.month, d.day, CLOSE_HOUR, tzinfo=ZONE).astimezone(UTC)
    return start, end


# ------------------------------------------------------------------- worker processes
_CATALOG: Catalog | None = None  # set in the parent before the workers fork


def _terminal_worker(
    tid: str,
    plan: Plan,
    first_index: int,
    chain: Chain,
    out: mp.Queue[Any],
) -> None:
    """Make one terminal's history from day index ``first_index`` on, CHUNK_DAYS at a time."""
    assert _CATALOG is not None
    maker = SaleMaker(_CATALOG, plan.seed)
    terminal = TerminalIdentity(STORE_ID, tid)
    per_day, counts = plan.schedule()[tid]
    days = plan.day_list()
    pos = sum(per_day[:first_index])
    i = first_index
    while i < len(days):
        chunk = Rows.empty()
        stop = min(len(days), i + CHUNK_DAYS)
        for k in range(i, stop):
            n = per_day[k]
            rng = random.Random(f"{plan.seed}-{tid}-{days[k].toordinal()}")
            start, end = day_window(days[k])
            r = maker.day(terminal, chain, rng, start, end, list(counts[pos : pos + n]))
            pos += n
            for name in Rows.__dataclass_fields__:
                getattr(chunk, name).extend(getattr(r, name))
        out.put((stop, chunk))
        i = stop
    out.put(None)


# ------------------------------------------------------------------------ the database
INSERTS = {
    "sales": "INSERT INTO sales (id, receipt_number, store_id, terminal_id, cashier_id, cashier_name, completed_at, "
    "currency, prices_include_tax, subtotal_minor, discount_minor, tax_minor, total_minor, rounding_minor, "
    "change_minor) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "lines": "INSERT INTO sale_lines (id, sale_id, line_no, item_id, sku, name, quantity, unit_price_minor, "
    "line_discount_minor, order_discount_minor, amount_minor, tax_minor, gross_minor, tax_code, tax_rate, "
    "completed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "taxes": "INSERT INTO sale_taxes (sale_id, code, label, rate, base_minor, tax_minor) VALUES (?,?,?,?,?,?)",
    "tenders": "INSERT INTO tenders (sale_id, seq, kind, amount_minor, tendered_minor, card_brand, card_last4, "
    "approval_code) VALUES (?,?,?,?,?,?,?,?)",
    "journal": "INSERT INTO journal (terminal_id, seq, id, type, at, body, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)",
    "shifts": "INSERT INTO shifts (id, terminal_id, opened_by, opened_at, float_minor, float_count, closed_at, "
    "closed_by, counted_minor, expected_minor, closing_count, note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    "zreports": "INSERT INTO z_reports (terminal_id, number, first_seq, last_seq, taken_at, taken_by, sales_minor, "
    "returns_minor, grand_sales_minor, grand_returns_minor, shift_ids) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
}


def bulk_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=DELETE")  # a rollback journal: a killed run rolls back cleanly
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-2000000")  # 2 GB
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA foreign_keys=OFF")
    install_sealing(conn)
    return conn


def insert_rows(conn: sqlite3.Connection, rows: Rows) -> None:
    journal_sql = journal_insert_sql(conn)
    # a store begun before migration 0017 (resumed by this version) has no sale_lines.completed_at
    # yet: its lines go in without it, and the app's migration fills it from the sales when it opens
    timed = "completed_at" in {r[1] for r in conn.execute("PRAGMA table_info(sale_lines)")}
    for name, sql in INSERTS.items():
        made = getattr(rows, name)
        if name == "lines" and not timed:
            sql = sql.replace(", completed_at) VALUES (?,", ") VALUES (")
            made = [line[:-1] for line in made]
        conn.executemany(journal_sql if name == "journal" else sql, made)


def save_progress(conn: sqlite3.Connection, data_dir: Path, state: dict[str, Any]) -> None:
    """Inside the caller's transaction: the progress row commits with the data it describes."""
    conn.execute("DELETE FROM settings WHERE key = ?", (SETTINGS_KEY,))
    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (SETTINGS_KEY, json.dumps(state)))


def write_manifest(data_dir: Path, state: dict[str, Any]) -> None:
    tmp = data_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, data_dir / MANIFEST)


def read_progress(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (SETTINGS_KEY,)).fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    return json.loads(row[0]) if row else None


def chain_state(conn: sqlite3.Connection, tid: str) -> Chain:
    last = conn.execute("SELECT seq, hash FROM journal WHERE terminal_id = ? ORDER BY seq DESC LIMIT 1", (tid,))
    row = last.fetchone()
    counter = conn.execute("SELECT value FROM counters WHERE terminal_id = ? AND name = 'receipt'", (tid,)).fetchone()
    z = conn.execute(
        "SELECT number, last_seq, grand_sales_minor, grand_returns_minor FROM z_reports WHERE terminal_id = ? "
        "ORDER BY number DESC LIMIT 1",
        (tid,),
    ).fetchone() or (0, 0, 0, 0)
    since = [
        JournalEntry(*r)
        for r in conn.execute(
            "SELECT terminal_id, seq, id, type, at, body, prev_hash, hash FROM journal "
            "WHERE terminal_id = ? AND seq > ? ORDER BY seq",
            (tid, z[1]),
        )
    ]
    return Chain(
        row[0] if row else 0, row[1] if row else GENESIS, counter[0] if counter else 0, z[0], z[2], z[3], since
    )


def save_counters(conn: sqlite3.Connection, chains: dict[str, Chain]) -> None:
    """Set the receipt counters (inside the caller's transaction). Stores from migration
    0006 on allow a counter only to go up by one per UPDATE: their counters triggers are
    dropped for this bulk step and created again, as they were, in the same transaction."""
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'counters'"
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    for tid, chain in chains.items():
        conn.execute("DELETE FROM counters WHERE terminal_id = ? AND name = 'receipt'", (tid,))
        conn.execute(
            "INSERT INTO counters (terminal_id, name, value) VALUES (?, 'receipt', ?)", (tid, chain.receipt_no)
        )
    for _, sql in triggers:
        conn.execute(sql)


# ---------------------------------------------------------------------------- phases
def phase_base(data_dir: Path, plan: Plan, state: dict[str, Any]) -> None:
    from db.demo import build_demo

    log("base store: migrations, settings, staff, tax classes, demo catalog (db.demo.build_demo, days=1)")
    before = datetime.combine(plan.first_day, datetime.min.time(), tzinfo=ZONE).astimezone(UTC)
    db = build_demo(data_dir, days=1, today=before, seed=plan.seed)
    db.dispose()
    close_demo_shift(data_dir, before)
    conn = bulk_connect(data_dir / DB_FILENAME)
    conn.execute("BEGIN")
    state["phase"] = "items"
    save_progress(conn, data_dir, state)
    conn.execute("COMMIT")
    conn.close()
    write_manifest(data_dir, state)


def close_demo_shift(data_dir: Path, at: datetime) -> None:
    """build_demo leaves today's shift open on T01 (dated ``at``): close it and take the Z
    report through the app's cash office, so the history starts with no shift open."""
    from app.context import build_context
    from counter.cash.shifts import CashRules, close_shift, take_z_report
    from db.demo import count_for
    from db.queries import list_users

    class Clock:
        moment = at

        def now(self) -> datetime:
            return self.moment

    ctx = build_context(data_dir, demo=False)
    try:
        users = {u.id: u for u in list_users(ctx.db.read)}
        cur, tid = ctx.store.currency, ctx.terminal.terminal_id
        with ctx.uow() as uow:
            shift = uow.shifts.current(tid)
            if shift is None:
                return
            expected = uow.shifts.expected_cash(shift)
        clock = Clock()
        clock.moment = at + timedelta(minutes=5)
        close_shift(
            users[shift.opened_by],
            count_for(expected, cur),
            "",
            uow_factory=ctx.uow,
            clock=clock,
            terminal_id=tid,
            currency=cur,
            rules=CashRules(),
        )
        clock.moment = at + timedelta(minutes=10)
        take_z_report(
            users[Z_TAKER], uow_factory=ctx.uow, clock=clock, terminal_id=tid, currency=cur, zone=ctx.store.zone
        )
    finally:
        ctx.close()


def phase_items(data_dir: Path, plan: Plan, state: dict[str, Any]) -> None:
    conn = bulk_connect(data_dir / DB_FILENAME)
    existing = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    taken = {r[0] for r in conn.execute("SELECT barcode FROM items WHERE barcode IS NOT NULL")}
    t0 = time.perf_counter()
    rows = item_rows(plan, existing, taken)
    log(f"items: made {len(rows):,} rows in {time.perf_counter() - t0:.1f} s; inserting")
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'items' AND name LIKE 'items_fts_%'"
    ).fetchall()
    conn.execute("BEGIN")
    for name, _ in triggers:  # filled in one go below, then the same triggers again
        conn.execute(f"DROP TRIGGER {name}")
    for start in range(0, len(rows), 100_000):
        conn.executemany(
            "INSERT INTO items (id, sku, barcode, name, category_id, price_minor, tax_code, active) "
            "VALUES (?,?,?,?,?,?,?,?)",
            rows[start : start + 100_000],
        )
        log(f"items: {existing + start + len(rows[start : start + 100_000]):,} / {plan.items:,}")
    log("items: building the FTS5 index (rebuild)")
    conn.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")
    for _, sql in triggers:
        conn.execute(sql)
    state["phase"] = "history"
    state["history_days_done"] = 0
    save_progress(conn, data_dir, state)
    conn.execute("COMMIT")
    conn.close()
    write_manifest(data_dir, state)
    log(f"items: done in {time.perf_counter() - t0:.1f} s")


def phase_history(data_dir: Path, plan: Plan, state: dict[str, Any]) -> None:
    global _CATALOG
    conn = bulk_connect(data_dir / DB_FILENAME)
    done = int(state.get("history_days_done", 0))
    if done >= plan.days:
        conn.close()
        return
    _CATALOG = load_catalog(conn)
    chains = {tid: chain_state(conn, tid) for tid in TERMINALS}
    schedule = plan.schedule()
    lines_before = sum(sum(schedule[t][1][: sum(schedule[t][0][:done])]) for t in TERMINALS)
    ctx = mp.get_context("fork")
    queues: dict[str, mp.Queue[Any]] = {tid: ctx.Queue(maxsize=3) for tid in TERMINALS}
    workers = [
        ctx.Process(target=_terminal_worker, args=(tid, plan, done, chains[tid], queues[tid]), daemon=True)
        for tid in TERMINALS
    ]
    for w in workers:
        w.start()
    log(f"history: days {done}..{plan.days} ({plan.first_day + timedelta(days=done)} .. {plan.last_day})")
    t0 = time.perf_counter()
    lines = lines_before
    try:
        while True:
            got = [queues[tid].get() for tid in TERMINALS]
            if any(g is None for g in got):
                if not all(g is None for g in got):
                    raise RuntimeError("terminal workers disagree on the number of chunks")
                break
            stop = got[0][0]
            conn.execute("BEGIN")
            for tid, (stop_t, rows) in zip(TERMINALS, got, strict=True):
                if stop_t != stop:
                    raise RuntimeError("terminal workers out of step")
                insert_rows(conn, rows)
                if rows.sales:
                    chains[tid].receipt_no = int(rows.sales[-1][1].rsplit("-", 1)[1])
                lines += len(rows.lines)
            save_counters(conn, chains)
            state["history_days_done"] = stop
            if stop >= plan.days:
                state["phase"] = "today"
            save_progress(conn, data_dir, state)
            conn.execute("COMMIT")
            elapsed = time.perf_counter() - t0
            rate = (lines - lines_before) / elapsed
            eta = (plan.lines - lines) / rate if rate else 0
            log(
                f"history: through {plan.first_day + timedelta(days=stop - 1)}: {lines:,} / {plan.lines:,} lines "
                f"({rate:,.0f} lines/s, ~{eta / 60:.1f} min left)"
            )
    finally:
        for w in workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
    if any(w.exitcode not in (0, None) for w in workers):
        raise SystemExit("a worker failed; run again to resume")
    conn.close()
    write_manifest(data_dir, state)


def phase_today(data_dir: Path, plan: Plan, state: dict[str, Any]) -> None:
    conn = bulk_connect(data_dir / DB_FILENAME)
    catalog = load_catalog(conn)
    maker = SaleMaker(catalog, plan.seed)
    now = datetime.now(UTC)
    local = now.astimezone(ZONE)
    opening = local.replace(hour=OPEN_HOUR, minute=0, second=0, microsecond=0).astimezone(UTC)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    start = opening if now - opening > timedelta(hours=1) else midnight + timedelta(minutes=1)
    end = now - timedelta(seconds=30)
    rng = random.Random(f"{plan.seed}-today")
    conn.execute("BEGIN")
    chains = {tid: chain_state(conn, tid) for tid in TERMINALS}
    n1 = round(plan.today_sales * TERMINAL_SHARE["T01"])
    for tid, n in (("T01", n1), ("T02", plan.today_sales - n1)):
        counts = rng.choices(LINE_COUNTS, LINE_WEIGHTS, k=n)
        rows = maker.day(TerminalIdentity(STORE_ID, tid), chains[tid], rng, start, end, counts, close=False)
        insert_rows(conn, rows)
    save_counters(conn, chains)
    state["phase"] = "finishing"
    state["today"] = local.date().isoformat()
    save_progress(conn, data_dir, state)
    conn.execute("COMMIT")
    conn.close()
    write_manifest(data_dir, state)
    log(f"today: {plan.today_sales:,} sales between {start:%H:%M} and {end:%H:%M} UTC")


def phase_finish(data_dir: Path, plan: Plan, state: dict[str, Any]) -> None:
    conn = bulk_connect(data_dir / DB_FILENAME)
    log("finishing: merging the FTS segments, back to WAL")
    conn.execute("INSERT INTO items_fts(items_fts) VALUES ('optimize')")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _TABLES}
    conn.execute("BEGIN")
    state["phase"] = "complete"
    state["counts"] = counts
    state["completed_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    save_progress(conn, data_dir, state)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    state["size_bytes"] = (data_dir / DB_FILENAME).stat().st_size
    write_manifest(data_dir, state)
    log("done: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()) + f"; {state['size_bytes'] / 1e9:.2f} GB")


_TABLES = ("items", "sales", "sale_lines", "sale_taxes", "tenders", "journal")


# ------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.split("\n\n")[0])
    p.set_defaults(data_dir=DEFAULT_DATA_DIR, seed=1)
    p.add_argument("--items", type=int, default=1_000_000, help="items in the catalog, the demo's 724 included")
    p.add_argument("--lines", type=int, default=10_000_000, help="sale lines in the history (today's excluded)")
    p.add_argument("--days", type=int, default=730, help="days of history, ending yesterday")
    p.add_argument("--today-sales", type=int, default=5000, help="sales so far today")
    p.add_argument("--force", action="store_true", help="start again even if a dataset is there")
    args = p.parse_args(argv)
    data_dir: Path = args.data_dir
    path = data_dir / DB_FILENAME
    if args.items < 1000 or args.lines < 1000:
        p.error("--items and --lines must be at least 1000")

    key = {
        "version": VERSION,
        "items": args.items,
        "lines": args.lines,
        "days": args.days,
        "today_sales": args.today_sales,
        "seed": args.seed,
    }
    state = read_progress(path)
    manifest_exists = (data_dir / MANIFEST).exists()
    same_size = state is not None and all(state.get(k) == v for k, v in key.items())
    if same_size and state is not None and not migrations_still_match(state.get("migrations")):
        log("a migration the store was built with has changed since; building it again")
        same_size = False
    if state is not None and same_size and not args.force:
        if state.get("phase") == "complete":
            log(f"{data_dir} already holds a complete dataset of this size; nothing to do")
            write_manifest(data_dir, state)
            return 0
        log(f"resuming in {data_dir} at phase {state['phase']}")
    else:
        if path.exists() and state is None and not manifest_exists and not args.force:
            p.error(f"{path} exists and was not made by this generator; choose another --data-dir or --force")
        if path.exists():
            log(f"starting again in {data_dir} (different size, unfinished base, or --force)")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        (data_dir / MANIFEST).unlink(missing_ok=True)
        data_dir.mkdir(parents=True, exist_ok=True)
        today = datetime.now(ZONE).date()
        state = {
            **key,
            "phase": "base",
            "first_day": (today - timedelta(days=args.days)).isoformat(),
            "last_day": (today - timedelta(days=1)).isoformat(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "migrations": migration_fingerprint(),
        }
        write_manifest(data_dir, state)
    plan = Plan(
        items=args.items,
        lines=args.lines,
        days=args.days,
        today_sales=args.today_sales,
        seed=args.seed,
        first_day=date.fromisoformat(state["first_day"]),
        last_day=date.fromisoformat(state["last_day"]),
    )
    free = shutil.disk_usage(data_dir).free
    need = int(args.lines * 1000)  # ~1 KB per line all told (lines, sales, journal, indexes)
    if free < need:
        log(f"warning: {free / 1e9:.1f} GB free in {data_dir}; the dataset needs about {need / 1e9:.1f} GB")

    t0 = time.perf_counter()
    phases = {
        "base": phase_base,
        "items": phase_items,
        "history": phase_history,
        "today": phase_today,
        "finishing": phase_finish,
    }
    order = list(phases)
    for name in order[order.index(state["phase"]) :]:
        phases[name](data_dir, plan, state)
    log(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
