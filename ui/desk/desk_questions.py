"""The questions the desk's money asks the person, as dialogs over the desk screen: which
payment, the service charged, the order's items and deposit, which order, how much, why,
cash or card, a supervisor's approval. The payment presenter (``ui.desk.desk_payment``)
asks through ``DeskQuestions``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtWidgets import QWidget

from app.context import AppContext
from counter.desk.customers import Customer
from counter.desk.orders import Order, OrderKind
from counter.people.users import User
from counter.returns.policy import ApprovalKind
from counter.sales.tenders import Tender
from ui.desk.desk_money import (
    AmountDialog,
    ChoiceDialog,
    OrderDialog,
    PickOrderDialog,
    ReasonDialog,
    ServiceChargeDialog,
    collect_tenders,
)
from ui.desk.desk_payment import OrderAsked, ServiceAsked
from ui.returns.return_dialogs import ApprovalDialog


class DeskDialogs:
    """Each question as a modal dialog over ``parent``; None when the person cancels."""

    def __init__(self, parent: QWidget, ctx: AppContext, user: Callable[[], User]) -> None:
        self.parent = parent
        self.ctx = ctx
        self._user = user

    def ask_choice(self, title: str, headline: str, choices: list[tuple[str, str]]) -> str | None:
        choice = ChoiceDialog(self.parent, title, headline, choices)
        if choice.exec() != ChoiceDialog.DialogCode.Accepted:
            return None
        return choice.value

    def ask_service_charge(self, customer: Customer | None, has_account: bool) -> ServiceAsked | None:
        dialog = ServiceChargeDialog(self.parent, self.ctx, customer, has_account)
        if dialog.exec() != ServiceChargeDialog.DialogCode.Accepted:
            return None
        return ServiceAsked(
            dialog.service.currentData(), dialog.value, dialog.description.text(), dialog.on_account.isChecked()
        )

    def ask_order(self, kind: OrderKind) -> OrderAsked | None:
        dialog = OrderDialog(self.parent, self.ctx, kind)
        if dialog.exec() != OrderDialog.DialogCode.Accepted:
            return None
        return OrderAsked(tuple(dialog.lines), dialog.amount)

    def ask_pick_order(self, orders: list[Order], what: str) -> Order | None:
        dialog = PickOrderDialog(self.parent, self.ctx, orders, what)
        if dialog.exec() != PickOrderDialog.DialogCode.Accepted:
            return None
        return next(o for o in orders if o.id == dialog.value)

    def ask_amount(self, title: str, headline: str, owed: Decimal) -> Decimal | None:
        dialog = AmountDialog(self.parent, self.ctx, title, headline, owed)
        if dialog.exec() != AmountDialog.DialogCode.Accepted:
            return None
        return dialog.value

    def ask_reason(self, title: str, headline: str, placeholder: str) -> str | None:
        dialog = ReasonDialog(self.parent, title, headline, placeholder)
        if dialog.exec() != ReasonDialog.DialogCode.Accepted:
            return None
        return dialog.reason.text()

    def ask_tenders(self, amount: Decimal) -> list[Tender] | None:
        return collect_tenders(self.parent, self.ctx, amount)

    def ask_approval(self, kinds: frozenset[ApprovalKind], amount: Decimal, request_id: str) -> list[str] | None:
        dialog = ApprovalDialog(
            self.parent, self.ctx, request_id=request_id, kinds=kinds, amount=amount, requester=self._user()
        )
        if dialog.exec() != ApprovalDialog.DialogCode.Accepted:
            return None
        return [a.approver_name for a in dialog.approvals]
