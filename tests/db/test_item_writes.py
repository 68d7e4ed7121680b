"""How a pulled page's items are written (``db.sync_apply._upsert_items``): new ones inserted,
known ones updated in place (same rowid, search index in step), an item twice in a page
written as its last, and a page naming a category the store does not have refused whole."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from counter.trust.carddata import CardDataRefused
from db import sync_apply
from db.engine import DB_FILENAME, open_database
from db.keys import load_secret
from db.sync_apply import _upsert_items, prepare


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


def test_a_page_whose_items_hold_card_data_is_refused_before_its_transaction(
    store_dir: Path, sqlite_json: None
) -> None:
    """The write engine's guard, applied to a pulled page where the page is read: an item
    named with a card number (or one in its SKU) stops the page, and nothing is written."""
    db = open_database(store_dir)
    count = rows(db, "SELECT count(*) FROM items")
    for bad in (
        item(9, "Gift 4111 1111 1111 1111"),
        (*item(9, "Gift card")[:1], "4111111111111111", *item(9, "x")[2:]),
    ):
        with pytest.raises(CardDataRefused):
            prepare([change(item(8, "Rake")), change(bad)])
        with pytest.raises(CardDataRefused), db.write.begin() as conn:  # rows written without a page
            _upsert_items(conn, [item(8, "Rake"), bad])
    assert prepare([change(item(8, "Gift card 4111"))]).items.rows == [item(8, "Gift card 4111")]
    assert rows(db, "SELECT count(*) FROM items") == count
    db.dispose()


def test_a_page_of_new_items_and_one_of_known_items_write_the_same(store_dir: Path, sqlite_json: None) -> None:
    """The first insert of a page fails at its first known item and leaves nothing behind."""
    db = open_database(store_dir)
    with db.write.begin() as conn:
        _upsert_items(conn, [item(n, f"Zyxrake {n}") for n in range(1, 6)])
    with db.write.begin() as conn:  # known items at the end: the rows before them are not left twice
        _upsert_items(conn, [item(n, f"Zyxhoe {n}") for n in range(6, 9)] + [item(2, "Zyxspade 2")])
    assert rows(db, "SELECT id, name FROM items WHERE id LIKE 'w-%' ORDER BY rowid") == [
        ("w-1", "Zyxrake 1"),
        ("w-2", "Zyxspade 2"),
        ("w-3", "Zyxrake 3"),
        ("w-4", "Zyxrake 4"),
        ("w-5", "Zyxrake 5"),
        ("w-6", "Zyxhoe 6"),
        ("w-7", "Zyxhoe 7"),
        ("w-8", "Zyxhoe 8"),
    ]
    assert rows(db, "SELECT count(*) FROM items_fts WHERE items_fts MATCH 'zyxhoe'") == [(3,)]
    assert rows(db, "SELECT count(*) FROM items_fts WHERE items_fts MATCH 'zyxspade'") == [(1,)]
    db.dispose()


def change(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = ("id", "sku", "barcode", "name", "category_id", "price_minor", "tax_code", "active")
    return {"kind": "item", "deleted": False, "version": 1, "data": dict(zip(keys, row, strict=True))}


def test_items_are_indexed_by_id_sku_and_barcode_only_and_a_store_of_before_loses_the_category_index(
    store_dir: Path,
) -> None:
    """Migration 0019: an item write pays for the indexes a look-up uses and no other
    (nothing on a lane reads items by category); a store made before 0019 drops it on upgrade,
    and a downgrade gives it back."""
    from tests.db.upgrade_support import migrate

    path = store_dir / DB_FILENAME

    def item_indexes() -> set[tuple[str, str]]:
        with sqlite3.connect(path) as conn:
            found = {
                (str(r[0]), ",".join(c[2] for c in conn.execute(f"PRAGMA index_info('{r[0]}')")))
                for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items'")
            }
        conn.close()
        return found

    open_database(store_dir).dispose()
    assert {cols for _name, cols in item_indexes()} == {"id", "sku", "barcode"}
    migrate(path, "0018", load_secret(), up=False)
    assert ("ix_items_category", "category_id") in item_indexes()
    open_database(store_dir).dispose()  # the app upgrades it
    assert {cols for _name, cols in item_indexes()} == {"id", "sku", "barcode"}
