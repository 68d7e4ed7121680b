"""Roles and the permission matrix, enforced by the services themselves (not just by the
screens), every refusal journaled with who, what, when and where; the PIN lockout against
brute force; and approvals that end with the request they were given for."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from counter.cash.drawer import DrawerReason, OpenDrawer, open_drawer
from counter.cash.shifts import CashRules, MovementKind, close_shift, record_movement
from counter.errors import CounterError, SignInError
from counter.journal import EventType
from counter.people.staff import sign_in
from counter.people.user_admin import add_user
from counter.people.users import MAX_LOCKOUT, PERMISSIONS, Permission, Role, User
from counter.returns.model import ApprovalNeeded, ProcessReturn, ReturnLineRequest
from counter.returns.policy import ApprovalKind, Condition, Reason, ReturnPolicy
from counter.returns.policy_admin import change_policies
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.pricing import Discount
from counter.sales.tenders import Payment
from counter.trust.approvals import grant_approval
from db.demo import count_for
from db.queries import journal_entries, rules_to_json, save_policies
from tests.conftest import FAST_HASHER
from tests.db.support import TestStore

PEOPLE = {Role.CASHIER: "Maria", Role.SUPERVISOR: "Dana", Role.MANAGER: "Alex", Role.ADMIN: "Jordan"}
PINS = {"Maria": "1111", "Sam": "2222", "Dana": "3333", "Alex": "4444", "Jordan": "9999"}


@pytest.fixture
def shop(store_dir: Path) -> Iterator[TestStore]:
    store = TestStore(store_dir)
    yield store
    store.close()


def _approve(shop: TestStore, who: User, kind: ApprovalKind) -> object:
    return grant_approval(
        request_id=str(uuid.uuid4()),
        kinds=[kind],
        amount=Decimal("150.00"),
        requester=shop.user("Sam"),
        approver_id=who.id,
        pin=PINS[who.name.split()[0]],
        reason="checked the item",
        uow_factory=shop.uow,
        hasher=FAST_HASHER,
        clock=shop.clock,
        currency_minor=shop.cfg.currency.to_minor,
    )


def _sell(shop: TestStore, who: User, *, discount: bool = False) -> object:
    cart = Cart(shop.cfg.currency, shop.cfg.prices_include_tax)
    line = cart.add(shop.item_in("apparel"), 1)
    if discount:
        cart.discount_line(line.id, Discount(True, Decimal(10)))
    payment = Payment(cart.total, shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_cash(payment.cash_due)
    return complete_sale(
        CompleteSale(who, cart.lines, None, payment.tenders, payment.rounding),
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
    )


def _return(shop: TestStore, who: User) -> object:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    cmd = ProcessReturn(
        str(uuid.uuid4()),
        who,
        (ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, sale.lines[0].id),),
        RefundMethod.ORIGINAL,
        sale.receipt_number,
    )
    return process_return(
        cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal, rules=shop.rules
    )


def _close(shop: TestStore, who: User) -> object:
    with shop.uow() as uow:
        shift = uow.shifts.current(shop.terminal.terminal_id)
        assert shift is not None
        expected = uow.shifts.expected_cash(shift)
    return close_shift(
        who,
        count_for(expected, shop.cfg.currency),
        "",
        uow_factory=shop.uow,
        clock=shop.clock,
        terminal_id=shop.terminal.terminal_id,
        currency=shop.cfg.currency,
        rules=CashRules(),
    )


def _policies(shop: TestStore, who: User) -> None:
    change_policies(
        who,
        [ReturnPolicy("apparel", 45)],
        shop.rules,
        rules_to_json(shop.rules),
        uow_factory=shop.uow,
        clock=shop.clock,
        save=save_policies,
    )


ACTIONS: dict[str, tuple[frozenset[Permission], Callable[[TestStore, User], object]]] = {
    "sell": (frozenset({Permission.SELL}), _sell),
    "discount": (frozenset({Permission.DISCOUNT}), lambda shop, who: _sell(shop, who, discount=True)),
    "return": (frozenset({Permission.RETURN}), _return),
    "refund cash above the limit": (
        frozenset({Permission.APPROVE, Permission.REFUND_CASH}),
        lambda shop, who: _approve(shop, who, ApprovalKind.CASH_REFUND_OVER_LIMIT),
    ),
    "approve": (frozenset({Permission.APPROVE}), lambda shop, who: _approve(shop, who, ApprovalKind.OUT_OF_WINDOW)),
    "open the drawer": (
        frozenset({Permission.OPEN_DRAWER}),
        lambda shop, who: open_drawer(
            OpenDrawer(who, DrawerReason.NO_SALE, note="change for the float"), uow_factory=shop.uow, clock=shop.clock
        ),
    ),
    "close a shift": (frozenset({Permission.CLOSE_SHIFT}), _close),
    "cash office": (
        frozenset({Permission.CASH_OFFICE}),
        lambda shop, who: record_movement(
            who,
            MovementKind.PAID_OUT,
            Decimal("1.00"),
            "window cleaner",
            uow_factory=shop.uow,
            clock=shop.clock,
            terminal_id=shop.terminal.terminal_id,
            currency=shop.cfg.currency,
        ),
    ),
    "edit policies": (frozenset({Permission.EDIT_POLICIES}), _policies),
    "manage users": (
        frozenset({Permission.MANAGE_USERS}),
        lambda shop, who: add_user(
            who,
            "Pat Newman",
            Role.CASHIER,
            "5678",
            uow_factory=shop.uow,
            hasher=FAST_HASHER,
            badge_key=b"b" * 32,
            clock=shop.clock,
        ),
    ),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_role_by_action_matrix(shop: TestStore, role: Role, action: str) -> None:
    needs, run = ACTIONS[action]
    who = shop.user(PEOPLE[role])
    assert who.role is role
    allowed = needs <= PERMISSIONS[role]
    before = list(journal_entries(shop.db.read, shop.terminal.terminal_id))
    if allowed:
        run(shop, who)
        return
    with pytest.raises(CounterError) as refused:
        run(shop, who)
    assert who.name.split()[0] in refused.value.message
    after = list(journal_entries(shop.db.read, shop.terminal.terminal_id))
    new = after[len(before) :]
    assert [e.type for e in new] in ([EventType.ACCESS_REFUSED], [EventType.APPROVAL_REFUSED])
    body = new[0].body_data()
    assert who.id in (body.get("user"), body.get("approver"))  # who; the entry has when and which terminal
    assert new[0].terminal == shop.terminal.terminal_id and new[0].at


def test_the_matrix_is_what_the_readme_says() -> None:
    assert PERMISSIONS[Role.CASHIER] == {
        Permission.SELL,
        Permission.DISCOUNT,
        Permission.VOID_LINE,
        Permission.RETURN,
        Permission.CLOSE_SHIFT,
    }
    assert (
        Permission.MANAGE_USERS in PERMISSIONS[Role.ADMIN] and Permission.MANAGE_USERS not in PERMISSIONS[Role.MANAGER]
    )
    assert PERMISSIONS[Role.SUPERVISOR] < PERMISSIONS[Role.MANAGER] < PERMISSIONS[Role.ADMIN]


def test_a_deactivated_admin_can_do_nothing(shop: TestStore) -> None:
    from dataclasses import replace

    gone = replace(shop.user("Jordan"), active=False)
    assert not any(gone.can(p) for p in Permission)


# ------------------------------------------------------------------------ brute force


def test_guessing_a_pin_at_the_counter_takes_months(shop: TestStore) -> None:
    """An attacker tries PINs as fast as the lock allows, waiting out each lock. The lock
    doubles every 5 wrong PINs (up to a day) and only a right PIN resets it: 200 guesses
    (2% of the 4-digit PINs) already take more than a month."""
    start = shop.clock.now()
    user = shop.user("Sam")
    guesses = 0
    for guess in range(200):
        pin = f"{9000 + guess:04d}"  # never the right one (2222)
        while True:
            try:
                sign_in(user.id, pin, uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock)
            except SignInError as exc:
                if "locked" in exc.message and "Wrong PIN" not in exc.message:
                    shop.clock.advance(minutes=15)  # still locked: the guess was not even tried
                    continue
            break
        guesses += 1
    elapsed = shop.clock.now() - start
    assert guesses == 200 and elapsed > timedelta(days=30)
    with pytest.raises(SignInError, match="locked"):  # even the right PIN, while locked
        sign_in(user.id, "2222", uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock)
    shop.clock.advance(seconds=MAX_LOCKOUT.total_seconds())
    assert sign_in(user.id, "2222", uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock).failed_attempts == 0
    types = [e.type for e in journal_entries(shop.db.read, shop.terminal.terminal_id)]
    assert types.count(EventType.SIGN_IN_FAILED) >= 200


def test_approving_counts_toward_the_same_lockout(shop: TestStore) -> None:
    dana = shop.user("Dana")
    for _ in range(5):
        with pytest.raises(CounterError):
            grant_approval(
                request_id=str(uuid.uuid4()),
                kinds=[ApprovalKind.OUT_OF_WINDOW],
                amount=Decimal(1),
                requester=shop.user("Sam"),
                approver_id=dana.id,
                pin="0000",
                reason="x",
                uow_factory=shop.uow,
                hasher=FAST_HASHER,
                clock=shop.clock,
                currency_minor=shop.cfg.currency.to_minor,
            )
    with pytest.raises(SignInError, match="locked"):
        sign_in(dana.id, "3333", uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock)


# ------------------------------------------------------------------------- approvals


def test_an_approval_ends_with_its_request(shop: TestStore) -> None:
    """Elevated rights last one override: the same supervisor's approval for one return
    does not carry over to the next one, even for the same items and amount."""
    sale = shop.sell([(shop.item_in("apparel"), 2)])
    shop.clock.advance(days=40)  # out of the return window: needs a supervisor

    def request() -> ProcessReturn:
        return ProcessReturn(
            str(uuid.uuid4()),
            shop.user("Maria"),
            (ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, sale.lines[0].id),),
            RefundMethod.ORIGINAL,
            sale.receipt_number,
        )

    first = request()
    with pytest.raises(ApprovalNeeded) as needed:
        process_return(
            first, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal, rules=shop.rules
        )
    grant_approval(
        request_id=first.request_id,
        kinds=needed.value.kinds,
        amount=needed.value.amount,
        requester=first.cashier,
        approver_id=shop.user("Dana").id,
        pin="3333",
        reason="regular customer",
        uow_factory=shop.uow,
        hasher=FAST_HASHER,
        clock=shop.clock,
        currency_minor=shop.cfg.currency.to_minor,
    )
    process_return(
        first, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal, rules=shop.rules
    )
    with pytest.raises(ApprovalNeeded):  # the second unit, a new request: asked again
        process_return(
            request(), uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal, rules=shop.rules
        )


def test_nobody_approves_their_own_request_whatever_their_role(shop: TestStore) -> None:
    for name in ("Dana", "Alex", "Jordan"):
        me = shop.user(name)
        with pytest.raises(CounterError, match="your own request"):
            grant_approval(
                request_id=str(uuid.uuid4()),
                kinds=[ApprovalKind.NO_RECEIPT],
                amount=Decimal(1),
                requester=me,
                approver_id=me.id,
                pin=PINS[name],
                reason="x",
                uow_factory=shop.uow,
                hasher=FAST_HASHER,
                clock=shop.clock,
                currency_minor=shop.cfg.currency.to_minor,
            )
    types = [e.type for e in journal_entries(shop.db.read, shop.terminal.terminal_id)][-3:]
    assert types == [EventType.APPROVAL_REFUSED] * 3
