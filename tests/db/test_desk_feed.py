"""Other lanes' desk events applied at this lane (db/desk_feed.py, issue #17 point 2), as a
pull applies HQ's page: journaled here as ``DeskEventReceived``, written as its projection
with the typed text beside it, applied once, waiting while what it refers to has not come,
and checked by ``journal verify`` like any local row.

Two real store files of one store (copies of the demo template, T01 and T02); HQ's feed
rows are made from T02's journal as HQ makes them (tests/db/other_lane.py)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from counter.desk.cases import ContactKind, LogContact, log_contact
from counter.desk.orders import OrderKind, OrderLine, cancel_order, open_order, order_total, pay_order, pick_up_order
from counter.desk.service import DeskConfig
from counter.returns.refunds import RefundMethod
from counter.sales.tenders import CardDetails, Tender, TenderKind
from db import schema as s
from db.audit import audit_store
from db.desk_feed import MAX_TRIES, waiting_events
from db.sync_apply import apply_changes
from tests.db.other_lane import customer_row, desk_feed, last_seq, other_lane, registered_there
from tests.db.support import TestStore
from tests.hq.conftest import ensure_shift
from tests.trust.test_derived_tables import behind_the_back


@pytest.fixture
def two(demo_template: Path, tmp_path: Path) -> Iterator[TestStore]:
    lane = other_lane(demo_template, tmp_path / "T02")
    ensure_shift(lane)
    yield lane
    lane.close()


def pull(shop: TestStore, rows: list[dict[str, Any]]) -> None:
    with shop.db.write.begin() as conn:
        apply_changes(conn, rows, shop.terminal.terminal_id)


def kw(lane: TestStore) -> dict[str, Any]:
    return dict(uow_factory=lane.uow, clock=lane.clock, store=lane.cfg, terminal=lane.terminal)


def layaway_at(two: TestStore, customer_id: str | None = None) -> tuple[str, Any]:
    ines = registered_there(two).id if customer_id is None else customer_id
    bike = max((two.item_in("sporting-goods", n) for n in range(5)), key=lambda i: i.price)
    total, _ = order_total([OrderLine(1, bike, 1)], two.cfg)
    deposit = Tender(TenderKind.CASH, Decimal("10.00"), Decimal("10.00"))
    order = open_order(
        two.user("Sam"), OrderKind.LAYAWAY, ines, [OrderLine(1, bike, 1)], [deposit], rules=DeskConfig().rules,
        **kw(two),
    ).order  # fmt: skip
    assert order.total == total
    return ines, order


def order_here(shop: TestStore, order_id: str) -> Any:
    with shop.uow() as uow:
        return uow.desk.get_order(order_id)


def count(shop: TestStore, table: Any, **where: Any) -> int:
    stmt = select(func.count()).select_from(table)
    for k, v in where.items():
        stmt = stmt.where(table.c[k] == v)
    with shop.db.read.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def test_an_order_of_another_lane_waits_for_its_customer_then_is_here_with_its_payments(
    shop: TestStore, two: TestStore
) -> None:
    start = last_seq(two)
    ines, order = layaway_at(two)
    card = Tender(TenderKind.CARD, Decimal("5.00"), Decimal("5.00"), CardDetails("Visa", "4242", "A1"))
    pay_order(two.user("Sam"), order.id, [card], **kw(two))
    feed = desk_feed(two, start)
    assert [r["data"]["type"] for r in feed] == ["OrderOpened", "OrderPaymentTaken"]

    # the customer's details have not come: both events wait, nothing of them is here
    pull(shop, feed)
    assert order_here(shop, order.id) is None
    with shop.db.read.connect() as conn:
        waiting = waiting_events(conn)
    assert [(w[0], w[1]) for w in waiting] == [(f"S01:T02:{start + 2}", 1), (f"S01:T02:{start + 3}", 1)]
    assert "waits for what it refers to" in waiting[0][2]
    assert count(shop, s.journal, type="DeskEventReceived") == 0

    # the customer comes in a later page: both events apply, in HQ's order
    pull(shop, [customer_row(two, ines, version=300)])
    here = order_here(shop, order.id)
    assert here is not None and (here.number, here.paid, here.balance) == (
        order.number,
        Decimal("15.00"),
        order.total - Decimal("15.00"),
    )
    with shop.db.read.connect() as conn:
        assert waiting_events(conn) == []
        payments = conn.execute(
            select(s.desk_payments.c.number, s.desk_payments.c.terminal_id, s.desk_payments.c.amount_minor)
            .where(s.desk_payments.c.order_id == order.id)
            .order_by(s.desk_payments.c.at)
        ).all()
        received = conn.execute(select(s.desk_received.c.terminal_id, s.desk_received.c.seq)).all()
    assert [tuple(p) for p in payments] == [(p.number, "T02", c) for p, c in zip(payments, (1000, 500), strict=True)]
    assert sorted(tuple(r) for r in received) == [("T02", start + 2), ("T02", start + 3)]
    # the same page again (a pull repeated): nothing twice
    pull(shop, feed)
    assert count(shop, s.journal, type="DeskEventReceived") == 2
    assert count(shop, s.desk_payments, order_id=order.id) == 2
    assert audit_store(shop.db.read, shop.db.secret).ok


def test_a_lane_skips_its_own_events_and_an_event_it_cannot_read_waits_alone(shop: TestStore, two: TestStore) -> None:
    start = last_seq(two)
    ines, order = layaway_at(two)
    (opened,) = desk_feed(two, start)
    own = {**opened, "data": {**opened["data"], "origin_terminal": "T01", "id": "S01:T01:999"}}
    broken = {**opened, "version": 50, "data": {**opened["data"], "id": "S01:T02:998", "seq": 998, "body": "{"}}
    pull(shop, [customer_row(two, ines), own, broken, opened])
    assert order_here(shop, order.id) is not None  # the good one applied
    with shop.db.read.connect() as conn:
        (waiting,) = waiting_events(conn)
    assert waiting[0] == "S01:T02:998" and "cannot read" in waiting[2]
    # tried at every pull up to MAX_TRIES, then left for a person to look at
    for _ in range(MAX_TRIES + 3):
        pull(shop, [])
    with shop.db.read.connect() as conn:
        (waiting,) = waiting_events(conn)
    assert waiting[1] == MAX_TRIES
    assert count(shop, s.journal, type="DeskEventReceived") == 1


def test_a_case_of_another_lane_comes_with_its_words_or_without_them_and_verify_checks_its_rows(
    shop: TestStore, two: TestStore, store_dir: Path
) -> None:
    start = last_seq(two)
    ines = registered_there(two).id
    case = log_contact(
        two.user("Sam"),
        LogContact(ines, ContactKind.COMPLAINT, "Product quality", "The lamp flickers.", "Took it in"),
        uow_factory=two.uow,
        clock=two.clock,
        terminal=two.terminal,
    ).case
    (logged,) = desk_feed(two, start + 1)
    assert logged["data"]["private"] and "The lamp flickers." in logged["data"]["private"]
    pull(shop, [customer_row(two, ines), logged])
    with shop.db.read.connect() as conn:
        words, actions = conn.execute(
            select(s.contacts.c.words, s.contacts.c.actions).where(s.contacts.c.case_id == case.id)
        ).one()
        number = conn.execute(select(s.cases.c.number).where(s.cases.c.id == case.id)).scalar_one()
    assert (words, actions, number) == ("The lamp flickers.", "Took it in", case.number)
    assert "The lamp flickers." not in repr(
        [e for e in _bodies(shop) if "DeskEventReceived" in e]
    )  # the words are beside the entry, never in it
    assert audit_store(shop.db.read, shop.db.secret).ok

    # a received row changed behind Counter's back is caught, as a local one is
    shop.close()
    with behind_the_back(store_dir) as conn:
        conn.execute("UPDATE cases SET customer_id = 'someone-else' WHERE id = ?", (case.id,))
    again = TestStore(store_dir)
    try:
        audit = audit_store(again.db.read, again.db.secret)
        assert not audit.ok
        assert any("cases" in line and case.id in line for line in audit.lines()), audit.lines()
    finally:
        again.close()


def test_an_event_whose_text_never_reached_hq_is_applied_with_the_text_left_empty(
    shop: TestStore, two: TestStore
) -> None:
    start = last_seq(two)
    ines = registered_there(two).id
    case = log_contact(
        two.user("Sam"),
        LogContact(ines, ContactKind.COMPLAINT, "Product quality", "The lamp flickers.", ""),
        uow_factory=two.uow,
        clock=two.clock,
        terminal=two.terminal,
    ).case
    (logged,) = desk_feed(two, start + 1)
    bare = {**logged, "data": {**logged["data"], "private": None}}
    pull(shop, [customer_row(two, ines), bare])
    with shop.db.read.connect() as conn:
        words = conn.execute(select(s.contacts.c.words).where(s.contacts.c.case_id == case.id)).scalar_one()
    assert words == ""
    assert audit_store(shop.db.read, shop.db.secret).ok


def _bodies(shop: TestStore) -> list[str]:
    with shop.db.read.connect() as conn:
        return [f"{t} {b}" for t, b in conn.execute(select(s.journal.c.type, s.journal.c.body))]


def test_an_event_this_file_already_holds_in_its_lanes_own_chain_is_not_applied_again(
    shop: TestStore, demo_template: Path
) -> None:
    """The demo's two lanes are copies of one file: each holds the other's chain. Enrolled,
    each is sent the other's desk events, which are here already: nothing waits, nothing doubles."""
    j = s.journal
    with shop.db.read.connect() as conn:
        rows = conn.execute(
            select(j.c.seq, j.c.type, j.c.at, j.c.body).where(j.c.terminal_id == "T02", j.c.type == "ContactLogged")
        ).all()
    assert rows, "the demo has desk work at T02"
    feed = [
        {"kind": "desk_event", "version": 10 + n, "deleted": False,
         "data": {"id": f"S01:T02:{r.seq}", "store_id": "S01", "origin_terminal": "T02", "seq": r.seq,
                  "type": r.type, "at": r.at, "body": r.body, "private": None}}
        for n, r in enumerate(rows)
    ]  # fmt: skip
    before = count(shop, s.contacts)
    pull(shop, feed)
    with shop.db.read.connect() as conn:
        assert waiting_events(conn) == []
    assert count(shop, s.contacts) == before and count(shop, s.journal, type="DeskEventReceived") == 0
    # the same number with another body is another lane's event: it is not taken for this one
    forged = {**feed[0], "data": {**feed[0]["data"], "body": feed[0]["data"]["body"].replace('"', '"', 1) + " "}}
    pull(shop, [forged])
    with shop.db.read.connect() as conn:
        assert len(waiting_events(conn)) == 1


