"""The returns and complaints analysis: what comes back and what people complain about,
by item, category, reason and condition, over a period. Pure aggregation over rows the
read side supplies; the screen, the PDF and the CSV all show this one result."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from counter.money import ZERO
from counter.returns.policy import REASON_LABELS, Condition, Reason


@dataclass(frozen=True)
class ReturnRow:
    sku: str
    name: str
    category: str
    reason: str
    condition: str
    quantity: int
    refunded: Decimal  # after fees


@dataclass(frozen=True)
class ComplaintRow:
    kind: str  # inquiry, complaint, comment, request
    category: str
    sku: str  # of the first item of the linked sale, "" when none
    item: str


@dataclass
class Bucket:
    label: str
    units: int = 0
    refunded: Decimal = ZERO
    complaints: int = 0
    contacts: int = 0


@dataclass
class Analysis:
    since: date
    until: date  # inclusive
    by_item: dict[str, Bucket] = field(default_factory=dict)
    by_category: dict[str, Bucket] = field(default_factory=dict)
    by_reason: dict[str, Bucket] = field(default_factory=dict)
    by_condition: dict[str, Bucket] = field(default_factory=dict)
    by_contact_category: dict[str, Bucket] = field(default_factory=dict)
    units: int = 0
    refunded: Decimal = ZERO
    complaints: int = 0
    contacts: int = 0

    def top(self, table: str, n: int = 10) -> list[Bucket]:
        buckets: dict[str, Bucket] = getattr(self, table)
        return sorted(buckets.values(), key=lambda b: (-b.units - b.complaints, -b.refunded, b.label))[:n]


def _reason_label(code: str) -> str:
    try:
        return REASON_LABELS[Reason(code)]
    except ValueError:
        return code


def _condition_label(code: str) -> str:
    try:
        return Condition(code).label
    except ValueError:
        return code


def analyse(returns: Iterable[ReturnRow], contacts: Iterable[ComplaintRow], since: date, until: date) -> Analysis:
    out = Analysis(since, until)

    def bucket(table: dict[str, Bucket], key: str, label: str) -> Bucket:
        if key not in table:
            table[key] = Bucket(label)
        return table[key]

    for r in returns:
        for table, key, label in (
            (out.by_item, r.sku, f"{r.name} ({r.sku})"),
            (out.by_category, r.category, r.category),
            (out.by_reason, r.reason, _reason_label(r.reason)),
            (out.by_condition, r.condition, _condition_label(r.condition)),
        ):
            b = bucket(table, key, label)
            b.units += r.quantity
            b.refunded += r.refunded
        out.units += r.quantity
        out.refunded += r.refunded
    for c in contacts:
        complaint = c.kind == "complaint"
        b = bucket(out.by_contact_category, c.category, c.category)
        b.contacts += 1
        b.complaints += complaint
        if c.sku:
            item = bucket(out.by_item, c.sku, f"{c.item} ({c.sku})")
            item.contacts += 1
            item.complaints += complaint
        out.contacts += 1
        out.complaints += complaint
    return out


TABLES = (
    ("by_item", "By item"),
    ("by_category", "Returns by category"),
    ("by_reason", "Returns by reason"),
    ("by_condition", "Returns by condition"),
    ("by_contact_category", "Contacts by category"),
)


def to_csv(analysis: Analysis) -> str:
    """One row per (dimension, value): spreadsheet-friendly, amounts as plain decimals."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["period_from", "period_to", "dimension", "value", "units_returned", "refunded", "complaints", "contacts"]
    )
    for attr, title in TABLES:
        buckets: dict[str, Bucket] = getattr(analysis, attr)
        for b in sorted(buckets.values(), key=lambda b: b.label):
            w.writerow(
                [analysis.since, analysis.until, title, b.label, b.units, f"{b.refunded:.2f}", b.complaints, b.contacts]
            )
    return buf.getvalue()
