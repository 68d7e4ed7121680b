"""The return draft owns its stepping, its reasons and conditions, and which lines still
need a reason (issue #15: the return screen used to do this itself)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from counter.returns.draft import DraftError, ReturnDraft
from counter.returns.policy import Condition, Disposition, Reason
from tests.unit.test_return_draft_rules import CASHIER, item, receipted

D = Decimal


def no_receipt_draft() -> ReturnDraft:
    d = ReturnDraft(CASHIER)
    d.add_no_receipt(item(1, "Mug"), D("4.00"))
    d.add_no_receipt(item(2, "Bowl"), D("6.00"))
    return d


def test_stepping_a_receipt_line_stays_within_what_can_still_come_back() -> None:
    d = receipted()  # Kettle: 3 sold, 1 already returned
    d.step("L1", +1)
    d.step("L1", +1)
    with pytest.raises(DraftError, match="Only 2 of Kettle"):
        d.step("L1", +1)
    d.step("L1", -1)
    assert d.picks["L1"].quantity == 1
    d.step("L1", -1)
    d.step("L1", -1)  # never below none
    assert d.picks["L1"].quantity == 0


def test_stepping_a_no_receipt_item_down_from_two_keeps_one_and_from_one_removes_it() -> None:
    d = no_receipt_draft()
    mug = d.no_receipt[0]
    d.step(mug.id, +1)
    d.step(mug.id, +1)
    assert mug.quantity == 3
    d.step(mug.id, -1)
    d.step(mug.id, -1)
    assert mug.quantity == 1 and mug in d.no_receipt  # 2 -> 1 keeps the line
    d.step(mug.id, -1)
    assert [ln.item.name for ln in d.no_receipt] == ["Bowl"]
    with pytest.raises(DraftError, match="Pick a line"):
        d.step(mug.id, +1)


def test_a_reason_on_a_receipt_line_not_yet_picked_picks_one() -> None:
    d = receipted()
    d.set_reason("L2", Reason.DEFECTIVE)
    assert (d.picks["L2"].quantity, d.picks["L2"].reason) == (1, Reason.DEFECTIVE)
    d.step("L1", +1)
    d.set_reason("L1", Reason.WRONG_SIZE)
    assert (d.picks["L1"].quantity, d.picks["L1"].reason) == (1, Reason.WRONG_SIZE)  # not one more


def test_reasons_and_conditions_of_no_receipt_items() -> None:
    d = no_receipt_draft()
    bowl = d.no_receipt[1]
    d.set_reason(bowl.id, Reason.CHANGED_MIND)
    assert bowl.reason is Reason.CHANGED_MIND and d.no_receipt[0].reason is None
    seen = [d.next_condition(bowl.id) for _ in range(len(Condition))]
    assert seen == [Condition.OPENED, Condition.DAMAGED, Condition.DEFECTIVE, Condition.NEW]
    assert d.no_receipt[0].condition is Condition.NEW


def test_the_condition_of_a_receipt_line_cycles_through_every_condition() -> None:
    d = receipted()
    assert d.next_condition("L1") is Condition.OPENED
    assert d.next_condition("L1") is Condition.DAMAGED
    assert d.picks["L1"].condition is Condition.DAMAGED and d.picks["L1"].quantity == 0


def test_the_lines_missing_a_reason_come_with_their_ids_in_the_order_they_are_asked() -> None:
    d = receipted()
    d.step("L2", +1)
    d.step("L1", +1)
    d.add_no_receipt(item(1, "Mug"), D("4.00"))
    mug = d.no_receipt[0]
    assert d.lines_missing_a_reason() == [("L2", "Toaster"), ("L1", "Kettle"), (mug.id, "Mug")]
    d.set_reason("L2", Reason.DEFECTIVE)
    assert [name for _, name in d.lines_missing_a_reason()] == ["Kettle", "Mug"]
    assert d.line_name("L1") == "Kettle" and d.line_name(mug.id) == "Mug"
    with pytest.raises(DraftError):
        d.line_name("nope")


def test_a_scanned_item_returns_one_of_its_line_until_none_is_left() -> None:
    from counter.catalog import CategoryId, Item, ItemId
    from tests.unit.test_return_draft_rules import TAX

    kettle = Item(ItemId("IL1"), "SL1", "Kettle", D("10"), TAX, CategoryId("kitchen"))  # line L1's item
    d = receipted()  # Kettle: 3 sold, 1 already returned
    assert d.return_one_of(kettle) == 0
    assert d.return_one_of(kettle) == 0
    assert d.picks["L1"].quantity == 2
    with pytest.raises(DraftError, match="Only 2 of Kettle"):
        d.return_one_of(kettle)
    lamp = Item(ItemId("I-other"), "S9", "Lamp", D("5"), TAX, CategoryId("lighting"))
    with pytest.raises(DraftError, match="Lamp is not on this receipt"):
        d.return_one_of(lamp)
    with pytest.raises(DraftError, match="Scan the receipt first"):
        ReturnDraft(CASHIER).return_one_of(kettle)


# ----------------------------------------------------------------- condition and disposition


def test_the_three_key_return_of_a_defective_item_never_goes_back_on_the_shelf() -> None:
    """Space, 2 (Defective), F10: the reason sets the condition, the condition where it goes
    (issue #16: it stayed "new, unopened" and was recorded as restock)."""
    d = receipted()
    d.step("L1", +1)
    d.set_reason("L1", Reason.DEFECTIVE)
    assert d.picks["L1"].condition is Condition.DEFECTIVE
    assert d.disposition("L1") is Disposition.RETURN_TO_VENDOR
    (line,) = d.command().lines
    assert (line.condition, line.goes_to) == (Condition.DEFECTIVE, Disposition.RETURN_TO_VENDOR)


def test_arrived_damaged_sets_damaged_and_other_reasons_keep_the_condition() -> None:
    d = receipted()
    d.set_reason("L1", Reason.DAMAGED_IN_TRANSIT)
    assert (d.picks["L1"].condition, d.disposition("L1")) == (Condition.DAMAGED, Disposition.SCRAP)
    d.set_reason("L2", Reason.WRONG_SIZE)
    assert (d.picks["L2"].condition, d.disposition("L2")) == (Condition.NEW, Disposition.RESTOCK)


def test_a_condition_the_cashier_chose_is_not_changed_by_a_reason() -> None:
    d = receipted()
    d.step("L1", +1)
    assert d.next_condition("L1") is Condition.OPENED
    d.set_reason("L1", Reason.DEFECTIVE)  # the customer says so; the cashier saw it opened
    assert d.picks["L1"].condition is Condition.OPENED
    d.next_condition("L1")
    d.next_condition("L1")
    assert d.next_condition("L1") is Condition.NEW  # round again


def test_the_disposition_steps_through_what_the_condition_allows() -> None:
    d = receipted()
    d.set_reason("L1", Reason.DEFECTIVE)
    assert [d.next_disposition("L1") for _ in range(3)] == [
        Disposition.SCRAP,
        Disposition.RETURN_TO_VENDOR,
        Disposition.SCRAP,
    ]
    (line,) = d.command().lines
    assert line.disposition is Disposition.SCRAP and line.goes_to is Disposition.SCRAP


def test_a_chosen_disposition_the_new_condition_does_not_allow_gives_way() -> None:
    d = receipted()
    d.step("L1", +1)
    assert d.next_disposition("L1") is Disposition.OPEN_BOX  # new: restock, open box, ...
    d.set_reason("L1", Reason.DEFECTIVE)  # defective: open box is not allowed
    assert d.picks["L1"].disposition is None and d.disposition("L1") is Disposition.RETURN_TO_VENDOR
    d.next_disposition("L1")
    assert d.disposition("L1") is Disposition.SCRAP
    d.set_reason("L1", Reason.DEFECTIVE)  # scrap stays: a defective unit may be scrapped
    assert d.disposition("L1") is Disposition.SCRAP


def test_a_no_receipt_line_takes_its_condition_and_disposition_the_same_way() -> None:
    d = no_receipt_draft()
    mug = d.no_receipt[0]
    d.set_reason(mug.id, Reason.DEFECTIVE)
    assert (mug.condition, d.disposition(mug.id)) == (Condition.DEFECTIVE, Disposition.RETURN_TO_VENDOR)
    d.next_disposition(mug.id)
    lines = {ln.item.name if ln.item else "": ln for ln in d.command().lines}
    assert lines["Mug"].goes_to is Disposition.SCRAP
    assert lines["Bowl"].goes_to is Disposition.RESTOCK and lines["Bowl"].disposition is None
