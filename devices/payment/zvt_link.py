"""How ZVT APDUs travel: raw over TCP, framed over a serial line.

TCP (ZVT over IP, port 20007 by default): the APDUs themselves, back to back; the
length byte in each header tells where the next one starts.

Serial (RS-232 or USB virtual COM): every APDU is sent as a frame::

    DLE STX  <APDU, each DLE (0x10) doubled>  DLE ETX  CRC-low CRC-high

The CRC is CRC-16/CCITT as ZVT uses it: the reflected polynomial 0x8408, start value 0,
computed over the APDU (undoubled) and the ETX byte, sent low byte first. The receiver
answers each frame with ACK (0x06) when the CRC is right, NAK (0x15) otherwise; the
sender repeats a frame up to three times on NAK or when no ACK comes. This link-layer
ACK is separate from ZVT's application ACK (the ``80 00 00`` APDU), which goes in a
frame of its own. A frame that is never ACKed counts as not sent (``DeviceError``) unless
the terminal's answer frame arrived meanwhile (its ACK byte was lost, it got the command).

Both links: ``send`` raises ``DeviceError`` when the bytes could not go out (nothing was
asked); ``receive`` returns one APDU's bytes, None when nothing came in time, raises
``DeviceError`` when the connection dropped and ``ZvtFormatError`` when what came is not
a ZVT message (a frame cut short, a CRC that stays wrong). Used by one thread at a time
(the caller's), so there is no locking.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from counter.i18n import _
from devices.errors import DeviceError, ErrorCode, device_name, map_exception, offline
from devices.links import tcp
from devices.links.serial import SerialFactory, open_serial
from devices.payment.zvt_codec import ZvtFormatError, data_length, header_size

DLE, STX, ETX, ACK, NAK = 0x10, 0x02, 0x03, 0x06, 0x15
SEND_TRIES = 3


@dataclass(frozen=True)
class LinkDeadlines:
    """Seconds. ``frame`` bounds the rest of a message once its first byte arrived (a
    message cut short is an error, not a wait forever); ``link_ack`` is how long a serial
    frame waits for its ACK byte before it is sent again."""

    connect: float = 5.0
    write: float = 5.0
    frame: float = 2.0
    link_ack: float = 1.0


class ZvtLink(Protocol):
    description: str

    def open(self) -> None: ...

    def close(self) -> None: ...

    def send(self, apdu: bytes) -> None: ...

    def receive(self, timeout: float) -> bytes | None: ...

    def is_alive(self) -> bool:
        """False when the other side is known to have gone (checked before reusing a link)."""
        ...


# --- serial framing (pure) ------------------------------------------------------------------


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _try in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def frame(apdu: bytes) -> bytes:
    crc = crc16(apdu + bytes([ETX]))
    body = apdu.replace(bytes([DLE]), bytes([DLE, DLE]))
    return bytes([DLE, STX]) + body + bytes([DLE, ETX, crc & 0xFF, crc >> 8])


class FrameReader:
    """Turns serial bytes into events: ``("frame", apdu)``, ``("bad", b"")`` for a frame
    whose CRC is wrong, ``("ack", b"")`` / ``("nak", b"")`` for the link-layer bytes.
    Bytes outside a frame that are neither are skipped (line noise)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._in_frame = False

    @property
    def mid_frame(self) -> bool:
        return self._in_frame or bool(self._buf)

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        events: list[tuple[str, bytes]] = []
        self._buf += data
        while self._buf:
            if not self._in_frame:
                first = self._buf[0]
                if first == ACK:
                    events.append(("ack", b""))
                    del self._buf[0]
                elif first == NAK:
                    events.append(("nak", b""))
                    del self._buf[0]
                elif first == DLE and len(self._buf) >= 2 and self._buf[1] == STX:
                    del self._buf[:2]
                    self._in_frame = True
                elif first == DLE and len(self._buf) == 1:
                    return events  # maybe the start of DLE STX
                else:
                    del self._buf[0]
                continue
            end = _frame_end(self._buf)
            if end is None:
                return events
            body, stop = end
            crc = self._buf[stop] | self._buf[stop + 1] << 8
            del self._buf[: stop + 2]
            self._in_frame = False
            events.append(("frame", body) if crc16(body + bytes([ETX])) == crc else ("bad", b""))
        return events


