"""Taking the money on the sale screen, as a presenter: cash (F9), card (F10) and store
credit (F8), each part payment journaled as it is taken (``counter.sales.part_payments``),
the sale recorded once paid (``counter.sales.checkout.complete_sale``), what follows the
commit (``app/events.py``), the gift receipt and the reprint of the last sale.

It talks to the screen only through ``PaymentView``: the sale in progress, what to say,
and the three questions a payment asks (how much cash, which card, which voucher). So it
runs, and is tested, without a window (tests/ui/test_sale_payment_presenter.py).
Errors are raised as CounterErrors; the screen runs each key through ``ui.ops.attempt``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar

from app.context import AppContext
from app.crashpoints import crash_point
from app.events import SaleCommitted
from counter.documents import ReceiptKind
from counter.errors import CartError, StoreError, TenderError
from counter.i18n import N_, _
from counter.payments.card_sale import CardCharge
from counter.payments.ports import CardRequestRow
from counter.people.users import User
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.commands import record_reprint
from counter.sales.part_payments import TakePartPayment, take_part_payment
from counter.sales.sale import Sale, receipt_for
from counter.sales.tenders import CardDetails, Payment, Tender, TenderKind
from devices.escpos.report import render_terminal_slip
from ui.devices.printing import PrintBridge
from ui.ops import describe, said_after, said_before

PRINTING = N_("Printing the receipt…")  # shown as _(PRINTING): the message ends with it until it prints
PRINTING_VOID = N_("Printing the void slip…")  # a void's (ui/sales/sale_void.py), the same way


#: what a payment key asked the person (CashGiven, CardTaken, VoucherTaken)
_Answer = TypeVar("_Answer")


@dataclass(frozen=True)
class CashGiven:
    tendered: Decimal
    part_payment: bool


@dataclass(frozen=True)
class CardTaken:
    amount: Decimal
    card: CardDetails


@dataclass(frozen=True)
class VoucherTaken:
    amount: Decimal
    code: str
    balance: Decimal


class PaymentView(Protocol):
    """What the payment presenter needs of the sale screen."""

    cart: Cart
    payment: Payment | None
    last_sale: Sale | None
    customer_id: str | None

    def current_user(self) -> User: ...

    def say(self, text: str, kind: str = "info") -> None: ...

    def message_text(self) -> str: ...

    def refresh(self) -> None: ...

    def reset_sale(self) -> None: ...

    def show_change(self, sale: Sale) -> None: ...

    def recorded(self, sale: Sale) -> None:
        """The window's own state after a sale (the customer it had attached)."""
        ...

    def ask_cash(self, due: Decimal) -> CashGiven | None: ...

    def ask_card(self, remaining: Decimal) -> CardTaken | None: ...

    def ask_voucher(self, remaining: Decimal) -> VoucherTaken | None: ...

    def resume_card(self, row: CardRequestRow) -> str:
        """Ask the terminal about a request a stop left unknown (the dialog); what was found,
        or "" when it is still unknown."""
        ...

    def ask_terminal_card(self, payment: Payment) -> CardCharge | None:
        """Charge on the integrated terminal (``ui.sales.terminal_payment``): the approved
        card tender, already journaled as the sale's part payment, with the terminal's
        receipt text; None when nothing was charged."""
        ...


