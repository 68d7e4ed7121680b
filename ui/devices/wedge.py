"""Keyboard-wedge scanners: tell a scan from typing, and send a scan where it belongs.

A USB scanner in keyboard mode "types" its code, a key every few milliseconds, then Enter.
``WedgeFilter`` is an event filter on the QApplication (GUI thread) that feeds every key
press that could be part of a scan to ``devices.scanner.WedgeDecoder`` (timing from
``QKeyEvent.timestamp()``, or the monotonic clock for synthetic events that carry none)
and **holds** those keys while the decoder cannot yet tell. The decoder judges the whole
burst (its docstring has the rule): after a first key that may lag, a scanner's keys,
Enter included, come evenly at most ``WedgeConfig.pace_ms`` (30 ms) apart, where a
person's come 40 ms apart and more; a configured prefix or suffix, or an AIM symbology
id, marks a burst as a scanner's. The rule is the same in every field:

* a completed scan is swallowed, keys and Enter alike, and handed to ``route_scan``: it
  never lands in the quantity or search field that happened to have the focus, and its
  Enter or control characters (GS in GS1 codes) never press a button or a shortcut;
* keys that turn out to be a person's are replayed to the widget they were meant for,
  exactly as typed: the same characters in the same order, Enter or Tab after the text,
  none lost or doubled. While a person types, at most the last key or two are held:
  until the next key, or about a tenth of a second once the keys pause;
* where a PIN is typed (``takes_pin``), a digits-only burst no longer than a PIN is a
  scan (a staff badge) only if its keys came less than ``SCANNER_MEAN_GAP_MS`` apart on
  average: a PIN typed as briskly as a person can, Enter right after it, is given to the
  field, Enter included, never taken for an unknown badge.

Keys that cannot start a scan (F-keys, arrows, Ctrl+letter from a person, a lone Enter)
pass straight through; if they arrive while keys are held, the held keys are replayed
first, so the order of what a person typed is kept.

``route_scan`` walks from the widget that had the keys up through its parents and gives
the scan to the first ``handle_scan(scan) -> bool`` that takes it: the sale screen adds
the item, the return screen loads the receipt or the item, a dialog says "finish this
window first" (the quantity dialog passes it on to the sale screen behind it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from app.config import Settings
from counter.people.users import MAX_PIN_LENGTH
from devices.barcodes import DEFAULT_RULES, EmbeddedRule, ScanData, decode_scan
from devices.scanner import WedgeConfig, WedgeDecoder, WedgeKind, WedgeResult, monotonic_ms

ScanSink = Callable[[QWidget | None, ScanData], None]

#: the Qt property that marks a widget whose keys make a PIN (see ``takes_pin``)
PIN_ENTRY = "pinEntry"
#: where a PIN is typed, a short digits-only burst is a badge only if its keys (after the
#: first) came less than this far apart on average: scanners send a key every 2-20 ms
SCANNER_MEAN_GAP_MS = 20.0

_MODIFIER_KEYS = {
    Qt.Key.Key_Shift,
    Qt.Key.Key_Control,
    Qt.Key.Key_Alt,
    Qt.Key.Key_Meta,
    Qt.Key.Key_AltGr,
    Qt.Key.Key_CapsLock,
}
_KEY_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride}
_TYPING_MODS = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier


@dataclass
class _Held:
    event: QKeyEvent  # a copy: the original is gone once the filter returns
    receiver: QWidget
    released: bool = False  # its release came (and was held) before it was resolved


class WedgeFilter(QObject):
    def __init__(
        self,
        config: WedgeConfig,
        deliver: ScanSink,
        *,
        rules: Sequence[EmbeddedRule] = DEFAULT_RULES,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.decoder = WedgeDecoder(config)
        self.rules = tuple(rules)
        self.enabled = True
        self._deliver = deliver
        self._held: list[_Held] = []
        self._swallow_release: Counter[int] = Counter()
        self._replaying: set[int] = set()  # C++ addresses of events we are sending ourselves
        self._last_event_ms = 0.0  # the newest key's time, in its own clock...
        self._last_seen_ms = 0.0  # ...and when we saw it, on the monotonic clock
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._poll)

    def configure(self, config: WedgeConfig, *, enabled: bool = True) -> None:
        """New timing (settings saved): held keys are replayed as typing first."""
        self._flush()
        self.config = config
        self.decoder = WedgeDecoder(config)
        self.enabled = enabled

    @property
    def holding(self) -> bool:
        return bool(self._held)

    # ---------------------------------------------------------------- filter
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        # Every event of the app passes here: leave at once unless it is a key.
        if event.type() not in _KEY_EVENTS or not self.enabled or not isinstance(watched, QWidget):
            return False
        if not isinstance(event, QKeyEvent) or _address(event) in self._replaying:
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            # Accepting it says "this key is typing": no shortcut fires for a key that may
            # be part of a scan. The key press itself comes next and is held below.
            if self._char(event) is not None:
                event.accept()
                return True
            return False
        if event.type() == QEvent.Type.KeyRelease:
            return self._release(event)
        return self._press(watched, event)

    def _char(self, event: QKeyEvent) -> str | None:
        """The character to feed the decoder, or None when the key passes through."""
        if event.isAutoRepeat() or event.key() in _MODIFIER_KEYS:
            return None
        text = event.text()
        if len(text) != 1:
            return None
        mods = event.modifiers() & ~_TYPING_MODS
        if mods & (Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier):
            return None
        char = text
        if mods & Qt.KeyboardModifier.ControlModifier and char.isprintable():
            # Keyboards give Ctrl+] as "\x1d"; synthetic events give "]". Same character.
            upper = char.upper()
            if not "@" <= upper <= "_":
                return None
            char = chr(ord(upper) - 64)
        if self.decoder.holding:
            return char  # inside a burst everything belongs to it, control characters too
        if self.config.prefix and char == self.config.prefix[0]:
            return char
        if char in self.config.terminators or mods & Qt.KeyboardModifier.ControlModifier:
            return None  # a lone Enter or Tab, or a person's Ctrl+key: not a scan's start
        return char if char.isprintable() else None

    def _press(self, receiver: QWidget, event: QKeyEvent) -> bool:
        char = self._char(event)
        if char is None:
            if self._held and event.key() not in _MODIFIER_KEYS:
                self._flush()  # what a person typed before this key goes first
            return False
        stamp = float(event.timestamp())
        now = monotonic_ms()
        if not stamp:
            stamp = now  # synthetic events carry no timestamp
        self._last_event_ms, self._last_seen_ms = stamp, now
        self._held.append(_Held(QKeyEvent(event), receiver))
        self._settle(self.decoder.feed(char, stamp))
        return True

    def _release(self, event: QKeyEvent) -> bool:
        if event.isAutoRepeat():
            return False
        key = event.key()
        for held in reversed(self._held):
            if held.event.key() == key and not held.released:
                held.released = True
                return True
        if self._swallow_release[key] > 0:
            self._swallow_release[key] -= 1
            return True
        return False

    # --------------------------------------------------------------- results
    def _poll(self) -> None:  # GUI thread, from the single-shot timer
        now = self._last_event_ms + (monotonic_ms() - self._last_seen_ms)
        self._settle(self.decoder.poll(now))

    def _settle(self, results: list[WedgeResult]) -> None:
        for result in results:
            if result.kind is WedgeKind.TYPING:
                batch, self._held = self._held[: len(result.text)], self._held[len(result.text) :]
                self._replay(batch)
            elif self._typed_pin(result):
                batch, self._held = self._held, []
                self._replay(batch)  # with its Enter: the PIN is given as the person meant
            else:
                batch, self._held = self._held, []
                for held in batch:
                    if not held.released:
                        self._swallow_release[held.event.key()] += 1
                target = batch[0].receiver if batch and shiboken6.isValid(batch[0].receiver) else None
                self._deliver(target, decode_scan(result.scanned, self.rules))
        if not self.decoder.holding and self._held:
            self._replay(self._held)  # cannot happen with a consistent decoder; never lose keys
            self._held = []
        if self.decoder.holding:
            self._timer.start(int(self.decoder.hold_ms) + 20)
        else:
            self._timer.stop()

    def _typed_pin(self, result: WedgeResult) -> bool:
        """Where a PIN goes, a short digits-only burst is taken for a badge only when its
        keys came less than ``SCANNER_MEAN_GAP_MS`` apart on average: a scan of a wrong
        badge is journaled as a failed sign-in, so there the rule errs on the side of the
        PIN."""
        if not self._held or not shiboken6.isValid(self._held[0].receiver):
            return False
        short_digits = result.text.isdigit() and len(result.text) <= MAX_PIN_LENGTH
        return short_digits and result.mean_gap_ms >= SCANNER_MEAN_GAP_MS and takes_pin(self._held[0].receiver)

    def _flush(self) -> None:
        """Give up on the held keys now: they are a person's (or a short scan without end)."""
        if self._held:
            self._settle(self.decoder.poll(self._last_event_ms + 10 * self.config.prefix_timeout_ms + 1e6))

    def _replay(self, batch: list[_Held]) -> None:
        for held in batch:
            target = _replay_target(held.receiver)
            if target is None:
                continue
            events = [held.event]
            if held.released:
                press = held.event
                events.append(QKeyEvent(QEvent.Type.KeyRelease, press.key(), press.modifiers(), press.text()))
            for event in events:
                address = _address(event)
                self._replaying.add(address)
                try:
                    QApplication.sendEvent(target, event)
                finally:
                    self._replaying.discard(address)


