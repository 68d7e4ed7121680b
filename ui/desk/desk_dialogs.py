"""Dialogs of the service desk for customers and cases (GUI thread only).

Each dialog runs its command inside ``validate``: a refusal (a duplicate customer, an
invalid e-mail address, a case closed without a resolution, a department that does not
exist) is shown inside the dialog, which stays open with everything typed, so nothing is
lost; Enter accepts, Esc cancels.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QPlainTextEdit, QSpinBox, QWidget

from app.context import AppContext
from counter.desk.cases import (
    CATEGORIES,
    Case,
    CaseError,
    CaseStatus,
    ContactKind,
    ContactLogged,
    LinkedTransaction,
    LinkKind,
    LogContact,
    change_status,
    log_contact,
    set_follow_up,
)
from counter.desk.customers import (
    Address,
    ContactDetails,
    Customer,
    DuplicateCustomer,
    create_customer,
    format_phone,
    update_customer,
)
from counter.desk.referrals import TOLD_HOW, Priority, Referral, add_department_note, refer_case, tell_customer
from counter.i18n import _, in_sentence
from counter.people.users import User
from counter.returns.lookup import normalize_receipt_number
from ui.dialogs import CounterDialog
from ui.ops import describe


class DeskDialog(CounterDialog):
    """A CounterDialog whose unexpected failures are also shown inside it (logged by
    ``ui.ops.describe``): the dialog stays open with what was typed, nothing recorded."""

    def _try_accept(self) -> None:
        try:
            self.validate()
        except Exception as exc:  # every failure becomes a message, never a traceback
            self.show_error(describe(exc).text)
            return
        self.accept()


def _text_box(dialog: CounterDialog, label: str, placeholder: str, says: str, height: int = 70) -> QPlainTextEdit:
    """A text of a few lines; ``says``: its description for a screen reader."""
    box = QPlainTextEdit()
    box.setAccessibleDescription(says)
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(height)
    box.setTabChangesFocus(True)  # Tab moves on; Enter in the one-line fields accepts
    dialog.form.addRow(label, box)
    return box


def _combo(
    dialog: CounterDialog, label: str, items: list[tuple[str, object]], says: str, editable: bool = False
) -> QComboBox:
    """A choice; ``says``: its description for a screen reader."""
    combo = QComboBox()
    combo.setAccessibleDescription(says)
    combo.setMinimumHeight(40)
    combo.setEditable(editable)
    typed = combo.lineEdit()
    if typed is not None:  # editable: the field typed in is the combo's own, named and described too
        typed.setAccessibleName(label)
        typed.setAccessibleDescription(says)
    for text, data in items:
        combo.addItem(text, data)
    dialog.form.addRow(label, combo)
    return combo


class CustomerDialog(DeskDialog):
    """A new customer, or changes to one. A duplicate is offered: Enter then uses it."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, user: User, customer: Customer | None = None) -> None:
        title = _("Edit contact details") if customer else _("New customer")
        heading = _("{name}: contact details").format(name=customer.name) if customer else _("A new customer")
        super().__init__(parent, title, heading)
        self.ctx, self.user, self.editing = ctx, user, customer
        c = customer
        a = c.address if c and c.address else Address("")
        self.name = self.line_edit(_("Name"), c.name if c else "", _("first and last name"))
        self.phone = self.line_edit(_("Phone"), format_phone(c.phone) if c else "", "(217) 555-0142")
        self.email = self.line_edit(_("E-mail"), c.email if c else "", "name@example.com")
        self.consent = QCheckBox(_("Send receipts and letters by e-mail (the customer agrees)"))
        self.consent.setChecked(bool(c and c.email_consent))
        self.form.addRow("", self.consent)
        self.consent.setAccessibleDescription(
            _("Checked when the customer agrees to get receipts and letters by e-mail")
        )
        self.line1 = self.line_edit(_("Address"), a.line1, _("street and number"))
        self.line2 = self.line_edit("", a.line2, _("apartment, suite (optional)"))
        self.line2.setAccessibleName(_("Address, second line"))
        self.city = self.line_edit(_("City"), a.city, "")
        self.city.setAccessibleDescription(_("The town or city of the address"))
        # Translators: the state (region) of a postal address
        self.region = self.line_edit(_("State"), a.region, "IL")
        self.postal = self.line_edit(_("ZIP code"), a.postal_code, "62704")
        self.card = self.line_edit(_("Loyalty card"), c.loyalty_card if c else "", _("scan the card (optional)"))
        self.reason = self.line_edit(_("Why changed"), "", _("e.g. moved house")) if c else None
        self.recorded: Customer | None = None
        self.used_existing = False
        self._duplicate: Customer | None = None

    def _details(self) -> ContactDetails:
        address = None
        if any(e.text().strip() for e in (self.line1, self.line2, self.city, self.postal)):
            address = Address(
                self.line1.text(), self.line2.text(), self.city.text(), self.region.text(), self.postal.text(), "US"
            )
        return ContactDetails.checked(
            self.name.text(), self.phone.text(), self.email.text(), self.card.text(), self.consent.isChecked(), address
        )

    def validate(self) -> None:
        if self._duplicate is not None:  # the second Enter: use the customer already on file
            self.recorded, self.used_existing = self._duplicate, True
            return
        details = self._details()
        try:
            if self.editing is None:
                self.recorded = self.ctx.handle(create_customer, self.user, details)
            else:
                reason = self.reason.text() if self.reason else ""
                self.recorded = self.ctx.handle(update_customer, self.user, self.editing.id, details, reason)
        except DuplicateCustomer as dup:
            if self.editing is not None:
                raise
            self._duplicate = dup.existing
            self.ok_button.setText(_("Use {name}  (Enter)").format(name=dup.existing.name))
            raise

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        for edit in (self.name, self.phone, self.email):
            edit.textEdited.connect(self._forget_duplicate)

    def _forget_duplicate(self) -> None:
        """Editing the details again means: not that customer after all."""
        if self._duplicate is not None:
            self._duplicate = None
            self.ok_button.setText(_("OK  (Enter)"))


