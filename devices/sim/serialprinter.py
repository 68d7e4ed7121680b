"""A simulated ESC/POS printer behind a serial port: a pseudo-terminal pair.

``port_path`` is a real tty (``/dev/pts/N``) that pyserial, ``SerialLink`` and
``FileLink`` open like a USB-serial printer; the simulator reads the other end (the pty
master) on its own thread and answers ``DLE EOT`` like ``SimNetworkPrinter`` does (same
``SimPrinterModel``). A serial line has no connections, so a job ends at the next
``ESC @`` or after ``idle_gap`` seconds without data. POSIX only (ptys have no modem
lines; see ``devices.sim.serialport`` for those).
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from collections.abc import Callable

from devices.sim.printer_model import SimJob, SimPrinterModel


class SimSerialPrinter(SimPrinterModel):
    def __init__(
        self,
        *,
        idle_gap: float = 0.15,
        drawer_open_when_high: bool = True,
        on_job: Callable[[SimJob], None] | None = None,
    ) -> None:
        super().__init__(drawer_open_when_high=drawer_open_when_high, on_job=on_job)
        self.idle_gap = idle_gap
        self.port_path = ""
        self._master: int | None = None
        self._slave: int | None = None
        self._thread: threading.Thread | None = None
        self._running = False

    def start(self) -> SimSerialPrinter:
        if self._running:
            return self
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF translation: a byte pipe like a real port
        self._master, self._slave = master, slave
        self.port_path = os.ttyname(slave)
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="sim-serial-printer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None

    def __enter__(self) -> SimSerialPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"escpos+serial://{self.port_path}"

    # --- simulator thread ---

    def _loop(self) -> None:
        master = self._master
        assert master is not None
        raw = bytearray()
        printable = bytearray()
        scan = 0
        last_data = time.monotonic()

        def reply(answer: bytes) -> None:
            with contextlib.suppress(OSError):  # stopping: nobody will read the answer
                os.write(master, answer)

        while self._running:
            if self.stalled:
                time.sleep(0.02)
                continue
            ready, _, _ = select.select([master], [], [], 0.02)
            if not ready:
                if printable and scan == len(raw) and time.monotonic() - last_data > self.idle_gap:
                    self._finish(raw, printable)
                    raw, printable, scan = bytearray(), bytearray(), 0
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:
                time.sleep(0.02)  # EIO while nobody has the port open: wait for a client
                continue
            last_data = time.monotonic()
            start = len(printable)
            raw += chunk
            scan = self._scan(reply, raw, printable, scan, final=False)
            # ESC @ after printed data starts a new job
            cut = printable.find(b"\x1b@", max(1, start - 1))
            if cut > 0:
                head = printable[:cut]
                self._record(SimJob(bytes(head), bytes(head), True))
                del printable[:cut]
        if printable:
            self._finish(raw, printable)

    def _finish(self, raw: bytearray, printable: bytearray) -> None:
        self._record(SimJob(bytes(printable), bytes(raw), True))
