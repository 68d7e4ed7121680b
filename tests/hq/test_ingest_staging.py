"""A large push goes COPY -> staging table -> merge (hq/staging.py) and keeps what the
row path (one statement per batch) keeps:

* the same rows: journal, sales, lines, tenders and the lane's head alike for the same
  batches, whichever path took them;
* exactly once: a re-sent batch, a batch overlapping what HQ holds and two pushes of one
  lane at the same moment (threads, real PostgreSQL) store each entry once and get the
  acknowledgements the row path gives;
* refusals: a bad hash, a gap, an altered re-send, a broken domain rule and a sale id
  another lane holds are refused as before, and a refused push leaves nothing (the
  staging table too: the next push on the same connection goes through).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from counter.journal import GENESIS, JournalEntry, envelope_text, make_entry
from hq import access, ingest as ingest_mod, schema as hs
from hq.chain import PushRefused, check_chain
from hq.ingest import PushResult, ingest
from hq.serve import RunningHq
from tests.hq.conftest import hq_count, run_threads
from tests.hq.test_perf_paths import projection, sale_entries

#: a batch this size or larger goes through the staging table (the bench's and a backlog's)
N = 140


@pytest.fixture
def copy_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_mod, "COPY_FROM", 1)


def enrol(engine: Engine, *lanes: str) -> None:
    for lane in lanes:
        access.enrol(engine, access.new_enrol_code(engine, "S01", lane))


def pushed(results: list[object]) -> list[PushResult]:
    """The threads' results, each an acknowledgement (a refusal fails the test)."""
    assert all(isinstance(r, PushResult) for r in results), results
    return [r for r in results if isinstance(r, PushResult)]


def stored_chain(engine: Engine, terminal: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT seq, id, type, at, body, prev_hash, hash, received_at IS NOT NULL FROM journal "
                    "WHERE store_id = 'S01' AND terminal_id = :t ORDER BY seq"
                ),
                {"t": terminal},
            )
        ]


def as_stored(entries: list[JournalEntry]) -> list[tuple[Any, ...]]:
    return [(e.seq, e.id, e.type, e.at, e.body, e.prev_hash, e.hash, True) for e in entries]


def rechain(entries: list[JournalEntry], at: int, body: dict[str, Any] | None = None) -> list[JournalEntry]:
    """``entries`` with the one at index ``at`` given ``body``, the chain made good again
    from there (so only the body is wrong, never the hashes)."""
    out = list(entries[:at])
    prev = out[-1].hash if out else entries[0].prev_hash
    for i, e in enumerate(entries[at:], at):
        data = body if i == at and body is not None else json.loads(e.body)
        made = make_entry(e.terminal, e.seq, e.id, e.type, _when(e), data, prev)
        out.append(made)
        prev = made.hash
    return out


def _when(e: JournalEntry) -> datetime:
    return datetime.fromisoformat(e.at.replace("Z", "+00:00"))


def refusal(call: Any) -> tuple[int, str, Any]:
    with pytest.raises(PushRefused) as caught:
        call()
    return caught.value.status, caught.value.error, caught.value.extra.get("seq")


