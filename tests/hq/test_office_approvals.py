"""Approvals from anywhere in the back office (issue #18, point 3; hq/office/approval_pages.py)
over HTTP against the real HQ on the real PostgreSQL: a lane raises a request through HQ's
JSON API as it does at the counter, a store manager answers it on a web page with their
own PIN, and the lane's own poll reads the answer with HQ's proof."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select, update

from counter.money import Currency
from counter.returns.policy import ApprovalKind
from counter.trust.remote_approval import PIN_AT_HQ, RemoteAsk, RemoteRequest
from db.hq_client import HqClient
from db.remote_approvals import RemoteApprovals
from hq import access, schema as hs
from hq.serve import RunningHq
from tests.hq.office_browser import PASSWORD, make_login
from tests.hq.test_office_auth import csrf_of, sign_in
from tests.hq.test_remote_approval import ALEX, MARIA

pytestmark = pytest.mark.slow

USD = Currency.of("USD")
ALEX_PIN, JORDAN_PIN = "4444", "9999"  # db/demo.py DEMO_USERS: HQ holds their verifiers


@pytest.fixture
def lanes(hq: RunningHq, hq_engine: Engine) -> Iterator[Callable[..., RemoteApprovals]]:
    """A lane's approval service: ``lanes("T01")``, ``lanes("T01", store="S02")``."""
    clients: list[HqClient] = []

    def make(terminal_id: str, *, store: str = "S01") -> RemoteApprovals:
        _, _, token = access.enrol(hq_engine, access.new_enrol_code(hq_engine, store, terminal_id))
        clients.append(HqClient(hq.url, token))
        return RemoteApprovals(clients[-1], USD)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def web(hq: RunningHq) -> Iterator[Callable[[str], httpx.Client]]:
    """A signed-in web client per login: ``web("alex")``."""
    clients: list[httpx.Client] = []

    def make(login: str) -> httpx.Client:
        client = httpx.Client(base_url=hq.url, timeout=10, follow_redirects=False)
        clients.append(client)
        assert sign_in(client, login, PASSWORD).status_code == 303
        return client

    yield make
    for client in clients:
        client.close()


def raise_request(
    lane: RemoteApprovals, *, amount: str = "12.34", what: str = "", requester: Any = MARIA, kinds: Any = None
) -> RemoteRequest:
    return lane.ask(
        RemoteAsk(
            id=str(uuid.uuid4()),
            request_id=str(uuid.uuid4()),
            kinds=frozenset(kinds or {ApprovalKind.CASH_REFUND_OVER_LIMIT, ApprovalKind.OUT_OF_WINDOW}),
            amount=Decimal(amount),
            requester=requester,
            what=what or f"Return of S01-T01-000123: refund ${amount}",
        )
    )


def row_of(engine: Engine, approval_id: str) -> dict[str, Any]:
    t = hs.approval_requests
    with engine.connect() as conn:
        return dict(conn.execute(select(t).where(t.c.id == approval_id)).mappings().one())


def wrong_pins(engine: Engine, user_id: str) -> int:
    t = hs.approver_pins
    with engine.connect() as conn:
        return int(conn.execute(select(t.c.failed_attempts).where(t.c.user_id == user_id)).scalar() or 0)


def office_actions(engine: Engine) -> list[tuple[str, str, str]]:
    a = hs.office_actions
    with engine.connect() as conn:
        return [(str(x), str(y), str(z)) for x, y, z in conn.execute(select(a.c.login, a.c.action, a.c.detail))]


def answer(client: httpx.Client, approval_id: str, decision: str, pin: str, note: str = "") -> Any:
    form = client.get(f"/office/approvals/{approval_id}")
    return answer_with(client, approval_id, csrf_of(form.text), decision, pin, note)


def answer_with(client: httpx.Client, approval_id: str, csrf: str, decision: str, pin: str, note: str = "") -> Any:
    data = {"csrf": csrf, "decision": decision, "pin": pin, "note": note}
    return client.post(f"/office/approvals/{approval_id}", data=data)


def pending_row(engine: Engine, approval_id: str) -> bool:
    row = row_of(engine, approval_id)
    return row["state"] == "pending" and row["answered_by_id"] is None and row["answer_auth"] is None


