"""The wiring around the screens, built from the pieces it uses and no main window
(issue #15): the trust wiring's sign-in step (it wraps the step it is handed: a locked
person resumes, anyone else gets a fresh sale and the locked one is parked; then what a
crash left unprinted is offered), the manager station's way in and out, and the devices'
status-bar items. Real screens on a real store; only the window around them is missing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit, QStackedWidget, QStatusBar, QWidget
from sqlalchemy import select

from app.context import AppContext, build_context
from counter.barcodes import read_code
from counter.journal import EventType
from counter.people.users import User
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.sale import Sale
from counter.sales.tenders import Payment
from db import schema as s
from db.queries import journal_entries
from devices.barcodes import decode_scan
from devices.escpos.encoder import PrinterProfile
from tests.ui.conftest import in_dialog, type_enter, upc_codes
from ui.devices.device_bridge import DeviceBridge
from ui.devices.device_wiring import DeviceUi
from ui.devices.printing import PrintBridge
from ui.sales.sale_screen import SaleScreen
from ui.session import Session
from ui.trust.card_guard import REFUSED
from ui.trust.manager_station import StationPlace, attach_station, open_station
from ui.trust.signin import SignInScreen
from ui.trust.trust_wiring import TrustUi


@dataclass
class Pieces:
    """What the composition root hands the wiring: real screens in a stack, the session
    with its status-bar label, and a record of the window's own steps."""

    ctx: AppContext
    printing: PrintBridge
    stack: QStackedWidget
    signin: SignInScreen
    sale: SaleScreen
    session: Session
    begun: list[str] = field(default_factory=list)  # begin_session, by name
    shifts_shown: int = 0
    status_lines: list[tuple[str, int]] = field(default_factory=list)

    def begin_session(self, user: User) -> None:
        """What the window's begin_session does (less the shift label)."""
        self.begun.append(user.name)
        self.session.begin(user)
        self.stack.setCurrentWidget(self.sale)
        self.sale.start(user)

    def show_shift(self) -> None:
        self.shifts_shown += 1

    def status(self, text: str, ms: int) -> None:
        self.status_lines.append((text, ms))

    def user(self, first_name: str) -> User:
        return next(u for u in self.ctx.reads.list_users() if u.name.startswith(first_name))


@pytest.fixture
def ctx(store_dir: Path) -> Iterator[AppContext]:
    context = build_context(store_dir, overrides={"wedge": False})
    yield context
    context.close()


def make_pieces(ctx: AppContext, qtbot) -> Pieces:  # type: ignore[no-untyped-def]
    printing = PrintBridge(ctx, None, PrinterProfile())
    stack = QStackedWidget()
    qtbot.addWidget(stack)
    signin, sale = SignInScreen(ctx), SaleScreen(ctx, printing)
    stack.addWidget(signin)
    stack.addWidget(sale)
    stack.resize(1200, 760)
    stack.show()
    return Pieces(ctx, printing, stack, signin, sale, Session(QLabel()))


@pytest.fixture
def trusted(ctx: AppContext, qtbot) -> Iterator[tuple[Pieces, TrustUi]]:  # type: ignore[no-untyped-def]
    pieces = make_pieces(ctx, qtbot)
    trust = TrustUi(
        ctx,
        session=pieces.session,
        signin=pieces.signin,
        sale=pieces.sale,
        stack=pieces.stack,
        printing=pieces.printing,
        begin_session=pieces.begin_session,
        show_shift=pieces.show_shift,
        status=pieces.status,
    )
    yield pieces, trust
    trust.close()


def cash_sale_without_its_receipt(ctx: AppContext, cashier: User) -> Sale:
    """A sale recorded before any print bridge listens: its receipt stays due, as after a
    crash between the commit and the printer."""
    item = ctx.catalog.by_code(read_code(upc_codes(ctx, 1)[0]))
    assert item is not None
    cart = Cart(ctx.store.currency, ctx.store.prices_include_tax)
    cart.add(item, 1)
    payment = Payment(cart.total, ctx.store.currency, ctx.store.smallest_coin)
    payment.add_cash(payment.cash_due)
    return ctx.handle(complete_sale, CompleteSale(cashier, cart.lines, None, payment.tenders, payment.rounding))


# ------------------------------------------------------------------- trust's sign-in


