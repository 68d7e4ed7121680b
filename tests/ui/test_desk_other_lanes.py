"""The desk screen continues what another lane began (issue #17, point 2): a layaway opened
at T02 and pulled from HQ is found at T01 by its number or its customer's phone and paid
there through the real screens, by keyboard; a complaint T02 referred is in T01's
department queue with the customer's words. Real widgets offscreen, a real store copied
from the demo template, T02's desk entries applied as a pull applies HQ's feed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from counter.desk.cases import ContactKind, LogContact, log_contact
from counter.desk.orders import OrderKind, OrderLine, open_order
from counter.desk.referrals import Priority, refer_case
from counter.desk.service import DeskConfig
from counter.sales.tenders import Tender, TenderKind
from db import schema as s
from db.desk_queries import orders_for
from db.sync import SyncStatus
from db.sync_apply import apply_changes
from tests.db.other_lane import customer_row, desk_feed, last_seq, other_lane, registered_there
from tests.hq.conftest import ensure_shift
from tests.ui.conftest import in_dialog, press, sign_in, type_enter
from tests.ui.test_service_desk_flows import pay_card

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def desk(app_window):  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    press(window.sale.input, Qt.Key.Key_U, CTRL)
    assert window.stack.currentWidget() is window.desk
    return ctx, window, window.desk


def test_a_layaway_opened_at_t02_is_found_and_paid_at_t01s_desk(desk, demo_template: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    two = other_lane(demo_template, tmp_path / "T02")
    try:
        ensure_shift(two)
        start = last_seq(two)
        ines = registered_there(two)
        bike = max((two.item_in("sporting-goods", n) for n in range(5)), key=lambda i: i.price)
        deposit = Tender(TenderKind.CASH, Decimal("10.00"), Decimal("10.00"))
        kw = dict(uow_factory=two.uow, clock=two.clock, store=two.cfg, terminal=two.terminal)
        order = open_order(
            two.user("Sam"), OrderKind.LAYAWAY, ines.id, [OrderLine(1, bike, 1)], [deposit], rules=DeskConfig().rules,
            **kw,  # type: ignore[arg-type]
        ).order  # fmt: skip
        with ctx.db.write.begin() as conn:
            apply_changes(conn, [customer_row(two, ines.id), *desk_feed(two, start)], ctx.terminal.terminal_id)
    finally:
        two.close()

    # a number not here (yet) is named, and the desk says where it may come from
    type_enter(screen.input, "S01-T07-L00042")
    said = screen.message.text()
    assert "Nothing numbered S01-T07-L00042 is on file at this lane." in said and "next sync" in said
    assert screen.input.text() == "S01-T07-L00042"  # kept, to correct
    screen.input.clear()

    # found by the number on the customer's agreement: the customer, with the layaway's balance
    type_enter(screen.input, order.number)
    assert "Ines Moreau" in screen.card.text(), screen.message.text()
    assert f"Layaway {order.number}</b>" in screen.money_box.text()

    def second(d: QWidget) -> None:
        in_dialog(pay_card)
        type_enter(d.amount, "5.00")  # type: ignore[attr-defined]

    in_dialog(lambda m: (in_dialog(second), QTest.keyClicks(m.list, "4")))  # type: ignore[attr-defined]
    press(screen.input, Qt.Key.Key_F9)
    (held,) = orders_for(ctx.db.read, ines.id)
    assert held.id == order.id and held.paid == Decimal("15.00"), screen.message.text()
    assert "still owed" in screen.message.text()
    with ctx.db.read.connect() as conn:
        numbers = conn.execute(
            select(s.desk_payments.c.number, s.desk_payments.c.terminal_id)
            .where(s.desk_payments.c.order_id == order.id)
            .order_by(s.desk_payments.c.at)
        ).all()
    assert [t for _, t in numbers] == ["T02", "T01"]  # T02's deposit, T01's payment
    assert numbers[1][0].startswith("S01-T01-")
    window.grab().save(str(tmp_path / "desk-other-lane.png"))


def test_a_complaint_t02_referred_is_in_t01s_queue_with_the_customers_words(
    desk, demo_template: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    two = other_lane(demo_template, tmp_path / "T02")
    try:
        start = last_seq(two)
        ines = registered_there(two)
        case = log_contact(
            two.user("Sam"),
            LogContact(ines.id, ContactKind.COMPLAINT, "Product quality", "The lamp flickers.", ""),
            uow_factory=two.uow,
            clock=two.clock,
            terminal=two.terminal,
        ).case
        refer_case(
            two.user("Sam"), case.id, "warranty", Priority.URGENT, None, "Check the ballast",
            config=DeskConfig(), uow_factory=two.uow, clock=two.clock, store=two.cfg,
        )  # fmt: skip
        with ctx.db.write.begin() as conn:
            apply_changes(conn, [customer_row(two, ines.id), *desk_feed(two, start)], ctx.terminal.terminal_id)
    finally:
        two.close()
    type_enter(screen.input, case.number)
    assert "Ines Moreau" in screen.card.text(), screen.message.text()
    cases = [screen.case_list.item(n).text() for n in range(screen.case_list.count())]
    assert any(case.number in c for c in cases), cases
    detail = screen.case_detail.text()
    assert "The lamp flickers." in detail and "Warranty" in detail, detail
    status = SyncStatus(enrolled=True, online=True, desk_waiting=2)
    assert "2 desk records of other lanes wait" in status.describe()


def test_what_a_pull_brought_of_other_lanes_desk_work_is_said_once_in_the_status_bar(app_window) -> None:  # type: ignore[no-untyped-def]
    _ctx, window = app_window
    news = "From other lanes: 1 referral to a department."
    window._sync_status(SyncStatus(enrolled=True, online=True, desk_news=news))
    said = window.statusBar().currentMessage()
    assert said.startswith(news) and "Ctrl+Q" in said
    window.statusBar().clearMessage()
    window._sync_status(SyncStatus(enrolled=True, online=True, desk_news=news))  # the same news again: not repeated
    assert window.statusBar().currentMessage() == ""