def _replay_target(receiver: QWidget) -> QWidget | None:
    """Where a held key goes: where it would have gone had it not been held. A key replayed
    before it may have moved the focus within the window (the sign-in list hands the first
    digit to the PIN field, which then has the focus): the next keys follow the focus."""
    if not shiboken6.isValid(receiver):
        return QApplication.focusWidget()
    focus = receiver.window().focusWidget()  # the window's, known even while it is not active
    if focus is not None and focus is not receiver:
        return focus
    return receiver


def takes_pin(widget: QWidget) -> bool:
    """Whether keys typed into ``widget`` make a PIN: a PIN field (echo mode Password), or
    a widget inside one marked with the Qt property ``PIN_ENTRY`` (the sign-in screen, whose
    list of names hands digits on to its PIN field)."""
    if isinstance(widget, QLineEdit) and widget.echoMode() != QLineEdit.EchoMode.Normal:
        return True
    node: QWidget | None = widget
    while node is not None:
        if node.property(PIN_ENTRY):
            return True
        node = node.parentWidget()
    return False


def _address(event: QEvent) -> int:
    return int(shiboken6.getCppPointer(event)[0])


def route_scan(start: QWidget | None, scan: ScanData, fallback: Callable[[ScanData], None]) -> None:
    """Give ``scan`` to the first ``handle_scan`` from ``start`` up through its parents."""
    widget = start
    while widget is not None:
        handler = getattr(widget, "handle_scan", None)
        if callable(handler) and handler(scan):
            return
        widget = widget.parentWidget()
    fallback(scan)


def scan_start() -> QWidget | None:
    """Where a scan from a serial scanner starts its way: the modal dialog in front (its
    focused field), else the focused widget."""
    modal = QApplication.activeModalWidget()
    if modal is not None:
        return modal.focusWidget() or modal
    return QApplication.focusWidget()


def wedge_config(settings: Settings) -> WedgeConfig:
    """The wedge filter's rule from counter.toml's ``wedge_*`` settings."""
    return WedgeConfig(
        max_gap_ms=float(settings.wedge_max_gap_ms),
        min_length=settings.wedge_min_length,
        prefix=settings.wedge_prefix,
        suffix=settings.wedge_suffix,
    )


__all__ = ["PIN_ENTRY", "WedgeFilter", "route_scan", "scan_start", "takes_pin", "wedge_config"]
