"""Referrals: a case handed to a department (warranty and repair, billing, the store
manager, online orders: HQ's list, pulled by the lane) with a priority and a due date.
HQ computes a due date of its own from the department's days and escalates an open
referral past it to the department's escalation target (hq/escalation.py); the lane
shows that in the department queues.

Each department works its queue (open referrals, most urgent and oldest due first),
writes notes, and answers with an outcome; the case comes back to the desk (status
open) and the desk tells the customer the outcome, by phone, e-mail, letter or in
person. Every step is a referral note row and a journal entry.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from counter.desk.cases import CaseError, CaseStatus, check_transition
from counter.desk.service import DeskConfig
from counter.i18n import N_, _
from counter.journal import EventType
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.store import StoreConfig


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        # Translators: a referral's priority
        return _({"low": N_("Low"), "normal": N_("Normal"), "high": N_("High"), "urgent": N_("Urgent")}[self.value])

    @property
    def rank(self) -> int:
        return ["urgent", "high", "normal", "low"].index(self.value)


class ReferralStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"  # the department gave its outcome; the customer is still to be told
    CLOSED = "closed"  # the customer was told

    @property
    def label(self) -> str:
        return _(
            {"open": N_("With the department"), "answered": N_("Answered"), "closed": N_("Customer told")}[self.value]
        )


#: how the customer was told (stored as it is; shown translated: ``_(how)``)
# Translators: how a customer was told an outcome: by phone, by e-mail, by letter, in person
TOLD_HOW = (N_("phone"), N_("e-mail"), N_("letter"), N_("in person"))


@dataclass(frozen=True)
class Referral:
    id: str
    case_id: str
    case_number: str
    department: str
    department_name: str
    priority: Priority
    due_on: date
    status: ReferralStatus
    referred_at: datetime
    referred_by: str
    note: str
    outcome: str = ""
    customer_name: str = ""
    #: HQ escalated it (past HQ's due date): the department it went to, by name ("" not)
    escalated_to: str = ""
    #: HQ's due date (from the department's days at HQ), when HQ escalated it
    hq_due_on: date | None = None
    #: how many days past HQ's due date it was when HQ escalated it
    days_overdue: int = 0
    #: the lane that holds the referral, when it is not this one (known here from HQ's
    #: escalation only; its notes and outcome are written at that lane)
    held_at: str = ""

    def overdue(self, today: date) -> bool:
        return self.status is ReferralStatus.OPEN and self.due_on < today


def refer_case(
    user: User,
    case_id: str,
    department: str,
    priority: Priority,
    due_on: date | None,
    note: str,
    *,
    config: DeskConfig,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
) -> Referral:
    if not user.can(Permission.SELL):
        raise CaseError(_("{name} may not refer cases.").format(name=user.name), "")
    dept = config.referable(department)  # unknown, or closed to referrals at HQ: refused here, in words
    note = note.strip()
    if not note:
        raise CaseError(_("Write what the department should do."), _("For example: “check the kettle's thermostat”."))
    with uow_factory() as uow:
        case = uow.cases.get(case_id)
        if case is None:
            raise CaseError(_("That case is no longer on file."), "")
        check_transition(case, CaseStatus.REFERRED)
        now = clock.now()
        today = now.astimezone(store.zone).date()
        due = due_on or today + timedelta(days=config.referral_days(dept))
        if due < today:
            raise CaseError(_("The due date is in the past."), _("Pick today or a later day."))
        referral = Referral(
            str(uuid.uuid4()),
            case.id,
            case.number,
            dept.code,
            dept.name,
            priority,
            due,
            ReferralStatus.OPEN,
            now,
            user.id,
            note,
        )
        # the referral, the case's new status and its event are this entry's projection
        text = f"to {dept.name}, {priority.value} priority, due {due.isoformat()}: {note}"  # stored: English
        uow.journal.append(
            EventType.CASE_REFERRED,
            {
                "referral_id": referral.id,
                "case_id": case.id,
                "case_number": case.number,
                "department": dept.code,
                "priority": str(priority),
                "due": due.isoformat(),
                "user": user.id,
                "department_name": dept.name,
                "from": str(case.status),
            },
            now,
            {"referrals": [{"note": note}], "case_events": [{"text": text}]},
        )
        uow.commit()
    return referral


def add_department_note(
    user: User,
    referral_id: str,
    note: str,
    *,
    outcome: bool,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> Referral:
    """A note from the department; with ``outcome`` it is the department's answer, and the
    case comes back to the desk (open) so the customer can be told."""
    note = note.strip()
    if not note:
        raise CaseError(_("Write the department's note."), "")
    with uow_factory() as uow:
        referral = uow.cases.get_referral(referral_id)
        if referral is None:
            raise CaseError(_("That referral is no longer on file."), "")
        if referral.status is not ReferralStatus.OPEN:
            raise CaseError(
                _("{department_name} has already answered case {case_number}.").format(
                    department_name=referral.department_name, case_number=referral.case_number
                ),
                _("Tell the customer the outcome, or refer the case again."),
            )
        now = clock.now()
        case = uow.cases.get(referral.case_id)
        assert case is not None
        # the note, the referral's answer, the case's status and its event are this entry's projection
        private = {
            "referral_notes": [{"text": note}],
            "referrals": [{"outcome": note}] if outcome else [],
            "case_events": [{"text": f"{referral.department_name}: {note}"}],
        }
        uow.journal.append(
            EventType.REFERRAL_ANSWERED if outcome else EventType.REFERRAL_NOTED,
            {
                "referral_id": referral_id,
                "case_id": case.id,
                "case_number": case.number,
                "department": referral.department,
                "user": user.id,
                "case_status": str(case.status),
            },
            now,
            private,
        )
        uow.commit()
    status = ReferralStatus.ANSWERED if outcome else referral.status
    return Referral(**{**referral.__dict__, "status": status, "outcome": note if outcome else referral.outcome})


def tell_customer(
    user: User,
    referral_id: str,
    how: str,
    what: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> None:
    """Record that the customer was told the department's outcome (and how)."""
    if how not in TOLD_HOW:
        raise CaseError(_("Say how the customer was told: {ways}.").format(ways=", ".join(_(h) for h in TOLD_HOW)), "")
    with uow_factory() as uow:
        referral = uow.cases.get_referral(referral_id)
        if referral is None:
            raise CaseError(_("That referral is no longer on file."), "")
        if referral.status is ReferralStatus.OPEN:
            raise CaseError(
                _("{department_name} has not answered yet.").format(department_name=referral.department_name),
                _("Add the department's outcome first (in the queue, or Ctrl+O here)."),
            )
        if referral.status is ReferralStatus.CLOSED:
            raise CaseError(_("The customer has already been told this outcome."), "")
        now = clock.now()
        text = what.strip() or referral.outcome
        told = {"text": f"by {how}: {text}"}  # the note, the referral closed and the event: the projection
        uow.journal.append(
            EventType.CUSTOMER_INFORMED,
            {
                "referral_id": referral_id,
                "case_id": referral.case_id,
                "case_number": referral.case_number,
                "how": how,
                "user": user.id,
            },
            now,
            {"referral_notes": [told], "case_events": [told]},
        )
        uow.commit()
