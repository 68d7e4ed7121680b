"""Table columns that give way in a sensible order, and the picked line in full (GUI thread).

A table's amounts and quantities keep the width their text needs; the name column takes
what is left. When that is fewer than ``NAME_CHARS`` characters, the columns worth least
at the counter hide first (in their ``hide_rank`` order); the ones that may shrink (their
text elided) narrow while the name has fewer than ``NAME_WANTS``. Names too long for
their column are elided in the middle, so that both the start and the size or colour at
the end stay readable, and ``LineDetail`` under the table says the picked line in full:
the whole name and what the hidden or shortened columns hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStyle,
    QStyleOptionHeader,
    QTableView,
    QTableWidget,
    QWidget,
)

from counter.i18n import _
from ui.theme import scaled

#: the fewest characters of a name a table shows before other columns give way
NAME_CHARS = 16
#: the characters of a name a shrinking column gives way to
NAME_WANTS = 24


@dataclass(frozen=True)
class Column:
    """How a column other than the name gives way."""

    index: int
    sample: str = ""  # the widest text it shows ("$9,999.99"): its width holds before rows show it
    hide_rank: int = 0  # > 0: hidden when room is short, rank 1 first; 0: always shown
    shrink_chars: int = 0  # > 0: may narrow to this many characters (elided) before the name is squeezed


class ColumnFit(QObject):
    """Sizes ``table``'s columns to the room it has, each time the room or the rows change."""

    changed = Signal()  # which columns show, or how wide, changed

    def __init__(
        self, table: QTableView, name_column: int, columns: Sequence[Column], *, name_chars: int = NAME_CHARS
    ) -> None:
        super().__init__(table)
        self.table, self.name_column, self.name_chars = table, name_column, name_chars
        self.columns = {c.index: c for c in columns}
        self.hidden: set[int] = set()
        self.widths: dict[int, int] = {}
        # what tests/ui/layout_checks.py reads: the columns whose text may show shortened
        table.setProperty("nameColumn", name_column)
        table.setProperty("shrinkColumns", [c.index for c in columns if c.shrink_chars])
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = table.horizontalHeader()
        header.setMinimumSectionSize(8)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(name_column, QHeaderView.ResizeMode.Stretch)
        table.viewport().installEventFilter(self)
        model = table.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged):
            signal.connect(self.fit)
        # bound methods, not lambdas: Qt lets go of them with this object
        model.dataChanged.connect(self._changed)
        model.headerDataChanged.connect(self._changed)

    def _changed(self, *_args: object) -> None:
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def _margin(self) -> int:
        """A cell's text margins (QStyledItemDelegate's), and a pixel to spare."""
        return 2 * (self.table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.table) + 1) + 2

    def natural_width(self, index: int) -> int:
        """The width a column's header, rows shown and sample need."""
        column = self.columns.get(index, Column(index))
        fm = self.table.fontMetrics()
        sample = fm.horizontalAdvance(column.sample) + self._margin() if column.sample else 0
        return max(self.header_width(index), self.table.sizeHintForColumn(index) + 1, sample)

    def header_width(self, index: int) -> int:
        """What QHeaderView.sectionSizeHint says for a shown section (it says 0 for a hidden
        one, which would never come back): the style's size of the heading, in bold."""
        header = self.table.horizontalHeader()
        option = QStyleOptionHeader()
        option.initFrom(header)
        option.section = index
        option.orientation = Qt.Orientation.Horizontal
        option.text = str(self.table.model().headerData(index, Qt.Orientation.Horizontal) or "")
        bold = header.font()
        bold.setBold(True)
        option.fontMetrics = QFontMetrics(bold)
        size = header.style().sizeFromContents(QStyle.ContentsType.CT_HeaderSection, option, QSize(), header)
        return max(size.width(), header.minimumSectionSize())

    def name_room(self, chars: int | None = None) -> int:
        return self.table.fontMetrics().averageCharWidth() * (chars or self.name_chars) + self._margin()

    def fit(self) -> None:
        table = self.table
        if not shiboken6.isValid(table):
            return  # a model's signal while its table is being destroyed
        count = table.model().columnCount()
        room = table.viewport().width()
        need = {i: self.natural_width(i) for i in range(count) if i != self.name_column}
        shown = set(need)
        for column in sorted((c for c in self.columns.values() if c.hide_rank > 0), key=lambda c: c.hide_rank):
            if sum(need[i] for i in shown) + self.name_room() <= room:
                break
            shown.discard(column.index)
        excess = sum(need[i] for i in shown) + self.name_room(max(NAME_WANTS, self.name_chars)) - room
        for column in self.columns.values():
            if excess <= 0:
                break
            if column.shrink_chars and column.index in shown:
                least = table.fontMetrics().averageCharWidth() * column.shrink_chars + self._margin()
                give = max(0, min(need[column.index] - least, excess))
                need[column.index] -= give
                excess -= give
        hidden = set(need) - shown
        widths = {i: need[i] for i in shown}
        applied = all(table.isColumnHidden(i) == (i in hidden) for i in range(count)) and all(
            table.columnWidth(i) == width for i, width in widths.items()
        )  # a reset model gives the header its default sizes back
        if applied and (hidden, widths) == (self.hidden, self.widths):
            return
        self.hidden, self.widths = hidden, widths
        for i in range(count):
            table.setColumnHidden(i, i in hidden)
        for i, width in widths.items():
            table.horizontalHeader().resizeSection(i, width)
        self.changed.emit()

    def shortened(self, row: int) -> list[int]:
        """The columns whose text in ``row`` does not show in full: hidden, or elided."""
        table = self.table
        out = []
        for i in range(table.model().columnCount()):
            if i == self.name_column:
                continue
            if i in self.hidden:
                out.append(i)
                continue
            index = table.model().index(row, i)
            if index.data() and table.sizeHintForIndex(index).width() > table.columnWidth(i):
                out.append(i)
        return out


