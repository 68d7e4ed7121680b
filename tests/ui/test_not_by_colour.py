"""Nothing is said by colour alone (issue #21): a state a screen colours is also in its words,
for a person who does not tell the colours apart and for a screen reader."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QLabel

from devices.lifecycle import State
from ui.a11y import show_kind
from ui.devices.device_bridge import DeviceBridge

ROOT = Path(__file__).resolve().parents[2]


def _drawer(opened: bool | None) -> object:
    drawer = SimpleNamespace(state=State.IDLE, last_error=None, opened=opened, cap_status=True)
    return SimpleNamespace(drawer=drawer, notes={})


def test_the_drawer_open_and_closed_differ_in_words_not_only_in_colour() -> None:
    opened = DeviceBridge.drawer_state(_drawer(True))  # type: ignore[arg-type]
    closed = DeviceBridge.drawer_state(_drawer(False))  # type: ignore[arg-type]
    assert (opened.kind, closed.kind) == ("error", "ok")  # red and green...
    assert opened.label == "OPEN"  # ...and in words, the open drawer in capitals
    assert closed.label == "closed"


def test_a_problem_in_the_message_panel_is_said_in_words(qtbot) -> None:  # type: ignore[no-untyped-def]
    label = QLabel("That receipt is not from this store.")
    qtbot.addWidget(label)
    show_kind(label, "error")
    iface = QAccessible.queryAccessibleInterface(label)
    assert iface is not None
    assert iface.text(QAccessible.Text.Description) == "Problem"
    assert label.text() == "That receipt is not from this store."  # the words shown stay as they were
    show_kind(label, "ok")
    assert iface.text(QAccessible.Text.Description) == "Done"
    show_kind(label, "info")
    assert iface.text(QAccessible.Text.Description) == ""


def test_a_problem_is_bold_as_well_as_red() -> None:
    """The style marks an error with its weight too, not by its colour alone."""
    style = (ROOT / "resources" / "style.qss").read_text(encoding="utf-8")
    for selector in ('#message[kind="error"]', '#statusItem[kind="error"]'):
        rule = next(line for line in style.splitlines() if line.startswith(selector))
        assert "font-weight" in rule, rule
