"""Property tests of the returns ledger and refunds over random sales (issues 4 and 13).

Random sales (several tax rates, line and order discounts, split tenders) and random
sequences of partial returns, replayed through the same functions the handler uses:
never more returned than sold; never more refunded than paid, per tender and in total;
a full return, in any number of visits, refunds exactly the paid total. Proration
(issue 13, item 8), in both tax modes: no visit refunds more than its cumulative share of
a line, each refund's net and tax add up to its gross, and every line closes to the cent
in gross, net and tax, also with bill adjustments between the visits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings, strategies as st

from counter.catalog import TaxClass
from counter.desk.adjustments import merge_adjustments, price_difference
from counter.money import ZERO, Currency
from counter.returns.model import ReturnableLine, Returned, ReturnError
from counter.returns.policy import ReturnRules
from counter.returns.proration import prorate_line
from counter.returns.refunds import PaidTender, RefundMethod, allocate_refund
from counter.sales.pricing import Discount, LineInput, price_lines
from counter.sales.sale import SaleLine
from counter.sales.tenders import CardDetails, TenderKind

USD = Currency.of("USD")
RATES = [TaxClass("A", "A", Decimal("0.0825")), TaxClass("B", "B", Decimal("0.0225")), TaxClass("N", "N", Decimal(0))]
RULES = ReturnRules(cash_refund_approval_over=Decimal("1e9"))
NOW = datetime(2026, 11, 25, tzinfo=UTC)


@st.composite
def line_input(draw):  # type: ignore[no-untyped-def]
    """A line: price, quantity, tax class, and no discount, a percent off or an amount off."""
    price = USD.from_minor(draw(st.integers(min_value=1, max_value=50_000)))
    quantity = draw(st.integers(min_value=1, max_value=9))
    extended = USD.to_minor(price) * quantity
    discount = draw(
        st.one_of(
            st.none(),
            st.integers(min_value=1, max_value=100).map(lambda p: Discount(True, Decimal(p))),
            st.integers(min_value=1, max_value=extended).map(lambda m: Discount(False, USD.from_minor(m))),
        )
    )
    return LineInput(price, quantity, draw(st.sampled_from(RATES)), discount)


line_inputs = st.lists(line_input(), min_size=1, max_size=6)


@st.composite
def sales(draw, inclusive: bool | None = None):  # type: ignore[no-untyped-def]
    """A priced sale: its lines, its tax mode (drawn unless given), its total and tenders."""
    inputs = draw(line_inputs)
    inclusive = draw(st.booleans()) if inclusive is None else inclusive
    order = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=30).map(lambda p: Discount(True, Decimal(p)))))
    pricing = price_lines(inputs, USD, prices_include_tax=inclusive, order_discount=order)
    lines = [
        SaleLine(
            f"L{n}",
            n,
            f"I{n}",
            f"S{n}",
            f"Item {n}",
            li.quantity,
            li.unit_price,
            p.line_discount,
            p.order_discount,
            p.amount,
            p.tax,
            p.gross,
            li.tax.code,
            li.tax.rate,
        )
        for n, (li, p) in enumerate(zip(inputs, pricing.lines, strict=True), start=1)
    ]
    total = pricing.total
    # split tenders: up to two cards, the rest cash
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=USD.to_minor(total)), min_size=0, max_size=2)))
    amounts, prev = [], 0
    for c in cuts:
        amounts.append(c - prev)
        prev = c
    amounts.append(USD.to_minor(total) - prev)
    tenders = []
    for n, minor in enumerate(amounts, start=1):
        if minor == 0:
            continue
        kind = TenderKind.CASH if n == len(amounts) else TenderKind.CARD
        card = CardDetails("Visa", f"{n:04d}", f"AP{n}") if kind is TenderKind.CARD else None
        tenders.append((n, kind, USD.from_minor(minor), card))
    return lines, inclusive, total, tenders


@st.composite
def visits(draw, lines):  # type: ignore[no-untyped-def]
    """A sequence of visits, each asking to return some quantity of some lines (may over-ask)."""
    return draw(
        st.lists(
            st.lists(
                st.tuples(st.sampled_from([ln.id for ln in lines]), st.integers(min_value=1, max_value=10)),
                min_size=1,
                max_size=3,
            ),
            min_size=1,
            max_size=8,
        )
    )


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_random_partial_returns_never_over_return_or_over_refund(data) -> None:  # type: ignore[no-untyped-def]
    lines, inclusive, total, tenders = data.draw(sales())
    by_id = {ln.id: ln for ln in lines}
    returned = {ln.id: Returned() for ln in lines}
    refunded = {seq: ZERO for seq, *_ in tenders}
    refunded_total = ZERO
    for visit in data.draw(visits(lines)):
        asked: dict[str, int] = {}
        for line_id, k in visit:
            asked[line_id] = asked.get(line_id, 0) + k
        # the handler refuses the whole visit if any line asks for more than is left
        if any(k > by_id[i].quantity - returned[i].quantity for i, k in asked.items()):
            for i, k in asked.items():
                rl = ReturnableLine(by_id[i], returned[i], "c")
                if k > rl.returnable:
                    try:
                        rl.refund_for(k, USD, inclusive)
                    except ReturnError:
                        break
                    raise AssertionError("over-return was not refused")
            continue
        visit_total = ZERO
        for i, k in asked.items():
            rl = ReturnableLine(by_id[i], returned[i], "c")
            amount, tax, gross = rl.refund_for(k, USD, inclusive)
            assert gross >= 0 and tax >= 0
            r = returned[i]
            returned[i] = Returned(r.quantity + k, r.amount + amount, r.tax + tax, r.gross + gross)
            visit_total += gross
        paid = [PaidTender(seq, kind, amount, refunded[seq], card) for seq, kind, amount, card in tenders]
        allocation = allocate_refund(visit_total, paid, RefundMethod.ORIGINAL, drawer_cash=Decimal("1e9"), rules=RULES)
        assert allocation.total == visit_total
        for part in allocation.parts:
            assert part.original_seq is not None, "a receipted refund always fits the original tenders"
            refunded[part.original_seq] += part.amount
        refunded_total += visit_total

    for seq, _kind, amount, _card in tenders:
        assert refunded[seq] <= amount, "never more back to a tender than it paid"
    assert refunded_total <= total
    for ln in lines:
        assert returned[ln.id].quantity <= ln.quantity
        assert returned[ln.id].gross <= ln.gross
        assert returned[ln.id].tax <= ln.tax
        if returned[ln.id].quantity == ln.quantity:
            assert returned[ln.id].gross == ln.gross and returned[ln.id].tax == ln.tax
    if all(returned[ln.id].quantity == ln.quantity for ln in lines):
        assert refunded_total == total, "a full return refunds exactly the paid total"


@settings(max_examples=200, deadline=None)
@given(sales(), st.permutations(range(60)))
def test_returning_everything_one_unit_at_a_time_refunds_the_total(sale, order) -> None:  # type: ignore[no-untyped-def]
    lines, inclusive, total, _tenders = sale
    units = [ln.id for ln in lines for _ in range(ln.quantity)]
    units = [units[i] for i in order if i < len(units)] + units[len(order) :]
    by_id = {ln.id: ln for ln in lines}
    returned = {ln.id: Returned() for ln in lines}
    refunded = ZERO
    for line_id in units:
        r = returned[line_id]
        amount, tax, gross = ReturnableLine(by_id[line_id], r, "c").refund_for(1, USD, inclusive)
        returned[line_id] = Returned(r.quantity + 1, r.amount + amount, r.tax + tax, r.gross + gross)
        refunded += gross
    assert refunded == total


# -- proration (issue 13, item 8) ---------------------------------------------------------


def half_up(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def net_of(line: SaleLine) -> Decimal:
    return line.gross - line.tax


def check_refund(amount: Decimal, tax: Decimal, gross: Decimal, inclusive: bool) -> None:
    """One refund is well formed: its net and tax add up to its gross, none below zero."""
    assert 0 <= tax <= gross
    assert amount == (gross if inclusive else gross - tax), "net + tax == gross"
    for part in (amount, tax, gross):
        assert part == half_up(part), "whole cents"


def test_the_issue_13_example_refunds_10_81_twice() -> None:
    """2 × 9.99 less 0.01, tax 8.25 % excluded: net 19.97, tax 1.65, total 21.62. Rounding
    net and tax on their own gave 10.82 then 10.80."""
    (p,) = price_lines(
        [LineInput(Decimal("9.99"), 2, RATES[0], Discount(False, Decimal("0.01")))], USD, prices_include_tax=False
    ).lines
    assert (p.amount, p.tax, p.gross) == (Decimal("19.97"), Decimal("1.65"), Decimal("21.62"))
    line = SaleLine(
        "L1",
        1,
        "I1",
        "S1",
        "Item",
        2,
        Decimal("9.99"),
        Decimal("0.01"),
        ZERO,
        p.amount,
        p.tax,
        p.gross,
        "A",
        RATES[0].rate,
    )
    first = ReturnableLine(line, Returned(), "c").refund_for(1, USD, False)
    assert tuple(first) == (Decimal("9.98"), Decimal("0.83"), Decimal("10.81"))
    done = Returned(1, first.amount, first.tax, first.gross)
    second = ReturnableLine(line, done, "c").refund_for(1, USD, False)
    assert tuple(second) == (Decimal("9.99"), Decimal("0.82"), Decimal("10.81"))


def test_the_same_line_with_prices_including_tax_splits_the_gross_first_too() -> None:
    (p,) = price_lines(
        [LineInput(Decimal("10.83"), 2, RATES[0], Discount(False, Decimal("0.01")))], USD, prices_include_tax=True
    ).lines
    line = SaleLine(
        "L1",
        1,
        "I1",
        "S1",
        "Item",
        2,
        Decimal("10.83"),
        Decimal("0.01"),
        ZERO,
        p.amount,
        p.tax,
        p.gross,
        "A",
        RATES[0].rate,
    )
    assert p.gross == Decimal("21.65")
    first = ReturnableLine(line, Returned(), "c").refund_for(1, USD, True)
    second = ReturnableLine(line, Returned(1, first.amount, first.tax, first.gross), "c").refund_for(1, USD, True)
    assert (first.gross, second.gross) == (Decimal("10.83"), Decimal("10.82"))
    assert first.tax + second.tax == p.tax and first.net + second.net == p.gross - p.tax


@pytest.mark.parametrize("inclusive", [False, True], ids=["tax-excluded", "tax-included"])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_no_visit_refunds_more_than_its_cumulative_share_and_every_line_closes(inclusive: bool, data) -> None:  # type: ignore[no-untyped-def]
    lines, _inclusive, _total, _tenders = data.draw(sales(inclusive))
    by_id = {ln.id: ln for ln in lines}
    returned = {ln.id: Returned() for ln in lines}
    for visit in data.draw(visits(lines)):
        for line_id, k in visit:
            line, r = by_id[line_id], returned[line_id]
            k = min(k, line.quantity - r.quantity)
            if k == 0:
                continue
            amount, tax, gross = ReturnableLine(line, r, "c").refund_for(k, USD, inclusive)
            check_refund(amount, tax, gross, inclusive)
            n = r.quantity + k
            r = returned[line_id] = Returned(n, r.amount + amount, r.tax + tax, r.gross + gross)
            share = half_up(line.gross * n / line.quantity)
            assert r.gross <= share, "never more than the cumulative share of the line"
            assert r.gross == share, "the gross is split first: exactly round(G × n / q) so far"
            # net and tax inside it: each within a cent of its own exact share, never past its total
            for so_far, whole in ((r.tax, line.tax), (r.gross - r.tax, net_of(line))):
                assert 0 <= so_far <= whole
                assert abs(so_far - whole * n / line.quantity) < Decimal("0.01") + Decimal("0.005")
    for ln in lines:  # bring the rest back in one last visit: every line closes to the cent
        r = returned[ln.id]
        if r.quantity < ln.quantity:
            amount, tax, gross = ReturnableLine(ln, r, "c").refund_for(ln.quantity - r.quantity, USD, inclusive)
            check_refund(amount, tax, gross, inclusive)
            r = Returned(ln.quantity, r.amount + amount, r.tax + tax, r.gross + gross)
        assert (r.gross, r.tax, r.gross - r.tax, r.amount) == (ln.gross, ln.tax, net_of(ln), ln.amount)


@st.composite
def steps(draw, lines):  # type: ignore[no-untyped-def]
    """Returns and price adjustments of some units of some lines, in any order. An
    adjustment's new price is a fraction (0 to 1) of what a unit still holds."""
    ids = [ln.id for ln in lines]
    step = st.one_of(
        st.tuples(st.just("return"), st.sampled_from(ids), st.integers(min_value=1, max_value=9)),
        st.tuples(
            st.just("adjust"),
            st.sampled_from(ids),
            st.integers(min_value=1, max_value=9),
            st.integers(min_value=0, max_value=100),
        ),
    )
    return draw(st.lists(step, min_size=1, max_size=12))


