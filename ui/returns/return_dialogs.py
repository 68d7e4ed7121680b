"""Dialogs of the return screen: reason, customer ID, find a sale, supervisor approval
(a PIN here, or sent through HQ to a manager's station), and how the customer pays an
exchange difference (GUI thread only; calls to HQ run on ``ui.runner`` workers)."""

from __future__ import annotations

import html
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QWidget

from app.context import AppContext
from counter.dates import show_day
from counter.errors import CounterError
from counter.i18n import _, ngettext
from counter.people.users import Permission, User
from counter.returns.model import ID_TYPES, CustomerId, ReturnError
from counter.returns.policy import ApprovalKind, Reason
from counter.sync.upstream import UpstreamUnavailable
from counter.trust.approvals import Approval, grant_approval
from counter.trust.carddata import refuse_card_data
from counter.trust.remote_approval import RemoteAsk, RemoteRequest, record_remote_approval
from db.queries import SaleSummary
from db.remote_approvals import RemoteApprovals
from ui.dialogs import CounterDialog
from ui.runner import Runner
from ui.session import role_name

REASONS = list(Reason)


def reason_legend() -> str:
    """ "1 Wrong size or fit   2 Defective …": each reason kept whole on its line (no-break spaces)."""
    nbsp = "\u00a0"
    return "   ".join(f"{n}{nbsp}{r.label.replace(' ', nbsp)}" for n, r in enumerate(REASONS, start=1))


class ReasonDialog(CounterDialog):
    """Pick a reason with one digit key (or ↑/↓ and Enter)."""

    def __init__(self, parent: QWidget | None, item_name: str) -> None:
        # Translators: the title of the dialog choosing why an item is returned
        super().__init__(parent, _("Reason"), _("Why is {item} coming back?").format(item=item_name))
        self.list = QListWidget()
        for n, reason in enumerate(REASONS, start=1):
            self.list.addItem(QListWidgetItem(f"{n}   {reason.label}"))
        self.list.setCurrentRow(0)
        self.list.setMinimumHeight(300)
        self.list.setAccessibleName(_("Reasons"))
        self.list.setAccessibleDescription(_("Pick one with its digit key, or with Up and Down and Enter"))
        self.list.itemActivated.connect(lambda _i: self._try_accept())
        self.form.addRow(self.list)
        self.value: Reason | None = None

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)  # type: ignore[arg-type]
        self.list.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        text = event.text()
        if text.isdigit() and 1 <= int(text) <= len(REASONS):
            self.list.setCurrentRow(int(text) - 1)
            self._try_accept()
            return
        super().keyPressEvent(event)

    def validate(self) -> None:
        self.value = REASONS[self.list.currentRow()]


class CustomerIdDialog(CounterDialog):
    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent, _("Customer ID"), _("Returns without a receipt need the customer's ID"))
        self.id_type = QComboBox()
        for kind in ID_TYPES:  # shown translated, stored as its English name (the item's data)
            self.id_type.addItem(_(kind), kind)
        self.id_type.setMinimumHeight(40)
        self.form.addRow(_("Type of ID"), self.id_type)
        self.id_type.setAccessibleDescription(_("The kind of ID the customer shows"))
        self.number = self.line_edit(_("ID number"), placeholder=_("as printed on the ID"))
        note = QLabel(_("Only the last 4 characters are kept on record."))
        note.setObjectName("dialogHint")
        self.form.addRow("", note)
        self.value: CustomerId | None = None

    def validate(self) -> None:
        self.value = CustomerId.checked(str(self.id_type.currentData()), self.number.text())


