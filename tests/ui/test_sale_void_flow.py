"""Part payments can be undone (issue #16 point 3), in the real window by keys alone: F9, 5,
Alt+P (a $5 part payment in cash), then Shift+F6. The cashier confirms what goes back, a
supervisor approves with their PIN, the void is journaled with the cash given back, the
simulated drawer is kicked for it (journaled first, with the void's number), the void slip
comes out of the simulated printer, and the cashier is told what to hand back."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from counter.barcodes import read_code
from devices.escpos.decode import decode
from tests.ui.conftest import in_dialog, press, type_enter, upc_codes
from tests.ui.device_support import entries, open_window_fixture, sign_in_as  # noqa: F401
from tests.ui.test_return_flows import approve_as


def test_f9_five_alt_p_then_shift_f6_gives_the_five_dollars_back_from_the_drawer(  # type: ignore[no-untyped-def]
    open_window, qtbot
) -> None:
    ctx, window = open_window(drawer="sim://drawer")
    drawer = window.devices.devices.drawer.simulator
    sign_in_as(window, "Maria", "1111")
    screen, field = window.sale, window.sale.input
    code = max(upc_codes(ctx, 40), key=lambda c: ctx.catalog.by_code(read_code(c)).price)  # type: ignore[union-attr]
    type_enter(field, code)
    total = screen.cart.total
    assert total > 5

    def five_as_part_payment(dialog: QWidget) -> None:
        QTest.keyClicks(dialog.edit, "5")  # type: ignore[attr-defined]
        dialog.activateWindow()  # a shortcut goes to the active window (the till's window manager does this)
        qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
        QTest.keyClick(dialog.edit, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)  # type: ignore[attr-defined]
        qtbot.waitUntil(dialog.part.isChecked, timeout=2000)  # type: ignore[attr-defined]  # Qt animates the click
        QTest.keyClick(dialog.edit, Qt.Key.Key_Return)  # type: ignore[attr-defined]

    in_dialog(five_as_part_payment)
    press(field, Qt.Key.Key_F9)
    assert screen.message.text().startswith("Took $5.00 cash."), screen.message.text()
    (taken,) = entries(ctx, "PartPaymentTaken")
    assert taken.body_data()["tender"]["amount"] == 500
    QApplication.processEvents()
    assert drawer.kicks == 0  # a part payment is taken with the sale's own drawer opening, not before

    asked: list[str] = []

    def confirm(dialog: QWidget) -> None:
        asked.append(dialog.headline.text())  # type: ignore[attr-defined]
        in_dialog(approve_as("Dana", "3333", "customer changed their mind"))
        QTest.keyClick(dialog, Qt.Key.Key_Return)

    in_dialog(confirm)
    press(field, Qt.Key.Key_F6, Qt.KeyboardModifier.ShiftModifier)
    assert asked == ["Give back $5.00 cash?"]

    (voided,) = entries(ctx, "SaleVoided")
    body = voided.body_data()
    number = body["void_number"]
    assert (body["part_payments"], [(g["kind"], g["amount"]) for g in body["given_back"]]) == (1, [("cash", 500)])
    assert body["approved_by"] == next(u.id for u in ctx.reads.list_users() if u.name.startswith("Dana"))
    assert screen.message.text().startswith(f"Sale voided ({number}). Give the customer $5.00 cash from the drawer.")
    assert screen.payment is None and screen.cart.is_empty

    qtbot.waitUntil(lambda: drawer.kicks == 1, timeout=5000)
    opened = entries(ctx, "DrawerOpened")[-1].body_data()
    assert (opened["reason"], opened["reference"]) == ("cash_refund", number)

    printer = window.printing.printer
    jobs = printer.simulator.wait_for_jobs(1, timeout=10)
    text = decode(jobs[-1], page=window.printing.profile.page).text()
    assert "VOID" in text and number in text and "Cash given back" in text and "$5.00" in text
    assert "Voided by Maria Lopez." in text and "Approved by Dana Whitfield." in text
    qtbot.waitUntil(lambda: "Void slip printed." in screen.message.text(), timeout=10000)
    assert "Receipt printed" not in screen.message.text() and "Printing" not in screen.message.text()
