"""The app's devices besides the receipt printer's jobs: cash drawer, serial scanner,
customer display and card terminal, built from the settings and turned into Qt signals
(GUI thread).

Device services call their subscribers on their own worker threads (``drawer:``,
``scanner:``, ``display:``, or the printer's for a drawer kicked through it). Every such
callback only emits ``_event``; because this QObject lives on the GUI thread, Qt queues
the call, and ``_on_event`` runs on the GUI thread, where it re-emits typed signals. The
card terminal is asked its status by its watch's thread (``app.card_terminal``), whose
answers come the same way; the GUI only ever reads the watch's last answer.

A device that cannot be opened is a note for the status bar, never fatal: the sale goes
on without it. ``apply`` re-opens the devices whose settings changed (the device settings
dialog), so a fixed address works without restarting the app.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

from app.card_terminal import OFFLINE_HINT, TerminalWatch, open_card_terminal
from app.config import Settings
from app.context import AppContext
from app.device_checks import is_none, problem_text
from counter.errors import CounterError
from counter.i18n import N_, _
from counter.payments.terminal import PaymentTerminal, TerminalStatus
from devices.display import LineDisplay
from devices.drawer import PrinterDrawer, SerialDrawer
from devices.errors import DeviceError, ErrorCode
from devices.escpos.encoder import PrinterProfile
from devices.events import DataEvent, DeviceErrorEvent, DrawerChanged
from devices.factory import open_cash_drawer, open_display, open_scanner
from devices.lifecycle import DeviceService, State
from devices.printer import ReceiptPrinter
from devices.scanner import SerialScanner
from devices.urls import open_printer
from ui.devices.printing import PrintBridge

log = logging.getLogger(__name__)

# Translators: a device's state in the status bar: set up but could not be opened
NOT_AVAILABLE = N_("not available")
# Translators: a device's state in the status bar: it does not answer
NOT_ANSWERING = N_("not answering")
# Translators: a device's state in the status bar: none is set up
NONE = N_("none")
# Translators: a device's state in the status bar: it works
READY = N_("ready")


DEVICES_KEY = "Ctrl+Shift+D"  # said in messages; the key itself is ui.actions.Action.DEVICES


@dataclass(frozen=True)
class DeviceState:
    """One device as the status bar shows it."""

    text: str  # "closed", "OPEN", "ready", "not found", ... (English, marked: ``label`` is shown)
    kind: str  # the label's style: "ok", "error" or "" (neutral)
    detail: str = ""  # the whole story, for the tooltip (in the screen's language)

    @property
    def label(self) -> str:
        """``text`` in the screen's language."""
        return _(self.text)


def open_receipt_printer(settings: Settings) -> tuple[ReceiptPrinter | None, PrinterProfile, list[str]]:
    """Open and enable the configured printer; a failure is a note, never fatal: sales go
    on, jobs are kept, and the cashier reprints when the printer is back."""
    notes: list[str] = []
    try:
        profile = PrinterProfile(columns=settings.printer_columns, codepage=settings.printer_codepage)
    except ValueError as exc:
        notes.append(_("Printer settings are not valid ({problem}); the defaults are used.").format(problem=exc))
        profile = PrinterProfile()
    if is_none(settings.printer):
        return None, profile, notes
    try:
        printer = open_printer(settings.printer, profile)
        printer.claim()
        printer.enable()
    except CounterError as exc:
        notes.append(_("Receipt printer not available: {problem}").format(problem=problem_text(exc)))
        return None, profile, notes
    return printer, profile, notes


