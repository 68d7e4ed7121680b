"""Wrong tokens and enrolment codes are rate-limited per client address (hq/ratelimit.py):
after 10 failures in a minute HQ answers 429 with Retry-After, to right credentials from
that address too, and each burst raises one alert."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine, select

from hq import access, schema as hs
from hq.ratelimit import LIMIT, WINDOW_SECONDS, FailureLimiter
from hq.serve import RunningHq
from tests.hq.conftest import hq_count


def _alerts(hq_engine: Engine) -> list[str]:
    with hq_engine.connect() as conn:
        return list(conn.execute(select(hs.alerts.c.detail).where(hs.alerts.c.kind == "auth_burst")).scalars())


def test_wrong_tokens_get_429_and_one_alert_per_burst(hq: RunningHq, hq_engine: Engine) -> None:
    _, _, good = access.enrol(hq_engine, access.new_enrol_code(hq_engine, "S01", "T01"))
    with httpx.Client(base_url=f"{hq.url}/v1", timeout=10) as http:
        assert http.get("/journal/head", headers={"Authorization": f"Bearer {good}"}).status_code == 200
        for n in range(LIMIT):
            answer = http.get("/journal/head", headers={"Authorization": f"Bearer guess-{n}"})
            assert answer.status_code == 401, answer.text
        assert _alerts(hq_engine) and len(_alerts(hq_engine)) == 1
        assert "wrong tokens from 127.0.0.1" in _alerts(hq_engine)[0]
        for token in ("guess-again", good):  # the address waits, whatever it sends now
            limited = http.get("/approvals", headers={"Authorization": f"Bearer {token}"})
            assert limited.status_code == 429, limited.text
            assert limited.json()["error"] == "too_many_failures"
            assert "try again in" in limited.json()["message"]
            assert 0 < int(limited.headers["Retry-After"]) <= WINDOW_SECONDS
        # the lean push route hands an unknown token on to the same check: 429 too
        push = http.post("/journal", headers={"Authorization": "Bearer guess-push"}, json={"store": "S01"})
        assert push.status_code == 429
        assert len(_alerts(hq_engine)) == 1  # one burst, one alert
        # a health check carries no credential: still answered
        assert http.get("/health").status_code == 200


def test_a_revoked_lane_retrying_is_not_a_burst(hq: RunningHq, hq_engine: Engine) -> None:
    _, _, old = access.enrol(hq_engine, access.new_enrol_code(hq_engine, "S01", "T03"))
    access.revoke(hq_engine, "T03", "S01")
    with httpx.Client(base_url=f"{hq.url}/v1", timeout=10) as http:
        for _ in range(LIMIT + 5):
            answer = http.get("/journal/head", headers={"Authorization": f"Bearer {old}"})
            assert answer.status_code == 401 and "revoked" in answer.json()["message"]
    assert _alerts(hq_engine) == []


def test_wrong_enrolment_codes_are_limited_too(hq: RunningHq, hq_engine: Engine) -> None:
    code = access.new_enrol_code(hq_engine, "S01", "T05")
    with httpx.Client(base_url=f"{hq.url}/v1", timeout=10) as http:
        for n in range(LIMIT):
            wrong = http.post("/enrol", json={"code": f"WRONG-{n:04d}"})
            assert wrong.status_code == 401 and wrong.json()["error"] == "bad_code"
        limited = http.post("/enrol", json={"code": code})  # even the right code waits now
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert hq_count(hq_engine, hs.terminals, terminal_id="T05") == 0  # the code was not spent
    with hq_engine.connect() as conn:
        used = conn.execute(select(hs.enrol_codes.c.used_at).where(hs.enrol_codes.c.store_id == "S01")).scalar()
    assert used is None
    alerts = _alerts(hq_engine)
    assert len(alerts) == 1 and "wrong enrolment codes" in alerts[0]
    hq.reset_limits()  # (a minute later)
    with httpx.Client(base_url=f"{hq.url}/v1", timeout=10) as http:
        assert http.post("/enrol", json={"code": code}).status_code == 200


def test_a_burst_ends_and_the_next_one_alerts_again() -> None:
    now = [1000.0]
    limiter = FailureLimiter(limit=3, window=60, clock=lambda: now[0])
    assert [limiter.failed("10.0.0.9") for _ in range(3)] == [False, False, True]
    assert limiter.retry_after("10.0.0.9") == 60
    assert limiter.retry_after("10.0.0.10") is None  # per address
    now[0] += 30
    assert limiter.retry_after("10.0.0.9") == 30
    now[0] += 31
    assert limiter.retry_after("10.0.0.9") is None
    # failures spread over more than a window never make a burst
    spread = []
    for _ in range(6):
        spread.append(limiter.failed("10.0.0.9"))
        now[0] += 40
    assert spread == [False] * 6
    assert limiter.retry_after("10.0.0.9") is None
    burst = [limiter.failed("10.0.0.9") for _ in range(5)]
    assert burst.count(True) == 1  # a new burst: one alert again (the failure 40 s ago counts toward it)
