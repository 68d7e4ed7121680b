"""Build scanners, drawers and displays from their configured URLs.

(Printers: ``devices.urls.open_printer``.) Every factory returns an *opened* service (not
claimed, not enabled) and does no I/O. For ``sim://`` URLs it starts the simulator, puts
it on ``service.simulator`` for the demo's hardware panel, and stops it on ``close()``.
The composition root (``ui``) calls these once at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from counter.i18n import N_, _
from devices.barcodes import DEFAULT_RULES, EmbeddedRule
from devices.display import CommandSet, LineDisplay
from devices.drawer import PrinterDrawer, SerialDrawer
from devices.errors import DeviceError, ErrorCode
from devices.lifecycle import DeviceService
from devices.printer import ReceiptPrinter
from devices.scanner import SerialScanner
from devices.urls import bad_url, parse_device_url

S = TypeVar("S", bound=DeviceService)


def open_scanner(
    url: str, *, name: str = "scanner", rules: Sequence[EmbeddedRule] = DEFAULT_RULES, **options: Any
) -> SerialScanner:
    """``serial:///dev/ttyACM0?baudrate=9600`` (or ``escpos+serial``-style paths) or ``sim://scanner``."""
    parsed = parse_device_url(url)
    if parsed.scheme == "sim":
        _expect(parsed.sim_kind, "scanner", url)
        from devices.sim.scanner import SimScanner

        sim = SimScanner().start()
        scanner = SerialScanner(sim.port_path, name=name, rules=rules, **options)
        return _with_sim(scanner, sim, sim.stop)
    if parsed.scheme != "serial":
        raise _unsupported(url, "scanners", "serial:///dev/ttyACM0?baudrate=9600")
    scanner = SerialScanner(parsed.path, parsed.serial_settings(), name=name, rules=rules, **options)
    scanner.open()
    return scanner


def open_cash_drawer(
    url: str | None, *, printer: ReceiptPrinter | None = None, name: str = "cash drawer", **options: Any
) -> PrinterDrawer | SerialDrawer:
    """``printer`` (or empty): kicked through ``printer``; ``serial:///dev/ttyS0``; ``sim://drawer``.

    Options go to ``PrinterDrawer`` (pins, on_ms, off_ms, realtime, ttl, min_interval) or
    ``SerialDrawer`` (open_sequence, status_line, open_when_high, poll_interval, ...).
    """
    if not url or url.strip().lower() in ("printer", "printer://"):
        if printer is None:
            raise DeviceError(
                ErrorCode.CONFIG,
                _("The cash drawer is set to open through the receipt printer, but no printer is set up."),
                _("Set up the receipt printer, or give the drawer its own port."),
            )
        drawer: PrinterDrawer | SerialDrawer = PrinterDrawer(printer, name=name, **options)
        drawer.open()
        return drawer
    parsed = parse_device_url(url)
    if parsed.scheme == "sim":
        _expect(parsed.sim_kind, "drawer", url)
        from devices.sim.drawer import SimSerialDrawer

        sim = SimSerialDrawer(
            open_sequence=options.get("open_sequence", b"\x07"),
            status_line=options.get("status_line", "cts") or "cts",
            open_when_high=options.get("open_when_high", True),
        )
        drawer = SerialDrawer("sim://drawer", name=name, factory=sim.factory, **options)
        return _with_sim(drawer, sim, None)
    if parsed.scheme != "serial":
        raise _unsupported(
            url, N_("cash drawers connect through a serial port here"), "serial:///dev/ttyS0, or printer"
        )
    drawer = SerialDrawer(parsed.path, parsed.serial_settings(), name=name, **options)
    drawer.open()
    return drawer


def open_display(url: str, *, name: str = "customer display", **options: Any) -> LineDisplay:
    """``serial:///dev/ttyUSB1?baudrate=9600`` or ``sim://display``; options: columns, rows,
    command_set ("epson" | "cd5220"), codepage."""
    if "command_set" in options:
        options["command_set"] = CommandSet(options["command_set"])
    parsed = parse_device_url(url)
    if parsed.scheme == "sim":
        _expect(parsed.sim_kind, "display", url)
        from devices.sim.display import SimLineDisplay

        sim = SimLineDisplay(options.get("columns", 20), options.get("rows", 2)).start()
        display = LineDisplay(sim.port_path, name=name, **options)
        return _with_sim(display, sim, sim.stop)
    if parsed.scheme != "serial":
        raise _unsupported(
            url, N_("customer displays connect through a serial port here"), "serial:///dev/ttyUSB1?baudrate=9600"
        )
    display = LineDisplay(parsed.path, parsed.serial_settings(), name=name, **options)
    display.open()
    return display


def _with_sim(service: S, sim: object, stop: Callable[[], None] | None) -> S:
    service.simulator = sim
    if stop is not None:
        service.add_close_hook(stop)
    service.open()
    return service


#: what a sim:// address of the wrong kind is told, whole sentences per kind wanted
_NOT_SIM = {
    "scanner": (N_("this is not a scanner"), N_("Use sim://scanner for a simulated scanner.")),
    "drawer": (N_("this is not a drawer"), N_("Use sim://drawer for a simulated drawer.")),
    "display": (N_("this is not a display"), N_("Use sim://display for a simulated display.")),
}


def _expect(kind: str, wanted: str, url: str) -> None:
    if kind != wanted:
        why, hint = _NOT_SIM.get(wanted, (f"this is not a {wanted}", f"Use sim://{wanted} for a simulated {wanted}."))
        raise bad_url(url, _(why), _(hint))


def _unsupported(url: str, why: str, example: str) -> DeviceError:
    """``why`` is marked with ``N_``; ``example`` is an address, kept as it is."""
    return bad_url(url, _(why), _("For example {address}.").format(address=example))


__all__ = ["open_cash_drawer", "open_display", "open_scanner"]
