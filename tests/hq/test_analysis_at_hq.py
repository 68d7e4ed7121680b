"""The returns and complaints analysis at HQ (issue #17 point 5): over every lane of the store,
equal to the sum of what each lane's own analysis shows, plus the return rate against sales
by item, category, lane and staff member and the complaints with their time to resolution;
read through HQ's API by the back office (admin: any store) and by a lane (its own store).

Three real store files recording through the lanes' own commands, a real uvicorn, the real
PostgreSQL."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from counter.desk.analysis import TABLES, analyse
from counter.desk.cases import (
    CaseStatus,
    ContactKind,
    LinkedTransaction,
    LinkKind,
    LogContact,
    change_status,
    log_contact,
)
from counter.desk.customers import ContactDetails, create_customer
from counter.desk.referrals import Priority, refer_case
from counter.desk.service import DeskConfig
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import ReturnRecord, process_return
from counter.returns.refunds import RefundMethod
from counter.sales.sale import Sale
from db import desk_queries
from hq import access, schema as hs
from hq.serve import RunningHq
from tests.hq.conftest import Lane

pytestmark = pytest.mark.slow

TODAY = datetime.now(UTC).date()
SINCE, UNTIL = TODAY - timedelta(days=2), TODAY + timedelta(days=5)  # the lanes' clocks move on 26 hours


def sync(*lanes: Lane) -> None:
    for lane in lanes:
        status = lane.syncer.cycle()
        assert status.online and not status.problem, status


def customer(lane: Lane, phone: str) -> str:
    details = ContactDetails.checked("Jane Okafor", phone, "")
    return create_customer(lane.store.user("Maria"), details, uow_factory=lane.store.uow, clock=lane.store.clock).id


def give_back(lane: Lane, sale: Sale, picks: list[tuple[int, int]], reason: Reason, cashier: str) -> ReturnRecord:
    cmd = ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=lane.store.user(cashier),
        lines=tuple(ReturnLineRequest(q, reason, Condition.NEW, sale.lines[i].id) for i, q in picks),
        refund_method=RefundMethod.STORE_CREDIT,
        original_receipt=sale.receipt_number,
    )
    return process_return(
        cmd,
        uow_factory=lane.store.uow,
        clock=lane.store.clock,
        store=lane.store.cfg,
        terminal=lane.store.terminal,
        rules=lane.store.rules,
        upstream=lane.upstream,
        read_uow_factory=lane.store.read_uow,
    )


def complain(
    lane: Lane, phone: str, kind: ContactKind, category: str, links: tuple[LinkedTransaction, ...] = ()
) -> str:
    logged = log_contact(
        lane.store.user("Maria"),
        LogContact(customer(lane, phone), kind, category, "It broke on the second day.", "Listened", links),
        uow_factory=lane.store.uow,
        clock=lane.store.clock,
        terminal=lane.store.terminal,
    )
    return logged.case.id


def lane_tables(lane: Lane) -> dict[str, dict[str, tuple[int, Decimal, int, int]]]:
    """The lane's own analysis (as its screen shows it) over the period, by dimension."""
    zone = lane.store.cfg.zone
    since = datetime.combine(SINCE, time(0), zone)
    until = datetime.combine(UNTIL + timedelta(days=1), time(0), zone)
    returns, contacts = desk_queries.analysis_rows(lane.store.db.read, since, until, lane.store.cfg.currency)
    a = analyse(returns, contacts, SINCE, UNTIL)
    return {
        attr: {b.label: (b.units, b.refunded, b.complaints, b.contacts) for b in getattr(a, attr).values()}
        for attr, _ in TABLES
    }


def minus(
    now: dict[str, dict[str, tuple[int, Decimal, int, int]]],
    before: dict[str, dict[str, tuple[int, Decimal, int, int]]],
) -> dict[str, dict[str, tuple[int, Decimal, int, int]]]:
    """What a lane recorded since ``before`` (a dimension's value with nothing new left off)."""
    out: dict[str, dict[str, tuple[int, Decimal, int, int]]] = {}
    for attr, table in now.items():
        out[attr] = {}
        for label, (u, r, c, n) in table.items():
            u0, r0, c0, n0 = before[attr].get(label, (0, Decimal(0), 0, 0))
            if (u - u0, r - r0, c - c0, n - n0) != (0, Decimal(0), 0, 0):
                out[attr][label] = (u - u0, r - r0, c - c0, n - n0)
    return out


