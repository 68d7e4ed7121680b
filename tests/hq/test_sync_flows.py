"""Terminals and HQ end to end: real store files, real uvicorn, real PostgreSQL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from counter.journal import EventType
from counter.returns.model import ReturnError
from counter.sync.upstream import OfflineCaps, UpstreamUnavailable
from db import schema as ls
from hq import schema as hs
from hq.serve import URL_ENV, free_port
from tests.hq.conftest import Lane, hq_count, hq_journal, run_threads

pytestmark = pytest.mark.slow


def local_sales(lane: Lane) -> int:
    with lane.store.db.read.connect() as conn:
        return len(
            conn.execute(
                select(ls.journal.c.seq).where(
                    ls.journal.c.terminal_id == lane.terminal_id, ls.journal.c.type == EventType.SALE_COMPLETED
                )
            ).all()
        )


def test_offline_selling_then_reconnect(make_lane: Callable[..., Lane], hq_engine: Engine) -> None:
    lane = make_lane("T01")
    lane.go_offline()
    receipts = [lane.sell([("apparel", 1), ("toys-games", 2)]).receipt_number for _ in range(3)]
    status = lane.syncer.cycle()
    assert not status.online
    assert status.describe() == f"Sync: offline, {status.backlog} waiting"
    assert status.backlog >= 3
    lane.go_online()
    status = lane.syncer.cycle()
    assert status.online and status.backlog == 0
    assert status.describe().startswith("Sync: up to date")
    assert hq_journal(hq_engine, "T01") == lane.journal()
    for number in receipts:
        assert hq_count(hq_engine, hs.sales, receipt_number=number) == 1
    assert hq_count(hq_engine, hs.sales, terminal_id="T01") == local_sales(lane)


class LostAnswer(httpx.BaseTransport):
    """Delivers the request to HQ, then loses HQ's answer (the first ``lose`` pushes)."""

    def __init__(self, lose: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose = lose
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/journal") and request.method == "POST" and self.lost < self.lose:
            response.read()
            self.lost += 1
            raise httpx.ReadError("connection reset after HQ committed", request=request)
        return response


def test_answer_lost_after_hq_committed(make_lane: Callable[..., Lane], hq_engine: Engine) -> None:
    lane = make_lane("T01")
    for _ in range(4):
        lane.sell([("apparel", 1)])
    acked_before = lane.syncer.acked_seq()
    transport = LostAnswer(lose=1)
    lane.go_online(transport)
    status = lane.syncer.cycle()
    assert transport.lost == 1 and not status.online
    assert lane.syncer.acked_seq() == acked_before  # nothing marked without an answer
    assert hq_journal(hq_engine, "T01") == lane.journal()  # ... but HQ did commit
    status = lane.syncer.cycle()  # the same entries again
    assert status.online and status.backlog == 0
    assert hq_journal(hq_engine, "T01") == lane.journal()
    assert hq_count(hq_engine, hs.sales, terminal_id="T01") == local_sales(lane)


@pytest.fixture
def hq_process(pg_url: str) -> Iterator[Callable[[int], subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(port: int) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "hq.serve:app_from_env", "--host", "127.0.0.1"]
            + ["--port", str(port), "--log-level", "warning"],
            env={**os.environ, URL_ENV: pg_url},
            cwd=Path(__file__).resolve().parents[2],
        )
        procs.append(proc)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=0.5).status_code == 200:
                    return proc
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("HQ process did not start")

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_hq_killed_mid_batch(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq_process: Callable[[int], subprocess.Popen[bytes]]
) -> None:
    lane = make_lane("T01")
    for _ in range(60):
        lane.sell([("apparel", 1), ("toys-games", 1)])
    port = free_port()
    proc = hq_process(port)
    lane.online_url = f"http://127.0.0.1:{port}"
    lane.go_online()
    failures: list[BaseException] = []

    def push() -> None:
        try:
            while lane.syncer.backlog():
                lane.syncer.push_batch(batch=5)
        except UpstreamUnavailable as exc:
            failures.append(exc)

    pusher = threading.Thread(target=push)
    pusher.start()
    deadline = time.monotonic() + 20
    while lane.syncer.acked_seq() == 0 or hq_count(hq_engine, hs.journal, terminal_id="T01") < 20:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)  # no graceful shutdown: whatever was in flight dies
    proc.wait(timeout=10)
    pusher.join(timeout=30)
    assert failures, "the push should have met a dead HQ"
    assert lane.syncer.backlog() > 0
    hq_process(port)  # HQ back, same database
    status = lane.syncer.cycle()
    assert status.online and status.backlog == 0, status
    assert hq_journal(hq_engine, "T01") == lane.journal()
    assert hq_count(hq_engine, hs.sales, terminal_id="T01") == local_sales(lane)


