"""Building scanners, drawers and displays from URLs, including the sim:// ones."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from devices.drawer import PrinterDrawer, SerialDrawer
from devices.errors import DeviceError, ErrorCode
from devices.events import DataEvent, DrawerChanged
from devices.factory import open_cash_drawer, open_display, open_scanner
from devices.lifecycle import State
from devices.urls import open_printer
from tests.devices.support import FAST

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")


@posix_only
def test_sim_scanner_end_to_end():
    scanner = open_scanner("sim://scanner")
    got: list[DataEvent] = []
    arrived = threading.Event()
    scanner.subscribe(lambda e: (got.append(e), arrived.set()) if isinstance(e, DataEvent) else None)
    with scanner:
        time.sleep(0.1)
        scanner.simulator.scan_preset("Price label 12.34")
        assert arrived.wait(3)
    assert str(got[0].data.price) == "12.34"
    assert scanner.state is State.CLOSED


def test_sim_drawer_end_to_end():
    drawer = open_cash_drawer("sim://drawer", poll_interval=0.02, status_delay=0.01)
    assert isinstance(drawer, SerialDrawer)
    seen = []
    drawer.subscribe(lambda e: seen.append(e.opened) if isinstance(e, DrawerChanged) else None)
    with drawer:
        drawer.open_drawer("cash-refund-1")
        deadline = time.monotonic() + 3
        while True not in seen and time.monotonic() < deadline:
            time.sleep(0.01)
        drawer.simulator.close_drawer()
        assert drawer.wait_until_closed(3)
    assert seen[:3] == [False, True, False]


@posix_only
def test_sim_display_end_to_end():
    display = open_display("sim://display", command_set="cd5220")
    with display:
        display.show_pair("Welcome", "", "", "")
        assert display.simulator.wait_for("Welcome", "")[0].rstrip() == "Welcome"


def test_drawer_through_the_printer(done):
    printer = open_printer("sim://printer", deadlines=FAST, poll_interval=60)
    drawer = open_cash_drawer("printer", printer=printer, pins=(2, 5))
    assert isinstance(drawer, PrinterDrawer)
    with printer, drawer:
        drawer.open_drawer("payout-3", done)
        assert done.wait("payout-3") is None
    assert printer.simulator.drawer_kicks == 2  # both pins pulsed


@pytest.mark.parametrize(
    "call",
    [
        lambda: open_scanner("escpos+tcp://10.0.0.1"),
        lambda: open_scanner("sim://printer"),
        lambda: open_cash_drawer("escpos+usb://04b8:0202"),
        lambda: open_cash_drawer("printer"),
        lambda: open_display("sim://drawer"),
    ],
)
def test_wrong_urls_are_config_errors(call):
    with pytest.raises(DeviceError) as info:
        call()
    assert info.value.code is ErrorCode.CONFIG and info.value.hint


def test_real_serial_urls_build_without_io():
    scanner = open_scanner("serial:///dev/ttyACM0?baudrate=9600")
    assert scanner.port == "/dev/ttyACM0" and scanner.settings == {"baudrate": 9600}
    display = open_display("serial:///dev/ttyUSB1", command_set="epson")
    drawer = open_cash_drawer("serial:///dev/ttyS0?baudrate=9600", status_line="ri")
    for service in (scanner, display, drawer):
        service.close()


def test_a_machine_without_pseudo_terminals_gets_words_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container or chroot without /dev/pts (found starting the .deb in a minimal Debian):
    the simulated display and scanner say so, and the bridge shows it as a device note."""
    import errno
    import os

    from devices.errors import DeviceError
    from devices.factory import open_display

    def no_pts() -> tuple[int, int]:
        raise OSError(errno.ENODEV, "No such device")

    monkeypatch.setattr(os, "openpty", no_pts)
    with pytest.raises(DeviceError) as refused:
        open_display("sim://display")
    said = refused.value.message + " " + refused.value.hint
    assert "no pseudo-terminals (No such device)" in said and "Mount /dev/pts" in said
