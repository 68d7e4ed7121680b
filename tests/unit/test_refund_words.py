"""What the person at the counter is told to do with a refund (counter.returns.refunds.
describe_allocation), one clause per part, for returns and the desk's adjustments."""

from __future__ import annotations

from decimal import Decimal

from counter.returns.refunds import Allocation, RefundPart, describe_allocation
from counter.sales.tenders import CardDetails, TenderKind

D = Decimal


def money(amount: Decimal) -> str:
    return f"${amount:.2f}"


def test_each_part_says_what_to_do_with_its_amount() -> None:
    card = CardDetails("Visa", "4242", "A1B2")
    allocation = Allocation(
        (
            RefundPart(TenderKind.CARD, D("5.00"), 1, card, "A1B2"),
            RefundPart(TenderKind.CASH, D("3.10")),
            RefundPart(TenderKind.STORE_CREDIT, D("2.00")),
        ),
        frozenset(),
    )
    assert describe_allocation(allocation, money, "SC-7Q2M") == (
        f"refund $5.00 on the card terminal to {card.label} (original approval A1B2); "
        "give $3.10 cash; store credit $2.00 on voucher SC-7Q2M"
    )


def test_a_card_part_without_its_approval_and_a_voucher_not_yet_known() -> None:
    card = CardDetails("Mastercard", "4444", "")
    allocation = Allocation(
        (RefundPart(TenderKind.CARD, D("1.00"), 1, card), RefundPart(TenderKind.STORE_CREDIT, D("0.50"))), frozenset()
    )
    said = describe_allocation(allocation, money, None)
    assert said == f"refund $1.00 on the card terminal to {card.label}; store credit $0.50 on voucher (none)"


def test_nothing_to_refund_says_nothing() -> None:
    assert describe_allocation(Allocation((), frozenset()), money, None) == ""


def test_a_card_part_refunded_through_the_integrated_terminal_is_said_as_done_there() -> None:
    visa = CardDetails("Visa", "4242", "A1B2")
    allocation = Allocation((RefundPart(TenderKind.CARD, D("5.00"), 1, visa, "0001/000001"),), frozenset())
    said = describe_allocation(allocation, money, None, frozenset({1}))
    assert said == "$5.00 goes back to Visa •••• 4242 through the card terminal"
    assert "on the card terminal to" in describe_allocation(allocation, money, None, frozenset({2}))
