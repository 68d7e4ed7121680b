"""The fast paths of HQ and the sync client keep the guarantees of the slow ones:

* HQ's chain check (each body parsed once, the envelope built around the checked text)
  refuses exactly what ``counter.journal.verify`` refuses, for the same reason;
* a token revoked at HQ never writes again, and stops reading within the token cache's
  lifetime (``access.TOKEN_CACHE_SECONDS``) even in a process that had it cached;
* a first load of the catalog (fresh store, cursor 0) leaves search, barcode look-up and
  the cursor as the page-by-page pull does, and a sale commits while it runs (the
  streamed first load against the paged one: tests/hq/test_streamed_pull.py).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import Engine, select, text

from counter.barcodes import CodeKind, ScannedCode
from counter.journal import GENESIS, JournalEntry, make_entry, utc_stamp, verify
from counter.money import Currency
from counter.sync.upstream import UpstreamUnavailable
from db import schema as ls, sync
from db.engine import DB_FILENAME, open_database
from db.hq_client import HqClient
from db.queries import SqlCatalog, read_settings, write_settings
from db.side_index import SideIndex
from db.sync import Syncer, enrol
from hq import access, catalog, schema as hs
from hq.chain import PushRefused, check_chain
from hq.serve import RunningHq
from tests.db.support import TestStore
from tests.hq.conftest import ensure_shift, hq_count

BODIES: list[dict[str, Any]] = [
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


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


def _reference_or_crash(entries: list[JournalEntry]) -> tuple[bool, int | None, str] | None:
    try:
        return reference_verdict(entries)
    except (ValueError, RecursionError):  # verify itself chokes on a few (e.g. a lone surrogate)
        return None


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from(["canonical", "orjson", "unsorted", "spaced"]))
def test_hq_and_verify_agree_on_any_json_body(value: Any, how: str) -> None:
    """The orjson fast path never takes a body the reference check would refuse, and
    never refuses one it would take (floats, huge integers, any text, any key order)."""
    import orjson

    if how == "canonical":
        body = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    elif how == "orjson":
        try:
            body = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:  # integers beyond 64 bits
            body = json.dumps(value)
    elif how == "unsorted":
        body = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    else:
        body = json.dumps(value, sort_keys=True, ensure_ascii=True)
    entries = chain(2)
    entries[1] = replace(entries[1], body=body)
    expected = _reference_or_crash(entries)
    got = hq_verdict(entries)
    if expected is None:
        assert got[0] is False
    else:
        assert got == expected
    # and a correctly hashed entry with that body is taken exactly when its body is canonical
    try:
        data = json.loads(body)
        good = make_entry("T01", 2, "id-2", "NoteTaken", datetime.now(UTC), {"v": data}, entries[0].hash)
    except (TypeError, ValueError):
        return
    pair = [entries[0], good]
    assert hq_verdict(pair) == reference_verdict(pair) == (True, None, "")


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


# ------------------------------------------------------------------ first catalog load


def fresh_lane(folder: Path, template: Path, hq: RunningHq, hq_engine: Engine, terminal: str) -> tuple[Any, Syncer]:
    """A new, empty store (no catalog, cursor 0) with the demo store's settings, enrolled."""
    db = open_database(folder)
    with sqlite3.connect(template / DB_FILENAME) as src:
        settings = [
            r
            for r in src.execute("SELECT key, value FROM settings")
            if not r[0].startswith(("sync", "inst", "counter_version"))
        ]
    with db.write.begin() as conn:
        for key, value in settings:
            conn.execute(ls.settings.insert().values(key=key, value=value))
    config = enrol(db.write, hq.url, access.new_enrol_code(hq_engine, "S01", terminal))
    write_settings(db.write, {"terminal": {**read_settings(db.read)["terminal"], "id": terminal}})
    return db, Syncer(db.write, db.read, HqClient(hq.url, config.token), config)


def add_items(engine: Engine, n: int, start: int = 0) -> None:
    colours = ["red", "blue", "green", "large", "small"]
    items = [
        {
            "id": f"bulk-{i}",
            "sku": f"BULK-{i}",
            "barcode": None,
            "name": f"Bulk kettle {i} {colours[i % 5]}",
            "category_id": "hardware",
            "price_minor": 100 + i,
            "tax_code": "A",
            "active": True,
        }
        for i in range(start, start + n)
    ]
    catalog.seed(engine, tax_classes=[], categories=[], items=items, users=[])


