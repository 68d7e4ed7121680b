"""The chain's returns and complaints analysis (counter.desk.chain_analysis), without a
database: the lane's analysis over every lane's rows, the return rate against sales by item,
category, lane and staff member, and complaints with their time to resolution."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from counter.desk import chain_parts
from counter.desk.analysis import ComplaintRow, ReturnRow, analyse
from counter.desk.chain_analysis import (
    NOT_REFERRED,
    CaseRow,
    LaneReturnRow,
    SoldRow,
    analyse_chain,
    to_csv,
    to_json,
)

DAY = date(2026, 12, 1)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def ret(sku: str, qty: int, lane: str, staff: str, reason: str = "defective", amount: str = "10.00") -> LaneReturnRow:
    name, category = {"A1": ("Shirt", "Apparel"), "K1": ("Kettle", "Home")}[sku]
    row = ReturnRow(sku, name, category, reason, "new", qty, Decimal(amount), "restock")
    return LaneReturnRow(row, lane, staff, *(["Northwind"] if sku == "A1" else []))


SOLD = [
    SoldRow("A1", "Shirt", "Apparel", "S01-T01", "Maria", 6, "Northwind"),
    SoldRow("K1", "Kettle", "Home", "S01-T01", "Maria", 2),  # no vendor on file
    SoldRow("A1", "Shirt", "Apparel", "S02-T01", "Sam", 4, "Northwind"),
]
RETURNS = [
    ret("A1", 1, "S01-T01", "Dana"),
    ret("A1", 2, "S02-T01", "Sam", "changed_mind"),
    ret("K1", 1, "S01-T02", "Sam"),
]
CONTACTS = [ComplaintRow("complaint", "Product quality", "K1", "Kettle"), ComplaintRow("inquiry", "Other", "", "")]
CASES = [
    CaseRow("C1", "complaint", "Product quality", ("Warranty",), T0, T0 + timedelta(hours=26)),
    CaseRow("C2", "complaint", "Product quality", ("Warranty", "Billing"), T0, T0 + timedelta(hours=2, minutes=30)),
    CaseRow("C3", "complaint", "Billing and price", (), T0, None),
    CaseRow("C4", "inquiry", "Other", ("Billing",), T0, T0 + timedelta(hours=1)),
]


def test_the_lanes_analysis_is_kept_whole_over_every_lanes_rows() -> None:
    a = analyse_chain(SOLD, RETURNS, CONTACTS, CASES, DAY, DAY)
    lane = analyse([r.row for r in RETURNS], CONTACTS, DAY, DAY)
    assert a.base == lane


def test_return_rate_by_item_category_lane_and_staff() -> None:
    a = analyse_chain(SOLD, RETURNS, CONTACTS, CASES, DAY, DAY)
    got = {
        t: {r.label: (r.sold, r.returned, r.rate) for r in getattr(a, t).values()}
        for t in ("rate_by_item", "rate_by_category", "rate_by_vendor", "rate_by_lane", "rate_by_staff")
    }
    assert got["rate_by_vendor"] == {
        "Northwind": (10, 3, Decimal("0.3000")),
        "(no vendor on file)": (2, 1, Decimal("0.5000")),
    }
    assert got["rate_by_item"] == {
        "Shirt (A1)": (10, 3, Decimal("0.3000")),
        "Kettle (K1)": (2, 1, Decimal("0.5000")),
    }
    assert got["rate_by_category"] == {"Apparel": (10, 3, Decimal("0.3000")), "Home": (2, 1, Decimal("0.5000"))}
    assert got["rate_by_lane"] == {
        "S01-T01": (8, 1, Decimal("0.1250")),
        "S02-T01": (4, 2, Decimal("0.5000")),
        "S01-T02": (0, 1, None),  # took a return, sold nothing
    }
    assert got["rate_by_staff"] == {
        "Maria": (8, 0, Decimal("0.0000")),
        "Sam": (4, 3, Decimal("0.7500")),
        "Dana": (0, 1, None),
    }
    assert (a.sold, a.base.units, a.rate.rate) == (12, 4, Decimal("0.3333"))


def test_complaints_by_category_and_department_with_time_to_resolution() -> None:
    a = analyse_chain(SOLD, RETURNS, CONTACTS, CASES, DAY, DAY)
    cats = {
        r.label: (r.complaints, r.resolved, r.open, r.mean_hours, r.max_hours)
        for r in a.complaints_by_category.values()
    }
    assert cats == {
        "Product quality": (2, 2, 0, Decimal("14.3"), Decimal("26.00")),  # (26 + 2.5) / 2 = 14.25
        "Billing and price": (1, 0, 1, None, None),
    }
    depts = {r.label: (r.complaints, r.resolved, r.mean_hours) for r in a.complaints_by_department.values()}
    assert depts == {  # the inquiry (C4) is no complaint
        "Warranty": (2, 2, Decimal("14.3")),
        "Billing": (1, 1, Decimal("2.5")),
        NOT_REFERRED: (1, 0, None),
    }


def test_json_and_csv_say_the_same() -> None:
    a = analyse_chain(SOLD, RETURNS, CONTACTS, CASES, DAY, DAY)
    body = to_json(a)
    assert (body["units_sold"], body["units_returned"], body["return_rate"], body["refunded"]) == (
        12,
        4,
        "0.3333",
        "30.00",
    )
    assert {"label": "Dana", "units_sold": 0, "units_returned": 1, "return_rate": None} in body["rate_by_staff"]
    assert "no vendor" in body["vendor"]
    rows = {(r["dimension"], r["value"]): r for r in csv.DictReader(io.StringIO(to_csv(a)))}
    assert rows[("Return rate by staff member", "Sam")]["return_rate"] == "0.7500"
    assert rows[("Return rate by lane", "S01-T02")]["return_rate"] == ""
    warranty = rows[("Complaints by department", "Warranty")]
    assert (warranty["complaints"], warranty["resolved"], warranty["mean_hours_to_resolution"]) == ("2", "2", "14.3")
    assert rows[("Returns by reason", "Defective")]["units_returned"] == "2"
    assert rows[("Contacts by category", "Product quality")]["complaints"] == "1"


@pytest.mark.parametrize("seed", range(6))
def test_the_sum_of_any_split_into_parts_is_the_analysis_of_the_whole(seed: int) -> None:
    """What HQ keeps by store and day (counter.desk.chain_parts) adds up to the whole."""
    rng = random.Random(seed)
    parts: list[tuple[list[Any], list[Any], list[Any], list[Any]]] = [([], [], [], []) for _ in range(4)]
    for n, rows in enumerate((SOLD, RETURNS, CONTACTS, CASES)):
        for row in rows:
            parts[rng.randrange(4)][n].append(row)
    total = chain_parts.Sum()
    for sold, returned, contacts, cases in parts:
        half = chain_parts.Sum()  # a day's parts summed, then kept and added again (every store's day)
        half.add(chain_parts.to_doc(analyse_chain(sold, returned, contacts, cases, DAY, DAY)))
        total.add(half.doc())
    whole = analyse_chain(SOLD, RETURNS, CONTACTS, CASES, DAY, DAY)
    assert to_json(total.analysis(DAY, DAY)) == to_json(whole)
