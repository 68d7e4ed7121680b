"""A simulated ESC/POS network printer: a real TCP server on 127.0.0.1.

Used by the demo (no hardware needed) and by the tests, through the very same TCP link
and printer service as a real printer (notes §6.2, §7.4). It

* keeps every job: the bytes received on one connection are one job (``jobs``), with the
  real-time status requests taken out (a printer does not print those);
* answers ``DLE EOT 1/2/3/4`` with well-formed status bytes (fixed bits ``0x12``)
  reflecting its switches;
* opens its simulated drawer on ``ESC p`` / ``DLE DC4 1`` (``DLE EOT 1`` bit 2 shows it)
  until ``close_drawer()``;
* has fault switches: ``offline``, ``paper_out``, ``paper_near_end``, ``cover_open``,
  ``cutter_error``, ``silent`` (accepts, reads, never answers), ``stalled`` (accepts,
  never reads: writes back up), ``drop_mid_job = N`` (closes a connection after N bytes),
  and ``power_off()`` / ``power_on()`` (connections refused).

Threads: one accept thread, plus one thread per connection. The switches are plain
attributes read by those threads; setting them from any thread is fine (each read is
atomic, and a test sets them between jobs).
"""

from __future__ import annotations

import logging
import socket
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
    raw: bytes  # everything received on the connection
    complete: bool  # False when the simulator dropped the connection mid-job


class SimNetworkPrinter:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        drawer_open_when_high: bool = True,
        on_job: Callable[[SimJob], None] | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.port = 0
        self.drawer_open_when_high = drawer_open_when_high
        self.on_job = on_job  # called on the connection's thread

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
        self.connections = 0
        self.job_records: list[SimJob] = []

        self._lock = threading.Condition()
        self._server: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._clients: set[socket.socket] = set()
        self._running = False

    # --- lifecycle (any thread) ---

    def start(self) -> SimNetworkPrinter:
        if self._running:
            return self
        server = socket.create_server((self.host, self.port or self._requested_port), reuse_port=False)
        server.settimeout(0.2)  # lets the accept loop notice stop()
        self._server = server
        self.port = server.getsockname()[1]
        self._running = True
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"sim-printer:{self.port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._server is not None:
            try:
                self._server.shutdown(socket.SHUT_RDWR)  # wakes accept() at once on Linux
            except OSError:
                pass
            self._server.close()
            self._server = None
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            _close_quietly(client)
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=2)
            self._accept_thread = None

    def power_off(self) -> None:
        """Like pulling the plug: new connections are refused, open ones drop."""
        self.stop()

    def power_on(self) -> None:
        """Back on the same port, so the configured address still works."""
        self.start()

    def __enter__(self) -> SimNetworkPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"escpos+tcp://{self.host}:{self.port}"

    # --- what tests and the demo look at ---

    @property
    def jobs(self) -> list[bytes]:
        with self._lock:
            return [job.data for job in self.job_records]

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """Block until ``count`` jobs arrived (connections closed); returns all jobs."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.job_records) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {count} jobs, got {len(self.job_records)}")
                self._lock.wait(left)
            return [job.data for job in self.job_records]

    def close_drawer(self) -> None:
        self.drawer_open = False

    def clear_faults(self) -> None:
        self.offline = self.paper_out = self.paper_near_end = False
        self.cover_open = self.cutter_error = self.silent = self.stalled = False
        self.drop_mid_job = None

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

    # --- server side (accept thread / connection threads) ---

    def _accept_loop(self) -> None:
        while self._running:
            server = self._server
            if server is None:
                return
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by stop()
            with self._lock:
                self.connections += 1
                self._clients.add(client)
            threading.Thread(
                target=self._serve, args=(client,), name=f"sim-printer-conn:{self.port}", daemon=True
            ).start()

    def _serve(self, client: socket.socket) -> None:
        raw = bytearray()
        printable = bytearray()
        scan = 0  # index in raw of the first byte not yet examined
        complete = True
        dropped = False
        client.settimeout(0.2)
        try:
            while self._running:
                if self.stalled:
                    time.sleep(0.05)  # never read: the client's send buffer fills up
                    continue
                try:
                    chunk = client.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                limit = self.drop_mid_job
                if limit is not None and len(raw) + len(chunk) >= limit:
                    raw += chunk[: max(0, limit - len(raw))]
                    scan = self._scan(client, raw, printable, scan, final=True)
                    complete = False
                    dropped = True
                    break
                raw += chunk
                scan = self._scan(client, raw, printable, scan, final=False)
            else:
                complete = False
            if complete:
                self._scan(client, raw, printable, scan, final=True)
        finally:
            _close_quietly(client)
            with self._lock:
                self._clients.discard(client)
        if printable or dropped:
            job = SimJob(bytes(printable), bytes(raw), complete)
            with self._lock:
                self.job_records.append(job)
                self._lock.notify_all()
            if self.on_job is not None:
                try:
                    self.on_job(job)
                except Exception:  # a preview bug must not kill the simulated printer
                    log.exception("on_job callback failed")

    def _scan(self, client: socket.socket, raw: bytearray, printable: bytearray, pos: int, *, final: bool) -> int:
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
                    try:
                        client.sendall(self.status_byte(raw[pos + 2]))
                    except OSError:
                        pass
                pos += 3
                continue
            if b == DLE and pos + 4 < n and raw[pos + 1] == DC4 and raw[pos + 2] == 1:
                self._kick()  # DLE DC4 1 m t: real-time drawer pulse
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

    def _kick(self) -> None:
        if not (self.offline or self.cover_open or self.paper_out):
            self.drawer_open = True
            self.drawer_kicks += 1


def _close_quietly(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass
