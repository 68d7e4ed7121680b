"""The screens speak the signed-in person's language and switch in place; documents speak
their customer's (real window, real store file, the simulated printer's bytes decoded)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QListWidget, QPushButton

from counter.desk.customers import ContactDetails, create_customer
from counter.i18n import screen_language, set_screen_language
from counter.people.user_admin import set_language
from devices.escpos.decode import decode
from tests.ui.conftest import in_dialog, press, sign_in, type_enter, upc_codes

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    set_screen_language("en")
    QApplication.setLayoutDirection(Qt.LayoutDirection.LeftToRight)


def _user(ctx, first: str):  # type: ignore[no-untyped-def]
    with ctx.read_uow() as uow:
        return next(u for u in uow.users.all() if u.name.startswith(first))


def _labels(widget) -> set[str]:  # type: ignore[no-untyped-def]
    return {label.text() for label in widget.findChildren(QLabel)}


def _key_labels(screen) -> set[str]:  # type: ignore[no-untyped-def]
    return {button.text() for button in screen.findChildren(QPushButton, "keyButton")}


def test_each_person_reads_their_own_language_and_the_sign_in_screen_the_stores(app_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    assert "Who is signing in?" in _labels(window.signin)
    maria = _user(ctx, "Maria")
    ctx.handle(set_language, maria, maria.id, "de")

    sign_in(window, "Maria", "1111")
    assert window.stack.currentWidget() is window.sale
    assert screen_language() == "de"
    assert window.sale.input.placeholderText().startswith("Scannen")  # built in English, switched in place
    legend = _key_labels(window.sale)
    assert any("Bar" in text for text in legend) and not any("Cash" in text for text in legend), legend  # F9
    assert "Maria Lopez (Kassierer)" in window.session.label.text()

    press(window.sale.input, Qt.Key.Key_F12)  # sign out: the store's language again
    assert window.stack.currentWidget() is window.signin
    assert screen_language() == "en" and "Who is signing in?" in _labels(window.signin)

    sign_in(window, "Sam", "2222")  # no language chosen: the store's
    assert screen_language() == "en"
    assert window.sale.input.placeholderText().startswith("Scan")


def test_a_person_chooses_their_language_with_a_key_and_it_holds(app_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Maria", "1111")

    def pick_french(dialog) -> None:  # type: ignore[no-untyped-def]
        choices = dialog.findChild(QListWidget, "languageList")
        row = next(i for i in range(choices.count()) if choices.item(i).text() == "Français")
        choices.setCurrentRow(row)
        press(choices, Qt.Key.Key_Return)

    in_dialog(pick_french)
    press(window.sale.input, Qt.Key.Key_L, CTRL_SHIFT)
    assert screen_language() == "fr"
    assert window.sale.input.placeholderText().startswith("Scannez")
    assert _user(ctx, "Maria").language == "fr"  # kept for the next sign-in


def test_a_right_to_left_language_mirrors_the_screens(app_window) -> None:  # type: ignore[no-untyped-def]
    from ui.i18n import switch_language

    _ctx, window = app_window
    sign_in(window, "Maria", "1111")
    field, total = window.sale.input, window.sale.total_value
    left_to_right = field.mapTo(window, field.rect().center()).x() < total.mapTo(window, total.rect().center()).x()
    switch_language("ar_XB")
    QApplication.processEvents()
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft and window.sale.isRightToLeft()
    right_to_left = field.mapTo(window, field.rect().center()).x() > total.mapTo(window, total.rect().center()).x()
    assert left_to_right and right_to_left  # the scan field and the total changed sides
    assert window.sale.input.placeholderText().startswith("\u200f")  # each word written right to left


def test_a_customers_receipt_prints_in_their_language_whatever_the_screen_speaks(app_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    maria = _user(ctx, "Maria")
    details = ContactDetails.checked("Amélie Durand", "(217) 555-0190", "", language="fr")
    amelie = ctx.handle(create_customer, maria, details)
    window._attach_customer(amelie, back=False)
    (code,) = upc_codes(ctx, 1)
    type_enter(window.sale.input, code)
    total = window.sale.cart.total
    in_dialog(lambda d: type_enter(d.focusWidget(), str((total // 10 + 1) * 10)))
    press(window.sale.input, Qt.Key.Key_F9)
    assert window.sale.last_sale is not None, window.sale.message.text()
    assert screen_language() == "en" and "recorded" in window.sale.message.text()  # the screen stays English

    jobs = window.printing.printer.simulator.wait_for_jobs(1, timeout=10)
    text = decode(jobs[-1], page=window.printing.profile.page).text()
    assert "Sous-total" in text and "Espèces" in text and "Monnaie rendue" in text, text
    assert "Subtotal" not in text and "Cash" not in text
