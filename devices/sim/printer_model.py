"""What a simulated ESC/POS printer does with the bytes it receives, whatever the cable.

Shared by the TCP simulator (``netprinter.py``) and the serial one (``serialprinter.py``):
fault switches, the drawer, answers to ``DLE EOT n`` (fixed bits ``0x12`` plus flags),
and the record of jobs with the real-time requests taken out (a printer does not print
those). The front-ends call ``_scan`` from their I/O thread; the switches are plain
attributes that any thread may set (a test sets them between jobs).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from devices.escpos.status import encode_status

log = logging.getLogger(__name__)

DLE, EOT, DC4, ESC = 0x10, 0x04, 0x14, 0x1B


@dataclass(frozen=True)
class SimJob:
    data: bytes  # what would print (status requests removed)
    raw: bytes  # everything received for this job
    complete: bool  # False when the simulator dropped the connection mid-job


class SimPrinterModel:
    def __init__(
        self,
        *,
        drawer_open_when_high: bool = True,
        on_job: Callable[[SimJob], None] | None = None,
        keep: int | None = None,
    ) -> None:
        self.drawer_open_when_high = drawer_open_when_high
        self.on_job = on_job  # called on the simulator's I/O thread

        # fault switches
        self.offline = False
        self.paper_out = False
        self.paper_near_end = False
        self.cover_open = False
        self.cutter_error = False
        self.silent = False
        self.stalled = False
        self.drop_mid_job: int | None = None

        self.drawer_open = False
        self.drawer_kicks = 0
        self.status_queries = 0
        #: the jobs received, the newest ``keep`` of them when bounded (the app's built-in
        #: printer: a long shift must not keep every receipt's bytes); ``received`` counts all
        self.job_records: collections.deque[SimJob] = collections.deque(maxlen=keep)
        self.received = 0
        self._lock = threading.Condition()

    @property
    def jobs(self) -> list[bytes]:
        with self._lock:
            return [job.data for job in self.job_records]

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """Block until ``count`` jobs arrived (connections closed); returns all jobs."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.received < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {count} jobs, got {self.received}")
                self._lock.wait(left)
            return [job.data for job in self.job_records]

    def close_drawer(self) -> None:
        self.drawer_open = False

    def status_byte(self, n: int) -> bytes:
        """The answer to ``DLE EOT n`` for the current switches."""
        pin3_high = self.drawer_open if self.drawer_open_when_high else not self.drawer_open
        return encode_status(
            n,
            offline=self.offline or self.cover_open or self.paper_out,
            drawer_pin3_high=pin3_high,
            cover_open=self.cover_open,
            paper_near_end=self.paper_near_end,
            paper_out=self.paper_out,
            cutter_error=self.cutter_error,
        )

    def _record(self, job: SimJob) -> None:
        with self._lock:
            self.job_records.append(job)
            self.received += 1
            self._lock.notify_all()
        if self.on_job is not None:
            try:
                self.on_job(job)
            except Exception:  # a preview bug must not kill the simulated printer
                log.exception("on_job callback failed")

    def _scan(
        self, reply: Callable[[bytes], None], raw: bytearray, printable: bytearray, pos: int, *, final: bool
    ) -> int:
        """Handle real-time commands in ``raw[pos:]``; copy the rest to ``printable``.

        Returns where to resume. A possibly incomplete command at the end waits for more
        bytes unless ``final``.
        """
        n = len(raw)
        while pos < n:
            b = raw[pos]
            if not final and self._maybe_split(raw, pos):
                break  # the start of a command split across reads: wait for the rest
            if b == DLE and pos + 2 < n and raw[pos + 1] == EOT and raw[pos + 2] in (1, 2, 3, 4):
                self.status_queries += 1
                if not self.silent:
                    reply(self.status_byte(raw[pos + 2]))
                pos += 3
                continue
            if b == DLE and pos + 4 < n and raw[pos + 1] == DC4 and raw[pos + 2] == 1:
                self._kick(realtime=True)  # DLE DC4 1 m t: real-time pulse, works offline too
            elif b == ESC and pos + 4 < n and raw[pos + 1] == ord("p"):
                self._kick()  # ESC p m t1 t2
            printable.append(b)
            pos += 1
        return pos

    @staticmethod
    def _maybe_split(raw: bytearray, pos: int) -> bool:
        n = len(raw)
        b = raw[pos]
        if b == DLE:
            if pos + 1 >= n:
                return True
            if raw[pos + 1] == EOT:
                return pos + 2 >= n
            return raw[pos + 1] == DC4 and pos + 4 >= n
        if b == ESC:
            return pos + 1 >= n or (raw[pos + 1] == ord("p") and pos + 4 >= n)
        return False

    def _kick(self, *, realtime: bool = False) -> None:
        if realtime or not (self.offline or self.cover_open or self.paper_out):
            self.drawer_open = True
            self.drawer_kicks += 1
