"""Managing the staff list: add a person, change a role, reset a PIN, set a badge,
deactivate and reactivate. Only a role with MANAGE_USERS (admin) may; each change is one
unit of work with its journal entry, and each refusal is journaled too.

Rules that protect the store from locking itself out: the last active admin can be
neither demoted nor deactivated (not even by themselves), and nobody deactivates
themselves. People are never deleted (their sales and approvals name them).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

from counter.errors import CounterError
from counter.i18n import LANGUAGES, N_, _
from counter.journal import EventType
from counter.people.access import authorize
from counter.people.users import Permission, PinHasher, Role, User, UserId, badge_digest, check_pin_format
from counter.ports import Clock, UnitOfWork
from counter.trust.carddata import refuse_card_data

MIN_BADGE_LENGTH = 6
MAX_NAME_LENGTH = 120


class UserAdminError(CounterError):
    """A staff change that cannot be made."""


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not 2 <= len(name) <= MAX_NAME_LENGTH or not name.isprintable():
        raise UserAdminError(_("Type the person's name (2 to 120 characters)."), "")
    refuse_card_data(name, N_("in a name"))
    return name


def _check_badge(code: str) -> str:
    code = code.strip()
    if len(code) < MIN_BADGE_LENGTH or not code.isprintable():
        raise UserAdminError(
            _("A badge code is at least {count} characters.").format(count=MIN_BADGE_LENGTH),
            _("Scan the staff badge again."),
        )
    refuse_card_data(code, N_("as a badge"))
    return code


def _may(admin: User, action: str, uow_factory: Callable[[], UnitOfWork], clock: Clock, target: str = "") -> None:
    authorize(
        admin,
        Permission.MANAGE_USERS,
        action,
        uow_factory=uow_factory,
        clock=clock,
        error=UserAdminError,
        hint=_("Only an administrator manages the staff list."),
        detail={"target": target} if target else None,
    )


def _load(uow: UnitOfWork, user_id: UserId) -> User:
    user = uow.users.get(user_id)
    if user is None:
        raise UserAdminError(_("That person is not on this store's staff list."), _("Pick someone from the list."))
    return user


def _other_active_admins(uow: UnitOfWork, user_id: UserId) -> int:
    return sum(1 for u in uow.users.all() if u.active and u.role is Role.ADMIN and u.id != user_id)


def add_user(
    admin: User,
    name: str,
    role: Role,
    pin: str,
    *,
    badge: str | None = None,
    uow_factory: Callable[[], UnitOfWork],
    hasher: PinHasher,
    badge_key: bytes,
    clock: Clock,
) -> User:
    _may(admin, N_("add a person to the staff list"), uow_factory, clock)
    name = _check_name(name)
    check_pin_format(pin)
    badge_hash = badge_digest(badge_key, _check_badge(badge)) if badge else None
    user = User(UserId(str(uuid.uuid4())), name, Role(role), hasher.hash(pin), badge_hash=badge_hash)
    with uow_factory() as uow:
        if badge_hash and uow.users.by_badge(badge_hash) is not None:
            raise UserAdminError(_("That badge already belongs to someone."), _("Use another badge."))
        uow.users.add(user)
        uow.journal.append(
            EventType.USER_ADDED,
            {"user": user.id, "name": name, "role": str(user.role), "badge": badge_hash is not None, "by": admin.id},
            clock.now(),
        )
        uow.commit()
    return user


def change_role(
    admin: User, user_id: UserId, role: Role, *, uow_factory: Callable[[], UnitOfWork], clock: Clock
) -> User:
    _may(admin, N_("change a role"), uow_factory, clock, user_id)
    role = Role(role)
    with uow_factory() as uow:
        user = _load(uow, user_id)
        if user.role is role:
            return user
        if user.role is Role.ADMIN and user.active and _other_active_admins(uow, user.id) == 0:
            raise UserAdminError(
                _("{name} is the last administrator and stays one.").format(name=user.name),
                _("Make someone else an administrator first."),
            )
        changed = replace(user, role=role)
        uow.users.save(changed)
        uow.journal.append(
            EventType.USER_ROLE_CHANGED,
            {"user": user.id, "from": str(user.role), "to": str(role), "by": admin.id},
            clock.now(),
        )
        uow.commit()
    return changed


def reset_pin(
    admin: User,
    user_id: UserId,
    pin: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    hasher: PinHasher,
    clock: Clock,
) -> User:
    """A new PIN, and the lock (if any) lifted."""
    _may(admin, N_("reset a PIN"), uow_factory, clock, user_id)
    verifier = hasher.hash(pin)
    with uow_factory() as uow:
        user = _load(uow, user_id)
        changed = replace(user, pin_hash=verifier, failed_attempts=0, locked_until=None)
        uow.users.save(changed)
        uow.journal.append(
            EventType.USER_PIN_RESET,
            {"user": user.id, "by": admin.id, "was_locked": user.locked_until is not None},
            clock.now(),
        )
        uow.commit()
    return changed


def set_badge(
    admin: User,
    user_id: UserId,
    badge: str | None,
    *,
    uow_factory: Callable[[], UnitOfWork],
    badge_key: bytes,
    clock: Clock,
) -> User:
    """Give ``user_id`` the badge scanned (None takes their badge away)."""
    _may(admin, N_("set a badge"), uow_factory, clock, user_id)
    badge_hash = badge_digest(badge_key, _check_badge(badge)) if badge else None
    with uow_factory() as uow:
        user = _load(uow, user_id)
        if badge_hash is not None:
            holder = uow.users.by_badge(badge_hash)
            if holder is not None and holder.id != user.id:
                raise UserAdminError(
                    _("That badge belongs to {name}.").format(name=holder.name), _("Use another badge.")
                )
        changed = replace(user, badge_hash=badge_hash)
        uow.users.save(changed)
        uow.journal.append(
            EventType.USER_BADGE_SET, {"user": user.id, "by": admin.id, "removed": badge_hash is None}, clock.now()
        )
        uow.commit()
    return changed


def set_active(
    admin: User, user_id: UserId, active: bool, *, uow_factory: Callable[[], UnitOfWork], clock: Clock
) -> User:
    _may(admin, N_("deactivate a person") if not active else N_("reactivate a person"), uow_factory, clock, user_id)
    with uow_factory() as uow:
        user = _load(uow, user_id)
        if user.active == active:
            return user
        if not active and user.id == admin.id:
            raise UserAdminError(_("You cannot deactivate yourself."), _("Another administrator can."))
        if not active and user.role is Role.ADMIN and _other_active_admins(uow, user.id) == 0:
            raise UserAdminError(
                _("{name} is the last administrator.").format(name=user.name),
                _("Make someone else an administrator first."),
            )
        changed = replace(user, active=active, failed_attempts=0, locked_until=None)
        uow.users.save(changed)
        uow.journal.append(
            EventType.USER_DEACTIVATED if not active else EventType.USER_REACTIVATED,
            {"user": user.id, "by": admin.id},
            clock.now(),
        )
        uow.commit()
    return changed


def set_language(
    actor: User, user_id: UserId, language: str, *, uow_factory: Callable[[], UnitOfWork], clock: Clock
) -> User:
    """The screen language ``user_id`` works in ("" for the store's). Anyone chooses their own;
    choosing someone else's is managing the staff list."""
    if language and language not in LANGUAGES:
        raise UserAdminError(
            _("“{language}” is not a language Counter speaks.").format(language=language),
            _("Choose one of the list, or the store's language."),
        )
    if user_id != actor.id:
        _may(actor, N_("set a person's language"), uow_factory, clock, user_id)
    with uow_factory() as uow:
        user = _load(uow, user_id)
        if user.language == language:
            return user
        changed = replace(user, language=language)
        uow.users.save(changed)
        uow.journal.append(
            EventType.USER_LANGUAGE_SET, {"user": user.id, "by": actor.id, "language": language}, clock.now()
        )
        uow.commit()
    return changed
