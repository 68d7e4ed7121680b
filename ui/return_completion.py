"""Completing a return on the return screen: the reasons still missing, the customer's id
for a return without receipt, the exchange's payment, supervisor approval (at the counter
or from a manager's station), the commit (on a worker thread when it must ask HQ), then
the return receipt, the credit note and the message saying what to hand over. Nothing
here waits in a nested event loop: the commit's outcome comes back to ``_committed``. A mixin of
``ui.return_screen.ReturnScreen``: it uses the screen's draft, quote and panels, named
below for the reader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import TypeVar, cast

from PySide6.QtCore import QObject, SignalInstance
from PySide6.QtWidgets import QLabel, QTableView, QWidget

from app.context import AppContext
from app.events import ReturnCommitted
from counter.errors import CounterError
from counter.refunds import describe_allocation
from counter.return_draft import ReturnDraft
from counter.returns import ApprovalNeeded, ReturnError, ReturnQuote, ReturnRecord, process_return
from counter.tenders import Payment, Tender
from counter.users import User
from ui.dialogs import CardDialog, CashDialog
from ui.ops import Problem, describe
from ui.printing import PrintBridge
from ui.return_dialogs import ApprovalDialog, PayDifferenceDialog, ReasonDialog
from ui.runner import Runner

T = TypeVar("T")


class ReturnCompletion:
    """F10 and what it leads to; the screen provides what is declared here."""

    ctx: AppContext
    host: QWidget  # the screen this is mixed into: the dialogs' parent
    printing: PrintBridge
    user: User | None
    draft: ReturnDraft | None
    quote: ReturnQuote | None
    last_record: ReturnRecord | None
    customer_id: str | None
    busy: str
    table: QTableView
    total_caption: QLabel
    total_value: QLabel
    breakdown: QLabel
    message: QLabel
    recorded: SignalInstance
    say: Callable[..., None]
    problem: Callable[[Problem], None]
    setEnabled: Callable[[bool], None]  # noqa: N815 - QWidget's
    _money: Callable[[Decimal], str]
    _quote: Callable[[], ReturnQuote | None]
    _refresh: Callable[[], None]
    _new_draft: Callable[..., None]
    _select_line: Callable[[str], None]
    _line_name: Callable[[str], str]
    _ask_customer_id: Callable[[], None]

    # ----------------------------------------------------------- approvals
    def _approve(self, kinds: frozenset | None = None, amount: Decimal | None = None) -> bool:  # type: ignore[type-arg]
        assert self.draft is not None and self.user is not None
        q = self.quote or self._quote()
        if kinds is None:
            if q is None or not q.approvals:
                raise ReturnError("Nothing here needs a supervisor's approval.", "")
            kinds, amount = q.approvals, q.refund_total
        assert amount is not None
        dialog = ApprovalDialog(
            self.host, self.ctx, request_id=self.draft.request_id, kinds=kinds, amount=amount, requester=self.user
        )
        if dialog.exec() != ApprovalDialog.DialogCode.Accepted:
            self.say("Not approved: nothing was recorded.", "info")
            return False
        names = {a.approver_name for a in dialog.approvals}
        self.say(f"Approved by {', '.join(sorted(names))} for {self._money(amount)}.", "ok")
        return True

    def _policies(self) -> None:
        from ui.policy_dialog import PolicyDialog

        assert self.user is not None
        PolicyDialog(self.host, self.ctx, self.user).exec()
        self._refresh()

    # ------------------------------------------------------------- complete
    def _complete(self) -> None:
        draft = self.draft
        assert draft is not None
        if draft.is_empty:
            raise ReturnError("No item is marked to return.", "Pick a line and press Space.")
        for line_id, name in draft.lines_missing_a_reason():
            self._select_line(line_id)
            dialog = ReasonDialog(self.host, name)
            if dialog.exec() != ReasonDialog.DialogCode.Accepted or dialog.value is None:
                return
            draft.set_reason(line_id, dialog.value)
        if not draft.has_receipt and draft.id_document is None:
            self._ask_customer_id()
            if draft.id_document is None:
                return
        self._refresh()
        q = self.quote
        if q is None:
            return  # the message panel already says why
        if q.refused:
            raise ReturnError(
                "Cannot take this return: " + " / ".join(q.refused), "Explain the policy to the customer."
            )
        tenders, rounding = self._exchange_payment(q)
        if tenders is None:
            return
        self._commit_return(tenders, rounding, tries=3)

    def _commit_return(self, tenders: list[Tender], rounding: Decimal, *, tries: int) -> None:
        """Record the return: here when no HQ is set up, else off the GUI thread (the
        reservation at HQ is a network call) while the screen is greyed and says what it
        waits for. The outcome comes back in ``_committed`` either way; an approval it
        still needs is asked for, and the return tried again (at most ``tries`` times)."""
        draft = self.draft
        assert draft is not None
        cmd = replace(draft.command(exchange_tenders=tenders, exchange_rounding=rounding), customer=self.customer_id)
        commit = partial(self.ctx.handle, process_return, cmd)
        again = partial(self._commit_return, tenders, rounding, tries=tries - 1)
        if self.ctx.upstream is None:
            try:
                record = commit()
            except CounterError as exc:
                self._committed(None, exc, again if tries > 1 else None)
                return
            self._committed(record, None, None)
            return
        self._wait("Checking this receipt with HQ…")
        self._runner().off_gui(
            commit, lambda record, error: self._committed(record, error, again if tries > 1 else None)
        )

    def _committed(
        self, record: ReturnRecord | None, error: CounterError | None, again: Callable[[], None] | None
    ) -> None:  # GUI thread
        self._waited()
        if isinstance(error, ApprovalNeeded):
            self.say(f"{error.message} {error.hint}", "info")  # not "Checking … with HQ" any more
            if again is not None and self._approve(error.kinds, error.amount):
                again()
            return
        if error is not None:
            self.problem(describe(error))
            return
        assert record is not None
        self._done(record)

    def _tell(self, text: str, kind: str) -> None:
        """A line added to what the screen says (an after-commit reaction's)."""
        self.say(f"{self.message.text()} {text}".strip(), kind)

    def _wait(self, waiting_for: str) -> None:
        """While HQ is asked: the screen is greyed, says what it waits for, takes no keys."""
        self.busy = waiting_for
        self.say(waiting_for, "info")
        self.setEnabled(False)

    def _waited(self) -> None:
        if self.busy:
            self.busy = ""
            self.setEnabled(True)
            self.table.setFocus()

    def _runner(self) -> Runner:
        runner = getattr(self, "_worker", None)
        if runner is None:
            runner = self._worker = Runner(cast(QObject, self))
        return runner

    def _exchange_payment(self, q: ReturnQuote) -> tuple[list[Tender] | None, Decimal]:
        """Tenders of the exchange's new sale: the credit of the returned items, plus what
        the customer pays on top. (None, 0) when the cashier cancelled."""
        if not q.exchange_total:
            return [], Decimal(0)
        cur = self.ctx.store.currency
        payment = Payment(q.exchange_total, cur, self.ctx.store.smallest_coin)
        if q.exchange_credit:
            payment.add_exchange_credit(q.exchange_credit)
        while not payment.is_complete:
            choice = PayDifferenceDialog(self.host, f"Customer pays {self._money(payment.remaining)}: cash or card?")
            if choice.exec() != PayDifferenceDialog.DialogCode.Accepted:
                return None, Decimal(0)
            if choice.choice == "c":
                cash = CashDialog(self.host, payment.cash_due, cur, self.ctx.store.locale)
                if cash.exec() != CashDialog.DialogCode.Accepted:
                    continue
                payment.add_cash(cash.tendered, part_payment=cash.part_payment)
            else:
                card = CardDialog(self.host, payment.remaining, cur, self.ctx.store.locale)
                if card.exec() != CardDialog.DialogCode.Accepted or card.card is None:
                    continue
                payment.add_card(card.amount_value, card.card)
        self._exchange_change = payment.change
        return list(payment.tenders), payment.rounding

    def _done(self, record: ReturnRecord) -> None:
        self.last_record = record
        q = record.quote
        said = describe_allocation(q.allocation, self._money, record.voucher_code)
        message = f"Return {record.return_number} recorded. " + (f"{said[:1].upper()}{said[1:]}." if said else "")
        if q.to_pay > 0:
            message += f" Customer paid {self._money(q.to_pay)} for the exchange."
            change = getattr(self, "_exchange_change", Decimal(0))
            if change:
                message += f" Give {self._money(change)} change."
        self.recorded.emit(record)
        self._new_draft()
        self.say(message, "ok")
        # After the commit: the return receipt, the exchange's receipt and the credit note it
        # made due (carried out now, or offered after a restart), the drawer, the display.
        self.ctx.after_commit.publish(ReturnCommitted(record, self._tell))
        self.total_caption.setText(f"DONE · {record.return_number}")
        self.total_value.setText(self._money(q.allocation.total or q.to_pay))
        # Under the total, what this return gave back (not the empty draft's "Refund to").
        given = [f"{part.label}  {self._money(part.amount)}" for part in q.allocation.parts]
        if q.to_pay > 0:
            given.append(f"Customer paid  {self._money(q.to_pay)}")
        self.breakdown.setText("\n".join(given))
