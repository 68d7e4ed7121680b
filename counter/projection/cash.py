"""The cash office's rows as the journal's projection (counter.projection): shifts (opened,
then closed by a later entry), paid-ins, paid-outs and drops, recounts and Z reports."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from counter.projection.base import ORDINAL, UNKNOWN, EntryRef, Insert, Op, TableSpec, Update, _cols, _int

CASH_TABLES: Final = (
    TableSpec(
        "shifts",
        ("id",),
        _cols(
            "id terminal_id opened_by opened_at float_minor float_count closed_at closed_by counted_minor "
            "expected_minor closing_count note"
        ),
        mutable=True,
        json_columns=("float_count", "closing_count"),
    ),
    TableSpec(
        "cash_movements",
        ("shift_id", ORDINAL),
        ("shift_id", "kind", "amount_minor", "reason", "user_id", "at"),
    ),
    TableSpec(
        "shift_recounts",
        ("shift_id", ORDINAL),
        ("shift_id", "counted_minor", "count", "note", "user_id", "at"),
        json_columns=("count",),
    ),
    TableSpec(
        "z_reports",
        ("terminal_id", "number"),
        _cols(
            "terminal_id number first_seq last_seq taken_at taken_by sales_minor returns_minor "
            "grand_sales_minor grand_returns_minor shift_ids"
        ),
        json_columns=("shift_ids",),
    ),
)


def _json_text(value: Any) -> str:
    """How the lane stores a JSON column (json.dumps defaults); compared parsed anyway."""
    return json.dumps(value)


def shift_opened_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    return [
        Insert(
            "shifts",
            {
                "id": str(body["shift_id"]),
                "terminal_id": ref.terminal,
                "opened_by": str(body["user"]),
                "opened_at": ref.at,
                "float_minor": _int(body["float"], "the float"),
                "float_count": _json_text(body["count"]),
                "closed_at": None,
                "closed_by": None,
                "counted_minor": None,
                "expected_minor": None,
                "closing_count": None,
                "note": None,
            },
        )
    ]


def shift_closed_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    return [
        Update(
            "shifts",
            (str(body["shift_id"]),),
            {
                "closed_at": ref.at,
                "closed_by": str(body["user"]),
                "counted_minor": _int(body["counted"], "the counted cash"),
                "expected_minor": _int(body["expected"], "the expected cash"),
                "closing_count": _json_text(body["count"]),
                "note": str(body.get("note", "")),
            },
        )
    ]


def shift_recounted_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    return [
        Insert(
            "shift_recounts",
            {
                "shift_id": str(body["shift_id"]),
                "counted_minor": _int(body["counted"], "the recounted cash"),
                "count": _json_text(body["count"]),
                "note": str(body.get("note", "")),
                "user_id": str(body["user"]),
                "at": ref.at,
            },
        )
    ]


def cash_moved_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    return [
        Insert(
            "cash_movements",
            {
                "shift_id": str(body["shift_id"]),
                "kind": str(body["kind"]),
                "amount_minor": _int(body["amount"], "a cash movement"),
                "reason": str(body["reason"]),
                "user_id": str(body["user"]),
                "at": ref.at,
            },
        )
    ]


def z_report_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    return [
        Insert(
            "z_reports",
            {
                "terminal_id": ref.terminal,
                "number": _int(body["number"], "the Z number"),
                "first_seq": _int(body["first_seq"], "the first entry"),
                "last_seq": _int(body["last_seq"], "the last entry"),
                "taken_at": ref.at,
                "taken_by": str(body["user"]),
                "sales_minor": _int(body["sales"], "the Z sales"),
                "returns_minor": _int(body["returns"], "the Z returns"),
                "grand_sales_minor": _int(body["grand_sales"], "the grand sales"),
                "grand_returns_minor": _int(body["grand_returns"], "the grand returns"),
                "shift_ids": _json_text(body["shift_ids"]) if "shift_ids" in body else UNKNOWN,
            },
        )
    ]


CASH_PROJECTIONS: Final[dict[str, Callable[[Mapping[str, Any], EntryRef], list[Op]]]] = {
    "ShiftOpened": shift_opened_ops,
    "ShiftClosed": shift_closed_ops,
    "ShiftRecounted": shift_recounted_ops,
    "CashMoved": cash_moved_ops,
    "ZReportTaken": z_report_ops,
}
