"""The staff commands: each change journaled, the store never left without an administrator,
badges unique and hashed, a PIN reset lifting a lock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from counter.errors import SignInError
from counter.journal import EventType
from counter.people.staff import sign_in, sign_in_badge
from counter.people.user_admin import UserAdminError, add_user, change_role, reset_pin, set_active, set_badge
from counter.people.users import Role, UserId
from db.queries import journal_entries
from tests.conftest import FAST_HASHER
from tests.db.support import TestStore

BADGE_KEY = b"k" * 32


@pytest.fixture
def shop(store_dir: Path) -> Iterator[TestStore]:
    store = TestStore(store_dir)
    yield store
    store.close()


def last(shop: TestStore) -> tuple[str, dict[str, object]]:
    entry = list(journal_entries(shop.db.read, shop.terminal.terminal_id))[-1]
    return entry.type, entry.body_data()


def test_an_admin_adds_a_person_who_can_then_sign_in_by_pin_and_badge(shop: TestStore) -> None:
    admin = shop.user("Jordan")
    pat = add_user(
        admin,
        "  Pat   Newman ",
        Role.CASHIER,
        "5678",
        badge="EMP-0042",
        uow_factory=shop.uow,
        hasher=FAST_HASHER,
        badge_key=BADGE_KEY,
        clock=shop.clock,
    )
    assert pat.name == "Pat Newman" and pat.badge_hash and "0042" not in pat.badge_hash
    assert last(shop) == (
        EventType.USER_ADDED,
        {"user": pat.id, "name": "Pat Newman", "role": "cashier", "badge": True, "by": admin.id},
    )
    assert sign_in(pat.id, "5678", uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock).id == pat.id
    assert sign_in_badge("EMP-0042", uow_factory=shop.uow, badge_key=BADGE_KEY, clock=shop.clock).id == pat.id
    with pytest.raises(UserAdminError, match="already belongs"):
        add_user(
            admin,
            "Pat Twin",
            Role.CASHIER,
            "1234",
            badge="EMP-0042",
            uow_factory=shop.uow,
            hasher=FAST_HASHER,
            badge_key=BADGE_KEY,
            clock=shop.clock,
        )


def test_roles_change_but_the_last_admin_stays_an_admin(shop: TestStore) -> None:
    admin = shop.user("Jordan")
    with pytest.raises(UserAdminError, match="last administrator"):
        change_role(admin, admin.id, Role.MANAGER, uow_factory=shop.uow, clock=shop.clock)
    with pytest.raises(UserAdminError, match="yourself"):  # and the last admin cannot go either
        set_active(admin, admin.id, False, uow_factory=shop.uow, clock=shop.clock)
    alex = change_role(admin, UserId("u-manager"), Role.ADMIN, uow_factory=shop.uow, clock=shop.clock)
    assert last(shop) == (
        EventType.USER_ROLE_CHANGED,
        {"user": alex.id, "from": "manager", "to": "admin", "by": admin.id},
    )
    demoted = change_role(admin, admin.id, Role.MANAGER, uow_factory=shop.uow, clock=shop.clock)  # now allowed
    assert demoted.role is Role.MANAGER


def test_nobody_deactivates_themselves_and_a_deactivated_person_cannot_sign_in(shop: TestStore) -> None:
    admin = shop.user("Jordan")
    change_role(admin, UserId("u-manager"), Role.ADMIN, uow_factory=shop.uow, clock=shop.clock)
    with pytest.raises(UserAdminError, match="yourself"):
        set_active(admin, admin.id, False, uow_factory=shop.uow, clock=shop.clock)
    set_active(admin, UserId("u-cashier-2"), False, uow_factory=shop.uow, clock=shop.clock)
    assert last(shop)[0] == EventType.USER_DEACTIVATED
    with pytest.raises(SignInError, match="no longer"):
        sign_in(UserId("u-cashier-2"), "2222", uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock)
    set_active(admin, UserId("u-cashier-2"), True, uow_factory=shop.uow, clock=shop.clock)
    assert last(shop)[0] == EventType.USER_REACTIVATED
    sign_in(UserId("u-cashier-2"), "2222", uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock)


def test_a_pin_reset_lifts_the_lock(shop: TestStore) -> None:
    admin = shop.user("Jordan")
    for _ in range(5):
        with pytest.raises(SignInError):
            sign_in(UserId("u-cashier-1"), "0000", uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock)
    reset_pin(admin, UserId("u-cashier-1"), "2468", uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock)
    assert last(shop) == (EventType.USER_PIN_RESET, {"user": "u-cashier-1", "by": admin.id, "was_locked": True})
    sign_in(UserId("u-cashier-1"), "2468", uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock)
    with pytest.raises(SignInError):
        sign_in(UserId("u-cashier-1"), "1111", uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock)


def test_badges_move_only_through_an_admin_and_a_locked_person_is_not_let_in_by_one(shop: TestStore) -> None:
    admin = shop.user("Jordan")
    set_badge(admin, UserId("u-cashier-1"), "EMP-1111", uow_factory=shop.uow, badge_key=BADGE_KEY, clock=shop.clock)
    with pytest.raises(UserAdminError, match="belongs to Maria"):
        set_badge(admin, UserId("u-cashier-2"), "EMP-1111", uow_factory=shop.uow, badge_key=BADGE_KEY, clock=shop.clock)
    for _ in range(5):
        with pytest.raises(SignInError):
            sign_in(UserId("u-cashier-1"), "0000", uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock)
    with pytest.raises(SignInError, match="does not lift the lock"):
        sign_in_badge("EMP-1111", uow_factory=shop.uow, badge_key=BADGE_KEY, clock=shop.clock)
    set_badge(admin, UserId("u-cashier-1"), None, uow_factory=shop.uow, badge_key=BADGE_KEY, clock=shop.clock)
    assert last(shop)[1] == {"user": "u-cashier-1", "by": admin.id, "removed": True}
    with pytest.raises(SignInError, match="not known"):
        sign_in_badge("EMP-1111", uow_factory=shop.uow, badge_key=BADGE_KEY, clock=shop.clock)
    with pytest.raises(UserAdminError, match="at least"):
        set_badge(admin, UserId("u-cashier-1"), "123", uow_factory=shop.uow, badge_key=BADGE_KEY, clock=shop.clock)
