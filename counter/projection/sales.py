"""The rows of sales, returns, approvals and vouchers, as pure functions of their entries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from counter.projection.base import (
    ORDINAL,
    UNKNOWN,
    EntryRef,
    Insert,
    Op,
    ProjectionError,
    TableSpec,
    _cols,
    _get,
    _int,
)

SALES_TABLES: Final[tuple[TableSpec, ...]] = (
    TableSpec(
        "sales",
        ("id",),
        _cols(
            "id receipt_number store_id terminal_id cashier_id cashier_name completed_at currency "
            "prices_include_tax subtotal_minor discount_minor tax_minor total_minor rounding_minor "
            "change_minor"
        ),
    ),
    TableSpec(
        "sale_lines",
        ("id",),
        _cols(
            "id sale_id line_no item_id sku name quantity unit_price_minor line_discount_minor "
            "order_discount_minor amount_minor tax_minor gross_minor tax_code tax_rate completed_at"
        ),
    ),
    TableSpec("sale_taxes", ("sale_id", "code"), ("sale_id", "code", "label", "rate", "base_minor", "tax_minor")),
    TableSpec(
        "tenders",
        ("sale_id", "seq"),
        _cols("sale_id seq kind amount_minor tendered_minor card_brand card_last4 approval_code voucher_code"),
    ),
    TableSpec(
        "returns",
        ("id",),
        _cols(
            "id return_number request_id store_id terminal_id original_sale_id original_receipt cashier_id "
            "completed_at currency refund_minor fee_minor exchange_credit_minor exchange_sale_id customer_key "
            "customer_hint voucher_code"
        ),
    ),
    TableSpec(
        "return_lines",
        ("id",),
        _cols(
            "id return_id line_no sale_line_id item_id sku name quantity amount_minor tax_minor gross_minor "
            "fee_minor tax_code tax_rate reason condition disposition"
        ),
    ),
    TableSpec(
        "refunds",
        ("return_id", "seq"),
        _cols("return_id seq kind amount_minor original_sale_id original_tender_seq reference card_brand card_last4"),
    ),
    TableSpec("vouchers", ("code",), ("code", "issued_at", "issued_by", "return_id", "initial_minor")),
    TableSpec(
        "voucher_movements",
        ("voucher_code", "reference", ORDINAL),
        ("voucher_code", "at", "amount_minor", "reference"),
    ),
    TableSpec(
        "approvals",
        ("request_id", "kind", ORDINAL),
        ("id", "request_id", "kind", "amount_minor", "requester_id", "approver_id", "reason", "at"),
    ),
)


# --------------------------------------------------------------------------- sales


_LINE_INTS: Final = (
    ("qty", "a quantity"),
    ("unit_price", "a unit price"),
    ("amount", "a line's amount"),
    ("gross", "a line's gross"),
    ("line_discount", "a line discount"),
    ("order_discount", "an order discount"),
    ("tax", "a line's tax"),
)


def _not_whole(values: Mapping[str, Any], fields: tuple[tuple[str, str], ...]) -> ProjectionError:
    """The error for the first of ``fields`` in ``values`` that is not a whole number."""
    for name, what in fields:
        _int(values[name], what)
    return ProjectionError("a value is not a whole number")  # not reached


def sale_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    # The hot path of the write path and of verify (nearly every entry is a sale): rows
    # are built as tuples in ``TABLES`` column order (each commented with its columns),
    # and values checked with ``type(v) is int`` inline rather than a call per value.
    sale_id = str(body["sale_id"])
    lines = body["lines"]
    taxes = body["taxes"]
    tenders = body["tenders"]
    # the first ``part_payments`` tenders were journaled as they were taken (PartPaymentTaken,
    # counter.projection.part_payments): their vouchers were redeemed then
    taken_before = body.get("part_payments", 0)
    ops: list[Op] = []
    subtotal = discount = total = tax_total = change = 0
    for n, ln in enumerate(lines, start=1):
        qty, unit, amount, gross = ln["qty"], ln["unit_price"], ln["amount"], ln["gross"]
        line_discount, order_discount, tax = ln["line_discount"], ln["order_discount"], ln["tax"]
        if not (
            type(qty) is int
            and type(unit) is int
            and type(amount) is int
            and type(gross) is int
            and type(line_discount) is int
            and type(order_discount) is int
            and type(tax) is int
        ):
            raise _not_whole(ln, _LINE_INTS)
        subtotal += amount
        discount += line_discount + order_discount
        total += gross
        ops.append(
            Insert.of(
                "sale_lines",
                (  # id sale_id line_no item_id sku name quantity
                    str(ln["line_id"]), sale_id, n, str(ln["item_id"]), str(ln["sku"]), str(ln["name"]), qty,
                    # unit_price_minor line_discount_minor order_discount_minor amount_minor tax_minor gross_minor
                    unit, line_discount, order_discount, amount, tax, gross,
                    # tax_code tax_rate completed_at (the sale's, for an item's recent prices)
                    str(ln["tax_code"]), str(ln["tax_rate"]), ref.at,
                ),
            )
        )  # fmt: skip
    for t in taxes:
        base, tax = t["base"], t["tax"]
        if not (type(base) is int and type(tax) is int):
            raise _not_whole(t, (("base", "a tax base"), ("tax", "a tax amount")))
        tax_total += tax
        ops.append(
            Insert.of(
                "sale_taxes",
                # sale_id code label rate base_minor tax_minor
                (sale_id, str(t["code"]), t.get("label", UNKNOWN), str(t["rate"]), base, tax),
            )
        )
    for n, t in enumerate(tenders, start=1):
        amount, tendered = t["amount"], t["tendered"]
        if not (type(amount) is int and type(tendered) is int):
            raise _not_whole(t, (("amount", "a tender's amount"), ("tendered", "what was tendered")))
        change += tendered - amount
        voucher = t.get("voucher")
        kind = str(t["kind"])
        ops.append(
            Insert.of(
                "tenders",
                (  # sale_id seq kind amount_minor tendered_minor card_brand card_last4 approval_code voucher_code
                    sale_id, n, kind, amount, tendered, t.get("card_brand"), t.get("card_last4"),
                    t.get("approval_code"), voucher,
                ),
            )
        )  # fmt: skip
        if voucher and kind == "store_credit" and n > taken_before:
            ops.append(
                Insert(
                    "voucher_movements",
                    {"voucher_code": str(voucher), "at": ref.at, "amount_minor": -amount, "reference": sale_id},
                )
            )
    rounding = body["rounding"]
    if type(rounding) is not int:
        _int(rounding, "the cash rounding")
    sale = Insert.of(
        "sales",
        (  # id receipt_number store_id terminal_id cashier_id cashier_name completed_at currency
            sale_id, str(body["receipt_number"]), str(body["store"]), ref.terminal, str(body["cashier"]),
            body.get("cashier_name", UNKNOWN), ref.at, str(body["currency"]),
            # prices_include_tax subtotal_minor discount_minor tax_minor total_minor rounding_minor change_minor
            bool(body["prices_include_tax"]), subtotal, discount, tax_total, total, rounding, change,
        ),
    )  # fmt: skip
    # the sale first (its lines and tenders point at it); a redemption after its tender
    return [sale, *ops]


def adopted_sale_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    """Another lane's sale kept here for a return of it: the rows of that sale as HQ gave
    them (its lane and time are in the body; HQ holds the sale's own entry)."""
    origin = EntryRef(str(body["origin_terminal"]), ref.seq, ref.type, str(body["completed_at"]))
    return [op for op in sale_ops(body, origin) if not (isinstance(op, Insert) and op.table == "voucher_movements")]


# --------------------------------------------------------------------------- returns


def return_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    return_id = str(body["return_id"])
    number = str(body["return_number"])
    parts = number.split("-")
    original_sale_id = body.get("original_sale_id")
    voucher = body.get("voucher")
    ops: list[Op] = [
        Insert(
            "returns",
            {
                "id": return_id,
                "return_number": number,
                "request_id": str(body["request_id"]),
                "store_id": parts[0],
                "terminal_id": parts[1] if len(parts) > 1 else UNKNOWN,
                "original_sale_id": original_sale_id,
                "original_receipt": body.get("original_receipt"),
                "cashier_id": str(body["cashier"]),
                "completed_at": ref.at,
                "currency": str(body["currency"]),
                "refund_minor": _int(body["refund_total"], "the refund total"),
                "fee_minor": _int(body["fee_total"], "the fee total"),
                "exchange_credit_minor": _int(body["exchange_credit"], "the exchange credit"),
                "exchange_sale_id": body.get("exchange_sale_id"),
                "customer_key": body.get("customer_key"),
                "customer_hint": _get(body, "customer_hint"),
                "voucher_code": voucher,
            },
        )
    ]
    for n, ln in enumerate(body["lines"], start=1):
        ops.append(
            Insert(
                "return_lines",
                {
                    "id": f"{return_id}:{n}",
                    "return_id": return_id,
                    "line_no": n,
                    "sale_line_id": ln.get("sale_line_id"),
                    "item_id": str(ln["item_id"]),
                    "sku": str(ln["sku"]),
                    "name": _get(ln, "name"),
                    "quantity": _int(ln["qty"], "a returned quantity"),
                    "amount_minor": _int(ln["amount"], "a returned amount"),
                    "tax_minor": _int(ln["tax"], "a returned tax"),
                    "gross_minor": _int(ln["gross"], "a returned gross"),
                    "fee_minor": _int(ln["fee"], "a fee"),
                    "tax_code": str(ln["tax_code"]),
                    "tax_rate": str(ln["tax_rate"]),
                    "reason": str(ln["reason"]),
                    "condition": str(ln["condition"]),
                    "disposition": str(ln["disposition"]),
                },
            )
        )
    credit = 0
    for n, p in enumerate(body["refunds"], start=1):
        amount = _int(p["amount"], "a refund")
        kind = str(p["kind"])
        if kind == "store_credit":
            credit += amount
        ops.append(
            Insert(
                "refunds",
                {
                    "return_id": return_id,
                    "seq": n,
                    "kind": kind,
                    "amount_minor": amount,
                    "original_sale_id": original_sale_id if p.get("original_tender") else None,
                    "original_tender_seq": p.get("original_tender"),
                    "reference": voucher if kind == "store_credit" else p.get("reference"),
                    "card_brand": _get(p, "card_brand"),
                    "card_last4": _get(p, "card_last4"),
                },
            )
        )
    if voucher:
        ops += _voucher_issued(str(voucher), credit, return_id, str(body["cashier"]), ref.at)
    return ops


def _voucher_issued(code: str, credit: int, owner: str, by: str, at: str) -> list[Op]:
    """A store-credit voucher issued for ``owner`` (a return, an adjustment, an order) and
    its first movement."""
    return [
        Insert(
            "vouchers", {"code": code, "issued_at": at, "issued_by": by, "return_id": owner, "initial_minor": credit}
        ),
        Insert("voucher_movements", {"voucher_code": code, "at": at, "amount_minor": credit, "reference": owner}),
    ]


# --------------------------------------------------------------------------- approvals


def approval_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    """The approval rows of the asking lane. A manager station's own record of its answer
    (``lane`` names the asking lane) holds no approval of this lane's."""
    if "lane" in body:
        return []
    kinds = list(body["kinds"])
    ids = body.get("approval_ids")
    if ids is not None and len(ids) != len(kinds):
        raise ProjectionError("approval_ids and kinds differ in length")
    return [
        Insert(
            "approvals",
            {
                "id": str(ids[n]) if ids is not None else UNKNOWN,
                "request_id": str(body["request_id"]),
                "kind": str(kind),
                "amount_minor": _int(body["amount"], "an approved amount"),
                "requester_id": str(body["requester"]),
                "approver_id": str(body["approver"]),
                "reason": str(body.get("reason", "")),
                "at": ref.at,
            },
        )
        for n, kind in enumerate(kinds)
    ]


# --------------------------------------------------------------------------- store credit at the desk


def _payments(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The desk payments an entry carries: its own (``payment_id`` with ``tenders``, or a
    bill adjustment's ``refunds``) and those nested as ``payment``, ``deposit`` or ``refund``."""
    found = [body] if "payment_id" in body and ("tenders" in body or "refunds" in body) else []
    for name in ("payment", "deposit", "refund"):
        nested = body.get(name)
        if isinstance(nested, Mapping) and "payment_id" in nested:
            found.append(nested)
    return found


#: the events whose desk refund can issue store credit: the owner's id field and who issued it
_VOUCHER_OWNER: Final = {"BillAdjusted": ("adjustment_id", "cashier"), "OrderCancelled": ("order_id", "user")}


def desk_voucher_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    """Store credit that a desk payment redeems (a store-credit tender, money in), and the
    voucher a desk refund issues (a bill adjustment, a cancelled order: a store-credit part,
    money out, whose reference is the new voucher's code)."""
    ops: list[Op] = []
    issued: dict[str, int] = {}
    for payment in _payments(body):
        pid = str(payment["payment_id"])
        for t in payment.get("tenders", payment.get("refunds", [])):
            if str(t.get("kind")) != "store_credit":
                continue
            amount = _int(t["amount"], "a store-credit amount")
            if amount > 0 and t.get("voucher"):
                ops.append(
                    Insert(
                        "voucher_movements",
                        {"voucher_code": str(t["voucher"]), "at": ref.at, "amount_minor": -amount, "reference": pid},
                    )
                )
            elif amount < 0 and t.get("reference"):
                issued[str(t["reference"])] = issued.get(str(t["reference"]), 0) - amount
    owner = _VOUCHER_OWNER.get(ref.type)
    if owner is not None:
        for code, credit in issued.items():
            ops += _voucher_issued(code, credit, str(body[owner[0]]), str(body[owner[1]]), ref.at)
    return ops


def vouchers_received_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    """Store credit of other lanes, as pulled from HQ: the vouchers and movements new here."""
    ops: list[Op] = [
        Insert(
            "vouchers",
            {
                "code": str(v["code"]),
                "issued_at": str(v["issued_at"]),
                "issued_by": str(v["issued_by"]),
                "return_id": v.get("return_id"),
                "initial_minor": _int(v["initial_minor"], "a voucher's value"),
            },
        )
        for v in body["vouchers"]
    ]
    ops += [
        Insert(
            "voucher_movements",
            {
                "voucher_code": str(m["voucher_code"]),
                "at": str(m["at"]),
                "amount_minor": _int(m["amount_minor"], "a voucher movement"),
                "reference": str(m["reference"]),
            },
        )
        for m in body["movements"]
    ]
    return ops


SALES_PROJECTIONS: Final[dict[str, Callable[[Mapping[str, Any], EntryRef], list[Op]]]] = {
    "SaleCompleted": sale_ops,
    "SaleAdopted": adopted_sale_ops,
    "ReturnProcessed": return_ops,
    "ApprovalGranted": approval_ops,
    "VouchersReceived": vouchers_received_ops,
}