def summed(parts: list[dict[str, dict[str, tuple[int, Decimal, int, int]]]]) -> dict[str, dict[str, tuple[Any, ...]]]:
    out: dict[str, dict[str, tuple[Any, ...]]] = {}
    for attr, _ in TABLES:
        table: dict[str, tuple[int, Decimal, int, int]] = {}
        for part in parts:
            for label, (u, r, c, n) in part[attr].items():
                u0, r0, c0, n0 = table.get(label, (0, Decimal(0), 0, 0))
                table[label] = (u0 + u, r0 + r, c0 + c, n0 + n)
        out[attr] = {k: (u, f"{r:.2f}", c, n) for k, (u, r, c, n) in table.items()}
    return out


def hq_tables(body: dict[str, Any]) -> dict[str, dict[str, tuple[Any, ...]]]:
    return {
        attr: {b["label"]: (b["units_returned"], b["refunded"], b["complaints"], b["contacts"]) for b in body[attr]}
        for attr, _ in TABLES
    }


def rates(body: dict[str, Any], table: str) -> dict[str, tuple[int, int, str | None]]:
    return {r["label"]: (r["units_sold"], r["units_returned"], r["return_rate"]) for r in body[table]}


def added(after: dict[str, Any], before: dict[str, Any], table: str, *keys: str) -> dict[str, tuple[int, ...]]:
    """The rows of ``table`` that changed between two answers, as the differences of ``keys``."""
    keys = keys or ("units_sold", "units_returned")
    old = {r["label"]: r for r in before[table]}
    out = {}
    for r in after[table]:
        diff = tuple(r[k] - old[r["label"]][k] if r["label"] in old else r[k] for k in keys)
        if any(diff):
            out[r["label"]] = diff
    return out


def client(hq: RunningHq, token: str) -> httpx.Client:
    return httpx.Client(base_url=hq.url, headers={"Authorization": f"Bearer {token}"}, timeout=20)


def period(**extra: str) -> dict[str, str]:
    return {"since": SINCE.isoformat(), "until": UNTIL.isoformat(), **extra}


@pytest.fixture
def three_lanes(make_lane: Callable[..., Lane], hq: RunningHq, hq_engine: Engine) -> dict[str, Any]:
    """Sales, returns (one across lanes) and cases at three lanes of S01; each lane's own
    analysis read before the last sync (so no lane holds another's desk records yet)."""
    t1, t2, t3 = make_lane("T01"), make_lane("T02"), make_lane("T03")
    # T02 and T03 are copies of the demo store file, whose desk history T01 made: not theirs
    inherited = [lane_tables(lane) for lane in (t2, t3)]
    with client(hq, access.new_admin_token(hq_engine, "before")) as office:
        before = office.get("/v1/analysis", params=period()).json()
    shirt, kettle, shoe = (t1.store.item_in(c) for c in ("apparel", "home-kitchen", "footwear"))
    a = t1.store.sell([(shirt, 4), (kettle, 2)], cashier="Maria")
    b = t2.store.sell([(t2.store.item_in("apparel"), 3)], cashier="Sam")
    t3.store.sell([(t3.store.item_in("footwear"), 5)], cashier="Maria")
    sync(t1, t2, t3)
    give_back(t1, a, [(0, 1)], Reason.CHANGED_MIND, "Dana")
    give_back(t2, b, [(0, 2)], Reason.DEFECTIVE, "Sam")
    give_back(t2, a, [(1, 1)], Reason.DEFECTIVE, "Sam")  # T01's receipt, taken back at T02
    # a complaint about sale A at T01, referred to warranty, resolved 26 hours after it was opened
    quality = complain(
        t1,
        "(217) 555-0181",
        ContactKind.COMPLAINT,
        "Product quality",
        (LinkedTransaction(LinkKind.SALE, a.receipt_number),),
    )
    t1.store.clock.advance(hours=1)
    maria, uow, clock = t1.store.user("Maria"), t1.store.uow, t1.store.clock
    refer_case(
        maria,
        quality,
        "warranty",
        Priority.HIGH,
        None,
        "Seam",
        config=DeskConfig(),
        store=t1.store.cfg,
        uow_factory=uow,
        clock=clock,
    )
    t1.store.clock.advance(hours=25)
    change_status(maria, quality, CaseStatus.RESOLVED, "Replaced.", uow_factory=uow, clock=clock)
    change_status(maria, quality, CaseStatus.CLOSED, "", uow_factory=uow, clock=clock)
    complain(t2, "(217) 555-0182", ContactKind.COMPLAINT, "Service at the store")  # still open
    complain(t3, "(217) 555-0183", ContactKind.INQUIRY, "Product quality")  # a contact, not a complaint
    lanes = [lane_tables(t1)] + [minus(lane_tables(lane), old) for lane, old in zip((t2, t3), inherited, strict=True)]
    sync(t1, t2, t3)
    return {
        "lanes": lanes,
        "before": before,
        "quality": quality,
        "t1": t1,
        "t2": t2,
        "shirt": shirt,
        "kettle": kettle,
        "shoe": shoe,
    }


