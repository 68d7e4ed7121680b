"""The returns and complaints analysis over every lane and store (computed at HQ): the lane's
own analysis (counter.desk.analysis.analyse, fed with the same rows) plus what only the
chain's data gives, all pure aggregation over rows the read side supplies:

* the return rate against sales (units returned / units sold in the period) by item,
  category, vendor, lane and staff member. A lane's rate is the units its returns took back
  against the units it sold; a staff member's, the units they took back against the units
  they sold (the refund-to-sales ratio loss prevention watches). An item with no vendor on
  file counts under ``NO_VENDOR``;
* complaints (cases of kind complaint opened in the period) by category and by the
  department they were referred to, with the time from opening to resolution.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from counter.desk.analysis import TABLES, Analysis, Bucket, ComplaintRow, ReturnRow, analyse
from counter.i18n import N_

NOT_REFERRED = "(not referred)"
NO_VENDOR = "(no vendor on file)"


@dataclass(frozen=True)
class SoldRow:
    """Units of an item sold in the period, at a lane, by a cashier."""

    sku: str
    name: str
    category: str
    lane: str  # "S01-T01"
    staff: str  # the cashier's name (their id when HQ has no name)
    quantity: int
    vendor: str = NO_VENDOR  # the item's vendor in the catalog


@dataclass(frozen=True)
class LaneReturnRow:
    """A returned line with the lane and staff member who took it back."""

    row: ReturnRow
    lane: str
    staff: str
    vendor: str = NO_VENDOR  # the returned item's vendor in the catalog


@dataclass(frozen=True)
class CaseRow:
    """A case opened in the period: its kind, category, the departments it was referred to
    and when it was opened and (last) resolved; ``resolved_at`` is None while unresolved."""

    number: str
    kind: str
    category: str
    departments: tuple[str, ...]
    opened_at: datetime
    resolved_at: datetime | None


@dataclass
class Rate:
    label: str
    sold: int = 0
    returned: int = 0

    @property
    def rate(self) -> Decimal | None:
        """Units returned per unit sold, to four places; None with nothing sold."""
        if self.sold <= 0:
            return None
        return (Decimal(self.returned) / Decimal(self.sold)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


@dataclass
class Resolution:
    label: str
    complaints: int = 0
    resolved: int = 0
    hours: list[Decimal] = field(default_factory=list)  # opening to resolution, per resolved one

    @property
    def open(self) -> int:
        return self.complaints - self.resolved

    @property
    def mean_hours(self) -> Decimal | None:
        if not self.hours:
            return None
        return (sum(self.hours, Decimal(0)) / len(self.hours)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def max_hours(self) -> Decimal | None:
        return max(self.hours) if self.hours else None


RATE_TABLES = (
    ("rate_by_item", N_("Return rate by item")),
    ("rate_by_category", N_("Return rate by category")),
    ("rate_by_vendor", N_("Return rate by vendor")),
    ("rate_by_lane", N_("Return rate by lane")),
    ("rate_by_staff", N_("Return rate by staff member")),
)
COMPLAINT_TABLES = (
    ("complaints_by_category", N_("Complaints by category")),
    ("complaints_by_department", N_("Complaints by department")),
)


@dataclass
class ChainAnalysis:
    base: Analysis  # the lane's analysis, over every lane's rows
    rate_by_item: dict[str, Rate] = field(default_factory=dict)
    rate_by_category: dict[str, Rate] = field(default_factory=dict)
    rate_by_vendor: dict[str, Rate] = field(default_factory=dict)
    rate_by_lane: dict[str, Rate] = field(default_factory=dict)
    rate_by_staff: dict[str, Rate] = field(default_factory=dict)
    complaints_by_category: dict[str, Resolution] = field(default_factory=dict)
    complaints_by_department: dict[str, Resolution] = field(default_factory=dict)
    sold: int = 0
    vendor: str = f"The vendor is the item's in HQ's catalog; items without one count under {NO_VENDOR}."

    @property
    def rate(self) -> Rate:
        return Rate("all", self.sold, self.base.units)


def _hours(opened: datetime, resolved: datetime) -> Decimal:
    return (Decimal(int((resolved - opened).total_seconds())) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)


def analyse_chain(
    sold: Iterable[SoldRow],
    returns: Iterable[LaneReturnRow],
    contacts: Iterable[ComplaintRow],
    cases: Iterable[CaseRow],
    since: date,
    until: date,
) -> ChainAnalysis:
    returned = list(returns)
    out = ChainAnalysis(analyse((r.row for r in returned), contacts, since, until))

    def rate(table: dict[str, Rate], key: str, label: str) -> Rate:
        return table.setdefault(key, Rate(label))

    for s in sold:
        for table, key, label in (
            (out.rate_by_item, s.sku, f"{s.name} ({s.sku})"),
            (out.rate_by_category, s.category, s.category),
            (out.rate_by_vendor, s.vendor, s.vendor),
            (out.rate_by_lane, s.lane, s.lane),
            (out.rate_by_staff, s.staff, s.staff),
        ):
            rate(table, key, label).sold += s.quantity
        out.sold += s.quantity
    for r in returned:
        for table, key, label in (
            (out.rate_by_item, r.row.sku, f"{r.row.name} ({r.row.sku})"),
            (out.rate_by_category, r.row.category, r.row.category),
            (out.rate_by_vendor, r.vendor, r.vendor),
            (out.rate_by_lane, r.lane, r.lane),
            (out.rate_by_staff, r.staff, r.staff),
        ):
            rate(table, key, label).returned += r.row.quantity
    for c in cases:
        if c.kind != "complaint":
            continue
        hours = _hours(c.opened_at, c.resolved_at) if c.resolved_at is not None else None
        keyed: list[tuple[dict[str, Resolution], str]] = [(out.complaints_by_category, c.category)]
        keyed += [(out.complaints_by_department, d) for d in (sorted(set(c.departments)) or [NOT_REFERRED])]
        for res_table, key in keyed:
            b = res_table.setdefault(key, Resolution(key))
            b.complaints += 1
            if hours is not None:
                b.resolved += 1
                b.hours.append(hours)
    return out


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _bucket_json(b: Bucket) -> dict[str, Any]:
    return {
        "label": b.label,
        "units_returned": b.units,
        "refunded": f"{b.refunded:.2f}",
        "complaints": b.complaints,
        "contacts": b.contacts,
    }


def _rate_json(r: Rate) -> dict[str, Any]:
    return {"label": r.label, "units_sold": r.sold, "units_returned": r.returned, "return_rate": _num(r.rate)}


def _resolution_json(r: Resolution) -> dict[str, Any]:
    return {
        "label": r.label,
        "complaints": r.complaints,
        "resolved": r.resolved,
        "open": r.open,
        "mean_hours_to_resolution": _num(r.mean_hours),
        "max_hours_to_resolution": _num(r.max_hours),
    }


def to_json(a: ChainAnalysis) -> dict[str, Any]:
    """The whole result as JSON-ready values (amounts and rates as decimal strings), each
    table's rows sorted by label."""
    out: dict[str, Any] = {
        "since": a.base.since.isoformat(),
        "until": a.base.until.isoformat(),
        "units_sold": a.sold,
        "units_returned": a.base.units,
        "return_rate": _num(a.rate.rate),
        "refunded": f"{a.base.refunded:.2f}",
        "complaints": a.base.complaints,
        "contacts": a.base.contacts,
        "vendor": a.vendor,
    }
    for attr, _ in TABLES:
        buckets: dict[str, Bucket] = getattr(a.base, attr)
        out[attr] = [_bucket_json(b) for b in sorted(buckets.values(), key=lambda b: b.label)]
    for attr, _ in RATE_TABLES:
        rates: dict[str, Rate] = getattr(a, attr)
        out[attr] = [_rate_json(r) for r in sorted(rates.values(), key=lambda r: r.label)]
    for attr, _ in COMPLAINT_TABLES:
        res: dict[str, Resolution] = getattr(a, attr)
        out[attr] = [_resolution_json(r) for r in sorted(res.values(), key=lambda r: r.label)]
    return out


