"""The integrated card terminal's set-up: opened by the device bridge from the settings,
watched off the GUI thread for the status bar, tested and saved in the Devices window, and
known to ``counter devices``. Real TCP to the simulated ZVT terminal (sim://terminal); a
dead address is a port nothing listens on."""

from __future__ import annotations

import logging
import socket
import threading
import tomllib

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from tests.ui.conftest import in_dialog, press
from tests.ui.device_support import open_window_fixture, sign_in_as  # noqa: F401
from tests.ui.test_devices_cli import counter
from ui.devices.device_settings import DeviceSettingsDialog

DEVICES_KEY = (Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)


def dead_address() -> str:
    """A ZVT address on this machine where nothing listens (connecting is refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"zvt+tcp://127.0.0.1:{port}"


def settings_dialog(window) -> DeviceSettingsDialog:  # type: ignore[no-untyped-def]
    ui = window.devices
    return DeviceSettingsDialog(window.sale, window.ctx, window.printing, ui.devices, ui.drawers, window.user)


def test_the_simulated_terminal_opens_and_the_status_bar_says_ready(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(card_terminal="sim://terminal")
    bridge = window.devices.devices
    terminal = ctx.card_terminal
    assert terminal is not None and terminal is bridge.card_terminal
    assert terminal.simulator.port > 0  # the simulator listens on its own TCP port
    label = window.devices.labels["terminal"]
    qtbot.waitUntil(lambda: label.text() == "Card terminal: ready", timeout=5000)
    assert label.isVisible() and label.property("kind") == "ok"
    assert label.toolTip().startswith("Terminal id 52500042 at sim://terminal.")
    assert terminal.simulator.ledger.path == ctx.data_dir / "sim-terminal.json"  # its ledger outlives a restart
    ctx.close()
    assert ctx.card_terminal is None  # closed with the app, the simulator stopped with it


def test_an_address_where_nothing_listens_is_a_note_and_not_answering(  # type: ignore[no-untyped-def]
    open_window, qtbot, caplog: pytest.LogCaptureFixture
) -> None:
    url = dead_address()
    caplog.set_level(logging.WARNING)
    ctx, window = open_window(card_terminal=url)
    assert ctx.card_terminal is not None  # nothing is sent until asked: opening cannot fail here
    label = window.devices.labels["terminal"]
    qtbot.waitUntil(lambda: label.text() == "Card terminal: not answering", timeout=10000)
    assert label.property("kind") == "error"
    assert url in label.toolTip() and "offline" in label.toolTip() and "switched on" in label.toolTip()
    bar = window.statusBar()
    qtbot.waitUntil(lambda: bar.currentMessage().startswith("Card terminal not answering:"), timeout=5000)
    message = bar.currentMessage()
    assert message.startswith("Card terminal not answering: The card terminal is offline.")
    assert "standalone terminal" in message
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a terminal that is away"


def test_a_wrong_address_is_a_note_at_start(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(card_terminal="sim://display")
    assert ctx.card_terminal is None
    label = window.devices.labels["terminal"]
    assert label.text() == "Card terminal: not available" and label.isVisible()
    assert "Card terminal not available" in label.toolTip() and "not a card terminal" in label.toolTip()


def test_the_test_button_asks_the_terminal_in_use_and_a_typed_dead_one(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(card_terminal="sim://terminal")
    qtbot.waitUntil(lambda: window.devices.labels["terminal"].text() == "Card terminal: ready", timeout=5000)
    dialog = settings_dialog(window)
    note, button = dialog.notes["terminal"], dialog.tests["terminal"]
    assert note.text().startswith("In use now: ready.")
    assert "zvt+tcp://HOST:20007" in dialog.urls["terminal"].placeholderText()

    button.click()
    qtbot.waitUntil(button.isEnabled, timeout=10000)
    assert note.text() == "Card terminal sim://terminal (terminal id 52500042): ready, and it reaches its bank."
    assert note.objectName() == "dialogHint"
    assert ctx.card_terminal is not None and ctx.card_terminal.simulator.port > 0  # still the one in use

    url = dead_address()
    dialog.urls["terminal"].setText(url)
    assert note.text() == "Not in use yet: test it, then Save."
    button.click()
    qtbot.waitUntil(button.isEnabled, timeout=10000)
    assert note.text().startswith(f"Card terminal {url} is not answering: The card terminal is offline.")
    assert "switched on" in note.text() and note.objectName() == "dialogError"

    dialog.urls["terminal"].setText("serial:///dev/ttyUSB0")
    assert "zvt+tcp:// or zvt+serial://" in note.text() and "zvt+serial:///dev/ttyUSB0" in note.text()
    dialog.close()


def test_save_writes_the_terminal_and_opens_it_anew(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(card_terminal="sim://terminal")
    sign_in_as(window, "Maria", "1111")
    first = ctx.card_terminal
    assert first is not None

    def change(url: str, prints: bool):  # type: ignore[no-untyped-def]
        def act(dialog: QWidget) -> None:
            dialog.urls["terminal"].setText(url)  # type: ignore[attr-defined]
            dialog.terminal_prints.setChecked(prints)  # type: ignore[attr-defined]
            QTest.keyClick(dialog.urls["terminal"], Qt.Key.Key_Return)  # type: ignore[attr-defined]

        return act

    in_dialog(change("none", True))
    press(window.sale.input, *DEVICES_KEY)
    saved = tomllib.loads((ctx.data_dir / "counter.toml").read_text(encoding="utf-8"))
    assert saved["card_terminal"] == "none" and saved["card_terminal_prints"] is True
    assert ctx.card_terminal is None and ctx.settings.card_terminal_prints is True
    label = window.devices.labels["terminal"]
    assert label.text() == "Card terminal: none" and not label.isVisible()

    in_dialog(change("sim://terminal", False))
    press(window.sale.input, *DEVICES_KEY)
    saved = tomllib.loads((ctx.data_dir / "counter.toml").read_text(encoding="utf-8"))
    assert saved["card_terminal"] == "sim://terminal" and saved["card_terminal_prints"] is False
    assert ctx.card_terminal is not None and ctx.card_terminal is not first
    qtbot.waitUntil(lambda: label.text() == "Card terminal: ready" and label.isVisible(), timeout=5000)


def test_counter_devices_tests_and_lists_the_terminal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok = counter("devices", "test", "sim://terminal", data_dir=tmp_path)
    assert ok.returncode == 0, ok.stderr
    said = ok.stdout.strip()
    assert said == "OK: Card terminal sim://terminal (terminal id 52500042): ready, and it reaches its bank."

    url = dead_address()
    dead = counter("devices", "test", url, "--kind", "terminal", data_dir=tmp_path)
    assert dead.returncode == 1
    (line,) = dead.stderr.strip().splitlines()
    assert line.startswith(f"FAILED: Card terminal {url} is not answering:") and "switched on" in line

    wrong = counter("devices", "test", "serial:///dev/ttyS0", "--kind", "terminal", data_dir=tmp_path)
    assert wrong.returncode == 2 and "zvt+serial:///dev/ttyS0" in wrong.stderr and "Traceback" not in wrong.stderr

    (tmp_path / "counter.toml").write_text(f'card_terminal = "{url}"\n', encoding="utf-8")
    listed = counter("devices", "list", data_dir=tmp_path)
    assert listed.returncode == 1
    (row,) = [x for x in listed.stdout.splitlines() if x.startswith("terminal")]
    assert url in row and "FAILED" in row and "not answering" in row


def test_the_watch_says_busy_while_a_payment_holds_the_terminal(qtbot) -> None:  # type: ignore[no-untyped-def]
    """No Qt: the watch's thread asks; a sale the terminal never acknowledges holds it."""
    from app.card_terminal import TerminalWatch
    from devices.payment import ZvtDeadlines, open_terminal
    from devices.sim.zvt_terminal import Fault

    terminal = open_terminal("sim://terminal", deadlines=ZvtDeadlines(ack=2.0, idle=2.0, total=4.0))
    changes: list[object] = []
    watch = TerminalWatch(terminal, interval=0.1, busy_after=0.3, on_change=changes.append).start()
    try:
        qtbot.waitUntil(lambda: watch.reading().status is not None and watch.reading().status.ready, timeout=5000)
        assert not watch.reading().busy
        terminal.simulator.fault = Fault.SILENT  # the sale waits for an acknowledgement that never comes
        sale = threading.Thread(target=lambda: terminal.sale(1250), daemon=True)
        sale.start()
        qtbot.waitUntil(lambda: watch.reading().busy, timeout=5000)
        sale.join(10)
        qtbot.waitUntil(lambda: not watch.reading().busy, timeout=5000)
        assert watch.reading().status is not None and watch.reading().status.ready
    finally:
        watch.stop()
    assert getattr(changes[0], "ready", None) is True  # the first answer was passed on
    with pytest.raises(ConnectionRefusedError):  # the watch's thread closed the terminal, its simulator stopped
        socket.create_connection(("127.0.0.1", terminal.simulator.port), timeout=2).close()
