"""Serial and device-file printer links over real pseudo-terminals (os.openpty)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import pytest

from devices.errors import DeviceError, ErrorCode
from devices.escpos.decode import decode
from devices.escpos.encoder import PrinterProfile, render_receipt
from devices.escpos.status import Paper, parse_status, status_request
from devices.links.base import Deadlines
from devices.links.file import FileLink
from devices.links.serial import SerialLink
from devices.sim.serialprinter import SimSerialPrinter
from devices.urls import open_printer
from tests.devices.support import FAST

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")


@pytest.fixture
def pty_printer() -> Iterator[SimSerialPrinter]:
    sim = SimSerialPrinter().start()
    yield sim
    sim.stop()


@pytest.mark.parametrize(
    "make_link",
    [
        lambda path: SerialLink(path, {"baudrate": 19200}, deadlines=FAST),
        lambda path: FileLink(path, deadlines=FAST),
    ],
    ids=["serial", "file"],
)
def test_status_and_job_over_a_pty(pty_printer, make_link, receipt):
    link = make_link(pty_printer.port_path)
    link.open()
    pty_printer.paper_near_end = True
    status = parse_status({n: link.query(status_request(n)) for n in (1, 2, 3, 4)})
    assert status.online and status.paper is Paper.NEAR_END
    data = render_receipt(receipt, PrinterProfile())
    link.write(data)
    link.close()
    (job,) = pty_printer.wait_for_jobs(1)
    assert job == data
    assert "Smørrebrød" in decode(job).text()


def test_silent_serial_printer_gives_no_reply(pty_printer):
    pty_printer.silent = True
    link = SerialLink(pty_printer.port_path, deadlines=FAST)
    link.open()
    started = time.monotonic()
    assert link.query(status_request(1)) is None
    assert time.monotonic() - started < FAST.status + 0.3
    link.close()


def test_serial_write_timeout_when_the_printer_stops_reading(pty_printer):
    pty_printer.stalled = True
    link = SerialLink(pty_printer.port_path, deadlines=Deadlines(connect=1, write=0.3, status=0.2))
    link.open()
    with pytest.raises(DeviceError) as info:
        link.write(b"x" * 2_000_000)
    assert info.value.code is ErrorCode.TIMEOUT and info.value.may_have_printed
    link.close()


@pytest.mark.parametrize(
    "make_link",
    [
        lambda: SerialLink("/dev/does-not-exist-ttyUSB9", deadlines=FAST),
        lambda: FileLink("/dev/usb/does-not-exist-lp9", deadlines=FAST),
    ],
    ids=["serial", "file"],
)
def test_missing_port_is_no_hardware(make_link):
    with pytest.raises(DeviceError) as info:
        make_link().open()
    assert info.value.code is ErrorCode.NO_HARDWARE
    assert "cannot be found" in info.value.message


@pytest.mark.parametrize("scheme", ["escpos+serial", "escpos+file"])
def test_printer_service_over_serial_and_file(pty_printer, done, scheme):
    url = f"{scheme}://{pty_printer.port_path}" + ("?baudrate=19200" if scheme == "escpos+serial" else "")
    printer = open_printer(url, deadlines=FAST, poll_interval=60)
    with printer:
        printer.submit("ok", b"\x1b@first\n", done)
        assert done.wait("ok") is None
        pty_printer.cover_open = True
        printer.submit("cover", b"\x1b@second\n", done)
        assert done.wait("cover").code is ErrorCode.COVER_OPEN
        pty_printer.cover_open = False
        pty_printer.silent = True
        printer.submit("silent", b"\x1b@third\n", done)
        assert done.wait("silent").code is ErrorCode.TIMEOUT
    assert pty_printer.wait_for_jobs(1) == [b"\x1b@first\n"]
