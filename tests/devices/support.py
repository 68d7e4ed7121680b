"""Helpers of the device tests: a sample receipt, short deadlines, a job-result collector."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from counter.documents import (
    Receipt,
    ReceiptKind,
    ReceiptLine,
    StoreHeader,
    TaxSummaryLine,
    TenderLine,
)
from devices.errors import DeviceError
from devices.links.base import Deadlines

D = Decimal

#: Short enough to keep the folder fast, long enough for a loaded CI machine.
FAST = Deadlines(connect=1.0, write=2.0, status=0.3)


def make_receipt(**changes: object) -> Receipt:
    fields: dict[str, object] = dict(
        kind=ReceiptKind.SALE,
        store=StoreHeader(
            name="Café Ñandú",
            address_lines=("12 Rue de l'Église", "75001 Paris"),
            phone="+33 1 23 45 67 89",
            tax_id="FR 12 345678901",
            footer_lines=("Merci et à bientôt !", "Returns within 30 days"),
        ),
        receipt_number="S01-T01-000042",
        terminal="T01",
        cashier="Zoë",
        issued_at=datetime(2025, 1, 15, 14, 32, tzinfo=ZoneInfo("Europe/Paris")),
        currency="EUR",
        locale="de_DE",
        language="en",  # German money and dates, English words: the golden texts are about code pages
        lines=(
            ReceiptLine("Crème brûlée", "100001", 2, D("3.50"), D("6.00"), D("1.00"), "A"),
            ReceiptLine("Smørrebrød £ édition spéciale très longue", "100002", 1, D("12.00"), D("12.00"), D(0), "B"),
            ReceiptLine("Jalapeño-Käse für Müller", "100003", 3, D("1.99"), D("5.97"), D(0), "A"),
        ),
        prices_include_tax=True,
        subtotal=D("23.97"),
        discount_total=D("1.00"),
        taxes=(
            TaxSummaryLine("A", "VAT", D("0.055"), D("11.35"), D("0.62")),
            TaxSummaryLine("B", "VAT", D("0.20"), D("10.00"), D("2.00")),
        ),
        total=D("23.97"),
        tenders=(TenderLine("Visa ending 4242", D("10.00"), "Approval 123456"), TenderLine("Cash", D("20.00"))),
        change=D("6.03"),
        barcode_data="S01-T01-000042",
        qr_data="https://counter.example/r/S01-T01-000042",
    )
    fields.update(changes)
    return Receipt(**fields)  # type: ignore[arg-type]


class JobResults:
    """Collects on_done callbacks (called on the printer's worker thread)."""

    def __init__(self) -> None:
        self.results: dict[str, DeviceError | None] = {}
        self._cond = threading.Condition()

    def __call__(self, job_id: str, error: DeviceError | None) -> None:
        with self._cond:
            self.results[job_id] = error
            self._cond.notify_all()

    def wait(self, job_id: str, timeout: float = 5.0) -> DeviceError | None:
        with self._cond:
            if not self._cond.wait_for(lambda: job_id in self.results, timeout):
                raise AssertionError(f"job {job_id} did not finish within {timeout} s")
            return self.results[job_id]
