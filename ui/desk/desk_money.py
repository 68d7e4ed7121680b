"""Dialogs of the service desk that move money: bill adjustments, service charges,
special orders and layaways, payments on orders and house accounts (GUI thread only).

Taking the money reuses the sale screen's cash and card dialogs; a bill adjustment that
needs a supervisor opens the same approval dialog as a return, bound to the request and
the exact amount, then records the adjustment.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QListWidget, QListWidgetItem, QSpinBox, QWidget

from app.context import AppContext
from counter.barcodes import read_code
from counter.desk.adjustments import AdjustBill, AdjustmentKind, AdjustmentRecord, adjust_bill
from counter.desk.customers import Customer
from counter.desk.orders import Order, OrderKind, OrderLine, order_total
from counter.desk.service import DeskConfig, DeskError
from counter.errors import ItemNotFound
from counter.i18n import _
from counter.people.users import User
from counter.returns.lookup import find_sale
from counter.returns.model import ApprovalNeeded
from counter.returns.refunds import RefundMethod
from counter.sales.sale import Sale
from counter.sales.tenders import Payment, Tender
from ui.desk.desk_dialogs import DeskDialog
from ui.dialogs import CardDialog, CashDialog
from ui.fit import wrap_items
from ui.returns.return_dialogs import ApprovalDialog, PayDifferenceDialog


def config(ctx: AppContext) -> DeskConfig:
    return ctx.reads.desk_config()


def collect_tenders(parent: QWidget, ctx: AppContext, amount: Decimal) -> list[Tender] | None:
    """Cash (C) or card (K) until ``amount`` is paid; None when the cashier cancels."""
    cur = ctx.store.currency
    payment = Payment(amount, cur, ctx.store.smallest_coin)
    while not payment.is_complete:
        money = cur.format(payment.remaining, ctx.store.locale)
        choice = PayDifferenceDialog(parent, _("Customer pays {amount}: cash or card?").format(amount=money))
        if choice.exec() != PayDifferenceDialog.DialogCode.Accepted:
            return None
        if choice.choice == "c":
            cash = CashDialog(parent, payment.cash_due, cur, ctx.store.locale)
            if cash.exec() == CashDialog.DialogCode.Accepted:
                payment.add_cash(cash.tendered, part_payment=cash.part_payment)
        else:
            card = CardDialog(parent, payment.remaining, cur, ctx.store.locale)
            if card.exec() == CardDialog.DialogCode.Accepted and card.card is not None:
                payment.add_card(card.amount_value, card.card)
    if payment.rounding:
        raise DeskError(_("Desk payments are not rounded to the coin."), _("Take the exact amount, or pay by card."))
    return list(payment.tenders)


class ChoiceDialog(DeskDialog):
    """Pick one of a few things with its digit key (or ↑/↓ and Enter)."""

    def __init__(self, parent: QWidget | None, title: str, headline: str, choices: list[tuple[str, str]]) -> None:
        super().__init__(parent, title, headline)
        self.list = QListWidget()
        for n, (label, key) in enumerate(choices, start=1):
            item = QListWidgetItem(f"{n}   {label}")
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.setMinimumHeight(min(360, 44 * len(choices) + 10))
        self.list.setAccessibleName(title)
        self.list.setAccessibleDescription(_("Pick one with its digit key, or with Up and Down and Enter"))
        widest = max(
            (self.list.fontMetrics().horizontalAdvance(self.list.item(n).text()) for n in range(len(choices))),
            default=0,
        )
        self.list.setMinimumWidth(min(widest + 40, 640))  # one line each where the screen allows
        wrap_items(self.list)  # else they wrap
        self.list.itemActivated.connect(lambda _i: self._try_accept())
        self.list.installEventFilter(self)
        self.form.addRow(self.list)
        self.value = ""

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        self.list.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        if not self._digit(event):
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        """Digits typed while the list has the focus pick (the list would search its text)."""
        if watched is self.list and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            return self._digit(event)
        return super().eventFilter(watched, event)

    def _digit(self, event: QKeyEvent) -> bool:
        text = event.text()
        if text.isdigit() and 1 <= int(text) <= self.list.count():
            self.list.setCurrentRow(int(text) - 1)
            self._try_accept()
            return True
        return False

    def validate(self) -> None:
        self.value = self.list.currentItem().data(Qt.ItemDataRole.UserRole)


class AdjustDialog(DeskDialog):
    """A price drop, a price match or a goodwill credit, with its reason and where the money goes."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, user: User, customer: Customer | None) -> None:
        super().__init__(parent, _("Bill adjustment"), _("Price adjustment or goodwill credit"))
        self.ctx, self.user, self.customer = ctx, user, customer
        self.request_id = str(uuid.uuid4())
        self.kind = QComboBox()
        self.kind.setMinimumHeight(40)
        for k in AdjustmentKind:
            self.kind.addItem(k.label, k)
        # Translators: the kind of bill adjustment (price drop, price match, goodwill)
        self.form.addRow(_("Kind"), self.kind)
        self.kind.setAccessibleDescription(_("A price drop, a price match or a goodwill credit"))
        self.receipt = self.line_edit(_("Receipt"), "", _("scan the receipt or type its number"))
        self.receipt.editingFinished.connect(self._load_lines)
        self.line = QComboBox()
        self.line.setMinimumHeight(40)
        # Translators: a line of the receipt (an item sold)
        self.form.addRow(_("Line"), self.line)
        self.line.setAccessibleDescription(_("The item of the receipt the adjustment is for"))
        self.quantity = QSpinBox()
        self.quantity.setRange(1, 999)
        self.form.addRow(_("Units"), self.quantity)
        self.quantity.setAccessibleDescription(_("How many of the item the adjustment is for"))
        self.price = self.line_edit(_("Their price"), "", _("price match: the competitor's unit price"))
        self.competitor = self.line_edit(_("Competitor"), "", _("price match: who sells it for that"))
        # Translators: the amount of a goodwill credit given to the customer
        self.amount = self.line_edit(_("Credit"), "", _("goodwill: the amount, tax included"))
        self.reason = self.line_edit(_("Reason"), "", _("e.g. Sunday flyer price"))
        self.method = QComboBox()
        self.method.setMinimumHeight(40)
        self.method.addItem(_("To the original payment"), RefundMethod.ORIGINAL)
        self.method.addItem(_("Store credit"), RefundMethod.STORE_CREDIT)
        self.form.addRow(_("Refund to"), self.method)
        self.method.setAccessibleDescription(_("Where the money goes back: the original payment or store credit"))
        self.sale: Sale | None = None
        self.recorded: AdjustmentRecord | None = None
        self.first_field = self.receipt

    def _load_lines(self) -> None:
        text = self.receipt.text().strip()
        self.line.clear()
        self.sale = None
        if not text:
            return
        try:
            with self.ctx.read_uow() as uow:
                self.sale = find_sale(uow, text, self.ctx.store)
        except DeskError as exc:
            self.show_error(exc.message)
            return
        except Exception as exc:  # a ReturnError: shown, the field stays for correcting
            self.show_error(str(exc))
            return
        for ln in self.sale.lines:
            money = self.ctx.store.currency.format(ln.unit_price, self.ctx.store.locale)
            self.line.addItem(f"{ln.quantity} × {ln.name}  ({money})", ln.id)
        self.error.hide()

    def command(self) -> AdjustBill:
        if self.sale is None and self.receipt.text().strip():
            self._load_lines()
        kind = AdjustmentKind(self.kind.currentData())
        cur = self.ctx.store.currency
        return AdjustBill(
            request_id=self.request_id,
            cashier=self.user,
            kind=kind,
            reason=self.reason.text(),
            refund_method=RefundMethod(self.method.currentData()),
            customer_id=self.customer.id if self.customer else None,
            receipt=self.sale.receipt_number if self.sale else None,
            sale_line_id=self.line.currentData() if kind is not AdjustmentKind.GOODWILL else None,
            quantity=self.quantity.value(),
            new_price=cur.parse(self.price.text(), locale=self.ctx.store.locale) if self.price.text().strip() else None,
            competitor=self.competitor.text(),
            amount=(
                cur.parse(self.amount.text(), locale=self.ctx.store.locale, allow_zero=False)
                if self.amount.text().strip()
                else None
            ),
        )

    def validate(self) -> None:
        cmd = self.command()

        def run() -> AdjustmentRecord:
            return self.ctx.handle(adjust_bill, cmd, desk_rules=config(self.ctx).rules)

        try:
            self.recorded = run()
        except ApprovalNeeded as needed:
            approval = ApprovalDialog(
                self,
                self.ctx,
                request_id=self.request_id,
                kinds=needed.kinds,
                amount=needed.amount,
                requester=self.user,
            )
            if approval.exec() != ApprovalDialog.DialogCode.Accepted:
                raise DeskError(
                    _("Not approved: nothing was recorded."), _("Ask a supervisor, or press Esc.")
                ) from None
            self.recorded = run()


