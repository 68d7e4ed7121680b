from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from counter.barcodes import CodeKind, read_code
from counter.catalog import CategoryId, Item, ItemId, TaxClass
from counter.errors import BarcodeError, CartError, InvalidQuantity, TenderError
from counter.money import Currency
from counter.sales.cart import Cart, parse_quantity
from counter.sales.pricing import Discount
from counter.sales.tenders import CardDetails, Payment

USD = Currency.of("USD")
TAX = TaxClass("A", "Sales tax", Decimal("0.0825"))


def item(n: int = 1, price: str = "9.99") -> Item:
    return Item(ItemId(f"i{n}"), f"SKU{n}", f"Item {n}", Decimal(price), TAX, CategoryId("c"))


@given(
    st.integers(min_value=1, max_value=10**7),
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["0.01", "0.05", "0.10"]),
)
def test_change_is_tendered_minus_what_cash_settles(total_minor: int, extra_minor: int, coin: str) -> None:
    total = USD.from_minor(total_minor)
    payment = Payment(total, USD, Decimal(coin))
    due = payment.cash_due
    assert due % Decimal(coin) == 0 and abs(due - total) * 2 <= Decimal(coin)
    tendered = due + USD.from_minor(extra_minor)
    tender = payment.add_cash(tendered)
    assert payment.is_complete
    assert tender.change == tendered - due
    assert payment.rounding == due - total
    assert payment.paid == total + payment.rounding


@given(st.integers(min_value=2, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_split_card_then_cash(total_minor: int, card_minor: int) -> None:
    total = USD.from_minor(total_minor)
    card = min(USD.from_minor(card_minor), total - Decimal("0.01"))
    payment = Payment(total, USD, Decimal("0.05"))
    payment.add_card(card, CardDetails("Visa", "4242", "OK1234"))
    assert payment.remaining == total - card
    payment.add_cash(payment.cash_due)
    assert payment.is_complete and payment.change == 0


def test_cash_below_the_total_is_refused_unless_a_part_payment() -> None:
    payment = Payment(Decimal("10.00"), USD, Decimal("0.01"))
    with pytest.raises(TenderError, match="less than"):
        payment.add_cash(Decimal("5.00"))
    assert payment.tenders == []
    payment.add_cash(Decimal("5.00"), part_payment=True)
    assert payment.remaining == Decimal("5.00") and not payment.is_complete


def test_card_above_what_is_due_is_refused() -> None:
    payment = Payment(Decimal("10.00"), USD, Decimal("0.01"))
    with pytest.raises(TenderError):
        payment.add_card(Decimal("10.01"), CardDetails("Visa", "4242", "OK1234"))


@pytest.mark.parametrize("last4", ["4111111111111111", "42", "abcd", ""])
def test_card_details_never_take_more_than_four_digits(last4: str) -> None:
    with pytest.raises(TenderError) as err:
        CardDetails.checked("Visa", last4, "OK1234")
    assert last4 not in err.value.message or not last4  # never echoed back


def test_same_item_again_raises_the_quantity() -> None:
    cart = Cart(USD, prices_include_tax=False)
    cart.add(item(1))
    cart.add(item(2))
    cart.add(item(1))
    assert [(ln.item.id, ln.quantity) for ln in cart.active_lines] == [("i1", 2), ("i2", 1)]


def test_void_takes_the_line_out_of_the_total() -> None:
    cart = Cart(USD, prices_include_tax=False)
    a = cart.add(item(1, "10.00"))
    cart.add(item(2, "5.00"))
    cart.void(a.id)
    assert cart.price().subtotal == Decimal("5.00")
    with pytest.raises(CartError):
        cart.set_quantity(a.id, 2)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0", "at least 1"),
        ("-2", "negative"),
        ("10000", "more than"),
        ("1.5", "whole number"),
        ("x", "whole number"),
        ("99999999999", "more than"),
    ],
)
def test_bad_quantities_are_explained(text: str, fragment: str) -> None:
    with pytest.raises(InvalidQuantity) as err:
        parse_quantity(text)
    assert fragment in err.value.message


def test_discounts_are_checked() -> None:
    cart = Cart(USD, prices_include_tax=False)
    line = cart.add(item(1, "10.00"))
    with pytest.raises(CartError):
        cart.discount_line(line.id, Discount(False, Decimal("10.01")))
    with pytest.raises(CartError):
        cart.discount_line(line.id, Discount(True, Decimal("101")))
    cart.discount_line(line.id, Discount(True, Decimal("10")))
    assert cart.price().subtotal == Decimal("9.00")
    with pytest.raises(CartError):
        cart.discount_order(Discount(False, Decimal("9.01")))
    assert cart.order_discount is None  # the refused discount left nothing behind


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("4006381333931", CodeKind.GTIN, "04006381333931"),  # EAN-13
        ("036000291452", CodeKind.GTIN, "00036000291452"),  # UPC-A
        ("96385074", CodeKind.GTIN, "00000096385074"),  # EAN-8
        ("KEY-CUT", CodeKind.SKU, "KEY-CUT"),
        ("app-00004", CodeKind.SKU, "APP-00004"),
    ],
)
def test_codes_are_read_into_one_canonical_form(text: str, kind: CodeKind, value: str) -> None:
    code = read_code(text)
    assert (code.kind, code.value) == (kind, value)


@pytest.mark.parametrize("text", ["4006381333932", "036000291453", "96385075"])
def test_a_wrong_check_digit_is_named(text: str) -> None:
    with pytest.raises(BarcodeError, match="check digit"):
        read_code(text)


@pytest.mark.parametrize("text", ["", "   ", "\x1b[A", "9" * 60])
def test_garbage_is_not_a_code(text: str) -> None:
    with pytest.raises(BarcodeError):
        read_code(text)
