"""Downstream data: catalog, prices, categories and their return policies, tax classes,
users with their PIN verifiers, customers and store-credit vouchers (written by
``hq/people.py``), the desk's departments (``hq/departments.py``), referral escalations
(``hq/escalation.py``) and every lane's desk events (``hq/desk_feed.py``); the change
cursor terminals pull by; CSV import.

Every write takes ``CATALOG_WRITE_LOCK`` (a transaction-level advisory lock) and stamps
each row it touches with ``nextval('change_seq')``; a deletion is a tombstone
(``deleted = true``, new version), never a DELETE. Because writers are serialised, the
version order is the commit order, so "everything above cursor N" never misses a row that
commits later with a smaller version.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from counter.barcodes import canonical_gtin
from counter.errors import CounterError
from hq import analysis_dirty, schema as s
from hq.store import lock_downstream

KIND_ORDER = (  # parents before children
    "tax_class",
    "category",
    "item",
    "user",
    "customer",
    "customer_link",
    "voucher",
    "voucher_movement",
    "department",
    "referral_escalation",
    "desk_event",
)
KEYS = {
    "tax_class": "code",
    "category": "id",
    "item": "id",
    "user": "id",
    "customer": "id",
    "customer_link": "id",
    "voucher": "code",
    "voucher_movement": "id",
    "department": "code",
    "referral_escalation": "id",
    "desk_event": "id",
}
#: The rows a lane must hold before a row of a kind can be written there: (column, parent
#: kind). A parent changed at HQ after its child has the higher version, so a pull in version
#: order would bring the child first: a lane's foreign key refuses an item before its
#: category, and a customer's link or desk event would wait for a customer not yet sent.
PARENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "category": (("tax_code", "tax_class"),),
    "item": (("category_id", "category"), ("tax_code", "tax_class")),
    "customer_link": (("customer_id", "customer"),),
    "voucher_movement": (("voucher_code", "voucher"),),
    "desk_event": (("customer_id", "customer"),),
}
#: The other way round: parent kind -> (child kind, column naming it).
NAMED_BY: dict[str, tuple[tuple[str, str], ...]] = {
    parent: tuple((child, column) for child, links in PARENTS.items() for column, p in links if p == parent)
    for parent in {p for links in PARENTS.values() for _, p in links}
}
#: Kinds a lane receives only for its own store (``store_id`` null: every store).
STORE_SCOPED = frozenset(
    {"user", "customer", "customer_link", "voucher", "voucher_movement", "referral_escalation", "desk_event"}
)


def upsert(conn: Connection, kind: str, rows: Sequence[dict[str, Any]], *, conflict: str | None = None) -> None:
    """Insert or update rows of one kind, each with a new version (caller holds the lock)."""
    if not rows:
        return
    table: Table = s.DOWNSTREAM[kind]
    key = conflict or KEYS[kind]
    stmt = pg_insert(table).values(version=s.change_seq.next_value(), deleted=False)
    cols = [c for c in rows[0] if c != key and not (conflict and c == KEYS[kind])]
    stmt = stmt.on_conflict_do_update(
        index_elements=[key],
        set_={**{c: stmt.excluded[c] for c in cols}, "version": s.change_seq.next_value(), "deleted": False},
    )
    for start in range(0, len(rows), 5000):
        conn.execute(stmt, list(rows[start : start + 5000]))


def tombstone(engine: Engine, kind: str, keys: Iterable[str]) -> int:
    table = s.DOWNSTREAM[kind]
    key_col = table.c[KEYS[kind]]
    with engine.begin() as conn:
        lock_downstream(conn)
        return conn.execute(
            table.update()
            .where(key_col.in_(list(keys)), table.c.deleted.is_(False))
            .values(deleted=True, version=s.change_seq.next_value())
        ).rowcount


def kind_changes(kind: str, store_id: str, after: int, terminal: str | None = None) -> Select[Any]:
    """The rows of one kind a lane may see that changed after ``after``, oldest first
    (shared by the paged pull and the streamed first pull, hq/catalog_stream.py)."""
    table = s.DOWNSTREAM[kind]
    stmt = select(table).where(table.c.version > after).order_by(table.c.version)
    if kind in STORE_SCOPED:
        stmt = stmt.where(or_(table.c.store_id.is_(None), table.c.store_id == store_id))
    if kind == "desk_event" and terminal is not None:
        stmt = stmt.where(table.c.origin_terminal != terminal)
    if kind == "customer":
        stmt = stmt.where(table.c.name != "")  # known from the journal, details not yet sent
    return stmt


def change_rows(kind: str, result: Any) -> Iterator[tuple[int, str, bool, dict[str, Any]]]:
    """(version, kind, deleted, data) of each row of a ``kind_changes`` result."""
    names = [str(n) for n in result.keys()]  # noqa: SIM118 - plain str: orjson takes no str subclass as a key
    v_at, d_at = names.index("version"), names.index("deleted")
    named = [(i, n) for i, n in enumerate(names) if i not in (v_at, d_at)]
    # Plain tuples, no per-row mapping objects: a first load reads a million rows.
    for row in result:
        yield int(row[v_at]), kind, bool(row[d_at]), {n: row[i] for i, n in named}


def changes(
    conn: Connection, store_id: str, after: int, limit: int, terminal: str | None = None
) -> tuple[list[dict[str, Any]], int, bool]:
    """Rows of every kind changed after ``after``, oldest first, at most ``limit``:
    (changes, next cursor, more to come). ``terminal``: the lane asking, which is not sent
    its own desk events."""
    found: list[tuple[int, str, bool, dict[str, Any]]] = []
    for kind in KIND_ORDER:
        found.extend(change_rows(kind, conn.execute(kind_changes(kind, store_id, after, terminal).limit(limit + 1))))
    found.sort(key=itemgetter(0))
    page = found[:limit]
    out = [{"kind": kind, "version": version, "deleted": gone, "data": data} for version, kind, gone, data in page]
    cursor = page[-1][0] if page else after
    return parents_ahead(conn, store_id, out, cursor, terminal) + out, cursor, len(found) > limit


def parents_ahead(
    conn: Connection, store_id: str, page: Sequence[dict[str, Any]], cursor: int, terminal: str | None = None
) -> list[dict[str, Any]]:
    """The parents (``PARENTS``) the rows of a page name that a lane would get only after
    the page (their versions are above its ``cursor``), and their own parents, in
    ``KIND_ORDER``: sent at the head of the page as they are now (a deleted one as its
    tombstone, which a lane without it writes: db/sync_apply.py), so that a page applies
    whole. Each comes again at its own version later in the pull (an upsert: the same
    result)."""
    named: dict[str, list[dict[str, Any]]] = {}  # the data of the rows that name parents, by kind
    for row in page:
        if row["kind"] in PARENTS:
            named.setdefault(row["kind"], []).append(row["data"])
    ahead: dict[str, list[dict[str, Any]]] = {}
    for kind in reversed(KIND_ORDER):  # children's kinds first: a category brought names its tax class
        wanted = {
            str(d[column])
            for child, column in NAMED_BY.get(kind, ())
            for d in named.get(child, ())
            if d.get(column) is not None
        }
        if not wanted:
            continue
        key = s.DOWNSTREAM[kind].c[KEYS[kind]]
        stmt = kind_changes(kind, store_id, cursor, terminal).where(key.in_(sorted(wanted)))
        ahead[kind] = [
            {"kind": kind, "version": version, "deleted": gone, "data": data}
            for version, kind, gone, data in change_rows(kind, conn.execute(stmt))
        ]
        named.setdefault(kind, []).extend(row["data"] for row in ahead[kind])
    return [row for kind in KIND_ORDER for row in ahead.get(kind, ())]


def newest_version(conn: Connection) -> int:
    """The newest version given out (the change sequence's last value; versions of other
    stores' rows count too, so a progress figure built on it is an estimate)."""
    return int(conn.execute(text(f"SELECT last_value FROM {s.change_seq.name}")).scalar_one())


# ----------------------------------------------------------------------- CSV import


@dataclass
class ImportReport:
    rows: int = 0
    upserted: int = 0
    deleted: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def describe(self) -> str:
        head = f"{self.rows} rows read: {self.upserted} items added or updated, {self.deleted} deleted"
        if not self.errors:
            return head + ", no errors."
        lines = [head + f", {len(self.errors)} rows refused:"]
        lines += [f"  line {n}: {msg}" for n, msg in self.errors[:200]]
        if len(self.errors) > 200:
            lines.append(f"  ... and {len(self.errors) - 200} more")
        return "\n".join(lines)


REQUIRED = ("sku", "name", "category_id", "price", "tax_code")


def import_catalog(engine: Engine, path: Path, *, currency_digits: int = 2) -> ImportReport:
    """Validate a catalog CSV (``sku,barcode,name,category_id,price,tax_code`` and optional
    ``id``, ``active``, ``delete``, ``vendor``) and apply the valid rows in one transaction.
    Without a ``vendor`` column each item keeps the vendor it has.

    A row is refused, with its line number and why, for: a missing field, a price that is
    not a non-negative amount with at most ``currency_digits`` decimals, an unknown
    category or tax code, a bad GTIN check digit, or a SKU or barcode repeated in the file
    or held by another item."""
    report = ImportReport()
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CounterError(f"Cannot read {path}: {exc.strerror}.", "Check the file name.") from exc
    with fh, engine.begin() as conn:
        lock_downstream(conn)
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise CounterError(
                f"The file has no column {', '.join(missing)}.", f"Columns needed: {', '.join(REQUIRED)}."
            )
        cats = set(conn.execute(select(s.categories.c.id).where(s.categories.c.deleted.is_(False))).scalars())
        taxes = set(conn.execute(select(s.tax_classes.c.code).where(s.tax_classes.c.deleted.is_(False))).scalars())
        held = conn.execute(
            select(s.items.c.id, s.items.c.sku, s.items.c.barcode, s.items.c.category_id, s.items.c.vendor)
        ).all()
        by_sku = {r.sku: (r.id, r.barcode) for r in held}
        category_of = {str(r.sku): (str(r.category_id), r.vendor) for r in held}
        with_vendor = "vendor" in (reader.fieldnames or [])  # else each item keeps the vendor it has
        barcode_owner = {bc: sku for sku, (_, bc) in by_sku.items() if bc}
        seen_sku: set[str] = set()
        seen_bc: dict[str, str] = {}
        good: list[dict[str, Any]] = []
        gone: list[str] = []
        quantum = Decimal(1).scaleb(-currency_digits)
        for n, row in enumerate(reader, start=2):
            report.rows += 1
            sku = (row.get("sku") or "").strip()
            problem = None
            if any(not (row.get(c) or "").strip() for c in REQUIRED):
                problem = "missing " + ", ".join(c for c in REQUIRED if not (row.get(c) or "").strip())
            elif sku in seen_sku:
                problem = f"SKU {sku} appears twice in the file"
            elif (row.get("delete") or "").strip().lower() in {"1", "yes", "true"}:
                seen_sku.add(sku)
                if sku in by_sku:
                    gone.append(by_sku[sku][0])
                continue
            if problem is None:
                try:
                    price = Decimal(row["price"].strip())
                    if price < 0 or price != price.quantize(quantum) or not price.is_finite():
                        raise InvalidOperation
                except (InvalidOperation, ValueError):
                    problem = f"price {row['price']!r} is not an amount like 12.99"
            if problem is None and row["category_id"].strip() not in cats:
                problem = f"unknown category {row['category_id']!r}"
            if problem is None and row["tax_code"].strip() not in taxes:
                problem = f"unknown tax code {row['tax_code']!r}"
            barcode = None
            if problem is None and (row.get("barcode") or "").strip():
                try:
                    barcode = canonical_gtin(row["barcode"].strip())
                except CounterError as exc:
                    problem = f"barcode {row['barcode']!r}: {exc.message}"
                else:
                    owner = seen_bc.get(barcode) or barcode_owner.get(barcode)
                    if owner is not None and owner != sku:
                        problem = f"barcode {row['barcode']} already belongs to SKU {owner}"
            vendor = " ".join((row.get("vendor") or "").split()) or None
            if problem is None and vendor is not None and len(vendor) > 80:
                problem = "a vendor's name is at most 80 characters"
            if problem is not None:
                report.errors.append((n, problem))
                continue
            seen_sku.add(sku)
            if barcode:
                seen_bc[barcode] = sku
            item_id = (row.get("id") or "").strip() or (by_sku[sku][0] if sku in by_sku else f"item-{sku}")
            good.append(
                {
                    "id": item_id,
                    "sku": sku,
                    "barcode": barcode,
                    "name": row["name"].strip()[:200],
                    "category_id": row["category_id"].strip(),
                    "price_minor": int(price.scaleb(currency_digits)),
                    "tax_code": row["tax_code"].strip(),
                    "active": (row.get("active") or "true").strip().lower() not in {"0", "no", "false"},
                    **({"vendor": vendor} if with_vendor else {}),
                }
            )
        upsert(conn, "item", good, conflict="sku")

        def moved(r: dict[str, Any]) -> bool:  # to another category or vendor
            was = category_of.get(r["sku"])
            return was is not None and was != (r["category_id"], r.get("vendor", was[1]))

        if any(moved(r) for r in good):
            analysis_dirty.forget(conn)  # its sales and returns count under the new category or vendor
        report.upserted = len(good)
        if gone:
            report.deleted = conn.execute(
                s.items.update()
                .where(s.items.c.id.in_(gone), s.items.c.deleted.is_(False))
                .values(deleted=True, version=s.change_seq.next_value())
            ).rowcount
    return report


def seed(
    engine: Engine,
    *,
    tax_classes: Sequence[dict[str, Any]],
    categories: Sequence[dict[str, Any]],
    items: Sequence[dict[str, Any]],
    users: Sequence[dict[str, Any]],
) -> None:
    """Load reference data as given (used for the demo chain and by tests)."""
    with engine.begin() as conn:
        lock_downstream(conn)
        upsert(conn, "tax_class", tax_classes)
        upsert(conn, "category", categories)
        upsert(conn, "item", items)
        upsert(conn, "user", users)
