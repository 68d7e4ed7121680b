"""Card numbers never stay in a text field (GUI thread only).

``CardGuard`` is an event filter on the QApplication that looks at every line edit and
text box, in every screen and dialog (the scan field, the search, notes, reasons,
contacts, names): after each key is typed, when Enter or Tab is pressed, and when the
field loses the focus, a field that holds a payment card number or a magnetic-stripe
track (counter/trust/carddata.py; a swipe on a keyboard card reader types one) is emptied at
once, its Enter swallowed so that no dialog accepts it, and the person is told why.

It is the first of several nets: scans are masked in devices/barcodes.decode_scan, the
item field and the services refuse card data, the write engine refuses it in any
statement, and the log masks it (docs/trust.md).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from counter.i18n import N_
from counter.trust.carddata import card_data_in_code

#: said when a field was emptied (marked here, translated where it is shown: ``_(REFUSED)``)
REFUSED = N_(
    "A payment card number was typed or swiped here, and Counter never keeps one: the field was cleared. "
    "Take card payments on the card terminal; for a card payment type only the last 4 digits."
)

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
TextInput = QLineEdit | QPlainTextEdit | QTextEdit


def text_of(widget: TextInput) -> str:
    return widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText()


class CardGuard(QObject):
    def __init__(self, report: Callable[[QWidget], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._report = report
        self.scrubbed = 0  # how many fields were emptied (for tests and the log)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.FocusOut):
            return False
        if not isinstance(watched, QLineEdit | QPlainTextEdit | QTextEdit):
            return False
        if kind == QEvent.Type.KeyPress:
            if isinstance(event, QKeyEvent) and event.key() in _ENTER_KEYS:
                return self.scrub(watched)  # swallowed: no dialog accepts a card number
            return False
        self.scrub(watched)
        return False

    def scrub(self, widget: TextInput) -> bool:
        """Empty ``widget`` if it holds card data; True when it did."""
        if not card_data_in_code(text_of(widget)):
            return False
        widget.clear()
        if isinstance(widget, QLineEdit):
            widget.setModified(False)
        self.scrubbed += 1
        self._report(widget)
        return True
