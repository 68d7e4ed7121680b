"""counter.desk.analysis on rows made here: every returned unit and refunded cent counted once
per dimension, contacts and complaints apart, labels for known codes (the code itself for
unknown ones), the ranking of ``top`` and the CSV row by row."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from counter.desk.analysis import Analysis, Bucket, ComplaintRow, ReturnRow, analyse, to_csv

SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 30)


def rows() -> tuple[list[ReturnRow], list[ComplaintRow]]:
    returns = [
        ReturnRow(
            "KET-01", "Kettle", "small-appliances", "defective", "defective", 2, Decimal("43.30"), "return_to_vendor"
        ),
        ReturnRow("KET-01", "Kettle", "small-appliances", "changed_mind", "new", 1, Decimal("21.65"), "restock"),
        ReturnRow("MUG-01", "Mug", "kitchen", "changed_mind", "opened", 3, Decimal("11.97"), "open_box"),
        ReturnRow("OLD-9", "Old thing", "kitchen", "legacy_reason", "legacy_cond", 1, Decimal("0.99")),
    ]
    contacts = [
        ComplaintRow("complaint", "Product quality", "KET-01", "Kettle"),
        ComplaintRow("inquiry", "Product quality", "KET-01", "Kettle"),
        ComplaintRow("complaint", "Service", "", ""),
        ComplaintRow("comment", "Service", "TOY-01", "Toy"),
    ]
    return returns, contacts


def test_every_unit_and_cent_is_counted_once_per_dimension() -> None:
    a = analyse(*rows(), SINCE, UNTIL)
    assert (a.since, a.until) == (SINCE, UNTIL)
    assert (a.units, a.refunded, a.contacts, a.complaints) == (7, Decimal("77.91"), 4, 2)
    assert a.by_item["KET-01"] == Bucket("Kettle (KET-01)", 3, Decimal("64.95"), 1, 2)
    assert a.by_item["MUG-01"] == Bucket("Mug (MUG-01)", 3, Decimal("11.97"), 0, 0)
    assert a.by_item["TOY-01"] == Bucket("Toy (TOY-01)", 0, Decimal(0), 0, 1)  # a contact only
    assert set(a.by_item) == {"KET-01", "MUG-01", "OLD-9", "TOY-01"}  # a contact without a sale names no item
    assert a.by_category == {
        "small-appliances": Bucket("small-appliances", 3, Decimal("64.95")),
        "kitchen": Bucket("kitchen", 4, Decimal("12.96")),
    }
    assert a.by_reason == {
        "defective": Bucket("Defective", 2, Decimal("43.30")),
        "changed_mind": Bucket("Changed mind", 4, Decimal("33.62")),
        "legacy_reason": Bucket("legacy_reason", 1, Decimal("0.99")),
    }
    assert a.by_condition == {
        "defective": Bucket("Defective", 2, Decimal("43.30")),
        "new": Bucket("New, unopened", 1, Decimal("21.65")),
        "opened": Bucket("Opened", 3, Decimal("11.97")),
        "legacy_cond": Bucket("legacy_cond", 1, Decimal("0.99")),
    }
    assert a.by_contact_category == {
        "Product quality": Bucket("Product quality", 0, Decimal(0), 1, 2),
        "Service": Bucket("Service", 0, Decimal(0), 1, 2),
    }


def test_nothing_in_the_period_is_an_empty_analysis() -> None:
    a = analyse([], [], SINCE, UNTIL)
    assert a == Analysis(SINCE, UNTIL)
    assert (a.units, a.refunded, a.contacts, a.complaints) == (0, Decimal(0), 0, 0)
    assert to_csv(a) == "period_from,period_to,dimension,value,units_returned,refunded,complaints,contacts\n"


def test_top_ranks_by_units_and_complaints_then_refunds_then_label() -> None:
    a = Analysis(SINCE, UNTIL)
    a.by_item = {
        "a": Bucket("Alpha", 2, Decimal("5.00")),
        "b": Bucket("Bravo", 1, Decimal("9.00"), complaints=1),  # 1 unit + 1 complaint: as many as Alpha
        "c": Bucket("Charlie", 2, Decimal("9.00")),
        "d": Bucket("Delta", 2, Decimal("9.00")),
        "e": Bucket("Echo", 0, Decimal("99.00"), contacts=5),  # contacts alone do not rank
        "f": Bucket("Foxtrot", 3, Decimal("0.00")),
    }
    assert [b.label for b in a.top("by_item")] == ["Foxtrot", "Bravo", "Charlie", "Delta", "Alpha", "Echo"]
    assert [b.label for b in a.top("by_item", 2)] == ["Foxtrot", "Bravo"]
    many = Analysis(SINCE, UNTIL)
    many.by_reason = {str(k): Bucket(f"R{k:02d}", k) for k in range(12)}
    assert [b.label for b in many.top("by_reason")] == [f"R{k:02d}" for k in range(11, 1, -1)]  # ten by default


def test_the_csv_has_a_row_per_dimension_and_value_sorted_by_label() -> None:
    a = analyse(*rows(), SINCE, UNTIL)
    text = to_csv(a)
    assert "\r" not in text and text.endswith("\n")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [
        "period_from",
        "period_to",
        "dimension",
        "value",
        "units_returned",
        "refunded",
        "complaints",
        "contacts",
    ]
    body = [r[2:] for r in table[1:]]
    assert all(r[:2] == ["2026-11-01", "2026-11-30"] for r in table[1:])
    assert body == [
        ["By item", "Kettle (KET-01)", "3", "64.95", "1", "2"],
        ["By item", "Mug (MUG-01)", "3", "11.97", "0", "0"],
        ["By item", "Old thing (OLD-9)", "1", "0.99", "0", "0"],
        ["By item", "Toy (TOY-01)", "0", "0.00", "0", "1"],
        ["Returns by category", "kitchen", "4", "12.96", "0", "0"],
        ["Returns by category", "small-appliances", "3", "64.95", "0", "0"],
        ["Returns by reason", "Changed mind", "4", "33.62", "0", "0"],
        ["Returns by reason", "Defective", "2", "43.30", "0", "0"],
        ["Returns by reason", "legacy_reason", "1", "0.99", "0", "0"],
        ["Returns by condition", "Defective", "2", "43.30", "0", "0"],
        ["Returns by condition", "New, unopened", "1", "21.65", "0", "0"],
        ["Returns by condition", "Opened", "3", "11.97", "0", "0"],
        ["Returns by condition", "legacy_cond", "1", "0.99", "0", "0"],
        ["Returns by where they went", "(not recorded)", "1", "0.99", "0", "0"],
        ["Returns by where they went", "Back to stock", "1", "21.65", "0", "0"],
        ["Returns by where they went", "Open box", "3", "11.97", "0", "0"],
        ["Returns by where they went", "Return to vendor", "2", "43.30", "0", "0"],
        ["Contacts by category", "Product quality", "0", "0.00", "1", "2"],
        ["Contacts by category", "Service", "0", "0.00", "1", "2"],
    ]


def test_amounts_in_the_csv_are_plain_decimals_to_the_cent() -> None:
    a = analyse([ReturnRow("X-1", "X", "c", "other", "new", 1, Decimal("1234.5"))], [], SINCE, UNTIL)
    rows_ = list(csv.reader(io.StringIO(to_csv(a))))
    assert rows_[1][4:6] == ["1", "1234.50"]
