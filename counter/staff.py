"""Signing people in and out at the counter (each attempt is journaled)."""

from __future__ import annotations

from collections.abc import Callable

from counter.errors import SignInError
from counter.journal import EventType
from counter.ports import Clock, UnitOfWork
from counter.users import MAX_FAILED_ATTEMPTS, PinHasher, User, UserId, attempt_sign_in


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
            uow.journal.append(EventType.SIGNED_IN, {"user": user.id}, now)
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
            f"Wrong PIN {MAX_FAILED_ATTEMPTS} times: {user.name} is locked for 5 minutes.",
            "Ask a manager if you cannot remember your PIN.",
        )
    left = MAX_FAILED_ATTEMPTS - outcome.user.failed_attempts
    raise SignInError("That PIN is not right.", f"Type it again ({left} tries left before a 5-minute lock).")


def sign_out(user: User, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
    with uow_factory() as uow:
        uow.journal.append(EventType.SIGNED_OUT, {"user": user.id}, clock.now())
        uow.commit()
