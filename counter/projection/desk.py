"""The service desk's rows as the projection of its journal entries (see counter.projection):
orders and their lines, house accounts and their entries, desk payments and their tenders,
bill adjustments, customer links, cases, contacts, referrals and customers.

The journal can never be erased, so it never holds personal data (names, phone numbers,
e-mail addresses, loyalty cards, postal addresses) nor free text a customer or the desk
typed (a customer's words, notes, resolutions): those columns are ``UNKNOWN`` here. The
lane's write path fills them from the values the command passes beside the entry
(``JournalWriter.append(..., private=...)``), and verify skips them; every other column
of every row is derived from the entry and checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from counter.projection.base import (
    ORDINAL,
    UNKNOWN,
    EntryRef,
    Insert,
    Op,
    TableSpec,
    Update,
    _get,
    _int,
)
from counter.projection.sales import desk_voucher_ops, return_ops, sale_ops

#: The columns the journal never holds (filled by the write path, skipped by verify).
PRIVATE_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "customers": ("name", "phone", "email", "loyalty_card"),
    "customer_changes": ("old_value", "new_value", "reason"),  # old/new of email_consent are derived
    "customer_addresses": ("line1", "line2", "city", "region", "postal_code", "country", "reason"),
    "cases": ("subject", "follow_up_note", "resolution"),  # when typed; fixed texts are derived
    "contacts": ("words", "actions"),
    "case_events": ("text",),  # when it holds typed text; fixed texts are derived
    "referrals": ("note", "outcome"),
    "referral_notes": ("text",),
}

DESK_TABLES: Final[tuple[TableSpec, ...]] = (
    TableSpec(
        "customers",
        ("id",),
        (
            "id",
            "name",
            "phone",
            "email",
            "loyalty_card",
            "email_consent",
            "created_at",
            "created_by",
            "updated_at",
            "language",
        ),  # fmt: skip
        mutable=True,
    ),
    TableSpec(
        "customer_changes",
        ("customer_id", ORDINAL),
        ("customer_id", "field", "old_value", "new_value", "reason", "user_id", "at"),
    ),
    TableSpec(
        "customer_addresses",
        ("customer_id", ORDINAL),
        (
            "customer_id",
            "line1",
            "line2",
            "city",
            "region",
            "postal_code",
            "country",
            "reason",
            "user_id",
            "valid_from",
        ),
    ),  # fmt: skip
    TableSpec(
        "customer_links",
        ("customer_id", "kind", "ref_id"),
        ("customer_id", "kind", "ref_id", "ref_number", "at", "amount_minor", "summary"),
    ),
    TableSpec(
        "cases",
        ("id",),
        (
            "id",
            "number",
            "customer_id",
            "kind",
            "category",
            "subject",
            "status",
            "opened_at",
            "opened_by",
            "updated_at",
            "follow_up_on",
            "follow_up_note",
            "resolution",
        ),
        mutable=True,
    ),  # fmt: skip
    TableSpec(
        "case_events",
        ("case_id", ORDINAL),
        ("case_id", "at", "user_id", "event", "status_from", "status_to", "text"),
    ),
    TableSpec(
        "contacts",
        ("id",),
        ("id", "case_id", "customer_id", "kind", "category", "words", "actions", "handled_by", "at"),
    ),
    TableSpec("contact_links", ("contact_id", "seq"), ("contact_id", "seq", "kind", "number")),
    TableSpec(
        "referrals",
        ("id",),
        (
            "id",
            "case_id",
            "department",
            "department_name",
            "priority",
            "due_on",
            "status",
            "referred_at",
            "referred_by",
            "note",
            "outcome",
            "answered_at",
            "told_at",
            "told_how",
        ),
        mutable=True,
    ),  # fmt: skip
    TableSpec("referral_notes", ("referral_id", ORDINAL), ("referral_id", "at", "user_id", "kind", "text")),
    TableSpec(
        "orders",
        ("id",),
        (
            "id",
            "number",
            "kind",
            "customer_id",
            "status",
            "created_at",
            "created_by",
            "currency",
            "total_minor",
            "tax_minor",
            "min_deposit_minor",
            "due_on",
            "cancel_fee_minor",
            "deposit_refundable",
            "closed_at",
            "sale_id",
            "kept_minor",
        ),
        mutable=True,
    ),  # fmt: skip
    TableSpec(
        "order_lines",
        ("order_id", "line_no"),
        (
            "order_id",
            "line_no",
            "item_id",
            "sku",
            "name",
            "category_id",
            "quantity",
            "unit_price_minor",
            "tax_code",
            "tax_label",
            "tax_rate",
        ),
    ),  # fmt: skip
    TableSpec(
        "accounts",
        ("id",),
        ("id", "number", "customer_id", "credit_limit_minor", "opened_at", "opened_by"),
    ),
    TableSpec(
        "account_entries",
        ("account_id", ORDINAL),
        ("account_id", "kind", "amount_minor", "reference", "user_id", "at"),
    ),
    TableSpec(
        "desk_payments",
        ("id",),
        (
            "id",
            "number",
            "terminal_id",
            "purpose",
            "amount_minor",
            "currency",
            "customer_id",
            "order_id",
            "account_id",
            "original_sale_id",
            "voucher_code",
            "reference",
            "user_id",
            "at",
        ),
    ),  # fmt: skip
    TableSpec(
        "desk_tenders",
        ("payment_id", "seq"),
        (
            "payment_id",
            "seq",
            "kind",
            "amount_minor",
            "tendered_minor",
            "card_brand",
            "card_last4",
            "approval_code",
            "voucher_code",
            "original_seq",
        ),
    ),  # fmt: skip
    TableSpec(
        "adjustments",
        ("id",),
        (
            "id",
            "number",
            "kind",
            "payment_id",
            "sale_id",
            "sale_line_id",
            "quantity",
            "amount_minor",
            "tax_minor",
            "gross_minor",
            "currency",
            "reason",
            "competitor",
            "customer_id",
            "user_id",
            "at",
        ),
    ),  # fmt: skip
)

_REFUND_PURPOSES: Final = frozenset({"order_refund", "price_adjustment", "goodwill"})


# --------------------------------------------------------------------------- links


def _link(customer_id: Any, kind: str, ref_id: Any, ref_number: Any, at: str) -> Insert:
    return Insert(
        "customer_links",
        {
            "customer_id": str(customer_id),
            "kind": kind,
            "ref_id": str(ref_id),
            "ref_number": str(ref_number),
            "at": at,
            "amount_minor": None,
            "summary": None,
        },
    )


def sale_with_customer_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    ops = sale_ops(body, ref)
    if body.get("customer_id"):
        ops.append(_link(body["customer_id"], "sale", body["sale_id"], body["receipt_number"], ref.at))
    return ops


def return_with_customer_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    ops = return_ops(body, ref)
    if body.get("customer_id"):
        ops.append(_link(body["customer_id"], "return", body["return_id"], body["return_number"], ref.at))
    return ops


# --------------------------------------------------------------------------- desk payments


def _payment_ops(p: Mapping[str, Any], tenders: list[Mapping[str, Any]], ref: EntryRef) -> list[Op]:
    """A desk payment, its tenders (money in) or refund parts (money out), and its link to
    the customer. ``p`` holds the payment's own fields (``payment_fields``)."""
    pid = str(p["payment_id"])
    purpose = _get(p, "purpose")
    amount = _int(p["amount"], "a desk payment's amount")
    signed: Any = UNKNOWN if purpose is UNKNOWN else (-amount if purpose in _REFUND_PURPOSES else amount)
    voucher = _get(p, "voucher_code")
    ops: list[Op] = [
        Insert(
            "desk_payments",
            {
                "id": pid,
                "number": str(p["number"]),
                "terminal_id": _get(p, "terminal"),
                "purpose": purpose,
                "amount_minor": signed,
                "currency": _get(p, "currency"),
                "customer_id": _get(p, "customer_id"),
                "order_id": _get(p, "order_id"),
                "account_id": _get(p, "account_id"),
                "original_sale_id": _get(p, "original_sale_id"),
                "voucher_code": voucher,
                "reference": _get(p, "reference"),
                "user_id": _get(p, "user"),
                "at": ref.at,
            },
        )
    ]
    for n, t in enumerate(tenders, start=1):
        amount_t = _int(t["amount"], "a desk tender")
        if amount_t >= 0:  # money in
            row = {
                "tendered_minor": _int(t["tendered"], "what was tendered"),
                "card_brand": t.get("card_brand"),
                "card_last4": t.get("card_last4"),
                "approval_code": t.get("approval_code"),
                "voucher_code": t.get("voucher"),
                "original_seq": None,
            }
        else:  # a refund part
            row = {
                "tendered_minor": amount_t,
                "card_brand": _get(t, "card_brand"),
                "card_last4": _get(t, "card_last4"),
                "approval_code": _get(t, "approval_code"),
                "voucher_code": (voucher if str(t["kind"]) == "store_credit" else None),
                "original_seq": t.get("original_tender"),
            }
        ops.append(
            Insert(
                "desk_tenders", {"payment_id": pid, "seq": n, "kind": str(t["kind"]), "amount_minor": amount_t, **row}
            )
        )
    customer = p.get("customer_id")
    if customer:
        ops.append(_link(customer, "payment", pid, p["number"], ref.at))
    return ops


