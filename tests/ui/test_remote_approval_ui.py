"""Remote approval end to end through the real screens: two lanes (two app contexts and
windows in one process, each its own store file, both enrolled with one real HQ on
PostgreSQL). Lane T01 takes a cash return above the limit and sends the approval to a
manager's station; lane T02, in manager mode, answers it with a PIN."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from sqlalchemy import Engine, select

from app.context import AppContext, build_context
from counter.barcodes import read_code
from counter.cash.shifts import open_shift
from counter.journal import verify
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.sale import Sale
from counter.sales.tenders import Payment
from db.demo import FLOAT
from db.engine import DB_FILENAME, open_database
from db.queries import journal_entries, list_users, read_settings, write_settings
from db.sync import enrol
from hq import access, schema as hs
from hq.serve import RunningHq
from tests.db.support import Clock
from tests.hq.conftest import dead_url, hq, hq_engine, hq_server, pg_url, reference_data  # noqa: F401 - fixtures
from tests.ui.conftest import press, sign_in, type_enter
from ui.main_window import MainWindow, build_window, load_style
from ui.returns.return_dialogs import ApprovalDialog
from ui.trust.manager_station import ManagerStationScreen, StationAnswerDialog, open_station

pytestmark = pytest.mark.slow

CALCULATOR = "651925672867"  # Graphing Calculator, $119.99 + tax: a cash refund above the $100 limit
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
SAVING = bool(os.environ.get("COUNTER_SAVE_SCREENS"))

Lane = tuple[AppContext, MainWindow]


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ApprovalDialog, "POLL_MS", 300)
    if not SAVING:  # the screenshots show the real interval
        monkeypatch.setattr(ManagerStationScreen, "POLL_MS", 300)


@pytest.fixture
def make_lane(
    hq: RunningHq,  # noqa: F811 - the fixture
    hq_engine: Engine,  # noqa: F811
    demo_template: Path,
    tmp_path: Path,
    qtbot: Any,
) -> Iterator[Callable[..., Lane]]:
    load_style(QApplication.instance())  # type: ignore[arg-type]
    built: list[Lane] = []

    def make(terminal_id: str, *, hq_down: bool = False) -> Lane:
        folder = tmp_path / f"lane-{terminal_id}"
        folder.mkdir()
        shutil.copy2(demo_template / DB_FILENAME, folder / DB_FILENAME)
        db = open_database(folder)
        enrol(db.write, hq.url, access.new_enrol_code(hq_engine, "S01", terminal_id))
        if hq_down:  # enrolled, but HQ is not where the lane looks for it
            write_settings(db.write, {"sync": {**read_settings(db.read)["sync"], "hq": dead_url()}})
        db.dispose()
        ctx = build_context(folder, overrides={"printer": "sim://printer", "wedge": False})
        window = build_window(ctx)
        qtbot.addWidget(window)
        window.resize(1366, 800)
        window.show()
        built.append((ctx, window))
        return ctx, window

    yield make
    for ctx, window in built:
        window.close()
        ctx.close()


def cash_sale(ctx: AppContext) -> Sale:
    """A shift with its float, then a cash sale of the calculator (the drawer can refund it)."""
    maria = next(u for u in list_users(ctx.db.read) if u.name == "Maria Lopez")
    with ctx.read_uow() as uow:
        open_now = uow.shifts.current(ctx.terminal.terminal_id) is not None
    if not open_now:
        open_shift(
            maria,
            FLOAT,
            uow_factory=ctx.uow,
            clock=ctx.clock,
            terminal_id=ctx.terminal.terminal_id,
            currency=ctx.store.currency,
        )
    cart = Cart(ctx.store.currency, ctx.store.prices_include_tax)
    cart.add(ctx.catalog.by_code(read_code(CALCULATOR)))
    payment = Payment(cart.total, ctx.store.currency, ctx.store.smallest_coin)
    payment.add_cash(payment.cash_due)
    return complete_sale(
        CompleteSale(maria, cart.lines, None, payment.tenders, payment.rounding),
        uow_factory=ctx.uow,
        clock=Clock(datetime.now(UTC)),
        store=ctx.store,
        terminal=ctx.terminal,
    )


def start_return(ctx: AppContext, window: MainWindow, sale: Sale) -> None:
    sign_in(window, "Maria", "1111")
    press(window.sale.input, Qt.Key.Key_F7)
    screen = window.returns
    type_enter(screen.input, sale.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "3")  # changed mind


def complete(screen: Any) -> None:
    """F10, then wait for the return's outcome: with HQ set up it is recorded off the GUI
    thread (ui.runner), and F10 comes back at once. The wait sleeps between event passes,
    so the worker thread gets the interpreter."""
    press(screen.table, Qt.Key.Key_F10)
    deadline = time.monotonic() + 30
    while screen.busy and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    assert not screen.busy, screen.message.text()


def when(condition: Callable[[], bool], then: Callable[[], None], *, timeout_ms: int = 30_000) -> None:
    """Run ``then`` on the GUI thread once ``condition`` holds (tests run inside modal
    dialogs, so they are driven by timers rather than by qtbot.waitUntil).

    The poll drops ``condition`` and ``then`` once it fires: a poll that re-arms itself is
    a reference cycle, and a cycle holding a dialog (Python-owned once exec() ran) would
    be freed by the collector on whatever thread runs it, deleting the widget there."""
    state: dict[str, Any] = {"condition": condition, "then": then, "waited": 0}

    def poll() -> None:
        check, act = state.get("condition"), state.get("then")
        if check is None or act is None:
            return
        if check():
            state.clear()
            act()
            return
        state["waited"] += 25
        if state["waited"] > timeout_ms:
            state.clear()
            close_all_dialogs()
            raise AssertionError("timed out waiting")
        QTimer.singleShot(25, poll)

    QTimer.singleShot(0, poll)


def close_all_dialogs() -> None:
    for _ in range(5):
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QDialog):
            QDialog.reject(modal)


def approval_dialog() -> ApprovalDialog:
    dialog = modal_of(ApprovalDialog)
    assert isinstance(dialog, ApprovalDialog)
    return dialog


def modal_of(kind: type) -> QWidget | None:
    modal = QApplication.activeModalWidget()
    return modal if isinstance(modal, kind) else None


def answer_at_station(station: ManagerStationScreen, key: Qt.Key, name: str, pin: str, note: str = "") -> None:
    """At the station: the request is listed; A or D; pick the manager, a note, the PIN."""

    def fill() -> None:
        dialog = modal_of(StationAnswerDialog)
        assert isinstance(dialog, StationAnswerDialog)
        combo = dialog.approver
        combo.setCurrentIndex(next(i for i in range(combo.count()) if combo.itemText(i).startswith(name)))
        QTest.keyClicks(dialog.note, note)
        if SAVING and key == Qt.Key.Key_A:
            QTest.keyClicks(dialog.pin, pin)
            dialog.grab().save(str(SCREENS / "remote-approval-answer.png"))
            dialog.pin.clear()
        type_enter(dialog.pin, pin)

    def press_key() -> None:
        when(lambda: modal_of(StationAnswerDialog) is not None, fill)
        QTest.keyClick(station.table, key)  # opens the dialog (exec) until fill() answers

    when(lambda: bool(station.requests), press_key)


def journal_types(ctx: AppContext) -> list[tuple[str, dict[str, Any]]]:
    import json

    return [(e.type, json.loads(e.body)) for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id)]


def save(widget: QWidget, name: str, tmp_path: Path) -> None:
    """Screens for docs/screens (COUNTER_SAVE_SCREENS=1) or the test's own folder."""
    target = SCREENS if SAVING else tmp_path
    widget.grab().save(str(target / f"remote-approval-{name}.png"))


