"""Who may do what, enforced where it is done, and every refusal on the record.

``authorize`` is what a service calls before a privileged step: if the person's role
does not hold the permission (``counter.people.users.PERMISSIONS``), an ``AccessRefused``
journal entry (who, which action, which permission; the envelope adds when and which
terminal) commits in its own unit of work, and the service's own error is raised. The
privileged steps that go through are journaled by their own events (ShiftClosed,
ApprovalGranted, UserRoleChanged, ...), so the journal answers "who did what, when, where,
and did it happen" for every one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from counter.errors import CounterError
from counter.i18n import _
from counter.journal import EventType
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork


class AccessRefused(CounterError):
    """The person's role does not allow this."""


def authorize(
    user: User,
    permission: Permission,
    action: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    error: type[CounterError] = AccessRefused,
    message: str = "",
    hint: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Return if ``user`` may; else journal the refusal and raise ``error``.

    ``action`` goes in the journal as it is (English, e.g. "open a shift": mark it with
    ``N_``); the message shows it in the person's language."""
    if user.can(permission):
        return
    refuse(user, permission, action, uow_factory=uow_factory, clock=clock, detail=detail)
    if not message:
        # Translators: {action} is what they tried, e.g. "open a shift" (translated on its own)
        message = _("{name} may not {action}.").format(name=user.name, action=_(action))
    raise error(message, _("Ask a supervisor or a manager.") if hint is None else hint)


def refuse(
    user: User,
    permission: Permission,
    action: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Journal an AccessRefused entry (its own unit of work, committed at once)."""
    body: dict[str, Any] = {
        "user": user.id,
        "role": str(user.role),
        "active": user.active,
        "action": action,
        "permission": str(permission),
    }
    if detail:
        body["detail"] = dict(detail)
    with uow_factory() as uow:
        uow.journal.append(EventType.ACCESS_REFUSED, body, clock.now())
        uow.commit()
