"""A real Chromium for the back office's tests (Debian's ``chromium`` driven by its
``chromedriver`` through Selenium, headless), at a phone's width or a laptop's, and the
steps every browser test takes: make a login, sign in by keyboard, read the page."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import Engine, update

from hq import schema as hs
from hq.office import auth

PHONE = (390, 844)
LAPTOP = (1366, 768)
PASSWORD = "a long enough secret"
#: Where ``shot`` writes: docs/screens/office/ when COUNTER_SCREENS=docs (to refresh the
#: screenshots the README shows), else a folder under the system's temporary directory,
#: so that a test run leaves the checkout as it found it.
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screens" / "office"
SCREENS = (
    DOCS if os.environ.get("COUNTER_SCREENS") == "docs" else Path(tempfile.gettempdir()) / "counter-office-screens"
)


def _need(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        pytest.fail(f"{tool} is not installed: install chromium and chromium-driver (.ci/run does), then run again.")
    return found


@pytest.fixture
def chrome(request: pytest.FixtureRequest) -> Iterator[WebDriver]:
    width, height = getattr(request, "param", LAPTOP)
    options = webdriver.ChromeOptions()
    options.binary_location = _need("chromium")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(_need("chromedriver")))
    driver.set_page_load_timeout(20)
    if width < 500:  # headless Chromium keeps a window 500 px wide at least: a phone's width is emulated
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        yield driver
    finally:
        driver.quit()


def make_login(engine: Engine, login: str, user_id: str, role: str, **kw: str | None) -> None:
    """A login whose own password is ``PASSWORD`` (its one-time one already changed)."""
    auth.add_login(engine, login, user_id, role, **kw)  # type: ignore[arg-type]
    with engine.begin() as conn:
        conn.execute(
            update(hs.office_logins)
            .where(hs.office_logins.c.login == login)
            .values(password_hash=auth.hash_password(PASSWORD), must_change=False)
        )


def sign_in(driver: WebDriver, base: str, login: str, password: str = PASSWORD, path: str = "/office") -> None:
    """Open ``path``, and sign in by keyboard on the page it sends you to."""
    driver.get(base + path)
    wait_for(driver, By.ID, "login")
    box = driver.find_element(By.ID, "login")
    box.send_keys(login, Keys.TAB, password, Keys.ENTER)
    WebDriverWait(driver, 10).until(lambda d: "/office/sign-in" not in d.current_url or d.find_elements(By.ID, "error"))


def wait_for(driver: WebDriver, by: str, what: str, timeout: float = 10) -> None:
    WebDriverWait(driver, timeout).until(ec.presence_of_element_located((by, what)))


def text(driver: WebDriver) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def shot(driver: WebDriver, name: str) -> Path:
    """A screenshot of the page for docs/screens/office/ (the test asserts its content)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
