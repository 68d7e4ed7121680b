"""counter.returns.refunds' rules at their edges: a refund "to the original payment" goes to cards
first, then store credit, then cash, each capped at what it paid less what it already got
back; what is left becomes store credit; a cash refund needs the cash in the drawer (and
says so in words) and a supervisor above the limit or when the sale was not paid in cash."""

from __future__ import annotations

from decimal import Decimal

import pytest

from counter.returns.policy import ApprovalKind, ReturnRules
from counter.returns.refunds import Allocation, PaidTender, RefundError, RefundMethod, RefundPart, allocate_refund
from counter.sales.tenders import CardDetails, TenderKind

D = Decimal
RULES = ReturnRules(cash_refund_approval_over=D("100.00"))
VISA = CardDetails("Visa", "4242", "APP111")
AMEX = CardDetails("American Express", "1005", "APP222")
PLENTY = D("10000.00")


def money(amount: Decimal) -> str:
    return f"${amount:.2f}"


def refund(
    total: str, paid: list[PaidTender], method: RefundMethod = RefundMethod.ORIGINAL, drawer: Decimal = PLENTY
) -> Allocation:
    return allocate_refund(D(total), paid, method, drawer_cash=drawer, rules=RULES, format_money=money)


def card(seq: int, amount: str, refunded: str = "0", details: CardDetails = VISA) -> PaidTender:
    return PaidTender(seq, TenderKind.CARD, D(amount), D(refunded), card=details)


def cash(seq: int, amount: str, refunded: str = "0") -> PaidTender:
    return PaidTender(seq, TenderKind.CASH, D(amount), D(refunded))


def credit(seq: int, amount: str, voucher: str, refunded: str = "0") -> PaidTender:
    return PaidTender(seq, TenderKind.STORE_CREDIT, D(amount), D(refunded), voucher=voucher)


def test_method_labels() -> None:
    assert [m.label for m in RefundMethod] == ["To the original payment", "Store credit", "Cash"]


def test_a_paid_tender_can_take_back_what_it_paid_less_what_it_got_back() -> None:
    assert card(1, "50.00", "20.00").refundable == D("30.00")
    assert cash(1, "5.00").refundable == D("5.00")


def test_the_original_payment_is_cards_then_store_credit_then_cash_each_capped() -> None:
    paid = [
        cash(1, "20.00"),
        credit(2, "15.00", "SCVOUCHER1"),
        card(3, "30.00", "10.00"),
        card(4, "5.00", details=AMEX),
    ]
    a = refund("60.00", paid)
    assert a.parts == (
        RefundPart(TenderKind.CARD, D("20.00"), 3, VISA, "APP111"),
        RefundPart(TenderKind.CARD, D("5.00"), 4, AMEX, "APP222"),
        RefundPart(TenderKind.STORE_CREDIT, D("15.00"), 2, None, "SCVOUCHER1"),
        RefundPart(TenderKind.CASH, D("20.00"), 1, None, ""),
    )
    assert (a.total, a.cash, a.approvals) == (D("60.00"), D("20.00"), frozenset())
    assert [p.label for p in a.parts] == [
        "Back to Visa •••• 4242",
        "Back to American Express •••• 1005",
        "Store credit voucher",
        "Cash",
    ]


def test_a_refund_stops_at_its_amount_and_skips_what_is_spent() -> None:
    paid = [card(1, "30.00", "30.00"), card(2, "30.00", "5.00", AMEX), cash(3, "40.00")]
    a = refund("25.00", paid)
    assert a.parts == (RefundPart(TenderKind.CARD, D("25.00"), 2, AMEX, "APP222"),)
    assert a.cash == 0
    b = refund("26.00", paid)
    assert [(p.kind, p.amount, p.original_seq) for p in b.parts] == [
        (TenderKind.CARD, D("25.00"), 2),
        (TenderKind.CASH, D("1.00"), 3),
    ]


def test_what_no_tender_can_take_back_becomes_store_credit() -> None:
    a = refund("12.00", [card(1, "10.00", "3.00")])
    assert a.parts == (
        RefundPart(TenderKind.CARD, D("7.00"), 1, VISA, "APP111"),
        RefundPart(TenderKind.STORE_CREDIT, D("5.00")),
    )
    assert refund("9.99", []).parts == (RefundPart(TenderKind.STORE_CREDIT, D("9.99")),)
    # a few cents left over still go to store credit
    small = refund("10.40", [cash(1, "10.00")])
    assert [(p.kind, p.amount) for p in small.parts] == [
        (TenderKind.CASH, D("10.00")),
        (TenderKind.STORE_CREDIT, D("0.40")),
    ]


def test_other_tenders_are_not_refunded_to() -> None:
    paid = [PaidTender(1, TenderKind.EXCHANGE_CREDIT, D("10.00")), PaidTender(2, TenderKind.HOUSE_ACCOUNT, D("10.00"))]
    assert refund("4.00", paid).parts == (RefundPart(TenderKind.STORE_CREDIT, D("4.00")),)


