"""What HQ refuses: each bad request gets a clear status and message, is logged, and
leaves nothing stored."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from counter.journal import GENESIS, make_entry, utc_stamp
from hq import access, schema as hs
from hq.serve import RunningHq
from tests.hq.conftest import Lane, hq_count

pytestmark = pytest.mark.slow


def entries(n: int, terminal: str = "T01", start: int = 1, prev: str = GENESIS) -> list[dict[str, Any]]:
    out = []
    for seq in range(start, start + n):
        e = make_entry(terminal, seq, f"id-{terminal}-{seq}", "NoteTaken", datetime.now(UTC), {"n": seq}, prev)
        prev = e.hash
        out.append({k: getattr(e, k) for k in ("seq", "id", "type", "at", "body", "prev_hash", "hash")})
    return out


def batch(items: list[dict[str, Any]], terminal: str = "T01", sent_at: datetime | None = None) -> dict[str, Any]:
    return {"store": "S01", "terminal": terminal, "sent_at": utc_stamp(sent_at or datetime.now(UTC)), "entries": items}


@pytest.fixture
def enrolled(hq: RunningHq, hq_engine: Engine) -> Callable[[str], httpx.Client]:
    def make(terminal: str) -> httpx.Client:
        answer = httpx.post(f"{hq.url}/v1/enrol", json={"code": access.new_enrol_code(hq_engine, "S01", terminal)})
        assert answer.status_code == 200
        return httpx.Client(base_url=hq.url, headers={"Authorization": f"Bearer {answer.json()['token']}"})

    return make


def alerts(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(hs.alerts.c.kind).order_by(hs.alerts.c.id)).scalars())


def test_a_good_push_then_an_exact_resend(enrolled: Callable[[str], httpx.Client], hq_engine: Engine) -> None:
    t01 = enrolled("T01")
    items = entries(3)
    first = t01.post("/v1/journal", json=batch(items))
    assert first.status_code == 200 and first.json()["acked_seq"] == 3 and first.json()["stored"] == 3
    again = t01.post("/v1/journal", json=batch(items))
    assert again.status_code == 200 and again.json() == {**first.json(), "stored": 0, "repeated": 3}
    assert hq_count(hq_engine, hs.journal) == 3


def test_malformed_payloads_are_refused(
    enrolled: Callable[[str], httpx.Client], hq_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    t01 = enrolled("T01")
    caplog.set_level(logging.WARNING, logger="hq")
    not_json = t01.post("/v1/journal", content=b"{not json", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["error"] == "malformed"
    bad_hash = batch(entries(1))
    bad_hash["entries"][0]["hash"] = "XYZ"
    r = t01.post("/v1/journal", json=bad_hash)
    assert r.status_code == 422 and "hash" in r.json()["message"]
    extra = batch(entries(1))
    extra["entries"][0]["admin"] = True
    assert t01.post("/v1/journal", json=extra).status_code == 422
    shuffled = batch(list(reversed(entries(3))))
    r = t01.post("/v1/journal", json=shuffled)
    assert r.status_code == 422 and "seq order" in r.json()["message"]
    assert t01.post("/v1/journal", json=batch(entries(501))).status_code == 422  # more than MAX_BATCH
    assert hq_count(hq_engine, hs.journal) == 0
    assert any("Malformed" in rec.getMessage() for rec in caplog.records)


def test_an_oversized_body_is_refused_before_it_is_read(enrolled: Callable[[str], httpx.Client]) -> None:
    t01 = enrolled("T01")
    huge = b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    r = t01.post("/v1/journal", content=huge, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"

    def chunks() -> Any:  # no Content-Length: counted while streamed
        for _ in range(6):
            yield b"x" * (1024 * 1024)

    r = t01.post("/v1/journal", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_wrong_missing_and_revoked_tokens(
    enrolled: Callable[[str], httpx.Client], hq: RunningHq, hq_engine: Engine
) -> None:
    assert httpx.post(f"{hq.url}/v1/journal", json=batch(entries(1))).status_code == 401
    wrong = httpx.post(f"{hq.url}/v1/journal", json=batch(entries(1)), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
    t01 = enrolled("T01")
    assert t01.post("/v1/journal", json=batch(entries(1))).status_code == 200
    assert access.revoke(hq_engine, "T01") == 1
    r = t01.post("/v1/journal", json=batch(entries(2)))
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    assert t01.get("/v1/changes").status_code == 401
    assert hq_count(hq_engine, hs.journal) == 1


def test_enrolment_codes_are_single_use(hq: RunningHq, hq_engine: Engine) -> None:
    code = access.new_enrol_code(hq_engine, "S01", "T09")
    assert httpx.post(f"{hq.url}/v1/enrol", json={"code": code.lower()}).status_code == 200
    again = httpx.post(f"{hq.url}/v1/enrol", json={"code": code})
    assert again.status_code == 401 and again.json()["error"] == "bad_code"


def test_a_terminal_cannot_write_another_terminals_journal(
    enrolled: Callable[[str], httpx.Client], hq_engine: Engine
) -> None:
    t01 = enrolled("T01")
    enrolled("T02")
    r = t01.post("/v1/journal", json=batch(entries(2, "T02"), terminal="T02"))
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    # T02's chain sent as its own lane by T01: the entries name T02 inside their hash.
    r = t01.post("/v1/journal", json=batch(entries(2, "T02")))
    assert r.status_code == 422 and r.json()["error"] == "chain_broken"
    assert hq_count(hq_engine, hs.journal) == 0
    assert alerts(hq_engine) == ["forbidden", "chain_broken"]


def test_a_replay_with_altered_content_is_refused_and_alerted(
    enrolled: Callable[[str], httpx.Client], hq_engine: Engine
) -> None:
    t01 = enrolled("T01")
    items = entries(3)
    assert t01.post("/v1/journal", json=batch(items)).status_code == 200
    altered = [dict(e) for e in items]
    altered[1]["body"] = json.dumps({"n": 999}, separators=(",", ":"))
    r = t01.post("/v1/journal", json=batch(altered))
    assert r.status_code == 409 and r.json()["error"] == "seq_conflict" and "Entry 2" in r.json()["message"]
    # Same seq, a well-formed entry with its own valid hash: still not the entry HQ holds.
    forged = entries(1, start=2, prev=items[0]["hash"])
    r = t01.post("/v1/journal", json=batch(forged))
    assert r.status_code == 409
    with hq_engine.connect() as conn:
        stored = conn.execute(select(hs.journal.c.body).where(hs.journal.c.seq == 2)).scalar_one()
    assert stored == items[1]["body"]
    assert alerts(hq_engine) == ["seq_conflict", "seq_conflict"]


def test_a_gap_is_refused_with_where_to_resume(enrolled: Callable[[str], httpx.Client], hq_engine: Engine) -> None:
    t01 = enrolled("T01")
    items = entries(6)
    assert t01.post("/v1/journal", json=batch(items[:2])).status_code == 200
    r = t01.post("/v1/journal", json=batch(items[4:]))
    assert r.status_code == 409 and r.json()["error"] == "gap" and r.json()["expected_seq"] == 3
    assert hq_count(hq_engine, hs.journal) == 2
    assert "gap" in alerts(hq_engine)


def test_a_terminal_clock_far_from_hqs_is_refused(enrolled: Callable[[str], httpx.Client], hq_engine: Engine) -> None:
    t01 = enrolled("T01")
    late = datetime.now(UTC) - timedelta(hours=2)
    r = t01.post("/v1/journal", json=batch(entries(2), sent_at=late))
    assert r.status_code == 400 and r.json()["error"] == "clock_skew" and "120 minutes" in r.json()["message"]
    assert hq_count(hq_engine, hs.journal) == 0
    assert alerts(hq_engine) == ["clock_skew"]


def test_admin_reports_need_an_admin_token(
    enrolled: Callable[[str], httpx.Client], hq: RunningHq, hq_engine: Engine
) -> None:
    t01 = enrolled("T01")
    assert t01.get("/v1/alerts").status_code == 403
    admin = httpx.Client(
        base_url=hq.url, headers={"Authorization": f"Bearer {access.new_admin_token(hq_engine, 'ops')}"}
    )
    assert admin.get("/v1/alerts").json() == {"alerts": []}
    assert admin.get("/v1/exceptions").json() == {"exceptions": []}
    assert admin.post("/v1/journal", json=batch(entries(1))).status_code == 403


def test_the_api_describes_itself(hq: RunningHq) -> None:
    spec = httpx.get(f"{hq.url}/openapi.json").json()
    assert {"/v1/journal", "/v1/changes", "/v1/reservations", "/v1/sales/{receipt_number}"} <= set(spec["paths"])


def test_pull_is_paged_and_carries_tombstones(make_lane: Callable[..., Lane], hq_engine: Engine) -> None:
    from hq import catalog

    lane = make_lane("T01", push=False)
    total = lane.syncer.pull_all(limit=100)
    assert total >= 724 + 15 + 3 + 5
    catalog.seed(
        hq_engine,
        tax_classes=[],
        categories=[],
        items=[
            {
                "id": "item-000001",
                "sku": "APP-00004",
                "barcode": None,
                "name": "Renamed shirt",
                "category_id": "apparel",
                "price_minor": 1234,
                "tax_code": "A",
                "active": True,
            }
        ],
        users=[],
    )
    assert catalog.tombstone(hq_engine, "item", ["item-000002"]) == 1
    assert lane.syncer.pull_all() == 2
    with lane.store.db.read.connect() as conn:
        from db import schema as ls

        rows = dict(
            conn.execute(
                select(ls.items.c.id, ls.items.c.name).where(ls.items.c.id.in_(["item-000001", "item-000002"]))
            ).all()
        )
        active = conn.execute(select(ls.items.c.active).where(ls.items.c.id == "item-000002")).scalar_one()
    assert rows["item-000001"] == "Renamed shirt" and not active
    assert [i.name for i in lane.store.catalog.search("Renamed")] == ["Renamed shirt"]
