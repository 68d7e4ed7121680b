"""Checking a device by its URL: open it, ask its state, (optionally) use it, close it.

Shared by ``counter devices test`` / ``print-test`` and by the device settings dialog,
which runs them on a short-lived worker thread for addresses the app is not using yet.
Every function blocks (seconds at most, bounded by the device deadlines): never call one
on the GUI thread. Each returns a ``CheckResult`` whose text is one line saying what
happened and what to do; a URL that cannot be parsed raises DeviceError(CONFIG).

A check never opens a cash drawer: every opening is journaled with a person's name, so
the app does that (a no-sale), not a test. A card terminal check asks its status and its
own diagnosis, never a payment.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from app.card_terminal import OFFLINE_HINT, open_card_terminal
from counter.errors import CounterError
from counter.i18n import N_, _
from counter.payments.terminal import PaymentTerminal
from devices.barcodes import ScanData
from devices.display import LineDisplay
from devices.drawer import PrinterDrawer, SerialDrawer
from devices.errors import DeviceError, ErrorCode
from devices.escpos.encoder import PrinterProfile, render_test_page
from devices.escpos.status import PrinterStatus
from devices.events import DataEvent, DeviceErrorEvent, DrawerChanged, StatusChanged
from devices.factory import open_cash_drawer, open_display, open_scanner
from devices.lifecycle import DeviceService, State
from devices.urls import open_printer, parse_device_url

KINDS = ("printer", "drawer", "scanner", "display", "terminal")
#: The setting (app.config.Settings) that holds each kind's address.
SETTING = {kind: kind for kind in KINDS} | {"terminal": "card_terminal"}
#: what the display test shows (the first row translated when shown: ``display_test_rows()``)
TEST_ROWS = (N_("Counter display test"), "12345678901234567890")


def display_test_rows() -> tuple[str, ...]:
    """``TEST_ROWS`` in the current language."""
    return (_(TEST_ROWS[0]), *TEST_ROWS[1:])


def is_none(url: str) -> bool:
    """Settings that mean "no such device"."""
    return url.strip().lower() in ("", "none", "off")


def problem_text(error: CounterError | None) -> str:
    return f"{error.message} {error.hint}".strip() if error is not None else ""


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    text: str


def kind_of(url: str, kind: str | None = None) -> str:
    """Which kind of device ``url`` is (``kind`` when given and possible)."""
    if kind is not None and kind not in KINDS:
        raise DeviceError(
            ErrorCode.CONFIG,
            _("“{kind}” is not a kind of device.").format(kind=kind),
            _("Use one of: {choices}.").format(choices=", ".join(KINDS)),
        )
    if kind == "drawer" and url.strip().lower() == "printer":
        return kind
    parsed = parse_device_url(url)
    if parsed.is_escpos:
        if kind not in (None, "printer"):
            # Translators: {kind} is the kind asked for, as typed after --kind (drawer, scanner, display, terminal)
            message = _("“{address}” is a receipt printer's address, not a {kind}'s.").format(address=url, kind=kind)
            raise DeviceError(ErrorCode.CONFIG, message, "")
        return "printer"
    if parsed.scheme.startswith("zvt+"):
        if kind not in (None, "terminal"):
            message = _("“{address}” is a card terminal's address, not a {kind}'s.").format(address=url, kind=kind)
            raise DeviceError(ErrorCode.CONFIG, message, "")
        return "terminal"
    if parsed.scheme == "sim":
        if kind not in (None, parsed.sim_kind):
            message = _("“{address}” is a simulated {sim_kind}, not a {kind}.").format(
                address=url, sim_kind=parsed.sim_kind, kind=kind
            )
            raise DeviceError(ErrorCode.CONFIG, message, "")
        return parsed.sim_kind
    if kind == "terminal":
        raise DeviceError(
            ErrorCode.CONFIG,
            _("A card terminal's address starts with zvt+tcp:// or zvt+serial:// (or is sim://terminal)."),
            _("For a terminal on that serial port use {address}.").format(address=f"zvt+{url}")
            if parsed.scheme == "serial"
            else "",
        )
    if kind is None:
        raise DeviceError(
            ErrorCode.CONFIG,
            _("“{address}” could be a scanner, a cash drawer or a customer display.").format(address=url),
            _("Say which with --kind scanner, --kind drawer or --kind display."),
        )
    if kind == "printer":
        raise DeviceError(
            ErrorCode.CONFIG,
            _("A serial receipt printer's address starts with escpos+serial://."),
            _("Use {address}.").format(address=f"escpos+{url}"),
        )
    return kind


def check(url: str, kind: str, *, printer_url: str = "", profile: PrinterProfile | None = None) -> CheckResult:
    """Open, read the state, close: for ``counter devices test`` and the list."""
    if kind == "printer":
        return check_printer(url, profile or PrinterProfile())
    if kind == "drawer":
        return check_drawer(url, printer_url=printer_url, profile=profile)
    if kind == "scanner":
        return check_scanner(url, wait=0.0)
    if kind == "terminal":
        return check_terminal(url)
    return check_display(url)


def _status_after_enable(service: DeviceService, timeout: float) -> PrinterStatus | None:
    """Wait for a printer's first status (read by its worker right after enable())."""
    seen = threading.Event()
    box: list[PrinterStatus] = []

    def on_event(event: object) -> None:  # printer worker thread
        if isinstance(event, StatusChanged):
            box.append(event.status)
            seen.set()

    unsubscribe = service.subscribe(on_event)
    try:
        service.enable()
        seen.wait(timeout)
    finally:
        unsubscribe()
    return box[-1] if box else None


