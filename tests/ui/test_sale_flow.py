"""A whole sale by keyboard events alone, checked in the database and on paper."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select

from counter.journal import verify
from db import schema as s
from db.queries import journal_entries, sale_by_number
from devices.escpos.decode import decode
from tests.ui.conftest import in_dialog, press, sign_in, type_enter, upc_codes


def test_a_cash_sale_by_keyboard_alone(app_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    assert window.stack.currentWidget() is window.sale, window.signin.error.text()
    sale_screen = window.sale
    field = sale_screen.input
    a, b, c = upc_codes(ctx, 3)

    for code in (a, b, a, c):  # one item scanned twice
        type_enter(field, code)
    model = sale_screen.model
    assert model.rowCount() == 3
    assert [model.line_at(i).quantity for i in range(3)] == [2, 1, 1]

    # F3 on the selected (last scanned) line: quantity 3
    in_dialog(lambda d: type_enter(d.focusWidget(), "3"))
    press(field, Qt.Key.Key_F3)
    assert model.line_at(2).quantity == 3

    # ↑ selects the middle line; F6 voids it
    voided_name = model.line_at(1).item.name
    kept = (model.line_at(0).item.name, model.line_at(2).item.name)
    QTest.keyClick(field, Qt.Key.Key_Up)
    press(field, Qt.Key.Key_F6)
    assert model.rowCount() == 2, sale_screen.message.text()
    assert voided_name in sale_screen.message.text()

    total = sale_screen.cart.total
    tendered = (total // 10 + 1) * 10  # the next ten up
    in_dialog(lambda d: type_enter(d.focusWidget(), str(tendered)))
    press(field, Qt.Key.Key_F9)

    sale = sale_screen.last_sale
    assert sale is not None, sale_screen.message.text()
    assert "recorded" in sale_screen.message.text()
    assert sale_screen.total_value.text() == ctx.store.currency.format(tendered - total, ctx.store.locale)

    # the database: sale, lines, tender, journal entry whose chain verifies
    stored = sale_by_number(ctx.db.read, sale.receipt_number)
    assert stored is not None
    assert [(ln.name, ln.quantity) for ln in stored.lines] == [(kept[0], 2), (kept[1], 3)]
    assert stored.total == total
    assert [(t.kind, t.tendered, t.change) for t in stored.tenders] == [("cash", tendered, tendered - total)]
    entries = list(journal_entries(ctx.db.read, ctx.terminal.terminal_id))
    assert entries[-1].type == "SaleCompleted"
    assert entries[-1].body_data()["receipt_number"] == sale.receipt_number
    assert verify(entries).ok

    # the paper: the very bytes that reached the simulated printer, decoded
    printer = window.printing.printer
    jobs = printer.simulator.wait_for_jobs(1, timeout=10)
    text = decode(jobs[-1], page=window.printing.profile.page).text()
    for line in stored.lines:
        assert line.name[:20] in text
    assert sale.receipt_number in text
    assert ctx.store.currency.format(total, ctx.store.locale) in text
    assert "[BARCODE" in text and sale.receipt_number in text
    qtbot.waitUntil(lambda: "Receipt printed" in sale_screen.message.text(), timeout=10000)
    with ctx.db.read.connect() as conn:
        states = [
            r[0]
            for r in conn.execute(select(s.print_jobs.c.state).where(s.print_jobs.c.reference == sale.receipt_number))
        ]
    assert states == ["done"]


def test_card_payment_records_only_brand_last4_and_approval(app_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Sam", "2222")
    field = window.sale.input
    type_enter(field, upc_codes(ctx, 1)[0])

    def fill(dialog: QWidget) -> None:
        type_enter(dialog.last4, "4242")  # type: ignore[attr-defined]
        QTest.keyClicks(dialog.approval, "a1b2c3")  # type: ignore[attr-defined]
        QTest.keyClick(dialog.approval, Qt.Key.Key_Return)  # type: ignore[attr-defined]

    in_dialog(fill)
    press(field, Qt.Key.Key_F10)
    sale = window.sale.last_sale
    assert sale is not None, window.sale.message.text()
    (tender,) = sale.tenders
    assert tender.card is not None and (tender.card.last4, tender.card.approval_code) == ("4242", "A1B2C3")
    assert tender.amount == sale.total
    assert sale.change == Decimal(0)


def test_the_keys_follow_the_screen_an_f_key_opens(app_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """After F7 (returns), Ctrl+K (cash office) and F12 (sign out) the next keys go to the
    screen now showing, not to the hidden scan field of the sale screen: a person signs in
    again, or scans a receipt, without reaching for the mouse."""
    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    for key, mod, screen in (
        (Qt.Key.Key_F7, Qt.KeyboardModifier.NoModifier, window.returns),
        (Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier, window.cash_office),
    ):
        press(window.sale.input, key, mod)
        focus = window.focusWidget()
        assert window.stack.currentWidget() is screen
        assert focus is screen or screen.isAncestorOf(focus), focus
        press(focus, Qt.Key.Key_Escape)
        assert window.stack.currentWidget() is window.sale
    press(window.sale.input, Qt.Key.Key_F12)
    assert window.stack.currentWidget() is window.signin
    assert window.focusWidget() is window.signin.pin
    for char in "2222":  # Sam, picked with the arrow keys, then his PIN, then Enter
        QTest.keyClick(window.focusWidget(), char)
    window.signin.select("u-cashier-2")
    QTest.keyClick(window.focusWidget(), Qt.Key.Key_Return)
    assert window.user is not None and window.user.name.startswith("Sam")


def test_screen_keys_are_taken_before_the_text_field_acts_on_them(app_window) -> None:  # type: ignore[no-untyped-def]
    """On X11 a QLineEdit deletes the line on Ctrl+U and to its end on Ctrl+K, so those keys
    never travelled up from the scan field to the screen (the cash office and the customer
    did not open on a Linux till). Each screen's fields hand every key of its keymap to the
    screen first, whatever the platform's text bindings: what the field's filter does with
    Ctrl+K / Ctrl+U / Ctrl+N is what the key does, and the field's text stays as it was."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    ctrl = Qt.KeyboardModifier.ControlModifier

    def through_field_filter(screen: QWidget, key: Qt.Key) -> bool:
        event = QKeyEvent(QEvent.Type.KeyPress, key, ctrl)
        return screen.action_keys.eventFilter(screen.input, event)  # type: ignore[attr-defined]

    window.sale.input.setText("half-typed")
    assert through_field_filter(window.sale, Qt.Key.Key_K)
    assert window.stack.currentWidget() is window.cash_office
    press(window.cash_office, Qt.Key.Key_Escape)
    assert window.sale.input.text() == "half-typed"
    window.sale.input.clear()
    press(window.sale.input, Qt.Key.Key_F7)
    assert window.stack.currentWidget() is window.returns
    assert through_field_filter(window.returns, Qt.Key.Key_N)  # no receipt
    assert window.returns.no_receipt_mode
    assert through_field_filter(window.returns, Qt.Key.Key_U)
    assert window.stack.currentWidget() is window.desk
    assert not through_field_filter(window.desk, Qt.Key.Key_K)  # not a desk key: the field keeps it