def test_the_analysis_at_hq_is_the_sum_of_the_lanes_with_return_rates_and_resolution_times(
    three_lanes: dict[str, Any], hq: RunningHq, hq_engine: Engine
) -> None:
    with client(hq, access.new_admin_token(hq_engine, "back-office")) as office:
        answer = office.get("/v1/analysis", params=period())
    assert answer.status_code == 200, answer.text
    body = answer.json()

    expected = summed(three_lanes["lanes"])
    assert expected["by_reason"] and expected["by_contact_category"]  # the lanes saw returns and contacts
    assert hq_tables(body) == expected
    assert body["units_returned"] == 4  # the demo store file holds no return in the period
    assert body["contacts"] == sum(n for *_, n in expected["by_contact_category"].values())

    # what this story added at HQ (the demo store file's sales and cases were there before it)
    before = three_lanes["before"]
    shirt, kettle, shoe = three_lanes["shirt"], three_lanes["kettle"], three_lanes["shoe"]
    assert added(body, before, "rate_by_item") == {
        f"{shirt.name} ({shirt.sku})": (7, 3),
        f"{kettle.name} ({kettle.sku})": (2, 1),
        f"{shoe.name} ({shoe.sku})": (5, 0),
    }
    assert added(body, before, "rate_by_category") == {"Apparel": (7, 3), "Home & Kitchen": (2, 1), "Footwear": (5, 0)}
    # a lane's returns against its own sales: T02 took back T01's kettle too
    assert added(body, before, "rate_by_lane") == {"S01-T01": (6, 1), "S01-T02": (3, 3), "S01-T03": (5, 0)}
    assert added(body, before, "rate_by_staff") == {
        "Maria Lopez": (11, 0),
        "Sam Carter": (3, 3),
        "Dana Whitfield": (0, 1),
    }
    assert (body["units_sold"] - before["units_sold"], body["units_returned"] - before["units_returned"]) == (14, 4)
    # the rate is units returned per unit sold, to four places; none with nothing sold
    item_rates = {k: r for k, (_, _, r) in rates(body, "rate_by_item").items()}
    assert [item_rates[f"{i.name} ({i.sku})"] for i in (shirt, kettle, shoe)] == ["0.4286", "0.5000", "0.0000"]
    staff = rates(body, "rate_by_staff")
    assert staff["Dana Whitfield"] == (0, 1, None)
    assert staff["Maria Lopez"][0] >= 11  # the demo's days may hold sales of hers too; the rate is checked below
    assert rates(body, "rate_by_lane")["S01-T03"] == (5, 0, "0.0000")
    for table in ("rate_by_item", "rate_by_category", "rate_by_lane", "rate_by_staff"):
        for label, (sold, back, rate) in rates(body, table).items():
            assert rate == (f"{Decimal(back) / Decimal(sold):.4f}" if sold else None), (table, label)
    # by vendor: the vendor each item has in HQ's catalog (the demo's: by its barcode's company prefix)
    with hq_engine.connect() as conn:
        vendor = dict(conn.execute(select(hs.items.c.sku, hs.items.c.vendor)).all())
    expected_vendors: dict[str, tuple[int, int]] = {}
    for item, change in ((shirt, (7, 3)), (kettle, (2, 1)), (shoe, (5, 0))):
        was = expected_vendors.get(vendor[item.sku], (0, 0))
        expected_vendors[vendor[item.sku]] = (was[0] + change[0], was[1] + change[1])
    assert all(vendor[i.sku] for i in (shirt, kettle, shoe))
    assert added(body, before, "rate_by_vendor") == expected_vendors
    assert "Return rate by vendor" not in body["vendor"] and "catalog" in body["vendor"]

    with hq_engine.connect() as conn:
        warranty = conn.execute(
            select(hs.referrals.c.department_name, hs.referrals.c.department).where(
                hs.referrals.c.case_id == three_lanes["quality"]
            )
        ).one()
    dept = warranty[0] or warranty[1]
    # complaints opened in the story: the inquiry is none; one resolved 26 hours after it was opened
    assert added(body, before, "complaints_by_category", "complaints", "resolved", "open") == {
        "Product quality": (1, 1, 0),
        "Service at the store": (1, 0, 1),
    }
    assert added(body, before, "complaints_by_department", "complaints", "resolved", "open") == {
        dept: (1, 1, 0),
        "(not referred)": (1, 0, 1),
    }
    by_cat = {c["label"]: c for c in body["complaints_by_category"]}
    assert (
        by_cat["Product quality"]["mean_hours_to_resolution"],
        by_cat["Product quality"]["max_hours_to_resolution"],
    ) == (
        "26.0",
        "26.00",
    )
    assert by_cat["Service at the store"]["mean_hours_to_resolution"] is None
    by_dept = {c["label"]: c["mean_hours_to_resolution"] for c in body["complaints_by_department"]}
    assert by_dept[dept] == "26.0"  # the demo's warranty complaint is still open

    # the CSV says the same
    with client(hq, access.new_admin_token(hq_engine, "sheet")) as office:
        sheet = office.get("/v1/analysis", params=period(format="csv", store="S01"))
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    rows = {(r["dimension"], r["value"]): r for r in csv.DictReader(io.StringIO(sheet.text))}
    t03 = rows[("Return rate by lane", "S01-T03")]
    assert (t03["units_sold"], t03["units_returned"], t03["return_rate"]) == ("5", "0", "0.0000")
    assert rows[("Complaints by department", dept)]["mean_hours_to_resolution"] == "26.0"
    assert rows[("Returns by reason", "Defective")]["units_returned"] == "3"


