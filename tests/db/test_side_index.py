"""The search index of a first catalog load built beside it (db/side_index.py), on real
store files: the copied index is the one the writer would have built (FTS5's own
integrity check against the items, and every search answered as a scan of the names
answers it), later changes go through the restored triggers into it, and every case where
the copy would not be exact falls back to indexing on the writer and ends exact too:
a name changed or an item deleted during the load, a helper that failed, a copy cut
midway (a power cut), items written after the helper's last read."""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from db import first_load, side_index
from db.engine import open_database
from db.side_index import CHANGED_KEY, MARK_TRIGGERS, SideIndex, scratch_path

WORDS = ("kettle", "lamp", "red", "12", "ke", "bu", "teapot", "zz")
COLOURS = ("red", "blue", "green", "large", "small")


@pytest.fixture
def lane(tmp_path: Path) -> Any:
    db = open_database(tmp_path / "lane")
    with db.write.begin() as conn:
        conn.execute(text("INSERT INTO tax_classes(code, label, rate) VALUES ('A', 'Standard', '0.08')"))
        conn.execute(text("INSERT INTO categories(id, name, tax_code) VALUES ('hardware', 'Hardware', 'A')"))
    yield db
    db.dispose()


@pytest.fixture(autouse=True)
def small_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many short copy transactions and reads, as a million items make."""
    monkeypatch.setattr(side_index, "COPY_DATA_ROWS", 3)
    monkeypatch.setattr(side_index, "COPY_SIZE_ROWS", 400)
    monkeypatch.setattr(side_index, "READ_CHUNK", 500)


def add(db: Any, start: int, n: int) -> None:
    with db.write.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO items(id, sku, barcode, name, category_id, price_minor, tax_code, active) "
                "VALUES (:id, :sku, NULL, :name, 'hardware', 100, 'A', 1)"
            ),
            [
                {
                    "id": f"b-{i}",
                    "sku": f"BULK-{i}",
                    "name": f"Bulk {'kettle' if i % 2 else 'lamp'} {i} {COLOURS[i % 5]}",
                }
                for i in range(start, start + n)
            ],
        )


def load(db: Any, batches: int = 6, size: int = 500, during: Any = None) -> SideIndex | None:
    """A first load as the syncer makes it: triggers aside, the helper started, pages written."""
    first_load.begin(db.write)
    side = SideIndex.start(db.write)
    for n in range(batches):
        add(db, n * size, size)
        if during is not None:
            during(n, side)
    return side


def finish(db: Any, side: SideIndex | None) -> None:
    """The end of the load as the syncer makes it: the index copied or made, the helper closed."""
    try:
        first_load.finish(db.write, db.read, 700, None, side)
    finally:
        if side is not None:
            side.close()


def found(db: Any, word: str) -> set[str]:
    with db.read.connect() as conn:
        return set(
            conn.execute(
                text("SELECT i.id FROM items_fts f JOIN items i ON i.rowid = f.rowid WHERE items_fts MATCH :m"),
                {"m": f'"{word}"*'},
            ).scalars()
        )


def scanned(db: Any, word: str) -> set[str]:
    with db.read.connect() as conn:
        rows = conn.execute(text("SELECT id, name, sku FROM items")).all()
    return {r[0] for r in rows if any(t.startswith(word) for t in re.split(r"[^0-9a-z]+", f"{r[1]} {r[2]}".lower()))}


def exact(db: Any) -> None:
    with db.write.begin() as conn:  # FTS5 raises if the index and the items disagree
        conn.exec_driver_sql("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")
    for word in WORDS:
        assert found(db, word) == scanned(db, word), word
    with db.read.connect() as conn:
        triggers = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
        marked = conn.execute(text("SELECT count(*) FROM settings WHERE key = :k"), {"k": CHANGED_KEY}).scalar()
        loading = conn.execute(text("SELECT count(*) FROM settings WHERE key = :k"), {"k": first_load.FIRST_LOAD_KEY})
        assert loading.scalar() == 0
    assert {"items_fts_ai", "items_fts_ad", "items_fts_au"} <= triggers
    assert not set(MARK_TRIGGERS) & triggers and marked == 0


def copied(caplog: pytest.LogCaptureFixture) -> bool:
    return any("built beside it" in r.getMessage() for r in caplog.records)


def test_the_index_built_beside_the_load_is_the_writers_and_stays_in_step(
    lane: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "db.sync")
    with lane.write.begin() as conn:  # the write connection has read the (empty) index: FTS5 keeps its structure
        assert conn.exec_driver_sql("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'bulk'").scalar() == 0
    side = load(lane)
    assert side is not None
    finish(lane, side)
    assert copied(caplog)
    assert not scratch_path(Path(str(lane.write.url.database))).exists()
    exact(lane)
    assert len(found(lane, "kettle")) == 1_500
    # after the copy, the triggers keep it in step (on every connection, the copying one closed)
    with lane.write.begin() as conn:
        conn.execute(text("UPDATE items SET name = 'Copper teapot' WHERE id = 'b-7'"))
    add(lane, 10_000, 3)
    assert found(lane, "teapot") == {"b-7"} and "b-7" not in found(lane, "kettle")
    assert {"b-10000", "b-10001", "b-10002"} <= found(lane, "bulk")
    exact(lane)


@pytest.mark.parametrize("change", ["rename", "delete"])
def test_a_name_changed_or_item_deleted_during_the_load_is_indexed_on_the_writer(
    lane: Any, caplog: pytest.LogCaptureFixture, change: str
) -> None:
    caplog.set_level(logging.INFO, "db.sync")

    def meanwhile(n: int, side: SideIndex) -> None:
        if n == 3:  # items the helper has read already
            deadline = time.monotonic() + 10
            while side.upto < 2_000 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert side.upto >= 2_000
            with lane.write.begin() as conn:
                if change == "rename":
                    conn.execute(text("UPDATE items SET name = 'Copper teapot' WHERE id = 'b-11'"))
                else:
                    conn.execute(text("DELETE FROM items WHERE id = 'b-12'"))

    side = load(lane, during=meanwhile)
    finish(lane, side)
    assert not copied(caplog)
    exact(lane)
    if change == "rename":
        assert found(lane, "teapot") == {"b-11"}
    else:
        assert "b-12" not in found(lane, "lamp") and found(lane, "lamp")


def test_a_helper_that_fails_leaves_the_index_to_the_writer(
    lane: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, "db.sync")

    def broken(self: SideIndex, _lane: Any, _scratch: Any) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(SideIndex, "_read_some", broken)
    side = load(lane)
    assert side is not None
    finish(lane, side)
    assert not copied(caplog) and isinstance(side.error, OSError)
    exact(lane)


def test_items_written_after_the_helpers_last_read_are_indexed_on_the_writer(
    lane: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "db.sync")
    side = load(lane)
    assert side is not None
    upto = side.complete()
    add(lane, 50_000, 40)  # after the helper stopped reading
    finish(lane, side)
    assert copied(caplog) and upto == 3_000
    exact(lane)
    assert {"b-50000", "b-50039"} <= found(lane, "bulk")


def test_a_copy_cut_midway_is_redone_on_the_writer_from_an_empty_index(
    lane: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    side = load(lane)
    assert side is not None
    pauses = 0

    def power_cut(held: float, write: Any = None) -> None:
        nonlocal pauses
        pauses += 1
        if pauses == 4:
            raise RuntimeError("power cut")

    monkeypatch.setattr(first_load, "let_others_write", power_cut)
    with pytest.raises(RuntimeError):
        first_load.finish(lane.write, lane.read, 700, None, side)
    side.close()
    with lane.read.connect() as conn:  # segments copied but not made visible; still loading
        orphans = conn.execute(text("SELECT count(*) FROM items_fts_data WHERE id NOT IN (1, 10)")).scalar()
        state = first_load.state(lane.read)
        assert conn.execute(text("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'kettle'")).scalar() == 0
    assert orphans and state is not None and state["phase"] == "loading"
    monkeypatch.undo()
    # the next start resumes the load; a helper of the new process finds the index not empty
    again = SideIndex.start(lane.write)
    finish(lane, again)
    exact(lane)
    # nothing of the cut copy is left behind: the index holds what a load indexed on the writer holds
    reference = open_database(tmp_path / "reference")
    with reference.write.begin() as conn:
        conn.execute(text("INSERT INTO tax_classes(code, label, rate) VALUES ('A', 'Standard', '0.08')"))
        conn.execute(text("INSERT INTO categories(id, name, tax_code) VALUES ('hardware', 'Hardware', 'A')"))
    load(reference).close()  # type: ignore[union-attr]
    first_load.finish(reference.write, reference.read, 700)
    sizes = "SELECT (SELECT count(*) FROM items_fts_data), (SELECT count(*) FROM items_fts_docsize)"
    with lane.read.connect() as a, reference.read.connect() as b:
        assert tuple(a.execute(text(sizes)).one()) == tuple(b.execute(text(sizes)).one())
    reference.dispose()


def test_a_sale_writes_between_the_copys_transactions(lane: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy's transactions are short and leave the lock to a waiting writer."""
    side = load(lane)
    assert side is not None
    wrote = threading.Event()
    sold: list[int] = []
    real = first_load.let_others_write

    def sell_between(held: float, write: Any = None) -> None:
        if not wrote.is_set():
            wrote.set()

            def sale() -> None:
                with lane.write.begin() as conn:
                    conn.execute(text("INSERT OR REPLACE INTO settings(key, value) VALUES ('bench_tick', '1')"))
                sold.append(1)

            seller = threading.Thread(target=sale)
            seller.start()
            seller.join(timeout=10)
        real(held, write)

    monkeypatch.setattr(first_load, "let_others_write", sell_between)
    finish(lane, side)
    assert sold == [1]
    exact(lane)


def test_the_scratch_index_is_private_and_one_that_cannot_be_made_leaves_the_writer_to_index(
    lane: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "db.sync")
    store = Path(str(lane.write.url.database))
    first_load.begin(lane.write)
    side = SideIndex.start(lane.write)
    assert side is not None
    assert scratch_path(store).stat().st_mode & 0o777 == 0o600  # item names stay the owner's, as the store
    side.close()
    scratch_path(store).mkdir()  # in the way: cannot be removed as a file
    assert SideIndex.start(lane.write) is None
    assert any("not built beside the load" in r.getMessage() for r in caplog.records)
    add(lane, 0, 1_200)
    first_load.finish(lane.write, lane.read, 700, None, None)
    exact(lane)
