"""The cash office walked by keyboard: paid out, X report, blind close, Z report, new shift."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from devices.escpos.decode import decode
from tests.db.test_documents_content import pdf_text
from tests.ui.conftest import in_dialog, press, sign_in, type_enter


def open_office(window, name: str, pin: str) -> QWidget:  # type: ignore[no-untyped-def]
    sign_in(window, name, pin)
    press(window.sale.input, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.cash_office
    return window.cash_office


def fill_count(pieces: dict[str, int], note: str = ""):  # type: ignore[no-untyped-def]
    def act(dialog: QWidget) -> None:
        for denom, n in pieces.items():
            dialog.spins[Decimal(denom)].setValue(n)  # type: ignore[attr-defined]
        if note:
            dialog.note.setText(note)  # type: ignore[attr-defined]
        QTest.keyClick(dialog, Qt.Key.Key_Return)

    return act


def test_a_day_at_the_cash_office(app_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    office = open_office(window, "Dana", "3333")
    assert "Expected in the drawer now" in office.status.text()  # a supervisor sees it

    def paid_out(dialog: QWidget) -> None:
        QTest.keyClicks(dialog.amount, "12.50")  # type: ignore[attr-defined]
        type_enter(dialog.reason, "window cleaner")  # type: ignore[attr-defined]

    in_dialog(paid_out)
    press(office, Qt.Key.Key_F4)
    assert "Paid out: $12.50 recorded" in office.message.text(), office.message.text()

    before = window.sale.preview.toPlainText()
    press(office, Qt.Key.Key_F6)
    jobs = window.printing.printer.simulator.wait_for_jobs(1, timeout=10)
    assert "X REPORT" in decode(jobs[-1], page=window.printing.profile.page).text()
    QApplication.processEvents()  # the preview follows the spooler's queued signal
    # the report shows in the cash office, never as the next cashier's "last receipt" (issue #16)
    assert "X REPORT" in office.preview.toPlainText()
    assert window.sale.preview.toPlainText() == before and "X REPORT" not in before

    in_dialog(fill_count({"20": 10}, note="short: will check the safe"))
    press(office, Qt.Key.Key_F7)
    assert "Shift closed. Counted $200.00" in office.message.text(), office.message.text()
    assert "over/short" in office.message.text()

    press(office, Qt.Key.Key_F9)
    assert "Z report" in office.message.text(), office.message.text()
    jobs = window.printing.printer.simulator.wait_for_jobs(2, timeout=10)
    z_text = decode(jobs[-1], page=window.printing.profile.page).text()
    assert "Z REPORT" in z_text and "GRAND TOTALS" in z_text and "window cleaner" not in z_text
    assert "Paid out" in z_text
    (saved,) = (ctx.data_dir / "documents").glob("z-report-T01-*.pdf")
    z_pdf = pdf_text(saved.read_bytes())
    number = saved.name.split("-")[3]
    assert f"Z REPORT {number}" in z_pdf and f"Z REPORT {number}" in z_text
    assert "Paid out 1 $12.50" in z_pdf and "Paid out 1 $12.50" in " ".join(z_text.split())
    assert "Shifts (counted − expected)" in z_pdf and "$200.00 /" in z_pdf, z_pdf  # the blind count

    press(office, Qt.Key.Key_F11)  # a reprint is a copy
    jobs = window.printing.printer.simulator.wait_for_jobs(3, timeout=10)
    assert "COPY 1" in decode(jobs[-1], page=window.printing.profile.page).text()

    in_dialog(fill_count({"20": 5, "10": 5}))
    press(office, Qt.Key.Key_F2)
    assert "Shift open with a float of $150.00" in office.message.text()
    press(office, Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.sale
    assert "open since" in window.shift_label.text()


def test_a_cashier_cannot_take_cash_out_and_does_not_see_the_expected_amount(app_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    office = open_office(window, "Maria", "1111")
    assert "Expected" not in office.status.text()

    def paid_out(dialog: QWidget) -> None:
        QTest.keyClicks(dialog.amount, "5")  # type: ignore[attr-defined]
        type_enter(dialog.reason, "coffee")  # type: ignore[attr-defined]

    in_dialog(paid_out)
    press(office, Qt.Key.Key_F4)
    assert "may not take cash out" in office.message.text()
    press(office, Qt.Key.Key_F9)
    assert "may not take the Z report" in office.message.text()


def test_selling_without_an_open_shift_is_explained(app_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    office = open_office(window, "Dana", "3333")
    with ctx.read_uow() as uow:
        expected = uow.shifts.expected_cash(uow.shifts.current("T01"))
    in_dialog(fill_count({"0.01": int(expected * 100)}))
    press(office, Qt.Key.Key_F7)
    press(office, Qt.Key.Key_Escape)
    assert "none open" in window.shift_label.text()
    from tests.ui.conftest import upc_codes

    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    assert "No shift is open" in window.sale.message.text()
    assert "Ctrl+K" in window.sale.message.text()
    assert window.sale.model.rowCount() == 0
