"""Property tests of the money a sale adds up to (issue 2, 'Show')."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings, strategies as st

from counter.catalog import TaxClass
from counter.money import Currency
from counter.sales.pricing import Discount, LineInput, price_lines

USD = Currency.of("USD")
RATES = [
    TaxClass("A", "Standard", Decimal("0.0825")),
    TaxClass("B", "Food", Decimal("0.0225")),
    TaxClass("C", "VAT 19", Decimal("0.19")),
    TaxClass("N", "None", Decimal("0")),
]

prices = st.integers(min_value=1, max_value=99_999_99).map(USD.from_minor)
discounts = st.one_of(
    st.none(),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2).map(lambda v: Discount(True, v)),
)
lines = st.lists(
    st.builds(LineInput, prices, st.integers(min_value=1, max_value=50), st.sampled_from(RATES), discounts),
    min_size=1,
    max_size=25,
)


@settings(max_examples=300)
@given(lines, st.booleans(), discounts)
def test_totals_are_the_sum_of_lines_to_the_cent(
    items: list[LineInput], inclusive: bool, order: Discount | None
) -> None:
    p = price_lines(items, USD, prices_include_tax=inclusive, order_discount=order)
    assert p.total == sum((ln.gross for ln in p.lines), Decimal(0))
    for ln in p.lines:
        assert ln.amount >= 0
        assert ln.amount == ln.extended - ln.line_discount - ln.order_discount
        for value in (ln.amount, ln.tax, ln.gross):
            assert value == value.quantize(USD.quantum)
    if inclusive:
        assert p.total == p.subtotal
    else:
        assert p.total == p.subtotal + p.tax_total


@settings(max_examples=300)
@given(lines, st.booleans(), discounts)
def test_tax_split_over_rates_neither_loses_nor_invents_a_cent(
    items: list[LineInput], inclusive: bool, order: Discount | None
) -> None:
    p = price_lines(items, USD, prices_include_tax=inclusive, order_discount=order)
    assert sum((ln.tax for ln in p.lines), Decimal(0)) == p.tax_total
    for t in p.taxes:
        in_rate = [ln for ln, li in zip(p.lines, items, strict=True) if li.tax == t.tax]
        base = sum((ln.amount for ln in in_rate), Decimal(0))
        exact = base * t.tax.rate / (1 + t.tax.rate) if inclusive else base * t.tax.rate
        assert abs(t.amount - exact) <= USD.quantum / 2  # one rounding per rate, half up
        assert sum((ln.tax for ln in in_rate), Decimal(0)) == t.amount


@given(lines)
def test_order_discount_is_split_exactly(items: list[LineInput]) -> None:
    order = Discount(False, Decimal("5.00"))
    undiscounted = price_lines(items, USD, prices_include_tax=False)
    if undiscounted.subtotal < Decimal("5.00"):
        return
    p = price_lines(items, USD, prices_include_tax=False, order_discount=order)
    assert sum((ln.order_discount for ln in p.lines), Decimal(0)) == Decimal("5.00")
    assert p.subtotal == undiscounted.subtotal - Decimal("5.00")


def test_a_known_receipt() -> None:
    a, b = RATES[0], RATES[1]
    p = price_lines(
        [
            LineInput(Decimal("19.99"), 2, a),
            LineInput(Decimal("3.49"), 1, b),
            LineInput(Decimal("5.00"), 1, a, Discount(True, Decimal(10))),
        ],
        USD,
        prices_include_tax=False,
    )
    # A: 39.98 + 4.50 = 44.48 × 8.25 % = 3.6696 → 3.67 ; B: 3.49 × 2.25 % = 0.078525 → 0.08
    assert [t.amount for t in p.taxes] == [Decimal("3.67"), Decimal("0.08")]
    assert p.subtotal == Decimal("47.97")
    assert p.total == Decimal("51.72")