def test_manager_station_approves_and_the_return_goes_on(make_lane: Callable[..., Lane], tmp_path: Path) -> None:
    lane_ctx, lane = make_lane("T01")
    station_ctx, station_window = make_lane("T02")
    assert station_window.station is not None
    station = station_window.station
    open_station(station_window.station_place, station, manager_mode=True)  # counter --manager
    assert station_window.stack.currentWidget() is station
    sale = cash_sale(lane_ctx)
    start_return(lane_ctx, lane, sale)
    seen: dict[str, Any] = {}

    def in_approval() -> None:
        dialog = approval_dialog()
        assert dialog.send_button.isVisible() and "F8" in dialog.send_button.text()
        seen["dialog"] = dialog
        QTest.keyClick(dialog.pin, Qt.Key.Key_F8)  # send to a manager's station

        def waiting_and_listed() -> None:
            seen["waiting"] = dialog.waiting.text()
            save(dialog, "waiting", tmp_path)
            seen["title"] = station_window.windowTitle()
            seen["listed"] = [(r.what, r.requester_name, r.terminal) for r in station.requests]
            save(station_window, "station", tmp_path)
            answer_at_station(station, Qt.Key.Key_A, "Alex", "4444", "known customer")

        shown_for = 3 if SAVING else 0  # seconds on the clock in the screenshot

        when(
            lambda: (
                dialog.state == "waiting" and bool(station.requests) and time.monotonic() - dialog._sent_at >= shown_for
            ),
            waiting_and_listed,
        )

    when(lambda: modal_of(ApprovalDialog) is not None, in_approval)
    complete(lane.returns)  # complete: needs approval -> the dialog above
    record = lane.returns.last_record
    assert record is not None, lane.returns.message.text()
    assert record.quote.approvals == {"cash_refund_over_limit"}
    assert "Waiting for a manager at their station" in seen["waiting"] and "Sent 0:0" in seen["waiting"]
    assert seen["title"].startswith("(1 waiting)")
    assert seen["listed"] == [
        (f"Return of {sale.receipt_number}: cash refund above the limit, $129.89", "Maria Lopez", "T01")
    ]
    # the lane's journal: the remote approval (by Alex, at T02) before the return
    types = journal_types(lane_ctx)
    granted = [b for t, b in types if t == "ApprovalGranted"]
    assert len(granted) == 1 and granted[0]["remote"] is True and granted[0]["approver"] == "u-manager"
    assert granted[0]["approver_name"] == "Alex Morgan" and granted[0]["station"] == "T02"
    assert granted[0]["amount"] == 12989 and granted[0]["reason"] == "known customer"
    assert [t for t, _ in types][-2:] == ["ApprovalGranted", "ReturnProcessed"] or "ApprovalGranted" in [
        t for t, _ in types[-4:]
    ]
    assert verify(journal_entries(lane_ctx.db.read, lane_ctx.terminal.terminal_id)).ok
    # the station's own journal holds the answer it gave
    station_granted = [b for t, b in journal_types(station_ctx) if t == "ApprovalGranted"]
    assert len(station_granted) == 1
    assert station_granted[0]["hq_request"] == granted[0]["hq_request"] and station_granted[0]["lane"] == "T01"
    assert "Approved by Alex Morgan" in station.message.text()
    QTest.qWait(700)  # the next look at HQ: nothing waits any more
    assert station.requests == [] and not station_window.windowTitle().startswith("(")


