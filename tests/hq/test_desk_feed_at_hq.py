"""HQ's desk feed (hq/desk_feed.py, issue #17 point 2): every lane's desk events handed to
the other lanes of its store, never back to their own lane nor to another store, with the
typed text the lane sent before them; text that is malformed is refused with a 422 that
says what is wrong, text that does not fit its entry is left off with an alert, and text
that comes after its entry still reaches the lanes that had not pulled it.

Real store files, a real uvicorn, the real PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete, insert, select, update

from counter.desk.cases import ContactKind, LogContact, log_contact
from db import schema as ls
from hq import schema as hs
from hq.serve import RunningHq
from tests.hq.conftest import Lane, scratch_hq
from tests.hq.test_desk_at_hq import api, customer, sync
from tests.hq.test_hostile_ingest import Rogue

pytestmark = pytest.mark.slow


def complaint(lane: Lane, jane: str, words: str) -> Any:
    return log_contact(
        lane.store.user("Maria"),
        LogContact(jane, ContactKind.COMPLAINT, "Product quality", words, "Took it in"),
        uow_factory=lane.store.uow,
        clock=lane.store.clock,
        terminal=lane.store.terminal,
    ).case


def feed_rows(engine: Engine, terminal: str) -> list[Any]:
    f = hs.desk_feed
    with engine.connect() as conn:
        return list(conn.execute(select(f).where(f.c.origin_terminal == terminal).order_by(f.c.version)))


def words_at(lane: Lane, case_id: str) -> list[str]:
    with lane.store.db.read.connect() as conn:
        return list(conn.execute(select(ls.contacts.c.words).where(ls.contacts.c.case_id == case_id)).scalars())


def changes(http: httpx.Client) -> list[dict[str, Any]]:
    r = http.get("/v1/changes", params={"after": 0, "limit": 20000})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["changes"]
    return [row for row in rows if row["kind"] == "desk_event"]


def test_the_feed_goes_to_the_other_lanes_of_the_store_only_with_the_text_in_hqs_rows_too(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    jane = customer(one)
    case = complaint(one, jane, "The kettle leaks.")
    sync(one)
    (row,) = [r for r in feed_rows(hq_engine, "T01") if r.type == "ContactLogged" and case.id in r.body]
    assert row.id == f"S01:T01:{row.seq}" and json.loads(row.private)["contacts"] == [
        {"actions": "Took it in", "words": "The kettle leaks."}
    ]
    with hq_engine.connect() as conn:
        held = conn.execute(select(hs.contacts.c.words).where(hs.contacts.c.case_id == case.id)).scalar_one()
    assert held == "The kettle leaks."
    # T01 is not sent its own; T02 is; a lane of another store is sent nothing of S01's
    with api(hq, one) as http:
        assert all(r["data"]["origin_terminal"] != "T01" for r in changes(http))
    with api(hq, two) as http:
        assert row.id in {r["data"]["id"] for r in changes(http)}
    elsewhere = Rogue(hq, hq_engine, "S02", "T01")
    try:
        assert changes(elsewhere.http) == []
    finally:
        elsewhere.http.close()
    sync(two)
    assert words_at(two, case.id) == ["The kettle leaks."]


@pytest.mark.parametrize(
    ("payload", "said"),
    [
        ({}, "no list of texts"),
        ({"texts": [{"seq": 0, "private": {}}]}, "needs a seq"),
        ({"texts": [{"seq": 3, "private": {"customers": [{"name": "x"}]}}]}, "holds no typed text"),
        ({"texts": [{"seq": 3, "private": {"contacts": [{"amount_minor": "1"}]}}]}, "no typed column"),
        ({"texts": [{"seq": 3, "private": {"contacts": [{"words": "x" * 4001}]}}]}, "at most 4000"),
        ({"texts": [{"seq": 3, "private": {"contacts": "words"}}]}, "must be a list"),
        ({"texts": [{"seq": n, "private": {}} for n in range(1, 502)]}, "At most 500"),
    ],
)
def test_malformed_text_is_refused_with_what_is_wrong(
    hq: RunningHq, hq_engine: Engine, payload: dict[str, Any], said: str
) -> None:
    lane = Rogue(hq, hq_engine, "S01", "T09")
    try:
        r = lane.http.post("/v1/desk/texts", json=payload)
        assert r.status_code == 422, r.text
        assert said in r.json()["message"]
        assert httpx.post(f"{hq.url}/v1/desk/texts", json={"texts": []}).status_code == 401
    finally:
        lane.http.close()
    with hq_engine.connect() as conn:
        assert conn.execute(select(hs.desk_texts)).all() == []


def complaint_at_t01(make_lane: Callable[..., Lane]) -> tuple[Lane, Lane, Any, int, str]:
    """T01 and T02, and a complaint logged at T01: (T01, T02, the case, its entry's seq and text)."""
    one, two = make_lane("T01"), make_lane("T02")
    case = complaint(one, customer(one), "The kettle leaks.")
    t = ls.desk_texts
    with one.store.db.read.connect() as conn:
        mine = select(t.c.seq, t.c.private).where(t.c.terminal_id == "T01").order_by(t.c.seq.desc())
        seq, private = conn.execute(mine).first()  # type: ignore[misc]
    return one, two, case, int(seq), str(private)


def test_text_that_does_not_fit_its_entry_is_left_off_with_an_alert_and_the_entry_is_taken(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two, case, seq, private = complaint_at_t01(make_lane)
    t = ls.desk_texts
    forged = json.loads(private)
    forged["contacts"].append({"words": "a second contact that is not there"})
    with one.store.db.write.begin() as conn:
        conn.execute(update(t).where(t.c.terminal_id == "T01", t.c.seq == seq).values(private=json.dumps(forged)))
    sync(one, two)
    with hq_engine.connect() as conn:
        alerts = conn.execute(select(hs.alerts.c.detail).where(hs.alerts.c.kind == "desk_texts")).scalars().all()
        held = conn.execute(select(hs.contacts.c.words).where(hs.contacts.c.case_id == case.id)).scalar_one()
    assert len(alerts) == 1 and f"entry {seq}" in alerts[0] and "left off" in alerts[0]
    assert held is None
    assert words_at(two, case.id) == [""]  # the case is there, without the words


def test_text_sent_after_its_entry_reaches_the_lanes_that_had_not_pulled_it(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two, case, seq, private = complaint_at_t01(make_lane)
    t = ls.desk_texts
    with one.store.db.write.begin() as conn:  # as if the text had not gone up with it
        conn.execute(delete(t).where(t.c.terminal_id == "T01", t.c.seq == seq))
    sync(one)
    (before,) = [r for r in feed_rows(hq_engine, "T01") if r.seq == seq]
    assert before.private is None
    with api(hq, one) as http:
        r = http.post("/v1/desk/texts", json={"texts": [{"seq": seq, "private": json.loads(private)}]})
        assert r.status_code == 200 and r.json() == {"kept": 1, "late": 1}, r.text
        again = http.post("/v1/desk/texts", json={"texts": [{"seq": seq, "private": {"contacts": []}}]})
        assert again.json() == {"kept": 1, "late": 0}  # the first copy stays
    (after,) = [r for r in feed_rows(hq_engine, "T01") if r.seq == seq]
    assert after.version > before.version and json.loads(after.private) == json.loads(private)
    sync(two)
    assert words_at(two, case.id) == ["The kettle leaks."]


def test_an_hq_at_0008_puts_the_desk_entries_its_journal_holds_on_the_feed_in_the_order_it_took_them(
    pg_url: str,
) -> None:
    taken = datetime(2026, 12, 1, 9, tzinfo=UTC)
    entries = [  # (store, terminal, seq, type, received): T02's entry came in before T01's
        ("S01", "T01", 1, "OrderOpened", taken + timedelta(minutes=5)),
        ("S01", "T02", 1, "OrderPaymentTaken", taken),
        ("S01", "T01", 2, "SaleCompleted", taken + timedelta(minutes=6)),
        ("S02", "T01", 1, "ContactLogged", taken + timedelta(minutes=7)),
    ]
    with scratch_hq(pg_url, "0008") as (engine, upgrade):
        with engine.begin() as conn:
            for store, terminal, seq, kind, received in entries:
                conn.execute(
                    insert(hs.journal).values(
                        store_id=store, terminal_id=terminal, seq=seq, id=str(uuid.uuid4()), type=kind,
                        at="2026-12-01T08:00:00.000000Z", body='{"x": 1}', prev_hash="0" * 64, hash="1" * 64,
                        received_at=received,
                    )
                )  # fmt: skip
        upgrade("head")
        with engine.connect() as conn:
            f = hs.desk_feed
            rows = conn.execute(select(f.c.id, f.c.type, f.c.body, f.c.private).order_by(f.c.version)).all()
    assert [(r.id, r.type) for r in rows] == [
        ("S01:T02:1", "OrderPaymentTaken"),
        ("S01:T01:1", "OrderOpened"),
        ("S02:T01:1", "ContactLogged"),
    ]  # no sale: only the desk's events
    assert {(r.body, r.private) for r in rows} == {('{"x": 1}', None)}


class CutAfterTexts(httpx.BaseTransport):
    """HQ takes the texts, then the connection drops before the journal gets there (once)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.cut = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/journal") and self.cut:
            self.cut = False
            raise httpx.ConnectError("HQ went away", request=request)
        return self.inner.handle_request(request)


def test_hq_gone_between_the_text_and_its_entry_loses_nothing_and_doubles_nothing(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    jane = customer(one)
    case = complaint(one, jane, "The kettle leaks.")
    one.go_online(CutAfterTexts())
    status = one.syncer.cycle()
    assert not status.online and status.backlog > 0  # offline: the entries wait at the lane
    with hq_engine.connect() as conn:
        kept = conn.execute(select(hs.desk_texts.c.seq).where(hs.desk_texts.c.terminal_id == "T01")).scalars().all()
    assert kept and not [r for r in feed_rows(hq_engine, "T01") if case.id in r.body]
    sync(one, two)  # back: the entry goes, its text already waiting at HQ
    (row,) = [r for r in feed_rows(hq_engine, "T01") if r.type == "ContactLogged" and case.id in r.body]
    assert json.loads(row.private)["contacts"][0]["words"] == "The kettle leaks."
    assert words_at(two, case.id) == ["The kettle leaks."]
