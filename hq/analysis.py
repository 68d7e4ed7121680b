"""The returns and complaints analysis at HQ over every lane and store (issue #17 point 5):
the rows of counter.desk.chain_analysis read from HQ's projected tables, per store in its own
time zone, and fed to the same pure aggregation the lanes use (counter.desk.analysis).

A returned line's reason, condition and where the units went are in its lane's journal entry
(HQ's return_lines keep only amounts): they are read back through the lanes' own projection
(counter.projection.sales.return_ops) of that entry, so a line reads as on its lane.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, Date, DateTime, Engine, Table, cast, func, select, union

from counter.desk.analysis import ComplaintRow, ReturnRow
from counter.desk.chain_analysis import NO_VENDOR, CaseRow, ChainAnalysis, LaneReturnRow, SoldRow, analyse_chain
from counter.journal import parse_stamp, utc_stamp
from counter.money import Currency
from counter.projection.base import EntryRef, Insert
from counter.projection.sales import return_ops
from hq import departments, schema as s

NOT_IN_CATALOG = "(not in the catalog)"


def bounds(conn: Connection, store: str, since: date, until: date) -> tuple[str, str]:
    """[since, until] (whole days in the store's zone) as UTC journal stamps [lo, hi)."""
    return zone_bounds(departments.zone_of(conn, store), since, until)


def zone_bounds(zone: ZoneInfo, since: date, until: date) -> tuple[str, str]:
    lo = datetime.combine(since, time(0), zone)
    hi = datetime.combine(until + timedelta(days=1), time(0), zone)
    return utc_stamp(lo), utc_stamp(hi)


def by_zone(conn: Connection, stores: Sequence[str]) -> dict[str, tuple[ZoneInfo, list[str]]]:
    """The stores grouped by the zone their days are reckoned in (zone name -> zone, stores)."""
    out: dict[str, tuple[ZoneInfo, list[str]]] = {}
    for st, zone in departments.zones_of(conn, stores).items():
        out.setdefault(zone.key, (zone, []))[1].append(st)
    return out


@dataclass(frozen=True)
class ItemFacts:
    """What the analysis reads of the catalog: each item's category name and vendor."""

    categories: dict[str, str]
    vendors: dict[str, str]

    def category_of(self, item_id: str) -> str:
        return self.categories.get(item_id, NOT_IN_CATALOG)

    def vendor_of(self, item_id: str) -> str:
        return self.vendors.get(item_id) or NO_VENDOR


def categories(conn: Connection) -> ItemFacts:
    """Each item's category name and vendor, by item id."""
    it, cat = s.items, s.categories
    rows = conn.execute(
        select(it.c.id, cat.c.name, it.c.vendor).join(cat, cat.c.id == it.c.category_id, isouter=True)
    ).all()
    return ItemFacts(
        {str(r[0]): str(r[1]) if r[1] is not None else NOT_IN_CATALOG for r in rows},
        {str(r[0]): str(r[2]) for r in rows if r[2]},
    )


def names_of(conn: Connection) -> dict[str, str]:
    return {str(r[0]): str(r[1]) for r in conn.execute(select(s.users.c.id, s.users.c.name))}


def local_day(stamp: Any, zone: ZoneInfo) -> Any:
    """A text journal stamp's whole day in the store's zone, in SQL (PostgreSQL's own copy of
    the IANA zones)."""
    return cast(func.timezone(zone.key, cast(stamp, DateTime(timezone=True))), Date)


def sold_rows(
    conn: Connection,
    stores: Sequence[str],
    lo: str,
    hi: str,
    cats: ItemFacts,
    names: dict[str, str],
    zone: ZoneInfo,
) -> list[tuple[str, date, SoldRow]]:
    """The units sold in [lo, hi) at stores of one zone, each row with its store and day."""
    sl, sa = s.sale_lines, s.sales
    # summed in PostgreSQL per store, day, item, lane and cashier: a row per combination,
    # not per line (the analysis only adds them up; docs/benchmarks.md, issue #18)
    day = local_day(sa.c.completed_at, zone).label("day")
    keys = (sa.c.store_id, day, sl.c.sku, sl.c.name, sl.c.item_id, sa.c.terminal_id, sa.c.cashier_id)
    rows = conn.execute(
        select(*keys, func.sum(sl.c.quantity).label("quantity"))
        .join(sa, sa.c.id == sl.c.sale_id)
        .where(sa.c.store_id.in_(stores), sa.c.completed_at >= lo, sa.c.completed_at < hi)
        .group_by(*keys)
    )
    return [
        (
            str(r.store_id),
            r.day,
            SoldRow(
                r.sku,
                r.name,
                cats.category_of(r.item_id),
                f"{r.store_id}-{r.terminal_id}",
                names.get(r.cashier_id, r.cashier_id),
                int(r.quantity),
                cats.vendor_of(r.item_id),
            ),
        )
        for r in rows
    ]


def return_rows(
    conn: Connection,
    stores: Sequence[str],
    lo: str,
    hi: str,
    cats: ItemFacts,
    names: dict[str, str],
    zone: ZoneInfo,
) -> list[tuple[str, LaneReturnRow]]:
    """Each line returned in [lo, hi) at stores of one zone, with its store (its day is the
    return's, in the zone)."""
    r, j = s.returns, s.journal
    entries = conn.execute(
        select(j.c.store_id, j.c.terminal_id, j.c.seq, j.c.type, j.c.at, j.c.body)
        .join(r, (r.c.store_id == j.c.store_id) & (r.c.terminal_id == j.c.terminal_id) & (r.c.seq == j.c.seq))
        .where(r.c.store_id.in_(stores), r.c.completed_at >= lo, r.c.completed_at < hi)
        .order_by(r.c.completed_at, j.c.store_id, j.c.terminal_id, j.c.seq)
    )
    out: list[tuple[str, LaneReturnRow]] = []
    for e in entries:
        body = orjson.loads(e.body)
        ops = return_ops(body, EntryRef(str(e.terminal_id), int(e.seq), str(e.type), str(e.at)))
        (ret,) = [op.row for op in ops if isinstance(op, Insert) and op.table == "returns"]
        currency = Currency.of(str(ret["currency"]))
        day = parse_stamp(str(ret["completed_at"])).astimezone(zone).date()
        staff = names.get(str(ret["cashier_id"]), str(ret["cashier_id"]))
        for op in ops:
            if not isinstance(op, Insert) or op.table != "return_lines":
                continue
            ln = op.row
            row = ReturnRow(
                str(ln["sku"]),
                str(ln["name"] or ""),
                cats.category_of(str(ln["item_id"])),
                str(ln["reason"]),
                str(ln["condition"]),
                int(ln["quantity"]),
                currency.from_minor(int(ln["gross_minor"]) - int(ln["fee_minor"])),
                str(ln["disposition"]),
                str(ret["return_number"]),
                day,
            )
            lane = f"{e.store_id}-{e.terminal_id}"
            out.append((str(e.store_id), LaneReturnRow(row, lane, staff, cats.vendor_of(str(ln["item_id"])))))
    return out


def complaint_rows(
    conn: Connection, stores: Sequence[str], lo: str, hi: str, zone: ZoneInfo
) -> list[tuple[str, date, ComplaintRow]]:
    """Each contact logged in the period at stores of one zone (with its store and day),
    with the first item of the sale it is linked to."""
    c, cl, sa, sl = s.contacts, s.contact_links, s.sales, s.sale_lines
    first = (
        select(sl.c.sku, sl.c.name)
        .join(sa, sa.c.id == sl.c.sale_id)
        .where(sa.c.receipt_number == cl.c.number)
        .order_by(sl.c.line_no)
        .limit(1)
    )
    sku = first.with_only_columns(sl.c.sku).scalar_subquery()
    name = first.with_only_columns(sl.c.name).scalar_subquery()
    link = (
        select(cl.c.store_id, cl.c.contact_id, sku.label("sku"), name.label("item"))
        .where(cl.c.kind == "sale", cl.c.seq == 1)
        .subquery()
    )
    rows = conn.execute(
        select(c.c.store_id, c.c.at, c.c.kind, c.c.category, link.c.sku, link.c.item)
        .join(link, (link.c.contact_id == c.c.id) & (link.c.store_id == c.c.store_id), isouter=True)
        .where(c.c.store_id.in_(stores), c.c.at >= lo, c.c.at < hi)
    )
    return [
        (
            str(r.store_id),
            parse_stamp(str(r.at)).astimezone(zone).date(),
            ComplaintRow(str(r.kind), str(r.category), r.sku or "", r.item or ""),
        )
        for r in rows
    ]


def case_rows(conn: Connection, stores: Sequence[str], lo: str, hi: str) -> list[tuple[str, CaseRow]]:
    """Cases opened in the period at the stores (with their store), with the departments
    they were referred to and, when they stand resolved or closed, when they were last
    resolved (from the case events)."""
    ca, ev, rf = s.cases, s.case_events, s.referrals
    cases = conn.execute(
        select(ca.c.store_id, ca.c.id, ca.c.number, ca.c.kind, ca.c.category, ca.c.status, ca.c.opened_at).where(
            ca.c.store_id.in_(stores), ca.c.opened_at >= lo, ca.c.opened_at < hi
        )
    ).all()
    ids = sorted({str(r.id) for r in cases})
    depts: dict[tuple[str, str], set[str]] = {}
    resolved: dict[tuple[str, str], str] = {}
    if ids:
        for ref in conn.execute(
            select(rf.c.store_id, rf.c.case_id, rf.c.department, rf.c.department_name).where(
                rf.c.store_id.in_(stores), rf.c.case_id.in_(ids)
            )
        ):
            depts.setdefault((str(ref.store_id), str(ref.case_id)), set()).add(
                str(ref.department_name or ref.department)
            )
        for e in conn.execute(
            select(ev.c.store_id, ev.c.case_id, ev.c.at).where(
                ev.c.store_id.in_(stores), ev.c.case_id.in_(ids), ev.c.event == "resolved"
            )
        ):
            key = (str(e.store_id), str(e.case_id))
            resolved[key] = max(resolved.get(key, ""), str(e.at))
    out = []
    for r in cases:
        key = (str(r.store_id), str(r.id))
        done = r.status in ("resolved", "closed") and key in resolved
        out.append(
            (
                key[0],
                CaseRow(
                    str(r.number),
                    str(r.kind),
                    str(r.category),
                    tuple(sorted(depts.get(key, set()))),
                    parse_stamp(str(r.opened_at)),
                    parse_stamp(resolved[key]) if done else None,
                ),
            )
        )
    return out


@dataclass
class DayRows:
    """One store's rows of one day (in its zone), as the analysis takes them."""

    sold: list[SoldRow] = field(default_factory=list)
    returned: list[LaneReturnRow] = field(default_factory=list)
    contacts: list[ComplaintRow] = field(default_factory=list)
    cases: list[CaseRow] = field(default_factory=list)


def rows_by_day(
    conn: Connection,
    stores: Sequence[str],
    zone: ZoneInfo,
    since: date,
    until: date,
    cats: ItemFacts,
    names: dict[str, str],
) -> dict[tuple[str, date], DayRows]:
    """The rows of [since, until] (whole days in their zone) of stores of one zone, per
    store and day."""
    lo, hi = zone_bounds(zone, since, until)
    days: dict[tuple[str, date], DayRows] = defaultdict(DayRows)
    for st, day, sold in sold_rows(conn, stores, lo, hi, cats, names, zone):
        days[st, day].sold.append(sold)
    for st, ret in return_rows(conn, stores, lo, hi, cats, names, zone):
        days[st, ret.row.day or since].returned.append(ret)  # its return's day in the zone
    for st, day, contact in complaint_rows(conn, stores, lo, hi, zone):
        days[st, day].contacts.append(contact)
    for st, case in case_rows(conn, stores, lo, hi):
        days[st, case.opened_at.astimezone(zone).date()].cases.append(case)
    return dict(days)


def analysis(engine: Engine, since: date, until: date, store: str | None = None) -> ChainAnalysis:
    """The analysis of [since, until] (whole days, each store's own) over one store or all,
    read from the projected tables. The back office and the API read the same result from
    the kept days (hq/office/analysis_days.py); this is what those days are made of."""
    sold: list[SoldRow] = []
    returned: list[LaneReturnRow] = []
    contacts: list[ComplaintRow] = []
    cases: list[CaseRow] = []
    with engine.connect() as conn:
        cats, names = categories(conn), names_of(conn)
        stores = [store] if store is not None else stores_with_data(conn)
        for zone, group in by_zone(conn, stores).values():
            for rows in rows_by_day(conn, group, zone, since, until, cats, names).values():
                sold += rows.sold
                returned += rows.returned
                contacts += rows.contacts
                cases += rows.cases
    return analyse_chain(sold, returned, contacts, cases, since, until)


def stores_with_data(conn: Connection) -> Sequence[str]:
    """Every store with a lane, a sale, a return, a case or a contact. The big tables are
    read by skipping along their index on ``store_id`` (one look-up per store, not a scan
    of every sale); ``returns`` has no such index and is small beside ``sales``."""
    found = {str(r[0]) for r in conn.execute(union(select(s.terminals.c.store_id), select(s.returns.c.store_id)))}
    for table in (s.sales, s.cases, s.contacts):
        found |= _distinct_store_ids(conn, table)
    return sorted(found)


def _distinct_store_ids(conn: Connection, table: Table) -> set[str]:
    """The distinct ``store_id``s of a table whose index starts with it: a recursive
    query that asks the index for the next store after the last one found."""
    col = table.c.store_id
    first = select(func.min(col).label("store_id")).cte("stores_found", recursive=True)
    following = select(func.min(col)).where(col > first.c.store_id).scalar_subquery()
    walk = first.union_all(select(following).where(first.c.store_id.is_not(None)))
    return {str(r[0]) for r in conn.execute(select(walk.c.store_id).where(walk.c.store_id.is_not(None)))}
