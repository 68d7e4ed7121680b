"""A return across lanes through the real return screens: two terminals (their own store
files, real windows) enrolled at a real HQ (uvicorn over PostgreSQL). A sale at lane 1
is synced; lane 2's return screen, by keyboard, finds the receipt at HQ and returns part
of it; lane 1 then tries to return more than is left and is told why, with nothing
recorded. The window stays live while HQ is asked."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import Engine, select

from app.context import AppContext, build_context
from counter.cash.shifts import open_shift
from db import schema as ls
from db.demo import FLOAT
from db.engine import DB_FILENAME, open_database
from db.hq_client import HqClient
from db.queries import list_users
from db.sync import enrol
from hq import access, schema as hs
from hq.serve import RunningHq
from tests.hq.conftest import hq, hq_engine, hq_server, pg_url, reference_data  # noqa: F401 - fixtures
from tests.ui.conftest import count_rows, press, sign_in, type_enter, upc_codes
from tests.ui.test_return_flows import sell
from ui.main_window import MainWindow, build_window, load_style

pytestmark = pytest.mark.slow


class SlowReservations(httpx.HTTPTransport):
    """The network between lane and HQ, slowed down for reservations (a slow link is what
    cannot be had on loopback): long enough to see the window stay live meanwhile."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/reservations") and request.method == "POST":
            time.sleep(0.4)
        return super().handle_request(request)


@pytest.fixture
def lanes(
    hq: RunningHq,  # noqa: F811 - the fixture imported above
    hq_engine: Engine,  # noqa: F811
    demo_template: Path,
    tmp_path: Path,
    qtbot,  # type: ignore[no-untyped-def]
) -> Iterator[dict[str, tuple[AppContext, MainWindow]]]:
    load_style(QApplication.instance())  # type: ignore[arg-type]
    out: dict[str, tuple[AppContext, MainWindow]] = {}
    for terminal in ("T01", "T02"):
        folder = tmp_path / f"lane-{terminal}"
        folder.mkdir()
        shutil.copy2(demo_template / DB_FILENAME, folder / DB_FILENAME)
        db = open_database(folder)
        enrol(db.write, hq.url, access.new_enrol_code(hq_engine, "S01", terminal))
        db.dispose()
        ctx = build_context(folder, overrides={"printer": "sim://printer", "wedge": False})
        window = build_window(ctx)
        window.sync.close()  # the test syncs by hand, in a known order
        qtbot.addWidget(window)
        window.resize(1366, 800)
        window.show()
        with ctx.uow() as uow:
            has_shift = uow.shifts.current(terminal) is not None
        if not has_shift:
            maria = next(u for u in list_users(ctx.db.read) if u.name.startswith("Maria"))
            open_shift(
                maria, FLOAT, uow_factory=ctx.uow, clock=ctx.clock, terminal_id=terminal, currency=ctx.store.currency
            )
        assert ctx.syncer is not None and ctx.upstream is not None
        out[terminal] = (ctx, window)
    yield out
    for ctx, window in out.values():
        window.close()
        ctx.close()


def sync(ctx: AppContext) -> None:
    assert ctx.syncer is not None
    status = ctx.syncer.cycle()
    assert status.online and not status.problem, status


def open_returns(window: MainWindow) -> None:
    sign_in(window, "Maria", "1111")
    press(window.sale.input, Qt.Key.Key_F7)
    assert window.stack.currentWidget() is window.returns


def wait_done(qtbot, screen) -> None:  # type: ignore[no-untyped-def]
    """F10 with HQ set up runs the return off the GUI thread: wait for its outcome."""
    qtbot.waitUntil(lambda: not screen.busy, timeout=20000)