class ServiceChargeDialog(DeskDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext, customer: Customer | None, has_account: bool) -> None:
        super().__init__(parent, _("Service charge"), _("Charge for a service"))
        self.ctx = ctx
        cfg = config(ctx)
        self.service = QComboBox()
        self.service.setMinimumHeight(40)
        for svc in cfg.services:
            self.service.addItem(f"{svc.name} ({ctx.store.currency.format(svc.price, ctx.store.locale)})", svc.code)
        self.service.currentIndexChanged.connect(self._default_price)
        self.form.addRow(_("Service"), self.service)
        self.service.setAccessibleDescription(_("The service charged; its price fills in below"))
        self.price = self.line_edit(_("Price"), "", _("before tax"))
        self.description = self.line_edit(_("What"), "", _("e.g. hem two pairs of trousers"))
        self.on_account = QCheckBox(_("Charge to the customer's house account"))
        self.on_account.setEnabled(has_account)
        self.form.addRow("", self.on_account)
        self.on_account.setAccessibleDescription(
            _("When checked, the charge goes on the account instead of being paid now")
        )
        self.first_field = self.description
        self.value = Decimal(0)
        self._cfg = cfg
        self._default_price()

    def _default_price(self) -> None:
        svc = self._cfg.service(self.service.currentData())
        self.price.setText(self.ctx.store.currency.plain(svc.price, self.ctx.store.locale))

    def validate(self) -> None:
        self.value = self.ctx.store.currency.parse(self.price.text(), locale=self.ctx.store.locale, allow_zero=False)