class DeviceBridge(QObject):
    scanned = Signal(object)  # devices.barcodes.ScanData from a serial scanner
    drawer_changed = Signal(object)  # True (open) / False (closed) / None (unknown)
    kick_finished = Signal(str, str)  # request id, error text ("" when the drawer was kicked)
    problem = Signal(str)  # a device failed: a sentence for the status bar
    applied = Signal(object)  # app.config.Settings: devices were set up anew
    terminal_changed = Signal(object)  # counter.payments.terminal.TerminalStatus: the card terminal's new state
    _event = Signal(object)  # from worker threads
    _kick_done = Signal(str, object)  # from worker threads: request id, DeviceError | None
    _terminal_status = Signal(object, object)  # from the watch's thread: TerminalWatch, TerminalStatus

    def __init__(self, ctx: AppContext, printing: PrintBridge) -> None:
        super().__init__()
        self.ctx = ctx
        self.printing = printing
        self.drawer: PrinterDrawer | SerialDrawer | None = None
        self.scanner: SerialScanner | None = None
        self.display: LineDisplay | None = None
        self.terminal_watch: TerminalWatch | None = None  # ctx.card_terminal is its terminal
        #: why a configured device is not running, by kind ("drawer", "scanner", "display", "terminal")
        self.notes: dict[str, str] = {}
        self._event.connect(self._on_event)
        self._terminal_status.connect(self._on_terminal_status)
        self._kick_done.connect(lambda rid, err: self.kick_finished.emit(rid, problem_text(err)))
        self._closed = False

    # ------------------------------------------------------------ lifecycle
    def start(self) -> list[str]:
        """Open the drawer, scanner, display and card terminal of ``ctx.settings``; returns the notes."""
        self.ctx.closers.append(self.close)
        opened = (self._open_drawer(), self._open_scanner(), self._open_display(), self._open_terminal())
        return [n for n in opened if n]

    def apply(self, new: Settings) -> list[str]:
        """Use ``new`` settings: re-open what changed (GUI thread; closing a printer waits
        for its worker to finish the job in hand). Returns notes about what failed."""
        old = self.ctx.settings
        self.ctx.settings = replace(new, problems=[])
        notes: list[str] = []
        printer_changed = (old.printer, old.printer_columns, old.printer_codepage) != (
            new.printer,
            new.printer_columns,
            new.printer_codepage,
        )
        drawer_changed = old.drawer != new.drawer or (printer_changed and isinstance(self.drawer, PrinterDrawer))
        if drawer_changed:
            self._close("drawer")
        if printer_changed:
            old_printer = self.printing.printer
            printer, profile, printer_notes = open_receipt_printer(new)
            notes += printer_notes
            self.printing.set_printer(printer, profile)
            if old_printer is not None:
                old_printer.close()
        if drawer_changed:
            notes.append(self._open_drawer() or "")
        if old.scanner != new.scanner:
            self._close("scanner")
            notes.append(self._open_scanner() or "")
        if (old.display, old.display_command_set) != (new.display, new.display_command_set):
            self._close("display")
            notes.append(self._open_display() or "")
        if old.card_terminal != new.card_terminal:
            self._close_terminal()
            notes.append(self._open_terminal() or "")
        self.applied.emit(self.ctx.settings)
        return [n for n in notes if n]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for kind in ("drawer", "scanner", "display"):
            self._close(kind)
        self._close_terminal()
        if self.printing.printer is not None:
            self.printing.printer.close()

    def _close(self, kind: str) -> None:
        service: DeviceService | None = getattr(self, kind)
        setattr(self, kind, None)
        self.notes.pop(kind, None)
        if service is not None:
            try:
                service.close()
            except Exception:  # closing goes on for the others
                log.exception("closing the %s failed", kind)

    def _start_service(self, kind: str, service: DeviceService) -> str | None:
        """Subscribe, claim and enable ``service``; on failure close it and return a note."""
        try:
            service.subscribe(self._event.emit)  # called on the device's worker thread
            service.claim()
            service.enable()
        except CounterError as exc:
            service.close()
            return self._note(kind, exc)
        setattr(self, kind, service)
        return None

    def _note(self, kind: str, exc: CounterError | Exception) -> str:
        text = problem_text(exc) if isinstance(exc, CounterError) else str(exc)
        said = {
            "drawer": _("Cash drawer not available: {problem}"),
            "scanner": _("Scanner not available: {problem}"),
            "display": _("Customer display not available: {problem}"),
            "terminal": _("Card terminal not available: {problem}"),
        }
        self.notes[kind] = said[kind].format(problem=text)
        return self.notes[kind]

    def _open_drawer(self) -> str | None:
        url = self.ctx.settings.drawer
        if is_none(url):
            return None
        try:
            drawer = open_cash_drawer(url, printer=self.printing.printer)
        except CounterError as exc:
            return self._note("drawer", exc)
        return self._start_service("drawer", drawer)

    def _open_scanner(self) -> str | None:
        url = self.ctx.settings.scanner
        if is_none(url):
            return None  # keyboard-wedge scanners only: ui.devices.wedge reads them
        try:
            scanner = open_scanner(url)
        except CounterError as exc:
            return self._note("scanner", exc)
        return self._start_service("scanner", scanner)

    def _open_display(self) -> str | None:
        url = self.ctx.settings.display
        if is_none(url):
            return None
        try:
            display = open_display(url, command_set=self.ctx.settings.display_command_set)
        except CounterError as exc:
            return self._note("display", exc)
        except ValueError as exc:  # an unknown command set
            return self._note("display", DeviceError(ErrorCode.CONFIG, f"{exc}.", _("Use epson or cd5220.")))
        return self._start_service("display", display)

    def _open_terminal(self) -> str | None:
        """Build the terminal and start its watch; nothing is sent until the watch asks, so
        a terminal that is away shows as "not answering" a moment later, not here."""
        url = self.ctx.settings.card_terminal
        if is_none(url):
            return None
        try:
            terminal = open_card_terminal(url, currency=self.ctx.store.currency.code, data_dir=self.ctx.data_dir)
        except CounterError as exc:
            return self._note("terminal", exc)
        self.ctx.card_terminal = terminal
        watch = TerminalWatch(terminal, on_change=lambda status: self._terminal_status.emit(watch, status))
        self.terminal_watch = watch.start()  # the callback runs on the watch's thread
        return None

    def _close_terminal(self) -> None:
        """Forget the terminal now; its watch's thread closes it once the call in hand ends."""
        watch, self.terminal_watch = self.terminal_watch, None
        self.ctx.card_terminal = None
        self.notes.pop("terminal", None)
        if watch is not None:
            watch.stop(wait=0.0)  # never wait on the terminal here: this is the GUI thread

    @property
    def card_terminal(self) -> PaymentTerminal | None:
        return self.ctx.card_terminal

    def check_terminal_soon(self) -> None:
        """Have the watch ask the terminal now (after a payment or a test)."""
        if self.terminal_watch is not None:
            self.terminal_watch.check_soon()

    def _on_terminal_status(self, watch: TerminalWatch, status: TerminalStatus) -> None:  # GUI thread
        if watch is not self.terminal_watch:
            return  # an answer from a terminal replaced meanwhile
        if not status.ready and not status.busy:
            self.problem.emit(
                _("Card terminal not answering: {status} {hint}").format(status=status.text, hint=_(OFFLINE_HINT))
            )
        self.terminal_changed.emit(status)

    # --------------------------------------------------------------- drawer
    def kick(self, request_id: str) -> None:
        """Open the drawer; the outcome arrives as ``kick_finished``. Raises CounterError at
        once when there is no drawer or it was opened a moment ago. Call only after the
        opening was journaled (``counter.cash.drawer.open_drawer``)."""
        if self.drawer is None:
            raise DeviceError(
                ErrorCode.NO_HARDWARE,
                _("No cash drawer is set up, so it did not open."),
                _("Open it with its key; set the drawer up in Devices ({key}).").format(key=DEVICES_KEY),
            )
        self.drawer.open_drawer(request_id, on_done=lambda rid, err: self._kick_done.emit(rid, err))

    @property
    def drawer_open(self) -> bool | None:
        return self.drawer.opened if self.drawer is not None else None

    def refresh_drawer(self) -> None:
        """Read the drawer's switch soon (a drawer on the printer is read with its status)."""
        if isinstance(self.drawer, PrinterDrawer) and self.drawer.printer.enabled:
            self.drawer.printer.refresh_status()

    @property
    def drawer_simulator(self) -> object | None:
        """The simulator behind the drawer (sim://drawer, or the simulated printer's port)."""
        if self.drawer is None:
            return None
        if isinstance(self.drawer, PrinterDrawer):
            return self.drawer.simulator or self.drawer.printer.simulator
        return self.drawer.simulator

    def close_simulated_drawer(self) -> bool:
        """Push the simulated drawer shut (the demo has no hands); False for real drawers."""
        close = getattr(self.drawer_simulator, "close_drawer", None)
        if close is None:
            return False
        close()
        self.refresh_drawer()
        return True

    # -------------------------------------------------------------- display
    def show(self, *rows: str) -> None:
        """Put ``rows`` on the customer display, if there is one; a failure is logged (the
        display's worker reports it once, as a problem)."""
        if self.display is None:
            return
        try:
            self.display.show(*rows)
        except CounterError as exc:
            log.warning("customer display: %s", problem_text(exc))

    def show_pair(self, left: str, right: str = "", left2: str = "", right2: str = "") -> None:
        if self.display is not None:
            from devices.display import fit

            width = self.display.columns
            self.show(fit(left, right, width), fit(left2, right2, width))

    # --------------------------------------------------------------- states
    # The states' texts are English words marked for the catalogue (``DeviceState.label``
    # shows them translated); "none" is also tested by the status bar.
    def drawer_state(self) -> DeviceState:
        drawer = self.drawer
        if drawer is None:
            note = self.notes.get("drawer")
            return DeviceState(NOT_AVAILABLE, "error", note) if note else DeviceState(NONE, "", _("No cash drawer."))
        error = getattr(drawer, "last_error", None)
        if drawer.state is State.ERROR and error is not None:
            return DeviceState(NOT_ANSWERING, "error", problem_text(error))
        opened = drawer.opened
        if opened is True:
            # Translators: the cash drawer is open (status bar, in capitals: a warning)
            return DeviceState(N_("OPEN"), "error")
        if opened is False:
            # Translators: the cash drawer is closed (status bar)
            return DeviceState(N_("closed"), "ok")
        if not drawer.cap_status:
            return DeviceState(READY, "ok", _("This drawer has no sensor: it cannot say whether it is open."))
        # Translators: a device's state is not known yet (status bar)
        return DeviceState(N_("unknown"), "", _("The drawer's switch has not been read yet (is the printer on?)."))

    def scanner_state(self) -> DeviceState:
        scanner = self.scanner
        if scanner is None:
            note = self.notes.get("scanner")
            if note:
                return DeviceState(NOT_AVAILABLE, "error", note)
            if self.ctx.settings.wedge:
                # Translators: the scanner is read as a keyboard (status bar)
                return DeviceState(N_("keyboard"), "ok", _("USB scanners in keyboard mode are read as scans."))
            return DeviceState(NONE, "", _("No scanner is set up; keyboard scans are read as typing."))
        if scanner.state is State.ERROR:
            # Translators: a device's state: it was not found (status bar)
            return DeviceState(N_("not found"), "error", problem_text(scanner.last_error))
        return DeviceState(READY, "ok", _("Serial scanner {address}").format(address=self.ctx.settings.scanner))

    def display_state(self) -> DeviceState:
        display = self.display
        if display is None:
            note = self.notes.get("display")
            return DeviceState(NOT_AVAILABLE, "error", note) if note else DeviceState(NONE, "", _("No display."))
        if display.state is State.ERROR:
            return DeviceState(NOT_ANSWERING, "error", problem_text(display.last_error))
        return DeviceState(READY, "ok", _("Customer display {address}").format(address=self.ctx.settings.display))

    def terminal_state(self) -> DeviceState:
        """The watch's last answer (never asks the terminal itself: this is the GUI thread)."""
        watch = self.terminal_watch
        if watch is None:
            note = self.notes.get("terminal")
            if note:
                return DeviceState(NOT_AVAILABLE, "error", note)
            return DeviceState(NONE, "", _("No integrated card terminal: cards are taken on a standalone one."))
        url = self.ctx.settings.card_terminal
        reading = watch.reading()
        status = reading.status
        if reading.busy:
            # Translators: the card terminal is busy with a payment (status bar)
            return DeviceState(N_("busy"), "", _("The card terminal {url} is busy with a payment.").format(url=url))
        if status is None:
            # Translators: the card terminal is being asked how it is (status bar)
            return DeviceState(N_("checking…"), "", _("Asking the card terminal {url}…").format(url=url))
        if status.ready:
            where = (
                _("Terminal id {terminal_id} at {url}.").format(terminal_id=status.terminal_id, url=url)
                if status.terminal_id
                else _("At {url}.").format(url=url)
            )
            return DeviceState(READY, "ok", where)
        return DeviceState(NOT_ANSWERING, "error", f"{url}: {status.text} {_(OFFLINE_HINT)}")

    # --------------------------------------------------------------- events
    def _on_event(self, event: object) -> None:  # GUI thread (queued from the workers)
        if isinstance(event, DrawerChanged):
            self.drawer_changed.emit(event.opened)
        elif isinstance(event, DataEvent):
            self.scanned.emit(event.data)
        elif isinstance(event, DeviceErrorEvent) and event.job_id is None:
            self.problem.emit(problem_text(event.error))


__all__ = ["DeviceBridge", "DeviceState", "is_none", "open_receipt_printer", "problem_text"]