# --------------------------------------------------------------------------- orders


def order_opened_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    order_id = str(body["order_id"])
    ops: list[Op] = [
        Insert(
            "orders",
            {
                "id": order_id,
                "number": str(body["number"]),
                "kind": str(body["kind"]),
                "customer_id": str(body["customer_id"]),
                "status": "open",
                "created_at": ref.at,
                "created_by": str(body["user"]),
                "currency": _get(body, "currency"),
                "total_minor": _int(body["total"], "an order total"),
                "tax_minor": _int(body["tax"], "an order's tax"),
                "min_deposit_minor": _get(body, "min_deposit"),
                "due_on": str(body["due"]),
                "cancel_fee_minor": _int(body["cancel_fee"], "a cancellation fee"),
                "deposit_refundable": bool(body["deposit_refundable"]),
                "closed_at": None,
                "sale_id": None,
                "kept_minor": None,
            },
        )
    ]
    for n, ln in enumerate(body["lines"], start=1):
        ops.append(
            Insert(
                "order_lines",
                {
                    "order_id": order_id,
                    "line_no": ln.get("line_no", n),
                    "item_id": str(ln["item_id"]),
                    "sku": str(ln["sku"]),
                    "name": _get(ln, "name"),
                    "category_id": _get(ln, "category_id"),
                    "quantity": _int(ln["qty"], "an ordered quantity"),
                    "unit_price_minor": _int(ln["unit_price"], "an ordered price"),
                    "tax_code": _get(ln, "tax_code"),
                    "tax_label": _get(ln, "tax_label"),
                    "tax_rate": _get(ln, "tax_rate"),
                },
            )
        )
    deposit = body["deposit"]
    ops += _payment_ops(deposit, list(deposit["tenders"]), ref)
    ops.append(_link(body["customer_id"], "order", order_id, body["number"], ref.at))
    return ops + desk_voucher_ops(body, ref)


