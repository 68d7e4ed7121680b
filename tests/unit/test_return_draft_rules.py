"""The rules of a return being prepared (counter.returns.draft), each asserted by what the
cashier sees or what the command carries (issue 14): never more picked than is still out
of a line, the refusals' words, a no-receipt item scanned twice is one line of two, the
lines still missing a reason, and the ProcessReturn built from the draft (store credit
only without a receipt, the receipt number, the exchange's payment)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from counter.catalog import CategoryId, Item, ItemId, TaxClass
from counter.money import Currency
from counter.people.users import Role, User, UserId
from counter.returns.draft import DraftError, DraftLine, ReturnDraft
from counter.returns.model import CustomerId, ReturnableLine, Returned
from counter.returns.policy import Condition, Reason
from counter.returns.refunds import RefundMethod
from counter.sales.cart import Cart
from counter.sales.pricing import Discount
from counter.sales.sale import Sale, SaleLine
from counter.sales.tenders import Tender, TenderKind

USD = Currency.of("USD")
D = Decimal
TAX = TaxClass("A", "A", D("0.0825"))
CASHIER = User(UserId("u1"), "Maria Lopez", Role.CASHIER, "x")


def line(line_id: str, name: str, quantity: int) -> SaleLine:
    return SaleLine(line_id, 1, "I" + line_id, "S" + line_id, name, quantity, D(10), D(0), D(0),
                    D(10) * quantity, D(0), D(10) * quantity, "A", TAX.rate)  # fmt: skip


def item(n: int, name: str = "Mug") -> Item:
    return Item(ItemId(f"item-{n}"), f"SKU{n}", name, D("4.00"), TAX, CategoryId("kitchen"))


def sale(*lines: SaleLine) -> Sale:
    return Sale("s1", "S01-T01-000042", "S01", "T01", "u1", "Maria", datetime(2026, 11, 1, tzinfo=UTC),
                USD, False, tuple(lines), (), (), D(0))  # fmt: skip


def receipted() -> ReturnDraft:
    kettle = line("L1", "Kettle", 3)
    toaster = line("L2", "Toaster", 1)
    s = sale(kettle, toaster)
    return ReturnDraft(
        CASHIER,
        sale=s,
        returnable=[
            ReturnableLine(kettle, Returned(quantity=1), "kitchen"),
            ReturnableLine(toaster, Returned(), "kitchen"),
        ],
    )


def test_a_new_draft_is_empty_and_without_receipt() -> None:
    d = ReturnDraft(CASHIER)
    assert d.is_empty
    assert not d.has_receipt
    assert receipted().has_receipt


def test_plus_and_minus_step_a_line_between_zero_and_what_is_still_out() -> None:
    d = receipted()
    assert d.change("L1", +1).quantity == 1
    assert not d.is_empty
    assert d.change("L1", +1).quantity == 2
    with pytest.raises(DraftError) as err:
        d.change("L1", +1)
    assert err.value.message == "Only 2 of Kettle can be returned (3 sold, 1 already returned)."
    assert err.value.hint == ""
    assert d.picks["L1"].quantity == 2
    assert d.change("L1", -1).quantity == 1
    assert d.change("L1", -1).quantity == 0
    assert d.change("L1", -1).quantity == 0  # never below zero
    assert d.is_empty


def test_changing_a_line_not_on_the_receipt_is_refused() -> None:
    with pytest.raises(DraftError) as err:
        receipted().change("nope", +1)
    assert err.value.message == "Pick a line of the receipt first."
    assert err.value.hint == "Use ↑/↓."


def test_a_typed_quantity_is_kept_between_zero_and_what_is_still_out() -> None:
    d = receipted()
    d.set_quantity("L1", 2)
    assert d.picks["L1"].quantity == 2
    d.set_quantity("L1", 0)
    assert d.picks["L1"].quantity == 0
    for wrong in (3, -1):
        with pytest.raises(DraftError) as err:
            d.set_quantity("L1", wrong)
        assert err.value.message == "Between 0 and 2 of Kettle can be returned."
        assert err.value.hint == ""
    assert d.picks["L1"].quantity == 0


def test_pick_keeps_one_line_per_receipt_line() -> None:
    d = receipted()
    first = d.pick("L2")
    assert first == DraftLine(0, None, Condition.NEW)
    first.quantity = 1
    assert d.pick("L2") is first


def test_the_same_item_without_receipt_is_one_line_more_units() -> None:
    d = ReturnDraft(CASHIER)
    a = d.add_no_receipt(item(1), D("4.00"))
    assert (a.quantity, a.unit_price) == (1, D("4.00"))
    assert not d.is_empty
    again = d.add_no_receipt(item(1), D("4.00"))
    assert again is a and a.quantity == 2
    other = d.add_no_receipt(item(2, "Bowl"), D("3.00"))
    assert other.quantity == 1
    assert [(ln.item.name, ln.quantity) for ln in d.no_receipt] == [("Mug", 2), ("Bowl", 1)]


def test_missing_reasons_name_picked_lines_and_no_receipt_lines_without_one() -> None:
    d = receipted()
    d.change("L1", +1)
    d.pick("L2")  # picked, but none returned: no reason needed
    d.add_no_receipt(item(1), D("4.00"))
    assert [name for _, name in d.lines_missing_a_reason()] == ["Kettle", "Mug"]
    d.picks["L1"].reason = Reason.WRONG_SIZE
    d.no_receipt[0].reason = Reason.DEFECTIVE
    assert [name for _, name in d.lines_missing_a_reason()] == []


def test_the_command_carries_the_picked_lines_with_their_reason_and_condition() -> None:
    d = receipted()
    d.refund_method = RefundMethod.CASH
    d.waive_fees = True
    d.change("L1", +1)
    d.change("L1", +1)
    d.picks["L1"].reason = Reason.DEFECTIVE
    d.picks["L1"].condition = Condition.OPENED
    d.pick("L2")  # zero: not in the command
    cmd = d.command()
    assert cmd.request_id == d.request_id
    assert cmd.cashier == CASHIER
    assert [(r.sale_line_id, r.quantity, r.reason, r.condition, r.item) for r in cmd.lines] == [
        ("L1", 2, Reason.DEFECTIVE, Condition.OPENED, None)
    ]
    assert cmd.refund_method is RefundMethod.CASH
    assert cmd.original_receipt == "S01-T01-000042"
    assert cmd.waive_fees is True
    assert cmd.exchange is None
    assert cmd.id_document is None


def test_a_line_without_a_reason_goes_as_other() -> None:
    d = receipted()
    d.change("L2", +1)
    d.add_no_receipt(item(1), D("4.00"))
    assert [r.reason for r in d.command().lines] == [Reason.OTHER, Reason.OTHER]


def test_without_a_receipt_the_command_is_store_credit_with_the_id_and_prices() -> None:
    d = ReturnDraft(CASHIER, refund_method=RefundMethod.CASH)
    d.id_document = CustomerId.checked("Passport", "X1234567")
    nr = d.add_no_receipt(item(1), D("3.75"))
    d.add_no_receipt(item(1), D("3.75"))
    nr.condition = Condition.DEFECTIVE
    nr.reason = Reason.DEFECTIVE
    cmd = d.command()
    assert cmd.refund_method is RefundMethod.STORE_CREDIT
    assert cmd.original_receipt is None
    assert cmd.id_document == CustomerId("Passport", "X1234567")
    [r] = cmd.lines
    assert (r.quantity, r.reason, r.condition, r.item, r.unit_price, r.sale_line_id) == (
        2, Reason.DEFECTIVE, Condition.DEFECTIVE, item(1), D("3.75"), None
    )  # fmt: skip


def test_an_exchange_carries_the_new_items_and_their_payment() -> None:
    d = receipted()
    d.change("L2", +1)
    cart = Cart(USD, False)
    d.exchange = cart
    assert d.command().exchange is None  # an empty exchange cart is no exchange
    cart.add(item(3, "Pan"), 2)
    cart.order_discount = Discount(True, D(10))
    tenders = [Tender(TenderKind.EXCHANGE_CREDIT, D("8.00"), D("8.00")), Tender(TenderKind.CASH, D("0.05"), D("1.00"))]
    cmd = d.command(exchange_tenders=tenders, exchange_rounding=D("-0.01"))
    assert cmd.exchange is not None
    sale_cmd = cmd.exchange.sale
    assert sale_cmd.cashier == CASHIER
    assert [(ln.item.name, ln.quantity) for ln in sale_cmd.lines] == [("Pan", 2)]
    assert list(sale_cmd.tenders) == tenders
    assert sale_cmd.rounding == D("-0.01")
    assert sale_cmd.order_discount == Discount(True, D(10))  # the exchange's own discount goes with it
    assert list(d.command().exchange.sale.tenders) == []  # type: ignore[union-attr]
    assert d.command().exchange.sale.rounding == D(0)  # type: ignore[union-attr]