def test_the_sign_in_goes_through_trust_which_begins_the_session_it_is_handed(trusted) -> None:  # type: ignore[no-untyped-def]
    pieces, _trust = trusted
    maria = pieces.user("Maria")
    pieces.signin.signed_in.emit(maria)  # what the sign-in screen says after a good PIN
    assert pieces.begun == ["Maria Lopez"]
    assert pieces.session.user == maria and pieces.session.label.text() == "Maria Lopez (cashier)"
    assert pieces.stack.currentWidget() is pieces.sale and pieces.sale.user == maria


def test_locked_then_back_the_same_person_resumes_and_no_new_session_begins(trusted) -> None:  # type: ignore[no-untyped-def]
    pieces, trust = trusted
    maria = pieces.user("Maria")
    pieces.signin.signed_in.emit(maria)
    type_enter(pieces.sale.input, upc_codes(pieces.ctx, 1)[0])
    assert pieces.sale.model.rowCount() == 1
    trust.lock()
    assert pieces.session.user is None and pieces.session.label.text() == "Locked"
    assert pieces.stack.currentWidget() is pieces.signin
    assert "Locked after" in pieces.signin.error.text() and "kept" in pieces.signin.error.text()
    entries = list(journal_entries(pieces.ctx.db.read, pieces.ctx.terminal.terminal_id))
    assert entries[-1].type == EventType.SESSION_LOCKED
    shifts = pieces.shifts_shown
    pieces.signin.signed_in.emit(maria)
    assert pieces.begun == ["Maria Lopez"]  # resumed: the sale was not started again
    assert pieces.shifts_shown == shifts + 1 and pieces.session.user == maria
    assert pieces.session.label.text() == "Maria Lopez (cashier)"
    assert pieces.stack.currentWidget() is pieces.sale and pieces.sale.model.rowCount() == 1
    assert "Welcome back" in pieces.sale.message.text()


def test_someone_else_after_the_lock_begins_afresh_and_the_sale_is_parked(trusted) -> None:  # type: ignore[no-untyped-def]
    pieces, trust = trusted
    maria, sam = pieces.user("Maria"), pieces.user("Sam")
    pieces.signin.signed_in.emit(maria)
    type_enter(pieces.sale.input, upc_codes(pieces.ctx, 1)[0])
    trust.lock()
    assert not trust.has_parked_sale()
    pieces.signin.signed_in.emit(sam)
    assert pieces.begun == ["Maria Lopez", "Sam Carter"]
    assert pieces.sale.cart.is_empty and "kept for Maria Lopez" in pieces.sale.message.text()
    assert trust.has_parked_sale()  # the cash office asks this before a shift closes
    pieces.signin.signed_in.emit(maria)  # Sam signed out; Maria back
    assert pieces.sale.model.rowCount() == 1 and "your open sale" in pieces.sale.message.text()
    assert not trust.has_parked_sale()


