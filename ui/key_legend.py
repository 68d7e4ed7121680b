"""The bar of key buttons along the bottom of a screen (GUI thread only).

Each button shows its key over what it does ("F4" over "Line discount"). The keys sit on
one row when they all fit at their natural width; on a narrower window they go on two,
then three rows, so that a label is never cut. The bar's minimum width is that of its
last arrangement, so the window can always be made narrow enough for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from counter.i18n import _
from ui.i18n import live

MAX_ROWS = 3
SPACING = 6
MARGINS = (12, 6, 12, 6)


class KeyLegend(QFrame):
    """``keys`` are (key, label, what it does), the label in English (marked ``N_``: the
    legend shows it translated, and again after a language switch); ``fill``: the buttons share the whole width
    (else they keep their natural width, from the left)."""

    def __init__(
        self, keys: Sequence[tuple[str, str, Callable[[], None]]], *, fill: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("keyLegend")
        self.fill = fill
        self.buttons: list[QPushButton] = []
        self.labels: list[tuple[str, str]] = []  # (key, label's English): the label is shown through _()
        for key, label, act in keys:
            button = QPushButton(self)
            button.setObjectName("keyButton")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _checked=False, a=act: a())
            self.buttons.append(button)
            self.labels.append((key, label))
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(*MARGINS)
        self.column.setSpacing(SPACING)
        self.rows = 0
        live(self, self._relabel)
        self._arrange(1)

    def _relabel(self) -> None:
        """Each button's key over its label in the screen's language (again after a switch,
        when the rows are arranged again for the new widths)."""
        for button, (key, label) in zip(self.buttons, self.labels, strict=True):
            button.setText(f"{key}\n{_(label)}")
        if self.rows:
            self.rows = 0
            self._arrange(self.rows_for(self.width()))

    # ------------------------------------------------------------ arrangement
    def _chunks(self, rows: int) -> list[list[QPushButton]]:
        per_row = -(-len(self.buttons) // rows)
        return [self.buttons[i : i + per_row] for i in range(0, len(self.buttons), per_row)]

    def _row_width(self, row: list[QPushButton]) -> int:
        return sum(b.sizeHint().width() for b in row) + SPACING * (len(row) - 1)

    def needed_width(self, rows: int) -> int:
        """The width the keys need on ``rows`` rows, margins included."""
        return max((self._row_width(row) for row in self._chunks(rows)), default=0) + MARGINS[0] + MARGINS[2]

    def rows_for(self, width: int) -> int:
        return next((n for n in range(1, MAX_ROWS + 1) if self.needed_width(n) <= width), MAX_ROWS)

    def _arrange(self, rows: int) -> None:
        if rows == self.rows or not self.buttons:
            return
        self.rows = rows
        while (item := self.column.takeAt(0)) is not None:
            inner = item.layout()
            if inner is not None:
                while inner.takeAt(0) is not None:
                    pass
                inner.deleteLater()
        for chunk in self._chunks(rows):
            line = QHBoxLayout()
            line.setSpacing(SPACING)
            for button in chunk:
                line.addWidget(button)
            if not self.fill:
                line.addStretch(1)
            self.column.addLayout(line)
        self.updateGeometry()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._arrange(self.rows_for(event.size().width()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        """As narrow as the keys on the most rows; as tall as they are on the rows they have now."""
        return QSize(self.needed_width(MAX_ROWS), self.column.minimumSize().height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        return QSize(self.needed_width(self.rows or 1), self.column.sizeHint().height())
