"""Two lanes' desk work done offline (issue #17, point 3), at HQ: each lane records without
pushing, then both push, in either order. Both payments are kept and balances are HQ's
sums of its rows; an over-payment, a payment after another lane closed the order and a
change to a case another lane closed are listed in HQ's exceptions (``/v1/exceptions``,
``counter hq report``) once each, naming the order or case and the lanes; a case's status
is its latest change by time, not the last pushed; both lanes' notes are kept.

Lanes speak raw HTTP with well-chained journals (the entries' times are set, so that
"offline" is exact), to the real HQ on the real PostgreSQL."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from counter.journal import make_entry, utc_stamp
from hq import access, cli, schema as hs
from hq.serve import RunningHq
from tests.hq.conftest import hq_count
from tests.hq.test_desk_bad_input import USER, order_opened, order_payment
from tests.hq.test_hostile_ingest import Rogue

pytestmark = pytest.mark.slow

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


class Lane(Rogue):
    """A lane that records entries at given minutes past ``T0`` and pushes them later."""

    def __init__(self, hq: RunningHq, engine: Engine, terminal: str) -> None:
        super().__init__(hq, engine, "S01", terminal)
        self.pending: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []

    def record(self, minute: int, kind: str, body: dict[str, Any]) -> None:
        self.seq += 1
        e = make_entry(
            self.terminal, self.seq, str(uuid.uuid4()), kind, T0 + timedelta(minutes=minute), body, self.prev
        )
        self.prev = e.hash
        self.pending.append({k: getattr(e, k) for k in ("seq", "id", "type", "at", "body", "prev_hash", "hash")})

    def sync(self, entries: list[dict[str, Any]] | None = None) -> None:
        batch = {"store": self.store, "terminal": self.terminal, "sent_at": utc_stamp(datetime.now(UTC))}
        r = self.http.post("/v1/journal", json={**batch, "entries": entries or self.pending})
        assert r.status_code == 200, r.text
        if entries is None:
            self.sent += self.pending
            self.pending = []


@pytest.fixture
def lanes(hq: RunningHq, hq_engine: Engine) -> Iterator[Callable[[str], Lane]]:
    made: list[Lane] = []

    def make(terminal: str) -> Lane:
        made.append(Lane(hq, hq_engine, terminal))
        return made[-1]

    yield make
    for lane in made:
        lane.http.close()


def exceptions(hq: RunningHq, engine: Engine) -> list[dict[str, Any]]:
    """HQ's exceptions as the back office reads them (``/v1/exceptions``), oldest first."""
    token = access.new_admin_token(engine, "back office")
    r = httpx.get(f"{hq.url}/v1/exceptions", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["exceptions"]))


def order_of(lane: Lane, number: str) -> dict[str, Any]:
    r = lane.http.get(f"/v1/desk/orders/{number}")
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def payments_at_hq(engine: Engine, order_id: str) -> list[tuple[str, int]]:
    p = hs.desk_payments
    with engine.connect() as conn:
        rows = conn.execute(select(p.c.origin_terminal, p.c.amount_minor).where(p.c.order_id == order_id)).all()
    return sorted((str(t), int(a)) for t, a in rows)