def test_copy_path_stores_what_the_row_path_stores(
    hq: RunningHq, hq_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lane TA through the row path only, lane TB through the staging table only, the same
    batches (a re-send and an overlap among them): the same rows and acknowledgements."""
    enrol(hq_engine, "TA", "TB")
    a, b = sale_entries("TA", 3 * N), sale_entries("TB", 3 * N)
    cuts = [(0, N), (0, N), (N // 2, 2 * N), (2 * N, 3 * N), (N, 3 * N)]  # first, re-send, overlaps

    def run(lane: str, entries: list[JournalEntry], copy_from: int) -> list[PushResult]:
        monkeypatch.setattr(ingest_mod, "COPY_FROM", copy_from)
        return [ingest(hq_engine, "S01", lane, entries[i:j]) for i, j in cuts]

    by_rows, by_copy = run("TA", a, 10**9), run("TB", b, 1)
    assert [(r.acked_seq, r.stored, r.repeated) for r in by_rows] == [
        (N, N, 0),
        (N, 0, N),
        (2 * N, N, N // 2),
        (3 * N, N, 0),
        (3 * N, 0, 2 * N),
    ]
    assert [(r.acked_seq, r.stored, r.repeated) for r in by_copy] == [
        (r.acked_seq, r.stored, r.repeated) for r in by_rows
    ]
    assert [r.head_hash for r in by_copy] == [b[r.acked_seq - 1].hash for r in by_copy]
    got_a, got_b = projection(hq_engine, "TA"), projection(hq_engine, "TB")
    assert all(got_a) and [len(x) for x in got_a] == [len(x) for x in got_b]
    assert got_a == got_b  # sales, lines, tenders, journal, head (the lane's name aside)
    assert stored_chain(hq_engine, "TA") == as_stored(a)
    assert stored_chain(hq_engine, "TB") == as_stored(b)  # each entry once, verbatim, in order
    with hq_engine.connect() as conn:
        pushed = conn.execute(
            text("SELECT terminal_id, last_push_at IS NOT NULL FROM terminals WHERE terminal_id IN ('TA', 'TB')")
        ).all()
    assert sorted(tuple(r) for r in pushed) == [("TA", True), ("TB", True)]


def test_two_pushes_of_one_lane_at_once_store_it_once(hq: RunningHq, hq_engine: Engine, copy_always: None) -> None:
    enrol(hq_engine, "TC")
    entries = sale_entries("TC", 2 * N)
    same = pushed(run_threads([lambda: ingest(hq_engine, "S01", "TC", entries[:N])] * 2))
    assert sorted((r.acked_seq, r.stored, r.repeated) for r in same) == [(N, 0, N), (N, N, 0)]
    both = pushed(
        run_threads(
            [
                lambda: ingest(hq_engine, "S01", "TC", entries[N // 2 : 3 * N // 2]),
                lambda: ingest(hq_engine, "S01", "TC", entries[N : 2 * N]),
            ]
        )
    )
    # whichever went first, the two stored the lane's second N entries exactly once between them
    assert sum(r.stored for r in both) == N
    assert {r.acked_seq for r in both} <= {3 * N // 2, 2 * N} and max(r.acked_seq for r in both) == 2 * N
    assert stored_chain(hq_engine, "TC") == as_stored(entries)
    sales = sum(1 for e in entries if e.type == "SaleCompleted")
    assert hq_count(hq_engine, hs.sales, terminal_id="TC") == sales


@pytest.fixture
def one_connection(pg_url: str) -> Iterator[Engine]:
    """An engine of one pooled connection: every push reuses the same database session."""
    engine = create_engine(pg_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_a_refused_push_leaves_nothing(
    hq: RunningHq, hq_engine: Engine, one_connection: Engine, copy_always: None
) -> None:
    enrol(hq_engine, "TD", "TE")
    other = sale_entries("TE", 10)
    ingest(hq_engine, "S01", "TE", other)
    entries = sale_entries("TD", 2 * N)

    # Refused after the batch was staged and merged (a sale id lane TE holds), as the first
    # push of this session: the staging table made in it rolls back with it.
    twin = json.loads(other[2].body)
    clash = rechain(entries[:N], 40, twin)
    got = refusal(lambda: ingest(one_connection, "S01", "TD", clash))
    assert got == (422, "entry_refused", 41)
    bad_hash = [*entries[:N]]
    bad_hash[70] = replace(bad_hash[70], hash="0" * 64)
    assert refusal(lambda: ingest(one_connection, "S01", "TD", bad_hash)) == (422, "chain_broken", 71)
    body = json.loads(entries[80].body)
    body["total"] += 1  # HQ adds the lines up itself
    assert refusal(lambda: ingest(one_connection, "S01", "TD", rechain(entries[:N], 80, body)))[:2] == (
        422,
        "entry_refused",
    )
    assert refusal(lambda: ingest(one_connection, "S01", "TD", entries[1 : N + 1])) == (409, "gap", 2)
    assert hq_count(hq_engine, hs.journal, terminal_id="TD") == 0
    assert hq_count(hq_engine, hs.sales, terminal_id="TD") == 0
    with hq_engine.connect() as conn:
        lines = conn.execute(text("SELECT count(*) FROM sale_lines WHERE id LIKE 'TD-%'")).scalar_one()
        head = conn.execute(text("SELECT head_seq FROM terminals WHERE terminal_id = 'TD'")).scalar_one()
    assert (lines, head) == (0, 0)

    # the same connection then takes the good batch, and an altered re-send is refused
    assert ingest(one_connection, "S01", "TD", entries[:N]).stored == N
    altered = rechain(entries[: N + 20], 100, {**json.loads(entries[100].body), "note": "x"})
    assert refusal(lambda: ingest(one_connection, "S01", "TD", altered)) == (409, "seq_conflict", 101)
    assert ingest(one_connection, "S01", "TD", entries[N // 2 :]).stored == N
    assert stored_chain(hq_engine, "TD") == as_stored(entries)
    with hq_engine.connect() as conn:
        alerts = [r[0] for r in conn.execute(text("SELECT kind FROM alerts WHERE terminal_id = 'TD' ORDER BY id"))]
    assert alerts[:2] == ["entry_refused:duplicate_id", "chain_broken"]
    assert alerts[2].startswith("entry_refused:") and alerts[3:] == ["gap", "seq_conflict"]


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ("1.5", True),
        ("[1,2.5]", True),
        ('{"a":{"b":[1e+20]}}', True),
        ('{"a":-0.0,"b":1}', True),
        ('{"a":[0,1],"s":"x"}', False),
        ('{"s":"a:1.5,"}', False),  # looks like a float inside a string
        ('{"t":"2026-11-25T09:30:00.000000Z"}', False),
    ],
)
def test_the_chain_check_finds_every_float(body: str, refused: bool) -> None:
    """The chain check's quick look for floats (hq/chain.py) misses none: a body holding a
    float anywhere is refused, a string that merely looks like one is not."""
    entry = make_entry("T01", 1, "e1", "NoteTaken", datetime.now(UTC), {}, GENESIS)
    envelope = envelope_text(entry.terminal, 1, entry.id, entry.type, entry.at, body)
    entry = replace(entry, body=body, hash=hashlib.sha256(GENESIS.encode("ascii") + b"\n" + envelope).hexdigest())
    if refused:
        with pytest.raises(PushRefused) as caught:
            check_chain([entry], 0, GENESIS)
        assert caught.value.message == "Entry 1: body is not canonical JSON."
    else:
        assert check_chain([entry], 0, GENESIS) == [json.loads(body)]