class FindSaleDialog(CounterDialog):
    """Find a sale by day, total or card last 4; Enter on a result picks it."""

    def __init__(self, parent: QWidget | None, ctx: AppContext) -> None:
        super().__init__(parent, _("Find a sale"), _("Find the sale without its receipt number"))
        self.ctx = ctx
        self.days = self.line_edit(_("Days back"), "30", _("how many days to look back"))
        self.amount = self.line_edit(_("Total paid"), placeholder=_("e.g. 51.72 (optional)"))
        self.last4 = self.line_edit(_("Card last 4"), placeholder=_("optional"))
        self.results = QListWidget()
        self.results.setMinimumHeight(220)
        self.results.setAccessibleName(_("Sales found"))
        self.results.setAccessibleDescription(_("Pick a sale with Up and Down; Enter takes it"))
        self.results.itemActivated.connect(lambda _i: self._pick())
        self.form.addRow(self.results)
        self.ok_button.setText(_("Search  (Enter)"))
        self.value: str | None = None

    def validate(self) -> None:
        if self.results.hasFocus() and self.results.currentItem() is not None:
            self._pick()
            return
        days_text = self.days.text().strip() or "30"
        if not days_text.isdigit() or not 1 <= int(days_text) <= 3650:
            raise ReturnError(_("Days back must be a whole number from 1 to 3650."), "")
        typed = self.amount.text().strip()
        amount = self.ctx.store.currency.parse(typed, locale=self.ctx.store.locale) if typed else None
        last4 = self.last4.text().strip() or None
        if last4 is not None and not (len(last4) == 4 and last4.isdigit()):
            raise ReturnError(_("Type exactly the last 4 digits of the card."), "")
        since = datetime.now(self.ctx.store.zone) - timedelta(days=int(days_text))
        found = self.ctx.reads.find_sales(self.ctx.store.currency, day_from=since, amount=amount, card_last4=last4)
        self._show(found)
        raise _Searched()

    def _show(self, found: list[SaleSummary]) -> None:
        self.results.clear()
        fmt = self.ctx.store.currency.format
        for sale in found:
            when = show_day(sale.completed_at, self.ctx.store.locale, self.ctx.store.zone, clock=True)
            # Translators: a sale found; English says "lines" for one line too
            row = "{receipt}   {when}   {total}   {count} lines   {tenders}"
            item = QListWidgetItem(
                ngettext(row, row, sale.lines).format(
                    receipt=sale.receipt_number,
                    when=when,
                    total=fmt(sale.total, self.ctx.store.locale),
                    count=sale.lines,
                    tenders=sale.tenders,
                )
            )
            item.setData(Qt.ItemDataRole.UserRole, sale.receipt_number)
            self.results.addItem(item)
        if found:
            self.results.setCurrentRow(0)
            self.results.setFocus()
            self.error.hide()
        else:
            self.show_error(_("No sale matches. Widen the days, or leave the amount or card empty."))

    def _pick(self) -> None:
        current = self.results.currentItem()
        if current is not None:
            self.value = current.data(Qt.ItemDataRole.UserRole)
            self.accept()

    def _try_accept(self) -> None:
        try:
            self.validate()
        except _Searched:
            return
        except CounterError as exc:
            self.show_error(f"{exc.message} {exc.hint}".strip())


class _Searched(Exception):
    """Internal: a search ran; the dialog stays open on its results."""