def to_csv(a: ChainAnalysis) -> str:
    """One row per (dimension, value), every table in one sheet; empty cells where a
    measure does not apply to the dimension."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "period_from",
            "period_to",
            "dimension",
            "value",
            "units_sold",
            "units_returned",
            "return_rate",
            "refunded",
            "complaints",
            "contacts",
            "resolved",
            "mean_hours_to_resolution",
            "max_hours_to_resolution",
        ]
    )
    period = [a.base.since, a.base.until]
    for attr, title in TABLES:
        buckets: dict[str, Bucket] = getattr(a.base, attr)
        for b in sorted(buckets.values(), key=lambda b: b.label):
            w.writerow([*period, title, b.label, "", b.units, "", f"{b.refunded:.2f}", b.complaints, b.contacts])
    for attr, title in RATE_TABLES:
        rates: dict[str, Rate] = getattr(a, attr)
        for r in sorted(rates.values(), key=lambda r: r.label):
            w.writerow([*period, title, r.label, r.sold, r.returned, _num(r.rate) or ""])
    for attr, title in COMPLAINT_TABLES:
        res: dict[str, Resolution] = getattr(a, attr)
        for c in sorted(res.values(), key=lambda r: r.label):
            w.writerow(
                [*period, title, c.label, "", "", "", "", c.complaints, "", c.resolved]
                + [_num(c.mean_hours) or "", _num(c.max_hours) or ""]
            )
    return buf.getvalue()
