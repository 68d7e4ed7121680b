"""Completing a return, as a presenter: the reasons still missing, the ID for a return
without a receipt, the exchange's payment, a supervisor's approval (at the counter or from a
manager's station), the commit (off the GUI thread when it must ask HQ), then what to
hand over. It talks to the return screen only through ``ReturnView``; nothing here waits in
a nested event loop: the commit's outcome comes back to ``_committed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from app.context import AppContext
from app.events import ReturnCommitted
from counter.errors import CounterError
from counter.i18n import _
from counter.payments.card_refunds import RefundOutcome, send_refunds
from counter.payments.ports import CardRequestRow
from counter.people.users import User
from counter.returns.draft import ReturnDraft
from counter.returns.model import ApprovalNeeded, ReturnError, ReturnQuote
from counter.returns.policy import ApprovalKind, Reason
from counter.returns.process import ReturnRecord, process_return
from counter.returns.refunds import describe_allocation
from counter.sales.tenders import Payment, Tender
from ui.ops import Problem, describe, said_after, said_before
from ui.sales.sale_payment import CardTaken, CashGiven

Done = Callable[[Any, CounterError | None], None]


class ReturnView(Protocol):
    """What the return presenter needs of the return screen."""

    draft: ReturnDraft | None
    quote: ReturnQuote | None
    last_record: ReturnRecord | None
    customer_id: str | None
    user: User | None

    def say(self, text: str, kind: str = "info") -> None: ...

    def problem(self, p: Problem) -> None: ...

    def message_text(self) -> str: ...

    def refresh(self) -> None: ...

    def quote_now(self) -> ReturnQuote | None: ...

    def new_draft(self) -> None: ...

    def select_line(self, line_id: str) -> None: ...

    def ask_id_document(self) -> None:
        """Ask for the ID of a return without a receipt (sets draft.id_document)."""
        ...

    def wait(self, waiting_for: str) -> None: ...

    def waited(self) -> None: ...

    def off_gui(self, call: Callable[[], Any], done: Done) -> None: ...

    def show_done(self, caption: str, value: str, given: list[str]) -> None: ...

    def emit_recorded(self, record: ReturnRecord) -> None:
        """The window's own state after a return (the customer it had attached)."""
        ...


class ReturnQuestions(Protocol):
    """What completing a return asks the person (ui.returns.return_questions: dialogs)."""

    def ask_reason(self, line_name: str) -> Reason | None: ...

    def ask_approval(self, kinds: frozenset[ApprovalKind], amount: Decimal, request_id: str) -> list[str] | None:
        """Names of who approved, or None when not approved."""
        ...

    def show_policies(self) -> None: ...

    def settle_open_refund(self, row: CardRequestRow, said: str) -> str:
        """A card refund the terminal did not make: try again or pay it another way (the
        dialog); what was done, "" when it stays open."""
        ...

    def ask_pay_how(self, remaining: Decimal) -> str | None:
        """ "c" for cash, "k" for card, None when the cashier cancels the exchange."""
        ...

    def ask_cash(self, due: Decimal) -> CashGiven | None: ...

    def ask_card(self, remaining: Decimal) -> CardTaken | None: ...


