"""Taking the money on the sale screen: cash (F9), card (F10) and store credit (F8), the
sale recorded once paid, the change shown, the receipt printed; gift receipt and reprint
of the last sale. A mixin of ``ui.sale_screen.SaleScreen``: it uses the screen's cart,
payment, panels and messages, named below for the reader."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from app.context import AppContext
from app.crashpoints import crash_point
from app.events import SaleCommitted
from counter.cart import Cart
from counter.checkout import CompleteSale, complete_sale
from counter.documents import ReceiptKind
from counter.errors import CartError, StoreError, TenderError
from counter.sale_commands import record_reprint
from counter.sales import Sale, receipt_for
from counter.tenders import Payment
from counter.users import User
from ui.dialogs import CardDialog, CashDialog, VoucherDialog, ask
from ui.ops import Problem, attempt, describe
from ui.printing import PrintBridge

PRINTING = "Printing the receipt…"


class SalePaymentActions:
    """Payment keys and what follows them; the screen provides what is declared here."""

    ctx: AppContext
    host: QWidget  # the screen this is mixed into: the dialogs' parent
    printing: PrintBridge
    cart: Cart
    payment: Payment | None
    last_sale: Sale | None
    customer_id: str | None
    total_box: QFrame
    total_caption: QLabel
    total_value: QLabel
    detail_labels: dict[str, QLabel]
    message: QLabel
    sale_recorded: SignalInstance
    say: Callable[..., None]
    problem: Callable[[Problem], None]
    _money: Callable[[Decimal], str]
    _user: Callable[[], User]
    _refresh: Callable[..., None]
    _reset_sale: Callable[[], None]

    def _start_payment(self) -> Payment:
        if self.cart.is_empty:
            raise TenderError("There is nothing to pay yet.", "Scan an item first.")
        if self.ctx.damage is not None:  # the integrity check found damage: take no money (ui/startup_check.py)
            raise StoreError(self.ctx.damage.message, self.ctx.damage.hint)
        if self.payment is None:
            self.payment = Payment(self.cart.total, self.cart.currency, self.ctx.store.smallest_coin)
        return self.payment

    def _pay_cash(self) -> None:
        def run() -> None:
            payment = self._start_payment()
            if payment.is_complete:
                self._finish()
                return
            dialog = CashDialog(self.host, payment.cash_due, self.cart.currency, self.ctx.store.locale)
            if ask(dialog, lambda: True) is None:
                return
            tender = payment.add_cash(dialog.tendered, part_payment=dialog.part_payment)
            if payment.is_complete:
                self._finish()
            else:
                self._refresh()
                self.say(
                    f"Took {self._money(tender.amount)} cash. {self._money(payment.remaining)} still due: card (F10).",
                    "info",
                )

        attempt(run, self.problem)

    def _pay_card(self) -> None:
        def run() -> None:
            payment = self._start_payment()
            if payment.is_complete:
                self._finish()
                return
            dialog = CardDialog(self.host, payment.remaining, self.cart.currency, self.ctx.store.locale)
            if ask(dialog, lambda: True) is None or dialog.card is None:
                return
            tender = payment.add_card(dialog.amount_value, dialog.card)
            if payment.is_complete:
                self._finish()
            else:
                self._refresh()
                self.say(
                    f"{tender.label}: {self._money(tender.amount)} taken. {self._money(payment.remaining)} still due.",
                    "info",
                )

        attempt(run, self.problem)

    def _finish(self) -> None:
        payment = self.payment
        assert payment is not None and payment.is_complete
        cmd = CompleteSale(
            self._user(),
            list(self.cart.lines),
            self.cart.order_discount,
            list(payment.tenders),
            payment.rounding,
            self.customer_id,
        )
        try:
            sale = self.ctx.handle(complete_sale, cmd)
        except Exception as exc:  # the payment stays on screen so that nothing is lost
            p = describe(exc)
            self.say(
                f"The sale was NOT recorded: {p.message} The payment is kept on screen; "
                "press F9 or F10 to try recording it again.",
                "error",
            )
            return
        crash_point("sale.committed")  # tests kill here: the receipt is due, not yet a job
        self.last_sale = sale
        change = sale.change
        self._reset_sale()
        self._show_change(sale)
        self.sale_recorded.emit(sale)
        message = f"Sale {sale.receipt_number} recorded: {self._money(sale.total)}."
        if change:
            message += f" Give {self._money(change)} change."
        self.say(f"{message} {PRINTING}", "ok")
        # After the commit: the receipt it made due, the drawer, the display, the sync nudge.
        self.ctx.after_commit.publish(SaleCommitted(sale, self._tell))

    def _tell(self, text: str, kind: str) -> None:
        """A line added to what the screen says (an after-commit reaction's)."""
        current = self.message.text().replace(f" {PRINTING}", "") if kind == "error" else self.message.text()
        self.say(f"{current} {text}".strip(), kind)

    def _show_change(self, sale: Sale) -> None:
        """Until the next scan, the total panel shows the sale just paid and its change."""
        self.total_box.setProperty("state", "change")
        self.total_caption.setText(
            f"CHANGE DUE · {sale.receipt_number}" if sale.change else f"PAID · {sale.receipt_number}"
        )
        self.total_value.setText(self._money(sale.change) if sale.change else self._money(sale.total))
        details = {
            "Subtotal": self._money(sale.subtotal),
            "Discounts": f"−{self._money(sale.discount_total)}" if sale.discount_total else "—",
            "Tax": self._money(sale.tax_total),
            "Items": str(sum(ln.quantity for ln in sale.lines)),
            "Paid": self._money(sum((t.tendered for t in sale.tenders), Decimal(0))),
            "Due": self._money(Decimal(0)),
        }
        for key, text in details.items():
            self.detail_labels[key].setText(text)
        self.total_box.style().unpolish(self.total_box)
        self.total_box.style().polish(self.total_box)

    def _print_finished(self, job_id: str, reference: str, error: str) -> None:
        current = self.message.text()
        if error:
            again = (
                "press F11 to print it"
                if self.last_sale is not None and reference == self.last_sale.receipt_number
                else "print a copy from Print jobs (Ctrl+Shift+P)"
            )
            self.say(
                f"{current}\nReceipt {reference} did NOT print: {error} The sale is saved; {again} "
                "once the printer is fixed.",
                "error",
            )
        elif current.endswith(PRINTING):
            self.say(current.replace(PRINTING, "Receipt printed."), "ok")

    def _gift_receipt(self) -> None:
        def run() -> None:
            if self.last_sale is None:
                raise CartError("No sale has been completed on this screen yet.", "Complete a sale first.")
            sale = self.last_sale
            receipt = receipt_for(sale, self.ctx.store, kind=ReceiptKind.GIFT)
            self.printing.print_receipt(receipt, reference=f"{sale.receipt_number}/gift", copy_number=0)
            self.say(f"Gift receipt for {sale.receipt_number} (no prices). {PRINTING}", "info")

        attempt(run, self.problem)

    def _pay_voucher(self) -> None:
        def run() -> None:
            payment = self._start_payment()
            if payment.is_complete:
                self._finish()
                return
            dialog = VoucherDialog(self.host, self.ctx, payment.remaining)
            if dialog.exec() != VoucherDialog.DialogCode.Accepted or dialog.code is None:
                return
            tender = payment.add_store_credit(dialog.amount_value, dialog.code, dialog.balance)
            if payment.is_complete:
                self._finish()
            else:
                self._refresh()
                self.say(
                    f"Store credit {self._money(tender.amount)} taken from {dialog.code}. "
                    f"{self._money(payment.remaining)} still due.",
                    "info",
                )

        attempt(run, self.problem)

    def _reprint(self) -> None:
        def run() -> None:
            if self.last_sale is None:
                raise CartError("No sale has been completed on this screen yet.", "Complete a sale first.")
            sale = self.last_sale
            copy_number = self.ctx.handle(record_reprint, self._user(), sale.receipt_number)
            self.printing.print_receipt(
                receipt_for(sale, self.ctx.store, copy_number=copy_number),
                reference=sale.receipt_number,
                copy_number=copy_number,
            )
            self.say(f"Reprint of receipt {sale.receipt_number}, marked COPY {copy_number}. {PRINTING}", "info")

        attempt(run, self.problem)
