"""The lean push route (hq/fastpush.py): it takes only what the pydantic models would take,
with the same values; everything else reaches the FastAPI route, so HQ answers every push,
good or bad, exactly as the FastAPI app alone does."""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import given, settings, strategies as st
from pydantic import ValidationError
from sqlalchemy import Engine

from counter.journal import GENESIS, make_entry, utc_stamp
from counter.sync.upstream import MAX_BATCH, MAX_BODY_BYTES
from hq import access, schema as hs
from hq.app import BodyLimit, PushBatch, create_app
from hq.fastpush import FastPush, well_formed
from hq.serve import KEEP_ALIVE_SECONDS, RunningHq, free_port
from hq.store import make_engine
from hq.web import ASGIApp, Scope, Send
from tests.hq.conftest import hq_count

FIELDS = ("seq", "id", "type", "at", "body", "prev_hash", "hash")


def wire(n: int, terminal: str = "T01", start: int = 1, prev: str = GENESIS) -> list[dict[str, Any]]:
    out = []
    for seq in range(start, start + n):
        e = make_entry(terminal, seq, f"id-{terminal}-{seq}", "NoteTaken", datetime.now(UTC), {"n": seq}, prev)
        prev = e.hash
        out.append({k: getattr(e, k) for k in FIELDS})
    return out


def batch(items: list[dict[str, Any]], terminal: str = "T01", sent_at: datetime | None = None) -> dict[str, Any]:
    return {"store": "S01", "terminal": terminal, "sent_at": utc_stamp(sent_at or datetime.now(UTC)), "entries": items}


def as_model(data: Any) -> tuple[str, str, datetime, list[tuple[Any, ...]]]:
    m = PushBatch.model_validate(data)
    return m.store, m.terminal, m.sent_at, [tuple(getattr(e, k) for k in FIELDS) for e in m.entries]


# ------------------------------------------------------------------ what it takes


def test_a_terminals_batch_is_taken_with_the_models_values() -> None:
    data = batch(wire(3))
    assert well_formed(data) == as_model(data)


LAX_OR_BAD: list[tuple[str, Any]] = [
    ("seq", "2"),  # the model coerces these: the FastAPI route decides
    ("seq", True),
    ("seq", 1.0),
    ("seq", 0),
    ("seq", 2**62 + 1),
    ("id", ""),
    ("id", "x" * 37),
    ("type", "t" * 49),
    ("at", "2026-11-25T07:00:00Z"),
    ("at", "2026-11-25T07:00:00.000000Z\n"),
    ("body", 5),
    ("body", "x" * (512 * 1024 + 1)),
    ("hash", "A" * 64),
    ("prev_hash", "0" * 63),
    ("extra", 1),
]


@pytest.mark.parametrize(("field", "value"), LAX_OR_BAD)
def test_anything_but_the_exact_shape_is_left_to_the_models(field: str, value: Any) -> None:
    data = batch(wire(2))
    data["entries"][1][field] = value
    assert well_formed(data) is None


@pytest.mark.parametrize(
    "change",
    [
        {"store": "S 1"},
        {"terminal": "T" * 17},
        {"sent_at": "2026-11-25 07:00:00"},
        {"sent_at": "2026-13-25T07:00:00.000000Z"},
        {"sent_at": 1_764_000_000},
        {"entries": []},
        {"extra": True},
    ],
)
def test_a_batch_outside_the_shape_is_left_to_the_models(change: dict[str, Any]) -> None:
    data = {**batch(wire(1)), **change}
    assert well_formed(data) is None
    assert well_formed([data]) is None


def test_the_batch_limit_is_the_models() -> None:
    one = wire(1)[0]
    assert well_formed(batch([one] * MAX_BATCH)) is not None
    assert well_formed(batch([one] * (MAX_BATCH + 1))) is None
    with pytest.raises(ValidationError):
        as_model(batch([one] * (MAX_BATCH + 1)))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=70),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
