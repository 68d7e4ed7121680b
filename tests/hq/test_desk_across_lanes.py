"""The service desk of the whole store (issue #17, point 2): each lane pulls its store's desk
records from HQ on the change feed it already uses and continues any of them, through the
desk's own commands, as if it had opened them itself.

Each test is a story on real store files (two or three lanes), a real uvicorn and the real
PostgreSQL; after each, every lane's journal verifies (chain, seals, every derived row)
and HQ holds every lane's chain as the lane has it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from counter.desk.accounts import charge_service, open_account, pay_on_account
from counter.desk.cases import CaseError, CaseStatus, ContactKind, LogContact, change_status, log_contact
from counter.desk.documents import account_statement
from counter.desk.orders import OrderKind, OrderLine, cancel_order, open_order, order_total, pay_order, pick_up_order
from counter.desk.referrals import Priority, ReferralStatus, add_department_note, refer_case, tell_customer
from counter.desk.service import DeskConfig, DeskError
from counter.returns.refunds import RefundMethod
from counter.sales.tenders import Tender, TenderKind
from db import schema as ls
from db.desk_queries import (
    account_entries,
    case_by_number,
    case_events,
    department_queue,
    find_customers,
    get_case,
    orders_for,
)
from devices.escpos.slips import render_slip
from hq import schema as hs
from hq.serve import RunningHq
from tests.db.test_documents_content import PROFILE, slip_text
from tests.hq.conftest import Lane
from tests.hq.test_desk_at_hq import card, cash, customer, kw, sync
from tests.hq.test_desk_offline_lanes import exceptions
from tests.hq.test_no_receipt_across_lanes import verified

pytestmark = pytest.mark.slow


def order_at(lane: Lane, number: str) -> Any:
    """The order of that number as the lane holds it (None: not here)."""
    with lane.store.db.read.connect() as conn:
        found = conn.execute(select(ls.orders.c.id).where(ls.orders.c.number == number)).scalar()
    if found is None:
        return None
    with lane.store.uow() as uow:
        return uow.desk.get_order(found)


def journal_types(lane: Lane) -> list[str]:
    with lane.store.db.read.connect() as conn:
        j = ls.journal
        return [str(t) for t in conn.execute(select(j.c.type).where(j.c.terminal_id == lane.terminal_id)).scalars()]


# ================================================================== orders


def test_a_layaway_opened_at_t01_is_paid_at_t02_and_picked_up_at_t01(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    jane = customer(one)
    bike = one.store.item_in("sporting-goods")
    lines = [OrderLine(1, bike, 1)]
    total, _tax = order_total(lines, one.store.cfg)
    deposit = (total / 4).quantize(Decimal("0.01"))
    opened = open_order(
        one.store.user("Maria"), OrderKind.LAYAWAY, jane, lines, [cash(deposit)], rules=DeskConfig().rules, **kw(one)
    ).order
    sync(one, two)

    # T02 finds the layaway by its number, and its customer by the order number or phone
    there = order_at(two, opened.number)
    assert there is not None and (there.id, there.total, there.paid, there.balance) == (
        opened.id,
        total,
        deposit,
        total - deposit,
    )
    for typed in ("555-0175", opened.number):
        (found,) = find_customers(two.store.db.read, typed)
        assert found.id == jane, typed
    assert [o.number for o in orders_for(two.store.db.read, jane)] == [opened.number]

    # T02 takes a payment on it: its own payment number, the balance from both lanes' rows
    paid = pay_order(two.store.user("Sam"), opened.id, [card(Decimal("20.00"))], **kw(two))
    assert paid.payment is not None and paid.payment.number.startswith("S01-T02-")
    assert paid.order.balance == total - deposit - Decimal("20.00")
    sync(two, one)

    # T01 sees T02's payment and takes exactly the rest at pick-up
    back = order_at(one, opened.number)
    assert back.paid == deposit + Decimal("20.00")
    rest = total - deposit - Decimal("20.00")
    with pytest.raises(Exception, match="do not match the total"):
        pick_up_order(one.store.user("Maria"), opened.id, [cash(rest - Decimal("0.01"))], Decimal(0), **kw(one))
    done = pick_up_order(one.store.user("Maria"), opened.id, [cash(rest)], Decimal(0), **kw(one))
    assert done.sale is not None and done.sale.total == total
    sync(one, two)

    # T02 sees it picked up and takes no more money on it
    assert order_at(two, opened.number).status.value == "picked_up"
    with pytest.raises(DeskError, match="picked up"):
        pay_order(two.store.user("Sam"), opened.id, [cash(Decimal("1.00"))], **kw(two))
    assert "DeskEventReceived" in journal_types(two) and "DeskEventReceived" in journal_types(one)
    verified(hq_engine, one, two)


def test_a_special_order_opened_at_t01_is_cancelled_at_t02_under_its_terms(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    jane = customer(one)
    lamp = one.store.item_in("home-kitchen", 2)
    lines = [OrderLine(1, lamp, 1)]
    total, _tax = order_total(lines, one.store.cfg)
    deposit = (total / 2).quantize(Decimal("0.01"))
    rules = DeskConfig().rules  # a special order's deposit is kept when it is cancelled
    opened = open_order(
        one.store.user("Maria"), OrderKind.SPECIAL_ORDER, jane, lines, [card(deposit, "SO0001")], rules=rules, **kw(one)
    ).order
    sync(one, two)

    cancelled = cancel_order(
        two.store.user("Sam"), opened.id, "found it elsewhere", RefundMethod.ORIGINAL, "req-1", rules=two.store.rules,
        **kw(two),
    )  # fmt: skip
    assert (cancelled.kept, cancelled.payment) == (deposit, None)  # the terms T01 agreed: the deposit is kept
    sync(two, one)
    at_one = order_at(one, opened.number)
    assert at_one.status.value == "cancelled"
    with pytest.raises(DeskError, match="cancelled"):
        pick_up_order(one.store.user("Maria"), opened.id, [cash(total - deposit)], Decimal(0), **kw(one))
    with hq_engine.connect() as conn:
        status = conn.execute(select(hs.orders.c.status).where(hs.orders.c.id == opened.id)).scalar_one()
    assert status == "cancelled"
    verified(hq_engine, one, two)


# ================================================================== house accounts


def test_a_house_account_charged_at_t01_is_paid_at_t02_with_the_statement_at_either(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    jane = customer(one)
    account = open_account(one.store.user("Dana"), jane, Decimal("200.00"), **kw(one))
    on_account = Tender(TenderKind.HOUSE_ACCOUNT, Decimal("39.00"), Decimal("39.00"))
    sale = charge_service(
        one.store.user("Maria"), "delivery", Decimal("39.00"), "sofa", jane, [on_account], Decimal(0),
        config=DeskConfig(), **kw(one),
    )  # fmt: skip
    sync(one, two)

    with two.store.uow() as uow:
        there = uow.desk.get_account(account.id)
    assert there is not None and (there.number, there.owed, there.available) == (
        account.number,
        Decimal("39.00"),
        Decimal("161.00"),
    )
    with pytest.raises(DeskError, match="owed"):
        pay_on_account(two.store.user("Sam"), account.id, [cash(Decimal("39.01"))], **kw(two))
    payment = pay_on_account(two.store.user("Sam"), account.id, [cash(Decimal("25.00"))], **kw(two))
    assert payment.account.owed == Decimal("14.00") and payment.payment.number.startswith("S01-T02-")
    sync(two, one)

    # the statement is the same at either lane: every entry, with the running balance
    texts = []
    for lane in (one, two):
        with lane.store.uow() as uow:
            held = uow.desk.get_account(account.id)
        assert held is not None
        entries = account_entries(lane.store.db.read, account.id, lane.store.cfg.currency)
        doc = account_statement(held, "Jane Okafor", entries, lane.store.cfg, printed_at=one.store.clock.now())
        texts.append(slip_text(render_slip(doc, PROFILE)))
    assert texts[0] == texts[1]
    statement = texts[0]
    assert account.number in statement and "Jane Okafor" in statement
    assert sale.receipt_number in statement and payment.payment.number in statement
    assert "$39.00" in statement and "-$25.00" in statement and "$14.00" in statement
    assert statement.index(sale.receipt_number) < statement.index(payment.payment.number)
    verified(hq_engine, one, two)


# ================================================================== complaints


def test_a_complaint_logged_at_t01_is_answered_told_at_t02_and_closed_at_t01(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    jane = customer(one)
    maria, sam, dana = one.store.user("Maria"), two.store.user("Sam"), one.store.user("Dana")
    logged = log_contact(
        maria,
        LogContact(jane, ContactKind.COMPLAINT, "Product quality", "The kettle leaks from the seam.", "Took it in"),
        uow_factory=one.store.uow,
        clock=one.store.clock,
        terminal=one.store.terminal,
    )
    case = logged.case
    referral = refer_case(
        maria, case.id, "warranty", Priority.HIGH, None, "Seam leak, under warranty",
        config=DeskConfig(), uow_factory=one.store.uow, clock=one.store.clock, store=one.store.cfg,
    )  # fmt: skip
    sync(one, two)

    # T02 is told, and holds the case with the customer's words and the referral's note
    assert two.syncer.status.desk_news == "From other lanes: 1 referral to a department, 1 contact logged."
    copy = case_by_number(two.store.db.read, case.number)
    assert copy is not None and copy.id == case.id and copy.status is CaseStatus.REFERRED
    (queued,) = [r for r in department_queue(two.store.db.read, "warranty") if r.id == referral.id]
    assert (queued.note, queued.customer_name, queued.held_at) == ("Seam leak, under warranty", "Jane Okafor", "")
    events = [(e.event, e.text) for e in case_events(two.store.db.read, case.id)]
    assert ("opened", "Complaint: Product quality") in events
    with two.store.db.read.connect() as conn:
        words = conn.execute(select(ls.contacts.c.words).where(ls.contacts.c.case_id == case.id)).scalar_one()
    assert words == "The kettle leaks from the seam."
    with pytest.raises(CaseError, match="has not answered yet"):
        tell_customer(sam, referral.id, "phone", "", uow_factory=two.store.uow, clock=two.store.clock)

    # the department answers at T01; T02 tells the customer the outcome
    add_department_note(
        dana, referral.id, "Seal replaced.", outcome=True, uow_factory=one.store.uow, clock=one.store.clock
    )
    sync(one, two)
    assert two.syncer.status.desk_news == "From other lanes: 1 department answer to tell the customer."
    (answered,) = [r for r in department_queue(two.store.db.read, "warranty") if r.id == referral.id]
    assert (answered.status, answered.outcome) == (ReferralStatus.ANSWERED, "Seal replaced.")
    tell_customer(sam, referral.id, "phone", "Collect it Friday", uow_factory=two.store.uow, clock=two.store.clock)
    # T02 adds a contact to the same case: the customer called back
    log_contact(
        sam,
        LogContact(jane, ContactKind.INQUIRY, "Product quality", "When can I collect it?", "Told: Friday",
                   case_id=case.id),
        uow_factory=two.store.uow, clock=two.store.clock, terminal=two.store.terminal,
    )  # fmt: skip
    sync(two, one)

    # T01 sees both, and closes the case
    events = [e.event for e in case_events(one.store.db.read, case.id)]
    assert events.count("told") == 1 and "department_note" not in events[:1]
    with one.store.db.read.connect() as conn:
        said = sorted(conn.execute(select(ls.contacts.c.words).where(ls.contacts.c.case_id == case.id)).scalars())
    assert said == ["The kettle leaks from the seam.", "When can I collect it?"]
    change_status(maria, case.id, CaseStatus.RESOLVED, "Seal replaced, collected.", uow_factory=one.store.uow,
                  clock=one.store.clock)  # fmt: skip
    change_status(maria, case.id, CaseStatus.CLOSED, "", uow_factory=one.store.uow, clock=one.store.clock)
    sync(one, two)
    closed = get_case(two.store.db.read, case.id)
    assert closed is not None and closed.status is CaseStatus.CLOSED
    with hq_engine.connect() as conn:
        row = conn.execute(select(hs.cases.c.status, hs.cases.c.resolution).where(hs.cases.c.id == case.id)).one()
    assert tuple(row) == ("closed", "Seal replaced, collected.")
    verified(hq_engine, one, two)


# ================================================================== offline


def test_two_offline_lanes_paying_one_layaway_keep_both_payments_everywhere_and_hq_names_the_lanes(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two, three = make_lane("T01"), make_lane("T02"), make_lane("T03")
    jane = customer(one)
    bike = one.store.item_in("sporting-goods")
    lines = [OrderLine(1, bike, 1)]
    total, _tax = order_total(lines, one.store.cfg)
    deposit = (total / 2).quantize(Decimal("0.01"))
    rest = total - deposit
    opened = open_order(
        one.store.user("Maria"), OrderKind.LAYAWAY, jane, lines, [cash(deposit)], rules=DeskConfig().rules, **kw(one)
    ).order
    sync(one, two, three)
    one.go_offline()
    two.go_offline()
    pay_order(one.store.user("Maria"), opened.id, [cash(rest)], **kw(one))
    pay_order(two.store.user("Sam"), opened.id, [cash(rest)], **kw(two))
    one.go_online()
    two.go_online()
    sync(one, two, one, three)

    # every lane holds both payments, and the balance each computes is the same: credit owed
    for lane in (one, two, three):
        there = order_at(lane, opened.number)
        assert (there.paid, there.balance) == (deposit + rest + rest, -rest), lane.terminal_id
    found = [x for x in exceptions(hq, hq_engine) if x["kind"] == "order_overpaid"]
    assert len(found) == 1 and opened.number in found[0]["detail"]
    assert "T01" in found[0]["detail"] and "T02" in found[0]["detail"]
    verified(hq_engine, one, two, three)


def test_two_offline_lanes_changing_one_case_agree_with_hq_on_the_latest_change_by_time(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two, three = make_lane("T01"), make_lane("T02"), make_lane("T03")
    jane = customer(one)
    case = log_contact(
        one.store.user("Maria"),
        LogContact(jane, ContactKind.COMPLAINT, "Billing and price", "Charged twice.", ""),
        uow_factory=one.store.uow,
        clock=one.store.clock,
        terminal=one.store.terminal,
    ).case
    sync(one, two, three)
    one.go_offline()
    two.go_offline()
    # T01 resolves it first; an hour later T02, not knowing, sets it waiting on the customer
    change_status(one.store.user("Maria"), case.id, CaseStatus.RESOLVED, "Refunded the second charge.",
                  uow_factory=one.store.uow, clock=one.store.clock)  # fmt: skip
    two.store.clock.advance(hours=1)
    change_status(two.store.user("Sam"), case.id, CaseStatus.WAITING, "Asked for the bank statement.",
                  uow_factory=two.store.uow, clock=two.store.clock)  # fmt: skip
    two.go_online()
    one.go_online()
    sync(two, one, two, three)  # T02's later change reaches HQ first; T01's earlier one after it

    with hq_engine.connect() as conn:
        at_hq = conn.execute(select(hs.cases.c.status).where(hs.cases.c.id == case.id)).scalar_one()
    assert at_hq == "waiting"
    for lane in (one, two, three):
        held = get_case(lane.store.db.read, case.id)
        assert held is not None and held.status is CaseStatus.WAITING, lane.terminal_id
        events = [e.event for e in case_events(lane.store.db.read, case.id)]
        assert events.count("resolved") == 1 and events.count("status") == 1, (lane.terminal_id, events)
    with two.store.db.read.connect() as conn:
        bodies = conn.execute(select(ls.journal.c.body).where(ls.journal.c.type == "DeskEventReceived")).scalars()
        assert any('"superseded":true' in b and case.id in b for b in bodies)
    verified(hq_engine, one, two, three)