@pytest.mark.parametrize("inclusive", [False, True], ids=["tax-excluded", "tax-included"])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_bill_adjustments_between_returns_keep_every_line_whole(inclusive: bool, data) -> None:  # type: ignore[no-untyped-def]
    """The ledger the lane reads is returns + adjustments (``merge_adjustments``, as
    ``SqlReturns.returned_for``); every refund comes from ``refund_for`` and every
    adjustment from ``price_difference``, as the handlers do."""
    lines, _inclusive, _total, _tenders = data.draw(sales(inclusive))
    by_id = {ln.id: ln for ln in lines}
    returns = {ln.id: Returned() for ln in lines}
    adjusted: dict[str, Returned] = {}
    for step in data.draw(steps(lines)):
        line = by_id[step[1]]
        ledger = merge_adjustments(returns, adjusted)[line.id]
        units_left = line.quantity - ledger.quantity
        k = min(step[2], units_left)
        if k == 0:
            continue
        gross_left, tax_left = line.gross - ledger.gross, line.tax - ledger.tax
        if step[0] == "return":
            amount, tax, gross = ReturnableLine(line, ledger, "c").refund_for(k, USD, inclusive)
            check_refund(amount, tax, gross, inclusive)
            if ledger.adjusted_gross:  # an adjustment came first: a share of what is left
                assert gross <= half_up(gross_left * k / units_left), "never more than its share of what is left"
            else:  # the cumulative share of the whole line
                assert ledger.gross + gross <= half_up(line.gross * (ledger.quantity + k) / line.quantity)
            assert tax <= tax_left and gross - tax <= gross_left - tax_left
            r = returns[line.id]
            returns[line.id] = Returned(r.quantity + k, r.amount + amount, r.tax + tax, r.gross + gross)
        else:
            unit_holds = (gross_left if inclusive else gross_left - tax_left) / units_left
            new_price = half_up(unit_holds * step[3] / 100)
            net, tax, gross, _unit = price_difference(line, ledger, k, new_price, USD, inclusive)
            if gross <= 0:
                continue  # the desk refuses: nothing to give back
            assert 0 <= tax <= tax_left and 0 <= net <= gross_left - tax_left and net + tax == gross
            a = adjusted.get(line.id, Returned())
            adjusted[line.id] = Returned(0, a.amount + net, a.tax + tax, a.gross + gross, a.adjusted_gross + gross)
        after = merge_adjustments(returns, adjusted)[line.id]
        assert 0 <= after.tax <= line.tax and 0 <= after.gross - after.tax <= net_of(line), "the ledger stays whole"
    for ln in lines:  # the rest comes back: returns and adjustments together are what was paid
        ledger = merge_adjustments(returns, adjusted)[ln.id]
        if ledger.quantity < ln.quantity:
            amount, tax, gross = ReturnableLine(ln, ledger, "c").refund_for(
                ln.quantity - ledger.quantity, USD, inclusive
            )
            check_refund(amount, tax, gross, inclusive)
            r = returns[ln.id]
            returns[ln.id] = Returned(ln.quantity, r.amount + amount, r.tax + tax, r.gross + gross)
        ledger = merge_adjustments(returns, adjusted)[ln.id]
        assert (ledger.gross, ledger.tax, ledger.gross - ledger.tax) == (ln.gross, ln.tax, net_of(ln))


