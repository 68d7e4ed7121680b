"""People at the counter: roles, what each may do, and PIN sign-in.

PINs are hashed with argon2id. The hash parameters are the library's defaults in the
running app; tests pass cheaper ones through ``PinHasher`` so the suite stays fast.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NewType

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from counter.errors import SignInError

UserId = NewType("UserId", str)

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=5)


class Role(enum.StrEnum):
    CASHIER = "cashier"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    ADMIN = "admin"


class Permission(enum.StrEnum):
    SELL = "sell"
    DISCOUNT = "discount"
    VOID_LINE = "void_line"
    RETURN = "return"
    REFUND_CASH = "refund_cash"
    APPROVE = "approve"
    OPEN_DRAWER = "open_drawer"
    CLOSE_SHIFT = "close_shift"
    CASH_OFFICE = "cash_office"  # paid out, cash drops, recounts, X and Z reports
    EDIT_POLICIES = "edit_policies"
    MANAGE_USERS = "manage_users"


_CASHIER = {Permission.SELL, Permission.DISCOUNT, Permission.VOID_LINE, Permission.RETURN, Permission.CLOSE_SHIFT}
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CASHIER: frozenset(_CASHIER),
    Role.SUPERVISOR: frozenset(
        _CASHIER | {Permission.REFUND_CASH, Permission.APPROVE, Permission.OPEN_DRAWER, Permission.CASH_OFFICE}
    ),
    Role.MANAGER: frozenset(set(Permission) - {Permission.MANAGE_USERS}),
    Role.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True)
class User:
    id: UserId
    name: str
    role: Role
    pin_hash: str
    active: bool = True
    failed_attempts: int = 0
    locked_until: datetime | None = None

    def can(self, permission: Permission) -> bool:
        return self.active and permission in PERMISSIONS[self.role]


class PinHasher:
    def __init__(self, time_cost: int = 3, memory_cost: int = 65536) -> None:
        self._ph = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)

    def hash(self, pin: str) -> str:
        check_pin_format(pin)
        return self._ph.hash(pin)

    def matches(self, pin_hash: str, pin: str) -> bool:
        try:
            return self._ph.verify(pin_hash, pin)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def check_pin_format(pin: str) -> str:
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise SignInError("A PIN is 4 to 8 digits.", "Type your PIN again.")
    return pin


@dataclass(frozen=True)
class SignInOutcome:
    user: User  # the user as it must be stored after this attempt
    ok: bool


def attempt_sign_in(user: User, pin: str, hasher: PinHasher, now: datetime) -> SignInOutcome:
    """Decide a sign-in attempt. The caller stores ``outcome.user`` and journals it."""
    if not user.active:
        raise SignInError(f"{user.name} can no longer sign in.", "Ask a manager.")
    if user.locked_until is not None and now < user.locked_until:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise SignInError(
            f"{user.name} is locked after {MAX_FAILED_ATTEMPTS} wrong PINs.",
            f"Try again in {minutes} minute(s), or ask a manager.",
        )
    if pin.isdigit() and hasher.matches(user.pin_hash, pin):
        return SignInOutcome(replace(user, failed_attempts=0, locked_until=None), True)
    failed = user.failed_attempts + 1
    locked = now + LOCKOUT if failed >= MAX_FAILED_ATTEMPTS else None
    return SignInOutcome(replace(user, failed_attempts=0 if locked else failed, locked_until=locked), False)
