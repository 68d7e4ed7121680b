"""The service desk at HQ against bad input (issue #17, point 1): an entry about an order,
account or case HQ does not hold (or holds for another store), a number a lane issues
twice, and the desk API's malformed, unknown and foreign look-ups: each a 4xx with words,
nothing stored, never a 5xx. And the migration's backfill: desk entries HQ held before it
projected them come out as the rows ingest makes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete, insert, select

from counter.desk.cases import ContactKind, LogContact, log_contact
from counter.desk.orders import OrderKind, OrderLine, open_order, order_total
from counter.desk.service import DeskConfig
from counter.projection.desk import PRIVATE_COLUMNS
from counter.trust.desk_rules import DESK_KINDS
from hq import access, desk, schema as hs
from hq.serve import RunningHq
from hq.store import utcnow
from tests.hq.conftest import Lane, hq_count
from tests.hq.test_desk_at_hq import cash, customer, half, kw, snapshot, sync
from tests.hq.test_hostile_ingest import Rogue

pytestmark = pytest.mark.slow

USER = "u-cashier-1"


@pytest.fixture
def rogue(hq: RunningHq, hq_engine: Engine) -> Iterator[Callable[..., Rogue]]:
    made: list[Rogue] = []

    def make(terminal: str = "T66", store: str = "S01") -> Rogue:
        made.append(Rogue(hq, hq_engine, store, terminal))
        return made[-1]

    yield make
    for r in made:
        r.http.close()


def order_opened(terminal: str, number: str, order_id: str | None = None) -> dict[str, Any]:
    """An OrderOpened body that adds up: 2 × 10.00 plus 1.65 tax, 10.00 deposit in cash."""
    order_id = order_id or str(uuid.uuid4())
    payment = {
        "payment_id": str(uuid.uuid4()), "number": f"{number}-P", "purpose": "deposit", "amount": 1000,
        "currency": "USD", "customer_id": "c-1", "order_id": order_id, "account_id": None, "original_sale_id": None,
        "voucher_code": None, "reference": number, "user": USER, "terminal": terminal,
        "tenders": [{"kind": "cash", "amount": 1000, "tendered": 1000, "card_brand": None, "card_last4": None,
                     "approval_code": None, "voucher": None}],
    }  # fmt: skip
    return {
        "order_id": order_id, "number": number, "kind": "layaway", "customer_id": "c-1",
        "lines": [{"line_no": 1, "item_id": "item-000001", "sku": "APP-00004", "name": "Crew neck shirt",
                   "category_id": "apparel", "qty": 2, "unit_price": 1000, "tax_code": "A", "tax_label": "Tax A",
                   "tax_rate": "0.0825"}],
        "currency": "USD", "min_deposit": 433, "total": 2165, "tax": 165, "due": "2027-01-30", "cancel_fee": 500,
        "deposit_refundable": True, "deposit": payment, "user": USER,
    }  # fmt: skip


def order_payment(terminal: str, order_id: str, number: str, amount: int, balance: int) -> dict[str, Any]:
    payment = {
        "payment_id": str(uuid.uuid4()), "number": f"{number}-Q{amount}", "purpose": "order_payment",
        "amount": amount, "currency": "USD", "customer_id": "c-1", "order_id": order_id, "account_id": None,
        "original_sale_id": None, "voucher_code": None, "reference": number, "user": USER, "terminal": terminal,
        "tenders": [{"kind": "card", "amount": amount, "tendered": amount, "card_brand": "Visa", "card_last4": "4242",
                     "approval_code": "A1", "voucher": None}],
    }  # fmt: skip
    body = {"order_id": order_id, "number": number, "customer_id": "c-1", "payment": payment, "user": USER}
    return {**body, "balance": balance}


def refusal(r: httpx.Response, status: int = 422) -> dict[str, Any]:
    assert r.status_code == status, r.text
    answer: dict[str, Any] = r.json()
    return answer


# ================================================================== what HQ does not hold


def test_an_entry_about_an_order_or_case_hq_does_not_hold_is_refused_by_name(
    rogue: Callable[..., Rogue], hq_engine: Engine
) -> None:
    lane = rogue()
    assert lane.push(("OrderOpened", order_opened("T66", "S01-T66-L00001"))).status_code == 200
    before = snapshot(hq_engine)

    ghost = str(uuid.uuid4())
    answer = refusal(lane.push(("OrderPaymentTaken", order_payment("T66", ghost, "S01-T66-L00404", 500, 1165))))
    assert (answer["error"], answer["rule"], answer["seq"]) == ("entry_refused", "unknown_record", 2)
    assert "order S01-T66-L00404, which HQ does not hold for this store" in answer["message"]

    closed = {"case_id": ghost, "case_number": "S01-T66-C00404", "from": "open", "to": "closed", "user": USER}
    answer = refusal(lane.push(("CaseClosed", {**closed, "has_note": False})))
    assert answer["rule"] == "unknown_record"
    assert "changes case S01-T66-C00404, which HQ does not hold for S01" in answer["message"]

    contact = {
        "contact_id": str(uuid.uuid4()), "case_id": ghost, "case_number": "S01-T66-C00404", "new_case": False,
        "customer_id": "c-1", "kind": "complaint", "category": "Billing", "links": [], "handled_by": USER,
        "follow_up_on": None, "has_actions": False,
    }  # fmt: skip
    answer = refusal(lane.push(("ContactLogged", contact)))
    assert answer["rule"] == "unknown_record"
    assert f"names a case HQ does not hold for this store ({ghost})" in answer["message"]
    assert snapshot(hq_engine) == before  # nothing of any refused push


def test_another_stores_lane_cannot_touch_an_order_and_a_lane_cannot_issue_a_number_twice(
    rogue: Callable[..., Rogue], hq_engine: Engine
) -> None:
    ours = rogue("T66", "S01")
    opened = order_opened("T66", "S01-T66-L00001")
    assert ours.push(("OrderOpened", opened)).status_code == 200
    order_id = opened["order_id"]
    theirs = rogue("T01", "S02")
    answer = refusal(theirs.push(("OrderPaymentTaken", order_payment("T01", order_id, "S01-T66-L00001", 500, 165))))
    assert answer["rule"] == "unknown_record"
    picked = {"order_id": order_id, "number": "S01-T66-L00001", "customer_id": "c-1", "sale_id": str(uuid.uuid4()),
              "receipt_number": "S02-T01-000001", "deposits_applied": 1000, "user": USER}  # fmt: skip
    assert refusal(theirs.push(("OrderPickedUp", picked)))["rule"] == "unknown_record"
    # the same number again from the same lane (another order id): refused, not a 500
    answer = refusal(ours.push(("OrderOpened", order_opened("T66", "S01-T66-L00001"))))
    assert answer["rule"] == "duplicate_id" and "an order id or number HQ already holds" in answer["message"]
    # the same order id from another store is another store's order
    assert theirs.push(("OrderOpened", order_opened("T01", "S02-T01-L00001", order_id))).status_code == 200
    with hq_engine.connect() as conn:
        rows = conn.execute(select(hs.orders.c.store_id, hs.orders.c.number).where(hs.orders.c.id == order_id)).all()
    assert sorted(rows) == [("S01", "S01-T66-L00001"), ("S02", "S02-T01-L00001")]
    assert hq_count(hq_engine, hs.desk_payments, order_id=order_id) == 2  # one deposit each


def test_a_payment_from_a_lane_that_did_not_hear_of_another_lanes_payment_is_kept(
    rogue: Callable[..., Rogue], hq_engine: Engine
) -> None:
    """Two lanes pay one order offline: the later one to reach HQ claims less paid than HQ
    holds. Both payments are real, so HQ keeps both; a claim of *more* paid than HQ holds
    is no honest lane's and is refused."""
    one, two = rogue("T66"), rogue("T67")
    opened = order_opened("T66", "S01-T66-L00001")
    order_id = opened["order_id"]
    assert one.push(("OrderOpened", opened)).status_code == 200  # total 2165, 1000 paid
    assert (
        one.push(("OrderPaymentTaken", order_payment("T66", order_id, "S01-T66-L00001", 500, 665))).status_code == 200
    )
    # T67 knew only the deposit: 1165 left before its payment of 300
    assert (
        two.push(("OrderPaymentTaken", order_payment("T67", order_id, "S01-T66-L00001", 300, 865))).status_code == 200
    )
    # a claim that more was paid than HQ holds (1800): nothing left after another 300
    answer = refusal(two.push(("OrderPaymentTaken", order_payment("T67", order_id, "S01-T66-L00001", 300, 0))))
    assert answer["rule"] == "balance"
    assert "HQ's payment rows of order S01-T66-L00001 say 1800 was paid of its 2165" in answer["message"]
    with hq_engine.connect() as conn:
        paid = conn.execute(
            select(hs.desk_payments.c.origin_terminal, hs.desk_payments.c.amount_minor)
            .where(hs.desk_payments.c.order_id == order_id)
            .order_by(hs.desk_payments.c.origin_seq, hs.desk_payments.c.origin_terminal)
        ).all()
    assert sorted(paid) == [("T66", 500), ("T66", 1000), ("T67", 300)]
    # T66 cancels, knowing of its own 1500: it refunds 500 and says it keeps 1000; HQ keeps
    # what its rows say was paid less the refund
    refund = {
        "payment_id": str(uuid.uuid4()), "number": "S01-T66-P00009", "purpose": "order_refund", "amount": 500,
        "currency": "USD", "customer_id": "c-1", "order_id": order_id, "account_id": None, "original_sale_id": None,
        "voucher_code": None, "reference": "S01-T66-L00001", "user": USER, "terminal": "T66",
        "tenders": [{"kind": "cash", "amount": -500, "original_tender": None, "reference": "", "card_brand": None,
                     "card_last4": None, "approval_code": None}],
    }  # fmt: skip
    cancelled = {"order_id": order_id, "number": "S01-T66-L00001", "customer_id": "c-1", "paid": 1500, "kept": 1000,
                 "refund": refund, "reason": "moving", "approvals": [], "user": USER}  # fmt: skip
    assert one.push(("OrderCancelled", cancelled)).status_code == 200
    with hq_engine.connect() as conn:
        kept = conn.execute(select(hs.orders.c.status, hs.orders.c.kept_minor).where(hs.orders.c.id == order_id)).one()
    assert tuple(kept) == ("cancelled", 1300)  # 1000 + 500 + 300 paid, 500 refunded


