"""ZVT's serial framing: CRC and DLE doubling against ecrterm's frames, and a real
pseudo-terminal round trip against the simulator."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from counter.payments.terminal import Outcome
from devices.errors import DeviceError, ErrorCode
from devices.payment import open_terminal
from devices.payment.zvt import ZvtTerminal
from devices.payment.zvt_link import FrameReader, LinkDeadlines, SerialZvtLink, crc16, frame
from devices.sim.pty import PtyPair
from devices.sim.zvt_terminal import Fault, SimZvtTerminal
from tests.devices.payment.conftest import DEADLINES


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# ecrterm (github.com/mathiasfrey/ecrterm) tests/data_encoding.py: APDU -> whole serial frame
ECRTERM_FRAMES = [
    ("06 00 06 12 34 56 BA 09 78", "10 02 06 00 06 12 34 56 BA 09 78 10 03 24 C3"),  # test_Anmeldung
    # test_Zahlung_eccash: the amount's 0x10 is doubled in the frame, not in the CRC
    ("06 01 0A 04 00 00 00 01 10 00 49 09 78", "10 02 06 01 0A 04 00 00 00 01 10 10 00 49 09 78 10 03 F2 FF"),
    ("06 70 00", "10 02 06 70 00 10 03 D9 F9"),  # test_packet_diagnosis
    ("80 00 00", "10 02 80 00 00 10 03 F5 1F"),  # test_packet_received
    ("84 9C 00", "10 02 84 9C 00 10 03 C3 41"),  # test_packet_received_error
    ("05 01 03 12 34 56", "10 02 05 01 03 12 34 56 10 03 E0 43"),  # test_packet_statusenquiry
]


@pytest.mark.parametrize(("apdu", "framed"), ECRTERM_FRAMES)
def test_frames_match_ecrterm(apdu: str, framed: str) -> None:
    assert frame(h(apdu)) == h(framed)
    [(kind, body)] = FrameReader().feed(h(framed))
    assert (kind, body) == ("frame", h(apdu))


def test_crc_is_low_byte_first() -> None:
    assert crc16(h("80 00 00 03")) == 0x1FF5


def test_reader_skips_noise_and_flags_a_bad_checksum() -> None:
    good = frame(h("06 0F 00"))
    bad = good[:-1] + bytes([good[-1] ^ 0xFF])
    reader = FrameReader()
    events = reader.feed(b"\x00\x55" + b"\x06" + bad + good[:4])
    assert events == [("ack", b""), ("bad", b"")]
    assert reader.mid_frame
    assert reader.feed(good[4:]) == [("frame", h("06 0F 00"))]


@pytest.fixture
def serial_sim() -> Iterator[SimZvtTerminal]:
    simulator = SimZvtTerminal(step_delay=0.001, customer_timeout=0.05, ack_timeout=1.0).start_serial()
    yield simulator
    simulator.stop()


@pytest.fixture
def serial_terminal(serial_sim: SimZvtTerminal) -> Iterator[ZvtTerminal]:
    link = LinkDeadlines(connect=1.0, write=1.0, frame=0.3, link_ack=0.5)
    terminal = open_terminal(serial_sim.serial_url + "?baudrate=9600", deadlines=DEADLINES, link_deadlines=link)
    yield terminal
    terminal.close()


def test_sale_refund_and_end_of_day_over_a_pseudo_terminal(
    serial_sim: SimZvtTerminal, serial_terminal: ZvtTerminal
) -> None:
    seen: list[str] = []
    sale = serial_terminal.sale(1010, on_status=seen.append)  # 0x10 in the amount: DLE doubled on the line
    assert sale.outcome is Outcome.APPROVED and sale.amount_minor == 1010
    assert "Insert or tap the card" in seen
    assert serial_terminal.refund(10, sale.reference).approved
    totals = serial_terminal.end_of_day()
    assert totals.ok and totals.amount_minor == 1000
    assert [t.kind for t in serial_sim.transactions] == ["sale", "refund"]


def test_cut_after_auth_over_serial_is_resolved(serial_sim: SimZvtTerminal, serial_terminal: ZvtTerminal) -> None:
    serial_sim.fault = Fault.CUT_AFTER_AUTH
    answer = serial_terminal.sale(300)
    assert answer.outcome is Outcome.UNKNOWN
    last = serial_terminal.last_transaction()
    assert last is not None and last.approved and last.amount_minor == 300
    assert len(serial_sim.charged()) == 1


def test_link_nak_makes_the_sender_repeat() -> None:
    """A frame the terminal NAKs is sent again, and send() returns once it is ACKed."""
    pair = PtyPair()
    try:
        link = SerialZvtLink(pair.path, deadlines=LinkDeadlines(link_ack=0.3), device="card terminal")
        link.open()
        got: list[bytes] = []

        def terminal_side() -> None:
            first = pair.read(1.0)
            got.append(first)
            pair.write(b"\x15")  # NAK: send it again
            second = pair.read(1.0)
            got.append(second)
            pair.write(b"\x06")

        thread = threading.Thread(target=terminal_side)
        thread.start()
        link.send(h("06 01 07 04 00 00 00 00 01 00"))
        thread.join(2)
        link.close()
        assert got[0] == got[1] == frame(h("06 01 07 04 00 00 00 00 01 00"))
    finally:
        pair.close()


def test_a_terminal_that_never_acks_is_not_sent() -> None:
    """No link ACK after three tries: DeviceError (the request is taken as not sent)."""
    pair = PtyPair()
    try:
        link = SerialZvtLink(pair.path, deadlines=LinkDeadlines(link_ack=0.05), device="card terminal")
        link.open()
        with pytest.raises(DeviceError) as caught:
            link.send(h("06 01 07 04 00 00 00 00 01 00"))
        assert caught.value.code is ErrorCode.TIMEOUT
        link.close()
        sent = pair.read(0.2)
        while more := pair.read(0.05):
            sent += more
        assert sent == frame(h("06 01 07 04 00 00 00 00 01 00")) * 3
    finally:
        pair.close()


def test_a_lost_link_ack_with_an_answer_counts_as_sent() -> None:
    pair = PtyPair()
    try:
        link = SerialZvtLink(pair.path, deadlines=LinkDeadlines(link_ack=1.0), device="card terminal")
        link.open()

        def terminal_side() -> None:
            pair.read(1.0)  # the command; its ACK byte is "lost"
            pair.write(frame(h("80 00 00")))

        thread = threading.Thread(target=terminal_side)
        thread.start()
        link.send(h("06 01 07 04 00 00 00 00 01 00"))  # does not raise
        thread.join(2)
        assert link.receive(0.5) == h("80 00 00")
        assert pair.read(0.5) == b"\x06"  # the link ACKed the terminal's frame
        link.close()
    finally:
        pair.close()
