"""counter.returns.proration at its edges: which refunds of a line's units are allowed, how a refund's
gross is split into net and tax within what is left, and which of them is the line's amount.
(The every-visit-sums-to-the-total properties are in test_returns_properties.py.)"""

from __future__ import annotations

from decimal import Decimal

import pytest

from counter.money import Currency
from counter.returns.proration import LineShare, prorate_line, split_gross

D = Decimal


def usd() -> Currency:
    return Currency.of("USD")


def share(**changes: object) -> LineShare:
    args: dict[str, object] = {
        "gross": D("10.00"),
        "tax": D("1.00"),
        "units": 3,
        "done_gross": D("0"),
        "done_tax": D("0"),
        "done_units": 0,
        "k": 1,
        "currency": usd(),
        "prices_include_tax": True,
    }
    args.update(changes)
    return prorate_line(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("k", "done_units", "units"),
    [(0, 0, 3), (4, 0, 3), (3, 1, 3), (-1, 0, 3), (1, -1, 3)],
)
def test_refusing_units_that_are_not_there_to_return(k: int, done_units: int, units: int) -> None:
    with pytest.raises(ValueError) as err:
        share(k=k, done_units=done_units, units=units)
    assert str(err.value) == f"cannot prorate {k} more of {units} units when {done_units} are back"


def test_the_last_units_may_come_back() -> None:
    assert share(k=3).gross == D("10.00")
    assert share(k=2, done_units=1, done_gross=D("3.33"), done_tax=D("0.33")) == LineShare(
        D("6.67"), D("0.67"), D("6.67")
    )


def test_one_unit_of_three_rounds_half_up_and_the_amount_follows_the_price_basis() -> None:
    assert share() == LineShare(amount=D("3.33"), tax=D("0.33"), gross=D("3.33"))
    excluded = share(prices_include_tax=False)
    assert excluded == LineShare(amount=D("3.00"), tax=D("0.33"), gross=D("3.33"))
    assert excluded.net == D("3.00")
    # 0.05 over 2 units: 0.025 rounds up to 0.03 for the first unit, the last gets 0.02
    first = share(gross=D("0.05"), tax=D("0"), units=2)
    assert first.gross == D("0.03")
    assert share(gross=D("0.05"), tax=D("0"), units=2, done_units=1, done_gross=first.gross).gross == D("0.02")


def test_a_refund_already_larger_than_the_share_gives_nothing_back() -> None:
    # After a bill adjustment lowered what is left, the share can be below what was already
    # refunded: nothing more comes back, never a negative refund.
    assert share(units=2, done_gross=D("6.00"), done_tax=D("0.50")) == LineShare(D("0"), D("0"), D("0"))
    assert share(units=2, done_gross=D("12.00"), done_tax=D("0.50")) == LineShare(D("0"), D("0"), D("0"))


@pytest.mark.parametrize(
    ("gross", "tax_target", "net_left", "tax_left", "expected"),
    [
        ("10.00", "3.00", "8.00", "5.00", ("7.00", "3.00")),  # the target fits
        ("10.00", "1.00", "8.00", "5.00", ("8.00", "2.00")),  # net would exceed what is left: tax rises
        ("10.00", "6.00", "8.00", "5.00", ("5.00", "5.00")),  # tax would exceed what is left: tax falls
        ("1.00", "0.00", "-3.00", "5.00", ("0.00", "1.00")),  # no net left at all: all of it is tax
        ("1.00", "1.00", "5.00", "-2.00", ("1.00", "0.00")),  # no tax left at all: all of it is net
        ("0.00", "1.00", "5.00", "5.00", ("0.00", "0.00")),  # nothing refunded, nothing split
        ("2.00", "2.00", "2.00", "2.00", ("0.00", "2.00")),  # at the top of both ranges
    ],
)
def test_split_gross_keeps_net_and_tax_within_what_is_left(
    gross: str, tax_target: str, net_left: str, tax_left: str, expected: tuple[str, str]
) -> None:
    net, tax = split_gross(D(gross), D(tax_target), D(net_left), D(tax_left))
    assert (net, tax) == (D(expected[0]), D(expected[1]))
    assert net + tax == D(gross)
