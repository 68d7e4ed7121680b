"""The sale screen's total panel: its detail rows and what they say (GUI thread only).

The rows' captions are long-lived labels that follow the screen's language; the rows are
found by their English caption (the key), whatever language shows.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from counter.i18n import N_, _
from counter.sales.sale import Sale
from ui.a11y import live_accessible
from ui.i18n import live_text
from ui.theme import text_scale

#: the detail rows under the total, by their English caption (the key of ``detail_labels``)
DETAILS = (
    N_("Subtotal"),
    N_("Discounts"),
    # Translators: the sale's tax, a row under the total
    N_("Tax"),
    # Translators: how many items the sale holds, a row under the total
    N_("Items"),
    # Translators: how much has been paid so far, a row under the total
    N_("Paid"),
    # Translators: how much is still to pay, a row under the total
    N_("Due"),
)
SEARCH_WORDINGS = (  # the scan field's placeholder, longest first: the longest that fits shows
    N_("Scan a barcode, or type a barcode or an item name, then Enter"),
    N_("Scan, or type a barcode or an item name, then Enter"),
    N_("Scan, or type a barcode or a name"),
    N_("Scan or type"),
)


#: from this text scale up, an empty detail row ("—") steps aside for the message below
SPARE_FROM_SCALE = 1.75


class _DetailValue(QLabel):
    """A detail row's value; at large text an empty row hides, caption and all."""

    def __init__(self, caption: QLabel) -> None:
        super().__init__()
        self.caption = caption

    def setText(self, text: str) -> None:  # noqa: N802 - Qt naming
        super().setText(text)
        shown = text != "—" or text_scale() < SPARE_FROM_SCALE
        self.setVisible(shown)
        self.caption.setVisible(shown)


def detail_rows(grid: QGridLayout) -> dict[str, QLabel]:
    """The caption and value of each detail row, from the grid's third row; the values by key."""
    labels: dict[str, QLabel] = {}
    for row, key in enumerate(DETAILS, start=2):
        caption = QLabel()
        caption.setObjectName("detailCaption")
        live_text(caption, key)
        value = _DetailValue(caption)
        value.setObjectName("detailValue")
        value.setAlignment(Qt.AlignmentFlag.AlignRight)
        grid.addWidget(caption, row, 0)
        grid.addWidget(value, row, 1)
        labels[key] = value
    return labels


def total_caption() -> str:
    # Translators: the caption over the sale's total (in capitals on the screen)
    return _("TOTAL")


def change_caption(sale: Sale) -> str:
    """The caption over a sale just paid: the change due, or that it is paid."""
    if sale.change:
        return _("CHANGE DUE · {receipt}").format(receipt=sale.receipt_number)
    return _("PAID · {receipt}").format(receipt=sale.receipt_number)


def discounts_text(total: Decimal, money: Callable[[Decimal], str]) -> str:
    return f"−{money(total)}" if total else "—"


def tax_text(tax: str, included: bool) -> str:
    # Translators: the tax already included in the prices, e.g. "incl. $1.20"
    return _("incl. {amount}").format(amount=tax) if included else tax


def change_details(sale: Sale, money: Callable[[Decimal], str]) -> dict[str, str]:
    """The detail rows of a sale just paid."""
    return {
        "Subtotal": money(sale.subtotal),
        "Discounts": discounts_text(sale.discount_total, money),
        "Tax": money(sale.tax_total),
        "Items": str(sum(ln.quantity for ln in sale.lines)),
        "Paid": money(sum((t.tendered for t in sale.tenders), Decimal(0))),
        "Due": money(Decimal(0)),
    }


def name_controls(scan: QWidget, results: QWidget, lines: QWidget) -> None:
    """The sale screen's controls, named and described for a screen reader (ui/a11y.py)."""
    live_accessible(
        scan,
        N_("Scan or search"),
        N_("Scan an item's barcode, or type its number or part of its name, then Enter adds it to the sale"),
    )
    live_accessible(results, N_("Items found"), N_("Pick an item with the Up and Down keys; Enter adds it"))
    live_accessible(lines, N_("Sale lines"), N_("The items of this sale, with their quantity and price"))
