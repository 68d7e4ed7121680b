"""The return screen: returns with or without a receipt, and exchanges (GUI thread, but
for HQ's calls).

Flow for a receipted return: scan the receipt (or type its number, or Ctrl+F to find the
sale); ↑/↓ picks a line, Space or + returns one more of it, − one fewer, a digit 1–8 gives
the reason; F10 completes. Every change re-quotes the return with the same functions
the handler uses, so the decision per line, the fees, where the money goes and what
needs approval are always on screen before anything is recorded.

On an enrolled lane, what goes to HQ (looking up another lane's receipt; completing the
return, which reserves its quantities at HQ) runs on a short-lived worker thread while
the window stays responsive and says what it waits for; the screen takes no keys until
the answer (or the client's time-out, then the offline path with its caps) is back.
Quotes re-use the sale HQ sent when the receipt was loaded, never the network.

The lines table and its keys are in ``ui.returns.return_lines``, what the total box says
in ``ui.returns.return_summary``, F9 and F10 in ``ui.returns.return_checkout``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QListWidget, QVBoxLayout, QWidget

from app.context import AppContext
from counter.barcodes import read_code
from counter.dates import show_moment
from counter.errors import CounterError, ItemNotFound
from counter.i18n import N_, _, in_sentence
from counter.people.users import User
from counter.returns.draft import ReturnDraft
from counter.returns.lookup import (
    find_remote_sale,
    find_sale,
    no_receipt_price,
    normalize_receipt_number,
    returnable_lines,
)
from counter.returns.model import ReturnableLine, ReturnError, ReturnQuote
from counter.returns.policy import Reason
from counter.returns.process import ReturnRecord, quote_draft
from counter.returns.refunds import RefundMethod
from counter.sales.cart import Cart
from counter.sales.sale import Sale
from counter.sync.upstream import RemoteSale
from devices.barcodes import CodeType, ScanData
from devices.scanner import scan_text
from ui.a11y import live_accessible, show_kind
from ui.actions import RETURN_ACTIONS, ActionKeys, ReturnAction, key_of
from ui.columns import LineDetail
from ui.devices.printing import PrintBridge
from ui.dialogs import QuantityDialog
from ui.fit import fit_placeholder, wrap_items
from ui.i18n import live, live_text
from ui.key_legend import KeyLegend
from ui.ops import Problem, attempt, describe
from ui.returns.return_checkout import Done, ReturnCheckout
from ui.returns.return_dialogs import CustomerIdDialog, FindSaleDialog, ReasonDialog, reason_legend
from ui.returns.return_lines import RECEIPT_FIELD, ReturnLinesTable
from ui.returns.return_model import ReturnLinesModel
from ui.returns.return_questions import ReturnDialogs
from ui.returns.return_summary import refund_caption, summarize
from ui.runner import Runner

METHODS = list(RefundMethod)


class ReturnScreen(QWidget):
    finished = Signal()  # back to the sale screen
    recorded = Signal(object)  # counter.returns.process.ReturnRecord
    customer_requested = Signal()  # Ctrl+U: the service desk

    def __init__(self, ctx: AppContext, printing: PrintBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("returnScreen")
        self.ctx = ctx
        self.printing = printing
        self.user: User | None = None
        self.draft: ReturnDraft | None = None
        self.quote: ReturnQuote | None = None
        self.last_record: ReturnRecord | None = None
        #: The customer attached at the service desk (Ctrl+U); the return goes on their history.
        self.customer: object | None = None
        self.customer_id: str | None = None
        #: The sale HQ sent for the loaded receipt (another lane's), for quoting.
        self.remote: RemoteSale | None = None
        #: What the screen waits for from HQ ("" when it waits for nothing).
        self.busy = ""
        self.runner = Runner(self)  # calls to HQ, off the GUI thread
        # F9 and F10's presenter, asking its questions in dialogs over this screen
        self.checkout = ReturnCheckout(ctx, self, ReturnDialogs(self, ctx, lambda: self.user))
        self._build()
        self.keymap = {key_of(a.key): a for a in RETURN_ACTIONS}
        self.action_keys = ActionKeys(self.keymap, self.trigger, self)  # before the field acts on them
        self.input.installEventFilter(self.action_keys)

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        body = QHBoxLayout()
        body.setContentsMargins(16, 16, 16, 8)
        body.setSpacing(16)

        left = QVBoxLayout()
        left.setSpacing(8)
        title = QLabel()
        live_text(title, N_("RETURNS & EXCHANGES"))
        title.setObjectName("screenTitle")
        left.addWidget(title)
        self.input = QLineEdit()
        self.input.setObjectName("scanInput")
        self.input.returnPressed.connect(self._enter)
        live_accessible(self.input, *RECEIPT_FIELD)
        self.placeholder = fit_placeholder(self.input, N_("Scan the receipt's barcode, or type its number, then Enter"))
        left.addWidget(self.input)
        self.header = QLabel("")
        self.header.setObjectName("receiptHeader")
        self.header.setWordWrap(True)
        left.addWidget(self.header)
        self.model = ReturnLinesModel(ReturnDraft(cashier=None), self.ctx.store.currency, self.ctx.store.locale)  # type: ignore[arg-type]
        self.table = ReturnLinesTable(self.model)
        self.table.stepped.connect(lambda n: attempt(lambda: self._step(n), self.problem))
        self.table.reason_keyed.connect(lambda r: attempt(lambda: self._set_reason(r), self.problem))
        left.addWidget(self.table, 3)
        self.line_detail = LineDetail(self.table.columns)  # the picked line in full
        left.addWidget(self.line_detail)
        self.reasons = QLabel()
        live(self.reasons, lambda: self.reasons.setText(reason_legend()))  # the reasons' names may be translated
        self.reasons.setObjectName("subtle")
        self.reasons.setWordWrap(True)
        left.addWidget(self.reasons)

        self.exchange_box = QFrame()
        self.exchange_box.setObjectName("exchangeBox")
        ex = QVBoxLayout(self.exchange_box)
        ex.setContentsMargins(10, 8, 10, 8)
        ex.addWidget(new_items := QLabel())
        live_text(new_items, N_("New items for the exchange"))
        self.exchange_input = QLineEdit()
        fit_placeholder(
            self.exchange_input,
            N_("Scan or type the new item's barcode, then Enter"),
            N_("Scan the new item's barcode"),
            N_("New item's barcode"),
        )
        self.exchange_input.returnPressed.connect(self._exchange_enter)
        ex.addWidget(self.exchange_input)
        self.exchange_list = QListWidget()
        self.exchange_list.setMaximumHeight(130)
        wrap_items(self.exchange_list)
        ex.addWidget(self.exchange_list)
        self.exchange_box.hide()  # beside the refund (below), where the table keeps its rows
        body.addLayout(left, 5)

        right = QVBoxLayout()
        right.setSpacing(10)
        self.total_box = QFrame()
        self.total_box.setObjectName("totalBox")
        tb = QVBoxLayout(self.total_box)
        tb.setContentsMargins(18, 14, 18, 14)
        self.total_caption = QLabel(refund_caption())
        self.total_caption.setObjectName("totalCaption")
        self.total_caption.setWordWrap(True)  # "CHANGE DUE · receipt number" wraps when narrow
        self.total_value = QLabel("—")
        self.total_value.setObjectName("totalValue")
        self.total_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.breakdown = QLabel("")
        self.breakdown.setObjectName("breakdown")
        self.breakdown.setWordWrap(True)
        tb.addWidget(self.total_caption)
        tb.addWidget(self.total_value)
        tb.addWidget(self.breakdown)
        right.addWidget(self.total_box)
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(96)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        right.addWidget(self.message)
        right.addWidget(self.exchange_box)
        right.addStretch(1)
        body.addLayout(right, 2)
        self.total_box.setMinimumWidth(300)

        container = QWidget()
        container.setLayout(body)
        outer.addWidget(container, 1)
        # Policies (Ctrl+P) is a manager's key, listed in the README, kept off the cashier's bar
        shown = [a for a in RETURN_ACTIONS if a is not ReturnAction.POLICIES]
        legend = KeyLegend([(a.key, a.label, partial(self.trigger, a)) for a in shown])
        outer.addWidget(legend)

    # ------------------------------------------------------------- lifecycle
    def start(self, user: User) -> None:
        self.user = user
        self._new_draft()
        self.say(_("Scan the receipt's barcode, or type its number and press Enter. No receipt? Ctrl+N."), "info")

    def _new_draft(self, *, no_receipt: bool = False) -> None:
        assert self.user is not None
        self.draft = ReturnDraft(cashier=self.user)
        self.quote = None
        self.remote = None
        self.no_receipt_mode = no_receipt
        self.input.clear()
        self.placeholder.set_wordings(
            (N_("Scan the item the customer brings back, then Enter"), N_("Scan the item brought back"))
            if no_receipt
            else (
                N_("Scan the receipt's barcode, or type its number, then Enter"),
                N_("Scan the receipt, or type its number"),
            )
        )
        self.header.setText(
            _("No receipt: store credit at the lowest recent price, with the customer's ID.") if no_receipt else ""
        )
        self.exchange_box.hide()
        self.exchange_list.clear()
        self._refresh()
        self.input.setFocus()

    def _start_over(self, *, no_receipt: bool = False) -> None:
        """F2 or Ctrl+N: a new return, and the message says what to do now (what the last
        return said is done with)."""
        self._new_draft(no_receipt=no_receipt)
        if no_receipt:
            self.say(_("No receipt: scan the item the customer brings back, then Enter."), "info")
        else:
            self.say(_("Scan the receipt's barcode, or type its number and press Enter. No receipt? Ctrl+N."), "info")

    # ------------------------------------------------------------ messages
    def say(self, text: str, kind: str = "info") -> None:
        self.message.setText(text)
        show_kind(self.message, kind)

    def problem(self, p: Problem) -> None:
        self.say(p.text, "error")

    def _money(self, amount: Decimal) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)

    # ----------------------------------------------------------------- keys
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        if self.busy:
            return
        action = self.keymap.get(event.keyCombination())
        if action is not None:
            self.trigger(action)
        else:
            super().keyPressEvent(event)

    def trigger(self, action: ReturnAction) -> None:
        if self.busy:
            return  # one thing at a time: the answer from HQ comes first
        handlers: dict[ReturnAction, Callable[[], object]] = {
            ReturnAction.RECEIPT: self._start_over,
            ReturnAction.QUANTITY: self._ask_quantity,
            ReturnAction.REASON: self._ask_reason,
            ReturnAction.CONDITION: self._cycle_condition,
            ReturnAction.DISPOSITION: self._cycle_disposition,
            ReturnAction.EXCHANGE: self._toggle_exchange,
            ReturnAction.CUSTOMER_ID: self._ask_customer_id,
            ReturnAction.REFUND_TO: self._cycle_method,
            ReturnAction.APPROVE: self.checkout.approve,
            ReturnAction.COMPLETE: self.checkout.complete,
            ReturnAction.FIND_SALE: self._find_sale,
            ReturnAction.NO_RECEIPT: lambda: self._start_over(no_receipt=True),
            ReturnAction.WAIVE_FEE: self._toggle_waiver,
            ReturnAction.POLICIES: self.checkout.policies,
            ReturnAction.CUSTOMER: self.customer_requested.emit,
            ReturnAction.BACK: self.finished.emit,
        }
        attempt(handlers[action], self.problem)

    # -------------------------------------------------------- receipt / items
    def _enter(self) -> None:
        text = self.input.text().strip()
        if not text:
            return
        if self.no_receipt_mode:
            ok, _unused = attempt(lambda: self._add_no_receipt_item(text), self.problem)
        else:
            ok, _unused = attempt(lambda: self._load_receipt(text), self.problem)
        if ok:
            self.input.clear()
        else:
            self.input.selectAll()

    def handle_scan(self, scan: ScanData) -> bool:
        """A scan (wedge or serial scanner): a receipt loads it; a product goes to the
        exchange when it is open, is the item coming back without a receipt, or marks one
        more of its line on the loaded receipt."""
        if self.draft is None:
            return False
        if self.busy:
            return True  # swallowed: the screen is waiting for HQ
        if scan.error:
            self.say(_("{problem} Scan it again.").format(problem=scan.error), "error")
            return True
        attempt(lambda: self._scanned(scan_text(scan), is_product=scan.kind is not CodeType.TEXT), self.problem)
        return True

    def _scanned(self, code: str, *, is_product: bool) -> None:
        assert self.draft is not None
        if not is_product and not self.no_receipt_mode:
            self._load_receipt(code)
            return
        if self.no_receipt_mode and not self.exchange_box.isVisible():
            self._add_no_receipt_item(code)
            return
        item = self.ctx.catalog.by_code(read_code(code))
        if item is None:
            raise ItemNotFound(
                _("No item has the code {code}.").format(code=code), _("Check the number, or scan it again.")
            )
        if self.exchange_box.isVisible() and self.draft.exchange is not None:
            self.draft.exchange.add(item)
            self._refresh()
            self.say(_("{item} added to the exchange.").format(item=item.name), "ok")
            return
        row = self.draft.return_one_of(item)
        self._refresh()
        self.table.select_row(row)
        self.say(_("{item}: one more marked to return. Type 1–8 for the reason.").format(item=item.name), "ok")

    def _load_receipt(self, text: str) -> None:
        """The receipt from this store file; another lane's or store's from HQ when this
        lane is enrolled, asked off the GUI thread (the answer comes to ``_found``)."""
        assert self.draft is not None
        number = normalize_receipt_number(text)
        upstream = self.ctx.upstream
        with self.ctx.read_uow() as uow:
            if upstream is None or uow.sales.get_by_number(number) is not None:
                sale = find_sale(uow, number, self.ctx.store)
                self._show_receipt(sale, None, returnable_lines(uow, sale, None))
                return

        def ask_hq() -> tuple[RemoteSale, list[ReturnableLine]]:
            remote = find_remote_sale(number, upstream)  # the network call, with no transaction open
            with self.ctx.read_uow() as uow:
                return remote, returnable_lines(uow, remote.sale, remote)

        self.wait(_("Looking up receipt {receipt} at HQ…").format(receipt=number))
        self.off_gui(ask_hq, self._found)

    def _found(self, answer: tuple[RemoteSale, list[ReturnableLine]] | None, error: CounterError | None) -> None:
        self.waited()
        if error is not None or answer is None:
            self.problem(describe(error or CounterError(_("HQ gave no answer."), _("Try again."))))
            return
        remote, lines = answer
        self._show_receipt(remote.sale, remote, lines)

    def _show_receipt(self, sale: Sale, remote: RemoteSale | None, lines: list[ReturnableLine]) -> None:
        assert self.draft is not None
        self.remote = remote
        self.draft = ReturnDraft(cashier=self.draft.cashier, sale=sale, returnable=lines)
        paid = ", ".join(f"{t.label} {self._money(t.amount)}" for t in sale.tenders)
        when = show_moment(sale.completed_at, self.ctx.store.locale, self.ctx.store.zone)
        self.header.setVisible(True)
        self.header.setText(
            _("Receipt {receipt} · {when} · {cashier} · total {total} · paid {paid}").format(
                receipt=sale.receipt_number,
                when=when,
                cashier=sale.cashier_name,
                total=self._money(sale.total),
                paid=paid,
            )
        )
        self._refresh()
        self.table.setFocus()
        first = next((n for n, rl in enumerate(lines) if rl.returnable), None)
        if first is None:
            self.say(
                _("Everything on receipt {receipt} has already been returned.").format(receipt=sale.receipt_number),
                "error",
            )
        else:
            self.table.select_row(first)
            self.say(_("Space returns one of the selected line; type 1–8 for the reason; F10 completes."), "info")

    def _add_no_receipt_item(self, text: str) -> None:
        assert self.draft is not None
        item = self.ctx.catalog.by_code(read_code(text))
        if item is None:
            raise ItemNotFound(
                _("No item has the code {code}.").format(code=text), _("Check the number, or scan the item again.")
            )
        with self.ctx.read_uow() as uow:
            days = self.ctx.rules.no_receipt_lowest_price_days
            price = no_receipt_price(uow.returns, item, days, self.ctx.clock.now(), self.ctx.store.currency)
        line = self.draft.add_no_receipt(item, price)
        self._refresh()
        self.table.select_row(self.draft.no_receipt.index(line))
        said = _("{item}: refund {price} each (lowest recent price). Type 1–8 for the reason.")
        self.say(said.format(item=item.name, price=self._money(price)), "ok")
        self.table.setFocus()

    def _find_sale(self) -> None:
        dialog = FindSaleDialog(self, self.ctx)
        if dialog.exec() == FindSaleDialog.DialogCode.Accepted and dialog.value:
            self.no_receipt_mode = False
            self._load_receipt(dialog.value)

    # ----------------------------------------------------------- line edits
    def _step(self, step: int) -> None:
        assert self.draft is not None
        self.draft.step(self.table.current_line_id(), step)
        self._refresh()

    def _ask_quantity(self) -> None:
        assert self.draft is not None
        line_id = self.table.current_line_id()
        if not self.draft.has_receipt:
            line = next(n for n in self.draft.no_receipt if n.id == line_id)
            dialog = QuantityDialog(self, line.item.name, line.quantity)
            if dialog.exec() == QuantityDialog.DialogCode.Accepted:
                line.quantity = dialog.value
        else:
            rl = next(r for r in self.draft.returnable if r.line.id == line_id)
            dialog = QuantityDialog(self, rl.line.name, max(1, self.draft.pick(line_id).quantity))
            if dialog.exec() == QuantityDialog.DialogCode.Accepted:
                self.draft.set_quantity(line_id, dialog.value)
        self._refresh()

    def _set_reason(self, reason: Reason) -> None:
        assert self.draft is not None
        line_id = self.table.current_line_id()
        self.draft.set_reason(line_id, reason)
        self._refresh()
        condition, goes_to = self.draft.condition(line_id), self.draft.disposition(line_id)
        self.say(
            _("{reason}: {condition}, goes to {goes_to}. F5 changes the condition, Shift+F5 where it goes.").format(
                reason=reason.label, condition=in_sentence(condition.label), goes_to=in_sentence(goes_to.label)
            ),
            "info",
        )

    def _ask_reason(self) -> None:
        line_id = self.table.current_line_id()
        name = self._line_name(line_id)
        dialog = ReasonDialog(self, name)
        if dialog.exec() == ReasonDialog.DialogCode.Accepted and dialog.value is not None:
            self._set_reason(dialog.value)

    def _line_name(self, line_id: str) -> str:
        assert self.draft is not None
        return self.draft.line_name(line_id)

    def _cycle_condition(self) -> None:
        assert self.draft is not None
        line_id = self.table.current_line_id()
        condition = self.draft.next_condition(line_id)
        self._refresh()
        goes_to = in_sentence(self.draft.disposition(line_id).label)
        self.say(
            _("Condition: {condition}; goes to {goes_to}.").format(condition=condition.label, goes_to=goes_to), "info"
        )

    def _cycle_disposition(self) -> None:
        assert self.draft is not None
        goes_to = self.draft.next_disposition(self.table.current_line_id())
        self._refresh()
        self.say(_("Goes to: {goes_to}.").format(goes_to=goes_to.label), "info")

    def _cycle_method(self) -> None:
        assert self.draft is not None
        if not self.draft.has_receipt:
            raise ReturnError(_("Returns without a receipt are refunded as store credit only."), "")
        self.draft.refund_method = METHODS[(METHODS.index(self.draft.refund_method) + 1) % len(METHODS)]
        self._refresh()
        self.say(_("Refund: {method}.").format(method=self.draft.refund_method.label), "info")

    def _toggle_waiver(self) -> None:
        assert self.draft is not None
        self.draft.waive_fees = not self.draft.waive_fees
        self._refresh()
        self.say(
            _("Restocking fees waived (needs approval).") if self.draft.waive_fees else _("Restocking fees apply."),
            "info",
        )

    def _ask_customer_id(self) -> None:
        assert self.draft is not None
        dialog = CustomerIdDialog(self)
        if dialog.exec() == CustomerIdDialog.DialogCode.Accepted and dialog.value is not None:
            self.draft.id_document = dialog.value
            self._refresh()
            recorded = _("ID recorded: {id_type} ending {last4}.")
            self.say(recorded.format(id_type=dialog.value.id_type, last4=dialog.value.last4), "ok")

    # ------------------------------------------------------------- exchange
    def _toggle_exchange(self) -> None:
        assert self.draft is not None
        if self.draft.exchange is None:
            self.draft.exchange = Cart(self.ctx.store.currency, self.ctx.store.prices_include_tax)
        self.exchange_box.show()
        self.exchange_input.setFocus()
        self.say(_("Scan the new items. The returned items pay for them; F10 settles the difference."), "info")

    def _exchange_enter(self) -> None:
        text = self.exchange_input.text().strip()
        if not text or self.draft is None or self.draft.exchange is None:
            return

        def add() -> None:
            assert self.draft is not None and self.draft.exchange is not None
            item = self.ctx.catalog.by_code(read_code(text))
            if item is None:
                raise ItemNotFound(
                    _("No item has the code {code}.").format(code=text), _("Check the number, or scan it again.")
                )
            self.draft.exchange.add(item)
            self.exchange_input.clear()
            self._refresh()

        attempt(add, self.problem)

    # --------------------------------------------------------------- quote
    def _quote(self) -> ReturnQuote | None:
        assert self.draft is not None
        if self.draft.is_empty:
            return None
        with self.ctx.read_uow() as uow:
            # the receipt HQ found is quoted from memory: a key press never waits on the network
            return self.ctx.handle(quote_draft, uow, self.draft.command(), remote=self.remote)

    def _refresh(self) -> None:
        assert self.draft is not None
        problem = None
        try:
            self.quote = self._quote()
        except CounterError as exc:
            self.quote = None
            problem = exc
        self.table.show_lines(self.draft, self.quote)
        self.exchange_list.clear()
        if self.draft.exchange is not None:
            for line in self.draft.exchange.active_lines:
                self.exchange_list.addItem(f"{line.item.name}   × {line.quantity}   {self._money(line.item.price)}")
        self._summary(problem)

    def _summary(self, problem: CounterError | None) -> None:
        assert self.draft is not None
        said = summarize(self.quote, self.draft, self._money)
        self.show_done(said.caption, said.value, said.lines)
        if problem is not None:
            self.say(f"{problem.message} {problem.hint}".strip(), "error")

    # --------------------------------------------------- the checkout presenter's view
    def message_text(self) -> str:
        return self.message.text()

    def refresh(self) -> None:
        self._refresh()

    def quote_now(self) -> ReturnQuote | None:
        return self._quote()

    def new_draft(self) -> None:
        self._new_draft()

    def select_line(self, line_id: str) -> None:
        self.table.select_line(line_id)

    def ask_id_document(self) -> None:
        self._ask_customer_id()

    def wait(self, waiting_for: str) -> None:
        """While HQ is asked: the screen is greyed, says what it waits for, takes no keys."""
        self.busy = waiting_for
        self.say(waiting_for, "info")
        self.setEnabled(False)

    def waited(self) -> None:
        if self.busy:
            self.busy = ""
            self.setEnabled(True)
            self.table.setFocus()

    def off_gui(self, call: Callable[[], Any], done: Done) -> None:
        self.runner.off_gui(call, done)

    def show_done(self, caption: str, value: str, given: list[str]) -> None:
        """The total box: a caption, an amount and the lines under them."""
        self.total_caption.setText(caption)
        self.total_value.setText(value)
        self.breakdown.setText("\n".join(given))

    def emit_recorded(self, record: ReturnRecord) -> None:
        self.recorded.emit(record)
