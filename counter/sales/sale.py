"""A completed sale: what was sold, at what price and tax, and how it was paid.

A ``Sale`` is immutable once built; corrections (returns, voids) are new records that
point at it. ``receipt_for`` turns a sale into the receipt document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from counter.documents import Receipt, ReceiptKind, ReceiptLine, TaxSummaryLine, TenderLine
from counter.i18n import _, use_language
from counter.money import ZERO, Currency
from counter.sales.pricing import TaxTotal
from counter.sales.tenders import Tender
from counter.store import StoreConfig


@dataclass(frozen=True)
class SaleLine:
    id: str
    line_no: int
    item_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    line_discount: Decimal
    order_discount: Decimal
    amount: Decimal
    tax: Decimal
    gross: Decimal
    tax_code: str
    tax_rate: Decimal


@dataclass(frozen=True)
class Sale:
    id: str
    receipt_number: str
    store_id: str
    terminal_id: str
    cashier_id: str
    cashier_name: str
    completed_at: datetime  # UTC
    currency: Currency
    prices_include_tax: bool
    lines: tuple[SaleLine, ...]
    taxes: tuple[TaxTotal, ...]
    tenders: tuple[Tender, ...]
    rounding: Decimal

    @property
    def subtotal(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((ln.line_discount + ln.order_discount for ln in self.lines), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((t.amount for t in self.taxes), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((ln.gross for ln in self.lines), ZERO)

    @property
    def change(self) -> Decimal:
        return sum((t.change for t in self.tenders), ZERO)

    def journal_body(self) -> dict[str, Any]:
        """The SaleCompleted body: money in integer minor units, rates as strings."""
        m = self.currency.to_minor
        return {
            "sale_id": self.id,
            "receipt_number": self.receipt_number,
            "store": self.store_id,
            "cashier": self.cashier_id,
            "cashier_name": self.cashier_name,
            "currency": self.currency.code,
            "prices_include_tax": self.prices_include_tax,
            "lines": [
                {
                    "line_id": ln.id,
                    "item_id": ln.item_id,
                    "sku": ln.sku,
                    "name": ln.name,
                    "qty": ln.quantity,
                    "unit_price": m(ln.unit_price),
                    "line_discount": m(ln.line_discount),
                    "order_discount": m(ln.order_discount),
                    "amount": m(ln.amount),
                    "tax": m(ln.tax),
                    "gross": m(ln.gross),
                    "tax_code": ln.tax_code,
                    "tax_rate": str(ln.tax_rate),
                }
                for ln in self.lines
            ],
            "taxes": [
                {
                    "code": t.tax.code,
                    "label": t.tax.label,
                    "rate": str(t.tax.rate),
                    "base": m(t.base),
                    "tax": m(t.amount),
                }
                for t in self.taxes
            ],
            "tenders": [t.journal_body(m) for t in self.tenders],
            "rounding": m(self.rounding),
            "total": m(self.total),
        }


def receipt_for(
    sale: Sale, store: StoreConfig, *, kind: ReceiptKind = ReceiptKind.SALE, copy_number: int = 0, language: str = ""
) -> Receipt:
    """The receipt of ``sale``, its words in ``language`` (the customer's), else the store's."""
    with use_language(language or store.locale):
        return _receipt(sale, store, kind, copy_number, language)


def _receipt(sale: Sale, store: StoreConfig, kind: ReceiptKind, copy_number: int, language: str) -> Receipt:
    return Receipt(
        kind=kind,
        store=store.header,
        receipt_number=sale.receipt_number,
        terminal=sale.terminal_id,
        cashier=sale.cashier_name,
        issued_at=sale.completed_at.astimezone(store.zone),
        currency=sale.currency.code,
        locale=store.locale,
        lines=tuple(
            ReceiptLine(
                name=ln.name,
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                amount=ln.amount,
                discount=ln.line_discount + ln.order_discount,
                tax_code=ln.tax_code,
            )
            for ln in sale.lines
        ),
        prices_include_tax=sale.prices_include_tax,
        subtotal=sale.subtotal,
        discount_total=sale.discount_total,
        taxes=tuple(TaxSummaryLine(t.tax.code, t.tax.label, t.tax.rate, t.base, t.amount) for t in sale.taxes),
        total=sale.total,
        tenders=tuple(
            # Translators: on a receipt, under a card payment: the terminal's approval code
            TenderLine(t.label, t.tendered, _("Approval {code}").format(code=t.card.approval_code) if t.card else "")
            for t in sale.tenders
        ),
        change=sale.change,
        rounding=sale.rounding,
        copy_number=copy_number,
        barcode_data=sale.receipt_number,
        qr_data=f"CNTR:{sale.receipt_number}",
        vat_table=sale.prices_include_tax,
        language=language,
    )
