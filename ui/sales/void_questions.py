"""The two questions of a void with payments taken, as dialogs (GUI thread): what goes back
(Enter voids, Esc keeps the sale), and a supervisor's approval with their PIN (the return
screen's approval dialog, bound to this request and amount). ``ui.sales.sale_void`` asks them."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QWidget

from app.context import AppContext
from counter.i18n import _
from counter.people.users import User
from counter.returns.policy import ApprovalKind
from ui.dialogs import CounterDialog
from ui.returns.return_dialogs import ApprovalDialog


class ConfirmVoidDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, question: str) -> None:
        super().__init__(parent, _("Void sale"), question)
        self.setObjectName("confirmVoid")
        self.ok_button.setText(_("Void and give back  (Enter)"))
        self.cancel_button.setText(_("Keep the sale  (Esc)"))


class VoidDialogs:
    def __init__(self, parent: QWidget, ctx: AppContext) -> None:
        self.parent, self.ctx = parent, ctx

    def confirm_void(self, question: str) -> bool:
        return ConfirmVoidDialog(self.parent, question).exec() == ConfirmVoidDialog.DialogCode.Accepted

    def approve_void(self, amount: Decimal, request_id: str, requester: User) -> bool:
        dialog = ApprovalDialog(
            self.parent,
            self.ctx,
            request_id=request_id,
            kinds=frozenset({ApprovalKind.VOID_PAID}),
            amount=amount,
            requester=requester,
        )
        return dialog.exec() == ApprovalDialog.DialogCode.Accepted
