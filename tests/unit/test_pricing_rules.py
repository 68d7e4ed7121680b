"""counter.sales.pricing's rules at their edges, to the cent: percent discounts rounded half up,
discounts that may equal but not exceed what they come off (with the words the cashier
reads), the order discount split by largest remainder, tax per rate in code order, and
inclusive prices whose tax is taken out of the amount. (Sums over random receipts are the
property tests in test_pricing_properties.py.)"""

from __future__ import annotations

from decimal import Decimal

import pytest

from counter.catalog import TaxClass
from counter.errors import CartError
from counter.money import Currency
from counter.sales.pricing import Discount, LineInput, PricedLine, Pricing, TaxTotal, price_lines

USD = Currency.of("USD")
STATE = TaxClass("A", "Standard", Decimal("0.0825"))
FOOD = TaxClass("B", "Food", Decimal("0.0225"))
VAT = TaxClass("C", "VAT 19", Decimal("0.19"))
D = Decimal


def pct(value: str) -> Discount:
    return Discount(True, D(value))


def off(value: str) -> Discount:
    return Discount(False, D(value))


@pytest.mark.parametrize(
    ("percent", "base", "expected"),
    [
        ("10", "19.99", "2.00"),  # 1.999 -> 2.00
        ("12.5", "0.20", "0.03"),  # 0.025 -> 0.03: half up, not to even
        ("12.5", "0.36", "0.05"),  # 0.045 -> 0.05: half up, not to even
        ("100", "7.31", "7.31"),  # the whole line
        ("33", "10.00", "3.30"),
    ],
)
def test_a_percent_discount_is_that_share_of_its_base_rounded_half_up(percent: str, base: str, expected: str) -> None:
    assert pct(percent).amount_off(D(base), USD) == D(expected)


def test_an_amount_discount_is_its_amount_whatever_the_base() -> None:
    assert off("2.50").amount_off(D("10.00"), USD) == D("2.50")
    assert off("2.50").amount_off(D("99.99"), USD) == D("2.50")


def test_a_discount_describes_itself_as_the_cashier_typed_it() -> None:
    assert pct("10.00").describe(USD, "en_US") == "10 %"
    assert pct("12.50").describe(USD, "en_US") == "12.5 %"
    assert off("5").describe(USD, "en_US") == "$5.00"
    assert off("1234.5").describe(USD, "de_DE") == "1.234,50\xa0$"


def test_a_line_costs_unit_price_times_quantity() -> None:
    p = price_lines([LineInput(D("19.99"), 3, STATE)], USD, prices_include_tax=False)
    (line,) = p.lines
    assert line.extended == D("59.97")
    assert (line.line_discount, line.order_discount, line.discount) == (D(0), D(0), D(0))
    assert line.amount == D("59.97")
    assert line.tax == D("4.95")  # 59.97 x 8.25 % = 4.947525
    assert line.gross == D("64.92")
    assert line.net == D("59.97")


def test_line_and_order_discounts_add_up_per_line_and_on_the_receipt() -> None:
    p = price_lines(
        [LineInput(D("10.00"), 2, STATE, pct("10")), LineInput(D("5.00"), 1, STATE)],
        USD,
        prices_include_tax=False,
        order_discount=off("3.00"),
    )
    a, b = p.lines
    # after the line discount: 18.00 and 5.00; 3.00 split 18:5 -> 2.3478 / 0.6521 -> 2.35 / 0.65
    assert (a.line_discount, a.order_discount, a.discount, a.amount) == (D("2.00"), D("2.35"), D("4.35"), D("15.65"))
    assert (b.line_discount, b.order_discount, b.discount, b.amount) == (D(0), D("0.65"), D("0.65"), D("4.35"))
    assert p.discount_total == D("5.00")
    assert p.subtotal == D("20.00")
    # 20.00 x 8.25 % = 1.65, split 15.65:4.35 -> 1.2911 / 0.3588 -> 1.29 / 0.36
    assert (a.tax, b.tax) == (D("1.29"), D("0.36"))
    assert p.tax_total == D("1.65")
    assert p.total == D("21.65")
    assert (a.gross, a.net, b.gross, b.net) == (D("16.94"), D("15.65"), D("4.71"), D("4.35"))


def test_a_percent_order_discount_is_taken_of_the_sum_after_line_discounts() -> None:
    p = price_lines(
        [LineInput(D("10.00"), 1, STATE, off("1.00")), LineInput(D("1.00"), 1, STATE)],
        USD,
        prices_include_tax=False,
        order_discount=pct("12.5"),
    )
    # base 9.00 + 1.00 = 10.00; 12.5 % = 1.25, split 9:1 -> 1.125 / 0.125 -> 1.13 / 0.12 (largest remainder)
    assert [ln.order_discount for ln in p.lines] == [D("1.13"), D("0.12")]
    assert p.subtotal == D("8.75")


