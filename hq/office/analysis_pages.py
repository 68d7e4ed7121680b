"""The returns and complaints analysis with pictures (issue #18, point 5): HQ's analysis
(hq/analysis.py) over a chosen period and store, as bar charts drawn on the server (SVG,
no script), each with its table beside it for screen readers and a CSV of the whole
analysis. A store manager sees their store; HQ staff and admins any store or all of them.

Charts: the return rate (units returned per unit sold) by item, category, lane and staff
member; returns by reason; complaints by department with the mean hours to resolution;
no-sales and over/short by lane and staff member (hq/office/cash_analysis.py). Each chart
has a CSV of its own; the page's CSV holds the whole returns and complaints analysis.
The return rate by vendor follows each item's vendor in HQ's catalog."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from counter.desk import chain_analysis
from hq.office import analysis_days
from hq.office.auth import Office, record
from hq.office.cash_analysis import CashAnalysis
from hq.office.web import PageRefusal, known_stores, not_yours, page, signed_in, store_scope

MAX_DAYS = 400
TOP = 12


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # what the bar's length shows
    shown: str  # the value in words, on the bar and in the table
    extra: str = ""  # the table's other column (e.g. "3 of 40 sold")


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    unit: str  # what the bars measure
    bars: tuple[Bar, ...]
    extra_head: str = ""

    @property
    def top(self) -> float:
        return max((b.value for b in self.bars), default=0.0) or 1.0


def _pct(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def charts(a: chain_analysis.ChainAnalysis) -> list[Chart]:
    out: list[Chart] = []
    for attr, title in chain_analysis.RATE_TABLES:
        rates: dict[str, chain_analysis.Rate] = getattr(a, attr)
        ranked = sorted(rates.values(), key=lambda r: (-(r.rate or Decimal(-1)), r.label))[:TOP]
        bars = tuple(Bar(r.label, float(r.rate or 0), _pct(r.rate), f"{r.returned} of {r.sold} sold") for r in ranked)
        out.append(Chart(attr, title, "units returned per unit sold", bars, "Returned of sold"))
    reasons = sorted(a.base.by_reason.values(), key=lambda b: (-b.units, b.label))[:TOP]
    out.append(
        Chart(
            "by_reason", "Returns by reason", "units returned",
            tuple(Bar(b.label, float(b.units), str(b.units), f"{b.refunded:.2f} refunded") for b in reasons),
            "Refunded",
        )
    )  # fmt: skip
    depts = sorted(a.complaints_by_department.values(), key=lambda r: (-r.complaints, r.label))[:TOP]
    out.append(
        Chart(
            "complaints_by_department", "Complaints by department", "complaints",
            tuple(
                Bar(r.label, float(r.complaints), str(r.complaints),
                    f"{r.resolved} resolved, mean {r.mean_hours if r.mean_hours is not None else '—'} h to resolution")
                for r in depts
            ),
            "Resolved and time to resolution",
        )
    )  # fmt: skip
    return out


def _money(minor: int) -> str:
    return f"{'-' if minor < 0 else '+' if minor > 0 else ''}{abs(minor) / 100:,.2f}"


def cash_charts(c: CashAnalysis) -> list[Chart]:
    out: list[Chart] = []
    for key, title, lines in (("lane", "lane", c.by_lane), ("staff", "staff member", c.by_staff)):
        ranked = sorted(lines.values(), key=lambda x: (-x.no_sales, x.label))[:TOP]
        bars = tuple(Bar(x.label, float(x.no_sales), str(x.no_sales), f"{x.shifts} shifts closed") for x in ranked)
        out.append(
            Chart(f"no_sales_by_{key}", f"No-sales by {title}", "drawer openings without a sale", bars, "Shifts")
        )
        ranked = sorted(lines.values(), key=lambda x: (x.over_short_minor, x.label))[:TOP]
        bars = tuple(
            Bar(
                x.label,
                float(abs(x.over_short_minor)),
                _money(x.over_short_minor),
                f"{x.short} of {x.shifts} shifts short",
            )
            for x in ranked
            if x.shifts
        )
        out.append(
            Chart(f"over_short_by_{key}", f"Over/short by {title}", "over (+) or short (-)", bars, "Short shifts")
        )
    return out


def chart_csv(chart: Chart, first: date, last: date) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["period_from", "period_to", "chart", "value", chart.unit, chart.extra_head])
    for b in chart.bars:
        w.writerow([first, last, chart.title, b.label, b.shown, b.extra])
    return buf.getvalue()


def _period(who: Office, since: str, until: str) -> tuple[date, date]:
    today = datetime.now(UTC).date()
    try:
        last = date.fromisoformat(until) if until else today
        first = date.fromisoformat(since) if since else last - timedelta(days=29)
    except ValueError:
        raise PageRefusal(
            422, "Not a date", "Give the period's days as YYYY-MM-DD (like 2026-12-01).", "Pick the days again.", who
        ) from None
    if last < first or (last - first).days >= MAX_DAYS:
        raise PageRefusal(
            422, "Not a period", f"The period must start before it ends and last at most {MAX_DAYS} days.",
            "Pick the days again.", who,
        )  # fmt: skip
    return first, last


def _store(who: Office, store: str) -> str | None:
    if who.role == "agent":
        raise not_yours(who, "The analysis")
    return store_scope(who, store)


def router(engine: Engine) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/office/analysis")
    async def analysis_page(request: Request, since: str = "", until: str = "", store: str = "") -> Response:
        who = await signed_in(engine, request)
        scope = _store(who, store)
        first, last = _period(who, since[:10], until[:10])
        kept = analysis_days.read(engine, first, last, scope)
        result, cash = kept.chain, cash_charts(kept.cash)
        query = f"since={first}&until={last}" + (f"&store={scope}" if scope else "")
        with engine.connect() as conn:
            stores = known_stores(conn) if who.store_id is None else []
        return page(
            request, "analysis.html", who, a=result, charts=charts(result) + cash, since=first, until=last,
            store=scope or "", stores=stores, query=query, rate=_pct(result.rate.rate),
        )  # fmt: skip

    @api.get("/office/analysis.csv")
    async def analysis_csv(
        request: Request, since: str = "", until: str = "", store: str = "", chart: str = ""
    ) -> Response:
        who = await signed_in(engine, request)
        scope = _store(who, store)
        first, last = _period(who, since[:10], until[:10])
        kept = analysis_days.read(engine, first, last, scope)
        result = kept.chain
        record(engine, who, "analysis_csv", f"{scope or 'all'} {first}..{last} {chart[:40]}".strip(), "", scope)
        sheet = chain_analysis.to_csv(result)
        if chart:
            every = charts(result) + cash_charts(kept.cash)
            picked = [c for c in every if c.key == chart]
            if not picked:
                raise PageRefusal(
                    404, "No such chart", f"There is no chart {chart[:40]!r}.", "Go back to the page.", who
                )
            sheet = chart_csv(picked[0], first, last)
        name = f"analysis-{chart or 'all'}-{scope or 'all'}-{first}-{last}.csv"
        return Response(
            sheet,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    return api
