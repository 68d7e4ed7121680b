"""Lanes report their state to HQ after each sync cycle's push (issue #18, point 6), and the
back office's lanes page shows it: real store files, a real uvicorn, the real PostgreSQL.

* a cycle reports the lane's backlog, app version, printer state and desk events waiting,
  also when HQ refused the push (the backlog HQ's staff then need to see);
* HQ refuses a malformed report (422 naming the field), another lane's (403), an admin
  token's (403), and keeps nothing of them;
* an older HQ that answers 404 for the report (or an HQ failing at it) never breaks the
  sync: the journal still goes up, the status stays online, the failure is logged once;
* the page shows each lane's values, "x minutes ago", and marks a report older than
  15 minutes stale; a store manager sees their store only; a department agent is refused."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from importlib import metadata

import httpx
import pytest
from sqlalchemy import Engine, insert, select, update

from app.spooler import PrinterChanged, Spooler
from counter.journal import GENESIS
from db.hq_client import HqClient, HqRefused
from db.lane_report import LaneReporter
from devices.escpos.encoder import PrinterProfile
from devices.escpos.status import Paper, PrinterStatus
from devices.urls import open_printer
from hq import access, schema as hs
from hq.serve import RunningHq
from hq.store import utcnow
from tests.hq.conftest import Lane, hq_journal
from tests.hq.office_browser import PASSWORD, make_login
from tests.hq.office_http import row_text, signed_in_client

pytestmark = pytest.mark.slow

VERSION = metadata.version("counter-pos")


def report_of(engine: Engine, terminal: str, store: str = "S01") -> dict[str, object]:
    ls = hs.lane_status
    with engine.connect() as conn:
        row = conn.execute(select(ls).where(ls.c.store_id == store, ls.c.terminal_id == terminal)).mappings().first()
    assert row is not None, f"no report of {store}-{terminal}"
    return dict(row)


@pytest.fixture
def office(hq: RunningHq) -> Iterator[Callable[[str], httpx.Client]]:
    made: list[httpx.Client] = []

    def client(login: str) -> httpx.Client:
        made.append(signed_in_client(hq.url, login, PASSWORD))
        return made[-1]

    yield client
    for c in made:
        c.close()


def test_a_lanes_cycle_reports_its_backlog_version_printer_and_desk_waiting(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    lane = make_lane("T01")  # its first cycle reported already: no printer wired, "unknown"
    first = report_of(hq_engine, "T01")
    assert (first["backlog"], first["app_version"], first["printer"], first["desk_waiting"]) == (
        0, VERSION, "unknown", 0,
    )  # fmt: skip
    lane.syncer.printer_state = lambda: "Out of paper"
    lane.sell([("apparel", 1)])
    status = lane.syncer.cycle()
    assert status.online and not status.problem and status.backlog == 0
    second = report_of(hq_engine, "T01")
    assert (second["backlog"], second["printer"]) == (0, "Out of paper")
    assert second["reported_at"] > first["reported_at"]  # type: ignore[operator]
    lane.syncer.desk_waiting = lambda: [("f1", 1, "case not here yet"), ("f2", 3, "case not here yet")]  # type: ignore[method-assign]
    lane.syncer.cycle()
    assert report_of(hq_engine, "T01")["desk_waiting"] == 2
    # HQ refuses the push (its chain head for the lane is not the lane's): the lane still
    # reports, and its backlog is the entries HQ has not taken
    lane.sell([("apparel", 1), ("toys-games", 2)])
    lane.sell([("apparel", 1)])
    waiting = lane.syncer.backlog()
    assert waiting >= 2
    with hq_engine.begin() as conn:
        conn.execute(update(hs.terminals).where(hs.terminals.c.terminal_id == "T01").values(head_hash=GENESIS))
    lane.syncer.printer_state = lambda: "Cover open\x00\n" + "x" * 200  # trimmed to what HQ takes
    status = lane.syncer.cycle()
    assert status.problem  # the refusal is the status bar's, as before
    third = report_of(hq_engine, "T01")
    assert third["backlog"] == waiting == status.backlog
    assert str(third["printer"]).startswith("Cover open") and len(str(third["printer"])) == 60
    assert "\x00" not in str(third["printer"])


class FakePrinter:
    def __init__(self, status: PrinterStatus) -> None:
        self.status = status

    def subscribe(self, listener: object) -> Callable[[], None]:
        return lambda: None


def test_the_app_words_its_printers_state_for_the_report() -> None:
    def words(printer: FakePrinter | None) -> str:
        return Spooler(lambda: None, None, printer, PrinterProfile()).state_words()  # type: ignore[arg-type]

    assert words(None) == "Not connected"  # no printer set up
    assert words(FakePrinter(PrinterStatus())) == "unknown"  # not polled yet
    assert words(FakePrinter(PrinterStatus(reachable=False))) == "Not connected"
    assert words(FakePrinter(PrinterStatus(online=True, reachable=True, paper=Paper.EMPTY))) == "Out of paper"
    assert words(FakePrinter(PrinterStatus(online=True, reachable=True, paper=Paper.OK))) == "Ready"


def test_a_listener_hears_the_printers_state_even_when_the_printer_answered_before_it_listened() -> None:
    """The printer's worker polls as soon as it is enabled: its first answer may come before
    the window listens, and nothing changes after it, so it must be told on subscribing (the
    window's printer item otherwise stays at "checking…")."""
    printer = open_printer("sim://printer")
    printer.claim()
    printer.enable()
    try:
        deadline = time.monotonic() + 10
        while printer.status == PrinterStatus() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert printer.status.ready
        heard: list[object] = []
        spooler = Spooler(lambda: None, None, printer, PrinterProfile())  # type: ignore[arg-type]
        spooler.subscribe(heard.append)
        assert heard == [PrinterChanged(printer.status)]
    finally:
        printer.close()
    silent: list[object] = []
    Spooler(lambda: None, None, FakePrinter(PrinterStatus()), PrinterProfile()).subscribe(silent.append)  # type: ignore[arg-type]
    assert silent == []  # not polled yet: nothing to tell


def test_hq_refuses_a_malformed_report_with_422_naming_the_field_and_keeps_nothing(
    make_lane: Callable[..., Lane], hq: RunningHq, hq_engine: Engine
) -> None:
    lane = make_lane("T01")
    make_lane("T02")
    kept = report_of(hq_engine, "T01")
    good = {"store": "S01", "terminal": "T01", "backlog": 3, "app_version": "1.2.3", "printer": "Ready",
            "desk_waiting": 0}  # fmt: skip
    for change, field in (
        ({"app_version": "v" * 41}, "app_version"),
        ({"printer": ""}, "printer"),
        ({"printer": "Ready\x07"}, "printer"),
        ({"backlog": -1}, "backlog"),
        ({"backlog": 10**12}, "backlog"),
        ({"desk_waiting": "many"}, "desk_waiting"),
        ({"terminal": "T01; DROP"}, "terminal"),
        ({"extra": 1}, "extra"),
    ):
        with pytest.raises(HqRefused) as refused:
            lane.client.lane_status({**good, **change})
        assert refused.value.status == 422, change
        assert refused.value.message.startswith("Malformed request: body.") and field in refused.value.message
    with pytest.raises(HqRefused) as other:
        lane.client.lane_status({**good, "terminal": "T02"})  # a lane reports only itself
    assert other.value.status == 403 and "only its own" in other.value.message
    admin = HqClient(hq.url, access.new_admin_token(hq_engine, "ops"))
    try:
        with pytest.raises(HqRefused) as not_a_lane:
            admin.lane_status(good)
        assert not_a_lane.value.status == 403 and "enrolled terminal" in not_a_lane.value.message
    finally:
        admin.close()
    assert report_of(hq_engine, "T01") == kept and report_of(hq_engine, "T02")["backlog"] == 0
    lane.client.lane_status(good)  # the well-formed one is kept
    assert report_of(hq_engine, "T01")["backlog"] == 3


class NoLaneStatus(httpx.BaseTransport):
    """HQ as it is, but ``/v1/lane-status`` answers as an older HQ (404), or fails."""

    def __init__(self, answer: int | None = 404) -> None:
        self.inner = httpx.HTTPTransport()
        self.answer = answer  # None: the connection drops
        self.asked = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/lane-status":
            self.asked += 1
            if self.answer is None:
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(self.answer, json={"detail": "Not Found"}, request=request)
        return self.inner.handle_request(request)


@pytest.mark.parametrize("answer", [404, 503, None], ids=["older-hq-404", "hq-503", "connection-drops"])
def test_a_report_hq_does_not_take_never_breaks_the_sync(
    make_lane: Callable[..., Lane], hq_engine: Engine, caplog: pytest.LogCaptureFixture, answer: int | None
) -> None:
    lane = make_lane("T01")
    before = report_of(hq_engine, "T01")
    ticks = iter(range(0, 10_000, 61))  # a minute and more between cycles: each one reports
    lane.syncer.reporter = LaneReporter(clock=lambda: float(next(ticks)))
    transport = NoLaneStatus(answer)
    lane.go_online(transport)
    caplog.set_level(logging.INFO, logger="db.lane_report")
    for _ in range(3):
        lane.sell([("apparel", 1)])
        status = lane.syncer.cycle()
        assert status.online and not status.problem and status.backlog == 0, status
    assert transport.asked == 3
    assert hq_journal(hq_engine, "T01") == lane.journal()  # every entry went up all the same
    assert report_of(hq_engine, "T01") == before  # nothing reached HQ's table
    said = [r.getMessage() for r in caplog.records if r.name == "db.lane_report"]
    assert len(said) == 1, said  # once, not every cycle
    if answer == 404:
        assert "older HQ" in said[0]
    lane.go_online()  # HQ takes reports again
    lane.syncer.printer_state = lambda: "Ready"
    assert lane.syncer.cycle().online
    assert report_of(hq_engine, "T01")["printer"] == "Ready" and lane.syncer.reporter.last_failure == ""


def test_a_lane_reports_again_when_its_state_changed_or_a_minute_has_passed(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    lane = make_lane("T01", push=False)
    now = [1000.0]
    lane.syncer.reporter = LaneReporter(clock=lambda: now[0])
    lane.syncer.cycle()
    first = report_of(hq_engine, "T01")["reported_at"]
    now[0] += 30
    lane.sell([("apparel", 1)])  # pushed in the cycle: the same report after it (backlog 0)
    assert lane.syncer.cycle().online
    assert report_of(hq_engine, "T01")["reported_at"] == first and lane.syncer.reporter.sent == 1
    now[0] += 31  # a minute since HQ took it: again, so HQ sees the lane alive
    lane.syncer.cycle()
    second = report_of(hq_engine, "T01")["reported_at"]
    assert second > first  # type: ignore[operator]
    now[0] += 1
    lane.syncer.printer_state = lambda: "Cover open"  # changed: at once
    lane.syncer.cycle()
    assert report_of(hq_engine, "T01")["printer"] == "Cover open" and lane.syncer.reporter.sent == 3


def _other_store_lane(engine: Engine, store: str, terminal: str, minutes_ago: int) -> None:
    at = utcnow() - timedelta(minutes=minutes_ago)
    with engine.begin() as conn:
        conn.execute(
            insert(hs.terminals).values(
                store_id=store, terminal_id=terminal, enrolled_at=at, head_seq=41, head_hash=GENESIS, last_push_at=at
            )
        )
        conn.execute(
            insert(hs.lane_status).values(
                store_id=store, terminal_id=terminal, reported_at=at, backlog=7, app_version="0.0.9",
                printer="Not connected", desk_waiting=2,
            )
        )  # fmt: skip


def test_the_lanes_page_shows_each_lanes_report_and_marks_a_stale_one(
    make_lane: Callable[..., Lane], hq_engine: Engine, office: Callable[[str], httpx.Client]
) -> None:
    t01 = make_lane("T01")
    make_lane("T02")
    t01.syncer.printer_state = lambda: "Out of paper"
    t01.sell([("apparel", 1)])
    t01.syncer.cycle()
    head = hq_journal(hq_engine, "T01")[-1][0]
    with hq_engine.begin() as conn:  # T02 last pushed and reported 20 minutes ago
        twenty = utcnow() - timedelta(minutes=20)
        conn.execute(update(hs.terminals).where(hs.terminals.c.terminal_id == "T02").values(last_push_at=twenty))
        conn.execute(update(hs.lane_status).where(hs.lane_status.c.terminal_id == "T02").values(reported_at=twenty))
    _other_store_lane(hq_engine, "S02", "T09", minutes_ago=3)
    make_login(hq_engine, "jordan", "u-admin", "admin")
    page = office("jordan").get("/office/lanes")
    assert page.status_code == 200
    one, two = row_text(page.text, "lane-S01-T01"), row_text(page.text, "lane-S01-T02")
    assert f"S01 T01 {utcnow():%Y-%m-%d} just now {head} 0 {VERSION} Out of paper 0 just now" in one
    assert "Stale" not in one
    assert "20 minutes ago" in two and "Stale" in two and "unknown" in two
    far = row_text(page.text, "lane-S02-T09")
    assert "3 minutes ago 41 7 waiting 0.0.9 Not connected 2 3 minutes ago" in far and "Stale" not in far
    assert "T09 Revoked" in far  # no live token (it never enrolled here): nothing to revoke
    assert "New enrolment code" in page.text and page.text.count("Revoke S0") == 2


def test_a_store_manager_sees_their_stores_lanes_only_and_no_forms(
    make_lane: Callable[..., Lane], hq_engine: Engine, office: Callable[[str], httpx.Client]
) -> None:
    make_lane("T01")
    _other_store_lane(hq_engine, "S02", "T09", minutes_ago=30)
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    make_login(hq_engine, "maria", "u-cashier-1", "store_manager", store_id="S02")
    make_login(hq_engine, "sam", "u-cashier-2", "hq_staff")
    alex = office("alex").get("/office/lanes").text
    assert row_text(alex, "lane-S01-T01") and not row_text(alex, "lane-S02-T09") and "S02" not in alex
    assert "New enrolment code" not in alex and "/office/lanes/revoke" not in alex
    maria = office("maria").get("/office/lanes").text
    assert "Stale" in row_text(maria, "lane-S02-T09") and not row_text(maria, "lane-S01-T01")
    sam = office("sam").get("/office/lanes").text  # HQ staff: every store, no forms
    assert row_text(sam, "lane-S01-T01") and row_text(sam, "lane-S02-T09")
    assert "New enrolment code" not in sam and "/office/lanes/revoke" not in sam
    picked = office("sam").get("/office/lanes?store=S02").text  # one store, from the list of stores
    assert row_text(picked, "lane-S02-T09") and not row_text(picked, "lane-S01-T01")
    assert "Lanes: store S02" in picked and "1 lane." in picked
    assert office("alex").get("/office/lanes?store=S02").status_code == 403


def test_a_department_agent_is_refused_the_lanes_page(
    hq: RunningHq, hq_engine: Engine, office: Callable[[str], httpx.Client]
) -> None:
    make_login(hq_engine, "dana", "u-supervisor", "agent", department="warranty")
    _other_store_lane(hq_engine, "S01", "T05", minutes_ago=1)
    dana = office("dana")
    r = dana.get("/office/lanes")
    assert r.status_code == 403 and "Not for your role" in r.text and "T05" not in r.text
    assert 'href="/office/lanes"' not in dana.get("/office/queue").text  # not in the agent's menu
    with httpx.Client(base_url=hq.url, timeout=10) as nobody:
        assert nobody.get("/office/lanes").headers["location"].startswith("/office/sign-in")
