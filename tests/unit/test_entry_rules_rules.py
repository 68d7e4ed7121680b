"""counter.trust.entry_rules at its edges: what HQ refuses in a pushed entry, with the rule's code
and its exact words, and what it lets through (a sale that adds up, a return that follows
from its sale and from what was returned before). Pure functions on plain bodies: every
amount is in minor units and worked out here."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from counter.trust.entry_rules import (
    MAX_LINES,
    MAX_MINOR,
    MAX_QTY,
    MAX_ROUNDING,
    MAX_TENDERS,
    SLACK,
    BatchRules,
    EntryRefused,
    HeldSale,
    LineLedger,
    Reserved,
    SaleLedger,
    SoldLine,
    body_has_card_data,
    check_people_fields,
    check_return,
    check_sale,
    return_sale_ids,
)

SALE = "5a1e0000-0000-4000-8000-000000000001"
L1 = "11111111-0000-4000-8000-000000000001"
L2 = "22222222-0000-4000-8000-000000000002"
RET = "7e700000-0000-4000-8000-000000000001"


def sale_body(inclusive: bool = False) -> dict[str, Any]:
    """Two lines: 2 × 10.00 less 1.00 and 0.50 off at 8.25 % (tax 1.53), 1 × 5.00 untaxed;
    the total 25.03 is paid 25.00 after a cash rounding of -0.03 (20.00 cash, 5.00 card)."""
    if inclusive:  # the same line with the tax inside its amount
        l1 = {"amount": 1850, "tax": 141, "gross": 1850}
        taxes = [
            {"code": "A", "rate": "0.0825", "base": 1709, "tax": 141},
            {"code": "N", "rate": "0", "base": 500, "tax": 0},
        ]
        total = 2350
        tenders = [{"kind": "cash", "amount": 1850, "tendered": 2000}]
    else:
        l1 = {"amount": 1850, "tax": 153, "gross": 2003}
        taxes = [
            {"code": "A", "rate": "0.0825", "base": 1850, "tax": 153},
            {"code": "N", "rate": "0", "base": 500, "tax": 0},
        ]
        total = 2503
        tenders = [
            {"kind": "cash", "amount": 2000, "tendered": 2000},
            {
                "kind": "card",
                "amount": 500,
                "tendered": 500,
                "card_brand": "Visa",
                "card_last4": "4242",
                "approval_code": "A1",
            },
        ]
    rounding = 0 if inclusive else -3
    if inclusive:
        tenders[0]["amount"] = total
        tenders[0]["tendered"] = total
    return {
        "sale_id": SALE,
        "receipt_number": "S01-T01-000042",
        "store": "S01",
        "cashier": "u-1",
        "currency": "USD",
        "prices_include_tax": inclusive,
        "customer_id": None,
        "exchange_id": None,
        "lines": [
            {
                "line_id": L1,
                "item_id": "item-1",
                "sku": "KET-01",
                "name": "Kettle",
                "qty": 2,
                "unit_price": 1000,
                "line_discount": 100,
                "order_discount": 50,
                **l1,
                "tax_code": "A",
                "tax_rate": "0.0825",
            },
            {
                "line_id": L2,
                "item_id": "item-2",
                "sku": "MUG-01",
                "name": "Mug",
                "qty": 1,
                "unit_price": 500,
                "line_discount": 0,
                "order_discount": 0,
                "amount": 500,
                "tax": 0,
                "gross": 500,
                "tax_code": "N",
                "tax_rate": "0",
            },
        ],
        "taxes": taxes,
        "total": total,
        "rounding": rounding,
        "tenders": tenders,
    }


def held(inclusive: bool = False, store: str = "S01") -> HeldSale:
    l1 = SoldLine(L1, "KET-01", "Kettle", 2, 1850, 141 if inclusive else 153, 1850 if inclusive else 2003)
    return HeldSale(
        SALE,
        "S01-T01-000042",
        store,
        inclusive,
        {L1: l1, L2: SoldLine(L2, "MUG-01", "Mug", 1, 500, 0, 500)},
        (2000, 500),
    )


def return_body(qty: int = 1, amount: int = 925, tax: int = 77, gross: int = 1002, fee: int = 0) -> dict[str, Any]:
    """One of the two kettles back (its share: 925 + 77 = 1002), to the cash that paid."""
    return {
        "return_id": RET,
        "return_number": "S01-T01-R000007",
        "original_sale_id": SALE,
        "original_receipt": "S01-T01-000042",
        "customer_id": None,
        "voucher": None,
        "lines": [
            {
                "sale_line_id": L1,
                "item_id": "item-1",
                "qty": qty,
                "amount": amount,
                "tax": tax,
                "gross": gross,
                "fee": fee,
                "condition": "new",
                "disposition": "restock",
            }
        ],
        "refund_total": gross - fee,
        "fee_total": fee,
        "exchange_credit": 0,
        "refunds": [
            {"kind": "cash", "amount": min(gross - fee, 2000), "reference": None, "original_tender": 1},
            *([{"kind": "card", "amount": gross - fee - 2000, "original_tender": 2}] if gross - fee > 2000 else []),
        ],
    }


def refusal(check: Callable[[], object], seq: int = 7) -> tuple[str, str]:
    """(rule, message) of the refusal ``check`` raises, as BatchRules reports it."""
    with pytest.raises(EntryRefused) as info:
        try:
            check()
        except Exception as exc:  # counter.trust.entry_fields.Broken, turned into what HQ sends
            if type(exc).__name__ != "Broken":
                raise
            raise EntryRefused(seq, exc.rule, exc.message) from None  # type: ignore[attr-defined]
    return info.value.rule, info.value.message.split(": ", 1)[1]


def broken_sale(change: Callable[[dict[str, Any]], object], inclusive: bool = False) -> tuple[str, str]:
    body = sale_body(inclusive)
    change(body)
    return refusal(lambda: check_sale(body, "S01"))


def broken_return(
    change: Callable[[dict[str, Any]], object],
    sale: HeldSale | None = None,
    ledger: SaleLedger | None = None,
    reserved: dict[str, Reserved] | None = None,
    body: dict[str, Any] | None = None,
) -> tuple[str, str]:
    body = body or return_body()
    change(body)
    return refusal(lambda: check_return(body, "S01", held() if sale is None else sale, ledger, reserved))


# ------------------------------------------------------------------------------ sales


def test_a_sale_that_adds_up_is_held_with_its_lines_and_tenders() -> None:
    sold = check_sale(sale_body(), "S01")
    assert sold == held()
    inclusive = check_sale(sale_body(inclusive=True), "S01")
    assert inclusive.prices_include_tax is True and inclusive.tenders == (2350,)
    assert inclusive.lines[L1] == SoldLine(L1, "KET-01", "Kettle", 2, 1850, 141, 1850)


def test_amounts_at_their_limits_are_taken() -> None:
    top = MAX_MINOR - 1  # the largest amount a body may carry
    body = sale_body()
    body["lines"] = [body["lines"][1]]
    body["taxes"] = [body["taxes"][1]]
    body["lines"][0].update(unit_price=top, amount=top, gross=top)
    body["taxes"][0]["base"] = top
    body.update(total=top, rounding=-MAX_ROUNDING)
    body["tenders"] = [{"kind": "card", "amount": top - MAX_ROUNDING, "tendered": top - MAX_ROUNDING}]
    assert check_sale(body, "S01").tenders == (top - MAX_ROUNDING,)
    body["lines"][0].update(qty=MAX_QTY, unit_price=1, amount=MAX_QTY, gross=MAX_QTY)
    body["taxes"][0]["base"] = MAX_QTY
    body.update(total=MAX_QTY, rounding=MAX_ROUNDING)
    body["tenders"] = [{"kind": "cash", "amount": MAX_QTY + MAX_ROUNDING, "tendered": MAX_QTY + MAX_ROUNDING}]
    assert check_sale(body, "S01").lines[L2].quantity == MAX_QTY
    body["tenders"] = [{"kind": "cash", "amount": 1, "tendered": 1}] * (MAX_TENDERS - 1) + [
        {"kind": "cash", "amount": MAX_QTY + MAX_ROUNDING - (MAX_TENDERS - 1), "tendered": top}
    ]
    assert len(check_sale(body, "S01").tenders) == MAX_TENDERS


def set_line(n: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda b: b["lines"][n].update(values)


def set_tender(n: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda b: b["tenders"][n].update(values)


def set_tax(n: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda b: b["taxes"][n].update(values)


@pytest.mark.parametrize(
    ("change", "rule", "message"),
    [
        (lambda b: b.update(store="S02"), "another_store", "the sale names store 'S02', not this lane's store S01"),
        (lambda b: b.pop("store"), "another_store", "the sale names store None, not this lane's store S01"),
        (lambda b: b.update(sale_id=""), "bad_text", "sale_id must be 1..36 characters"),
        (lambda b: b.update(sale_id="x" * 37), "bad_text", "sale_id must be 1..36 characters"),
        (lambda b: b.update(receipt_number="r" * 33), "bad_text", "receipt_number must be 1..32 characters"),
        (lambda b: b.update(receipt_number=42), "bad_text", "receipt_number must be text"),
        (lambda b: b.update(cashier="u\x00"), "bad_text", "cashier holds a NUL character"),
        (lambda b: b.update(cashier="c" * 37), "bad_text", "cashier must be 1..36 characters"),
        (lambda b: b.update(currency="USDX"), "bad_text", "currency must be 1..3 characters"),
        (lambda b: b.update(prices_include_tax=1), "bad_shape", "prices_include_tax must be true or false"),
        (lambda b: b.update(customer_id="c" * 37), "bad_text", "customer_id must be 1..36 characters"),
        (lambda b: b.update(customer_id=""), "bad_text", "customer_id must be 1..36 characters"),
        (lambda b: b.update(exchange_id="e" * 37), "bad_text", "exchange_id must be 1..36 characters"),
        (lambda b: b.update(lines=[]), "bad_shape", f"lines must be a list of 1..{MAX_LINES} items"),
        (lambda b: b.update(lines={}), "bad_shape", f"lines must be a list of 1..{MAX_LINES} items"),
        (
            lambda b: b.update(lines=[b["lines"][0]] * (MAX_LINES + 1)),
            "bad_shape",
            f"lines must be a list of 1..{MAX_LINES} items",
        ),
        (lambda b: b["lines"].append("kettle"), "bad_shape", "line 3 must be an object"),
        (set_line(1, line_id=L1), "duplicate_id", f"line 2 repeats the line id {L1}"),
        (set_line(1, line_id="l" * 37), "bad_text", "line 2 line_id must be 1..36 characters"),
        (set_line(0, item_id="i" * 37), "bad_text", "line 1 item_id must be 1..36 characters"),
        (set_line(0, sku="s" * 49), "bad_text", "line 1 sku must be 1..48 characters"),
        (set_line(0, name="n" * 201), "bad_text", "line 1 name must be 1..200 characters"),
        (set_line(0, qty=0), "out_of_range", f"line 1 qty is outside 1..{MAX_QTY}"),
        (set_line(0, qty=MAX_QTY + 1), "out_of_range", f"line 1 qty is outside 1..{MAX_QTY}"),
        (set_line(0, qty=-1), "negative", "line 1 qty is -1; it may not be negative"),
        (set_line(0, qty=2.0), "bad_number", "line 1 qty must be a whole number of minor units, not float"),
        (set_line(0, qty=True), "bad_number", "line 1 qty must be a whole number of minor units, not bool"),
        (set_line(0, unit_price=-1), "negative", "line 1 unit_price is -1; it may not be negative"),
        (set_line(0, unit_price=MAX_MINOR), "out_of_range", f"line 1 unit_price is outside 0..{MAX_MINOR - 1}"),
        (
            set_line(0, unit_price="1000"),
            "bad_number",
            "line 1 unit_price must be a whole number of minor units, not str",
        ),
        (set_line(0, line_discount=-5), "negative", "line 1 line_discount is -5; it may not be negative"),
        (set_line(0, order_discount=-5), "negative", "line 1 order_discount is -5; it may not be negative"),
        (set_line(0, amount=None), "bad_number", "line 1 amount must be a whole number of minor units, not NoneType"),
        (set_line(0, tax=-1), "negative", "line 1 tax is -1; it may not be negative"),
        (set_line(0, gross=-1), "negative", "line 1 gross is -1; it may not be negative"),
        (set_line(0, tax_code="ABCDE"), "bad_text", "line 1 tax_code must be 1..4 characters"),
        (set_line(0, tax_rate="0.0825" + "0" * 11), "bad_text", "line 1 tax_rate must be 1..16 characters"),
        (set_line(0, tax_rate="eight"), "bad_number", "line 1 tax_rate is not a decimal number"),
        (set_line(0, tax_rate="10"), "out_of_range", "line 1 tax_rate must be a rate from 0 up to 10"),
        (set_line(0, tax_rate="-0.01"), "out_of_range", "line 1 tax_rate must be a rate from 0 up to 10"),
        (set_line(0, tax_rate="NaN"), "out_of_range", "line 1 tax_rate must be a rate from 0 up to 10"),
        (set_line(0, tax_rate="Infinity"), "out_of_range", "line 1 tax_rate must be a rate from 0 up to 10"),
        (
            set_line(0, amount=1851, gross=2004),
            "line_total",
            "line 1: 2 × 1000 less discounts 100 and 50 is not its amount 1851",
        ),
        (set_line(0, gross=2002), "line_total", "line 1: gross 2002 is not its amount + tax (prices exclude tax)"),
        (set_line(0, gross=1850), "line_total", "line 1: gross 1850 is not its amount + tax (prices exclude tax)"),
        (lambda b: b.update(taxes={}), "bad_shape", f"taxes must be a list of 0..{MAX_LINES} items"),
        (lambda b: b["taxes"].append(b["taxes"][0]), "sale_taxes", "tax 3 (code A) is repeated or matches no line"),
        (set_tax(1, code="Z"), "sale_taxes", "tax 2 (code Z) is repeated or matches no line"),
        (set_tax(0, code="TOOLONG"), "bad_text", "tax 1 code must be 1..4 characters"),
        (set_tax(0, rate="x"), "bad_number", "tax 1 rate is not a decimal number"),
        (set_tax(0, base=-1), "negative", "tax 1 base is -1; it may not be negative"),
        (set_tax(0, tax=None), "bad_number", "tax 1 tax must be a whole number of minor units, not NoneType"),
        (set_tax(0, tax=154), "sale_taxes", "tax A: 154 on 1850 does not match its lines (153 on 1850)"),
        (set_tax(0, base=2003), "sale_taxes", "tax A: 153 on 2003 does not match its lines (153 on 1850)"),
        (lambda b: b["taxes"].pop(), "sale_taxes", "the tax summary leaves out the code(s) N"),
        (lambda b: b.update(taxes=[]), "sale_taxes", "the tax summary leaves out the code(s) A, N"),
        (lambda b: b.update(total=2502), "sale_total", "the total 2502 is not the sum of the lines' gross 2503"),
        (lambda b: b.update(total=-1), "negative", "total is -1; it may not be negative"),
        (
            lambda b: b.update(rounding=MAX_ROUNDING + 1),
            "out_of_range",
            f"rounding is outside {-MAX_ROUNDING}..{MAX_ROUNDING}",
        ),
        (
            lambda b: b.update(rounding=-MAX_ROUNDING - 1),
            "out_of_range",
            f"rounding is outside {-MAX_ROUNDING}..{MAX_ROUNDING}",
        ),
        (lambda b: b.update(rounding=0), "settlement", "the tenders pay 2500, the total with rounding is 2503"),
        (lambda b: b.update(tenders=[]), "bad_shape", f"tenders must be a list of 1..{MAX_TENDERS} items"),
        (
            lambda b: b.update(tenders=[{"kind": "cash", "amount": 25, "tendered": 25}] * (MAX_TENDERS + 1)),
            "bad_shape",
            f"tenders must be a list of 1..{MAX_TENDERS} items",
        ),
        (lambda b: b["tenders"].append(3), "bad_shape", "tender 3 must be an object"),
        (set_tender(0, kind="k" * 17), "bad_text", "tender 1 kind must be 1..16 characters"),
        (set_tender(0, amount=-1), "negative", "tender 1 amount is -1; it may not be negative"),
        (set_tender(1, tendered=-1), "negative", "tender 2 tendered is -1; it may not be negative"),
        (set_tender(1, tendered=499), "tenders", "tender 2: 499 handed over is less than the 500 it pays"),
        (set_tender(1, card_brand="b" * 33), "bad_text", "tender 2 card_brand must be 1..32 characters"),
        (set_tender(1, card_last4="424"), "bad_text", "tender 2 card_last4 must be 4 digits"),
        (set_tender(1, card_last4="42a2"), "bad_text", "tender 2 card_last4 must be 4 digits"),
        (set_tender(1, card_last4="４２４２"), "bad_text", "tender 2 card_last4 must be 4 digits"),
        (set_tender(1, card_last4="42424"), "bad_text", "tender 2 card_last4 must be 1..4 characters"),
        (set_tender(1, approval_code="a" * 13), "bad_text", "tender 2 approval_code must be 1..12 characters"),
        (set_tender(1, approval_code=7), "bad_text", "tender 2 approval_code must be text"),
        (set_tender(0, voucher="v" * 17), "bad_text", "tender 1 voucher must be 1..16 characters"),
        (set_tender(0, voucher=""), "bad_text", "tender 1 voucher must be 1..16 characters"),
    ],
)
def test_a_sale_that_does_not_add_up_is_refused_with_its_rule(
    change: Callable[[dict[str, Any]], object], rule: str, message: str
) -> None:
    assert broken_sale(change) == (rule, message)


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert refusal(lambda: check_sale([], "S01")) == ("bad_shape", "the body must be an object")
    assert refusal(lambda: check_return("x", "S01", None, None, None)) == ("bad_shape", "the body must be an object")


@pytest.mark.parametrize(
    ("change", "rule", "message"),
    [
        (set_line(0, gross=1851, tax=141), "line_total", "line 1: gross 1851 is not its amount (prices include tax)"),
        (set_line(0, tax=1851), "line_total", "line 1: gross 1850 is not its amount (prices include tax)"),
        (set_tax(0, base=1850), "sale_taxes", "tax A: 141 on 1850 does not match its lines (141 on 1709)"),
    ],
)
def test_an_inclusive_sale_keeps_its_tax_inside_the_amount(
    change: Callable[[dict[str, Any]], object], rule: str, message: str
) -> None:
    assert broken_sale(change, inclusive=True) == (rule, message)


def test_an_inclusive_line_may_be_all_tax_but_no_more() -> None:
    body = sale_body(inclusive=True)
    body["lines"][1].update(tax=500)  # 500 of tax in a 500 line: odd, but it adds up
    body["taxes"][1].update(tax=500, base=0)
    assert check_sale(body, "S01").lines[L2].tax == 500


def test_optional_texts_may_be_left_out_and_an_approval_code_may_be_empty() -> None:
    body = sale_body()
    body["customer_id"] = "c" * 36
    body["exchange_id"] = "e" * 36
    body["tenders"][1].update(card_brand=None, card_last4=None, approval_code="")
    body["tenders"][0].update(voucher="V" * 16)
    assert check_sale(body, "S01").tenders == (2000, 500)
    for key in ("customer_id", "exchange_id"):
        del body[key]
    assert check_sale(body, "S01").receipt_number == "S01-T01-000042"


# ---------------------------------------------------------------------------- returns


def test_a_return_of_its_share_is_taken_and_advances_the_ledger() -> None:
    ledger = SaleLedger()
    check_return(return_body(), "S01", held(), ledger, None)
    assert ledger.lines == {L1: LineLedger(1, 925, 77, 1002, 1)}
    assert ledger.refunded == {1: 1002}
    # the second kettle: what is left of the line, to the same cash tender
    check_return(return_body(amount=925, tax=76, gross=1001), "S01", held(), ledger, None)
    assert ledger.lines == {L1: LineLedger(2, 1850, 153, 2003, 2)}
    assert ledger.refunded == {1: 2003}


def test_a_return_takes_up_to_its_share_plus_the_slack() -> None:
    # one kettle's share is half of 1850, 153 and 2003, rounded up: 925, 77, 1002
    check_return(return_body(amount=925 + SLACK, tax=77, gross=925 + SLACK + 77), "S01", held(), SaleLedger(), None)
    check_return(return_body(amount=925, tax=77 + SLACK, gross=925 + 77 + SLACK), "S01", held(), SaleLedger(), None)
    assert broken_return(
        lambda b: None, body=return_body(amount=925 + SLACK + 1, tax=77, gross=925 + SLACK + 1 + 77)
    ) == (
        "over_refund",
        "1 of Kettle (KET-01) on receipt S01-T01-000042 refund amount 928; their share of what was paid is 927",
    )
    assert broken_return(
        lambda b: None, body=return_body(amount=925, tax=77 + SLACK + 1, gross=925 + 77 + SLACK + 1)
    ) == (
        "over_refund",
        "1 of Kettle (KET-01) on receipt S01-T01-000042 refund tax 80; their share of what was paid is 79",
    )


def test_a_visit_never_refunds_more_than_the_line() -> None:
    # both kettles: the share of 2 of 2 is the whole line; the slack does not go above it
    check_return(return_body(qty=2, amount=1850, tax=153, gross=2003), "S01", held(), SaleLedger(), None)
    assert broken_return(lambda b: None, body=return_body(qty=2, amount=1851, tax=153, gross=2004)) == (
        "over_refund",
        "2 of Kettle (KET-01) on receipt S01-T01-000042 refund amount 1851; their share of what was paid is 1850",
    )
    assert broken_return(lambda b: None, body=return_body(qty=2, amount=1850, tax=154, gross=2004)) == (
        "over_refund",
        "2 of Kettle (KET-01) on receipt S01-T01-000042 refund tax 154; their share of what was paid is 153",
    )
    inclusive = held(inclusive=True)
    body = return_body(qty=2, amount=1851, tax=141, gross=1851)
    assert broken_return(lambda b: None, sale=inclusive, body=body) == (
        "over_refund",
        "2 of Kettle (KET-01) on receipt S01-T01-000042 refund amount 1851; their share of what was paid is 1850",
    )


def test_gross_over_its_share_is_refused_on_its_own() -> None:
    mug = return_body(qty=1, amount=500, tax=0, gross=500)
    mug["lines"][0]["sale_line_id"] = L2
    check_return(copy.deepcopy(mug), "S01", held(), SaleLedger(), None)
    # an inclusive sale whose lines the checker holds with a smaller gross than the amount
    sale = HeldSale(SALE, "R1", "S01", True, {L2: SoldLine(L2, "MUG-01", "Mug", 1, 500, 0, 499)}, (2000, 500))
    assert broken_return(lambda b: None, sale=sale, body=mug) == (
        "over_refund",
        "1 of Mug (MUG-01) on receipt R1 refund gross 500; their share of what was paid is 499",
    )


def test_returning_more_units_than_sold_in_one_visit_is_refused() -> None:
    assert broken_return(lambda b: None, body=return_body(qty=3, amount=1850, tax=153, gross=2003)) == (
        "over_return",
        "3 of Kettle (KET-01) on receipt S01-T01-000042 returned in one visit; 2 were sold",
    )


def test_the_line_ledger_caps_what_later_visits_refund() -> None:
    # 2 of 2 back in all: at most the line, plus SLACK per visit (here 1850 + 2 × 2)
    def before(amount: int = 925, tax: int = 77, visits: int = 1) -> SaleLedger:
        return SaleLedger({L1: LineLedger(1, amount, tax, amount + tax, visits)})

    check_return(return_body(amount=926, tax=76, gross=1002), "S01", held(), before(amount=928), None)
    assert broken_return(
        lambda b: None, ledger=before(amount=928), body=return_body(amount=927, tax=76, gross=1003)
    ) == (
        "over_refund",
        "Kettle (KET-01) on receipt S01-T01-000042: 2 of 2 back would have refunded amount 1855; "
        "their share of what was paid is 1850",
    )
    check_return(return_body(amount=925, tax=77, gross=1002), "S01", held(), before(tax=80), None)
    rule, message = broken_return(
        lambda b: None, ledger=before(tax=80), body=return_body(amount=925, tax=78, gross=1003)
    )
    assert message.endswith("2 of 2 back would have refunded tax 158; their share of what was paid is 153")
    # no visit before (a ledger HQ rebuilt): the slack counts once
    check_return(return_body(amount=926, tax=76, gross=1002), "S01", held(), before(amount=926, visits=0), None)
    rule, message = broken_return(
        lambda b: None, ledger=before(amount=926, visits=0), body=return_body(amount=927, tax=76, gross=1003)
    )
    assert message.endswith("would have refunded amount 1853; their share of what was paid is 1850")
    # gross alone over the share: an inclusive sale held with a gross below its amount
    sale = HeldSale(SALE, "R1", "S01", True, {L1: SoldLine(L1, "KET-01", "Kettle", 2, 1850, 0, 1800)}, (2000, 500))
    ledger = SaleLedger({L1: LineLedger(1, 903, 0, 903, 1)})
    rule, message = broken_return(
        lambda b: None, sale=sale, ledger=ledger, body=return_body(amount=902, tax=0, gross=902)
    )
    assert message == (
        "Kettle (KET-01) on receipt R1: 2 of 2 back would have refunded gross 1805; "
        "their share of what was paid is 1800"
    )


def test_an_over_return_across_lanes_is_kept_not_refused() -> None:
    # another lane already returned both kettles: this one is an over-return, kept and reported
    ledger = SaleLedger({L1: LineLedger(2, 1850, 153, 2003, 1)}, {1: 1000})
    check_return(return_body(), "S01", held(), ledger, None)
    assert ledger.lines[L1] == LineLedger(3, 2775, 230, 3005, 2)


def test_a_return_held_against_what_hq_reserved() -> None:
    exact = {L1: Reserved(1, 925, 77, 1002)}
    check_return(return_body(), "S01", held(), SaleLedger(), exact)
    words = "Kettle (KET-01) on receipt S01-T01-000042: the return takes more than HQ reserved for it"
    for reserved in (
        {L1: Reserved(0, 925, 77, 1002)},
        {L1: Reserved(1, 925, 77, 1001)},
        {L2: Reserved(1, 500, 0, 500)},
    ):
        assert broken_return(lambda b: None, reserved=reserved) == ("not_reserved", words)


def set_rline(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda b: b["lines"][0].update(values)


def set_refund(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda b: b["refunds"][0].update(values)


@pytest.mark.parametrize(
    ("change", "rule", "message"),
    [
        (lambda b: b.update(return_id="r" * 37), "bad_text", "return_id must be 1..36 characters"),
        (lambda b: b.update(return_number="n" * 33), "bad_text", "return_number must be 1..32 characters"),
        (lambda b: b.update(original_sale_id=""), "bad_text", "original_sale_id must be 1..36 characters"),
        (lambda b: b.update(original_receipt="r" * 33), "bad_text", "original_receipt must be 1..32 characters"),
        (lambda b: b.update(customer_id="c" * 37), "bad_text", "customer_id must be 1..36 characters"),
        (lambda b: b.update(voucher="v" * 17), "bad_text", "voucher must be 1..16 characters"),
        (lambda b: b.update(lines=[]), "bad_shape", f"lines must be a list of 1..{MAX_LINES} items"),
        (lambda b: b["lines"].append(None), "bad_shape", "line 2 must be an object"),
        (set_rline(sale_line_id="l" * 37), "bad_text", "line 1 sale_line_id must be 1..36 characters"),
        (set_rline(item_id=None), "bad_text", "line 1 item_id must be text"),
        (set_rline(qty=0), "out_of_range", f"line 1 qty is outside 1..{MAX_QTY}"),
        (set_rline(amount=-1), "negative", "line 1 amount is -1; it may not be negative"),
        (set_rline(tax=-1), "negative", "line 1 tax is -1; it may not be negative"),
        (set_rline(gross=-1), "negative", "line 1 gross is -1; it may not be negative"),
        (set_rline(fee=-1), "negative", "line 1 fee is -1; it may not be negative"),
        (set_rline(fee=1003), "return_line", "line 1: the fee 1003 is larger than the refund 1002"),
        (set_rline(gross=1001), "return_line", "line 1: gross 1001 does not follow from amount 925 and tax 77"),
        (set_rline(sale_line_id="nope"), "unknown_line", "sale line nope is not on receipt S01-T01-000042"),
        (
            lambda b: b.update(refund_total=1001),
            "refund_total",
            "refund_total 1001 is not the lines' refunds less fees (1002)",
        ),
        (lambda b: b.update(refund_total=-1), "negative", "refund_total is -1; it may not be negative"),
        (lambda b: b.update(fee_total=1), "refund_total", "fee_total is not the sum of the lines' fees (0)"),
        (lambda b: b.update(exchange_credit=-1), "negative", "exchange_credit is -1; it may not be negative"),
        (lambda b: b.update(refunds={}), "bad_shape", f"refunds must be a list of 0..{MAX_TENDERS} items"),
        (lambda b: b["refunds"].append([]), "bad_shape", "refund 2 must be an object"),
        (set_refund(kind=None), "bad_text", "refund 1 kind must be text"),
        (set_refund(amount=-1), "negative", "refund 1 amount is -1; it may not be negative"),
        (set_refund(reference="r" * 65), "bad_text", "refund 1 reference must be 1..64 characters"),
        (set_refund(original_tender=0), "out_of_range", f"refund 1 original_tender is outside 1..{MAX_TENDERS}"),
        (set_refund(original_tender=3), "refunds", "refund 1 names tender 3; the sale has 2"),
        (set_refund(original_tender=2), "refunds", "tender 2 is refunded 1002, more than the 500 it paid"),
        (
            lambda b: b.update(exchange_credit=1),
            "refunds",
            "the refunds (1002) and exchange credit (1) do not make refund_total 1002",
        ),
    ],
)
def test_a_return_that_does_not_follow_is_refused_with_its_rule(
    change: Callable[[dict[str, Any]], object], rule: str, message: str
) -> None:
    assert broken_return(change) == (rule, message)


def test_refunds_to_one_tender_add_up_across_the_visit() -> None:
    body = return_body()
    body["refunds"] = [
        {"kind": "card", "amount": 500, "original_tender": 2},
        {"kind": "card", "amount": 1, "original_tender": 2},
        {"kind": "cash", "amount": 501, "original_tender": 1},
    ]
    assert broken_return(lambda b: None, body=copy.deepcopy(body)) == (
        "refunds",
        "tender 2 is refunded 501, more than the 500 it paid",
    )
    body["refunds"] = [
        {"kind": "card", "amount": 500, "original_tender": 2},
        {"kind": "cash", "amount": 502, "original_tender": 1},
    ]
    ledger = SaleLedger(refunded={2: 7})
    check_return(body, "S01", held(), ledger, None)
    assert ledger.refunded == {2: 507, 1: 502}


def test_a_fee_is_kept_from_the_refund_and_an_exchange_credit_counts() -> None:
    body = return_body(fee=100)  # refund_total 902, fee_total 100
    body["refunds"] = [{"kind": "cash", "amount": 802, "original_tender": 1}]
    body["exchange_credit"] = 100
    ledger = SaleLedger()
    check_return(body, "S01", held(), ledger, None)
    assert ledger.lines[L1].gross == 1002  # the ledger keeps what the line gave back, fee included
    body["fee_total"] = 0
    assert broken_return(lambda b: None, body=body) == (
        "refund_total",
        "fee_total is not the sum of the lines' fees (100)",
    )
    exact = return_body(fee=1002)
    exact["refunds"] = []
    check_return(exact, "S01", held(), SaleLedger(), None)


def test_a_return_without_its_sale_is_checked_on_its_own() -> None:
    # HQ does not hold the sale yet: the lines are checked by themselves, the ledger untouched
    body = return_body(amount=5000, tax=413, gross=5413)
    body["refunds"][0]["original_tender"] = 9
    check_return(body, "S01", None, None, None)
    # a line with gross == amount is read as prices including tax
    inclusive = return_body(amount=1000, tax=76, gross=1000)
    check_return(inclusive, "S01", None, None, None)
    tax_over = return_body(amount=100, tax=101, gross=100)
    assert refusal(lambda: check_return(tax_over, "S01", None, None, None)) == (
        "return_line",
        "line 1: gross 100 does not follow from amount 100 and tax 101",
    )


def test_a_return_without_receipt_names_no_sale_line_and_no_tender() -> None:
    body = return_body()
    body["original_sale_id"] = None
    body["original_receipt"] = None
    assert refusal(lambda: check_return(copy.deepcopy(body), "S01", None, None, None)) == (
        "unknown_line",
        "line 1 names a sale line but the return names no sale",
    )
    body["lines"][0]["sale_line_id"] = None
    assert refusal(lambda: check_return(copy.deepcopy(body), "S01", None, None, None)) == (
        "refunds",
        "refund 1 names an original tender but the return names no sale",
    )
    body["refunds"][0]["original_tender"] = None
    check_return(body, "S01", None, None, None)


def test_a_return_of_another_stores_sale_is_refused() -> None:
    assert broken_return(lambda b: None, sale=held(store="S02")) == (
        "another_store",
        "the return names a sale of store S02; a lane returns its own store's sales",
    )


# ------------------------------------------------------------------ people and payments


@pytest.mark.parametrize(
    ("kind", "body", "rule", "message"),
    [
        ("CustomerCreated", {"customer_id": None}, "bad_text", "customer_id must be text"),
        ("CustomerCreated", {"customer_id": "c", "user": "u" * 37}, "bad_text", "user must be 1..36 characters"),
        ("BillAdjusted", {"customer_id": "c" * 37}, "bad_text", "customer_id must be 1..36 characters"),
        ("BillAdjusted", {"number": "n" * 33, "adjustment_id": "a"}, "bad_text", "number must be 1..32 characters"),
        (
            "BillAdjusted",
            {"number": "A1", "adjustment_id": "a" * 37},
            "bad_text",
            "adjustment_id must be 1..36 characters",
        ),
        (
            "BillAdjusted",
            {"number": "A1", "adjustment_id": "a", "voucher": "v" * 17},
            "bad_text",
            "voucher must be 1..16 characters",
        ),
        (
            "BillAdjusted",
            {"number": "A1", "adjustment_id": "a", "refunds": {}},
            "bad_shape",
            f"refunds must be a list of 0..{MAX_TENDERS} items",
        ),
        (
            "BillAdjusted",
            {"number": "A1", "adjustment_id": "a", "refunds": [1]},
            "bad_shape",
            "refund 1 must be an object",
        ),
        (
            "BillAdjusted",
            {"number": "A1", "adjustment_id": "a", "refunds": [{"amount": -MAX_MINOR}]},
            "out_of_range",
            f"refund 1 amount is outside {-(MAX_MINOR - 1)}..{MAX_MINOR - 1}",
        ),
        ("OrderCancelled", {"number": "n" * 33, "order_id": "o"}, "bad_text", "number must be 1..32 characters"),
        ("OrderCancelled", {"number": "O1", "order_id": "o" * 37}, "bad_text", "order_id must be 1..36 characters"),
        ("OrderCancelled", {"number": "O1", "order_id": "o", "refund": [1]}, "bad_shape", "refund must be an object"),
        (
            "OrderCancelled",
            {"number": "O1", "order_id": "o", "refund": {"tenders": [1]}},
            "bad_shape",
            "refund tender 1 must be an object",
        ),
        (
            "OrderCancelled",
            {"number": "O1", "order_id": "o", "refund": {"tenders": {}}},
            "bad_shape",
            f"refund tenders must be a list of 0..{MAX_TENDERS} items",
        ),
        (
            "OrderCancelled",
            {"number": "O1", "order_id": "o", "refund": {"tenders": [{"amount": "1"}]}},
            "bad_number",
            "refund tender 1 amount must be a whole number of minor units, not str",
        ),
        (
            "OrderCancelled",
            {"number": "O1", "order_id": "o", "refund": {"tenders": [{"amount": -1, "reference": "r" * 65}]}},
            "bad_text",
            "refund tender 1 reference must be 1..64 characters",
        ),
        ("OrderOpened", {"deposit": {"payment_id": "p" * 37}}, "bad_text", "payment_id must be 1..36 characters"),
        (
            "OrderOpened",
            {"deposit": {"payment_id": "p", "number": "n" * 33}},
            "bad_text",
            "payment number must be 1..32 characters",
        ),
        (
            "AccountPaymentTaken",
            {"payment_id": "p", "payment_number": "n" * 33},
            "bad_text",
            "payment number must be 1..32 characters",
        ),
        (
            "OrderPaymentTaken",
            {"payment": {"tenders": [{"kind": "store_credit", "voucher": "v" * 17, "amount": 1}]}},
            "bad_text",
            "voucher must be 1..16 characters",
        ),
        (
            "OrderPaymentTaken",
            {"payment": {"tenders": [{"kind": "store_credit", "voucher": "V1", "amount": 1.5}]}},
            "bad_number",
            "store-credit amount must be a whole number of minor units, not float",
        ),
        ("OrderPickedUp", "x", "bad_shape", "the body must be an object"),
    ],
)
def test_the_people_fields_are_checked(kind: str, body: Any, rule: str, message: str) -> None:
    assert refusal(lambda: check_people_fields(kind, body)) == (rule, message)


def test_the_people_fields_that_are_right_pass() -> None:
    check_people_fields("CustomerCreated", {"customer_id": "c" * 36})
    check_people_fields("CustomerCreated", {"customer_id": "c", "user": ""})
    check_people_fields(
        "BillAdjusted",
        {
            "number": "A1",
            "adjustment_id": "a",
            "refunds": [{"amount": -(MAX_MINOR - 1)}],
            "desk_payment": {"payment_id": "p", "number": ""},
        },
    )
    check_people_fields("OrderCancelled", {"number": "O1", "order_id": "o", "refund": None})
    check_people_fields(
        "OrderCancelled",
        {"number": "O1", "order_id": "o", "refund": {"tenders": [{"amount": -5, "reference": ""}]}},
    )
    # a store-credit tender without a voucher, and other kinds, carry no voucher to check
    check_people_fields(
        "OrderPaymentTaken", {"payment": {"tenders": [{"kind": "store_credit", "voucher": "", "amount": "x"}]}}
    )
    check_people_fields("OrderPaymentTaken", {"payment": {"tenders": [{"kind": "cash", "voucher": "v" * 40}]}})
    check_people_fields("OrderPaymentTaken", {"payment": {"tenders": [{"kind": "store_credit", "voucher": "V"}]}})


def nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"payment_id": "p" * 37}
    for _ in range(depth):
        node = {"x": node}
    return node


def test_payments_are_found_however_deep_up_to_a_limit() -> None:
    # 32 levels down is still looked at; one more is too deep
    assert refusal(lambda: check_people_fields("OrderPickedUp", nested(32))) == (
        "bad_text",
        "payment_id must be 1..36 characters",
    )
    assert refusal(lambda: check_people_fields("OrderPickedUp", nested(33))) == (
        "bad_shape",
        "the body is nested too deeply",
    )
    in_list: dict[str, Any] = {"x": [[{"payment_id": ""}]]}
    assert refusal(lambda: check_people_fields("OrderPickedUp", in_list)) == (
        "bad_text",
        "payment_id must be 1..36 characters",
    )


# ------------------------------------------------------------------------------ batch


def raw(body: Any) -> str:
    return json.dumps(body)


def test_a_batch_knows_its_own_sales_for_the_returns_after_them() -> None:
    rules = BatchRules("S01")
    sale = sale_body()
    rules.check(1, "SaleCompleted", raw(sale), sale)
    assert rules.ledgers[SALE] == SaleLedger()
    # one kettle back with 79 of tax: within a visit's share (77) plus the slack (2)
    ret = return_body(amount=925, tax=79, gross=1004)
    rules.check(2, "ReturnProcessed", raw(ret), ret)
    assert rules.ledgers[SALE].lines[L1] == LineLedger(1, 925, 79, 1004, 1)
    again = return_body(amount=925, tax=79, gross=1004)
    again["return_id"] = "another"
    with pytest.raises(EntryRefused) as info:
        rules.check(3, "ReturnProcessed", raw(again), again)
    assert (info.value.seq, info.value.rule) == (3, "over_refund")
    assert info.value.message == (
        "Entry 3 breaks the rule 'over_refund': Kettle (KET-01) on receipt S01-T01-000042: 2 of 2 back "
        "would have refunded tax 158; their share of what was paid is 153"
    )
    assert str(info.value) == (
        "Entry 3: Kettle (KET-01) on receipt S01-T01-000042: 2 of 2 back "
        "would have refunded tax 158; their share of what was paid is 153"
    )


def test_a_batch_refuses_an_id_twice() -> None:
    rules = BatchRules("S01")
    sale = sale_body()
    rules.check(1, "SaleCompleted", raw(sale), sale)
    with pytest.raises(EntryRefused) as info:
        rules.check(2, "SaleCompleted", raw(sale), sale)
    assert info.value.rule == "duplicate_id"
    assert info.value.message == f"Entry 2 breaks the rule 'duplicate_id': sale {SALE} appears twice in this batch"
    other = sale_body()
    other["sale_id"] = "other"
    with pytest.raises(EntryRefused, match="receipt S01-T01-000042 appears twice in this batch"):
        rules.check(3, "SaleCompleted", raw(other), other)
    rules2 = BatchRules("S01")
    ret = return_body()
    rules2.check(1, "ReturnProcessed", raw(ret), ret)
    with pytest.raises(EntryRefused, match=f"return {RET} appears twice in this batch"):
        rules2.check(2, "ReturnProcessed", raw(ret), ret)


def test_a_batch_uses_what_hq_holds_and_reserved() -> None:
    ledger = SaleLedger({L1: LineLedger(1, 925, 77, 1002, 1)})
    ret = return_body()
    ret["hq_reserved"] = True
    rules = BatchRules("S01", {SALE: held()}, {SALE: ledger}, {RET: {L1: Reserved(1, 925, 77, 1001)}})
    with pytest.raises(EntryRefused) as info:
        rules.check(5, "ReturnProcessed", raw(ret), ret)
    assert info.value.rule == "not_reserved"
    ret["hq_reserved"] = False  # HQ did not reserve it: the reservation is not asked for
    rules.check(6, "ReturnProcessed", raw(ret), ret)
    assert ledger.lines[L1] == LineLedger(2, 1850, 154, 2004, 2)  # HQ's own ledger, advanced
    over = return_body()
    over["return_id"] = "third"
    rules.check(7, "ReturnProcessed", raw(over), over)  # a third kettle of two: kept, not refused
    assert rules.ledgers[SALE].lines[L1].quantity == 3


def test_a_batch_refuses_card_numbers_and_checks_people_events() -> None:
    rules = BatchRules("S01")
    note = {"note": "card 4111 1111 1111 1111"}
    with pytest.raises(EntryRefused) as info:
        rules.check(4, "NoteTaken", raw(note), note)
    assert info.value.message == "Entry 4 breaks the rule 'card_data': it holds what looks like a payment card number"
    rules.check(5, "NoteTaken", raw({"note": "call back"}), {"note": "call back"})
    bad = {"customer_id": None}
    with pytest.raises(EntryRefused, match="customer_id must be text"):
        rules.check(6, "CustomerCreated", raw(bad), bad)
    rules.check(7, "SomethingElse", raw(bad), bad)  # other events carry no people fields


def test_a_body_nested_too_deeply_for_python_is_refused() -> None:
    deep: Any = {}
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(EntryRefused) as info:
        BatchRules("S01").check(9, "NoteTaken", "\\", deep)  # an escape: every string is looked at
    assert (info.value.rule, info.value.message) == (
        "bad_shape",
        "Entry 9 breaks the rule 'bad_shape': the body is nested too deeply",
    )


def test_card_data_is_looked_for_in_the_body_when_its_text_may_hide_it() -> None:
    card = {"a": "4111111111111111"}
    assert body_has_card_data(raw(card), card)
    # an escape in the text (\u0031 for "1") may hide a number: the strings are looked at
    assert body_has_card_data('{"a": "\\u0034111111111111111"}', card)
    # text with neither an escape nor a card number: the body's strings are not searched
    assert not body_has_card_data('{"a": "x"}', card)
    assert not body_has_card_data(raw({"a": "no card"}), {"a": "no card"})
    assert not body_has_card_data('{"a": "\\"x"}', {"a": "x"})


def test_the_sale_ids_a_batch_returns_name() -> None:
    kinds = ["ReturnProcessed", "SaleCompleted", "ReturnProcessed", "ReturnProcessed", "ReturnProcessed"]
    bodies: list[Any] = [
        {"original_sale_id": "s1"},
        {"original_sale_id": "s2"},
        {"original_sale_id": None},
        "not a body",
        {"original_sale_id": "s3"},
    ]
    assert return_sale_ids(kinds, bodies) == {"s1", "s3"}
    with pytest.raises(ValueError):
        return_sale_ids(kinds, bodies[:-1])


# ------------------------------------------------------- what the mutation run showed


def test_a_text_at_its_longest_that_holds_a_nul_is_named_for_the_nul() -> None:
    assert broken_sale(lambda b: b.update(cashier="u" * 35 + "\x00")) == ("bad_text", "cashier holds a NUL character")


def test_lines_of_one_tax_code_add_up_in_its_summary() -> None:
    body = sale_body()
    mug2 = dict(body["lines"][1], line_id="33333333-0000-4000-8000-000000000003", tax_code="A", tax_rate="0.0825")
    mug2.update(tax=41, gross=541)
    body["lines"].append(mug2)
    body["taxes"][0].update(base=2350, tax=194)  # 1850 + 500 at A: 153 + 41
    body.update(total=3044)
    body["tenders"][0].update(amount=2541, tendered=2541)
    assert check_sale(body, "S01").tenders == (2541, 500)
    body["taxes"][0].update(base=1850, tax=153)  # the summary of the first line only
    assert refusal(lambda: check_sale(body, "S01")) == (
        "sale_taxes",
        "tax A: 153 on 1850 does not match its lines (194 on 2350)",
    )


def test_a_tax_summary_entry_must_be_an_object() -> None:
    assert broken_sale(lambda b: b["taxes"].append(5)) == ("bad_shape", "tax 3 must be an object")


@pytest.mark.parametrize(
    ("change", "rule", "message"),
    [
        (set_rline(item_id="i" * 37), "bad_text", "line 1 item_id must be 1..36 characters"),
        (set_refund(kind="k" * 17), "bad_text", "refund 1 kind must be 1..16 characters"),
        (lambda b: b.update(fee_total=-1), "negative", "fee_total is -1; it may not be negative"),
        # an exclusive sale: a line whose gross is its amount leaves its tax out
        (
            set_rline(gross=925, amount=925, tax=77),
            "return_line",
            "line 1: gross 925 does not follow from amount 925 and tax 77",
        ),
    ],
)
def test_more_of_a_return_that_is_refused(change: Callable[[dict[str, Any]], object], rule: str, message: str) -> None:
    assert broken_return(change) == (rule, message)


def test_fees_credits_and_refunds_may_be_left_out_when_there_are_none() -> None:
    body = return_body()
    for key in ("fee_total", "exchange_credit"):
        del body[key]
    del body["lines"][0]["fee"]
    ledger = SaleLedger()
    check_return(copy.deepcopy(body), "S01", held(), ledger, None)
    assert ledger.lines[L1] == LineLedger(1, 925, 77, 1002, 1)
    body["exchange_credit"] = 1002  # all of it towards the new items: no refund list at all
    del body["refunds"]
    check_return(body, "S01", held(), SaleLedger(), None)
    body["refund_total"] = 1001
    assert refusal(lambda: check_return(body, "S01", held(), SaleLedger(), None)) == (
        "refund_total",
        "refund_total 1001 is not the lines' refunds less fees (1002)",
    )


def test_a_line_may_be_all_tax() -> None:
    body = return_body(amount=5, tax=5, gross=5)
    body["lines"][0]["sale_line_id"] = None
    body["refunds"][0]["original_tender"] = None
    check_return(body, "S01", None, None, None)


def test_a_return_of_several_lines_adds_them_all_up() -> None:
    body = return_body(fee=100)
    kept = {"condition": "opened", "disposition": "open_box"}
    mug = {"sale_line_id": L2, "item_id": "item-2", "qty": 1, "amount": 500, "tax": 0, "gross": 500, "fee": 50, **kept}
    loose = {"sale_line_id": None, "item_id": "item-9", "qty": 1, "amount": 300, "tax": 25, "gross": 325, **kept}
    body["lines"] = [loose, *body["lines"], mug]
    body.update(refund_total=902 + 450 + 325, fee_total=150)
    body["refunds"] = [{"kind": "cash", "amount": 1677, "original_tender": 1}]
    ledger = SaleLedger()
    check_return(body, "S01", held(), ledger, None)
    assert ledger.lines == {L1: LineLedger(1, 925, 77, 1002, 1), L2: LineLedger(1, 500, 0, 500, 1)}


def test_two_lines_of_one_sale_line_count_together_in_a_visit() -> None:
    body = return_body()
    body["lines"].append(dict(body["lines"][0]))
    body["refund_total"] = 2004
    body["refunds"] = [
        {"kind": "cash", "amount": 2000, "original_tender": 1},
        {"kind": "card", "amount": 4, "original_tender": 2},
    ]
    # both lines take one kettle's share: together 154 of tax, more than the line's 153
    assert refusal(lambda: check_return(copy.deepcopy(body), "S01", held(), SaleLedger(), None)) == (
        "over_refund",
        "2 of Kettle (KET-01) on receipt S01-T01-000042 refund tax 154; their share of what was paid is 153",
    )
    fair = return_body(amount=462, tax=38, gross=500)
    fair["lines"].append(dict(fair["lines"][0]))
    fair["refund_total"] = 1000
    fair["refunds"] = [{"kind": "cash", "amount": 1000, "original_tender": 1}]
    ledger = SaleLedger()
    check_return(fair, "S01", held(), ledger, None)
    assert ledger.lines[L1] == LineLedger(2, 924, 76, 1000, 1)  # one visit, two units


def test_refunds_without_a_tender_do_not_stop_the_ones_after_them() -> None:
    body = return_body()
    body["refunds"] = [
        {"kind": "store_credit", "amount": 2, "reference": "", "original_tender": None},
        {"kind": "cash", "amount": 1000, "reference": None, "original_tender": 1},
    ]
    ledger = SaleLedger()
    check_return(body, "S01", held(), ledger, None)
    assert ledger.refunded == {1: 1000}


def test_more_people_fields() -> None:
    assert refusal(lambda: check_people_fields("CustomerCreated", {"customer_id": "c" * 37})) == (
        "bad_text",
        "customer_id must be 1..36 characters",
    )
    check_people_fields("BillAdjusted", {"number": "A1", "adjustment_id": "a"})  # no refunds listed
    check_people_fields("OrderCancelled", {"number": "O1", "order_id": "o", "refund": {"purpose": "order_refund"}})
    top = MAX_MINOR - 1
    check_people_fields(
        "OrderCancelled",
        {"number": "O1", "order_id": "o", "refund": {"tenders": [{"amount": -top, "reference": None}]}},
    )
    assert refusal(
        lambda: check_people_fields(
            "OrderCancelled", {"number": "O1", "order_id": "o", "refund": {"tenders": [{"amount": -top - 1}]}}
        )
    ) == ("out_of_range", f"refund tender 1 amount is outside {-top}..{top}")
    assert refusal(
        lambda: check_people_fields(
            "OrderCancelled",
            {"number": "O1", "order_id": "o", "refund": {"tenders": [{"amount": -top, "reference": 5}]}},
        )
    ) == ("bad_text", "refund tender 1 reference must be text")
    # a store-credit refund is negative, down to the limit
    credit = {"kind": "store_credit", "voucher": "SC-1", "amount": -top}
    check_people_fields("OrderPaymentTaken", {"payment": {"tenders": [credit]}})
    credit["amount"] = -top - 1
    assert refusal(lambda: check_people_fields("OrderPaymentTaken", {"payment": {"tenders": [credit]}})) == (
        "out_of_range",
        f"store-credit amount is outside {-top}..{top}",
    )


def in_lists(depth: int) -> dict[str, Any]:
    node: Any = {"payment_id": "p" * 37}
    for _ in range(depth - 1):
        node = [node]
    return {"x": node}


def test_payments_inside_lists_are_found_up_to_the_same_depth() -> None:
    assert refusal(lambda: check_people_fields("OrderPickedUp", in_lists(32))) == (
        "bad_text",
        "payment_id must be 1..36 characters",
    )
    assert refusal(lambda: check_people_fields("OrderPickedUp", in_lists(33))) == (
        "bad_shape",
        "the body is nested too deeply",
    )


def test_a_batch_refuses_a_sale_line_id_twice() -> None:
    rules = BatchRules("S01")
    first = sale_body()
    rules.check(1, "SaleCompleted", raw(first), first)
    second = sale_body()
    second.update(sale_id="another-sale", receipt_number="S01-T01-000043")
    with pytest.raises(EntryRefused) as info:
        rules.check(2, "SaleCompleted", raw(second), second)
    assert info.value.message == f"Entry 2 breaks the rule 'duplicate_id': line {L1} appears twice in this batch"


def test_a_batch_return_that_is_not_an_object_or_names_no_text_sale() -> None:
    rules = BatchRules("S01", {SALE: held()})
    with pytest.raises(EntryRefused) as info:
        rules.check(3, "ReturnProcessed", "[]", [])
    assert info.value.message == "Entry 3 breaks the rule 'bad_shape': the body must be an object"
    odd = return_body()
    odd["original_sale_id"] = [SALE]
    with pytest.raises(EntryRefused) as info:
        rules.check(4, "ReturnProcessed", raw(odd), odd)
    assert info.value.message == "Entry 4 breaks the rule 'bad_text': original_sale_id must be text"


def test_a_batch_starts_a_ledger_for_a_held_sale_with_no_returns_yet() -> None:
    rules = BatchRules("S01", {SALE: held()})
    ret = return_body(amount=925, tax=79, gross=1004)
    rules.check(1, "ReturnProcessed", raw(ret), ret)
    assert rules.ledgers[SALE].lines[L1] == LineLedger(1, 925, 79, 1004, 1)
    again = return_body(amount=925, tax=79, gross=1004)
    again["return_id"] = "another"
    with pytest.raises(EntryRefused, match="would have refunded tax 158"):
        rules.check(2, "ReturnProcessed", raw(again), again)


@pytest.mark.parametrize(
    ("condition", "disposition", "refused"),
    [
        ("new", "restock", None),
        ("new", "scrap", None),
        ("opened", "open_box", None),
        ("damaged", "scrap", None),
        ("damaged", "damaged", None),  # what lanes recorded for a damaged unit before "scrap"
        ("defective", "return_to_vendor", None),
        ("defective", "scrap", None),
        ("defective", "restock", "line 1: a defective unit cannot go to restock"),
        ("damaged", "restock", "line 1: a damaged unit cannot go to restock"),
        ("opened", "restock", "line 1: an opened unit cannot go to restock"),
        ("defective", "damaged", "line 1: a defective unit cannot go to damaged"),
        ("broken", "scrap", "line 1: condition 'broken' or disposition 'scrap' is not one Counter knows"),
        ("new", "shelf", "line 1: condition 'new' or disposition 'shelf' is not one Counter knows"),
        (None, None, "line 1: condition None or disposition None is not one Counter knows"),
    ],
)
def test_a_returned_unit_goes_only_where_its_condition_allows(
    condition: str | None, disposition: str | None, refused: str | None
) -> None:
    def change(body: dict[str, Any]) -> None:
        body["lines"][0] |= {"condition": condition, "disposition": disposition}

    if refused is None:
        body = return_body()
        change(body)
        check_return(body, "S01", held(), SaleLedger(), None)
    else:
        assert broken_return(change) == ("return_line", refused)
