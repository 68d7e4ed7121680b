"""The returns and complaints analysis: what comes back and what people complain about,
by item, category, reason, condition and where the units went, over a period, and the
return-to-vendor list a manager prints for the buyer. Pure aggregation over rows the
read side supplies; the screen, the PDF and the CSV all show this one result."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from counter.i18n import N_
from counter.money import ZERO
from counter.returns.policy import REASON_LABELS, Condition, Disposition, Reason


@dataclass(frozen=True)
class ReturnRow:
    sku: str
    name: str
    category: str
    reason: str
    condition: str
    quantity: int
    refunded: Decimal  # after fees
    disposition: str = ""  # where the units went (counter.returns.policy.Disposition)
    return_number: str = ""
    day: date | None = None  # the return's day in the store's time zone


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
    by_disposition: dict[str, Bucket] = field(default_factory=dict)
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


def _disposition_label(code: str) -> str:
    try:
        return Disposition(code).label
    except ValueError:
        return code or "(not recorded)"


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
            (out.by_disposition, r.disposition, _disposition_label(r.disposition)),
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


#: each table's title (marked; the screen and PDF show ``_(title)``, the CSV keeps the English)
TABLES = (
    ("by_item", N_("By item")),
    ("by_category", N_("Returns by category")),
    ("by_reason", N_("Returns by reason")),
    ("by_condition", N_("Returns by condition")),
    ("by_disposition", N_("Returns by where they went")),
    ("by_contact_category", N_("Contacts by category")),
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


@dataclass
class VendorItem:
    """One item on the return-to-vendor list: how many units go back, what they cost the
    store in refunds, why, and the returns they came in with."""

    sku: str
    name: str
    units: int = 0
    refunded: Decimal = ZERO
    reasons: dict[str, int] = field(default_factory=dict)  # label -> units
    returns: list[str] = field(default_factory=list)  # return numbers, in the order they came

    @property
    def reasons_text(self) -> str:
        return ", ".join(f"{label} {n}" for label, n in sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0])))


def return_to_vendor(returns: Iterable[ReturnRow]) -> list[VendorItem]:
    """What goes back to the vendors: every unit whose disposition is return to vendor, per
    item (by name, then SKU)."""
    items: dict[str, VendorItem] = {}
    for r in returns:
        if r.disposition != Disposition.RETURN_TO_VENDOR:
            continue
        it = items.setdefault(r.sku, VendorItem(r.sku, r.name))
        it.units += r.quantity
        it.refunded += r.refunded
        label = _reason_label(r.reason)
        it.reasons[label] = it.reasons.get(label, 0) + r.quantity
        if r.return_number and r.return_number not in it.returns:
            it.returns.append(r.return_number)
    return sorted(items.values(), key=lambda i: (i.name.casefold(), i.sku))