def check_printer(url: str, profile: PrinterProfile, *, print_test: bool = False, timeout: float = 20.0) -> CheckResult:
    printer = open_printer(url, profile)
    try:
        printer.claim()
        status = _status_after_enable(printer, timeout=6.0)
        described = status.describe() if status is not None else _("Not answering")
        if not print_test:
            if status is not None and status.ready:
                return CheckResult(True, _("Receipt printer {address}: {state}.").format(address=url, state=described))
            why = problem_text(printer.last_poll_error) or _("Check that it is on, has paper and its cover is shut.")
            text = _("Receipt printer {address}: {state}. {problem}").format(address=url, state=described, problem=why)
            return CheckResult(False, text)
        done = threading.Event()
        errors: list[DeviceError | None] = []

        def finished(_job: str, error: DeviceError | None) -> None:  # printer worker thread
            errors.append(error)
            done.set()

        printer.submit("test-page", render_test_page(profile), on_done=finished)
        if not done.wait(timeout):
            text = _("The test page did not finish within {seconds} s. Check the printer.").format(
                seconds=f"{timeout:.0f}"
            )
            return CheckResult(False, text)
        if errors[0] is not None:
            return CheckResult(
                False, _("The test page did not print: {problem}").format(problem=problem_text(errors[0]))
            )
        text = _("Test page printed on {address} ({state}).").format(address=url, state=printer.status.describe())
        return CheckResult(True, text)
    except CounterError as exc:
        return CheckResult(
            False, _("Receipt printer {address}: {problem}").format(address=url, problem=problem_text(exc))
        )
    finally:
        printer.close()


def check_drawer(url: str, *, printer_url: str = "", profile: PrinterProfile | None = None) -> CheckResult:
    """The drawer's switch, read without opening it."""
    if is_none(url):
        return CheckResult(True, _("No cash drawer is set up."))
    printer = None
    drawer: PrinterDrawer | SerialDrawer | None = None
    try:
        if url.strip().lower() == "printer":
            if is_none(printer_url):
                return CheckResult(False, _("The drawer is set to open through the printer, but no printer is set up."))
            printer = open_printer(printer_url, profile or PrinterProfile())
            printer.claim()
            status = _status_after_enable(printer, timeout=6.0)
            if status is None or not status.known:
                text = _("The printer {address} does not answer, so its drawer cannot be read.")
                return CheckResult(False, text.format(address=printer_url))
            drawer = open_cash_drawer("printer", printer=printer)
        else:
            drawer = open_cash_drawer(url)
        changed = threading.Event()
        drawer.subscribe(lambda e: changed.set() if isinstance(e, DrawerChanged | DeviceErrorEvent) else None)
        drawer.claim()
        drawer.enable()
        changed.wait(2.0)
        error = getattr(drawer, "last_error", None)
        if drawer.state is State.ERROR and error is not None:
            return CheckResult(
                False, _("Cash drawer {address}: {problem}").format(address=url, problem=problem_text(error))
            )
        opened = drawer.opened
        if opened is None:
            if not drawer.cap_status:
                text = _("Cash drawer {address}: connected (it has no sensor to say open or closed).")
                return CheckResult(True, text.format(address=url))
            text = _("Cash drawer {address}: its switch could not be read. Check the cable.")
            return CheckResult(False, text.format(address=url))
        text = _("Cash drawer {address}: open.") if opened else _("Cash drawer {address}: closed.")
        return CheckResult(True, text.format(address=url))
    except CounterError as exc:
        return CheckResult(False, _("Cash drawer {address}: {problem}").format(address=url, problem=problem_text(exc)))
    finally:
        if drawer is not None:
            drawer.close()
        if printer is not None:
            printer.close()


