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
from counter.i18n import N_, SOURCE_LANGUAGE, _, use_language
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
    head: str = ""  # the table's first column (what each bar is): "Item", "Lane"

    @property
    def top(self) -> float:
        return max((b.value for b in self.bars), default=0.0) or 1.0


def _pct(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


#: the first column of each rate table (what its bars are), by the table's key
RATE_HEADS = {
    "rate_by_item": N_("Item"),
    "rate_by_category": N_("Category"),
    "rate_by_vendor": N_("Vendor"),
    "rate_by_lane": N_("Lane"),
    "rate_by_staff": N_("Staff member"),
}


def charts(a: chain_analysis.ChainAnalysis) -> list[Chart]:
    out: list[Chart] = []
    for attr, title in chain_analysis.RATE_TABLES:
        rates: dict[str, chain_analysis.Rate] = getattr(a, attr)
        ranked = sorted(rates.values(), key=lambda r: (-(r.rate or Decimal(-1)), r.label))[:TOP]
        bars = tuple(
            Bar(
                r.label,
                float(r.rate or 0),
                _pct(r.rate),
                _("{returned} of {sold} sold").format(returned=r.returned, sold=r.sold),
            )
            for r in ranked
        )
        head = _(RATE_HEADS[attr]) if attr in RATE_HEADS else title.split(" by ")[-1].capitalize()
        out.append(Chart(attr, _(title), _("units returned per unit sold"), bars, _("Returned of sold"), head))
    reasons = sorted(a.base.by_reason.values(), key=lambda b: (-b.units, b.label))[:TOP]
    out.append(
        Chart(
            "by_reason", _("Returns by reason"), _("units returned"),
            tuple(
                Bar(b.label, float(b.units), str(b.units), _("{amount} refunded").format(amount=f"{b.refunded:.2f}"))
                for b in reasons
            ),
            _("Refunded"), _("Reason"),
        )
    )  # fmt: skip
    depts = sorted(a.complaints_by_department.values(), key=lambda r: (-r.complaints, r.label))[:TOP]
    out.append(
        Chart(
            "complaints_by_department", _("Complaints by department"), _("complaints"),
            tuple(
                Bar(r.label, float(r.complaints), str(r.complaints),
                    _("{resolved} resolved, mean {hours} h to resolution").format(
                        resolved=r.resolved, hours=r.mean_hours if r.mean_hours is not None else "—"))
                for r in depts
            ),
            _("Resolved and time to resolution"), _("Department"),
        )
    )  # fmt: skip
    return out


def _money(minor: int) -> str:
    return f"{'-' if minor < 0 else '+' if minor > 0 else ''}{abs(minor) / 100:,.2f}"


def cash_charts(c: CashAnalysis) -> list[Chart]:
    out: list[Chart] = []
    for key, lines in (("lane", c.by_lane), ("staff", c.by_staff)):
        ranked = sorted(lines.values(), key=lambda x: (-x.no_sales, x.label))[:TOP]
        bars = tuple(
            Bar(x.label, float(x.no_sales), str(x.no_sales), _("{count} shifts closed").format(count=x.shifts))
            for x in ranked
        )
        head = _("Lane") if key == "lane" else _("Staff member")
        title = _("No-sales by lane") if key == "lane" else _("No-sales by staff member")
        out.append(Chart(f"no_sales_by_{key}", title, _("drawer openings without a sale"), bars, _("Shifts"), head))
        ranked = sorted(lines.values(), key=lambda x: (x.over_short_minor, x.label))[:TOP]
        bars = tuple(
            Bar(
                x.label,
                float(abs(x.over_short_minor)),
                _money(x.over_short_minor),
                _("{short} of {shifts} shifts short").format(short=x.short, shifts=x.shifts),
            )
            for x in ranked
            if x.shifts
        )
        title = _("Over/short by lane") if key == "lane" else _("Over/short by staff member")
        out.append(Chart(f"over_short_by_{key}", title, _("over (+) or short (-)"), bars, _("Short shifts"), head))
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
            422,
            _("Not a date"),
            _("Give the period's days as YYYY-MM-DD (like 2026-12-01)."),
            _("Pick the days again."),
            who,
        ) from None
    if last < first or (last - first).days >= MAX_DAYS:
        raise PageRefusal(
            422, _("Not a period"),
            _("The period must start before it ends and last at most {count} days.").format(count=MAX_DAYS),
            _("Pick the days again."), who,
        )  # fmt: skip
    return first, last


def _store(who: Office, store: str) -> str | None:
    if who.role == "agent":
        raise not_yours(who, _("The analysis is not in what your role lets you see; nothing is shown."))
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
            with use_language(SOURCE_LANGUAGE):  # a data file: its columns and units stay English
                every = charts(result) + cash_charts(kept.cash)
            picked = [c for c in every if c.key == chart]
            if not picked:
                raise PageRefusal(
                    404,
                    _("No such chart"),
                    _("There is no chart {chart}.").format(chart=repr(chart[:40])),
                    _("Go back to the page."),
                    who,
                )
            sheet = chart_csv(picked[0], first, last)
        name = f"analysis-{chart or 'all'}-{scope or 'all'}-{first}-{last}.csv"
        return Response(
            sheet,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    return api