class ApprovalDialog(CounterDialog):
    """A supervisor picks their name, types their PIN and a reason here; or, when this
    counter is enrolled with HQ, F8 sends the request to a manager's station and the
    dialog waits for the answer (polling HQ off the GUI thread, so the window stays
    responsive). An approval that comes back is recorded here like a PIN typed here
    (``counter.trust.remote_approval.record_remote_approval``) and the dialog closes by itself."""

    POLL_MS = 2000

    def __init__(
        self,
        parent: QWidget | None,
        ctx: AppContext,
        *,
        request_id: str,
        kinds: frozenset[ApprovalKind],
        amount: Decimal,
        requester: User,
        what: str = "",
    ) -> None:
        money = ctx.store.currency.format(amount, ctx.store.locale)
        what_lines = "\n".join(f"• {k.label}" for k in sorted(kinds))
        headline = _("Approval needed for {amount}:").format(amount=money)
        super().__init__(parent, _("Supervisor approval"), f"{headline}\n{what_lines}")
        self.ctx, self.request_id, self.kinds, self.amount, self.requester = ctx, request_id, kinds, amount, requester
        self.approver = QComboBox()
        self.approver.setMinimumHeight(40)
        for user in ctx.reads.list_users():
            if user.can(Permission.APPROVE):
                self.approver.addItem(_("{name} ({role})").format(name=user.name, role=role_name(user.role)), user.id)
        self.form.addRow(_("Supervisor"), self.approver)
        self.approver.setAccessibleDescription(_("The supervisor who approves; they type their PIN below"))
        self.pin = self.line_edit(_("PIN"), placeholder=_("the supervisor types it here"))
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        # Translators: why the supervisor approves (typed, kept on record)
        self.reason = self.line_edit(_("Reason"), placeholder=_("why it is approved"))
        self.first_field = self.pin
        self.approvals: list[Approval] = []
        self.what = what or _describe(parent, kinds, money)
        # remote approval through HQ (only when this counter is enrolled)
        self.remote: RemoteApprovals | None = getattr(ctx, "remote_approvals", None)
        self.asked: RemoteAsk | None = None
        self.sent: RemoteRequest | None = None
        self.state = "form"  # form | sending | waiting
        self.waiting = QLabel("")
        self.waiting.setObjectName("approvalWaiting")
        self.waiting.setWordWrap(True)
        self.waiting.setMinimumHeight(150)
        self.waiting.setTextFormat(Qt.TextFormat.RichText)
        self.waiting.setStyleSheet(
            "background: #eff6ff; border-left: 6px solid #2563eb; border-radius: 6px; padding: 12px; font-size: 15px;"
        )
        self.form.addRow(self.waiting)
        self.form.setRowVisible(self.waiting, False)
        if self.remote is not None:
            self.send_button = QPushButton(_("Send to a manager's station  (F8)"))
            self.send_button.setAutoDefault(False)
            self.send_button.setMinimumHeight(40)
            self.send_button.clicked.connect(self.send_remote)
            self.send_hint = QLabel(_("No supervisor here? A manager approves or declines at their own station."))
            self.send_hint.setObjectName("dialogHint")
            self.send_hint.setWordWrap(True)
            self.form.addRow(self.send_button)
            self.form.addRow(self.send_hint)
            self.worker = Runner(self)
            self.ticker = QTimer(self)
            self.ticker.setInterval(1000)
            self.ticker.timeout.connect(self._tick)
            self._sent_at = 0.0
            self._last_poll = 0.0

    def validate(self) -> None:
        pin = self.pin.text()
        self.pin.clear()
        self.approvals = self.ctx.handle(
            grant_approval,
            request_id=self.request_id,
            kinds=self.kinds,
            amount=self.amount,
            requester=self.requester,
            approver_id=self.approver.currentData(),
            pin=pin,
            reason=self.reason.text(),
            hasher=self.ctx.hasher,
            currency_minor=self.ctx.store.currency.to_minor,
        )

    def _try_accept(self) -> None:
        if self.state == "form":
            super()._try_accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        if event.key() == Qt.Key.Key_F8 and self.remote is not None:
            self.send_remote()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------ remote approval
    def send_remote(self) -> None:
        """F8: send the request through HQ to the managers' stations and wait."""
        if self.remote is None or self.state != "form":
            return
        remote = self.remote
        reason = self.reason.text().strip()
        try:
            refuse_card_data(reason, "in a reason")
        except CounterError as exc:
            self.show_error(f"{exc.message} {exc.hint}".strip())
            return
        asked = RemoteAsk(
            id=str(uuid.uuid4()),
            request_id=self.request_id,
            kinds=frozenset(self.kinds),
            amount=self.amount,
            requester=self.requester,
            what=f"{self.what} ({reason})" if reason else self.what,
        )
        self.asked = asked
        self._show_state("sending")
        self.worker.off_gui(lambda: remote.ask(asked), self._on_sent)

    def _on_sent(self, result: RemoteRequest | None, error: CounterError | None) -> None:
        if self.state != "sending":
            return
        if error is not None or result is None:
            self._show_state("form")
            if isinstance(error, UpstreamUnavailable):
                self.show_error(
                    _(
                        "HQ cannot be reached, so the request was not sent to a manager's station. "
                        "A supervisor can approve here with their PIN."
                    )
                )
            else:
                problem = error.message if error else _("no answer")
                self.show_error(_("HQ did not take the request: {problem}").format(problem=problem))
            return
        self.sent = result
        self._sent_at = time.monotonic() - result.age.total_seconds()
        self._last_poll = time.monotonic()
        self._show_state("waiting")

    def _tick(self) -> None:
        if self.state != "waiting" or self.sent is None or self.remote is None:
            return
        self._show_waiting()
        if time.monotonic() - self._last_poll >= self.POLL_MS / 1000 and self.worker.in_flight == 0:
            self._last_poll = time.monotonic()
            remote, approval_id = self.remote, self.sent.id
            self.worker.off_gui(lambda: remote.state(approval_id), self._on_polled)

    def _on_polled(self, result: RemoteRequest | None, error: CounterError | None) -> None:
        if self.state != "waiting" or self.sent is None:
            return
        if error is not None or result is None:
            if isinstance(error, UpstreamUnavailable):
                self._show_waiting(note=_("HQ is not answering just now; still trying."))
                return
            self._show_state("form")
            problem = error.message if error else _("No answer from HQ.")
            self.show_error(_("{problem} A supervisor can approve here.").format(problem=problem))
            return
        self.sent = result
        if result.state == "pending":
            self._show_waiting()
        elif result.state == "approved":
            self._record(result)
        elif result.state == "declined":
            self._show_state("form")
            if result.answer_note:
                declined = _(
                    "Declined by {name} at {terminal}: “{note}”. Nothing was recorded. "
                    "Change the return, or a supervisor here may approve with their PIN."
                )
            else:
                declined = _(
                    "Declined by {name} at {terminal} (no note). Nothing was recorded. "
                    "Change the return, or a supervisor here may approve with their PIN."
                )
            self.show_error(
                declined.format(
                    name=result.answered_by_name, terminal=result.answered_terminal, note=result.answer_note
                )
            )
        else:  # expired, cancelled
            self._show_state("form")
            self.show_error(
                _(
                    "No manager answered in time: the request expired. Send it again (F8), "
                    "or a supervisor here approves with their PIN."
                )
                if result.state == "expired"
                else _("The request was withdrawn. Send it again (F8), or approve here with a PIN.")
            )

    def _record(self, answer: RemoteRequest) -> None:
        """The manager approved: record it on this counter's journal and go on."""
        assert self.asked is not None
        try:
            self.approvals = self.ctx.handle(
                record_remote_approval, asked=self.asked, answer=answer, currency_minor=self.ctx.store.currency.to_minor
            )
        except CounterError as exc:
            self._show_state("form")
            self.show_error(f"{exc.message} {exc.hint}".strip())
            return
        self.state = "done"
        self.ticker.stop()
        self.accept()

    def reject(self) -> None:
        """Esc while waiting withdraws the request (at HQ, in the background) and comes
        back to the PIN here; Esc again closes."""
        if self.remote is not None and self.state in ("sending", "waiting"):
            remote, sent = self.remote, self.sent
            self._show_state("form")
            if sent is not None:
                self.worker.off_gui(lambda: remote.cancel(sent.id), self._on_withdrawn)
            self.show_error(
                _("Request withdrawn. A supervisor can approve here with their PIN, or send it again (F8).")
            )
            return
        if self.remote is not None:
            self.ticker.stop()
        super().reject()

    def done(self, result: int) -> None:  # noqa: D102 - QDialog.done: accepted or rejected
        if self.remote is not None:
            self.ticker.stop()
            self.worker.forget()  # no answer still to come keeps this dialog alive
        super().done(result)
        # exec() left this dialog owned by Python: have Qt delete it on the GUI thread once
        # its caller has read the result, rather than whichever thread runs the collector.
        self.deleteLater()

    def _on_withdrawn(self, result: RemoteRequest | None, error: CounterError | None) -> None:
        # The manager may have approved just before the request was withdrawn: then the
        # approval stands at HQ, and is recorded here if this dialog is still open.
        request = getattr(error, "request", None)
        if isinstance(request, RemoteRequest) and request.state == "approved" and self.isVisible():
            self._record(request)

    def _show_state(self, state: str) -> None:
        self.state = state
        form = state == "form"
        for widget in (self.approver, self.pin, self.reason, self.send_button, self.send_hint):
            self.form.setRowVisible(widget, form)
        self.form.setRowVisible(self.waiting, not form)
        self.ok_button.setVisible(form)
        self.cancel_button.setText(_("Cancel  (Esc)") if form else _("Withdraw request  (Esc)"))
        self.error.hide()
        if state == "sending":
            self.waiting.setText(_("Sending the request to HQ…"))
        elif state == "waiting":
            self._show_waiting()
            self.ticker.start()
        else:
            self.ticker.stop()
            self.pin.setFocus()

    def _show_waiting(self, note: str = "") -> None:
        if self.sent is None:
            return
        elapsed = int(max(0.0, time.monotonic() - self._sent_at))
        left = max(0, int(self.sent.expires_at.timestamp() - self.sent.created_at.timestamp()) - elapsed)
        sent = _("Sent {time} ago").format(time=f"{elapsed // 60}:{elapsed % 60:02d}")
        expires = _("expires in {time}").format(time=f"{left // 60}:{left % 60:02d}")
        parts = [
            "<div style='font-size: 19px; font-weight: 600; color: #1e3a8a;'>"
            f"{html.escape(_('Waiting for a manager at their station…'))}</div>",
            f"<div style='font-size: 17px; margin-top: 6px;'><b>{html.escape(sent)}</b>"
            f" &nbsp;·&nbsp; {html.escape(expires)}</div>",
            f"<div style='margin-top: 6px;'>{html.escape(self.sent.what)}</div>",
        ]
        if note:
            parts.append(f"<div style='margin-top: 6px; color: #b45309; font-weight: 600;'>{html.escape(note)}</div>")
        explained = _(
            "The manager approves or declines with their PIN; this counter goes on by itself. "
            "Esc withdraws the request."
        )
        parts.append(f"<div style='margin-top: 8px; color: #4b5563;'>{html.escape(explained)}</div>")
        self.waiting.setText("".join(parts))


