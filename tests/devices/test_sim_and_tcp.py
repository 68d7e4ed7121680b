"""The simulated network printer and the TCP link, over real loopback sockets."""

from __future__ import annotations

import socket
import time

import pytest

from devices.errors import DeviceError, ErrorCode
from devices.escpos.decode import decode
from devices.escpos.encoder import PrinterProfile, drawer_kick, render_receipt
from devices.escpos.status import Paper, parse_status, status_request
from devices.links.base import Deadlines
from devices.links.tcp import TcpLink
from devices.sim.netprinter import SimNetworkPrinter
from tests.devices.support import FAST


def link_to(sim: SimNetworkPrinter, deadlines: Deadlines = FAST) -> TcpLink:
    link = TcpLink("127.0.0.1", sim.port, deadlines=deadlines)
    link.open()
    return link


def read_status(link: TcpLink):
    return parse_status({n: link.query(status_request(n)) for n in (1, 2, 3, 4)})


def test_receipt_sent_over_tcp_arrives_whole_and_decodes(sim, receipt):
    data = render_receipt(receipt, PrinterProfile())
    link = link_to(sim)
    link.write(data)
    link.close()
    (job,) = sim.wait_for_jobs(1)
    assert job == data
    assert "Crème brûlée" in decode(job).text()


def test_status_requests_are_answered_and_not_printed(sim):
    link = link_to(sim)
    assert read_status(link).ready
    link.write(b"hello\n")
    sim.paper_near_end = True
    assert read_status(link).paper is Paper.NEAR_END
    link.close()
    assert sim.wait_for_jobs(1) == [b"hello\n"]
    assert sim.status_queries == 8


def test_a_status_only_connection_is_not_a_job(sim):
    link = link_to(sim)
    read_status(link)
    link.close()
    time.sleep(0.1)
    assert sim.jobs == []


@pytest.mark.parametrize(
    "switch, check",
    [
        ("offline", lambda s: s.online is False),
        ("cover_open", lambda s: s.cover_open is True and s.online is False),
        ("paper_out", lambda s: s.paper is Paper.EMPTY),
        ("cutter_error", lambda s: s.cutter_error is True),
    ],
)
def test_fault_switches_show_in_status(sim, switch, check):
    setattr(sim, switch, True)
    link = link_to(sim)
    status = read_status(link)
    link.close()
    assert check(status) and not status.ready


def test_drawer_opens_on_kick_and_shows_in_dle_eot_1(sim):
    link = link_to(sim)
    assert read_status(link).drawer_open is False
    link.write(drawer_kick())
    assert read_status(link).drawer_open is True
    sim.close_drawer()
    assert read_status(link).drawer_open is False
    link.close()
    assert sim.drawer_kicks == 1


def test_silent_printer_gives_no_reply_within_the_deadline(sim):
    sim.silent = True
    link = link_to(sim)
    started = time.monotonic()
    assert link.query(status_request(1)) is None
    assert time.monotonic() - started < FAST.status + 0.5
    link.close()


def test_connection_refused_is_offline():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    link = TcpLink("127.0.0.1", port, deadlines=FAST)
    with pytest.raises(DeviceError) as info:
        link.open()
    assert info.value.code is ErrorCode.OFFLINE
    assert "offline" in info.value.message and info.value.hint


def test_stalled_printer_write_times_out(sim):
    sim.stalled = True
    link = link_to(sim, Deadlines(connect=1, write=0.3, status=0.2))
    with pytest.raises(DeviceError) as info:
        link.write(b"x" * 20_000_000)
    assert info.value.code is ErrorCode.TIMEOUT
    assert info.value.may_have_printed


def test_power_off_and_on_keeps_the_port(sim):
    port = sim.port
    sim.power_off()
    with pytest.raises(DeviceError):
        TcpLink("127.0.0.1", port, deadlines=FAST).open()
    sim.power_on()
    assert sim.port == port
    link = link_to(sim)
    assert read_status(link).ready
    link.close()


def test_dropped_connection_keeps_the_partial_job(sim):
    sim.drop_mid_job = 10
    link = link_to(sim)
    with pytest.raises(DeviceError):
        link.write(b"A" * 10)
        time.sleep(0.1)
        link.query(status_request(1))
    link.close()
    sim.wait_for_jobs(1)
    assert sim.job_records[0].complete is False
