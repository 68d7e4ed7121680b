"""The rows each journal entry makes (counter.projection), asserted column by column
(issue 14). The lane's write path stores exactly these rows, ``counter journal verify``
re-derives them to find an edited table, and HQ ingests pushed entries through them, so a
wrong column here is a wrong column in every store and at HQ.

Bodies are built as the write path builds them: a sale through ``Sale.journal_body`` (the
SaleCompleted body of counter.sales.checkout), the others as counter.returns.process, counter.trust.approvals,
counter.desk.payments, counter.desk.adjustments, counter.desk.orders and db.sync_people write them.
Money is in integer minor units; every figure below is worked out by hand. A body the
projection cannot read raises ``ProjectionError``, which HQ refuses with a 422
(hq.ingest._rows_of)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from counter.catalog import TaxClass
from counter.journal import utc_stamp
from counter.money import Currency
from counter.projection import (
    PROJECTIONS,
    TABLES,
    UNKNOWN,
    EntryRef,
    Insert,
    ProjectionError,
    Update,
    base as projection,
    project,
)
from counter.projection.sales import (
    _payments,
    adopted_sale_ops,
    approval_ops,
    desk_voucher_ops,
    return_ops,
    sale_ops,
    vouchers_received_ops,
)
from counter.sales.pricing import TaxTotal
from counter.sales.sale import Sale, SaleLine
from counter.sales.tenders import CardDetails, Tender, TenderKind

D = Decimal
USD = Currency.of("USD")
MOMENT = datetime(2026, 12, 6, 10, 15, 30, 250, tzinfo=UTC)
AT = utc_stamp(MOMENT)  # "2026-12-06T10:15:30.000250Z"
STD = TaxClass("A", "Sales tax 8.25%", D("0.0825"))
NONE = TaxClass("Z", "No tax", D("0"))


def ref(type_: str, terminal: str = "T01", seq: int = 42) -> EntryRef:
    return EntryRef(terminal, seq, type_, AT)


def rows(ops: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """The operations as (table, row) pairs: every column compared, not Insert's own ==."""
    out: list[tuple[str, dict[str, Any]]] = []
    for op in ops:
        assert isinstance(op, Insert)
        out.append((op.table, dict(op.row)))
    return out


