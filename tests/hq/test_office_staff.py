"""The staff's logins and the lanes' enrolment in the back office (issue #18, points 6 and
7), over HTTP as a browser posts the forms, against the real HQ on the real PostgreSQL:

* an administrator adds a login for a staff member: its one-time password, shown once,
  signs in and must be changed first; a new one-time password unlocks a login and ends its
  sessions; deactivating a login ends its sessions and stops its sign-in, until it is
  made active again; every one an office action with who took it;
* anyone but an administrator is refused every staff and lane form (403), and nothing
  changes; a forged form token is refused (403) and nothing changes;
* an enrolment code issued on the lanes page enrols a real terminal (``POST /v1/enrol``),
  once; revoking a lane on the page (its terminal id typed to confirm) stops its token."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select, update

from db.hq_client import HqRefused
from hq import access, schema as hs
from hq.serve import RunningHq
from hq.store import utcnow
from tests.hq.conftest import Lane
from tests.hq.office_browser import PASSWORD, make_login
from tests.hq.office_http import csrf_of, row_text, said_text, signed_in_client

pytestmark = pytest.mark.slow


@pytest.fixture
def office(hq: RunningHq, hq_engine: Engine) -> Iterator[Callable[[str], httpx.Client]]:
    made: list[httpx.Client] = []

    def client(login: str) -> httpx.Client:
        made.append(signed_in_client(hq.url, login, PASSWORD))
        return made[-1]

    yield client
    for c in made:
        c.close()


@pytest.fixture
def admin(hq: RunningHq, hq_engine: Engine, office: Callable[[str], httpx.Client]) -> httpx.Client:
    make_login(hq_engine, "jordan", "u-admin", "admin")
    return office("jordan")


def post(client: httpx.Client, path: str, data: dict[str, str], page: str = "/office/staff") -> httpx.Response:
    return client.post(path, data={"csrf": csrf_of(client.get(page).text), **data})


def state(engine: Engine) -> dict[str, Any]:
    """Everything a staff or lane form could change."""
    lg, tk = hs.office_logins, hs.tokens
    with engine.connect() as conn:
        return {
            "logins": sorted(tuple(r) for r in conn.execute(select(lg))),
            "sessions": conn.execute(select(func.count()).select_from(hs.office_sessions)).scalar(),
            "codes": conn.execute(select(func.count()).select_from(hs.enrol_codes)).scalar(),
            "revoked": conn.execute(select(func.count()).where(tk.c.revoked_at.is_not(None))).scalar(),
            "actions": [a for (a,) in conn.execute(select(hs.office_actions.c.action)) if not a.startswith("sign_")],
        }


def actions(engine: Engine) -> list[tuple[str, str, str, str]]:
    a = hs.office_actions
    with engine.connect() as conn:
        rows = conn.execute(select(a.c.login, a.c.user_id, a.c.action, a.c.target).order_by(a.c.id))
        return [(str(w), str(u), str(x), str(t)) for w, u, x, t in rows if not str(x).startswith("sign_")]


def sign_in_status(hq: RunningHq, login: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=hq.url, timeout=10) as c:
        form = c.get("/office/sign-in")
        return c.post("/office/sign-in", data={"login": login, "password": password, "csrf": csrf_of(form.text)})


def test_an_admin_adds_a_login_whose_one_time_password_works_once_and_must_be_changed(
    hq: RunningHq, hq_engine: Engine, admin: httpx.Client
) -> None:
    page = admin.get("/office/staff").text
    assert 'value="u-cashier-1"' in page and 'value="u-admin"' not in page  # only those without a login
    r = post(admin, "/office/staff/add", {"user_id": "u-cashier-1", "login": "Maria.L", "role": "store_manager",
                                          "store": "S01", "department": "warranty"})  # fmt: skip
    assert r.status_code == 200
    one_time = said_text(r.text, "one-time-password")
    assert len(one_time) >= 12 and "maria.l" in said_text(r.text, "password-said") + r.text
    row = row_text(r.text, "login-maria.l")
    assert row.startswith("maria.l Maria Lopez Store manager S01 — One-time password")  # no department kept
    assert one_time not in admin.get("/office/staff").text  # shown once, never again
    with hq_engine.connect() as conn:
        kept = conn.execute(select(hs.office_logins.c.password_hash)).scalars().all()
    assert all(one_time not in h for h in kept)
    with httpx.Client(base_url=hq.url, timeout=10) as maria:
        form = maria.get("/office/sign-in")
        sent = {"login": "maria.l", "password": one_time, "csrf": csrf_of(form.text)}
        signed = maria.post("/office/sign-in", data=sent)
        assert signed.status_code == 303 and signed.headers["location"] == "/office/password"
        assert maria.get("/office/lanes").headers["location"].startswith("/office/sign-in?next=/office/password")
        pw = maria.get("/office/password")
        mine = "maria's own secret"
        sent = {"csrf": csrf_of(pw.text), "old": one_time, "new": mine, "again": mine}
        done = maria.post("/office/password", data=sent)
        assert done.status_code == 303
        assert maria.get("/office/lanes").status_code == 200
    assert ("jordan", "u-admin", "login_added", "maria.l") in actions(hq_engine)
    # refusals say why, and add nothing
    before = state(hq_engine)
    taken = post(admin, "/office/staff/add", {"user_id": "u-cashier-2", "login": "maria.l", "role": "hq_staff"})
    assert taken.status_code == 422 and "The login maria.l is taken." in taken.text
    no_store = post(admin, "/office/staff/add", {"user_id": "u-cashier-2", "login": "sam", "role": "store_manager"})
    assert no_store.status_code == 422 and "A store manager needs a store. Type it, e.g. S01." in no_store.text
    has_one = post(admin, "/office/staff/add", {"user_id": "u-cashier-1", "login": "maria2", "role": "hq_staff"})
    assert has_one.status_code == 422 and "u-cashier-1 has a login already." in has_one.text
    no_dept = post(admin, "/office/staff/add", {"user_id": "u-cashier-2", "login": "sam", "role": "agent",
                                                "department": "<b>nowhere</b>"})  # fmt: skip
    assert no_dept.status_code == 422 and "There is no open department" in no_dept.text
    assert "<b>nowhere" not in no_dept.text  # typed text is shown as text
    assert state(hq_engine) == before


def test_a_new_one_time_password_unlocks_the_login_and_ends_its_sessions(
    hq: RunningHq, hq_engine: Engine, admin: httpx.Client, office: Callable[[str], httpx.Client]
) -> None:
    make_login(hq_engine, "sam", "u-cashier-2", "hq_staff")
    sam = office("sam")
    assert sam.get("/office/lanes").status_code == 200
    with hq_engine.begin() as conn:
        until = utcnow() + timedelta(minutes=10)
        conn.execute(update(hs.office_logins).where(hs.office_logins.c.login == "sam").values(locked_until=until))
    assert "Locked until" in row_text(admin.get("/office/staff").text, "login-sam")
    r = post(admin, "/office/staff/reset", {"login": "sam"})
    one_time = said_text(r.text, "one-time-password")
    assert r.status_code == 200 and len(one_time) >= 12
    assert "One-time password" in row_text(r.text, "login-sam") and "Locked" not in row_text(r.text, "login-sam")
    assert sam.get("/office/lanes").status_code == 303  # its session ended
    assert sign_in_status(hq, "sam", PASSWORD).status_code == 401  # the old password is gone
    again = sign_in_status(hq, "sam", one_time)
    assert again.status_code == 303 and again.headers["location"] == "/office/password"
    assert ("jordan", "u-admin", "password_reset", "sam") in actions(hq_engine)
    unknown = post(admin, "/office/staff/reset", {"login": "nobody"})
    assert unknown.status_code == 422 and "There is no login nobody." in unknown.text


def test_deactivating_a_login_ends_its_sessions_until_it_is_made_active_again(
    hq: RunningHq, hq_engine: Engine, admin: httpx.Client, office: Callable[[str], httpx.Client]
) -> None:
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    alex = office("alex")
    assert alex.get("/office/lanes").status_code == 200
    r = post(admin, "/office/staff/active", {"login": "alex", "active": "0"})
    assert r.status_code == 200 and "alex is deactivated" in said_text(r.text, "said")
    assert "Deactivated" in row_text(r.text, "login-alex")
    assert alex.get("/office/lanes").status_code == 303
    assert sign_in_status(hq, "alex", PASSWORD).status_code == 401
    back = post(admin, "/office/staff/active", {"login": "alex", "active": "1"})
    assert back.status_code == 200 and "Active" in row_text(back.text, "login-alex")
    assert sign_in_status(hq, "alex", PASSWORD).status_code == 303
    me = post(admin, "/office/staff/active", {"login": "jordan", "active": "0"})
    assert me.status_code == 422 and "You cannot deactivate your own login." in me.text
    assert admin.get("/office/staff").status_code == 200
    assert [a[2] for a in actions(hq_engine)] == [
        "login_added",
        "login_added",
        "login_deactivated",
        "login_reactivated",
    ]


def test_no_one_but_an_admin_may_use_a_staff_or_lane_form_and_nothing_changes(
    hq: RunningHq, hq_engine: Engine, make_lane: Callable[..., Lane], office: Callable[[str], httpx.Client]
) -> None:
    make_lane("T01")
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    make_login(hq_engine, "sam", "u-cashier-2", "hq_staff")
    make_login(hq_engine, "dana", "u-supervisor", "agent", department="warranty")
    forms = [
        ("/office/staff/add", {"user_id": "u-cashier-1", "login": "maria", "role": "admin"}),
        ("/office/staff/reset", {"login": "sam"}),
        ("/office/staff/active", {"login": "sam", "active": "0"}),
        ("/office/lanes/enrol-code", {"store": "S01", "terminal": "T08"}),
        ("/office/lanes/revoke", {"store": "S01", "terminal": "T01", "confirm": "T01"}),
    ]
    for login in ("alex", "sam", "dana"):
        client = office(login)
        assert client.get("/office/staff").status_code == 403
        assert 'href="/office/staff"' not in client.get("/office/queue").text
        token = csrf_of(client.get("/office/queue").text)  # their own, valid form token
        before = state(hq_engine)
        for path, data in forms:
            r = client.post(path, data={"csrf": token, **data})
            assert r.status_code == 403 and "Administrators only" in r.text and "nothing was changed" in r.text, path
        assert state(hq_engine) == before, login


def test_a_forged_form_token_is_refused_and_changes_nothing(
    hq: RunningHq, hq_engine: Engine, make_lane: Callable[..., Lane], admin: httpx.Client
) -> None:
    make_lane("T01")
    make_login(hq_engine, "sam", "u-cashier-2", "hq_staff")
    before = state(hq_engine)
    for path, data in [
        ("/office/staff/add", {"user_id": "u-cashier-1", "login": "maria", "role": "admin"}),
        ("/office/staff/reset", {"login": "sam"}),
        ("/office/staff/active", {"login": "sam", "active": "0"}),
        ("/office/lanes/enrol-code", {"store": "S01", "terminal": "T08"}),
        ("/office/lanes/revoke", {"store": "S01", "terminal": "T01", "confirm": "T01"}),
    ]:
        for forged in ({"csrf": "made-up"}, {}):
            r = admin.post(path, data={**forged, **data})
            assert r.status_code == 403 and "nothing was changed" in r.text, path
    assert state(hq_engine) == before


def test_an_enrolment_code_from_the_page_enrols_a_real_terminal_once(
    hq: RunningHq, hq_engine: Engine, admin: httpx.Client
) -> None:
    r = post(admin, "/office/lanes/enrol-code", {"store": "S01", "terminal": "T07"}, page="/office/lanes")
    assert r.status_code == 200 and "S01-T07" in said_text(r.text, "code-said") + r.text
    code = said_text(r.text, "enrol-code")
    assert len(code) == 14 and code.count("-") == 2
    assert code not in admin.get("/office/lanes").text  # shown once
    with httpx.Client(base_url=hq.url, timeout=10) as lane:
        enrolled = lane.post("/v1/enrol", json={"code": code})
        assert enrolled.status_code == 200 and (enrolled.json()["store"], enrolled.json()["terminal"]) == ("S01", "T07")
        head = lane.get("/v1/journal/head", headers={"Authorization": f"Bearer {enrolled.json()['token']}"})
        assert head.status_code == 200 and head.json()["acked_seq"] == 0  # its token works
        assert lane.post("/v1/enrol", json={"code": code}).status_code == 401  # one use
    assert row_text(admin.get("/office/lanes").text, "lane-S01-T07").startswith("S01 T07")
    assert ("jordan", "u-admin", "enrol_code", "S01-T07") in actions(hq_engine)
    before = state(hq_engine)
    for bad in ({"store": "S01", "terminal": "T 7"}, {"store": "", "terminal": "T07"},
                {"store": "S01", "terminal": "T" * 17}):  # fmt: skip
        refused = post(admin, "/office/lanes/enrol-code", bad, page="/office/lanes")
        assert refused.status_code == 422 and "1 to 16 letters, digits, dashes or underscores" in refused.text
    assert state(hq_engine) == before


def test_revoking_a_lane_on_the_page_stops_its_token(
    hq: RunningHq, hq_engine: Engine, make_lane: Callable[..., Lane], admin: httpx.Client
) -> None:
    lane = make_lane("T01")
    other = make_lane("T02")
    before = state(hq_engine)
    wrong = post(admin, "/office/lanes/revoke", {"store": "S01", "terminal": "T01", "confirm": "T02"}, "/office/lanes")
    assert wrong.status_code == 422 and "type its terminal id (T01)" in wrong.text
    assert state(hq_engine) == before
    r = post(admin, "/office/lanes/revoke", {"store": "S01", "terminal": "T01", "confirm": "T01"}, "/office/lanes")
    assert r.status_code == 200 and "S01-T01 is revoked (1 token)" in said_text(r.text, "said")
    assert "Revoked" in row_text(r.text, "lane-S01-T01") and "Revoked" not in row_text(r.text, "lane-S01-T02")
    time.sleep(access.TOKEN_CACHE_SECONDS + 0.1)  # a token HQ checked recently may live that long
    with pytest.raises(HqRefused) as refused:
        lane.client.head()
    assert refused.value.status == 401 and "revoked" in refused.value.message
    assert "enrol it again" in lane.syncer.cycle().problem
    assert other.syncer.cycle().online and not other.syncer.status.problem  # only that lane
    assert ("jordan", "u-admin", "lane_revoked", "S01-T01") in actions(hq_engine)
    missing = post(
        admin, "/office/lanes/revoke", {"store": "S01", "terminal": "T99", "confirm": "T99"}, "/office/lanes"
    )
    assert missing.status_code == 404 and "No lane S01-T99 is enrolled" in missing.text
