"""The fast paths of HQ and the sync client keep the guarantees of the slow ones:

* HQ's chain check (each body parsed once, the envelope built around the checked text)
  refuses exactly what ``counter.journal.verify`` refuses, for the same reason;
* a token revoked at HQ never writes again, and stops reading within the token cache's
  lifetime (``access.TOKEN_CACHE_SECONDS``) even in a process that had it cached;
* a first load of the catalog (fresh store, cursor 0) leaves search, barcode look-up and
  the cursor as the page-by-page pull does, and a sale commits while it runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from counter.journal import GENESIS, JournalEntry, make_entry, utc_stamp, verify
from hq import access
from hq import schema as hs
from hq.ingest import PushRefused, check_chain
from hq.serve import RunningHq
from tests.hq.conftest import hq_count

BODIES = [
    {"n": 1},
    {"sale_id": "s-1", "lines": [{"qty": 2, "name": "Crème brûlée ☕"}], "total": 1999, "ok": True, "x": None},
    {"deep": {"b": [1, 2, {"c": 'd\n"q"'}], "a": -5}},
    {"big": 2**70},
]


def chain(n: int, terminal: str = "T01") -> list[JournalEntry]:
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        e = make_entry(terminal, seq, f"id-{seq}", "NoteTaken", datetime.now(UTC), BODIES[seq % len(BODIES)], prev)
        out.append(e)
        prev = e.hash
    return out


def hq_verdict(entries: list[JournalEntry]) -> tuple[bool, int | None, str]:
    try:
        check_chain(entries, 0, GENESIS)
    except PushRefused as exc:
        assert exc.status == 422 and exc.error == "chain_broken"
        seq = exc.extra["seq"]
        return False, seq, exc.message.removeprefix(f"Entry {seq}: ").removesuffix(".")
    return True, None, ""


def reference_verdict(entries: list[JournalEntry]) -> tuple[bool, int | None, str]:
    result = verify(entries)
    return result.ok, result.first_bad_seq, result.reason


TAMPERS: list[Callable[[JournalEntry], JournalEntry]] = [
    lambda e: replace(e, body=e.body.replace("1", "2", 1)),  # edited content
    lambda e: replace(e, body=e.body.replace(":", ": ", 1)),  # same data, not canonical
    lambda e: replace(e, body=json.dumps(json.loads(e.body), sort_keys=False, separators=(",", ":"))[::-1]),
    lambda e: replace(e, body='{"n":1.5}'),  # a float
    lambda e: replace(e, body='{"n":NaN}'),
    lambda e: replace(e, body="not json"),
    lambda e: replace(e, hash="0" * 64),
    lambda e: replace(e, prev_hash="f" * 64),
    lambda e: replace(e, seq=e.seq + 1),
    lambda e: replace(e, id=e.id + "x"),
    lambda e: replace(e, at=e.at.replace("Z", "+")),
    lambda e: replace(e, type="SaleCompleted"),
    lambda e: replace(e, terminal="T02"),
]


def test_a_good_chain_is_taken_and_its_bodies_parsed_once() -> None:
    entries = chain(12)
    assert hq_verdict(entries) == (True, None, "") == reference_verdict(entries)
    assert check_chain(entries, 0, GENESIS) == [json.loads(e.body) for e in entries]
    # continuing from a head: the second half alone, after the first half's last entry
    assert len(check_chain(entries[6:], 6, entries[5].hash)) == 6


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=7), st.integers(min_value=0, max_value=len(TAMPERS) - 1))
def test_hq_refuses_what_verify_refuses_for_the_same_reason(at: int, how: int) -> None:
    entries = chain(8)
    entries[at] = TAMPERS[how](entries[at])
    assert hq_verdict(entries) == reference_verdict(entries)
    assert hq_verdict(entries)[0] is False


def test_a_deeply_nested_body_is_refused_not_crashed_on() -> None:
    entries = chain(3)
    entries[1] = replace(entries[1], body="[" * 50_000 + "]" * 50_000)  # counter.journal.verify hits RecursionError
    assert hq_verdict(entries) == (False, 2, "body is not canonical JSON")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_any_text_body_gets_the_same_verdict(text: str) -> None:
    entries = chain(2)
    entries[1] = replace(entries[1], body=text)
    assert hq_verdict(entries) == reference_verdict(entries)


# ----------------------------------------------------------------------- tokens


def entries_wire(n: int, start: int = 1, prev: str = GENESIS) -> tuple[list[dict[str, object]], str]:
    out = []
    for seq in range(start, start + n):
        e = make_entry("T01", seq, f"id-{seq}", "NoteTaken", datetime.now(UTC), {"n": seq}, prev)
        prev = e.hash
        out.append({k: getattr(e, k) for k in ("seq", "id", "type", "at", "body", "prev_hash", "hash")})
    return out, prev


def push_body(items: list[dict[str, object]]) -> dict[str, object]:
    return {"store": "S01", "terminal": "T01", "sent_at": utc_stamp(datetime.now(UTC)), "entries": items}


@pytest.fixture
def t01(hq: RunningHq, hq_engine: Engine) -> httpx.Client:
    answer = httpx.post(f"{hq.url}/v1/enrol", json={"code": access.new_enrol_code(hq_engine, "S01", "T01")})
    assert answer.status_code == 200
    return httpx.Client(base_url=hq.url, headers={"Authorization": f"Bearer {answer.json()['token']}"})


def test_a_revoked_token_never_pushes_even_while_cached(t01: httpx.Client, hq_engine: Engine) -> None:
    first, prev = entries_wire(2)
    assert t01.post("/v1/journal", json=push_body(first)).status_code == 200  # the token is now cached
    assert t01.get("/v1/journal/head").json()["acked_seq"] == 2
    assert access.revoke(hq_engine, "T01") == 1
    more, _ = entries_wire(2, start=3, prev=prev)
    r = t01.post("/v1/journal", json=push_body(more))
    assert r.status_code == 401 and r.json()["error"] == "unauthorized" and "revoked" in r.json()["message"]
    assert hq_count(hq_engine, hs.journal) == 2


def test_a_revoked_token_stops_reading_within_the_cache_lifetime(t01: httpx.Client, hq_engine: Engine) -> None:
    assert t01.get("/v1/changes", params={"limit": 1}).status_code == 200  # cached from here on
    revoked_at = time.monotonic()
    assert access.revoke(hq_engine, "T01") == 1
    while True:
        r = t01.get("/v1/changes", params={"limit": 1})
        if r.status_code == 401:
            break
        assert r.status_code == 200
        assert time.monotonic() - revoked_at < access.TOKEN_CACHE_SECONDS + 0.5, "revocation not seen in time"
        time.sleep(0.1)
    assert "revoked" in r.json()["message"]
    assert time.monotonic() - revoked_at <= access.TOKEN_CACHE_SECONDS + 0.5


def test_an_unknown_token_is_never_cached_as_good(hq: RunningHq) -> None:
    for _ in range(3):
        r = httpx.get(f"{hq.url}/v1/changes", headers={"Authorization": "Bearer made-up"})
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"


def test_the_token_cache_expires_and_stays_bounded() -> None:
    cache = access.TokenCache(ttl=0.05, max_size=3)
    who = access.Caller("terminal", "S01", "T01", "S01-T01", "h1")
    cache.put("h1", who)
    assert cache.get("h1") == who
    time.sleep(0.06)
    assert cache.get("h1") is None
    for n in range(10):
        cache.put(f"k{n}", who)
    assert len(cache._entries) <= 3 and cache.get("k9") == who
    cache.forget("k9")
    assert cache.get("k9") is None
