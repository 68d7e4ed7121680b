"""The main window and the app's start-up (GUI thread).

``build_window`` wires the screens to an AppContext and is the composition root: the
wiring around the screens (devices, trust, the manager station) is handed the pieces it
uses (screens, the stack, the print bridge, the ``Session``, status-bar items), never this
window; no ui module but this one imports it. ``run_app`` is what ``counter`` runs: it
opens the store (building the demo store on first run), starts the receipt printer (the
built-in simulated one by default), and shows the sign-in screen.
"""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox, QProgressBar, QStackedWidget, QWidget

from app.context import AppContext, build_context, connect_sync
from app.events import ReturnCommitted, SaleCommitted, VoidCommitted
from app.instance_lock import take as take_instance_lock
from counter.dates import show_time
from counter.errors import CounterError, StoreError
from counter.i18n import _
from counter.people.staff import sign_out
from counter.people.users import User
from db.sync import SyncStatus
from devices.escpos.encoder import PrinterProfile
from devices.escpos.status import PrinterStatus
from devices.printer import ReceiptPrinter
from ui.actions import Action
from ui.backup_bridge import BackupBridge
from ui.cash.cash_office import CashOfficeScreen
from ui.collector import collect_on_gui_thread
from ui.desk.service_desk import ServiceDeskScreen
from ui.devices.device_bridge import DeviceBridge, open_receipt_printer
from ui.devices.device_wiring import DeviceUi
from ui.devices.printing import REPORT, PrintBridge
from ui.fit import show_on_screen
from ui.i18n import live, switch_language
from ui.ops import attempt, describe
from ui.returns.return_screen import ReturnScreen
from ui.sales.sale_screen import SaleScreen
from ui.session import Session
from ui.status_bar import CounterStatusBar
from ui.sync_bridge import SyncBridge
from ui.theme import apply_style
from ui.trust.manager_station import ManagerStationScreen, StationPlace, attach_station, open_station
from ui.trust.signin import SignInScreen
from ui.trust.startup_check import StartupCheck, start_integrity_check
from ui.trust.trust_wiring import TrustUi

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, printing: PrintBridge, startup_notes: list[str]) -> None:
        super().__init__()
        self.ctx = ctx
        self._desk_news = ""  # what the last pull brought of other lanes' desk work, once said
        self.printing = printing
        self.setWindowTitle(
            _("Counter — {store} — {terminal}").format(store=ctx.store.name, terminal=ctx.terminal.code)
        )
        self.stack = QStackedWidget()
        self.signin = SignInScreen(ctx)
        self.sale = SaleScreen(ctx, printing)
        self.returns = ReturnScreen(ctx, printing)
        self.cash_office = CashOfficeScreen(ctx, printing)
        self.cash_office.open_sale_checks.append(lambda: not self.sale.cart.is_empty or self.sale.payment is not None)
        self.stack.addWidget(self.signin)
        self.stack.addWidget(self.sale)
        self.stack.addWidget(self.returns)
        self.stack.addWidget(self.cash_office)
        self.desk = ServiceDeskScreen(ctx, printing)
        self.stack.addWidget(self.desk)
        self.sale.add_handler(Action.CUSTOMER, lambda: self._open_desk(self.sale))
        self.returns.customer_requested.connect(lambda: self._open_desk(self.returns))
        self.desk.finished.connect(self._back_from_desk)
        self.desk.attach_requested.connect(self._attach_customer)
        self.sale.sale_recorded.connect(lambda _s: self._attach_customer(None, back=False))
        self.returns.recorded.connect(lambda _r: self._attach_customer(None, back=False))
        self._desk_origin: QWidget = self.sale
        self.setCentralWidget(self.stack)
        # signin.signed_in goes to TrustUi, which wraps begin_session (build_window)
        self.sale.signed_out.connect(self._signed_out)
        self.sale.returns_requested.connect(self._open_returns)
        self.returns.finished.connect(self._back_to_sale)
        self.sale.cash_office_requested.connect(self._open_cash_office)
        self.cash_office.finished.connect(self._back_to_sale)
        self.cash_office.shift_changed.connect(self.show_shift)
        printing.preview_ready.connect(
            lambda decoded, kind: self.cash_office.preview.show_decoded(decoded) if kind == REPORT else None
        )
        self._status_bar(startup_notes)
        self._printer_state: PrinterStatus | None = None
        printing.status_changed.connect(self._printer_status)
        live(self.shift_label, self._relabel_status)  # the status items follow the screen's language
        self.devices: DeviceUi | None = None  # set by build_window
        self.trust: TrustUi | None = None  # set by build_window
        self.station: ManagerStationScreen | None = None  # set by build_window (Ctrl+Shift+M)
        self.backups: BackupBridge | None = None  # set by build_window
        self.station_place = StationPlace(self.stack, self.sale, self.signin, self.session)
        self.startup_check: StartupCheck | None = None  # set by build_window

    @property
    def user(self) -> User | None:
        """Who is signed in (the session's; the trust wiring locks and resumes it)."""
        return self.session.user

    def status(self, text: str, ms: int = 0) -> None:
        """A line in the status bar, for ``ms`` milliseconds (0: until the next one)."""
        self.statusBar().showMessage(text, ms)

    def _status_bar(self, notes: list[str]) -> None:
        bar = CounterStatusBar()
        self.setStatusBar(bar)
        self.user_label = QLabel()
        self.session = Session(self.user_label, self.ctx.store.locale)
        self.terminal_label = QLabel()
        code = self.ctx.terminal.code
        live(self.terminal_label, lambda: self.terminal_label.setText(_("Terminal {code}").format(code=code)))
        self.shift_label = QLabel(_("Shift: …"))
        self.printer_label = QLabel(_("Printer: checking…"))
        self.sync_label = QLabel(_("Sync: local only (no HQ)"))
        self.customer_label = QLabel("")  # the customer attached at the service desk (Ctrl+U)
        self.customer_label.hide()
        # when room is short, the terminal steps aside first (the title names it), then sync, shift, user
        yielding = (self.terminal_label, self.sync_label, self.shift_label, self.user_label)
        labels = (self.user_label, self.terminal_label, self.shift_label, self.printer_label, self.sync_label)
        for label in (self.customer_label, *labels):
            label.setObjectName("statusItem")
            bar.add_item(label, may_yield=label in yielding)
        bar.yielding.sort(key=yielding.index)
        # A long pull (a first catalog load) shows how far it has come; selling goes on.
        self.sync_progress = QProgressBar()
        self.sync_progress.setRange(0, 1000)
        self.sync_progress.setTextVisible(False)
        self.sync_progress.setFixedWidth(120)
        self.sync_progress.setFixedHeight(10)
        self.sync_progress.hide()
        bar.addPermanentWidget(self.sync_progress)
        if notes:
            bar.showMessage(" ".join(notes), 15000)
        if self.printing.printer is None:
            self.printer_label.setText(_("Printer: none set up"))

    def refuse_to_sell(self, problem: StoreError) -> QMessageBox:
        """The integrity check found the file damaged: say it wherever a person looks (the
        box does not block the event loop); from now on nothing is recorded."""
        line = f"{problem.message} {problem.hint}"
        self.signin.error.setText(line)
        self.sale.say(line, "error")
        self.status(line)
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            _("Counter cannot record sales"),
            f"{problem.message}\n\n{problem.hint}\n\n"
            + _("What this terminal recorded so far is kept; nothing more is recorded."),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("storeDamaged")
        box.open()
        return box

    def attach_sync(self, sync: SyncBridge) -> None:
        """Show the sync worker's status; HQ away is a calm status, never a dialog."""
        self.sync = sync
        sync.status_changed.connect(self._sync_status)
        # what a sale, a return or a void recorded goes to HQ soon, not at the next interval
        self.ctx.after_commit.subscribe(SaleCommitted, lambda _e: sync.nudge())
        self.ctx.after_commit.subscribe(ReturnCommitted, lambda _e: sync.nudge())
        self.ctx.after_commit.subscribe(VoidCommitted, lambda _e: sync.nudge())  # a voucher's restored balance
        self._sync_status(sync.status)
        self.ctx.closers.append(sync.close)
        sync.start()

    def _sync_status(self, status: SyncStatus) -> None:
        if status.desk_news and status.desk_news != self._desk_news:
            see = _("See the desk (Ctrl+U) and its queues (Ctrl+Q).")
            self.status(f"{status.desk_news} {see}", 30000)
        self._desk_news = status.desk_news
        self.sync_label.setText(status.describe())
        acked = _("Acknowledged by HQ up to entry {entry}; {waiting} waiting").format(
            entry=status.acked_seq, waiting=status.backlog
        )
        if status.last_sync:
            last = f"{status.last_sync.astimezone():%Y-%m-%d %H:%M:%S}"
            acked = _("{acknowledged}; last sync {time}").format(acknowledged=acked, time=last)
        self.sync_label.setToolTip(acked)
        if status.pulling and status.pull_fraction is not None:
            self.sync_progress.setValue(round(status.pull_fraction * 1000))
            self.sync_progress.show()
        else:
            self.sync_progress.hide()
        kind = "error" if status.problem else ("ok" if status.online and status.enrolled else "")
        self.sync_label.setProperty("kind", kind)
        # offline or refused: the cashier must see it on the smallest screen too (the shift and
        # the user step aside for it); a lane that is fine, or local only, may yield
        bar = self.statusBar()
        if isinstance(bar, CounterStatusBar):
            bar.hold(self.sync_label, bool(status.problem) or (status.enrolled and not status.online))
        self.sync_label.style().unpolish(self.sync_label)
        self.sync_label.style().polish(self.sync_label)

    def _relabel_status(self) -> None:
        """The status items said again in the screen's language (after a switch)."""
        if self.session.user is not None:
            self.show_shift()
        if self._printer_state is not None:
            self._printer_status(self._printer_state)
        sync = getattr(self, "sync", None)
        if isinstance(sync, SyncBridge):
            self._sync_status(sync.status)

    def _printer_status(self, status: PrinterStatus) -> None:
        self._printer_state = status
        self.printer_label.setText(_("Printer: {state}").format(state=status.describe()))
        self.printer_label.setProperty("kind", "ok" if status.ready else "error")
        self.printer_label.style().unpolish(self.printer_label)
        self.printer_label.style().polish(self.printer_label)

    def begin_session(self, user: User) -> None:
        """A fresh sign-in: the sale screen, started for this person (the step TrustUi wraps)."""
        self.session.begin(user)
        self.show_shift()
        self.stack.setCurrentWidget(self.sale)
        self.sale.start(user)

    def _open_cash_office(self) -> None:
        assert self.user is not None
        self.stack.setCurrentWidget(self.cash_office)
        self.cash_office.start(self.user)

    def show_shift(self) -> None:
        """Status bar: the drawer's shift (GUI thread; a quick read)."""
        with self.ctx.read_uow() as uow:
            shift = uow.shifts.current(self.ctx.terminal.terminal_id)
        if shift is None:
            self.shift_label.setText(_("Shift: none open (Ctrl+K)"))
            self.shift_label.setProperty("kind", "error")
        else:
            since = show_time(shift.opened_at, self.ctx.store.locale, self.ctx.store.zone)
            self.shift_label.setText(_("Shift: open since {time}").format(time=since))
            self.shift_label.setProperty("kind", "ok")
        self.shift_label.style().unpolish(self.shift_label)
        self.shift_label.style().polish(self.shift_label)

    def _open_returns(self) -> None:
        assert self.user is not None
        self.stack.setCurrentWidget(self.returns)
        self.returns.start(self.user)

    def _open_desk(self, origin: QWidget) -> None:
        """The service desk, with the customer already attached to the sale or return (if any)."""
        assert self.user is not None
        self._desk_origin = origin
        attached = getattr(origin, "customer", None)
        self.stack.setCurrentWidget(self.desk)
        self.desk.start(self.user, attached)

    def _back_from_desk(self) -> None:
        if self._desk_origin is self.returns:
            self.stack.setCurrentWidget(self.returns)
            self.returns.input.setFocus()
        else:
            self._back_to_sale()

    def _attach_customer(self, customer: object, *, back: bool = True) -> None:
        """The customer goes with the next sale or return recorded here (then is let go)."""
        from counter.desk.customers import Customer

        chosen = customer if isinstance(customer, Customer) else None
        for screen in (self.sale, self.returns):
            screen.customer = chosen
            screen.customer_id = chosen.id if chosen else None
        self.customer_label.setText(_("Customer: {name}").format(name=chosen.name) if chosen else "")
        self.customer_label.setVisible(chosen is not None)
        if back:
            self._back_from_desk()
            origin = self.sale if self._desk_origin is not self.returns else self.returns
            if chosen:
                said = _("{name} attached: this transaction goes on their history.").format(name=chosen.name)
            else:
                said = _("No customer attached: this transaction goes on their history.")
            origin.say(said, "ok")

    def _back_to_sale(self) -> None:
        self.stack.setCurrentWidget(self.sale)
        self.sale.input.setFocus()
        self.sale.say(_("Back at the sale screen. Scan the next item."), "info")

    def _signed_out(self) -> None:
        if self.user is not None:
            user = self.user
            attempt(lambda: self.ctx.handle(sign_out, user), self.sale.problem)
        self.session.end()
        self.stack.setCurrentWidget(self.signin)
        self.signin.reload()
        self.signin.focus()


