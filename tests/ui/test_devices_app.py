"""Scanner, cash drawer and customer display through the real window (issue 3, 'Show').

The simulated printer is a real TCP server, the simulated scanner and display sit behind
pseudo-terminals (real serial I/O through pyserial), the simulated serial drawer is a
pyserial-like port with a switch: no device object is mocked.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from counter.journal import verify
from db import schema as s
from db.queries import journal_entries
from devices.display import fit
from tests.ui.conftest import in_dialog, press, type_enter, upc_codes
from tests.ui.device_support import entries, open_window_fixture, pay_card, pay_cash, sign_in_as  # noqa: F401
from tests.ui.test_return_flows import approve_as, sell
from tests.ui.wedge_keys import Clock, type_timed


def money(ctx, amount: Decimal) -> str:  # type: ignore[no-untyped-def]
    return ctx.store.currency.format(amount, ctx.store.locale)


def due_drawer(ctx, reference: str) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    """(state, settled_by) of the drawer openings due for ``reference`` (counter.trust.outbox)."""
    with ctx.read_uow() as uow:
        pending = uow.outbox.pending_drawers([reference])
    with ctx.db.read.connect() as conn:
        rows = conn.execute(
            select(s.outbox.c.state, s.outbox.c.settled_by).where(
                s.outbox.c.reference == reference, s.outbox.c.due == "drawer"
            )
        ).all()
    assert len(pending) == sum(1 for r in rows if r.state == "pending")
    return [(r.state, r.settled_by) for r in rows]


# --------------------------------------------------------------------------- scanning


def test_a_scan_adds_the_item_and_never_lands_in_the_search_field(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Timing on the events' own clock only: the person's pause before the scan is on the
    fake clock too, so the 't' is a person's key whether or not the flush timer ran first
    (it used to rest on a qWait long enough for the timer, and flaked under load)."""
    ctx, window = open_window(wedge=True)
    sign_in_as(window, "Maria", "1111")
    sale = window.sale
    code = upc_codes(ctx, 1)[0]
    clock = Clock()
    type_timed(sale.input, "ket", 180, clock, enter=False)  # a person starts a search...
    qtbot.waitUntil(lambda: sale.input.text() == "ket", timeout=3000)  # the held 't' comes once keys pause
    clock.now += 700  # ...picks up the scanner...
    type_timed(sale.input, code, 12, clock)  # ...and scans an item meanwhile
    assert sale.model.rowCount() == 1, sale.message.text()
    assert sale.model.line_at(0).item.barcode.endswith(code)
    assert sale.input.text() == "ket"  # the scan's digits never reached the field


def test_a_scan_right_after_a_persons_keys_is_still_one_scan(open_window) -> None:  # type: ignore[no-untyped-def]
    """No wait at all on the wall clock: the person's held key is handed on by the scan's
    first key, 300 ms later on the events' clock."""
    ctx, window = open_window(wedge=True)
    sign_in_as(window, "Maria", "1111")
    sale = window.sale
    code = upc_codes(ctx, 1)[0]
    clock = Clock()
    type_timed(sale.input, "ket", 180, clock, enter=False)
    clock.now += 300
    type_timed(sale.input, code, 12, clock)
    assert sale.model.rowCount() == 1, sale.message.text()
    assert sale.input.text() == "ket"


def test_a_scan_while_the_quantity_dialog_is_open_adds_the_item_and_leaves_the_quantity_alone(  # type: ignore[no-untyped-def]
    open_window, qtbot
) -> None:
    ctx, window = open_window(wedge=True)
    sign_in_as(window, "Maria", "1111")
    sale = window.sale
    first, second = upc_codes(ctx, 2)
    type_timed(sale.input, first, 10, Clock())
    assert sale.model.rowCount() == 1
    seen: dict[str, str] = {}

    def scan_into_dialog(dialog: QWidget) -> None:
        field = dialog.edit  # type: ignore[attr-defined]
        type_timed(field, second, 10, Clock(5_000_000))
        seen["text"] = field.text()
        seen["rows"] = str(sale.model.rowCount())
        QTest.keyClick(field, Qt.Key.Key_Escape)

    in_dialog(scan_into_dialog)
    press(sale.input, Qt.Key.Key_F3)
    assert seen == {"text": "1", "rows": "2"}  # added while the dialog was open; field untouched
    assert [sale.model.line_at(i).quantity for i in range(2)] == [1, 1]


