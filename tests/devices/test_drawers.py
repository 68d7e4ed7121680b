"""Cash drawers: kicked through the (simulated) printer, and on a serial port."""

from __future__ import annotations

import threading
import time

import pytest
import serial

from devices.drawer import PrinterDrawer, SerialDrawer
from devices.errors import DeviceError, ErrorCode
from devices.escpos.decode import decode
from devices.events import DeviceErrorEvent, DrawerChanged
from devices.links.tcp import TcpLink
from devices.printer import ReceiptPrinter
from devices.sim.drawer import SimSerialDrawer
from tests.devices.support import FAST


class Changes:
    def __init__(self) -> None:
        self.items: list[object] = []
        self.cond = threading.Condition()

    def __call__(self, event: object) -> None:
        with self.cond:
            self.items.append(event)
            self.cond.notify_all()

    def drawer(self) -> list[bool | None]:
        return [e.opened for e in self.items if isinstance(e, DrawerChanged)]

    def wait(self, predicate, timeout: float = 3.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self), timeout), self.items


@pytest.fixture
def printer(sim):
    p = ReceiptPrinter(lambda: TcpLink("127.0.0.1", sim.port, deadlines=FAST), poll_interval=0.05)
    with p:
        yield p


def test_printer_drawer_kicks_with_esc_p_and_reports_open_then_closed(printer, sim, done):
    changes = Changes()
    drawer = PrinterDrawer(printer, pins=(2,), on_ms=50, off_ms=500)
    drawer.subscribe(changes)
    with drawer:
        changes.wait(lambda c: c.drawer() == [False])
        drawer.open_drawer("sale-42", done)
        assert done.wait("sale-42") is None
        changes.wait(lambda c: c.drawer()[-1:] == [True])
        assert drawer.opened is True and sim.drawer_kicks == 1
        sim.close_drawer()
        assert drawer.wait_until_closed(3) is True
    kick = decode(sim.wait_for_jobs(1)[0]).ops_named("kick")
    assert kick[0].args == (0, 25, 250)  # pin 2, 50 ms on, 500 ms off


def test_printer_drawer_is_rate_limited(printer, sim, done):
    with PrinterDrawer(printer, min_interval=5) as drawer:
        drawer.open_drawer("a", done)
        with pytest.raises(DeviceError) as info:
            drawer.open_drawer("b", done)
        assert info.value.code is ErrorCode.BUSY
        assert done.wait("a") is None


def test_kick_goes_out_even_without_paper_but_not_when_offline(printer, sim, done):
    with PrinterDrawer(printer, min_interval=0) as drawer:
        sim.paper_near_end = True
        drawer.open_drawer("near-end", done)
        assert done.wait("near-end") is None
        sim.power_off()
        drawer.open_drawer("off", done)
        assert done.wait("off").code is ErrorCode.OFFLINE


def test_realtime_pulse_opens_even_while_paper_is_out(printer, sim, done):
    sim.paper_out = True
    with PrinterDrawer(printer, realtime=True) as drawer:
        drawer.open_drawer("no-sale-7", done)
        assert done.wait("no-sale-7") is None
    assert sim.drawer_open and sim.drawer_kicks == 1
    assert decode(sim.wait_for_jobs(1)[0]).ops_named("realtime_pulse")


def test_stale_kick_is_dropped(sim, done):
    sim.silent = True  # the job before the kick takes the whole status deadline
    p = ReceiptPrinter(lambda: TcpLink("127.0.0.1", sim.port, deadlines=FAST), poll_interval=60)
    with p, PrinterDrawer(p, ttl=0.1) as drawer:
        p.submit("slow-receipt", b"x\n", done)
        drawer.open_drawer("late", done)
        error = done.wait("late")
    assert error.code is ErrorCode.TIMEOUT and "dropped" in error.message
    assert sim.drawer_kicks == 0


def test_serial_drawer_with_simulated_port():
    sim = SimSerialDrawer(status_line="cts")
    changes = Changes()
    drawer = SerialDrawer("sim", status_line="cts", poll_interval=0.02, status_delay=0.01, factory=sim.factory)
    drawer.subscribe(changes)
    results: list[tuple[str, object]] = []
    with drawer:
        changes.wait(lambda c: c.drawer() == [False])
        drawer.open_drawer("refund-9", lambda rid, err: results.append((rid, err)))
        changes.wait(lambda c: c.drawer()[-1:] == [True])
        sim.close_drawer()
        changes.wait(lambda c: c.drawer()[-1:] == [False])
    assert results == [("refund-9", None)]
    assert sim.kicks == 1


def test_serial_drawer_polarity_and_no_sensor():
    sim = SimSerialDrawer(status_line="ri", open_when_high=False)
    with SerialDrawer(
        "sim", status_line="ri", open_when_high=False, poll_interval=0.02, status_delay=0.01, factory=sim.factory
    ) as drawer:
        deadline = time.monotonic() + 2
        while drawer.opened is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert drawer.opened is False
    with SerialDrawer("sim", status_line=None, factory=sim.factory) as blind:
        assert blind.opened is None and blind.wait_until_closed(0.1) is None


def test_unplugged_serial_drawer_reports_and_fails_kicks():
    sim = SimSerialDrawer()
    sim.unplugged = True
    changes = Changes()
    results: list[tuple[str, object]] = []
    with SerialDrawer("sim", factory=sim.factory, poll_interval=0.02, reconnect_interval=0.05) as drawer:
        drawer.subscribe(changes)
        drawer.open_drawer("x", lambda rid, err: results.append((rid, err)))
        changes.wait(lambda c: any(isinstance(e, DeviceErrorEvent) and e.job_id == "x" for e in c.items))
    assert results[0][1].code is ErrorCode.NO_HARDWARE


def test_serial_drawer_reads_a_real_pyserial_modem_line():
    # loop:// wires RTS to CTS: the drawer holds RTS high (power), so CTS reads high;
    # dropping RTS from the test side stands for the switch closing.
    ports = []

    def factory(url, **kwargs):
        port = serial.serial_for_url(url, **kwargs)
        ports.append(port)
        return port

    changes = Changes()
    with SerialDrawer("loop://", status_line="cts", poll_interval=0.02, factory=factory) as drawer:
        drawer.subscribe(changes)
        deadline = time.monotonic() + 2
        while drawer.opened is not True and time.monotonic() < deadline:
            time.sleep(0.01)
        assert drawer.opened is True
        ports[0].rts = False
        changes.wait(lambda c: c.drawer()[-1:] == [False])
