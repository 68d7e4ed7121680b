"""Barcode scanners: the keyboard-wedge state machine and the serial scanner service.

**Keyboard wedge.** A USB scanner in keyboard mode "types" the code. ``WedgeDecoder`` is
a pure-Python state machine fed ``(character, time in ms)`` by a thin Qt event filter
(in ``ui``); it tells a scan from typing by the whole burst (notes §4.2, issue #16): a
scanner sends its keys evenly, 2-20 ms apart (the first may lag), where a person's are
40 ms apart and more and uneven; the terminator (CR, LF or Tab) comes at the same pace;
a configured prefix or suffix, or an AIM symbology id, marks a scanner's burst; an
unmarked one is at least ``min_length`` long. ``WedgeDecoder``'s docstring has the rule.
It never sleeps: the UI calls ``poll(now_ms)`` from a single-shot timer to flush an
unterminated burst. Not thread-safe; it lives on the GUI thread with its event filter.

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
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from devices.barcodes import DEFAULT_RULES, EmbeddedRule, ScanData, decode_scan
from devices.errors import DeviceError, map_exception
from devices.events import DataEvent, DeviceErrorEvent
from devices.lifecycle import DeviceService, State
from devices.links.serial import SerialFactory, open_serial

log = logging.getLogger(__name__)


# --- keyboard wedge ------------------------------------------------------------------------

#: an AIM symbology identifier: "]", the symbology's letter, a modifier ("]E0", "]C1", "]Q3")
AIM_ID = re.compile(r"\][A-Za-z][0-9A-Za-z]")


@dataclass(frozen=True)
class WedgeConfig:
    #: the longest gap anywhere in a scan (a scanner's slow first key); keys are held at
    #: most this long after the last one while they may still be a scan
    max_gap_ms: float = 80.0
    #: a scanner's pace: after its first key, every key of a scan comes at most this long
    #: after the one before (scanners send a key every 2-20 ms; a practised typist's
    #: quickest keys are 40 ms and more apart, and never evenly)
    pace_ms: float = 30.0
    #: a scan without a marker (prefix, suffix, AIM id) has at least this many characters;
    #: "123" is typing however fast
    min_length: int = 4
    #: characters that end a scan
    terminators: str = "\r\n\t"
    #: when False, a burst without terminator that passes the rule is a scan once it ends
    require_terminator: bool = True
    #: optional prefix programmed into the scanner, stripped from the code. One that starts
    #: with a control character (e.g. "\x02", which nobody types) makes the burst a scan
    #: whatever its speed, up to ``prefix_timeout_ms`` between keys; a printable one (e.g.
    #: "#") only marks a burst that comes at a scanner's pace
    prefix: str = ""
    #: optional suffix programmed into the scanner, sent between the code and its
    #: terminator: it marks a burst at a scanner's pace, and is stripped from the code
    suffix: str = ""
    prefix_timeout_ms: float = 500.0

    @property
    def pace(self) -> float:
        """``pace_ms``, or ``max_gap_ms`` when a store set that lower."""
        return min(self.pace_ms, self.max_gap_ms)

    @property
    def strong_prefix(self) -> bool:
        """Whether the prefix starts with a character a person does not type."""
        return bool(self.prefix) and not self.prefix[0].isprintable()


class WedgeKind(enum.Enum):
    SCAN = "scan"
    TYPING = "typing"


@dataclass(frozen=True)
class WedgeResult:
    kind: WedgeKind
    #: a scan's code (no prefix, AIM id, suffix or terminator); for typing, the keys as typed
    text: str
    #: the AIM symbology identifier the scan started with ("]E0"), or ""
    aim_id: str = ""
    #: a scan's mean time between two of its keys after the first (which may lag), its
    #: terminator included: a scanner's pace, a few milliseconds
    mean_gap_ms: float = field(default=0.0, compare=False)

    @property
    def scanned(self) -> str:
        """What the scanner read, AIM id included (``devices.barcodes.decode_scan`` reads the
        symbology from it); the keys themselves for typing."""
        return self.aim_id + self.text


class WedgeDecoder:
    """Feed every key; act on the results.

    ``feed`` and ``poll`` return a list of results in order: ``SCAN`` (give the code to
    the scan handler) and ``TYPING`` (the keys were a person's: hand them on to the
    focused widget, in order). Every key fed comes out exactly once: in a scan (its code,
    AIM id, or the prefix, suffix and terminator it swallows) or as typing.

    **The rule.** A burst of keys that ends in a terminator is judged whole. It is a scan
    when

    * it starts with a control-character prefix (``WedgeConfig.prefix``, e.g. STX): a
      scan whatever its speed, up to ``prefix_timeout_ms`` between keys; otherwise
    * it came at a scanner's pace: its first key may lag (some scanners send it 30-60 ms
      before the second), up to ``max_gap_ms``; after that every key, the terminator
      included, comes at most ``pace_ms`` (30 ms) after the one before. Scanners send a
      key every 2-20 ms, evenly; a person's keys are 40 ms apart and more, and uneven:
      a practised typist's "chino" and Enter at 55 ms a key is typing. And
    * it is long enough (``min_length``), or it carries a marker: a printable prefix, the
      configured suffix, or an AIM symbology identifier (``]E0``, ``]C1``, ``]d2``,
      ``]Q3``...), which is stripped from the code and kept in ``WedgeResult.aim_id``.

    While the keys come, the decoder holds only what may still be the start of a scan.
    A key too late for the burst gives up the held keys as typing; the newest one may
    still be a slow first key if the keys before it came at a person's pace. A run that
    came at a scanner's pace and then slowed down (a scanner that stalled, a person's
    quick keys) is never cut into a scan: its keys, and those that follow until a pause
    of ``max_gap_ms``, are typing. So while a person types, at most the last key or two
    are held, for at most ``hold_ms``.

    A person's key less than ``max_gap_ms`` before an unmarked scan cannot be told from
    a scanner's slow first key: it is read as part of the scan.
    """

    def __init__(self, config: WedgeConfig | None = None) -> None:
        self.config = config or WedgeConfig()
        self._keys: list[str] = []
        self._times: list[float] = []
        self._strong = False  # the burst starts with the control-character prefix
        self._broken = False  # a run at a scanner's pace slowed down: typing until a pause
        self._last_ms: float | None = None  # when the newest key came, held or not

    @property
    def holding(self) -> bool:
        """True while keys are held back; the UI keeps its flush timer running."""
        return bool(self._keys)

    @property
    def hold_ms(self) -> float:
        """How long after its last key the held burst may still become a scan."""
        return self.config.prefix_timeout_ms if self._strong else self.config.max_gap_ms

    def feed(self, char: str, t_ms: float) -> list[WedgeResult]:
        cfg = self.config
        out: list[WedgeResult] = []
        terminator = char in cfg.terminators
        last, self._last_ms = self._last_ms, t_ms
        if self._broken:
            if last is not None and t_ms - last <= cfg.max_gap_ms and not self._starts_prefix(char):
                return [WedgeResult(WedgeKind.TYPING, char)]
            self._broken = False
        if self._keys:
            gap = t_ms - self._times[-1]
            if terminator:
                if gap > self.hold_ms:
                    out += self._give_up(len(self._keys))
            elif self._starts_prefix(char) and not (self._strong and len(self._keys) < len(cfg.prefix)):
                out += self._give_up(len(self._keys))  # a scanner's prefix starts a new burst
            else:
                out += self._make_room(gap)
                if self._broken:
                    return [*out, WedgeResult(WedgeKind.TYPING, char)]
        if terminator:
            if not self._keys:
                out.append(WedgeResult(WedgeKind.TYPING, char))  # a lone Enter: a person's
                return out
            out += self._finish(char, t_ms)
            return out
        if not self._keys:
            self._strong = self._starts_prefix(char)
        self._keys.append(char)
        self._times.append(t_ms)
        return out

    def poll(self, now_ms: float) -> list[WedgeResult]:
        """Call when the flush timer fires: ends a burst nobody terminated."""
        if not self._keys or now_ms - self._times[-1] <= self.hold_ms:
            return []
        if not self.config.require_terminator:
            return self._finish("", None)
        return self._give_up(len(self._keys))

    # ------------------------------------------------------------------ the rule
    def _starts_prefix(self, char: str) -> bool:
        return self.config.strong_prefix and char == self.config.prefix[0]

    def _make_room(self, gap: float) -> list[WedgeResult]:
        """Give up the held keys that cannot be in one scan with a key ``gap`` ms later."""
        cfg = self.config
        if self._strong:
            return self._give_up(len(self._keys)) if gap > cfg.prefix_timeout_ms else []
        if gap > cfg.max_gap_ms:
            return self._give_up(len(self._keys))
        if len(self._keys) < 2 or gap <= cfg.pace:
            return []
        if len(self._keys) == 2 and self._times[1] - self._times[0] > cfg.pace:
            return self._give_up(1)  # a person's pace so far: the newest key may be a slow first key
        # A run at a scanner's pace that slowed down: a scanner that stalled, or a person's
        # quick keys. Never a scan from the middle of it: typing until the keys pause.
        self._broken = True
        return self._give_up(len(self._keys))

    def _finish(self, terminator: str, t_ms: float | None) -> list[WedgeResult]:
        """The burst ended (``terminator`` at ``t_ms``, or "" when it just stopped): a scan,
        or typing."""
        lead: list[WedgeResult] = []
        if len(self._keys) > 2 and self._times[1] - self._times[0] > self.config.pace:
            # A person's key just before a scanner's prefix or AIM id: the key is typing.
            text = "".join(self._keys)
            if not self._marker_at(text) and self._marker_at(text[1:]):
                lead = self._give_up(1)
        scan = self._judge(t_ms)
        if scan is not None:
            self._reset()
            return [*lead, scan]
        if terminator:
            self._keys.append(terminator)
            self._times.append(t_ms if t_ms is not None else self._times[-1])
        return [*lead, *self._give_up(len(self._keys))]

    def _marker_at(self, text: str) -> bool:
        cfg = self.config
        return bool(cfg.prefix and text.startswith(cfg.prefix)) or AIM_ID.match(text) is not None

    def _judge(self, end_ms: float | None) -> WedgeResult | None:
        cfg = self.config
        text = "".join(self._keys)
        prefixed = bool(cfg.prefix) and text.startswith(cfg.prefix)
        body = text[len(cfg.prefix) :] if prefixed else text
        aim = AIM_ID.match(body)
        aim_id = aim.group() if aim else ""
        code = body[len(aim_id) :]
        suffixed = bool(cfg.suffix) and code.endswith(cfg.suffix) and len(code) > len(cfg.suffix)
        if suffixed:
            code = code[: -len(cfg.suffix)]
        if not code:
            return None
        times = self._times if end_ms is None else [*self._times, end_ms]  # the terminator keeps pace too
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        steady = gaps[1:]
        scan = WedgeResult(WedgeKind.SCAN, code, aim_id, fmean(steady) if steady else fmean(gaps or [0.0]))
        if prefixed and self._strong:
            return scan
        marked = prefixed or suffixed or bool(aim_id)
        if len(code) < cfg.min_length and not marked:
            return None
        return scan if self._at_pace(gaps) else None

    def _at_pace(self, gaps: list[float]) -> bool:
        cfg = self.config
        if not gaps or gaps[0] > cfg.max_gap_ms:
            return False
        steady = gaps[1:]
        if not steady:
            return gaps[0] <= cfg.pace  # two keys: no room for a slow first key
        return max(steady) <= cfg.pace

    def _give_up(self, count: int) -> list[WedgeResult]:
        """The first ``count`` held keys are typing; the rest stay held."""
        text = "".join(self._keys[:count])
        self._keys, self._times = self._keys[count:], self._times[count:]
        self._strong = bool(self._keys) and self._starts_prefix(self._keys[0])
        return [WedgeResult(WedgeKind.TYPING, text)] if text else []

    def _reset(self) -> None:
        self._keys, self._times = [], []
        self._strong = self._broken = False


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
