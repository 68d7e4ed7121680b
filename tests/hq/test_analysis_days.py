"""The analysis kept by store and day (hq/office/analysis_days.py, issue #18): for any period,
store or every store, exactly the analysis of the rows (hq/analysis.py and the cash
analysis read straight from HQ's tables); a push that changes a day's rows makes that day
stale in its own transaction, including a case resolved days after it was opened; a making
cut short loses nothing; a store's new zone or an item's new category forgets what was kept.

Real lanes recording through their own commands, a real uvicorn, the real PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, insert, select

from counter.desk.cases import CaseStatus, ContactKind, change_status
from counter.desk.chain_analysis import to_json
from hq import analysis, departments, schema as hs
from hq.office import analysis_days
from hq.office.cash_analysis import cash_analysis
from hq.store import utcnow
from tests.hq.conftest import Lane
from tests.hq.office_browser import make_login
from tests.hq.test_analysis_at_hq import SINCE, TODAY, UNTIL, complain, sync, three_lanes  # noqa: F401
from tests.hq.test_departments_at_hq import cli
from tests.hq.test_office_auth import csrf_of
from tests.hq.test_office_departments import office  # noqa: F401

pytestmark = pytest.mark.slow


def same_as_rows(engine: Engine, since: date, until: date, store: str | None) -> analysis_days.Kept:
    """Read the kept days and check them against the rows' own analysis, every table."""
    kept = analysis_days.read(engine, since, until, store)
    assert to_json(kept.chain) == to_json(analysis.analysis(engine, since, until, store)), (since, until, store)
    assert kept.cash == cash_analysis(engine, since, until, store), (since, until, store)
    return kept


def count(engine: Engine, table: Any, **where: Any) -> int:
    stmt = select(func.count()).select_from(table)
    for k, v in where.items():
        stmt = stmt.where(table.c[k] == v)
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def dirty(engine: Engine) -> set[tuple[str, date]]:
    """The stale store days of the period (the demo's pushes mark older days too)."""
    d = hs.analysis_dirty
    with engine.connect() as conn:
        stmt = select(d.c.store_id, d.c.day).where(d.c.day >= SINCE, d.c.day <= UNTIL)
        return {(str(a), b) for a, b in conn.execute(stmt)}


def units_sold(engine: Engine, store: str | None) -> int:
    return analysis_days.read(engine, SINCE, UNTIL, store).chain.sold


def test_the_kept_days_are_the_rows_analysis_for_any_period_store_or_every_store(
    three_lanes: dict[str, Any],  # noqa: F811
    hq_engine: Engine,
) -> None:
    first = same_as_rows(hq_engine, SINCE, UNTIL, "S01")
    assert first.chain.sold > 0 and first.chain.base.units == 4 and first.chain.complaints_by_department
    every = same_as_rows(hq_engine, SINCE, UNTIL, None)
    assert every.chain.sold == first.chain.sold  # one store has data
    for day in [SINCE + timedelta(days=n) for n in range((UNTIL - SINCE).days + 1)]:
        same_as_rows(hq_engine, day, day, None)
    same_as_rows(hq_engine, SINCE, TODAY, "S01")
    same_as_rows(hq_engine, SINCE, UNTIL, "S02")  # a store with nothing: nothing, not an error
    again = analysis_days.read(hq_engine, SINCE, UNTIL, None)
    assert again.made == 0  # all kept: nothing made again
    assert to_json(again.chain) == to_json(every.chain)