def order_payment_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    payment = body["payment"]
    return _payment_ops(payment, list(payment["tenders"]), ref) + desk_voucher_ops(body, ref)


def order_picked_up_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    values = {"status": "picked_up", "closed_at": ref.at, "sale_id": str(body["sale_id"]), "kept_minor": None}
    return [Update("orders", (str(body["order_id"]),), values)]


def order_cancelled_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    ops: list[Op] = []
    refund = body.get("refund")
    if refund:
        ops += _payment_ops(refund, list(refund["tenders"]), ref)
        if refund.get("voucher_code"):
            code = refund["voucher_code"]
            ops.append(_link(body["customer_id"], "voucher", code, code, ref.at))
    ops.append(
        Update(
            "orders",
            (str(body["order_id"]),),
            {"status": "cancelled", "closed_at": ref.at, "sale_id": None, "kept_minor": _int(body["kept"], "kept")},
        )
    )
    return ops + desk_voucher_ops(body, ref)


# --------------------------------------------------------------------------- house accounts


def account_opened_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    return [
        Insert(
            "accounts",
            {
                "id": str(body["account_id"]),
                "number": str(body["number"]),
                "customer_id": str(body["customer_id"]),
                "credit_limit_minor": _int(body["credit_limit"], "a credit limit"),
                "opened_at": ref.at,
                "opened_by": str(body["user"]),
            },
        )
    ]


