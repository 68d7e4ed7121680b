"""The cash drawer after money taken or given back at the service desk, through the real
window (F9 Payments): the desk publishes ``DeskPaymentCommitted`` after the commit
(app/events.py) and the drawer control opens the drawer for its cash, journaled with the
order's number before the kick. The serial drawer is the simulated one (a pyserial-like
port with a switch); nothing is mocked."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from counter.barcodes import read_code
from db.desk_queries import orders_for
from tests.ui.conftest import in_dialog, press, type_enter, upc_codes
from tests.ui.device_support import entries, open_window_fixture, sign_in_as  # noqa: F401
from tests.ui.test_service_desk_flows import on_file, pay_card, pay_cash_exact


def payments_of(ctx, order_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The numbers of an order's desk payments, in the order they were taken."""
    with ctx.db.read.connect() as conn:
        rows = conn.execute(
            text("SELECT number FROM desk_payments WHERE order_id = :o ORDER BY rowid"), {"o": order_id}
        )
        return [r[0] for r in rows]


def drawer_items(ctx) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with ctx.db.read.connect() as conn:
        rows = conn.execute(
            text("SELECT reference, state FROM outbox WHERE due = 'drawer' AND reference LIKE '%-P%' ORDER BY rowid")
        )
        return [(r[0], r[1]) for r in rows]


def test_a_cash_layaway_deposit_opens_the_drawer_with_the_orders_number_and_a_card_one_opens_nothing(  # type: ignore[no-untyped-def]
    open_window, qtbot
) -> None:
    ctx, window = open_window(drawer="sim://drawer")
    drawer = window.devices.devices.drawer.simulator
    sign_in_as(window, "Maria", "1111")
    press(window.sale.input, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    screen = window.desk
    jane = on_file(ctx)
    type_enter(screen.input, "Jane Doe")
    code = max(upc_codes(ctx, 40), key=lambda c: ctx.catalog.by_code(read_code(c)).price)

    def layaway(pay: Callable[[QWidget], None]) -> None:
        def items_and_deposit(d: QWidget) -> None:
            type_enter(d.scan, code)  # type: ignore[attr-defined]
            type_enter(d.scan, code)  # type: ignore[attr-defined]
            in_dialog(pay)
            type_enter(d.deposit, "20.00")  # type: ignore[attr-defined]

        in_dialog(lambda m: (in_dialog(items_and_deposit), QTest.keyClicks(m.list, "2")))  # type: ignore[attr-defined]
        press(screen.input, Qt.Key.Key_F9)

    layaway(pay_card)
    (by_card,) = orders_for(ctx.db.read, jane.id)
    assert screen.message.text().startswith(f"Layaway {by_card.number}: deposit $20.00 taken"), screen.message.text()
    QApplication.processEvents()  # the drawer's reaction runs on the next turn of the event loop
    assert entries(ctx, "DrawerOpened") == [] and drawer.kicks == 0

    layaway(pay_cash_exact)
    (in_cash,) = [o for o in orders_for(ctx.db.read, jane.id) if o.id != by_card.id]
    qtbot.waitUntil(lambda: drawer.kicks == 1, timeout=5000)
    (opened,) = entries(ctx, "DrawerOpened")  # the cash deposit's only: the card one opened nothing
    body = opened.body_data()
    (deposit,) = payments_of(ctx, in_cash.id)  # the opening names the deposit's payment
    assert (body["reason"], body["reference"], body["user"]) == ("cash_sale", deposit, window.user.id)
    assert drawer_items(ctx) == [(deposit, "done")]  # due with the deposit's commit, settled once opened
    assert screen.message.text().startswith(f"Layaway {in_cash.number}: deposit $20.00 taken")

    # Cancelled: the part of the cash deposit its terms give back leaves the drawer.
    QTest.qWait(1100)  # drawers refuse a second kick within a second; not the point here
    row = next(n for n, o in enumerate(orders_for(ctx.db.read, jane.id, open_only=True)) if o.id == in_cash.id)

    def pick(d: QWidget) -> None:
        in_dialog(lambda r: type_enter(r.reason, "found it cheaper"))  # type: ignore[attr-defined]
        QTest.keyClicks(d.list, str(row + 1))  # type: ignore[attr-defined]

    in_dialog(lambda m: (in_dialog(pick), QTest.keyClicks(m.list, "6")))  # type: ignore[attr-defined]
    press(screen.input, Qt.Key.Key_F9)
    assert f"{in_cash.number} cancelled:" in screen.message.text(), screen.message.text()
    qtbot.waitUntil(lambda: drawer.kicks == 2, timeout=5000)
    refund = entries(ctx, "DrawerOpened")[-1].body_data()
    (_deposit, cancellation) = payments_of(ctx, in_cash.id)
    assert (refund["reason"], refund["reference"]) == ("cash_refund", cancellation)
    assert drawer_items(ctx) == [(deposit, "done"), (cancellation, "done")]
