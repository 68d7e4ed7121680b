"""Trust in the running app (offscreen): the idle lock keeps the open sale, badges sign
in, card numbers never stay in a field, a scanner cannot press shortcuts, the staff
list, interrupted receipts offered once, and a damaged store refused at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from counter.journal import EventType
from counter.people.user_admin import set_badge
from counter.people.users import Role
from db import schema as s
from db.engine import DB_FILENAME
from db.queries import journal_entries
from db.spool import interrupted_jobs
from devices.barcodes import decode_scan
from tests.ui.conftest import count_rows, in_dialog, press, type_enter, upc_codes
from tests.ui.device_support import open_window_fixture, sign_in_as
from tests.ui.wedge_keys import Clock, send_key, type_timed
from ui.main_window import MainWindow

open_window = open_window_fixture  # the fixture, under the name tests ask for
VISA = "4111111111111111"
SWIPE = f"%B{VISA}^DOE/JOHN^25121010000000000000?;{VISA}=25121010000000000000?"


def journal_types(ctx: Any) -> list[str]:
    return [e.type for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id)]


def lock_soon(window: MainWindow, ms: int = 60) -> None:
    assert window.trust is not None
    window.trust.idle_ms = ms
    window.trust.idle.setInterval(ms)
    window.trust.idle.start()


def wait_locked(window: MainWindow, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.signin, timeout=3000)


# -------------------------------------------------------------------------- idle lock


def test_idle_lock_keeps_the_open_sale_for_the_same_person(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window()
    sign_in_as(window, "Maria", "1111")
    for code in upc_codes(ctx, 2):
        type_enter(window.sale.input, code)
    assert window.sale.model.rowCount() == 2
    lock_soon(window)

    def wait_in_dialog(dialog: QWidget) -> None:  # the cash dialog is open when the lock comes
        assert dialog.isVisible()

    in_dialog(wait_in_dialog)
    press(window.sale.input, Qt.Key.Key_F9)  # returns once the lock has cancelled the dialog
    wait_locked(window, qtbot)
    assert QApplication.activeModalWidget() is None
    assert window.user is None and "Locked after" in window.signin.error.text()
    assert "kept" in window.signin.error.text()
    assert journal_types(ctx)[-1] == EventType.SESSION_LOCKED
    assert window.signin.users.currentItem().text().startswith("Maria")
    type_enter(window.signin.pin, "1111")  # Maria is picked already
    assert window.stack.currentWidget() is window.sale
    assert window.sale.model.rowCount() == 2  # the sale is as she left it
    assert "Welcome back" in window.sale.message.text()


def test_another_person_gets_a_fresh_sale_and_the_owner_gets_hers_back(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window()
    sign_in_as(window, "Maria", "1111")
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    lock_soon(window)
    wait_locked(window, qtbot)
    sign_in_as(window, "Sam", "2222")
    assert window.sale.cart.is_empty and "kept for Maria Lopez" in window.sale.message.text()
    assert window.cash_office.has_open_sale()  # no shift close while Maria's sale is parked
    press(window.sale.input, Qt.Key.Key_F12)  # Sam signs out
    sign_in_as(window, "Maria", "1111")
    assert window.sale.model.rowCount() == 1 and "your open sale" in window.sale.message.text()
    assert not window.trust.parked  # type: ignore[union-attr]


def test_a_lock_leaves_no_right_behind(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Locked, the counter obeys no one: a scan goes to the sign-in screen (as a badge),
    not into the sale behind it, and the sale's keys do nothing."""
    ctx, window = open_window()
    sign_in_as(window, "Jordan", "9999")
    codes = upc_codes(ctx, 2)
    type_enter(window.sale.input, codes[0])
    lock_soon(window)
    wait_locked(window, qtbot)
    assert window.devices is not None
    window.devices._serial_scan(decode_scan(codes[1]))
    assert "not known" in window.signin.error.text()
    press(window.signin.pin, Qt.Key.Key_F9)
    assert QApplication.activeModalWidget() is None
    assert window.user is None and window.stack.currentWidget() is window.signin
    assert window.sale.model.rowCount() == 1


# ------------------------------------------------------------------------------ badges


def test_a_badge_scanned_at_the_sign_in_screen_signs_its_holder_in(open_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(wedge=True)
    admin = next(u for u in _users(ctx) if u.role is Role.ADMIN)
    set_badge(admin, "u-cashier-2", "EMP-000222", uow_factory=ctx.uow, badge_key=ctx.badge_key, clock=ctx.clock)
    type_timed(window.signin.pin, "EMP-000222", 8, Clock())
    assert window.stack.currentWidget() is window.sale, window.signin.error.text()
    assert window.user is not None and window.user.name == "Sam Carter"
    bodies = [e.body_data() for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id)]
    assert bodies[-1] == {"method": "badge", "user": "u-cashier-2"}
    with ctx.db.read.connect() as conn:
        stored = conn.execute(s.users.select().where(s.users.c.id == "u-cashier-2")).mappings().one()
    assert "EMP-000222" not in str(dict(stored))


