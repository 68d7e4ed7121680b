"""The rows of part payments and of voids that gave them back, as pure functions of their
entries (counter.sales.part_payments, counter.sales.voids).

A ``PartPaymentTaken`` entry is one ``part_payments`` row (and, for store credit, the
voucher's redemption); the sale's ``SaleCompleted`` names how many of its tenders were
taken so (``part_payments``) and redeems no voucher twice (``counter.projection.sales``).
A ``SaleVoided`` entry with ``given_back`` is one ``voided_payments`` row per tender given
back, and puts back on its voucher the store credit a part payment had taken. A
``SaleVoided`` without it (nothing was paid) has no rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from counter.projection.base import EntryRef, Insert, Op, ProjectionError, TableSpec, _cols, _int

PART_PAYMENT_TABLES: Final = (
    TableSpec(
        "part_payments",
        ("sale_id", "seq"),
        _cols(
            "sale_id seq terminal_id taken_at cashier_id total_minor kind amount_minor tendered_minor card_brand "
            "card_last4 approval_code voucher_code"
        ),
    ),
    TableSpec(
        "voided_payments",
        ("sale_id", "seq"),
        _cols(
            "sale_id seq void_number terminal_id given_back_at user_id approver_id kind amount_minor card_brand "
            "card_last4 approval_code voucher_code recorded_before"
        ),
    ),
)

STORE_CREDIT = "store_credit"


def _card_and_voucher(t: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "card_brand": t.get("card_brand"),
        "card_last4": t.get("card_last4"),
        "approval_code": t.get("approval_code"),
        "voucher_code": t.get("voucher"),
    }


def part_payment_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    sale_id = str(body["sale_id"])
    t = body["tender"]
    kind = str(t["kind"])
    amount = _int(t["amount"], "a part payment's amount")
    ops: list[Op] = [
        Insert(
            "part_payments",
            {
                "sale_id": sale_id,
                "seq": _int(body["seq"], "a part payment's number"),
                "terminal_id": ref.terminal,
                "taken_at": ref.at,
                "cashier_id": str(body["user"]),
                "total_minor": _int(body["total"], "the sale's total"),
                "kind": kind,
                "amount_minor": amount,
                "tendered_minor": _int(t["tendered"], "what was tendered"),
                **_card_and_voucher(t),
            },
        )
    ]
    if kind == STORE_CREDIT and t.get("voucher"):
        ops.append(
            Insert(
                "voucher_movements",
                {"voucher_code": str(t["voucher"]), "at": ref.at, "amount_minor": -amount, "reference": sale_id},
            )
        )
    return ops


def void_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    given = body.get("given_back")
    if given is None:
        return []  # a void before any payment: nothing was given back
    sale_id = str(body["sale_id"])
    recorded = _int(body.get("part_payments", 0), "the number of part payments")
    if not 0 <= recorded <= len(given):
        raise ProjectionError(f"{recorded} part payments of {len(given)} tenders given back")
    ops: list[Op] = []
    restored: list[Op] = []
    for t in given:
        seq = _int(t["seq"], "a given-back tender's number")
        amount = _int(t["amount"], "an amount given back")
        kind = str(t["kind"])
        ops.append(
            Insert(
                "voided_payments",
                {
                    "sale_id": sale_id,
                    "seq": seq,
                    "void_number": str(body["void_number"]),
                    "terminal_id": ref.terminal,
                    "given_back_at": ref.at,
                    "user_id": str(body["user"]),
                    "approver_id": body.get("approved_by"),
                    "kind": kind,
                    "amount_minor": amount,
                    **_card_and_voucher(t),
                    "recorded_before": seq <= recorded,
                },
            )
        )
        if kind == STORE_CREDIT and t.get("voucher") and seq <= recorded:
            # the part payment redeemed it: its balance is restored
            restored.append(
                Insert(
                    "voucher_movements",
                    {"voucher_code": str(t["voucher"]), "at": ref.at, "amount_minor": amount, "reference": sale_id},
                )
            )
    return ops + restored


PART_PAYMENT_PROJECTIONS: Final[dict[str, Callable[[Mapping[str, Any], EntryRef], list[Op]]]] = {
    "PartPaymentTaken": part_payment_ops,
    "SaleVoided": void_ops,
}
