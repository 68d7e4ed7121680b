from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from counter.errors import InvalidAmount
from counter.money import Currency, allocate, round_to_coin

USD = Currency.of("USD")
JPY = Currency.of("JPY")


def test_currency_digits_come_from_cldr() -> None:
    assert USD.digits == 2
    assert JPY.digits == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", "12.00"), ("12.5", "12.50"), ("1,234.50", "1234.50"), ("$3.99", "3.99"), (" 0.01 ", "0.01")],
)
def test_parse_accepts_what_people_type(text: str, expected: str) -> None:
    assert USD.parse(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "No amount"),
        ("abc", "not an amount"),
        ("1.2.3", "not an amount"),
        ("12.345", "more decimals"),
        ("-5", "negative"),
        ("1000000", "more than"),
        ("NaN", "not an amount"),
        ("Infinity", "not an amount"),
    ],
)
def test_parse_refuses_with_a_message(text: str, fragment: str) -> None:
    with pytest.raises(InvalidAmount) as err:
        USD.parse(text)
    assert fragment in err.value.message
    assert err.value.hint


def test_yen_has_no_decimals() -> None:
    with pytest.raises(InvalidAmount):
        JPY.parse("100.5")
    assert JPY.parse("100") == Decimal(100)


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_minor_units_round_trip(minor: int) -> None:
    assert USD.to_minor(USD.from_minor(minor)) == minor


def test_to_minor_refuses_sub_cent() -> None:
    with pytest.raises(InvalidAmount):
        USD.to_minor(Decimal("0.001"))


@given(st.integers(min_value=0, max_value=10**7), st.sampled_from(["0.01", "0.05", "0.10", "0.25", "1"]))
def test_cash_rounding_goes_to_the_nearest_coin(minor: int, coin_text: str) -> None:
    coin = Decimal(coin_text)
    amount = USD.from_minor(minor)
    rounded = round_to_coin(amount, coin)
    assert rounded % coin == 0
    assert abs(rounded - amount) * 2 <= coin
    if abs(rounded - amount) * 2 == coin:  # ties go up
        assert rounded > amount


def test_cash_rounding_examples() -> None:
    coin = Decimal("0.05")
    assert round_to_coin(Decimal("1.02"), coin) == Decimal("1.00")
    assert round_to_coin(Decimal("1.03"), coin) == Decimal("1.05")
    assert round_to_coin(Decimal("1.025"), coin) == Decimal("1.05")


@given(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30),
)
def test_allocate_neither_loses_nor_invents_a_cent(total_minor: int, weights: list[int]) -> None:
    total = USD.from_minor(total_minor)
    parts = allocate(total, [Decimal(w) for w in weights], USD.quantum)
    assert sum(parts, Decimal(0)) == total
    assert len(parts) == len(weights)
    if sum(weights) > 0:
        for w, p in zip(weights, parts, strict=True):
            if w == 0:
                assert p == 0
            exact = total * w / sum(weights)
            assert abs(p - exact) < USD.quantum


def _reference(total_units: int, weights: list[Fraction]) -> list[int]:
    """The largest remainder method, in exact fractions: whole units toward zero, the units
    left to the largest remainders, the earliest first on ties."""
    whole = sum(weights, Fraction(0))
    if whole == 0:
        weights, whole = [Fraction(1)] * len(weights), Fraction(len(weights))
    shares = [total_units * w / whole for w in weights]
    floors = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[: total_units - sum(floors)]:
        floors[i] += 1
    return floors


def test_allocate_gives_a_tied_unit_to_the_earlier_part() -> None:
    cent = USD.quantum
    # 3 cents over 0.03, 0.10, 0.01 and 0.07: the first two shares both leave 9/21 of a cent
    assert allocate(Decimal("0.03"), [Decimal(w) for w in ("0.03", "0.10", "0.01", "0.07")], cent) == [
        Decimal("0.01"), Decimal("0.01"), Decimal("0.00"), Decimal("0.01")
    ]  # fmt: skip
    # 2 cents over 1, 4 and 1 (a third each left over): the first two get them
    assert allocate(Decimal("0.02"), [Decimal(1), Decimal(4), Decimal(1)], cent) == [
        Decimal("0.01"), Decimal("0.01"), Decimal("0.00")
    ]  # fmt: skip
    assert allocate(Decimal("-0.02"), [Decimal(1), Decimal(4), Decimal(1)], cent) == [
        Decimal("-0.01"), Decimal("-0.01"), Decimal("0.00")
    ]  # fmt: skip


def test_allocate_refuses_a_weight_that_is_not_a_number() -> None:
    with pytest.raises(ValueError):
        allocate(Decimal("1.00"), [Decimal(1), Decimal("NaN")], USD.quantum)


@given(
    st.integers(-100_000, 100_000),
    st.lists(
        st.decimals(min_value=-1000, max_value=100_000, places=3, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=12,
    ),
)
def test_allocate_is_the_exact_largest_remainder_method(total_minor: int, weights: list[Decimal]) -> None:
    parts = allocate(USD.from_minor(total_minor), weights, USD.quantum)
    sign = -1 if total_minor < 0 else 1
    expected = _reference(abs(total_minor), [Fraction(w) for w in weights])
    assert [int(p / USD.quantum) for p in parts] == [sign * e for e in expected]


def test_format_uses_cldr() -> None:
    assert USD.format(Decimal("1234.5")) == "$1,234.50"
    assert Currency.of("EUR").format(Decimal("1234.5"), "de_DE") == "1.234,50\xa0€"
