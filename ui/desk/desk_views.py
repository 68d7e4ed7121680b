"""Lists of the service desk (GUI thread only): a department's queue, the follow-ups due,
and the returns and complaints analysis with its PDF and CSV."""

from __future__ import annotations

import html
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.context import AppContext
from app.reactions import documents_folder
from counter.desk.analysis import TABLES, Analysis, analyse, return_to_vendor, to_csv
from counter.desk.cases import Case
from counter.desk.customers import CustomerSummary
from counter.desk.payments import PURPOSE_LABELS
from counter.desk.referrals import Referral, ReferralStatus
from counter.i18n import N_, _, in_sentence, ngettext
from counter.people.users import User
from devices.letters import render_analysis_pdf, render_vendor_pdf
from ui.columns import Column, ColumnFit, LineDetail
from ui.desk.desk_dialogs import DepartmentNoteDialog, DeskDialog, FollowUpDoneDialog
from ui.dialogs import CounterDialog
from ui.fit import shorten, wrap_items

#: the service desk's field and lists: accessible name and description (ui.desk.service_desk)
DESK_CONTROLS = {
    "input": (
        N_("Find a customer"),
        N_("Type a customer's name, phone, e-mail or card, or scan a receipt, then Enter finds them"),
    ),
    "results": (N_("Customers found"), N_("Pick a customer with the Up and Down keys; Enter opens them")),
    "history": (
        N_("Purchases, returns and payments"),
        N_("The customer's purchases, returns and payments, newest first"),
    ),
    "case_list": (N_("Cases"), N_("The customer's cases; the Up and Down keys pick one and show it below")),
}


class QueueDialog(CounterDialog):
    """A department's queue: ←/→ (or the list) picks the department, Enter on a referral
    writes the department's note or outcome."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, user: User) -> None:
        super().__init__(parent, _("Department queues"), _("Referrals waiting on each department"))
        self.ctx, self.user = ctx, user
        self.department = QComboBox()
        self.department.setMinimumHeight(40)
        for d in ctx.reads.desk_config().departments:  # a closed one's queue is still worked off
            shown = d.name if d.active else _("{department} (closed to new referrals)").format(department=d.name)
            self.department.addItem(shown, d.code)
        self.department.currentIndexChanged.connect(lambda _i: self.reload())
        self.form.addRow(_("Department"), self.department)
        self.department.setAccessibleDescription(_("The department whose queue shows below; Left and Right pick one"))
        self.list = QListWidget()
        self.list.setMinimumHeight(340)
        self.list.setAccessibleName(_("Referrals waiting"))
        self.list.setAccessibleDescription(_("Up and Down pick a referral; Enter writes the department's note"))
        wrap_items(self.list)  # a long note wraps, never cut
        # Enter reaches the default button (_try_accept); a list's activation on Enter is
        # ignored and passed on to the dialog, so connecting it too ran the action twice.
        self.list.itemDoubleClicked.connect(lambda _i: self._note())
        self.form.addRow(self.list)
        self.ok_button.setText(_("Note / outcome  (Enter)"))
        self.cancel_button.setText(_("Close  (Esc)"))
        self.setMinimumWidth(860)
        self.reload()

    def select_department(self, code: str) -> None:
        self.department.setCurrentIndex(self.department.findData(code))

    def reload(self) -> None:
        self.list.clear()
        today = self.ctx.clock.now().astimezone(self.ctx.store.zone).date()
        code = self.department.currentData() or ""
        for r in self.ctx.reads.department_queue(code):
            # Translators: a referral's priority and due date in a department's queue
            when = _("{priority} due {due}").format(priority=f"{r.priority.label:<7}", due=r.due_on.isoformat())
            late = "  " + _("OVERDUE") if r.overdue(today) else ""
            state = "" if r.status is ReferralStatus.OPEN else f"  [{r.status.label}]"
            note = shorten(r.note, 90) if r.note else _("(note at {lane})").format(lane=r.held_at)
            item = QListWidgetItem(
                f"{_escalation(r, code)}{when}{late}  {r.case_number}  {r.customer_name}: {note}{state}"
            )
            item.setData(Qt.ItemDataRole.UserRole, r)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.list.addItem(_("Nothing is waiting on this department."))

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)  # type: ignore[arg-type]
        self.list.setFocus()

    def _note(self) -> None:
        item = self.list.currentItem()
        referral: Referral | None = item.data(Qt.ItemDataRole.UserRole) if item else None
        if referral is None or referral.status is not ReferralStatus.OPEN:
            self.show_error(_("Pick a referral still with the department."))
            return
        if referral.held_at:
            self.show_error(
                _(
                    "Case {number} was referred at lane {lane}, which holds it: "
                    "write {department}'s note or outcome there."
                ).format(number=referral.case_number, lane=referral.held_at, department=referral.department_name)
            )
            return
        DepartmentNoteDialog(self, self.ctx, self.user, referral).exec()
        self.reload()

    def validate(self) -> None:
        self._note()
        raise _Stay()

    def _try_accept(self) -> None:
        try:
            self.validate()
        except _Stay:
            return


def _escalation(r: Referral, department: str) -> str:
    """What HQ's escalation says, at the head of a queue line ("" none)."""
    if not r.escalated_to:
        return ""
    days = ngettext("{n} day past HQ's due {due}", "{n} days past HQ's due {due}", r.days_overdue).format(
        n=r.days_overdue, due=r.hq_due_on
    )
    if r.department == department:
        return _("ESCALATED to {department} ({days})").format(department=r.escalated_to, days=days) + "  "
    return _("ESCALATED from {department} ({days})").format(department=r.department_name, days=days) + "  "