class ContactDialog(DeskDialog):
    """Log a contact: kind, category, the customer's words, what was done, linked transactions,
    and the case it belongs to: a new case unless the person picks one of the customer's
    open cases (a complaint never lands in an unrelated case by default)."""

    def __init__(
        self, parent: QWidget | None, ctx: AppContext, user: User, customer: Customer, open_cases: Sequence[Case]
    ) -> None:
        super().__init__(parent, _("Log contact"), _("Contact with {name}").format(name=customer.name))
        self.ctx, self.user, self.customer = ctx, user, customer
        # Translators: the kind of contact with a customer (visit, call, e-mail…)
        self.kind = _combo(self, _("Kind"), [(k.label, k) for k in ContactKind], _("What the customer came for"))
        self.category = _combo(
            self, _("Category"), [(_(c), c) for c in CATEGORIES], _("What it is about, for the desk's reports")
        )
        says = _("What the customer says, in their own words; Tab moves on")
        self.words = _text_box(self, _("Customer says"), _("in the customer's own words"), says)
        done = _("What you did or promised so far; Tab moves on")
        self.done_so_far = _text_box(self, _("Done so far"), _("what you did or promised"), done, 56)
        self.links = self.line_edit(_("About"), "", _("receipt, return or order numbers, e.g. S01-T01-000123"))
        choices: list[tuple[str, object]] = [(_("A new case"), None)]
        choices += [(_case_choice(c), c) for c in open_cases if c.status.is_active]
        self.case_pick = _combo(self, _("Case"), choices, _("A new case, or the customer's open case to add this to"))
        self.case_pick.setCurrentIndex(0)
        self.case_pick.setEnabled(len(choices) > 1)
        self.follow_up = QSpinBox()
        self.follow_up.setRange(0, 60)
        self.follow_up.setSuffix(_(" days (0 = no follow-up)"))
        self.form.addRow(_("Follow up in"), self.follow_up)
        self.follow_up.setAccessibleDescription(_("In how many days to call the customer back; 0: no call"))
        self.first_field = None
        self.recorded: ContactLogged | None = None
        self.setMinimumWidth(620)

    @property
    def case(self) -> Case | None:
        """The open case this contact is added to; None: it opens a new one."""
        picked = self.case_pick.currentData()
        return picked if isinstance(picked, Case) else None

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        self.words.setFocus()

    def validate(self) -> None:
        links = tuple(_link(n) for n in self.links.text().replace(";", ",").split(",") if n.strip())
        follow = self.follow_up.value()
        today = self.ctx.clock.now().astimezone(self.ctx.store.zone).date()
        cmd = LogContact(
            self.customer.id,
            ContactKind(self.kind.currentData()),
            self.category.currentData(),
            self.words.toPlainText(),
            self.done_so_far.toPlainText(),
            links,
            self.case.id if self.case else None,
            today + timedelta(days=follow) if follow else None,
        )
        self.recorded = self.ctx.handle(log_contact, self.user, cmd)