def start_printer(ctx: AppContext) -> tuple[ReceiptPrinter | None, PrinterProfile, list[str]]:
    """Open and enable the configured printer; a failure is a note, never fatal: sales go
    on, jobs are kept, and the cashier reprints when the printer is back."""
    printer, profile, notes = open_receipt_printer(ctx.settings)
    if printer is not None:
        ctx.closers.append(printer.close)
    return printer, profile, notes


def build_window(ctx: AppContext) -> MainWindow:
    collect_on_gui_thread()  # no worker thread may free a Qt object caught in a cycle (ui/collector.py)
    switch_language(ctx.store.locale)  # the sign-in screen speaks the store's language
    printer, profile, notes = start_printer(ctx)
    bridge = PrintBridge(ctx, printer, profile)
    devices = DeviceBridge(ctx, bridge)  # drawer, scanner, display; a failure is a note
    notes += devices.start()
    window = MainWindow(ctx, bridge, ctx.settings.problems + notes)
    window.devices = DeviceUi(
        ctx,
        devices,
        sale=window.sale,
        stack=window.stack,
        printing=bridge,
        current_user=window.session.current,
        status_bar=window.statusBar(),
        printer_label=window.printer_label,
        parent=window,
    )
    ctx.closers.append(window.devices.close)
    # idle lock, badges, card guard, staff, interrupted receipts; every sign-in goes through
    # it: it wraps the window's begin_session (a locked person resumes where they were)
    window.trust = TrustUi(
        ctx,
        session=window.session,
        signin=window.signin,
        sale=window.sale,
        stack=window.stack,
        printing=bridge,
        begin_session=window.begin_session,
        show_shift=window.show_shift,
        status=window.status,
        drawers=window.devices.drawers,
        parent=window,
    )
    window.cash_office.open_sale_checks.append(window.trust.has_parked_sale)
    ctx.closers.append(window.trust.close)
    connect_sync(ctx)
    if ctx.syncer is not None:  # the printer's state goes to HQ with each sync's report
        ctx.syncer.printer_state = bridge.spooler.state_words
    window.attach_sync(SyncBridge(ctx.syncer))
    window.backups = BackupBridge(ctx, window.status, parent=window)  # after each Z report and on a schedule
    # approvals sent through HQ (ui/trust/manager_station.py)
    window.station = attach_station(
        ctx, window.station_place, title=window.windowTitle(), set_title=window.setWindowTitle
    )
    if printer is not None:  # its first status, once the window is up (unless the app closed first)
        QTimer.singleShot(0, lambda: printer.refresh_status() if printer.enabled else None)
    window.startup_check = start_integrity_check(ctx, window.refuse_to_sell)  # quick_check behind the sign-in screen
    return window


