"""counter.trust.void_rules through BatchRules, as HQ runs them on a push: a part payment
and a void that gave payments back as the lane writes them pass; each broken rule is refused
with its code and words; a void before payment (the older shape) passes as it always did."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from counter.trust.entry_rules import BatchRules, EntryRefused
from tests.unit.test_entry_rules_rules import SALE, sale_body

CARD = {"card_brand": "Visa", "card_last4": "4242", "approval_code": "A1B2C3"}
NONE = {"card_brand": None, "card_last4": None, "approval_code": None}
TAKES = "a part payment takes more than 0 and gives no change"
WHOLE = "must be a whole number of minor units"
CARD_NEEDS = "a card needs its last 4 digits and approval code"
LOOKS_LIKE_A_CARD = "what looks like a payment card number"


def part(**tender: Any) -> dict[str, Any]:
    return {
        "sale_id": SALE,
        "seq": 1,
        "user": "u-1",
        "currency": "USD",
        "total": 2503,
        "tender": {"kind": "cash", "amount": 500, "tendered": 500, **NONE, **tender},
    }


def voided() -> dict[str, Any]:
    return {
        "user": "u-3",
        "lines": 2,
        "total": 2503,
        "sale_id": SALE,
        "void_number": "S01-T01-V000001",
        "part_payments": 2,
        "given_back": [
            {"seq": 1, "kind": "cash", "amount": 500, "tendered": 500, **NONE},
            {"seq": 2, "kind": "card", "amount": 2000, "tendered": 2000, **CARD},
            {"seq": 3, "kind": "store_credit", "amount": 3, "tendered": 3, **NONE, "voucher": "SC7K2M9Q4XY"},
        ],
        "request_id": "r-1",
        "approved_by": "u-3",
    }


def check(kind: str, body: Any) -> tuple[str, str] | None:
    try:
        BatchRules("S01").check(7, kind, json.dumps(body), body)
    except EntryRefused as exc:
        return exc.rule, exc.message.split(": ", 1)[1]
    return None


def test_what_a_lane_writes_passes() -> None:
    assert check("PartPaymentTaken", part()) is None
    assert check("PartPaymentTaken", part(kind="card", amount=2000, tendered=2000, **CARD)) is None
    assert check("PartPaymentTaken", part(kind="store_credit", voucher="SC7K2M9Q4XY")) is None
    assert check("SaleVoided", voided()) is None
    assert check("SaleVoided", {"user": "u-1", "lines": 2, "total": 2503}) is None  # before any payment
    completed = sale_body()
    completed["part_payments"] = 1
    assert check("SaleCompleted", completed) is None


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        node: Any = body
        for key in path[:-1]:
            node = node[key]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "rule", "message"),
    [
        (_set(("tender", "amount"), 0), "part_payment", f"{TAKES}, not 0"),
        (_set(("tender", "tendered"), 900), "part_payment", f"{TAKES}, not 500"),
        (_set(("tender", "kind"), "deposit"), "part_payment", "a deposit tender is not taken as a part payment"),
        (_set(("total",), 400), "part_payment", "the part payment 500 is more than the sale's total 400"),
        (_set(("seq",), 0), "out_of_range", "seq is outside 1..100"),
        (_set(("sale_id",), None), "bad_text", "sale_id must be text"),
        (_set(("tender", "kind"), "card"), "tenders", "the tender: a card needs its last 4 digits and approval code"),
        (_set(("tender", "kind"), "store_credit"), "tenders", "the tender: store credit needs its voucher"),
        (_set(("tender", "card_last4"), "42x2"), "bad_text", "the tender card_last4 must be 4 digits"),
        (_set(("tender",), KeyError), "bad_shape", "tender must be an object"),
    ],
)  # fmt: skip
def test_a_part_payment_that_breaks_a_rule_is_refused(
    change: Callable[[dict[str, Any]], None], rule: str, message: str
) -> None:
    body = part()
    change(body)
    assert check("PartPaymentTaken", body) == (rule, message)


@pytest.mark.parametrize(
    ("change", "rule", "message"),
    [
        (_set(("part_payments",), 4), "out_of_range", "part_payments is outside 0..3"),
        (_set(("part_payments",), KeyError), "bad_number", f"part_payments {WHOLE}, not NoneType"),
        (_set(("given_back", 1, "seq"), 1), "out_of_range", "given back 2 seq is outside 2..100"),
        (_set(("given_back", 0, "seq"), 2), "given_back", "given back 1 is part payment 1 and must have seq 1, not 2"),
        (_set(("given_back", 1, "approval_code"), None), "tenders", f"given back 2: {CARD_NEEDS}"),
        (_set(("given_back", 2, "voucher"), KeyError), "tenders", "given back 3: store credit needs its voucher"),
        (_set(("given_back", 0, "amount"), -500), "negative", "given back 1 amount is -500; it may not be negative"),
        (_set(("given_back",), []), "bad_shape", "given_back must be a list of 1..100 items"),
        (_set(("void_number",), ""), "bad_text", "void_number must be 1..32 characters"),
        (_set(("given_back", 1, "card_last4"), "4111111111111111"), "card_data", f"it holds {LOOKS_LIKE_A_CARD}"),
    ],
)  # fmt: skip
def test_a_void_that_breaks_a_rule_is_refused(
    change: Callable[[dict[str, Any]], None], rule: str, message: str
) -> None:
    body = copy.deepcopy(voided())
    change(body)
    assert check("SaleVoided", body) == (rule, message)


def test_a_sale_names_no_more_part_payments_than_its_tenders() -> None:
    completed = sale_body()
    completed["part_payments"] = 3
    assert check("SaleCompleted", completed) == ("out_of_range", "part_payments is outside 0..2")
