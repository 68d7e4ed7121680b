"""People at the counter: roles, what each may do, PIN and badge sign-in.

PINs are hashed with argon2id and the result is **keyed** with the per-installation
secret (``db/keys.py``, a file outside the database): the stored verifier is

    $ck1$argon2id$v=19$m=65536,t=3,p=1$l=32$<salt>$<HMAC-SHA256(pin key, argon2id(pin, salt))>

so a copied database file alone cannot be brute-forced, even for 4-digit PINs. A plain
argon2id verifier (an older store, or one pulled from HQ) is keyed by ``PinHasher.wrap``
without knowing the PIN, because the HMAC goes over the argon2 output. The hash
parameters are argon2-cffi's defaults in the running app; tests pass cheaper ones
(verification reads them from the stored verifier).

Badges (a barcode on the staff card) are looked up by ``badge_digest``, an HMAC of the
code under its own sub-key: never stored in clear, and useless without the key.

The permission matrix below is the one place that says who may do what; the services
enforce it and journal every refusal (``counter.people.access``). ``REFUND_CASH`` is what an
approver needs to let a cash refund above the store's limit go through; ``OPEN_DRAWER``
is opening the drawer without a sale.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NewType

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import hash_secret_raw

from counter.errors import SignInError
from counter.i18n import _, ngettext

UserId = NewType("UserId", str)

MAX_FAILED_ATTEMPTS = 5
MIN_PIN_LENGTH = 4
MAX_PIN_LENGTH = 8
LOCKOUT = timedelta(minutes=5)
MAX_LOCKOUT = timedelta(hours=24)


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
    badge_hash: str | None = None
    #: the screen language this person chose ("de"); empty: the store's (counter.i18n)
    language: str = ""

    def can(self, permission: Permission) -> bool:
        return self.active and permission in PERMISSIONS[self.role]


KEYED = "$ck1$"
#: Parameters a stored verifier may ask for; beyond them it is refused, not computed
#: (a tampered verifier must not make a sign-in take minutes or gigabytes).
MAX_TIME_COST = 16
MAX_MEMORY_KIB = 1 << 20


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


class PinHasher:
    """argon2id PIN verifiers, keyed with the installation's PIN key when it has one.

    Without a key (HQ, which hands plain verifiers to terminals) it makes and checks
    plain argon2id verifiers; a terminal keys them on arrival (``wrap``)."""

    def __init__(self, time_cost: int = 3, memory_cost: int = 65536, *, key: bytes | None = None) -> None:
        self.time_cost = time_cost
        self.memory_cost = memory_cost
        self.key = key
        self._ph = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)

    def keyed(self, key: bytes) -> PinHasher:
        return PinHasher(self.time_cost, self.memory_cost, key=key)

    def hash(self, pin: str) -> str:
        check_pin_format(pin)
        plain = self._ph.hash(pin)
        return self.wrap(plain) if self.key is not None else plain

    def wrap(self, plain: str) -> str:
        """Key a plain argon2id verifier (no PIN needed). Other text is returned as is."""
        if self.key is None or not plain.startswith("$argon2id$"):
            return plain
        try:
            head, salt, digest = plain.rsplit("$", 2)
            raw = _unb64(digest)
            _unb64(salt)
        except (ValueError, binascii.Error):
            return plain
        mac = hmac.new(self.key, raw, hashlib.sha256).digest()
        return f"{KEYED}{head[1:]}$l={len(raw)}${salt}${_b64(mac)}"

    def needs_upgrade(self, pin_hash: str) -> bool:
        return self.key is not None and pin_hash.startswith("$argon2id$")

    def matches(self, pin_hash: str, pin: str) -> bool:
        if pin_hash.startswith(KEYED):
            return self._matches_keyed(pin_hash[len(KEYED) :], pin)
        if not pin_hash.startswith("$argon2"):
            return False
        try:
            return self._ph.verify(pin_hash, pin)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _matches_keyed(self, stored: str, pin: str) -> bool:
        if self.key is None:
            return False
        try:
            kind, version, params, length, salt, mac = stored.split("$")
            values = dict(part.split("=", 1) for part in params.split(","))
            m, t, p = int(values["m"]), int(values["t"]), int(values["p"])
            v, hash_len = int(version.removeprefix("v=")), int(length.removeprefix("l="))
            if kind != "argon2id" or not (1 <= t <= MAX_TIME_COST and 8 <= m <= MAX_MEMORY_KIB and 1 <= p <= 16):
                return False
            if not 4 <= hash_len <= 64:
                return False
            raw = hash_secret_raw(pin.encode(), _unb64(salt), t, m, p, hash_len, Type.ID, v)
            expected = _unb64(mac)
        except (ValueError, KeyError, binascii.Error, VerificationError):
            return False
        return hmac.compare_digest(hmac.new(self.key, raw, hashlib.sha256).digest(), expected)


def badge_digest(key: bytes, code: str) -> str:
    """The stored form of a badge code: HMAC-SHA256 under the badge key, hex."""
    return hmac.new(key, code.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def check_pin_format(pin: str) -> str:
    if not (pin.isdigit() and MIN_PIN_LENGTH <= len(pin) <= MAX_PIN_LENGTH):
        raise SignInError(_("A PIN is 4 to 8 digits."), _("Type your PIN again."))
    return pin


@dataclass(frozen=True)
class SignInOutcome:
    user: User  # the user as it must be stored after this attempt
    ok: bool


def attempt_sign_in(user: User, pin: str, hasher: PinHasher, now: datetime) -> SignInOutcome:
    """Decide a sign-in attempt. The caller stores ``outcome.user`` and journals it."""
    if not user.active:
        raise SignInError(_("{name} can no longer sign in.").format(name=user.name), _("Ask a manager."))
    if user.locked_until is not None and now < user.locked_until:
        minutes = max(1, math.ceil((user.locked_until - now).total_seconds() / 60))
        raise SignInError(
            _("{name} is locked after {times} wrong PINs.").format(name=user.name, times=MAX_FAILED_ATTEMPTS),
            ngettext(
                "Try again in {minutes} minute, or ask a manager.",
                "Try again in {minutes} minutes, or ask a manager.",
                minutes,
            ).format(minutes=minutes),
        )
    if pin.isdigit() and hasher.matches(user.pin_hash, pin):
        pin_hash = hasher.wrap(user.pin_hash) if hasher.needs_upgrade(user.pin_hash) else user.pin_hash
        return SignInOutcome(replace(user, failed_attempts=0, locked_until=None, pin_hash=pin_hash), True)
    failed = user.failed_attempts + 1
    locked = now + lockout_for(failed) if failed % MAX_FAILED_ATTEMPTS == 0 else None
    return SignInOutcome(replace(user, failed_attempts=failed, locked_until=locked), False)


def lockout_for(failed: int) -> timedelta:
    """How long a person is locked after ``failed`` wrong PINs in a row (a multiple of 5):
    5 minutes, then twice as long after each further 5, up to ``MAX_LOCKOUT``. The count
    only goes back to 0 on a right PIN or a PIN reset, so guessing a 4-digit PIN at the
    counter takes months, not days."""
    rounds = max(1, failed // MAX_FAILED_ATTEMPTS)
    return min(LOCKOUT * (1 << min(rounds - 1, 16)), MAX_LOCKOUT)


def tries_left(user: User) -> int:
    return MAX_FAILED_ATTEMPTS - user.failed_attempts % MAX_FAILED_ATTEMPTS
