"""The catalog and return policies in the back office (issue #18, point 7): HQ staff change
an item's price and a category's return policy; the lane takes both on its next pull (the
price at the till, the policy at the returns counter); a store manager reads and cannot
change; a bad price is refused in words and changes nothing; every change is an office
action with what it was and what it became. Real lanes, a real uvicorn, the real PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine, select

from db import schema as ls
from hq import schema as hs
from hq.serve import RunningHq
from tests.hq.conftest import Lane
from tests.hq.office_browser import make_login
from tests.hq.test_desk_at_hq import sync
from tests.hq.test_office_departments import csrf_of, office  # noqa: F401

pytestmark = pytest.mark.slow


def test_a_price_and_a_return_policy_changed_at_hq_reach_the_lane_and_are_recorded(
    make_lane: Callable[..., Lane],
    hq: RunningHq,
    hq_engine: Engine,
    office: Callable[[str], httpx.Client],  # noqa: F811
) -> None:
    lane = make_lane("T01")
    kettle = lane.store.item_in("home-kitchen")
    make_login(hq_engine, "hq", "u-admin", "hq_staff")
    staff = office("hq")
    found = staff.get("/office/catalog", params={"q": kettle.sku})
    assert kettle.name in found.text
    item_id = re.search(r'href="/office/catalog/items/([^"]+)"', found.text).group(1)  # type: ignore[union-attr]
    form = staff.get(f"/office/catalog/items/{item_id}")
    assert f'value="{kettle.price:.2f}"' in form.text
    bad = staff.post(
        f"/office/catalog/items/{item_id}",
        data={
            "csrf": csrf_of(form.text),
            "name": kettle.name,
            "price": "12.345",
            "category_id": "home-kitchen",
            "active": "yes",
        },
    )
    assert bad.status_code == 422 and "is not a price" in bad.text and "Nothing was changed" in bad.text
    new_price = kettle.price - Decimal("1.00")
    vendor = re.search(r'id="vendor" name="vendor" value="([^"]*)"', form.text).group(1)  # type: ignore[union-attr]
    assert vendor  # the demo's kettle has one (by its barcode's company prefix)
    ok = staff.post(
        f"/office/catalog/items/{item_id}",
        data={
            "csrf": csrf_of(form.text),
            "name": kettle.name,
            "price": f"{new_price:.2f}",
            "category_id": "home-kitchen",
            "vendor": vendor,
            "active": "yes",
        },
    )
    assert ok.status_code == 303 and "Saved" in staff.get(ok.headers["location"]).text

    policies = staff.get("/office/policies")
    posted = staff.post(
        "/office/policies/home-kitchen",
        data={"csrf": csrf_of(policies.text), "return_days": "14", "restocking_fee_percent": "10", "final_sale": "no",
              "receipt_required": "yes"},
    )  # fmt: skip
    assert posted.status_code == 303
    sync(lane)
    with lane.store.db.read.connect() as conn:
        price = conn.execute(select(ls.items.c.price_minor).where(ls.items.c.id == kettle.id)).scalar_one()
        policy = conn.execute(
            select(ls.return_policies.c.return_days, ls.return_policies.c.receipt_required,
                   ls.return_policies.c.restocking_fee_percent)
            .where(ls.return_policies.c.category_id == "home-kitchen")
        ).one()  # fmt: skip
    assert price == int(new_price * 100)
    assert (policy[0], bool(policy[1]), Decimal(policy[2])) == (14, True, Decimal(10))
    with hq_engine.connect() as conn:
        a = hs.office_actions
        done = conn.execute(select(a.c.login, a.c.action, a.c.target, a.c.detail).order_by(a.c.id)).all()
    changes = [(x[1], x[2], x[3]) for x in done if x[1] in ("item_changed", "policy_changed")]
    assert changes[0] == ("item_changed", kettle.sku, f"price_minor {kettle.price:.2f} → {new_price:.2f}")
    assert changes[1][0] == "policy_changed" and "return_days" in changes[1][2] and "→ 14" in changes[1][2]

    # a new vendor: recorded with what it was, and the analysis counts the kettle's sales under it
    long = staff.post(
        f"/office/catalog/items/{item_id}",
        data={"csrf": csrf_of(form.text), "name": kettle.name, "price": f"{new_price:.2f}",
              "category_id": "home-kitchen", "vendor": "V" * 81, "active": "yes"},
    )  # fmt: skip
    assert long.status_code == 422 and "at most 80 characters" in long.text
    moved = staff.post(
        f"/office/catalog/items/{item_id}",
        data={"csrf": csrf_of(form.text), "name": kettle.name, "price": f"{new_price:.2f}",
              "category_id": "home-kitchen", "vendor": "  Acme   Kitchen  Co. ", "active": "yes"},
    )  # fmt: skip
    assert moved.status_code == 303 and "vendor Acme Kitchen Co." in staff.get(moved.headers["location"]).text
    with hq_engine.connect() as conn:
        assert (
            conn.execute(select(hs.items.c.vendor).where(hs.items.c.id == item_id)).scalar_one() == "Acme Kitchen Co."
        )
        last = conn.execute(select(a.c.detail).order_by(a.c.id.desc()).limit(1)).scalar_one()
    assert last == f"vendor {vendor} → Acme Kitchen Co."


def test_a_store_manager_reads_the_catalog_and_cannot_change_it(
    make_lane: Callable[..., Lane],
    hq: RunningHq,
    hq_engine: Engine,
    office: Callable[[str], httpx.Client],  # noqa: F811
) -> None:
    lane = make_lane("T01")
    kettle = lane.store.item_in("home-kitchen")
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    manager = office("alex")
    found = manager.get("/office/catalog", params={"q": kettle.sku})
    item_id = re.search(r'href="/office/catalog/items/([^"]+)"', found.text).group(1)  # type: ignore[union-attr]
    page = manager.get(f"/office/catalog/items/{item_id}")
    assert (
        "HQ staff change the catalog." in page.text and '<form method="post" action="/office/catalog' not in page.text
    )
    refused = manager.post(
        f"/office/catalog/items/{item_id}",
        data={
            "csrf": csrf_of(page.text),
            "name": "<script>x</script>",
            "price": "0.01",
            "category_id": "home-kitchen",
            "active": "yes",
        },
    )
    assert refused.status_code == 403
    with hq_engine.connect() as conn:
        name, price = conn.execute(
            select(hs.items.c.name, hs.items.c.price_minor).where(hs.items.c.id == kettle.id)
        ).one()
    assert (name, price) == (kettle.name, int(kettle.price * 100))