class _Stay(Exception):
    """Internal: the list stays open after an action."""


class FollowUpsDialog(CounterDialog):
    """Cases whose follow-up is due (today or earlier): Enter records the call."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, user: User) -> None:
        super().__init__(parent, _("Follow-ups due"), _("Were the changes made? Call these customers"))
        self.ctx, self.user = ctx, user
        self.list = QListWidget()
        self.list.setMinimumHeight(320)
        self.list.setAccessibleName(_("Follow-ups due"))
        self.list.setAccessibleDescription(_("Up and Down pick a case; Enter records the call"))
        wrap_items(self.list)
        self.list.itemDoubleClicked.connect(lambda _i: self._done())  # Enter: the default button
        self.form.addRow(self.list)
        self.ok_button.setText(_("Record the call  (Enter)"))
        self.cancel_button.setText(_("Close  (Esc)"))
        self.setMinimumWidth(820)
        self.reload()

    def reload(self) -> None:
        from counter.desk.customers import format_phone

        self.list.clear()
        today = self.ctx.clock.now().astimezone(self.ctx.store.zone).date()
        for due in self.ctx.reads.follow_ups_due(today):
            c = due.case
            item = QListWidgetItem(
                f"{c.follow_up_on}  {c.number}  {due.customer_name}  {format_phone(due.phone)}  "
                f"[{c.status.label}]  {c.follow_up_note}"
            )
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.list.addItem(_("No follow-up is due."))

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)  # type: ignore[arg-type]
        self.list.setFocus()

    def _done(self) -> None:
        item = self.list.currentItem()
        case_id = item.data(Qt.ItemDataRole.UserRole) if item else None
        case = self.ctx.reads.get_case(case_id) if case_id else None
        if case is None:
            return
        FollowUpDoneDialog(self, self.ctx, self.user, case).exec()
        self.reload()

    def _try_accept(self) -> None:
        self._done()


class AnalysisDialog(DeskDialog):
    """Returns and complaints by item, category, reason, condition and where the units went
    over the last N days; Enter saves the PDF and the CSV, V the return-to-vendor list (in
    the store's documents folder)."""

    def __init__(self, parent: QWidget | None, ctx: AppContext) -> None:
        super().__init__(parent, _("Returns and complaints"), _("Returns and complaints"))
        self.ctx = ctx
        self.days = QSpinBox()
        self.days.setRange(1, 3650)
        self.days.setValue(30)
        # Translators: after a number of days in a spin box ("30 days"), with its leading space
        self.days.setSuffix(_(" days"))
        self.days.valueChanged.connect(lambda _v: self.reload())
        self.form.addRow(_("Over the last"), self.days)
        self.days.setAccessibleDescription(_("How many days back the report counts"))
        self.table_pick = QComboBox()
        self.table_pick.setMinimumHeight(36)
        for attr, title in TABLES:
            self.table_pick.addItem(_(title), attr)
        self.table_pick.currentIndexChanged.connect(lambda _i: self._fill())
        # Translators: which table of the returns analysis is shown
        self.form.addRow(_("Show"), self.table_pick)
        self.table_pick.setAccessibleDescription(_("Counts the returns by item, category or reason"))
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.form.addRow(self.summary)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["", _("Units back"), _("Refunded"), _("Complaints")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setMinimumHeight(330)
        self.table.setAccessibleName(_("Returns and complaints"))
        self.table.setAccessibleDescription(_("Units back, money refunded and complaints, per line"))
        money = ctx.store.currency.format(Decimal("99999.99"), ctx.store.locale)
        columns = [Column(1, "9999"), Column(2, money), Column(3, "9999")]
        self.columns = ColumnFit(self.table, 0, columns)  # the item, category or reason takes the rest
        self.form.addRow(self.table)
        self.form.addRow(LineDetail(self.columns))  # the picked line in full
        self.vendor_button = QPushButton(_("Return-to-vendor list  (V)"))
        self.vendor_button.setAutoDefault(False)
        self.vendor_button.clicked.connect(self.save_vendor_list)
        self.vendor_button.setAccessibleDescription(_("Saves the list of items to send back to their vendors (V)"))
        self.form.addRow(self.vendor_button)
        self.ok_button.setText(_("Save PDF and CSV  (Enter)"))
        self.cancel_button.setText(_("Close  (Esc)"))
        self.setMinimumWidth(900)
        self.saved: list[str] = []
        self.vendor_saved: Path | None = None
        self.reload()

    def reload(self) -> None:
        zone = self.ctx.store.zone
        today = self.ctx.clock.now().astimezone(zone).date()
        since_day = today - timedelta(days=self.days.value() - 1)
        since = datetime.combine(since_day, time(0), zone)
        until = datetime.combine(today + timedelta(days=1), time(0), zone)
        returns, contacts = self.ctx.reads.analysis_rows(since, until, self.ctx.store.currency)
        self.analysis: Analysis = analyse(returns, contacts, since_day, today)
        self.vendor_items = return_to_vendor(returns)
        a, money = self.analysis, self._money
        self.summary.setText(
            _(
                "{since} to {until}: {units} units returned, {refunded} refunded; "
                "{contacts} contacts logged, {complaints} of them complaints."
            ).format(
                since=a.since,
                until=a.until,
                units=a.units,
                refunded=money(a.refunded),
                contacts=a.contacts,
                complaints=a.complaints,
            )
        )
        self._fill()

    def _money(self, amount: object) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)  # type: ignore[arg-type]

    def _fill(self) -> None:
        buckets = self.analysis.top(self.table_pick.currentData(), 50)
        self.table.setRowCount(len(buckets))
        self.table.setHorizontalHeaderItem(0, QTableWidgetItem(self.table_pick.currentText()))
        for row, b in enumerate(buckets):
            for col, text in enumerate((b.label, str(b.units), self._money(b.refunded), str(b.complaints))):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text if col == 0 else "")
                if col:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, cell)

    def save_vendor_list(self) -> None:
        """The return-to-vendor list of the period, as a PDF in the documents folder."""
        a, store = self.analysis, self.ctx.store
        folder = documents_folder(self.ctx.data_dir)
        path = folder / f"return-to-vendor-{a.since}-{a.until}.pdf"
        path.write_bytes(
            render_vendor_pdf(self.vendor_items, a.since, a.until, store.header, store.currency, store.locale)
        )
        units = sum(i.units for i in self.vendor_items)
        self.summary.setText(
            _("Saved {file} in the documents folder: {units} units of {items} items go back to their vendors.").format(
                file=path.name, units=units, items=len(self.vendor_items)
            )
            if self.vendor_items
            else _(
                "Saved {file} in the documents folder: nothing returned in this period goes back to a vendor."
            ).format(file=path.name)
        )

        self.vendor_saved = path

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        if event.key() == Qt.Key.Key_V and not event.modifiers():
            self.save_vendor_list()
            return
        if event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = 1 if event.key() == Qt.Key.Key_Right else -1
            self.table_pick.setCurrentIndex((self.table_pick.currentIndex() + step) % self.table_pick.count())
            return
        super().keyPressEvent(event)

    def validate(self) -> None:
        a = self.analysis
        folder = documents_folder(self.ctx.data_dir)
        stem = f"returns-and-complaints-{a.since}-{a.until}"
        pdf = folder / f"{stem}.pdf"
        csv_path = folder / f"{stem}.csv"
        pdf.write_bytes(render_analysis_pdf(a, self.ctx.store.header, self.ctx.store.currency, self.ctx.store.locale))
        csv_path.write_text(to_csv(a), encoding="utf-8")
        self.saved = [pdf.name, csv_path.name]


