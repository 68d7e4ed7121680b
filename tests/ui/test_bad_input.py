"""Bad input at the counter: a clear message on screen, and nothing written."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from db import schema as s
from tests.ui.conftest import count_rows, in_dialog, press, sign_in, type_enter, upc_codes


@pytest.fixture
def signed_in(app_window):  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    assert window.stack.currentWidget() is window.sale
    return ctx, window


def written(ctx) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return count_rows(ctx, s.sales), count_rows(ctx, s.journal)


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("4006381333931", "No item has the code"),  # a valid EAN-13 we do not sell
        ("4006381333932", "wrong check digit"),
        ("ZZZ-NOPE", "No item has the code"),
        ("0*4006381333931", "at least 1"),
        ("10000*4006381333931", "more than 9,999"),
    ],
)
def test_bad_scans_are_explained_and_add_nothing(signed_in, typed: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    ctx, window = signed_in
    before = written(ctx)
    type_enter(window.sale.input, typed)
    assert fragment in window.sale.message.text()
    assert window.sale.message.property("kind") == "error"
    assert window.sale.model.rowCount() == 0
    assert written(ctx) == before


def dialog_says(window, key: Qt.Key, typed: str) -> str:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def act(dialog: QWidget) -> None:
        type_enter(dialog.focusWidget(), typed)
        seen.append(dialog.error.text() if dialog.isVisible() else "(closed)")  # type: ignore[attr-defined]
        dialog.reject()  # type: ignore[attr-defined]

    in_dialog(act)
    press(window.sale.input, key)
    return seen[0]


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("0", "at least 1"),
        ("-3", "negative"),
        ("10000", "more than 9,999"),
        ("99999999", "99999999 is more than 9,999 of one item"),  # not "looked like a barcode scan"
        ("4006381333931", "If that was a barcode, press Esc"),  # a barcode typed (the wedge off)
    ],
)
def test_bad_quantities_stay_in_the_dialog(signed_in, typed: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    ctx, window = signed_in
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    assert fragment in dialog_says(window, Qt.Key.Key_F3, typed)
    assert window.sale.model.line_at(0).quantity == 1


@pytest.mark.parametrize(
    ("typed", "fragment"), [("1.999", "more decimals"), ("abc", "not an amount"), ("150%", "at most 100")]
)
def test_bad_discounts_stay_in_the_dialog(signed_in, typed: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    ctx, window = signed_in
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    total = window.sale.cart.total
    assert fragment in dialog_says(window, Qt.Key.Key_F4, typed)
    assert window.sale.cart.total == total


def test_cash_below_the_total_is_refused_and_nothing_recorded(signed_in) -> None:  # type: ignore[no-untyped-def]
    ctx, window = signed_in
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    before = written(ctx)
    assert "less than" in dialog_says(window, Qt.Key.Key_F9, "0.50")
    assert written(ctx) == before
    assert window.sale.payment is None or not window.sale.payment.tenders


def test_paying_for_nothing_is_explained(signed_in) -> None:  # type: ignore[no-untyped-def]
    ctx, window = signed_in
    press(window.sale.input, Qt.Key.Key_F9)
    assert "nothing to pay" in window.sale.message.text()


def test_a_wrong_pin_is_said_plainly_and_signs_nobody_in(app_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sales_before = count_rows(ctx, s.sales)
    sign_in(window, "Maria", "9876")
    assert window.stack.currentWidget() is window.signin
    assert "not right" in window.signin.error.text()
    assert window.signin.pin.text() == ""
    assert count_rows(ctx, s.sales) == sales_before


def test_search_as_you_type_then_enter_adds_the_highlighted_item(signed_in) -> None:  # type: ignore[no-untyped-def]
    ctx, window = signed_in
    QTest.keyClicks(window.sale.input, "kettle")
    assert window.sale.results.isVisible()
    QTest.keyClick(window.sale.input, Qt.Key.Key_Down)
    chosen = window.sale.results.currentItem().data(Qt.ItemDataRole.UserRole)
    QTest.keyClick(window.sale.input, Qt.Key.Key_Return)
    assert window.sale.model.line_at(0).item == chosen
    assert "kettle" in chosen.name.lower()
    assert not window.sale.results.isVisible() and window.sale.input.text() == ""
