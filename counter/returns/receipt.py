"""The return receipt (and credit note) of a recorded return, as a document."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from counter.documents import Receipt, ReceiptKind, ReceiptLine, TaxSummaryLine, TenderLine
from counter.i18n import _, in_sentence, use_language
from counter.money import ZERO
from counter.returns.policy import REASON_LABELS
from counter.sales.tenders import TenderKind
from counter.store import StoreConfig

if TYPE_CHECKING:  # counter.returns.process imports this module
    from counter.returns.process import ReturnRecord


def short_name(name: str, width: int) -> str:
    """An item's name cut to ``width`` characters at a word, never at a comma or a dash, and
    marked as cut: "Men's Crew T-Shirt, Navy, Large" → "Men's Crew T-Shirt…"."""
    name = " ".join(name.split())
    if len(name) <= width:
        return name
    cut = name[: width - 1]
    if " " in cut and name[width - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-/") + "…"


def return_receipt(
    record: ReturnRecord, store: StoreConfig, cashier_name: str, *, copy_number: int = 0, language: str = ""
) -> Receipt:
    """The return receipt and credit note, its words in ``language`` (the customer's), else
    the store's."""
    with use_language(language or store.locale):
        return replace(_return_receipt(record, store, cashier_name, copy_number), language=language)


def _return_receipt(record: ReturnRecord, store: StoreConfig, cashier_name: str, copy_number: int) -> Receipt:
    q = record.quote
    taxes: dict[str, list[object]] = {}
    for ln in q.lines:
        entry = taxes.setdefault(ln.tax_code, [ln.tax_rate, ZERO, ZERO])
        entry[1] += ln.gross - ln.tax  # type: ignore[operator]
        entry[2] += ln.tax  # type: ignore[operator]
    notes = []
    if record.original_receipt:
        notes.append(_("Original receipt: {receipt}").format(receipt=record.original_receipt))
    else:
        # the ID's type is as the journal keeps it (English)
        notes.append(_("Returned without a receipt. ID: {id}").format(id=record.customer_hint))
    for ln in q.lines:
        # Translators: a returned line on a return receipt: "{item}: {reason}, {condition}"
        notes.append(
            _("{item}: {reason}, {condition}").format(
                item=short_name(ln.name, 24),
                reason=_(REASON_LABELS[ln.request.reason]),
                condition=in_sentence(ln.request.condition.label),
            )
        )
    if q.fee_total:
        fees = store.currency.format(q.fee_total, store.locale)
        notes.append(_("Restocking fees kept: {amount}").format(amount=fees))
    if q.exchange_credit:
        used = store.currency.format(q.exchange_credit, store.locale)
        notes.append(_("Exchange credit used: {amount}").format(amount=used))
    if record.exchange_sale is not None:
        notes.append(_("New items on receipt {receipt}").format(receipt=record.exchange_sale.receipt_number))
    tenders = []
    for part in q.allocation.parts:
        if part.kind is TenderKind.CARD and part.card:
            # Translators: a refund line of a return receipt; {card} is "Visa •••• 4242"
            to_card = _("To {card}").format(card=part.card.label)
            tenders.append(TenderLine(to_card, part.amount, _("Original approval {code}").format(code=part.reference)))
        elif part.kind is TenderKind.STORE_CREDIT:
            voucher = _("Voucher {code}").format(code=record.voucher_code)
            tenders.append(TenderLine(_("To store credit"), part.amount, voucher))
        else:
            tenders.append(TenderLine(_("Cash refunded"), part.amount))
    if q.exchange_credit and record.exchange_sale is not None:
        receipt = _("Receipt {receipt}").format(receipt=record.exchange_sale.receipt_number)
        tenders.append(TenderLine(_("Toward the new items"), q.exchange_credit, receipt))
    return Receipt(
        kind=ReceiptKind.RETURN,
        store=store.header,
        receipt_number=record.return_number,
        terminal=record.return_number.split("-")[1],
        cashier=cashier_name,
        issued_at=record.completed_at.astimezone(store.zone),
        currency=store.currency.code,
        locale=store.locale,
        lines=tuple(
            ReceiptLine(
                name=ln.name,
                sku=ln.sku,
                quantity=ln.request.quantity,
                unit_price=(ln.gross / ln.request.quantity).quantize(store.currency.quantum),
                amount=ln.refund,
                discount=ZERO,
                tax_code=ln.tax_code,
            )
            for ln in q.lines
        ),
        prices_include_tax=True,  # refund amounts are shown tax included
        subtotal=q.refund_total,
        discount_total=ZERO,
        taxes=tuple(
            TaxSummaryLine(code, "", rate, base, tax)  # type: ignore[arg-type]  # the code and rate say it
            for code, (rate, base, tax) in sorted(taxes.items())
        ),
        total=q.refund_total,
        tenders=tuple(tenders),
        copy_number=copy_number,
        barcode_data=record.voucher_code or record.return_number,
        qr_data=f"CNTR:{record.return_number}",
        notes=tuple(notes),
        original_receipt=record.original_receipt or "",
        voucher_code=record.voucher_code or "",
        exchange_credit=q.exchange_credit,
        vat_table=store.prices_include_tax,
    )