def test_a_pin_typed_briskly_with_enter_at_once_signs_in(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Maria's PIN typed 70 ms a key with Enter right behind it (as fast as a short badge):
    it is her PIN, not an unknown badge; she is signed in, nothing is journaled as a badge."""
    ctx, window = open_window(wedge=True)
    window.signin.select("u-cashier-1")
    window.signin.pin.setFocus()
    type_timed(window.signin.pin, "1111", 70, Clock())
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.sale, timeout=3000)
    assert window.user is not None and window.user.name.startswith("Maria")
    assert EventType.SIGN_IN_FAILED not in journal_types(ctx)


def test_a_pin_typed_briskly_on_the_list_of_names_signs_in(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The same with the list of names focused (after ↓ picked Maria): the digits are the
    PIN, handed on to the PIN field, and Enter signs in."""
    ctx, window = open_window(wedge=True)
    window.signin.select("u-cashier-1")
    window.signin.users.setFocus()
    type_timed(window.signin.users, "1111", 30, Clock())
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.sale, timeout=3000)
    assert window.user is not None and window.user.name.startswith("Maria")
    assert EventType.SIGN_IN_FAILED not in journal_types(ctx)


def test_an_unknown_badge_is_refused_and_journaled(open_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(wedge=True)
    type_timed(window.signin.pin, "EMP-999999", 8, Clock())
    assert window.stack.currentWidget() is window.signin
    assert "not known" in window.signin.error.text()
    assert journal_types(ctx)[-1] == EventType.SIGN_IN_FAILED


def in_next_dialog(current: QWidget, act: Any) -> None:
    """``in_dialog`` for a dialog opened from the dialog ``current``."""

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or dialog is current:
            QTimer.singleShot(10, poll)
            return
        try:
            act(dialog)
        except BaseException:
            dialog.close()
            raise

    QTimer.singleShot(0, poll)


def _users(ctx: Any) -> list[Any]:
    with ctx.read_uow() as uow:
        return list(uow.users.all())


# -------------------------------------------------------------------------- card data


def test_a_card_number_typed_in_the_scan_field_is_cleared_and_nothing_is_kept(open_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window()
    sign_in_as(window, "Maria", "1111")
    before = (count_rows(ctx, s.sales), count_rows(ctx, s.journal))
    type_enter(window.sale.input, VISA)
    assert window.sale.input.text() == ""
    assert "card number" in window.sale.message.text() and VISA not in window.sale.message.text()
    assert (count_rows(ctx, s.sales), count_rows(ctx, s.journal)) == before


def test_a_card_swiped_into_a_dialog_is_cleared_there(open_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window()
    sign_in_as(window, "Maria", "1111")
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    seen: list[str] = []

    def swipe(dialog: QWidget) -> None:
        field = dialog.focusWidget()
        QTest.keyClicks(field, SWIPE)
        seen.append(field.text())  # type: ignore[attr-defined]
        seen.append(dialog.error.text())  # type: ignore[attr-defined]
        dialog.reject()  # type: ignore[attr-defined]

    in_dialog(swipe)
    press(window.sale.input, Qt.Key.Key_F4)  # the line discount dialog
    assert VISA not in seen[0] and "card number" in seen[1]


def test_a_swipe_through_the_wedge_is_a_refused_scan(open_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window(wedge=True)
    sign_in_as(window, "Maria", "1111")
    type_timed(window.sale.input, SWIPE, 3, Clock())
    assert "payment card" in window.sale.message.text() and VISA not in window.sale.message.text()
    assert window.sale.model.rowCount() == 0


def test_a_scanners_control_characters_press_no_shortcut_on_the_sale_screen(open_window) -> None:  # type: ignore[no-untyped-def]
    """A burst with Ctrl+K (the cash office) and GS inside it: the cash office does not
    open, no dialog opens, and the burst is one (unknown) scan."""
    ctx, window = open_window(wedge=True)
    sign_in_as(window, "Maria", "1111")
    clock = Clock()
    ctrl = Qt.KeyboardModifier.ControlModifier
    for char in "]C1ABC":
        clock.now += 4
        assert send_key(window.sale.input, char, clock.now)
    for key, text in ((Qt.Key.Key_K, "\x0b"), (Qt.Key.Key_BracketRight, "\x1d"), (Qt.Key.Key_F, "\x06")):
        clock.now += 4
        assert send_key(window.sale.input, text, clock.now, key=int(key.value), modifiers=ctrl)
    for char in "123\r":
        clock.now += 4
        send_key(window.sale.input, char, clock.now)
    assert window.stack.currentWidget() is window.sale
    assert QApplication.activeModalWidget() is None
    assert window.sale.input.text() == ""


# ---------------------------------------------------------------------------- staff


def test_the_staff_list_for_an_admin_and_the_last_admin_stays(open_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window()
    sign_in_as(window, "Jordan", "9999")
    assert window.trust is not None
    seen: list[str] = []

    def staff(dialog: QWidget) -> None:
        from ui.trust.staff_screen import StaffDialog

        assert isinstance(dialog, StaffDialog)
        row = next(i for i, u in enumerate(dialog.users) if u.name == "Jordan Reyes")
        dialog.table.selectRow(row)

        def demote(sub: QWidget) -> None:
            sub.role.setCurrentText("cashier")  # type: ignore[attr-defined]
            sub._try_accept()  # type: ignore[attr-defined]

        in_next_dialog(dialog, demote)
        dialog.role()
        seen.append(dialog.error.text())
        dialog.reject()

    in_dialog(staff)
    press(window.sale.input, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert "last administrator" in seen[0]
    assert [u.role for u in _users(ctx) if u.name == "Jordan Reyes"] == [Role.ADMIN]


def test_a_cashier_can_look_at_the_staff_list_but_not_change_it(open_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window()
    sign_in_as(window, "Maria", "1111")
    assert window.trust is not None
    seen: list[str] = []

    def staff(dialog: QWidget) -> None:
        seen.append(dialog.error.text())  # type: ignore[attr-defined]
        dialog.toggle_active()  # type: ignore[attr-defined]
        seen.append(dialog.error.text())  # type: ignore[attr-defined]
        dialog.reject()  # type: ignore[attr-defined]

    in_dialog(staff)
    window.trust.open_staff()
    assert "only an administrator" in seen[0] and "may not" in seen[1]
    assert journal_types(ctx)[-1] == EventType.ACCESS_REFUSED


# ------------------------------------------------------------- interrupted receipts


def test_receipts_a_crash_interrupted_are_offered_once(store_dir: Path, open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window()
    sign_in_as(window, "Maria", "1111")
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    with ctx.uow() as uow:  # what a crash between "queued" and "done" leaves behind
        sale_number = "S01-T01-000001"
        uow.print_jobs.add("job-cut-off", "sale", sale_number, b"\x1b@receipt", 0, ctx.clock.now())
        uow.print_jobs.mark("job-cut-off", "sent", None, ctx.clock.now())
        uow.commit()
    window.trust.pending_jobs = []  # type: ignore[union-attr] # this run did not see it at start
    ctx2, window2 = open_window()  # the next start-up
    offered: list[str] = []

    def answer(dialog: QWidget) -> None:
        offered.append(dialog.headline.text())  # type: ignore[attr-defined]
        dialog.reject()  # type: ignore[attr-defined] # "they printed: skip"

    in_dialog(answer)
    sign_in_as(window2, "Sam", "2222")
    qtbot.waitUntil(lambda: bool(offered), timeout=3000)
    qtbot.waitUntil(lambda: not interrupted_jobs(ctx2.db.read), timeout=3000)
    ctx3, window3 = open_window()  # and the start-up after that offers nothing
    sign_in_as(window3, "Sam", "2222")
    QTest.qWait(100)
    assert QApplication.activeModalWidget() is None
    assert window3.trust.pending_jobs == []  # type: ignore[union-attr]


# ------------------------------------------------------------------- damaged store


def test_a_damaged_store_is_refused_at_start_up_with_the_recovery_path(store_dir: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    path = store_dir / DB_FILENAME
    data = bytearray(path.read_bytes())
    page = 4096
    for n in range(2, len(data) // page, 3):  # garbage over many pages' headers
        data[n * page : n * page + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, title, text: shown.append(f"{title}: {text}"))
    from ui.main_window import run_app

    assert run_app(store_dir, demo=False) == 1
    assert shown and "damaged" in shown[0] and "Recovering a damaged store" in shown[0]
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err


@pytest.mark.parametrize("garbage", [b"", b"not a database at all" * 100])
def test_a_file_that_is_not_a_store_is_refused_too(tmp_path: Path, monkeypatch, garbage: bytes) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    store.mkdir()
    (store / DB_FILENAME).write_bytes(garbage)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, title, text: shown.append(text))
    from ui.main_window import run_app

    assert run_app(store, demo=False) == 1
    assert shown and ("damaged" in shown[0] or "not a Counter store" in shown[0])
