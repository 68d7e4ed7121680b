"""counter.desk.payments: what the desk takes as payment (with the words of each refusal),
which purposes are refunds, and the journal fields of a payment in and of a refund out,
in minor units and signed as the drawer sees them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from counter.desk.payments import PURPOSE_LABELS, DeskPayment, Purpose, check_tenders, payment_fields
from counter.errors import InvalidAmount, TenderError
from counter.money import Currency
from counter.returns.refunds import RefundPart
from counter.sales.tenders import CardDetails, Tender, TenderKind

USD = Currency.of("USD")
VISA = CardDetails("Visa", "4242", "AP1234")
AT = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


def d(text: str) -> Decimal:
    return Decimal(text)


def cash(amount: str, tendered: str | None = None) -> Tender:
    return Tender(TenderKind.CASH, d(amount), d(tendered or amount))


def card(amount: str) -> Tender:
    return Tender(TenderKind.CARD, d(amount), d(amount), VISA)


def credit(amount: str, voucher: str | None = "SC-7Q2M") -> Tender:
    return Tender(TenderKind.STORE_CREDIT, d(amount), d(amount), None, voucher)


def test_purposes_that_give_money_back_are_refunds() -> None:
    refunds = {p for p in Purpose if p.is_refund}
    assert refunds == {Purpose.ORDER_REFUND, Purpose.PRICE_ADJUSTMENT, Purpose.GOODWILL}
    assert [p.label for p in Purpose] == [
        "Deposit",
        "Order payment",
        "Payment on account",
        "Order cancellation refund",
        "Price adjustment",
        "Goodwill credit",
    ]
    assert set(PURPOSE_LABELS) == set(Purpose)


def test_cash_card_and_store_credit_that_pay_the_amount_are_taken() -> None:
    check_tenders([cash("20.00", "50.00"), card("5.50"), credit("1.25")], d("26.75"), USD)
    check_tenders([cash("0.01")], d("0.01"), USD)


@pytest.mark.parametrize(
    ("tenders", "amount", "message", "hint"),
    [
        ([cash("1.00")], "0", "The amount must be above zero.", "Type the amount the customer pays."),
        ([cash("1.00")], "-1.00", "The amount must be above zero.", "Type the amount the customer pays."),
        ([], "5.00", "No payment was taken.", "Take cash or card."),
        (
            [cash("4.99")],
            "5.00",
            "The payments ($4.99) do not match the amount ($5.00).",
            "Take the payment again.",
        ),
        ([cash("5.00"), card("0.01")], "5.00", "The payments ($5.01) do not match the amount ($5.00).", ""),
        (
            [Tender(TenderKind.EXCHANGE_CREDIT, d("5.00"), d("5.00"))],
            "5.00",
            "The desk takes cash, card or store credit.",
            "Take the payment again.",
        ),
        ([Tender(TenderKind.DEPOSIT, d("5.00"), d("5.00"))], "5.00", "The desk takes cash, card or store credit.", ""),
        (
            [Tender(TenderKind.HOUSE_ACCOUNT, d("5.00"), d("5.00"))],
            "5.00",
            "The desk takes cash, card or store credit.",
            "",
        ),
        ([cash("6.00"), cash("-1.00")], "5.00", "A payment amount is not valid.", "Take the payment again."),
        ([cash("5.00"), cash("0")], "5.00", "A payment amount is not valid.", ""),
        ([cash("5.00", "4.99")], "5.00", "A payment amount is not valid.", ""),
        (
            [Tender(TenderKind.CARD, d("5.00"), d("6.00"), VISA)],
            "5.00",
            "Only cash can give change.",
            "Take the payment again.",
        ),
        (
            [Tender(TenderKind.STORE_CREDIT, d("5.00"), d("5.01"), None, "SC-1")],
            "5.00",
            "Only cash can give change.",
            "",
        ),
        (
            [Tender(TenderKind.CARD, d("5.00"), d("5.00"))],
            "5.00",
            "A card payment is missing its details.",
            "Enter the card's last 4 and approval code.",
        ),
        (
            [credit("5.00", None)],
            "5.00",
            "A store-credit payment is missing its voucher code.",
            "Scan the voucher again.",
        ),
        ([credit("5.00", "")], "5.00", "A store-credit payment is missing its voucher code.", ""),
    ],
)
def test_a_desk_payment_that_does_not_pay_the_amount_is_refused(
    tenders: list[Tender], amount: str, message: str, hint: str
) -> None:
    with pytest.raises(TenderError) as info:
        check_tenders(tenders, d(amount), USD)
    assert info.value.message == message
    if hint:
        assert info.value.hint == hint


def test_an_amount_finer_than_a_cent_is_refused() -> None:
    with pytest.raises(InvalidAmount):
        check_tenders([cash("5.005")], d("5.005"), USD)


def payment(**kw: object) -> DeskPayment:
    fields: dict[str, object] = dict(
        id="p-1",
        number="S01-T01-P000003",
        purpose=Purpose.ORDER_PAYMENT,
        amount=d("30.00"),
        at=AT,
        user_id="u-maria",
        terminal_id="T01",
    )
    fields.update(kw)
    return DeskPayment(**fields)  # type: ignore[arg-type]


def test_money_in_is_journaled_tender_by_tender_in_cents() -> None:
    p = payment(tenders=(cash("20.00", "25.00"), card("5.00"), credit("5.00")))
    assert p.journal_tenders(USD) == [
        {
            "kind": "cash",
            "amount": 2000,
            "tendered": 2500,
            "card_brand": None,
            "card_last4": None,
            "approval_code": None,
            "voucher": None,
        },
        {
            "kind": "card",
            "amount": 500,
            "tendered": 500,
            "card_brand": "Visa",
            "card_last4": "4242",
            "approval_code": "AP1234",
            "voucher": None,
        },
        {
            "kind": "store_credit",
            "amount": 500,
            "tendered": 500,
            "card_brand": None,
            "card_last4": None,
            "approval_code": None,
            "voucher": "SC-7Q2M",
        },
    ]


def test_money_out_is_journaled_negative_with_the_tender_it_goes_back_to() -> None:
    parts = (
        RefundPart(TenderKind.CARD, d("12.34"), 2, VISA, "AP1234"),
        RefundPart(TenderKind.CASH, d("0.66"), 1),
        RefundPart(TenderKind.STORE_CREDIT, d("7.00"), None, None, "ignored"),
    )
    p = payment(purpose=Purpose.GOODWILL, amount=d("20.00"), parts=parts, voucher_code="SC-NEW1")
    assert p.journal_tenders(USD) == [
        {
            "kind": "card",
            "amount": -1234,
            "original_tender": 2,
            "reference": "AP1234",
            "card_brand": "Visa",
            "card_last4": "4242",
            "approval_code": "AP1234",
        },
        {
            "kind": "cash",
            "amount": -66,
            "original_tender": 1,
            "reference": "",
            "card_brand": None,
            "card_last4": None,
            "approval_code": None,
        },
        {
            "kind": "store_credit",
            "amount": -700,
            "original_tender": None,
            "reference": "SC-NEW1",  # the voucher issued with the refund
            "card_brand": None,
            "card_last4": None,
            "approval_code": None,
        },
    ]


def test_a_payment_is_journaled_with_every_column_of_its_row() -> None:
    p = payment(
        customer_id="c-jane",
        order_id="o-1",
        account_id=None,
        original_sale_id="s-9",
        voucher_code="SC-NEW1",
        reference="S01-T01-O000001",
    )
    assert payment_fields(p, USD) == {
        "payment_id": "p-1",
        "number": "S01-T01-P000003",
        "purpose": "order_payment",
        "amount": 3000,
        "currency": "USD",
        "customer_id": "c-jane",
        "order_id": "o-1",
        "account_id": None,
        "original_sale_id": "s-9",
        "voucher_code": "SC-NEW1",
        "reference": "S01-T01-O000001",
        "user": "u-maria",
        "terminal": "T01",
    }
    assert payment_fields(payment(account_id="a-1"), USD)["account_id"] == "a-1"
    assert payment().reference == "" and payment().voucher_code is None