def case_head(ctx: AppContext, case: Case) -> list[str]:
    """The case's heading lines (HTML) on the service desk: number, status, what it is about,
    its referrals, follow-up and resolution."""
    esc = html.escape
    head = [
        _("<b style='font-size:18px'>Case {number}</b> &nbsp; <b>{status}</b>").format(
            number=case.number, status=case.status.label
        ),
        f"{case.kind.label} · {esc(case.category)}",
    ]
    links = ctx.reads.case_links(case.id)
    if links:
        head.append(_("About: {links}").format(links=", ".join(f"{k} {n}" for k, n in links)))
    for r in ctx.reads.referrals_for_case(case.id):
        line = (
            _("<b>{department}</b>: {status}, {priority} priority, due {due} — outcome: {outcome}")
            if r.outcome
            else _("<b>{department}</b>: {status}, {priority} priority, due {due}")
        )
        head.append(
            line.format(
                department=esc(r.department_name),
                status=in_sentence(r.status.label),
                priority=in_sentence(r.priority.label),
                due=r.due_on.isoformat(),
                outcome=esc(r.outcome),
            )
        )
    if case.follow_up_on:
        head.append(
            _("Follow-up due {due}: {note}").format(due=case.follow_up_on.isoformat(), note=esc(case.follow_up_note))
        )
    if case.resolution:
        head.append(_("Resolution: {resolution}").format(resolution=esc(case.resolution)))
    return head


