"""The rules a pushed ``PartPaymentTaken`` and a ``SaleVoided`` that gave payments back
must meet (counter.sales.part_payments, counter.sales.voids), run by
``counter.trust.entry_rules.BatchRules`` like the sale and return rules.

A part payment is one tender that takes something (more than zero, no change: the cash
that settles a sale is in its SaleCompleted), of a kind the sale screen takes as a part
payment, within the sale's total. A void that gave payments back names its sale, its
number and each tender given back once, in order; the part payments among them come first.
A void before any payment (no ``given_back``) carries no money and is left as it was.
"""

from __future__ import annotations

from typing import Any

from counter.trust.entry_fields import (
    Broken,
    check_tender,
    dict_field,
    int_field,
    list_field,
    str_field,
)

PART_PAYMENT_TAKEN = "PartPaymentTaken"
SALE_VOIDED = "SaleVoided"
MAX_TENDERS = 100
PART_KINDS = frozenset({"cash", "card", "store_credit"})


def check_part_payment(body: Any) -> None:
    b = dict_field(body, "the body")
    str_field(b.get("sale_id"), "sale_id", 36)
    str_field(b.get("user"), "user", 36)
    str_field(b.get("currency"), "currency", 3)
    int_field(b.get("seq"), "seq", low=1, high=MAX_TENDERS)
    total = int_field(b.get("total"), "total")
    tender = dict_field(b.get("tender"), "tender")
    amount = check_tender(tender, "the tender")
    kind = tender["kind"]
    if kind not in PART_KINDS:
        raise Broken("part_payment", f"a {kind} tender is not taken as a part payment")
    if amount < 1 or tender["tendered"] != amount:
        raise Broken("part_payment", f"a part payment takes more than 0 and gives no change, not {amount}")
    if amount > total:
        raise Broken("part_payment", f"the part payment {amount} is more than the sale's total {total}")
    _check_kind_details(tender, "the tender")


def _check_kind_details(tender: dict[str, Any], at: str) -> None:
    if tender["kind"] == "card" and not (tender.get("card_last4") and tender.get("approval_code")):
        raise Broken("tenders", f"{at}: a card needs its last 4 digits and approval code")
    if tender["kind"] == "store_credit" and not tender.get("voucher"):
        raise Broken("tenders", f"{at}: store credit needs its voucher")


def check_void(body: Any) -> None:
    b = dict_field(body, "the body")
    if "given_back" not in b:
        return  # a void before payment: nothing went back
    str_field(b.get("sale_id"), "sale_id", 36)
    str_field(b.get("void_number"), "void_number", 32)
    str_field(b.get("user"), "user", 36)
    str_field(b.get("approved_by"), "approved_by", 36, optional=True)
    str_field(b.get("request_id"), "request_id", 36, optional=True)
    int_field(b.get("lines"), "lines", high=100_000)
    int_field(b.get("total"), "total")
    given = list_field(b.get("given_back"), "given_back", MAX_TENDERS)
    recorded = int_field(b.get("part_payments"), "part_payments", high=len(given))
    last = 0
    for n, raw in enumerate(given, start=1):
        at = f"given back {n}"
        check_tender(raw, at)
        seq = int_field(raw.get("seq"), f"{at} seq", low=last + 1, high=MAX_TENDERS)
        if n <= recorded and seq != n:
            raise Broken("given_back", f"{at} is part payment {n} and must have seq {n}, not {seq}")
        _check_kind_details(raw, at)
        last = seq
