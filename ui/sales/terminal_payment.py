"""A card payment on the integrated terminal, as a dialog (GUI thread).

The cashier types (or keeps) the amount and presses Enter; the request is journaled and
sent to the terminal off the GUI thread (``counter.payments.card_sale.charge_card``), while
the dialog shows what the terminal says ("Insert, tap or swipe the card", "Enter PIN", ...).

- **Approved:** the dialog closes with the card tender, already journaled as the sale's
  part payment.
- **Declined, cancelled, not reached:** it says so and what to do; Enter tries again, Esc
  goes back to the sale (nothing was charged). When the terminal cannot be reached, F8 takes
  a card paid on a standalone terminal instead, keyed from its slip, with a supervisor's
  approval (``CARD_MANUAL``).
- **Outcome unknown:** it says "Payment outcome unknown — checking", asks the terminal for
  its last transaction (``resolve_cards``), and closes with the tender if the payment went
  through, or offers to try again if it did not. When the terminal cannot say, the dialog
  stays on "unknown": F5 asks again, and F8 lets a supervisor settle it from the terminal's
  own slip (approval ``CARD_OUTCOME``). Esc is refused while the outcome is unknown, so
  the sale cannot move on and charge the card twice.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from app.context import AppContext
from app.crashpoints import crash_point
from counter.errors import CounterError, InvalidAmount
from counter.i18n import N_, _
from counter.payments.card_sale import (
    CardCharge,
    ChargeCard,
    KeyCardByHand,
    charge_card,
    key_card_by_hand,
    resolve_cards,
    settle_card_by_hand,
)
from counter.payments.ports import CardRequestRow
from counter.payments.requests import CardNotApproved, CardOutcomeUnknown
from counter.people.users import User
from counter.returns.policy import ApprovalKind
from counter.sales.tenders import CARD_BRANDS, CardDetails, Payment, Tender
from ui.dialogs import CardDialog, CounterDialog, ask
from ui.returns.return_dialogs import ApprovalDialog
from ui.runner import Runner

CHECKING = N_("Payment outcome unknown — checking with the terminal…")


class TerminalPaymentDialog(CounterDialog):
    status_seen = Signal(str)  # from the worker thread: the terminal's intermediate text

    def __init__(self, parent: QWidget | None, ctx: AppContext, payment: Payment, cashier: User) -> None:
        money = ctx.store.currency.format(payment.remaining, ctx.store.locale)
        # Translators: the title of the dialog charging a card on the terminal
        super().__init__(parent, _("Card"), _("Card: charge {amount} on the terminal").format(amount=money))
        self.setObjectName("terminalPayment")
        self.headline.setObjectName("dialogAmount")
        self.ctx, self.payment, self.cashier = ctx, payment, cashier
        self.amount = self.line_edit(_("Amount"), ctx.store.currency.plain(payment.remaining, ctx.store.locale))
        self.amount.setAccessibleName(_("Amount to charge on the card terminal"))
        self.state_label = QLabel(_("Press Enter to send the amount to the terminal."))
        self.state_label.setObjectName("terminalState")
        self.state_label.setProperty("state", "ready")
        self.state_label.setWordWrap(True)
        self.state_label.setAccessibleName(_("Card terminal says"))
        # Translators: the card terminal (the row where the dialog shows what it says)
        self.form.addRow(_("Terminal"), self.state_label)
        self.ok_button.setText(_("Charge card  (Enter)"))
        self.runner = Runner(self)
        self.status_seen.connect(self._terminal_says)
        self.tender: Tender | None = None
        self.receipt_lines: tuple[str, ...] = ()  # the terminal's receipt text, when it sent one
        self.amount_value = payment.remaining
        self.outcome_text = ""
        self.unreachable = False  # the last try did not reach the terminal (F8 keys a card by hand)
        self.resumed = False  # opened at sign-in for a request a stop left unknown
        self.phase = "amount"  # amount | sent | unknown | checking
        self.request_id: str | None = None

    @classmethod
    def resuming(
        cls, parent: QWidget | None, ctx: AppContext, row: CardRequestRow, cashier: User
    ) -> TerminalPaymentDialog:
        """For a request a stop left without an outcome (at sign-in): it starts by asking the
        terminal. Esc is allowed here (later), but no card goes to the terminal until it is resolved."""
        cur = ctx.store.currency
        with ctx.read_uow() as uow:
            taken = uow.sales.part_payments(row.for_id) if row.for_kind == "sale" else []
        total = cur.from_minor(row.total_minor if row.total_minor is not None else row.amount_minor)
        payment = Payment(total, cur, ctx.store.smallest_coin, list(taken), sale_id=row.for_id, recorded=len(taken))
        dialog = cls(parent, ctx, payment, cashier)
        dialog.resumed = True
        dialog.request_id = row.request_id
        dialog.amount_value = cur.from_minor(row.amount_minor)
        dialog.amount.setText(cur.plain(dialog.amount_value, ctx.store.locale))
        dialog._busy(True)
        titles = {
            "sale": _("Unknown card payment"),
            "return": _("Unknown card refund"),
            "void": _("Unknown card reversal"),
        }
        dialog.setWindowTitle(titles.get(row.for_kind) or _("Unknown card"))
        dialog._unknown(None)
        return dialog

    # ------------------------------------------------------------------ sending
    def validate(self) -> None:
        if self.phase == "unknown":
            raise CardOutcomeUnknown(self.request_id or "", self._money(self.amount_value))
        cur = self.ctx.store.currency
        self.amount_value = cur.parse(self.amount.text(), locale=self.ctx.store.locale, allow_zero=False)
        if self.amount_value > self.payment.remaining:
            raise InvalidAmount(
                _("Only {amount} is due.").format(amount=self._money(self.payment.remaining)),
                _("Charge the card for that amount or less."),
            )

    def _try_accept(self) -> None:
        if self.phase in ("sent", "checking"):
            return  # the terminal has it: wait for its answer
        if self.phase == "unknown":
            self.check_again()
            return
        try:
            self.validate()
        except CounterError as exc:
            self.show_error(f"{exc.message} {exc.hint}".strip())
            return
        self._send()

    def _send(self) -> None:
        self.phase = "sent"
        self._busy(True)
        self.error.hide()
        self._show_state(_("Sent to the terminal: the customer follows it."), "busy")
        cmd = ChargeCard(
            self.cashier, self.payment.sale_id, len(self.payment.tenders) + 1, self.amount_value, self.payment.total,
            on_status=self.status_seen.emit,
        )  # fmt: skip
        self.request_id = cmd.request_id
        self.runner.off_gui(lambda: self.ctx.handle(charge_card, cmd, step=crash_point), self._answered)

    def _answered(self, charged: CardCharge | None, error: CounterError | None) -> None:
        if error is None and charged is not None:
            self.receipt_lines = charged.receipt_lines
            self._approved(charged.tender)
        elif isinstance(error, CardOutcomeUnknown):
            self._unknown(error)
        else:
            self.phase = "amount"
            self._busy(False)
            kind = "declined" if isinstance(error, CardNotApproved) else "error"
            self._show_state(error.message if error else _("The terminal did not take the card."), kind)
            hint = error.hint if error and error.hint else _("Press Enter to try again, or Esc.")
            self.unreachable = isinstance(error, CardNotApproved) and error.outcome == "failed"
            if self.unreachable:  # a standalone terminal can take the card instead, with a supervisor
                by_hand = _("F8: a card paid on a standalone terminal, keyed by hand (a supervisor approves).")
                hint = f"{hint} {by_hand}"
            self.show_error(hint)
            self.ok_button.setText(_("Try again  (Enter)"))

    def _approved(self, tender: Tender) -> None:
        self.tender = tender
        self.phase = "done"
        self._show_state(_("Approved: {tender}.").format(tender=tender.label), "ok")
        self.accept()

    # ------------------------------------------------------------------ the unknown
    def _unknown(self, error: CounterError | None) -> None:
        self.phase = "checking"
        self._show_state(_(CHECKING), "unknown")
        self.headline.setText(_("Payment outcome unknown — {amount}").format(amount=self._money(self.amount_value)))
        self.runner.off_gui(lambda: self.ctx.handle(resolve_cards, self.cashier), self._checked)

    def check_again(self) -> None:
        """F5: ask the terminal again."""
        if self.phase != "unknown":
            return
        self.phase = "checking"
        self._show_state(_(CHECKING), "unknown")
        self.runner.off_gui(lambda: self.ctx.handle(resolve_cards, self.cashier), self._checked)

    def _checked(self, resolutions: list | None, error: CounterError | None) -> None:  # type: ignore[type-arg]
        mine = next((r for r in resolutions or [] if r.request.request_id == self.request_id), None)
        if mine is None or mine.outcome == "pending":
            self.phase = "unknown"
            why = mine.text if mine is not None else (error.message if error else "")
            self._show_state(
                _("Payment outcome unknown: the terminal cannot say yet ({why}). Do NOT charge the card again.").format(
                    why=why
                ),
                "unknown",
            )
            self.show_error(
                _(
                    "Check the terminal and its cable. F5 asks it again; F8 lets a supervisor settle it "
                    "from the terminal's own slip."
                )
            )
            self.ok_button.setText(_("Ask again  (F5)"))
            self.ok_button.setEnabled(True)
            self.cancel_button.setEnabled(self.resumed)  # a sale's unknown payment cannot be left
            self.cancel_button.setVisible(self.resumed)
            self.cancel_button.setText(_("Later  (Esc)"))
            return
        if mine.outcome == "approved":
            tenders = self._recorded_tender()
            if tenders is not None:
                self._approved(tenders)
                return
        if self.resumed:  # settled: nothing more to do here
            self.phase = "done"
            self.outcome_text = _("The terminal says: {text}").format(text=mine.text) if mine.text else _("Settled.")
            self.accept()
            return
        self.phase = "amount"
        self._busy(False)
        self.headline.setText(
            _("Card: charge {amount} on the terminal").format(amount=self._money(self.payment.remaining))
        )
        text = (
            _("The terminal has no record of this payment: nothing was charged.")
            if mine.outcome == "not_charged"
            else _("The terminal says: {text}").format(text=mine.text)
        )
        self._show_state(text, "declined")
        again = _("Press Enter to try again, or Esc for another tender.")
        self.show_error(f"{text} {again}")
        self.ok_button.setText(_("Try again  (Enter)"))

    def _recorded_tender(self) -> Tender | None:
        """The card tender the resolution journaled for this sale (its part payment)."""
        with self.ctx.read_uow() as uow:
            recorded = uow.sales.part_payments(self.payment.sale_id)
        seq = len(self.payment.tenders) + 1
        return recorded[seq - 1] if len(recorded) >= seq else None

    def settle_by_hand(self) -> None:
        """F8: a supervisor reads the terminal's own slip and says whether it charged."""
        if self.phase != "unknown" or self.request_id is None:
            return
        approval = ApprovalDialog(
            self, self.ctx, request_id=self.request_id, kinds=frozenset({ApprovalKind.CARD_OUTCOME}),
            amount=self.amount_value, requester=self.cashier,
            what="The terminal did not say whether the card was charged. Read its own slip or screen.",
        )  # fmt: skip
        if approval.exec() != ApprovalDialog.DialogCode.Accepted:
            return
        slip = SlipDialog(self)
        if slip.exec() != SlipDialog.DialogCode.Accepted:
            return
        try:
            tender = self.ctx.handle(
                settle_card_by_hand, self.request_id, self.cashier, slip.charged, slip.card if slip.charged else None
            )
        except CounterError as exc:
            self.show_error(f"{exc.message} {exc.hint}".strip())
            return
        if tender is not None:
            self._approved(tender)
            return
        self.phase = "amount"
        self._busy(False)
        self._show_state(_("Settled by a supervisor: not charged."), "declined")
        self.show_error(_("Nothing was charged. Press Enter to try again, or Esc for another tender."))

    def key_by_hand(self) -> None:
        """F8 when the terminal cannot be reached: a card paid on a standalone terminal, keyed
        from its slip, with a supervisor's approval (counter.payments.card_sale.key_card_by_hand)."""
        request_id = str(uuid.uuid4())
        approval = ApprovalDialog(
            self, self.ctx, request_id=request_id, kinds=frozenset({ApprovalKind.CARD_MANUAL}),
            amount=self.amount_value, requester=self.cashier,
            what="The card terminal cannot be reached; the card is paid on a standalone terminal instead.",
        )  # fmt: skip
        if approval.exec() != ApprovalDialog.DialogCode.Accepted:
            return
        cur, locale = self.ctx.store.currency, self.ctx.store.locale
        keyed = CardDialog(self, self.amount_value, cur, locale)
        keyed.amount.setReadOnly(True)  # the amount the supervisor approved
        if keyed.exec() != CardDialog.DialogCode.Accepted or keyed.card is None:
            return
        cmd = KeyCardByHand(self.cashier, self.payment.sale_id, len(self.payment.tenders) + 1, self.amount_value,
                            self.payment.total, keyed.card, request_id)  # fmt: skip
        try:
            tender = self.ctx.handle(key_card_by_hand, cmd)
        except CounterError as exc:
            self.show_error(f"{exc.message} {exc.hint}".strip())
            return
        self._approved(tender)

    # ------------------------------------------------------------------ the screen
    def reject(self) -> None:
        if self.resumed and self.phase == "unknown":
            super().reject()  # later: the block on new card requests stays until it is resolved
            return
        if self.phase in ("sent", "checking", "unknown"):
            self.show_error(
                _("The terminal has this payment: wait for its answer.")
                if self.phase != "unknown"
                else _("The payment's outcome is unknown: F5 asks the terminal again, F8 calls a supervisor.")
            )
            return
        super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        """F5 asks the terminal again, F8 calls a supervisor (while the outcome is unknown)."""
        if event.key() == Qt.Key.Key_F5:
            self.check_again()
            return
        if event.key() == Qt.Key.Key_F8:
            if self.phase == "amount" and self.unreachable:
                self.key_by_hand()
            else:
                self.settle_by_hand()
            return
        if event.key() == Qt.Key.Key_Escape and self.phase != "amount":
            self.reject()
            return
        super().keyPressEvent(event)

    def _terminal_says(self, text: str) -> None:
        if self.phase == "sent":
            self._show_state(_("Terminal: {text}").format(text=text), "busy")

    def _show_state(self, text: str, state: str) -> None:
        self.state_label.setText(text)
        self.state_label.setProperty("state", state)
        self.state_label.style().unpolish(self.state_label)
        self.state_label.style().polish(self.state_label)
        self.fit_height()

    def _busy(self, busy: bool) -> None:
        self.amount.setEnabled(not busy)
        self.ok_button.setEnabled(not busy)
        self.cancel_button.setEnabled(not busy)
        self.cancel_button.setVisible(not busy)  # the terminal has it: there is nothing to cancel here
        if busy:
            self.ok_button.setText(_("Waiting for the terminal…"))

    def _money(self, amount: Decimal) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)


