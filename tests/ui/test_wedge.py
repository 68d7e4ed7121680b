"""The keyboard-wedge filter: a scan is one scan at any scanner speed and never lands in
a field; a person's typing reaches the field unchanged, in order (issue 3, 'Show'), however
fast a person types (issue #16: the burst is judged whole, in every field)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from devices.barcodes import CodeType, ScanData
from devices.scanner import WedgeConfig
from tests.devices.wedge_timing import SETUPS, person, scanner
from tests.ui.wedge_keys import Clock, send_key, type_at, type_gaps, type_timed
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

    def focusNextPrevChild(self, _next: bool) -> bool:  # noqa: N802 - Qt naming
        return False  # Tab stays here (and is recorded): the keys typed after it too

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


@pytest.mark.parametrize("gap_ms", [2, 5, 12, 20, 30])
def test_the_same_barcode_typed_at_2_to_30_ms_per_key_is_one_scan(screen: Screen, gap_ms: int) -> None:
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


@pytest.mark.parametrize("gap_ms", [40, 55, 80])
def test_digits_typed_evenly_at_a_persons_pace_reach_an_ordinary_field_with_their_enter(  # type: ignore[no-untyped-def]
    screen: Screen, qtbot, gap_ms: int
) -> None:
    """Even keys 40 ms apart (quicker than anyone types a quantity) are still a person's:
    every key and the Enter reach the field, in order, once."""
    type_timed(screen.field, "1200", gap_ms, Clock())
    qtbot.waitUntil(lambda: screen.field.entered == 1, timeout=2000)
    assert screen.field.text() == "1200" and screen.scans == []
    assert presses(screen.field) == "1200\r"


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


# ------------------------------------------- generated timings through the real filter


def settle(qtbot, screen: Screen) -> None:  # type: ignore[no-untyped-def]
    """Wait for the filter's flush timer to hand on the last key or two a person typed."""
    qtbot.waitUntil(lambda: not screen.wedge.holding, timeout=3000)  # type: ignore[attr-defined]


def test_people_typing_at_any_pace_reach_the_field_exactly_as_typed(screen: Screen, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Hundreds of generated bursts (typists 40-150 ms a key, practised ones 55±15, with
    pauses), one after another: every key reaches the field once, in order, Enter and Tab
    after the text they follow; not one is taken for a scan."""
    rng = random.Random(1611)
    clock = Clock()
    typed = ""
    for n in range(300):
        burst = person(rng, fast=n % 2 == 0)
        start = clock.now + rng.randint(0, 1500)
        type_at(screen.field, burst.keys, [start + t - burst.times[0] for t in burst.times], clock)
        typed += burst.keys
    settle(qtbot, screen)
    assert screen.scans == []
    assert presses(screen.field) == typed
    assert screen.field.text() == typed.replace("\r", "").replace("\t", "")
    assert screen.field.entered == typed.count("\r")


def test_pins_typed_at_any_persons_pace_reach_the_pin_field_with_their_enter(screen: Screen, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The same rule in a PIN field: generated PINs of 4-8 digits and Enter right after,
    typed at 40-150 ms a key or 55±15: each reaches the field, never an unknown badge."""
    screen.field.setEchoMode(QLineEdit.EchoMode.Password)
    rng = random.Random(1613)
    clock = Clock()
    typed = ""
    for n in range(200):
        pin = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 8)))
        burst = person(rng, fast=n % 2 == 0, keys=pin + "\r")
        start = clock.now + rng.randint(200, 1500)
        type_at(screen.field, burst.keys, [start + t - burst.times[0] for t in burst.times], clock)
        typed += burst.keys
    assert not screen.wedge.holding  # type: ignore[attr-defined]
    assert screen.scans == []
    assert presses(screen.field) == typed and screen.field.entered == 200


def test_a_complaint_typed_fast_keeps_its_last_word_in_a_text_box(screen: Screen, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The issue's case: the last word of a complaint, typed at 55-60 ms a key and Tab
    right after it, was taken for a scan and vanished."""
    box = QPlainTextEdit(screen)
    box.setTabChangesFocus(True)
    after = QLineEdit(screen)
    screen.layout().addWidget(box)  # type: ignore[union-attr]
    screen.layout().addWidget(after)  # type: ignore[union-attr]
    box.show()
    after.show()
    box.setFocus()
    words = "It stopped working after three days"
    type_gaps(box, words + "\t", [55 + (7 * n) % 6 for n in range(len(words) + 1)], Clock())
    assert box.toPlainText() == words
    assert screen.scans == [] and after.hasFocus()


@pytest.mark.parametrize("setup", SETUPS)
def test_a_counters_work_scans_never_land_in_the_field_and_typing_always_does(  # type: ignore[no-untyped-def]
    screen: Screen, qtbot, setup: tuple[str, str]
) -> None:
    """Generated stretches of work on each scanner set-up, scans and people in turn
    (prefix, suffix, AIM ids, slow first keys, USB polling grids; typists of every pace):
    each scan is handed to the screen with its code and symbology, and the people's keys
    reach the field exactly as typed."""
    rng = random.Random(1612 + SETUPS.index(setup))
    screen.wedge.configure(WedgeConfig(prefix=setup[0], suffix=setup[1]))  # type: ignore[attr-defined]
    clock = Clock()
    scans: list[tuple[str, str]] = []
    typed = ""
    for _ in range(40):
        burst = scanner(rng, setup=setup)
        start = clock.now + rng.randint(100, 2000)  # the cashier picks up the scanner
        type_at(screen.field, burst.keys, [start + t - burst.times[0] for t in burst.times], clock)
        scans.append((burst.aim_id, burst.code))
        typer = person(rng, fast=rng.random() < 0.5)
        start = clock.now + rng.randint(0, 1500)
        type_at(screen.field, typer.keys, [start + t - typer.times[0] for t in typer.times], clock)
        typed += typer.keys
    settle(qtbot, screen)
    assert [(s.aim_id or "", s.text) for s in screen.scans] == scans
    assert presses(screen.field) == typed
