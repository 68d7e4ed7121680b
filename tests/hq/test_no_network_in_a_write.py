"""Nothing on a lane waits on HQ inside a write transaction (issue #15).

A return reserves its quantities at HQ. Here HQ holds its answer to the reservation until
the test lets it go: meanwhile the same lane pulls from HQ (which writes what it pulls),
writes a print job's state and records a sale. Before the return was split into read,
reserve and write, its BEGIN IMMEDIATE was open across the HQ call and each of these
waited on it until SQLite's busy time-out (5 s) said "database is locked"."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import httpx
from sqlalchemy import select

from counter.returns.model import ApprovalNeeded, CustomerId, ProcessReturn, ReturnLineRequest
from counter.returns.policy import ApprovalKind, Condition, Reason
from counter.returns.process import ReturnRecord, process_return
from counter.returns.refunds import RefundMethod
from db import schema as ls
from tests.hq.conftest import Lane


class HeldReservation(httpx.BaseTransport):
    """The real HTTP transport, except that a reservation's answer (or the one to ``path``)
    is held until released."""

    def __init__(self, path: str = "/reservations") -> None:
        self.inner = httpx.HTTPTransport()
        self.path = path
        self.asked = threading.Event()
        self.release = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith(self.path):
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


def test_a_slow_answer_about_the_customers_returns_holds_up_no_sale(make_lane: Callable[..., Lane]) -> None:
    """Without a receipt, HQ is asked the customer's total at the other lanes (issue #17
    point 4): while HQ sits on its answer, the lane sells and pulls."""
    lane = make_lane("T01")
    toy = lane.store.item_in("toys-games")
    cmd = ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=lane.store.user("Maria"),
        lines=(ReturnLineRequest(1, Reason.GIFT, Condition.NEW, item=toy, unit_price=toy.price),),
        refund_method=RefundMethod.STORE_CREDIT,
        id_document=CustomerId.checked("Passport", "P7788990"),
    )
    transport = HeldReservation("/no-receipt/holds")
    lane.go_online(transport)
    outcome: list[ReturnRecord | BaseException] = []

    def take_return() -> None:
        try:
            outcome.append(
                process_return(
                    cmd,
                    uow_factory=lane.store.uow,
                    clock=lane.store.clock,
                    store=lane.store.cfg,
                    terminal=lane.store.terminal,
                    rules=lane.store.rules,
                    upstream=lane.upstream,
                    read_uow_factory=lane.store.read_uow,
                )
            )
        except BaseException as exc:  # reported below, on the test's thread
            outcome.append(exc)

    returning = threading.Thread(target=take_return)
    returning.start()
    try:
        assert transport.asked.wait(30), outcome
        lane.syncer.pull_all()
        sold = lane.sell([("apparel", 1)])
        assert returning.is_alive() and outcome == []
    finally:
        transport.release.set()
        returning.join(30)
    [needed] = outcome
    # HQ answered; the quote then asked for the supervisor (any return without a receipt does)
    assert isinstance(needed, ApprovalNeeded) and needed.kinds == {ApprovalKind.NO_RECEIPT}, needed
    with lane.store.db.read.connect() as conn:
        assert sold.receipt_number in set(conn.execute(select(ls.sales.c.receipt_number)).scalars())