def test_a_decline_is_shown_with_who_and_why(make_lane: Callable[..., Lane], tmp_path: Path) -> None:
    lane_ctx, lane = make_lane("T01")
    station_ctx, station_window = make_lane("T02")
    assert station_window.station is not None
    station = station_window.station
    open_station(station_window.station_place, station, manager_mode=True)
    sale = cash_sale(lane_ctx)
    start_return(lane_ctx, lane, sale)
    seen: dict[str, str] = {}

    def in_approval() -> None:
        dialog = approval_dialog()
        QTest.keyClick(dialog.pin, Qt.Key.Key_F8)

        def declined() -> None:
            seen["error"] = dialog.error.text()
            seen["pin_visible"] = str(dialog.pin.isVisible())
            save(dialog, "declined", tmp_path)
            QTest.keyClick(dialog.pin, Qt.Key.Key_Escape)  # the cashier gives up

        when(
            lambda: dialog.state == "waiting",
            lambda: answer_at_station(station, Qt.Key.Key_D, "Dana", "3333", "over the limit for this item"),
        )
        when(lambda: dialog.state == "form" and dialog.error.isVisible(), declined)

    when(lambda: modal_of(ApprovalDialog) is not None, in_approval)
    complete(lane.returns)
    assert lane.returns.last_record is None
    assert seen["error"].startswith("Declined by Dana Whitfield at T02: “over the limit for this item”.")
    assert "Nothing was recorded" in seen["error"] and seen["pin_visible"] == "True"
    assert "nothing was recorded" in lane.returns.message.text().lower()
    lane_types = [t for t, _ in journal_types(lane_ctx)]
    assert "ApprovalGranted" not in lane_types and "ReturnProcessed" not in lane_types
    refused = [b for t, b in journal_types(station_ctx) if t == "ApprovalRefused"]
    assert len(refused) == 1 and refused[0]["declined"] is True and refused[0]["approver"] == "u-supervisor"


