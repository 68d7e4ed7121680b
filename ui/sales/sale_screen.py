"""The sale screen: scan, find, adjust and pay, all from the keyboard (GUI thread only).

Layout: the scan/search field and the cart on the left; on the right a large total (or,
after a cash sale, the change due), a message panel that says what just happened and
what to do, and the preview of the last receipt. The F-key legend along the bottom is
built from ui.actions, the same registry that binds the keys.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from counter.barcodes import read_code
from counter.cash.shifts import require_open_shift
from counter.catalog import Item
from counter.errors import CartError, ItemNotFound
from counter.i18n import _
from counter.payments.card_sale import CardCharge
from counter.payments.ports import CardRequestRow
from counter.people.users import Permission, User
from counter.sales.cart import Cart, CartLine, parse_quantity
from counter.sales.commands import void_line
from counter.sales.sale import Sale
from counter.sales.tenders import Payment
from counter.sales.vouchers import looks_like_voucher
from devices.barcodes import ScanData
from devices.scanner import scan_text
from ui.a11y import show_kind
from ui.actions import SALE_ACTIONS, Action, ActionKeys, key_of
from ui.columns import ColumnFit, LineDetail
from ui.devices.printing import REPORT, PrintBridge
from ui.dialogs import CardDialog, CashDialog, DiscountDialog, QuantityDialog, VoucherDialog, ask
from ui.fit import fit_placeholder
from ui.key_legend import KeyLegend
from ui.ops import Problem, attempt
from ui.sales.cart_model import NAME_COLUMN, CartModel, cart_columns
from ui.sales.preview import ReceiptPreview
from ui.sales.sale_payment import CardTaken, CashGiven, SalePayment, VoucherTaken
from ui.sales.sale_totals import (
    SEARCH_WORDINGS,
    SPARE_FROM_SCALE,
    change_caption,
    change_details,
    detail_rows,
    discounts_text,
    name_controls,
    tax_text,
    total_caption,
)
from ui.sales.sale_void import SaleVoid
from ui.sales.terminal_payment import charge_on_terminal, resume_on_terminal
from ui.sales.void_questions import VoidDialogs
from ui.theme import text_scale

SEARCH_LIMIT = 50


class SaleScreen(QWidget):
    signed_out = Signal()
    returns_requested = Signal()
    cash_office_requested = Signal()
    cart_changed = Signal()  # after every repaint of the cart (the customer display follows it)
    sale_recorded = Signal(object)  # counter.sales.sale.Sale

    def __init__(self, ctx: AppContext, printing: PrintBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("saleScreen")
        self.ctx = ctx
        self.printing = printing
        self.user: User | None = None
        self.cart = self._new_cart()
        self.payment: Payment | None = None
        self.last_sale: Sale | None = None
        #: The customer attached at the service desk (Ctrl+U); the sale goes on their history.
        self.customer: object | None = None
        self.customer_id: str | None = None
        #: Called before the first item of a sale; raises CounterError to refuse it.
        self.before_new_sale: Callable[[], None] | None = None
        self.model = CartModel(self.cart, ctx.store.locale)
        self._build()
        self._bind_keys()
        # the last customer document printed (an X or Z report is the cash office's)
        printing.preview_ready.connect(lambda doc, kind: self.preview.show_decoded(doc) if kind != REPORT else None)
        self.payments = SalePayment(ctx, printing, self)  # the money keys' presenter
        self.voids = SaleVoid(ctx, self, VoidDialogs(self, ctx))  # Shift+F6, payments given back
        printing.job_finished.connect(self.payments.print_finished)
        self._refresh()

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        root = QHBoxLayout(self)
        root.setContentsMargins(16, 16, 16, 8)
        root.setSpacing(16)

        left = QVBoxLayout()
        left.setSpacing(8)
        self.input = QLineEdit()
        self.input.setObjectName("scanInput")
        fit_placeholder(self.input, *SEARCH_WORDINGS)
        self.input.returnPressed.connect(self._enter)
        self.input.textEdited.connect(self._search_as_you_type)
        self.input.installEventFilter(self)
        left.addWidget(self.input)

        self.results = QListWidget()
        self._before_hint: tuple[str, str] | None = None  # the message a "type more" hint replaced
        self._hint_text = ""  # that hint, as said
        self.results.setObjectName("searchResults")
        self.results.setMaximumHeight(260)
        self.results.itemActivated.connect(lambda _item: self._add_selected_result())
        self.results.hide()
        left.addWidget(self.results)

        self.table = QTableView()
        self.table.setObjectName("cartTable")
        self.table.setModel(self.model)
        name_controls(self.input, self.results, self.table)  # what a screen reader says of each
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the scan field keeps the focus
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(38)
        self.columns = ColumnFit(self.table, NAME_COLUMN, cart_columns(self._money))  # the name takes the rest
        left.addWidget(self.table, 1)
        self.line_detail = LineDetail(self.columns)  # the picked line in full
        left.addWidget(self.line_detail)
        root.addLayout(left, 3)

        right = QVBoxLayout()
        right.setSpacing(8)
        self.total_box = QFrame()
        self.total_box.setObjectName("totalBox")
        grid = QGridLayout(self.total_box)
        grid.setContentsMargins(18, 14, 18, 14)
        self.total_caption = QLabel(total_caption())
        self.total_caption.setObjectName("totalCaption")
        self.total_caption.setWordWrap(True)  # "CHANGE DUE · receipt number" wraps when narrow
        self.total_value = QLabel()
        self.total_value.setObjectName("totalValue")
        self.total_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(self.total_caption, 0, 0, 1, 2)
        grid.addWidget(self.total_value, 1, 0, 1, 2)
        self.detail_labels = detail_rows(grid)  # by English caption
        right.addWidget(self.total_box)

        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(84)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        right.addWidget(self.message)

        self.preview = ReceiptPreview()
        # at large text the preview steps aside: the total and the message come first
        self.preview.setVisible(self.ctx.settings.show_receipt_preview and text_scale() < SPARE_FROM_SCALE)
        right.addWidget(self.preview, 1)
        wrapper = QVBoxLayout()
        wrapper.addLayout(right)
        root.addLayout(wrapper, 2)

        outer = QVBoxLayout()
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        body = QWidget()
        body.setLayout(root)
        outer.addWidget(body, 1)
        outer.addWidget(self._legend())
        self.setLayout(outer)

    def _legend(self) -> QWidget:
        actions = [a for a in SALE_ACTIONS if a.value.in_legend]
        bar = KeyLegend([(a.key, a.label, partial(self.trigger, a)) for a in actions])
        self.legend_buttons: dict[Action, QPushButton] = dict(zip(actions, bar.buttons, strict=True))
        return bar

    def _bind_keys(self) -> None:
        self.handlers: dict[Action, Callable[[], None]] = {
            Action.SEARCH: self._focus_search,
            Action.QUANTITY: self._change_quantity,
            Action.LINE_DISCOUNT: self._discount_line,
            Action.ORDER_DISCOUNT: self._discount_order,
            Action.VOID_LINE: self._void_line,
            Action.VOID_SALE: lambda: self._run(self.voids.void),
            Action.PAY_CASH: lambda: self._run(self.payments.pay_cash),
            Action.PAY_CARD: lambda: self._run(self.payments.pay_card),
            Action.REPRINT: lambda: self._run(self.payments.reprint),
            Action.GIFT_RECEIPT: lambda: self._run(self.payments.gift_receipt),
            Action.SIGN_OUT: self._sign_out,
            Action.RETURNS: self._returns,
            Action.CASH_OFFICE: self._cash_office,
            Action.PAY_VOUCHER: lambda: self._run(self.payments.pay_voucher),
        }
        # Keys are matched here rather than with QShortcut: QShortcut fires only while the
        # window is active, which a till without a window manager may never report.
        # Keys the scan field does not use (F-keys, Esc) propagate up to keyPressEvent.
        self.keymap = {key_of(action.key): action for action in SALE_ACTIONS}
        self.action_keys = ActionKeys(self.keymap, self.trigger, self)  # before the field acts on them
        self.input.installEventFilter(self.action_keys)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        action = self.keymap.get(event.keyCombination())
        if action is not None:
            self.trigger(action)
        elif event.key() == Qt.Key.Key_Escape:
            self._escape()
        else:
            super().keyPressEvent(event)

    def trigger(self, action: Action) -> None:
        handler = self.handlers.get(action)
        if handler is None:
            self.say(_("{action} is not set up on this terminal.").format(action=action.shown), "error")
        else:
            handler()
        if self.isVisible():  # sign out, returns, cash office: another screen has the keys now
            self.input.setFocus()

    def add_handler(self, action: Action, handler: Callable[[], None]) -> None:
        """Actions whose work lives outside this screen (devices) are plugged in here by
        the composition root."""
        self.handlers[action] = handler

    def handle_scan(self, scan: ScanData) -> bool:
        """A barcode from the wedge filter or a serial scanner, wherever the focus was."""
        if self.user is None:
            return False
        if scan.error:
            self.say(_("{problem} Scan it again.").format(problem=scan.error), "error")
            return True
        attempt(lambda: self._add_code(scan_text(scan)), self.problem)
        return True

    # ------------------------------------------------------------- lifecycle
    def start(self, user: User) -> None:
        self.user = user
        self._reset_sale()
        self.say(_("Signed in as {name}. Scan the first item.").format(name=user.name), "info")
        attempt(self.voids.restore_interrupted, self.problem)  # part payments a stop left, to give back
        self.input.setFocus()

    def _new_cart(self) -> Cart:
        return Cart(self.ctx.store.currency, self.ctx.store.prices_include_tax)

    def _reset_sale(self) -> None:
        self.cart = self._new_cart()
        self.payment = None
        self.model.set_cart(self.cart)
        self.input.clear()
        self.results.hide()
        self._refresh()

    # ------------------------------------------------------------ messages
    def say(self, text: str, kind: str = "info") -> None:
        self.message.setText(text)
        show_kind(self.message, kind)
        if kind == "error":
            QApplication.beep()

    def problem(self, p: Problem) -> None:
        self.say(p.text, "error")

    def _money(self, amount: Decimal) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)

    # -------------------------------------------------------------- adding
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if watched is self.input and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self._move_selection(1 if key == Qt.Key.Key_Down else -1)
                return True
        return super().eventFilter(watched, event)

    def _move_selection(self, step: int) -> None:
        if self.results.isVisible() and self.results.count():
            row = max(0, min(self.results.count() - 1, self.results.currentRow() + step))
            self.results.setCurrentRow(row)
            return
        rows = self.model.rowCount()
        if rows:
            current = self.table.currentIndex().row()
            self._select_row(max(0, min(rows - 1, (current if current >= 0 else rows - 1) + step)))

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(index)

    def _search_as_you_type(self, text: str) -> None:
        stripped = text.strip()
        if len(stripped) < 2 or not any(ch.isalpha() for ch in stripped):
            self._hint_more(stripped, capped=False)
            self.results.hide()
            return
        ok, items = attempt(lambda: self.ctx.catalog.search(stripped, SEARCH_LIMIT), self.problem)
        self.results.clear()
        for item in items or ():
            entry = QListWidgetItem(f"{item.name}    {self._money(item.price)}    {item.sku}")
            entry.setData(Qt.ItemDataRole.UserRole, item)
            self.results.addItem(entry)
        if ok and self.results.count():
            self.results.setCurrentRow(0)
            self.results.show()
            self._hint_more(stripped, capped=getattr(items, "capped", False))  # db.queries.SearchResults
        else:
            self._hint_more(stripped, capped=False)
            self.results.hide()
            if ok:
                said = _("No item matches “{text}”. Check the spelling, or scan the item.").format(text=stripped)
                self.say(said, "info")

    def _hint_more(self, text: str, *, capped: bool) -> None:
        """More items matched than search ranks: ask for more letters; take the hint back
        (the message it replaced) once the search is narrow enough."""
        if capped:
            if self._before_hint is None:
                self._before_hint = (self.message.text(), str(self.message.property("kind") or "info"))
            self._hint_text = _(
                "Many items match “{text}”: the best {count} are shown. Type more to narrow it down."
            ).format(text=text, count=self.results.count())
            self.say(self._hint_text, "info")
        elif self._before_hint is not None:
            if self.message.text() == self._hint_text:
                self.say(*self._before_hint)
            self._before_hint = None

    def _enter(self) -> None:
        text = self.input.text().strip()
        if not text:
            return
        if self.results.isVisible() and self.results.currentItem() is not None:
            self._add_selected_result()
            return
        ok, _unused = attempt(lambda: self._add_code(text), self.problem)
        if ok:
            self.input.clear()
        else:
            self.input.selectAll()

    def _add_code(self, text: str) -> None:
        if looks_like_voucher(text):
            raise CartError(
                _("That is a store-credit voucher, not an item."),
                _("To pay with it, press F8 (Store credit) and scan it there."),
            )
        quantity = 1
        if "*" in text:  # "3*4006381333931": three of the item
            count, _star, text = text.partition("*")
            quantity = parse_quantity(count)
        code = read_code(text)
        item = self.ctx.catalog.by_code(code)
        if item is None:
            raise ItemNotFound(
                _("No item has the code {code}.").format(code=text.strip()),
                _("Check the number, or find the item by name (F2)."),
            )
        self._add_item(item, quantity)

    def _add_selected_result(self) -> None:
        current = self.results.currentItem()
        if current is None:
            return
        item: Item = current.data(Qt.ItemDataRole.UserRole)
        ok, _unused = attempt(lambda: self._add_item(item, 1), self.problem)
        if ok:
            self.input.clear()
            self.results.hide()

    def _add_item(self, item: Item, quantity: int) -> None:
        self._check_editable()
        if self.cart.is_empty:  # the first item of a sale: say now, not at payment, if no shift is open
            with self.ctx.read_uow() as uow:
                require_open_shift(uow, self.ctx.terminal.terminal_id)
            if self.before_new_sale is not None:
                self.before_new_sale()  # e.g. refuses while the cash drawer is still open
        line = self.cart.add(item, quantity)
        self._refresh(select=line)
        added = _("Added {item} — {price} × {quantity}.")
        self.say(added.format(item=item.name, price=self._money(item.price), quantity=line.quantity), "ok")

    # ---------------------------------------------------------- line edits
    def _check_editable(self) -> None:
        if self.payment is not None and self.payment.tenders:
            raise CartError(
                _("A payment has already been taken for this sale."),
                _("Finish paying, or void the sale (Shift+F6) to give the payments back."),
            )

    def _selected_line(self) -> CartLine:
        row = self.table.currentIndex().row()
        line = self.model.line_at(row if row >= 0 else self.model.rowCount() - 1)
        if line is None:
            raise CartError(_("There is no item in the sale yet."), _("Scan an item first."))
        return line

    def _change_quantity(self) -> None:
        def run() -> None:
            self._check_editable()
            line = self._selected_line()
            item = line.item
            dialog = QuantityDialog(self, item.name, line.quantity, unit_price=item.price, money=self._money)
            quantity = ask(dialog, lambda: dialog.value)
            if quantity is None:
                return
            self.cart.set_quantity(line.id, quantity)
            self._refresh(select=line)
            self.say(_("{item}: quantity is now {quantity}.").format(item=line.item.name, quantity=quantity), "ok")

        attempt(run, self.problem)

    def _discount_line(self) -> None:
        def run() -> None:
            self._check_editable()
            self._require(Permission.DISCOUNT)
            line = self._selected_line()
            cur, locale = self.cart.currency, self.ctx.store.locale
            on_item = _("Discount on {item}").format(item=line.item.name)
            dialog = DiscountDialog(self, _("Line discount"), on_item, cur, locale)
            discount = ask(dialog, lambda: dialog.value)
            if discount is None:
                return
            self.cart.discount_line(line.id, discount)
            self._refresh(select=line)
            said = _("Discount {discount} on {item}.")
            self.say(said.format(discount=discount.describe(cur, locale), item=line.item.name), "ok")

        attempt(run, self.problem)

    def _discount_order(self) -> None:
        def run() -> None:
            self._check_editable()
            self._require(Permission.DISCOUNT)
            if self.cart.is_empty:
                raise CartError(_("There is no item in the sale yet."), _("Scan an item first."))
            locale = self.ctx.store.locale
            title, headline = _("Sale discount"), _("Discount on the whole sale")
            dialog = DiscountDialog(self, title, headline, self.cart.currency, locale)
            discount = ask(dialog, lambda: dialog.value)
            if discount is None:
                return
            self.cart.discount_order(discount)
            self._refresh()
            said = _("Sale discount {discount}.").format(discount=discount.describe(self.cart.currency, locale))
            self.say(said, "ok")

        attempt(run, self.problem)

    def _void_line(self) -> None:
        def run() -> None:
            self._check_editable()
            line = self._selected_line()
            self.ctx.handle(void_line, self._user(), self.cart, line.id)
            self._refresh()
            self.say(_("Voided {item}.").format(item=line.item.name), "ok")

        attempt(run, self.problem)

    def _require(self, permission: Permission) -> None:
        if not self._user().can(permission):
            refused = _("{name} may not do this ({permission}).").format(name=self._user().name, permission=permission)
            raise CartError(refused, _("Ask a supervisor."))

    def _user(self) -> User:
        assert self.user is not None
        return self.user

    def _run(self, action: Callable[[], None]) -> None:
        attempt(action, self.problem)

    # ------------------------------------------------- the payment presenter's view
    def current_user(self) -> User:
        return self._user()

    def message_text(self) -> str:
        return self.message.text()

    def refresh(self) -> None:
        self._refresh()

    def reset_sale(self) -> None:
        self._reset_sale()

    def recorded(self, sale: Sale) -> None:
        self.sale_recorded.emit(sale)

    def ask_cash(self, due: Decimal) -> CashGiven | None:
        dialog = CashDialog(self, due, self.cart.currency, self.ctx.store.locale)
        if ask(dialog, lambda: True) is None:
            return None
        return CashGiven(dialog.tendered, dialog.part_payment)

    def ask_card(self, remaining: Decimal) -> CardTaken | None:
        dialog = CardDialog(self, remaining, self.cart.currency, self.ctx.store.locale)
        if ask(dialog, lambda: True) is None or dialog.card is None:
            return None
        return CardTaken(dialog.amount_value, dialog.card)

    def ask_terminal_card(self, payment: Payment) -> CardCharge | None:
        return charge_on_terminal(self, self.ctx, payment, self.current_user())

    def resume_card(self, row: CardRequestRow) -> str:
        return resume_on_terminal(self, self.ctx, row, self.current_user())

    def ask_voucher(self, remaining: Decimal) -> VoucherTaken | None:
        dialog = VoucherDialog(self, self.ctx, remaining)
        if dialog.exec() != VoucherDialog.DialogCode.Accepted or dialog.code is None:
            return None
        return VoucherTaken(dialog.amount_value, dialog.code, dialog.balance)

    def show_change(self, sale: Sale) -> None:
        """Until the next scan, the total panel shows the sale just paid and its change."""
        self.total_box.setProperty("state", "change")
        self.total_caption.setText(change_caption(sale))
        self.total_value.setText(self._money(sale.change) if sale.change else self._money(sale.total))
        for key, text in change_details(sale, self._money).items():
            self.detail_labels[key].setText(text)
        self.total_box.style().unpolish(self.total_box)
        self.total_box.style().polish(self.total_box)

    def _returns(self) -> None:
        if not self.cart.is_empty or self.payment is not None:
            self.say(
                _("Finish or void this sale (Shift+F6) before taking a return. For an exchange, use F6 there."),
                "error",
            )
            return
        self.returns_requested.emit()

    def _cash_office(self) -> None:
        if not self.cart.is_empty or self.payment is not None:
            self.say(_("Finish or void this sale (Shift+F6) before going to the cash office."), "error")
            return
        self.cash_office_requested.emit()

    # ------------------------------------------------------------ the rest
    def _focus_search(self) -> None:
        self.input.selectAll()
        self.say(_("Type part of the item's name; pick it with ↑/↓ and Enter."), "info")

    def _escape(self) -> None:
        if self.results.isVisible() or self.input.text():
            self.input.clear()
            self.results.hide()

    def _sign_out(self) -> None:
        if not self.cart.is_empty or self.payment is not None:
            self.say(_("Finish or void this sale (Shift+F6) before signing out."), "error")
            return
        self.signed_out.emit()

    def _refresh(self, select: CartLine | None = None) -> None:
        self.model.refresh()
        pricing = self.model.pricing
        self.total_box.setProperty("state", "")
        self.total_box.style().unpolish(self.total_box)
        self.total_box.style().polish(self.total_box)
        self.total_caption.setText(total_caption())
        self.total_value.setText(self._money(pricing.total))
        self.detail_labels["Subtotal"].setText(self._money(pricing.subtotal))
        self.detail_labels["Discounts"].setText(discounts_text(pricing.discount_total, self._money))
        self.detail_labels["Tax"].setText(tax_text(self._money(pricing.tax_total), pricing.prices_include_tax))
        self.detail_labels["Items"].setText(str(sum(ln.quantity for ln in self.cart.active_lines)))
        paid = self.payment.paid if self.payment else Decimal(0)
        self.detail_labels["Paid"].setText(self._money(paid) if paid else "—")
        self.detail_labels["Due"].setText(self._money(self.payment.remaining) if self.payment else "—")
        if select is not None and (row := self.model.row_of(select.id)) >= 0:
            self._select_row(row)
        elif self.model.rowCount():
            self._select_row(self.model.rowCount() - 1)
        self.cart_changed.emit()
