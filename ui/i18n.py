"""The screen's language, switched while the window stays open (GUI thread only).

The main window and its screens are built once, at start, in the store's language; the
language then follows whoever signs in. Text made when something happens (a message, a
dialog opened, a row painted) is made in the current language by ``counter.i18n._``. Text
set once when a long-lived widget is built goes through ``live`` instead, which sets it now
and again after every switch:

    live(title, lambda: title.setText(_("Returns")))
    live_text(button, N_("Cancel"))          # the common case: setText(_(text))

``switch_language(code)`` sets the catalogue, mirrors the layout for a right-to-left
language, and sets every live text again. A table model whose headers come from
``headerData`` (which calls ``_`` each time) is refreshed with ``live_headers(model)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QAbstractItemModel, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from counter.i18n import _, is_rtl, screen_language, set_screen_language


class _HasText(Protocol):
    def setText(self, text: str, /) -> None: ...  # noqa: N802 - Qt's name


class _Switch(QObject):
    """Says that the screen's language changed (one for the application)."""

    switched = Signal()


class _Hook(QObject):
    """One live text: a child of the widget it belongs to, so that it goes with it (Qt lets
    go of the connection then), and nothing keeps a closed dialog alive."""

    def __init__(self, owner: QObject, apply: Callable[[], None]) -> None:
        super().__init__(owner)
        self.apply = apply
        _SWITCH.switched.connect(self.run)

    def run(self) -> None:
        with contextlib.suppress(RuntimeError):  # a widget the text names is gone under its wrapper
            self.apply()


_SWITCH = _Switch()


def live(owner: QObject, apply: Callable[[], None]) -> None:
    """Run ``apply`` now and after each language switch, as long as ``owner`` lives."""
    apply()
    _Hook(owner, apply)


def live_text(widget: QObject, text: str) -> None:
    """``widget.setText(_(text))`` now and after each switch (labels, buttons, check boxes)."""
    setter: Callable[[str], None] = widget.setText  # type: ignore[attr-defined]
    live(widget, lambda: setter(_(text)))


def live_headers(model: QAbstractItemModel) -> None:
    """A model's horizontal headers painted again after each switch (its ``headerData`` calls
    ``_``)."""

    def refresh() -> None:
        columns = model.columnCount()
        if columns:
            model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, columns - 1)

    live(model, refresh)


def switch_language(code: str | None) -> str:
    """The screen speaks ``code`` from now on: catalogue, direction, and every live text."""
    before = screen_language()
    chosen = set_screen_language(code)
    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.setLayoutDirection(Qt.LayoutDirection.RightToLeft if is_rtl(chosen) else Qt.LayoutDirection.LeftToRight)
    if chosen != before:
        _SWITCH.switched.emit()
    return chosen
