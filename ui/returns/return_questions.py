"""The questions completing a return asks the person, as dialogs over the return screen:
why an item comes back, a supervisor's approval, how the customer pays an exchange. The
checkout presenter (``ui.returns.return_checkout``) asks through ``ReturnQuestions``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtWidgets import QWidget

from app.context import AppContext
from counter.i18n import _
from counter.payments.ports import CardRequestRow
from counter.people.users import User
from counter.returns.policy import ApprovalKind, Reason
from ui.dialogs import CardDialog, CashDialog
from ui.returns.card_refund_dialog import settle_open_refund
from ui.returns.return_dialogs import ApprovalDialog, PayDifferenceDialog, ReasonDialog
from ui.sales.sale_payment import CardTaken, CashGiven


class ReturnDialogs:
    """Each question as a modal dialog over ``parent``; None when the person cancels."""

    def __init__(self, parent: QWidget, ctx: AppContext, user: Callable[[], User | None]) -> None:
        self.parent = parent
        self.ctx = ctx
        self._user = user

    def _money(self, amount: Decimal) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)

    def ask_reason(self, line_name: str) -> Reason | None:
        dialog = ReasonDialog(self.parent, line_name)
        if dialog.exec() != ReasonDialog.DialogCode.Accepted:
            return None
        return dialog.value

    def ask_approval(self, kinds: frozenset[ApprovalKind], amount: Decimal, request_id: str) -> list[str] | None:
        user = self._user()
        assert user is not None
        dialog = ApprovalDialog(
            self.parent, self.ctx, request_id=request_id, kinds=kinds, amount=amount, requester=user
        )
        if dialog.exec() != ApprovalDialog.DialogCode.Accepted:
            return None
        return [a.approver_name for a in dialog.approvals]

    def settle_open_refund(self, row: CardRequestRow, said: str) -> str:
        user = self._user()
        assert user is not None
        say = getattr(self.parent, "say", lambda text, kind="info": None)
        return settle_open_refund(self.parent, self.ctx, row, user, said, say)

    def show_policies(self) -> None:
        from ui.returns.policy_dialog import PolicyDialog

        user = self._user()
        assert user is not None
        PolicyDialog(self.parent, self.ctx, user).exec()

    def ask_pay_how(self, remaining: Decimal) -> str | None:
        asked = _("Customer pays {amount}: cash or card?").format(amount=self._money(remaining))
        choice = PayDifferenceDialog(self.parent, asked)
        if choice.exec() != PayDifferenceDialog.DialogCode.Accepted:
            return None
        return "c" if choice.choice == "c" else "k"

    def ask_cash(self, due: Decimal) -> CashGiven | None:
        cash = CashDialog(self.parent, due, self.ctx.store.currency, self.ctx.store.locale)
        if cash.exec() != CashDialog.DialogCode.Accepted:
            return None
        return CashGiven(cash.tendered, cash.part_payment)

    def ask_card(self, remaining: Decimal) -> CardTaken | None:
        card = CardDialog(self.parent, remaining, self.ctx.store.currency, self.ctx.store.locale)
        if card.exec() != CardDialog.DialogCode.Accepted or card.card is None:
            return None
        return CardTaken(card.amount_value, card.card)
