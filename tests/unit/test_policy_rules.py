"""counter.returns.policy's rules at their edges: the return window ends at its last moment, no
receipt means store credit only (or a refusal no one may override when the category wants
its receipt), final sale and out-of-window refusals a supervisor may override, damage by the
customer needs approval, an opened item carries its restocking fee; the words the cashier
reads out, and the worst line deciding the return."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from counter.returns.policy import (
    ApprovalKind,
    Condition,
    Disposition,
    LineDecision,
    LineFacts,
    Reason,
    ReturnPolicy,
    ReturnRules,
    Status,
    allowed_dispositions,
    condition_for,
    decide_line,
    disposition_for,
)

NOW = datetime(2026, 6, 30, 15, 0)
POLICY = ReturnPolicy("c1", return_days=30)
NO_RECEIPT_TEXT = "no receipt: store credit only, at the lowest recent price"


def facts(
    *,
    sold_at: datetime | None = NOW - timedelta(days=3),
    policy: ReturnPolicy = POLICY,
    condition: Condition = Condition.NEW,
    reason: Reason = Reason.WRONG_SIZE,
    has_receipt: bool = True,
) -> LineFacts:
    return LineFacts(sold_at, policy, condition, reason, has_receipt)


def test_a_new_item_with_its_receipt_inside_the_window_is_allowed() -> None:
    d = decide_line(facts(), NOW)
    assert d == LineDecision(Status.ALLOWED)
    assert (d.reasons, d.approvals, d.restocking_fee_percent, d.store_credit_only, d.overridable) == (
        (),
        frozenset(),
        Decimal(0),
        False,
        True,
    )
    assert d.summary == "Allowed"


def test_the_window_includes_its_last_moment() -> None:
    sold = NOW - timedelta(days=30)
    assert decide_line(facts(sold_at=sold), NOW).status is Status.ALLOWED
    late = decide_line(facts(sold_at=sold - timedelta(seconds=1)), NOW)
    assert late.status is Status.REFUSED
    assert late.reasons == ("bought 30 days ago; the return window is 30 days",)
    assert late.approvals == {ApprovalKind.OUT_OF_WINDOW}
    assert late.overridable is True
    assert late.summary == "Refused: bought 30 days ago; the return window is 30 days"


def test_the_window_is_the_categorys() -> None:
    policy = ReturnPolicy("c2", return_days=14)
    d = decide_line(facts(sold_at=NOW - timedelta(days=45, hours=2), policy=policy), NOW)
    assert d.reasons == ("bought 45 days ago; the return window is 14 days",)
    assert decide_line(facts(sold_at=NOW - timedelta(days=14), policy=policy), NOW).status is Status.ALLOWED


def test_a_receipt_without_a_sale_time_has_no_window_to_check() -> None:
    assert decide_line(facts(sold_at=None), NOW).status is Status.ALLOWED


def test_no_receipt_means_store_credit_only_at_the_lowest_recent_price() -> None:
    d = decide_line(facts(sold_at=None, has_receipt=False), NOW)
    assert d == LineDecision(Status.CONDITIONS, (NO_RECEIPT_TEXT,), frozenset(), Decimal(0), True, True)
    assert d.summary == "Allowed with conditions: " + NO_RECEIPT_TEXT


def test_no_receipt_ignores_the_window() -> None:
    d = decide_line(facts(sold_at=NOW - timedelta(days=400), has_receipt=False), NOW)
    assert (d.status, d.reasons) == (Status.CONDITIONS, (NO_RECEIPT_TEXT,))


def test_a_category_that_wants_its_receipt_refuses_for_good_without_it() -> None:
    policy = ReturnPolicy("c3", receipt_required=True)
    d = decide_line(facts(sold_at=None, has_receipt=False, policy=policy), NOW)
    assert d.status is Status.REFUSED
    assert d.reasons == ("this item is returned only with its receipt", NO_RECEIPT_TEXT)
    assert (d.overridable, d.approvals, d.store_credit_only) == (False, frozenset(), True)


def test_final_sale_is_refused_unless_a_supervisor_takes_it_back() -> None:
    d = decide_line(facts(policy=ReturnPolicy("c4", final_sale=True)), NOW)
    assert (d.status, d.reasons, d.approvals, d.overridable) == (
        Status.REFUSED,
        ("final-sale item: not returnable",),
        {ApprovalKind.FINAL_SALE},
        True,
    )


def test_final_sale_without_receipt_stays_refused_and_says_both() -> None:
    d = decide_line(facts(policy=ReturnPolicy("c4", final_sale=True), has_receipt=False, sold_at=None), NOW)
    assert d.status is Status.REFUSED
    assert d.reasons == ("final-sale item: not returnable", NO_RECEIPT_TEXT)
    assert d.store_credit_only is True


@pytest.mark.parametrize("reason", [r for r in Reason if r is not Reason.DAMAGED_IN_TRANSIT])
def test_an_item_the_customer_damaged_needs_approval(reason: Reason) -> None:
    d = decide_line(facts(condition=Condition.DAMAGED, reason=reason), NOW)
    assert (d.status, d.reasons, d.approvals) == (
        Status.NEEDS_APPROVAL,
        ("damaged by the customer",),
        {ApprovalKind.DAMAGED_ITEM},
    )


def test_an_item_that_arrived_damaged_needs_no_approval() -> None:
    d = decide_line(facts(condition=Condition.DAMAGED, reason=Reason.DAMAGED_IN_TRANSIT), NOW)
    assert d == LineDecision(Status.ALLOWED)


def test_damage_does_not_lift_a_refusal() -> None:
    d = decide_line(facts(condition=Condition.DAMAGED, policy=ReturnPolicy("c4", final_sale=True)), NOW)
    assert d.status is Status.REFUSED
    assert d.approvals == {ApprovalKind.FINAL_SALE, ApprovalKind.DAMAGED_ITEM}


def test_an_opened_item_carries_the_categorys_restocking_fee() -> None:
    policy = ReturnPolicy("c5", restocking_fee_percent=Decimal("15.00"))
    d = decide_line(facts(condition=Condition.OPENED, policy=policy), NOW)
    assert d == LineDecision(Status.CONDITIONS, ("opened: 15 % restocking fee",), frozenset(), Decimal("15.00"))
    assert d.summary == "Allowed with conditions: opened: 15 % restocking fee"
    half = decide_line(
        facts(condition=Condition.OPENED, policy=ReturnPolicy("c6", restocking_fee_percent=Decimal("7.5"))), NOW
    )
    assert half.reasons == ("opened: 7.5 % restocking fee",)


def test_a_fee_below_one_percent_is_still_a_fee() -> None:
    policy = ReturnPolicy("c7", restocking_fee_percent=Decimal("0.5"))
    d = decide_line(facts(condition=Condition.OPENED, policy=policy), NOW)
    assert (d.status, d.reasons, d.restocking_fee_percent) == (
        Status.CONDITIONS,
        ("opened: 0.5 % restocking fee",),
        Decimal("0.5"),
    )


def test_no_fee_no_condition_and_only_opened_items_pay_it() -> None:
    assert decide_line(facts(condition=Condition.OPENED), NOW) == LineDecision(Status.ALLOWED)
    policy = ReturnPolicy("c5", restocking_fee_percent=Decimal("15"))
    for condition in (Condition.NEW, Condition.DEFECTIVE):
        assert decide_line(facts(condition=condition, policy=policy), NOW) == LineDecision(Status.ALLOWED)


def test_a_fee_does_not_soften_a_worse_status() -> None:
    policy = ReturnPolicy("c5", return_days=10, restocking_fee_percent=Decimal("10"))
    d = decide_line(facts(condition=Condition.OPENED, policy=policy, sold_at=NOW - timedelta(days=11)), NOW)
    assert d.status is Status.REFUSED
    assert d.restocking_fee_percent == Decimal("10")
    assert d.reasons == ("bought 11 days ago; the return window is 10 days", "opened: 10 % restocking fee")


def test_the_fee_adds_to_a_no_receipt_return() -> None:
    policy = ReturnPolicy("c5", restocking_fee_percent=Decimal("20"))
    d = decide_line(facts(condition=Condition.OPENED, policy=policy, has_receipt=False, sold_at=None), NOW)
    assert d == LineDecision(
        Status.CONDITIONS, (NO_RECEIPT_TEXT, "opened: 20 % restocking fee"), frozenset(), Decimal("20"), True
    )


def test_a_summary_joins_the_reasons() -> None:
    d = LineDecision(Status.NEEDS_APPROVAL, ("one", "two"))
    assert d.summary == "Needs approval: one; two"


def test_where_a_returned_item_goes() -> None:
    assert {c: disposition_for(c) for c in Condition} == {
        Condition.NEW: Disposition.RESTOCK,
        Condition.OPENED: Disposition.OPEN_BOX,
        Condition.DAMAGED: Disposition.SCRAP,
        Condition.DEFECTIVE: Disposition.RETURN_TO_VENDOR,
    }
    assert {c: allowed_dispositions(c) for c in Condition} == {
        Condition.NEW: (Disposition.RESTOCK, Disposition.OPEN_BOX, Disposition.RETURN_TO_VENDOR, Disposition.SCRAP),
        Condition.OPENED: (Disposition.OPEN_BOX, Disposition.RETURN_TO_VENDOR, Disposition.SCRAP),
        Condition.DAMAGED: (Disposition.SCRAP, Disposition.RETURN_TO_VENDOR, Disposition.OPEN_BOX),
        Condition.DEFECTIVE: (Disposition.RETURN_TO_VENDOR, Disposition.SCRAP),
    }
    # nothing but a new, unopened unit goes back on the shelf as new
    assert [c for c in Condition if Disposition.RESTOCK in allowed_dispositions(c)] == [Condition.NEW]
    assert [d.label for d in Disposition] == [
        "Back to stock",
        "Open box",
        "Return to vendor",
        "Scrap",
        "Written off (damaged)",
    ]


@pytest.mark.parametrize(
    ("reason", "before", "after"),
    [
        (Reason.DEFECTIVE, Condition.NEW, Condition.DEFECTIVE),
        (Reason.DAMAGED_IN_TRANSIT, Condition.NEW, Condition.DAMAGED),
        (Reason.DEFECTIVE, Condition.OPENED, Condition.DEFECTIVE),
        (Reason.WRONG_SIZE, Condition.OPENED, Condition.OPENED),
        (Reason.CHANGED_MIND, Condition.NEW, Condition.NEW),
        (Reason.OTHER, Condition.DAMAGED, Condition.DAMAGED),
    ],
)
def test_a_reason_proposes_a_condition(reason: Reason, before: Condition, after: Condition) -> None:
    assert condition_for(reason, before) is after


def test_the_words_on_the_screen() -> None:
    assert [s.label for s in Status] == ["Allowed", "Allowed with conditions", "Needs approval", "Refused"]
    assert [c.label for c in Condition] == ["New, unopened", "Opened", "Damaged", "Defective"]
    assert Reason.DAMAGED_IN_TRANSIT.label == "Arrived damaged"
    assert ApprovalKind.CUSTOMER_LIMIT.label == "no-receipt returns above the customer's limit"


def test_a_new_stores_rules_and_a_new_categorys_policy() -> None:
    rules = ReturnRules()
    assert (
        rules.cash_refund_approval_over,
        rules.no_receipt_lowest_price_days,
        rules.no_receipt_approval_over,
        rules.no_receipt_customer_limit,
        rules.no_receipt_window_days,
    ) == (Decimal("100.00"), 90, Decimal("0.00"), Decimal("150.00"), 30)
    policy = ReturnPolicy("c")
    assert (policy.return_days, policy.final_sale, policy.receipt_required, policy.restocking_fee_percent) == (
        30,
        False,
        False,
        Decimal(0),
    )
