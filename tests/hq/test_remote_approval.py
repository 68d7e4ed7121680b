"""Remote approval at HQ (hq/approvals.py) against the real PostgreSQL and uvicorn:
a lane asks, a manager's station of the same store answers, the lane reads the answer."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from counter.errors import CounterError
from counter.money import Currency
from counter.people.users import Role, User, UserId
from counter.returns.policy import ApprovalKind
from counter.trust.approvals import ApprovalError
from counter.trust.remote_approval import (
    RemoteAsk,
    record_remote_approval,
    remote_request_from_wire,
    verify_station_approver,
)
from db.demo import DEMO_USERS
from db.hq_client import HqClient, HqRefused
from db.remote_approvals import RemoteApprovals, RemoteRefused
from hq import access, schema as hs
from hq.serve import RunningHq
from tests.hq.conftest import Lane, hq_count, run_threads

USD = Currency.of("USD")
PINS = {u.id: u.pin for u in DEMO_USERS}


def pin_of(user_id: str) -> str:
    """The demo PIN HQ holds a verifier of (a made-up one for someone HQ does not know)."""
    return PINS.get(user_id, "0000")


MARIA = User(UserId("u-cashier-1"), "Maria Lopez", Role.CASHIER, "x")
ALEX = User(UserId("u-manager"), "Alex Morgan", Role.MANAGER, "x")


@pytest.fixture
def terminal(hq: RunningHq, hq_engine: Engine) -> Iterator[Callable[..., RemoteApprovals]]:
    """An enrolled terminal's approval service: ``terminal("T01")``, ``terminal("T01", store="S02")``."""
    clients: list[HqClient] = []

    def make(terminal_id: str, *, store: str = "S01", ttl: int | None = None) -> RemoteApprovals:
        _, _, token = access.enrol(hq_engine, access.new_enrol_code(hq_engine, store, terminal_id))
        client = HqClient(hq.url, token)
        clients.append(client)
        return RemoteApprovals(client, USD, expires_in_seconds=ttl)

    yield make
    for client in clients:
        client.close()


def ask(lane: RemoteApprovals, *, requester: User = MARIA, amount: str = "182.40", kinds: Any = None) -> RemoteAsk:
    wanted = RemoteAsk(
        id=str(uuid.uuid4()),
        request_id=str(uuid.uuid4()),
        kinds=frozenset(kinds or {ApprovalKind.CASH_REFUND_OVER_LIMIT}),
        amount=Decimal(amount),
        requester=requester,
        what=f"Return of S01-T01-000123: cash refund ${amount} over the limit",
    )
    return wanted


def test_ask_list_answer_and_poll(terminal: Callable[..., RemoteApprovals], hq_engine: Engine) -> None:
    lane, station = terminal("T01"), terminal("T02")
    wanted = ask(lane)
    sent = lane.ask(wanted)
    assert sent.state == "pending" and sent.terminal == "T01"
    assert (sent.expires_at - sent.created_at).total_seconds() == 300  # HQ's default
    assert sent.amount_minor == 18240 and sent.kinds == {ApprovalKind.CASH_REFUND_OVER_LIMIT}
    assert lane.ask(wanted).id == sent.id  # a re-sent ask is the same request
    assert hq_count(hq_engine, hs.approval_requests) == 1

    (listed,) = station.pending()
    assert (listed.id, listed.what, listed.requester_name, listed.terminal) == (
        sent.id,
        wanted.what,
        "Maria Lopez",
        "T01",
    )
    assert listed.age.total_seconds() < 30
    assert lane.state(sent.id).state == "pending"

    answered = station.answer(
        sent.id, approve=True, approver_id="u-manager", pin=pin_of("u-manager"), note="known customer"
    )
    assert answered.state == "approved" and answered.answered_by_name == "Alex Morgan"
    polled = lane.state(sent.id)
    assert (polled.state, polled.answered_by_id, polled.answered_terminal, polled.answer_note) == (
        "approved",
        "u-manager",
        "T02",
        "known customer",
    )
    assert station.pending() == []


def test_decline_carries_who_and_the_note(terminal: Callable[..., RemoteApprovals]) -> None:
    lane, station = terminal("T01"), terminal("T02")
    sent = lane.ask(ask(lane, kinds={ApprovalKind.OUT_OF_WINDOW}, amount="20.00"))
    station.answer(
        sent.id,
        approve=False,
        approver_id="u-supervisor",
        pin=pin_of("u-supervisor"),
        note="receipt is from another chain",
    )
    polled = lane.state(sent.id)
    assert (polled.state, polled.answered_by_name, polled.answer_note) == (
        "declined",
        "Dana Whitfield",
        "receipt is from another chain",
    )


