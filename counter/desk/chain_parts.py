"""The chain's analysis (counter.desk.chain_analysis) kept in parts: each part is the analysis
of one store's day, and the analysis of a period is the sum of its parts. Every measure is a
count or a sum (units, amounts, complaints) or, for the time to resolution, the list of each
resolved complaint's hours, so adding parts gives exactly what the rows of the whole period
give. A table's label is the first one met, as when the rows are read in one go.

A part is kept as JSON-ready lists (``to_doc``; amounts and hours as decimal strings) and
parts are added as such (``Sum``), not as objects: a period over every store adds
thousands of table rows, and this is the whole of its cost."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from counter.desk.analysis import TABLES, Analysis, Bucket
from counter.desk.chain_analysis import COMPLAINT_TABLES, RATE_TABLES, ChainAnalysis, Rate, Resolution

_SCALARS = ("units", "complaints", "contacts", "sold")


def to_doc(a: ChainAnalysis) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "units": a.base.units,
        "refunded": str(a.base.refunded),
        "complaints": a.base.complaints,
        "contacts": a.base.contacts,
        "sold": a.sold,
    }
    for attr, _ in TABLES:
        buckets: dict[str, Bucket] = getattr(a.base, attr)
        doc[attr] = [[k, b.label, b.units, str(b.refunded), b.complaints, b.contacts] for k, b in buckets.items()]
    for attr, _ in RATE_TABLES:
        rates: dict[str, Rate] = getattr(a, attr)
        doc[attr] = [[k, r.label, r.sold, r.returned] for k, r in rates.items()]
    for attr, _ in COMPLAINT_TABLES:
        res: dict[str, Resolution] = getattr(a, attr)
        doc[attr] = [[k, c.label, c.complaints, c.resolved, [str(h) for h in c.hours]] for k, c in res.items()]
    return doc


class Sum:
    """Parts (``to_doc``) added up: ``add`` each, then ``doc()`` or ``analysis()``."""

    def __init__(self) -> None:
        self.scalars = dict.fromkeys(_SCALARS, 0)
        self.refunded = Decimal(0)
        self.buckets: dict[str, dict[str, list[Any]]] = {attr: {} for attr, _ in TABLES}
        self.rates: dict[str, dict[str, list[Any]]] = {attr: {} for attr, _ in RATE_TABLES}
        self.resolutions: dict[str, dict[str, list[Any]]] = {attr: {} for attr, _ in COMPLAINT_TABLES}

    def add(self, doc: dict[str, Any]) -> None:
        for name in _SCALARS:
            self.scalars[name] += int(doc[name])
        self.refunded += Decimal(doc["refunded"])
        for attr, table in self.buckets.items():
            for key, label, units, refunded, complaints, contacts in doc[attr]:
                got = table.get(key)
                if got is None:
                    table[key] = [label, units, Decimal(refunded), complaints, contacts]
                else:
                    got[1] += units
                    got[2] += Decimal(refunded)
                    got[3] += complaints
                    got[4] += contacts
        for attr, rates in self.rates.items():
            for key, label, sold, returned in doc[attr]:
                got = rates.get(key)
                if got is None:
                    rates[key] = [label, sold, returned]
                else:
                    got[1] += sold
                    got[2] += returned
        for attr, res in self.resolutions.items():
            for key, label, complaints, resolved, hours in doc[attr]:
                got = res.get(key)
                if got is None:
                    res[key] = [label, complaints, resolved, list(hours)]
                else:
                    got[1] += complaints
                    got[2] += resolved
                    got[3].extend(hours)

    def doc(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self.scalars, "refunded": str(self.refunded)}
        for attr, table in self.buckets.items():
            out[attr] = [[k, b[0], b[1], str(b[2]), b[3], b[4]] for k, b in table.items()]
        for attr, rates in self.rates.items():
            out[attr] = [[k, *r] for k, r in rates.items()]
        for attr, res in self.resolutions.items():
            out[attr] = [[k, *c] for k, c in res.items()]
        return out

    def analysis(self, since: date, until: date) -> ChainAnalysis:
        a = ChainAnalysis(Analysis(since, until))
        a.base.units, a.base.refunded = self.scalars["units"], self.refunded
        a.base.complaints, a.base.contacts, a.sold = (self.scalars[n] for n in ("complaints", "contacts", "sold"))
        for attr, table in self.buckets.items():
            buckets: dict[str, Bucket] = getattr(a.base, attr)
            for key, (label, units, refunded, complaints, contacts) in table.items():
                buckets[key] = Bucket(label, units, refunded, complaints, contacts)
        for attr, rates in self.rates.items():
            into: dict[str, Rate] = getattr(a, attr)
            for key, (label, sold, returned) in rates.items():
                into[key] = Rate(label, sold, returned)
        for attr, res in self.resolutions.items():
            into_res: dict[str, Resolution] = getattr(a, attr)
            for key, (label, complaints, resolved, hours) in res.items():
                into_res[key] = Resolution(label, complaints, resolved, [Decimal(h) for h in hours])
        return a