def test_the_list_shows_the_stores_waiting_requests_in_words_newest_first(
    hq_engine: Engine, lanes: Callable[..., RemoteApprovals], web: Callable[[str], httpx.Client]
) -> None:
    t01, s02 = lanes("T01"), lanes("T01", store="S02")
    first = raise_request(t01, amount="12.34", what="Return of S01-T01-000123: refund over the limit")
    second = raise_request(t01, amount="5.00", what="Return of S01-T01-000200", kinds={ApprovalKind.NO_RECEIPT})
    foreign = raise_request(s02, amount="77.00", what="Return at the other store S02")
    old = raise_request(t01, amount="3.00", what="A request that expired")
    with hq_engine.begin() as conn:
        t = hs.approval_requests
        conn.execute(update(t).where(t.c.id == old.id).values(expires_at=t.c.created_at - timedelta(seconds=1)))
        conn.execute(update(t).where(t.c.id == first.id).values(created_at=t.c.created_at - timedelta(seconds=125)))
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    make_login(hq_engine, "jordan", "u-admin", "admin")
    make_login(hq_engine, "dana", "u-supervisor", "agent", department="warranty")

    alex = web("alex")
    page = alex.get("/office/approvals")
    assert page.status_code == 200
    html = page.text
    assert "$12.34" in html and "$5.00" in html and "1234" not in html
    assert "Cash refund above the limit" in html and "Return after the return window" in html
    assert "Return without a receipt" in html
    assert "Maria Lopez" in html and "S01-T01" in html
    assert "2 min 0" in html  # the first one has waited a little over two minutes
    assert html.index(second.what) < html.index(first.what)  # newest first
    assert foreign.what not in html and "$77.00" not in html  # another store's
    assert old.what not in html  # expired: nothing to answer
    assert f'href="/office/approvals/{first.id}"' in html and "2 waiting" in html
    expired = alex.get(f"/office/approvals/{old.id}")
    assert "Expired before anyone answered" in expired.text and 'name="pin"' not in expired.text
    late = answer_with(alex, old.id, csrf_of(expired.text), "approve", ALEX_PIN)
    assert late.status_code == 410 and "expired before anyone answered it" in late.text
    assert pending_row(hq_engine, old.id) and wrong_pins(hq_engine, "u-manager") == 0

    jordan = web("jordan")
    everywhere = jordan.get("/office/approvals").text
    assert foreign.what in everywhere and first.what in everywhere and "every store" in everywhere
    assert '<option value="S02">S02</option>' in everywhere and "3 waiting" in everywhere
    only_s02 = jordan.get("/office/approvals?store=S02").text  # the store picked from the list
    assert foreign.what in only_s02 and first.what not in only_s02 and second.what not in only_s02
    assert "1 waiting" in only_s02 and '<option value="S02" selected>' in only_s02
    assert 'href="/office/approvals?store=S02"' in only_s02  # Refresh keeps the store
    assert alex.get("/office/approvals?store=S01").text.count("<tr") == html.count("<tr")  # their own: as before
    other = alex.get("/office/approvals?store=S02")  # a manager cannot pick another store
    assert other.status_code == 403 and foreign.what not in other.text and "Store S02 is not in" in other.text
    bad = jordan.get("/office/approvals", params={"store": "S01'; drop"})
    assert bad.status_code == 422 and "is not a store id" in bad.text and first.what not in bad.text

    agent = web("dana").get("/office/approvals")
    assert agent.status_code == 403 and "Approvals is not in what your role lets you see" in agent.text
    assert first.what not in agent.text
    assert web("dana").get(f"/office/approvals/{first.id}").status_code == 403


