"""The printer service against the simulator: faults before, during and after a job."""

from __future__ import annotations

import threading
import time

import pytest

from devices.errors import DeviceError, ErrorCode
from devices.escpos.decode import decode
from devices.escpos.encoder import PrinterProfile, render_receipt
from devices.escpos.status import Paper
from devices.events import DeviceErrorEvent, OutputComplete, StatusChanged
from devices.lifecycle import State
from devices.links.tcp import TcpLink
from devices.printer import ReceiptPrinter
from devices.urls import open_printer
from tests.devices.support import FAST


class Events:
    def __init__(self) -> None:
        self.items: list[object] = []
        self.lock = threading.Lock()

    def __call__(self, event: object) -> None:
        with self.lock:
            self.items.append(event)

    def of(self, kind: type) -> list:
        with self.lock:
            return [e for e in self.items if isinstance(e, kind)]


@pytest.fixture
def printer(sim):
    p = ReceiptPrinter(
        lambda: TcpLink("127.0.0.1", sim.port, deadlines=FAST),
        poll_interval=60,  # polling is tested on its own; keep it out of the way here
    )
    p.open()
    p.claim()
    p.enable()
    yield p
    p.close()


def test_a_good_job_prints_and_completes(printer, sim, done, receipt):
    events = Events()
    printer.subscribe(events)
    data = render_receipt(receipt, PrinterProfile())
    printer.submit("job-1", data, done)
    assert done.wait("job-1") is None
    assert sim.wait_for_jobs(1) == [data]
    assert "TOTAL" in decode(sim.jobs[0]).text()
    assert [e.job_id for e in events.of(OutputComplete)] == ["job-1"]
    assert printer.status.ready and printer.state is State.IDLE


def test_submit_returns_immediately(printer, sim, done):
    sim.silent = True  # each job would wait for the status deadline
    started = time.monotonic()
    printer.submit("a", b"a\n", done)
    printer.submit("b", b"b\n", done)
    assert time.monotonic() - started < 0.05
    assert done.wait("b").code is ErrorCode.TIMEOUT


@pytest.mark.parametrize(
    "switch, code",
    [("offline", ErrorCode.OFFLINE), ("paper_out", ErrorCode.PAPER_OUT), ("cover_open", ErrorCode.COVER_OPEN)],
)
def test_fault_before_the_job_sends_nothing(printer, sim, done, switch, code):
    setattr(sim, switch, True)
    printer.submit("job", b"receipt\n", done)
    error = done.wait("job")
    assert error.code is code and not error.may_have_printed
    assert error.message.startswith("The receipt printer") and error.hint
    time.sleep(0.05)
    assert sim.jobs == []
    assert printer.state is State.ERROR


def test_silent_printer_times_out_without_hanging(printer, sim, done):
    sim.silent = True
    started = time.monotonic()
    printer.submit("job", b"receipt\n", done)
    error = done.wait("job", timeout=3)
    assert error.code is ErrorCode.TIMEOUT
    assert time.monotonic() - started < 2
    assert not printer.status.known


def test_dropped_mid_job_is_an_error_then_a_good_print_after_recovery(printer, sim, done):
    events = Events()
    printer.subscribe(events)
    sim.drop_mid_job = 100
    printer.submit("job-1", b"x" * 5000, done)
    error = done.wait("job-1")
    assert error.code in (ErrorCode.OFFLINE, ErrorCode.TIMEOUT)
    assert error.may_have_printed  # the cashier must check before printing again
    assert events.of(DeviceErrorEvent)[0].job_id == "job-1"

    sim.drop_mid_job = None
    printer.submit("job-1", b"second\n", done)  # the app decides to reprint: same id is fine now
    done.results.clear()
    assert done.wait("job-1") is None
    assert sim.wait_for_jobs(2)[-1] == b"second\n"


def test_paper_out_after_the_job_may_have_printed(printer, sim, done):
    deadline = time.monotonic() + 2
    while not printer.status.known and time.monotonic() < deadline:
        time.sleep(0.01)  # let the first poll finish
    base = sim.status_queries
    original = sim.status_byte

    def status_byte(n: int) -> bytes:  # paper runs out while the job is sent
        if sim.status_queries > base + 4:
            sim.paper_out = True
        return original(n)

    sim.status_byte = status_byte  # type: ignore[method-assign]
    printer.submit("job", b"long receipt\n", done)
    error = done.wait("job")
    assert error.code is ErrorCode.PAPER_OUT and error.may_have_printed