def _case_choice(case: Case) -> str:
    subject = case.subject if len(case.subject) <= 48 else case.subject[:47].rstrip() + "…"
    return _("Add to {number}: “{subject}” ({status})").format(
        number=case.number, subject=subject, status=in_sentence(case.status.label)
    )


def _link(text: str) -> LinkedTransaction:
    number = normalize_receipt_number(text)
    parts = number.split("-")
    tail = parts[-1] if parts else ""
    kind = {
        "R": LinkKind.RETURN,
        "A": LinkKind.ADJUSTMENT,
        "L": LinkKind.ORDER,
        "P": LinkKind.PAYMENT,
    }.get(tail[:1], LinkKind.SALE)
    if tail[:1].isalpha() and kind is LinkKind.SALE:
        raise CaseError(
            _("“{number}” is not a receipt, return, order or payment number.").format(number=text.strip()), ""
        )
    return LinkedTransaction(kind, number)


class ReferralDialog(DeskDialog):
    """Refer the case to a department, with a priority and a due date."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, user: User, case: Case) -> None:
        super().__init__(parent, _("Refer"), _("Refer case {number} to a department").format(number=case.number))
        self.ctx, self.user, self.case = ctx, user, case
        cfg = ctx.reads.desk_config()
        self.open_departments = [d for d in cfg.departments if d.active]  # HQ's closed ones take no referrals
        self.department = _combo(
            self,
            _("Department"),
            [(d.name, d.code) for d in self.open_departments],
            _("The department that takes the case over; type to find one"),
            editable=True,
        )
        self.priority = _combo(
            self, _("Priority"), [(p.label, p) for p in Priority], _("How soon the department must answer")
        )
        self.priority.setCurrentIndex(list(Priority).index(Priority.NORMAL))
        self.days = QSpinBox()
        self.days.setRange(0, 365)
        # Translators: after a number of days in a spin box ("30 days"), with its leading space
        self.days.setSuffix(_(" days"))
        self.form.addRow(_("Due in"), self.days)
        self.days.setAccessibleDescription(_("The days the department has to answer"))
        # each department's own days (HQ's), the desk's rule for one without
        self._days_of = {d.code: cfg.referral_days(d) for d in self.open_departments}
        self.days.setValue(self._days_of.get(self.department.currentData(), cfg.rules.referral_days))
        self.department.currentIndexChanged.connect(self._department_days)
        self.note = self.line_edit(_("For them"), "", _("what the department should do"))
        self.recorded: Referral | None = None

    def _department_days(self, _index: int) -> None:
        days = self._days_of.get(self.department.currentData())
        if days is not None:
            self.days.setValue(days)

    def validate(self) -> None:
        typed = self.department.currentText()
        code = (
            self.department.currentData()
            if typed == self.department.itemText(self.department.currentIndex())
            else typed
        )
        today = self.ctx.clock.now().astimezone(self.ctx.store.zone).date()
        self.recorded = self.ctx.handle(
            refer_case,
            self.user,
            self.case.id,
            str(code or typed),
            Priority(self.priority.currentData()),
            today + timedelta(days=self.days.value()),
            self.note.text(),
            config=self.ctx.reads.desk_config(),
        )


STATUS_KEYS = {"w": CaseStatus.WAITING, "o": CaseStatus.OPEN, "r": CaseStatus.RESOLVED, "c": CaseStatus.CLOSED}


class StatusDialog(DeskDialog):
    """W waiting on customer, O open (or reopen), R resolved (with its note), C closed."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, user: User, case: Case) -> None:
        super().__init__(
            parent,
            _("Case status"),
            _("Case {number} is {status}").format(number=case.number, status=in_sentence(case.status.label)),
        )
        self.ctx, self.user, self.case = ctx, user, case
        # Translators: the letters W, O, R, C are the keys that pick each status; keep them
        self.status = _combo(
            self,
            _("New status"),
            [
                (_("W  Waiting on customer"), CaseStatus.WAITING),
                (_("O  Open (reopen)"), CaseStatus.OPEN),
                (_("R  Resolved: write what was done"), CaseStatus.RESOLVED),
                (_("C  Closed (only once resolved)"), CaseStatus.CLOSED),
            ],
            _("The case's new status: its letter key picks it"),
        )
        default = CaseStatus.CLOSED if case.status is CaseStatus.RESOLVED else CaseStatus.RESOLVED
        self.status.setCurrentIndex(self.status.findData(default))
        self.note = self.line_edit(_("Note"), "", _("the resolution, or why it is reopened"))
        hint = QLabel(_("A case is resolved only with a resolution note; reopening keeps its whole history."))
        hint.setObjectName("dialogHint")
        self.form.addRow("", hint)
        self.recorded: Case | None = None

    def choose(self, status: CaseStatus) -> None:
        self.status.setCurrentIndex(self.status.findData(status))

    def validate(self) -> None:
        self.recorded = self.ctx.handle(
            change_status, self.user, self.case.id, CaseStatus(self.status.currentData()), self.note.text()
        )


