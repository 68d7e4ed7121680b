"""A simulated serial cash drawer: a pyserial-like port object with a drawer behind it.

ptys have no modem lines, so this one is an object with pyserial's API instead (the
subset ``SerialDrawer`` uses): writing the open sequence opens the drawer, and its switch
shows on a modem line (CTS by default) with the configured polarity. ``close_drawer()``
is the cashier pushing it shut. Any thread.
"""

from __future__ import annotations

import threading

from counter.i18n import _
from devices.errors import DeviceError, ErrorCode


class SimDrawerPort:
    """What ``serial.serial_for_url`` would return for a drawer on a COM port."""

    def __init__(self, drawer: SimSerialDrawer) -> None:
        self._drawer = drawer
        self.is_open = True
        self.dtr = False
        self.rts = False
        self.timeout = 0.1

    def write(self, data: bytes) -> int:
        if not self.is_open:
            raise OSError(9, "port closed")
        self._drawer._received(bytes(data), powered=self.dtr or self.rts)
        return len(data)

    def flush(self) -> None:
        pass

    def read(self, size: int = 1) -> bytes:
        return b""

    @property
    def in_waiting(self) -> int:
        return 0

    def reset_input_buffer(self) -> None:
        pass

    def close(self) -> None:
        self.is_open = False

    def _line(self, name: str) -> bool:
        if self._drawer.unplugged:
            raise OSError(5, "Input/output error")
        return self._drawer._level(name)

    cts = property(lambda self: self._line("cts"))
    dsr = property(lambda self: self._line("dsr"))
    ri = property(lambda self: self._line("ri"))
    cd = property(lambda self: self._line("cd"))


class SimSerialDrawer:
    def __init__(
        self, *, open_sequence: bytes = b"\x07", status_line: str = "cts", open_when_high: bool = True
    ) -> None:
        self.open_sequence = open_sequence
        self.status_line = status_line
        self.open_when_high = open_when_high
        self.is_open_drawer = False
        self.kicks = 0
        self.unplugged = False
        self.received = bytearray()
        self._lock = threading.Lock()

    def factory(self, url: str = "", **settings: object) -> SimDrawerPort:
        """Pass as ``SerialDrawer(..., factory=sim.factory)``."""
        if self.unplugged:
            raise DeviceError(ErrorCode.NO_HARDWARE, _("The cash drawer cannot be found."), _("Plug it in."))
        return SimDrawerPort(self)

    def close_drawer(self) -> None:
        with self._lock:
            self.is_open_drawer = False

    def _received(self, data: bytes, *, powered: bool) -> None:
        with self._lock:
            self.received += data
            if self.open_sequence in bytes(self.received) and powered:
                self.received.clear()
                self.is_open_drawer = True
                self.kicks += 1

    def _level(self, name: str) -> bool:
        if name != self.status_line:
            return False
        with self._lock:
            return self.is_open_drawer if self.open_when_high else not self.is_open_drawer