# ================================================================== the API


def test_the_desk_api_answers_bad_input_with_words_and_reads_only_its_own_store(
    make_lane: Callable[..., Lane], hq: RunningHq, hq_engine: Engine
) -> None:
    one = make_lane("T01")
    jane = customer(one)
    lines = [OrderLine(1, one.store.item_in("apparel"), 1)]
    total, _ = order_total(lines, one.store.cfg)
    order = open_order(
        one.store.user("Maria"),
        OrderKind.LAYAWAY,
        jane,
        lines,
        [cash(half(total))],
        rules=DeskConfig().rules,
        **kw(one),
    ).order
    sync(one)
    mine = httpx.Client(base_url=hq.url, headers={"Authorization": f"Bearer {one.config.token}"})
    answer = httpx.post(f"{hq.url}/v1/enrol", json={"code": access.new_enrol_code(hq_engine, "S02", "T01")}).json()
    other = httpx.Client(base_url=hq.url, headers={"Authorization": f"Bearer {answer['token']}"})
    with mine, other:
        assert mine.get(f"/v1/desk/orders/{order.number}").status_code == 200
        assert mine.get(f"/v1/desk/orders/{order.number}", params={"terminal": "T01"}).status_code == 200
        cases = [
            (mine, f"/v1/desk/orders/{order.number}", {"terminal": "T02"}, 404, "unknown_order",
             f"HQ holds no order {order.number} from lane T02 for store S01"),
            (other, f"/v1/desk/orders/{order.number}", {}, 404, "unknown_order", "for store S02"),
            (mine, "/v1/desk/orders/S01-T01-L99999", {}, 404, "unknown_order", "Check the number"),
            (mine, "/v1/desk/accounts/S01-T01-H99999", {}, 404, "unknown_account", "no house account"),
            (mine, "/v1/desk/cases/S01-T01-C99999", {}, 404, "unknown_case", "no case S01-T01-C99999"),
            (mine, "/v1/desk/orders/bad%20number", {}, 422, "malformed", "is not one Counter issues"),
            (mine, "/v1/desk/cases/" + "9" * 40, {}, 422, "malformed", "1..32 letters"),
            (mine, f"/v1/desk/orders/{order.number}", {"terminal": "T 1"}, 422, "malformed", "names a lane"),
            (mine, "/v1/desk/orders", {"status": "lost"}, 422, "malformed", "open, picked_up, cancelled"),
            (mine, "/v1/desk/orders", {"limit": "0"}, 422, "malformed", "limit"),
            (httpx.Client(base_url=hq.url), "/v1/desk/orders", {}, 401, "unauthorized", ""),
        ]  # fmt: skip
        for client, path, params, status, error, words in cases:
            r = client.get(path, params=params)
            assert (r.status_code, r.json()["error"]) == (status, error), (path, r.text)
            assert words in r.json()["message"], (path, r.text)
        assert other.get("/v1/desk/orders").json()["orders"] == []
        assert [o["number"] for o in mine.get("/v1/desk/orders").json()["orders"]] == [order.number]


