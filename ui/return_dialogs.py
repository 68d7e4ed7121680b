"""Dialogs of the return screen: reason, customer ID, find a sale, supervisor approval,
and how the customer pays an exchange difference (GUI thread only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QWidget

from counter.approvals import Approval, grant_approval
from counter.errors import CounterError
from counter.policy import ApprovalKind, Reason
from counter.returns import ID_TYPES, CustomerId, ReturnError
from counter.users import Permission, User
from db.queries import SaleSummary, find_sales, list_users
from ui.context import AppContext
from ui.dialogs import CounterDialog

REASONS = list(Reason)


def reason_legend() -> str:
    return "   ".join(f"{n} {r.label}" for n, r in enumerate(REASONS, start=1))


class ReasonDialog(CounterDialog):
    """Pick a reason with one digit key (or ↑/↓ and Enter)."""

    def __init__(self, parent: QWidget | None, item_name: str) -> None:
        super().__init__(parent, "Reason", f"Why is {item_name} coming back?")
        self.list = QListWidget()
        for n, reason in enumerate(REASONS, start=1):
            self.list.addItem(QListWidgetItem(f"{n}   {reason.label}"))
        self.list.setCurrentRow(0)
        self.list.setMinimumHeight(300)
        self.list.itemActivated.connect(lambda _i: self._try_accept())
        self.form.addRow(self.list)
        self.value: Reason | None = None

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)  # type: ignore[arg-type]
        self.list.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        text = event.text()
        if text.isdigit() and 1 <= int(text) <= len(REASONS):
            self.list.setCurrentRow(int(text) - 1)
            self._try_accept()
            return
        super().keyPressEvent(event)

    def validate(self) -> None:
        self.value = REASONS[self.list.currentRow()]


class CustomerIdDialog(CounterDialog):
    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent, "Customer ID", "Returns without a receipt need the customer's ID")
        self.id_type = QComboBox()
        self.id_type.addItems(ID_TYPES)
        self.id_type.setMinimumHeight(40)
        self.form.addRow("Type of ID", self.id_type)
        self.number = self.line_edit("ID number", placeholder="as printed on the ID")
        note = QLabel("Only the last 4 characters are kept on record.")
        note.setObjectName("dialogHint")
        self.form.addRow("", note)
        self.value: CustomerId | None = None

    def validate(self) -> None:
        self.value = CustomerId.checked(self.id_type.currentText(), self.number.text())


class FindSaleDialog(CounterDialog):
    """Find a sale by day, total or card last 4; Enter on a result picks it."""

    def __init__(self, parent: QWidget | None, ctx: AppContext) -> None:
        super().__init__(parent, "Find a sale", "Find the sale without its receipt number")
        self.ctx = ctx
        self.days = self.line_edit("Days back", "30", "how many days to look back")
        self.amount = self.line_edit("Total paid", placeholder="e.g. 51.72 (optional)")
        self.last4 = self.line_edit("Card last 4", placeholder="optional")
        self.results = QListWidget()
        self.results.setMinimumHeight(220)
        self.results.itemActivated.connect(lambda _i: self._pick())
        self.form.addRow(self.results)
        self.ok_button.setText("Search  (Enter)")
        self.value: str | None = None

    def validate(self) -> None:
        if self.results.hasFocus() and self.results.currentItem() is not None:
            self._pick()
            return
        days_text = self.days.text().strip() or "30"
        if not days_text.isdigit() or not 1 <= int(days_text) <= 3650:
            raise ReturnError("Days back must be a whole number from 1 to 3650.", "")
        amount = self.ctx.store.currency.parse(self.amount.text()) if self.amount.text().strip() else None
        last4 = self.last4.text().strip() or None
        if last4 is not None and not (len(last4) == 4 and last4.isdigit()):
            raise ReturnError("Type exactly the last 4 digits of the card.", "")
        since = datetime.now(self.ctx.store.zone) - timedelta(days=int(days_text))
        found = find_sales(self.ctx.db.read, self.ctx.store.currency, day_from=since, amount=amount, card_last4=last4)
        self._show(found)
        raise _Searched()

    def _show(self, found: list[SaleSummary]) -> None:
        self.results.clear()
        fmt = self.ctx.store.currency.format
        for sale in found:
            when = sale.completed_at.astimezone(self.ctx.store.zone).strftime("%b %d %H:%M")
            item = QListWidgetItem(
                f"{sale.receipt_number}   {when}   {fmt(sale.total, self.ctx.store.locale)}   "
                f"{sale.lines} lines   {sale.tenders}"
            )
            item.setData(Qt.ItemDataRole.UserRole, sale.receipt_number)
            self.results.addItem(item)
        if found:
            self.results.setCurrentRow(0)
            self.results.setFocus()
            self.error.hide()
        else:
            self.show_error("No sale matches. Widen the days, or leave the amount or card empty.")

    def _pick(self) -> None:
        current = self.results.currentItem()
        if current is not None:
            self.value = current.data(Qt.ItemDataRole.UserRole)
            self.accept()

    def _try_accept(self) -> None:
        try:
            self.validate()
        except _Searched:
            return
        except CounterError as exc:
            self.show_error(f"{exc.message} {exc.hint}".strip())


class _Searched(Exception):
    """Internal: a search ran; the dialog stays open on its results."""


class ApprovalDialog(CounterDialog):
    """A supervisor picks their name, types their PIN and a reason."""

    def __init__(
        self,
        parent: QWidget | None,
        ctx: AppContext,
        *,
        request_id: str,
        kinds: frozenset[ApprovalKind],
        amount: Decimal,
        requester: User,
    ) -> None:
        money = ctx.store.currency.format(amount, ctx.store.locale)
        what = "\n".join(f"• {k.label}" for k in sorted(kinds))
        super().__init__(parent, "Supervisor approval", f"Approval needed for {money}:\n{what}")
        self.ctx, self.request_id, self.kinds, self.amount, self.requester = ctx, request_id, kinds, amount, requester
        self.approver = QComboBox()
        self.approver.setMinimumHeight(40)
        for user in list_users(ctx.db.read):
            if user.can(Permission.APPROVE):
                self.approver.addItem(f"{user.name} ({user.role})", user.id)
        self.form.addRow("Supervisor", self.approver)
        self.pin = self.line_edit("PIN", placeholder="the supervisor types it")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.reason = self.line_edit("Reason", placeholder="why it is approved")
        self.first_field = self.pin
        self.approvals: list[Approval] = []

    def validate(self) -> None:
        pin = self.pin.text()
        self.pin.clear()
        self.approvals = grant_approval(
            request_id=self.request_id,
            kinds=self.kinds,
            amount=self.amount,
            requester=self.requester,
            approver_id=self.approver.currentData(),
            pin=pin,
            reason=self.reason.text(),
            uow_factory=self.ctx.uow,
            hasher=self.ctx.hasher,
            clock=self.ctx.clock,
            currency_minor=self.ctx.store.currency.to_minor,
        )


class PayDifferenceDialog(CounterDialog):
    """The customer owes money on an exchange: C for cash, K for card."""

    def __init__(self, parent: QWidget | None, text: str) -> None:
        super().__init__(parent, "Exchange", text)
        self.choice = ""
        self.ok_button.hide()
        for label, key in (("Cash  (C)", "c"), ("Card  (K)", "k")):
            button = self.add_choice(label, key)
            button.setShortcut(key.upper())

    def add_choice(self, label: str, key: str) -> QPushButton:
        button = QPushButton(label)
        button.setMinimumHeight(44)
        button.clicked.connect(lambda _=False, k=key: self._choose(k))
        self.form.addRow(button)
        return button

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        if event.text().lower() in ("c", "k"):
            self._choose(event.text().lower())
            return
        super().keyPressEvent(event)

    def _choose(self, key: str) -> None:
        self.choice = key
        self.accept()
