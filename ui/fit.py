"""Windows on the screen they open on (GUI thread only).

The main window takes the free area of its screen (the screen less its panels and task
bar), maximized where a window manager maximizes, and sized to that area where none does
(a till's bare X server); it is never larger than the screen. A dialog opens at the size
its content asks for, but never taller or wider than the free area: beyond it the
dialog's form scrolls (``ui.dialogs.CounterDialog``).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLineEdit, QListView, QStyle, QStyleOptionFrame, QWidget

from counter.i18n import _
from ui.i18n import live

#: room kept for a window manager's title bar and frame around a dialog
FRAME_ROOM = 48
#: QLineEdit's own margin inside its contents rectangle, each side (qlineedit_p.h horizontalMargin)
LINE_EDIT_MARGIN = 2


def free_area(widget: QWidget | None) -> QRect:
    """The free area of the screen ``widget`` is on (the primary screen's before it shows)."""
    screen = widget.screen() if widget is not None else None
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def show_on_screen(window: QWidget) -> None:
    """Show the main window over the free area of its screen, maximized."""
    window.setGeometry(free_area(window))  # what shows where no window manager maximizes
    window.showMaximized()


def dialog_room(widget: QWidget | None) -> tuple[int, int]:
    """The largest width and height a dialog of ``widget`` may take, its frame included."""
    area = free_area(widget)
    return max(200, area.width() - 16), max(200, area.height() - FRAME_ROOM)


def keep_inside(window: QWidget) -> None:
    """Move a shown window back inside the free area of its screen (after it grew)."""
    area = free_area(window)
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.left()), max(area.left(), area.right() + 1 - frame.width()))
    y = min(max(frame.y(), area.top()), max(area.top(), area.bottom() + 1 - frame.height()))
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


def wrap_items(view: QListView) -> None:
    """A list whose lines wrap at its width (none is cut or elided), each line as tall as its text."""
    view.setWordWrap(True)
    view.setTextElideMode(Qt.TextElideMode.ElideNone)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setUniformItemSizes(False)


def text_room(edit: QLineEdit) -> int:
    """The width a field's text (or placeholder) has inside its frame and padding."""
    option = QStyleOptionFrame()
    edit.initStyleOption(option)
    inner = edit.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, edit)
    margins = edit.textMargins()
    return inner.width() - margins.left() - margins.right() - 2 * LINE_EDIT_MARGIN


class PlaceholderFit(QObject):
    """A field's placeholder: the longest of its wordings that fits the field's width. The
    wordings are English (marked ``N_``), shown in the screen's language, fitted again after
    a language switch."""

    def __init__(self, edit: QLineEdit, wordings: Sequence[str]) -> None:
        super().__init__(edit)
        self.edit, self.wordings = edit, list(wordings)
        edit.installEventFilter(self)
        live(self, self.fit)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if event.type() in (QEvent.Type.Resize, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.fit()
        return False

    def set_wordings(self, wordings: Sequence[str]) -> None:
        self.wordings = list(wordings)
        self.fit()

    def fit(self) -> None:
        edit = self.edit
        room = text_room(edit)
        fm = edit.fontMetrics()
        shown = [_(w) for w in self.wordings]
        fitting = [w for w in shown if fm.horizontalAdvance(w) <= room]
        edit.setPlaceholderText(fitting[0] if fitting else shown[-1])


def fit_placeholder(edit: QLineEdit, *wordings: str) -> PlaceholderFit:
    """Give ``edit`` the first of ``wordings`` (longest first; English marked ``N_``, shown
    translated) that fits it, as it resizes and after a language switch."""
    return PlaceholderFit(edit, wordings)


def shorten(text: str, limit: int) -> str:
    """``text`` up to ``limit`` characters, with "…" where it was cut (never mid-word when a
    space is near)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 2 // 3 else cut).rstrip(" ,.;:·") + "…"