FIELD_NAMES = st.sampled_from([*FIELDS, "store", "terminal", "sent_at", "entries", "other"])
GOOD = batch(wire(3))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=-1, max_value=2), FIELD_NAMES, st.booleans(), JSON_VALUES),
        min_size=1,
        max_size=3,
    )
)
def test_what_the_lean_route_takes_the_models_take_alike(changes: list[tuple[int, str, bool, Any]]) -> None:
    """Any batch it takes, pydantic takes with equal values (so nothing looser slips in)."""
    data = copy.deepcopy(GOOD)
    for where, name, drop, value in changes:
        entries: Any = data.get("entries")
        if where >= 0 and not (type(entries) is list and len(entries) > where and type(entries[where]) is dict):
            continue  # the entries themselves were replaced or dropped just before
        target = data if where < 0 else entries[where]
        if drop:
            target.pop(name, None)
        else:
            target[name] = value
    taken = well_formed(data)
    if taken is not None:
        assert taken == as_model(data)


# ------------------------------------------------- the same answers as FastAPI alone


@contextmanager
def served(app: ASGIApp) -> Iterator[httpx.Client]:
    """``app`` on a real uvicorn on a loopback port (as hq.serve.start_in_thread serves HQ)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    config.timeout_keep_alive = KEEP_ALIVE_SECONDS
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def reference(pg_url: str) -> Iterator[httpx.Client]:
    """HQ's FastAPI app alone (no lean route), over the same database."""
    engine = make_engine(pg_url, pool_size=2)
    with served(BodyLimit(create_app(engine), MAX_BODY_BYTES)) as client:
        yield client
    engine.dispose()


def enrol(hq: RunningHq, engine: Engine, terminal: str) -> dict[str, str]:
    answer = httpx.post(f"{hq.url}/v1/enrol", json={"code": access.new_enrol_code(engine, "S01", terminal)})
    assert answer.status_code == 200
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def same_answer(hq: RunningHq, reference: httpx.Client, headers: dict[str, str], content: bytes) -> httpx.Response:
    fast = httpx.post(f"{hq.url}/v1/journal", content=content, headers=headers)
    slow = reference.post("/v1/journal", content=content, headers=headers)
    assert fast.status_code == slow.status_code, (fast.text, slow.text)
    got, want = fast.json(), slow.json()
    if "skew_seconds" in want:  # a second or so passes between the two calls
        assert abs(got.pop("skew_seconds") - want.pop("skew_seconds")) <= 2
    assert got == want
    assert fast.headers["content-type"] == slow.headers["content-type"] == "application/json"
    return fast