class SlipDialog(CounterDialog):
    """What the terminal's own slip says: charged (with the card's brand, last 4 and
    approval code) or not charged."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent, _("Terminal's slip"), _("What does the terminal's own slip or screen say?"))
        self.outcome = QComboBox()
        self.outcome.addItems([_("Not charged (declined, cancelled, no slip)"), _("Charged (approved)")])
        self.outcome.setMinimumHeight(40)
        self.outcome.setAccessibleName(_("Did the terminal charge the card"))
        # Translators: what the card terminal's slip says happened (charged or not)
        self.form.addRow(_("Outcome"), self.outcome)
        self.brand = QComboBox()
        self.brand.addItems(CARD_BRANDS)
        self.brand.setMinimumHeight(40)
        # Translators: the card's brand (Visa, Mastercard...)
        self.form.addRow(_("Brand"), self.brand)
        self.last4 = self.line_edit(_("Last 4 digits"), placeholder="4242")
        self.last4.setMaxLength(4)
        self.approval = self.line_edit(_("Approval code"), placeholder=_("from the slip"))
        self.approval.setMaxLength(12)
        self.first_field = None
        self.charged = False
        self.card: CardDetails | None = None

    def validate(self) -> None:
        self.charged = self.outcome.currentIndex() == 1
        if self.charged:
            self.card = CardDetails.checked(self.brand.currentText(), self.last4.text(), self.approval.text())


def charge_on_terminal(parent: QWidget, ctx: AppContext, payment: Payment, cashier: User) -> CardCharge | None:
    """The dialog run for one card payment: what was charged, or None."""
    dialog = TerminalPaymentDialog(parent, ctx, payment, cashier)
    return ask(dialog, lambda: CardCharge(dialog.tender, dialog.receipt_lines) if dialog.tender else None)


def resume_on_terminal(parent: QWidget, ctx: AppContext, row: CardRequestRow, cashier: User) -> str:
    """The dialog run for a request a stop left unknown: what was found, "" when still unknown."""
    dialog = TerminalPaymentDialog.resuming(parent, ctx, row, cashier)
    return ask(dialog, lambda: dialog.outcome_text or _("The card payment went through.")) or ""