def test_a_lane_reads_its_own_store_and_the_back_office_any(
    three_lanes: dict[str, Any], hq: RunningHq, hq_engine: Engine
) -> None:
    t1: Lane = three_lanes["t1"]
    with client(hq, t1.config.token) as lane:
        own = lane.get("/v1/analysis", params=period())
        other = lane.get("/v1/analysis", params=period(store="S02"))
    assert own.status_code == 200 and own.json()["store"] == "S01" and own.json()["units_returned"] == 4
    assert other.status_code == 403 and "own store" in other.json()["message"]
    with client(hq, access.new_admin_token(hq_engine, "back-office")) as office:
        empty = office.get("/v1/analysis", params=period(store="S02")).json()
    assert (empty["units_sold"], empty["units_returned"], empty["rate_by_lane"]) == (0, 0, [])


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"until": "2026-12-01"}, "since day"),
        ({"since": "2026-13-01", "until": "2026-12-01"}, "is not a day"),
        ({"since": "2026-12-01", "until": "1 Dec"}, "is not a day"),
        ({"since": "2026-12-05", "until": "2026-12-01"}, "before it starts"),
        ({"since": "2020-01-01", "until": "2026-12-01"}, "at most"),
        ({"since": "2026-12-01", "until": "2026-12-02", "format": "xml"}, "format=csv"),
        ({"since": "2026-12-01", "until": "2026-12-02", "store": "S 01;"}, "store id"),
    ],
)
def test_a_bad_period_is_refused_with_words(
    hq: RunningHq, hq_engine: Engine, params: dict[str, str], words: str
) -> None:
    with client(hq, access.new_admin_token(hq_engine, "back-office")) as office:
        answer = office.get("/v1/analysis", params=params)
    assert answer.status_code == 422, answer.text
    assert words in answer.json()["message"]


def test_no_token_no_analysis(hq: RunningHq) -> None:
    with httpx.Client(base_url=hq.url, timeout=10) as anyone:
        answer = anyone.get("/v1/analysis", params={"since": "2026-12-01", "until": "2026-12-02"})
    assert answer.status_code in (401, 403)
