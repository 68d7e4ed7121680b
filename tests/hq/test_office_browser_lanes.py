"""An administrator on the lanes and staff pages in a real Chromium (issue #18, points 6
and 7): at a laptop's width, signs in by keyboard, reads each lane's report (an empty
printer, a stale lane), issues an enrolment code by keyboard and a real terminal enrols
with it; the same page at a phone's width fits without sideways scrolling; the staff page.
Screenshots in docs/screens/office/ (lanes-laptop, lanes-phone, staff-laptop)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import Engine, update

from hq import schema as hs
from hq.serve import RunningHq
from hq.store import utcnow
from tests.hq.conftest import Lane
from tests.hq.office_browser import LAPTOP, PHONE, chrome, make_login, shot, sign_in, text, wait_for  # noqa: F401

pytestmark = pytest.mark.slow


def viewport(driver: WebDriver) -> tuple[int, int]:
    """(the window's inner width, the page's width): equal when nothing scrolls sideways."""
    inner, scroll = driver.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    return int(inner), int(scroll)


@pytest.mark.parametrize("chrome", [LAPTOP], indirect=True)
def test_an_admin_reads_the_lanes_and_issues_an_enrolment_code_by_keyboard(  # noqa: F811
    chrome: WebDriver,  # noqa: F811
    make_lane: Callable[..., Lane],
    hq_engine: Engine,
    hq: RunningHq,
) -> None:
    one = make_lane("T01")
    make_lane("T02")
    one.syncer.printer_state = lambda: "Out of paper"
    one.sell([("apparel", 1)])
    one.syncer.cycle()
    with hq_engine.begin() as conn:  # T02 went quiet 25 minutes ago
        quiet = utcnow() - timedelta(minutes=25)
        conn.execute(update(hs.terminals).where(hs.terminals.c.terminal_id == "T02").values(last_push_at=quiet))
        conn.execute(update(hs.lane_status).where(hs.lane_status.c.terminal_id == "T02").values(reported_at=quiet))
    make_login(hq_engine, "jordan", "u-admin", "admin")
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    make_login(hq_engine, "dana", "u-supervisor", "agent", department="warranty")
    make_login(hq_engine, "sam", "u-cashier-2", "hq_staff")
    with hq_engine.begin() as conn:  # dana locked out, sam deactivated
        logins = hs.office_logins
        conn.execute(
            update(logins).where(logins.c.login == "dana").values(locked_until=utcnow() + timedelta(minutes=9))
        )
        conn.execute(update(logins).where(logins.c.login == "sam").values(active=False))

    sign_in(chrome, hq.url, "jordan", path="/office/lanes")
    wait_for(chrome, By.ID, "lane-S01-T01")
    first = chrome.find_element(By.ID, "lane-S01-T01").text
    second = chrome.find_element(By.ID, "lane-S01-T02").text
    assert "Out of paper" in first and "just now" in first and "Stale" not in first
    assert "25 minutes ago" in second and "Stale" in second
    # a new code by keyboard: into the store box, Tab to the terminal, Enter sends
    chrome.find_element(By.ID, "enrol-store").send_keys("S01", Keys.TAB, "T05", Keys.ENTER)
    wait_for(chrome, By.ID, "enrol-code")
    code = chrome.find_element(By.ID, "enrol-code").text
    assert "One-time enrolment code for S01-T05" in text(chrome) and len(code) == 14
    shot(chrome, "lanes-laptop")
    with httpx.Client(base_url=hq.url, timeout=10) as lane:
        enrolled = lane.post("/v1/enrol", json={"code": code})
    assert enrolled.status_code == 200 and enrolled.json()["terminal"] == "T05"

    # a phone's width (headless Chromium keeps its window 500 px wide at least: emulated)
    metrics = {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True}
    chrome.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    chrome.get(hq.url + "/office/lanes")
    wait_for(chrome, By.ID, "lane-S01-T05")
    assert "No report yet" in chrome.find_element(By.ID, "lane-S01-T05").text
    assert viewport(chrome) == (PHONE[0], PHONE[0]), "the lanes must fit a phone's width"
    shot(chrome, "lanes-phone")
    chrome.find_element(By.CSS_SELECTOR, "#lane-S01-T02 summary").click()  # the revoke form opens, and fits
    wait_for(chrome, By.ID, "confirm-S01-T02")
    chrome.execute_script("document.getElementById('confirm-S01-T02').scrollIntoView({block: 'center'})")
    assert viewport(chrome) == (PHONE[0], PHONE[0])
    shot(chrome, "lanes-phone-revoke")

    chrome.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    chrome.find_element(By.LINK_TEXT, "Logins").click()
    wait_for(chrome, By.ID, "login-jordan")
    assert "Jordan Reyes" in chrome.find_element(By.ID, "login-jordan").text and "Add the login" in text(chrome)
    assert "Store manager S01" in chrome.find_element(By.ID, "login-alex").text
    assert "Locked until" in chrome.find_element(By.ID, "login-dana").text
    assert "Deactivated" in chrome.find_element(By.ID, "login-sam").text
    assert "Maria Lopez" in chrome.find_element(By.ID, "user_id").text  # the one without a login
    inner, page = viewport(chrome)
    assert inner > 1000 and page <= inner  # no sideways scrolling (a scroll bar may take its 15 px)
    shot(chrome, "staff-laptop")

    # the store picker by keyboard: every store, then S01 only
    chrome.get(hq.url + "/office/lanes")
    wait_for(chrome, By.ID, "lane-S01-T01")
    picker = chrome.find_element(By.ID, "store")
    assert picker.get_attribute("value") == ""  # every store
    picker.send_keys("S01", Keys.TAB, Keys.ENTER)  # type to pick, Tab to Show, Enter
    wait_for(chrome, By.XPATH, "//h1[contains(., 'store S01')]")
    assert "Lanes: store S01" in text(chrome) and chrome.find_element(By.ID, "store").get_attribute("value") == "S01"
    shot(chrome, "lanes-one-store-laptop")

    # the audit trail: what was just done (the enrolment code), the chain intact; every action on request
    chrome.find_element(By.LINK_TEXT, "Audit trail").click()
    wait_for(chrome, By.ID, "chain-state")
    assert "Intact." in chrome.find_element(By.ID, "chain-state").text
    assert "enrol_code" in text(chrome) and "S01-T05" in text(chrome)
    chrome.find_element(By.LINK_TEXT, "Check every action").click()
    wait_for(chrome, By.XPATH, "//*[@id='chain-state'][contains(., 'Every action was checked')]")
    shot(chrome, "audit-laptop")