def fts_ids(db: Any, words: str) -> set[str]:
    match = " ".join(f'"{w}"*' for w in words.split())
    with db.read.connect() as conn:
        return set(
            conn.execute(
                text("SELECT i.id FROM items_fts f JOIN items i ON i.rowid = f.rowid WHERE items_fts MATCH :m"),
                {"m": match},
            ).scalars()
        )


def like_ids(db: Any, word: str) -> set[str]:
    """The same question answered without the index: names or SKUs with a word starting so."""
    with db.read.connect() as conn:
        rows = conn.execute(text("SELECT id, name, sku FROM items")).all()
    w = word.lower()
    return {r[0] for r in rows if any(t.startswith(w) for t in re.split(r"[^0-9a-z]+", f"{r[1]} {r[2]}".lower()))}


def item_triggers(db: Any) -> list[tuple[str, str]]:
    with db.read.connect() as conn:
        return [
            (str(r[0]), str(r[1]))
            for r in conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'items' ORDER BY name")
            )
        ]


def fts_consistent(db: Any) -> None:
    with db.write.begin() as conn:  # raises if the index and the items table disagree
        conn.exec_driver_sql("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync, "FTS_CHUNK", 700)


def test_a_first_load_leaves_search_and_triggers_as_a_paged_pull_would(
    hq: RunningHq, hq_engine: Engine, demo_template: Path, tmp_path: Path, small_chunks: None
) -> None:
    add_items(hq_engine, 2_500)
    db, syncer = fresh_lane(tmp_path / "new", demo_template, hq, hq_engine, "T05")
    reference = open_database(tmp_path / "reference")  # triggers as the migrations make them
    expected_triggers = item_triggers(reference)
    reference.dispose()
    assert any("items_fts" in sql for _, sql in expected_triggers)
    seen: list[int] = []
    total = syncer.pull_all(seen.append, limit=400)
    assert total >= 2_500 + 724 and seen[-1] == total
    assert item_triggers(db) == expected_triggers
    assert sync.FIRST_LOAD_KEY not in read_settings(db.read)
    fts_consistent(db)
    for word in ("kettle", "24", "red", "shirt", "ke"):
        assert fts_ids(db, word) == like_ids(db, word), word
    assert len(fts_ids(db, "kettle red")) == 500
    # Later changes go through the restored triggers: a renamed item is found by its new name only.
    catalog.seed(
        hq_engine,
        tax_classes=[],
        categories=[],
        items=[{**_bulk(7), "name": "Renamed teapot"}],
        users=[],
    )
    assert syncer.pull_all() == 1
    assert fts_ids(db, "teapot") == {"bulk-7"} and "bulk-7" not in fts_ids(db, "kettle")
    fts_consistent(db)
    syncer.client.close()
    db.dispose()


def _bulk(i: int) -> dict[str, Any]:
    return {
        "id": f"bulk-{i}",
        "sku": f"BULK-{i}",
        "barcode": None,
        "name": f"Bulk kettle {i}",
        "category_id": "hardware",
        "price_minor": 100 + i,
        "tax_code": "A",
        "active": True,
    }


class DropsAfter:
    """The network failing after ``pages`` pages, paged or streamed (HQ going away mid-load)."""

    def __init__(self, client: HqClient, pages: int) -> None:
        self.client, self.left = client, pages

    def changes(self, after: int, limit: int) -> dict[str, Any]:
        if self.left <= 0:
            raise UpstreamUnavailable("HQ cannot be reached (test).", "")
        self.left -= 1
        return self.client.changes(after, limit)

    def changes_stream(self, after: int, limit: int) -> Iterator[dict[str, Any]]:
        for page in self.client.changes_stream(after, limit):
            if self.left <= 0:
                raise UpstreamUnavailable("HQ cannot be reached (test).", "")
            self.left -= 1
            yield page


def test_an_interrupted_first_load_resumes_and_barcodes_work_meanwhile(
    hq: RunningHq,
    hq_engine: Engine,
    demo_template: Path,
    tmp_path: Path,
    small_chunks: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_items(hq_engine, 2_000)
    db, syncer = fresh_lane(tmp_path / "new", demo_template, hq, hq_engine, "T06")
    real = syncer.client
    syncer.client = DropsAfter(real, 4)  # type: ignore[assignment]
    with pytest.raises(UpstreamUnavailable):
        syncer.pull_all(limit=300)
    # HQ went away: what came is indexed at once and the triggers are back (found by name meanwhile)
    assert sync.FIRST_LOAD_KEY not in read_settings(db.read)
    assert any("items_fts" in sql for _, sql in item_triggers(db))
    with db.read.connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM items")).scalar_one()
        some = conn.execute(text("SELECT barcode, sku FROM items WHERE barcode IS NOT NULL LIMIT 1")).one()
    assert 0 < loaded < 2_000 + 724
    fts_consistent(db)
    assert fts_ids(db, "kettle") == like_ids(db, "kettle") and fts_ids(db, "kettle")
    shop = SqlCatalog(db.read, Currency.of("USD"))
    assert shop.by_code(ScannedCode(CodeKind.GTIN, some[0], some[0])) is not None  # scanning works
    assert shop.by_code(ScannedCode(CodeKind.SKU, some[1], some[1])) is not None
    syncer.client = real
    catalog.seed(hq_engine, tax_classes=[], categories=[], items=[{**_bulk(3), "name": "Renamed teapot"}], users=[])
    syncer.pull_all(limit=300)  # the rest, through the triggers
    fts_consistent(db)
    assert fts_ids(db, "teapot") == {"bulk-3"}
    for word in ("kettle", "17", "green"):
        assert fts_ids(db, word) == like_ids(db, word), word

    # A power cut while indexing on the writer (the index built beside the load is cut in
    # tests/db/test_side_index.py): the indexing is finished before any new page.
    monkeypatch.setattr(SideIndex, "start", classmethod(lambda cls, write: None))
    db2, syncer2 = fresh_lane(tmp_path / "cut", demo_template, hq, hq_engine, "T07")
    calls = 0

    def crash_while_indexing(n: int) -> None:
        nonlocal calls
        if read_settings(db2.read).get(sync.FIRST_LOAD_KEY, {}).get("phase") == "indexing":
            calls += 1
            if calls == 2:
                raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        syncer2.pull_all(crash_while_indexing, limit=300)
    assert read_settings(db2.read)[sync.FIRST_LOAD_KEY]["indexed_upto"] > 0
    assert not any("items_fts" in sql for _, sql in item_triggers(db2))
    catalog.seed(hq_engine, tax_classes=[], categories=[], items=[{**_bulk(5), "name": "Renamed teacup"}], users=[])
    assert syncer2.pull_all(limit=300) == 1
    assert sync.FIRST_LOAD_KEY not in read_settings(db2.read)
    assert any("items_fts" in sql for _, sql in item_triggers(db2))
    fts_consistent(db2)
    assert fts_ids(db2, "teacup") == {"bulk-5"}
    for word in ("kettle", "17", "green"):
        assert fts_ids(db2, word) == like_ids(db2, word), word
    real.close()
    syncer2.client.close()
    db.dispose()
    db2.dispose()


def test_a_sale_commits_while_a_first_load_runs(
    hq: RunningHq, hq_engine: Engine, demo_template: Path, tmp_path: Path, small_chunks: None
) -> None:
    add_items(hq_engine, 6_000)
    folder = tmp_path / "new"
    db, syncer = fresh_lane(folder, demo_template, hq, hq_engine, "T07")
    pages_done = threading.Event()
    sold = threading.Event()

    def slow_pages(n: int) -> None:  # pages keep coming until the sale is in (bounded)
        if n > 1_500:
            pages_done.set()
            sold.wait(timeout=0.05)

    puller = threading.Thread(target=lambda: syncer.pull_all(slow_pages, limit=250))
    puller.start()
    assert pages_done.wait(timeout=60)
    assert read_settings(db.read)[sync.FIRST_LOAD_KEY]["phase"] == "loading"  # the first load is running
    shop = TestStore(folder)
    ensure_shift(shop)
    started = time.perf_counter()
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    took = time.perf_counter() - started
    still_loading = sync.FIRST_LOAD_KEY in read_settings(db.read)
    sold.set()
    puller.join(timeout=120)
    assert not puller.is_alive()
    assert still_loading, "the load ended before the sale: nothing was shown"
    assert took < 2.0, f"the sale waited {took:.2f} s"
    with db.read.connect() as conn:
        assert conn.execute(select(ls.sales.c.id).where(ls.sales.c.id == sale.id)).first() is not None
    assert sync.FIRST_LOAD_KEY not in read_settings(db.read)
    assert fts_ids(db, "kettle") == like_ids(db, "kettle") and len(fts_ids(db, "kettle")) >= 6_000
    shop.close()
    syncer.client.close()
    db.dispose()


# ------------------------------------------------------------------ small and large batches


def sale_entries(terminal: str, n: int) -> list[JournalEntry]:
    out, prev, at = [], GENESIS, datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    for seq in range(1, n + 1):
        if seq % 7 == 0:
            e = make_entry(terminal, seq, f"{terminal}-e{seq}", "SignedIn", at, {"user": "u1"}, prev)
        else:
            # A sale that adds up (HQ checks it: counter.trust.entry_rules): inclusive prices on
            # odd seqs, exclusive on even ones; cash settles what a card does not.
            inclusive = bool(seq % 2)
            lines = []
            for k in range(1 + seq % 3):
                amount = 999 * (1 + k) - 5 * k
                tax = 82 * (1 + k)
                lines.append(
                    {
                        "line_id": f"{terminal}-l{seq}-{k}",
                        "item_id": f"item-{k}",
                        "sku": f"SKU-{k}",
                        "name": "Crème ☕ kettle",
                        "qty": 1 + k,
                        "unit_price": 999,
                        "line_discount": 0,
                        "order_discount": 5 * k,
                        "amount": amount,
                        "tax": tax,
                        "gross": amount if inclusive else amount + tax,
                        "tax_code": "A",
                        "tax_rate": "0.0825",
                    }
                )
            total = sum(ln["gross"] for ln in lines)
            amounts, taxes = sum(ln["amount"] for ln in lines), sum(ln["tax"] for ln in lines)
            rounding = seq % 3 - 1
            tenders = [{"kind": "cash", "amount": total + rounding - (581 if seq % 2 else 0), "tendered": 10_000}]
            if seq % 2:
                tenders.append(
                    {
                        "kind": "card",
                        "amount": 581,
                        "tendered": 581,
                        "card_brand": "Visa",
                        "card_last4": "4242",
                        "approval_code": "A1",
                    }
                )
            body = {
                "sale_id": f"{terminal}-s{seq}",
                "receipt_number": f"{terminal}-R{seq:05d}",
                "store": "S01",
                "cashier": "u-cashier-1",
                "currency": "USD",
                "prices_include_tax": inclusive,
                "lines": lines,
                "taxes": [
                    {"code": "A", "rate": "0.0825", "base": amounts - taxes if inclusive else amounts, "tax": taxes}
                ],
                "tenders": tenders,
                "rounding": rounding,
                "total": total,
            }
            e = make_entry(terminal, seq, f"{terminal}-e{seq}", "SaleCompleted", at, body, prev)
        out.append(e)
        prev = e.hash
    return out


def projection(engine: Engine, terminal: str) -> list[list[tuple[Any, ...]]]:
    def norm(row: Any) -> tuple[Any, ...]:
        return tuple(str(v).replace(terminal, "LANE") if isinstance(v, str) else v for v in row)

    with engine.connect() as conn:
        return [
            sorted(norm(r) for r in conn.execute(text(sql), {"t": terminal}))
            for sql in (
                "SELECT id, receipt_number, store_id, terminal_id, seq, cashier_id, completed_at, currency, "
                "prices_include_tax, total_minor, rounding_minor, body FROM sales WHERE terminal_id = :t",
                "SELECT l.* FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE s.terminal_id = :t",
                "SELECT d.* FROM sale_tenders d JOIN sales s ON s.id = d.sale_id WHERE s.terminal_id = :t",
                "SELECT store_id, terminal_id, seq, id, type, at, body FROM journal WHERE terminal_id = :t",
                "SELECT head_seq FROM terminals WHERE terminal_id = :t",
            )
        ]


def test_small_and_large_batches_store_and_project_the_same(hq: RunningHq, hq_engine: Engine) -> None:
    """A lane's everyday push (one statement) and a backlog batch (COPY) leave the same rows."""
    from hq.ingest import COPY_FROM, ingest

    for lane in ("TA", "TB"):
        access.enrol(hq_engine, access.new_enrol_code(hq_engine, "S01", lane))
    a, b = sale_entries("TA", 150), sale_entries("TB", 150)
    for i in range(0, 150, 5):
        assert ingest(hq_engine, "S01", "TA", a[i : i + 5]).stored == 5  # one statement each
    assert COPY_FROM <= 100
    assert ingest(hq_engine, "S01", "TB", b[:100]).stored == 100  # through COPY
    assert ingest(hq_engine, "S01", "TB", b[100:]).stored == 50
    got_a, got_b = projection(hq_engine, "TA"), projection(hq_engine, "TB")
    assert got_a[0] and got_a[1] and got_a[2]
    assert [len(x) for x in got_a] == [len(x) for x in got_b]
    assert got_a == got_b  # journal, sales, lines, tenders and head alike (the lane's name aside)
    assert got_a[4] == got_b[4] == [(150,)]
    # a re-send of a small batch is acknowledged, not stored twice
    again = ingest(hq_engine, "S01", "TA", a[10:15])
    assert (again.stored, again.repeated) == (0, 5)
    assert hq_count(hq_engine, hs.sales, terminal_id="TA") == len(got_a[0])


@pytest.mark.parametrize("batch", [5, 100])  # one statement / COPY
def test_a_sale_arriving_after_a_return_of_it_is_checked_for_over_returns(
    hq: RunningHq, hq_engine: Engine, batch: int
) -> None:
    from hq.ingest import ingest

    for lane in ("TS", "TR"):
        access.enrol(hq_engine, access.new_enrol_code(hq_engine, "S01", lane))
    sold = sale_entries("TS", 100)
    body = json.loads(sold[0].body)
    line = body["lines"][0]
    refund = {
        "return_id": "ret-1",
        "return_number": "TR-X0001",
        "request_id": "req-1",
        "original_sale_id": body["sale_id"],
        "original_receipt": body["receipt_number"],
        "cashier": body["cashier"],
        "currency": body["currency"],
        "refund_total": 5000,
        "fee_total": 0,
        "exchange_credit": 0,
        "lines": [
            {
                "sale_line_id": line["line_id"],
                "item_id": line["item_id"],
                "sku": line["sku"],
                "qty": line["qty"] + 2,
                "amount": 4000,
                "tax": 1000,
                "gross": 5000,
                "fee": 0,
                "tax_code": line["tax_code"],
                "tax_rate": line["tax_rate"],
                "reason": "changed_mind",
                "condition": "new",
                "disposition": "restock",
            }
        ],
        "refunds": [{"kind": "cash", "amount": 5000}],
    }
    ret = make_entry("TR", 1, "TR-e1", "ReturnProcessed", datetime.now(UTC), refund, GENESIS)
    ingest(hq_engine, "S01", "TR", [ret])  # the other lane's offline return syncs first
    assert hq_count(hq_engine, hs.exceptions) == 0
    for i in range(0, 100, batch):
        ingest(hq_engine, "S01", "TS", sold[i : i + batch])
    with hq_engine.connect() as conn:
        flagged = conn.execute(select(hs.exceptions.c.return_id, hs.exceptions.c.sale_line_id)).all()
    assert [tuple(r) for r in flagged] == [("ret-1", line["line_id"])]


def test_hq_keeps_an_idle_connection_open_between_pushes(hq: RunningHq) -> None:
    """A lane's connection stays usable across a pause longer than uvicorn's default 5 s
    keep-alive, so the next push does not race the server closing it."""
    import socket

    from hq.serve import KEEP_ALIVE_SECONDS

    assert KEEP_ALIVE_SECONDS > 30
    request = b"GET /v1/health HTTP/1.1\r\nHost: hq\r\nConnection: keep-alive\r\n\r\n"
    with socket.create_connection(("127.0.0.1", hq.port), timeout=5) as sock:
        for pause in (0.0, 5.5):
            time.sleep(pause)
            sock.sendall(request)
            answer = sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:40]


def test_a_long_pull_reports_how_far_it_has_come(
    hq: RunningHq, hq_engine: Engine, demo_template: Path, tmp_path: Path
) -> None:
    """HQ's pages carry its newest version, so a lane can show a progress bar for a long
    pull: the share rises page by page and reaches 1 with the last page; the status the
    sync worker publishes carries it, and it is gone once the pull is done."""
    add_items(hq_engine, 2_000)
    db, syncer = fresh_lane(tmp_path / "progress", demo_template, hq, hq_engine, "T06")
    shares: list[float | None] = []
    syncer.pull_all(lambda n: shares.append(syncer.pull_fraction), limit=300)
    assert len(shares) >= 8 and all(f is not None for f in shares)
    known = [f for f in shares if f is not None]
    assert known == sorted(known) and known[0] < 1.0 and known[-1] == 1.0
    add_items(hq_engine, 1_200, start=10_000)
    published: list[sync.SyncStatus] = []
    status = syncer.cycle(published.append)
    assert published and all(p.pulling and p.pull_fraction is not None for p in published)
    assert published[-1].pull_fraction == 1.0 and "%" in published[-1].describe()
    assert status.pulling == "" and status.pull_fraction is None
    syncer.client.close()
    db.dispose()