def test_a_long_pull_shows_a_progress_bar_in_the_status_bar(app_window) -> None:  # type: ignore[no-untyped-def]
    from db.sync import SyncStatus

    ctx, window = app_window
    window.show()
    assert not window.sync_progress.isVisible()
    pulling = SyncStatus(
        enrolled=True, online=True, pulling="receiving changes, 400,000 so far (40%)", pull_fraction=0.4
    )
    window._sync_status(pulling)
    assert window.sync_progress.isVisible() and window.sync_progress.value() == 400
    assert window.sync_label.text() == "Sync: receiving changes, 400,000 so far (40%)"
    window._sync_status(SyncStatus(enrolled=True, online=True))
    assert not window.sync_progress.isVisible()
    assert window.sync_label.text().startswith("Sync: up to date")


def test_at_1024x768_an_offline_or_refused_lane_keeps_its_sync_item_and_others_step_aside(app_window) -> None:  # type: ignore[no-untyped-def]
    """The cashier must see that the lane is offline on the smallest screen too: a message
    beside the items (what was just printed, a refusal) made the sync item step aside
    while the lane was offline. A lane that is fine may still let it step aside."""
    from db.sync import SyncStatus

    ctx, window = app_window
    window.resize(1024, 768)
    sign_in(window, "Maria", "1111")
    bar = window.statusBar()
    labels = (window.user_label, window.terminal_label, window.shift_label, window.printer_label, window.sync_label)

    def shown() -> list[str]:
        QApplication.processEvents()
        return [label.text() for label in labels if label.isVisible()]

    def fits() -> bool:
        return sum(w.sizeHint().width() for w in labels if w.isVisible()) <= bar.width()

    message = "Receipt S01-T01-000042 printed. Hand the customer their receipt and the change: $12.35."
    window._sync_status(SyncStatus(enrolled=True, online=True))
    window.status(message, 60000)
    fine = shown()
    assert not window.sync_label.isVisible(), fine  # all is well: it steps aside for the message
    assert window.printer_label.isVisible()
    window._sync_status(SyncStatus(enrolled=True, online=False))
    offline = shown()
    assert window.sync_label.isVisible() and window.sync_label.text().startswith("Sync:"), offline
    assert window.printer_label.isVisible() and fits()
    window._sync_status(SyncStatus(enrolled=True, online=True, problem="HQ refused this lane's token"))
    assert window.sync_label.isVisible() and "refused" in window.sync_label.text() and fits()
    window._sync_status(SyncStatus(enrolled=True, online=True))
    assert shown() == fine  # back as it was
    bar.clearMessage()
    everything = shown()
    assert window.sync_label.isVisible() and len(everything) == len(labels), everything  # room for all again


