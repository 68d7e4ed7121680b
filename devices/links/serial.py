"""Serial (RS-232, USB virtual COM) link through pyserial, with deadlines.

``serial_for_url`` rather than ``serial.Serial``: the same code then accepts a real port
(``/dev/ttyUSB0``, ``COM3``), a pseudo-terminal in tests, and pyserial's URL handlers
(``loop://``, ``socket://``, ``spy://``, ``hwgrep://VID:PID``; notes §4.3, §6.3).

Runs on the device's worker thread only.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import serial

from counter.i18n import _
from devices.errors import DeviceError, ErrorCode, device_name, map_exception
from devices.links.base import Deadlines

SerialFactory = Callable[..., Any]


def open_serial(
    port: str,
    settings: Mapping[str, object] | None = None,
    *,
    read_timeout: float | None,
    write_timeout: float | None,
    device: str,
    factory: SerialFactory | None = None,
) -> Any:
    """Open a pyserial port (or anything with its API); every failure is a DeviceError.

    Shared by the printer link, the serial drawer, the scanner and the line display.
    """
    make = factory or serial.serial_for_url
    try:
        return make(port, timeout=read_timeout, write_timeout=write_timeout, **dict(settings or {}))
    except Exception as exc:
        raise map_exception(exc, device=device) from exc


class SerialLink:
    def __init__(
        self,
        port: str,
        settings: Mapping[str, object] | None = None,
        *,
        deadlines: Deadlines | None = None,
        device: str = "receipt printer",
        factory: SerialFactory | None = None,
    ) -> None:
        self.port = port
        self.settings = dict(settings or {})
        self.deadlines = deadlines or Deadlines()
        self.device = device
        self.description = f"serial {port}"
        self._factory = factory
        self._serial: Any = None

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def open(self) -> None:
        if self._serial is None:
            self._serial = open_serial(
                self.port,
                self.settings,
                read_timeout=self.deadlines.status,
                write_timeout=self.deadlines.write,
                device=self.device,
                factory=self._factory,
            )

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()

    def _abort(self) -> None:
        """Close after a failure, dropping unsent output: closing a tty otherwise waits
        (up to 30 s on Linux) for a printer that stopped reading."""
        port = self._serial
        if port is not None:
            with contextlib.suppress(Exception):
                port.reset_output_buffer()
        self.close()

    def write(self, data: bytes) -> None:
        port = self._connected()
        deadline = time.monotonic() + self.deadlines.write
        try:
            written = port.write(data)
            # write() returns once the bytes are in the OS buffer; at 9600 baud a receipt
            # takes seconds to leave it. Wait (within the write deadline) until it has, so
            # the post-check's status request is not stuck behind the job's tail.
            while _out_waiting(port) and time.monotonic() < deadline:
                time.sleep(0.01)
            stuck = _out_waiting(port)
        except Exception as exc:
            self._abort()
            raise map_exception(exc, device=self.device, writing=True) from exc
        if stuck or (written is not None and written != len(data)):
            self._abort()
            raise DeviceError(
                ErrorCode.TIMEOUT,
                _("The {device} stopped taking data.").format(device=device_name(self.device)),
                _("Check whether the receipt came out, then check the printer (paper, cover, power)."),
                device=self.device,
                may_have_printed=True,
            )

    def query(self, request: bytes, reply_size: int = 1) -> bytes | None:
        port = self._connected()
        try:
            port.reset_input_buffer()  # stray bytes would shift the reply
            port.write(request)
            reply = port.read(reply_size)  # bounded by the status deadline (timeout)
        except Exception as exc:
            self._abort()
            raise map_exception(exc, device=self.device) from exc
        return bytes(reply) if reply else None

    def _connected(self) -> Any:
        if self._serial is None:
            raise DeviceError(
                ErrorCode.CLOSED,
                _("The {device} is not connected.").format(device=device_name(self.device)),
                _("Try again; the app reconnects by itself."),
                device=self.device,
            )
        return self._serial


def _out_waiting(port: Any) -> int:
    """Bytes still in the output buffer; 0 when the port cannot tell (URL handlers)."""
    try:
        return int(port.out_waiting or 0)
    except Exception:
        return 0