def test_the_sign_in_offers_a_receipt_a_crash_left_due_and_records_who_skipped_it(ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    maria = next(u for u in ctx.reads.list_users() if u.name.startswith("Maria"))
    sale = cash_sale_without_its_receipt(ctx, maria)
    pieces = make_pieces(ctx, qtbot)  # the next start-up: the receipt is due, never printed
    trust = TrustUi(
        ctx,
        session=pieces.session,
        signin=pieces.signin,
        sale=pieces.sale,
        stack=pieces.stack,
        printing=pieces.printing,
        begin_session=pieces.begin_session,
        show_shift=pieces.show_shift,
        status=pieces.status,
    )
    try:
        assert [d.label for d in trust.pending_due] == [f"Receipt {sale.receipt_number}"]
        offered: list[str] = []

        def skip(dialog: QWidget) -> None:
            offered.extend(label.text() for label in dialog.findChildren(QLabel))
            QTest.keyClick(dialog, Qt.Key.Key_Escape)  # "Not needed: skip"

        in_dialog(skip)
        pieces.signin.signed_in.emit(pieces.user("Sam"))
        qtbot.waitUntil(lambda: "skipped by Sam Carter" in pieces.sale.message.text(), timeout=5000)
        assert pieces.begun == ["Sam Carter"]  # the session began before the offer
        assert any(sale.receipt_number in text for text in offered) and "Never printed" in "\n".join(offered)
        with ctx.db.read.connect() as conn:
            row = conn.execute(
                select(s.outbox.c.state, s.outbox.c.settled_by).where(
                    s.outbox.c.reference == sale.receipt_number, s.outbox.c.due == "print"
                )
            ).one()
        assert (row.state, row.settled_by) == ("declined", "u-cashier-2")
        assert trust.pending_due == []  # offered once
    finally:
        trust.close()


def test_a_card_number_typed_where_no_screen_speaks_is_said_in_the_status_line(trusted) -> None:  # type: ignore[no-untyped-def]
    pieces, _trust = trusted
    quiet = QWidget()  # a page with no say() of its own
    typed = QLineEdit(quiet)
    pieces.stack.addWidget(quiet)
    pieces.stack.setCurrentWidget(quiet)
    QTest.keyClicks(typed, "4111111111111111")
    assert typed.text() == "" and pieces.status_lines == [(REFUSED, 15000)]


# ------------------------------------------------------------------ manager station


@pytest.fixture
def station(ctx: AppContext, qtbot) -> Iterator[tuple[Pieces, StationPlace, Callable[[], str]]]:  # type: ignore[no-untyped-def]
    pieces = make_pieces(ctx, qtbot)
    place = StationPlace(pieces.stack, pieces.sale, pieces.signin, pieces.session)
    titles = ["Counter — T01"]
    pieces.station = attach_station(ctx, place, title=titles[0], set_title=titles.append)  # type: ignore[attr-defined]
    yield pieces, place, lambda: titles[-1]


def test_the_station_opens_for_who_may_approve_and_leaves_to_the_sale(station) -> None:  # type: ignore[no-untyped-def]
    pieces, place, _title = station
    screen = pieces.station
    pieces.begin_session(pieces.user("Maria"))
    open_station(place, screen)
    assert pieces.stack.currentWidget() is pieces.sale
    assert "Only a supervisor or a manager" in pieces.sale.message.text()
    pieces.begin_session(pieces.user("Dana"))
    QTest.keyClick(
        pieces.sale.input, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert pieces.stack.currentWidget() is screen and screen.user == pieces.user("Dana")
    assert "not enrolled with HQ" in screen.message.text()  # this store has no HQ
    QTest.keyClick(screen.table, Qt.Key.Key_Escape)
    assert pieces.stack.currentWidget() is pieces.sale
    assert pieces.sale.message.text() == "Back at the sale screen."
    assert pieces.session.label.text() == "Dana Whitfield (supervisor)"


def test_the_station_as_home_screen_needs_no_one_and_leaves_to_the_sign_in(station) -> None:  # type: ignore[no-untyped-def]
    pieces, place, _title = station
    screen = pieces.station
    open_station(place, screen)  # from the sign-in screen, nobody signed in: nothing
    assert pieces.stack.currentWidget() is pieces.signin
    open_station(place, screen, manager_mode=True)  # counter --manager
    assert pieces.stack.currentWidget() is screen and screen.user is None
    assert pieces.session.label.text() == "Manager station: a PIN for each answer"
    screen.finished.emit()
    assert pieces.stack.currentWidget() is pieces.signin
    assert pieces.session.user is None and pieces.session.label.text() == "Not signed in"


def test_the_pending_count_goes_in_the_title_it_was_handed(station) -> None:  # type: ignore[no-untyped-def]
    pieces, _place, title = station
    pieces.station.count_changed.emit(3)
    assert title() == "(3 waiting) Counter — T01"
    pieces.station.count_changed.emit(0)
    assert title() == "Counter — T01"


# ------------------------------------------------------------------------- devices


def test_the_devices_use_the_status_bar_and_the_user_they_are_handed(ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    pieces = make_pieces(ctx, qtbot)
    bar, printer_label = QStatusBar(), QLabel("Printer: Ready")
    qtbot.addWidget(bar)
    devices = DeviceBridge(ctx, pieces.printing)
    ui = DeviceUi(
        ctx,
        devices,
        sale=pieces.sale,
        stack=pieces.stack,
        printing=pieces.printing,
        current_user=pieces.session.current,
        status_bar=bar,
        printer_label=printer_label,
    )
    try:
        items = bar.findChildren(QLabel)
        assert ui.labels["drawer"] in items and ui.labels["scanner"] in items and ui.labels["display"] in items
        assert ui.labels["drawer"].text().startswith("Drawer: ")
        nowhere = QWidget()  # a scan where no screen takes it
        ui._wedge_scan(nowhere, decode_scan("12345678"))
        assert "Sign in first, then scan." in bar.currentMessage()
        pieces.session.begin(pieces.user("Maria"))
        ui._wedge_scan(nowhere, decode_scan("12345678"))
        assert "Go to the sale screen to scan items." in bar.currentMessage()
        pieces.printing.printer_replaced.emit()  # device settings saved: the printer item starts over
        assert printer_label.text() == "Printer: none set up"
    finally:
        ui.close()
        devices.close()