def test_first_answer_wins_when_managers_race(terminal: Callable[..., RemoteApprovals], hq_engine: Engine) -> None:
    lane = terminal("T01")
    stations = [terminal(f"T0{n}") for n in range(2, 6)]
    approvers = ["u-manager", "u-supervisor", "u-admin", "u-manager"]
    for round_ in range(5):
        sent = lane.ask(ask(lane, amount=f"{200 + round_}.00"))
        results = run_threads(
            [
                (
                    lambda st=st, who=who, n=n, i=sent.id: st.answer(
                        i, approve=n % 2 == 0, approver_id=who, pin=pin_of(who), note=f"n{n}"
                    )
                )
                for n, (st, who) in enumerate(zip(stations, approvers, strict=True))
            ]
        )
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1, results
        assert all(isinstance(r, RemoteRefused) and r.status == 409 for r in losers), losers
        (won,) = winners
        final = lane.state(sent.id)
        assert (final.state, final.answered_by_id, final.answer_note) == (
            won.state,  # type: ignore[attr-defined]
            won.answered_by_id,  # type: ignore[attr-defined]
            won.answer_note,  # type: ignore[attr-defined]
        )
        for loser in losers:
            assert isinstance(loser, RemoteRefused)
            assert loser.error == "already_answered"
            assert f"by {final.answered_by_name} at {final.answered_terminal}" in loser.message
            assert loser.request is not None and loser.request.answered_by_id == final.answered_by_id
    with hq_engine.connect() as conn:
        states = conn.execute(select(hs.approval_requests.c.state)).scalars().all()
    assert len(states) == 5 and all(st in ("approved", "declined") for st in states)


def test_an_expired_request_cannot_be_answered(terminal: Callable[..., RemoteApprovals]) -> None:
    lane, station = terminal("T01", ttl=1), terminal("T02")
    sent = lane.ask(ask(lane))
    assert (sent.expires_at - sent.created_at).total_seconds() == 1
    time.sleep(1.3)
    assert lane.state(sent.id).state == "expired"
    assert station.pending() == []
    with pytest.raises(RemoteRefused) as refused:
        station.answer(sent.id, approve=True, approver_id="u-manager", pin=pin_of("u-manager"), note="")
    assert refused.value.status == 410 and refused.value.error == "expired"
    assert "expired before anyone answered" in refused.value.message
    assert lane.state(sent.id).state == "expired"


def test_cancel_by_the_asking_lane_only(terminal: Callable[..., RemoteApprovals]) -> None:
    lane, station = terminal("T01"), terminal("T02")
    sent = lane.ask(ask(lane))
    with pytest.raises(RemoteRefused) as not_yours:
        station.cancel(sent.id)
    assert not_yours.value.status == 403
    assert lane.cancel(sent.id).state == "cancelled"
    assert lane.cancel(sent.id).state == "cancelled"  # again: harmless
    assert station.pending() == []
    with pytest.raises(RemoteRefused) as late:
        station.answer(sent.id, approve=True, approver_id="u-manager", pin=pin_of("u-manager"), note="")
    assert late.value.status == 409 and late.value.error == "cancelled"
    assert lane.state(sent.id).state == "cancelled"
    # once answered, it cannot be withdrawn: the lane hears who answered
    other = lane.ask(ask(lane))
    station.answer(other.id, approve=True, approver_id="u-manager", pin=pin_of("u-manager"), note="")
    with pytest.raises(RemoteRefused) as answered:
        lane.cancel(other.id)
    assert answered.value.error == "already_answered" and answered.value.request is not None
    assert answered.value.request.state == "approved"


def test_another_store_sees_nothing(terminal: Callable[..., RemoteApprovals]) -> None:
    lane, foreign = terminal("T01"), terminal("T01", store="S02")
    sent = lane.ask(ask(lane))
    assert foreign.pending() == []
    for call in (
        lambda: foreign.state(sent.id),
        lambda: foreign.answer(sent.id, approve=True, approver_id="u-manager", pin=pin_of("u-manager"), note=""),
        lambda: foreign.cancel(sent.id),
    ):
        with pytest.raises(HqRefused) as refused:
            call()
        assert refused.value.status == 404 and refused.value.error == "unknown_approval"
    assert lane.state(sent.id).state == "pending"


