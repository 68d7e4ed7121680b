"""The chain's staff members in the back office (issue #18, point 7): an administrator adds a
person with a role and a first PIN, changes their role, sets a new PIN and deactivates
them; each reaches the lane at its next pull (who may sign in at the till, with what PIN),
and each is an office action that never holds the PIN. Only an administrator may; a bad
PIN or role is refused in words and changes nothing. Real lanes, HQ, PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import Engine, select

from counter.errors import SignInError
from counter.people.staff import sign_in
from counter.people.users import PinHasher, Role, UserId
from db import schema as ls
from db.engine import pin_key
from hq import schema as hs
from hq.serve import RunningHq
from tests.hq.conftest import Lane
from tests.hq.office_browser import make_login
from tests.hq.test_desk_at_hq import sync
from tests.hq.test_office_departments import csrf_of, office  # noqa: F401

pytestmark = pytest.mark.slow


def till_sign_in(lane: Lane, user_id: str, pin: str) -> str:
    """Sign in at the lane's till as the app does (its keyed PIN hasher): the person's role."""
    hasher = PinHasher(time_cost=1, memory_cost=1024).keyed(pin_key(lane.store.db.require_secret()))
    user = sign_in(UserId(user_id), pin, uow_factory=lane.store.uow, hasher=hasher, clock=lane.store.clock)
    return str(user.role)


def test_a_person_added_at_hq_signs_in_at_the_till_and_changes_reach_it(
    make_lane: Callable[..., Lane],
    hq: RunningHq,
    hq_engine: Engine,
    office: Callable[[str], httpx.Client],  # noqa: F811
) -> None:
    lane = make_lane("T01")
    make_login(hq_engine, "jordan", "u-admin", "admin")
    admin = office("jordan")
    form = admin.get("/office/people")
    token = csrf_of(form.text)
    bad = admin.post("/office/people", data={"csrf": token, "name": "Rosa Diaz", "role": "cashier", "pin": "12a4"})
    assert bad.status_code == 422 and "A PIN is 4 to 8 digits." in bad.text and "Nothing was changed" in bad.text
    added = admin.post(
        "/office/people", data={"csrf": token, "name": "Rosa Diaz", "role": "cashier", "store": "S01", "pin": "5151"}
    )
    assert added.status_code == 303
    assert "Rosa Diaz added as cashier" in admin.get(added.headers["location"]).text
    with hq_engine.connect() as conn:
        (user_id, pin_hash) = conn.execute(
            select(hs.users.c.id, hs.users.c.pin_hash).where(hs.users.c.name == "Rosa Diaz")
        ).one()
        actions = conn.execute(select(hs.office_actions.c.detail).where(hs.office_actions.c.action.like("staff_%")))
        assert "5151" not in repr(actions.all()) and "5151" not in pin_hash
    sync(lane)
    assert till_sign_in(lane, user_id, "5151") == str(Role.CASHIER)

    # a supervisor now, with a new PIN: the old one no longer opens the till
    url = f"/office/people/{user_id}"
    assert (
        admin.post(url, data={"csrf": token, "action": "role", "role": "supervisor", "store": "S01"}).status_code == 303
    )
    assert admin.post(url, data={"csrf": token, "action": "pin", "pin": "7272"}).status_code == 303
    sync(lane)
    with pytest.raises(SignInError, match="not right"):
        till_sign_in(lane, user_id, "5151")
    assert till_sign_in(lane, user_id, "7272") == str(Role.SUPERVISOR)

    # deactivated: off the till's list
    assert admin.post(url, data={"csrf": token, "action": "deactivate"}).status_code == 303
    sync(lane)
    with lane.store.db.read.connect() as conn:
        active = conn.execute(select(ls.users.c.active).where(ls.users.c.id == user_id)).scalar_one()
    assert not active
    page = admin.get("/office/people").text
    row = page.split("Rosa Diaz<br>")[1].split("</tr>")[0]
    assert "Deactivated" in row and "Supervisor · S01" in row
    self_off = admin.post("/office/people/u-admin", data={"csrf": token, "action": "deactivate"})
    assert self_off.status_code == 422 and "cannot deactivate yourself" in self_off.text


def test_only_an_administrator_manages_the_staff(
    make_lane: Callable[..., Lane],
    hq: RunningHq,
    hq_engine: Engine,
    office: Callable[[str], httpx.Client],  # noqa: F811
) -> None:
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    manager = office("alex")
    with hq_engine.connect() as conn:
        before = conn.execute(select(hs.users.c.pin_hash).where(hs.users.c.id == "u-admin")).scalar_one()
    assert manager.get("/office/people").status_code == 403
    token = csrf_of(manager.get("/office/queue").text)
    refused = manager.post("/office/people", data={"csrf": token, "name": "Eve", "role": "admin", "pin": "1234"})
    assert refused.status_code == 403
    pin = manager.post("/office/people/u-admin", data={"csrf": token, "action": "pin", "pin": "0000"})
    assert pin.status_code == 403
    with hq_engine.connect() as conn:
        assert conn.execute(select(hs.users.c.id).where(hs.users.c.name == "Eve")).first() is None
        after = conn.execute(select(hs.users.c.pin_hash).where(hs.users.c.id == "u-admin")).scalar_one()
    assert after == before
