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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)

from counter.errors import InvalidAmount
from counter.i18n import _

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
                _("{amount} has more decimals than {code} allows.").format(amount=amount, code=self.code),
                _("Use at most {digits} decimals.").format(digits=self.digits),
            )
        return int(scaled)

    def from_minor(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-self.digits).quantize(self.quantum)

    def parse(
        self, text: str, *, locale: str = "en_US", allow_zero: bool = True, maximum: Decimal = MAX_AMOUNT
    ) -> Decimal:
        """Parse an amount typed by a person, the locale's way: ``12``, ``12.50`` and
        ``1,234.50`` in en_US; ``12,50`` and ``1.234,50`` in de_DE; ``1 234,50`` in fr_FR and
        sv_SE (any space typed stands for the locale's own); ``1'234.50`` in de_CH. A
        currency symbol or code around it is ignored.

        Raises InvalidAmount with a message fit for the screen for anything else:
        letters, separators out of place for the locale (``12.50`` in German: did you mean
        ``12,50``?), more decimals than the currency has, a negative amount, or an amount
        above ``maximum``.
        """
        raw = text.strip()
        example = _example(locale)
        cleaned = raw
        for symbol in sorted({"$", "€", "£", "CHF", "kr", self.code, get_currency_symbol(self.code, locale)}, key=len)[
            ::-1
        ]:
            cleaned = cleaned.replace(symbol, "")
        cleaned = _typed_groups(cleaned.strip(), locale)
        if not cleaned:
            raise InvalidAmount(
                _("No amount was entered."), _("Type an amount, for example {example}.").format(example=example)
            )
        if cleaned.startswith("-"):
            raise InvalidAmount(_("Amounts cannot be negative here."), _("Type the amount without a minus sign."))
        if cleaned.lower().lstrip("+") in ("inf", "infinity", "nan", "snan"):
            raise InvalidAmount(
                _("“{raw}” is not an amount.").format(raw=raw),
                _("Type an amount, for example {example}.").format(example=example),
            )
        try:
            amount = parse_decimal(cleaned, locale=locale, strict=True)
        except (NumberFormatError, InvalidOperation, ValueError) as exc:
            meant = [s for s in getattr(exc, "suggestions", None) or [] if get_decimal_symbol(locale) in s]
            if get_decimal_symbol(locale) == ".":
                hint = _("Type digits and at most one point, for example {example}.").format(example=example)
            else:
                hint = _("Type digits and at most one comma, for example {example}.").format(example=example)
            if meant:
                hint = _("Did you mean {amount}? {hint}").format(amount=meant[-1], hint=hint)
            raise InvalidAmount(_("“{raw}” is not an amount.").format(raw=raw), hint) from None
        if not amount.is_finite():
            raise InvalidAmount(
                _("“{raw}” is not an amount.").format(raw=raw),
                _("Type an amount, for example {example}.").format(example=example),
            )
        if amount < 0:
            raise InvalidAmount(_("Amounts cannot be negative here."), _("Type the amount without a minus sign."))
        if amount.as_tuple().exponent < -self.digits:  # type: ignore[operator]
            raise InvalidAmount(
                _("{raw} has more decimals than {code} allows.").format(raw=raw, code=self.code),
                _("Use at most {digits} decimals.").format(digits=self.digits),
            )
        if amount > maximum:
            raise InvalidAmount(
                _("{raw} is more than this counter accepts ({maximum}).").format(raw=raw, maximum=maximum),
                _("Check the amount; larger amounts need the back office."),
            )
        if amount == 0 and not allow_zero:
            raise InvalidAmount(_("The amount cannot be zero."), _("Type an amount above zero."))
        return amount.quantize(self.quantum)

    def plain(self, amount: Decimal, locale: str = "en_US") -> str:
        """The amount as a person types it in ``locale``, no symbol, no grouping (``12,50``
        in German): what an amount field is filled with, so that ``parse`` takes it back."""
        pattern = "0." + "0" * self.digits if self.digits else "0"
        return str(format_decimal(amount, format=pattern, locale=locale))

    def format(self, amount: Decimal, locale: str = "en_US") -> str:
        """Format for people (screens, receipts) through Babel's CLDR data."""
        return str(format_currency(amount, self.code, locale=locale))


def _example(locale: str) -> str:
    """12.50 the locale's way (12,50 in German and French)."""
    return str(format_decimal(Decimal("12.50"), format="0.00", locale=locale))


