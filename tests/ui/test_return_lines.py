"""The return screen's lines table and total box, on the real screen with no window
(ui/returns/return_lines.py, ui/returns/return_summary.py): Space and + return one more of
the picked line, − one fewer, a digit its reason, another key does nothing to the draft;
the total box says what the quote says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.context import AppContext, build_context
from counter.barcodes import read_code
from counter.people.users import User
from counter.returns.draft import ReturnDraft
from counter.returns.policy import Reason
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.sale import Sale
from counter.sales.tenders import Payment
from devices.escpos.encoder import PrinterProfile
from tests.ui.conftest import type_enter, upc_codes
from ui.devices.printing import PrintBridge
from ui.returns.return_screen import ReturnScreen
from ui.returns.return_summary import summarize


@pytest.fixture
def screen(store_dir: Path, qtbot) -> Iterator[tuple[AppContext, ReturnScreen, User]]:  # type: ignore[no-untyped-def]
    ctx = build_context(store_dir, overrides={"wedge": False})
    view = ReturnScreen(ctx, PrintBridge(ctx, None, PrinterProfile()))
    qtbot.addWidget(view)
    view.resize(1200, 760)
    view.show()
    maria = next(u for u in ctx.reads.list_users() if u.name.startswith("Maria"))
    view.start(maria)
    yield ctx, view, maria
    ctx.close()


def two_of_one_item(ctx: AppContext, cashier: User) -> Sale:
    item = ctx.catalog.by_code(read_code(upc_codes(ctx, 1)[0]))
    assert item is not None
    cart = Cart(ctx.store.currency, ctx.store.prices_include_tax)
    cart.add(item, 2)
    payment = Payment(cart.total, ctx.store.currency, ctx.store.smallest_coin)
    payment.add_cash(payment.cash_due)
    return ctx.handle(complete_sale, CompleteSale(cashier, cart.lines, None, payment.tenders, payment.rounding))


def test_the_line_keys_change_the_picked_line(screen) -> None:  # type: ignore[no-untyped-def]
    ctx, view, maria = screen
    sale = two_of_one_item(ctx, maria)
    type_enter(view.input, sale.receipt_number)
    line_id = sale.lines[0].id
    assert view.draft is not None and view.table.current_line_id() == line_id
    QTest.keyClick(view.table, Qt.Key.Key_Space)
    QTest.keyClick(view.table, Qt.Key.Key_Plus)
    assert view.draft.pick(line_id).quantity == 2
    QTest.keyClick(view.table, Qt.Key.Key_Minus)
    assert view.draft.pick(line_id).quantity == 1
    QTest.keyClick(view.table, Qt.Key.Key_3)
    assert view.draft.pick(line_id).reason is Reason.CHANGED_MIND  # the third on the legend
    QTest.keyClick(view.table, Qt.Key.Key_9)  # no ninth reason: the draft is as it was
    QTest.keyClick(view.table, Qt.Key.Key_X)
    assert view.draft.pick(line_id).quantity == 1 and view.draft.pick(line_id).reason is Reason.CHANGED_MIND
    assert view.table.currentIndex().row() == 0  # the line stays picked through each re-quote
    assert view.total_caption.text() == "REFUND"
    one_back = sale.lines[0].gross / sale.lines[0].quantity  # one of two, tax included
    assert view.total_value.text() == ctx.store.currency.format(one_back, ctx.store.locale)
    assert "Refund to: " in view.breakdown.text()


def test_a_line_key_with_no_receipt_loaded_says_what_to_do(screen) -> None:  # type: ignore[no-untyped-def]
    _ctx, view, _maria = screen
    QTest.keyClick(view.table, Qt.Key.Key_Space)
    assert view.message.text().startswith("There is no line to change yet.")
    assert "Scan the receipt" in view.message.text()


def test_the_total_box_with_nothing_quoted(screen) -> None:  # type: ignore[no-untyped-def]
    _ctx, _view, maria = screen
    said = summarize(None, ReturnDraft(cashier=maria), lambda amount: f"${amount}")
    assert (said.caption, said.value) == ("REFUND", "—")
    assert said.lines == ["Refund to: Store credit"]  # no receipt: store credit only