def test_another_stores_request_is_refused_and_nothing_is_shown_or_changed(
    hq_engine: Engine, lanes: Callable[..., RemoteApprovals], web: Callable[[str], httpx.Client]
) -> None:
    mine, foreign = raise_request(lanes("T01")), raise_request(lanes("T01", store="S02"), what="Secret S02 return")
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    alex = web("alex")
    seen = alex.get(f"/office/approvals/{foreign.id}")
    assert seen.status_code == 403 and "This approval request is not in what your role lets you see" in seen.text
    assert "Secret S02 return" not in seen.text and "$12.34" not in seen.text
    token = csrf_of(alex.get(f"/office/approvals/{mine.id}").text)
    tried = alex.post(f"/office/approvals/{foreign.id}", data={"csrf": token, "decision": "approve", "pin": ALEX_PIN})
    assert tried.status_code == 403 and "Secret S02 return" not in tried.text
    assert pending_row(hq_engine, foreign.id) and wrong_pins(hq_engine, "u-manager") == 0
    unknown = alex.get("/office/approvals/no-such-request")
    assert unknown.status_code == 404 and "There is no such approval request." in unknown.text


def test_self_approval_and_hq_staff_are_refused_and_nothing_changes(
    hq_engine: Engine, lanes: Callable[..., RemoteApprovals], web: Callable[[str], httpx.Client]
) -> None:
    own = raise_request(lanes("T01"), requester=ALEX, what="Alex's own return")
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    make_login(hq_engine, "sam", "u-supervisor", "hq_staff")
    alex = web("alex")
    shown = alex.get(f"/office/approvals/{own.id}")
    assert "Alex Morgan, you asked for this approval yourself: another manager must answer it." in shown.text
    assert 'name="pin"' not in shown.text  # no form to answer
    for decision in ("approve", "decline"):
        refused = answer(alex, own.id, decision, ALEX_PIN)
        assert refused.status_code == 403 and "you asked for this approval yourself" in refused.text
        assert "Nothing was changed." in refused.text
    assert pending_row(hq_engine, own.id)
    # HQ staff see the request but cannot answer it
    sam = web("sam")
    seen = sam.get(f"/office/approvals/{own.id}")
    assert seen.status_code == 200 and "Alex&#39;s own return" in seen.text
    assert "As HQ staff you see the requests but do not answer them" in seen.text and 'name="pin"' not in seen.text
    tried = sam.post(
        f"/office/approvals/{own.id}", data={"csrf": csrf_of(seen.text), "decision": "approve", "pin": "3333"}
    )
    assert tried.status_code == 403 and "Nothing was changed." in tried.text
    assert pending_row(hq_engine, own.id)
    assert wrong_pins(hq_engine, "u-manager") == wrong_pins(hq_engine, "u-supervisor") == 0


def test_a_wrong_pin_is_refused_and_counted_until_the_lock(
    hq_engine: Engine, lanes: Callable[..., RemoteApprovals], web: Callable[[str], httpx.Client]
) -> None:
    req = raise_request(lanes("T01"))
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    alex = web("alex")
    malformed = answer(alex, req.id, "approve", "12")
    assert malformed.status_code == 422 and "4 to 8 digits" in malformed.text
    assert wrong_pins(hq_engine, "u-manager") == 0  # not a PIN: not counted
    wrong = answer(alex, req.id, "approve", "0000", note="kept note")
    assert wrong.status_code == 403
    assert "That PIN is not right for Alex Morgan (4 more tries before a lock)" in wrong.text
    assert "kept note" in wrong.text and 'name="pin"' in wrong.text  # the form again, the note kept
    assert wrong_pins(hq_engine, "u-manager") == 1 and pending_row(hq_engine, req.id)
    said = "wrong_pin: That PIN is not right for Alex Morgan (4 more tries before a lock); type it again."
    assert ("alex", "approval_refused", said) in office_actions(hq_engine)
    for _ in range(3):
        answer(alex, req.id, "approve", "0000")
    locked = answer(alex, req.id, "approve", "0000")
    assert locked.status_code == 423 and "is now locked after 5 wrong PINs" in locked.text
    still = answer(alex, req.id, "approve", ALEX_PIN)  # the right PIN, while locked
    assert still.status_code == 423 and pending_row(hq_engine, req.id)
    with hq_engine.connect() as conn:
        (alert,) = conn.execute(select(hs.alerts.c.kind, hs.alerts.c.detail)).all()
    assert alert.kind == "approver_locked" and "typed at S01-office" in alert.detail


