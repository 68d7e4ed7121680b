"""A practised typist on the real screens with the wedge filter on (issue #16): keys 40-70
ms apart, Enter or Tab right after the text, are typing in every field. Before, any burst
of four keys or more under 80 ms a key was a scan: "chino" and Enter said "No item has the
code chino", "1200" in the quantity dialog the same, and the last word of a complaint,
a customer's ID and an approval's reason vanished as "That looked like a barcode scan".
"""

from __future__ import annotations

import random

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from db.desk_queries import case_events, cases_for
from tests.ui.conftest import in_dialog, press, upc_codes
from tests.ui.device_support import entries, open_window_fixture, sign_in_as  # noqa: F401
from tests.ui.test_service_desk_flows import on_file
from tests.ui.wedge_keys import Clock, send_key, type_gaps, type_timed
from ui.main_window import MainWindow


def typist(rng: random.Random, widget: QWidget, text: str, clock: Clock) -> None:
    """``text`` as a practised typist types it after a pause: 55 ms a key, give or take 15."""
    clock.now += 1000
    type_gaps(widget, text, [55 + rng.randint(-15, 15) for _ in text], clock)


def settle(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The last key or two of a burst without Enter are handed on when the keys pause."""
    assert window.devices is not None
    qtbot.waitUntil(lambda: not window.devices.wedge.holding, timeout=3000)  # type: ignore[union-attr]


def test_chino_typed_fast_with_enter_searches_and_adds_the_chino(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    _ctx, window = open_window(wedge=True)
    sign_in_as(window, "Maria", "1111")
    sale, rng, clock = window.sale, random.Random(1621), Clock()
    typist(rng, sale.input, "chino", clock)
    settle(window, qtbot)
    assert sale.input.text() == "chino"
    assert sale.results.isVisible() and "Chino" in sale.results.item(0).text()  # the search shows
    typist(rng, sale.input, "\r", clock)
    assert "No item has the code" not in sale.message.text()
    assert sale.model.rowCount() == 1 and "Chino" in sale.model.line_at(0).item.name, sale.message.text()
    # The way: the word and Enter in one go, 55-60 ms a key.
    clock.now += 1000
    type_gaps(sale.input, "chino\r", [57, 55, 60, 56, 58, 55], clock)
    assert "No item has the code" not in sale.message.text()
    assert "Added Men's Slim Fit Chino Pants" in sale.message.text() and "× 2" in sale.message.text()
    assert sale.model.rowCount() == 1 and sale.model.line_at(0).quantity == 2  # the same chino again
    assert sale.input.text() == ""


def test_quantities_typed_fast_get_the_quantity_dialogs_own_answers(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(wedge=True)
    sign_in_as(window, "Maria", "1111")
    sale, rng, clock = window.sale, random.Random(1622), Clock()
    type_timed(sale.input, upc_codes(ctx, 1)[0], 8, clock)  # scanned
    assert sale.model.rowCount() == 1
    seen: dict[str, str] = {}

    def act(dialog: QWidget) -> None:
        typist(rng, dialog.edit, "99999\r", clock)  # type: ignore[attr-defined]
        seen["99999"] = dialog.error.text()  # type: ignore[attr-defined]
        dialog.edit.selectAll()  # type: ignore[attr-defined]
        typist(rng, dialog.edit, "1200\r", clock)  # type: ignore[attr-defined]
        seen["1200"] = dialog.error.text()  # type: ignore[attr-defined]
        typist(rng, dialog.edit, "\r", clock)  # a large line is taken on a second Enter

    in_dialog(act)
    press(sale.input, Qt.Key.Key_F3)
    assert "99999 is more than 9,999 of one item" in seen["99999"]
    assert seen["1200"].startswith("1,200 × ")  # said with its amount first
    assert "No item has the code" not in sale.message.text()
    assert sale.model.line_at(0).quantity == 1200
    assert "quantity is now 1200" in sale.message.text()
    assert sale.model.rowCount() == 1


def test_a_customer_found_and_a_complaint_logged_by_a_fast_typist_keep_every_word(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(wedge=True)
    sign_in_as(window, "Maria", "1111")
    jane = on_file(ctx)
    press(window.sale.input, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    desk, rng, clock = window.desk, random.Random(1623), Clock()
    typist(rng, desk.input, "555-0175\r", clock)
    assert desk.customer is not None and desk.customer.id == jane.id, desk.message.text()
    complaint = "It stopped working after three days"
    seen: dict[str, str] = {}

    def contact(d: QWidget) -> None:
        d.kind.setCurrentIndex(d.kind.findText("Complaint"))  # type: ignore[attr-defined]
        typist(rng, d.words, complaint + "\t", clock)  # type: ignore[attr-defined]
        typist(rng, d.done_so_far, "Tested it at the desk\t", clock)  # type: ignore[attr-defined]
        seen["words"] = d.words.toPlainText()  # type: ignore[attr-defined]
        seen["error"] = d.error.text()  # type: ignore[attr-defined]
        clock.now += 400
        send_key(d.links, "\r", clock.now)  # type: ignore[attr-defined]

    in_dialog(contact)
    press(desk.input, Qt.Key.Key_F5)
    assert seen == {"words": complaint, "error": ""}
    (case,) = cases_for(ctx.db.read, jane.id)
    assert f"Complaint: {complaint}" in [event.text for event in case_events(ctx.db.read, case.id)]


def test_a_customers_id_and_an_approvals_reason_typed_fast_are_kept(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A return without receipt: the customer's ID, the supervisor's reason and PIN, each
    typed at a practised typist's pace, reach their fields whole."""
    ctx, window = open_window(wedge=True)
    sign_in_as(window, "Maria", "1111")
    press(window.sale.input, Qt.Key.Key_F7)
    screen, rng, clock = window.returns, random.Random(1624), Clock()
    press(screen.input, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    type_timed(screen.input, upc_codes(ctx, 30)[25], 8, clock)  # scanned
    typist(rng, screen.table, "8", clock)  # the reason: Other
    seen: dict[str, str] = {}

    def approve(dialog: QWidget) -> None:
        dialog.approver.setCurrentIndex(dialog.approver.findText("Dana", Qt.MatchFlag.MatchStartsWith))  # type: ignore[attr-defined]
        dialog.reason.setFocus()  # type: ignore[attr-defined]
        typist(rng, dialog.reason, "regular customer\t", clock)  # type: ignore[attr-defined]
        seen["reason"] = dialog.reason.text()  # type: ignore[attr-defined]
        dialog.pin.setFocus()  # type: ignore[attr-defined]
        typist(rng, dialog.pin, "3333\r", clock)  # type: ignore[attr-defined]

    def customer_id(dialog: QWidget) -> None:
        number = dialog.number  # type: ignore[attr-defined]
        number.returnPressed.connect(lambda: seen.setdefault("id", number.text()))
        in_dialog(approve)
        typist(rng, number, "D123 4567 8901\r", clock)

    in_dialog(customer_id)
    press(screen.table, Qt.Key.Key_F10)
    assert seen == {"id": "D123 4567 8901", "reason": "regular customer"}
    record = screen.last_record
    assert record is not None, screen.message.text()
    assert record.customer_hint == "Driver's license …8901"
    (granted,) = entries(ctx, "ApprovalGranted")
    assert granted.body_data()["reason"] == "regular customer"
