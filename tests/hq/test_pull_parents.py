"""A new lane's first pull when HQ changed a parent after its children (against the real
PostgreSQL and a real uvicorn).

The pull sends rows in version order, and a category or tax class edited at HQ after its
items has the higher version: before HQ sent parents ahead (``hq.catalog.parents_ahead``),
the lane's first page failed with "FOREIGN KEY constraint failed" and a new lane of a chain
that had ever renamed a category could never load, streamed or paged. A customer edited
after their receipt was linked to them lost the link at every new lane.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, text

from db.queries import read_settings
from hq import catalog, catalog_stream
from hq.serve import RunningHq
from tests.hq.test_perf_paths import fresh_lane

ITEMS = 1_200


def item(i: int, category: str) -> dict[str, Any]:
    return {
        "id": f"bulk-{i}",
        "sku": f"BULK-{i}",
        "barcode": None,
        "name": f"Bulk kettle {i}",
        "category_id": category,
        "price_minor": 100 + i,
        "tax_code": "G",
        "active": True,
    }


def chain_that_renamed_its_parents(engine: Engine) -> None:
    """A tax class and two categories, items in them, then the tax class and both categories
    edited (one of them deleted at HQ: its items are still there and name it)."""
    tax = {"code": "G", "label": "Garden", "rate": "0.07"}
    cats = [
        {"id": "garden", "name": "Garden", "tax_code": "G", "return_days": 30},
        {"id": "tools", "name": "Tools", "tax_code": "G", "return_days": 30},
    ]
    cats = [{**c, "final_sale": False, "receipt_required": False, "restocking_fee_percent": 0} for c in cats]
    catalog.seed(engine, tax_classes=[tax], categories=cats, items=[], users=[])
    items = [item(i, "garden" if i % 2 else "tools") for i in range(ITEMS)]
    catalog.seed(engine, tax_classes=[], categories=[], items=items, users=[])
    catalog.seed(
        engine,
        tax_classes=[{**tax, "label": "Garden and outdoor"}],
        categories=[{**cats[0], "name": "Garden and patio", "return_days": 60}, {**cats[1], "name": "Hand tools"}],
        items=[],
        users=[],
    )
    catalog.tombstone(engine, "category", ["tools"])


def customer_edited_after_its_link(engine: Engine) -> None:
    """A customer of store S01 with a receipt linked to them, then the customer's details edited."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customers (id, store_id, origin_terminal, name, phone, email, loyalty_card,"
                " email_consent, language, address, created_at, created_by, updated_at, version, deleted)"
                " VALUES ('cust-late', 'S01', 'T09', 'Robin Late', '5550100', NULL, NULL, false, '', NULL,"
                " '2026-12-01T10:00:00.000000Z', 'u-cashier-1', '2026-12-01T10:00:00.000000Z',"
                " nextval('change_seq'), false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO customer_links (id, customer_id, store_id, kind, ref_id, ref_number, at,"
                " amount_minor, summary, version, deleted) VALUES ('sale:s-late', 'cust-late', 'S01', 'sale',"
                " 's-late', 'S01-T09-000042', '2026-12-01T10:05:00.000000Z', 1999, 'Hose',"
                " nextval('change_seq'), false)"
            )
        )
        conn.execute(
            text(
                "UPDATE customers SET name = 'Robin Later', updated_at = '2026-12-02T09:00:00.000000Z',"
                " version = nextval('change_seq') WHERE id = 'cust-late'"
            )
        )


def lane_rows(db: Any) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "items": "SELECT id, category_id, tax_code FROM items WHERE id LIKE 'bulk-%' ORDER BY id",
        "categories": "SELECT id, name, tax_code FROM categories WHERE id IN ('garden', 'tools') ORDER BY id",
        "policies": "SELECT category_id, return_days FROM return_policies WHERE category_id = 'garden'",
        "tax": "SELECT code, label FROM tax_classes WHERE code = 'G'",
        "customer": "SELECT id, name FROM customers WHERE id = 'cust-late'",
        "links": "SELECT customer_id, ref_number FROM customer_links WHERE customer_id = 'cust-late'",
    }
    with db.read.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in queries.items()}


def test_a_new_lane_loads_a_chain_that_edited_parents_after_children(
    hq: RunningHq, hq_engine: Engine, demo_template: Path, tmp_path: Path
) -> None:
    chain_that_renamed_its_parents(hq_engine)
    customer_edited_after_its_link(hq_engine)
    streamed, streamer = fresh_lane(tmp_path / "streamed", demo_template, hq, hq_engine, "T05")
    status = streamer.cycle()  # as the sync worker does: the stream, in pages of 400
    assert status.online and not status.catalog_incomplete, status.describe()
    paged, pager = fresh_lane(tmp_path / "paged", demo_template, hq, hq_engine, "T06")
    pager.streams = False
    assert pager.pull_all(limit=250) >= ITEMS
    expected = {
        "items": sorted((f"bulk-{i}", "garden" if i % 2 else "tools", "G") for i in range(ITEMS)),
        "categories": [("garden", "Garden and patio", "G"), ("tools", "Hand tools", "G")],
        "policies": [("garden", 60)],
        "tax": [("G", "Garden and outdoor")],
        "customer": [("cust-late", "Robin Later")],
        "links": [("cust-late", "S01-T09-000042")],
    }
    assert lane_rows(streamed) == expected
    assert lane_rows(paged) == expected
    for db, syncer in ((streamed, streamer), (paged, pager)):
        assert read_settings(db.read)["sync_cursor"] > 0
        syncer.client.close()
        db.dispose()


def test_hq_sends_a_parent_ahead_only_when_the_lane_would_get_it_later(hq: RunningHq, hq_engine: Engine) -> None:
    chain_that_renamed_its_parents(hq_engine)
    with hq_engine.connect() as conn:
        start = conn.execute(text("SELECT min(version) - 1 FROM items WHERE id LIKE 'bulk-%'")).scalar_one()
        first, cursor, more = catalog.changes(conn, "S01", start, 50, "T01")
        last_version = conn.execute(text("SELECT max(version) FROM categories")).scalar_one()
    assert more
    ahead = [r for r in first if r["version"] > cursor]
    # the page's items name both categories and the tax class; all three changed after them
    assert [(r["kind"], r["data"][catalog.KEYS[r["kind"]]]) for r in ahead] == [
        ("tax_class", "G"),
        ("category", "garden"),
        ("category", "tools"),
    ]
    assert [r["deleted"] for r in ahead] == [False, False, True]  # "tools" as its tombstone
    assert max(r["version"] for r in ahead) == last_version
    assert ahead == first[:3]  # at the head of the page, parents first
    assert [r["data"]["name"] for r in ahead[1:]] == ["Garden and patio", "Hand tools"]
    lines = [orjson.loads(x) for x in catalog_stream.stream_changes(hq_engine, "S01", start, 50, "T01")]
    assert lines[0]["changes"][:3] == ahead
    # a page after the parents' own versions sends none ahead, and the last line none either
    with hq_engine.connect() as conn:
        later, _, _ = catalog.changes(conn, "S01", last_version, 50, "T01")
    assert all(r["version"] > last_version for r in later)
    assert all(r["version"] <= lines[-1]["cursor"] for r in lines[-1]["changes"])