def test_refusals_match_the_fastapi_route(
    hq: RunningHq, hq_engine: Engine, reference: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    import orjson

    t01 = enrol(hq, hq_engine, "T01")
    enrol(hq, hq_engine, "T02")
    admin = {"Authorization": f"Bearer {access.new_admin_token(hq_engine, 'ops')}"}
    json_type = {"Content-Type": "application/json"}
    items = wire(6)
    assert httpx.post(f"{hq.url}/v1/journal", json=batch(items[:2]), headers=t01).status_code == 200

    def body(data: Any) -> bytes:
        return orjson.dumps(data)

    wrong_hash = batch(copy.deepcopy(items[2:3]))
    wrong_hash["entries"][0]["hash"] = "XYZ"
    reordered = batch([items[3], items[2]])
    altered = batch(copy.deepcopy(items[:2]))
    altered["entries"][1]["body"] = '{"n":999}'
    naive = batch(items[2:3])
    naive["sent_at"] = "2026-11-25T07:00:00"
    cases: list[tuple[dict[str, str], bytes, int]] = [
        ({**t01, **json_type}, b"{not json", 422),
        ({**t01, "Content-Type": "text/plain"}, body(batch(items[2:3])), 422),
        ({**t01, **json_type}, body(wrong_hash), 422),
        ({**t01, **json_type}, body({**batch(items[2:3]), "admin": True}), 422),
        ({**t01, **json_type}, body(batch([])), 422),
        ({**t01, **json_type}, body(reordered), 422),
        ({**t01, **json_type}, body(naive), 422),
        ({**t01, **json_type}, body(batch(items[2:3], sent_at=datetime.now(UTC) - timedelta(hours=2))), 400),
        ({**t01, **json_type}, body(batch(wire(1, "T02"), terminal="T02")), 403),  # someone else's lane
        ({**t01, **json_type}, body(batch(wire(1, "T09"), terminal="T09")), 403),  # a lane never enrolled
        ({**admin, **json_type}, body(batch(items[2:3])), 403),
        (json_type, body(batch(items[2:3])), 401),
        ({"Authorization": "Bearer made-up", **json_type}, body(batch(items[2:3])), 401),
        ({**t01, **json_type}, body(batch(items[4:])), 409),  # gap: HQ holds up to 2
        ({**t01, **json_type}, body(altered), 409),  # altered re-send
        ({**t01, **json_type}, body(batch(wire(1, "T02", start=3, prev=items[1]["hash"]))), 422),  # broken chain
    ]
    caplog.set_level(logging.WARNING, logger="hq")
    for headers, content, status in cases:
        caplog.clear()
        r = same_answer(hq, reference, headers, content)
        assert r.status_code == status, r.text
        assert [rec for rec in caplog.records if rec.getMessage().startswith("refused POST /v1/journal")]
    assert hq_count(hq_engine, hs.journal) == 2  # nothing of a refused push was stored
    # a revoked token, once through each app
    access.revoke(hq_engine, "T01")
    r = same_answer(hq, reference, {**t01, **json_type}, body(batch(items[2:3])))
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    assert hq_count(hq_engine, hs.journal) == 2


def test_a_batch_the_models_coerce_is_still_taken(hq: RunningHq, hq_engine: Engine) -> None:
    """Left to the FastAPI route (the body handed on whole), it is stored as before."""
    t01 = enrol(hq, hq_engine, "T01")
    data = batch(wire(2))
    data["entries"][0]["seq"] = "1"
    data["sent_at"] = data["sent_at"].replace("Z", "+00:00")
    r = httpx.post(f"{hq.url}/v1/journal", json=data, headers=t01)
    assert r.status_code == 200 and r.json()["acked_seq"] == 2 and r.json()["stored"] == 2
    assert hq_count(hq_engine, hs.journal) == 2


def test_a_first_push_needs_no_cached_token_and_a_revoked_one_never_writes(hq: RunningHq, hq_engine: Engine) -> None:
    t01 = enrol(hq, hq_engine, "T01")
    items = wire(4)
    r = httpx.post(f"{hq.url}/v1/journal", json=batch(items[:2]), headers=t01)  # never looked up before
    assert r.status_code == 200 and r.json() == {
        "acked_seq": 2,
        "head_hash": items[1]["hash"],
        "stored": 2,
        "repeated": 0,
    }
    access.revoke(hq_engine, "T01")
    r = httpx.post(f"{hq.url}/v1/journal", json=batch(items[2:]), headers=t01)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert hq_count(hq_engine, hs.journal) == 2


# ---------------------------------------------------------------- what it hands on


def test_only_well_formed_pushes_are_answered_by_the_lean_route(hq: RunningHq, hq_engine: Engine) -> None:
    """In front of a stand-in for the FastAPI app (it answers 599): the lean route answers
    a good push itself and hands everything else on, body intact."""
    seen: list[bytes] = []

    async def stand_in(scope: Scope, receive: Any, send: Send) -> None:
        message = await receive() if scope["type"] == "http" and scope["method"] == "POST" else {}
        seen.append(message.get("body", b""))
        await send({"type": "http.response.start", "status": 599, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    t01 = enrol(hq, hq_engine, "T01")
    engine = make_engine(str(hq_engine.url.render_as_string(hide_password=False)), pool_size=2)
    try:
        with served(FastPush(stand_in, engine, access.TokenCache())) as client:
            items = wire(3)
            assert client.post("/v1/journal", json=batch(items[:2]), headers=t01).status_code == 200
            bad = batch(copy.deepcopy(items[2:]))
            bad["entries"][0]["seq"] = "3"
            r = client.post("/v1/journal", json=bad, headers=t01)
            assert r.status_code == 599 and seen[-1] == r.request.content
            assert client.post("/v1/journal", json=batch(items[2:]), headers={}).status_code == 599
            assert client.get("/v1/journal/head", headers=t01).status_code == 599
            assert client.post("/v1/journal", json=batch(items[2:]), headers=t01).status_code == 200
    finally:
        engine.dispose()
    assert hq_count(hq_engine, hs.journal) == 3


def test_the_push_route_stays_in_the_openapi_description(hq: RunningHq) -> None:
    spec = httpx.get(f"{hq.url}/openapi.json").json()
    post = spec["paths"]["/v1/journal"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/PushBatch")
    assert "PushAck" in post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert "fastpush" in post["description"]