def test_self_approval_and_missing_rights_refused(terminal: Callable[..., RemoteApprovals]) -> None:
    lane, station = terminal("T01"), terminal("T02")
    mine = lane.ask(ask(lane, requester=ALEX))
    for approve in (True, False):
        with pytest.raises(RemoteRefused) as own:
            station.answer(mine.id, approve=approve, approver_id="u-manager", pin=pin_of("u-manager"), note="")
        assert own.value.status == 403 and own.value.error == "self_approval"
        assert "Alex Morgan asked for this approval" in own.value.message
    with pytest.raises(RemoteRefused) as cashier:
        station.answer(mine.id, approve=True, approver_id="u-cashier-2", pin=pin_of("u-cashier-2"), note="")
    assert cashier.value.status == 403 and cashier.value.error == "no_right"
    with pytest.raises(RemoteRefused) as nobody:
        station.answer(mine.id, approve=True, approver_id="u-nobody", pin=pin_of("u-nobody"), note="")
    assert nobody.value.status == 403 and nobody.value.error == "unknown_approver"
    assert lane.state(mine.id).state == "pending"  # nothing of a refused answer was stored
    assert (
        station.answer(mine.id, approve=True, approver_id="u-supervisor", pin=pin_of("u-supervisor"), note="").state
        == "approved"
    )


def _raw(hq: RunningHq, method: str, path: str, token: str | None, body: Any = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.request(method, f"{hq.url}/v1{path}", headers=headers, json=body, timeout=5)


def test_bad_tokens_and_payloads(hq: RunningHq, hq_engine: Engine) -> None:
    _, _, token = access.enrol(hq_engine, access.new_enrol_code(hq_engine, "S01", "T01"))
    admin = access.new_admin_token(hq_engine, "auditor")
    good: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "request_id": str(uuid.uuid4()),
        "kinds": ["cash_refund_over_limit"],
        "amount_minor": 18240,
        "currency": "USD",
        "what": "Return R-1: cash refund over the limit",
        "requester_id": "u-cashier-1",
        "requester_name": "Maria Lopez",
    }
    assert _raw(hq, "POST", "/approvals", None, good).status_code == 401
    assert _raw(hq, "GET", "/approvals", "not-a-token").status_code == 401
    assert _raw(hq, "GET", "/approvals", admin).json()["error"] == "forbidden"
    bad_payloads = [
        {**good, "kinds": ["free_lunch"]},
        {**good, "kinds": []},
        {**good, "amount_minor": -1},
        {**good, "currency": "usd"},
        {**good, "what": ""},
        {**good, "extra": 1},
        {**good, "expires_in_seconds": 0},
        {**good, "what": "card 4111 1111 1111 1111"},
    ]
    for payload in bad_payloads:
        answer = _raw(hq, "POST", "/approvals", token, payload)
        assert answer.status_code == 422, (payload, answer.text)
        assert answer.json()["error"] in ("malformed", "card_data") and answer.json()["message"]
    assert hq_count(hq_engine, hs.approval_requests) == 0
    created = _raw(hq, "POST", "/approvals", token, good)
    assert created.status_code == 201
    conflict = _raw(hq, "POST", "/approvals", token, {**good, "amount_minor": 1})
    assert conflict.status_code == 409 and conflict.json()["error"] == "id_conflict"
    answer_path = f"/approvals/{good['id']}/answer"
    for payload in (
        {"decision": "maybe", "approver_id": "u-manager"},
        {"decision": "approve"},
        {"decision": "approve", "approver_id": "u-manager", "note": "x" * 501},
    ):
        assert _raw(hq, "POST", answer_path, token, payload).status_code == 422
    assert _raw(hq, "GET", "/approvals/" + "x" * 80, token).status_code == 404
    _, _, unused = access.enrol(hq_engine, access.new_enrol_code(hq_engine, "S01", "T09"))
    access.revoke(hq_engine, "T09", "S01")
    revoked = _raw(hq, "GET", f"/approvals/{good['id']}", unused)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["message"]
    with hq_engine.connect() as conn:
        row = conn.execute(select(hs.approval_requests)).mappings().one()
    assert row["state"] == "pending" and row["amount_minor"] == 18240
    assert isinstance(row["created_at"], datetime)


