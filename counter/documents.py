"""Documents as data: what a receipt says, before anybody decides how to print it.

A ``Receipt`` is built by the domain from a committed sale (``counter.sales``) and
rendered by adapters: ESC/POS bytes for thermal printers (``devices.escpos``), PDF for
A4 and e-mail, and the on-screen preview. Amounts are Decimals in ``currency``;
renderers format them with ``Currency.format`` (Babel) in the receipt's ``locale``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


class ReceiptKind(enum.StrEnum):
    SALE = "sale"
    GIFT = "gift"  # the same sale, without any price
    RETURN = "return"


@dataclass(frozen=True)
class StoreHeader:
    name: str
    address_lines: tuple[str, ...] = ()
    phone: str = ""
    tax_id: str = ""
    footer_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    sku: str
    quantity: int
    unit_price: Decimal
    #: what the customer pays for this line, after line and order discounts
    amount: Decimal
    #: line and allocated order discount together (positive), zero when none
    discount: Decimal = Decimal(0)
    #: short code that ties the line to a row of the tax summary ("A", "B", ...)
    tax_code: str = ""


@dataclass(frozen=True)
class TaxSummaryLine:
    code: str
    label: str
    rate: Decimal  # 0.0825 for 8.25 %
    base: Decimal  # amount the tax was computed on (net of tax)
    tax: Decimal


@dataclass(frozen=True)
class TenderLine:
    label: str  # "Cash", "Visa •••• 4242"
    amount: Decimal
    detail: str = ""  # "Approval 123456"


@dataclass(frozen=True)
class Receipt:
    kind: ReceiptKind
    store: StoreHeader
    receipt_number: str
    terminal: str
    cashier: str
    issued_at: datetime  # local wall-clock time of the store, tz-aware
    currency: str
    locale: str
    lines: tuple[ReceiptLine, ...]
    prices_include_tax: bool
    subtotal: Decimal  # sum of line amounts (before tax when prices exclude tax)
    discount_total: Decimal  # all discounts together (positive)
    taxes: tuple[TaxSummaryLine, ...]
    total: Decimal
    tenders: tuple[TenderLine, ...] = ()
    change: Decimal = Decimal(0)
    #: cash rounding applied to the cash part of the payment (signed)
    rounding: Decimal = Decimal(0)
    #: 0 for the original; 1, 2, ... for reprints, which print "COPY n"
    copy_number: int = 0
    #: data for the receipt's barcode (CODE128) and QR code, used to find the sale again
    barcode_data: str = ""
    qr_data: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: return receipts and credit notes: the sale they refer to
    original_receipt: str = ""
    #: a store-credit voucher issued with this document (printed with its own barcode)
    voucher_code: str = ""

    @property
    def show_prices(self) -> bool:
        return self.kind is not ReceiptKind.GIFT

    @property
    def is_copy(self) -> bool:
        return self.copy_number > 0


@dataclass(frozen=True)
class ReportRow:
    label: str
    value: str
    bold: bool = False


@dataclass(frozen=True)
class ReportSection:
    title: str
    rows: tuple[ReportRow, ...]


@dataclass(frozen=True)
class ReportDocument:
    """A cash-office report (X or Z) as data; values are already formatted for people."""

    title: str  # "X REPORT", "Z REPORT 42"
    store: StoreHeader
    facts: tuple[ReportRow, ...]  # terminal, period, printed at, by
    sections: tuple[ReportSection, ...]
    #: (hour, sales, refunds) for the chart of the PDF
    hourly: tuple[tuple[int, Decimal, Decimal], ...] = ()
    copy_number: int = 0