def test_a_receipt_from_lane_1_returned_at_lane_2_then_lane_1_cannot_take_more(
    lanes: dict[str, tuple[AppContext, MainWindow]],
    hq_engine: Engine,  # noqa: F811
    qtbot,  # type: ignore[no-untyped-def]
) -> None:
    (ctx1, win1), (ctx2, win2) = lanes["T01"], lanes["T02"]
    code = upc_codes(ctx1, 1)[0]
    sale = sell(ctx1, [code, code, code], card=True)
    assert [ln.quantity for ln in sale.lines] == [3]
    sync(ctx1)
    sync(ctx2)

    # Lane 2: the receipt is not in its store file; HQ finds it.
    assert ctx2.upstream is not None
    ctx2.upstream.client = HqClient(
        ctx2.upstream.client.base_url, ctx2.syncer.config.token, transport=SlowReservations()
    )  # type: ignore[union-attr]
    open_returns(win2)
    screen = win2.returns
    type_enter(screen.input, sale.receipt_number)
    assert screen.busy == f"Looking up receipt {sale.receipt_number} at HQ…"  # asked off the GUI thread
    wait_done(qtbot, screen)
    assert screen.draft is not None and screen.draft.sale is not None, screen.message.text()
    assert screen.draft.sale.id == sale.id and screen.remote is not None
    assert "Maria Lopez" in screen.header.text()  # HQ names the cashier of another lane
    table = screen.table
    QTest.keyClick(table, Qt.Key.Key_Space)
    QTest.keyClick(table, Qt.Key.Key_Space)
    QTest.keyClicks(table, "3")  # changed mind
    seen: list[tuple[str, bool, str]] = []

    def watch() -> None:  # runs on the GUI thread, so it runs only if the window is live
        seen.append((screen.busy, screen.isEnabled(), screen.message.text()))

    ticker = QTimer()
    ticker.timeout.connect(watch)
    ticker.start(20)
    press(table, Qt.Key.Key_F10)  # the reservation at HQ runs off the GUI thread
    assert screen.busy  # ... and F10 came back at once, the screen waiting
    wait_done(qtbot, screen)
    ticker.stop()
    record = screen.last_record
    assert record is not None, screen.message.text()
    assert record.hq_reserved and [ln.request.quantity for ln in record.quote.lines] == [2]
    busy = [s for s in seen if s[0]]
    assert len(busy) >= 5, seen  # the event loop kept turning while HQ was asked (0.4 s)
    assert all(not enabled and text == "Checking this receipt with HQ…" for _, enabled, text in busy)
    assert screen.isEnabled() and not screen.busy
    assert "recorded" in screen.message.text()
    with hq_engine.connect() as conn:
        held = conn.execute(
            select(hs.return_reservations.c.quantity, hs.return_reservations.c.terminal_id).where(
                hs.return_reservations.c.return_id == record.id
            )
        ).all()
    assert held == [(2, "T02")]
    sync(ctx2)

    # Lane 1: its own receipt; its file does not know lane 2's return, HQ does.
    returns_before = count_rows(ctx1, ls.returns)
    open_returns(win1)
    screen1 = win1.returns
    type_enter(screen1.input, sale.receipt_number)
    assert screen1.draft is not None and screen1.draft.sale is not None
    QTest.keyClick(screen1.table, Qt.Key.Key_Space)
    QTest.keyClick(screen1.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen1.table, "3")
    press(screen1.table, Qt.Key.Key_F10)
    wait_done(qtbot, screen1)
    message = screen1.message.text()
    assert "Only 1 of" in message and "already came back at this or another lane" in message, message
    assert screen1.last_record is None
    assert count_rows(ctx1, ls.returns) == returns_before
    assert screen1.isEnabled() and not screen1.busy
    # The one unit left can still be returned there.
    QTest.keyClick(screen1.table, Qt.Key.Key_Minus)
    press(screen1.table, Qt.Key.Key_F10)
    wait_done(qtbot, screen1)
    assert screen1.last_record is not None, screen1.message.text()
    assert [ln.request.quantity for ln in screen1.last_record.quote.lines] == [1]


def test_hq_silent_the_return_goes_offline_within_the_caps_and_the_window_stays_live(
    lanes: dict[str, tuple[AppContext, MainWindow]],
    qtbot,  # type: ignore[no-untyped-def]
) -> None:
    ctx, window = lanes["T01"]
    assert ctx.upstream is not None and ctx.syncer is not None
    assert ctx.upstream.timeout == 3.0  # what a lane waits for HQ by default
    silent = socket.socket()  # HQ's address takes the connection and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        ctx.upstream.client = HqClient(url, ctx.syncer.config.token)
        ctx.upstream.timeout = 0.5  # shorter here, to keep the suite quick
        code = upc_codes(ctx, 1)[0]
        sale = sell(ctx, [code, code], card=True)
        open_returns(window)
        screen = window.returns
        type_enter(screen.input, sale.receipt_number)
        QTest.keyClick(screen.table, Qt.Key.Key_Space)
        QTest.keyClicks(screen.table, "3")
        ticks: list[str] = []
        ticker = QTimer()
        ticker.timeout.connect(lambda: ticks.append(screen.busy))
        ticker.start(20)
        started = time.monotonic()
        press(screen.table, Qt.Key.Key_F10)
        wait_done(qtbot, screen)
        waited = time.monotonic() - started
        ticker.stop()
    finally:
        silent.close()
    record = screen.last_record
    assert record is not None, screen.message.text()
    assert not record.hq_reserved  # taken offline, within the caps ($200 a return)
    assert 0.5 <= waited < 3, waited
    assert sum(1 for t in ticks if t) >= 10  # the window kept turning while it waited
    assert "recorded" in screen.message.text()