def test_another_lanes_cancellation_to_store_credit_and_pickup_bring_the_desks_rows_only(
    shop: TestStore, two: TestStore
) -> None:
    """The desk's own rows come with the event; the voucher a cancellation issued comes by the
    store-credit feed (VouchersReceived), and a pickup's sale stays at its lane."""
    start = last_seq(two)
    ines, cancelled = layaway_at(two)
    _, picked = layaway_at(two, ines)
    rules = two.rules
    back = cancel_order(
        two.user("Sam"), cancelled.id, "changed her mind", RefundMethod.STORE_CREDIT, "req-9", rules=rules, **kw(two)
    )
    assert back.payment is not None and back.payment.voucher_code
    rest = picked.total - Decimal("10.00")
    done = pick_up_order(two.user("Sam"), picked.id, [Tender(TenderKind.CASH, rest, rest)], Decimal(0), **kw(two))
    assert done.sale is not None
    vouchers, movements = count(shop, s.vouchers), count(shop, s.voucher_movements)
    pull(shop, [customer_row(two, ines), *desk_feed(two, start)])
    with shop.db.read.connect() as conn:
        assert waiting_events(conn) == []
    assert (count(shop, s.vouchers), count(shop, s.voucher_movements)) == (vouchers, movements)
    here = order_here(shop, cancelled.id)
    assert here.status.value == "cancelled" and here.paid == Decimal("10.00") - back.payment.amount
    kinds = sorted(
        k for (k,) in _rows(shop, select(s.customer_links.c.kind).where(s.customer_links.c.customer_id == ines))
    )
    assert kinds == ["order", "order", "payment", "payment", "payment"]  # two deposits and the refund
    gone = order_here(shop, picked.id)
    assert gone.status.value == "picked_up"
    ((sale_id,),) = _rows(shop, select(s.orders.c.sale_id).where(s.orders.c.id == picked.id))
    assert sale_id is None  # T02's sale is not in this file
    assert count(shop, s.sales, id=done.sale.id) == 0
    assert audit_store(shop.db.read, shop.db.secret).ok


def _rows(shop: TestStore, stmt: Any) -> list[tuple[Any, ...]]:
    with shop.db.read.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]
