"""Barcode scanners: the keyboard-wedge state machine and the serial scanner service.

**Keyboard wedge.** A USB scanner in keyboard mode "types" the code. ``WedgeDecoder`` is
a pure-Python state machine fed ``(character, time in ms)`` by a thin Qt event filter
(in ``ui``); it tells a scan from typing by the gaps between keys (a scanner sends a key
every few ms, up to ~50 ms for slow ones; a person needs 100 ms or more), the terminator
(CR, LF or Tab), an optional prefix, and a minimum length (notes §4.2). It never sleeps:
the UI calls ``poll(now_ms)`` from a single-shot timer to flush an unterminated burst.
Not thread-safe; it lives on the GUI thread with its event filter.

**Serial scanner.** ``SerialScanner`` reads a CDC-ACM/RS-232 scanner on its own worker
thread (``scanner:<name>``), splits lines on CR/LF, decodes each with
``devices.barcodes.decode_scan`` and emits a ``DataEvent``. A failed port is reported
once (``DeviceErrorEvent``) and reopened every ``reconnect_interval`` seconds, so an
unplugged scanner comes back by itself.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from devices.barcodes import DEFAULT_RULES, EmbeddedRule, ScanData, decode_scan
from devices.errors import DeviceError, map_exception
from devices.events import DataEvent, DeviceErrorEvent
from devices.lifecycle import DeviceService, State
from devices.links.serial import SerialFactory, open_serial

log = logging.getLogger(__name__)


# --- keyboard wedge ------------------------------------------------------------------------


@dataclass(frozen=True)
class WedgeConfig:
    #: longest gap between two keys of one scan; 50 ms scanners must pass, people must not
    max_gap_ms: float = 80.0
    #: a scan is at least this long (without prefix and terminator); "123" is typing
    min_length: int = 4
    #: characters that end a scan
    terminators: str = "\r\n\t"
    #: when False, a fast burst without terminator is a scan once the gap has passed
    require_terminator: bool = True
    #: optional prefix programmed into the scanner (e.g. "\x02"); a prefixed burst is a
    #: scan whatever its speed, up to ``prefix_timeout_ms`` between keys
    prefix: str = ""
    prefix_timeout_ms: float = 500.0


class WedgeKind(enum.Enum):
    SCAN = "scan"
    TYPING = "typing"


@dataclass(frozen=True)
class WedgeResult:
    kind: WedgeKind
    text: str  # the code for a scan (no prefix/terminator); the keys for typing
    #: a scan's mean time between two of its keys: a scanner types a key every few
    #: milliseconds, a person's quickest PIN is tens of milliseconds a key
    mean_gap_ms: float = field(default=0.0, compare=False)


class WedgeDecoder:
    """Feed every key; act on the results.

    ``feed`` and ``poll`` return a list of results in order: ``SCAN`` (give the code to
    the scan handler) and ``TYPING`` (the keys were a person: hand them on to the focused
    widget, or ignore them). Keys are held while a burst might still be a scan, at most
    ``max_gap_ms`` after the last key.
    """

    def __init__(self, config: WedgeConfig | None = None) -> None:
        self.config = config or WedgeConfig()
        self._buffer: list[str] = []
        self._last_ms: float | None = None
        self._slow = False  # some gap in the buffer was too slow for a scanner
        self._prefixed = False
        self._first_ms = 0.0  # when the buffer's first key came
        self._span_ms = 0.0  # from the first key to the newest one that is not a terminator

    @property
    def holding(self) -> bool:
        """True while keys are held back; the UI keeps its flush timer running."""
        return bool(self._buffer)

    def feed(self, char: str, t_ms: float) -> list[WedgeResult]:
        out: list[WedgeResult] = []
        cfg = self.config
        if self._buffer and self._last_ms is not None:
            gap = t_ms - self._last_ms
            limit = cfg.prefix_timeout_ms if self._prefixed else cfg.max_gap_ms
            if gap > limit:
                out += self._give_up()
            elif gap > cfg.max_gap_ms:
                self._slow = True
        self._last_ms = t_ms

        if not self._buffer:
            if cfg.prefix and char == cfg.prefix[0]:
                self._prefixed = True
            elif char in cfg.terminators:
                out.append(WedgeResult(WedgeKind.TYPING, char))  # a lone Enter: a person
                return out
        if char in cfg.terminators:
            code = self._code()
            if self._is_scan(code):
                out.append(WedgeResult(WedgeKind.SCAN, code, self._mean_gap()))
                self._reset()
            else:
                self._buffer.append(char)
                out += self._give_up()
            return out
        if not self._buffer:
            self._first_ms = t_ms
        self._span_ms = t_ms - self._first_ms
        self._buffer.append(char)
        return out

    def poll(self, now_ms: float) -> list[WedgeResult]:
        """Call when the flush timer fires: ends a burst nobody terminated."""
        if not self._buffer or self._last_ms is None:
            return []
        limit = self.config.prefix_timeout_ms if self._prefixed else self.config.max_gap_ms
        if now_ms - self._last_ms <= limit:
            return []
        code = self._code()
        if not self.config.require_terminator and not self._prefixed and self._is_scan(code):
            gap = self._mean_gap()
            self._reset()
            return [WedgeResult(WedgeKind.SCAN, code, gap)]
        return self._give_up()

    def _code(self) -> str:
        text = "".join(self._buffer)
        if self._prefixed and text.startswith(self.config.prefix):
            text = text[len(self.config.prefix) :]
        return text

    def _is_scan(self, code: str) -> bool:
        if self._prefixed:
            return self._buffer[: len(self.config.prefix)] == list(self.config.prefix) and bool(code)
        return not self._slow and len(code) >= self.config.min_length

    def _mean_gap(self) -> float:
        keys = len(self._buffer)
        return self._span_ms / (keys - 1) if keys > 1 else 0.0

    def _give_up(self) -> list[WedgeResult]:
        text = "".join(self._buffer)
        self._reset()
        return [WedgeResult(WedgeKind.TYPING, text)] if text else []

    def _reset(self) -> None:
        self._buffer = []
        self._slow = False
        self._prefixed = False


# --- serial scanner ------------------------------------------------------------------------


class SerialScanner(DeviceService):
    """A scanner on a serial port (or pyserial URL). Events on the ``scanner:`` thread."""

    def __init__(
        self,
        port: str,
        settings: dict[str, object] | None = None,
        *,
        name: str = "scanner",
        rules: Sequence[EmbeddedRule] = DEFAULT_RULES,
        prefix: str = "",
        encoding: str = "latin-1",
        reconnect_interval: float = 2.0,
        read_timeout: float = 0.1,
        factory: SerialFactory | None = None,
        claim_key: str | None = None,
    ) -> None:
        super().__init__(name, claim_key=claim_key or f"serial:{port}")
        self.port = port
        self.settings = dict(settings or {})
        self.rules = tuple(rules)
        self.prefix = prefix
        self.encoding = encoding
        self.reconnect_interval = reconnect_interval
        self.read_timeout = read_timeout
        self._factory = factory
        self._stop_event = threading.Event()
        self._worker: threading.Thread | None = None
        self.last_error: DeviceError | None = None

    def _start(self) -> None:
        self._stop_event.clear()
        self._worker = threading.Thread(target=self._run, name=f"scanner:{self.name}", daemon=True)
        self._worker.start()

    def _stop(self, timeout: float) -> None:
        self._stop_event.set()
        worker, self._worker = self._worker, None
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)

    # --- worker thread ---

    def _run(self) -> None:
        while not self._stop_event.is_set():
            try:
                port = open_serial(
                    self.port,
                    self.settings,
                    read_timeout=self.read_timeout,
                    write_timeout=1.0,
                    device=self.name,
                    factory=self._factory,
                )
            except DeviceError as exc:
                self._failed(exc)
                self._stop_event.wait(self.reconnect_interval)
                continue
            self.last_error = None
            self._set_state(State.IDLE)
            try:
                self._read_lines(port)
            except Exception as exc:  # unplugged mid-read: report, then reopen
                self._failed(map_exception(exc, device=self.name))
            finally:
                with contextlib.suppress(Exception):
                    port.close()
            self._stop_event.wait(self.reconnect_interval if self.last_error else 0)

    def _read_lines(self, port: Any) -> None:
        buffer = bytearray()
        while not self._stop_event.is_set():
            chunk = port.read(port.in_waiting or 1)  # returns after read_timeout when idle
            if not chunk:
                continue
            buffer += chunk
            while True:
                cut = _line_end(buffer)
                if cut is None:
                    break
                line, rest = bytes(buffer[: cut[0]]), buffer[cut[1] :]
                buffer = bytearray(rest)
                if line:
                    self._deliver(line)

    def _deliver(self, line: bytes) -> None:
        text = line.decode(self.encoding, errors="replace")
        if self.prefix and text.startswith(self.prefix):
            text = text[len(self.prefix) :]
        self._emit(DataEvent(self.name, decode_scan(text, self.rules)))

    def _failed(self, error: DeviceError) -> None:
        if self.last_error is None or self.last_error.code != error.code:
            log.warning("%s: %r", self.name, error)
            self._emit(DeviceErrorEvent(self.name, error))
        self.last_error = error
        self._set_state(State.ERROR)


def _line_end(buffer: bytearray) -> tuple[int, int] | None:
    """(end of line, start of next) for the first CR, LF or CRLF in ``buffer``."""
    for i, b in enumerate(buffer):
        if b == 0x0D:
            return (i, i + 2) if i + 1 < len(buffer) and buffer[i + 1] == 0x0A else (i, i + 1)
        if b == 0x0A:
            return (i, i + 1)
    return None


def scan_text(data: ScanData) -> str:
    """What to put in the item field for a scan (the lookup key for price/weight codes)."""
    return data.gtin or data.text


OnScan = Callable[[ScanData], None]


def monotonic_ms() -> float:
    return time.monotonic() * 1000.0