def test_a_scan_on_the_return_screen_loads_the_receipt_then_marks_the_item(open_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(wedge=True)
    code = upc_codes(ctx, 1)[0]
    past = sell(ctx, [code, code], card=True)
    sign_in_as(window, "Maria", "1111")
    press(window.sale.input, Qt.Key.Key_F7)
    screen = window.returns
    clock = Clock()
    type_timed(screen.input, past.receipt_number, 8, clock)  # the receipt's CODE128 barcode
    assert past.receipt_number in screen.header.text(), screen.message.text()
    type_timed(screen.table, code, 8, clock)  # then the item the customer brings back
    assert screen.draft.picks[past.lines[0].id].quantity == 1, screen.message.text()
    assert "one more marked to return" in screen.message.text()


def test_a_serial_scanner_adds_items_through_the_same_handler(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(scanner="sim://scanner")
    assert window.devices.labels["scanner"].text() == "Scanner: ready"
    sign_in_as(window, "Maria", "1111")
    code = upc_codes(ctx, 1)[0]
    window.devices.devices.scanner.simulator.scan(code, "]E0")  # over a pty, read by pyserial
    qtbot.waitUntil(lambda: window.sale.model.rowCount() == 1, timeout=5000)
    window.devices.devices.scanner.simulator.scan_preset("Bad check digit")
    qtbot.waitUntil(lambda: "check digit" in window.sale.message.text(), timeout=5000)
    assert window.sale.model.rowCount() == 1


# ----------------------------------------------------------------------------- drawer


def test_a_cash_sale_kicks_the_drawer_and_a_card_sale_does_not(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window()  # the demo's drawer: on the simulated printer's kick port
    printer = window.printing.printer.simulator
    sign_in_as(window, "Maria", "1111")
    a, b = upc_codes(ctx, 2)
    type_enter(window.sale.input, a)
    pay_cash(window, "500")
    receipt = window.sale.last_sale.receipt_number
    qtbot.waitUntil(lambda: printer.drawer_open, timeout=5000)
    qtbot.waitUntil(lambda: window.devices.labels["drawer"].text() == "Drawer: OPEN", timeout=5000)
    (opened,) = entries(ctx, "DrawerOpened")
    assert opened.body_data() | {"request_id": ""} == {
        "request_id": "",
        "reason": "cash_sale",
        "user": window.user.id,
        "reference": receipt,
        "note": "",
        "approved": False,
    }
    assert due_drawer(ctx, receipt) == [("done", window.user.id)]  # due with the sale, settled with its entry
    printer.close_drawer()
    window.printing.printer.refresh_status()
    qtbot.waitUntil(lambda: window.devices.labels["drawer"].text() == "Drawer: closed", timeout=5000)

    type_enter(window.sale.input, b)
    pay_card(window)
    assert window.sale.last_sale.receipt_number != receipt
    QTest.qWait(600)  # a kick would have reached the printer by now
    assert not printer.drawer_open
    assert len(entries(ctx, "DrawerOpened")) == 1
    assert due_drawer(ctx, window.sale.last_sale.receipt_number) == []  # a card sale owes the drawer nothing
    assert verify(list(journal_entries(ctx.db.read, ctx.terminal.terminal_id))).ok


def test_the_next_sale_waits_until_the_serial_drawer_is_closed(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(drawer="sim://drawer", drawer_wait_closed=True)
    drawer = window.devices.devices.drawer.simulator
    sign_in_as(window, "Maria", "1111")
    a, b = upc_codes(ctx, 2)
    type_enter(window.sale.input, a)
    pay_cash(window, "500")
    qtbot.waitUntil(lambda: drawer.is_open_drawer and drawer.kicks == 1, timeout=5000)
    qtbot.waitUntil(lambda: window.devices.labels["drawer"].text() == "Drawer: OPEN", timeout=5000)

    type_enter(window.sale.input, b)
    assert window.sale.model.rowCount() == 0
    assert "cash drawer is still open" in window.sale.message.text()
    assert "Close the drawer" in window.sale.message.text()

    drawer.close_drawer()  # the cashier pushes it shut; the sensor is polled
    qtbot.waitUntil(lambda: "drawer is closed" in window.sale.message.text(), timeout=5000)
    type_enter(window.sale.input, b)
    assert window.sale.model.rowCount() == 1


def test_no_sale_needs_a_reason_and_is_journaled(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(drawer="sim://drawer")
    drawer = window.devices.devices.drawer.simulator
    sign_in_as(window, "Dana", "3333")  # a supervisor: may open the drawer
    seen: list[str] = []

    def give_reason(dialog: QWidget) -> None:
        QTest.keyClick(dialog.reason, Qt.Key.Key_Return)  # type: ignore[attr-defined]
        seen.append(dialog.error.text())  # type: ignore[attr-defined]
        dialog.reason.setText("change for the float")  # type: ignore[attr-defined]
        QTest.keyClick(dialog.reason, Qt.Key.Key_Return)  # type: ignore[attr-defined]

    in_dialog(give_reason)
    press(window.sale.input, Qt.Key.Key_F9, Qt.KeyboardModifier.ShiftModifier)
    assert "Say why" in seen[0]
    qtbot.waitUntil(lambda: drawer.kicks == 1, timeout=5000)
    (opened,) = entries(ctx, "DrawerOpened")
    body = opened.body_data()
    assert (body["reason"], body["note"], body["user"], body["reference"]) == (
        "no_sale",
        "change for the float",
        window.user.id,
        None,
    )
    assert "Drawer opened, no sale" in window.sale.message.text()


def test_a_cashiers_no_sale_needs_a_supervisors_pin(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(drawer="sim://drawer")
    drawer = window.devices.devices.drawer.simulator
    sign_in_as(window, "Maria", "1111")

    def reason_then_cancel(dialog: QWidget) -> None:
        dialog.reason.setText("customer needs change")  # type: ignore[attr-defined]
        in_dialog(lambda approval: approval.reject())
        QTest.keyClick(dialog.reason, Qt.Key.Key_Return)  # type: ignore[attr-defined]

    in_dialog(reason_then_cancel)
    press(window.sale.input, Qt.Key.Key_F9, Qt.KeyboardModifier.ShiftModifier)
    assert "Not approved" in window.sale.message.text()
    assert entries(ctx, "DrawerOpened") == [] and drawer.kicks == 0

    def reason_then_approve(dialog: QWidget) -> None:
        dialog.reason.setText("customer needs change")  # type: ignore[attr-defined]
        in_dialog(approve_as("Dana", "3333", "saw the customer"))
        QTest.keyClick(dialog.reason, Qt.Key.Key_Return)  # type: ignore[attr-defined]

    QTest.qWait(1100)  # drawers refuse a second kick within a second; not the point here
    in_dialog(reason_then_approve)
    press(window.sale.input, Qt.Key.Key_F9, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: drawer.kicks == 1, timeout=5000)
    (opened,) = entries(ctx, "DrawerOpened")
    (granted,) = entries(ctx, "ApprovalGranted")
    assert opened.body_data()["approved"] is True
    assert granted.body_data()["request_id"] == opened.body_data()["request_id"]
    assert granted.body_data()["kinds"] == ["no_sale"]


def test_a_cash_refund_kicks_the_drawer(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(drawer="sim://drawer")
    drawer = window.devices.devices.drawer.simulator
    code = upc_codes(ctx, 1)[0]
    past = sell(ctx, [code], card=False)
    sign_in_as(window, "Dana", "3333")
    press(window.sale.input, Qt.Key.Key_F7)
    screen = window.returns
    type_enter(screen.input, past.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "1")
    press(screen.table, Qt.Key.Key_F10)
    record = screen.last_record
    assert record is not None, screen.message.text()
    qtbot.waitUntil(lambda: drawer.kicks == 1, timeout=5000)
    (opened,) = entries(ctx, "DrawerOpened")
    assert (opened.body_data()["reason"], opened.body_data()["reference"]) == ("cash_refund", record.return_number)
    assert due_drawer(ctx, record.return_number) == [("done", window.user.id)]


def test_a_cash_sale_whose_drawer_does_not_open_says_so(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(drawer="none")
    sign_in_as(window, "Maria", "1111")
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    pay_cash(window, "500")
    receipt = window.sale.last_sale.receipt_number
    qtbot.waitUntil(lambda: "The cash drawer did not open" in window.sale.message.text(), timeout=5000)
    text = window.sale.message.text()
    assert "No cash drawer is set up" in text and "Open it with its key" in text
    assert receipt in text  # the sale's own line is still there
    # its opening was journaled before the kick, as every opening is: not left due to be offered again
    assert due_drawer(ctx, receipt) == [("done", window.user.id)]
    assert [e.body_data()["reference"] for e in entries(ctx, "DrawerOpened")] == [receipt]


# ---------------------------------------------------------------------------- display


def test_the_display_shows_each_item_and_the_total_then_total_and_change(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    import ui.devices.customer_display

    ctx, window = open_window(wedge=True)
    display = window.devices.devices.display.simulator
    welcome = (ctx.settings.display_welcome.center(20), ctx.store.name[:20].center(20))
    display.wait_for(*welcome)
    assert display.rows == tuple(r[:20] for r in welcome)
    sign_in_as(window, "Maria", "1111")
    a, b = upc_codes(ctx, 2)
    clock = Clock()
    for code in (a, b):
        type_timed(window.sale.input, code, 10, clock)  # scanned
    line = window.sale.model.line_at(1)
    total = window.sale.cart.total
    want = (fit(line.item.name, money(ctx, line.item.price)), fit("Total", money(ctx, total)))
    assert display.wait_for(*want) == want

    ui.devices.customer_display.WELCOME_AFTER_MS = 600  # do not wait 8 s for the welcome text
    try:
        pay_cash(window, "500")
        sale = window.sale.last_sale
        paid = (fit("Total", money(ctx, sale.total)), fit("Change", money(ctx, sale.change)))
        qtbot.waitUntil(lambda: display.rows == paid, timeout=3000)  # the event loop must run
        qtbot.waitUntil(lambda: display.rows == tuple(r[:20] for r in welcome), timeout=3000)
    finally:
        ui.devices.customer_display.WELCOME_AFTER_MS = 8000
