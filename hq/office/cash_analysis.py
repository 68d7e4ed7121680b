"""No-sales and over/short by lane and staff member (issue #18, point 5), from the journal HQ
holds: every ``DrawerOpened`` with the reason ``no_sale`` and every ``ShiftClosed`` with
what its count came to against what was expected, over whole days of each store's zone.

``cash_by_day`` gives one store's result per day, which the kept days of the analysis
(hq/office/analysis_days.py) add up (``merge_cash``); ``cash_analysis`` reads a period
straight from the journal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select

from counter.journal import parse_stamp
from hq import analysis, schema as s


@dataclass
class CashLine:
    label: str
    no_sales: int = 0
    shifts: int = 0
    short: int = 0  # shifts whose count came to less than expected
    over_short_minor: int = 0  # summed: below zero, short


@dataclass(frozen=True)
class CashAnalysis:
    by_lane: dict[str, CashLine] = field(default_factory=dict)
    by_staff: dict[str, CashLine] = field(default_factory=dict)


def cash_by_day(
    conn: Connection, stores: Sequence[str], zone: ZoneInfo, since: date, until: date, names: dict[str, str]
) -> dict[tuple[str, date], CashAnalysis]:
    """The no-sales and shift counts of [since, until] of stores of one zone, per store and
    day of the zone."""
    j = s.journal
    lo, hi = analysis.zone_bounds(zone, since, until)
    days: dict[tuple[str, date], CashAnalysis] = {}
    rows = conn.execute(
        select(j.c.store_id, j.c.terminal_id, j.c.type, j.c.at, j.c.body).where(
            j.c.store_id.in_(stores), j.c.type.in_(["DrawerOpened", "ShiftClosed"]), j.c.at >= lo, j.c.at < hi
        )
    )
    for store, terminal, kind, at, raw in rows:
        body = json.loads(raw)
        if not isinstance(body, dict):
            continue
        day = days.setdefault((str(store), parse_stamp(str(at)).astimezone(zone).date()), CashAnalysis())
        user = str(body.get("user") or "")
        lane = day.by_lane.setdefault(f"{store}-{terminal}", CashLine(f"{store}-{terminal}"))
        person = day.by_staff.setdefault(user, CashLine(names.get(user, user or "unknown")))
        if kind == "DrawerOpened":
            if body.get("reason") == "no_sale":
                lane.no_sales += 1
                person.no_sales += 1
            continue
        over = body.get("over_short")
        if isinstance(over, int) and not isinstance(over, bool):
            for line in (lane, person):
                line.shifts += 1
                line.short += 1 if over < 0 else 0
                line.over_short_minor += over
    return {k: CashAnalysis(_kept(c.by_lane), _kept(c.by_staff)) for k, c in days.items()}


def cash_analysis(engine: Engine, since: date, until: date, store: str | None) -> CashAnalysis:
    """The period's no-sales and over/short over one store or every store with a lane."""
    total = CashAnalysis()
    with engine.connect() as conn:
        names = analysis.names_of(conn)
        stores = (
            [store] if store is not None else sorted({str(r[0]) for r in conn.execute(select(s.terminals.c.store_id))})
        )
        for zone, group in analysis.by_zone(conn, stores).values():
            for day in cash_by_day(conn, group, zone, since, until, names).values():
                merge_cash(total, day)
    return total


def merge_cash(total: CashAnalysis, part: CashAnalysis) -> None:
    """Add ``part`` into ``total`` (a line's label: the first one seen)."""
    for mine, theirs in ((total.by_lane, part.by_lane), (total.by_staff, part.by_staff)):
        for key, line in theirs.items():
            into = mine.setdefault(key, CashLine(line.label))
            into.no_sales += line.no_sales
            into.shifts += line.shifts
            into.short += line.short
            into.over_short_minor += line.over_short_minor


def cash_doc(c: CashAnalysis) -> dict[str, Any]:
    """As JSON-ready lists: key, label, no-sales, shifts, short shifts, over/short."""
    return {
        name: [[k, x.label, x.no_sales, x.shifts, x.short, x.over_short_minor] for k, x in lines.items()]
        for name, lines in (("by_lane", c.by_lane), ("by_staff", c.by_staff))
    }


def add_cash_doc(total: CashAnalysis, doc: dict[str, Any]) -> None:
    """Add a ``cash_doc`` into ``total``."""
    for lines, rows in ((total.by_lane, doc["by_lane"]), (total.by_staff, doc["by_staff"])):
        for key, label, no_sales, shifts, short, over in rows:
            got = lines.get(key)
            if got is None:
                lines[key] = CashLine(label, no_sales, shifts, short, over)
            else:
                got.no_sales += no_sales
                got.shifts += shifts
                got.short += short
                got.over_short_minor += over


def _kept(lines: dict[str, CashLine]) -> dict[str, CashLine]:
    return {k: v for k, v in lines.items() if v.no_sales or v.shifts}