class ReturnCheckout:
    def __init__(self, ctx: AppContext, view: ReturnView, ask: ReturnQuestions) -> None:
        self.ctx = ctx
        self.view = view
        self.ask = ask
        self._exchange_change = Decimal(0)

    def _money(self, amount: Decimal) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)

    # ----------------------------------------------------------- approvals
    def approve(self, kinds: frozenset[ApprovalKind] | None = None, amount: Decimal | None = None) -> bool:
        v = self.view
        assert v.draft is not None and v.user is not None
        if kinds is None:
            q = v.quote or v.quote_now()
            if q is None or not q.approvals:
                raise ReturnError(_("Nothing here needs a supervisor's approval."), "")
            kinds, amount = q.approvals, q.refund_total
        assert amount is not None
        names = self.ask.ask_approval(kinds, amount, v.draft.request_id)
        if names is None:
            v.say(_("Not approved: nothing was recorded."), "info")
            return False
        approvers = ", ".join(sorted(set(names)))
        v.say(_("Approved by {names} for {amount}.").format(names=approvers, amount=self._money(amount)), "ok")
        return True

    def policies(self) -> None:
        self.ask.show_policies()
        self.view.refresh()

    # ------------------------------------------------------------- complete
    def complete(self) -> None:
        v = self.view
        draft = v.draft
        assert draft is not None
        if draft.is_empty:
            raise ReturnError(_("No item is marked to return."), _("Pick a line and press Space."))
        for line_id, name in draft.lines_missing_a_reason():
            v.select_line(line_id)
            reason = self.ask.ask_reason(name)
            if reason is None:
                return
            draft.set_reason(line_id, reason)
        if not draft.has_receipt and draft.id_document is None:
            v.ask_id_document()
            if draft.id_document is None:
                return
        v.refresh()
        q = v.quote
        if q is None:
            return  # the message panel already says why
        if q.refused:
            raise ReturnError(
                _("Cannot take this return: {refusals}").format(refusals=" / ".join(q.refused)),
                _("Explain the policy to the customer."),
            )
        paid = self._exchange_payment(q)
        if paid is None:
            return
        tenders, rounding = paid
        self._commit(tenders, rounding, tries=3)

    def _exchange_payment(self, q: ReturnQuote) -> tuple[list[Tender], Decimal] | None:
        """Tenders of the exchange's new sale: the credit of the returned items, plus what
        the customer pays on top. None when the cashier cancelled."""
        self._exchange_change = Decimal(0)
        if not q.exchange_total:
            return [], Decimal(0)
        payment = Payment(q.exchange_total, self.ctx.store.currency, self.ctx.store.smallest_coin)
        if q.exchange_credit:
            payment.add_exchange_credit(q.exchange_credit)
        while not payment.is_complete:
            how = self.ask.ask_pay_how(payment.remaining)
            if how is None:
                return None
            if how == "c":
                cash = self.ask.ask_cash(payment.cash_due)
                if cash is not None:
                    payment.add_cash(cash.tendered, part_payment=cash.part_payment)
            else:
                card = self.ask.ask_card(payment.remaining)
                if card is not None:
                    payment.add_card(card.amount, card.card)
        self._exchange_change = payment.change
        return list(payment.tenders), payment.rounding

    def _commit(self, tenders: list[Tender], rounding: Decimal, *, tries: int) -> None:
        """Record the return: here when no HQ is set up, else off the GUI thread (the
        reservation at HQ, or the customer's no-receipt total, is a network call) while the
        screen waits. The outcome comes
        back in ``_committed``; an approval it still needs is asked for, and the return
        tried again (at most ``tries`` times)."""
        v = self.view
        assert v.draft is not None
        cmd = replace(v.draft.command(exchange_tenders=tenders, exchange_rounding=rounding), customer=v.customer_id)
        commit = partial(self.ctx.handle, process_return, cmd)
        again = partial(self._commit, tenders, rounding, tries=tries - 1) if tries > 1 else None
        if self.ctx.upstream is None:
            try:
                record = commit()
            except CounterError as exc:
                self._committed(None, exc, again)
                return
            self._committed(record, None, None)
            return
        v.wait(
            _("Checking this receipt with HQ…")
            if cmd.original_receipt
            else _("Checking the customer's returns with HQ…")
        )
        v.off_gui(commit, lambda record, error: self._committed(record, error, again))

    def _committed(
        self, record: ReturnRecord | None, error: CounterError | None, again: Callable[[], None] | None
    ) -> None:  # GUI thread
        v = self.view
        v.waited()
        if isinstance(error, ApprovalNeeded):
            v.say(f"{error.message} {error.hint}", "info")  # not "Checking … with HQ" any more
            if again is not None and self.approve(error.kinds, error.amount):
                again()
            return
        if error is not None:
            v.problem(describe(error))
            return
        assert record is not None
        self._done(record)

    def _done(self, record: ReturnRecord) -> None:
        v = self.view
        v.last_record = record
        q = record.quote
        on_terminal: frozenset[int] = frozenset()  # the card refunds journaled for the terminal, sent below
        if self.ctx.card_terminal is not None:
            with self.ctx.read_uow() as uow:
                on_terminal = frozenset(r.seq for r in uow.cards.for_purpose("return", record.id))
        said = describe_allocation(q.allocation, self._money, record.voucher_code, on_terminal)
        recorded = _("Return {number} recorded.").format(number=record.return_number)
        message = f"{recorded} " + (f"{said[:1].upper()}{said[1:]}." if said else "")
        if q.to_pay > 0:
            message += " " + _("Customer paid {amount} for the exchange.").format(amount=self._money(q.to_pay))
            if self._exchange_change:
                message += " " + _("Give {amount} change.").format(amount=self._money(self._exchange_change))
        v.emit_recorded(record)
        v.new_draft()
        v.say(message, "ok")
        # After the commit: the return receipt, the exchange's receipt and the credit note it
        # made due (carried out now, or offered after a restart), the drawer, the display.
        self.ctx.after_commit.publish(ReturnCommitted(record, self.tell, self.warn))
        # Under the total, what this return gave back (not the empty draft's "Refund to").
        given = [f"{part.label}  {self._money(part.amount)}" for part in q.allocation.parts]
        if q.to_pay > 0:
            given.append(_("Customer paid  {amount}").format(amount=self._money(q.to_pay)))
        # Translators: the caption over a return just recorded (capitals), with its number
        done = _("DONE · {number}").format(number=record.return_number)
        v.show_done(done, self._money(q.allocation.total or q.to_pay), given)
        if on_terminal:
            self._refund_cards(record)

    def _refund_cards(self, record: ReturnRecord) -> None:
        """The card refunds journaled with the return (none sent yet) go to the terminal now,
        off the GUI thread."""
        if self.view.user is None:
            return
        self.tell(_("Refunding to the card on the terminal: the customer follows it…"), "info")
        user = self.view.user
        call = partial(self.ctx.handle, send_refunds, record.id, user)
        self.view.off_gui(call, lambda outcomes, error: self._cards_refunded(record, outcomes, error))

    def _cards_refunded(
        self, record: ReturnRecord, outcomes: list[RefundOutcome] | None, error: CounterError | None
    ) -> None:
        if error is not None:
            self.tell(
                _("The card refund was not sent: {problem}").format(problem=f"{error.message} {error.hint}"), "error"
            )
        for outcome in outcomes or []:
            if outcome.approved:
                self.tell(outcome.text, "ok")
                continue
            with self.ctx.read_uow() as uow:
                row = next((r for r in uow.cards.open_refunds(self.ctx.terminal.terminal_id)
                            if r.for_id == record.id and r.seq == outcome.seq), None)  # fmt: skip
            if row is None:  # unknown: it is resolved at the next sign-in, before anything else
                self.tell(outcome.text, "error")
                continue
            done = self.ask.settle_open_refund(row, outcome.text)
            self.tell(done or _("The {amount} card refund is still owed: the return stays open "
                                "and is offered again at the next sign-in.").format(amount=self._money(outcome.amount)),
                      "ok" if done else "error")  # fmt: skip

    def warn(self, text: str, kind: str) -> None:
        """A device's problem, said above what the screen says."""
        self.view.say(said_before(self.view.message_text(), text), kind)

    def tell(self, text: str, kind: str) -> None:
        """A line added to what the screen says (an after-commit reaction's)."""
        self.view.say(said_after(self.view.message_text(), text), kind)