def _describe(parent: QWidget | None, kinds: frozenset[ApprovalKind], money: str) -> str:
    """What the manager reads at their station, e.g. "Return of S01-T01-000123: cash
    refund above the limit, $182.40"."""
    labels = ", ".join(k.label for k in sorted(kinds))
    draft = getattr(parent, "draft", None)
    sale = getattr(draft, "sale", None)
    receipt = getattr(sale, "receipt_number", None)
    if isinstance(receipt, str) and receipt:
        return f"Return of {receipt}: {labels}, {money}"
    return f"{labels[:1].upper()}{labels[1:]}, {money}"


class PayDifferenceDialog(CounterDialog):
    """The customer owes money on an exchange: C for cash, K for card."""

    def __init__(self, parent: QWidget | None, text: str) -> None:
        # Translators: the title of the dialog asking how the customer pays an exchange's difference
        super().__init__(parent, _("Exchange"), text)
        self.choice = ""
        self.ok_button.hide()
        for label, key in ((_("Cash  (C)"), "c"), (_("Card  (K)"), "k")):
            button = self.add_choice(label, key)
            button.setShortcut(key.upper())

    def add_choice(self, label: str, key: str) -> QPushButton:
        button = QPushButton(label)
        button.setMinimumHeight(44)
        button.clicked.connect(lambda _checked=False, k=key: self._choose(k))
        self.form.addRow(button)
        return button

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        if event.text().lower() in ("c", "k"):
            self._choose(event.text().lower())
            return
        super().keyPressEvent(event)

    def _choose(self, key: str) -> None:
        self.choice = key
        self.accept()
