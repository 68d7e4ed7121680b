"""The back office's sign-in, sessions and forms (issue #18, point 1), over HTTP against the
real HQ on the real PostgreSQL: argon2id passwords, the lockout, one-time passwords to be
changed, HTTP-only SameSite cookies, form tokens on every form, sessions that end, and
every action recorded with who took it. (The same in a real Chromium:
tests/hq/test_office_browser.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine, select, update

from hq import schema as hs
from hq.office import auth
from hq.serve import RunningHq

pytestmark = pytest.mark.slow

PASSWORD = "a long enough secret"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def make_login(engine: Engine, login: str, user_id: str, role: str, **kw: str) -> str:
    """A login with its own password already chosen (the one-time one changed)."""
    one_time = auth.add_login(engine, login, user_id, role, **kw)  # type: ignore[arg-type]
    with engine.begin() as conn:
        conn.execute(
            update(hs.office_logins)
            .where(hs.office_logins.c.login == login)
            .values(password_hash=auth.hash_password(PASSWORD), must_change=False)
        )
    return one_time


@pytest.fixture
def browser(hq: RunningHq) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hq.url, timeout=10, follow_redirects=False) as client:
        yield client


def sign_in(client: httpx.Client, login: str, password: str) -> httpx.Response:
    form = client.get("/office/sign-in")
    assert form.status_code == 200
    return client.post(
        "/office/sign-in", data={"login": login, "password": password, "csrf": csrf_of(form.text), "next": "/office"}
    )


def actions(engine: Engine) -> list[tuple[str, str]]:
    a = hs.office_actions
    with engine.connect() as conn:
        return [(str(x), str(y)) for x, y in conn.execute(select(a.c.login, a.c.action).order_by(a.c.id))]


def test_a_person_signs_in_with_an_http_only_strict_cookie_and_out_again(
    hq: RunningHq, hq_engine: Engine, browser: httpx.Client
) -> None:
    make_login(hq_engine, "dana", "u-supervisor", "agent", department="warranty")
    assert browser.get("/office/queue").headers["location"].startswith("/office/sign-in?next=/office/queue")
    r = sign_in(browser, "dana", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/office"
    cookie = r.headers["set-cookie"]
    assert "counter_office=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/office" in cookie
    with hq_engine.connect() as conn:
        (stored,) = conn.execute(select(hs.office_sessions.c.token_hash)).scalars()
    token = cookie.split("counter_office=")[1].split(";")[0]
    assert stored != token and len(stored) == 64  # only its SHA-256 is kept
    home = browser.get("/office", follow_redirects=True)
    assert home.status_code == 200 and "Dana Whitfield" in home.text and "Department agent" in home.text
    out = browser.post("/office/sign-out", data={"csrf": csrf_of(home.text)})
    assert out.status_code == 303
    assert browser.get("/office/queue").status_code == 303  # to the sign-in page again
    assert [a for _, a in actions(hq_engine)][-2:] == ["sign_in", "sign_out"]


def test_five_wrong_passwords_lock_the_login_and_an_unknown_login_reads_the_same(
    hq: RunningHq, hq_engine: Engine, browser: httpx.Client
) -> None:
    make_login(hq_engine, "sam", "u-cashier-2", "hq_staff")
    unknown = sign_in(browser, "nobody", "whatever it is")
    wrong = sign_in(browser, "sam", "not the password")
    assert unknown.status_code == wrong.status_code == 401
    said = "The login or the password is not right."
    assert said in unknown.text and said in wrong.text
    for _ in range(3):
        sign_in(browser, "sam", "not the password")
    locked = sign_in(browser, "sam", "not the password")
    assert "locked for 15 minutes" in locked.text
    still = sign_in(browser, "sam", PASSWORD)  # the right one, while locked
    assert still.status_code == 401 and "locked after 5 wrong passwords" in still.text
    assert ("sam", "lockout") in actions(hq_engine)
    # an admin's reset unlocks it with a one-time password, which must be changed first
    one_time = auth.reset(hq_engine, "sam")
    r = sign_in(browser, "sam", one_time)
    assert r.status_code == 303 and r.headers["location"] == "/office/password"
    assert browser.get("/office/queue").headers["location"].startswith("/office/sign-in?next=/office/password")
    form = browser.get("/office/password")
    short = browser.post(
        "/office/password", data={"csrf": csrf_of(form.text), "old": one_time, "new": "short", "again": "short"}
    )
    assert short.status_code == 422 and "at least 10 characters" in short.text
    done = browser.post(
        "/office/password",
        data={
            "csrf": csrf_of(form.text),
            "old": one_time,
            "new": "my own new password",
            "again": "my own new password",
        },
    )
    assert done.status_code == 303
    assert browser.get("/office/queue").status_code == 200


def test_a_form_without_this_sessions_token_is_refused_and_changes_nothing(
    hq: RunningHq, hq_engine: Engine, browser: httpx.Client
) -> None:
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    sign_in(browser, "alex", PASSWORD)
    before = actions(hq_engine)
    forged = browser.post("/office/sign-out", data={"csrf": "made-up"})
    assert forged.status_code == 403 and "nothing was changed" in forged.text
    missing = browser.post("/office/password", data={"old": PASSWORD, "new": "x" * 12, "again": "x" * 12})
    assert missing.status_code == 403
    assert actions(hq_engine) == before
    assert browser.get("/office/queue").status_code == 200  # still signed in
    # a sign-in form from elsewhere (no pre-session token of ours) is refused too
    with httpx.Client(base_url=hq.url, timeout=10) as other:
        r = other.post("/office/sign-in", data={"login": "alex", "password": PASSWORD, "csrf": "x"})
        assert r.status_code == 403 and "sign-in form is out of date" in r.text


def test_a_session_ends_when_idle_and_a_form_sent_after_says_so_and_changes_nothing(
    hq: RunningHq, hq_engine: Engine, browser: httpx.Client
) -> None:
    make_login(hq_engine, "jordan", "u-admin", "admin")
    sign_in(browser, "jordan", PASSWORD)
    form = browser.get("/office/password")
    with hq_engine.begin() as conn:
        conn.execute(update(hs.office_sessions).values(seen_at=hs.office_sessions.c.seen_at - timedelta(minutes=31)))
    late = browser.post(
        "/office/password", data={"csrf": csrf_of(form.text), "old": PASSWORD, "new": "y" * 12, "again": "y" * 12}
    )
    assert late.status_code == 303 and "nothing%20was%20changed" in late.headers["location"]
    said = browser.get(late.headers["location"])
    assert "Your session ended before the form was sent; nothing was changed." in said.text
    with hq_engine.connect() as conn:
        assert conn.execute(select(hs.office_sessions)).all() == []
    assert sign_in(browser, "jordan", PASSWORD).status_code == 303  # the password did not change


def test_an_open_redirect_after_sign_in_goes_home_instead(
    hq: RunningHq, hq_engine: Engine, browser: httpx.Client
) -> None:
    make_login(hq_engine, "dana", "u-supervisor", "hq_staff")
    form = browser.get("/office/sign-in?next=https://evil.example/")
    assert 'value="/office"' in form.text
    r = browser.post(
        "/office/sign-in",
        data={"login": "dana", "password": PASSWORD, "csrf": csrf_of(form.text), "next": "//evil.example/x"},
    )
    assert r.headers["location"] == "/office"
