"""How the simulated card terminal sends and receives APDUs: a TCP connection or a
pseudo-terminal with ZVT's serial framing (see ``devices.payment.zvt_link``).

Each channel is used by one simulator thread. ``receive`` returns one APDU's bytes or
None after the timeout and raises ``ChannelGone`` when the other side went away. The
``send_*`` variants for bad input (a cut message, raw bytes) exist for the fault switches.
"""

from __future__ import annotations

import contextlib
import socket
import time

from devices.payment.zvt_codec import data_length, header_size
from devices.payment.zvt_link import ACK, NAK, SEND_TRIES, FrameReader, frame
from devices.sim.pty import PtyPair


class ChannelGone(Exception):
    """The client closed the connection (or the simulator stopped)."""


class TcpChannel:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = bytearray()
        sock.settimeout(0.05)

    def send(self, apdu: bytes) -> None:
        self.send_raw(apdu)

    def send_raw(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise ChannelGone from exc

    def send_cut(self, apdu: bytes) -> None:
        self.send_raw(apdu[: max(3, len(apdu) // 2)])

    def receive(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while True:
            apdu = self._take()
            if apdu is not None:
                return apdu
            if time.monotonic() >= deadline:
                return None
            try:
                chunk = self._sock.recv(4096)
            except TimeoutError:
                continue
            except OSError as exc:
                raise ChannelGone from exc
            if not chunk:
                raise ChannelGone
            self._buf += chunk

    def _take(self) -> bytes | None:
        if len(self._buf) < 3:
            return None
        size = header_size(bytes(self._buf[:3]))
        if len(self._buf) < size:
            return None
        total = size + data_length(bytes(self._buf[:size]))
        if len(self._buf) < total:
            return None
        apdu = bytes(self._buf[:total])
        del self._buf[:total]
        return apdu

    def drop(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._sock.close()


class SerialChannel:
    """The terminal's end of a serial line: frames out (waiting for the link ACK, up to
    three tries), frames in (ACK or NAK by checksum)."""

    def __init__(self, pty: PtyPair, *, link_ack: float = 1.0) -> None:
        self._pty = pty
        self._reader = FrameReader()
        self._frames: list[bytes] = []
        self.link_ack = link_ack

    def send(self, apdu: bytes) -> None:
        data = frame(apdu)
        for _ in range(SEND_TRIES):
            self._pty.write(data)
            deadline = time.monotonic() + self.link_ack
            while time.monotonic() < deadline:
                kinds = self._pump(min(0.05, deadline - time.monotonic()))
                if "ack" in kinds:
                    return
                if "nak" in kinds:
                    break
        raise ChannelGone  # the till does not take our frames: give up this exchange

    def send_raw(self, data: bytes) -> None:
        self._pty.write(data)

    def send_cut(self, apdu: bytes) -> None:
        data = frame(apdu)
        self._pty.write(data[: len(data) // 2])

    def receive(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while not self._frames and time.monotonic() < deadline:
            self._pump(min(0.05, max(0.0, deadline - time.monotonic())))
        return self._frames.pop(0) if self._frames else None

    def _pump(self, timeout: float) -> list[str]:
        chunk = self._pty.read(timeout)
        kinds = []
        for kind, body in self._reader.feed(chunk):
            kinds.append(kind)
            if kind == "frame":
                self._pty.write(bytes([ACK]))
                self._frames.append(body)
            elif kind == "bad":
                self._pty.write(bytes([NAK]))
        return kinds

    def drop(self) -> None:
        """A serial line cannot hang up: forget what was under way."""
        self._reader = FrameReader()
        self._frames.clear()
