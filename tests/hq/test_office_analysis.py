"""The analysis with pictures in the back office (issue #18, point 5): the same numbers as
HQ's analysis API for the same period and store, as bar charts drawn on the server with
their tables, and a CSV that is the API's; scoped to the manager's store; refused to an
agent; a bad period said in words. Real lanes, a real uvicorn, the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import escape
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from counter.cash.drawer import DrawerReason, OpenDrawer, open_drawer
from counter.cash.shifts import CashRules, close_shift
from db.demo import count_for
from hq import access
from hq.serve import RunningHq
from tests.hq.conftest import Lane
from tests.hq.office_browser import LAPTOP, PHONE, chrome, make_login, shot, sign_in, text  # noqa: F401
from tests.hq.test_analysis_at_hq import client, period, three_lanes  # noqa: F401
from tests.hq.test_desk_at_hq import sync
from tests.hq.test_office_departments import office  # noqa: F401

pytestmark = pytest.mark.slow


def test_the_page_shows_hqs_analysis_as_charts_with_tables_and_its_csv(  # noqa: F811
    three_lanes: dict[str, Any],  # noqa: F811
    hq: RunningHq,
    hq_engine: Engine,
    office: Callable[[str], httpx.Client],  # noqa: F811
) -> None:
    with client(hq, access.new_admin_token(hq_engine, "api")) as api:
        body = api.get("/v1/analysis", params=period(store="S01")).json()
        sheet = api.get("/v1/analysis", params=period(store="S01", format="csv")).text
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    manager = office("alex")
    html = manager.get("/office/analysis", params=period()).text  # a manager sees their store without asking
    assert f"{body['units_sold']} units sold, {body['units_returned']} returned" in html
    assert "Return rate by vendor" in html and "(no vendor on file)" in html  # the note says where vendors come from
    vendors = body["rate_by_vendor"]
    assert len([v for v in vendors if v["label"] != "(no vendor on file)"]) >= 2  # demo items with a barcode have one
    charted = sorted(vendors, key=lambda v: (-float(v["return_rate"] or -1), v["label"]))[:12]  # the chart's top 12
    for lane in body["rate_by_lane"] + charted:
        shown = f"{float(lane['return_rate']) * 100:.1f} %" if lane["return_rate"] else "—"
        row = html.split(f'<td data-label="Which">{escape(lane["label"])}</td>')[1].split("</tr>")[0]
        assert shown in row and f"{lane['units_returned']} of {lane['units_sold']} sold" in row, row
    assert html.count("<svg") == 11 and 'role="img"' in html  # seven of returns and complaints, four of cash
    (dept,) = [d for d in body["complaints_by_department"] if d["label"] == "Warranty and repair"]
    row = html.split('<td data-label="Which">Warranty and repair</td>')[1].split("</tr>")[0]
    assert f"{dept['resolved']} resolved, mean {dept['mean_hours_to_resolution']} h" in row
    csv_sheet = manager.get("/office/analysis.csv", params=period())
    assert csv_sheet.status_code == 200 and csv_sheet.text == sheet
    assert "attachment" in csv_sheet.headers["content-disposition"]
    other = manager.get("/office/analysis", params=period(store="S02"))
    assert other.status_code == 403
    bad = manager.get("/office/analysis", params={"since": "2026-13-40"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    make_login(hq_engine, "wanda", "u-supervisor", "agent", department="warranty")
    assert office("wanda").get("/office/analysis").status_code == 403


@pytest.mark.parametrize("chrome", [LAPTOP, PHONE], indirect=True, ids=["laptop", "phone"])
def test_the_analysis_page_in_a_browser(  # noqa: F811
    chrome: Any,  # noqa: F811
    three_lanes: dict[str, Any],  # noqa: F811
    hq: RunningHq,
    hq_engine: Engine,
) -> None:
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    since, until = period()["since"], period()["until"]
    sign_in(chrome, hq.url, "alex", path=f"/office/analysis?since={since}&until={until}")
    page = text(chrome)
    assert "Return rate by lane" in page and "Complaints by department" in page
    assert f"{since} to {until}:" in page  # back to the page asked for, period and all, after signing in
    size = "phone" if chrome.get_window_size()["width"] < 600 else "laptop"
    shot(chrome, f"analysis-{size}")


def test_no_sales_and_over_short_by_lane_and_staff_come_from_the_lanes_journals(
    make_lane: Callable[..., Lane],
    hq: RunningHq,
    hq_engine: Engine,
    office: Callable[[str], httpx.Client],  # noqa: F811
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    for lane in (one, two):  # two days on: none of the demo's shifts or no-sales on that day
        lane.store.clock.advance(days=2)
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    for lane, who in ((one, "Dana"), (one, "Dana"), (two, "Dana")):
        open_drawer(OpenDrawer(lane.store.user(who), DrawerReason.NO_SALE, note="change"), uow_factory=lane.store.uow,
                    clock=lane.store.clock)  # fmt: skip
    for lane, short in ((one, Decimal("2.50")), (two, Decimal("0"))):
        with lane.store.uow() as uow:
            expected = uow.shifts.expected_cash(uow.shifts.current(lane.terminal_id))
        close_shift(
            lane.store.user("Maria"), count_for(expected - short, lane.store.cfg.currency), "counted",
            uow_factory=lane.store.uow, clock=lane.store.clock, terminal_id=lane.terminal_id,
            currency=lane.store.cfg.currency, rules=CashRules(),
        )  # fmt: skip
    sync(one, two)
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    manager = office("alex")
    today = {"since": str(day), "until": str(day)}
    html = manager.get("/office/analysis", params=today).text

    def row(chart: str, label: str) -> str:
        section = html.split(f'id="h-{chart}"')[1].split("</section>")[0]
        return section.split(f'<td data-label="Which">{label}</td>')[1].split("</tr>")[0]

    assert ">2<" in row("no_sales_by_lane", "S01-T01") and ">1<" in row("no_sales_by_lane", "S01-T02")
    assert ">3<" in row("no_sales_by_staff", "Dana Whitfield")
    assert "-2.50" in row("over_short_by_lane", "S01-T01") and "1 of 1 shifts short" in row(
        "over_short_by_lane", "S01-T01"
    )
    assert "0 of 1 shifts short" in row("over_short_by_lane", "S01-T02")
    assert "-2.50" in row("over_short_by_staff", "Maria Lopez") and "1 of 2 shifts short" in row(
        "over_short_by_staff", "Maria Lopez"
    )
    sheet = manager.get("/office/analysis.csv", params={**today, "chart": "over_short_by_lane"}).text.splitlines()
    assert sheet[0] == "period_from,period_to,chart,value,over (+) or short (-),Short shifts"
    assert any(line.endswith("S01-T01,-2.50,1 of 1 shifts short") for line in sheet), sheet
    assert manager.get("/office/analysis.csv", params={"chart": "nope"}).status_code == 404
