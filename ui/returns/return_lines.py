"""The return screen's lines table (GUI thread only): the view over ``ReturnLinesModel``,
its columns, the line keys and which line is picked.

While the table has the focus, Space or + returns one more of the picked line, − one
fewer, and a digit 1–8 gives its reason. The table only says which key asked for what
(``stepped``, ``reason_keyed``); the return screen changes the draft and re-quotes it.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QItemSelectionModel, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

from counter.i18n import N_, _
from counter.returns.draft import DraftError, ReturnDraft
from counter.returns.model import ReturnQuote
from counter.returns.policy import Status
from ui.a11y import live_accessible
from ui.columns import Column, ColumnFit
from ui.returns.return_dialogs import REASONS
from ui.returns.return_model import DECISION_COLUMN, NAME_COLUMN, ReturnLinesModel


def line_columns(model: ReturnLinesModel) -> list[Column]:
    """How the columns give way on a narrow window: what was already brought back, then
    what was sold (what is left to return says enough), the line number, the price paid
    (the refund box adds it up; the line under the table says it); then the reason and
    condition narrow. The decision and the counts always show."""
    money = model.currency.format(Decimal("999.99"), model.locale)
    return [
        Column(0, "99", hide_rank=3),
        Column(2, "99", hide_rank=2),
        Column(3, "99", hide_rank=1),
        Column(4, "99"),
        Column(5, money, hide_rank=4),
        Column(6, "99"),
        Column(7, shrink_chars=12),
        Column(DECISION_COLUMN, Status.NEEDS_APPROVAL.label),
    ]


#: the receipt field's accessible name and description (ui.returns.return_screen)
RECEIPT_FIELD = (
    N_("Receipt or item"),
    N_("Scan the receipt's barcode or type its number, then Enter; without a receipt, scan the item"),
)


class ReturnLinesTable(QTableView):
    stepped = Signal(int)  # +1 (Space, +) or -1 (−) on the picked line
    reason_keyed = Signal(object)  # counter.returns.policy.Reason, by its digit 1–8

    def __init__(self, model: ReturnLinesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines = model
        self.setObjectName("cartTable")
        live_accessible(
            self,
            N_("Lines to return"),
            N_(
                "Up and Down pick a line; Space or + adds one to return, − takes one off; digits 1 to 8 give the reason"
            ),
        )
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().hide()
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.verticalHeader().setDefaultSectionSize(36)
        self.columns = ColumnFit(self, NAME_COLUMN, line_columns(model))  # the item's name takes the rest

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        """The line keys are the table's (not its type-ahead search); others go on as usual."""
        text = event.text()
        if text in (" ", "+"):
            self.stepped.emit(+1)
        elif text == "-":
            self.stepped.emit(-1)
        elif text.isdigit() and 1 <= int(text) <= len(REASONS):
            self.reason_keyed.emit(REASONS[int(text) - 1])
        else:
            super().keyPressEvent(event)

    def show_lines(self, draft: ReturnDraft, quote: ReturnQuote | None) -> None:
        """The draft's lines with the quote's decisions, the same row still picked."""
        row = self.currentIndex().row()
        self.lines.reset(draft, quote)
        if 0 <= row < self.lines.rowCount():
            self.select_row(row)

    def current_line_id(self) -> str:
        """The picked line (the first when none is): what a line key changes."""
        row = self.currentIndex().row()
        line_id = self.lines.line_id(row if row >= 0 else 0)
        if line_id is None:
            raise DraftError(_("There is no line to change yet."), _("Scan the receipt, or Ctrl+N for no receipt."))
        return line_id

    def select_row(self, row: int) -> None:
        index = self.lines.index(row, 0)
        self.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )

    def select_line(self, line_id: str) -> None:
        for row in range(self.lines.rowCount()):
            if self.lines.line_id(row) == line_id:
                self.select_row(row)
