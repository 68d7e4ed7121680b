"""What a person would see as cut, squeezed or piled up in a shown window (real widgets).

``problems(root)`` walks every visible widget under ``root`` and says, in words:

- a label that does not wrap and whose text is wider than the label (its
  ``fontMetrics().horizontalAdvance`` against the room inside it), or a wrapping label
  lower than the height its text needs at its width;
- a button or check box narrower than its text needs;
- two visible sibling widgets whose rectangles intersect, or a widget that sticks out of
  its parent (its far side cut off);
- a table column off the right edge, a header or a cell (other than the name column's and
  those the table declares may shrink) wider than its column, or a name column narrower
  than ``NAME_CHARS`` characters (a shrinking one than ``SHRUNK_CHARS``);
- a list whose items are cut (not wrapped) at its width;
- an empty field whose placeholder (what to type there) is cut;
- a scroll area (a receipt preview, a list, a form) that scrolls sideways;
- a status-bar message wider than the room beside the permanent items.

Scroll areas are followed: their content may be taller than the viewport (it scrolls).
"""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QCheckBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSizeGrip,
    QStatusBar,
    QStyle,
    QStyleOptionFrame,
    QTableView,
    QWidget,
)

#: a name column shows at least this many characters (ui/columns.py NAME_CHARS)
NAME_CHARS = 16
#: a column declared to shrink (its text elided) still shows this many characters
SHRUNK_CHARS = 10
SLACK = 1  # pixels of rounding allowed


def _name(widget: QWidget) -> str:
    name = widget.objectName() or type(widget).__name__
    text = ""
    if isinstance(widget, (QLabel, QAbstractButton)):
        text = " ".join(widget.text().split())[:40]
    return f"{name}{f' “{text}”' if text else ''}"


def _label_text_width(label: QLabel) -> int:
    text = label.text()
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text)
    )
    if rich:
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        return int(doc.idealWidth() + 0.999)
    fm = QFontMetrics(label.font())
    return max((fm.horizontalAdvance(line) for line in text.split("\n")), default=0)


def _label(label: QLabel) -> list[str]:
    if not label.text() or not label.pixmap().isNull():
        return []
    inner = label.contentsRect()
    if label.wordWrap():
        needed = label.heightForWidth(label.width())
        if needed > label.height() + SLACK:
            return [f"{_name(label)}: its wrapped text needs {needed} px of height, it has {label.height()}"]
        return []
    needed = _label_text_width(label)
    if needed > inner.width() + SLACK:
        return [f"{_name(label)}: text {needed} px wide in {inner.width()} px (cut off)"]
    lines = label.text().count("\n") + 1
    tall = QFontMetrics(label.font()).height() * lines
    if label.textFormat() != Qt.TextFormat.RichText and tall > inner.height() + 2 * SLACK + 2:
        return [f"{_name(label)}: {lines} line(s) need {tall} px of height, it has {inner.height()}"]
    return []


def _button(button: QAbstractButton) -> list[str]:
    if not button.text() or not isinstance(button, (QPushButton, QCheckBox, QRadioButton)):
        return []
    hint = button.sizeHint()
    fm = QFontMetrics(button.font())
    text = max((fm.horizontalAdvance(line.replace("&&", "&")) for line in button.text().split("\n")), default=0)
    if button.width() + SLACK < hint.width() or button.width() < text:
        return [f"{_name(button)}: needs {max(hint.width(), text)} px of width, has {button.width()} (label cut)"]
    if button.height() + SLACK < min(hint.height(), fm.height() * (button.text().count("\n") + 1)):
        return [f"{_name(button)}: needs {hint.height()} px of height, has {button.height()} (label cut)"]
    return []


def _placeholder(edit: QLineEdit) -> list[str]:
    """An empty field's placeholder (what to type) must show whole."""
    if edit.text() or not edit.placeholderText():
        return []
    option = QStyleOptionFrame()
    edit.initStyleOption(option)
    inner = edit.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, edit)
    room = inner.width() - 4  # QLineEdit's own margin, 2 px each side
    needed = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
    if needed > room + SLACK:
        return [f"{_name(edit)}: placeholder “{edit.placeholderText()[:40]}” needs {needed} px, has {room}"]
    return []


def _in_scroll_content(widget: QWidget) -> bool:
    """The widget a scroll area scrolls (it may be larger than the viewport)."""
    parent = widget.parentWidget()
    area = parent.parentWidget() if parent is not None else None
    return isinstance(area, QAbstractScrollArea) and parent is area.viewport()


def _children(widget: QWidget) -> list[QWidget]:
    return [
        c
        for c in widget.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if c.isVisible() and not c.isWindow() and not c.geometry().isEmpty()
    ]