def broken(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``body`` with the field at ``path`` set to ``value``."""
    out = copy.deepcopy(body)
    target: Any = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def without(body: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    out = copy.deepcopy(body)
    target: Any = out
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return out


def new_voucher(code: str, value: int, owner: str, by: str) -> list[tuple[str, dict[str, Any]]]:
    """The rows of a store-credit voucher issued for ``owner``: the voucher, then its first
    movement (its whole value in)."""
    return [
        ("vouchers", {"code": code, "issued_at": AT, "issued_by": by, "return_id": owner, "initial_minor": value}),
        ("voucher_movements", {"voucher_code": code, "at": AT, "amount_minor": value, "reference": owner}),
    ]


# --------------------------------------------------------------------------- a sale

# 2 mugs at 10.00, 1.00 off the line and 0.50 of the order discount: 18.50 net, 8.25 % tax
# 1.526 -> 1.53, gross 20.03. A greeting card at 4.99 with 0.25 of the order discount, no
# tax: 4.74. Subtotal 23.24, discounts 1.75, tax 1.53, total 24.77. Paid 9.75 cash (9.77
# rounded down to the nickel: rounding -0.02) from a 20.00 note (change 10.25), 10.00 by
# Visa ending 4242, 5.00 of store credit SC7K2M9Q4XY.
MUG = SaleLine(
    "L-1", 1, "I-MUG", "MUG-01", "Mug", 2, D("10.00"), D("1.00"), D("0.50"), D("18.50"), D("1.53"), D("20.03"),
    "A", D("0.0825"),
)  # fmt: skip
CARD = SaleLine(
    "L-2", 2, "I-GRC", "GRC-05", "Greeting card", 1, D("4.99"), D("0"), D("0.25"), D("4.74"), D("0"), D("4.74"),
    "Z", D("0"),
)  # fmt: skip
SALE = Sale(
    id="S-1",
    receipt_number="S01-T01-000042",
    store_id="S01",
    terminal_id="T01",
    cashier_id="U-7",
    cashier_name="Ana",
    completed_at=MOMENT,
    currency=USD,
    prices_include_tax=False,
    lines=(MUG, CARD),
    taxes=(TaxTotal(STD, D("18.50"), D("1.53")), TaxTotal(NONE, D("4.74"), D("0"))),
    tenders=(
        Tender(TenderKind.CASH, D("9.75"), D("20.00")),
        Tender(TenderKind.CARD, D("10.00"), D("10.00"), CardDetails("Visa", "4242", "A1B2C3")),
        Tender(TenderKind.STORE_CREDIT, D("5.00"), D("5.00"), voucher="SC7K2M9Q4XY"),
    ),
    rounding=D("-0.02"),
)


def sale_body() -> dict[str, Any]:
    return SALE.journal_body()


def mug_row(sale_id: str = "S-1", at: str = AT) -> dict[str, Any]:
    return {
        "id": "L-1", "sale_id": sale_id, "line_no": 1, "item_id": "I-MUG", "sku": "MUG-01", "name": "Mug",
        "quantity": 2, "unit_price_minor": 1000, "line_discount_minor": 100, "order_discount_minor": 50,
        "amount_minor": 1850, "tax_minor": 153, "gross_minor": 2003, "tax_code": "A", "tax_rate": "0.0825",
        "completed_at": at,  # the sale's time on each line (migration 0017)
    }  # fmt: skip


def card_row(sale_id: str = "S-1", at: str = AT) -> dict[str, Any]:
    return {
        "id": "L-2", "sale_id": sale_id, "line_no": 2, "item_id": "I-GRC", "sku": "GRC-05", "name": "Greeting card",
        "quantity": 1, "unit_price_minor": 499, "line_discount_minor": 0, "order_discount_minor": 25,
        "amount_minor": 474, "tax_minor": 0, "gross_minor": 474, "tax_code": "Z", "tax_rate": "0",
        "completed_at": at,
    }  # fmt: skip


def tender_rows() -> list[tuple[str, dict[str, Any]]]:
    none = {"card_brand": None, "card_last4": None, "approval_code": None, "voucher_code": None}
    return [
        ("tenders", {"sale_id": "S-1", "seq": 1, "kind": "cash", "amount_minor": 975, "tendered_minor": 2000, **none}),
        (
            "tenders",
            {
                "sale_id": "S-1", "seq": 2, "kind": "card", "amount_minor": 1000, "tendered_minor": 1000,
                "card_brand": "Visa", "card_last4": "4242", "approval_code": "A1B2C3", "voucher_code": None,
            },
        ),
        (
            "tenders",
            {
                "sale_id": "S-1", "seq": 3, "kind": "store_credit", "amount_minor": 500, "tendered_minor": 500,
                **none, "voucher_code": "SC7K2M9Q4XY",
            },
        ),
    ]  # fmt: skip


def test_a_sale_makes_its_sale_row_lines_taxes_tenders_and_the_store_credit_it_redeemed() -> None:
    got = rows(sale_ops(sale_body(), ref("SaleCompleted")))
    assert got == [
        (
            "sales",
            {
                "id": "S-1", "receipt_number": "S01-T01-000042", "store_id": "S01", "terminal_id": "T01",
                "cashier_id": "U-7", "cashier_name": "Ana", "completed_at": AT, "currency": "USD",
                "prices_include_tax": False, "subtotal_minor": 2324, "discount_minor": 175, "tax_minor": 153,
                "total_minor": 2477, "rounding_minor": -2, "change_minor": 1025,
            },
        ),
        ("sale_lines", mug_row()),
        ("sale_lines", card_row()),
        ("sale_taxes", {"sale_id": "S-1", "code": "A", "label": "Sales tax 8.25%", "rate": "0.0825",
                        "base_minor": 1850, "tax_minor": 153}),
        ("sale_taxes", {"sale_id": "S-1", "code": "Z", "label": "No tax", "rate": "0", "base_minor": 474,
                        "tax_minor": 0}),
        *tender_rows()[:3],
        # the redemption, right after its tender: the voucher's balance goes down by 5.00
        ("voucher_movements", {"voucher_code": "SC7K2M9Q4XY", "at": AT, "amount_minor": -500, "reference": "S-1"}),
    ]  # fmt: skip


def test_the_rows_are_the_same_through_project_as_the_write_path_calls_it() -> None:
    assert rows(project("SaleCompleted", sale_body(), ref("SaleCompleted"))) == rows(
        sale_ops(sale_body(), ref("SaleCompleted"))
    )


def test_a_sale_with_tax_included_and_no_cashier_name_keeps_the_flag_and_leaves_the_name_unknown() -> None:
    body = sale_body()
    body["prices_include_tax"] = True
    del body["cashier_name"]  # an entry written before the body held the name
    (_, sale), *_ = rows(sale_ops(body, ref("SaleCompleted")))
    assert sale["prices_include_tax"] is True
    assert sale["cashier_name"] is UNKNOWN


def test_the_terminal_and_time_of_a_sale_are_its_entrys_not_anything_in_the_body() -> None:
    body = sale_body()
    body["terminal"] = "T09"
    body["completed_at"] = "1999-01-01T00:00:00.000000Z"
    (_, sale), *_ = rows(sale_ops(body, EntryRef("T03", 7, "SaleCompleted", "2026-12-07T08:00:00.000000Z")))
    assert (sale["terminal_id"], sale["completed_at"]) == ("T03", "2026-12-07T08:00:00.000000Z")


def test_a_tax_without_a_label_leaves_the_label_unknown() -> None:
    body = without(sale_body(), ("taxes", 0, "label"))
    got = rows(sale_ops(body, ref("SaleCompleted")))
    assert [r["label"] for t, r in got if t == "sale_taxes"] == [UNKNOWN, "No tax"]


def test_only_a_store_credit_tender_that_names_its_voucher_moves_a_balance() -> None:
    body = sale_body()
    del body["tenders"][2]["voucher"]  # store credit without its code: nothing to move
    body["tenders"][0]["voucher"] = "SC7K2M9Q4XY"  # a cash tender never redeems store credit
    got = rows(sale_ops(body, ref("SaleCompleted")))
    assert [t for t, _ in got].count("voucher_movements") == 0
    assert [r["voucher_code"] for t, r in got if t == "tenders"] == ["SC7K2M9Q4XY", None, None]


def test_a_sale_of_no_lines_and_no_tenders_is_a_sale_row_of_zeros() -> None:
    body = sale_body()
    body.update(lines=[], taxes=[], tenders=[], rounding=0)
    ((_, sale),) = rows(sale_ops(body, ref("SaleCompleted")))
    assert [sale[c] for c in ("subtotal_minor", "discount_minor", "tax_minor", "total_minor", "change_minor")] == [
        0, 0, 0, 0, 0,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("lines", 1, "qty"), 1.0, "a quantity is not a whole number: 1.0"),
        (("lines", 1, "unit_price"), "499", "a unit price is not a whole number: '499'"),
        (("lines", 1, "amount"), 4.74, "a line's amount is not a whole number: 4.74"),
        (("lines", 1, "gross"), None, "a line's gross is not a whole number: None"),
        (("lines", 1, "line_discount"), True, "a line discount is not a whole number: True"),
        (("lines", 1, "order_discount"), 0.25, "an order discount is not a whole number: 0.25"),
        (("lines", 1, "tax"), False, "a line's tax is not a whole number: False"),
        (("taxes", 1, "base"), 4.74, "a tax base is not a whole number: 4.74"),
        (("taxes", 1, "tax"), "0", "a tax amount is not a whole number: '0'"),
        (("tenders", 1, "amount"), 10.0, "a tender's amount is not a whole number: 10.0"),
        (("tenders", 1, "tendered"), True, "what was tendered is not a whole number: True"),
        (("rounding",), -0.02, "the cash rounding is not a whole number: -0.02"),
    ],
)
def test_a_sale_amount_that_is_not_whole_minor_units_is_refused_by_name(
    path: tuple[Any, ...], value: Any, message: str
) -> None:
    body = broken(sale_body(), path, value)
    with pytest.raises(ProjectionError) as err:
        sale_ops(body, ref("SaleCompleted"))
    assert str(err.value) == message
    with pytest.raises(ProjectionError) as err:
        project("SaleCompleted", body, ref("SaleCompleted"))
    assert str(err.value) == message  # not wrapped: the error names the value already


def test_a_line_with_several_bad_amounts_is_refused_for_the_first_of_them() -> None:
    body = broken(broken(sale_body(), ("lines", 0, "gross"), 20.03), ("lines", 0, "qty"), "2")
    with pytest.raises(ProjectionError, match=r"^a quantity is not a whole number: '2'$"):
        sale_ops(body, ref("SaleCompleted"))


class _Units(int):
    """An int that is not exactly an int (as no JSON reader gives back)."""


def test_a_sale_amount_that_is_a_kind_of_int_but_not_a_plain_one_is_refused() -> None:
    # the write path projects the body it holds, verify the body read back from JSON: only
    # plain ints are the same in both
    with pytest.raises(ProjectionError, match=r"^a value is not a whole number$"):
        sale_ops(broken(sale_body(), ("lines", 0, "qty"), _Units(2)), ref("SaleCompleted"))


def test_a_sale_kept_for_a_return_at_another_lane_has_that_lanes_terminal_and_time_and_no_redemption() -> None:
    body = {**sale_body(), "origin_terminal": "T05", "completed_at": "2026-12-01T17:02:03.000004Z"}
    got = rows(adopted_sale_ops(body, ref("SaleAdopted", terminal="T01")))
    sale = {
        "id": "S-1", "receipt_number": "S01-T01-000042", "store_id": "S01", "terminal_id": "T05",
        "cashier_id": "U-7", "cashier_name": "Ana", "completed_at": "2026-12-01T17:02:03.000004Z", "currency": "USD",
        "prices_include_tax": False, "subtotal_minor": 2324, "discount_minor": 175, "tax_minor": 153,
        "total_minor": 2477, "rounding_minor": -2, "change_minor": 1025,
    }  # fmt: skip
    # the store credit it redeemed was moved by the sale's own entry at its own lane
    assert got[0] == ("sales", sale)
    # its lines carry that lane's time of the sale too
    adopted_at = "2026-12-01T17:02:03.000004Z"
    assert got[1:3] == [("sale_lines", mug_row(at=adopted_at)), ("sale_lines", card_row(at=adopted_at))]
    assert got[5:] == tender_rows()
    assert rows(project("SaleAdopted", body, ref("SaleAdopted"))) == got


# --------------------------------------------------------------------------- a return


# A return of one mug of S-1 (9.25 + 0.76 tax = 10.01 less a 1.00 restocking fee: 9.01
# back) and of 2 defective cards not on the receipt (9.00): 18.01, refunded 2.00 to the
# original cash, 9.00 to the Visa, 5.00 to the original store-credit tender and the rest,
# 2.01, as store credit; both store-credit parts go onto the one new voucher.
def return_body() -> dict[str, Any]:
    return {
        "return_id": "R-1",
        "return_number": "S01-T02-R000007",
        "request_id": "Q-1",
        "original_sale_id": "S-1",
        "original_receipt": "S01-T01-000042",
        "cashier": "U-9",
        "currency": "USD",
        "customer_key": "k:4f2a",
        "customer_hint": "••••1234",
        "lines": [
            {
                "sale_line_id": "L-1", "item_id": "I-MUG", "sku": "MUG-01", "name": "Mug", "qty": 1,
                "amount": 925, "tax": 76, "gross": 1001, "fee": 100, "tax_code": "A", "tax_rate": "0.0825",
                "reason": "changed_mind", "condition": "unopened", "disposition": "restock",
            },
            {
                "sale_line_id": None, "item_id": "I-GRC", "sku": "GRC-05", "name": "Greeting card", "qty": 2,
                "amount": 900, "tax": 0, "gross": 900, "fee": 0, "tax_code": "Z", "tax_rate": "0",
                "reason": "defective", "condition": "defective", "disposition": "return_to_vendor",
            },
        ],
        "refunds": [
            {"kind": "cash", "amount": 200, "original_tender": 1, "reference": "", "card_brand": None,
             "card_last4": None},
            {"kind": "card", "amount": 900, "original_tender": 2, "reference": "A1B2C3", "card_brand": "Visa",
             "card_last4": "4242"},
            {"kind": "store_credit", "amount": 500, "original_tender": 3, "reference": "SC7K2M9Q4XY",
             "card_brand": None, "card_last4": None},
            {"kind": "store_credit", "amount": 201, "original_tender": None, "reference": "", "card_brand": None,
             "card_last4": None},
        ],
        "voucher": "SCNEW2M9Q4X",
        "exchange_sale_id": "S-2",
        "exchange_credit": 0,
        "fee_total": 100,
        "refund_total": 1801,
        "approvals": [],
        "hq_reserved": False,
    }  # fmt: skip


def test_a_return_makes_its_row_lines_refunds_and_the_store_credit_voucher_it_issued() -> None:
    got = rows(return_ops(return_body(), ref("ReturnProcessed", terminal="T02")))
    refund = {"return_id": "R-1", "card_brand": None, "card_last4": None}
    assert got == [
        (
            "returns",
            {
                "id": "R-1", "return_number": "S01-T02-R000007", "request_id": "Q-1",
                # the store and lane are read from the return number
                "store_id": "S01", "terminal_id": "T02",
                "original_sale_id": "S-1", "original_receipt": "S01-T01-000042", "cashier_id": "U-9",
                "completed_at": AT, "currency": "USD", "refund_minor": 1801, "fee_minor": 100,
                "exchange_credit_minor": 0, "exchange_sale_id": "S-2", "customer_key": "k:4f2a",
                "customer_hint": "••••1234", "voucher_code": "SCNEW2M9Q4X",
            },
        ),
        (
            "return_lines",
            {
                "id": "R-1:1", "return_id": "R-1", "line_no": 1, "sale_line_id": "L-1", "item_id": "I-MUG",
                "sku": "MUG-01", "name": "Mug", "quantity": 1, "amount_minor": 925, "tax_minor": 76,
                "gross_minor": 1001, "fee_minor": 100, "tax_code": "A", "tax_rate": "0.0825",
                "reason": "changed_mind", "condition": "unopened", "disposition": "restock",
            },
        ),
        (
            "return_lines",
            {
                "id": "R-1:2", "return_id": "R-1", "line_no": 2, "sale_line_id": None, "item_id": "I-GRC",
                "sku": "GRC-05", "name": "Greeting card", "quantity": 2, "amount_minor": 900, "tax_minor": 0,
                "gross_minor": 900, "fee_minor": 0, "tax_code": "Z", "tax_rate": "0",
                "reason": "defective", "condition": "defective", "disposition": "return_to_vendor",
            },
        ),
        ("refunds", {**refund, "seq": 1, "kind": "cash", "amount_minor": 200, "original_sale_id": "S-1",
                     "original_tender_seq": 1, "reference": ""}),
        # a card refund names only the brand and the last 4 digits
        ("refunds", {**refund, "seq": 2, "kind": "card", "amount_minor": 900, "original_sale_id": "S-1",
                     "original_tender_seq": 2, "reference": "A1B2C3", "card_brand": "Visa", "card_last4": "4242"}),
        # store credit refers to the voucher it went onto, not the one it came from
        ("refunds", {**refund, "seq": 3, "kind": "store_credit", "amount_minor": 500, "original_sale_id": "S-1",
                     "original_tender_seq": 3, "reference": "SCNEW2M9Q4X"}),
        ("refunds", {**refund, "seq": 4, "kind": "store_credit", "amount_minor": 201, "original_sale_id": None,
                     "original_tender_seq": None, "reference": "SCNEW2M9Q4X"}),
        # the new voucher holds both store-credit parts: 5.00 + 2.01
        *new_voucher("SCNEW2M9Q4X", 701, "R-1", by="U-9"),
    ]  # fmt: skip
    assert rows(project("ReturnProcessed", return_body(), ref("ReturnProcessed", terminal="T02"))) == got


def test_a_return_without_receipt_voucher_or_card_details_leaves_what_it_cannot_know_unknown() -> None:
    body = return_body()
    body.update(original_sale_id=None, original_receipt=None, voucher=None, exchange_sale_id=None, exchange_credit=350)
    del body["customer_hint"]
    del body["lines"][1]["name"]
    del body["lines"][0]["sale_line_id"]
    body["refunds"] = [{"kind": "cash", "amount": 1801, "original_tender": None, "reference": "till"}]
    got = rows(return_ops(body, ref("ReturnProcessed")))
    assert [t for t, _ in got] == ["returns", "return_lines", "return_lines", "refunds"]  # no voucher
    ret, first, second, refund = (r for _, r in got)
    assert (ret["original_sale_id"], ret["original_receipt"], ret["voucher_code"]) == (None, None, None)
    assert (ret["exchange_sale_id"], ret["exchange_credit_minor"], ret["customer_hint"]) == (None, 350, UNKNOWN)
    assert (first["sale_line_id"], second["name"]) == (None, UNKNOWN)
    assert refund == {
        "return_id": "R-1", "seq": 1, "kind": "cash", "amount_minor": 1801, "original_sale_id": None,
        "original_tender_seq": None, "reference": "till", "card_brand": UNKNOWN, "card_last4": UNKNOWN,
    }  # fmt: skip


def test_a_return_number_without_a_lane_part_leaves_the_lane_unknown() -> None:
    body = {**return_body(), "return_number": "R000007"}
    (_, ret), *_ = rows(return_ops(body, ref("ReturnProcessed")))
    assert (ret["store_id"], ret["terminal_id"]) == ("R000007", UNKNOWN)
    body = {**return_body(), "return_number": "S01-R000007"}
    (_, ret), *_ = rows(return_ops(body, ref("ReturnProcessed")))
    assert (ret["store_id"], ret["terminal_id"]) == ("S01", "R000007")


def test_a_refund_to_a_tender_of_no_sale_names_no_original_sale() -> None:
    body = return_body()
    body["refunds"] = [{"kind": "cash", "amount": 1801, "original_tender": 0, "reference": ""}]
    (refund,) = (r for t, r in rows(return_ops(body, ref("ReturnProcessed"))) if t == "refunds")
    assert (refund["original_sale_id"], refund["original_tender_seq"]) == (None, 0)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("refund_total",), 18.01, "the refund total is not a whole number: 18.01"),
        (("fee_total",), "100", "the fee total is not a whole number: '100'"),
        (("exchange_credit",), None, "the exchange credit is not a whole number: None"),
        (("lines", 1, "qty"), True, "a returned quantity is not a whole number: True"),
        (("lines", 1, "amount"), 9.0, "a returned amount is not a whole number: 9.0"),
        (("lines", 1, "tax"), 0.0, "a returned tax is not a whole number: 0.0"),
        (("lines", 1, "gross"), "900", "a returned gross is not a whole number: '900'"),
        (("lines", 1, "fee"), 0.5, "a fee is not a whole number: 0.5"),
        (("refunds", 3, "amount"), 2.01, "a refund is not a whole number: 2.01"),
    ],
)
def test_a_return_amount_that_is_not_whole_minor_units_is_refused_by_name(
    path: tuple[Any, ...], value: Any, message: str
) -> None:
    with pytest.raises(ProjectionError) as err:
        project("ReturnProcessed", broken(return_body(), path, value), ref("ReturnProcessed"))
    assert str(err.value) == message


# --------------------------------------------------------------------------- approvals


def approval_body() -> dict[str, Any]:
    return {
        "request_id": "Q-1",
        "kinds": ["no_receipt", "over_limit"],
        "amount": 4500,
        "requester": "U-9",
        "approver": "U-1",
        "reason": "manager knows the customer",
        "approval_ids": ["AP-1", "AP-2"],
    }


def test_an_approval_makes_one_row_per_kind_with_its_own_id() -> None:
    common = {"request_id": "Q-1", "amount_minor": 4500, "requester_id": "U-9", "approver_id": "U-1",
              "reason": "manager knows the customer", "at": AT}  # fmt: skip
    assert rows(project("ApprovalGranted", approval_body(), ref("ApprovalGranted"))) == [
        ("approvals", {"id": "AP-1", "kind": "no_receipt", **common}),
        ("approvals", {"id": "AP-2", "kind": "over_limit", **common}),
    ]


def test_an_approval_of_an_older_entry_has_unknown_ids_and_an_empty_reason() -> None:
    body = approval_body()
    del body["approval_ids"], body["reason"]
    got = rows(approval_ops(body, ref("ApprovalGranted")))
    assert [(r["id"], r["kind"], r["reason"]) for _, r in got] == [
        (UNKNOWN, "no_receipt", ""),
        (UNKNOWN, "over_limit", ""),
    ]


def test_a_manager_stations_record_of_its_answer_holds_no_approval_row() -> None:
    assert approval_ops({**approval_body(), "lane": "S01-T02"}, ref("ApprovalGranted")) == []


def test_approval_ids_that_do_not_match_the_kinds_are_refused() -> None:
    with pytest.raises(ProjectionError, match=r"^approval_ids and kinds differ in length$"):
        approval_ops({**approval_body(), "approval_ids": ["AP-1"]}, ref("ApprovalGranted"))
    with pytest.raises(ProjectionError, match=r"^an approved amount is not a whole number: 45.0$"):
        approval_ops({**approval_body(), "amount": 45.0}, ref("ApprovalGranted"))


# --------------------------------------------------------------------------- store credit at the desk


def desk_payment(pid: str, tenders: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    """A desk payment as counter.desk.orders._payment_body writes it (payment_fields + tenders)."""
    return {"payment_id": pid, "number": f"N-{pid}", "purpose": "order_payment", "amount": 0, "tenders": tenders,
            **more}  # fmt: skip


def test_store_credit_taken_at_the_desk_lowers_the_vouchers_balance_by_what_it_paid() -> None:
    body = {
        "order_id": "O-1",
        "payment": desk_payment(
            "P-1",
            [
                {"kind": "cash", "amount": 1000, "tendered": 1000, "voucher": None},
                {"kind": "store_credit", "amount": 1500, "tendered": 1500, "voucher": "SC7K2M9Q4XY"},
            ],
        ),
        "user": "U-3",
    }
    assert rows(desk_voucher_ops(body, ref("OrderPaymentTaken"))) == [
        ("voucher_movements", {"voucher_code": "SC7K2M9Q4XY", "at": AT, "amount_minor": -1500, "reference": "P-1"}),
    ]


def test_a_bill_adjustment_refunded_to_store_credit_issues_one_voucher_for_all_its_store_credit_parts() -> None:
    # counter.desk.payments.journal_tenders: money out is negative; every store-credit part
    # names the one new voucher as its reference
    body = {
        "adjustment_id": "ADJ-1",
        "payment_id": "P-7",
        "payment_number": "S01-T01-P000007",
        "cashier": "U-4",
        "refunds": [
            {"kind": "card", "amount": -300, "original_tender": 2, "reference": "A1B2C3", "card_brand": "Visa",
             "card_last4": "4242", "approval_code": "A1B2C3"},
            {"kind": "store_credit", "amount": -450, "original_tender": 3, "reference": "SCADJ2M9Q4X"},
            {"kind": "store_credit", "amount": -125, "original_tender": None, "reference": "SCADJ2M9Q4X"},
        ],
    }  # fmt: skip
    assert rows(desk_voucher_ops(body, ref("BillAdjusted"))) == new_voucher("SCADJ2M9Q4X", 575, "ADJ-1", by="U-4")


def test_a_cancelled_order_refunded_to_store_credit_issues_the_voucher_in_the_cancelling_users_name() -> None:
    body = {
        "order_id": "O-2",
        "refund": desk_payment(
            "P-9",
            [
                {"kind": "cash", "amount": -1000, "original_tender": 1, "reference": ""},
                {"kind": "store_credit", "amount": -2000, "original_tender": None, "reference": "SCORD2M9Q4X"},
            ],
            purpose="deposit_refund",
        ),
        "kept": 500,
        "user": "U-5",
    }
    assert rows(desk_voucher_ops(body, ref("OrderCancelled"))) == new_voucher("SCORD2M9Q4X", 2000, "O-2", by="U-5")


def test_one_cent_of_store_credit_taken_at_the_desk_moves_the_balance_by_one_cent() -> None:
    body = {"payment": desk_payment("P-1", [{"kind": "store_credit", "amount": 1, "voucher": "SCA"}])}
    assert rows(desk_voucher_ops(body, ref("OrderPaymentTaken"))) == [
        ("voucher_movements", {"voucher_code": "SCA", "at": AT, "amount_minor": -1, "reference": "P-1"}),
    ]


def test_each_new_voucher_a_desk_refund_names_is_issued_and_none_drops_another() -> None:
    body = {
        "order_id": "O-3",
        "refund": desk_payment(
            "P-4",
            [
                {"kind": "store_credit", "amount": -100, "reference": "SCONE"},
                {"kind": "store_credit", "amount": -250, "reference": "SCTWO"},
            ],
        ),
        "user": "U-5",
    }
    assert rows(desk_voucher_ops(body, ref("OrderCancelled"))) == [
        *new_voucher("SCONE", 100, "O-3", by="U-5"),
        *new_voucher("SCTWO", 250, "O-3", by="U-5"),
    ]


def test_store_credit_given_back_by_an_event_that_issues_no_voucher_makes_no_voucher() -> None:
    body = {"payment_id": "P-1", "refunds": [{"kind": "store_credit", "amount": -700, "reference": "SCX"}]}
    assert desk_voucher_ops(body, ref("AccountPaymentTaken")) == []


def test_a_desk_store_credit_part_of_zero_or_without_its_voucher_moves_nothing() -> None:
    body = desk_payment(
        "P-1",
        [
            {"kind": "store_credit", "amount": 0, "voucher": "SCA", "reference": "SCB"},
            {"kind": "store_credit", "amount": 300},  # names no voucher
            {"kind": "store_credit", "amount": -300},  # names no new voucher
            {"amount": 900, "voucher": "SCC"},  # no kind: not store credit
        ],
    )
    assert desk_voucher_ops(body, ref("BillAdjusted")) == []
    assert desk_voucher_ops(body, ref("OrderPaymentTaken")) == []
    # a nested payment that took no tender and gave nothing back
    assert desk_voucher_ops({"order_id": "O-1", "payment": {"payment_id": "P-2"}}, ref("OrderPaymentTaken")) == []


def test_a_desk_store_credit_amount_that_is_not_whole_is_refused() -> None:
    body = desk_payment("P-1", [{"kind": "store_credit", "amount": "15.00", "voucher": "SCA"}])
    with pytest.raises(ProjectionError, match=r"^a store-credit amount is not a whole number: '15.00'$"):
        desk_voucher_ops(body, ref("OrderPaymentTaken"))


def test_the_desk_payments_of_an_entry_are_its_own_and_those_nested_in_it() -> None:
    own_in = {"payment_id": "P-1", "tenders": []}
    own_out = {"payment_id": "P-2", "refunds": []}
    assert _payments(own_in) == [own_in]
    assert _payments(own_out) == [own_out]
    assert _payments({"payment_id": "P-3"}) == []  # an id alone is not a payment
    p, d, r = ({"payment_id": f"P-{n}"} for n in (4, 5, 6))
    assert _payments({"payment": p, "deposit": d, "refund": r}) == [p, d, r]
    assert _payments({"payment_id": "P-7", "tenders": [], "refund": r}) == [
        {"payment_id": "P-7", "tenders": [], "refund": r},
        r,
    ]
    # a cancelled order without a refund, and nested records that are no payment
    assert _payments({"refund": None, "payment": {"number": "N-1"}, "deposit": ["payment_id"]}) == []


# --------------------------------------------------------------------------- store credit from HQ


def test_store_credit_of_other_lanes_pulled_from_hq_makes_its_vouchers_then_its_movements() -> None:
    # as db.sync_people writes it: the vouchers new here, then the movements new here
    body: dict[str, Any] = {
        "vouchers": [
            {"code": "SCA", "issued_at": "2026-12-01T09:00:00.000000Z", "issued_by": "U-2", "return_id": "R-9",
             "initial_minor": 2500},
            {"code": "SCB", "issued_at": "", "issued_by": "hq", "return_id": None, "initial_minor": 0},
        ],
        "movements": [
            {"voucher_code": "SCA", "at": "2026-12-02T11:00:00.000000Z", "amount_minor": -1000, "reference": "S-77"},
        ],
    }  # fmt: skip
    assert rows(project("VouchersReceived", body, ref("VouchersReceived"))) == [
        ("vouchers", {"code": "SCA", "issued_at": "2026-12-01T09:00:00.000000Z", "issued_by": "U-2",
                      "return_id": "R-9", "initial_minor": 2500}),
        ("vouchers", {"code": "SCB", "issued_at": "", "issued_by": "hq", "return_id": None, "initial_minor": 0}),
        ("voucher_movements", {"voucher_code": "SCA", "at": "2026-12-02T11:00:00.000000Z", "amount_minor": -1000,
                               "reference": "S-77"}),
    ]  # fmt: skip
    del body["vouchers"][1]["return_id"]
    assert rows(vouchers_received_ops(body, ref("VouchersReceived")))[1][1]["return_id"] is None
    with pytest.raises(ProjectionError, match=r"^a voucher's value is not a whole number: 25.0$"):
        vouchers_received_ops(broken(body, ("vouchers", 0, "initial_minor"), 25.0), ref("VouchersReceived"))
    with pytest.raises(ProjectionError, match=r"^a voucher movement is not a whole number: '-1000'$"):
        vouchers_received_ops(broken(body, ("movements", 0, "amount_minor"), "-1000"), ref("VouchersReceived"))


# --------------------------------------------------------------------------- bodies that cannot be read


def test_an_event_without_rows_projects_to_nothing() -> None:
    assert project("ApprovalRefused", {"anything": 1}, ref("ApprovalRefused")) == []
    assert project("NoSuchEvent", {}, ref("NoSuchEvent")) == []


@pytest.mark.parametrize(
    ("type_", "body", "why"),
    [
        ("SaleCompleted", without(sale_body(), ("rounding",)), "KeyError('rounding')"),
        ("SaleCompleted", broken(sale_body(), ("lines",), None), "TypeError(\"'NoneType' object is not iterable\")"),
        ("ReturnProcessed", broken(return_body(), ("lines", 0), ["L-1"]),
         "AttributeError(\"'list' object has no attribute 'get'\")"),
        ("ApprovalGranted", without(approval_body(), ("kinds",)), "KeyError('kinds')"),
    ],
)  # fmt: skip
def test_a_body_that_lacks_what_its_event_needs_is_a_projection_error_naming_the_entry(
    type_: str, body: dict[str, Any], why: str
) -> None:
    with pytest.raises(ProjectionError) as err:
        project(type_, body, EntryRef("T02", 17, type_, AT))
    assert str(err.value) == f"T02 #17 ({type_}): the body lacks what a {type_} needs ({why})"


@pytest.mark.parametrize("error", [KeyError, TypeError, AttributeError, IndexError])
def test_every_lookup_error_of_a_projection_becomes_a_projection_error(
    error: type[Exception], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(body: Any, r: EntryRef) -> list[Any]:
        raise error("x")

    monkeypatch.setitem(PROJECTIONS, "Broken", fails)
    with pytest.raises(ProjectionError) as err:
        project("Broken", {}, EntryRef("T01", 3, "Broken", AT))
    assert str(err.value) == f"T01 #3 (Broken): the body lacks what a Broken needs ({error('x')!r})"
    assert isinstance(err.value.__cause__, error)


def test_the_error_hq_refuses_a_body_with_is_a_value_error() -> None:
    assert issubclass(ProjectionError, ValueError)


def test_a_flag_is_not_a_whole_number() -> None:
    with pytest.raises(ProjectionError, match=r"^the float is not a whole number: True$"):
        projection._int(True, "the float")
    assert projection._int(0, "the float") == 0
    assert projection._int(-12, "the float") == -12


# --------------------------------------------------------------------------- rows and references


def test_a_row_given_as_a_tuple_reads_as_the_same_row_given_as_a_dict() -> None:
    values = ("S-1", "A", "Sales tax", "0.0825", 1850, 153)
    row = {"sale_id": "S-1", "code": "A", "label": "Sales tax", "rate": "0.0825", "base_minor": 1850, "tax_minor": 153}
    by_tuple, by_dict = Insert.of("sale_taxes", values), Insert("sale_taxes", row)
    assert by_tuple.table == "sale_taxes"
    assert by_tuple.row == row
    assert by_dict.values == values
    assert by_tuple == by_dict and by_dict == by_tuple
    assert by_tuple.values is values  # the tuple is kept, not rebuilt


def test_rows_differ_by_table_or_by_any_column_and_never_equal_another_kind_of_thing() -> None:
    row = {"code": "SCA", "issued_at": AT, "issued_by": "U-1", "return_id": None, "initial_minor": 100}
    assert Insert("vouchers", row) == Insert("vouchers", dict(row))
    assert Insert("vouchers", row) != Insert("approvals", row)
    assert Insert("vouchers", row) != Insert("vouchers", {**row, "initial_minor": 101})
    assert Insert("vouchers", row) != Update("vouchers", ("SCA",), row)
    assert Insert("vouchers", row) != ("vouchers", row)
    with pytest.raises(TypeError):
        hash(Insert("vouchers", row))


def test_a_row_missing_a_column_or_a_tuple_of_the_wrong_length_is_an_error() -> None:
    with pytest.raises(KeyError, match="initial_minor"):
        _ = Insert("vouchers", {"code": "SCA", "issued_at": AT, "issued_by": "U-1", "return_id": None}).values
    with pytest.raises(ValueError, match="zip"):
        _ = Insert.of("vouchers", ("SCA", AT, "U-1", None)).row
    with pytest.raises(ValueError, match="zip"):
        _ = Insert.of("vouchers", ("SCA", AT, "U-1", None, 100, "extra")).row


def test_a_row_shows_its_table_and_columns() -> None:
    assert repr(Insert("vouchers", {"code": "SCA"})) == "Insert('vouchers', {'code': 'SCA'})"
    assert repr(Insert.of("sale_taxes", ("S-1", "A", UNKNOWN, "0", 0, 0))) == (
        "Insert('sale_taxes', {'sale_id': 'S-1', 'code': 'A', 'label': UNKNOWN, 'rate': '0', 'base_minor': 0, "
        "'tax_minor': 0})"
    )


def test_an_entry_is_named_by_its_lane_number_and_type() -> None:
    assert str(EntryRef("T01", 42, "SaleCompleted", AT)) == "T01 #42 (SaleCompleted)"


def test_unknown_is_one_value_that_shows_as_unknown() -> None:
    assert projection._Unknown() is UNKNOWN
    assert type(UNKNOWN)() is projection._Unknown()
    assert repr(UNKNOWN) == "UNKNOWN"
    assert projection._get({}, "customer_hint") is UNKNOWN
    assert projection._get({"customer_hint": None}, "customer_hint") is None
    assert projection._get({}, "reason", "") == ""


def test_table_names_are_split_on_whitespace() -> None:
    assert projection._cols("id  sale_id\nline_no ") == ("id", "sale_id", "line_no")
    assert TABLES["sales"].columns[-1] == "change_minor"
