"""Signing people in and out at the counter (each attempt is journaled): by PIN, or by a
staff badge scanned at the sign-in screen; and the idle lock (SessionLocked)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from counter.errors import SignInError
from counter.i18n import _, ngettext
from counter.journal import EventType
from counter.people.users import (
    MAX_FAILED_ATTEMPTS,
    PinHasher,
    User,
    UserId,
    attempt_sign_in,
    badge_digest,
    lockout_for,
    tries_left,
)
from counter.ports import Clock, UnitOfWork


def sign_in(
    user_id: UserId, pin: str, *, uow_factory: Callable[[], UnitOfWork], hasher: PinHasher, clock: Clock
) -> User:
    """Check a PIN. A wrong PIN is recorded (and counts toward the lockout) before the
    SignInError reaches the screen, so that closing the window does not reset the count."""
    if not pin:
        raise SignInError(_("Type your PIN."), _("Then press Enter."))
    with uow_factory() as uow:
        user = uow.users.get(user_id)
        if user is None:
            raise SignInError(_("That person is not on this store's staff list."), _("Pick your name from the list."))
        now = clock.now()
        outcome = attempt_sign_in(user, pin, hasher, now)
        uow.users.save_sign_in_state(outcome.user)
        if outcome.ok:
            uow.journal.append(EventType.SIGNED_IN, {"user": user.id, "method": "pin"}, now)
        else:
            uow.journal.append(
                EventType.SIGN_IN_FAILED,
                {"user": user.id, "locked": outcome.user.locked_until is not None},
                now,
            )
        uow.commit()
    if outcome.ok:
        return outcome.user
    if outcome.user.locked_until is not None:
        raise SignInError(
            _("Wrong PIN {times} times: {name} is locked for {duration}.").format(
                times=MAX_FAILED_ATTEMPTS,
                name=user.name,
                duration=_duration(lockout_for(outcome.user.failed_attempts)),
            ),
            _("Ask an administrator to reset your PIN if you cannot remember it."),
        )
    left = tries_left(outcome.user)
    lock = _duration(lockout_for(outcome.user.failed_attempts + left))
    raise SignInError(
        _("That PIN is not right."),
        # Translators: the English says "tries" for 1 too; use the singular your language needs
        ngettext(
            "Type it again ({left} tries left before a lock of {lock}).",
            "Type it again ({left} tries left before a lock of {lock}).",
            left,
        ).format(left=left, lock=lock),
    )


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        if rest:
            # Translators: a lock's length, e.g. "2 hours 40 minutes"
            return ngettext("{hours} hour {minutes} minutes", "{hours} hours {minutes} minutes", hours).format(
                hours=hours, minutes=rest
            )
        return ngettext("{hours} hour", "{hours} hours", hours).format(hours=hours)
    # Translators: a lock's length; the English says "minutes" for 1 too
    return ngettext("{minutes} minutes", "{minutes} minutes", minutes).format(minutes=minutes)


def sign_in_badge(code: str, *, uow_factory: Callable[[], UnitOfWork], badge_key: bytes, clock: Clock) -> User:
    """Sign in whoever holds the badge scanned. The code is looked up by its keyed hash
    (never stored in clear); an unknown badge is journaled without the code."""
    code = code.strip()
    if not code:
        raise SignInError(_("Nothing was scanned."), _("Scan your badge again, or type your PIN."))
    with uow_factory() as uow:
        now = clock.now()
        user = uow.users.by_badge(badge_digest(badge_key, code))
        if user is None:
            uow.journal.append(EventType.SIGN_IN_FAILED, {"user": None, "method": "badge", "locked": False}, now)
            uow.commit()
            raise SignInError(_("This badge is not known here."), _("Sign in with your PIN, or ask an administrator."))
        if not user.active:
            raise SignInError(_("{name} can no longer sign in.").format(name=user.name), _("Ask a manager."))
        if user.locked_until is not None and now < user.locked_until:
            raise SignInError(
                _("{name} is locked after {times} wrong PINs; a badge does not lift the lock.").format(
                    name=user.name, times=MAX_FAILED_ATTEMPTS
                ),
                _("Ask an administrator to reset your PIN."),
            )
        uow.journal.append(EventType.SIGNED_IN, {"user": user.id, "method": "badge"}, now)
        uow.commit()
    return user


def sign_out(user: User, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
    with uow_factory() as uow:
        uow.journal.append(EventType.SIGNED_OUT, {"user": user.id}, clock.now())
        uow.commit()


def lock_session(user: User, reason: str, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
    """The screen locked itself (``reason``: "idle"); the person must sign in again, and
    no right of theirs is left behind on the counter."""
    with uow_factory() as uow:
        uow.journal.append(EventType.SESSION_LOCKED, {"user": user.id, "reason": reason}, clock.now())
        uow.commit()
