"""Property tests of the returns ledger and refunds over random sales (issue 4, 'Show').

Random sales (several tax rates, line and order discounts, split tenders) and random
sequences of partial returns, replayed through the same functions the handler uses:
never more returned than sold; never more refunded than paid, per tender and in total;
a full return, in any number of visits, refunds exactly the paid total.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from counter.catalog import TaxClass
from counter.money import ZERO, Currency
from counter.policy import ReturnRules
from counter.pricing import Discount, LineInput, price_lines
from counter.refunds import PaidTender, RefundMethod, allocate_refund
from counter.returns import ReturnableLine, Returned, ReturnError
from counter.sales import SaleLine
from counter.tenders import CardDetails, TenderKind

USD = Currency.of("USD")
RATES = [TaxClass("A", "A", Decimal("0.0825")), TaxClass("B", "B", Decimal("0.0225")), TaxClass("N", "N", Decimal(0))]
RULES = ReturnRules(cash_refund_approval_over=Decimal("1e9"))
NOW = datetime(2026, 11, 25, tzinfo=UTC)

line_inputs = st.lists(
    st.builds(
        LineInput,
        st.integers(min_value=1, max_value=50_000).map(USD.from_minor),
        st.integers(min_value=1, max_value=9),
        st.sampled_from(RATES),
        st.one_of(st.none(), st.integers(min_value=1, max_value=50).map(lambda p: Discount(True, Decimal(p)))),
    ),
    min_size=1,
    max_size=6,
)


@st.composite
def sales(draw):  # type: ignore[no-untyped-def]
    inputs = draw(line_inputs)
    inclusive = draw(st.booleans())
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
