"""The device settings window (Ctrl+Shift+D): addresses checked as typed, test buttons on
real (simulated) devices, Save to counter.toml applied at once (issue 3, 'Show')."""

from __future__ import annotations

import tomllib

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from devices.escpos.decode import decode
from devices.sim.netprinter import SimNetworkPrinter
from tests.ui.conftest import in_dialog, press
from tests.ui.device_support import entries, open_window_fixture, sign_in_as  # noqa: F401
from tests.ui.wedge_keys import Clock, type_timed
from ui.devices.device_settings import DeviceSettingsDialog

DEVICES_KEY = (Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)


def settings_dialog(window) -> DeviceSettingsDialog:  # type: ignore[no-untyped-def]
    ui = window.devices
    return DeviceSettingsDialog(window.sale, window.ctx, window.printing, ui.devices, ui.drawers, window.user)


def test_addresses_are_checked_as_they_are_typed(open_window) -> None:  # type: ignore[no-untyped-def]
    _ctx, window = open_window()
    dialog = settings_dialog(window)
    dialog.urls["display"].setText("serial:///dev/ttyUSB1?baud=9600")
    note = dialog.notes["display"]
    assert note.objectName() == "dialogError"
    assert "“baud” is not a setting for serial://" in note.text() and "Did you mean “baudrate”?" in note.text()
    dialog.urls["printer"].setText("escpos+tpc://10.0.0.5")
    assert "Did you mean escpos+tcp://?" in dialog.notes["printer"].text()
    dialog.urls["scanner"].setText("serial:///dev/ttyACM0")
    assert dialog.notes["scanner"].text() == "Not in use yet: test it, then Save."
    dialog.urls["drawer"].setText("sim://display")
    assert "simulated display, not a drawer" in dialog.notes["drawer"].text()
    dialog._try_accept()
    assert "Fix the address of the receipt printer and the cash drawer and the customer display" in dialog.error.text()
    assert not (window.ctx.data_dir / "counter.toml").exists()
    dialog.close()


def test_test_buttons_use_the_running_devices(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(scanner="sim://scanner", drawer="sim://drawer")
    sign_in_as(window, "Dana", "3333")
    dialog = settings_dialog(window)
    dialog.show()  # modal and in front: where scans go
    printer = window.printing.printer.simulator
    jobs = len(printer.jobs)

    dialog.tests["printer"].click()
    qtbot.waitUntil(lambda: dialog.notes["printer"].text() == "Test page printed.", timeout=10000)
    assert "PRINTER TEST" in decode(printer.jobs[jobs]).text()

    dialog.tests["display"].click()
    qtbot.waitUntil(lambda: "simulated display shows: “Counter display test”" in dialog.notes["display"].text())

    dialog.tests["scanner"].click()  # the simulated scanner scans an EAN-13 through the app's scan path
    qtbot.waitUntil(lambda: "4006381333931" in dialog.notes["scanner"].text(), timeout=5000)
    assert dialog.notes["scanner"].text().startswith("Read a product barcode “4006381333931”")

    drawer = window.devices.devices.drawer.simulator
    dialog.tests["drawer"].click()  # a supervisor: opens at once, journaled as a no-sale
    qtbot.waitUntil(lambda: drawer.kicks == 1, timeout=5000)
    (opened,) = entries(ctx, "DrawerOpened")
    assert opened.body_data()["reason"] == "no_sale" and "Drawer test" in opened.body_data()["note"]
    dialog.close_sim.click()
    assert not drawer.is_open_drawer
    dialog.close()


def test_a_typed_address_is_tested_on_a_worker_thread(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    _ctx, window = open_window()
    dialog = settings_dialog(window)
    with SimNetworkPrinter() as other:
        dialog.urls["printer"].setText(other.url)
        dialog.tests["printer"].click()
        assert dialog.notes["printer"].text() == "Testing…" and not dialog.tests["printer"].isEnabled()
        qtbot.waitUntil(lambda: dialog.tests["printer"].isEnabled(), timeout=15000)
        assert dialog.notes["printer"].text().startswith(f"Test page printed on {other.url}")
        assert "PRINTER TEST" in decode(other.jobs[-1]).text()
    dialog.urls["display"].setText("serial:///dev/counter-no-such-port")
    dialog.tests["display"].click()
    qtbot.waitUntil(lambda: dialog.tests["display"].isEnabled(), timeout=10000)
    assert "cannot be found" in dialog.notes["display"].text()
    assert dialog.notes["display"].objectName() == "dialogError"
    dialog.close()


def test_a_wedge_scan_shows_in_the_window(open_window) -> None:  # type: ignore[no-untyped-def]
    _ctx, window = open_window(wedge=True)
    dialog = settings_dialog(window)
    dialog.show()
    field = dialog.urls["display"]
    before = field.text()
    type_timed(field, "4006381333931", 10, Clock())
    assert field.text() == before  # the scan did not land in the address field
    assert "“4006381333931”" in dialog.notes["scanner"].text()
    dialog.close()


def test_a_scanners_suffix_set_in_counter_toml_marks_its_scans_and_is_stripped(store_dir, open_window) -> None:  # type: ignore[no-untyped-def]
    (store_dir / "counter.toml").write_text('wedge_suffix = "#"  # programmed into the scanner\n', encoding="utf-8")
    ctx, window = open_window(wedge=True)
    assert ctx.settings.wedge_suffix == "#" and not ctx.settings.problems
    assert window.devices.wedge.config.suffix == "#"
    dialog = settings_dialog(window)
    dialog.show()
    type_timed(dialog.urls["display"], "4006381333931#", 10, Clock())
    assert "“4006381333931”" in dialog.notes["scanner"].text()  # the code, without the suffix
    dialog.close()


def test_save_writes_counter_toml_keeps_what_was_there_and_applies_at_once(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window()
    path = ctx.data_dir / "counter.toml"
    path.write_text("# my till\nprinter_columns = 42  # 80 mm paper\nshow_receipt_preview = true\n", encoding="utf-8")
    sign_in_as(window, "Maria", "1111")
    old_printer = window.printing.printer
    assert window.devices.devices.display is not None

    def change(dialog: QWidget) -> None:
        dialog.urls["display"].setText("none")  # type: ignore[attr-defined]
        dialog.urls["scanner"].setText("sim://scanner")  # type: ignore[attr-defined]
        dialog.paper.setCurrentIndex(dialog.paper.findData(32))  # type: ignore[attr-defined]
        dialog.wait_closed.setChecked(True)  # type: ignore[attr-defined]
        QTest.keyClick(dialog.urls["display"], Qt.Key.Key_Return)  # type: ignore[attr-defined]

    in_dialog(change)
    press(window.sale.input, *DEVICES_KEY)
    assert "Device settings saved" in window.sale.message.text()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my till\nprinter_columns = 32  # 80 mm paper\nshow_receipt_preview = true\n")
    saved = tomllib.loads(text)
    assert saved["display"] == "none" and saved["scanner"] == "sim://scanner" and saved["drawer_wait_closed"] is True
    # in use at once: no display, a serial scanner, a new printer for the narrower paper
    assert window.devices.devices.display is None and window.devices.devices.scanner is not None
    assert window.printing.printer is not old_printer and window.printing.profile.columns == 32
    assert ctx.settings.drawer_wait_closed is True
    qtbot.waitUntil(lambda: window.devices.labels["display"].text() == "Display: none", timeout=3000)
    qtbot.waitUntil(lambda: window.printer_label.text() == "Printer: Ready", timeout=10000)