def _typed_groups(text: str, locale: str) -> str:
    """What a person types for the locale's thousands separator, made the locale's own: a
    plain space where the locale groups with a (narrow) no-break space, an apostrophe where
    it groups with a typographic one; spaces elsewhere are dropped (``1 234.50`` in en_US)."""
    group = get_group_symbol(locale)
    if group in ("\u00a0", "\u202f", " "):
        return re.sub("[ \u00a0\u202f]", group, text)
    text = re.sub("[ \u00a0\u202f]", "", text)
    if group == "\u2019":
        text = text.replace("'", group)
    return text


#: Cash is paid to the nearest of these where the smallest coin in use is not the minor
#: unit (the store's ``smallest_coin`` setting starts from it): Swiss francs to 5 centimes,
#: Swedish and Norwegian kronor to the whole krona, Danish to 50 øre, Canadian, Australian
#: and New Zealand dollars to 5 or 10 cents.
CASH_ROUNDING: dict[str, Decimal] = {
    "CHF": Decimal("0.05"),
    "SEK": Decimal("1"),
    "NOK": Decimal("1"),
    "DKK": Decimal("0.50"),
    "CAD": Decimal("0.05"),
    "AUD": Decimal("0.05"),
    "NZD": Decimal("0.10"),
}


def smallest_coin_for(currency: Currency) -> Decimal:
    """The smallest cash step of ``currency`` (its minor unit unless listed in CASH_ROUNDING)."""
    return CASH_ROUNDING.get(currency.code, currency.quantum)


def round_to_coin(amount: Decimal, smallest_coin: Decimal) -> Decimal:
    """Round a cash amount to the nearest multiple of the smallest coin (half up).

    ``smallest_coin`` of 0.01 leaves the amount alone; 0.05 gives Swiss/Canadian rounding.
    """
    if smallest_coin <= 0:
        raise InvalidAmount(_("The smallest coin must be above zero."), _("Fix the store's cash rounding setting."))
    units = (amount / smallest_coin).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (units * smallest_coin).quantize(smallest_coin)


def _as_integers(values: Sequence[Decimal]) -> list[int]:
    """``values`` times one power of ten that makes each a whole number (exactly: from each
    value's sign, digits and exponent, so no precision of a context is involved)."""
    parts = [v.as_tuple() for v in values]
    exponents = [p.exponent for p in parts]
    if not all(isinstance(e, int) for e in exponents):  # NaN or Infinity
        raise ValueError("cannot allocate over a weight that is not a number")
    scale = max(0, *(-e for e in exponents))  # type: ignore[operator]
    out = []
    for p in parts:
        coefficient = int("".join(map(str, p.digits)) or "0") * 10 ** (p.exponent + scale)  # type: ignore[operator]
        out.append(-coefficient if p.sign else coefficient)
    return out


def allocate(total: Decimal, weights: Sequence[Decimal], quantum: Decimal) -> list[Decimal]:
    """Split ``total`` over parts in proportion to ``weights``, to the quantum, exactly.

    Largest remainder method: each part gets the whole units of its exact share (toward
    zero), then the units left over go one by one to the parts with the largest remainders
    (earliest first on ties). The parts always sum to ``total``. All-zero weights split evenly.

    Exact in integers: a Decimal is an integer times a power of ten, so the weights are
    brought to one scale and every share is a fraction over their sum. (Shares computed as
    28-digit Decimal quotients broke ties by their last rounded digit: 3 cents over 3, 10, 1
    and 7 gave the tied second share the cent before the first.)
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
    ints = _as_integers(weights)
    weight_sum = sum(ints)
    if weight_sum == 0:
        ints, weight_sum = [1] * n, n
    elif weight_sum < 0:  # the same shares, over a positive denominator
        ints, weight_sum = [-w for w in ints], -weight_sum
    floors: list[int] = []
    remainders: list[int] = []  # each share's remainder, in units of 1 / weight_sum
    for w in ints:
        share = units_total * w
        whole = share // weight_sum if share >= 0 else -(-share // weight_sum)
        floors.append(whole)
        remainders.append(share - whole * weight_sum)
    left = units_total - sum(floors)
    order = sorted(range(n), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [(Decimal(sign * f) * quantum).quantize(quantum) for f in floors]