def money_lines(ctx: AppContext, customer_id: str, summary: CustomerSummary) -> list[str]:
    """The customer's money on the service desk (HTML lines): store credit, house account,
    open orders and the count of open cases."""

    def shown(amount: Decimal) -> str:
        return ctx.store.currency.format(amount, ctx.store.locale)

    money = [_("<b>Store credit</b>: {amount}").format(amount=shown(summary.store_credit))]
    if summary.account_owed is not None:
        money.append(
            _("<b>House account</b>: owes {owed} of a {limit} limit").format(
                owed=shown(summary.account_owed), limit=shown(summary.account_limit)
            )
        )
    else:
        money.append(_("<b>House account</b>: none"))
    for o in ctx.reads.orders_for(customer_id, open_only=True):
        money.append(
            _("<b>{kind} {number}</b>: {balance} owed of {total}, collect by {due}").format(
                kind=o.kind.label,
                number=o.number,
                balance=shown(o.balance),
                total=shown(o.total),
                due=o.terms.due_on.isoformat(),
            )
        )
    money.append(_("Open cases: {count}").format(count=summary.open_cases))
    return money


#: a line of the customer's history, by its kind (purchases, returns, desk payments)
HISTORY_KINDS = {
    "purchase": N_("purchase"),
    "return": N_("return"),
    **{str(p): label for p, label in PURPOSE_LABELS.items()},
}


def history_kind(kind: str) -> str:
    return _(HISTORY_KINDS[kind]) if kind in HISTORY_KINDS else kind.replace("_", " ")
