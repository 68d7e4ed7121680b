"""The drawer's value rules (counter.cash.shifts) asserted to the cent and the word (issue 14):
which notes and coins a count takes, its limits, its total, how it is written to the
journal, over/short of a shift and of a close, and what each cash movement does to the
drawer. The steps that need a store (open, move, close, recount, Z) are held on a real
SQLite store in tests/db/test_shifts_rules.py."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from counter.cash.shifts import (
    DENOMINATIONS,
    MAX_PIECES,
    CashRules,
    CloseResult,
    Count,
    MovementKind,
    Shift,
    ShiftError,
    denominations,
)
from counter.money import Currency

USD = Currency.of("USD")
EUR = Currency.of("EUR")
GBP = Currency.of("GBP")
D = Decimal
AT = datetime(2026, 11, 25, 9, tzinfo=UTC)


def test_usd_notes_and_coins_largest_first() -> None:
    assert denominations(USD) == tuple(
        D(x) for x in ("100", "50", "20", "10", "5", "2", "1", "0.25", "0.10", "0.05", "0.01")
    )
    assert denominations(EUR)[0] == D(500) and denominations(EUR)[-1] == D("0.01") and len(denominations(EUR)) == 15
    assert denominations(GBP) == tuple(D(x) for x in DENOMINATIONS["GBP"])
    assert D("0.50") not in denominations(USD)


def test_a_currency_without_denominations_is_refused_by_code() -> None:
    with pytest.raises(ShiftError) as err:
        denominations(Currency.of("JPY"))
    assert (err.value.message, err.value.hint) == ("No denominations are set up for JPY.", "Ask the administrator.")


def test_a_count_totals_its_pieces_to_the_cent() -> None:
    count = Count.of(USD, {D(20): 3, D("0.25"): 7, D("0.01"): 4, D(100): 0})
    assert count.total == D("61.79")
    assert dict(count.pieces) == {D(20): 3, D("0.25"): 7, D("0.01"): 4}  # zero pieces are dropped
    assert Count.of(USD, {}).total == D(0)


def test_a_count_is_written_largest_first_by_denomination() -> None:
    count = Count.of(USD, {D("0.05"): 2, D(50): 1, D(1): 3})
    assert list(count.to_json(USD).items()) == [("50", 1), ("1", 3), ("0.05", 2)]


def test_a_note_of_another_currency_is_refused() -> None:
    with pytest.raises(ShiftError) as err:
        Count.of(USD, {D("0.50"): 1})
    assert (err.value.message, err.value.hint) == ("0.50 is not a USD note or coin.", "")


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ShiftError) as err:
        Count.of(USD, {D(1): -1})
    assert err.value.message == "A count cannot be negative."
    assert err.value.hint == "Type how many of each note or coin, 0 or more."


def test_up_to_max_pieces_of_one_denomination_are_a_count() -> None:
    assert MAX_PIECES == 100_000
    assert Count.of(USD, {D("0.01"): 100_000}).total == D("1000.00")
    with pytest.raises(ShiftError) as err:
        Count.of(USD, {D("0.01"): 100_001})
    assert (err.value.message, err.value.hint) == ("100,001 pieces of 0.01 is not a drawer count.", "Check the number.")


def test_over_short_of_a_shift_is_counted_minus_expected_once_both_are_known() -> None:
    open_ = Shift("s", "T01", "u", AT, D("150.00"))
    assert open_.is_open and open_.over_short is None
    closed = Shift("s", "T01", "u", AT, D("150.00"), AT, D("312.40"), D("315.00"))
    assert not closed.is_open
    assert closed.over_short == D("-2.60")
    assert Shift("s", "T01", "u", AT, D(0), AT, D("10.00"), None).over_short is None
    assert Shift("s", "T01", "u", AT, D(0), AT, None, D("10.00")).over_short is None


def test_over_short_of_a_close() -> None:
    shift = Shift("s", "T01", "u", AT, D(0))
    assert CloseResult(shift, D("100.05"), D("100.00")).over_short == D("0.05")


def test_movements_add_or_take_cash_with_their_labels() -> None:
    assert [(k.value, k.label, k.sign) for k in MovementKind] == [
        ("paid_in", "Paid in", 1),
        ("paid_out", "Paid out", -1),
        ("cash_drop", "Cash drop to the safe", -1),
    ]


def test_the_store_cash_rules_by_default() -> None:
    assert CashRules() == CashRules(close_tolerance=D("5.00"), no_sale_needs_approval=False)
