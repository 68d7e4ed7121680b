"""Signing people in and out at the counter (each attempt is journaled): by PIN, or by a
staff badge scanned at the sign-in screen; and the idle lock (SessionLocked)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from counter.errors import SignInError
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
        raise SignInError("Type your PIN.", "Then press Enter.")
    with uow_factory() as uow:
        user = uow.users.get(user_id)
        if user is None:
            raise SignInError("That person is not on this store's staff list.", "Pick your name from the list.")
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
            f"Wrong PIN {MAX_FAILED_ATTEMPTS} times: {user.name} is locked for "
            f"{_duration(lockout_for(outcome.user.failed_attempts))}.",
            "Ask an administrator to reset your PIN if you cannot remember it.",
        )
    left = tries_left(outcome.user)
    lock = _duration(lockout_for(outcome.user.failed_attempts + left))
    raise SignInError("That PIN is not right.", f"Type it again ({left} tries left before a lock of {lock}).")


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} hour{'s' * (hours > 1)}" + (f" {rest} minutes" if rest else "")
    return f"{minutes} minutes"


def sign_in_badge(code: str, *, uow_factory: Callable[[], UnitOfWork], badge_key: bytes, clock: Clock) -> User:
    """Sign in whoever holds the badge scanned. The code is looked up by its keyed hash
    (never stored in clear); an unknown badge is journaled without the code."""
    code = code.strip()
    if not code:
        raise SignInError("Nothing was scanned.", "Scan your badge again, or type your PIN.")
    with uow_factory() as uow:
        now = clock.now()
        user = uow.users.by_badge(badge_digest(badge_key, code))
        if user is None:
            uow.journal.append(EventType.SIGN_IN_FAILED, {"user": None, "method": "badge", "locked": False}, now)
            uow.commit()
            raise SignInError("This badge is not known here.", "Sign in with your PIN, or ask an administrator.")
        if not user.active:
            raise SignInError(f"{user.name} can no longer sign in.", "Ask a manager.")
        if user.locked_until is not None and now < user.locked_until:
            raise SignInError(
                f"{user.name} is locked after {MAX_FAILED_ATTEMPTS} wrong PINs; a badge does not lift the lock.",
                "Ask an administrator to reset your PIN.",
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
