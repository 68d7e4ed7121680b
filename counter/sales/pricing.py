"""How a list of lines becomes the amounts a customer pays: discounts and tax.

The computation (pinned by property tests in tests/unit/test_pricing_properties.py):

1. ``extended = unit_price × quantity`` per line (exact in the minor unit).
2. A line discount (percent, rounded half up; or an amount) is taken off: ``after_line``.
3. An order discount (percent of the sum, rounded half up; or an amount) is split over the
   lines in proportion to ``after_line`` by largest remainder: ``amount = after_line − share``.
   ``amount`` is what the customer pays for the line (before tax when prices exclude tax).
4. Tax is computed **per document and per rate**: for each rate, ``base`` is the sum of the
   amounts at that rate and ``tax = round_half_up(base × rate)`` (exclusive prices) or
   ``round_half_up(base × rate / (1 + rate))`` (inclusive prices). The rate's tax is then split
   back over its lines by largest remainder, so every line knows the tax it carries and a
   return can reverse exactly what was charged.
5. ``gross`` per line is ``amount + tax`` (exclusive) or ``amount`` (inclusive); the document
   total is the sum of the gross amounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from counter.catalog import TaxClass
from counter.errors import CartError
from counter.i18n import _
from counter.money import ZERO, Currency, allocate

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Discount:
    """A discount typed at the counter: ``percent`` (0 < v ≤ 100) or ``amount`` (> 0)."""

    is_percent: bool
    value: Decimal

    def amount_off(self, base: Decimal, currency: Currency) -> Decimal:
        if self.is_percent:
            return currency.quantize(base * self.value / HUNDRED)
        return self.value

    def describe(self, currency: Currency, locale: str) -> str:
        if self.is_percent:
            return f"{self.value.normalize():f} %"
        return currency.format(self.value, locale)


@dataclass(frozen=True)
class LineInput:
    unit_price: Decimal
    quantity: int
    tax: TaxClass
    discount: Discount | None = None


@dataclass(frozen=True)
class PricedLine:
    extended: Decimal
    line_discount: Decimal
    order_discount: Decimal
    amount: Decimal
    tax: Decimal
    gross: Decimal

    @property
    def discount(self) -> Decimal:
        return self.line_discount + self.order_discount

    @property
    def net(self) -> Decimal:
        return self.gross - self.tax


@dataclass(frozen=True)
class TaxTotal:
    tax: TaxClass
    base: Decimal  # net of tax
    amount: Decimal


@dataclass(frozen=True)
class Pricing:
    lines: tuple[PricedLine, ...]
    taxes: tuple[TaxTotal, ...]
    prices_include_tax: bool

    @property
    def subtotal(self) -> Decimal:
        """Sum of line amounts after discounts (before tax when prices exclude it)."""
        return sum((ln.amount for ln in self.lines), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((ln.discount for ln in self.lines), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((t.amount for t in self.taxes), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((ln.gross for ln in self.lines), ZERO)


def price_lines(
    lines: Sequence[LineInput],
    currency: Currency,
    *,
    prices_include_tax: bool,
    order_discount: Discount | None = None,
) -> Pricing:
    q = currency.quantum
    extended = [currency.quantize(li.unit_price * li.quantity) for li in lines]
    line_disc = [
        li.discount.amount_off(ext, currency) if li.discount else ZERO for li, ext in zip(lines, extended, strict=True)
    ]
    if any(d > e for d, e in zip(line_disc, extended, strict=True)):
        raise CartError(_("A line discount is larger than its line."), _("Enter a smaller discount, or void the line."))
    after_line = [e - d for e, d in zip(extended, line_disc, strict=True)]
    base_total = sum(after_line, ZERO)
    order_off = order_discount.amount_off(base_total, currency) if order_discount else ZERO
    if order_off > base_total:
        raise CartError(_("The order discount is larger than the sale."), _("Enter a smaller discount."))
    shares = allocate(order_off, after_line, q) if lines else []
    amounts = [a - s for a, s in zip(after_line, shares, strict=True)]

    line_tax = [ZERO] * len(lines)
    taxes: list[TaxTotal] = []
    by_rate: dict[TaxClass, list[int]] = {}
    for i, li in enumerate(lines):
        by_rate.setdefault(li.tax, []).append(i)
    for tax_class in sorted(by_rate, key=lambda t: t.code):
        idx = by_rate[tax_class]
        base = sum((amounts[i] for i in idx), ZERO)
        rate = tax_class.rate
        if prices_include_tax:
            tax = currency.quantize(base * rate / (1 + rate))
            net_base = base - tax
        else:
            tax = currency.quantize(base * rate)
            net_base = base
        for i, part in zip(idx, allocate(tax, [amounts[i] for i in idx], q), strict=True):
            line_tax[i] = part
        taxes.append(TaxTotal(tax_class, net_base, tax))

    priced = tuple(
        PricedLine(
            extended=extended[i],
            line_discount=line_disc[i],
            order_discount=shares[i],
            amount=amounts[i],
            tax=line_tax[i],
            gross=amounts[i] if prices_include_tax else amounts[i] + line_tax[i],
        )
        for i in range(len(lines))
    )
    return Pricing(priced, tuple(taxes), prices_include_tax)