def test_tampered_local_journal_is_refused_and_alerted(make_lane: Callable[..., Lane], hq_engine: Engine) -> None:
    lane = make_lane("T01")
    head_before = hq_journal(hq_engine, "T01")
    sale = lane.sell([("apparel", 1)])
    # Someone edits the store file by hand: drops the guard trigger and lowers a total.
    raw = sqlite3.connect(lane.folder / "counter.sqlite3")
    raw.execute("DROP TRIGGER journal_no_update")
    raw.execute(
        "UPDATE journal SET body = replace(body, '\"receipt_number\":\"' || ? || '\"', "
        "'\"receipt_number\":\"S01-T01-999999\"') WHERE terminal_id = 'T01' AND type = 'SaleCompleted' "
        "AND body LIKE '%' || ? || '%'",
        (sale.receipt_number, sale.receipt_number),
    )
    raw.commit()
    raw.close()
    status = lane.syncer.cycle()
    assert "altered" in status.problem
    assert hq_journal(hq_engine, "T01") == head_before  # nothing of the batch stored
    with hq_engine.connect() as conn:
        kinds = conn.execute(select(hs.alerts.c.kind).where(hs.alerts.c.terminal_id == "T01")).scalars().all()
    assert "chain_broken" in kinds


def test_cross_lane_return_and_n_lanes_racing_on_one_receipt(make_lane: Callable[..., Lane], hq_engine: Engine) -> None:
    seller = make_lane("T01")
    sale = seller.sell([("apparel", 2)])
    seller.syncer.cycle()
    others = [make_lane(t) for t in ("T02", "T03", "T04", "T05")]
    results = run_threads([lambda lane=lane: lane.take_return(sale, [(0, 1)]) for lane in others])
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(ok) == 2, results
    assert all(isinstance(r, ReturnError) and "can still be returned" in r.message for r in refused), refused
    assert all(r.hq_reserved for r in ok)  # type: ignore[union-attr]
    for lane in others:
        lane.syncer.cycle()
    assert hq_count(hq_engine, hs.returns, original_sale_id=sale.id) == 2
    assert hq_count(hq_engine, hs.exceptions) == 0
    # The seller's own lane, online, is refused too: nothing is left.
    with pytest.raises(ReturnError, match="Only 0"):
        seller.take_return(sale, [(0, 1)])


def test_two_offline_lanes_over_return_one_receipt_and_hq_flags_it(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    seller = make_lane("T01")
    sale = seller.sell([("apparel", 2)])
    seller.syncer.cycle()
    other = make_lane("T02")
    other.take_return(sale, [(0, 1)])  # online: reserved at HQ, the sale copied to T02
    seller.go_offline()
    other.go_offline()
    mine = seller.take_return(sale, [(0, 2)])  # T01 knows of no return yet
    theirs = other.take_return(sale, [(0, 1)])  # T02 knows only its own
    assert not mine.hq_reserved and not theirs.hq_reserved
    for lane in (seller, other):
        lane.go_online()
        assert lane.syncer.cycle().backlog == 0
    assert hq_count(hq_engine, hs.returns, original_sale_id=sale.id) == 3  # every record kept
    with hq_engine.connect() as conn:
        flagged = conn.execute(select(hs.exceptions)).mappings().all()
    assert flagged and all(f["kind"] == "over_return" and f["sold"] == 2 for f in flagged)
    assert {f["return_id"] for f in flagged} <= {mine.id, theirs.id}
    assert max(f["returned"] for f in flagged) == 4


def test_offline_returns_stay_within_the_caps(make_lane: Callable[..., Lane]) -> None:
    lane = make_lane("T01", caps=OfflineCaps(per_return=Decimal("30.00")))
    cheap = lane.sell([("toys-games", 1)])
    dear = lane.sell([("apparel", 5)])
    lane.syncer.cycle()
    lane.go_offline()
    with pytest.raises(Exception, match="offline a return may refund at most"):
        lane.take_return(dear, [(0, 5)])
    record = lane.take_return(cheap, [(0, 1)])
    assert not record.hq_reserved
    assert lane.upstream.offline_refunded_today(lane.store.clock.now()) == record.quote.refund_total
