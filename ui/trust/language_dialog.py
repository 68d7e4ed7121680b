"""The screen language a person works in (GUI thread only).

Ctrl+Shift+L on the sale screen: anyone chooses their own, which holds from then on at
every sign-in (``counter.people.user_admin.set_language``); the staff list (L) chooses
someone else's. "The store's language" follows the store's locale.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from counter.i18n import LANGUAGES, _, display_name, normalize
from ui.dialogs import CounterDialog


class LanguageDialog(CounterDialog):
    """A list of the languages Counter speaks, each in its own name; Enter takes the one
    picked (``chosen``: a code, or "" for the store's)."""

    def __init__(self, parent: QWidget | None, name: str, current: str, store_locale: str) -> None:
        super().__init__(parent, _("Language"), _("Which language should {name}'s screens speak?").format(name=name))
        self.choices = QListWidget()
        self.choices.setObjectName("languageList")
        self.choices.setAccessibleName(_("Languages"))
        self.choices.setAccessibleDescription(_("↑/↓ picks a language, Enter takes it."))
        store = display_name(normalize(store_locale))
        options = [("", _("The store's language ({language})").format(language=store))]
        options += [(code, display_name(code)) for code in LANGUAGES]
        for code, text in options:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, code)
            self.choices.addItem(item)
            if code == current:
                self.choices.setCurrentItem(item)
        if self.choices.currentRow() < 0:
            self.choices.setCurrentRow(0)
        self.choices.itemDoubleClicked.connect(lambda _item: self._try_accept())  # Enter: the OK button
        self.form.addRow(self.choices)
        self.chosen = current

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        self.choices.setFocus(Qt.FocusReason.OtherFocusReason)

    def validate(self) -> None:
        item = self.choices.currentItem()
        self.chosen = str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""