def test_a_thousand_units_are_said_with_their_amount_and_taken_on_a_second_enter(app_window) -> None:  # type: ignore[no-untyped-def]
    """Issue #16: 1,000 units ($10,814) went on the sale without a word."""
    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    screen = window.sale
    (code,) = upc_codes(ctx, 1)
    type_enter(screen.input, code)
    item = screen.model.line_at(0).item
    amount = ctx.store.currency.format(item.price * 1000, ctx.store.locale)
    seen: dict[str, str] = {}

    def thousand_then_enter_again(d) -> None:  # type: ignore[no-untyped-def]
        type_enter(d.focusWidget(), "1000")
        seen["first"] = d.error.text()
        assert d.isVisible()  # not taken yet
        type_enter(d.focusWidget(), "")  # Enter again: that is right
        seen["closed"] = str(not d.isVisible())

    in_dialog(thousand_then_enter_again)
    press(screen.input, Qt.Key.Key_F3)
    assert seen["first"].startswith(f"1,000 × {item.name} comes to {amount}.")
    assert "Press Enter again if that is right" in seen["first"]
    assert seen["closed"] == "True" and screen.model.line_at(0).quantity == 1000

    def large_then_changed(d) -> None:  # type: ignore[no-untyped-def]
        type_enter(d.focusWidget(), "200")
        seen["second"] = d.error.text()
        d.focusWidget().selectAll()
        type_enter(d.focusWidget(), "20")  # corrected: a small line goes on at once, if it is small
        seen["closed2"] = str(not d.isVisible())

    in_dialog(large_then_changed)
    press(screen.input, Qt.Key.Key_F3)
    assert seen["second"].startswith(f"200 × {item.name} comes to")
    if item.price * 20 < 1000:
        assert seen["closed2"] == "True" and screen.model.line_at(0).quantity == 20