# ================================================================== backfill


def test_the_backfill_projects_what_the_journal_held_as_ingest_does_and_alerts_what_it_cannot(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    one = make_lane("T01")
    jane = customer(one)
    lines = [OrderLine(1, one.store.item_in("apparel"), 2)]
    total, _ = order_total(lines, one.store.cfg)
    open_order(
        one.store.user("Maria"),
        OrderKind.LAYAWAY,
        jane,
        lines,
        [cash(half(total))],
        rules=DeskConfig().rules,
        **kw(one),
    )
    log_contact(
        one.store.user("Maria"),
        LogContact(jane, ContactKind.INQUIRY, "Delivery and installation", "When is it coming?", "", ()),
        uow_factory=one.store.uow,
        clock=one.store.clock,
        terminal=one.store.terminal,
    )
    sync(one)
    projected = snapshot(hq_engine)
    assert projected["orders"] and projected["cases"] and projected["case_events"]
    with hq_engine.begin() as conn:  # as HQ was before migration 0006: the journal only
        for name in reversed(list(hs.DESK)):
            conn.execute(delete(hs.DESK[name]))
        body = order_payment("T99", str(uuid.uuid4()), "S01-T99-L00001", 100, 0)
        conn.execute(
            insert(hs.journal).values(
                store_id="S01", terminal_id="T99", seq=1, id="e-1", type="OrderPaymentTaken",
                at="2026-12-01T00:00:00.000000Z", body=json.dumps(body), prev_hash="0" * 64, hash="1" * 64,
                received_at=utcnow(),
            )
        )  # fmt: skip
    with hq_engine.begin() as conn:
        done = desk.backfill(conn)
    # as ingest did, but without the typed text: the lanes sent it beside entries HQ took
    # later (hq/desk_feed.py), never in the journal the backfill reads
    assert without_texts(snapshot(hq_engine)) == without_texts(projected)
    assert done == sum(1 for e in one.syncer._pending(0, 1000) if e.type in DESK_KINDS) == 2
    with hq_engine.connect() as conn:
        alerts = conn.execute(select(hs.alerts.c.kind, hs.alerts.c.terminal_id, hs.alerts.c.detail)).all()
    assert [(k, t) for k, t, _ in alerts] == [("desk_backfill", "T99")]
    assert "OrderPaymentTaken (entry 1) was not projected" in alerts[0][2]


def without_texts(snap: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """HQ's desk rows with the columns the journal never holds emptied (null)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for name, rows in snap.items():
        names = list(hs.DESK[name].c.keys())
        private = {names.index(c) for c in PRIVATE_COLUMNS.get(name, ())}
        out[name] = sorted((tuple(None if i in private else v for i, v in enumerate(r)) for r in rows), key=repr)
    return out