def test_printer_switched_off_is_offline_then_recovers(printer, sim, done):
    sim.power_off()
    printer.submit("job", b"x\n", done)
    assert done.wait("job").code is ErrorCode.OFFLINE
    assert printer.status.reachable is False
    sim.power_on()
    printer.submit("job2", b"y\n", done)
    assert done.wait("job2") is None


def test_duplicate_job_id_while_queued_is_refused(printer, sim, done):
    sim.silent = True
    printer.submit("same", b"x\n", done)
    with pytest.raises(DeviceError) as info:
        printer.submit("same", b"x\n", done)
    assert info.value.code is ErrorCode.BUSY
    done.wait("same")


def test_never_resends_on_its_own(printer, sim, done):
    sim.drop_mid_job = 50
    printer.submit("job", b"z" * 1000, done)
    done.wait("job")
    time.sleep(0.3)
    assert len(sim.job_records) == 1


def test_lifecycle_rules(sim):
    p = ReceiptPrinter(lambda: TcpLink("127.0.0.1", sim.port, deadlines=FAST), claim_key="k1")
    with pytest.raises(DeviceError) as info:
        p.submit("x", b"x")
    assert info.value.code is ErrorCode.CLOSED
    p.open()
    with pytest.raises(DeviceError) as info:
        p.enable()
    assert info.value.code is ErrorCode.NOT_CLAIMED
    p.claim()
    other = ReceiptPrinter(lambda: TcpLink("127.0.0.1", sim.port), claim_key="k1")
    other.open()
    with pytest.raises(DeviceError) as info:
        other.claim()
    assert info.value.code is ErrorCode.CLAIMED
    with pytest.raises(DeviceError) as info:
        p.submit("x", b"x")
    assert info.value.code is ErrorCode.DISABLED
    p.release()
    other.claim()  # free again after release
    other.close()
    p.close()
    assert p.state is State.CLOSED
    with pytest.raises(DeviceError):
        p.open()


def test_status_polling_emits_only_on_change(sim):
    events = Events()
    p = ReceiptPrinter(lambda: TcpLink("127.0.0.1", sim.port, deadlines=FAST), poll_interval=0.05)
    p.subscribe(events)
    with p:
        time.sleep(0.4)
        assert len(events.of(StatusChanged)) == 1  # the first status, then no change
        sim.paper_near_end = True
        deadline = time.monotonic() + 2
        while len(events.of(StatusChanged)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
    changes = events.of(StatusChanged)
    assert len(changes) == 2
    assert changes[1].status.paper is Paper.NEAR_END and changes[1].previous.paper is Paper.OK


def test_a_failing_subscriber_does_not_stop_the_printer(printer, sim, done):
    printer.subscribe(lambda event: 1 / 0)
    printer.submit("job", b"x\n", done)
    assert done.wait("job") is None


def test_open_printer_with_a_simulated_printer(done, receipt):
    printer = open_printer("sim://printer", PrinterProfile.mm58(), deadlines=FAST, poll_interval=60)
    sim = printer.simulator
    with printer:
        printer.submit("r1", render_receipt(receipt, printer.profile), done)
        assert done.wait("r1") is None
        assert "Café Ñandú" in decode(sim.wait_for_jobs(1)[0]).text()
    assert printer.state is State.CLOSED
    with pytest.raises(OSError):
        import socket

        socket.create_connection(("127.0.0.1", sim.port), timeout=0.5)


def test_a_broken_link_factory_still_ends_the_job(done):
    def factory():
        raise OSError(2, "No such file or directory")

    with ReceiptPrinter(factory, poll_interval=60) as p:
        p.submit("job", b"x\n", done)
        assert done.wait("job").code is ErrorCode.NO_HARDWARE
        assert p.pending == 0
        assert p.last_poll_error.code is ErrorCode.NO_HARDWARE