class SalePayment:
    def __init__(self, ctx: AppContext, printing: PrintBridge, view: PaymentView) -> None:
        self.ctx = ctx
        self.printing = printing
        self.view = view

    def _money(self, amount: Decimal) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)

    def _start(self) -> Payment:
        v = self.view
        if v.cart.is_empty:
            raise TenderError(_("There is nothing to pay yet."), _("Scan an item first."))
        if self.ctx.damage is not None:  # the integrity check found damage: take no money (ui/trust/startup_check.py)
            raise StoreError(self.ctx.damage.message, self.ctx.damage.hint)
        if v.payment is None:
            v.payment = Payment(v.cart.total, v.cart.currency, self.ctx.store.smallest_coin)
        return v.payment

    # ------------------------------------------------------------------ the keys
    def pay_cash(self) -> None:
        self._take(
            lambda payment: self.view.ask_cash(payment.cash_due),
            lambda payment, given: payment.add_cash(given.tendered, part_payment=given.part_payment),
            lambda tender, given, payment: _("Took {amount} cash. {due} still due: card (F10).").format(
                amount=self._money(tender.amount), due=self._money(payment.remaining)
            ),
        )

    def pay_card(self) -> None:
        if self.ctx.card_terminal is not None:
            self._pay_on_terminal()
            return
        self._take(
            lambda payment: self.view.ask_card(payment.remaining),
            lambda payment, taken: payment.add_card(taken.amount, taken.card),
            lambda tender, taken, payment: _("{tender}: {amount} taken. {due} still due.").format(
                tender=tender.label, amount=self._money(tender.amount), due=self._money(payment.remaining)
            ),
        )

    def _pay_on_terminal(self) -> None:
        """F10 with an integrated terminal: the dialog charges the card and journals it as a
        part payment; the sale completes when that paid the rest."""
        payment = self._start()
        if payment.is_complete:
            self.finish()
            return
        charged = self.view.ask_terminal_card(payment)
        if charged is None:
            return
        tender = charged.tender
        payment.tenders.append(tender)
        seq = len(payment.tenders)
        if charged.receipt_lines and not self.ctx.settings.card_terminal_prints:
            slip = render_terminal_slip(_("Card terminal receipt"), charged.receipt_lines, self.printing.profile)
            self.printing.print_bytes(slip, kind="card_slip", reference=f"{payment.sale_id[:8]}/{seq}", copy_number=0)
        payment.recorded = len(payment.tenders)
        if payment.is_complete:
            self.finish()
            return
        self.view.refresh()
        due = self._money(payment.remaining)
        approved = _("{tender}: {amount} approved. {due} still due.")
        self.view.say(approved.format(tender=tender.label, amount=self._money(tender.amount), due=due), "info")

    def recover_cards(self) -> bool:
        """At sign-in, before anything else: a card request a stop left without an outcome is
        resolved by asking the terminal (or by a supervisor). True when there was one."""
        with self.ctx.read_uow() as uow:
            pending = uow.cards.pending(self.ctx.terminal.terminal_id)
        if not pending:
            return False
        row = pending[0]
        money = self._money(self.ctx.store.currency.from_minor(row.amount_minor))
        checking = _("Payment outcome unknown for {amount}: checking with the card terminal…")
        self.view.say(checking.format(amount=money), "error")
        said = self.view.resume_card(row)
        self.view.say(said or _("The outcome of the {amount} card request is still unknown: no card goes to the "
                                "terminal until it is known. Sign in again to check, or call a supervisor."
                                ).format(amount=money),
                      "info" if said else "error")  # fmt: skip
        return True

    def pay_voucher(self) -> None:
        self._take(
            lambda payment: self.view.ask_voucher(payment.remaining),
            lambda payment, taken: payment.add_store_credit(taken.amount, taken.code, taken.balance),
            lambda tender, taken, payment: _("Store credit {amount} taken from {code}. {due} still due.").format(
                amount=self._money(tender.amount), code=taken.code, due=self._money(payment.remaining)
            ),
        )

    def _take(
        self,
        ask: Callable[[Payment], _Answer | None],
        add: Callable[[Payment, _Answer], Tender],
        said: Callable[[Tender, _Answer, Payment], str],
    ) -> None:
        """One key's tender: asked, added, then the sale finished when it is paid, or the
        part payment journaled and what is still due said."""
        payment = self._start()
        if payment.is_complete:
            self.finish()
            return
        answer = ask(payment)
        if answer is None:
            return
        tender = add(payment, answer)
        if payment.is_complete:
            self.finish()
            return
        if not self._record_part(payment, tender):
            return
        self.view.refresh()
        self.view.say(said(tender, answer, payment), "info")

    def _record_part(self, payment: Payment, tender: Tender) -> bool:
        """Journal the part payment just taken; if that fails it is taken off the sale again
        and the person is told how to hand it back."""
        cmd = TakePartPayment(self.view.current_user(), payment.sale_id, len(payment.tenders), tender, payment.total)
        try:
            self.ctx.handle(take_part_payment, cmd)
        except Exception as exc:  # nothing of it was recorded
            payment.tenders.pop()
            self.view.refresh()
            undo = {
                TenderKind.CASH: _("Give the cash back."),
                TenderKind.CARD: _("Reverse the charge on the card terminal."),
            }.get(tender.kind) or _("Nothing was taken from the voucher.")
            not_taken = _("The {amount} payment ({tender}) was NOT taken: {problem} {undo}").format(
                amount=self._money(tender.amount), tender=tender.label, problem=describe(exc).text, undo=undo
            )
            self.view.say(not_taken, "error")
            return False
        payment.recorded = len(payment.tenders)
        return True

    def finish(self) -> None:
        """Record the paid sale; on failure the payment stays on screen so nothing is lost."""
        v = self.view
        payment = v.payment
        assert payment is not None and payment.is_complete
        cmd = CompleteSale(
            v.current_user(), list(v.cart.lines), v.cart.order_discount, list(payment.tenders), payment.rounding,
            v.customer_id, sale_id=payment.sale_id, part_payments=payment.recorded,
        )  # fmt: skip
        try:
            sale = self.ctx.handle(complete_sale, cmd)
        except Exception as exc:  # the payment stays on screen so that nothing is lost
            p = describe(exc)
            v.say(
                _(
                    "The sale was NOT recorded: {problem} The payment is kept on screen; "
                    "press F9 or F10 to try recording it again."
                ).format(problem=p.message),
                "error",
            )
            return
        crash_point("sale.committed")  # tests kill here: the receipt is due, not yet a job
        v.last_sale = sale
        v.reset_sale()
        v.show_change(sale)
        v.recorded(sale)
        message = _("Sale {receipt} recorded: {amount}.").format(
            receipt=sale.receipt_number, amount=self._money(sale.total)
        )
        if sale.change:
            change = _("Give {amount} change.").format(amount=self._money(sale.change))
            message = f"{message} {change}"
        v.say(f"{message} {_(PRINTING)}", "ok")
        # After the commit: the receipt it made due, the drawer, the display, the sync nudge.
        self.ctx.after_commit.publish(SaleCommitted(sale, self.tell, self.warn))

    def tell(self, text: str, kind: str) -> None:
        """A line added to what the screen says (an after-commit reaction's)."""
        current = self.view.message_text()
        if kind == "error":
            current = current.replace(f" {_(PRINTING)}", "")
        self.view.say(said_after(current, text), kind)

    def warn(self, text: str, kind: str) -> None:
        """A device's problem, said above what the screen says (its printing line stays last,
        to be told "Receipt printed." when the printer answers)."""
        self.view.say(said_before(self.view.message_text(), text), kind)

    def gift_receipt(self) -> None:
        sale = self._last_sale()
        receipt = receipt_for(sale, self.ctx.store, kind=ReceiptKind.GIFT)
        self.printing.print_receipt(receipt, reference=f"{sale.receipt_number}/gift", copy_number=0)
        gift = _("Gift receipt for {receipt} (no prices).").format(receipt=sale.receipt_number)
        self.view.say(f"{gift} {_(PRINTING)}", "info")

    def reprint(self) -> None:
        sale = self._last_sale()
        copy_number = self.ctx.handle(record_reprint, self.view.current_user(), sale.receipt_number)
        self.printing.print_receipt(
            receipt_for(sale, self.ctx.store, copy_number=copy_number),
            reference=sale.receipt_number,
            copy_number=copy_number,
        )
        reprint = _("Reprint of receipt {receipt}, marked COPY {copy}.").format(
            receipt=sale.receipt_number, copy=copy_number
        )
        self.view.say(f"{reprint} {_(PRINTING)}", "info")

    def _last_sale(self) -> Sale:
        if self.view.last_sale is None:
            raise CartError(_("No sale has been completed on this screen yet."), _("Complete a sale first."))
        return self.view.last_sale

    def print_finished(self, job_id: str, reference: str, error: str) -> None:
        """The printer's answer for a job (GUI thread)."""
        current = self.view.message_text()
        if error:
            last = self.view.last_sale
            if last is not None and reference == last.receipt_number:
                failed = _(
                    "Receipt {receipt} did NOT print: {problem} The sale is saved; press F11 to print it "
                    "once the printer is fixed."
                )
            else:
                failed = _(
                    "Receipt {receipt} did NOT print: {problem} The sale is saved; print a copy from Print jobs "
                    "(Ctrl+Shift+P) once the printer is fixed."
                )
            self.view.say(f"{current}\n{failed.format(receipt=reference, problem=error)}", "error")
        elif current.endswith(_(PRINTING)):
            self.view.say(current.replace(_(PRINTING), _("Receipt printed.")), "ok")
        elif current.endswith(_(PRINTING_VOID)):
            self.view.say(current.replace(_(PRINTING_VOID), _("Void slip printed.")), "ok")
