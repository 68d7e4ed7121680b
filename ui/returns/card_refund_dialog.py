"""A card refund the terminal did not make keeps its return open (GUI thread).

The dialog says what the terminal said and what is owed, and offers the ways to settle it
(``counter.payments.card_refunds``): Enter tries the terminal again (a new request naming
the same payment), F9 pays it in cash and F8 as store credit, each with a supervisor's
approval for that amount; Esc leaves it open (it is listed again at the next sign-in).
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QWidget

from app.context import AppContext
from app.events import DeskPaymentCommitted, Tell
from counter.errors import CounterError
from counter.i18n import _
from counter.payments.card_refunds import CloseCardRefund, close_refund_otherwise, retry_refund
from counter.payments.ports import CardRequestRow
from counter.people.users import User
from counter.returns.policy import ApprovalKind
from ui.dialogs import CounterDialog
from ui.returns.return_dialogs import ApprovalDialog
from ui.runner import Runner


class OpenCardRefundDialog(CounterDialog):
    def __init__(
        self, parent: QWidget | None, ctx: AppContext, row: CardRequestRow, user: User, said: str, tell: Tell
    ) -> None:
        cur = ctx.store.currency
        self.amount = cur.from_minor(row.amount_minor)
        money = cur.format(self.amount, ctx.store.locale)
        super().__init__(
            parent, _("Card refund not made"), _("The {amount} card refund did not go through").format(amount=money)
        )
        self.setObjectName("openCardRefund")
        self.ctx, self.row, self.user, self.tell = ctx, row, user, tell
        self.said = QLabel(said)
        self.said.setWordWrap(True)
        self.said.setObjectName("terminalState")
        self.said.setProperty("state", "declined")
        self.said.setAccessibleName(_("What the card terminal said"))
        # Translators: the card terminal (the row where the dialog shows what it said)
        self.form.addRow(_("Terminal"), self.said)
        ways = QLabel(
            _(
                "The return stays open until this is settled. Enter: try the card again. "
                "F9: pay it in cash, F8: as store credit (a supervisor approves either)."
            )
        )
        ways.setWordWrap(True)
        self.form.addRow("", ways)
        self.ok_button.setText(_("Try the card again  (Enter)"))
        self.cancel_button.setText(_("Later  (Esc)"))
        self.runner = Runner(self)
        self.result_text = ""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        """F9 cash, F8 store credit (keys, not shortcuts: they reach the dialog wherever the focus is)."""
        how = {Qt.Key.Key_F9: "cash", Qt.Key.Key_F8: "store_credit"}.get(Qt.Key(event.key()))
        if how is not None:
            self._other_way(how)
            return
        super().keyPressEvent(event)

    def _try_accept(self) -> None:
        self.ok_button.setEnabled(False)
        self.said.setText(_("Sent to the terminal: the customer follows it."))
        call = lambda: self.ctx.handle(retry_refund, self.row.for_id, self.row.seq, self.user)  # noqa: E731
        self.runner.off_gui(call, self._retried)

    def _retried(self, outcome: object, error: CounterError | None) -> None:
        self.ok_button.setEnabled(True)
        if error is not None:
            self.show_error(f"{error.message} {error.hint}".strip())
            return
        approved = bool(getattr(outcome, "approved", False))
        text = str(getattr(outcome, "text", ""))
        if approved:
            self.result_text = text
            self.accept()
            return
        self.said.setText(text)
        self.show_error(_("The terminal did not make the refund. Try again, or pay it another way (F9, F8)."))

    def _other_way(self, how: str) -> None:
        close = CloseCardRefund(self.user, self.row.for_id, self.row.seq, how)
        approval = ApprovalDialog(
            self, self.ctx, request_id=close.request_id, kinds=frozenset({ApprovalKind.CARD_REFUND_OTHER_WAY}),
            amount=self.amount, requester=self.user,
            what="The card terminal did not make this refund; it is paid another way instead.",
        )  # fmt: skip
        if approval.exec() != ApprovalDialog.DialogCode.Accepted:
            return
        try:
            closed = self.ctx.handle(close_refund_otherwise, close)
        except CounterError as exc:
            self.show_error(f"{exc.message} {exc.hint}".strip())
            return
        money = self.ctx.store.currency.format(closed.amount, self.ctx.store.locale)
        if closed.how == "cash":  # the drawer opens now, for the cash handed out (due with the commit)
            self.ctx.after_commit.publish(DeskPaymentCommitted(closed.reference, Decimal(0), closed.amount, self.tell))
        self.result_text = (
            _("Card refund paid in cash instead: give the customer {amount} from the drawer.").format(amount=money)
            if closed.how == "cash"
            else _("Card refund paid as store credit instead: voucher {voucher} holds {amount}.").format(
                voucher=closed.voucher, amount=money
            )
        )
        self.accept()


def settle_open_refund(parent: QWidget, ctx: AppContext, row: CardRequestRow, user: User, said: str, tell: Tell) -> str:
    """Run the dialog; what was done ("" when it stays open). ``tell`` hears the drawer's problems."""
    dialog = OpenCardRefundDialog(parent, ctx, row, user, said, tell)
    try:
        return dialog.result_text if dialog.exec() == OpenCardRefundDialog.DialogCode.Accepted else ""
    finally:
        dialog.deleteLater()
