"""Cash drawers: kicked through the receipt printer, or on their own serial port.

Both kinds share one small interface (``open_drawer``, ``opened``, ``cap_status``,
``DrawerChanged`` events) so the app does not care how the drawer is wired (notes §5).

Safety rules enforced here, not left to callers (notes §5.3):

* kicks are rate-limited (``min_interval``): a double click opens the drawer once;
* a kick that waited too long in the printer's queue is dropped (``ttl``), so the drawer
  never pops open long after the cashier asked;
* a kick is never retried automatically after an unknown outcome.

Whether a kick is allowed at all (a committed cash movement, an approved no-sale) is the
application's decision; the request id should name it for the audit trail.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from counter.i18n import _
from devices.errors import DeviceError, ErrorCode, map_exception
from devices.escpos.encoder import drawer_kick, realtime_drawer_pulse
from devices.events import DeviceErrorEvent, DeviceEvent, DrawerChanged, StatusChanged
from devices.lifecycle import DeviceService, State
from devices.links.serial import SerialFactory, open_serial
from devices.printer import ReceiptPrinter

log = logging.getLogger(__name__)

OnDone = Callable[[str, DeviceError | None], None]
MODEM_LINES = ("cts", "dsr", "ri", "cd")


class _DrawerBase(DeviceService):
    def __init__(self, name: str, *, min_interval: float, has_sensor: bool, claim_key: str | None) -> None:
        super().__init__(name, claim_key=claim_key)
        self.min_interval = min_interval
        self.cap_status = has_sensor
        self._drawer_state: bool | None = None
        self._last_kick: float | None = None
        self._changed = threading.Condition()

    @property
    def opened(self) -> bool | None:
        """True/False from the drawer's switch; None without a sensor or before the first read."""
        return self._drawer_state if self.cap_status else None

    def wait_until_closed(self, timeout: float) -> bool | None:
        """Block until the drawer reports closed; for worker threads and tests, never the GUI.

        Returns True when closed, False on timeout, None when the drawer has no sensor.
        """
        if not self.cap_status:
            return None
        with self._changed:
            return self._changed.wait_for(lambda: self._drawer_state is False, timeout)

    def _rate_limit(self) -> None:
        now = time.monotonic()
        if self._last_kick is not None and now - self._last_kick < self.min_interval:
            raise DeviceError(
                ErrorCode.BUSY,
                _("The cash drawer was opened a moment ago."),
                _("Wait a second before opening it again."),
                device=self.name,
            )
        self._last_kick = now

    def _set_opened(self, opened: bool | None) -> None:
        """Record the drawer state; emits DrawerChanged on change (caller's thread)."""
        if not self.cap_status:
            return
        with self._changed:
            if opened == self._drawer_state:
                return
            self._drawer_state = opened
            self._changed.notify_all()
        self._emit(DrawerChanged(self.name, opened))


class PrinterDrawer(_DrawerBase):
    """A drawer on the printer's DK port, kicked with ``ESC p`` on the printer's worker.

    Its state comes from the printer's status (``DLE EOT 1`` bit 2), which the printer
    reads after every job and while polling; the polarity is the printer's
    ``drawer_open_when_high`` setting. Events are emitted on the printer's worker thread.
    """

    def __init__(
        self,
        printer: ReceiptPrinter,
        *,
        name: str = "cash drawer",
        pins: tuple[int, ...] = (2,),
        on_ms: int = 50,
        off_ms: int = 500,
        min_interval: float = 1.0,
        ttl: float = 10.0,
        has_sensor: bool = True,
        realtime: bool = False,
    ) -> None:
        super().__init__(
            name,
            min_interval=min_interval,
            has_sensor=has_sensor and printer.drawer_open_when_high is not None,
            claim_key=f"drawer-on:{printer.claim_key}",
        )
        self.printer = printer
        # ESC p is ignored while the printer is offline (paper out, cover open); the
        # real-time DLE DC4 pulse is not, but not every printer has it (``realtime``).
        if realtime:
            self.kick = b"".join(realtime_drawer_pulse(pin, on_ms) for pin in pins)
        else:
            self.kick = b"".join(drawer_kick(pin, on_ms, off_ms) for pin in pins)
        self.ttl = ttl
        self._unsubscribe: Callable[[], None] | None = None

    def _start(self) -> None:
        self._unsubscribe = self.printer.subscribe(self._on_printer_event)
        self._set_opened(self.printer.status.drawer_open)

    def _stop(self, timeout: float) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def open_drawer(self, request_id: str, on_done: OnDone | None = None) -> None:
        """Queue a kick on the printer; ``on_done(request_id, error)`` on its worker thread."""
        with self._lock:
            self._require_enabled()
            self._rate_limit()
        self.printer.submit(
            f"drawer:{request_id}", self.kick, _relabel(request_id, on_done), paper_needed=False, ttl=self.ttl
        )

    def _on_printer_event(self, event: DeviceEvent) -> None:  # printer worker thread
        if isinstance(event, StatusChanged):
            self._set_opened(event.status.drawer_open)


def _relabel(request_id: str, on_done: OnDone | None) -> OnDone | None:
    if on_done is None:
        return None
    return lambda _job_id, error: on_done(request_id, error)


