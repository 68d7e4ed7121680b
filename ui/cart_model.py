"""The cart as a Qt table model (GUI thread only)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from counter.cart import Cart, CartLine
from counter.pricing import Pricing

COLUMNS = ("#", "Item", "Qty", "Price", "Discount", "Amount")
LineIdRole = Qt.ItemDataRole.UserRole + 1
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENTER = Qt.AlignmentFlag.AlignCenter


class CartModel(QAbstractTableModel):
    def __init__(self, cart: Cart, locale: str) -> None:
        super().__init__()
        self._cart = cart
        self._locale = locale
        self._rows: list[CartLine] = []
        self._pricing: Pricing | None = None
        self.refresh()

    def set_cart(self, cart: Cart) -> None:
        self._cart = cart
        self.refresh()

    def refresh(self) -> None:
        """Re-read the cart after a change; the caller then repaints the totals."""
        self.beginResetModel()
        self._rows = self._cart.active_lines
        self._pricing = self._cart.price()
        self.endResetModel()

    @property
    def pricing(self) -> Pricing:
        assert self._pricing is not None
        return self._pricing

    def line_at(self, row: int) -> CartLine | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, line_id: str) -> int:
        for n, line in enumerate(self._rows):
            if line.id == line_id:
                return n
        return -1

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section >= 2:
                return _RIGHT if section > 2 else _CENTER
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self._rows[index.row()]
        col = index.column()
        if role == LineIdRole:
            return line.id
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _CENTER if col in (0, 2) else (_RIGHT if col > 2 else None)
        if role == Qt.ItemDataRole.ToolTipRole and col == 1:
            return f"SKU {line.item.sku}" + (f" · barcode {line.item.barcode}" if line.item.barcode else "")
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        fmt = self._cart.currency.format
        priced = self.pricing.lines[index.row()]
        if col == 0:
            return str(index.row() + 1)
        if col == 1:
            return line.item.name
        if col == 2:
            return str(line.quantity)
        if col == 3:
            return fmt(line.item.price, self._locale)
        if col == 4:
            return f"−{fmt(priced.line_discount, self._locale)}" if priced.line_discount else ""
        return fmt(priced.extended - priced.line_discount, self._locale)