def check_scanner(url: str, *, wait: float = 0.0) -> CheckResult:
    """Open the scanner's port; with ``wait``, also wait that long for one scan."""
    if is_none(url):
        return CheckResult(True, _("No serial scanner is set up; keyboard-wedge scanners need no set-up."))
    scanner = open_scanner(url)
    got = threading.Event()
    box: list[object] = []

    def on_event(event: object) -> None:  # scanner worker thread
        if isinstance(event, DataEvent | DeviceErrorEvent):
            box.append(event)
            got.set()

    try:
        scanner.subscribe(on_event)
        scanner.claim()
        scanner.enable()
        got.wait(max(wait, 1.0))
        event = box[0] if box else None
        if isinstance(event, DeviceErrorEvent):
            return CheckResult(
                False, _("Scanner {address}: {problem}").format(address=url, problem=problem_text(event.error))
            )
        if isinstance(event, DataEvent):
            text = _("Scanner {address}: read {scan}.").format(address=url, scan=describe_scan(event.data))
            return CheckResult(True, text)
        if wait:
            text = _("Scanner {address}: the port is open, but nothing was scanned in {seconds} s.")
            return CheckResult(False, text.format(address=url, seconds=f"{wait:.0f}"))
        text = _("Scanner {address}: the port is open. Scan a barcode in the app to see it.")
        return CheckResult(True, text.format(address=url))
    except CounterError as exc:
        return CheckResult(False, _("Scanner {address}: {problem}").format(address=url, problem=problem_text(exc)))
    finally:
        scanner.close()


def check_display(url: str, *, rows: tuple[str, ...] | None = TEST_ROWS, timeout: float = 3.0) -> CheckResult:
    """Open the display and (with ``rows``) show them; without rows, just open its port."""
    if rows == TEST_ROWS:
        rows = display_test_rows()
    if is_none(url):
        return CheckResult(True, _("No customer display is set up."))
    display: LineDisplay = open_display(url)
    try:
        display.claim()
        display.enable()
        display.show(*(rows or ("", "")))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and display.last_error is None and not display.shown:
            time.sleep(0.02)
        if display.last_error is not None:
            text = _("Customer display {address}: {problem}").format(
                address=url, problem=problem_text(display.last_error)
            )
            return CheckResult(False, text)
        if not display.shown:
            text = _("Customer display {address}: nothing could be written in {seconds} s.")
            return CheckResult(False, text.format(address=url, seconds=f"{timeout:.0f}"))
        if rows:
            text = _("Customer display {address} shows: “{rows}”.")
            return CheckResult(True, text.format(address=url, rows=" / ".join(r.strip() for r in rows)))
        return CheckResult(True, _("Customer display {address}: ready.").format(address=url))
    except CounterError as exc:
        return CheckResult(
            False, _("Customer display {address}: {problem}").format(address=url, problem=problem_text(exc))
        )
    finally:
        display.close()


def check_terminal(url: str, *, in_use: PaymentTerminal | None = None, currency: str = "EUR") -> CheckResult:
    """Ask the terminal its status, then (when it is ready) its own check of the line to its
    bank (ZVT diagnosis). ``in_use`` is the app's terminal when ``url`` is the address it runs
    (the calls wait their turn behind a payment); otherwise a terminal is opened for the
    check and closed after it (a simulated one starts with an empty ledger)."""
    if is_none(url):
        return CheckResult(
            True, _("No card terminal is set up: cards are taken on a standalone terminal and keyed in.")
        )
    terminal = in_use if in_use is not None else open_card_terminal(url, currency=currency)
    try:
        status = terminal.status()
        if status.terminal_id:
            named = _("{address} (terminal id {terminal_id})").format(address=url, terminal_id=status.terminal_id)
        else:
            named = url
        if status.busy:
            text = _("Card terminal {address} is busy with a payment. Test again when it is finished.")
            return CheckResult(False, text.format(address=url))
        if not status.ready:
            text = _("Card terminal {address} is not answering: {problem} {hint}")
            return CheckResult(False, text.format(address=url, problem=status.text, hint=_(OFFLINE_HINT)))
        diagnosis = terminal.diagnose()
        if diagnosis.ready:
            return CheckResult(
                True, _("Card terminal {terminal}: ready, and it reaches its bank.").format(terminal=named)
            )
        text = _(
            "Card terminal {terminal} answers, but its own check failed: {problem} "
            "Card payments may be refused; if this stays, call the terminal's provider."
        )
        return CheckResult(False, text.format(terminal=named, problem=diagnosis.text))
    except CounterError as exc:
        return CheckResult(
            False, _("Card terminal {address}: {problem}").format(address=url, problem=problem_text(exc))
        )
    finally:
        if in_use is None:
            terminal.close()


#: a scan of each kind in words, with its code
_SCAN_KINDS = {
    "gtin": N_("a product barcode “{code}”"),
    "variable_measure": N_("a price/weight label “{code}”"),
    "gs1": N_("a GS1 code “{code}”"),
    "text": N_("text “{code}”"),
    "invalid": N_("an invalid code “{code}”"),
}


def describe_scan(scan: ScanData) -> str:
    """A scan in words for the test panels: what kind, and the lookup key."""
    if scan.error:
        return _("“{code}”, which is not valid: {problem}").format(code=scan.raw, problem=scan.error)
    what = _SCAN_KINDS.get(str(scan.kind))
    parts = [_(what).format(code=scan.text) if what else f"{scan.kind} “{scan.text}”"]
    if scan.symbology:
        parts.append(scan.symbology.replace("_", " "))
    if scan.gtin:
        parts.append(f"GTIN {scan.gtin}")
    if scan.value is not None and scan.measure is not None:
        parts.append(f"{scan.measure} {scan.value}")
    return ", ".join(parts)
