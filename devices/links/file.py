"""Device-file link: ``/dev/usb/lp0`` with the Linux ``usblp`` driver (notes §1.3).

The simplest Linux path when the kernel driver owns the printer. Non-blocking I/O with
``select`` so that a printer that stops reading cannot freeze the worker beyond the
write deadline. Status replies are read back when the printer is bidirectional; a
unidirectional one simply never answers (UNKNOWN).

Runs on the device's worker thread only. POSIX only.
"""

from __future__ import annotations

import contextlib
import os
import select
import time

from counter.i18n import _
from devices.errors import DeviceError, ErrorCode, device_name, map_exception
from devices.links.base import Deadlines


class FileLink:
    def __init__(self, path: str, *, deadlines: Deadlines | None = None, device: str = "receipt printer") -> None:
        self.path = path
        self.deadlines = deadlines or Deadlines()
        self.device = device
        self.description = f"file {path}"
        self._fd: int | None = None

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def open(self) -> None:
        if self._fd is not None:
            return
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except Exception as exc:
            raise map_exception(exc, device=self.device) from exc

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def write(self, data: bytes) -> None:
        fd = self._connected()
        view = memoryview(data)
        deadline = time.monotonic() + self.deadlines.write
        try:
            while view:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                _r, ready, _x = select.select([], [fd], [], left)
                if not ready:
                    continue
                try:
                    sent = os.write(fd, view)
                except BlockingIOError:
                    continue
                view = view[sent:]
        except Exception as exc:
            self.close()
            raise map_exception(exc, device=self.device, writing=True) from exc

    def query(self, request: bytes, reply_size: int = 1) -> bytes | None:
        fd = self._connected()
        try:
            self._drain(fd)
            os.write(fd, request)
            reply = b""
            deadline = time.monotonic() + self.deadlines.status
            while len(reply) < reply_size:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                ready, _w, _x = select.select([fd], [], [], left)
                if ready:
                    try:
                        reply += os.read(fd, reply_size - len(reply))
                    except BlockingIOError:
                        continue
        except Exception as exc:
            self.close()
            raise map_exception(exc, device=self.device) from exc
        return reply or None

    def _drain(self, fd: int) -> None:
        while select.select([fd], [], [], 0)[0]:
            try:
                if not os.read(fd, 256):
                    return
            except BlockingIOError:
                return

    def _connected(self) -> int:
        if self._fd is None:
            raise DeviceError(
                ErrorCode.CLOSED,
                _("The {device} is not connected.").format(device=device_name(self.device)),
                _("Try again; the app reconnects by itself."),
                device=self.device,
            )
        return self._fd