def test_a_forged_or_missing_form_token_is_refused_and_changes_nothing(
    hq_engine: Engine, lanes: Callable[..., RemoteApprovals], web: Callable[[str], httpx.Client]
) -> None:
    req = raise_request(lanes("T01"))
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    alex = web("alex")
    before = office_actions(hq_engine)
    forged = alex.post(f"/office/approvals/{req.id}", data={"csrf": "forged", "decision": "approve", "pin": ALEX_PIN})
    missing = alex.post(f"/office/approvals/{req.id}", data={"decision": "approve", "pin": ALEX_PIN})
    for refused in (forged, missing):
        assert refused.status_code == 403 and "nothing was changed" in refused.text
    assert pending_row(hq_engine, req.id) and wrong_pins(hq_engine, "u-manager") == 0
    assert office_actions(hq_engine) == before


def test_an_approval_reaches_the_lane_with_hqs_proof_and_a_second_answer_is_told_it_came_second(
    hq_engine: Engine, lanes: Callable[..., RemoteApprovals], web: Callable[[str], httpx.Client]
) -> None:
    lane = lanes("T01")
    req = raise_request(lane, amount="182.40")
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    make_login(hq_engine, "jordan", "u-admin", "admin")
    alex, jordan = web("alex"), web("jordan")
    stale_form = jordan.get(f"/office/approvals/{req.id}").text  # Jordan opened it too

    done = answer(alex, req.id, "approve", ALEX_PIN, note="<script>alert(1)</script> known customer")
    assert done.status_code == 303 and done.headers["location"].startswith("/office/approvals?said=Approved")
    listed = alex.get(done.headers["location"]).text
    assert "Approved: Return of S01-T01-000123: refund $182.40 ($182.40)" in listed
    assert f"/office/approvals/{req.id}" not in listed and "0 waiting" in listed  # no longer waiting
    row = row_of(hq_engine, req.id)
    assert (row["state"], row["answered_by_id"], row["answered_by_name"], row["answered_terminal"]) == (
        "approved", "u-manager", "Alex Morgan", "office",
    )  # fmt: skip
    assert row["answer_auth"] == PIN_AT_HQ and row["answer_note"] == "<script>alert(1)</script> known customer"
    assert ("alex", "approval_approve", "<script>alert(1)</script> known customer") in office_actions(hq_engine)
    # the lane's own poll: approved, and HQ's proof verifies under the lane's key (what it records by)
    polled = lane.state(req.id)
    assert (polled.state, polled.answered_by_id, polled.answered_terminal) == ("approved", "u-manager", "office")
    assert polled.answer_auth == PIN_AT_HQ and polled.amount_minor == 18240
    # the second answer is told who answered first, and nothing changes
    late = jordan.post(
        f"/office/approvals/{req.id}",
        data={"csrf": csrf_of(stale_form), "decision": "decline", "pin": JORDAN_PIN, "note": "too late"},
    )
    assert late.status_code == 409
    assert "Already approved by Alex Morgan at office" in late.text and "the first answer counts" in late.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; known customer" in late.text and "<script>alert" not in late.text
    assert 'name="pin"' not in late.text
    assert row_of(hq_engine, req.id) == row
    shown = jordan.get(f"/office/approvals/{req.id}").text
    assert "Answered by" in shown and "Alex Morgan at the back office" in shown


def test_a_decline_reaches_the_lane(
    hq_engine: Engine, lanes: Callable[..., RemoteApprovals], web: Callable[[str], httpx.Client]
) -> None:
    lane = lanes("T01")
    req = raise_request(lane, amount="20.00", kinds={ApprovalKind.NO_RECEIPT})
    make_login(hq_engine, "jordan", "u-admin", "admin")
    done = answer(web("jordan"), req.id, "decline", JORDAN_PIN, note="receipt is from another chain")
    assert done.status_code == 303 and "said=Declined" in done.headers["location"]
    polled = lane.state(req.id)
    assert (polled.state, polled.answered_by_name, polled.answer_note, polled.answer_auth) == (
        "declined", "Jordan Reyes", "receipt is from another chain", PIN_AT_HQ,
    )  # fmt: skip
