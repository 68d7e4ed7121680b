"""The lines of a return being prepared, as a Qt table model (GUI thread only).

One row per line of the original receipt (with what was sold, already returned and is
still returnable), or per item brought back without a receipt. The quote's decision for
each line is shown next to it, in words.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from counter.i18n import N_, _, in_sentence
from counter.money import Currency
from counter.returns.draft import ReturnDraft
from counter.returns.model import QuotedLine, ReturnQuote
from counter.returns.policy import Condition, Disposition, LineDecision, Reason, Status
from ui.i18n import live_headers

# "Reason · condition → goes to" on three lines: the column may narrow to its widest part
# (English, marked N_: headerData shows them translated; "#" and "" are shown as they are)
_REASON_HEADING = N_("Reason ·\ncondition\n→ goes to")
RECEIPT_COLUMNS = (
    "#",
    N_("Item"),
    # Translators: a column heading: how many of the line were sold
    N_("Sold"),
    # Translators: a column heading: how many of the line were returned before
    N_("Back"),
    # Translators: a column heading: how many of the line may still be returned
    N_("Left"),
    # Translators: a column heading: the price paid for one of the item
    N_("Paid each"),
    # Translators: a column heading: how many of the line are returned now
    N_("Return"),
    _REASON_HEADING,
    # Translators: a column heading: what the return policy decides for the line
    N_("Decision"),
)
NO_RECEIPT_COLUMNS = ("#", N_("Item"), "", "", "", N_("Refund each"), N_("Return"), _REASON_HEADING, N_("Decision"))
DECISION_COLUMN = 8
NAME_COLUMN = 1
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENTER = Qt.AlignmentFlag.AlignCenter
_STATUS_COLOURS = {
    Status.ALLOWED: "#065f46",
    Status.CONDITIONS: "#92400e",
    Status.NEEDS_APPROVAL: "#1d4ed8",
    Status.REFUSED: "#b91c1c",
}


class ReturnLinesModel(QAbstractTableModel):
    def __init__(self, draft: ReturnDraft, currency: Currency, locale: str) -> None:
        super().__init__()
        self.draft = draft
        self.currency = currency
        self.locale = locale
        self.quote: ReturnQuote | None = None
        live_headers(self)  # the headers follow the screen's language

    def reset(self, draft: ReturnDraft, quote: ReturnQuote | None) -> None:
        self.beginResetModel()
        self.draft = draft
        self.quote = quote
        self.endResetModel()

    def line_id(self, row: int) -> str | None:
        if self.draft.has_receipt:
            return self.draft.returnable[row].line.id if 0 <= row < len(self.draft.returnable) else None
        return self.draft.no_receipt[row].id if 0 <= row < len(self.draft.no_receipt) else None

    def _quoted(self, line_id: str) -> QuotedLine | None:
        if self.quote is None:
            return None
        for ql in self.quote.lines:
            if ql.sale_line_id == line_id:
                return ql
            if ql.sale_line_id is None and ql.request.item is not None:
                match = next((n for n in self.draft.no_receipt if n.id == line_id), None)
                if match is not None and match.item.id == ql.item_id:
                    return ql
        return None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self.draft.returnable) if self.draft.has_receipt else len(self.draft.no_receipt)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(RECEIPT_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            heading = (NO_RECEIPT_COLUMNS if self.draft.no_receipt else RECEIPT_COLUMNS)[section]
            return _(heading) if heading not in ("", "#") else heading
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        line_id = self.line_id(row)
        assert line_id is not None
        quoted = self._quoted(line_id)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _CENTER if col in (0, 2, 3, 4, 6) else (_RIGHT if col == 5 else None)
        if role == Qt.ItemDataRole.ForegroundRole and col == DECISION_COLUMN and quoted is not None:
            return QBrush(QColor(_STATUS_COLOURS[_shown_status(quoted.decision)]))
        if role == Qt.ItemDataRole.ToolTipRole and col == DECISION_COLUMN and quoted is not None:
            return quoted.decision.summary
        if role == Qt.ItemDataRole.ToolTipRole and col == NAME_COLUMN:  # the name in full
            return self.data(index)
        if role != Qt.ItemDataRole.DisplayRole:
            return None

        def fmt(amount: Decimal) -> str:
            return self.currency.format(amount, self.locale)

        if self.draft.has_receipt:
            rl = self.draft.returnable[row]
            pick = self.draft.picks.get(line_id)
            values = [
                str(row + 1),
                rl.line.name,
                str(rl.line.quantity),
                str(rl.returned.quantity) if rl.returned.quantity else "",
                str(rl.returnable),
                fmt(rl.unit_paid),
                str(pick.quantity) if pick and pick.quantity else "",
                _reason_condition(pick.reason, pick.condition, self.draft.disposition(line_id))
                if pick and pick.quantity
                else "",
            ]
        else:
            nr = self.draft.no_receipt[row]
            values = [
                str(row + 1),
                nr.item.name,
                "",
                "",
                "",
                fmt(nr.unit_price),
                str(nr.quantity),
                _reason_condition(nr.reason, nr.condition, self.draft.disposition(line_id)),
            ]
        if col < DECISION_COLUMN:
            return values[col]
        if quoted is None:
            return ""
        text = _shown_status(quoted.decision).label
        if quoted.fee:
            text = _("{decision} (fee {amount})").format(decision=text, amount=fmt(quoted.fee))
        return text


def _shown_status(decision: LineDecision) -> Status:
    """A line the policy refuses but a supervisor may let through (final sale, past the
    window) reads "Needs approval": F9 is what to do. "Refused" is kept for a refusal no
    approval overrides (e.g. no receipt for an item that needs one)."""
    if decision.status is Status.REFUSED and decision.overridable:
        return Status.NEEDS_APPROVAL
    return decision.status


def _reason_condition(reason: Reason | None, condition: Condition, goes_to: Disposition) -> str:
    said = reason.label if reason else _("reason? (1–8)")
    return _("{reason} · {condition} → {goes_to}").format(
        reason=said, condition=in_sentence(condition.label), goes_to=in_sentence(goes_to.label)
    )