def test_a_push_makes_its_days_stale_and_the_next_read_shows_it(
    three_lanes: dict[str, Any],  # noqa: F811
    hq_engine: Engine,
) -> None:
    t1: Lane = three_lanes["t1"]
    t2: Lane = three_lanes["t2"]
    before_store, before_all = units_sold(hq_engine, "S01"), units_sold(hq_engine, None)
    assert not dirty(hq_engine) and analysis_days.read(hq_engine, SINCE, UNTIL, None).made == 0
    t1.store.sell([(t1.store.item_in("apparel"), 2)], cashier="Maria")
    sync(t1)
    (stale,) = dirty(hq_engine)  # the sale's day, in the store's zone, marked by the push itself
    assert stale[0] == "S01" and SINCE <= stale[1] <= UNTIL
    now = analysis_days.read(hq_engine, SINCE, UNTIL, None)
    assert now.made == 1 and now.chain.sold == before_all + 2  # only that store day made again
    assert units_sold(hq_engine, "S01") == before_store + 2 and not dirty(hq_engine)
    same_as_rows(hq_engine, SINCE, UNTIL, None)

    # a complaint resolved a day and a half after it was opened counts on the day it was opened
    opened = complain(t2, "(217) 555-0190", ContactKind.COMPLAINT, "Billing and price")
    sync(t2)
    analysis_days.read(hq_engine, SINCE, UNTIL, None)
    with hq_engine.connect() as conn:
        opened_at = conn.execute(select(hs.cases.c.opened_at).where(hs.cases.c.id == opened)).scalar_one()
    t2.store.clock.advance(hours=36)
    sam, uow, clock = t2.store.user("Sam"), t2.store.uow, t2.store.clock
    change_status(sam, opened, CaseStatus.RESOLVED, "Credited.", uow_factory=uow, clock=clock)
    sync(t2)
    with hq_engine.connect() as conn:
        zone = departments.zone_of(conn, "S01")
    opened_day = analysis.parse_stamp(str(opened_at)).astimezone(zone).date()
    assert ("S01", opened_day) in dirty(hq_engine)
    billing = analysis_days.read(hq_engine, SINCE, UNTIL, None).chain.complaints_by_category["Billing and price"]
    assert (billing.complaints, billing.resolved) == (1, 1) and billing.mean_hours is not None
    assert billing.mean_hours >= 36
    same_as_rows(hq_engine, SINCE, UNTIL, "S01")


