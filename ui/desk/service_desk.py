"""The service desk screen: find or create the customer, see their history, store credit,
house account and orders, and work their cases (GUI thread only).

Reached from the sale and return screens with Ctrl+U; F10 attaches the customer to the
sale or return in progress and goes back. Every key is in ``ui.actions.ServiceAction``;
the legend along the bottom is built from it. The search field takes a phone number,
an e-mail address, a name, a scanned loyalty card, a receipt number or a case number
(the barcode of a case slip).
"""

from __future__ import annotations

import html
from decimal import Decimal
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.reactions import documents_folder
from counter.dates import show_day
from counter.desk.cases import Case, CaseError, events_text, record_letter
from counter.desk.customers import Customer, format_phone
from counter.desk.documents import (
    SlipDocument,
    adjustment_slip,
    case_slip,
    outcome_letter,
)
from counter.desk.referrals import Referral, ReferralStatus
from counter.desk.service import DeskError
from counter.i18n import N_, _, in_sentence
from counter.people.users import User
from counter.returns.refunds import describe_allocation
from db.desk_queries import looks_like_number
from devices.barcodes import ScanData
from devices.escpos.slips import render_slip
from devices.letters import render_letter_pdf
from devices.scanner import scan_text
from ui.a11y import live_accessible, show_kind
from ui.actions import ActionKeys, ServiceAction, key_of
from ui.desk.desk_dialogs import (
    ContactDialog,
    CustomerDialog,
    DepartmentNoteDialog,
    ReferralDialog,
    StatusDialog,
    TellDialog,
)
from ui.desk.desk_money import (
    AdjustDialog,
    ChoiceDialog,
)
from ui.desk.desk_payment import DeskPaymentPresenter, cash_out
from ui.desk.desk_questions import DeskDialogs
from ui.desk.desk_views import (
    DESK_CONTROLS,
    AnalysisDialog,
    FollowUpsDialog,
    QueueDialog,
    case_head,
    history_kind,
    money_lines,
)
from ui.devices.printing import PrintBridge
from ui.fit import fit_placeholder, shorten, wrap_items
from ui.i18n import live, live_text
from ui.key_legend import KeyLegend
from ui.ops import Problem, attempt

#: the search field's hint, longest first (the longest that fits is shown)
SEARCH_HINTS = (
    N_("Phone, e-mail, name, loyalty card, receipt or case number, then Enter"),
    N_("Phone, e-mail, name, card, receipt or case number"),
    N_("Phone, e-mail, name or number"),
    N_("Phone, e-mail or name"),
)


