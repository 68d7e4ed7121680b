"""The rows of the integrated card terminal's journal entries (counter.payments.requests).

- ``CardRequestSent`` is one ``card_requests`` row, written before the terminal is asked:
  {"request_id", "op" (sale | refund | reversal), "amount" (minor units), "currency",
   "user", "for" (sale | return | void), "for_id" (the sale id, return id or void's sale id),
   "seq" (the tender's number within it), "total"? (a sale's total), "original" (the reference a refund or reversal
   names, else ""), "prior_trace" (the terminal's last trace number known when it was sent),
   "device" (the terminal's name)}
- ``CardRequestSettled`` is one ``card_answers`` row: what the terminal answered, what asking
  it afterwards found, or what a supervisor decided from the terminal's own slip:
  {"request_id", "outcome" (approved | declined | cancelled | failed | not_charged),
   "how" (answer | asked | supervisor), "amount", "reference", "trace", "receipt_no",
   "approval_code", "card_brand", "card_last4", "device_terminal_id", "text", "user",
   "approved_by"?}
  ``failed``: the request never reached the terminal. ``other_amount``: the terminal
  approved another amount than asked; never a payment, and reversed at once. ``not_charged``: it was sent, the
  answer was lost, and the terminal had no record of it afterwards.
- Both keep one ``card_pending`` row a request: made unsettled with the request, settled by
  its answer (what the lane asks before each card payment, migration 0018).
- ``CardRefundClosed`` is one ``card_refunds_closed`` row: a return's card refund that the
  terminal did not make, paid another way with a supervisor's approval:
  {"return_id", "seq", "request_id", "how" (cash | store_credit), "amount", "voucher"?,
   "user", "approved_by"}
- ``CardDayClosed`` is one ``card_days`` row: the terminal's end of day with its totals.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from counter.projection.base import EntryRef, Insert, Op, ProjectionError, TableSpec, Update, _cols, _int

CARD_TABLES: Final = (
    TableSpec(
        "card_requests",
        ("request_id",),
        _cols(
            "request_id terminal_id sent_at user_id op amount_minor currency for_kind for_id seq total_minor original "
            "prior_trace device"
        ),
    ),
    TableSpec(
        "card_answers",
        ("request_id",),
        _cols(
            "request_id terminal_id answered_at user_id approver_id outcome how amount_minor reference trace "
            "receipt_no approval_code card_brand card_last4 device_terminal_id text"
        ),
    ),
    # which requests wait for their answer (migration 0018): made with the request, settled by its answer
    TableSpec("card_pending", ("request_id",), _cols("request_id terminal_id sent_at settled"), mutable=True),
    TableSpec(
        "card_refunds_closed",
        ("return_id", "seq"),
        _cols("return_id seq terminal_id closed_at user_id approver_id request_id how amount_minor voucher_code"),
    ),
    TableSpec(
        "card_days",
        ("terminal_id", "closed_at"),
        _cols("terminal_id closed_at user_id ok count amount_minor by_brand text"),
        json_columns=("by_brand",),
    ),
)

OPS = ("sale", "refund", "reversal")
FOR_KINDS = ("sale", "return", "void")
OUTCOMES = ("approved", "declined", "cancelled", "failed", "not_charged", "other_amount")
HOWS = ("answer", "asked", "supervisor")


def _one_of(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ProjectionError(f"{what} is not one of {', '.join(allowed)}: {value!r}")
    return str(value)


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise ProjectionError(f"{name} is not text: {value!r}")
    return value


def request_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    amount = _int(body["amount"], "a card request's amount")
    if amount <= 0:
        raise ProjectionError(f"a card request's amount is not above zero: {amount}")
    return [
        Insert(
            "card_requests",
            {
                "request_id": str(body["request_id"]),
                "terminal_id": ref.terminal,
                "sent_at": ref.at,
                "user_id": str(body["user"]),
                "op": _one_of(body["op"], OPS, "a card request's operation"),
                "amount_minor": amount,
                "currency": str(body["currency"]),
                "for_kind": _one_of(body["for"], FOR_KINDS, "what a card request is for"),
                "for_id": str(body["for_id"]),
                "seq": _int(body["seq"], "a card request's tender number"),
                "total_minor": _int(body["total"], "a sale's total") if "total" in body else None,
                "original": _text(body, "original"),
                "prior_trace": _text(body, "prior_trace"),
                "device": _text(body, "device"),
            },
        ),
        Insert(
            "card_pending",
            {"request_id": str(body["request_id"]), "terminal_id": ref.terminal, "sent_at": ref.at, "settled": False},
        ),
    ]


def answer_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    outcome = _one_of(body["outcome"], OUTCOMES, "a card answer's outcome")
    last4 = _text(body, "card_last4")
    if last4 and not (len(last4) == 4 and last4.isdigit()):
        raise ProjectionError("a card answer holds more than the last 4 digits of the card")
    return [
        Insert(
            "card_answers",
            {
                "request_id": str(body["request_id"]),
                "terminal_id": ref.terminal,
                "answered_at": ref.at,
                "user_id": str(body["user"]),
                "approver_id": body.get("approved_by"),
                "outcome": outcome,
                "how": _one_of(body["how"], HOWS, "how a card answer was had"),
                "amount_minor": _int(body["amount"], "a card answer's amount"),
                "reference": _text(body, "reference"),
                "trace": _text(body, "trace"),
                "receipt_no": _text(body, "receipt_no"),
                "approval_code": _text(body, "approval_code"),
                "card_brand": _text(body, "card_brand"),
                "card_last4": last4,
                "device_terminal_id": _text(body, "device_terminal_id"),
                "text": _text(body, "text"),
            },
        ),
        Update("card_pending", (str(body["request_id"]),), {"settled": True}),
    ]


def refund_closed_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    how = _one_of(body["how"], ("cash", "store_credit"), "how a card refund was paid instead")
    amount = _int(body["amount"], "a card refund paid another way")
    ops: list[Op] = [
        Insert(
            "card_refunds_closed",
            {
                "return_id": str(body["return_id"]),
                "seq": _int(body["seq"], "a card refund's number"),
                "terminal_id": ref.terminal,
                "closed_at": ref.at,
                "user_id": str(body["user"]),
                "approver_id": str(body["approved_by"]),
                "request_id": str(body["request_id"]),
                "how": how,
                "amount_minor": amount,
                "voucher_code": body.get("voucher"),
            },
        )
    ]
    if how == "store_credit":
        code = str(body["voucher"])
        ops += [
            Insert(
                "vouchers",
                {
                    "code": code,
                    "issued_at": ref.at,
                    "issued_by": str(body["user"]),
                    "return_id": str(body["return_id"]),
                    "initial_minor": amount,
                },
            ),
            Insert(
                "voucher_movements",
                {"voucher_code": code, "at": ref.at, "amount_minor": amount, "reference": str(body["return_id"])},
            ),
        ]
    return ops


def day_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    by_brand = body.get("by_brand", {})
    if not isinstance(by_brand, dict):
        raise ProjectionError("the terminal's totals by brand are not a table")
    return [
        Insert(
            "card_days",
            {
                "terminal_id": ref.terminal,
                "closed_at": ref.at,
                "user_id": str(body["user"]),
                "ok": bool(body["ok"]),
                "count": _int(body["count"], "the terminal's count of transactions"),
                "amount_minor": _int(body["amount"], "the terminal's total"),
                "by_brand": json.dumps(by_brand),
                "text": _text(body, "text"),
            },
        )
    ]


CARD_PROJECTIONS: Final[dict[str, Callable[[Mapping[str, Any], EntryRef], list[Op]]]] = {
    "CardRequestSent": request_ops,
    "CardRequestSettled": answer_ops,
    "CardRefundClosed": refund_closed_ops,
    "CardDayClosed": day_ops,
}
