"""Supervisor approvals: bound to one request, one amount, and a person other than the asker.

A supervisor picks their name and enters their PIN at the counter. The approval is
recorded (its own unit of work and journal entry, ApprovalGranted) before the return
itself, so that it stands in the audit even if the customer walks away; the return's
handler then checks that an approval of each needed kind exists for this request, by
someone else, for exactly the amount being refunded. A refused attempt (wrong PIN, no
right to approve, approving one's own request) is journaled as ApprovalRefused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from counter.errors import CounterError, SignInError
from counter.i18n import N_, SOURCE_LANGUAGE, _, use_language
from counter.journal import EventType
from counter.people.users import Permission, PinHasher, User, UserId, attempt_sign_in
from counter.ports import Clock, UnitOfWork
from counter.returns.policy import ApprovalKind
from counter.trust.carddata import refuse_card_data


class ApprovalError(CounterError):
    """An approval that cannot be given. ``why`` is the message in English, for the journal
    (ApprovalRefused keeps it whatever language the screen speaks)."""

    def __init__(self, message: str, hint: str = "", why: str | None = None) -> None:
        super().__init__(message, hint)
        self.why = message if why is None else why


def _refused(message: str, hint: str, **values: str) -> ApprovalError:
    """An ApprovalError shown in the current language and journaled in English (``message``
    and ``hint`` are marked with N_ where they are written)."""
    return ApprovalError(_(message).format(**values), _(hint).format(**values), message.format(**values))


def why_refused(refusal: CounterError) -> str:
    """What ApprovalRefused records of a refusal: its English message."""
    return refusal.why if isinstance(refusal, ApprovalError) else getattr(refusal, "why", refusal.message)


@dataclass(frozen=True)
class Approval:
    id: str
    request_id: str
    kind: ApprovalKind
    amount: Decimal
    requester_id: str
    approver_id: str
    approver_name: str
    reason: str


def approver_refusal(approver: User, requester_id: str, kinds: Iterable[ApprovalKind]) -> ApprovalError | None:
    """Why ``approver`` may not approve these kinds for ``requester_id`` (None: they may).
    The same rules hold at the counter (``grant_approval``) and at a manager's station
    through HQ (``counter.trust.remote_approval``)."""
    asked = set(kinds)
    if approver.id == requester_id:
        return _refused(
            N_("{name}, you cannot approve your own request."),
            N_("Another supervisor or manager must approve it."),
            name=approver.name,
        )
    if not approver.can(Permission.APPROVE):
        return _refused(N_("{name} may not approve."), N_("Ask a supervisor or a manager."), name=approver.name)
    if ApprovalKind.CASH_REFUND_OVER_LIMIT in asked and not approver.can(Permission.REFUND_CASH):
        return _refused(
            N_("{name} may not let a cash refund above the limit go through."),
            N_("Ask a manager."),
            name=approver.name,
        )
    if ApprovalKind.VOID_PAID in asked and not approver.can(Permission.REFUND_CASH):
        return _refused(N_("{name} may not let payments be given back."), N_("Ask a manager."), name=approver.name)
    return None


def check_approver_pin(
    uow: UnitOfWork, approver: User, pin: str, hasher: PinHasher, now: datetime
) -> ApprovalError | SignInError | None:
    """Is ``pin`` the approver's? None when it is; else why not (a wrong PIN, or the lock a
    run of wrong ones brought). The attempt counts toward the lockout like a sign-in."""
    try:
        outcome = attempt_sign_in(approver, pin, hasher, now)
    except SignInError as exc:  # locked out
        with use_language(SOURCE_LANGUAGE):  # the same refusal in English, for the journal
            try:
                attempt_sign_in(approver, pin, hasher, now)
            except SignInError as english:
                exc.why = english.message  # type: ignore[attr-defined]
        return exc
    uow.users.save_sign_in_state(outcome.user)
    if not outcome.ok:
        return _refused(N_("That PIN is not right."), N_("{name}, type your PIN again."), name=approver.name)
    return None


def grant_approval(
    *,
    request_id: str,
    kinds: Iterable[ApprovalKind],
    amount: Decimal,
    requester: User,
    approver_id: UserId,
    pin: str,
    reason: str,
    uow_factory: Callable[[], UnitOfWork],
    hasher: PinHasher,
    clock: Clock,
    currency_minor: Callable[[Decimal], int],
) -> list[Approval]:
    kinds = sorted(set(kinds))
    if not kinds:
        raise ApprovalError(_("Nothing needs approval."), "")
    if not reason.strip():
        raise ApprovalError(
            _("Say why this is approved."), _("Type a short reason, e.g. “manager knows the customer”.")
        )
    refuse_card_data(reason, N_("in a reason"))
    refusal: ApprovalError | SignInError | None = None
    approvals: list[Approval] = []
    with uow_factory() as uow:
        now = clock.now()
        approver = uow.users.get(approver_id)
        if approver is None:
            raise ApprovalError(_("Pick the supervisor from the list."), "")
        refusal = approver_refusal(approver, requester.id, kinds) or check_approver_pin(uow, approver, pin, hasher, now)
        body = {
            "request_id": request_id,
            "kinds": [str(k) for k in kinds],
            "amount": currency_minor(amount),
            "requester": requester.id,
            "approver": approver.id,
        }
        if refusal is not None:
            uow.journal.append(EventType.APPROVAL_REFUSED, {**body, "why": why_refused(refusal)}, now)
            uow.commit()
            raise refusal
        for kind in kinds:
            approval = Approval(
                str(uuid.uuid4()), request_id, kind, amount, requester.id, approver.id, approver.name, reason.strip()
            )
            approvals.append(approval)
        # the approval rows are this entry's projection (counter.projection)
        uow.journal.append(
            EventType.APPROVAL_GRANTED,
            {**body, "reason": reason.strip(), "approval_ids": [a.id for a in approvals]},
            now,
        )
        uow.commit()
    return approvals
