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

import contextlib
import socket
import threading
import time
from collections.abc import Callable

from devices.sim.printer_model import SimJob, SimPrinterModel

__all__ = ["SimJob", "SimNetworkPrinter"]


class SimNetworkPrinter(SimPrinterModel):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        drawer_open_when_high: bool = True,
        on_job: Callable[[SimJob], None] | None = None,
        keep: int | None = None,
    ) -> None:
        super().__init__(drawer_open_when_high=drawer_open_when_high, on_job=on_job, keep=keep)
        self.host = host
        self._requested_port = port
        self.port = 0
        self.connections = 0
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
        self._accept_thread = threading.Thread(target=self._accept_loop, name=f"sim-printer:{self.port}", daemon=True)
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)  # wakes accept() at once on Linux
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

        def reply(answer: bytes) -> None:
            with contextlib.suppress(OSError):  # the client went away; it will notice
                client.sendall(answer)

        try:
            try:
                client.settimeout(0.2)
            except OSError:
                return  # stop() closed it before this thread ran; finally cleans up
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
                    scan = self._scan(reply, raw, printable, scan, final=True)
                    complete = False
                    dropped = True
                    break
                raw += chunk
                scan = self._scan(reply, raw, printable, scan, final=False)
            else:
                complete = False
            if complete:
                self._scan(reply, raw, printable, scan, final=True)
        finally:
            _close_quietly(client)
            with self._lock:
                self._clients.discard(client)
        if printable or dropped:
            self._record(SimJob(bytes(printable), bytes(raw), complete))


def _close_quietly(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