def _entry(body: Mapping[str, Any], kind: str, amount: int, reference: Any, ref: EntryRef) -> Insert:
    return Insert(
        "account_entries",
        {
            "account_id": str(body["account_id"]),
            "kind": kind,
            "amount_minor": amount,
            "reference": str(reference),
            "user_id": str(body["user"]),
            "at": ref.at,
        },
    )


def account_charged_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    return [_entry(body, "charge", _int(body["amount"], "a charge"), body["receipt_number"], ref)]


def account_payment_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    fields = body.get("desk_payment") or {
        "payment_id": body["payment_id"],
        "number": body["payment_number"],
        "amount": body["amount"],
    }
    ops = _payment_ops(fields, list(body["tenders"]), ref)
    ops.append(_entry(body, "payment", -_int(body["amount"], "a payment"), body["payment_number"], ref))
    return ops + desk_voucher_ops(body, ref)


# --------------------------------------------------------------------------- adjustments


def bill_adjusted_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    fields = body.get("desk_payment") or {
        "payment_id": body["payment_id"],
        "number": body["payment_number"],
        "amount": -sum(_int(p["amount"], "a refund") for p in body["refunds"]),
    }
    ops = _payment_ops(fields, list(body["refunds"]), ref)
    adjustment_id = str(body["adjustment_id"])
    customer = body.get("customer_id")
    ops.append(
        Insert(
            "adjustments",
            {
                "id": adjustment_id,
                "number": str(body["number"]),
                "kind": str(body["kind"]),
                "payment_id": str(body["payment_id"]),
                "sale_id": body.get("sale_id"),
                "sale_line_id": body.get("sale_line_id"),
                "quantity": _int(body["qty"], "an adjusted quantity"),
                "amount_minor": _int(body["amount"], "an adjustment"),
                "tax_minor": _int(body["tax"], "an adjustment's tax"),
                "gross_minor": _int(body["gross"], "an adjustment's gross"),
                "currency": str(body["currency"]),
                "reason": _get(body, "reason"),
                "competitor": _get(body, "competitor"),
                "customer_id": customer,
                "user_id": str(body["cashier"]),
                "at": ref.at,
            },
        )
    )
    if customer and body.get("voucher"):
        ops.append(_link(customer, "voucher", body["voucher"], body["voucher"], ref.at))
    if customer:
        ops.append(_link(customer, "adjustment", adjustment_id, body["number"], ref.at))
    return ops + desk_voucher_ops(body, ref)


DESK_PROJECTIONS: Final[dict[str, Callable[[Mapping[str, Any], EntryRef], list[Op]]]] = {
    "SaleCompleted": sale_with_customer_ops,
    "ReturnProcessed": return_with_customer_ops,
    "OrderOpened": order_opened_ops,
    "OrderPaymentTaken": order_payment_ops,
    "OrderPickedUp": order_picked_up_ops,
    "OrderCancelled": order_cancelled_ops,
    "AccountOpened": account_opened_ops,
    "AccountCharged": account_charged_ops,
    "AccountPaymentTaken": account_payment_ops,
    "BillAdjusted": bill_adjusted_ops,
}
