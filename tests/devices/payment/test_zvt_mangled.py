"""Mangled answers from a raw TCP peer: whatever the bytes, the client returns an Answer or
raises DeviceError, and never approves an amount other than the one asked."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator

import pytest

from counter.payments.terminal import Outcome
from devices.errors import DeviceError
from devices.payment.zvt import ZvtDeadlines, ZvtTerminal
from devices.payment.zvt_codec import amount_bmp, bcd, encode_apdu, encode_bmp, masked_pan
from devices.payment.zvt_link import LinkDeadlines, TcpZvtLink

ASKED = 1000
GOOD_INFO = encode_apdu(
    0x04,
    0x0F,
    b"\x27\x00"
    + amount_bmp(ASKED)
    + encode_bmp(0x0B, bcd(17, 3))
    + masked_pan("4242")
    + encode_bmp(0x29, bcd(52500042, 4))
    + encode_bmp(0x3C, b"APPROVED")
    + encode_bmp(0x87, bcd(17, 2))
    + encode_bmp(0x8B, b"Visa"),
)


class RawPeer:
    """Answers registration properly, then answers the next command with ``script``."""

    def __init__(self, script: bytes) -> None:
        self.script = script
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.settimeout(2)
            try:
                conn.recv(64)  # registration
                conn.sendall(b"\x80\x00\x00\x06\x0f\x00")
                got = b""
                while b"\x06\x01" not in got:  # the till's ACK, then the sale (maybe in one read)
                    chunk = conn.recv(64)
                    if not chunk:
                        return
                    got += chunk
                conn.sendall(b"\x80\x00\x00" + self.script)
                while conn.recv(64):
                    pass
            except OSError:
                pass

    def close(self) -> None:
        self.server.close()
        self.thread.join(2)


def mangled(seed: int) -> bytes:
    rng = random.Random(seed)
    data = bytearray(GOOD_INFO + b"\x06\x0f\x00")
    for _ in range(rng.randint(1, 3)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    if rng.random() < 0.3:
        del data[rng.randrange(len(data)) :]
    return bytes(data)


@pytest.fixture
def deadlines() -> Iterator[ZvtDeadlines]:
    yield ZvtDeadlines(ack=0.5, idle=0.15, total=1.0)


@pytest.mark.parametrize("seed", range(24))
def test_mangled_status_information(seed: int, deadlines: ZvtDeadlines) -> None:
    peer = RawPeer(mangled(seed))
    link = LinkDeadlines(connect=0.5, write=0.5, frame=0.1)
    terminal = ZvtTerminal(lambda: TcpZvtLink("127.0.0.1", peer.port, deadlines=link, device="t"), deadlines=deadlines)
    try:
        answer = terminal.sale(ASKED)
    except DeviceError:
        return  # refused before starting: allowed, nothing charged
    finally:
        terminal.close()
        peer.close()
    assert answer.text
    if answer.outcome is Outcome.APPROVED:
        assert answer.amount_minor == ASKED


def test_the_unmangled_script_is_an_approval(deadlines: ZvtDeadlines) -> None:
    peer = RawPeer(GOOD_INFO + b"\x06\x0f\x00")
    terminal = ZvtTerminal(lambda: TcpZvtLink("127.0.0.1", peer.port, device="t"), deadlines=deadlines)
    try:
        answer = terminal.sale(ASKED)
    finally:
        terminal.close()
        peer.close()
    assert answer.outcome is Outcome.APPROVED
    assert (answer.amount_minor, answer.reference, answer.pan_last4) == (ASKED, "0017/000017", "4242")
