"""The back office and HQ's refusals speak the person's language (issue #21, point 1): the
language chosen on the page (the ``counter_lang`` cookie), else the browser's or lane's
``Accept-Language``, else English. Checked in the pseudo-language ``en_XA`` (every letter
accented), where English left on a page stands out; the real catalogues may still be empty."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import Engine

from counter.i18n import pseudo_long
from db.remote_approvals import RemoteApprovals
from hq.serve import RunningHq
from tests.hq.test_office_approvals import answer, lanes, office_actions, raise_request, web  # noqa: F401
from tests.hq.test_office_auth import PASSWORD, make_login, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def browser(hq: RunningHq) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hq.url, timeout=10, follow_redirects=False) as client:
        yield client


def h1(page: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert found, page[:400]
    return found.group(1).strip()


def test_sign_in_page_in_the_pseudo_language_has_no_plain_english(browser: httpx.Client) -> None:
    english = browser.get("/office/sign-in")
    assert h1(english.text) == "Sign in to the back office"
    browser.cookies.set("counter_lang", "en_XA", path="/office")
    pseudo = browser.get("/office/sign-in")
    assert pseudo.status_code == 200
    assert h1(pseudo.text) == pseudo_long("Sign in to the back office")
    for english_word in (">Sign in<", ">Login<", ">Password<", "Skip to the content", ">Change language<"):
        assert english_word not in pseudo.text
    assert browser.get("/office/sign-in", headers={"Accept-Language": "de"}).status_code == 200


def test_a_signed_in_page_follows_the_chosen_language(hq_engine: Engine, browser: httpx.Client) -> None:
    make_login(hq_engine, "lang.admin", "u-admin", "admin")
    assert sign_in(browser, "lang.admin", PASSWORD).status_code == 303
    english = browser.get("/office/queue")
    assert english.status_code == 200
    assert ">Department queue<" in english.text
    chosen = browser.post("/office/language", data={"lang": "de", "next": "/office/queue"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/office/queue"
    assert browser.cookies.get("counter_lang") == "de"
    assert browser.get("/office/queue").status_code == 200  # German (English where not yet translated)
    browser.cookies.set("counter_lang", "en_XA", path="/office")
    pseudo = browser.get("/office/queue")
    assert pseudo.status_code == 200
    assert ">Department queue<" not in pseudo.text
    assert pseudo_long("Department queue") in pseudo.text
    assert pseudo_long("Sign out") in pseudo.text


def test_the_browser_language_decides_when_none_is_chosen(browser: httpx.Client) -> None:
    pseudo = browser.get("/office/sign-in", headers={"Accept-Language": "it, en-XA;q=0.8, en;q=0.5"})
    assert h1(pseudo.text) == pseudo_long("Sign in to the back office")
    assert h1(browser.get("/office/sign-in", headers={"Accept-Language": "it"}).text) == "Sign in to the back office"


def test_a_refusal_a_lane_shows_is_in_its_language_and_its_code_is_not(browser: httpx.Client) -> None:
    english = browser.get("/v1/changes", headers={"Authorization": "Bearer nonsense"})
    pseudo = browser.get("/v1/changes", headers={"Authorization": "Bearer nonsense", "Accept-Language": "en-XA"})
    assert english.status_code == pseudo.status_code == 401
    assert pseudo.json()["error"] == english.json()["error"] == "unauthorized"
    assert pseudo.json()["message"] == pseudo_long(english.json()["message"])


def test_a_refusal_shown_in_the_pseudo_language_is_stored_in_english(  # noqa: F811 - the fixtures
    hq_engine: Engine,
    lanes: Callable[..., RemoteApprovals],  # noqa: F811
    web: Callable[[str], httpx.Client],  # noqa: F811
) -> None:
    req = raise_request(lanes("T01"))
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    alex = web("alex")
    alex.cookies.set("counter_lang", "en_XA", path="/office")
    wrong = answer(alex, req.id, "approve", "0000")
    assert wrong.status_code == 403
    english = "That PIN is not right for Alex Morgan (4 more tries before a lock); type it again."
    assert english not in wrong.text
    words = pseudo_long("That PIN is not right for {name} ({left} more tries before a lock); type it again.")
    assert html.escape(words.format(name="Alex Morgan", left=4), quote=False) in wrong.text
    # the back office's audit trail keeps the refusal in English, whatever the page spoke
    assert ("alex", "approval_refused", f"wrong_pin: {english}") in office_actions(hq_engine)