def _siblings(parent: QWidget) -> list[str]:
    out = []
    kids = [c for c in _children(parent) if not isinstance(c, QSizeGrip)]
    bounds = parent.rect()
    for n, a in enumerate(kids):
        if not _in_scroll_content(a) and not _inside(a.geometry(), bounds):
            out.append(f"{_name(a)} at {_rect(a.geometry())} sticks out of {_name(parent)} ({_rect(bounds)})")
        for b in kids[n + 1 :]:
            if a.geometry().intersects(b.geometry()):
                overlap = a.geometry().intersected(b.geometry())
                if overlap.width() > SLACK and overlap.height() > SLACK:
                    out.append(f"{_name(a)} and {_name(b)} overlap in {_name(parent)} ({_rect(overlap)})")
    return out


def _inside(rect: QRect, bounds: QRect) -> bool:
    return bounds.adjusted(-SLACK, -SLACK, SLACK, SLACK).contains(rect)


def _rect(r: QRect) -> str:
    return f"{r.x()},{r.y()} {r.width()}×{r.height()}"


def _table(table: QTableView) -> list[str]:
    model = table.model()
    if model is None:
        return []
    header = table.horizontalHeader()
    out = []
    room = table.viewport().width()
    name_column = table.property("nameColumn")
    shrinking = set(table.property("shrinkColumns") or [])  # shown shortened (elided) when room is short
    fm = table.fontMetrics()
    heading = lambda c: str(model.headerData(c, Qt.Orientation.Horizontal) or c)  # noqa: E731
    widgets = lambda c: table.indexWidget(model.index(0, c)) is not None  # noqa: E731  # fields, not text
    for c in range(model.columnCount()):
        if table.isColumnHidden(c):
            continue
        left, width = header.sectionViewportPosition(c), header.sectionSize(c)
        if left < -SLACK or left + width > room + SLACK:
            out.append(f"{_name(table)}: column {heading(c)} is off the edge ({left}+{width} of {room} px)")
        if header.isVisible() and header.sectionSizeHint(c) > width + SLACK:
            out.append(f"{_name(table)}: header {heading(c)} needs {header.sectionSizeHint(c)} px, has {width}")
        if c == name_column:
            least = fm.averageCharWidth() * NAME_CHARS
            if width < least:
                out.append(f"{_name(table)}: the name column shows {width // fm.averageCharWidth()} characters")
        elif c in shrinking:
            if width < fm.averageCharWidth() * SHRUNK_CHARS:
                out.append(f"{_name(table)}: {heading(c)} shows {width // fm.averageCharWidth()} characters")
        elif model.rowCount() and not widgets(c) and table.sizeHintForColumn(c) > width + SLACK:
            out.append(f"{_name(table)}: cells of {heading(c)} need {table.sizeHintForColumn(c)} px, have {width}")
    return out


def _sideways(area: QAbstractScrollArea) -> list[str]:
    """A scroll area that scrolls sideways hides the right end of what it shows."""
    bar = area.horizontalScrollBar()
    if bar.isVisible() and bar.maximum() > 0:
        return [f"{_name(area)}: scrolls sideways ({bar.maximum()} px of it are cut off at the right)"]
    return []


def _list(view: QListWidget) -> list[str]:
    if view.wordWrap():
        return []
    fm = view.fontMetrics()
    room = view.viewport().width()
    for row in range(view.count()):
        item = view.item(row)
        rect = view.visualItemRect(item)
        if rect.bottom() < 0 or rect.top() > view.viewport().height():
            continue
        if fm.horizontalAdvance(item.text()) + 8 > min(room, rect.width() or room):
            return [f"{_name(view)}: item “{item.text()[:40]}” is cut at {room} px"]
    return []


def _status(bar: QStatusBar) -> list[str]:
    """The message beside the items: wrapped, it must fit the bar's height."""
    message = bar.currentMessage()
    if not message:
        return []
    items = [c for c in _children(bar) if not isinstance(c, QSizeGrip)]
    room = min((c.x() for c in items), default=bar.width()) - 12
    flags = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
    needed = bar.fontMetrics().boundingRect(QRect(0, 0, max(room, 1), 10_000), flags, message)
    if needed.height() > bar.height() or needed.width() > room + SLACK:
        return [f"status message “{message[:40]}” needs {_rect(needed)}, has {room}×{bar.height()}"]
    return []


def problems(root: QWidget) -> list[str]:
    """Everything cut, squeezed or overlapping in ``root`` as shown now."""
    out: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or (widget is not root and widget.isWindow()):
            continue
        if isinstance(widget, QLabel):
            out += _label(widget)
        elif isinstance(widget, QAbstractButton):
            out += _button(widget)
        elif isinstance(widget, QTableView):
            out += _table(widget)
        elif isinstance(widget, QListWidget):
            out += _list(widget)
        elif isinstance(widget, QStatusBar):
            out += _status(widget)
        elif isinstance(widget, QLineEdit):
            out += _placeholder(widget)
        if isinstance(widget, QAbstractScrollArea):
            out += _sideways(widget)
        out += _siblings(widget)
    return out


def off_screen(window: QWidget) -> list[str]:
    """The window (with its frame) outside the free area of its screen."""
    screen = window.screen()
    area = screen.availableGeometry()
    frame = window.frameGeometry()
    if not _inside(frame, area):
        return [f"{_name(window)} at {_rect(frame)} is outside the screen's free area {_rect(area)}"]
    return []