class DepartmentNoteDialog(DeskDialog):
    """A department's note on a referral; ticked, it is the department's outcome."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, user: User, referral: Referral) -> None:
        heading = _("{department}: case {number}").format(
            department=referral.department_name, number=referral.case_number
        )
        super().__init__(parent, _("Department note"), f"{heading}\n{referral.note}")
        self.ctx, self.user, self.referral = ctx, user, referral
        self.note = self.line_edit(_("Note"), "", _("what the department found or did"))
        self.outcome = QCheckBox(_("This is the department's answer (the outcome to tell the customer)"))
        self.form.addRow("", self.outcome)
        self.outcome.setAccessibleDescription(_("Checked when this note is the answer the customer is to be told"))
        self.recorded: Referral | None = None

    def validate(self) -> None:
        self.recorded = self.ctx.handle(
            add_department_note, self.user, self.referral.id, self.note.text(), outcome=self.outcome.isChecked()
        )


class TellDialog(DeskDialog):
    """Record that the customer was told the department's outcome, and how."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, user: User, referral: Referral) -> None:
        heading = _("Outcome from {department}:").format(department=referral.department_name)
        super().__init__(parent, _("Tell the customer"), f"{heading}\n{referral.outcome}")
        self.ctx, self.user, self.referral = ctx, user, referral
        self.how = _combo(self, _("Told by"), [(_(h), h) for h in TOLD_HOW], _("How the customer was told"))
        self.what = self.line_edit(_("What was said"), "", _("(Enter = the outcome as written)"))

    def validate(self) -> None:
        self.ctx.handle(tell_customer, self.user, self.referral.id, self.how.currentData(), self.what.text())


class FollowUpDoneDialog(DeskDialog):
    """The follow-up call: were the changes made?"""

    def __init__(self, parent: QWidget | None, ctx: AppContext, user: User, case: Case) -> None:
        note = case.follow_up_note or _("were the changes made?")
        heading = _("Case {number}: {note}").format(number=case.number, note=note)
        super().__init__(parent, _("Follow-up"), heading)
        self.ctx, self.user, self.case = ctx, user, case
        self.note = self.line_edit(_("Found"), "", _("e.g. customer confirms the refund arrived"))
        self.again = QSpinBox()
        self.again.setRange(0, 60)
        self.again.setSuffix(_(" days (0 = done)"))
        self.form.addRow(_("Call again in"), self.again)
        self.again.setAccessibleDescription(_("In how many days to call again; 0: the case needs no more calls"))

    def validate(self) -> None:
        days = self.again.value()
        again = self.ctx.clock.now().astimezone(self.ctx.store.zone).date() + timedelta(days=days) if days else None
        self.ctx.handle(set_follow_up, self.user, self.case.id, again, self.note.text())