def test_hq_down_says_so_and_the_pin_here_still_works(make_lane: Callable[..., Lane]) -> None:
    lane_ctx, lane = make_lane("T01", hq_down=True)
    sale = cash_sale(lane_ctx)
    start_return(lane_ctx, lane, sale)
    seen: dict[str, str] = {}

    def in_approval() -> None:
        dialog = approval_dialog()
        QTest.keyClick(dialog.pin, Qt.Key.Key_F8)

        def unreachable() -> None:
            seen["error"] = dialog.error.text()
            combo = dialog.approver
            combo.setCurrentIndex(next(i for i in range(combo.count()) if combo.itemText(i).startswith("Dana")))
            QTest.keyClicks(dialog.reason, "regular customer")
            type_enter(dialog.pin, "3333")

        when(lambda: dialog.state == "form" and dialog.error.isVisible(), unreachable)

    when(lambda: modal_of(ApprovalDialog) is not None, in_approval)
    complete(lane.returns)
    assert seen["error"].startswith("HQ cannot be reached, so the request was not sent")
    assert "approve here with their PIN" in seen["error"]
    record = lane.returns.last_record
    assert record is not None, lane.returns.message.text()
    granted = [b for t, b in journal_types(lane_ctx) if t == "ApprovalGranted"]
    assert len(granted) == 1 and "remote" not in granted[0] and granted[0]["approver"] == "u-supervisor"