def _frame_end(buf: bytearray) -> tuple[bytes, int] | None:
    """(unescaped body, index of the CRC) when buf holds a whole frame body + CRC."""
    body = bytearray()
    i = 0
    while i < len(buf):
        byte = buf[i]
        if byte != DLE:
            body.append(byte)
            i += 1
            continue
        if i + 1 >= len(buf):
            return None
        nxt = buf[i + 1]
        if nxt == DLE:
            body.append(DLE)
            i += 2
        elif nxt == ETX:
            return (bytes(body), i + 2) if i + 3 < len(buf) else None
        else:  # DLE followed by anything else is not ZVT; keep the byte and go on
            body.append(nxt)
            i += 2
    return None


# --- TCP ----------------------------------------------------------------------------------


class TcpZvtLink:
    def __init__(self, host: str, port: int = 20007, *, deadlines: LinkDeadlines | None = None, device: str) -> None:
        self.host, self.port = host, port
        self.deadlines = deadlines or LinkDeadlines()
        self.device = device
        self.description = f"zvt tcp {host}:{port}"
        self._sock: socket.socket | None = None

    def open(self) -> None:
        if self._sock is not None:
            return
        self._sock = tcp.connect(self.host, self.port, self.deadlines.connect, self.device)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            tcp.hang_up(sock)

    def is_alive(self) -> bool:
        """Terminals often close an idle connection; a command written into a closed one
        would come back as UNKNOWN, so look first. Stray bytes between exchanges are dropped."""
        sock = self._sock
        if sock is None:
            return False
        try:
            while select.select([sock], [], [], 0)[0]:
                sock.setblocking(False)
                try:
                    if not sock.recv(4096):
                        return False
                finally:
                    sock.setblocking(True)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        return True

    def send(self, apdu: bytes) -> None:
        sock = self._connected()
        sock.settimeout(self.deadlines.write)
        try:
            sock.sendall(apdu)
        except Exception as exc:
            self.close()
            raise map_exception(exc, device=self.device) from exc

    def receive(self, timeout: float) -> bytes | None:
        head = self._read(3, time.monotonic() + timeout, first=True)
        if head is None:
            return None
        frame_deadline = time.monotonic() + self.deadlines.frame
        if header_size(head) == 5:
            head += self._need(2, frame_deadline)
        body = self._need(data_length(head), frame_deadline)
        return head + body

    def _need(self, size: int, deadline: float) -> bytes:
        got = self._read(size, deadline, first=False)
        if got is None:
            raise ZvtFormatError("message cut short")
        return got

    def _read(self, size: int, deadline: float, *, first: bool) -> bytes | None:
        sock = self._connected()
        out = bytearray()
        while len(out) < size:
            left = deadline - time.monotonic()
            if left <= 0:
                if first and not out:
                    return None
                raise ZvtFormatError("message cut short")
            sock.settimeout(left)
            try:
                chunk = sock.recv(size - len(out))
            except TimeoutError:
                continue
            except Exception as exc:
                self.close()
                raise map_exception(exc, device=self.device) from exc
            if not chunk:
                self.close()
                raise offline(self.device)
            out += chunk
            if first:
                deadline = max(deadline, time.monotonic() + self.deadlines.frame)
        return bytes(out)

    def _connected(self) -> socket.socket:
        if self._sock is None:
            raise _not_connected(self.device)
        return self._sock


# --- serial -------------------------------------------------------------------------------


