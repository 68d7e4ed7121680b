"""Raw TCP (port 9100, "JetDirect") link with deadlines on every call.

One connection per job or status check: network printers often accept a single
client, and a fresh connection recovers by itself after the printer was power-cycled
(notes §1.11, §7.3). Runs on the device's worker thread only.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time

from counter.i18n import _
from devices.errors import DeviceError, ErrorCode, device_name, map_exception, offline
from devices.links.base import Deadlines


class TcpLink:
    def __init__(
        self,
        host: str,
        port: int = 9100,
        *,
        deadlines: Deadlines | None = None,
        device: str = "receipt printer",
    ) -> None:
        self.host = host
        self.port = port
        self.deadlines = deadlines or Deadlines()
        self.device = device
        self.description = f"tcp {host}:{port}"
        self._sock: socket.socket | None = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def open(self) -> None:
        if self._sock is not None:
            return
        self._sock = connect(self.host, self.port, self.deadlines.connect, self.device)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            hang_up(sock)

    def write(self, data: bytes) -> None:
        sock = self._connected()
        # Since Python 3.5 the timeout of sendall() bounds the whole call, not each send().
        sock.settimeout(self.deadlines.write)
        try:
            sock.sendall(data)
        except Exception as exc:
            self.close()
            raise map_exception(exc, device=self.device, writing=True) from exc

    def query(self, request: bytes, reply_size: int = 1) -> bytes | None:
        sock = self._connected()
        self._drain(sock)
        sock.settimeout(self.deadlines.status)
        try:
            sock.sendall(request)
            reply = bytearray()
            deadline = time.monotonic() + self.deadlines.status
            while len(reply) < reply_size:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                sock.settimeout(left)
                chunk = sock.recv(reply_size - len(reply))
                if not chunk:
                    self.close()
                    raise offline(self.device)  # the printer closed the connection
                reply += chunk
        except TimeoutError:
            pass
        except DeviceError:
            raise
        except Exception as exc:
            self.close()
            raise map_exception(exc, device=self.device) from exc
        return bytes(reply) if reply else None

    def _connected(self) -> socket.socket:
        if self._sock is None:
            raise DeviceError(
                ErrorCode.CLOSED,
                _("The {device} is not connected.").format(device=device_name(self.device)),
                _("Try again; the app reconnects by itself."),
                device=self.device,
            )
        return self._sock

    def _drain(self, sock: socket.socket) -> None:
        """Discard stray bytes (late replies, ASB) so the next reply lines up."""
        while True:
            ready, _w, _x = select.select([sock], [], [], 0)
            if not ready:
                return
            try:
                sock.setblocking(False)
                chunk = sock.recv(256)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.close()
                raise map_exception(exc, device=self.device) from exc
            finally:
                if self._sock is not None:
                    sock.setblocking(True)
            if not chunk:
                self.close()
                raise offline(self.device)


def connect(host: str, port: int, timeout: float, device: str) -> socket.socket:
    """A TCP connection for a device (Nagle off: small frames go at once); DeviceError when
    it cannot be made. Shared by the printer's link and the card terminal's."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except Exception as exc:
        raise map_exception(exc, device=device) from exc
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def hang_up(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
