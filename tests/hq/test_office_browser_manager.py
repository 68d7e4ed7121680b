"""A store manager in a real Chromium (Debian's, headless; tests/hq/office_browser.py): at a
phone's width they sign in by keyboard, open the request a real lane raised through HQ,
type their PIN and approve; the lane's own poll reads the approval and records it as it
records a PIN typed at the counter. At a laptop's width an exception is acknowledged.
Screenshots go to docs/screens/office/ (approvals-phone, approval-phone, exceptions-laptop)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import Engine, select

from counter.returns.policy import ApprovalKind
from counter.trust.remote_approval import PIN_AT_HQ, RemoteAsk, record_remote_approval
from db.remote_approvals import RemoteApprovals
from hq import schema as hs
from hq.serve import RunningHq
from hq.store import utcnow
from tests.hq.conftest import Lane
from tests.hq.office_browser import LAPTOP, PHONE, chrome, make_login, shot, sign_in, text, wait_for
from tests.hq.test_office_exceptions import add_alert, add_exception

__all__ = ["chrome"]  # the fixture, imported for the tests below

pytestmark = pytest.mark.slow


def at_phone_width(driver: WebDriver) -> None:
    """Headless Chromium keeps its window at least 500px wide whatever ``--window-size`` says;
    a phone's 390px viewport is emulated through DevTools instead (and checked)."""
    width, height = PHONE
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True}
    )


def viewport(driver: WebDriver) -> tuple[int, int]:
    inner, scroll = driver.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    return int(inner), int(scroll)


@pytest.mark.parametrize("chrome", [PHONE], indirect=True)
def test_a_manager_approves_a_lanes_request_from_a_phone(
    chrome: WebDriver, hq: RunningHq, hq_engine: Engine, make_lane: Callable[..., Lane]
) -> None:
    lane = make_lane("T01")
    service = RemoteApprovals(lane.client, lane.store.cfg.currency)
    maria = lane.store.user("Maria")
    asked = RemoteAsk(
        id=str(uuid.uuid4()),
        request_id=str(uuid.uuid4()),
        kinds=frozenset({ApprovalKind.CASH_REFUND_OVER_LIMIT}),
        amount=Decimal("182.40"),
        requester=maria,
        what="Return of S01-T01-000123: cash refund $182.40 over the limit",
    )
    sent = service.ask(asked)
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")

    at_phone_width(chrome)
    sign_in(chrome, hq.url, "alex")  # a store manager starts at the approvals
    wait_for(chrome, By.LINK_TEXT, "Open")
    assert chrome.current_url.endswith("/office/approvals")
    listed = text(chrome)
    assert "$182.40" in listed and "Cash refund above the limit" in listed and "Maria Lopez" in listed
    assert "S01-T01" in listed and "1 waiting" in listed
    assert viewport(chrome) == (PHONE[0], PHONE[0]), "the list must fit a phone's width, without scrolling sideways"
    shot(chrome, "approvals-phone")

    chrome.find_element(By.LINK_TEXT, "Open").send_keys(Keys.ENTER)
    wait_for(chrome, By.ID, "pin")
    assert chrome.current_url.endswith(f"/office/approvals/{sent.id}")
    assert "Waiting for an answer" in text(chrome) and "Your PIN (Alex Morgan)" in text(chrome)
    approve = chrome.find_element(By.ID, "approve")
    assert approve.size["height"] >= 44 and approve.size["width"] >= PHONE[0] / 2  # large enough for a thumb
    assert viewport(chrome) == (PHONE[0], PHONE[0])
    chrome.find_element(By.ID, "pin").send_keys("4444", Keys.TAB, "Known customer, receipt seen")
    shot(chrome, "approval-phone")
    chrome.find_element(By.ID, "note").send_keys(Keys.TAB, Keys.ENTER)  # to Approve, and press it
    WebDriverWait(chrome, 10).until(lambda d: "said=" in d.current_url)
    assert "Approved: Return of S01-T01-000123" in text(chrome) and "Nothing waits for an answer." in text(chrome)

    with hq_engine.connect() as conn:
        row = conn.execute(select(hs.approval_requests)).mappings().one()
    assert (row["state"], row["answered_by_id"], row["answered_terminal"], row["answer_auth"]) == (
        "approved", "u-manager", "office", PIN_AT_HQ,
    )  # fmt: skip
    assert row["answer_note"] == "Known customer, receipt seen"
    polled = service.state(sent.id)  # the lane's own poll, with HQ's proof under its key
    assert polled.state == "approved" and polled.answer_auth == PIN_AT_HQ
    approvals = record_remote_approval(
        asked=asked, answer=polled, uow_factory=lane.store.uow, clock=lane.store.clock,
        currency_minor=lane.store.cfg.currency.to_minor,
    )  # fmt: skip
    assert [(a.kind, a.amount, a.approver_name) for a in approvals] == [
        (ApprovalKind.CASH_REFUND_OVER_LIMIT, Decimal("182.40"), "Alex Morgan")
    ]


@pytest.mark.parametrize("chrome", [LAPTOP], indirect=True)
def test_an_exception_is_acknowledged_in_the_browser(chrome: WebDriver, hq: RunningHq, hq_engine: Engine) -> None:
    item = add_exception(hq_engine, "S01", utcnow(), "S01-T01-000042")
    add_alert(hq_engine, "S01", utcnow(), "the lane's clock is 9 minutes ahead")
    make_login(hq_engine, "jordan", "u-admin", "admin")
    sign_in(chrome, hq.url, "jordan", path="/office/exceptions")
    wait_for(chrome, By.ID, f"note-exception-{item}")
    page = text(chrome)
    assert "over-return on receipt S01-T01-000042: Blue mug (MUG-1)" in page and "9 minutes ahead" in page
    assert "2 not acknowledged" in page
    shot(chrome, "exceptions-laptop")
    note = chrome.find_element(By.ID, f"note-exception-{item}")
    note.send_keys("Second refund reversed with the card issuer.", Keys.TAB, Keys.ENTER)
    WebDriverWait(chrome, 10).until(lambda d: "said=" in d.current_url)
    assert "is acknowledged" in text(chrome) and "1 not acknowledged" in text(chrome)
    with hq_engine.connect() as conn:
        by, note_text = conn.execute(
            select(hs.exceptions.c.acknowledged_by, hs.exceptions.c.ack_note).where(hs.exceptions.c.id == item)
        ).one()
    assert (by, note_text) == ("jordan", "Second refund reversed with the card issuer.")