class OrderDialog(DeskDialog):
    """A special order or layaway: scan the items, then the deposit."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, kind: OrderKind) -> None:
        super().__init__(parent, kind.label, _("{kind}: scan the items, then type the deposit").format(kind=kind.label))
        self.ctx, self.kind = ctx, kind
        self.scan = self.line_edit(_("Item"), "", _("scan or type a barcode, then Enter"))
        self.scan.returnPressed.disconnect()
        self.scan.returnPressed.connect(self._add)
        self.items = QListWidget()
        self.items.setMinimumHeight(150)
        self.items.setAccessibleName(_("Items of the order"))
        self.items.setAccessibleDescription(_("The items scanned so far"))
        self.form.addRow(self.items)
        self.totals = QLabel("")
        self.totals.setObjectName("dialogHint")
        self.form.addRow("", self.totals)
        self.deposit = self.line_edit(_("Deposit"), "", _("Enter = the minimum deposit"))
        self.lines: list[OrderLine] = []
        self.amount = Decimal(0)
        self.setMinimumWidth(600)

    def _add(self) -> None:
        code = self.scan.text().strip()
        if not code:
            self.deposit.setFocus()
            return
        try:
            item = self.ctx.catalog.by_code(read_code(code))
            if item is None:
                raise ItemNotFound(
                    _("No item has the code {code}.").format(code=code), _("Check the number, or scan it again.")
                )
        except Exception as exc:
            self.show_error(str(exc))
            return
        for n, ln in enumerate(self.lines):
            if ln.item.id == item.id:
                self.lines[n] = OrderLine(ln.line_no, ln.item, ln.quantity + 1)
                break
        else:
            self.lines.append(OrderLine(len(self.lines) + 1, item, 1))
        self.scan.clear()
        self.error.hide()
        self._show()

    def _show(self) -> None:
        def money(amount: Decimal) -> str:
            return self.ctx.store.currency.format(amount, self.ctx.store.locale)

        self.items.clear()
        for ln in self.lines:
            self.items.addItem(f"{ln.quantity} × {ln.item.name}   {money(ln.item.price * ln.quantity)}")
        if self.lines:
            total, tax = order_total(self.lines, self.ctx.store)
            minimum = self.minimum(total)
            self.totals.setText(
                _("Total {total} (tax {tax}); minimum deposit {minimum}").format(
                    total=money(total), tax=money(tax), minimum=money(minimum)
                )
            )

    def minimum(self, total: Decimal) -> Decimal:
        rules = config(self.ctx).rules
        pct = (
            rules.layaway_min_deposit_percent if self.kind is OrderKind.LAYAWAY else rules.special_order_deposit_percent
        )
        return self.ctx.store.currency.quantize(total * pct / 100)

    def validate(self) -> None:
        if self.focusWidget() is self.scan and self.scan.text().strip():
            self._add()
            raise DeskError(_("Added."), _("Scan the next item, or go to the deposit."))
        if not self.lines:
            raise DeskError(_("The order has no items."), _("Scan the items the customer wants."))
        total, _tax = order_total(self.lines, self.ctx.store)
        text = self.deposit.text().strip()
        cur, locale = self.ctx.store.currency, self.ctx.store.locale
        self.amount = cur.parse(text, locale=locale, allow_zero=False) if text else self.minimum(total)


class AmountDialog(DeskDialog):
    """An amount up to what is owed; Enter on an empty field pays it all."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, title: str, headline: str, owed: Decimal) -> None:
        super().__init__(parent, title, headline)
        self.ctx, self.owed = ctx, owed
        money = ctx.store.currency.format(owed, ctx.store.locale)
        self.amount = self.line_edit(_("Amount"), "", _("Enter = all of {amount}").format(amount=money))
        self.value = owed

    def validate(self) -> None:
        text = self.amount.text().strip()
        cur, locale = self.ctx.store.currency, self.ctx.store.locale
        self.value = cur.parse(text, locale=locale, allow_zero=False) if text else self.owed


class ReasonDialog(DeskDialog):
    """One line of free text (why an order is cancelled); empty is allowed."""

    def __init__(self, parent: QWidget | None, title: str, headline: str, placeholder: str) -> None:
        super().__init__(parent, title, headline)
        self.reason = self.line_edit(_("Reason"), "", placeholder)

    def validate(self) -> None:
        return None


class PickOrderDialog(ChoiceDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext, orders: list[Order], what: str) -> None:
        def money(amount: Decimal) -> str:
            return ctx.store.currency.format(amount, ctx.store.locale)

        line = _("{number}  {kind}  total {total}  owed {owed}  by {due}")
        choices = [
            (
                line.format(
                    number=o.number,
                    kind=o.kind.label,
                    total=money(o.total),
                    owed=money(o.balance),
                    due=o.terms.due_on,
                ),
                o.id,
            )
            for o in orders
        ]
        super().__init__(parent, what, _("{what}: which order?").format(what=what), choices)
