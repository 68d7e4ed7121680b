"""Printer faults through the app (issue 3, 'Show'): the sale is recorded whatever the
printer does, the job shows as not printed (message, status bar, print-jobs window), and
F11 prints a good COPY once the printer is back. Real TCP to the simulated printer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from db import schema as s
from db.queries import sale_by_number
from devices.escpos.decode import decode
from devices.sim.netprinter import SimNetworkPrinter
from tests.ui.conftest import in_dialog, press, type_enter, upc_codes
from tests.ui.device_support import entries, open_window_fixture, pay_cash, sign_in_as  # noqa: F401
from ui.devices.print_jobs import PrintJobsDialog


def _off(sim: SimNetworkPrinter) -> None:
    sim.power_off()


def _on(sim: SimNetworkPrinter) -> None:
    sim.power_on()


def _set(name: str, value: object) -> Callable[[SimNetworkPrinter], None]:
    return lambda sim: setattr(sim, name, value)


FAULTS = {
    # fault: (break it, fix it, what the message says)
    "offline before the job": (_off, _on, "is offline"),
    "out of paper": (_set("paper_out", True), _set("paper_out", False), "out of paper"),
    "connection dropped mid-job": (_set("drop_mid_job", 40), _set("drop_mid_job", None), "dropped while printing"),
    "no status reply": (_set("silent", True), _set("silent", False), "not answering"),
}


def job_states(ctx, reference: str) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    with ctx.db.read.connect() as conn:
        rows = conn.execute(
            select(s.print_jobs.c.copy_number, s.print_jobs.c.state)
            .where(s.print_jobs.c.reference == reference)
            .order_by(s.print_jobs.c.created_at)
        )
        return [(r[0], r[1]) for r in rows]


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_print_fault_leaves_the_sale_recorded_and_f11_prints_a_copy_after_recovery(  # type: ignore[no-untyped-def]
    open_window, qtbot, fault: str
) -> None:
    ctx, window = open_window()
    sim = window.printing.printer.simulator
    breaks, fixes, says = FAULTS[fault]
    sign_in_as(window, "Maria", "1111")
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    printed_before = len(sim.jobs)
    breaks(sim)

    pay_cash(window, "100")
    sale = window.sale.last_sale
    assert sale is not None, window.sale.message.text()
    assert sale_by_number(ctx.db.read, sale.receipt_number) is not None  # recorded, whatever the printer does
    qtbot.waitUntil(lambda: "did NOT print" in window.sale.message.text(), timeout=10000)
    message = window.sale.message.text()
    assert f"Sale {sale.receipt_number} recorded" in message and "The sale is saved" in message
    assert says in message and "F11" in message
    assert job_states(ctx, sale.receipt_number) == [(0, "failed")]
    indicator = window.devices.jobs_button
    qtbot.waitUntil(lambda: indicator.isVisible() or not indicator.isHidden(), timeout=2000)
    assert indicator.text().startswith("⚠ 1 not printed")
    assert sale.receipt_number in indicator.toolTip()

    listed: list[str] = []

    def look(dialog: QWidget) -> None:
        table = dialog.table  # type: ignore[attr-defined]
        listed.extend(table.item(0, c).text() for c in range(table.columnCount()))
        dialog.reject()

    in_dialog(look)
    press(window.sale.input, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert listed[1:5] == [sale.receipt_number, "sale", "", "NOT PRINTED"] and says in listed[5]

    fixes(sim)
    window.printing.printer.refresh_status()
    qtbot.waitUntil(lambda: window.printer_label.text() == "Printer: Ready", timeout=10000)
    press(window.sale.input, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: job_states(ctx, sale.receipt_number) == [(0, "failed"), (1, "done")], timeout=10000)
    copy = decode(sim.jobs[-1], page=window.printing.profile.page).text()
    assert "COPY 1" in copy and sale.receipt_number in copy
    assert len(sim.jobs) > printed_before
    qtbot.waitUntil(lambda: indicator.isHidden(), timeout=2000)
    (reprinted,) = entries(ctx, "ReceiptReprinted")
    assert reprinted.body_data()["copy"] == 1


def test_the_print_jobs_window_prints_a_copy_of_a_failed_return_receipt_behind_a_banner(  # type: ignore[no-untyped-def]
    open_window, qtbot
) -> None:
    """Documents that cannot be rebuilt (a return receipt) are printed again from their
    stored bytes with COPY n on top."""
    ctx, window = open_window()
    sim = window.printing.printer.simulator
    sign_in_as(window, "Dana", "3333")
    data = b"\x1b@RETURN RECEIPT S01-T01-R000001\n"
    sim.paper_out = True
    job_id = window.printing.print_bytes(data, kind="return", reference="T01-R000001", copy_number=0)
    qtbot.waitUntil(lambda: job_states(ctx, "T01-R000001") == [(0, "failed")], timeout=10000)
    sim.paper_out = False
    window.printing.printer.refresh_status()
    qtbot.waitUntil(lambda: window.printer_label.text() == "Printer: Ready", timeout=10000)

    dialog = PrintJobsDialog(window, ctx, window.printing, window.user)
    rows = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    dialog.table.selectRow(rows.index("T01-R000001"))
    assert dialog._selected_id() == job_id
    dialog._try_accept()
    assert "COPY 1" in dialog.headline.text()
    qtbot.waitUntil(lambda: job_states(ctx, "T01-R000001") == [(0, "failed"), (1, "done")], timeout=10000)
    text = decode(sim.jobs[-1], page=window.printing.profile.page).text()
    assert text.index("COPY 1") < text.index("RETURN RECEIPT")
    dialog.close()