def test_a_making_cut_short_marks_its_days_again(
    three_lanes: dict[str, Any],  # noqa: F811
    hq_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wanted = [("S01", TODAY), ("S01", TODAY - timedelta(days=1))]

    def broken(*_: Any) -> Any:
        raise RuntimeError("the database went away mid-way")

    monkeypatch.setattr(analysis_days, "_bodies", broken)
    with pytest.raises(RuntimeError):
        analysis_days.make(hq_engine, wanted)
    assert dirty(hq_engine) >= set(wanted) and count(hq_engine, hs.analysis_refreshing) == 0
    monkeypatch.undo()

    # a process killed while making: its claim stays; the next refresh marks it again and makes it
    with hq_engine.begin() as conn:
        conn.execute(hs.analysis_dirty.delete())  # every day, not only the period's
        old = utcnow() - timedelta(minutes=analysis_days.CLAIM_MINUTES + 1)
        conn.execute(insert(hs.analysis_refreshing).values(store_id="S01", day=TODAY, started_at=old))
        conn.execute(hs.analysis_days.delete().where(hs.analysis_days.c.day == TODAY))
    made = analysis_days.refresh(hq_engine, keep_days=1, today=TODAY)
    assert made >= 1 and count(hq_engine, hs.analysis_refreshing) == 0 and count(hq_engine, hs.analysis_dirty) == 0
    assert count(hq_engine, hs.analysis_days, store_id="S01", day=TODAY) == 1
    same_as_rows(hq_engine, TODAY, TODAY, None)


def test_refresh_keeps_the_last_days_made_and_a_new_zone_or_category_forgets_them(
    three_lanes: dict[str, Any],  # noqa: F811
    hq_engine: Engine,
    office: Callable[[str], httpx.Client],  # noqa: F811
) -> None:
    made = analysis_days.refresh(hq_engine, keep_days=7, today=TODAY)
    assert made >= 1
    kept = {
        d
        for (d,) in hq_engine.connect().execute(
            select(hs.analysis_days.c.day).where(hs.analysis_days.c.store_id == "S01")
        )
    }
    assert {TODAY - timedelta(days=n) for n in range(7)} <= kept
    assert count(hq_engine, hs.analysis_chain_days) >= 7
    assert analysis_days.refresh(hq_engine, keep_days=7, today=TODAY) == 0  # nothing stale, nothing missing

    departments.set_zone(hq_engine, "S01", "Europe/Berlin")  # its days are other days now
    assert count(hq_engine, hs.analysis_days, store_id="S01") == 0 and count(hq_engine, hs.analysis_chain_days) == 0
    same_as_rows(hq_engine, SINCE, UNTIL, None)  # made again in the new zone, still the rows' analysis

    # an item moved to another category: its sales count under the new one
    kettle = three_lanes["kettle"]
    was = analysis_days.read(hq_engine, SINCE, UNTIL, "S01").chain
    before, sold = was.rate_by_category, was.rate_by_item[kettle.sku].sold
    make_login(hq_engine, "hq", "u-admin", "hq_staff")
    staff = office("hq")
    with hq_engine.connect() as conn:
        item_id = conn.execute(select(hs.items.c.id).where(hs.items.c.sku == kettle.sku)).scalar_one()
    form = staff.get(f"/office/catalog/items/{item_id}")
    moved = staff.post(
        f"/office/catalog/items/{item_id}",
        data={"csrf": csrf_of(form.text), "name": kettle.name, "price": f"{kettle.price:.2f}",
              "category_id": "apparel", "active": "yes"},
    )  # fmt: skip
    assert moved.status_code == 303
    assert count(hq_engine, hs.analysis_days) == 0
    after = same_as_rows(hq_engine, SINCE, UNTIL, "S01").chain.rate_by_category
    assert sold >= 2 and after["Apparel"].sold == before["Apparel"].sold + sold
    assert after["Home & Kitchen"].sold == before["Home & Kitchen"].sold - sold


def test_the_refresher_and_the_command_make_what_a_push_made_stale(
    three_lanes: dict[str, Any],  # noqa: F811
    hq_engine: Engine,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(tmp_path, pg_url, "analysis-refresh", "--days", "3") == 0
    said = capsys.readouterr().out
    assert re.search(r"^\d+ store day\(s\) of the analysis made in \d+\.\d s\.$", said.strip()), said
    assert count(hq_engine, hs.analysis_days, store_id="S01", day=TODAY) == 1 and not dirty(hq_engine)
    assert cli(tmp_path, pg_url, "analysis-refresh", "--days", "0") == 2
    assert "--days is 1 to 400" in capsys.readouterr().err

    # what `counter hq serve` runs: a push's day is made again within a round or two
    stop = analysis_days.start_refresher(hq_engine, every=0.2)
    try:
        t1: Lane = three_lanes["t1"]
        t1.store.sell([(t1.store.item_in("footwear"), 1)], cashier="Maria")
        sync(t1)
        deadline = time.monotonic() + 20
        while (dirty(hq_engine) or count(hq_engine, hs.analysis_refreshing)) and time.monotonic() < deadline:
            time.sleep(0.1)  # claimed, then made: both gone once the round is over
        assert not dirty(hq_engine) and count(hq_engine, hs.analysis_refreshing) == 0
        assert analysis_days.read(hq_engine, SINCE, UNTIL, None).made == 0  # nothing left for the page to make
    finally:
        stop.set()
    same_as_rows(hq_engine, SINCE, UNTIL, None)


def test_a_day_kept_in_an_older_shape_is_made_again_not_read(
    three_lanes: dict[str, Any],  # noqa: F811
    hq_engine: Engine,
) -> None:
    same_as_rows(hq_engine, SINCE, UNTIL, None)
    with hq_engine.begin() as conn:  # as an older HQ kept them: no shape mark, no rate by vendor
        for table in (hs.analysis_days, hs.analysis_chain_days):
            conn.execute(table.update().values(body='{"chain":{},"cash":{}}'))
    again = same_as_rows(hq_engine, SINCE, UNTIL, None)
    assert again.chain.rate_by_vendor and again.chain.sold > 0
    assert same_as_rows(hq_engine, SINCE, UNTIL, "S01").made == 0  # made again once, then kept
