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
TEST_ROWS = ("Counter display test", "12345678901234567890")


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
        raise DeviceError(ErrorCode.CONFIG, f"“{kind}” is not a kind of device.", f"Use one of: {', '.join(KINDS)}.")
    if kind == "drawer" and url.strip().lower() == "printer":
        return kind
    parsed = parse_device_url(url)
    if parsed.is_escpos:
        if kind not in (None, "printer"):
            raise DeviceError(ErrorCode.CONFIG, f"“{url}” is a receipt printer's address, not a {kind}'s.", "")
        return "printer"
    if parsed.scheme.startswith("zvt+"):
        if kind not in (None, "terminal"):
            raise DeviceError(ErrorCode.CONFIG, f"“{url}” is a card terminal's address, not a {kind}'s.", "")
        return "terminal"
    if parsed.scheme == "sim":
        if kind not in (None, parsed.sim_kind):
            raise DeviceError(ErrorCode.CONFIG, f"“{url}” is a simulated {parsed.sim_kind}, not a {kind}.", "")
        return parsed.sim_kind
    if kind == "terminal":
        raise DeviceError(
            ErrorCode.CONFIG,
            "A card terminal's address starts with zvt+tcp:// or zvt+serial:// (or is sim://terminal).",
            f"For a terminal on that serial port use zvt+{url}." if parsed.scheme == "serial" else "",
        )
    if kind is None:
        raise DeviceError(
            ErrorCode.CONFIG,
            f"“{url}” could be a scanner, a cash drawer or a customer display.",
            "Say which with --kind scanner, --kind drawer or --kind display.",
        )
    if kind == "printer":
        raise DeviceError(
            ErrorCode.CONFIG, "A serial receipt printer's address starts with escpos+serial://.", f"Use escpos+{url}."
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
        described = status.describe() if status is not None else "Not answering"
        if not print_test:
            if status is not None and status.ready:
                return CheckResult(True, f"Receipt printer {url}: {described}.")
            why = problem_text(printer.last_poll_error) or "Check that it is on, has paper and its cover is shut."
            return CheckResult(False, f"Receipt printer {url}: {described}. {why}")
        done = threading.Event()
        errors: list[DeviceError | None] = []

        def finished(_job: str, error: DeviceError | None) -> None:  # printer worker thread
            errors.append(error)
            done.set()

        printer.submit("test-page", render_test_page(profile), on_done=finished)
        if not done.wait(timeout):
            return CheckResult(False, f"The test page did not finish within {timeout:.0f} s. Check the printer.")
        if errors[0] is not None:
            return CheckResult(False, f"The test page did not print: {problem_text(errors[0])}")
        return CheckResult(True, f"Test page printed on {url} ({printer.status.describe()}).")
    except CounterError as exc:
        return CheckResult(False, f"Receipt printer {url}: {problem_text(exc)}")
    finally:
        printer.close()


def check_drawer(url: str, *, printer_url: str = "", profile: PrinterProfile | None = None) -> CheckResult:
    """The drawer's switch, read without opening it."""
    if is_none(url):
        return CheckResult(True, "No cash drawer is set up.")
    printer = None
    drawer: PrinterDrawer | SerialDrawer | None = None
    try:
        if url.strip().lower() == "printer":
            if is_none(printer_url):
                return CheckResult(False, "The drawer is set to open through the printer, but no printer is set up.")
            printer = open_printer(printer_url, profile or PrinterProfile())
            printer.claim()
            status = _status_after_enable(printer, timeout=6.0)
            if status is None or not status.known:
                return CheckResult(False, f"The printer {printer_url} does not answer, so its drawer cannot be read.")
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
            return CheckResult(False, f"Cash drawer {url}: {problem_text(error)}")
        opened = drawer.opened
        if opened is None:
            if not drawer.cap_status:
                return CheckResult(True, f"Cash drawer {url}: connected (it has no sensor to say open or closed).")
            return CheckResult(False, f"Cash drawer {url}: its switch could not be read. Check the cable.")
        return CheckResult(True, f"Cash drawer {url}: {'open' if opened else 'closed'}.")
    except CounterError as exc:
        return CheckResult(False, f"Cash drawer {url}: {problem_text(exc)}")
    finally:
        if drawer is not None:
            drawer.close()
        if printer is not None:
            printer.close()


def check_scanner(url: str, *, wait: float = 0.0) -> CheckResult:
    """Open the scanner's port; with ``wait``, also wait that long for one scan."""
    if is_none(url):
        return CheckResult(True, "No serial scanner is set up; keyboard-wedge scanners need no set-up.")
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
            return CheckResult(False, f"Scanner {url}: {problem_text(event.error)}")
        if isinstance(event, DataEvent):
            return CheckResult(True, f"Scanner {url}: read {describe_scan(event.data)}.")
        if wait:
            return CheckResult(False, f"Scanner {url}: the port is open, but nothing was scanned in {wait:.0f} s.")
        return CheckResult(True, f"Scanner {url}: the port is open. Scan a barcode in the app to see it.")
    except CounterError as exc:
        return CheckResult(False, f"Scanner {url}: {problem_text(exc)}")
    finally:
        scanner.close()


def check_display(url: str, *, rows: tuple[str, ...] | None = TEST_ROWS, timeout: float = 3.0) -> CheckResult:
    """Open the display and (with ``rows``) show them; without rows, just open its port."""
    if is_none(url):
        return CheckResult(True, "No customer display is set up.")
    display: LineDisplay = open_display(url)
    try:
        display.claim()
        display.enable()
        display.show(*(rows or ("", "")))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and display.last_error is None and not display.shown:
            time.sleep(0.02)
        if display.last_error is not None:
            return CheckResult(False, f"Customer display {url}: {problem_text(display.last_error)}")
        if not display.shown:
            return CheckResult(False, f"Customer display {url}: nothing could be written in {timeout:.0f} s.")
        if rows:
            return CheckResult(True, f"Customer display {url} shows: “{' / '.join(r.strip() for r in rows)}”.")
        return CheckResult(True, f"Customer display {url}: ready.")
    except CounterError as exc:
        return CheckResult(False, f"Customer display {url}: {problem_text(exc)}")
    finally:
        display.close()


def check_terminal(url: str, *, in_use: PaymentTerminal | None = None, currency: str = "EUR") -> CheckResult:
    """Ask the terminal its status, then (when it is ready) its own check of the line to its
    bank (ZVT diagnosis). ``in_use`` is the app's terminal when ``url`` is the address it runs
    (the calls wait their turn behind a payment); otherwise a terminal is opened for the
    check and closed after it (a simulated one starts with an empty ledger)."""
    if is_none(url):
        return CheckResult(True, "No card terminal is set up: cards are taken on a standalone terminal and keyed in.")
    terminal = in_use if in_use is not None else open_card_terminal(url, currency=currency)
    try:
        status = terminal.status()
        tid = f" (terminal id {status.terminal_id})" if status.terminal_id else ""
        if status.busy:
            return CheckResult(False, f"Card terminal {url} is busy with a payment. Test again when it is finished.")
        if not status.ready:
            return CheckResult(False, f"Card terminal {url} is not answering: {status.text} {OFFLINE_HINT}")
        diagnosis = terminal.diagnose()
        if diagnosis.ready:
            return CheckResult(True, f"Card terminal {url}{tid}: ready, and it reaches its bank.")
        return CheckResult(
            False,
            f"Card terminal {url}{tid} answers, but its own check failed: {diagnosis.text} "
            "Card payments may be refused; if this stays, call the terminal's provider.",
        )
    except CounterError as exc:
        return CheckResult(False, f"Card terminal {url}: {problem_text(exc)}")
    finally:
        if in_use is None:
            terminal.close()


def describe_scan(scan: ScanData) -> str:
    """A scan in words for the test panels: what kind, and the lookup key."""
    if scan.error:
        return f"“{scan.raw}”, which is not valid: {scan.error}"
    what = {
        "gtin": "a product barcode",
        "variable_measure": "a price/weight label",
        "gs1": "a GS1 code",
        "text": "text",
        "invalid": "an invalid code",
    }.get(str(scan.kind), str(scan.kind))
    parts = [f"{what} “{scan.text}”"]
    if scan.symbology:
        parts.append(scan.symbology.replace("_", " "))
    if scan.gtin:
        parts.append(f"GTIN {scan.gtin}")
    if scan.value is not None and scan.measure is not None:
        parts.append(f"{scan.measure} {scan.value}")
    return ", ".join(parts)
