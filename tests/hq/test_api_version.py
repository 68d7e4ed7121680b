"""Lanes and HQ of adjacent releases work together during a rolling upgrade: every call
says which API versions the lane speaks, HQ says which it serves and answers in the
highest both speak; a lane with none in common is refused with 426 and words (which side
to upgrade), shown in its sync status, and not sent again at every cycle; a lane meeting
an HQ from before the negotiation goes on as before. Over the real HQ (uvicorn, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from counter.sync.api_version import API_VERSION, HQ_SERVES, LANE_SPEAKS, ApiRange, speaks
from db.hq_client import HqApiMismatch, HqClient
from hq import schema as hs
from hq.serve import RunningHq, start_in_thread
from tests.hq.conftest import Lane, hq_count, hq_journal


class CountingTransport(httpx.HTTPTransport):
    """The real transport, counting the requests that left the lane."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return super().handle_request(request)


def talk_to(lane: Lane, url: str, api: ApiRange = LANE_SPEAKS, transport: httpx.BaseTransport | None = None) -> None:
    """The lane's client, as a lane of the release that speaks ``api``, to HQ at ``url``."""
    lane.client.close()
    lane.client = HqClient(url, lane.config.token, timeout=5.0, api=api, transport=transport)
    lane.syncer.client = lane.client
    lane.upstream.client = lane.client


@pytest.fixture
def other_hq(pg_url: str, hq: RunningHq) -> Iterator[list[RunningHq]]:
    """Room for an HQ of another release over the same database (stopped afterwards)."""
    started: list[RunningHq] = []
    yield started
    for server in started:
        server.stop()


def test_the_same_release_agrees_and_hq_says_what_it_serves(make_lane, hq: RunningHq) -> None:  # type: ignore[no-untyped-def]
    lane = make_lane("T01")  # enrolled and pushed: every call carried the lane's versions
    assert lane.client.hq_api == HQ_SERVES.header() == f"{API_VERSION - 1 or 1}-{API_VERSION}"
    health = httpx.get(f"{hq.url}/v1/health")
    assert health.headers["Counter-Api-Supported"] == HQ_SERVES.header()
    assert health.json()["api"] == {"serves": HQ_SERVES.header(), "version": API_VERSION}
    head = httpx.get(
        f"{hq.url}/v1/journal/head",
        headers={"Authorization": f"Bearer {lane.config.token}", "Counter-Api": str(LANE_SPEAKS)},
    )
    assert head.status_code == 200 and head.headers["Counter-Api"] == str(API_VERSION)


def test_a_lane_one_release_ahead_is_served_in_the_version_hq_speaks(  # type: ignore[no-untyped-def]
    make_lane, hq: RunningHq, hq_engine: Engine
) -> None:
    lane = make_lane("T01")
    talk_to(lane, hq.url, speaks(API_VERSION + 1))  # it speaks the next version and this one
    lane.sell([("home-kitchen", 1)])
    status = lane.syncer.cycle()
    assert status.online and not status.problem and status.backlog == 0, status
    assert hq_journal(hq_engine, "T01") == lane.journal()
    head = httpx.get(
        f"{hq.url}/v1/journal/head",
        headers={"Authorization": f"Bearer {lane.config.token}", "Counter-Api": str(speaks(API_VERSION + 1))},
    )
    assert head.status_code == 200 and head.headers["Counter-Api"] == str(API_VERSION)


def test_a_lane_two_releases_ahead_is_refused_with_words_and_not_sent_again(  # type: ignore[no-untyped-def]
    make_lane, hq: RunningHq, hq_engine: Engine
) -> None:
    lane = make_lane("T01", push=False)
    counted = CountingTransport()
    talk_to(lane, hq.url, speaks(API_VERSION + 2), counted)
    lane.sell([("home-kitchen", 1)])
    status = lane.syncer.cycle()
    assert status.problem.startswith(f"This lane (Counter {_app()}) speaks HQ's API versions")
    assert "HQ is older than this lane. Upgrade HQ first" in status.problem and "keeps selling" in status.problem
    assert status.describe() == f"Sync: {status.problem}" and status.backlog > 0
    assert hq_count(hq_engine, hs.journal, terminal_id="T01") == 0  # nothing of it was taken
    sent = counted.sent
    again = lane.syncer.cycle()  # the sync worker's next cycle: answered by the client itself
    assert again.problem == status.problem and counted.sent == sent
    with pytest.raises(HqApiMismatch):
        lane.client.lookup("S01-T01-000001")  # a return's look-up too
    assert counted.sent == sent
    health = httpx.get(f"{hq.url}/v1/health", headers={"Counter-Api": str(speaks(API_VERSION + 2))})
    assert health.status_code == 200 and health.headers["Counter-Api-Supported"] == HQ_SERVES.header()


def test_a_lane_too_old_for_hq_is_refused_with_what_to_do(  # type: ignore[no-untyped-def]
    make_lane, pg_url: str, hq_engine: Engine, other_hq: list[RunningHq]
) -> None:
    newer = start_in_thread(pg_url, pool_size=2, api=speaks(API_VERSION + 2))  # HQ two releases ahead
    other_hq.append(newer)
    lane = make_lane("T01", push=False)
    talk_to(lane, newer.url)
    status = lane.syncer.cycle()
    assert "this lane is too old for this HQ" in status.problem
    upgrade = f"Upgrade this lane to a Counter release that speaks API version {API_VERSION + 1} or later"
    assert upgrade in status.problem
    assert hq_count(hq_engine, hs.journal, terminal_id="T01") == 0
    # a lane from before the negotiation sends no version: it speaks version 1, refused too
    bare = httpx.get(f"{newer.url}/v1/journal/head", headers={"Authorization": f"Bearer {lane.config.token}"})
    assert bare.status_code == 426 and bare.json()["error"] == "api_version"
    assert bare.headers["Counter-Api-Supported"] == speaks(API_VERSION + 2).header()
    assert "this lane is too old for this HQ" in bare.json()["message"]


def test_a_lane_meeting_an_hq_from_before_the_negotiation_goes_on(  # type: ignore[no-untyped-def]
    make_lane, pg_url: str, hq_engine: Engine, other_hq: list[RunningHq]
) -> None:
    older = start_in_thread(pg_url, pool_size=2, api=None)  # says nothing of versions
    other_hq.append(older)
    lane = make_lane("T01", push=False)
    talk_to(lane, older.url)
    lane.sell([("home-kitchen", 1)])
    status = lane.syncer.cycle()
    assert status.online and not status.problem and status.backlog == 0, status
    assert lane.client.hq_api is None
    assert hq_journal(hq_engine, "T01") == lane.journal()
    assert "api" not in httpx.get(f"{older.url}/v1/health").json()


def _app() -> str:
    from db.app_version import app_version

    return app_version()
