"""The contact log and cases: every contact with a customer, grouped into cases that move
through a small set of statuses, each step kept.

A contact (inquiry, complaint, comment, request) says who handled it and when, the
customer's own words, what was done, and which transactions it is about (a sale, a
return, a refund, an adjustment). A case opens with its first contact and moves:

    open ⇄ waiting on customer, open → referred (→ open when the department answers),
    open/waiting/referred → resolved (only with a resolution note) → closed,
    resolved/closed → open again (reopened, with a reason).

Each step is a case event row (never updated) and a journal entry, so reopening keeps the
whole history. A follow-up date puts the case on the due list ("were the changes made?").
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from counter.dates import show_day
from counter.desk.service import DeskError
from counter.i18n import N_, _, in_sentence
from counter.journal import EventType
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.store import StoreConfig, TerminalIdentity


class CaseError(DeskError):
    """A case step that cannot be taken as asked."""


class ContactKind(enum.StrEnum):
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    COMMENT = "comment"
    REQUEST = "request"

    @property
    def label(self) -> str:
        return _(_CONTACT_LABELS[self.value])


_CONTACT_LABELS = {
    "inquiry": N_("Inquiry"),
    "complaint": N_("Complaint"),
    "comment": N_("Comment"),
    "request": N_("Request"),
}

#: A case's category is stored in English (the journal and HQ's analysis group by it);
#: where it is shown, it is translated: ``_(case.category)``.
CATEGORIES = (
    N_("Product quality"),
    N_("Billing and price"),
    N_("Service at the store"),
    N_("Delivery and installation"),
    N_("Warranty and repair"),
    N_("Online order"),
    N_("Returns and refunds"),
    # Translators: a case's category
    N_("Other"),
)


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    WAITING = "waiting"
    REFERRED = "referred"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _(_STATUS_LABELS[self.value])

    @property
    def is_active(self) -> bool:
        return self in (CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.REFERRED)


_STATUS_LABELS = {
    # Translators: a case's status
    "open": N_("Open"),
    "waiting": N_("Waiting on customer"),
    # Translators: a case's status: sent to a department
    "referred": N_("Referred"),
    # Translators: a case's status
    "resolved": N_("Resolved"),
    # Translators: a case's status
    "closed": N_("Closed"),
}


class LinkKind(enum.StrEnum):
    SALE = "sale"
    RETURN = "return"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    ORDER = "order"
    PAYMENT = "payment"


@dataclass(frozen=True)
class LinkedTransaction:
    kind: LinkKind
    number: str  # receipt, return, adjustment, order or payment number

    @property
    def label(self) -> str:
        return f"{self.kind.value} {self.number}"


@dataclass(frozen=True)
class Case:
    id: str
    number: str
    customer_id: str
    kind: ContactKind
    category: str
    subject: str
    status: CaseStatus
    opened_at: datetime
    opened_by: str
    follow_up_on: date | None = None
    follow_up_note: str = ""
    resolution: str = ""


@dataclass(frozen=True)
class CaseEvent:
    at: datetime
    user_name: str
    event: str  # opened, contact, status, referred, department_note, answered, told, resolved, closed, ...
    text: str
    status_to: str = ""


@dataclass(frozen=True)
class LogContact:
    customer_id: str
    kind: ContactKind
    category: str
    words: str  # what the customer said, in their words
    actions: str  # what the desk did
    links: tuple[LinkedTransaction, ...] = ()
    case_id: str | None = None  # None opens a new case
    follow_up_on: date | None = None


@dataclass(frozen=True)
class ContactLogged:
    case: Case
    contact_id: str
    new_case: bool


ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.WAITING, CaseStatus.REFERRED, CaseStatus.RESOLVED}),
    CaseStatus.WAITING: frozenset({CaseStatus.OPEN, CaseStatus.REFERRED, CaseStatus.RESOLVED}),
    CaseStatus.REFERRED: frozenset({CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.RESOLVED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.OPEN}),
    CaseStatus.CLOSED: frozenset({CaseStatus.OPEN}),
}


def check_transition(case: Case, to: CaseStatus) -> None:
    if to is CaseStatus.CLOSED and case.status is not CaseStatus.RESOLVED:
        raise CaseError(
            _("Case {number} has no resolution yet, so it cannot be closed.").format(number=case.number),
            _("Resolve it first with a note of what was done (F7, then R)."),
        )
    if to not in ALLOWED[case.status]:
        raise CaseError(
            _("Case {number} is {status}; it cannot become {new_status}.").format(
                number=case.number, status=in_sentence(case.status.label), new_status=in_sentence(to.label)
            ),
            "",
        )


def _may_serve(user: User) -> None:
    if not user.can(Permission.SELL):
        raise CaseError(_("{name} may not log contacts.").format(name=user.name), _("Sign in as a cashier."))


def _text(value: str, what: tuple[str, str], hint: str) -> str:
    """``value`` stripped; ``what``: the messages (marked N_) when it is empty and when it is too long."""
    value = value.strip()
    if not value:
        raise CaseError(_(what[0]), _(hint))
    if len(value) > 4000:
        raise CaseError(_(what[1]), _("Shorten it."))
    return value


def log_contact(
    user: User,
    cmd: LogContact,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    terminal: TerminalIdentity,
) -> ContactLogged:
    """Log one contact, on a new case or on an open one."""
    _may_serve(user)
    words = _text(
        cmd.words,
        (N_("Write what the customer said."), N_("What the customer said is longer than 4,000 characters.")),
        N_("In their own words, as near as you can."),
    )
    actions = cmd.actions.strip()
    if cmd.category not in CATEGORIES:
        raise CaseError(_("Pick a category from the list."), "")
    with uow_factory() as uow:
        now = clock.now()
        if uow.customers.get(cmd.customer_id) is None:
            raise CaseError(_("That customer is no longer on file."), _("Look the customer up again."))
        for link in cmd.links:
            if not uow.cases.transaction_exists(link.kind, link.number):
                raise CaseError(
                    _("No {value} has the number {number}.").format(value=link.kind.value, number=link.number),
                    _("Check the number on the receipt, or leave the link out."),
                )
        new_case = cmd.case_id is None
        if cmd.case_id is None:
            case = Case(
                str(uuid.uuid4()),
                uow.cases.next_number(terminal),
                cmd.customer_id,
                cmd.kind,
                cmd.category,
                words.splitlines()[0][:120],
                CaseStatus.OPEN,
                now,
                user.id,
                cmd.follow_up_on,
                "Were the changes made?" if cmd.follow_up_on else "",
            )
        else:
            found = uow.cases.get(cmd.case_id)
            if found is None:
                raise CaseError(_("That case is no longer on file."), "")
            case = found
            if case.customer_id != cmd.customer_id:
                raise CaseError(_("Case {number} belongs to another customer.").format(number=case.number), "")
            if not case.status.is_active:
                raise CaseError(
                    _("Case {number} is {label}.").format(number=case.number, label=in_sentence(case.status.label)),
                    _("Reopen it first (F7), or log the contact on a new case."),
                )
        contact_id = str(uuid.uuid4())
        # The case, the contact, its links and the case events are this entry's projection
        # (counter.projection.cases); the customer's words and the actions stay off the journal.
        # the event's text is stored: the contact's kind in English, never translated
        events = [{"text": f"{cmd.kind.value.capitalize()}: {words}"}] + ([{"text": actions}] if actions else [])
        private = {
            "cases": [{"subject": case.subject}] if new_case else [],
            "contacts": [{"words": words, "actions": actions}],
            "case_events": events,
        }
        uow.journal.append(
            EventType.CONTACT_LOGGED,
            {
                "contact_id": contact_id,
                "case_id": case.id,
                "case_number": case.number,
                "new_case": new_case,
                "customer_id": cmd.customer_id,
                "kind": str(cmd.kind),
                "category": cmd.category,
                "links": [{"kind": str(ln.kind), "number": ln.number} for ln in cmd.links],
                "handled_by": user.id,
                "follow_up_on": case.follow_up_on.isoformat() if new_case and case.follow_up_on else None,
                "has_actions": bool(actions),
            },
            now,
            private,
        )
        uow.commit()
    return ContactLogged(case, contact_id, new_case)


def _load(uow: UnitOfWork, case_id: str) -> Case:
    case = uow.cases.get(case_id)
    if case is None:
        raise CaseError(_("That case is no longer on file."), "")
    return case


def change_status(
    user: User,
    case_id: str,
    to: CaseStatus,
    note: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> Case:
    """Waiting on customer, back to open, resolved (with its note), closed, or reopened."""
    _may_serve(user)
    if to is CaseStatus.RESOLVED:
        note = _text(
            note,
            (
                N_("Write the resolution: a case is resolved only with a note of what was done."),
                N_(
                    "The resolution: a case is resolved only with a note of what was done "
                    "is longer than 4,000 characters."
                ),
            ),
            N_("For example: “Replaced under warranty; customer collected it on Friday.”"),
        )
    if to is CaseStatus.REFERRED:
        raise CaseError(_("A case is referred through a referral to a department."), _("Press F6."))
    with uow_factory() as uow:
        case = _load(uow, case_id)
        reopen = to is CaseStatus.OPEN and not case.status.is_active
        if reopen:
            note = _text(
                note,
                (
                    N_("Write why the case is reopened."),
                    N_("Why the case is reopened is longer than 4,000 characters."),
                ),
                N_("For example: “the repair did not hold”."),
            )
        check_transition(case, to)
        now = clock.now()
        resolution = note if to is CaseStatus.RESOLVED else ("" if reopen else case.resolution)
        event = {CaseStatus.RESOLVED: "resolved", CaseStatus.CLOSED: "closed"}.get(
            to, "reopened" if reopen else "status"
        )
        journal_type = {
            "resolved": EventType.CASE_RESOLVED,
            "closed": EventType.CASE_CLOSED,
            "reopened": EventType.CASE_REOPENED,
        }.get(event, EventType.CASE_STATUS_CHANGED)
        uow.journal.append(
            journal_type,
            {
                "case_id": case_id,
                "case_number": case.number,
                "from": str(case.status),
                "to": str(to),
                "user": user.id,
                "has_note": bool(note.strip()),
            },
            now,
            {
                "cases": [{"resolution": resolution}] if to is CaseStatus.RESOLVED else [],
                "case_events": [{"text": note.strip()}] if note.strip() else [],
            },
        )
        uow.commit()
    return Case(**{**case.__dict__, "status": to, "resolution": resolution})


def set_follow_up(
    user: User,
    case_id: str,
    on: date | None,
    note: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
) -> None:
    """Put the case on the due list for ``on`` (None: the follow-up is done, with its outcome)."""
    _may_serve(user)
    with uow_factory() as uow:
        case = _load(uow, case_id)
        now = clock.now()
        today = now.astimezone(store.zone).date()
        if on is not None:
            if on < today:
                raise CaseError(_("A follow-up date cannot be in the past."), _("Pick today or a later day."))
            text = note.strip() or "Were the changes made?"
            private = {"cases": [{"follow_up_note": text}], "case_events": [{"text": f"{on.isoformat()}: {text}"}]}
        else:
            if case.follow_up_on is None:
                raise CaseError(_("Case {number} has no follow-up due.").format(number=case.number), "")
            text = _text(
                note,
                (
                    N_("Write what the follow-up found."),
                    N_("What the follow-up found is longer than 4,000 characters."),
                ),
                N_("For example: “customer confirms the refund arrived”."),
            )
            private = {"case_events": [{"text": text}]}
        uow.journal.append(
            EventType.FOLLOW_UP_RECORDED,
            {
                "case_id": case_id,
                "case_number": case.number,
                "due": on.isoformat() if on else None,
                "done": on is None,
                "user": user.id,
            },
            now,
            private,
        )
        uow.commit()


def events_text(events: Sequence[CaseEvent], zone: ZoneInfo, locale: str = "en_US") -> list[str]:
    """The case's history as lines for the screen and the letter's appendix."""
    out = []
    for e in events:
        when = show_day(e.at, locale, zone, clock=True)
        label = _(EVENT_LABELS[e.event]) if e.event in EVENT_LABELS else e.event
        out.append(f"{when}  {label} ({e.user_name}){': ' + e.text if e.text else ''}")
    return out


EVENT_LABELS = {
    "opened": N_("Case opened"),
    "contact": N_("Contact"),
    "action": N_("Action taken"),
    "status": N_("Status changed"),
    "referred": N_("Referred"),
    "department_note": N_("Department note"),
    "answered": N_("Department answered"),
    "told": N_("Customer told the outcome"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "reopened": N_("Reopened"),
    "follow_up_set": N_("Follow-up due"),
    "follow_up_done": N_("Follow-up done"),
    "letter": N_("Letter sent"),
    "slip": N_("Case slip printed"),
}


def record_letter(
    user: User,
    case_id: str,
    kind: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> None:
    """A letter to the customer or a case slip was produced for the case (``kind``:
    "letter" or "slip"): a case event and a journal entry, so the history says so."""
    with uow_factory() as uow:
        case = _load(uow, case_id)
        now = clock.now()
        # its case event (a fixed text) is this entry's projection (counter.projection.cases)
        uow.journal.append(
            EventType.LETTER_ISSUED,
            {"case_id": case_id, "case_number": case.number, "kind": kind, "user": user.id},
            now,
        )
        uow.commit()
