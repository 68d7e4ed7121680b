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
from counter.journal import EventType
from counter.people.users import Permission, PinHasher, User, UserId, attempt_sign_in
from counter.ports import Clock, UnitOfWork
from counter.returns.policy import ApprovalKind
from counter.trust.carddata import refuse_card_data


class ApprovalError(CounterError):
    """An approval that cannot be given."""


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
        return ApprovalError(
            f"{approver.name}, you cannot approve your own request.",
            "Another supervisor or manager must approve it.",
        )
    if not approver.can(Permission.APPROVE):
        return ApprovalError(f"{approver.name} may not approve.", "Ask a supervisor or a manager.")
    if ApprovalKind.CASH_REFUND_OVER_LIMIT in asked and not approver.can(Permission.REFUND_CASH):
        return ApprovalError(f"{approver.name} may not let a cash refund above the limit go through.", "Ask a manager.")
    if ApprovalKind.VOID_PAID in asked and not approver.can(Permission.REFUND_CASH):
        return ApprovalError(f"{approver.name} may not let payments be given back.", "Ask a manager.")
    return None


def check_approver_pin(
    uow: UnitOfWork, approver: User, pin: str, hasher: PinHasher, now: datetime
) -> ApprovalError | SignInError | None:
    """Is ``pin`` the approver's? None when it is; else why not (a wrong PIN, or the lock a
    run of wrong ones brought). The attempt counts toward the lockout like a sign-in."""
    try:
        outcome = attempt_sign_in(approver, pin, hasher, now)
    except SignInError as exc:  # locked out
        return exc
    uow.users.save_sign_in_state(outcome.user)
    if not outcome.ok:
        return ApprovalError("That PIN is not right.", f"{approver.name}, type your PIN again.")
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
        raise ApprovalError("Nothing needs approval.", "")
    if not reason.strip():
        raise ApprovalError("Say why this is approved.", "Type a short reason, e.g. “manager knows the customer”.")
    refuse_card_data(reason, "in a reason")
    refusal: ApprovalError | SignInError | None = None
    approvals: list[Approval] = []
    with uow_factory() as uow:
        now = clock.now()
        approver = uow.users.get(approver_id)
        if approver is None:
            raise ApprovalError("Pick the supervisor from the list.", "")
        refusal = approver_refusal(approver, requester.id, kinds) or check_approver_pin(uow, approver, pin, hasher, now)
        body = {
            "request_id": request_id,
            "kinds": [str(k) for k in kinds],
            "amount": currency_minor(amount),
            "requester": requester.id,
            "approver": approver.id,
        }
        if refusal is not None:
            uow.journal.append(EventType.APPROVAL_REFUSED, {**body, "why": refusal.message}, now)
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
