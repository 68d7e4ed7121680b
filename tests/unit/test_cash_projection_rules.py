"""The cash office's rows as the journal's projection (counter.projection.cash), asserted
column by column (issue 14): a shift opened with its float, then closed by a later entry
with what was counted and what was expected, paid-ins, paid-outs and drops, a manager's
recount, and the Z report. Bodies are built as counter.cash.shifts writes them (money in minor
units, a count as {denomination: pieces}, largest first); every figure is worked out by hand.
A body the projection cannot read raises ``ProjectionError`` (HQ's 422)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from counter.cash.shifts import Count
from counter.journal import utc_stamp
from counter.money import Currency
from counter.projection import (
    ORDINAL,
    PROJECTIONS,
    TABLES,
    UNKNOWN,
    EntryRef,
    Insert,
    ProjectionError,
    Update,
    cash as cash_projection,
    project,
)
from counter.projection.cash import CASH_PROJECTIONS, CASH_TABLES

D = Decimal
USD = Currency.of("USD")
AT = utc_stamp(datetime(2026, 12, 6, 21, 5, 0, 17, tzinfo=UTC))  # "2026-12-06T21:05:00.000017Z"

# The float: 3 twenties, 5 ones, 4 quarters = 66.00. At the close: 2 fifties, 3 twenties and
# 7 dimes = 160.70, where 161.00 was expected (30 cents short).
FLOAT = Count.of(USD, {D(20): 3, D(1): 5, D("0.25"): 4})
CLOSE = Count.of(USD, {D(50): 2, D(20): 3, D("0.10"): 7})


def ref(type_: str, terminal: str = "T02", seq: int = 9) -> EntryRef:
    return EntryRef(terminal, seq, type_, AT)


def opened_body() -> dict[str, Any]:
    return {"shift_id": "SH-1", "user": "U-3", "float": USD.to_minor(FLOAT.total), "count": FLOAT.to_json(USD)}


def closed_body() -> dict[str, Any]:
    return {
        "shift_id": "SH-1",
        "user": "U-4",
        "counted": USD.to_minor(CLOSE.total),
        "expected": 16100,
        "over_short": -30,
        "count": CLOSE.to_json(USD),
        "note": "short 30c, float checked twice",
    }


def test_a_shift_opens_on_its_entrys_lane_with_the_float_counted_and_nothing_closed() -> None:
    (op,) = project("ShiftOpened", opened_body(), ref("ShiftOpened"))
    assert isinstance(op, Insert) and op.table == "shifts"
    assert op.row == {
        "id": "SH-1",
        "terminal_id": "T02",
        "opened_by": "U-3",
        "opened_at": AT,
        "float_minor": 6600,
        "float_count": '{"20": 3, "1": 5, "0.25": 4}',
        "closed_at": None,
        "closed_by": None,
        "counted_minor": None,
        "expected_minor": None,
        "closing_count": None,
        "note": None,
    }


def test_closing_a_shift_updates_its_row_with_the_blind_count_the_expected_cash_and_the_note() -> None:
    (op,) = project("ShiftClosed", closed_body(), ref("ShiftClosed"))
    assert op == Update(
        "shifts",
        ("SH-1",),
        {
            "closed_at": AT,
            "closed_by": "U-4",
            "counted_minor": 16070,
            "expected_minor": 16100,
            "closing_count": '{"50": 2, "20": 3, "0.10": 7}',
            "note": "short 30c, float checked twice",
        },
    )


def test_a_close_without_a_note_has_an_empty_note() -> None:
    body = closed_body()
    del body["note"]
    (op,) = project("ShiftClosed", body, ref("ShiftClosed"))
    assert isinstance(op, Update) and op.values["note"] == ""


def test_a_managers_recount_is_a_row_of_its_own_with_who_and_when() -> None:
    body = {
        "shift_id": "SH-1",
        "user": "U-1",
        "counted": 16100,
        "expected": 16100,
        "over_short": 0,
        "count": {"50": 2, "20": 3, "0.10": 10},
        "note": "30c found under the tray",
    }
    (op,) = project("ShiftRecounted", body, ref("ShiftRecounted"))
    assert isinstance(op, Insert) and op.table == "shift_recounts"
    assert op.row == {
        "shift_id": "SH-1",
        "counted_minor": 16100,
        "count": '{"50": 2, "20": 3, "0.10": 10}',
        "note": "30c found under the tray",
        "user_id": "U-1",
        "at": AT,
    }
    del body["note"]
    (op,) = project("ShiftRecounted", body, ref("ShiftRecounted"))
    assert isinstance(op, Insert) and op.row["note"] == ""


@pytest.mark.parametrize(
    ("kind", "amount", "reason"),
    [("paid_in", 2500, "change from the bank"), ("paid_out", 1299, "window cleaner"), ("cash_drop", 20000, "safe")],
)
def test_each_cash_movement_is_a_row_of_its_shift_with_its_kind_amount_and_reason(
    kind: str, amount: int, reason: str
) -> None:
    body = {"shift_id": "SH-1", "kind": kind, "amount": amount, "reason": reason, "user": "U-3"}
    (op,) = project("CashMoved", body, ref("CashMoved"))
    assert isinstance(op, Insert) and op.table == "cash_movements"
    assert op.row == {"shift_id": "SH-1", "kind": kind, "amount_minor": amount, "reason": reason, "user_id": "U-3",
                      "at": AT}  # fmt: skip


def z_body() -> dict[str, Any]:
    return {
        "number": 12,
        "user": "U-1",
        "first_seq": 1040,
        "last_seq": 1187,
        "sales": 453217,
        "sales_count": 61,
        "returns": 12550,
        "returns_count": 3,
        "over_short": -30,
        "grand_sales": 9812345,
        "grand_returns": 310020,
        "shift_ids": ["SH-1", "SH-2"],
    }


def test_a_z_report_is_the_lanes_numbered_day_with_its_entries_totals_grand_totals_and_shifts() -> None:
    (op,) = project("ZReportTaken", z_body(), ref("ZReportTaken", terminal="T05"))
    assert isinstance(op, Insert) and op.table == "z_reports"
    assert op.row == {
        "terminal_id": "T05",
        "number": 12,
        "first_seq": 1040,
        "last_seq": 1187,
        "taken_at": AT,
        "taken_by": "U-1",
        "sales_minor": 453217,
        "returns_minor": 12550,
        "grand_sales_minor": 9812345,
        "grand_returns_minor": 310020,
        "shift_ids": '["SH-1", "SH-2"]',
    }


def test_a_z_report_written_before_it_named_its_shifts_leaves_them_unknown() -> None:
    body = z_body()
    del body["shift_ids"]
    (op,) = project("ZReportTaken", body, ref("ZReportTaken"))
    assert isinstance(op, Insert) and op.row["shift_ids"] is UNKNOWN


@pytest.mark.parametrize(
    ("type_", "body", "field", "value", "message"),
    [
        ("ShiftOpened", opened_body(), "float", 66.0, "the float is not a whole number: 66.0"),
        ("ShiftClosed", closed_body(), "counted", "16070", "the counted cash is not a whole number: '16070'"),
        ("ShiftClosed", closed_body(), "expected", 161.0, "the expected cash is not a whole number: 161.0"),
        ("ShiftRecounted", closed_body(), "counted", True, "the recounted cash is not a whole number: True"),
        ("CashMoved", {"shift_id": "SH-1", "kind": "paid_in", "amount": 25, "reason": "r", "user": "U-3"}, "amount",
         25.0, "a cash movement is not a whole number: 25.0"),
        ("ZReportTaken", z_body(), "number", "12", "the Z number is not a whole number: '12'"),
        ("ZReportTaken", z_body(), "first_seq", 1040.0, "the first entry is not a whole number: 1040.0"),
        ("ZReportTaken", z_body(), "last_seq", None, "the last entry is not a whole number: None"),
        ("ZReportTaken", z_body(), "sales", 4532.17, "the Z sales is not a whole number: 4532.17"),
        ("ZReportTaken", z_body(), "returns", False, "the Z returns is not a whole number: False"),
        ("ZReportTaken", z_body(), "grand_sales", "9812345", "the grand sales is not a whole number: '9812345'"),
        ("ZReportTaken", z_body(), "grand_returns", 3100.2, "the grand returns is not a whole number: 3100.2"),
    ],
)  # fmt: skip
def test_a_cash_figure_that_is_not_whole_minor_units_is_refused_by_name(
    type_: str, body: dict[str, Any], field: str, value: Any, message: str
) -> None:
    with pytest.raises(ProjectionError) as err:
        project(type_, {**body, field: value}, ref(type_))
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("type_", "body", "missing"),
    [
        ("ShiftOpened", opened_body(), "count"),
        ("ShiftClosed", closed_body(), "user"),
        ("ShiftRecounted", closed_body(), "shift_id"),
        ("CashMoved", {"shift_id": "SH-1", "kind": "paid_in", "amount": 25, "user": "U-3"}, None),
        ("ZReportTaken", z_body(), "grand_returns"),
    ],
)
def test_a_cash_body_lacking_a_field_is_a_projection_error_naming_the_entry(
    type_: str, body: dict[str, Any], missing: str | None
) -> None:
    body = {k: v for k, v in body.items() if k != missing}
    with pytest.raises(ProjectionError) as err:
        project(type_, body, ref(type_, terminal="T02", seq=9))
    assert (
        str(err.value) == f"T02 #9 ({type_}): the body lacks what a {type_} needs ({KeyError(missing or 'reason')!r})"
    )


def test_a_json_column_is_stored_as_json_dumps_writes_it() -> None:
    assert cash_projection._json_text({"20": 3, "0.25": 4}) == '{"20": 3, "0.25": 4}'
    assert cash_projection._json_text([]) == "[]"
    assert json.loads(cash_projection._json_text(FLOAT.to_json(USD))) == {"20": 3, "1": 5, "0.25": 4}


def test_the_cash_office_tables_and_events_are_part_of_the_projection() -> None:
    assert {spec.name for spec in CASH_TABLES} == {"shifts", "cash_movements", "shift_recounts", "z_reports"}
    assert all(TABLES[spec.name] is spec for spec in CASH_TABLES)
    assert {
        "ShiftOpened": cash_projection.shift_opened_ops,
        "ShiftClosed": cash_projection.shift_closed_ops,
        "ShiftRecounted": cash_projection.shift_recounted_ops,
        "CashMoved": cash_projection.cash_moved_ops,
        "ZReportTaken": cash_projection.z_report_ops,
    } == CASH_PROJECTIONS
    assert all(PROJECTIONS[name] is fn for name, fn in CASH_PROJECTIONS.items())


def test_the_cash_office_tables_are_keyed_and_folded_as_verify_needs() -> None:
    assert TABLES["shifts"].key == ("id",) and TABLES["shifts"].mutable  # a close updates the row
    assert TABLES["shifts"].json_columns == ("float_count", "closing_count")
    # movements and recounts have no id of their own: the n-th of a shift is matched in order
    assert TABLES["cash_movements"].key == ("shift_id", ORDINAL)
    assert TABLES["shift_recounts"].key == ("shift_id", ORDINAL)
    assert TABLES["z_reports"].key == ("terminal_id", "number")
    assert not any(TABLES[t].mutable for t in ("cash_movements", "shift_recounts", "z_reports"))