def test_nothing_to_refund_is_no_parts_and_no_approvals() -> None:
    a = refund("0.00", [card(1, "10.00")], RefundMethod.CASH, drawer=D(0))
    assert (a.parts, a.approvals, a.total, a.cash) == ((), frozenset(), 0, 0)


def test_a_negative_refund_is_refused() -> None:
    with pytest.raises(RefundError) as err:
        refund("-0.01", [cash(1, "10.00")])
    assert (err.value.message, err.value.hint) == ("A refund cannot be negative.", "Check the returned lines.")


def test_store_credit_is_always_the_whole_amount_on_a_new_voucher() -> None:
    a = refund("500.00", [cash(1, "500.00")], RefundMethod.STORE_CREDIT, drawer=D(0))
    assert a.parts == (RefundPart(TenderKind.STORE_CREDIT, D("500.00")),)
    assert (a.cash, a.approvals) == (0, frozenset())


def test_cash_for_a_cash_sale_needs_no_approval_up_to_the_limit() -> None:
    a = refund("100.00", [cash(1, "120.00")], RefundMethod.CASH)
    assert a.parts == (RefundPart(TenderKind.CASH, D("100.00")),)
    assert a.approvals == frozenset()
    b = refund("100.01", [cash(1, "120.00")], RefundMethod.CASH)
    assert b.approvals == frozenset({ApprovalKind.CASH_REFUND_OVER_LIMIT})


def test_cash_for_a_sale_paid_otherwise_or_unknown_needs_approval() -> None:
    assert refund("10.00", [card(1, "10.00")], RefundMethod.CASH).approvals == {ApprovalKind.DIFFERENT_TENDER}
    assert refund("10.00", [], RefundMethod.CASH).approvals == {ApprovalKind.DIFFERENT_TENDER}
    mixed = [cash(1, "5.00"), card(2, "5.00")]
    assert refund("5.00", mixed, RefundMethod.CASH).approvals == {ApprovalKind.DIFFERENT_TENDER}
    # a card with only cents left to take back is still a card
    cents_left = [cash(1, "5.00"), card(2, "10.00", "9.50")]
    assert refund("5.00", cents_left, RefundMethod.CASH).approvals == {ApprovalKind.DIFFERENT_TENDER}
    # a card already refunded in full leaves only cash to give back: no approval
    spent = [cash(1, "5.00"), card(2, "5.00", "5.00")]
    assert refund("5.00", spent, RefundMethod.CASH).approvals == frozenset()


def test_both_approvals_at_once() -> None:
    a = refund("150.00", [card(1, "150.00")], RefundMethod.CASH)
    assert a.approvals == {ApprovalKind.DIFFERENT_TENDER, ApprovalKind.CASH_REFUND_OVER_LIMIT}


def test_the_original_cash_above_the_limit_needs_approval() -> None:
    a = refund("100.01", [cash(1, "200.00")])
    assert a.approvals == {ApprovalKind.CASH_REFUND_OVER_LIMIT}
    assert refund("100.00", [cash(1, "200.00")]).approvals == frozenset()
    # the limit counts cash only, not what goes back to the card
    assert refund("150.00", [card(1, "100.00"), cash(2, "50.00")]).approvals == frozenset()


def test_cash_the_drawer_does_not_hold_is_refused_with_both_amounts() -> None:
    assert refund("30.00", [cash(1, "30.00")], drawer=D("30.00")).cash == D("30.00")  # all of it is fine
    with pytest.raises(RefundError) as err:
        refund("30.00", [cash(1, "30.00")], drawer=D("29.99"))
    assert err.value.message == "The refund needs $30.00 in cash, but the drawer should hold only $29.99."
    assert err.value.hint == "Refund as store credit (F8), or ask a manager to bring cash to the drawer."
    with pytest.raises(RefundError):
        refund("30.00", [card(1, "30.00")], RefundMethod.CASH, drawer=D("10.00"))
    # no cash in the refund: an empty drawer does not matter
    assert refund("30.00", [card(1, "30.00")], drawer=D(0)).cash == 0


def test_the_drawer_message_uses_plain_numbers_without_a_formatter() -> None:
    with pytest.raises(RefundError) as err:
        allocate_refund(D("3.00"), [cash(1, "3.00")], RefundMethod.ORIGINAL, drawer_cash=D("1.00"), rules=RULES)
    assert err.value.message == "The refund needs 3.00 in cash, but the drawer should hold only 1.00."


def test_allocation_sums() -> None:
    a = Allocation(
        (
            RefundPart(TenderKind.CASH, D("1.50")),
            RefundPart(TenderKind.CARD, D("2.00")),
            RefundPart(TenderKind.CASH, D("0.25")),
        ),
        frozenset(),
    )
    assert (a.cash, a.total) == (D("1.75"), D("3.75"))
