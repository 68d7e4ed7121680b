"""Approvals prove who approved (issue #13, item 5), against the real PostgreSQL and uvicorn:
HQ takes an answer only with the approver's PIN, checked against its own verifier, with
lockout; a lane's token alone never approves; nobody approves their own request; the
approver holds the right at that moment; the lane records only an answer HQ signed for it."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, insert, select, update

from counter.money import Currency
from counter.people.users import MAX_FAILED_ATTEMPTS, PinHasher, Role, User, UserId
from counter.returns.policy import ApprovalKind
from counter.trust.approvals import ApprovalError
from counter.trust.remote_approval import PIN_AT_HQ, RemoteAsk, record_remote_approval, remote_request_from_wire
from db import schema as ls
from db.demo import DEMO_USERS
from db.hq_client import HqClient
from db.remote_approvals import RemoteApprovals, RemoteRefused
from hq import access, schema as hs
from hq.serve import RunningHq
from tests.hq.conftest import Lane, hq_count

USD = Currency.of("USD")
PINS = {u.id: u.pin for u in DEMO_USERS}
MARIA = User(UserId("u-cashier-1"), "Maria Lopez", Role.CASHIER, "x")
ALEX = User(UserId("u-manager"), "Alex Morgan", Role.MANAGER, "x")


@dataclasses.dataclass
class Terminal:
    token: str
    client: HqClient
    approvals: RemoteApprovals


@pytest.fixture
def terminal(hq: RunningHq, hq_engine: Engine) -> Iterator[Callable[..., Terminal]]:
    clients: list[HqClient] = []

    def make(terminal_id: str, *, store: str = "S01") -> Terminal:
        _, _, token = access.enrol(hq_engine, access.new_enrol_code(hq_engine, store, terminal_id))
        client = HqClient(hq.url, token)
        clients.append(client)
        return Terminal(token, client, RemoteApprovals(client, USD))

    yield make
    for client in clients:
        client.close()


def _ask(requester: User = MARIA, amount: str = "182.40", kinds: Any = None) -> RemoteAsk:
    return RemoteAsk(
        id=str(uuid.uuid4()),
        request_id=str(uuid.uuid4()),
        kinds=frozenset(kinds or {ApprovalKind.CASH_REFUND_OVER_LIMIT}),
        amount=Decimal(amount),
        requester=requester,
        what=f"Return: cash refund ${amount} over the limit",
    )


def _post(hq: RunningHq, token: str, path: str, body: Any) -> httpx.Response:
    return httpx.post(f"{hq.url}/v1{path}", headers={"Authorization": f"Bearer {token}"}, json=body, timeout=10)


def _state(hq_engine: Engine, approval_id: str) -> dict[str, Any]:
    with hq_engine.connect() as conn:
        row = conn.execute(select(hs.approval_requests).where(hs.approval_requests.c.id == approval_id)).mappings()
        return dict(row.one())


def _failed(hq_engine: Engine, user_id: str) -> int:
    with hq_engine.connect() as conn:
        value = conn.execute(
            select(hs.approver_pins.c.failed_attempts).where(hs.approver_pins.c.user_id == user_id)
        ).scalar()
    return int(value or 0)


def test_a_lane_cannot_approve_its_own_request(
    hq: RunningHq, hq_engine: Engine, make_lane: Callable[..., Lane], terminal: Callable[..., Terminal]
) -> None:
    """The attack of issue #13: the asking lane answers its own request with its token,
    naming a manager, naming the asker; with a PIN or without. Every try is a 4xx and
    nothing is approved at HQ or recorded at the lane."""
    lane = make_lane("T01")
    service = RemoteApprovals(lane.client, USD)
    maria = lane.store.user("Maria")
    wanted = _ask(requester=maria)
    sent = service.ask(wanted)
    token = lane.config.token
    path = f"/approvals/{sent.id}/answer"
    tries = [
        {"decision": "approve", "approver_id": "u-manager"},  # the token alone, naming a manager (as on main)
        {"decision": "approve", "approver_id": "u-manager", "note": "trust me"},
        {"decision": "approve", "approver_id": maria.id},  # naming the asker
        {"decision": "approve", "approver_id": "u-manager", "pin": "0000"},  # a guessed PIN
        {"decision": "approve", "approver_id": maria.id, "pin": PINS[maria.id]},  # the asker's own PIN
        {"decision": "approve", "approver_id": "u-manager", "pin": PINS["u-manager"]},  # even the right one: own lane
        {"decision": "approve", "approver_id": "u-manager", "pin": "4444", "answer_auth": PIN_AT_HQ},
    ]
    for body in tries:
        answer = _post(hq, token, path, body)
        assert 400 <= answer.status_code < 500, (body, answer.status_code, answer.text)
        assert answer.json()["message"], answer.text
        row = _state(hq_engine, sent.id)
        assert (row["state"], row["answered_by_id"], row["answer_auth"]) == ("pending", None, None), body
    # the own-lane refusal says what to do instead, and no guess at a PIN counted
    own = _post(hq, token, path, {"decision": "approve", "approver_id": "u-manager", "pin": "0000"})
    assert own.status_code == 403 and own.json()["error"] == "own_lane"
    assert "types their PIN at this counter" in own.json()["message"]
    assert _failed(hq_engine, "u-manager") == 0

    # a forged "approved" answer (HQ's wire form, made up by someone on the lane or the
    # network) carries no proof HQ signed for this lane: never recorded
    forged = {
        **service.client.approval(sent.id),
        "state": "approved",
        "answered_by_id": "u-manager",
        "answered_by_name": "Alex Morgan",
        "answered_terminal": "T09",
        "answer_auth": PIN_AT_HQ,
        "proof": "0" * 64,
    }
    answer = remote_request_from_wire(forged, lane.client.answer_key)
    assert answer.answer_auth is None
    with pytest.raises(ApprovalError, match="no proof that the approver typed their PIN at HQ"):
        record_remote_approval(
            asked=wanted,
            answer=answer,
            uow_factory=lane.store.uow,
            clock=lane.store.clock,
            currency_minor=USD.to_minor,
        )
    with lane.store.uow() as uow:
        assert uow.approvals.granted(wanted.request_id, maria.id) == {}

    # a manager at another station, with their PIN, is what it takes
    station = terminal("T02")
    done = station.approvals.answer(sent.id, approve=True, approver_id="u-manager", pin=PINS["u-manager"], note="ok")
    assert done.state == "approved" and done.answer_auth == PIN_AT_HQ
    assert _state(hq_engine, sent.id)["answer_auth"] == PIN_AT_HQ


def test_nobody_approves_their_own_request_even_with_their_pin(
    hq: RunningHq, hq_engine: Engine, terminal: Callable[..., Terminal]
) -> None:
    lane, station = terminal("T01"), terminal("T02")
    mine = lane.approvals.ask(_ask(requester=ALEX))  # Alex, signed in at T01, asks
    for approve in (True, False):
        with pytest.raises(RemoteRefused) as own:
            station.approvals.answer(mine.id, approve=approve, approver_id="u-manager", pin="4444", note="")
        assert own.value.status == 403 and own.value.error == "self_approval"
    assert _state(hq_engine, mine.id)["state"] == "pending"
    # a request must name a real member of the store's staff as its requester
    ghost = dataclasses.replace(_ask(), requester=User(UserId("u-ghost"), "Nobody", Role.CASHIER, "x"))
    with pytest.raises(Exception) as unknown:
        lane.approvals.ask(ghost)
    assert getattr(unknown.value, "status", None) == 422 and getattr(unknown.value, "error", "") == "unknown_requester"
    assert hq_count(hq_engine, hs.approval_requests) == 1


def test_a_wrong_approver_pin_fails_and_counts_toward_lockout(
    hq: RunningHq, hq_engine: Engine, terminal: Callable[..., Terminal]
) -> None:
    lane, station = terminal("T01"), terminal("T02")
    sent = lane.approvals.ask(_ask())

    def answer(pin: str, who: str = "u-supervisor") -> Any:
        return station.approvals.answer(sent.id, approve=True, approver_id=who, pin=pin, note="")

    # a right PIN after wrong ones resets the count (as at the counter)
    with pytest.raises(RemoteRefused):
        answer("0000")
    assert _failed(hq_engine, "u-supervisor") == 1
    other = lane.approvals.ask(_ask(amount="120.00"))
    assert station.approvals.answer(other.id, approve=False, approver_id="u-supervisor", pin="3333", note="no").state
    assert _failed(hq_engine, "u-supervisor") == 0

    for n in range(1, MAX_FAILED_ATTEMPTS):
        with pytest.raises(RemoteRefused) as wrong:
            answer("0000")
        assert wrong.value.status == 403 and wrong.value.error == "wrong_pin"
        assert wrong.value.data["tries_left"] == MAX_FAILED_ATTEMPTS - n
        assert "PIN is not right for Dana Whitfield" in wrong.value.message
        assert _failed(hq_engine, "u-supervisor") == n
    with pytest.raises(RemoteRefused) as locking:
        answer("0000")
    assert locking.value.status == 423 and locking.value.error == "locked"
    assert "now locked" in locking.value.message
    with pytest.raises(RemoteRefused) as locked:
        answer("3333")  # the right PIN, but Dana is locked now
    assert locked.value.status == 423 and "locked" in locked.value.message
    with hq_engine.connect() as conn:
        alerts = conn.execute(select(hs.alerts).where(hs.alerts.c.kind == "approver_locked")).mappings().all()
    assert len(alerts) == 1 and "Dana Whitfield" in alerts[0]["detail"] and alerts[0]["terminal_id"] == "T02"
    row = _state(hq_engine, sent.id)
    assert (row["state"], row["answered_by_id"]) == ("pending", None)
    # another manager may still answer
    assert answer("4444", "u-manager").state == "approved"


def test_the_approver_must_hold_the_right_at_that_moment(
    hq: RunningHq, hq_engine: Engine, terminal: Callable[..., Terminal]
) -> None:
    lane, station = terminal("T01"), terminal("T02")
    sent = lane.approvals.ask(_ask())

    def refused(who: str, pin: str) -> RemoteRefused:
        with pytest.raises(RemoteRefused) as caught:
            station.approvals.answer(sent.id, approve=True, approver_id=who, pin=pin, note="")
        return caught.value

    cashier = refused("u-cashier-2", PINS["u-cashier-2"])  # Sam, with Sam's right PIN
    assert cashier.status == 403 and cashier.error == "no_right" and "Sam Carter may not approve" in cashier.message
    assert _failed(hq_engine, "u-cashier-2") == 0  # refused before the PIN was looked at
    with hq_engine.begin() as conn:  # Dana was made inactive at HQ a moment ago
        conn.execute(update(hs.users).where(hs.users.c.id == "u-supervisor").values(active=False))
        conn.execute(  # a manager of another store
            insert(hs.users).values(
                id="u-s02-manager",
                store_id="S02",
                name="Other Store",
                role="manager",
                pin_hash=PinHasher(time_cost=1, memory_cost=1024).hash("5555"),
                active=True,
                version=10**9,
                deleted=False,
            )
        )
    for who, pin in (("u-supervisor", "3333"), ("u-s02-manager", "5555")):
        gone = refused(who, pin)
        assert gone.status == 403 and gone.error == "unknown_approver"
    row = _state(hq_engine, sent.id)
    assert (row["state"], row["answered_by_id"]) == ("pending", None)


def test_the_lane_records_only_what_hq_signed_for_it(
    hq: RunningHq, hq_engine: Engine, make_lane: Callable[..., Lane], terminal: Callable[..., Terminal]
) -> None:
    lane = make_lane("T01")
    station = terminal("T02")
    service = RemoteApprovals(lane.client, USD)
    maria = lane.store.user("Maria")
    wanted = _ask(requester=maria, amount="150.00")
    sent = service.ask(wanted)
    station.approvals.answer(sent.id, approve=True, approver_id="u-manager", pin="4444", note="known customer")

    raw = lane.client.approval(sent.id)
    assert raw["answer_auth"] == PIN_AT_HQ and len(raw["proof"]) == 64
    # the station's copy is signed with the station's key: it does not verify at the lane
    station_copy = station.client.approval(sent.id)
    assert station_copy["proof"] != raw["proof"]
    assert remote_request_from_wire(station_copy, lane.client.answer_key).answer_auth is None
    # any field changed after HQ signed (who, how much) breaks the proof
    for change in ({"answered_by_id": "u-admin"}, {"amount_minor": 1}, {"answered_terminal": "T01"}):
        assert remote_request_from_wire({**raw, **change}, lane.client.answer_key).answer_auth is None

    def record(answer: Any) -> Any:
        return record_remote_approval(
            asked=wanted, answer=answer, uow_factory=lane.store.uow, clock=lane.store.clock, currency_minor=USD.to_minor
        )

    with pytest.raises(ApprovalError, match="no proof"):
        record(dataclasses.replace(service.state(sent.id), answer_auth=None))
    approvals = record(service.state(sent.id))
    assert [(a.approver_id, a.amount) for a in approvals] == [("u-manager", Decimal("150.00"))]
    with lane.store.db.read.connect() as conn:
        body = conn.execute(
            select(ls.journal.c.body)
            .where(ls.journal.c.type == "ApprovalGranted", ls.journal.c.terminal_id == "T01")
            .order_by(ls.journal.c.seq.desc())
        ).scalar_one()
    entry = json.loads(body)
    assert (entry["approver"], entry["auth"], entry["hq_request"], entry["station"]) == (
        "u-manager",
        PIN_AT_HQ,
        sent.id,
        "T02",
    )
