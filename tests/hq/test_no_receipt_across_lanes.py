"""No-receipt limits hold across lanes and stores (issue #17 point 4). Real store files taking
returns without a receipt through the return command, a real uvicorn, the real PostgreSQL;
each test a story:

* a customer who reached the limit at T01 needs a supervisor at T02, whose own store file
  has none of it: HQ's total counts;
* T01's return not pushed yet is seen at T02 all the same, through its hold at HQ, and
  counted once when it arrives;
* offline, T03 refuses a return without a receipt and says why; T02, allowed to take them
  offline, takes one within its caps; after both lanes sync HQ lists the excess, naming the
  customer key (never the ID), the returns and the lanes;
* what HQ refuses of the question, with the reason.

After each story the journal verifies on every lane and HQ holds each lane's chain as is.
The window, the limit and the amounts are the demo store's rules (150.00 over 30 days) and
the toy's shelf price (never sold, so a no-receipt return refunds it), worked out here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete, select

from counter.catalog import Item
from counter.errors import CounterError
from counter.returns.model import ApprovalNeeded, CustomerId, ProcessReturn, ReturnLineRequest
from counter.returns.policy import ApprovalKind, Condition, Reason
from counter.returns.process import ReturnRecord, process_return
from counter.returns.refunds import RefundMethod
from counter.sync.upstream import OfflineCaps
from db import schema as ls
from db.audit import audit_store
from hq import access, no_receipt as hq_no_receipt, schema as hs
from hq.cli import describe_exception
from hq.serve import RunningHq
from tests.db.support import approve
from tests.db.test_return_rules import unsold_item
from tests.hq.conftest import Lane, hq_count, hq_journal

pytestmark = pytest.mark.slow

D = Decimal
LIMIT = D("150.00")
JANE = "D123-4567-8901"


# ------------------------------------------------------------------------------ helpers


def gross(item: Item, quantity: int) -> Decimal:
    """A no-receipt refund of ``quantity`` at the shelf price (the demo's prices exclude tax)."""
    amount = item.price * quantity
    return amount + (amount * item.tax.rate).quantize(D("0.01"), ROUND_HALF_UP)


def no_receipt(lane: Lane, item: Item, quantity: int, id_number: str = JANE) -> ProcessReturn:
    return ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=lane.store.user("Maria"),
        lines=(ReturnLineRequest(quantity, Reason.GIFT, Condition.NEW, item=item, unit_price=item.price),),
        refund_method=RefundMethod.STORE_CREDIT,
        id_document=CustomerId.checked("Driver's license", id_number),
    )


def take(lane: Lane, cmd: ProcessReturn) -> ReturnRecord:
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


def needed(lane: Lane, cmd: ProcessReturn) -> ApprovalNeeded:
    with pytest.raises(ApprovalNeeded) as asked:
        take(lane, cmd)
    return asked.value


def approved(lane: Lane, cmd: ProcessReturn, kinds: set[ApprovalKind]) -> ReturnRecord:
    """Taken after a supervisor approved what it needs, which must be ``kinds``."""
    asked = needed(lane, cmd)
    assert asked.kinds == kinds, asked.message
    approve(lane.store, cmd, asked.kinds, asked.amount)
    return take(lane, cmd)


def returns_at(lane: Lane) -> int:
    with lane.store.db.read.connect() as conn:
        return len(conn.execute(select(ls.returns.c.id)).all())


def sync(*lanes: Lane) -> None:
    for lane in lanes:
        status = lane.syncer.cycle()
        assert status.online and not status.problem, status


def verified(engine: Engine, *lanes: Lane) -> None:
    """Every lane's journal verifies, and HQ holds each lane's chain as the lane has it."""
    for lane in lanes:
        audit = audit_store(lane.store.db.read, lane.store.db.secret)
        assert audit.ok, audit.lines()
        assert hq_journal(engine, lane.terminal_id) == lane.journal()


def holds(engine: Engine) -> dict[str, str]:
    h = hs.no_receipt_holds
    with engine.connect() as conn:
        return {r.return_id: r.state for r in conn.execute(select(h.c.return_id, h.c.state))}


def exceptions(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(hs.exceptions).order_by(hs.exceptions.c.id)).mappings()]


def api(hq: RunningHq, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=hq.url, headers=headers, timeout=10)


