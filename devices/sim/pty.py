"""A pseudo-terminal pair that stands in for a serial device (POSIX only).

``path`` is a real tty (``/dev/pts/N``) the production code opens with pyserial like any
COM port; the simulator reads and writes the other end (the master). The slave end is
kept open by the simulator so the master never sees EIO between the client's opens.
Raw mode: no echo, no CR/LF translation, like a real serial line.
"""

from __future__ import annotations

import contextlib
import os
import select
import tty

from counter.i18n import _
from devices.errors import DeviceError, ErrorCode


class PtyPair:
    def __init__(self) -> None:
        try:
            self.master, self._slave = os.openpty()
        except OSError as exc:  # a container or chroot without /dev/pts (ENODEV, ENOENT)
            raise DeviceError(
                ErrorCode.NO_HARDWARE,
                _(
                    "This machine offers no pseudo-terminals ({reason}), which the simulated "
                    "customer display and scanner use, so they are off."
                ).format(reason=exc.strerror or exc),
                _("Mount /dev/pts (devpts), or set the display and scanner to none in Devices."),
            ) from None
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)

    def write(self, data: bytes) -> None:
        """Send ``data`` to whoever has ``path`` open (simulator side)."""
        view = memoryview(data)
        while view:
            written = os.write(self.master, view)
            view = view[written:]

    def read(self, timeout: float) -> bytes:
        """What the client wrote, or b"" after ``timeout`` seconds."""
        ready, _w, _x = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.master, 4096)
        except OSError:
            return b""

    def close(self) -> None:
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
