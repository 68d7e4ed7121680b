"""Read-side queries over the local store (read engine, deferred transactions).

Catalog look-ups fetch one row or one page: the catalog is never loaded whole.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Select, func, select, text

from counter.barcodes import CodeKind, ScannedCode
from counter.catalog import CategoryId, Item, ItemId, TaxClass
from counter.journal import JournalEntry, parse_stamp, utc_stamp
from counter.money import Currency, smallest_coin_for
from counter.people.users import User
from counter.returns.policy import ReturnPolicy, ReturnRules
from counter.sales.sale import Sale
from counter.store import StoreConfig, TerminalIdentity
from db import schema as s
from db.returns import policy_from_row
from db.uow import load_sale, user_from_row

_ITEM_COLUMNS = (
    s.items.c.id,
    s.items.c.sku,
    s.items.c.barcode,
    s.items.c.name,
    s.items.c.category_id,
    s.items.c.price_minor,
    s.items.c.active,
    s.tax_classes.c.code,
    s.tax_classes.c.label,
    s.tax_classes.c.rate,
)
_WORD = re.compile(r"\w+", re.UNICODE)
_ITEM_SQL = (
    "SELECT i.id, i.sku, i.barcode, i.name, i.category_id, i.price_minor, i.active, t.code, t.label, t.rate "
    "FROM items i JOIN tax_classes t ON t.code = i.tax_code "
)
#: The look-up of a scan, one per kind of code, prepared once (sqlite3's statement cache).
_BY_CODE_SQL = {
    CodeKind.GTIN: _ITEM_SQL + "WHERE i.barcode = ?",
    CodeKind.SKU: _ITEM_SQL + "WHERE i.sku = ?",
}
#: Search ranks at most this many FTS matches: a two-letter prefix can match 100k+ of a
#: million items, and ranking them all costs ~200 ms (bench/search.py).
SEARCH_CANDIDATES = 2000
_SEARCH_SQL = text(
    f"WITH f AS MATERIALIZED (SELECT rowid, rank FROM items_fts WHERE items_fts MATCH :m LIMIT {SEARCH_CANDIDATES}) "
    "SELECT i.id, i.sku, i.barcode, i.name, i.category_id, i.price_minor, i.active, t.code, t.label, t.rate, "
    "(SELECT count(*) FROM f) AS candidates "
    "FROM f JOIN items i ON i.rowid = f.rowid JOIN tax_classes t ON t.code = i.tax_code "
    "WHERE i.active ORDER BY f.rank LIMIT :n"
)


#: Distinct prices whose Decimal SqlCatalog keeps (a few hundred KB at most).
PRICE_CACHE_SIZE = 20_000


class SearchResults(list[Item]):
    """The items found, best first; ``capped`` when more items matched than were ranked
    (SEARCH_CANDIDATES): the screen then asks for more letters."""

    capped: bool = False


class SqlCatalog:
    """Implements counter.ports.CatalogQueries.

    ``by_code`` (every scan) runs on one sqlite3 connection kept for it, in autocommit:
    each SELECT is its own read snapshot, so it sees every sale and catalog change committed
    before it, and holds no snapshot between scans (the WAL checkpoint is never held back).
    That connection belongs to the thread that made the first look-up (the GUI thread); a
    look-up from another thread goes through the engine as before."""

    def __init__(self, engine: Engine, currency: Currency) -> None:
        self._engine = engine
        self._currency = currency
        self._tax_cache: dict[tuple[str, str, str], TaxClass] = {}
        self._price_cache: dict[int, Decimal] = {}
        self._lookup: sqlite3.Connection | None = None
        self._lookup_thread: int | None = None

    def _item(self, row: Sequence[Any]) -> Item:  # the columns of _ITEM_SQL, in order
        id_, sku, barcode, name, category_id, price_minor, active, code, label, rate = row[:10]
        key = (code, label, rate)
        tax = self._tax_cache.get(key)
        if tax is None:
            tax = self._tax_cache[key] = TaxClass(code, label, Decimal(rate))
        price = self._price_cache.get(price_minor)
        if price is None:  # a Decimal is immutable: one per price seen (~3 Decimal operations saved a scan)
            price = self._currency.from_minor(price_minor)
            if len(self._price_cache) < PRICE_CACHE_SIZE:
                self._price_cache[price_minor] = price
        return Item(
            id=ItemId(id_),
            sku=sku,
            name=name,
            price=price,
            tax=tax,
            category_id=CategoryId(category_id),
            barcode=barcode or "",
            active=bool(active),
        )

    def _lookup_connection(self) -> sqlite3.Connection | None:
        """The kept connection if this is its thread (made at the first look-up), else None."""
        if self._lookup is not None:
            return self._lookup if self._lookup_thread == threading.get_ident() else None
        path = self._engine.url.database
        if not path or path == ":memory:":
            return None
        conn = sqlite3.connect(path, isolation_level=None)  # autocommit; check_same_thread stays on
        conn.execute("PRAGMA query_only=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        self._lookup, self._lookup_thread = conn, threading.get_ident()
        return conn

    def by_code(self, code: ScannedCode) -> Item | None:
        conn = self._lookup_connection()
        if conn is not None:
            # fetchall: the statement runs to its end, so no read snapshot stays open
            rows = conn.execute(_BY_CODE_SQL[code.kind], (code.value,)).fetchall()
            return self._item(rows[0]) if rows else None
        column = s.items.c.barcode if code.kind is CodeKind.GTIN else s.items.c.sku
        stmt = select(*_ITEM_COLUMNS).join(s.tax_classes).where(column == code.value)
        with self._engine.connect() as engine_conn:
            row = engine_conn.execute(stmt).first()
        return self._item(row) if row else None

    def close(self) -> None:
        """Close the kept look-up connection (from its own thread, at the app's close)."""
        if self._lookup is not None and self._lookup_thread == threading.get_ident():
            self._lookup.close()
            self._lookup = None

    def search(self, text_: str, limit: int = 50) -> SearchResults:
        """Items whose name or SKU contains words starting with each typed word: the best
        ``limit`` among the first SEARCH_CANDIDATES matches (``capped`` if there were more)."""
        words = _WORD.findall(text_)[:6]
        found = SearchResults()
        if not words:
            return found
        match = " ".join(f'"{w}"*' for w in words)
        with self._engine.connect() as conn:
            rows = conn.execute(_SEARCH_SQL, {"m": match, "n": limit}).all()
        found.extend(self._item(r) for r in rows)
        found.capped = bool(rows) and rows[0].candidates >= SEARCH_CANDIDATES
        return found

    def count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(s.items)).scalar_one())


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(select(s.users).where(s.users.c.active).order_by(s.users.c.name)).mappings()
        return [user_from_row(r) for r in rows]


