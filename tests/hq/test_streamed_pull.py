"""A lane's first load streamed from HQ (``GET /v1/changes/stream``, hq/catalog_stream.py,
db/first_load.py) against the real PostgreSQL and a real uvicorn:

* the streamed first load leaves the lane's tables, cursor, search triggers and name search
  exactly as the page-by-page pull does;
* a stream cut mid-way (HQ gone) leaves the lane offline with every item it has found by
  name, and the next pull resumes from the last page applied and ends identical;
* a pull after a streamed load pages again, through the search triggers;
* an HQ without the stream (an earlier release) is paged, and HQ's stream holds exactly
  the rows its pages hold, in the same order;
* the client refuses a stream cut or garbled on the wire (never a silent half load).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine, text

from counter.sync.upstream import UpstreamUnavailable
from db import first_load, sync
from db.hq_client import HqClient, HqRefused
from db.queries import read_settings
from hq import catalog, catalog_stream
from hq.serve import RunningHq
from tests.hq.test_perf_paths import fresh_lane, fts_consistent, fts_ids, item_triggers, like_ids

WORDS = ("kettle", "red", "lamp", "12", "ke", "bulk-7", "blue lamp", "teapot")
COLOURS = ["red", "blue", "green", "large", "small"]


def seed(engine: Engine, n: int, start: int = 0) -> None:
    """Items with barcodes (12 digits: no card-number-like run) in two categories."""
    items = [
        {
            "id": f"bulk-{i}",
            "sku": f"BULK-{i}",
            "barcode": f"{400000000000 + i}" if i % 3 else None,
            "name": f"Bulk {'kettle' if i % 2 else 'lamp'} {i} {COLOURS[i % 5]}",
            "category_id": "hardware" if i % 4 else "apparel",
            "price_minor": 100 + i,
            "tax_code": "A",
            "active": i % 11 != 0,
        }
        for i in range(start, start + n)
    ]
    catalog.seed(engine, tax_classes=[], categories=[], items=items, users=[])


def change_at_hq(engine: Engine) -> None:
    """Later versions of rows already sent: a renamed item, deleted items, a renamed user."""
    renamed: dict[str, Any] = {
        "id": "bulk-7",
        "sku": "BULK-7",
        "barcode": None,
        "name": "Renamed teapot",
        "category_id": "hardware",
    }
    renamed |= {"price_minor": 107, "tax_code": "A", "active": True}
    catalog.seed(engine, tax_classes=[], categories=[], items=[renamed], users=[])
    catalog.tombstone(engine, "item", ["bulk-20", "bulk-21"])
    with engine.begin() as conn:  # (a category edited after its items: tests/hq/test_pull_parents.py)
        conn.execute(
            text("UPDATE users SET name = name || ' Jr', version = nextval('change_seq') WHERE id = 'u-cashier-1'")
        )


TABLES = {
    "items": "SELECT id, sku, barcode, name, category_id, price_minor, tax_code, active FROM items ORDER BY id",
    "categories": "SELECT id, name, tax_code FROM categories ORDER BY id",
    "tax_classes": "SELECT code, label, rate FROM tax_classes ORDER BY code",
    "return_policies": "SELECT * FROM return_policies ORDER BY category_id",
    "users": "SELECT id, name, role, pin_hash, active FROM users ORDER BY id",
    "cursor": "SELECT value FROM settings WHERE key = 'sync_cursor'",
}


def tables(db: Any) -> dict[str, list[tuple[Any, ...]]]:
    with db.read.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in TABLES.items()}


def searches(db: Any) -> dict[str, set[str]]:
    return {w: fts_ids(db, w) for w in WORDS}


def assert_searchable(db: Any) -> None:
    """Every item is found by name and SKU as a scan of the table finds it, and the index agrees
    with the table."""
    fts_consistent(db)
    for word in ("kettle", "lamp", "red", "12", "bulk"):
        assert fts_ids(db, word) == like_ids(db, word), word
    assert any("items_fts" in sql for _, sql in item_triggers(db))


class Counting:
    """The real client, counting how the pull asked: pages or a stream; ``cut_after``: the
    stream fails (HQ going away) after that many pages."""

    def __init__(self, client: HqClient, cut_after: int | None = None, no_stream: bool = False) -> None:
        self.client, self.cut_after, self.no_stream = client, cut_after, no_stream
        self.pages = self.streams = self.paged_rows = 0

    def changes(self, after: int, limit: int) -> dict[str, Any]:
        self.pages += 1
        page = self.client.changes(after, limit)
        self.paged_rows += len(page["changes"])
        return page

    def changes_stream(self, after: int, limit: int) -> Iterator[dict[str, Any]]:
        self.streams += 1
        if self.no_stream:  # as an HQ of an earlier release answers: no such path
            self.client._call("GET", "/changes/streamed-by-a-later-release")
        for n, page in enumerate(self.client.changes_stream(after, limit)):
            if self.cut_after is not None and n >= self.cut_after:
                raise UpstreamUnavailable("HQ cannot be reached (test).", "")
            yield page

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def paged_reference(folder: Path, demo_template: Path, hq: RunningHq, hq_engine: Engine, terminal: str) -> Any:
    """A lane loaded the old way, page by page (no stream), from HQ as it is now; its syncer
    is ``db.syncer`` (a lane that sees a row deleted keeps it inactive, a lane that never had
    it has none: a reference follows the same history as the lane it is compared with)."""
    db, syncer = fresh_lane(folder, demo_template, hq, hq_engine, terminal)
    syncer.streams = False
    syncer.pull_all(limit=450)
    db.syncer = syncer
    return db


def close(*dbs: Any) -> None:
    for db in dbs:
        if hasattr(db, "syncer"):
            db.syncer.client.close()
        db.dispose()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync, "FTS_CHUNK", 700)


def test_a_streamed_first_load_ends_as_the_paged_one(
    hq: RunningHq, hq_engine: Engine, demo_template: Path, tmp_path: Path, small_chunks: None
) -> None:
    seed(hq_engine, 3_000)
    change_at_hq(hq_engine)  # kinds interleave in version order
    db, syncer = fresh_lane(tmp_path / "streamed", demo_template, hq, hq_engine, "T05")
    client = Counting(syncer.client)
    syncer.client = client  # type: ignore[assignment]
    seen: list[int] = []
    total = syncer.pull_all(seen.append, limit=400)
    assert client.streams == 1 and client.pages == 1 and client.paged_rows == 0  # then nothing newer
    assert seen[-1] == total and total >= 3_000 + 724
    settings = read_settings(db.read)
    assert sync.FIRST_LOAD_KEY not in settings and first_load.CATCH_UP_KEY not in settings
    reference = paged_reference(tmp_path / "paged", demo_template, hq, hq_engine, "T06")
    assert tables(db) == tables(reference)
    assert searches(db) == searches(reference)
    assert item_triggers(db) == item_triggers(reference)
    assert searches(db)["teapot"] == {"bulk-7"}
    assert len({i for i in searches(db)["kettle"] if i.startswith("bulk-")}) == 1_500 - 2  # renamed, deleted
    assert_searchable(db)
    client.client.close()
    close(db, reference)


def test_a_stream_cut_midway_leaves_the_lane_searchable_and_resumes(
    hq: RunningHq,
    hq_engine: Engine,
    demo_template: Path,
    tmp_path: Path,
    small_chunks: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sync, "STREAM_PAGE", 400)  # the sync worker's cycle pulls with the default
    seed(hq_engine, 3_000)
    db, syncer = fresh_lane(tmp_path / "cut", demo_template, hq, hq_engine, "T05")
    real = syncer.client
    syncer.client = Counting(real, cut_after=3)  # type: ignore[assignment]
    status = syncer.cycle()
    assert not status.online and status.catalog_incomplete  # said plainly, nothing crashed
    assert "catalog incomplete" in status.describe()
    settings = read_settings(db.read)
    assert sync.FIRST_LOAD_KEY not in settings and settings[first_load.CATCH_UP_KEY]
    loaded = tables(db)["items"]
    assert 1_000 < len(loaded) < 3 * 400 < 3_000 + 724  # the three pages applied stand, no more
    assert_searchable(db)  # nothing loaded is left out of name search while HQ is away
    reference = paged_reference(tmp_path / "paged", demo_template, hq, hq_engine, "T06")

    change_at_hq(hq_engine)  # meanwhile HQ renames an item the lane holds, deletes two, adds more
    seed(hq_engine, 500, start=5_000)
    resumed = Counting(real)
    syncer.client = resumed  # type: ignore[assignment]
    syncer.pull_all(limit=400)
    assert resumed.streams == 1  # the rest came streamed, from the cursor
    assert first_load.CATCH_UP_KEY not in read_settings(db.read)
    assert not syncer.cycle().catalog_incomplete
    reference.syncer.pull_all(limit=450)
    assert tables(db) == tables(reference)
    assert searches(db) == searches(reference)
    assert searches(db)["teapot"] == {"bulk-7"}
    assert_searchable(db)
    real.close()
    close(db, reference)


def test_a_pull_after_a_streamed_load_pages_through_the_triggers(
    hq: RunningHq, hq_engine: Engine, demo_template: Path, tmp_path: Path, small_chunks: None
) -> None:
    seed(hq_engine, 2_000)
    db, syncer = fresh_lane(tmp_path / "later", demo_template, hq, hq_engine, "T05")
    syncer.pull_all(limit=500)
    reference = paged_reference(tmp_path / "paged", demo_template, hq, hq_engine, "T06")
    change_at_hq(hq_engine)
    seed(hq_engine, 800, start=9_000)
    client = Counting(syncer.client)
    syncer.client = client  # type: ignore[assignment]
    assert syncer.pull_all(limit=500) >= 800 + 4
    assert client.streams == 0 and client.pages >= 2
    reference.syncer.pull_all(limit=450)
    assert tables(db) == tables(reference)
    assert searches(db) == searches(reference)
    assert searches(db)["teapot"] == {"bulk-7"} and "bulk-7" not in fts_ids(db, "lamp")
    assert_searchable(db)
    client.client.close()
    close(db, reference)


def test_an_hq_without_the_stream_is_paged(
    hq: RunningHq, hq_engine: Engine, demo_template: Path, tmp_path: Path, small_chunks: None
) -> None:
    seed(hq_engine, 1_500)
    db, syncer = fresh_lane(tmp_path / "old-hq", demo_template, hq, hq_engine, "T05")
    client = Counting(syncer.client, no_stream=True)
    syncer.client = client  # type: ignore[assignment]
    syncer.pull_all(limit=400)
    assert client.streams == 1 and client.pages >= 4 and not syncer.streams
    reference = paged_reference(tmp_path / "paged", demo_template, hq, hq_engine, "T06")
    assert tables(db) == tables(reference)
    assert searches(db) == searches(reference)
    assert_searchable(db)
    client.client.close()
    close(db, reference)


def test_hqs_stream_holds_what_its_pages_hold(hq: RunningHq, hq_engine: Engine) -> None:
    seed(hq_engine, 2_100)
    change_at_hq(hq_engine)
    paged: list[dict[str, Any]] = []
    after, more = 0, True
    with hq_engine.connect() as conn:
        while more:
            rows, after, more = catalog.changes(conn, "S01", after, 333, "T01")
            paged.extend(rows)
    lines = [orjson.loads(x) for x in catalog_stream.stream_changes(hq_engine, "S01", 0, 500, "T01")]
    streamed = [row for line in lines for row in line["changes"]]
    assert orjson.dumps(streamed) == orjson.dumps(paged)
    assert [line["more"] for line in lines] == [True] * (len(lines) - 1) + [False]
    assert all(line["cursor"] == line["changes"][-1]["version"] for line in lines if line["changes"])
    assert lines[-1]["cursor"] == after and len(lines) == -(-len(paged) // 500)
    later = [orjson.loads(x) for x in catalog_stream.stream_changes(hq_engine, "S01", lines[1]["cursor"], 500, "T01")]
    assert [row for line in later for row in line["changes"]] == paged[1_000:]


def _client_over(body: bytes, status: int = 200) -> HqClient:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/changes/stream"
        return httpx.Response(status, content=body, headers={"content-type": "application/x-ndjson"})

    return HqClient("http://hq.test", "token", transport=httpx.MockTransport(answer))


def test_the_client_refuses_a_stream_cut_or_garbled() -> None:
    page = {"changes": [], "cursor": 5, "more": True, "head": 9}
    whole = orjson.dumps(page) + b"\n" + orjson.dumps({**page, "more": False}) + b"\n"
    assert [p["more"] for p in _client_over(whole).changes_stream(0, 10)] == [True, False]
    with pytest.raises(UpstreamUnavailable):  # the last line cut in the middle
        list(_client_over(whole[:-7]).changes_stream(0, 10))
    with pytest.raises(UpstreamUnavailable):
        list(_client_over(b"{not json}\n").changes_stream(0, 10))
    with pytest.raises(HqRefused) as refused:
        list(_client_over(b'{"detail": "Not Found"}', 404).changes_stream(0, 10))
    assert refused.value.status == 404
    with pytest.raises(UpstreamUnavailable):
        list(_client_over(b"", 503).changes_stream(0, 10))
