"""A department agent works a case to its outcome in a real Chromium (issue #18, point 2):
signs in by keyboard, opens the case from the queue, reads the customer's words, writes the
outcome; the lane receives "tell the customer". At a laptop's width and a phone's, with
screenshots of the queue and the case page in docs/screens/office/."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import Engine

from counter.desk.referrals import ReferralStatus
from db.desk_queries import department_queue
from hq.serve import RunningHq
from tests.hq.conftest import Lane
from tests.hq.office_browser import LAPTOP, PHONE, chrome, make_login, shot, sign_in, text, wait_for  # noqa: F401
from tests.hq.test_desk_at_hq import sync
from tests.hq.test_office_departments import complaint

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("chrome", [LAPTOP, PHONE], indirect=True, ids=["laptop", "phone"])
def test_an_agent_records_the_outcome_in_the_browser_and_the_lane_is_told(  # noqa: F811
    chrome: WebDriver,  # noqa: F811
    make_lane: Callable[..., Lane],
    hq_engine: Engine,
    hq: RunningHq,
) -> None:
    width = chrome.get_window_size()["width"]
    size = "phone" if width < 600 else "laptop"
    one, two = make_lane("T01"), make_lane("T02")
    case, referral = complaint(one)
    sync(one)
    make_login(hq_engine, "wanda", "u-supervisor", "agent", store_id="S01", department="warranty")

    sign_in(chrome, hq.url, "wanda")
    assert "/office/queue" in chrome.current_url
    assert "Queue: Warranty and repair" in text(chrome) and case.number in text(chrome)
    shot(chrome, f"queue-{size}")
    chrome.find_element(By.LINK_TEXT, case.number).click()
    wait_for(chrome, By.TAG_NAME, "textarea")
    page = text(chrome)
    assert "The kettle leaks from the seam." in page and "Seam leak, under warranty" in page
    shot(chrome, f"case-{size}")
    chrome.find_element(By.TAG_NAME, "textarea").send_keys("Seal replaced under warranty.")
    chrome.find_element(By.CSS_SELECTOR, "button[value=outcome]").click()
    wait_for(chrome, By.CSS_SELECTOR, "[role=status]")
    assert "Outcome recorded: the lanes will tell the customer." in text(chrome)
    assert not chrome.find_elements(By.TAG_NAME, "textarea")  # answered: no more forms for it
    shot(chrome, f"case-answered-{size}")

    sync(two)
    (answered,) = [r for r in department_queue(two.store.db.read, "warranty") if r.id == referral.id]
    assert (answered.status, answered.outcome) == (ReferralStatus.ANSWERED, "Seal replaced under warranty.")


@pytest.mark.parametrize("chrome", [LAPTOP], indirect=True)
def test_sign_in_by_keyboard_with_a_wrong_password_says_so_and_keeps_the_login(  # noqa: F811
    chrome: WebDriver,  # noqa: F811
    hq_engine: Engine,
    hq: RunningHq,
) -> None:
    make_login(hq_engine, "wanda", "u-supervisor", "agent", store_id="S01", department="warranty")
    sign_in(chrome, hq.url, "wanda", "not the password")
    assert "The login or the password is not right." in text(chrome)
    assert chrome.find_element(By.ID, "login").get_attribute("value") == "wanda"
    shot(chrome, "sign-in-refused-laptop")


@pytest.mark.parametrize("chrome", [LAPTOP], indirect=True)
def test_five_wrong_passwords_in_the_browser_lock_the_login_and_say_until_when(  # noqa: F811
    chrome: WebDriver,  # noqa: F811
    hq_engine: Engine,
    hq: RunningHq,
) -> None:
    make_login(hq_engine, "wanda", "u-supervisor", "agent", store_id="S01", department="warranty")
    for _ in range(4):
        sign_in(chrome, hq.url, "wanda", "not the password")
        assert "The login or the password is not right." in text(chrome)
    sign_in(chrome, hq.url, "wanda", "not the password")
    assert "this login is locked for 15 minutes" in text(chrome)
    sign_in(chrome, hq.url, "wanda")  # the right password, while locked
    assert "locked after 5 wrong passwords, until" in text(chrome)
    assert "/office/sign-in" in chrome.current_url


@pytest.mark.parametrize("chrome", [LAPTOP], indirect=True)
def test_a_form_from_another_site_is_refused_in_the_browser_and_changes_nothing(  # noqa: F811
    chrome: WebDriver,  # noqa: F811
    make_lane: Callable[..., Lane],
    hq_engine: Engine,
    hq: RunningHq,
) -> None:
    one = make_lane("T01")
    case, referral = complaint(one)
    sync(one)
    make_login(hq_engine, "wanda", "u-supervisor", "agent", store_id="S01", department="warranty")
    sign_in(chrome, hq.url, "wanda")
    # a page that posts to the back office with the session's cookie but not its form token
    # (what a forged form on another site would send; SameSite keeps the cookie off it too)
    url = f"{hq.url}/office/cases/S01/{case.id}/referrals/{referral.id}"
    chrome.get(f"{hq.url}/office/queue")
    chrome.execute_script(
        "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
        "for (const [k, v] of [['csrf', 'forged'], ['action', 'outcome'], ['note', 'not from us']]) {"
        "  const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }"
        "document.body.appendChild(f); f.submit();",
        url,
    )
    wait_for(chrome, By.TAG_NAME, "h1")
    assert "This form is out of date or was not sent from this back office; nothing was changed." in text(chrome)
    sync(one)
    assert [r.status for r in department_queue(one.store.db.read, "warranty") if r.id == referral.id] == [
        ReferralStatus.OPEN
    ]


@pytest.mark.parametrize("chrome", [PHONE], indirect=True)
def test_an_agent_of_another_department_is_refused_the_case_in_the_browser(  # noqa: F811
    chrome: WebDriver,  # noqa: F811
    make_lane: Callable[..., Lane],
    hq_engine: Engine,
    hq: RunningHq,
) -> None:
    one = make_lane("T01")
    case, _ = complaint(one)
    sync(one)
    make_login(hq_engine, "bill", "u-cashier-2", "agent", store_id="S01", department="billing")
    sign_in(chrome, hq.url, "bill", path=f"/office/cases/S01/{case.id}")
    page = text(chrome)
    assert "Not yours" in page and "not in what your role lets you see" in page
    assert "The kettle leaks" not in page
    shot(chrome, "case-refused-phone")