def report(pg_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert cli.run(argparse.Namespace(hq_command="report", database_url=pg_url)) == 0
    return capsys.readouterr().out


def cancellation(order_id: str, number: str, paid: int, kept: int, terminal: str) -> dict[str, Any]:
    back = paid - kept
    refund = {
        "payment_id": str(uuid.uuid4()), "number": f"S01-{terminal}-P00009", "purpose": "order_refund",
        "amount": back, "currency": "USD", "customer_id": "c-1", "order_id": order_id, "account_id": None,
        "original_sale_id": None, "voucher_code": None, "reference": number, "user": USER, "terminal": terminal,
        "tenders": [{"kind": "cash", "amount": -back, "original_tender": None, "reference": "", "card_brand": None,
                     "card_last4": None, "approval_code": None}],
    }  # fmt: skip
    return {"order_id": order_id, "number": number, "customer_id": "c-1", "paid": paid, "kept": kept,
            "refund": refund, "reason": "moving", "approvals": [], "user": USER}  # fmt: skip


# ================================================================== payments


@pytest.mark.parametrize("first", ["T01", "T02"])
def test_two_offline_lanes_paying_one_layaway_past_its_total_keep_both_payments_and_raise_one_exception(
    lanes: Callable[[str], Lane], hq: RunningHq, hq_engine: Engine, pg_url: str, capsys: pytest.CaptureFixture[str],
    first: str,
) -> None:  # fmt: skip
    one, two = lanes("T01"), lanes("T02")
    number = "S01-T01-L00001"
    opened = order_opened("T01", number)  # total 2165, deposit 1000
    order_id = opened["order_id"]
    one.record(0, "OrderOpened", opened)
    one.sync()  # T02 has pulled it; then both lanes go offline
    # each lane takes the rest, 1165, not knowing of the other's
    one.record(10, "OrderPaymentTaken", order_payment("T01", order_id, number, 1165, 0))
    two.record(20, "OrderPaymentTaken", order_payment("T02", order_id, number, 1165, 0))
    for lane in (one, two) if first == "T01" else (two, one):
        lane.sync()

    assert payments_at_hq(hq_engine, order_id) == [("T01", 1000), ("T01", 1165), ("T02", 1165)]
    order = order_of(one, number)["order"]
    assert (order["paid_minor"], order["balance_minor"]) == (3330, -1165)  # below zero: credit owed
    found = [x for x in exceptions(hq, hq_engine) if x["kind"] == "order_overpaid"]
    assert len(found) == 1, found
    (x,) = found
    # whichever lane pushed last, the payment taken last (T02's, by time) took it over
    assert (x["receipt_number"], x["store_id"], x["terminal_id"], x["lanes"]) == (
        number, "S01", "T02", "S01-T01, S01-T02"
    )  # fmt: skip
    assert (x["sold"], x["returned"], x["amount_minor"]) == (2165, 3330, 1165)
    assert f"layaway {number} over-paid" in x["detail"] and "11.65 is credit owed" in x["detail"]
    out = report(pg_url, capsys)
    assert f"desk over-paid (S01-T01, S01-T02): layaway {number} over-paid" in out

    # pushed again (a lane that did not hear the answer): nothing more
    for lane in (one, two):
        lane.sync(lane.sent)
    assert payments_at_hq(hq_engine, order_id) == [("T01", 1000), ("T01", 1165), ("T02", 1165)]
    assert len(exceptions(hq, hq_engine)) == 1
    # another payment on the order re-judges it: the same cause is not listed twice
    one.record(30, "OrderPaymentTaken", order_payment("T01", order_id, number, 100, 0))
    one.sync()
    kinds = [(x["kind"], x["amount_minor"]) for x in exceptions(hq, hq_engine)]
    assert kinds == [("order_overpaid", 1165), ("order_overpaid", 100)]


@pytest.mark.parametrize("first", ["T01", "T02"])
def test_a_payment_taken_offline_after_another_lane_cancelled_the_order_is_kept_and_raised(
    lanes: Callable[[str], Lane], hq: RunningHq, hq_engine: Engine, first: str
) -> None:
    one, two = lanes("T01"), lanes("T02")
    number = "S01-T01-L00002"
    opened = order_opened("T01", number)
    order_id = opened["order_id"]
    one.record(0, "OrderOpened", opened)
    one.sync()
    one.record(10, "OrderCancelled", cancellation(order_id, number, 1000, 500, "T01"))  # keeps its fee
    two.record(15, "OrderPaymentTaken", order_payment("T02", order_id, number, 300, 865))  # T02 did not know
    for lane in (one, two) if first == "T01" else (two, one):
        lane.sync()

    assert payments_at_hq(hq_engine, order_id) == [("T01", -500), ("T01", 1000), ("T02", 300)]
    order = order_of(two, number)["order"]
    assert (order["status"], order["paid_minor"]) == ("cancelled", 800)
    (x,) = exceptions(hq, hq_engine)
    assert (x["kind"], x["receipt_number"], x["terminal_id"], x["lanes"], x["amount_minor"]) == (
        "order_paid_closed", number, "T02", "S01-T01, S01-T02", 300
    )  # fmt: skip
    assert "payment S01-T01-L00002-Q300 of 3.00 taken at S01-T02" in x["detail"]
    assert "after the order was cancelled at S01-T01" in x["detail"]
    for lane in (one, two):
        lane.sync(lane.sent)
    assert len(exceptions(hq, hq_engine)) == 1


def test_a_payment_the_cancelling_lane_did_not_count_is_kept_and_raised_as_missed_not_as_paid_after(
    lanes: Callable[[str], Lane], hq: RunningHq, hq_engine: Engine
) -> None:
    one, two = lanes("T01"), lanes("T02")
    number = "S01-T01-L00003"
    opened = order_opened("T01", number)
    order_id = opened["order_id"]
    one.record(0, "OrderOpened", opened)
    one.sync()
    two.record(5, "OrderPaymentTaken", order_payment("T02", order_id, number, 300, 865))  # before the cancel
    one.record(7, "OrderPaymentTaken", order_payment("T01", order_id, number, 200, 965))  # T01 knew its own
    one.record(10, "OrderCancelled", cancellation(order_id, number, 1200, 500, "T01"))  # counted 1200 paid
    two.sync()
    one.sync()
    assert payments_at_hq(hq_engine, order_id) == [("T01", -700), ("T01", 200), ("T01", 1000), ("T02", 300)]
    (x,) = exceptions(hq, hq_engine)
    assert (x["kind"], x["receipt_number"], x["terminal_id"], x["lanes"], x["amount_minor"]) == (
        "order_closed_unaware", number, "T02", "S01-T01, S01-T02", 300
    )  # fmt: skip
    assert "was not counted when the order was cancelled at S01-T01" in x["detail"]
    assert "which counted 12.00 paid" in x["detail"] and "3.00 of it is kept" in x["detail"]


def test_one_lanes_layaway_paid_and_cancelled_raises_nothing(
    lanes: Callable[[str], Lane], hq: RunningHq, hq_engine: Engine
) -> None:
    one = lanes("T01")
    number = "S01-T01-L00004"
    opened = order_opened("T01", number)
    order_id = opened["order_id"]
    one.record(0, "OrderOpened", opened)
    one.record(5, "OrderPaymentTaken", order_payment("T01", order_id, number, 300, 865))
    one.record(10, "OrderCancelled", cancellation(order_id, number, 1300, 500, "T01"))
    one.sync()
    assert exceptions(hq, hq_engine) == []


# ================================================================== cases


def _case(lane: Lane, minute: int, case_id: str, number: str) -> None:
    contact = {
        "contact_id": str(uuid.uuid4()), "case_id": case_id, "case_number": number, "new_case": True,
        "customer_id": "c-1", "kind": "complaint", "category": "Billing", "links": [], "handled_by": USER,
        "follow_up_on": None, "has_actions": False,
    }  # fmt: skip
    lane.record(minute, "ContactLogged", contact)


def _change(case_id: str, number: str, frm: str, to: str) -> dict[str, Any]:
    return {"case_id": case_id, "case_number": number, "from": frm, "to": to, "user": USER, "has_note": False}


def test_a_case_closed_at_one_lane_and_changed_at_another_is_ordered_by_time_and_raised_once(
    lanes: Callable[[str], Lane], hq: RunningHq, hq_engine: Engine, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = lanes("T01"), lanes("T02")
    case_id, number = str(uuid.uuid4()), "S01-T01-C00001"
    referral = str(uuid.uuid4())
    _case(one, 0, case_id, number)
    referred = {
        "referral_id": referral, "case_id": case_id, "case_number": number, "department": "warranty",
        "department_name": "Warranty and repair", "user": USER, "priority": "normal", "due": "2027-01-30",
        "from": "open",
    }  # fmt: skip
    one.record(1, "CaseReferred", referred)
    one.sync()
    note = {"referral_id": referral, "case_id": case_id, "user": USER}
    # offline: T01 notes and closes the case; T02, later, notes and puts it back to waiting
    one.record(10, "ReferralNoted", note)
    one.record(11, "CaseClosed", _change(case_id, number, "referred", "closed"))
    two.record(20, "ReferralNoted", note)
    two.record(21, "CaseStatusChanged", _change(case_id, number, "referred", "waiting"))
    two.sync()
    one.sync()  # pushed last, but not the latest

    c = hs.cases
    with hq_engine.connect() as conn:
        status = conn.execute(select(c.c.status).where(c.c.id == case_id)).scalar_one()
    assert status == "waiting"
    assert hq_count(hq_engine, hs.referral_notes, referral_id=referral) == 2  # both notes kept
    with httpx.Client(base_url=hq.url, headers=one.http.headers) as http:
        body = http.get(f"/v1/desk/cases/{number}").json()
    assert body["case"]["status"] == "waiting"
    assert [(e["event"], e["status_to"], e["origin_terminal"]) for e in body["events"]][-4:] == [
        ("department_note", "", "T01"), ("closed", "closed", "T01"),
        ("department_note", "", "T02"), ("status", "waiting", "T02"),
    ]  # fmt: skip
    assert [n["origin_terminal"] for n in body["referrals"][0]["notes"]] == ["T01", "T02"]
    (x,) = exceptions(hq, hq_engine)
    assert (x["kind"], x["receipt_number"], x["terminal_id"], x["lanes"]) == (
        "case_reopened", number, "T02", "S01-T01, S01-T02"
    )  # fmt: skip
    assert f"case {number} was closed at S01-T01" in x["detail"] and "changed to waiting at S01-T02" in x["detail"]
    assert "its status at HQ is now waiting" in x["detail"]
    assert f"desk closed case changed elsewhere (S01-T01, S01-T02): case {number}" in report(pg_url, capsys)

    for lane in (one, two):
        lane.sync(lane.sent)
    assert len(exceptions(hq, hq_engine)) == 1
    # T01 closes it again, later: closed, and no new exception (its own close)
    one.record(30, "CaseClosed", _change(case_id, number, "waiting", "closed"))
    one.sync()
    with hq_engine.connect() as conn:
        assert conn.execute(select(c.c.status).where(c.c.id == case_id)).scalar_one() == "closed"
    assert len(exceptions(hq, hq_engine)) == 1


def test_a_late_status_change_pushed_first_is_not_overwritten_by_an_earlier_one_pushed_later(
    lanes: Callable[[str], Lane], hq: RunningHq, hq_engine: Engine
) -> None:
    one, two = lanes("T01"), lanes("T02")
    case_id, number = str(uuid.uuid4()), "S01-T01-C00002"
    _case(one, 0, case_id, number)
    one.sync()
    two.record(20, "CaseClosed", _change(case_id, number, "open", "closed"))
    one.record(10, "CaseStatusChanged", _change(case_id, number, "open", "waiting"))
    two.sync()
    one.sync()
    with hq_engine.connect() as conn:
        status = conn.execute(select(hs.cases.c.status).where(hs.cases.c.id == case_id)).scalar_one()
    assert status == "closed"
    assert exceptions(hq, hq_engine) == []  # the change came before the close
