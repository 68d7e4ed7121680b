"""Voiding the open sale (Shift+F6), as a presenter: with nothing paid the sale is simply
voided (``counter.sales.commands.void_sale``); with payments taken the person confirms what
goes back ("Give back $5.00 cash and reverse Visa •••• 4242 $20.00?"), a supervisor
approves when the person may not give money back, and ``counter.sales.voids.void_paid_sale``
records it. After the commit ``VoidCommitted`` prints the void slip and opens the drawer
for the cash (app/events.py).

At sign-in, a sale whose part payments were recorded but that was neither completed nor
voided (Counter stopped in between) is put back on screen, so that its payments are given
back with Shift+F6 (``restore_interrupted``).

It talks to the screen through ``VoidView`` and asks its two questions through
``VoidQuestions`` (the dialogs: ui/sales/void_questions.py), so it runs, and is tested,
without a window (tests/ui/test_sale_void_presenter.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from app.context import AppContext
from app.events import VoidCommitted
from counter.errors import CounterError
from counter.i18n import _, ngettext
from counter.payments.card_void import reverse_card_payments
from counter.people.users import User
from counter.sales.cart import Cart
from counter.sales.commands import void_sale
from counter.sales.tenders import Payment
from counter.sales.voids import (
    VoidApprovalNeeded,
    VoidPaidSale,
    give_back_question,
    needs_void_approval,
    void_paid_sale,
    what_to_do,
)
from ui.ops import said_after, said_before
from ui.sales.sale_payment import PRINTING_VOID


class VoidView(Protocol):
    cart: Cart
    payment: Payment | None

    def current_user(self) -> User: ...

    def say(self, text: str, kind: str = "info") -> None: ...

    def message_text(self) -> str: ...

    def refresh(self) -> None: ...

    def reset_sale(self) -> None: ...


class VoidQuestions(Protocol):
    def confirm_void(self, question: str) -> bool:
        """Yes (Enter) or no (Esc) to what goes back."""
        ...

    def approve_void(self, amount: Decimal, request_id: str, requester: User) -> bool:
        """A supervisor's PIN for giving ``amount`` back (recorded when given); False: not approved."""
        ...


class SaleVoid:
    def __init__(self, ctx: AppContext, view: VoidView, ask: VoidQuestions) -> None:
        self.ctx, self.view, self.ask = ctx, view, ask

    def _money(self, amount: Decimal) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)

    def void(self) -> None:
        """Shift+F6."""
        v = self.view
        payment = v.payment
        if payment is None or not payment.tenders:
            voided = self.ctx.handle(void_sale, v.current_user(), v.cart)
            v.reset_sale()
            # Translators: English keeps "lines" for one line too; use your language's plural forms
            done = "Sale voided ({count} lines, {amount}). Nothing was charged."
            said = ngettext(done, done, voided.lines).format(count=voided.lines, amount=self._money(voided.total))
            v.say(said, "ok")
            return
        user = v.current_user()
        cmd = VoidPaidSale(
            user, payment.sale_id, v.cart, payment.total, tuple(payment.tenders), payment.recorded
        )  # fmt: skip
        going_back = [t for _seq, t in cmd.given_back]
        if not self.ask.confirm_void(give_back_question(going_back, self._money)):
            v.say(_("The sale stays open: nothing was given back."), "info")
            return
        if needs_void_approval(user) and not self.ask.approve_void(cmd.given_back_total, cmd.request_id, user):
            v.say(_("Not approved: the sale stays open and nothing was given back."), "info")
            return
        try:  # the terminal gives its card payments back first (the sale stays open if it does not)
            on_card = self.ctx.handle(reverse_card_payments, payment.sale_id, tuple(payment.tenders), user,
                                      cmd.request_id)  # fmt: skip
        except CounterError as exc:
            v.say(f"{exc.message} {exc.hint}", "error")
            return
        try:
            record = self.ctx.handle(void_paid_sale, cmd)
        except VoidApprovalNeeded as exc:  # the approval did not hold (another amount, say)
            v.say(f"{exc.message} {exc.hint}", "error")
            return
        v.reset_sale()
        steps = " ".join([*on_card, what_to_do(record, self._money, cards_done=bool(on_card))]).strip()
        voided_number = _("Sale voided ({number}).").format(number=record.void_number)
        v.say(f"{voided_number} {steps} {_(PRINTING_VOID)}", "ok")
        # After the commit: the void slip it made due, the drawer for the cash given back.
        self.ctx.after_commit.publish(VoidCommitted(record, self.tell, self.warn))
        self.restore_interrupted()

    def restore_interrupted(self) -> bool:
        """Put the oldest interrupted part-paid sale of this terminal back on screen, to be
        given back (Shift+F6). True when one was."""
        v = self.view
        with self.ctx.read_uow() as uow:
            waiting = uow.sales.interrupted(self.ctx.terminal.terminal_id)
        if not waiting or (v.payment is not None and v.payment.tenders) or not v.cart.is_empty:
            return False
        sale = waiting[0]
        store = self.ctx.store
        v.payment = Payment(
            sale.total, store.currency, store.smallest_coin, list(sale.tenders), sale_id=sale.sale_id,
            recorded=len(sale.tenders),
        )  # fmt: skip
        v.refresh()
        taken = ", ".join(f"{t.label} {self._money(t.amount)}" for t in sale.tenders)
        if len(waiting) > 1:
            said = ngettext(
                "A sale was interrupted after payments were taken ({taken}) ({more} more after it). "
                "Its items are not known. Press Shift+F6 to give the payments back.",
                "A sale was interrupted after payments were taken ({taken}) ({more} more after it). "
                "Its items are not known. Press Shift+F6 to give the payments back.",
                len(waiting) - 1,
            ).format(taken=taken, more=len(waiting) - 1)
        else:
            said = _(
                "A sale was interrupted after payments were taken ({taken}). Its items are not known. "
                "Press Shift+F6 to give the payments back."
            ).format(taken=taken)
        v.say(said, "error")
        return True

    def tell(self, text: str, kind: str) -> None:
        current = self.view.message_text()
        if kind == "error":
            current = current.replace(f" {_(PRINTING_VOID)}", "")
        self.view.say(said_after(current, text), kind)

    def warn(self, text: str, kind: str) -> None:
        self.view.say(said_before(self.view.message_text(), text), kind)


__all__ = ["SaleVoid", "VoidQuestions", "VoidView"]