def read_settings(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {k: json.loads(v) for k, v in conn.execute(select(s.settings.c.key, s.settings.c.value))}


def write_settings(engine: Engine, values: dict[str, Any]) -> None:
    with engine.begin() as conn:
        for key, value in values.items():
            conn.execute(s.settings.delete().where(s.settings.c.key == key))
            conn.execute(s.settings.insert().values(key=key, value=json.dumps(value)))


def store_config(settings: dict[str, Any]) -> StoreConfig:
    store = settings["store"]
    currency = Currency.of(store["currency"])
    return StoreConfig(
        store_id=store["id"],
        name=store["name"],
        currency=currency,
        locale=store["locale"],
        timezone=store["timezone"],
        prices_include_tax=store["prices_include_tax"],
        # the store's own setting, else its currency's cash step (CHF 0.05, SEK 1: counter.money)
        smallest_coin=Decimal(store["smallest_coin"]) if "smallest_coin" in store else smallest_coin_for(currency),
        address_lines=tuple(store.get("address_lines", ())),
        phone=store.get("phone", ""),
        tax_id=store.get("tax_id", ""),
        footer_lines=tuple(store.get("footer_lines", ())),
    )


def rules_to_json(rules: ReturnRules) -> dict[str, str | int]:
    return {
        f.name: str(getattr(rules, f.name)) if isinstance(getattr(rules, f.name), Decimal) else getattr(rules, f.name)
        for f in fields(rules)
    }


def return_rules(settings: dict[str, Any]) -> ReturnRules:
    data = settings.get("return_rules", {})
    defaults = ReturnRules()
    values: dict[str, Any] = {}
    for f in fields(ReturnRules):
        raw = data.get(f.name, getattr(defaults, f.name))
        values[f.name] = Decimal(str(raw)) if isinstance(getattr(defaults, f.name), Decimal) else int(raw)
    return ReturnRules(**values)


def return_policies(engine: Engine) -> list[tuple[str, ReturnPolicy]]:
    """Every category's name and return policy, for the policy settings screen."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.categories.c.name, s.return_policies)
            .join(s.return_policies, s.return_policies.c.category_id == s.categories.c.id)
            .order_by(s.categories.c.name)
        ).mappings()
        return [(r["name"], policy_from_row(r)) for r in rows]


@dataclass(frozen=True)
class SaleSummary:
    receipt_number: str
    completed_at: datetime
    total: Decimal
    lines: int
    tenders: str


def find_sales(
    engine: Engine,
    currency: Currency,
    *,
    day_from: datetime | None = None,
    day_to: datetime | None = None,
    amount: Decimal | None = None,
    card_last4: str | None = None,
    limit: int = 50,
) -> list[SaleSummary]:
    """Sales matching a date range (UTC bounds), an exact total and/or a card's last 4."""
    stmt = select(s.sales.c.id, s.sales.c.receipt_number, s.sales.c.completed_at, s.sales.c.total_minor)
    if day_from is not None:
        stmt = stmt.where(s.sales.c.completed_at >= utc_stamp(day_from))
    if day_to is not None:
        stmt = stmt.where(s.sales.c.completed_at < utc_stamp(day_to))
    if amount is not None:
        stmt = stmt.where(s.sales.c.total_minor == currency.to_minor(amount))
    if card_last4:
        stmt = stmt.where(s.sales.c.id.in_(select(s.tenders.c.sale_id).where(s.tenders.c.card_last4 == card_last4)))
    stmt = stmt.order_by(s.sales.c.completed_at.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        ids = [row.id for row in rows]
        # the tenders and line counts of all of them in two queries (not two per sale)
        tenders: dict[str, list[Any]] = {sale_id: [] for sale_id in ids}
        for t in conn.execute(
            select(s.tenders.c.sale_id, s.tenders.c.kind, s.tenders.c.card_brand, s.tenders.c.card_last4)
            .where(s.tenders.c.sale_id.in_(ids))
            .order_by(s.tenders.c.sale_id, s.tenders.c.seq)
        ):
            tenders[t.sale_id].append(t)
        lines: dict[str, int] = dict(
            conn.execute(
                select(s.sale_lines.c.sale_id, func.count())
                .where(s.sale_lines.c.sale_id.in_(ids))
                .group_by(s.sale_lines.c.sale_id)
            ).all()
        )
    return [
        SaleSummary(
            row.receipt_number,
            parse_stamp(row.completed_at),
            currency.from_minor(row.total_minor),
            int(lines.get(row.id, 0)),
            ", ".join(f"{t.card_brand} …{t.card_last4}" if t.card_brand else t.kind for t in tenders[row.id]),
        )
        for row in rows
    ]


def terminal_identity(settings: dict[str, Any]) -> TerminalIdentity:
    return TerminalIdentity(settings["store"]["id"], settings["terminal"]["id"])


def journal_entries(engine: Engine, terminal: str) -> Iterator[JournalEntry]:
    """Entries of one terminal in storage (seq) order, streamed."""
    stmt = select(s.journal).where(s.journal.c.terminal_id == terminal).order_by(s.journal.c.seq)
    with engine.connect() as conn:
        for r in conn.execution_options(yield_per=1000).execute(stmt).mappings():
            yield JournalEntry(
                terminal=r["terminal_id"],
                seq=r["seq"],
                id=r["id"],
                type=r["type"],
                at=r["at"],
                body=r["body"],
                prev_hash=r["prev_hash"],
                hash=r["hash"],
            )


def sale_by_number(engine: Engine, receipt_number: str) -> Sale | None:
    with engine.connect() as conn:
        return load_sale(conn, receipt_number)


def print_job(engine: Engine, job_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(s.print_jobs).where(s.print_jobs.c.id == job_id)).mappings().first()
        return dict(row) if row else None


def recent_print_jobs_query(limit: int) -> Select[Any]:
    """The newest ``limit`` print jobs without their bytes: read by index (0016), so its cost
    does not grow with the shift (the status bar asks after every sale)."""
    columns = [c for c in s.print_jobs.c if c.name != "payload"]
    return select(*columns).order_by(s.print_jobs.c.created_at.desc()).limit(limit)


def recent_print_jobs(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    """The newest print jobs first, without their bytes (for the print-jobs view)."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(recent_print_jobs_query(limit)).mappings()]


def lowest_recent_price(engine: Engine, item: Item, days: int, now: datetime, currency: Currency) -> Decimal:
    """The lowest price the item sold for in the last ``days`` days (after discounts, per
    unit, before tax), or its shelf price if lower: what a no-receipt return refunds."""
    from counter.returns.lookup import no_receipt_price
    from db.returns import SqlReturns

    with engine.connect() as conn:
        return no_receipt_price(SqlReturns(conn), item, days, now, currency)


def save_policies(uow: Any, policies: Sequence[ReturnPolicy], rules: ReturnRules) -> None:
    """Write changed category policies and the store's rules in the caller's unit of work."""
    conn = uow.connection
    for p in policies:
        conn.execute(
            s.return_policies.update()
            .where(s.return_policies.c.category_id == p.category_id)
            .values(
                return_days=p.return_days,
                final_sale=p.final_sale,
                receipt_required=p.receipt_required,
                restocking_fee_percent=str(p.restocking_fee_percent),
            )
        )
    conn.execute(s.settings.delete().where(s.settings.c.key == "return_rules"))
    conn.execute(s.settings.insert().values(key="return_rules", value=json.dumps(rules_to_json(rules))))
