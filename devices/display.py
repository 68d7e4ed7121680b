"""Customer-facing line display (pole display), typically 2 rows of 20 characters, on serial.

Two command sets cover most of them: ``epson`` (ESC/POS customer displays such as the
DM-D series and their clones: ``ESC @``, ``ESC t n``, ``US $ x y`` positioning) and
``cd5220`` (``ESC Q A`` / ``ESC Q B`` per row). Each update rewrites every row in full,
padded, so a missed byte never leaves stale characters for long.

Only the latest text matters to a customer, so ``show()`` never queues: it replaces what
is pending, and the worker thread (``display:<name>``) writes the newest text when it is
free. A failed port is reported once and reopened on the next update after
``reconnect_interval``.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
import time
from typing import Any

from devices.errors import DeviceError, map_exception
from devices.escpos.codepages import CodePage, code_page, transliterate
from devices.events import DeviceErrorEvent
from devices.lifecycle import DeviceService, State
from devices.links.serial import SerialFactory, open_serial

log = logging.getLogger(__name__)

ESC, US = b"\x1b", b"\x1f"


class CommandSet(enum.StrEnum):
    EPSON = "epson"
    CD5220 = "cd5220"


def fit(left: str, right: str = "", width: int = 20) -> str:
    """``left`` and ``right`` on one row of ``width``, right flush; left truncated first."""
    if not right:
        return left[:width]
    right = right[:width]
    room = width - len(right) - 1
    if room <= 0:
        return right.rjust(width)
    return left[:room].ljust(room) + " " + right


def render_display(
    rows: tuple[str, ...],
    *,
    columns: int = 20,
    command_set: CommandSet = CommandSet.EPSON,
    page: CodePage | None = None,
) -> bytes:
    """Bytes that put ``rows`` on the display, every row padded to ``columns``."""
    page = page or code_page("CP437")
    encoded = [transliterate(row.replace("\n", " "), page)[:columns].ljust(columns).encode(page.codec) for row in rows]
    if command_set is CommandSet.CD5220:
        out = b"\x0c"  # clear
        for index, text in enumerate(encoded[:2]):
            out += ESC + b"Q" + (b"A" if index == 0 else b"B") + text + b"\r"
        return out
    out = ESC + b"@" + ESC + b"t" + bytes([page.slot])
    for index, text in enumerate(encoded):
        out += US + b"$" + bytes([1, index + 1]) + text  # column 1, row index+1
    return out


class LineDisplay(DeviceService):
    def __init__(
        self,
        port: str,
        settings: dict[str, object] | None = None,
        *,
        name: str = "customer display",
        columns: int = 20,
        rows: int = 2,
        command_set: CommandSet | str = CommandSet.EPSON,
        codepage: str = "CP437",
        write_timeout: float = 1.0,
        reconnect_interval: float = 2.0,
        factory: SerialFactory | None = None,
        claim_key: str | None = None,
    ) -> None:
        super().__init__(name, claim_key=claim_key or f"serial:{port}")
        self.port = port
        self.settings = dict(settings or {})
        self.columns = columns
        self.rows = rows
        self.command_set = CommandSet(command_set)
        self.page = code_page(codepage)
        self.write_timeout = write_timeout
        self.reconnect_interval = reconnect_interval
        self._factory = factory
        self._pending: tuple[str, ...] | None = None
        self._wake = threading.Condition()
        self._stopping = False
        self._worker: threading.Thread | None = None
        self._serial: Any = None
        self._failed_at = 0.0
        self.last_error: DeviceError | None = None
        #: what was last written successfully (for a diagnostics screen and tests)
        self.shown: tuple[str, ...] = ()

    # --- API (any thread) ---

    def show(self, *lines: str) -> None:
        """Replace the text; rows beyond ``rows`` are ignored, missing rows are blank."""
        rows = tuple(lines[: self.rows]) + ("",) * max(0, self.rows - len(lines))
        with self._lock:
            self._require_enabled()
        with self._wake:
            self._pending = rows
            self._wake.notify()

    def show_pair(self, left: str, right: str = "", left2: str = "", right2: str = "") -> None:
        """Two label/amount rows, e.g. ("Crème brûlée", "€7.00", "Total", "€23.97")."""
        self.show(fit(left, right, self.columns), fit(left2, right2, self.columns))

    def clear(self) -> None:
        self.show()

    # --- worker ---

    def _start(self) -> None:
        self._stopping = False
        self._worker = threading.Thread(target=self._run, name=f"display:{self.name}", daemon=True)
        self._worker.start()

    def _stop(self, timeout: float) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        worker, self._worker = self._worker, None
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)

    def _run(self) -> None:  # display worker thread
        try:
            while True:
                with self._wake:
                    self._wake.wait_for(lambda: self._stopping or self._pending is not None)
                    if self._stopping and self._pending is None:
                        return
                    rows, self._pending = self._pending, None
                assert rows is not None
                self._write(rows)
        finally:
            self._close_port()

    def _write(self, rows: tuple[str, ...]) -> None:
        if self._serial is None:
            if self.last_error is not None and time.monotonic() - self._failed_at < self.reconnect_interval:
                return  # recently failed: do not stall every update on a missing display
            try:
                self._serial = open_serial(
                    self.port,
                    self.settings,
                    read_timeout=0.1,
                    write_timeout=self.write_timeout,
                    device=self.name,
                    factory=self._factory,
                )
            except DeviceError as exc:
                self._failed(exc)
                return
        data = render_display(rows, columns=self.columns, command_set=self.command_set, page=self.page)
        try:
            self._serial.write(data)
        except Exception as exc:
            self._failed(map_exception(exc, device=self.name))
            self._close_port()
            return
        self.shown = rows
        if self.last_error is not None:
            self.last_error = None
            self._set_state(State.IDLE)

    def _failed(self, error: DeviceError) -> None:
        if self.last_error is None or self.last_error.code != error.code:
            log.warning("%s: %r", self.name, error)
            self._emit(DeviceErrorEvent(self.name, error))
        self.last_error = error
        self._failed_at = time.monotonic()
        self._set_state(State.ERROR)

    def _close_port(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
