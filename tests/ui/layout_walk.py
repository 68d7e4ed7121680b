"""Every screen and the main dialogs, walked on the screen this process has (real widgets).

    python -m tests.ui.layout_walk STORE_DIR REPORT.json [--shots DIR] [--plant FAULT,…]

Run by tests/ui/test_layout_fit.py in a process of its own for each screen (the offscreen
platform's screen is set per process: ``QT_QPA_PLATFORM=offscreen:configfile=…``, and
``QT_SCALE_FACTOR=1.5`` for 150 %). The main window opens the way ``counter`` opens it
(``ui.main_window.open_window``); the report says where it lands against the screen, then
the window is given the height a window manager leaves it under a title bar and a panel
(``ROOM`` less), and each screen and dialog is looked at with ``layout_checks.problems``.
The report is JSON: {"screen": [w, h], "looked": [names], "problems": {name: [...]}}.

``--plant`` puts back faults this walk must see (the test that the walk bites):
``window-1366`` opens the window at 1366×800 whatever the screen (as ``counter`` did),
``fixed-columns`` gives the cart its old fixed column widths.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from sqlalchemy import func, select

import ui.main_window
from app.context import AppContext, build_context
from db import schema as s
from tests.ui.layout_checks import off_screen, problems
from ui.dialogs import CounterDialog
from ui.main_window import MainWindow, load_style

#: the height a window manager's title bar and a panel take from a maximized window
ROOM = 64
LONG_ERROR = (
    "That amount is more than this drawer holds in notes of that kind. Count the notes again, "
    "or ask a supervisor to recount the drawer (F8) before you go on."
)
LONG_STATUS = (
    "The customer display did not answer at serial:///dev/ttyUSB1?baud=9600. Check its cable and "
    "power, then test it under Devices (Ctrl+Shift+D)."
)
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
NONE = Qt.KeyboardModifier.NoModifier


def settle(ms: int = 40) -> None:
    deadline = time.monotonic() + ms / 1000
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.005)
    QApplication.processEvents()


class Walk:
    def __init__(self, ctx: AppContext, window: MainWindow, shots: Path | None) -> None:
        self.ctx, self.window, self.shots = ctx, window, shots
        self.looked: list[str] = []
        self.problems: dict[str, list[str]] = {}

    def look(self, name: str, widget: QWidget | None = None) -> None:
        widget = widget or self.window
        settle()
        found = problems(widget) + off_screen(widget)
        self.looked.append(name)
        if found:
            self.problems[name] = found
        if self.shots is not None:
            widget.grab().save(str(self.shots / f"{name}.png"))

    def dialog(
        self, name: str, key: Qt.Key, modifier: Qt.KeyboardModifier = NONE, *, on: QWidget | None = None
    ) -> None:
        """Press the key that opens a dialog; look at it, then with a long error in it; close it."""
        target = on or QApplication.focusWidget() or self.window
        opened: list[bool] = []
        polls = [0]

        def act() -> None:
            dialog = QApplication.activeModalWidget()
            if not isinstance(dialog, QDialog):
                polls[0] += 1
                if polls[0] < 200:
                    QTimer.singleShot(10, act)
                return
            opened.append(True)
            try:
                self.look(name, dialog)
                if isinstance(dialog, CounterDialog):
                    dialog.show_error(LONG_ERROR)
                    self.look(f"{name}-error", dialog)
            finally:
                dialog.reject()

        QTimer.singleShot(0, act)
        QTest.keyClick(target, key, modifier)
        settle(60)
        if not opened:
            self.problems[name] = [f"no dialog opened on {QTest.__name__} key {key!r}"]

    def without_dialog(self, name: str, act: Callable[[], None]) -> None:
        """Do ``act``; a dialog it opens is a problem of ``name`` (and is closed)."""
        watching = [True]

        def guard() -> None:
            if not watching[0]:
                return
            dialog = QApplication.activeModalWidget()
            if isinstance(dialog, QDialog):
                self.problems.setdefault(name, []).append(f"an unexpected dialog: {dialog.windowTitle()}")
                dialog.reject()
            QTimer.singleShot(20, guard)

        QTimer.singleShot(0, guard)
        act()
        settle(300)
        watching[0] = False

    def answer(self, key: Qt.Key, modifier: Qt.KeyboardModifier, on: QWidget, fill: Callable[[QDialog], None]) -> None:
        """Press the key that opens a dialog, fill it in and take it (OK)."""

        def act() -> None:
            dialog = QApplication.activeModalWidget()
            if not isinstance(dialog, QDialog):
                QTimer.singleShot(10, act)
                return
            fill(dialog)

        QTimer.singleShot(0, act)
        QTest.keyClick(on, key, modifier)
        settle(100)


def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        settle(20)


def type_enter(widget: QWidget, text: str) -> None:
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)
    settle()


def sign_in(window: MainWindow, name: str, pin: str) -> None:
    users = window.signin.users
    users.setCurrentRow(next(i for i in range(users.count()) if users.item(i).text().startswith(name)))
    type_enter(window.signin.pin, pin)


def long_named_codes(ctx: AppContext, n: int) -> list[str]:
    """UPC codes of the items with the longest names (what a narrow cart column meets)."""
    with ctx.db.read.connect() as conn:
        rows = conn.execute(
            select(s.items.c.barcode)
            .where(s.items.c.barcode.like("00%"))
            .order_by(func.length(s.items.c.name).desc())
            .limit(n)
        )
        return [r[0][2:] for r in rows]


def last_receipt(ctx: AppContext) -> str:
    with ctx.db.read.connect() as conn:
        number = conn.execute(
            select(s.sales.c.receipt_number)
            .where(s.sales.c.terminal_id == ctx.terminal.terminal_id)
            .order_by(s.sales.c.completed_at.desc())
        ).scalar()
    assert number is not None
    return str(number)


def walk(ctx: AppContext, window: MainWindow, shots: Path | None, faults: set[str]) -> Walk:
    w = Walk(ctx, window, shots)
    settle(200)
    w.look("window-opened")  # where ``counter`` puts it: inside the screen's free area
    area = window.screen().availableGeometry()
    window.showNormal()
    settle()
    frame = window.frameGeometry()
    inner = window.geometry()
    left, top = inner.x() - frame.x(), inner.y() - frame.y()
    right, bottom = frame.right() - inner.right(), frame.bottom() - inner.bottom()
    window.setGeometry(area.adjusted(left, top, -right, -bottom - ROOM))
    settle(100)
    w.look("signin")
    users = window.signin.users
    users.setCurrentRow(next(i for i in range(users.count()) if users.item(i).text().startswith("Alex")))
    type_enter(window.signin.pin, "9999")
    w.look("signin-error")  # a wrong PIN, said under the field
    sign_in(window, "Alex", "4444")
    plant_after_sign_in(window, faults)
    sale = window.sale
    codes = long_named_codes(ctx, 4)
    for code in codes:
        type_enter(sale.input, code)
    type_enter(sale.input, codes[0])
    w.look("sale")
    QTest.keyClicks(sale.input, "kettle")
    w.look("sale-search")
    QTest.keyClick(sale.input, Qt.Key.Key_Escape)
    window.status(LONG_STATUS)
    w.look("sale-status-message")
    window.statusBar().clearMessage()
    w.dialog("quantity", Qt.Key.Key_F3, on=sale.input)
    w.dialog("line-discount", Qt.Key.Key_F4, on=sale.input)
    w.dialog("sale-discount", Qt.Key.Key_F5, on=sale.input)
    w.dialog("cash", Qt.Key.Key_F9, on=sale.input)
    w.dialog("card", Qt.Key.Key_F10, on=sale.input)
    w.dialog("store-credit", Qt.Key.Key_F8, on=sale.input)
    w.dialog("devices", Qt.Key.Key_D, CTRL | SHIFT, on=sale.input)
    w.dialog("print-jobs", Qt.Key.Key_P, CTRL | SHIFT, on=sale.input)
    w.dialog("staff", Qt.Key.Key_S, CTRL | SHIFT, on=sale.input)

    def cash(dialog: QDialog) -> None:
        dialog.edit.setText("500")  # type: ignore[attr-defined]
        QTest.keyClick(dialog.edit, Qt.Key.Key_Return)  # type: ignore[attr-defined]

    w.answer(Qt.Key.Key_F9, NONE, sale.input, cash)
    until(lambda: sale.preview.decoded is not None)
    w.look("sale-change")  # the change due, and the receipt as printed
    printer = window.printing.printer
    assert printer is not None
    printer.simulator.paper_out = True  # type: ignore[attr-defined]
    QTest.keyClick(sale.input, Qt.Key.Key_F11, SHIFT)  # a gift receipt that does not print
    until(lambda: "Out of paper" in window.printer_label.text())
    w.look("sale-not-printed")  # the printer's state, and the "not printed" key, in the status bar
    w.dialog("print-jobs-failed", Qt.Key.Key_P, CTRL | SHIFT, on=sale.input)  # what happened, in full
    printer.simulator.paper_out = False  # type: ignore[attr-defined]
    printer.refresh_status()
    until(lambda: window.printer_label.text() == "Printer: Ready")

    QTest.keyClick(sale.input, Qt.Key.Key_F7)
    screen = window.returns
    receipt = last_receipt(ctx)
    type_enter(screen.input, receipt)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "2")
    QTest.keyClick(screen.table, Qt.Key.Key_Down)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    w.look("return")
    w.dialog("return-reason", Qt.Key.Key_F4, on=screen.table)
    w.dialog("return-quantity", Qt.Key.Key_F3, on=screen.table)
    w.dialog("customer-id", Qt.Key.Key_F7, on=screen.table)
    w.dialog("find-sale", Qt.Key.Key_F, CTRL, on=screen.table)
    w.dialog("policies", Qt.Key.Key_P, CTRL, on=screen.table)
    QTest.keyClick(screen.table, Qt.Key.Key_F2)
    type_enter(screen.input, receipt)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "3")
    w.without_dialog("return-done", lambda: QTest.keyClick(screen.table, Qt.Key.Key_F10))
    w.look("return-done")  # what the return gave back, and its number
    QTest.keyClick(screen.table, Qt.Key.Key_F2)
    type_enter(screen.input, receipt)
    QTest.keyClick(screen.table, Qt.Key.Key_Down)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "1")
    QTest.keyClick(screen.table, Qt.Key.Key_F6)
    type_enter(screen.exchange_input, codes[1])
    w.look("exchange")
    QTest.keyClick(screen.table, Qt.Key.Key_N, CTRL)
    type_enter(screen.input, codes[2])
    QTest.keyClicks(screen.table, "5")
    w.look("return-no-receipt")
    QTest.keyClick(screen.table, Qt.Key.Key_Escape)
    settle()

    from scripts.desk_screenshots import a_sale, make_cases

    make_cases(ctx, a_sale(ctx).receipt_number)
    QTest.keyClick(sale.input, Qt.Key.Key_U, CTRL)
    desk = window.desk
    type_enter(desk.input, "555-0175")
    w.look("service-desk")
    for name, key, modifier in (
        ("desk-new-customer", Qt.Key.Key_F3, NONE),
        ("desk-edit-customer", Qt.Key.Key_F4, NONE),
        ("desk-contact", Qt.Key.Key_F5, NONE),
        ("desk-referral", Qt.Key.Key_F6, NONE),
        ("desk-status", Qt.Key.Key_F7, NONE),
        ("desk-adjustment", Qt.Key.Key_F8, NONE),
        ("desk-payments", Qt.Key.Key_F9, NONE),
        ("desk-queue", Qt.Key.Key_Q, CTRL),
        ("desk-follow-ups", Qt.Key.Key_L, CTRL),
        ("desk-report", Qt.Key.Key_R, CTRL),
    ):
        w.dialog(name, key, modifier, on=desk.input)
    QTest.keyClick(desk.input, Qt.Key.Key_Escape)
    settle()

    QTest.keyClick(sale.input, Qt.Key.Key_K, CTRL)
    office = window.cash_office
    w.look("cash-office")
    QTest.keyClick(office, Qt.Key.Key_F6)  # the X report: printed, and shown beside
    until(lambda: office.preview.decoded is not None)
    w.look("cash-office-report")
    w.dialog("paid-out", Qt.Key.Key_F4, on=office)
    w.dialog("close-shift", Qt.Key.Key_F7, on=office)
    QTest.keyClick(office, Qt.Key.Key_Escape)
    settle()

    QTest.keyClick(sale.input, Qt.Key.Key_M, CTRL | SHIFT)
    w.look("manager-station")
    return w


def plant(faults: set[str]) -> None:
    """Put back the faults named (see the module's docstring)."""
    import ui.main_window

    if "window-1366" in faults:

        def fixed(window: QWidget) -> None:
            window.resize(1366, 800)
            window.show()

        ui.main_window.show_on_screen = fixed  # type: ignore[assignment]


def plant_after_sign_in(window: MainWindow, faults: set[str]) -> None:
    if "fixed-columns" in faults:
        table = window.sale.table
        window.sale.columns.fit = lambda: None  # type: ignore[method-assign]
        table.horizontalHeader().setSectionResizeMode(1, table.horizontalHeader().ResizeMode.Stretch)
        for col, width in ((0, 44), (2, 70), (3, 110), (4, 110), (5, 120)):
            table.setColumnHidden(col, False)
            table.setColumnWidth(col, width)


def main(argv: list[str]) -> int:
    store, report = Path(argv[0]), Path(argv[1])
    options = dict(zip(argv[2::2], argv[3::2], strict=True))
    shots = Path(options["--shots"]) if "--shots" in options else None
    faults = set(filter(None, options.get("--plant", "").split(",")))
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    if "--language" in options:  # every screen and document in this language (counter.i18n)
        os.environ["COUNTER_LANGUAGE"] = options["--language"]
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    load_style(app, options.get("--theme", "standard"), float(options.get("--text-scale", "1")))
    plant(faults)
    # QTest types at machine speed, which the wedge filter takes for a scanner
    ctx = build_context(store, overrides={"printer": "sim://printer", "wedge": False})
    window = ui.main_window.open_window(ctx)
    done = walk(ctx, window, shots, faults)
    screen = app.primaryScreen().availableGeometry()
    report.write_text(
        json.dumps(
            {"screen": [screen.width(), screen.height()], "looked": done.looked, "problems": done.problems},
            indent=1,
        ),
        encoding="utf-8",
    )
    sys.stdout.flush()
    os._exit(0)  # the printer's threads and the app's closers are not what is measured


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
