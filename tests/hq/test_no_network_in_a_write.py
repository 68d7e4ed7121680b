"""Nothing on a lane waits on HQ inside a write transaction (issue #15).

A return reserves its quantities at HQ. Here HQ holds its answer to the reservation until
the test lets it go: meanwhile the same lane pulls from HQ (which writes what it pulls),
writes a print job's state and records a sale. Before the return was split into read,
reserve and write, its BEGIN IMMEDIATE was open across the HQ call and each of these
waited on it until SQLite's busy time-out (5 s) said "database is locked"."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
from sqlalchemy import select

from counter.returns.process import ReturnRecord
from db import schema as ls
from tests.hq.conftest import Lane


class HeldReservation(httpx.BaseTransport):
    """The real HTTP transport, except that a reservation's answer is held until released."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.asked = threading.Event()
        self.release = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/reservations"):
            self.asked.set()
            assert self.release.wait(30), "the test never let HQ answer"
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_slow_reservation_holds_up_no_pull_no_print_job_and_no_sale(make_lane: Callable[..., Lane]) -> None:
    lane = make_lane("T01")
    sale = lane.sell([("apparel", 2)])
    assert lane.syncer.cycle().online  # HQ holds the sale
    transport = HeldReservation()
    lane.go_online(transport)
    outcome: list[ReturnRecord | BaseException] = []

    def take_return() -> None:
        try:
            outcome.append(lane.take_return(sale, [(0, 1)]))
        except BaseException as exc:  # reported below, on the test's thread
            outcome.append(exc)

    returning = threading.Thread(target=take_return)
    returning.start()
    try:
        assert transport.asked.wait(30), outcome
        # HQ is sitting on the reservation now. The lane goes on:
        lane.syncer.pull_all()  # a pull writes what it brings (and its cursor)
        with lane.store.uow() as uow:  # the print spooler marks a job
            uow.print_jobs.add("job-meanwhile", "sale", sale.receipt_number, b"\x1b@", 1, lane.store.clock.now())
            uow.print_jobs.mark("job-meanwhile", "done", None, lane.store.clock.now())
            uow.commit()
        another = lane.sell([("apparel", 1)])  # and the next customer is served
        assert returning.is_alive() and outcome == []  # all of it while the return still waited on HQ
    finally:
        transport.release.set()
        returning.join(30)
    [record] = outcome
    assert isinstance(record, ReturnRecord), record
    assert record.hq_reserved and record.original_receipt == sale.receipt_number
    with lane.store.db.read.connect() as conn:
        numbers = set(conn.execute(select(ls.sales.c.receipt_number)).scalars())
        job = conn.execute(select(ls.print_jobs.c.state).where(ls.print_jobs.c.id == "job-meanwhile")).scalar_one()
    assert another.receipt_number in numbers and job == "done"
