"""How a pulled page's items are written (``db.sync_apply._upsert_items``): new ones inserted,
known ones updated in place (same rowid, search index in step), an item twice in a page
written as its last, and a page naming a category the store does not have refused whole."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from db import sync_apply
from db.engine import open_database
from db.sync_apply import _upsert_items


def item(i: int, name: str, category: str = "apparel", price: int = 100) -> tuple[Any, ...]:
    return (f"w-{i}", f"W-{i}", None, name, category, price, "A", True)


def rows(db: Any, sql: str) -> list[tuple[Any, ...]]:
    with db.read.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


@pytest.fixture(params=["json", "executemany"])
def sqlite_json(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of writing a page: JSON (SQLite 3.38 and later) and the executemany of before."""
    monkeypatch.setattr(sync_apply, "_JSON_ROWS", request.param == "json")


def test_a_page_inserts_new_items_and_updates_known_ones_in_place(store_dir: Path, sqlite_json: None) -> None:
    db = open_database(store_dir)
    with db.write.begin() as conn:
        _upsert_items(conn, [item(1, "Zyxhose garden"), item(2, "Zyxcan watering")])
    before = dict(rows(db, "SELECT id, rowid FROM items WHERE id LIKE 'w-%'"))
    page = [item(2, "Zyxcopper watering", price=250), item(3, "Zyxtrowel"), item(3, "Zyxsteel trowel", price=90)]
    with db.write.begin() as conn:
        _upsert_items(conn, page)
    assert rows(db, "SELECT id, name, price_minor FROM items WHERE id LIKE 'w-%' ORDER BY id") == [
        ("w-1", "Zyxhose garden", 100),
        ("w-2", "Zyxcopper watering", 250),
        ("w-3", "Zyxsteel trowel", 90),  # twice in the page: the last
    ]
    after = dict(rows(db, "SELECT id, rowid FROM items WHERE id LIKE 'w-%'"))
    assert after["w-1"] == before["w-1"] and after["w-2"] == before["w-2"]  # updated, not replaced
    found = rows(
        db, "SELECT rowid FROM items_fts WHERE items_fts MATCH 'zyxcopper OR zyxsteel OR zyxhose' ORDER BY rowid"
    )
    assert {r[0] for r in found} == {after["w-1"], after["w-2"], after["w-3"]}
    assert (
        rows(db, "SELECT rowid FROM items_fts WHERE items_fts MATCH 'zyxcan'") == []
    )  # its old name is gone from the index
    assert rows(db, "SELECT count(*) FROM items_fts WHERE items_fts MATCH 'zyxtrowel OR zyxsteel'") == [(1,)]
    with db.read.connect() as conn:  # the types SQLite holds are the ones a bound row gives
        assert conn.exec_driver_sql(
            "SELECT typeof(price_minor), typeof(active), active, typeof(barcode) FROM items WHERE id = 'w-3'"
        ).one() == ("integer", "integer", 1, "null")
    db.dispose()


def test_a_page_naming_an_unknown_category_is_refused_whole(store_dir: Path, sqlite_json: None) -> None:
    db = open_database(store_dir)
    count = rows(db, "SELECT count(*) FROM items")
    with pytest.raises(sqlite3.IntegrityError), db.write.begin() as conn:
        _upsert_items(conn, [item(7, "Rake"), item(8, "Hoe", category="no-such-category")])
    with pytest.raises(sqlite3.IntegrityError), db.write.begin() as conn:  # an update too
        _upsert_items(conn, [(*item(1, "Mower")[:4], "no-such-category", 100, "A", True)])
    assert rows(db, "SELECT count(*) FROM items") == count
    db.dispose()