@dataclass(frozen=True)
class _Kick:
    request_id: str
    on_done: OnDone | None


_POLL_SENSOR = _Kick("", None)  # "no kick: read the switch"


class SerialDrawer(_DrawerBase):
    """A standalone RS-232/USB-serial drawer (e.g. APG SerialPRO), on its own worker.

    The port stays open with DTR and RTS high: such drawers draw their power from those
    lines. A kick writes ``open_sequence`` (BEL by default); the switch is read from a
    modem line (``status_line``: cts, dsr, ri or cd; None = no sensor) ``status_delay``
    seconds later and then every ``poll_interval`` seconds.
    """

    def __init__(
        self,
        port: str,
        settings: dict[str, object] | None = None,
        *,
        name: str = "cash drawer",
        open_sequence: bytes = b"\x07",
        status_line: str | None = "cts",
        open_when_high: bool = True,
        poll_interval: float = 0.25,
        status_delay: float = 0.2,
        min_interval: float = 1.0,
        reconnect_interval: float = 2.0,
        factory: SerialFactory | None = None,
        claim_key: str | None = None,
    ) -> None:
        if status_line is not None and status_line not in MODEM_LINES:
            raise ValueError(f"status_line must be one of {', '.join(MODEM_LINES)} or None")
        if not open_sequence:
            raise ValueError("open_sequence must not be empty")
        super().__init__(
            name,
            min_interval=min_interval,
            has_sensor=status_line is not None,
            claim_key=claim_key or f"serial:{port}",
        )
        self.port = port
        self.settings = dict(settings or {})
        self.open_sequence = open_sequence
        self.status_line = status_line
        self.open_when_high = open_when_high
        self.poll_interval = poll_interval
        self.status_delay = status_delay
        self.reconnect_interval = reconnect_interval
        self._factory = factory
        self._queue: queue.Queue[_Kick | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._serial: Any = None
        self.last_error: DeviceError | None = None

    def open_drawer(self, request_id: str, on_done: OnDone | None = None) -> None:
        with self._lock:
            self._require_enabled()
            self._rate_limit()
            self._queue.put(_Kick(request_id, on_done))

    # --- worker lifecycle ---

    def _start(self) -> None:
        self._queue = queue.Queue()
        self._worker = threading.Thread(target=self._run, name=f"drawer:{self.name}", daemon=True)
        self._worker.start()

    def _stop(self, timeout: float) -> None:
        worker, self._worker = self._worker, None
        if worker is None:
            return
        self._queue.put(None)
        if worker is not threading.current_thread():
            worker.join(timeout)

    # --- worker thread ---

    def _run(self) -> None:
        try:
            while True:
                kick: _Kick | None
                try:
                    kick = self._queue.get(timeout=self.poll_interval)
                except queue.Empty:
                    kick = _POLL_SENSOR
                if kick is None:
                    return
                if not self._ensure_port():
                    if kick is not _POLL_SENSOR:
                        self._finish(kick, self.last_error)
                    continue
                if kick is _POLL_SENSOR:
                    self._read_sensor()
                else:
                    self._kick(kick)
        finally:
            self._close_port()

    def _ensure_port(self) -> bool:
        if self._serial is not None:
            return True
        if self.last_error is not None and time.monotonic() - self._failed_at < self.reconnect_interval:
            return False
        try:
            port = open_serial(
                self.port, self.settings, read_timeout=0.1, write_timeout=1.0, device=self.name, factory=self._factory
            )
            port.dtr = True  # powers the drawer's solenoid on SerialPRO-style drawers
            port.rts = True
        except DeviceError as exc:
            self._failed(exc)
            return False
        except Exception as exc:
            self._failed(map_exception(exc, device=self.name))
            return False
        self._serial = port
        self.last_error = None
        self._set_state(State.IDLE)
        self._read_sensor()
        return True

    def _kick(self, item: _Kick) -> None:
        try:
            self._serial.write(self.open_sequence)
            self._serial.flush()
        except Exception as exc:
            error = map_exception(exc, device=self.name)
            self._failed(error)
            self._close_port()
            self._finish(item, error)
            return
        time.sleep(self.status_delay)  # the switch moves only once the solenoid has fired
        self._read_sensor()
        self._finish(item, None)

    def _read_sensor(self) -> None:
        if self.status_line is None or self._serial is None:
            return
        try:
            level = bool(getattr(self._serial, self.status_line))
        except Exception as exc:
            self._failed(map_exception(exc, device=self.name))
            self._close_port()
            return
        self._set_opened(level if self.open_when_high else not level)

    def _finish(self, item: _Kick, error: DeviceError | None) -> None:
        request_id, on_done = item.request_id, item.on_done
        if error is not None:
            self._emit(DeviceErrorEvent(self.name, error, request_id))
        if on_done is not None:
            try:
                on_done(request_id, error)
            except Exception:
                log.exception("on_done of drawer request %s failed", request_id)

    _failed_at = 0.0

    def _failed(self, error: DeviceError) -> None:
        if self.last_error is None or self.last_error.code != error.code:
            self._emit(DeviceErrorEvent(self.name, error))
        self.last_error = error
        self._failed_at = time.monotonic()
        self._set_state(State.ERROR)
        self._set_opened(None)

    def _close_port(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