def most_under_the_limit(toy: Item) -> int:
    """As many toys as stay within the limit; one more goes over it."""
    most = max(q for q in range(1, 50) if gross(toy, q) <= LIMIT)
    assert gross(toy, most) + gross(toy, 1) > LIMIT
    return most


# ------------------------------------------------------------------------------ stories


def test_a_customer_who_reached_the_limit_at_t01_needs_a_supervisor_at_t02(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    toy = unsold_item(one.store, "toys-games")
    most = most_under_the_limit(toy)
    first = approved(one, no_receipt(one, toy, most), {ApprovalKind.NO_RECEIPT})
    assert first.quote.refund_total == gross(toy, most) and first.hq_reserved
    sync(one)

    # At T02 the same ID (typed with spaces) for one more toy: T02's file has none of it,
    # HQ's total takes the customer over 150.00. One supervisor visit, both approvals named.
    two.store.clock.advance(minutes=5)
    cmd = no_receipt(two, toy, 1, "d123 4567 8901")
    asked = needed(two, cmd)
    assert asked.kinds == {ApprovalKind.NO_RECEIPT, ApprovalKind.CUSTOMER_LIMIT}
    assert asked.message == (
        "A supervisor must approve: no-receipt returns above the customer's limit, return without a receipt "
        f"(${gross(toy, 1)})."
    )
    assert returns_at(two) == 0
    # each attempt that needed an approval gave its hold back (at T01 and here): only the
    # return T01 took is counted
    held = holds(hq_engine)
    assert held[first.id] == "confirmed" and sorted(held.values()) == ["confirmed", "released", "released"]
    # another customer's return at T02 needs no more than any return without a receipt
    other = approved(two, no_receipt(two, toy, 1, "X9990000111"), {ApprovalKind.NO_RECEIPT})
    # approved, Jane's is taken, and states what it was taken under
    approve(two.store, cmd, asked.kinds, asked.amount)
    second = take(two, cmd)
    assert ApprovalKind.CUSTOMER_LIMIT in second.quote.approvals
    sync(two)
    with hq_engine.connect() as conn:
        rows = conn.execute(
            select(
                hs.no_receipt_returns.c.return_id, hs.no_receipt_returns.c.limit_minor, hs.no_receipt_returns.c.approved
            )
            .where(hs.no_receipt_returns.c.customer_key == cmd.id_document.key)  # type: ignore[union-attr]
            .order_by(hs.no_receipt_returns.c.completed_at)
        ).all()
    assert [tuple(r) for r in rows] == [(first.id, 15000, False), (second.id, 15000, True)]
    assert exceptions(hq_engine) == []  # a supervisor approved going over: nothing to flag
    assert other.id not in {r[0] for r in rows}
    verified(hq_engine, one, two)


def test_a_return_not_pushed_yet_is_seen_at_the_next_lane_through_its_hold(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two, three = make_lane("T01"), make_lane("T02"), make_lane("T03")
    toy = unsold_item(one.store, "toys-games")
    most = most_under_the_limit(toy)
    first = approved(one, no_receipt(one, toy, most), {ApprovalKind.NO_RECEIPT})
    # T01 does not push: HQ has no entry of it, only its hold
    assert hq_count(hq_engine, hs.returns) == 0 and holds(hq_engine)[first.id] == "reserved"
    two.store.clock.advance(minutes=5)
    asked = needed(two, no_receipt(two, toy, 1))
    assert asked.kinds == {ApprovalKind.NO_RECEIPT, ApprovalKind.CUSTOMER_LIMIT}
    assert returns_at(two) == 0

    # T01 pushes: the hold is confirmed, the return counted from its entry, once
    sync(one)
    assert holds(hq_engine)[first.id] == "confirmed"
    key = CustomerId.checked("Driver's license", JANE).key
    cents = one.store.cfg.currency.to_minor
    probe = str(uuid.uuid4())
    with api(hq, three.config.token) as http:
        answer = http.post(
            "/v1/no-receipt/holds",
            json={"return_id": probe, "customer_key": key, "amount_minor": 100, "window_days": 30},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "held": True,
            "return_id": probe,
            "window_days": 30,
            "total_minor": cents(gross(toy, most)),
            "returns": [first.id],
        }
        assert http.delete(f"/v1/reservations/{probe}").json() == {"released": 1}
    assert holds(hq_engine)[probe] == "released"
    # T03, asking next, does not count the probe it gave back
    three.store.clock.advance(minutes=10)
    asked = needed(three, no_receipt(three, toy, 1))
    assert asked.kinds == {ApprovalKind.NO_RECEIPT, ApprovalKind.CUSTOMER_LIMIT}
    verified(hq_engine, one, two, three)


def test_offline_the_caps_apply_and_after_both_lanes_sync_hq_flags_the_excess(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one = make_lane("T01")
    two = make_lane("T02", caps=OfflineCaps(per_return=D("100.00"), per_day=D("300.00"), no_receipt=True))
    three = make_lane("T03")  # the default caps: no return without a receipt offline
    toy = unsold_item(one.store, "toys-games")
    most = most_under_the_limit(toy)
    first = approved(one, no_receipt(one, toy, most), {ApprovalKind.NO_RECEIPT})
    sync(one)

    # HQ away from T03: refused, saying why, before any supervisor is called over
    three.go_offline()
    with pytest.raises(CounterError) as refused:
        take(three, no_receipt(three, toy, 1))
    assert not isinstance(refused.value, ApprovalNeeded)
    assert refused.value.message == (
        "Returns without a receipt are not taken while HQ cannot be reached: the customer's "
        "returns at the other lanes cannot be counted."
    )
    assert returns_at(three) == 0

    # HQ away from T02, which may take them offline within its caps: not above 100.00 ...
    two.go_offline()
    two.store.clock.advance(minutes=5)
    big = no_receipt(two, toy, most)
    approve(two.store, big, {ApprovalKind.NO_RECEIPT}, gross(toy, most))
    with pytest.raises(CounterError) as capped:
        take(two, big)
    assert capped.value.message == (
        f"HQ cannot be reached, and offline a return may refund at most $100.00 (this one is ${gross(toy, most)})."
    )
    # ... and one toy is taken: T02 cannot know of T01's return
    second = approved(two, no_receipt(two, toy, 1), {ApprovalKind.NO_RECEIPT})
    assert second.hq_reserved is False
    assert hq_count(hq_engine, hs.exceptions) == 0

    two.go_online()
    sync(two)
    total = gross(toy, most) + gross(toy, 1)
    cents = one.store.cfg.currency.to_minor
    key = CustomerId.checked("Driver's license", JANE).key
    (flag,) = exceptions(hq_engine)
    assert {k: flag[k] for k in ("kind", "return_id", "store_id", "terminal_id", "customer_key")} == {
        "kind": "no_receipt_limit",
        "return_id": second.id,
        "store_id": "S01",
        "terminal_id": "T02",
        "customer_key": key,
    }
    assert (flag["sold"], flag["returned"], flag["amount_minor"]) == (15000, cents(total), cents(gross(toy, 1)))
    assert flag["return_numbers"] == f"{first.return_number}, {second.return_number}"
    assert flag["lanes"] == "S01-T01, S01-T02"
    assert f"customer ID key {key[:12]}…" in flag["detail"] and "over the limit of 15000" in flag["detail"]
    # the ID's number is nowhere in it
    assert not any("12345678901" in str(v) or "D1234" in str(v) for v in flag.values())
    assert describe_exception(flag) == (
        f"no-receipt returns of customer ID key {key[:12]}… over the limit: {total} refunded by "
        f"{first.return_number}, {second.return_number} at S01-T01, S01-T02 (limit 150.00); "
        f"the last, at S01-T02, refunded {gross(toy, 1)}"
    )
    admin = access.new_admin_token(hq_engine, "back office")
    with api(hq, admin) as http:
        listed = http.get("/v1/exceptions").json()["exceptions"]
    assert [(x["kind"], x["return_id"], x["customer_key"]) for x in listed] == [("no_receipt_limit", second.id, key)]

    # Online again, T01 sees the chain's 2 returns: a third needs the approval, and once
    # approved it is not flagged; pushed again nothing is flagged twice.
    one.store.clock.advance(minutes=10)
    third = approved(one, no_receipt(one, toy, 1), {ApprovalKind.NO_RECEIPT, ApprovalKind.CUSTOMER_LIMIT})
    sync(one, two)
    assert [x["return_id"] for x in exceptions(hq_engine)] == [second.id]
    assert third.hq_reserved
    verified(hq_engine, one, two, three)


def test_hq_keeps_what_it_held_by_customer_key_from_its_journal_too(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    """The migration's backfill projects the no-receipt returns HQ's journal already holds:
    the same rows the pushes made, and the same flags."""
    one = make_lane("T01")
    two = make_lane("T02", caps=OfflineCaps(no_receipt=True))
    toy = unsold_item(one.store, "toys-games")
    first = approved(one, no_receipt(one, toy, most_under_the_limit(toy)), {ApprovalKind.NO_RECEIPT})
    two.go_offline()
    two.store.clock.advance(minutes=5)
    approved(two, no_receipt(two, toy, 1), {ApprovalKind.NO_RECEIPT})
    two.go_online()
    sync(one, two)
    nr = hs.no_receipt_returns
    with hq_engine.connect() as conn:
        before = sorted(map(tuple, conn.execute(select(nr))))
    flagged = [(x["return_id"], x["returned"]) for x in exceptions(hq_engine)]
    assert len(before) == 2 and len(flagged) == 1 and first.id in {r[0] for r in before}
    with hq_engine.begin() as conn:
        conn.execute(delete(nr))
        conn.execute(delete(hs.exceptions))
        assert hq_no_receipt.backfill(conn) == 2
    with hq_engine.connect() as conn:
        assert sorted(map(tuple, conn.execute(select(nr)))) == before
    assert [(x["return_id"], x["returned"]) for x in exceptions(hq_engine)] == flagged


# ------------------------------------------------------------------------------ bad input


def test_hq_refuses_a_question_it_cannot_answer_and_says_why(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    key = CustomerId.checked("Passport", "P7788990").key
    good = {"return_id": str(uuid.uuid4()), "customer_key": key, "amount_minor": 2705, "window_days": 30}
    with api(hq, one.config.token) as http:

        def refused(change: dict[str, Any]) -> tuple[int, str, str]:
            r = http.post("/v1/no-receipt/holds", json={**good, **change})
            return r.status_code, r.json()["error"], r.json()["message"]

        assert refused({"customer_key": "P7788990"}) == (
            422,
            "malformed",
            "Malformed request: body.customer_key: Value error, send the ID document's key (64 lowercase hex "
            "digits), never the ID's number",
        )
        assert refused({"customer_key": key.upper()})[:2] == (422, "malformed")
        assert refused({"window_days": -1})[:2] == (422, "malformed")
        assert refused({"amount_minor": -5})[:2] == (422, "malformed")
        assert refused({"amount_minor": "27.05"})[:2] == (422, "malformed")
        assert refused({"id_number": "P7788990"})[:2] == (422, "malformed")
        assert refused({"return_id": "x" * 37})[:2] == (422, "malformed")
        # asked twice, the same hold and the same answer
        assert http.post("/v1/no-receipt/holds", json=good).json()["total_minor"] == 0
        assert http.post("/v1/no-receipt/holds", json=good).json()["total_minor"] == 0
        assert hq_count(hq_engine, hs.no_receipt_holds) == 1
        http.delete(f"/v1/reservations/{good['return_id']}")
        assert refused({}) == (409, "released", "This return's hold was given back; start the return again.")
    with api(hq, two.config.token) as http:  # another lane using T01's return id
        r = http.post("/v1/no-receipt/holds", json=good)
        assert (r.status_code, r.json()["error"]) == (409, "return_id_taken")
        # and it cannot give back T01's hold either
        kept = {**good, "return_id": str(uuid.uuid4())}
    with api(hq, one.config.token) as http:
        assert http.post("/v1/no-receipt/holds", json=kept).status_code == 200
    with api(hq, two.config.token) as http:
        assert http.delete(f"/v1/reservations/{kept['return_id']}").json() == {"released": 0}
    assert holds(hq_engine)[kept["return_id"]] == "reserved"
    with hq_engine.connect() as conn:
        alerts = [tuple(r) for r in conn.execute(select(hs.alerts.c.kind, hs.alerts.c.terminal_id))]
    assert alerts == [("return_id_taken", "T02")]
    with api(hq, access.new_admin_token(hq_engine, "office")) as http:
        r = http.post("/v1/no-receipt/holds", json=kept)
        assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    with api(hq, None) as http:
        assert http.post("/v1/no-receipt/holds", json=kept).status_code == 401
    with api(hq, "not-a-token") as http:
        assert http.post("/v1/no-receipt/holds", json=kept).status_code == 401
