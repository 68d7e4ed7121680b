"""Money: Decimal in the domain, integer minor units in storage, explicit rounding.

Rules (documented in docs/architecture.md, pinned by tests/unit/test_money.py):

* every amount is a ``Decimal`` quantized to the currency's minor unit (2 digits for
  USD/EUR/GBP, 0 for JPY); no ``float`` ever enters or leaves this module;
* rounding of computed amounts (percent discounts, tax) is ROUND_HALF_UP at the minor unit;
* a total split over parts (an order discount over lines, a rate's tax over its lines) uses
  the largest-remainder method, so the parts always add up to the total to the cent;
* cash rounding goes to the nearest multiple of the smallest coin (ROUND_HALF_UP), and
  applies only to what is paid in cash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision

from counter.errors import InvalidAmount

#: The largest amount a single line, tender or document may carry (in major units).
#: Beyond this is a typing or scanning accident at a service counter, not a sale.
MAX_AMOUNT = Decimal("999999.99")

ZERO = Decimal(0)


@dataclass(frozen=True)
class Currency:
    """An ISO 4217 currency and the rounding rules that go with it."""

    code: str
    digits: int

    @classmethod
    def of(cls, code: str) -> Currency:
        code = code.upper()
        return cls(code=code, digits=get_currency_precision(code))

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.digits)

    def quantize(self, amount: Decimal) -> Decimal:
        """Round a computed amount to the minor unit (half up)."""
        return amount.quantize(self.quantum, rounding=ROUND_HALF_UP)

    def to_minor(self, amount: Decimal) -> int:
        """Exact conversion for storage; refuses amounts finer than the minor unit."""
        scaled = amount.scaleb(self.digits)
        if scaled != scaled.to_integral_value():
            raise InvalidAmount(
                f"{amount} has more decimals than {self.code} allows.",
                f"Use at most {self.digits} decimals.",
            )
        return int(scaled)

    def from_minor(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-self.digits).quantize(self.quantum)

    def parse(self, text: str, *, allow_zero: bool = True, maximum: Decimal = MAX_AMOUNT) -> Decimal:
        """Parse an amount typed by a person: ``12``, ``12.5``, ``12.50``, ``1,234.50``.

        Raises InvalidAmount with a message fit for the screen for anything else:
        letters, several points, more decimals than the currency has, a negative amount,
        or an amount above ``maximum``.
        """
        cleaned = text.strip().replace(",", "").replace(" ", "")
        for symbol in ("$", "€", "£", self.code):
            cleaned = cleaned.replace(symbol, "")
        if not cleaned:
            raise InvalidAmount("No amount was entered.", "Type an amount, for example 12.50.")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            raise InvalidAmount(
                f"“{text.strip()}” is not an amount.", "Type digits and at most one point, for example 12.50."
            ) from None
        if not amount.is_finite():
            raise InvalidAmount(f"“{text.strip()}” is not an amount.", "Type an amount, for example 12.50.")
        if amount < 0:
            raise InvalidAmount("Amounts cannot be negative here.", "Type the amount without a minus sign.")
        if amount.as_tuple().exponent < -self.digits:  # type: ignore[operator]
            raise InvalidAmount(
                f"{text.strip()} has more decimals than {self.code} allows.",
                f"Use at most {self.digits} decimals.",
            )
        if amount > maximum:
            raise InvalidAmount(
                f"{text.strip()} is more than this counter accepts ({maximum}).",
                "Check the amount; larger amounts need the back office.",
            )
        if amount == 0 and not allow_zero:
            raise InvalidAmount("The amount cannot be zero.", "Type an amount above zero.")
        return amount.quantize(self.quantum)

    def format(self, amount: Decimal, locale: str = "en_US") -> str:
        """Format for people (screens, receipts) through Babel's CLDR data."""
        return str(format_currency(amount, self.code, locale=locale))


def round_to_coin(amount: Decimal, smallest_coin: Decimal) -> Decimal:
    """Round a cash amount to the nearest multiple of the smallest coin (half up).

    ``smallest_coin`` of 0.01 leaves the amount alone; 0.05 gives Swiss/Canadian rounding.
    """
    if smallest_coin <= 0:
        raise InvalidAmount("The smallest coin must be above zero.", "Fix the store's cash rounding setting.")
    units = (amount / smallest_coin).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (units * smallest_coin).quantize(smallest_coin)


def allocate(total: Decimal, weights: Sequence[Decimal], quantum: Decimal) -> list[Decimal]:
    """Split ``total`` over parts in proportion to ``weights``, to the quantum, exactly.

    Largest remainder method: each part gets the floor of its exact share, then the
    units left over go one by one to the parts with the largest remainders (earliest
    first on ties). The parts always sum to ``total``. All-zero weights split evenly.
    """
    n = len(weights)
    if n == 0:
        if total != 0:
            raise ValueError("cannot allocate a non-zero total over no parts")
        return []
    units_total = int((total / quantum).to_integral_value())
    if units_total != total / quantum:
        raise ValueError("total is not a multiple of the quantum")
    sign = 1 if units_total >= 0 else -1
    units_total = abs(units_total)
    weight_sum = sum(weights, ZERO)
    if weight_sum == 0:
        weights = [Decimal(1)] * n
        weight_sum = Decimal(n)
    exact = [Decimal(units_total) * w / weight_sum for w in weights]
    floors = [int(e) for e in exact]
    left = units_total - sum(floors)
    order = sorted(range(n), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [(Decimal(sign * f) * quantum).quantize(quantum) for f in floors]