def test_an_adjustment_never_gives_back_more_tax_than_the_line_carries() -> None:
    """Three lines of 0.10 at 8.25 % (tax excluded): the rate's 0.02 of tax goes to two of
    them, the third carries none. Adjusting it to 0 gives back 0.10 and no tax (not the
    0.01 that 8.25 % of 0.10 rounds to), and returning it afterwards refunds nothing, never
    a negative amount."""
    pricing = price_lines([LineInput(Decimal("0.10"), 1, RATES[0])] * 3, USD, prices_include_tax=False)
    p = pricing.lines[2]
    assert p.tax == ZERO
    line = SaleLine(
        "L3", 3, "I3", "S3", "Item", 1, Decimal("0.10"), ZERO, ZERO, p.amount, p.tax, p.gross, "A", RATES[0].rate
    )
    net, tax, gross, _unit = price_difference(line, Returned(), 1, ZERO, USD, False)
    assert (net, tax, gross) == (Decimal("0.10"), ZERO, Decimal("0.10"))
    ledger = merge_adjustments({}, {"L3": Returned(0, net, tax, gross, gross)})["L3"]
    assert tuple(ReturnableLine(line, ledger, "c").refund_for(1, USD, False)) == (ZERO, ZERO, ZERO)


@pytest.mark.parametrize("inclusive", [False, True], ids=["tax-excluded", "tax-included"])
@settings(max_examples=500, deadline=None)
@given(
    gross_minor=st.integers(min_value=0, max_value=10**8),
    tax_permille=st.integers(min_value=0, max_value=1000),
    units=st.integers(min_value=1, max_value=40),
    data=st.data(),
)
def test_prorate_line_alone(inclusive: bool, gross_minor: int, tax_permille: int, units: int, data) -> None:  # type: ignore[no-untyped-def]
    """The function itself over any line (any share of tax in it), any chunks of units."""
    gross = USD.from_minor(gross_minor)
    tax = half_up(gross * tax_permille / 1000)
    done_units, done_gross, done_tax = 0, ZERO, ZERO
    while done_units < units:
        k = data.draw(st.integers(min_value=1, max_value=units - done_units))
        share = prorate_line(
            gross=gross,
            tax=tax,
            units=units,
            done_gross=done_gross,
            done_tax=done_tax,
            done_units=done_units,
            k=k,
            currency=USD,
            prices_include_tax=inclusive,
        )
        check_refund(share.amount, share.tax, share.gross, inclusive)
        done_units, done_gross, done_tax = done_units + k, done_gross + share.gross, done_tax + share.tax
        assert done_gross == half_up(gross * done_units / units)
        assert done_tax <= tax and done_gross - done_tax <= gross - tax
    assert (done_gross, done_tax) == (gross, tax)
