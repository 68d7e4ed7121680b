"""The device settings window (GUI thread): each device's address, a test per device, Save.

Addresses are checked as they are typed (``devices.urls.parse_device_url`` says what is
wrong). The test buttons use the running device when the address is the one in use (the
test page goes through the app's printer, the drawer opens as a journaled no-sale, the
scan arrives through the app's own scan path, the card terminal in use is asked on a worker
thread, after any payment it is busy with) and otherwise check the typed address on a
short-lived worker thread (``app.device_checks``), so that a slow or absent device never
freezes the window. Save writes ``counter.toml`` in the data folder and re-opens the
devices whose settings changed.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.config import Settings, default_config_file
from app.context import AppContext
from app.device_checks import (
    SETTING,
    CheckResult,
    check_display,
    check_drawer,
    check_printer,
    check_scanner,
    check_terminal,
    describe_scan,
    display_test_rows,
    is_none,
    kind_of,
    problem_text,
)
from app.settings_file import save_settings
from counter.errors import CounterError
from counter.i18n import N_, _
from counter.people.users import User
from devices.barcodes import ScanData
from devices.escpos.codepages import CODE_PAGES
from devices.escpos.decode import decode
from devices.escpos.encoder import PrinterProfile, render_test_page
from ui.cash.cash_drawer import DrawerControl
from ui.devices.device_bridge import DeviceBridge, DeviceState
from ui.devices.printing import PrintBridge
from ui.dialogs import CounterDialog
from ui.theme import scaled

#: What this window saves (every other setting in counter.toml is left as it is).
DEVICE_SETTINGS = (
    "printer",
    "printer_columns",
    "printer_codepage",
    "drawer",
    "drawer_wait_closed",
    "scanner",
    "wedge",
    "wedge_max_gap_ms",
    "display",
    "display_command_set",
    "card_terminal",
    "card_terminal_prints",
)
# Labels are marked for the catalogue and translated where shown; "none", "printer" and the
# addresses are what a person types, so they stay as they are.
PAPER = {42: N_("80 mm · 42 columns"), 48: N_("80 mm · 48 columns"), 32: N_("58 mm · 32 columns")}
PLACEHOLDERS = {
    "printer": "none",
    "drawer": "none",
    "scanner": N_("keyboard (USB) scanners only"),
    "display": "none",
    "terminal": "zvt+tcp://HOST:20007 · zvt+serial://PORT · sim://terminal",
}
NAMES = {
    "printer": N_("receipt printer"),
    "drawer": N_("cash drawer"),
    "scanner": N_("scanner"),
    "display": N_("customer display"),
    "terminal": N_("card terminal"),
}
EXAMPLES = {
    "printer": "escpos+tcp://192.168.1.50:9100 · escpos+serial:///dev/ttyUSB0?baudrate=19200 · sim://printer · none",
    # Translators: "printer", "none" and the addresses are typed as they are: keep them
    "drawer": N_("printer (on the printer's drawer port) · serial:///dev/ttyS0 · sim://drawer · none"),
    # Translators: the addresses are typed as they are: keep them
    "scanner": N_("empty = USB scanners in keyboard mode only · serial:///dev/ttyACM0?baudrate=9600 · sim://scanner"),
    "display": "serial:///dev/ttyUSB1?baudrate=9600 · sim://display · none",
    "terminal": "zvt+tcp://192.168.1.60:20007 · zvt+serial:///dev/ttyUSB0?baudrate=9600 · sim://terminal · none",
}


class DeviceSettingsError(CounterError):
    """The settings cannot be saved as typed."""


class DeviceSettingsDialog(CounterDialog):
    _checked = Signal(str, bool, str)  # from a check's worker thread: kind, ok, text

    def __init__(
        self,
        parent: QWidget | None,
        ctx: AppContext,
        printing: PrintBridge,
        devices: DeviceBridge,
        drawers: DrawerControl,
        user: User | None,
    ) -> None:
        super().__init__(parent, _("Devices"), _("Devices: type each address, test it, then Save"))
        self.ctx, self.printing, self.devices, self.drawers, self.user = ctx, printing, devices, drawers, user
        self.setMinimumWidth(900)
        self.form.setSpacing(6)
        self.form.setVerticalSpacing(14)
        self.urls: dict[str, QLineEdit] = {}
        self.notes: dict[str, QLabel] = {}
        self.tests: dict[str, QPushButton] = {}
        self.saved_notes: list[str] = []
        self._threads: list[threading.Thread] = []
        s = ctx.settings
        printer = self._row("printer", _("Receipt printer"), s.printer, _("Print test page"))
        self.paper = QComboBox()
        papers = {k: _(v) for k, v in PAPER.items()}
        papers.setdefault(s.printer_columns, _("{columns} columns").format(columns=s.printer_columns))
        for columns, label in papers.items():
            self.paper.addItem(label, columns)
        self.paper.setCurrentIndex(self.paper.findData(s.printer_columns))
        self.codepage = QComboBox()
        self.codepage.addItems(sorted(CODE_PAGES))
        self.codepage.setCurrentText(s.printer_codepage)
        self.paper.setAccessibleDescription(_("The width of the receipt paper, which sets the columns printed"))
        self.codepage.setAccessibleDescription(_("The printer's table of letters: the one its manual names"))
        printer.addLayout(_options(QLabel(_("Paper")), self.paper, QLabel(_("Code page")), self.codepage))

        drawer = self._row("drawer", _("Cash drawer"), s.drawer, _("Open drawer"))
        self.wait_closed = QCheckBox(_("Next sale waits until the drawer is closed"))
        self.wait_closed.setToolTip(_("Only drawers with a sensor can say they are closed."))
        self.wait_closed.setChecked(s.drawer_wait_closed)
        self.close_sim = QPushButton(_("Close the simulated drawer"))
        self.close_sim.setAutoDefault(False)
        self.close_sim.clicked.connect(self._close_simulated_drawer)
        self.close_sim.setAccessibleDescription(_("Shuts the simulated drawer, as a person pushing it would"))
        self.close_sim.setVisible(devices.drawer_simulator is not None)
        drawer.addLayout(_options(self.wait_closed, self.close_sim))

        terminal = self._row("terminal", _("Card terminal"), s.card_terminal, _("Test terminal"))
        self.terminal_prints = QCheckBox(_("The terminal prints its own receipts"))
        self.terminal_prints.setToolTip(_("Off: the receipt printer prints the terminal's receipt text."))
        self.terminal_prints.setChecked(s.card_terminal_prints)
        terminal.addLayout(_options(self.terminal_prints))

        scanner = self._row("scanner", _("Scanner"), s.scanner, _("Scan test"))
        # Translators: followed by a spin box "[50] ms apart"
        self.wedge = QCheckBox(_("Tell keyboard scans from typing: keys at most"))
        self.wedge.setChecked(s.wedge)
        self.wedge.setAccessibleDescription(_("When checked, keys typed faster than this are taken as a scan"))
        self.gap = QSpinBox()
        self.gap.setRange(20, 300)
        self.gap.setSuffix(_(" ms apart"))
        self.gap.setValue(s.wedge_max_gap_ms)
        self.gap.setAccessibleName(_("Most time between a scan's keys"))
        self.gap.setAccessibleDescription(_("In milliseconds: keys typed further apart than this are typing"))
        scanner.addLayout(_options(self.wedge, self.gap))

        display = self._row("display", _("Customer display"), s.display, _("Show text"))
        self.command_set = QComboBox()
        self.command_set.addItem("Epson (ESC/POS)", "epson")
        self.command_set.addItem("CD5220", "cd5220")
        self.command_set.setCurrentIndex(max(0, self.command_set.findData(s.display_command_set)))
        self.command_set.setAccessibleDescription(_("The commands the customer display understands: see its manual"))
        # Translators: the command set a customer display understands
        display.addLayout(_options(QLabel(_("Commands")), self.command_set))

        self.ok_button.setText(_("Save  (Enter)"))
        self.cancel_button.setText(_("Close  (Esc)"))
        self._checked.connect(self._show_check)
        # methods, not lambdas: Qt lets go of them with the window (a lambda would go on being
        # called with the window's widgets deleted)
        devices.drawer_changed.connect(self._drawer_changed)
        printing.status_changed.connect(self._printer_changed)
        devices.terminal_changed.connect(self._terminal_changed)  # a method: let go with the window
        for kind in self.urls:
            self._show_state(kind)
        self.first_field = self.urls["printer"]

    def _drawer_changed(self, _opened: object) -> None:
        self._show_state("drawer")

    def _printer_changed(self, _status: object) -> None:
        self._show_state("printer")

    # ----------------------------------------------------------------- rows
    def _row(self, kind: str, label: str, value: str, test: str) -> QVBoxLayout:
        edit = QLineEdit(value)
        edit.setPlaceholderText(_(PLACEHOLDERS[kind]) if kind == "scanner" else PLACEHOLDERS[kind])
        example = _(EXAMPLES[kind]) if kind in ("drawer", "scanner") else EXAMPLES[kind]
        edit.setToolTip(example)
        edit.setAccessibleName(label)
        edit.setMinimumHeight(36)
        edit.textChanged.connect(lambda _text, k=kind: self._show_state(k))
        edit.returnPressed.connect(self._try_accept)
        button = QPushButton(test)
        button.setAutoDefault(False)
        button.setMinimumWidth(scaled(150))
        button.clicked.connect(lambda _on=False, k=kind: self._test(k))
        button.setAccessibleDescription(_("Tries the device at the address typed and says below how it went"))
        note = QLabel("")
        note.setObjectName("dialogHint")
        note.setWordWrap(True)
        examples = QLabel(example)
        examples.setObjectName("dialogHint")
        examples.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(edit, 1)
        top.addWidget(button)
        box = QVBoxLayout()
        box.setSpacing(4)
        box.addLayout(top)
        box.addWidget(examples)
        box.addWidget(note)
        self.form.addRow(label, box)
        self.urls[kind], self.notes[kind], self.tests[kind] = edit, note, button
        return box

    def url(self, kind: str) -> str:
        return self.urls[kind].text().strip()

    def _running(self, kind: str) -> bool:
        """The typed address is the one the app uses now (and that device is up)."""
        same = self.url(kind) == str(getattr(self.ctx.settings, SETTING[kind])).strip()
        services = {"printer": self.printing.printer, "terminal": self.devices.card_terminal}
        service = services[kind] if kind in services else getattr(self.devices, kind)
        return same and service is not None

    def _say(self, kind: str, text: str, style: str = "hint") -> None:
        note = self.notes[kind]
        note.setText(text)
        note.setObjectName("dialogError" if style == "error" else "dialogHint")
        note.style().unpolish(note)
        note.style().polish(note)
        if self.isVisible():
            QTimer.singleShot(0, self._grow)

    def _grow(self) -> None:
        """A longer note (an error over two lines) gets the room it needs, never clipped."""
        self.fit_height()

    def url_problem(self, kind: str) -> str | None:
        """What is wrong with the typed address, or None."""
        url = self.url(kind)
        if is_none(url) or (kind == "drawer" and url.lower() == "printer"):
            return None
        try:
            kind_of(url, kind)
        except CounterError as exc:
            return problem_text(exc)
        return None

    def _show_state(self, kind: str) -> None:
        problem = self.url_problem(kind)
        if problem is not None:
            self._say(kind, problem, "error")
            return
        url = self.url(kind)
        if not self._running(kind):
            if is_none(url):
                text = {
                    "printer": _("No printer: receipts are kept, and print once one is set up."),
                    "drawer": _("No cash drawer."),
                    "scanner": _("Keyboard (USB) scanners only.") if self.wedge_on else _("No scanner."),
                    "display": _("No customer display."),
                    "terminal": _("No card terminal: cards are taken on a standalone terminal and keyed in."),
                }[kind]
            else:
                text = _("Not in use yet: test it, then Save.")
            self._say(kind, text)
            return
        if kind == "printer":
            status = self.printing.status
            state = DeviceState(status.describe(), "ok" if status.ready else "error") if status else None
        else:
            state = getattr(self.devices, f"{kind}_state")()
        if state is not None:
            style = "error" if state.kind == "error" else ""
            text = _("In use now: {state}. {detail}").format(state=state.label, detail=state.detail)
            self._say(kind, text.strip(), style)

    def _terminal_changed(self, _status: object) -> None:
        self._show_state("terminal")

    @property
    def wedge_on(self) -> bool:
        return not hasattr(self, "wedge") or self.wedge.isChecked()

    # ---------------------------------------------------------------- tests
    def _test(self, kind: str) -> None:
        if self.url_problem(kind) is not None:
            self._show_state(kind)
            return
        url, running = self.url(kind), self._running(kind)
        if kind == "printer":
            if is_none(url):
                self._say(kind, _("No printer is set, so there is nothing to test."), "error")
            elif running:
                self._print_test_page()
            else:
                profile = self._profile()
                self._check(kind, lambda: check_printer(url, profile, print_test=True))
        elif kind == "drawer":
            self._test_drawer(url, running)
        elif kind == "scanner":
            self._test_scanner(url, running)
        elif kind == "terminal":
            self._test_terminal(url, running)
        else:
            self._test_display(url, running)

    def _profile(self) -> PrinterProfile:
        return PrinterProfile(columns=int(self.paper.currentData()), codepage=self.codepage.currentText())

    def _print_test_page(self) -> None:
        printer = self.printing.printer
        assert printer is not None
        data = render_test_page(self.printing.profile)
        self.printing.preview_ready.emit(decode(data, page=self.printing.profile.page), "test")
        self._say("printer", _("Printing the test page…"))
        printed = _("Test page printed.")
        try:
            printer.submit(
                f"test-page:{uuid.uuid4()}",
                data,
                on_done=lambda _job, err: self._checked.emit(  # printer worker thread
                    "printer", err is None, printed if err is None else problem_text(err)
                ),
            )
        except CounterError as exc:
            self._say("printer", problem_text(exc), "error")

    def _test_drawer(self, url: str, running: bool) -> None:
        if is_none(url):
            self._say("drawer", _("No drawer is set, so there is nothing to open."), "error")
        elif running:
            if self.user is None:
                self._say("drawer", _("Sign in first: every opening of the drawer is recorded with a name."), "error")
                return
            # the reason is recorded in the journal with the opening: it stays English
            self.drawers.no_sale(self, self.user, self._drawer_said, note="Drawer test (device settings)")
        else:
            printer_url, profile = self.url("printer"), self._profile()
            then = _("Save, then test again to open it (openings are recorded).")
            self._check("drawer", lambda: _then(check_drawer(url, printer_url=printer_url, profile=profile), then))

    def _drawer_said(self, text: str, kind: str) -> None:
        self._say("drawer", text, "error" if kind == "error" else "")

    def _close_simulated_drawer(self) -> None:
        if self.devices.close_simulated_drawer():
            self._say("drawer", _("The simulated drawer was pushed shut; its state follows in a moment."))
        else:
            self._say("drawer", _("Only a simulated drawer can be shut from here; push a real one by hand."), "error")

    def _test_scanner(self, url: str, running: bool) -> None:
        self._say("scanner", _("Scan a barcode now: what it reads shows here."))
        if is_none(url):
            return  # keyboard scanners: the wedge filter brings the scan to handle_scan
        if running:
            sim = self.devices.scanner.simulator if self.devices.scanner is not None else None
            scan = getattr(sim, "scan_preset", None)
            if scan is not None:
                scan("EAN-13")  # the simulated scanner "scans" a product; it arrives below
            return
        self._check("scanner", lambda: check_scanner(url, wait=15.0))

    def handle_scan(self, scan: ScanData) -> bool:
        """Every scan while this window is open shows here (wedge or serial)."""
        self._say("scanner", _("Read {scan}.").format(scan=describe_scan(scan)), "error" if scan.error else "")
        return True

    def _test_terminal(self, url: str, running: bool) -> None:
        """Status, then the terminal's own diagnosis, on a worker thread; the terminal in use
        when the address is its own (the test waits behind a payment), else one of its own."""
        if is_none(url):
            self._say("terminal", _("No card terminal is set: cards are taken on a standalone terminal."), "error")
            return
        in_use = self.devices.card_terminal if running else None
        currency = self.ctx.store.currency.code
        self._check("terminal", lambda: check_terminal(url, in_use=in_use, currency=currency))
        if running:
            self.devices.check_terminal_soon()  # the status bar follows the test's news

    def _test_display(self, url: str, running: bool) -> None:
        if is_none(url):
            self._say("display", _("No display is set, so there is nothing to show."), "error")
        elif running:
            rows = display_test_rows()
            self.devices.show(*rows)
            self._say("display", _("Sent “{text}” to the display.").format(text=" / ".join(rows)))
            sim = self.devices.display.simulator if self.devices.display is not None else None
            if sim is not None:
                self._watch_sim_display(sim, tries=20)
        else:
            self._check("display", lambda: check_display(url))

    def _watch_sim_display(self, sim: object, tries: int) -> None:
        """Say what the simulated display shows once it shows the test text (it is written
        by the display's worker and read by the simulator's own thread)."""
        rows = tuple(r.rstrip() for r in getattr(sim, "rows", ()))
        if rows == display_test_rows() or tries <= 0:
            self._say("display", _sim_rows(sim))
        else:
            QTimer.singleShot(100, lambda: self._watch_sim_display(sim, tries - 1))

    def _check(self, kind: str, run: Callable[[], CheckResult]) -> None:
        """Run a blocking check on a worker thread; its result comes back as a signal."""
        self._say(kind, _("Testing…"))
        self.tests[kind].setEnabled(False)
        failed = _("The test failed unexpectedly ({error}).")

        def work() -> None:  # check worker thread
            try:
                result = run()
            except CounterError as exc:
                result = CheckResult(False, problem_text(exc))
            except Exception as exc:  # a bug in a driver: say so, never crash the window
                result = CheckResult(False, failed.format(error=exc))
            with contextlib.suppress(RuntimeError):  # the window was closed meanwhile
                self._checked.emit(kind, result.ok, result.text)

        thread = threading.Thread(target=work, name=f"device-check:{kind}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _show_check(self, kind: str, ok: bool, text: str) -> None:  # GUI thread
        self.tests[kind].setEnabled(True)
        self._say(kind, text, "" if ok else "error")

    # ----------------------------------------------------------------- save
    def settings(self) -> Settings:
        return replace(
            self.ctx.settings,
            printer=self.url("printer") or "none",
            printer_columns=int(self.paper.currentData()),
            printer_codepage=self.codepage.currentText(),
            drawer=self.url("drawer") or "none",
            drawer_wait_closed=self.wait_closed.isChecked(),
            scanner=self.url("scanner"),
            wedge=self.wedge.isChecked(),
            wedge_max_gap_ms=self.gap.value(),
            display=self.url("display") or "none",
            display_command_set=str(self.command_set.currentData()),
            card_terminal=self.url("terminal") or "none",
            card_terminal_prints=self.terminal_prints.isChecked(),
            problems=[],
        )

    def validate(self) -> None:
        """Save: every address must be valid; then write the file and re-open devices."""
        wrong = [_(NAMES[k]) for k in self.urls if self.url_problem(k) is not None]
        if wrong:
            # Translators: joins the names of devices in "Fix the address of the printer and the scanner first."
            devices = _(" and the ").join(wrong)
            raise DeviceSettingsError(
                _("Fix the address of the {devices} first.").format(devices=devices), _("Nothing was saved.")
            )
        new = self.settings()
        values = {key: getattr(new, key) for key in DEVICE_SETTINGS}
        save_settings(self.ctx.data_dir / "counter.toml", values, template=default_config_file())
        self.saved_notes = self.devices.apply(new)


def _options(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(8)
    for before, widget in zip((None, *widgets), widgets, strict=False):
        if isinstance(before, QLabel):
            before.setBuddy(widget)  # the label names the field for a screen reader
        row.addWidget(widget)
    row.addStretch(1)
    return row


def _then(result: CheckResult, more: str) -> CheckResult:
    return CheckResult(result.ok, f"{result.text} {more}" if result.ok else result.text)


def _sim_rows(sim: object) -> str:
    rows = getattr(sim, "rows", ())
    return _("The simulated display shows: {rows}").format(rows=" / ".join(f"“{r.rstrip()}”" for r in rows))
