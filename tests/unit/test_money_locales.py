"""Amounts typed and shown the locale's way, and cash rounded the currency's way (issue #21,
point 3; counter.money). A person types what the screen shows them: ``Currency.plain``
fills an amount field in the locale's form, and ``Currency.parse`` takes it back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from counter.cash.shifts import denominations
from counter.errors import InvalidAmount
from counter.money import Currency, round_to_coin, smallest_coin_for
from counter.sales.tenders import Payment

D = Decimal
EUR, CHF, SEK, GBP, USD = (Currency.of(c) for c in ("EUR", "CHF", "SEK", "GBP", "USD"))


@pytest.mark.parametrize(
    ("currency", "locale", "typed", "amount"),
    [
        (EUR, "de_DE", "1.234,56", "1234.56"),
        (EUR, "de_DE", "12,5", "12.50"),
        (EUR, "de_DE", "€ 12,50", "12.50"),
        (EUR, "fr_FR", "1 234,56", "1234.56"),  # a plain space typed for the narrow no-break one
        (EUR, "fr_FR", "1\u202f234,56 €", "1234.56"),  # pasted as the screen shows it
        (CHF, "de_CH", "1'234.50", "1234.50"),  # an apostrophe typed for the typographic one
        (CHF, "de_CH", "CHF 12.05", "12.05"),
        (SEK, "sv_SE", "1 234,50 kr", "1234.50"),
        (GBP, "en_GB", "£1,234.50", "1234.50"),
        (USD, "en_US", "1,234.50", "1234.50"),
    ],
)
def test_amounts_are_typed_the_locales_way(currency: Currency, locale: str, typed: str, amount: str) -> None:
    assert currency.parse(typed, locale=locale) == D(amount)


@pytest.mark.parametrize(
    ("locale", "typed", "hint"),
    [
        ("de_DE", "12.50", "Did you mean 12,5? Type digits and at most one comma, for example 12,50."),
        ("en_US", "12,5", "Did you mean 12.5? Type digits and at most one point, for example 12.50."),
        ("fr_FR", "12,5,0", "Type digits and at most one comma, for example 12,50."),
    ],
)
def test_an_amount_typed_another_locales_way_is_refused_with_what_was_meant(locale: str, typed: str, hint: str) -> None:
    with pytest.raises(InvalidAmount) as refused:
        EUR.parse(typed, locale=locale)
    assert refused.value.message == f"“{typed}” is not an amount."
    assert refused.value.hint == hint


@given(
    st.decimals(min_value=0, max_value=D("999999.99"), places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["en_US", "de_DE", "fr_FR", "de_CH", "sv_SE", "es_ES", "en_GB"]),
)
def test_what_an_amount_field_is_filled_with_is_taken_back_exactly(amount: Decimal, locale: str) -> None:
    assert EUR.parse(EUR.plain(amount, locale), locale=locale) == amount


@pytest.mark.parametrize(
    ("currency", "locale", "shown"),
    [
        (EUR, "de_DE", "1.234,56\xa0€"),
        (EUR, "fr_FR", "1\u202f234,56\xa0€"),
        (CHF, "de_CH", "CHF\xa01’234.56"),
        (SEK, "sv_SE", "1\xa0234,56\xa0kr"),
        (USD, "en_US", "$1,234.56"),
    ],
)
def test_amounts_are_shown_the_locales_way(currency: Currency, locale: str, shown: str) -> None:
    assert currency.format(D("1234.56"), locale) == shown


def test_cash_is_rounded_the_currencys_way() -> None:
    assert smallest_coin_for(CHF) == D("0.05") and smallest_coin_for(SEK) == D("1")
    assert smallest_coin_for(EUR) == D("0.01") and smallest_coin_for(GBP) == D("0.01")
    assert [round_to_coin(D(x), D("0.05")) for x in ("10.02", "10.03", "10.07", "10.08")] == [
        D("10.00"), D("10.05"), D("10.05"), D("10.10"),
    ]  # fmt: skip
    assert [round_to_coin(D(x), D("1")) for x in ("10.49", "10.50", "10.99")] == [D("10"), D("11"), D("11")]


@pytest.mark.parametrize(
    ("currency", "total", "due", "rounding"),
    [(CHF, "10.02", "10.00", "-0.02"), (CHF, "10.03", "10.05", "0.02"), (SEK, "99.49", "99.00", "-0.49")],
)
def test_a_cash_payment_takes_the_rounded_amount_and_books_the_difference(
    currency: Currency, total: str, due: str, rounding: str
) -> None:
    payment = Payment(D(total), currency, smallest_coin_for(currency))
    assert payment.cash_due == D(due)
    tender = payment.add_cash(D("200"))
    assert payment.is_complete and tender.amount == D(due) and payment.rounding == D(rounding)
    assert tender.change == D("200") - D(due)


def test_cash_is_counted_in_the_currencys_own_notes_and_coins() -> None:
    assert min(denominations(CHF)) == D("0.05") and D("1000") in denominations(CHF)
    assert min(denominations(SEK)) == D("1") and D("0.50") not in denominations(SEK)
    assert min(denominations(EUR)) == D("0.01")


def test_a_german_stores_cash_and_card_dialogs_take_amounts_as_germans_type_them(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from ui.dialogs import CardDialog, CashDialog

    cash = CashDialog(None, D("10.81"), EUR, "de_DE")
    qtbot.addWidget(cash)
    assert cash.edit.placeholderText().startswith("10,81 ")
    QTest.keyClicks(cash.edit, "20,00")
    cash.validate()
    assert cash.tendered == D("20.00")
    cash.edit.setText("20.00")  # the English way, in a German store
    with pytest.raises(InvalidAmount, match="not an amount"):
        cash.validate()
    card = CardDialog(None, D("1234.5"), EUR, "de_DE")
    qtbot.addWidget(card)
    assert card.amount.text() == "1234,50"
    card.last4.setText("4242")
    card.approval.setText("A1")
    card.validate()
    assert card.amount_value == D("1234.50")
    QTest.keyClick(card.amount, Qt.Key.Key_Escape)


@pytest.mark.parametrize(("code", "step"), [("CHF", "0.05"), ("SEK", "1"), ("EUR", "0.01"), ("USD", "0.01")])
def test_a_store_without_its_own_cash_step_takes_its_currencys(code: str, step: str) -> None:
    from db.queries import store_config

    store = {"id": "S9", "name": "Laden", "currency": code, "locale": "de_CH", "timezone": "Europe/Zurich",
             "prices_include_tax": True}  # fmt: skip
    assert store_config({"store": store}).smallest_coin == D(step)
    assert store_config({"store": {**store, "smallest_coin": "0.10"}}).smallest_coin == D("0.10")  # its own wins
