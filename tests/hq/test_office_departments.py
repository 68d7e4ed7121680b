"""Department work in the back office (issue #18, point 2, and the story of issue #17 that
waited for it): a complaint logged at T01 and referred to warranty is in the warranty
agent's queue at HQ, the agent reads the customer's words and records the outcome there,
and T02 receives it and tells the customer; T01 closes the case. The outcome is an entry
on HQ's own chain of the store, which verifies like a lane's. An agent of another
department or store is refused the case; overdue referrals are marked; an escalation
reaches the lanes; text anyone typed is shown as text.

Real store files, a real uvicorn, the real PostgreSQL, forms posted as a browser posts them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select, update

from counter.desk.cases import CaseStatus, ContactKind, LogContact, change_status, log_contact
from counter.desk.referrals import Priority, ReferralStatus, refer_case, tell_customer
from counter.desk.service import DeskConfig
from counter.journal import JournalEntry, verify
from db.desk_queries import case_events, department_queue, get_case
from hq import schema as hs
from hq.serve import RunningHq
from tests.hq.conftest import Lane
from tests.hq.office_browser import PASSWORD, make_login
from tests.hq.test_desk_at_hq import customer, sync
from tests.hq.test_no_receipt_across_lanes import verified

pytestmark = pytest.mark.slow


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:400]
    return found.group(1)


@pytest.fixture
def office(hq: RunningHq) -> Iterator[Callable[[str], httpx.Client]]:
    made: list[httpx.Client] = []

    def signed_in(login: str) -> httpx.Client:
        client = httpx.Client(base_url=hq.url, timeout=10)
        form = client.get("/office/sign-in")
        r = client.post("/office/sign-in", data={"login": login, "password": PASSWORD, "csrf": csrf_of(form.text)})
        assert r.status_code == 303, r.text
        made.append(client)
        return client

    yield signed_in
    for c in made:
        c.close()


def complaint(lane: Lane, words: str = "The kettle leaks from the seam.") -> tuple[Any, Any]:
    jane = customer(lane)
    maria = lane.store.user("Maria")
    at = dict(uow_factory=lane.store.uow, clock=lane.store.clock)
    case = log_contact(
        maria,
        LogContact(jane, ContactKind.COMPLAINT, "Product quality", words, "Took it in"),
        terminal=lane.store.terminal,
        **at,  # type: ignore[arg-type]
    ).case
    referral = refer_case(
        maria, case.id, "warranty", Priority.HIGH, None, "Seam leak, under warranty", config=DeskConfig(),
        store=lane.store.cfg, **at,  # type: ignore[arg-type]
    )  # fmt: skip
    return case, referral


def hq_chain(engine: Engine, store: str = "S01") -> list[JournalEntry]:
    j = hs.journal
    with engine.connect() as conn:
        rows = conn.execute(
            select(j.c.terminal_id, j.c.seq, j.c.id, j.c.type, j.c.at, j.c.body, j.c.prev_hash, j.c.hash)
            .where(j.c.store_id == store, j.c.terminal_id == "HQ")
            .order_by(j.c.seq)
        ).all()
    return [JournalEntry(*r) for r in rows]


def test_an_outcome_recorded_at_hq_is_told_at_t02_and_the_case_closed_at_t01(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq, office: Callable[[str], httpx.Client]
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    case, referral = complaint(one)
    sync(one, two)
    make_login(hq_engine, "wanda", "u-supervisor", "agent", store_id="S01", department="warranty")
    agent = office("wanda")

    queue = agent.get("/office/queue")
    assert queue.status_code == 200 and case.number in queue.text and "Warranty and repair" in queue.text
    page = agent.get(f"/office/cases/S01/{case.id}")
    assert page.status_code == 200
    assert "The kettle leaks from the seam." in page.text and "Seam leak, under warranty" in page.text
    assert "Jane Okafor" in page.text
    empty = agent.post(
        f"/office/cases/S01/{case.id}/referrals/{referral.id}",
        data={"csrf": csrf_of(page.text), "action": "outcome", "note": " "},
    )
    assert empty.status_code == 422 and "nothing was recorded" in empty.text
    done = agent.post(
        f"/office/cases/S01/{case.id}/referrals/{referral.id}",
        data={"csrf": csrf_of(page.text), "action": "outcome", "note": "Seal replaced under warranty."},
    )
    assert done.status_code == 303
    assert "Outcome recorded" in agent.get(done.headers["location"]).text

    # HQ's own chain of the store holds it, chained as a lane's is
    (entry,) = hq_chain(hq_engine)
    assert entry.type == "ReferralAnswered" and verify([entry]).ok
    assert "Seal replaced" not in entry.body  # the words go beside the entry, never in it
    with hq_engine.connect() as conn:
        status = conn.execute(select(hs.DESK["referrals"].c.status).where(hs.DESK["referrals"].c.id == referral.id))
        assert status.scalar_one() == "answered"

    # T02 pulls it: the department's answer, to tell the customer
    sync(two)
    assert two.syncer.status.desk_news == "From other lanes: 1 department answer to tell the customer."
    (answered,) = [r for r in department_queue(two.store.db.read, "warranty") if r.id == referral.id]
    assert (answered.status, answered.outcome) == (ReferralStatus.ANSWERED, "Seal replaced under warranty.")
    for lane in (one, two):  # the lanes' clocks go on (a test clock stands still until told)
        lane.store.clock.advance(minutes=10)
    tell_customer(two.store.user("Sam"), referral.id, "phone", "", uow_factory=two.store.uow, clock=two.store.clock)
    sync(two, one)
    at_one = dict(uow_factory=one.store.uow, clock=one.store.clock)
    change_status(one.store.user("Maria"), case.id, CaseStatus.RESOLVED, "Seal replaced.", **at_one)  # type: ignore[arg-type]
    change_status(one.store.user("Maria"), case.id, CaseStatus.CLOSED, "", **at_one)  # type: ignore[arg-type]
    sync(one, two)
    closed = get_case(two.store.db.read, case.id)
    assert closed is not None and closed.status is CaseStatus.CLOSED
    events = [e.event for e in case_events(one.store.db.read, case.id)]
    assert events.index("answered") < events.index("told") < events.index("closed")
    page = agent.get(f"/office/cases/S01/{case.id}")
    assert "Seal replaced under warranty." in page.text and "customer told" in page.text
    make_login(hq_engine, "jordan", "u-admin", "admin")
    lanes = office("jordan").get("/office/lanes").text
    assert "<strong>T01</strong>" in lanes or ">T01<" in lanes
    assert ">HQ<" not in lanes and "<strong>HQ</strong>" not in lanes  # HQ's own chain is not a lane
    verified(hq_engine, one, two)


def test_an_agent_sees_only_their_departments_cases_in_their_store(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq, office: Callable[[str], httpx.Client]
) -> None:
    one = make_lane("T01")
    case, referral = complaint(one)
    sync(one)
    make_login(hq_engine, "bill", "u-cashier-2", "agent", store_id="S01", department="billing")
    make_login(hq_engine, "north", "u-manager", "agent", store_id="S02", department="warranty")
    for login in ("bill", "north"):
        client = office(login)
        assert case.number not in client.get("/office/queue").text
        refused = client.get(f"/office/cases/S01/{case.id}")
        assert refused.status_code == 403 and "not in what your role lets you see" in refused.text
        assert "The kettle leaks" not in refused.text
        form = client.get("/office/queue")
        posted = client.post(
            f"/office/cases/S01/{case.id}/referrals/{referral.id}",
            data={"csrf": csrf_of(form.text), "action": "outcome", "note": "not mine"},
        )
        assert posted.status_code == 403
    assert hq_chain(hq_engine) == []  # nothing recorded
    assert office("bill").get("/office/cases/S01/no-such-case").status_code == 404


def test_overdue_referrals_are_marked_escalation_reaches_the_lanes_and_typed_script_stays_text(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq, office: Callable[[str], httpx.Client]
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    case, referral = complaint(one, words='<script>alert("x")</script> leaks')
    sync(one)
    with hq_engine.begin() as conn:
        r = hs.DESK["referrals"]
        conn.execute(update(r).where(r.c.id == referral.id).values(hq_due_on="2026-01-02"))
    make_login(hq_engine, "hq", "u-admin", "hq_staff")
    staff = office("hq")
    queue = staff.get("/office/queue", params={"department": "warranty"})
    row = queue.text.split(case.number)[1].split("</tr>")[0]
    assert "2026-01-02" in row and "Overdue" in row
    page = staff.get(f"/office/cases/S01/{case.id}")
    assert '<script>alert("x")</script>' not in page.text and "&lt;script&gt;" in page.text
    up = staff.post(
        f"/office/cases/S01/{case.id}/referrals/{referral.id}", data={"csrf": csrf_of(page.text), "action": "escalate"}
    )
    assert up.status_code == 303 and "Escalated" in staff.get(up.headers["location"]).text
    again = staff.post(
        f"/office/cases/S01/{case.id}/referrals/{referral.id}", data={"csrf": csrf_of(page.text), "action": "escalate"}
    )
    assert again.status_code == 409
    sync(two)
    (seen,) = [x for x in department_queue(two.store.db.read, "manager") if x.id == referral.id]
    assert seen.escalated_to == "Store manager"
    with hq_engine.connect() as conn:
        a = hs.office_actions
        done = conn.execute(select(a.c.login, a.c.action).where(a.c.action.like("referral_%"))).all()
    assert [tuple(x) for x in done] == [("hq", "referral_escalate")]


def test_a_referral_reassigned_at_hq_moves_to_the_other_departments_queue_there_and_at_the_lanes(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq, office: Callable[[str], httpx.Client]
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    case, referral = complaint(one)
    sync(one, two)
    make_login(hq_engine, "wanda", "u-supervisor", "agent", store_id="S01", department="warranty")
    agent = office("wanda")
    page = agent.get(f"/office/cases/S01/{case.id}")
    url = f"/office/cases/S01/{case.id}/referrals/{referral.id}"
    same = agent.post(
        url, data={"csrf": csrf_of(page.text), "action": "reassign", "department": "warranty", "note": "x"}
    )
    assert same.status_code == 422 and "Pick another department" in same.text
    why = agent.post(url, data={"csrf": csrf_of(page.text), "action": "reassign", "department": "billing", "note": ""})
    assert why.status_code == 422
    moved = agent.post(
        url,
        data={
            "csrf": csrf_of(page.text),
            "action": "reassign",
            "department": "billing",
            "note": "Charged twice, not a fault",
        },
    )
    assert moved.status_code == 303 and moved.headers["location"].startswith("/office/queue")
    said = agent.get(moved.headers["location"]).text
    assert f"Case {case.number} is with Billing" in said and f">{case.number}</a>" not in said  # no longer theirs
    assert agent.get(f"/office/cases/S01/{case.id}").status_code == 403
    (entry,) = hq_chain(hq_engine)
    assert entry.type == "ReferralReassigned"
    sync(two)
    assert [r.id for r in department_queue(two.store.db.read, "billing") if r.id == referral.id] == [referral.id]
    assert referral.id not in [r.id for r in department_queue(two.store.db.read, "warranty")]
    events = case_events(two.store.db.read, case.id)
    assert any(e.event == "reassigned" and "Charged twice, not a fault" in e.text for e in events)
    make_login(hq_engine, "bill", "u-cashier-2", "agent", store_id="S01", department="billing")
    assert case.number in office("bill").get("/office/queue").text
    verified(hq_engine, one, two)