class ServiceDeskScreen(QWidget):
    finished = Signal()  # back to the screen it came from
    attach_requested = Signal(object)  # counter.desk.customers.Customer, for the sale or return in progress

    def __init__(self, ctx: AppContext, printing: PrintBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serviceDeskScreen")
        self.ctx, self.printing = ctx, printing
        self.user: User | None = None
        self.customer: Customer | None = None
        self.cases: list[Case] = []
        self.keymap = {key_of(a.key): a for a in ServiceAction}
        self._build()
        # F9 Payments: the desk's money, as a presenter behind DeskView (ui/desk/desk_payment.py)
        self.desk_payment = DeskPaymentPresenter(ctx, self, DeskDialogs(self, ctx, self.current_user))
        self.action_keys = ActionKeys(self.keymap, self.trigger, self)  # before the field acts on them
        self.input.installEventFilter(self.action_keys)

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        body = QHBoxLayout()
        body.setContentsMargins(16, 12, 16, 8)
        body.setSpacing(14)

        left = QVBoxLayout()
        left.setSpacing(8)
        title = QLabel()
        live_text(title, N_("SERVICE DESK"))
        title.setObjectName("screenTitle")
        left.addWidget(title)
        self.input = QLineEdit()
        self.input.setObjectName("scanInput")
        hint = fit_placeholder(self.input, *SEARCH_HINTS)
        live(hint, lambda: hint.set_wordings([_(w) for w in SEARCH_HINTS]))
        self.input.returnPressed.connect(self._search)
        live_accessible(self.input, *DESK_CONTROLS["input"])
        left.addWidget(self.input)
        self.results = QListWidget()
        self.results.setObjectName("searchResults")
        self.results.itemActivated.connect(lambda _i: self._pick_result())
        live_accessible(self.results, *DESK_CONTROLS["results"])
        self.results.hide()
        left.addWidget(self.results, 1)
        self.card = QLabel()
        live(self.card, self._card_empty)
        self.card.setObjectName("customerCard")
        self.card.setWordWrap(True)
        self.card.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.card.setTextFormat(Qt.TextFormat.RichText)
        left.addWidget(self.card)
        history_title = QLabel()
        live_text(history_title, N_("PURCHASES, RETURNS AND PAYMENTS"))
        history_title.setObjectName("screenTitle")
        left.addWidget(history_title)
        self.history = QListWidget()
        self.history.setObjectName("historyList")
        wrap_items(self.history)  # a line too long for a narrow window wraps
        live_accessible(self.history, *DESK_CONTROLS["history"])
        left.addWidget(self.history, 1)
        body.addLayout(left, 5)

        middle = QVBoxLayout()
        middle.setSpacing(8)
        cases_title = QLabel()
        live_text(cases_title, N_("CASES  (↑/↓ picks one)"))
        cases_title.setObjectName("screenTitle")
        middle.addWidget(cases_title)
        self.case_list = QListWidget()
        self.case_list.setObjectName("caseList")
        self.case_list.setMaximumHeight(170)
        live_accessible(self.case_list, *DESK_CONTROLS["case_list"])
        wrap_items(self.case_list)
        self.case_list.currentRowChanged.connect(lambda _r: self._show_case())
        middle.addWidget(self.case_list)
        self.case_detail = QLabel("")
        self.case_detail.setObjectName("caseDetail")
        self.case_detail.setWordWrap(True)
        self.case_detail.setTextFormat(Qt.TextFormat.RichText)
        self.case_detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setObjectName("caseScroll")
        scroll.setWidget(self.case_detail)
        middle.addWidget(scroll, 1)
        body.addLayout(middle, 6)

        right = QVBoxLayout()
        right.setSpacing(10)
        self.money_box = QLabel("")
        self.money_box.setObjectName("deskMoney")
        self.money_box.setWordWrap(True)
        self.money_box.setTextFormat(Qt.TextFormat.RichText)
        self.money_box.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        right.addWidget(self.money_box)
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(110)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        right.addWidget(self.message)
        right.addStretch(1)
        body.addLayout(right, 4)

        container = QWidget()
        container.setLayout(body)
        outer.addWidget(container, 1)
        legend = KeyLegend([(a.key, a.label, partial(self.trigger, a)) for a in ServiceAction])
        outer.addWidget(legend)

    def _card_empty(self) -> None:
        if self.customer is None:
            self.card.setText(_("Find the customer first: type or scan above. New customer: F3."))

    # ------------------------------------------------------------- lifecycle
    def start(self, user: User, customer: Customer | None = None) -> None:
        self.user = user
        if customer is not None:
            self.load_customer(customer)
            self.say(
                _("{name}: history and cases. F5 logs a contact; F10 attaches to the sale.").format(name=customer.name),
                "info",
            )
        else:
            self.say(_("Type or scan to find the customer (Enter). New customer: F3."), "info")
        self.input.setFocus()

    def say(self, text: str, kind: str = "info") -> None:
        self.message.setText(text)
        show_kind(self.message, kind)

    def done(self, text: str) -> None:
        self.say(text, "ok")

    def message_text(self) -> str:
        return self.message.text()

    def problem(self, p: Problem) -> None:
        self.say(p.text, "error")

    def _money(self, amount: Decimal) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)

    def current_user(self) -> User:
        assert self.user is not None
        return self.user

    # ----------------------------------------------------------------- keys
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        action = self.keymap.get(event.keyCombination())
        if action is not None:
            self.trigger(action)
        elif event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.cases:
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            self.case_list.setCurrentRow(max(0, min(len(self.cases) - 1, self.case_list.currentRow() + step)))
        else:
            super().keyPressEvent(event)

    def trigger(self, action: ServiceAction) -> None:
        handlers = {
            ServiceAction.FIND: self._focus_search,
            ServiceAction.NEW_CUSTOMER: self._new_customer,
            ServiceAction.EDIT_CUSTOMER: self._edit_customer,
            ServiceAction.LOG_CONTACT: self._log_contact,
            ServiceAction.REFER: self._refer,
            ServiceAction.CASE_STATUS: self._status,
            ServiceAction.ADJUST: self._adjust,
            ServiceAction.PAYMENTS: self.desk_payment.payments,
            ServiceAction.ATTACH: self._attach,
            ServiceAction.PRINT: self._print,
            ServiceAction.DEPARTMENT_NOTE: self._department_note,
            ServiceAction.TELL: self._tell,
            ServiceAction.QUEUES: self._queues,
            ServiceAction.FOLLOW_UPS: self._follow_ups,
            ServiceAction.REPORT: self._report,
            ServiceAction.BACK: self.finished.emit,
        }
        attempt(handlers[action], self.problem)
        if self.isVisible() and not self.results.isVisible():
            self.input.setFocus()

    def handle_scan(self, scan: ScanData) -> bool:
        """A scan anywhere on this screen: a loyalty card, a receipt or a case slip."""
        if self.user is None:
            return False
        if scan.error:
            self.say(_("{error} Scan it again.").format(error=scan.error), "error")
            return True
        self.input.setText(scan_text(scan))
        attempt(self._search_now, self.problem)
        return True

    # --------------------------------------------------------------- search
    def _focus_search(self) -> None:
        self.input.selectAll()
        self.input.setFocus()

    def _search(self) -> None:
        if self.results.isVisible() and self.results.currentItem() is not None and not self.input.isModified():
            self._pick_result()
            return
        attempt(self._search_now, self.problem)

    def _search_now(self) -> None:
        text = self.input.text().strip()
        self.input.setModified(False)
        if not text:
            return
        case = self.ctx.reads.case_by_number(text)
        found = self.ctx.reads.find_customers(text)
        self.results.clear()
        if not found:
            self.results.hide()
            if looks_like_number(text):
                raise CaseError(
                    _("Nothing numbered {number} is on file at this lane.").format(number=text),
                    _(
                        "Check the number. A record another lane made arrives with the next sync "
                        "(see Sync in the status bar); or find the customer by name or phone."
                    ),
                )
            raise CaseError(
                _("No customer matches “{text}”.").format(text=text), _("Check it, or press F3 to add the customer.")
            )
        if len(found) == 1:
            self.results.hide()
            self.load_customer(found[0], case_id=case.id if case else None)
            self.done(_("{name}. F5 logs a contact, F10 attaches them to the sale.").format(name=found[0].name))
            return
        for c in found:
            item = QListWidgetItem(f"{c.name}    {format_phone(c.phone)}    {c.email}")
            item.setData(Qt.ItemDataRole.UserRole, c)
            self.results.addItem(item)
        self.results.setCurrentRow(0)
        self.results.show()
        self.results.setFocus()
        self.say(_("{count} customers match. ↑/↓ and Enter picks one.").format(count=len(found)), "info")

    def _pick_result(self) -> None:
        item = self.results.currentItem()
        if item is None:
            return
        self.results.hide()
        self.load_customer(item.data(Qt.ItemDataRole.UserRole))
        self.input.setFocus()

    # ------------------------------------------------------------- customer
    def load_customer(self, customer: Customer, *, case_id: str | None = None) -> None:
        fresh = self.ctx.reads.get_customer(customer.id) or customer
        self.customer = fresh
        self.refresh(case_id=case_id)

    def refresh(self, *, case_id: str | None = None) -> None:
        c = self.customer
        if c is None:
            return
        cur = self.ctx.store.currency
        summary = self.ctx.reads.customer_summary(c.id, cur)
        esc = html.escape
        lines = [f"<b style='font-size:20px'>{esc(c.name)}</b>"]
        if c.phone:
            lines.append(_("Phone {phone}").format(phone=esc(format_phone(c.phone))))
        if c.email:
            consent = _("documents by e-mail: yes") if c.email_consent else _("documents by e-mail: no")
            lines.append(f"{esc(c.email)} <span style='color:#6b7280'>({consent})</span>")
        if c.address:
            lines.append(esc(c.address.one_line))
        if c.loyalty_card:
            lines.append(_("Loyalty card {card}").format(card=c.loyalty_card))
        self.card.setText("<br/>".join(lines))
        money = money_lines(self.ctx, c.id, summary)
        self.money_box.setText("<br/>".join(money))
        self.history.clear()
        zone = self.ctx.store.zone
        for h in self.ctx.reads.customer_history(c.id, cur):
            when = show_day(h.at, self.ctx.store.locale, zone)
            self.history.addItem(
                f"{when} · {history_kind(h.kind)} · {h.number} · {self._money(h.amount)}"
                + (f" · {shorten(h.text, 60)}" if h.text else "")
            )
        if not self.history.count():
            self.history.addItem(_("No purchases or returns on file yet (F10 attaches the customer to the sale)."))
        self.cases = self.ctx.reads.cases_for(c.id)
        self.case_list.blockSignals(True)
        self.case_list.clear()
        for case in self.cases:
            self.case_list.addItem(
                f"{case.number} · {case.status.label} · {case.kind.label}: {shorten(case.subject, 70)}"
            )
        self.case_list.blockSignals(False)
        row = next((n for n, k in enumerate(self.cases) if k.id == case_id), 0) if self.cases else -1
        self.case_list.setCurrentRow(row)
        self._show_case()

    def need_customer(self) -> Customer:
        if self.customer is None:
            raise CaseError(_("No customer is picked."), _("Find the customer first (F2), or add one (F3)."))
        return self.customer

    def selected_case(self) -> Case:
        row = self.case_list.currentRow()
        if not self.cases or row < 0:
            raise CaseError(_("No case is picked."), _("Log a contact first (F5); ↑/↓ picks a case."))
        return self.cases[row]

    def _show_case(self) -> None:
        row = self.case_list.currentRow()
        if not self.cases or row < 0:
            self.case_detail.setText(_("<i>No case yet. F5 logs a contact and opens one.</i>"))
            return
        case = self.cases[row]
        esc = html.escape
        head = case_head(self.ctx, case)
        events = events_text(self.ctx.reads.case_events(case.id), self.ctx.store.zone, self.ctx.store.locale)
        body = "<br/>".join(esc(e) for e in events)
        self.case_detail.setText("<br/>".join(head) + "<hr/>" + body)

    # ------------------------------------------------------------- customer actions
    def _new_customer(self) -> None:
        dialog = CustomerDialog(self, self.ctx, self.current_user())
        if dialog.exec() != CustomerDialog.DialogCode.Accepted or dialog.recorded is None:
            return
        self.load_customer(dialog.recorded)
        if dialog.used_existing:
            self.done(_("{name} was already on file: using that customer.").format(name=dialog.recorded.name))
        else:
            self.done(
                _("{name} added. F5 logs a contact, F10 attaches them to the sale.").format(name=dialog.recorded.name)
            )

    def _edit_customer(self) -> None:
        customer = self.need_customer()
        dialog = CustomerDialog(self, self.ctx, self.current_user(), customer)
        if dialog.exec() == CustomerDialog.DialogCode.Accepted and dialog.recorded is not None:
            self.load_customer(dialog.recorded)
            self.done(_("Contact details changed; the old ones are kept in the history."))

    def _attach(self) -> None:
        customer = self.need_customer()
        self.attach_requested.emit(customer)

    # ----------------------------------------------------------------- cases
    def _log_contact(self) -> None:
        customer = self.need_customer()
        dialog = ContactDialog(self, self.ctx, self.current_user(), customer, self.cases)
        if dialog.exec() != ContactDialog.DialogCode.Accepted or dialog.recorded is None:
            return
        logged = dialog.recorded
        self.refresh(case_id=logged.case.id)
        said = (
            _("Contact logged; case {number} opened. F6 refers it, F11 prints its slip.")
            if logged.new_case
            else _("Contact logged; case {number} updated. F6 refers it, F11 prints its slip.")
        )
        self.done(said.format(number=logged.case.number))

    def _refer(self) -> None:
        case = self.selected_case()
        dialog = ReferralDialog(self, self.ctx, self.current_user(), case)
        if dialog.exec() == ReferralDialog.DialogCode.Accepted and dialog.recorded is not None:
            r = dialog.recorded
            self.refresh(case_id=case.id)
            self.done(
                _("Case {number} referred to {department}, due {due}.").format(
                    number=case.number, department=r.department_name, due=r.due_on.isoformat()
                )
            )

    def _status(self) -> None:
        case = self.selected_case()
        dialog = StatusDialog(self, self.ctx, self.current_user(), case)
        if dialog.exec() == StatusDialog.DialogCode.Accepted and dialog.recorded is not None:
            self.refresh(case_id=case.id)
            self.done(
                _("Case {number} is now {status}.").format(
                    number=case.number, status=in_sentence(dialog.recorded.status.label)
                )
            )

    def _open_referral(self, case: Case, status: ReferralStatus) -> Referral:
        for r in reversed(self.ctx.reads.referrals_for_case(case.id)):
            if r.status is status:
                return r
        if status is ReferralStatus.OPEN:
            raise CaseError(
                _("Case {number} is not with a department.").format(number=case.number), _("Refer it first (F6).")
            )
        raise CaseError(_("No department outcome on case {number} waits to be told.").format(number=case.number), "")

    def _department_note(self) -> None:
        case = self.selected_case()
        referral = self._open_referral(case, ReferralStatus.OPEN)
        dialog = DepartmentNoteDialog(self, self.ctx, self.current_user(), referral)
        if dialog.exec() == DepartmentNoteDialog.DialogCode.Accepted:
            self.refresh(case_id=case.id)
            self.done(
                _("{department}'s note recorded on case {number}.").format(
                    department=referral.department_name, number=case.number
                )
            )

    def _tell(self) -> None:
        case = self.selected_case()
        referral = self._open_referral(case, ReferralStatus.ANSWERED)
        dialog = TellDialog(self, self.ctx, self.current_user(), referral)
        if dialog.exec() == TellDialog.DialogCode.Accepted:
            self.refresh(case_id=case.id)
            self.done(_("Recorded: the customer was told the outcome. F7 resolves the case."))

    def _print(self) -> None:
        case = self.selected_case()
        customer = self.need_customer()
        choice = ChoiceDialog(
            self,
            _("Print"),
            _("Case {number}").format(number=case.number),
            [
                (_("Case slip (printed, with the case number as a barcode)"), "slip"),
                (_("Letter with the outcome (PDF)"), "letter"),
            ],
        )
        if choice.exec() != ChoiceDialog.DialogCode.Accepted:
            return
        if choice.value == "slip":
            self.print_case_slip(case, customer)
        else:
            path = self.save_letter(case, customer)
            self.done(_("Letter saved as {file} (documents folder), ready to print or e-mail.").format(file=path.name))

    def print_case_slip(self, case: Case, customer: Customer) -> None:
        doc = case_slip(
            case, customer, self.ctx.store, self.ctx.clock.now(), self.ctx.reads.referrals_for_case(case.id)
        )
        self.print_slip(doc, case.number)
        self.ctx.handle(record_letter, self.current_user(), case.id, "slip")
        self.refresh(case_id=case.id)
        self.done(
            _("Case slip {number} printing: the customer brings it back, the desk scans it.").format(number=case.number)
        )

    def save_letter(self, case: Case, customer: Customer) -> Path:
        referrals = self.ctx.reads.referrals_for_case(case.id)
        outcome = case.resolution or next((r.outcome for r in reversed(referrals) if r.outcome), "")
        if not outcome:
            raise CaseError(
                _("Case {number} has no outcome to write about yet.").format(number=case.number),
                _("Record the department's answer (Ctrl+O) or resolve the case (F7) first."),
            )
        events = events_text(self.ctx.reads.case_events(case.id), self.ctx.store.zone, self.ctx.store.locale)
        letter = outcome_letter(
            case,
            customer,
            self.ctx.store,
            outcome=outcome,
            signed_by=self.current_user().name,
            now=self.ctx.clock.now(),
            events=events,
            referrals=referrals,
        )
        path = documents_folder(self.ctx.data_dir) / f"letter-{case.number}.pdf"
        try:
            path.write_bytes(render_letter_pdf(letter))
        except OSError as exc:
            raise DeskError(
                _("The letter could not be saved ({reason}).").format(reason=exc.strerror), _("Check the disk.")
            ) from exc
        self.ctx.handle(record_letter, self.current_user(), case.id, "letter")
        self.refresh(case_id=case.id)
        return path

    def print_slip(self, doc: SlipDocument, reference: str) -> None:
        self.printing.print_bytes(
            render_slip(doc, self.printing.profile), kind="slip", reference=reference, copy_number=0
        )

    # -------------------------------------------------------------- lists
    def _queues(self) -> None:
        QueueDialog(self, self.ctx, self.current_user()).exec()
        if self.customer:
            self.refresh()

    def _follow_ups(self) -> None:
        FollowUpsDialog(self, self.ctx, self.current_user()).exec()
        if self.customer:
            self.refresh()

    def _report(self) -> None:
        dialog = AnalysisDialog(self, self.ctx)
        if dialog.exec() == AnalysisDialog.DialogCode.Accepted:
            self.done(_("Saved in the documents folder: {files}.").format(files=", ".join(dialog.saved)))

    # -------------------------------------------------------------- money
    def _adjust(self) -> None:
        dialog = AdjustDialog(self, self.ctx, self.current_user(), self.customer)
        if dialog.exec() != AdjustDialog.DialogCode.Accepted or dialog.recorded is None:
            return
        record = dialog.recorded
        given = cash_out(record.payment.parts)
        if given:  # the drawer's opening is due with the adjustment's commit
            self.desk_payment.committed(record.payment.number, Decimal(0), given)
        self.print_slip(adjustment_slip(record, self.ctx.store, self.current_user().name), record.number)
        said = describe_allocation(record.quote.allocation, self._money, record.voucher_code)
        self.refresh()
        self.done(
            _("{kind} {number} recorded: {said}.").format(kind=record.kind.label, number=record.number, said=said)
        )