def test_the_station_key_is_for_those_who_may_approve(make_lane: Callable[..., Lane]) -> None:
    ctx, window = make_lane("T02")
    assert window.station is not None
    sign_in(window, "Maria", "1111")
    open_station(window.station_place, window.station)
    assert window.stack.currentWidget() is window.sale
    assert "Only a supervisor or a manager" in window.sale.message.text()
    press(window.sale.input, Qt.Key.Key_F12)
    sign_in(window, "Dana", "3333")
    QTest.keyClick(
        window.sale.input, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert window.stack.currentWidget() is window.station
    QTest.keyClick(window.station.table, Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.sale


def test_esc_withdraws_the_request_at_hq(make_lane: Callable[..., Lane], hq_engine: Engine) -> None:  # noqa: F811
    lane_ctx, lane = make_lane("T01")
    sale = cash_sale(lane_ctx)
    start_return(lane_ctx, lane, sale)
    seen: dict[str, str] = {}

    def states() -> list[str]:
        with hq_engine.connect() as conn:
            return list(conn.execute(select(hs.approval_requests.c.state)).scalars())

    def in_approval() -> None:
        dialog = approval_dialog()
        QTest.keyClick(dialog.pin, Qt.Key.Key_F8)

        def withdraw() -> None:
            QTest.keyClick(dialog.pin, Qt.Key.Key_Escape)  # first Esc: withdraw, stay
            seen["after_first_esc"] = f"{dialog.state} {dialog.isVisible()} {dialog.error.text()}"
            when(lambda: states() == ["cancelled"], lambda: QTest.keyClick(dialog.pin, Qt.Key.Key_Escape))

        when(lambda: dialog.state == "waiting" and states() == ["pending"], withdraw)

    when(lambda: modal_of(ApprovalDialog) is not None, in_approval)
    complete(lane.returns)
    assert seen["after_first_esc"].startswith("form True Request withdrawn.")
    assert states() == ["cancelled"]
    assert lane.returns.last_record is None
    assert "ApprovalGranted" not in [t for t, _ in journal_types(lane_ctx)]


def test_the_station_says_a_wrong_pin_or_a_lock_that_hq_found(
    make_lane: Callable[..., Lane],
    hq_engine: Engine,  # noqa: F811 - the fixture
    qtbot: Any,
) -> None:
    """The approver's PIN is checked by HQ: a wrong one is said on the station's screen
    (with the tries left), journaled there as a refusal and counted at HQ; a lock too."""
    import uuid
    from decimal import Decimal

    from counter.returns.policy import ApprovalKind
    from counter.trust.remote_approval import RemoteAsk

    lane_ctx, _ = make_lane("T01")
    station_ctx, station_window = make_lane("T02")
    station = station_window.station
    assert station is not None and lane_ctx.remote_approvals is not None
    maria = next(u for u in list_users(lane_ctx.db.read) if u.name == "Maria Lopez")
    sent = lane_ctx.remote_approvals.ask(
        RemoteAsk(
            str(uuid.uuid4()),
            str(uuid.uuid4()),
            frozenset({ApprovalKind.CASH_REFUND_OVER_LIMIT}),
            Decimal("129.89"),
            maria,
            "Return: cash refund above the limit, $129.89",
        )
    )
    open_station(station_window.station_place, station, manager_mode=True)

    def state() -> tuple[str, int]:
        with hq_engine.connect() as conn:
            row = conn.execute(select(hs.approval_requests.c.state).where(hs.approval_requests.c.id == sent.id))
            failed = conn.execute(
                select(hs.approver_pins.c.failed_attempts).where(hs.approver_pins.c.user_id == "u-manager")
            ).scalar()
        return str(row.scalar_one()), int(failed or 0)

    answer_at_station(station, Qt.Key.Key_A, "Alex", "1234")
    qtbot.waitUntil(lambda: "Wrong PIN" in station.message.text(), timeout=15_000)
    assert "That PIN is not right for Alex Morgan (4 more tries before a lock)" in station.message.text()
    assert "Nothing was answered" in station.message.text()
    assert state() == ("pending", 1)
    refused = [b for t, b in journal_types(station_ctx) if t == "ApprovalRefused"]
    assert refused and refused[-1]["auth"] == "pin@hq" and refused[-1]["approver"] == "u-manager"

    with hq_engine.begin() as conn:  # four more wrong PINs elsewhere locked Alex at HQ
        conn.execute(hs.approver_pins.update().values(failed_attempts=5, locked_until=datetime(2999, 1, 1, tzinfo=UTC)))
    answer_at_station(station, Qt.Key.Key_A, "Alex", "4444")
    qtbot.waitUntil(lambda: "Locked at HQ" in station.message.text(), timeout=15_000)
    assert "Alex Morgan is locked" in station.message.text()
    assert state()[0] == "pending"
