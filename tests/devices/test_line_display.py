"""The customer display over a real pseudo-terminal, both command sets."""

from __future__ import annotations

import sys
import time

import pytest

from devices.display import CommandSet, LineDisplay, fit, render_display
from devices.errors import ErrorCode
from devices.escpos.codepages import code_page
from devices.events import DeviceErrorEvent
from devices.sim.display import DisplayScreen, SimLineDisplay

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")


def test_fit():
    assert fit("Crème brûlée", "7,00 €") == "Crème brûlée  7,00 €"
    assert fit("A very long article name", "123,45 €") == "A very long 123,45 €"
    assert len(fit("x", "y" * 30)) == 20
    assert fit("Welcome!") == "Welcome!"


@pytest.mark.parametrize("command_set", list(CommandSet))
def test_render_and_screen_agree(command_set):
    screen = DisplayScreen()
    # CD5220 has no code-page command: it shows its power-on page (CP437 here), which
    # has no €; the Epson set selects CP858 explicitly.
    page = code_page("CP858" if command_set is CommandSet.EPSON else "CP437")
    screen.feed(render_display(("Crème brûlée  7,00 €", "Total  23,97 €"), command_set=command_set, page=page))
    euro = "€" if command_set is CommandSet.EPSON else "EUR"
    assert screen.rows == (f"Crème brûlée  7,00 {euro}"[:20], f"Total  23,97 {euro}".ljust(20))


def test_screen_handles_split_commands_and_wrapping():
    screen = DisplayScreen()
    data = render_display(("Hello", "World"))
    for i in range(len(data)):  # one byte at a time
        screen.feed(data[i : i + 1])
    assert screen.rows == ("Hello".ljust(20), "World".ljust(20))
    screen.feed(b"\x0c" + b"x" * 25)
    assert screen.rows == ("x" * 20, "xxxxx".ljust(20))


@posix_only
@pytest.mark.parametrize("command_set", ["epson", "cd5220"])
def test_display_shows_the_latest_text(command_set):
    with SimLineDisplay() as sim, LineDisplay(sim.port_path, command_set=command_set) as display:
        display.show_pair("Smorrebrod", "12.00", "Total", "23.97")
        assert sim.wait_for("Smorrebrod     12.00", "Total          23.97") == (
            "Smorrebrod     12.00",
            "Total          23.97",
        )
        for i in range(50):  # a burst of updates: only the last one must end up shown
            display.show(f"item {i}", "")
        assert sim.wait_for("item 49", "")[0].rstrip() == "item 49"
        display.clear()
        assert sim.wait_for("", "") == (" " * 20, " " * 20)


@posix_only
def test_display_transliterates_what_the_page_lacks():
    with SimLineDisplay() as sim, LineDisplay(sim.port_path, codepage="CP437") as display:
        display.show("5 € → Ørsted")
        assert sim.wait_for("5 EUR -> Orsted", "")[0].rstrip() == "5 EUR -> Orsted"


def test_missing_display_reports_once_and_does_not_block():
    events = []
    display = LineDisplay("/dev/does-not-exist-ttyUSB7", reconnect_interval=10)
    display.subscribe(events.append)
    with display:
        started = time.monotonic()
        for i in range(5):
            display.show(f"line {i}")
        assert time.monotonic() - started < 0.5
        time.sleep(0.2)
    errors = [e for e in events if isinstance(e, DeviceErrorEvent)]
    assert len(errors) == 1 and errors[0].error.code is ErrorCode.NO_HARDWARE
