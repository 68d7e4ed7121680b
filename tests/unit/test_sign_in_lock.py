"""What a locked person is told (counter.people.users.attempt_sign_in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from counter.people.users import MAX_FAILED_ATTEMPTS, PinHasher, Role, SignInError, User, UserId, attempt_sign_in

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HASHER = PinHasher(time_cost=1, memory_cost=1024)


@pytest.mark.parametrize(
    ("left", "said"),
    [
        (timedelta(minutes=5), "Try again in 5 minutes, or ask a manager."),
        (timedelta(minutes=4, seconds=1), "Try again in 5 minutes, or ask a manager."),
        (timedelta(seconds=61), "Try again in 2 minutes, or ask a manager."),
        (timedelta(seconds=60), "Try again in 1 minute, or ask a manager."),
        (timedelta(seconds=1), "Try again in 1 minute, or ask a manager."),
    ],
)
def test_a_locked_person_is_told_how_long_in_words(left: timedelta, said: str) -> None:
    user = User(UserId("u-1"), "Maria Lopez", Role.CASHIER, HASHER.hash("1111"), locked_until=NOW + left)
    with pytest.raises(SignInError) as err:
        attempt_sign_in(user, "1111", HASHER, NOW)
    assert err.value.message == f"Maria Lopez is locked after {MAX_FAILED_ATTEMPTS} wrong PINs."
    assert err.value.hint == said


def test_the_lock_ends_when_its_time_is_up() -> None:
    user = User(UserId("u-1"), "Maria Lopez", Role.CASHIER, HASHER.hash("1111"), locked_until=NOW)
    assert attempt_sign_in(user, "1111", HASHER, NOW).ok