class LineDetail(QLabel):
    """Under a table: the picked line's name in full (with its tooltip, such as the SKU),
    and what its hidden or shortened columns hold."""

    def __init__(self, fit: ColumnFit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fit = fit
        self.setObjectName("lineDetail")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        table = fit.table
        model = table.model()
        table.selectionModel().currentChanged.connect(self._changed)
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged):
            signal.connect(self.refresh)
        model.dataChanged.connect(self._changed)
        fit.changed.connect(self.refresh)
        self.refresh()

    def describe(self, row: int) -> str:
        model = self.fit.table.model()
        if not 0 <= row < model.rowCount():
            return ""
        name = model.index(row, self.fit.name_column)
        tip = name.data(Qt.ItemDataRole.ToolTipRole)
        parts = [str(tip) if tip else str(name.data() or "")]
        for i in self.fit.shortened(row):
            text = str(model.index(row, i).data() or "")
            heading = " ".join(str(model.headerData(i, Qt.Orientation.Horizontal) or "").split())
            if text and heading != "#":
                # Translators: a table column's heading and the cell's text, in the line under a table
                parts.append(_("{heading}: {text}").format(heading=heading, text=text) if heading else text)
        return " · ".join(p for p in parts if p)

    def _changed(self, *_args: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        if not shiboken6.isValid(self.fit.table) or not shiboken6.isValid(self):
            return
        self.setText(self.describe(self.fit.table.currentIndex().row()))


def fit_headers(table: QTableWidget, widths: Sequence[int]) -> None:
    """Each column at least its ``widths`` (grown with the text scale) and as wide as its
    heading; a heading wider than that (a long German one) is broken onto two or more lines."""
    header = table.horizontalHeader()
    for col, base in enumerate(widths):
        item = table.horizontalHeaderItem(col)
        want = scaled(base)
        if item is not None and " " in item.text() and header.sectionSizeHint(col) > want:
            item.setText(_balanced(item.text()))
            if header.sectionSizeHint(col) > want:
                item.setText(item.text().replace(" ", "\n"))
        table.setColumnWidth(col, max(want, header.sectionSizeHint(col)))


def _balanced(text: str) -> str:
    """``text`` on two lines, broken at the space nearest its middle."""
    words = text.replace("\n", " ").split(" ")
    best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    return " ".join(words[:best]) + "\n" + " ".join(words[best:])