def test_a_discount_may_take_a_whole_line_but_not_more() -> None:
    p = price_lines([LineInput(D("4.00"), 2, STATE, off("8.00"))], USD, prices_include_tax=False)
    assert (p.lines[0].amount, p.lines[0].tax, p.total) == (D(0), D(0), D(0))
    with pytest.raises(CartError) as err:
        price_lines([LineInput(D("4.00"), 2, STATE, off("8.01"))], USD, prices_include_tax=False)
    assert err.value.message == "A line discount is larger than its line."
    assert err.value.hint == "Enter a smaller discount, or void the line."


def test_an_order_discount_may_take_the_whole_sale_but_not_more() -> None:
    items = [LineInput(D("4.00"), 1, STATE, off("1.00")), LineInput(D("2.00"), 1, FOOD)]
    p = price_lines(items, USD, prices_include_tax=False, order_discount=off("5.00"))
    assert (p.subtotal, p.tax_total, p.total) == (D(0), D(0), D(0))
    with pytest.raises(CartError) as err:
        price_lines(items, USD, prices_include_tax=False, order_discount=off("5.01"))
    assert err.value.message == "The order discount is larger than the sale."
    assert err.value.hint == "Enter a smaller discount."


def test_an_empty_sale_prices_to_nothing() -> None:
    p = price_lines([], USD, prices_include_tax=False)
    assert (p.lines, p.taxes, p.subtotal, p.total, p.tax_total, p.discount_total) == ((), (), 0, 0, 0, 0)
    assert p.prices_include_tax is False
    q = price_lines([], USD, prices_include_tax=True, order_discount=off("0.00"))
    assert (q.lines, q.taxes, q.total, q.prices_include_tax) == ((), (), 0, True)


def test_tax_is_one_rounding_per_rate_listed_in_code_order() -> None:
    p = price_lines(
        [
            LineInput(D("3.49"), 1, FOOD),
            LineInput(D("0.10"), 1, STATE),
            LineInput(D("0.10"), 1, STATE),
            LineInput(D("0.10"), 1, STATE),
        ],
        USD,
        prices_include_tax=False,
    )
    # per line 0.10 x 8.25 % = 0.00825 -> 0.01 each would be 0.03; per rate 0.30 x 8.25 % = 0.02475 -> 0.02
    assert p.taxes == (TaxTotal(STATE, D("0.30"), D("0.02")), TaxTotal(FOOD, D("3.49"), D("0.08")))
    assert [ln.tax for ln in p.lines] == [D("0.08"), D("0.01"), D("0.01"), D("0")]
    assert p.total == D("3.89")


def test_inclusive_prices_carry_their_tax_inside() -> None:
    p = price_lines(
        [LineInput(D("11.90"), 1, VAT), LineInput(D("5.00"), 2, FOOD), LineInput(D("1.19"), 1, VAT)],
        USD,
        prices_include_tax=True,
    )
    # VAT: 13.09 x 0.19 / 1.19 = 2.09; food: 10.00 x 0.0225 / 1.0225 = 0.22004... -> 0.22
    assert p.taxes == (TaxTotal(FOOD, D("9.78"), D("0.22")), TaxTotal(VAT, D("11.00"), D("2.09")))
    assert [ln.gross for ln in p.lines] == [D("11.90"), D("10.00"), D("1.19")]
    assert [ln.tax for ln in p.lines] == [D("1.90"), D("0.22"), D("0.19")]
    assert [ln.net for ln in p.lines] == [D("10.00"), D("9.78"), D("1.00")]
    assert (p.subtotal, p.tax_total, p.total) == (D("23.09"), D("2.31"), D("23.09"))
    assert p.prices_include_tax is True


def test_inclusive_tax_rounds_half_up() -> None:
    # 1.07 x 0.07 / 1.07 = 0.07 exactly; 0.15 x 0.5 / 1.5 = 0.05; 0.03 x 0.2 / 1.2 = 0.005 -> 0.01
    half = TaxClass("H", "Half", D("0.2"))
    p = price_lines([LineInput(D("0.03"), 1, half)], USD, prices_include_tax=True)
    assert p.taxes == (TaxTotal(half, D("0.02"), D("0.01")),)
    q = price_lines([LineInput(D("0.05"), 1, TaxClass("T", "Ten", D("0.1")))], USD, prices_include_tax=False)
    assert q.tax_total == D("0.01")  # 0.005 -> 0.01


def test_a_priced_line_and_a_receipt_sum_what_they_hold() -> None:
    line = PricedLine(D("10"), D("1"), D("2"), D("7"), D("0.5"), D("7.5"))
    assert (line.discount, line.net) == (D("3"), D("7.0"))
    other = PricedLine(D("5"), D("0"), D("1"), D("4"), D("0.25"), D("4.25"))
    taxes = (TaxTotal(STATE, D("8"), D("0.5")), TaxTotal(FOOD, D("3"), D("0.25")))
    p = Pricing((line, other), taxes, False)
    assert (p.subtotal, p.discount_total, p.tax_total, p.total) == (D("11"), D("4"), D("0.75"), D("11.75"))
