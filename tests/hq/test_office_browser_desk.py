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
