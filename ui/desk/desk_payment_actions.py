"""The service desk's money at the counter (F9 Payments): service charges, layaways and
special orders (deposit, payments, pickup, cancellation under their terms), house
accounts (payment, opening). A mixin of ``ui.desk.service_desk.ServiceDeskScreen``: it uses the
screen's context, customer, messages and printing, named below for the reader. It is a
QWidget because the dialogs it opens are children of that screen."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

from PySide6.QtWidgets import QLabel, QWidget

from app.context import AppContext
from app.events import SaleCommitted
from app.reactions import documents_folder
from counter.desk.accounts import charge_service, open_account, pay_on_account
from counter.desk.customers import Customer
from counter.desk.documents import SlipDocument, order_agreement, payment_receipt
from counter.desk.orders import Order, OrderKind, cancel_order, open_order, pay_order, pick_up_order
from counter.desk.payments import DeskPayment
from counter.desk.service import DeskError
from counter.people.users import User
from counter.returns.model import ApprovalNeeded
from counter.returns.refunds import RefundMethod
from counter.sales.tenders import Tender, TenderKind
from devices.letters import render_slip_pdf
from ui.desk.desk_money import (
    AmountDialog,
    ChoiceDialog,
    OrderDialog,
    PickOrderDialog,
    ReasonDialog,
    ServiceChargeDialog,
    collect_tenders,
    config,
)
from ui.devices.printing import PrintBridge
from ui.ops import said_after
from ui.returns.return_dialogs import ApprovalDialog

PAYMENT_CHOICES = [
    ("Service charge (repair, alteration, delivery, installation)", "service"),
    ("New layaway, with its deposit", "layaway"),
    ("New special order, with its deposit", "special_order"),
    ("Payment on a layaway or special order", "order_payment"),
    ("Pickup: collect an order and pay the balance", "pickup"),
    ("Cancel an order (refund under its terms)", "cancel"),
    ("Payment on the house account", "account_payment"),
    ("Open a house account (supervisor)", "open_account"),
]


class DeskPaymentActions(QWidget):
    """F9 Payments and what it leads to; the screen provides what is declared here."""

    ctx: AppContext
    printing: PrintBridge
    customer: Customer | None
    say: Callable[..., None]
    refresh: Callable[..., None]
    message: QLabel
    _money: Callable[[Decimal], str]
    _user: Callable[[], User]
    _need_customer: Callable[[], Customer]
    _print_slip: Callable[[SlipDocument, str], None]

    def _payments(self) -> None:
        choice = ChoiceDialog(self, "Payments", "Take or give back money at the desk", PAYMENT_CHOICES)
        if choice.exec() != ChoiceDialog.DialogCode.Accepted:
            return
        {
            "service": self._service_charge,
            "layaway": lambda: self._new_order(OrderKind.LAYAWAY),
            "special_order": lambda: self._new_order(OrderKind.SPECIAL_ORDER),
            "order_payment": self._order_payment,
            "pickup": self._pickup,
            "cancel": self._cancel_order,
            "account_payment": self._account_payment,
            "open_account": self._open_account,
        }[choice.value]()

    def _after_commit_says(self, text: str, kind: str) -> None:
        """A line added to what the desk says (an after-commit reaction's)."""
        self.say(said_after(self.message.text(), text), kind)

    def _receipt(self, payment: DeskPayment, what: str, owed: Decimal | None) -> None:
        customer = self.customer.name if self.customer else ""
        doc = payment_receipt(
            payment, self.ctx.store, cashier=self._user().name, customer=customer, what=what, owed_after=owed
        )
        self._print_slip(doc, payment.number)

    def _service_charge(self) -> None:
        customer = self.customer
        account = self.ctx.reads.account_of(customer.id, self.ctx.store.currency) if customer else None
        dialog = ServiceChargeDialog(self, self.ctx, customer, account is not None)
        if dialog.exec() != ServiceChargeDialog.DialogCode.Accepted:
            return
        from counter.sales.pricing import LineInput, price_lines

        with self.ctx.uow() as uow:
            tax = uow.desk.tax_class(config(self.ctx).service(dialog.service.currentData()).tax_code)
        assert tax is not None
        total = price_lines(
            [LineInput(dialog.value, 1, tax)],
            self.ctx.store.currency,
            prices_include_tax=self.ctx.store.prices_include_tax,
        ).total
        if dialog.on_account.isChecked():
            tenders: list[Tender] | None = [Tender(TenderKind.HOUSE_ACCOUNT, total, total)]
        else:
            tenders = collect_tenders(self, self.ctx, total)
        if tenders is None:
            self.say("Nothing was charged.", "info")
            return
        sale = self.ctx.handle(
            charge_service,
            self._user(),
            dialog.service.currentData(),
            dialog.value,
            dialog.description.text(),
            customer.id if customer else None,
            tenders,
            Decimal(0),
            config=config(self.ctx),
        )
        self.refresh()
        self.say(f"Service charged: receipt {sale.receipt_number}, {self._money(sale.total)}.", "ok")
        # After the commit: its receipt, the drawer for cash, the display, the sync nudge.
        self.ctx.after_commit.publish(SaleCommitted(sale, self._after_commit_says))

    def _new_order(self, kind: OrderKind) -> None:
        customer = self._need_customer()
        dialog = OrderDialog(self, self.ctx, kind)
        if dialog.exec() != OrderDialog.DialogCode.Accepted:
            return
        tenders = collect_tenders(self, self.ctx, dialog.amount)
        if tenders is None:
            self.say(f"No deposit was taken: the {kind.label.lower()} was not recorded.", "info")
            return
        result = self.ctx.handle(
            open_order, self._user(), kind, customer.id, dialog.lines, tenders, rules=config(self.ctx).rules
        )
        order = result.order
        agreement = order_agreement(order, customer, self.ctx.store, result.payment, self._user().name)
        self._print_slip(agreement, order.number)
        path = documents_folder(self.ctx.data_dir) / f"agreement-{order.number}.pdf"
        path.write_bytes(render_slip_pdf(agreement))
        self.refresh()
        self.say(
            f"{kind.label} {order.number}: deposit {self._money(order.paid)} taken, {self._money(order.balance)} owed, "
            f"collect by {order.terms.due_on.isoformat()}. Agreement printing; PDF saved as {path.name}.",
            "ok",
        )

    def _pick_order(self, what: str) -> Order | None:
        customer = self._need_customer()
        orders = self.ctx.reads.orders_for(customer.id, open_only=True)
        if not orders:
            raise DeskError(f"{customer.name} has no open layaway or special order.", "")
        if len(orders) == 1:
            return orders[0]
        dialog = PickOrderDialog(self, self.ctx, orders, what)
        if dialog.exec() != PickOrderDialog.DialogCode.Accepted:
            return None
        return next(o for o in orders if o.id == dialog.value)

    def _order_payment(self) -> None:
        order = self._pick_order("Payment on an order")
        if order is None:
            return
        dialog = AmountDialog(self, self.ctx, "Order payment", f"{order.kind.label} {order.number}", order.balance)
        if dialog.exec() != AmountDialog.DialogCode.Accepted:
            return
        tenders = collect_tenders(self, self.ctx, dialog.value)
        if tenders is None:
            return
        result = self.ctx.handle(pay_order, self._user(), order.id, tenders)
        assert result.payment is not None
        self._receipt(result.payment, f"{order.kind.label} {order.number}", result.order.balance)
        self.refresh()
        self.say(f"Payment {result.payment.number} taken; {self._money(result.order.balance)} still owed.", "ok")

    def _pickup(self) -> None:
        order = self._pick_order("Pickup")
        if order is None:
            return
        tenders: list[Tender] | None = []
        if order.balance > 0:
            tenders = collect_tenders(self, self.ctx, order.balance)
            if tenders is None:
                return
        result = self.ctx.handle(pick_up_order, self._user(), order.id, tenders or [], Decimal(0))
        assert result.sale is not None
        self.refresh()
        self.say(f"{order.kind.label} {order.number} picked up: sale {result.sale.receipt_number}.", "ok")
        self.ctx.after_commit.publish(SaleCommitted(result.sale, self._after_commit_says))

    def _cancel_order(self) -> None:
        order = self._pick_order("Cancel an order")
        if order is None:
            return
        request_id = str(uuid.uuid4())
        reason = ReasonDialog(self, "Cancel order", f"Cancel {order.number}: why?", "the customer's reason")
        if reason.exec() != ReasonDialog.DialogCode.Accepted:
            return
        for _ in range(2):
            try:
                result = self.ctx.handle(
                    cancel_order,
                    self._user(),
                    order.id,
                    reason.reason.text() or "customer asked",
                    RefundMethod.ORIGINAL,
                    request_id,
                )
                break
            except ApprovalNeeded as needed:
                approval = ApprovalDialog(
                    self,
                    self.ctx,
                    request_id=request_id,
                    kinds=needed.kinds,
                    amount=needed.amount,
                    requester=self._user(),
                )
                if approval.exec() != ApprovalDialog.DialogCode.Accepted:
                    return
        else:
            return
        if result.payment is not None:
            self._receipt(result.payment, f"Cancelled {order.number}", None)
        self.refresh()
        back = self._money(result.payment.amount) if result.payment else self._money(Decimal(0))
        self.say(f"{order.number} cancelled: {self._money(result.kept)} kept under its terms, {back} refunded.", "ok")

    def _account_payment(self) -> None:
        customer = self._need_customer()
        account = self.ctx.reads.account_of(customer.id, self.ctx.store.currency)
        if account is None:
            raise DeskError(f"{customer.name} has no house account.", "A supervisor opens one (F9, 8).")
        dialog = AmountDialog(self, self.ctx, "House account", f"Account {account.number}", account.owed)
        if dialog.exec() != AmountDialog.DialogCode.Accepted:
            return
        tenders = collect_tenders(self, self.ctx, dialog.value)
        if tenders is None:
            return
        result = self.ctx.handle(pay_on_account, self._user(), account.id, tenders)
        self._receipt(result.payment, f"House account {account.number}", result.account.owed)
        self.refresh()
        self.say(
            f"Payment {result.payment.number} on account {account.number}: "
            f"{self._money(result.account.owed)} still owed.",
            "ok",
        )

    def _open_account(self) -> None:
        customer = self._need_customer()
        dialog = AmountDialog(self, self.ctx, "Open house account", f"Credit limit for {customer.name}", Decimal(500))
        if dialog.exec() != AmountDialog.DialogCode.Accepted:
            return
        account = self.ctx.handle(open_account, self._user(), customer.id, dialog.value)
        self.refresh()
        self.say(f"House account {account.number} opened with a {self._money(account.credit_limit)} limit.", "ok")
