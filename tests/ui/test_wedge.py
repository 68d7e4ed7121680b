"""The keyboard-wedge filter: a scan is one scan at any scanner speed and never lands in
a field; a person's typing reaches the field unchanged, in order (issue 3, 'Show')."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from devices.barcodes import CodeType, ScanData
from devices.scanner import WedgeConfig
from tests.ui.wedge_keys import Clock, send_key, type_timed
from ui.devices.wedge import WedgeFilter, route_scan

EAN = "4006381333931"


class Recorder(QLineEdit):
    """A field that records every key press and release that reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[tuple[str, str]] = []
        self.entered = 0
        self.returnPressed.connect(self._entered)

    def _entered(self) -> None:
        self.entered += 1

    def event(self, e: QEvent) -> bool:
        if isinstance(e, QKeyEvent) and e.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            self.keys.append(("press" if e.type() == QEvent.Type.KeyPress else "release", e.text() or str(e.key())))
        return super().event(e)


class Screen(QWidget):
    """Stands in for a screen with a scan handler."""

    def __init__(self) -> None:
        super().__init__()
        self.scans: list[ScanData] = []
        self.field = Recorder()
        QVBoxLayout(self).addWidget(self.field)

    def handle_scan(self, scan: ScanData) -> bool:
        self.scans.append(scan)
        return True


@pytest.fixture
def screen(qtbot) -> Iterator[Screen]:  # type: ignore[no-untyped-def]
    widget = Screen()
    qtbot.addWidget(widget)
    widget.show()
    widget.field.setFocus()
    unhandled: list[ScanData] = []
    wedge = WedgeFilter(WedgeConfig(), lambda start, scan: route_scan(start, scan, unhandled.append))
    QApplication.instance().installEventFilter(wedge)  # type: ignore[union-attr]
    widget.wedge = wedge  # type: ignore[attr-defined]
    yield widget
    QApplication.instance().removeEventFilter(wedge)  # type: ignore[union-attr]
    assert not unhandled


def presses(field: Recorder) -> str:
    return "".join(text for kind, text in field.keys if kind == "press")


@pytest.mark.parametrize("gap_ms", [5, 20, 50])
def test_the_same_barcode_typed_at_5_20_and_50_ms_per_key_is_one_scan(screen: Screen, gap_ms: int) -> None:
    type_timed(screen.field, EAN, gap_ms, Clock())
    assert [s.text for s in screen.scans] == [EAN]
    assert screen.scans[0].kind is CodeType.GTIN and screen.scans[0].gtin == "0" + EAN
    assert screen.field.text() == "" and screen.field.keys == [] and screen.field.entered == 0
    assert not screen.wedge.holding  # type: ignore[attr-defined]


def test_a_scan_by_real_key_clicks_5_ms_apart_is_one_scan(screen: Screen) -> None:
    for char in EAN:
        QTest.keyClick(screen.field, char, Qt.KeyboardModifier.NoModifier, 5)
    QTest.keyClick(screen.field, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, 5)
    assert [s.text for s in screen.scans] == [EAN]
    assert screen.field.text() == ""


def test_a_person_typing_123_at_human_speed_is_not_a_scan(screen: Screen, qtbot) -> None:  # type: ignore[no-untyped-def]
    type_timed(screen.field, "123", 160, Clock(), enter=False)
    qtbot.waitUntil(lambda: screen.field.text() == "123", timeout=2000)
    assert screen.scans == []
    assert presses(screen.field) == "123"  # every key, in order, once


def test_real_human_speed_key_clicks_reach_the_field(screen: Screen, qtbot) -> None:  # type: ignore[no-untyped-def]
    for char in "123":
        QTest.keyClick(screen.field, char, Qt.KeyboardModifier.NoModifier, 150)
    qtbot.waitUntil(lambda: screen.field.text() == "123", timeout=2000)
    assert screen.scans == []


def test_fast_but_short_input_is_typing_and_its_enter_still_works(screen: Screen, qtbot) -> None:  # type: ignore[no-untyped-def]
    type_timed(screen.field, "12", 10, Clock())  # too short for a scan, even that fast
    qtbot.waitUntil(lambda: screen.field.entered == 1, timeout=2000)
    assert screen.field.text() == "12" and screen.scans == []
    assert [k for k in screen.field.keys if k[0] == "press"] == [("press", "1"), ("press", "2"), ("press", "\r")]


