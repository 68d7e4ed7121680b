"""The cart as a Qt table model (GUI thread only)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from counter.i18n import N_, _
from counter.sales.cart import Cart, CartLine
from counter.sales.pricing import PricedLine, Pricing
from ui.columns import Column
from ui.i18n import live_headers

COLUMNS = (
    "#",
    N_("Item"),
    # Translators: a column heading: the quantity of the line (short)
    N_("Qty"),
    # Translators: a column heading: the unit price
    N_("Price"),
    N_("Discount"),
    # Translators: a column heading: the line's amount (quantity × price, less its discount)
    N_("Amount"),
)
NAME_COLUMN = 1
LineIdRole = Qt.ItemDataRole.UserRole + 1
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENTER = Qt.AlignmentFlag.AlignCenter


def cart_columns(money: Callable[[Decimal], str]) -> list[Column]:
    """How the cart's columns give way on a narrow window: the discount first (the amount
    is net of it), then the line number, then the unit price; quantity and amount stay."""
    return [
        Column(0, "99", hide_rank=2),
        Column(2, "999"),
        Column(3, money(Decimal("999.99")), hide_rank=3),
        Column(4, f"−{money(Decimal('99.99'))}", hide_rank=1),
        Column(5, money(Decimal("9999.99"))),
    ]


class CartModel(QAbstractTableModel):
    """Rows are the cart's active lines. Each row's display strings are formatted once,
    when the line changes (``refresh``), not each time the view asks (a 200-line cart
    asked ~670 times a scan, each money cell through Babel). ``refresh`` tells the view
    what changed: a line added at the end is inserted, a changed line is a ``dataChanged``
    of its row, and only a removal or a new cart resets the model."""

    def __init__(self, cart: Cart, locale: str) -> None:
        super().__init__()
        self._cart = cart
        self._locale = locale
        self._rows: list[CartLine] = []
        self._ids: list[str] = []
        self._text: list[tuple[str, ...]] = []  # columns 1..5 of each row
        self._cache: dict[str, tuple[tuple[object, ...], tuple[str, ...]]] = {}
        self._pricing: Pricing | None = None
        live_headers(self)  # the headers follow the screen's language
        self.refresh()

    def set_cart(self, cart: Cart) -> None:
        self._cart = cart
        self._cache.clear()
        self._reset()

    def _strings(self, line: CartLine, priced: PricedLine) -> tuple[str, ...]:
        key = (line.item.name, line.item.price, line.quantity, priced.line_discount, priced.extended)
        hit = self._cache.get(line.id)
        if hit is not None and hit[0] == key:
            return hit[1]
        fmt, loc = self._cart.currency.format, self._locale
        text = (
            line.item.name,
            str(line.quantity),
            fmt(line.item.price, loc),
            f"−{fmt(priced.line_discount, loc)}" if priced.line_discount else "",
            fmt(priced.extended - priced.line_discount, loc),
        )
        self._cache[line.id] = (key, text)
        return text

    def _read(self) -> tuple[list[CartLine], list[str], list[tuple[str, ...]]]:
        rows = self._cart.active_lines
        self._pricing = self._cart.price()
        text = [self._strings(line, priced) for line, priced in zip(rows, self._pricing.lines, strict=True)]
        return rows, [line.id for line in rows], text

    def _reset(self, read: tuple[list[CartLine], list[str], list[tuple[str, ...]]] | None = None) -> None:
        self.beginResetModel()
        self._rows, self._ids, self._text = read or self._read()
        live = set(self._ids)
        for gone in [k for k in self._cache if k not in live]:
            del self._cache[gone]
        self.endResetModel()

    def refresh(self) -> None:
        """Re-read the cart after a change; the caller then repaints the totals."""
        old_ids, old_text = self._ids, self._text
        rows, ids, text = self._read()
        n = len(old_ids)
        if ids[:n] != old_ids:  # a line voided or removed, another cart
            self._reset((rows, ids, text))
            return
        changed = [r for r in range(n) if text[r] != old_text[r]]
        if len(ids) > n:
            self.beginInsertRows(QModelIndex(), n, len(ids) - 1)
            self._rows, self._ids, self._text = rows, ids, text
            self.endInsertRows()
        else:
            self._rows, self._ids, self._text = rows, ids, text
        if changed:
            self.dataChanged.emit(
                self.index(changed[0], 0), self.index(changed[-1], len(COLUMNS) - 1), [Qt.ItemDataRole.DisplayRole]
            )

    @property
    def pricing(self) -> Pricing:
        assert self._pricing is not None
        return self._pricing

    def line_at(self, row: int) -> CartLine | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, line_id: str) -> int:
        try:
            return self._ids.index(line_id)
        except ValueError:
            return -1

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section] if section == 0 else _(COLUMNS[section])  # "#" is no word
            if role == Qt.ItemDataRole.TextAlignmentRole and section >= 2:
                return _RIGHT if section > 2 else _CENTER
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return str(row + 1) if col == 0 else self._text[row][col - 1]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _CENTER if col in (0, 2) else (_RIGHT if col > 2 else None)
        if role == LineIdRole:
            return self._rows[row].id
        if role == Qt.ItemDataRole.ToolTipRole and col == NAME_COLUMN:  # the name in full, and the codes
            item = self._rows[row].item
            if item.barcode:
                return _("{name} · SKU {sku} · barcode {barcode}").format(
                    name=item.name, sku=item.sku, barcode=item.barcode
                )
            return _("{name} · SKU {sku}").format(name=item.name, sku=item.sku)
        return None