class SerialZvtLink:
    def __init__(
        self,
        port: str,
        settings: Mapping[str, object] | None = None,
        *,
        deadlines: LinkDeadlines | None = None,
        device: str,
        factory: SerialFactory | None = None,
    ) -> None:
        self.port = port
        self.settings = dict(settings or {"baudrate": 9600})
        self.deadlines = deadlines or LinkDeadlines()
        self.device = device
        self.description = f"zvt serial {port}"
        self._factory = factory
        self._serial: Any = None
        self._reader = FrameReader()
        self._frames: list[bytes] = []

    def open(self) -> None:
        if self._serial is None:
            self._serial = open_serial(
                self.port,
                self.settings,
                read_timeout=0.05,
                write_timeout=self.deadlines.write,
                device=self.device,
                factory=self._factory,
            )
            self._reader = FrameReader()
            self._frames = []

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.reset_output_buffer()
            with contextlib.suppress(Exception):
                port.close()

    def is_alive(self) -> bool:
        return self._serial is not None  # a serial line has no connection to lose

    def send(self, apdu: bytes) -> None:
        data = frame(apdu)
        for _try in range(SEND_TRIES):
            self._write(data)
            deadline = time.monotonic() + self.deadlines.link_ack
            while time.monotonic() < deadline:
                answer = self._link_byte(deadline)
                if answer == "ack" or self._frames:  # an answer frame without ACK: its ACK was lost
                    return
                if answer == "nak":
                    break
        raise DeviceError(
            ErrorCode.TIMEOUT,
            _("The {device} did not take the request.").format(device=device_name(self.device)),
            _("Check that it is switched on and its cable is plugged in, then try again."),
            device=self.device,
        )

    def receive(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        bad = 0
        extended = False
        while True:
            if self._frames:
                return self._frames.pop(0)
            now = time.monotonic()
            if now >= deadline:
                if not self._reader.mid_frame:
                    return None
                if extended:
                    self._reader = FrameReader()
                    raise ZvtFormatError("frame cut short")
                deadline, extended = now + self.deadlines.frame, True  # let the frame under way finish
            if self._pump(deadline) == "bad":
                bad += 1
                self._write(bytes([NAK]))
                if bad >= SEND_TRIES:
                    raise ZvtFormatError("frames keep arriving with a wrong checksum")

    def _pump(self, deadline: float) -> str | None:
        """Read what is there (until ``deadline``); ACK good frames and queue them."""
        chunk = self._read_some(deadline)
        result: str | None = None
        for kind, body in self._reader.feed(chunk):
            if kind == "frame":
                self._write(bytes([ACK]))
                self._frames.append(body)
                result = "frame"
            elif kind == "bad":
                result = "bad"
        return result

    def _link_byte(self, deadline: float) -> str | None:
        chunk = self._read_some(deadline)
        found: str | None = None
        for kind, body in self._reader.feed(chunk):
            if kind in ("ack", "nak") and found is None:
                found = kind
            elif kind == "frame":  # the terminal's answer came in right behind the ACK
                self._write(bytes([ACK]))
                self._frames.append(body)
        return found

    def _read_some(self, deadline: float) -> bytes:
        port = self._connected()
        while time.monotonic() < deadline:
            try:
                chunk = port.read(max(1, int(port.in_waiting or 0)))
            except Exception as exc:
                self.close()
                raise map_exception(exc, device=self.device) from exc
            if chunk:
                return bytes(chunk)
        return b""

    def _write(self, data: bytes) -> None:
        port = self._connected()
        try:
            port.write(data)
            port.flush()
        except Exception as exc:
            self.close()
            raise map_exception(exc, device=self.device) from exc

    def _connected(self) -> Any:
        if self._serial is None:
            raise _not_connected(self.device)
        return self._serial


def _not_connected(device: str) -> DeviceError:
    return DeviceError(
        ErrorCode.CLOSED,
        _("The {device} is not connected.").format(device=device_name(device)),
        _("Try again; the till reconnects by itself."),
        device=device,
    )