def open_window(ctx: AppContext) -> MainWindow:
    """The main window over the free area of the screen it opens on, at the sign-in screen."""
    window = build_window(ctx)
    show_on_screen(window)
    window.signin.focus()
    return window


def load_style(app: QApplication, theme: str = "standard", scale: float = 1.0) -> None:
    """The style sheet, in ``theme`` and with text ``scale`` times its size (``ui.theme``)."""
    apply_style(app, theme, scale)


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Last resort for an error escaping a Qt slot: log it, tell the person plainly."""
    problem = describe(exc.with_traceback(tb))
    window = next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)), None)
    if window is not None:
        window.status(problem.text, 20000)


def run_app(data_dir: Path, *, printer: str | None = None, demo: bool = True, manager: bool = False) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Counter")
    load_style(app)
    try:  # one Counter at a time on a store (app/instance_lock.py); the lock goes with this process
        lock = take_instance_lock(data_dir)
    except CounterError as exc:
        print(f"counter: {exc.message} {exc.hint}".strip(), file=sys.stderr, flush=True)
        QMessageBox.critical(QWidget(), _("Counter cannot start"), f"{exc.message}\n\n{exc.hint}")
        return 1
    try:
        return _run_locked(app, data_dir, printer=printer, demo=demo, manager=manager)
    finally:
        lock.release()


def _run_locked(app: QApplication, data_dir: Path, *, printer: str | None, demo: bool, manager: bool) -> int:
    try:
        if demo and not (data_dir / "counter.sqlite3").exists():
            print(
                _("Building the demo store in {folder} (first run, a few seconds)…").format(folder=data_dir), flush=True
            )
        ctx = build_context(data_dir, demo=demo, overrides={"printer": printer})
    except CounterError as exc:
        # the same words on stderr: a launcher's log or a service manager keeps them
        print(f"counter: {exc.message} {exc.hint}".strip(), file=sys.stderr, flush=True)
        QMessageBox.critical(QWidget(), _("Counter cannot start"), f"{exc.message}\n\n{exc.hint}")
        return 1
    except Exception as exc:  # never a traceback at start-up: a sentence, and the log
        problem = describe(exc)
        QMessageBox.critical(QWidget(), _("Counter cannot start"), f"{problem.message}\n\n{problem.hint}")
        return 1
    sys.excepthook = _excepthook
    load_style(app, ctx.settings.theme, ctx.settings.text_scale)  # counter.toml's theme and text size
    window = open_window(ctx)
    gc.freeze()  # start-up's objects leave the collector's generations: no full collection walks them mid-scan
    if manager and window.station is not None:  # counter --manager: a manager's station
        open_station(window.station_place, window.station, manager_mode=True)
    try:
        return app.exec()
    finally:
        ctx.close()