def test_the_lane_records_only_an_approval_of_exactly_what_it_asked(
    make_lane: Callable[..., Lane], terminal: Callable[..., RemoteApprovals]
) -> None:
    lane = make_lane("T01")
    station = terminal("T02")
    service = RemoteApprovals(lane.client, lane.store.cfg.currency)
    maria = lane.store.user("Maria")
    wanted = ask(service, requester=maria, amount="150.00")
    sent = service.ask(wanted)
    to_minor = lane.store.cfg.currency.to_minor

    def record(asked: RemoteAsk, answer: Any) -> Any:
        return record_remote_approval(
            asked=asked, answer=answer, uow_factory=lane.store.uow, clock=lane.store.clock, currency_minor=to_minor
        )

    def granted() -> dict[ApprovalKind, Decimal]:
        with lane.store.uow() as uow:
            return uow.approvals.granted(wanted.request_id, maria.id)

    with pytest.raises(ApprovalError, match="pending, not approved"):
        record(wanted, service.state(sent.id))
    station.answer(sent.id, approve=True, approver_id="u-manager", pin=pin_of("u-manager"), note="ok for this one")
    answer = service.state(sent.id)
    for other in (
        dataclasses.replace(wanted, amount=Decimal("149.99")),
        dataclasses.replace(wanted, kinds=frozenset({ApprovalKind.NO_RECEIPT})),
        dataclasses.replace(wanted, request_id=str(uuid.uuid4())),
        dataclasses.replace(wanted, requester=lane.store.user("Sam")),
    ):
        with pytest.raises(ApprovalError, match="does not match what this counter asked"):
            record(other, answer)
    assert granted() == {}
    before = len(lane.journal())
    approvals = record(wanted, answer)
    assert [(a.kind, a.amount, a.approver_name, a.reason) for a in approvals] == [
        (ApprovalKind.CASH_REFUND_OVER_LIMIT, Decimal("150.00"), "Alex Morgan", "ok for this one")
    ]
    assert granted() == {ApprovalKind.CASH_REFUND_OVER_LIMIT: Decimal("150.00")}
    assert record(wanted, answer) == []  # a repeated poll records nothing twice
    assert len(lane.journal()) == before + 1
    # a declined answer is never recorded
    declined = service.ask(ask(service, requester=maria))
    station.answer(declined.id, approve=False, approver_id="u-manager", pin=pin_of("u-manager"), note="no")
    with pytest.raises(ApprovalError, match="declined, not approved"):
        record(ask(service, requester=maria), service.state(declined.id))


def test_the_station_checks_the_rights_before_anything_is_sent(
    make_lane: Callable[..., Lane], terminal: Callable[..., RemoteApprovals], hq_engine: Engine
) -> None:
    lane = terminal("T01")
    station = make_lane("T02")
    mine = remote_request_from_wire(lane.client.ask_approval(_payload(ask(lane, requester=ALEX))))

    def verify(approver: str, pin: str) -> Any:
        return verify_station_approver(
            request=mine,
            approver_id=UserId(approver),
            pin=pin,
            uow_factory=station.store.uow,
            clock=station.store.clock,
        )

    before = len(station.journal())
    with pytest.raises(ApprovalError, match="cannot approve your own request"):
        verify("u-manager", "4444")  # Alex asked: Alex cannot answer, even with the right PIN
    with pytest.raises(ApprovalError, match="may not approve"):
        verify("u-cashier-2", "2222")
    with pytest.raises(CounterError, match="A PIN is 4 to 8 digits"):
        verify("u-supervisor", "12")
    # the PIN itself is HQ's to check: the station takes any well-formed one and counts nothing
    assert verify("u-supervisor", "0000").name == "Dana Whitfield"
    with station.store.uow() as uow:
        dana = uow.users.get(UserId("u-supervisor"))
    assert dana is not None and dana.failed_attempts == 0
    entries = station.journal()[before:]
    assert len(entries) == 2  # the two refusals of rights, journaled at the station
    with hq_engine.connect() as conn:
        assert conn.execute(select(hs.approval_requests.c.state)).scalar_one() == "pending"  # nothing was sent


def _payload(wanted: RemoteAsk) -> dict[str, Any]:
    return {
        "id": wanted.id,
        "request_id": wanted.request_id,
        "kinds": sorted(str(k) for k in wanted.kinds),
        "amount_minor": USD.to_minor(wanted.amount),
        "currency": "USD",
        "what": wanted.what,
        "requester_id": wanted.requester.id,
        "requester_name": wanted.requester.name,
    }
