"""The back office over HTTP for the tests, as a browser posts its forms (httpx): a client
signed in as a login whose password is ``office_browser.PASSWORD``, a page's form token,
and a table row's text without its tags."""

from __future__ import annotations

import html
import re

import httpx


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:400]
    return found.group(1)


def signed_in_client(url: str, login: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=10)
    form = client.get("/office/sign-in")
    r = client.post("/office/sign-in", data={"login": login, "password": password, "csrf": csrf_of(form.text)})
    assert r.status_code == 303, r.text
    return client


def row_text(page: str, row_id: str) -> str:
    """The words of ``<tr id="row_id">`` (tags dropped, spaces collapsed); "" when absent."""
    found = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', page, re.S)
    if found is None:
        return ""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def said_text(page: str, element_id: str) -> str:
    found = re.search(rf'id="{re.escape(element_id)}">(.*?)</', page, re.S)
    return html.unescape(found.group(1)).strip() if found else ""
