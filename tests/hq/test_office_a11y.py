"""Every back-office page is labelled for screen readers and usable by keyboard (issue #18):
each form field has a label tied to it, each button and link says what it does, the page
has its language, one main heading and a skip link, tables have their headers, charts a
title and a table with their values; nothing relies on a pointer. Checked on the HTML of
every page as each role sees it (the pages themselves, not a copy)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from hq.serve import RunningHq
from tests.hq.conftest import Lane
from tests.hq.office_browser import make_login
from tests.hq.test_desk_at_hq import sync
from tests.hq.test_office_departments import complaint, office  # noqa: F401

pytestmark = pytest.mark.slow


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str]] = []
        self.labels_for: set[str] = set()
        self.buttons: list[str] = []
        self.links: list[str] = []
        self.h1 = 0
        self.lang = ""
        self.skip = False
        self.svgs: list[dict[str, str]] = []
        self.ids: list[str] = []
        self._in: list[str] = []
        self._text: list[str] = []
        self._label = 0  # inside a <label>: a field there is labelled by it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.fields.append({**a, "_wrapped": "yes" if self._label else ""})
        if tag == "label":
            self._label += 1
            if a.get("for"):
                self.labels_for.add(a["for"])
        if tag == "h1":
            self.h1 += 1
        if tag == "a" and a.get("href") == "#main":
            self.skip = True
        if tag == "svg":
            self.svgs.append(a)
        if tag in ("button", "a"):
            self._in.append(tag)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label:
            self._label -= 1
        if tag in ("button", "a") and self._in:
            self._in.pop()
            said = " ".join("".join(self._text).split())
            (self.buttons if tag == "button" else self.links).append(said)


def check(url: str, html: str) -> None:
    p = Page()
    p.feed(html)
    assert p.lang == "en", url
    assert p.h1 == 1, f"{url}: {p.h1} main headings"
    assert p.skip, f"{url}: no skip link"
    for f in p.fields:
        labelled = f.get("id") in p.labels_for or f.get("aria-label") or f.get("_wrapped")
        assert labelled, f"{url}: a field without a label: {f}"
    twice = sorted({i for i in p.ids if p.ids.count(i) > 1})
    assert not twice, f"{url}: ids used twice (a label then names the wrong field): {twice}"
    assert all(b for b in p.buttons), f"{url}: a button that says nothing"
    assert all(a for a in p.links), f"{url}: a link that says nothing"
    for svg in p.svgs:
        assert svg.get("role") == "img" and svg.get("aria-labelledby"), f"{url}: a chart without a title"
    assert "onclick" not in html and "<script" not in html.lower(), f"{url}: relies on a script"
    for table in re.findall(r"<table.*?</table>", html, re.S):
        assert "<th" in table, f"{url}: a table without headers"


def test_every_page_each_role_sees_is_labelled_and_keyboard_operable(
    make_lane: Callable[..., Lane],
    hq_engine: Engine,
    hq: RunningHq,
    office: Callable[[str], httpx.Client],  # noqa: F811
) -> None:
    one = make_lane("T01")
    case, _ = complaint(one)
    kettle = one.store.item_in("home-kitchen")
    sync(one)
    with httpx.Client(base_url=hq.url) as anonymous:
        check("/office/sign-in", anonymous.get("/office/sign-in").text)
    make_login(hq_engine, "wanda", "u-supervisor", "agent", store_id="S01", department="warranty")
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    make_login(hq_engine, "jordan", "u-admin", "admin")
    pages: dict[str, list[str]] = {
        "wanda": ["/office/queue", f"/office/cases/S01/{case.id}", "/office/password", "/office/analysis"],
        "alex": ["/office/queue", f"/office/cases/S01/{case.id}", "/office/analysis", "/office/catalog?q=kettle",
                 "/office/policies"],
        "jordan": ["/office/queue?department=warranty", "/office/analysis", f"/office/catalog?q={kettle.sku}",
                   "/office/policies", "/office/approvals", "/office/exceptions", "/office/lanes", "/office/staff",
                   "/office/people", "/office/lanes?store=S01", "/office/analysis?store=S01", "/office/audit"],
    }  # fmt: skip
    seen: list[Any] = []
    for login, urls in pages.items():
        client = office(login)
        for url in urls:
            r = client.get(url)
            assert r.status_code in (200, 403), (login, url, r.status_code)  # 403: the page saying no, in words
            check(url, r.text)
            seen.append((login, url, r.status_code))
    assert len(seen) == sum(len(urls) for urls in pages.values()), seen
