"""Typing like a keyboard-wedge scanner or like a person: key events with timestamps.

``type_timed`` sends each character as a ShortcutOverride, a KeyPress and a KeyRelease
(what the window system sends), stamped ``gap_ms`` apart on the events' own clock, so the
wedge filter's timing decisions do not depend on how fast the test machine runs.
``type_gaps`` takes one gap per key (a person's uneven typing), ``type_at`` the stamps
themselves (tests/devices/wedge_timing.py makes them).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

_NAMED = {
    "\r": Qt.Key.Key_Return,
    "\t": Qt.Key.Key_Tab,
    " ": Qt.Key.Key_Space,
    "-": Qt.Key.Key_Minus,
    "]": Qt.Key.Key_BracketRight,
    "*": Qt.Key.Key_Asterisk,
}


class Clock:
    """The events' own clock (ms); starts well away from 0, which means "no timestamp"."""

    def __init__(self, start: int = 1_000_000) -> None:
        self.now = start


def key_of(char: str) -> int:
    if char in _NAMED:
        return int(_NAMED[char].value)
    if char.isdigit():
        return int(Qt.Key.Key_0.value) + int(char)
    if char.isalpha():
        return int(Qt.Key.Key_A.value) + ord(char.upper()) - ord("A")
    return ord(char)


def send_key(
    widget: QWidget,
    char: str,
    at_ms: int,
    *,
    key: int | None = None,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> bool:
    """One key as a window system delivers it; returns whether the ShortcutOverride was
    accepted (True means no shortcut may fire for it)."""
    code = key if key is not None else key_of(char)
    override = QKeyEvent(QEvent.Type.ShortcutOverride, code, modifiers, char)
    override.setTimestamp(at_ms)
    override.ignore()
    QApplication.sendEvent(widget, override)
    for kind, stamp in ((QEvent.Type.KeyPress, at_ms), (QEvent.Type.KeyRelease, at_ms + 1)):
        event = QKeyEvent(kind, code, modifiers, char)
        event.setTimestamp(stamp)
        QApplication.sendEvent(widget, event)
    return override.isAccepted()


def type_timed(widget: QWidget, text: str, gap_ms: int, clock: Clock, *, enter: bool = True) -> None:
    """``text`` (then Enter) with ``gap_ms`` between keys on the events' clock."""
    for char in text + ("\r" if enter else ""):
        clock.now += gap_ms
        send_key(widget, char, clock.now)


def type_gaps(widget: QWidget, text: str, gaps: Sequence[int], clock: Clock) -> None:
    """``text`` with ``gaps[i]`` ms before its ``i``-th key, on the events' clock."""
    for char, gap in zip(text, gaps, strict=True):
        clock.now += gap
        send_key(widget, char, clock.now)


def type_at(widget: QWidget, keys: str, times: Sequence[float], clock: Clock | None = None) -> None:
    """Each key at its own stamp (whole milliseconds); ``clock`` ends at the last one."""
    for char, stamp in zip(keys, times, strict=True):
        send_key(widget, char, round(stamp))
    if clock is not None and times:
        clock.now = round(times[-1])