@pytest.mark.parametrize("gap_ms", [30, 60, 80])
def test_a_pin_typed_briskly_with_enter_at_once_reaches_the_pin_field(screen: Screen, qtbot, gap_ms: int) -> None:  # type: ignore[no-untyped-def]
    """Four digits 30-80 ms apart and Enter right after look like a short badge scan; in a
    PIN field they are the person's PIN: every key, and the Enter, reaches the field."""
    screen.field.setEchoMode(QLineEdit.EchoMode.Password)
    type_timed(screen.field, "1111", gap_ms, Clock())
    qtbot.waitUntil(lambda: screen.field.entered == 1, timeout=2000)
    assert screen.field.text() == "1111" and screen.scans == []
    assert presses(screen.field) == "1111\r"


def test_a_badge_at_scanner_speed_in_the_pin_field_is_a_scan(screen: Screen) -> None:
    screen.field.setEchoMode(QLineEdit.EchoMode.Password)
    type_timed(screen.field, "20002221", 6, Clock())  # a numeric badge, PIN-short
    assert [s.text for s in screen.scans] == ["20002221"]
    assert screen.field.text() == "" and screen.field.entered == 0


def test_the_same_brisk_digits_in_an_ordinary_field_are_a_scan(screen: Screen) -> None:
    """Outside a PIN field a fast short code typed with Enter is taken as a scan: the
    screen gets the code, as it would from a scanner (harmless: same outcome)."""
    type_timed(screen.field, "4006", 40, Clock())
    assert [s.text for s in screen.scans] == ["4006"]


def test_a_key_that_cannot_be_part_of_a_scan_comes_after_the_held_keys(screen: Screen) -> None:
    clock = Clock()
    type_timed(screen.field, "7", 10, clock, enter=False)
    assert screen.field.text() == ""  # held: it might be the start of a scan
    send_key(screen.field, "", clock.now + 5, key=int(Qt.Key.Key_F2.value))
    assert presses(screen.field) == "7" + str(int(Qt.Key.Key_F2.value))  # the 7 first, then F2
    assert screen.field.text() == "7"


def test_a_scans_control_characters_press_no_shortcut(screen: Screen) -> None:
    """GS1-128 with FNC1 sent as Ctrl+] (GS), then Enter: the ShortcutOverride of every key
    is accepted (no shortcut may fire), nothing reaches the field, the code is whole."""
    clock = Clock()
    accepted = []
    for char in "]C101098765432109203103000123":
        clock.now += 4
        accepted.append(send_key(screen.field, char, clock.now))
    clock.now += 4
    ctrl = Qt.KeyboardModifier.ControlModifier
    accepted.append(send_key(screen.field, "\x1d", clock.now, key=int(Qt.Key.Key_BracketRight.value), modifiers=ctrl))
    for char in "10ABC123\r":
        clock.now += 4
        accepted.append(send_key(screen.field, char, clock.now))
    assert all(accepted)
    assert screen.field.keys == [] and screen.field.entered == 0
    (scan,) = screen.scans
    assert scan.kind is CodeType.GS1
    assert dict(scan.gs1)["10"] == "ABC123" and scan.gtin == "09876543210920"


def test_a_persons_ctrl_key_is_a_shortcut_again(screen: Screen) -> None:
    ctrl = Qt.KeyboardModifier.ControlModifier
    assert not send_key(screen.field, "\x0b", Clock().now, key=int(Qt.Key.Key_K.value), modifiers=ctrl)
    assert screen.field.keys and screen.scans == []


def test_a_scan_in_a_field_without_a_handler_goes_to_the_screen(screen: Screen) -> None:
    inner = QLineEdit(screen)  # e.g. a quantity field inside the screen
    inner.setText("2")
    type_timed(inner, EAN, 8, Clock())
    assert inner.text() == "2" and [s.text for s in screen.scans] == [EAN]


def test_the_filter_leaves_other_events_alone(screen: Screen) -> None:
    class Count(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.n = 0

        def eventFilter(self, _o: QObject, e: QEvent) -> bool:  # noqa: N802
            self.n += e.type() == QEvent.Type.Resize
            return False

    counter = Count()
    screen.installEventFilter(counter)
    screen.resize(300, 120)
    QApplication.processEvents()
    assert counter.n >= 1
