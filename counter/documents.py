"""Documents as data: what a receipt says, before anybody decides how to print it.

A ``Receipt`` is built by the domain from a committed sale (``counter.sales.sale``) and
rendered by adapters: ESC/POS bytes for thermal printers (``devices.escpos``), PDF for
A4 and e-mail, and the on-screen preview. Amounts are Decimals in ``currency``;
renderers format them with ``Currency.format`` (Babel) in the receipt's ``locale``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from counter.i18n import _


class ReceiptKind(enum.StrEnum):
    SALE = "sale"
    GIFT = "gift"  # the same sale, without any price
    RETURN = "return"
    VOID = "void"  # a sale voided after payments were taken: what was given back (counter.sales.voids)


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
    #: return receipts: the part of the returned value that paid for the new items of an
    #: exchange (not refunded: its total is "returned", not "refunded", when there is any)
    exchange_credit: Decimal = Decimal(0)
    #: the store's prices include VAT: its taxes print as a table per rate (net, VAT,
    #: gross), as EU receipts must show them
    vat_table: bool = False
    #: the language its words print in: the customer's when on file, else the store's
    #: ("" for a document written before it existed: the store locale's language)
    language: str = ""

    @property
    def words(self) -> str:
        """The language this document's words are made in (``counter.i18n.use_language``)."""
        return self.language or self.locale

    @property
    def total_label(self) -> str:
        """What the total is called: a sale's total, or what a return refunded or took back."""
        if self.kind is ReceiptKind.VOID:
            return _("Total voided")
        if self.kind is not ReceiptKind.RETURN:
            # Translators: the total of a sale, as a receipt prints it
            return _("Total")
        return _("Total returned") if self.exchange_credit else _("Total refunded")

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
    language: str = ""  # its words' language: the store's


# ------------------------------------------------------------------ as stored data
# A document due after a commit is written with the commit (counter.trust.outbox), as plain
# JSON-able data: amounts and rates as strings (exact), times as ISO 8601 with their offset.


def receipt_to_data(receipt: Receipt) -> dict[str, object]:
    """The receipt as JSON-able data; ``receipt_from_data`` gives it back unchanged."""
    return {
        "kind": str(receipt.kind),
        "store": {
            "name": receipt.store.name,
            "address_lines": list(receipt.store.address_lines),
            "phone": receipt.store.phone,
            "tax_id": receipt.store.tax_id,
            "footer_lines": list(receipt.store.footer_lines),
        },
        "receipt_number": receipt.receipt_number,
        "terminal": receipt.terminal,
        "cashier": receipt.cashier,
        "issued_at": receipt.issued_at.isoformat(),
        "currency": receipt.currency,
        "locale": receipt.locale,
        "lines": [
            [ln.name, ln.sku, ln.quantity, str(ln.unit_price), str(ln.amount), str(ln.discount), ln.tax_code]
            for ln in receipt.lines
        ],
        "prices_include_tax": receipt.prices_include_tax,
        "subtotal": str(receipt.subtotal),
        "discount_total": str(receipt.discount_total),
        "taxes": [[t.code, t.label, str(t.rate), str(t.base), str(t.tax)] for t in receipt.taxes],
        "total": str(receipt.total),
        "tenders": [[t.label, str(t.amount), t.detail] for t in receipt.tenders],
        "change": str(receipt.change),
        "rounding": str(receipt.rounding),
        "copy_number": receipt.copy_number,
        "barcode_data": receipt.barcode_data,
        "qr_data": receipt.qr_data,
        "notes": list(receipt.notes),
        "original_receipt": receipt.original_receipt,
        "voucher_code": receipt.voucher_code,
        "exchange_credit": str(receipt.exchange_credit),
        "vat_table": receipt.vat_table,
        "language": receipt.language,
    }


def receipt_from_data(data: dict[str, object]) -> Receipt:
    """The receipt that ``receipt_to_data`` wrote. Raises KeyError, TypeError or
    ValueError (decimal.InvalidOperation is one) on data it did not write."""
    d = data
    store = d["store"]
    if not isinstance(store, dict):
        raise TypeError("store is not an object")
    issued_at = datetime.fromisoformat(str(d["issued_at"]))
    if issued_at.tzinfo is None:
        raise ValueError("issued_at has no time zone")

    def rows(key: str) -> list[list[object]]:
        return [_list(row) for row in _list(d[key])]

    return Receipt(
        kind=ReceiptKind(str(d["kind"])),
        store=StoreHeader(
            name=str(store["name"]),
            address_lines=tuple(str(x) for x in _list(store["address_lines"])),
            phone=str(store["phone"]),
            tax_id=str(store["tax_id"]),
            footer_lines=tuple(str(x) for x in _list(store["footer_lines"])),
        ),
        receipt_number=str(d["receipt_number"]),
        terminal=str(d["terminal"]),
        cashier=str(d["cashier"]),
        issued_at=issued_at,
        currency=str(d["currency"]),
        locale=str(d["locale"]),
        lines=tuple(
            ReceiptLine(str(n), str(sku), int(str(q)), Decimal(str(u)), Decimal(str(a)), Decimal(str(disc)), str(c))
            for n, sku, q, u, a, disc, c in rows("lines")
        ),
        prices_include_tax=bool(d["prices_include_tax"]),
        subtotal=Decimal(str(d["subtotal"])),
        discount_total=Decimal(str(d["discount_total"])),
        taxes=tuple(
            TaxSummaryLine(str(c), str(label), Decimal(str(r)), Decimal(str(b)), Decimal(str(t)))
            for c, label, r, b, t in rows("taxes")
        ),
        total=Decimal(str(d["total"])),
        tenders=tuple(TenderLine(str(label), Decimal(str(a)), str(detail)) for label, a, detail in rows("tenders")),
        change=Decimal(str(d["change"])),
        rounding=Decimal(str(d["rounding"])),
        copy_number=int(str(d["copy_number"])),
        barcode_data=str(d["barcode_data"]),
        qr_data=str(d["qr_data"]),
        notes=tuple(str(x) for x in _list(d["notes"])),
        original_receipt=str(d["original_receipt"]),
        voucher_code=str(d["voucher_code"]),
        exchange_credit=Decimal(str(d.get("exchange_credit", "0"))),  # absent: written before it existed
        vat_table=d.get("vat_table") is True,  # absent: written before it existed
        language=str(d.get("language") or ""),
    )


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value
