"""counter.money's rules at their edges: what a person may type, the exact words the screen
shows when it refuses, where the limits fall, and which part of a split gets the odd cent.
(The round trips and the cent-exact properties are in test_money.py.)"""

from __future__ import annotations

from decimal import Decimal

import pytest

from counter.errors import InvalidAmount
from counter.money import Currency, allocate, round_to_coin

CENT = Decimal("0.01")


def usd() -> Currency:
    return Currency.of("USD")


def test_a_currency_code_is_read_in_any_case_and_its_digits_come_from_cldr() -> None:
    yen = Currency.of("jpy")
    assert (yen.code, yen.digits) == ("JPY", 0)
    assert (Currency.of("usd").code, Currency.of("usd").digits) == ("USD", 2)
    assert yen.quantum == Decimal(1) and usd().quantum == CENT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234.50", "1234.50"),  # a space as the thousands separator
        ("€5", "5.00"),
        ("£5.5", "5.50"),
        ("USD 7", "7.00"),
        ("0", "0.00"),  # zero is allowed unless the caller says otherwise
        ("999999.99", "999999.99"),  # the largest amount itself is accepted
    ],
)
def test_parse_accepts(text: str, expected: str) -> None:
    amount = usd().parse(text)
    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2  # quantized to the cent


@pytest.mark.parametrize(
    ("text", "kwargs", "message", "hint"),
    [
        ("  ", {}, "No amount was entered.", "Type an amount, for example 12.50."),
        ("1.2.3", {}, "“1.2.3” is not an amount.", "Type digits and at most one point, for example 12.50."),
        ("Infinity", {}, "“Infinity” is not an amount.", "Type an amount, for example 12.50."),
        ("-5", {}, "Amounts cannot be negative here.", "Type the amount without a minus sign."),
        ("12.345", {}, "12.345 has more decimals than USD allows.", "Use at most 2 decimals."),
        (
            "1000000",
            {},
            "1000000 is more than this counter accepts (999999.99).",
            "Check the amount; larger amounts need the back office.",
        ),
        (
            "10.01",
            {"maximum": Decimal("10.00")},
            "10.01 is more than this counter accepts (10.00).",
            "Check the amount; larger amounts need the back office.",
        ),
        ("0", {"allow_zero": False}, "The amount cannot be zero.", "Type an amount above zero."),
        ("0.00", {"allow_zero": False}, "The amount cannot be zero.", "Type an amount above zero."),
    ],
)
def test_parse_refuses_with_the_words_the_screen_shows(
    text: str, kwargs: dict[str, object], message: str, hint: str
) -> None:
    with pytest.raises(InvalidAmount) as err:
        usd().parse(text, **kwargs)  # type: ignore[arg-type]
    assert (err.value.message, err.value.hint) == (message, hint)


def test_parse_limits_are_inclusive() -> None:
    assert usd().parse("10", maximum=Decimal("10")) == Decimal("10.00")
    assert usd().parse("0.01", allow_zero=False) == CENT


def test_to_minor_refuses_a_fraction_of_a_cent_with_the_rule() -> None:
    with pytest.raises(InvalidAmount) as err:
        usd().to_minor(Decimal("1.005"))
    assert (err.value.message, err.value.hint) == (
        "1.005 has more decimals than USD allows.",
        "Use at most 2 decimals.",
    )
    assert usd().to_minor(Decimal("1.5")) == 150
    assert Currency.of("JPY").to_minor(Decimal("150")) == 150


def test_format_defaults_to_us_english() -> None:
    assert Currency.of("EUR").format(Decimal("1234.5")) == "€1,234.50"


@pytest.mark.parametrize("coin", [Decimal(0), Decimal("-0.05")])
def test_a_smallest_coin_of_zero_or_less_is_a_setting_to_fix(coin: Decimal) -> None:
    with pytest.raises(InvalidAmount) as err:
        round_to_coin(Decimal("1.00"), coin)
    assert (err.value.message, err.value.hint) == (
        "The smallest coin must be above zero.",
        "Fix the store's cash rounding setting.",
    )


def test_allocating_over_no_parts() -> None:
    assert allocate(Decimal("0.00"), [], CENT) == []
    with pytest.raises(ValueError, match="^cannot allocate a non-zero total over no parts$"):
        allocate(Decimal("1"), [], CENT)
    with pytest.raises(ValueError, match="^cannot allocate a non-zero total over no parts$"):
        allocate(Decimal("0.01"), [], CENT)


def test_a_total_finer_than_the_quantum_cannot_be_split() -> None:
    with pytest.raises(ValueError, match="^total is not a multiple of the quantum$"):
        allocate(Decimal("0.005"), [Decimal(1)], CENT)


def test_the_odd_cent_goes_to_the_largest_remainder_not_the_largest_part() -> None:
    # 10 cents over 84:16 is 8.4 and 1.6 cents: 8 and 1, and the cent left over goes to the
    # part whose remainder (0.6) is larger, not to the larger part.
    assert allocate(Decimal("0.10"), [Decimal("0.84"), Decimal("0.16")], CENT) == [Decimal("0.08"), Decimal("0.02")]
    # A refund (negative) is split the same way, with the sign.
    assert allocate(Decimal("-0.10"), [Decimal("0.84"), Decimal("0.16")], CENT) == [
        Decimal("-0.08"),
        Decimal("-0.02"),
    ]
