"""No-sales and over/short by lane and staff member (issue #18, point 5), from the journal HQ
holds: every ``DrawerOpened`` with the reason ``no_sale`` and every ``ShiftClosed`` with
what its count came to against what was expected, over whole days of each store's zone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select

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
    by_lane: dict[str, CashLine]
    by_staff: dict[str, CashLine]


def cash_analysis(engine: Engine, since: date, until: date, store: str | None) -> CashAnalysis:
    j = s.journal
    by_lane: dict[str, CashLine] = {}
    by_staff: dict[str, CashLine] = {}
    with engine.connect() as conn:
        names = {str(i): str(n) for i, n in conn.execute(select(s.users.c.id, s.users.c.name))}
        stores = (
            [store] if store is not None else sorted({str(r[0]) for r in conn.execute(select(s.terminals.c.store_id))})
        )
        for st in stores:
            lo, hi = analysis.bounds(conn, st, since, until)
            rows = conn.execute(
                select(j.c.terminal_id, j.c.type, j.c.body).where(
                    j.c.store_id == st, j.c.type.in_(["DrawerOpened", "ShiftClosed"]), j.c.at >= lo, j.c.at < hi
                )
            )
            for terminal, kind, raw in rows:
                body = json.loads(raw)
                if not isinstance(body, dict):
                    continue
                user = str(body.get("user") or "")
                lane = by_lane.setdefault(f"{st}-{terminal}", CashLine(f"{st}-{terminal}"))
                person = by_staff.setdefault(user, CashLine(names.get(user, user or "unknown")))
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
    return CashAnalysis(_kept(by_lane), _kept(by_staff))


def _kept(lines: dict[str, CashLine]) -> dict[str, CashLine]:
    return {k: v for k, v in lines.items() if v.no_sales or v.shifts}
