"""Proration of a sale line's money over its units: the one function every refund of a
returned unit goes through (``ReturnableLine.refund_for``, before and after bill
adjustments).

A line of ``units`` units cost ``gross`` (what the customer paid for it, after line and
order discounts, tax included), of which ``tax`` was tax; its net is ``gross − tax``.
When ``done_units`` have come back and ``done_gross`` / ``done_tax`` were refunded for
them, ``k`` more units refund, with ``n = done_units + k``:

* gross first: ``round(gross × n / units) − done_gross``;
* then tax inside that gross: ``round(tax × n / units) − done_tax``, moved just enough
  (if at all) that neither the tax nor the net (gross − tax) of this refund is below zero
  or above what is left of it on the line;
* the net is what remains: gross − tax.

``round`` is half up at the minor unit (``Currency.quantize``). Since ``round(x × n/n)``
is ``x``, the refund that brings the last unit back is exactly what is left of the gross,
the net and the tax, so every sequence of visits ends at the paid total to the cent, for
each of the three; and no visit refunds more gross than its cumulative share of the line
(``round(gross × n / units)`` in total after it). Splitting the gross first is what keeps
a visit from refunding a cent more than its share when net and tax would each round up
on their own (2 × 9.99 less 0.01, tax 8.25 %: net 19.97, tax 1.65, total 21.62 refunds
10.81 and 10.81, never 10.82 then 10.80).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from counter.money import ZERO, Currency


class LineShare(NamedTuple):
    """What a refund of some units of a line gives back. ``amount`` is in the line's own
    terms: the net when prices exclude tax, the tax-included amount when they include it
    (as ``SaleLine.amount``); ``gross`` is what the customer gets, ``tax`` the tax in it."""

    amount: Decimal
    tax: Decimal
    gross: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.tax


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(value, high))


def split_gross(gross: Decimal, tax_target: Decimal, net_left: Decimal, tax_left: Decimal) -> tuple[Decimal, Decimal]:
    """(net, tax) of ``gross``: ``tax_target`` moved into ``[gross − net_left, gross]`` and
    ``[0, tax_left]``, so neither part is negative nor more than what is left of it.
    (Both ranges meet whenever ``0 ≤ gross ≤ net_left + tax_left``.)"""
    low = max(ZERO, gross - max(net_left, ZERO))
    high = min(gross, max(tax_left, ZERO))
    tax = _clamp(tax_target, low, high)
    return gross - tax, tax


def prorate_line(
    *,
    gross: Decimal,
    tax: Decimal,
    units: int,
    done_gross: Decimal,
    done_tax: Decimal,
    done_units: int,
    k: int,
    currency: Currency,
    prices_include_tax: bool,
) -> LineShare:
    """What ``k`` more units of a line refund (see the module's docstring).

    ``gross``/``tax``/``units`` is what is being shared out (a whole line, or what was left
    of it after a bill adjustment), ``done_*`` what was already refunded of that."""
    if not 0 < k <= units - done_units or done_units < 0:
        raise ValueError(f"cannot prorate {k} more of {units} units when {done_units} are back")
    n = done_units + k
    gross_left = gross - done_gross
    tax_left = tax - done_tax
    share_gross = currency.quantize(gross * n / units) - done_gross
    share_tax = currency.quantize(tax * n / units) - done_tax
    out_gross = _clamp(share_gross, ZERO, max(gross_left, ZERO))
    out_net, out_tax = split_gross(out_gross, share_tax, gross_left - tax_left, tax_left)
    return LineShare(out_gross if prices_include_tax else out_net, out_tax, out_gross)
