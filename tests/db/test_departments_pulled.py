"""HQ's departments at the lane (db/desk_hq.py): a pulled page replaces the settings'
list, a tombstone closes a department without deleting it, and a malformed row from HQ
leaves the page unapplied (the sync says so) rather than half-written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from counter.desk.service import DEFAULT_DEPARTMENTS, DeskError
from db.desk_queries import desk_config
from db.sync_apply import apply_changes
from tests.db.support import TestStore


def row(code: str, name: Any, days: Any = 5, *, active: bool = True, deleted: bool = False) -> dict[str, Any]:
    data = {"code": code, "name": name, "active": active, "referral_days": days, "escalate_to": "manager"}
    return {"kind": "department", "version": 1, "deleted": deleted, "data": data}


def test_pulled_departments_replace_the_settings_list_and_a_tombstone_closes_one(store_dir: Path) -> None:
    shop = TestStore(store_dir)
    try:
        assert desk_config(shop.db.read).departments == DEFAULT_DEPARTMENTS  # never synced
        with shop.db.write.begin() as conn:
            apply_changes(conn, [row("warranty", "Warranty and repair"), row("returns", "Returns desk", 3)], "T01")
        assert [(d.code, d.active, d.referral_days) for d in desk_config(shop.db.read).departments] == [
            ("returns", True, 3),
            ("warranty", True, 5),
        ]
        with shop.db.write.begin() as conn:
            apply_changes(conn, [row("returns", "Returns desk", 3, deleted=True)], "T01")
        config = desk_config(shop.db.read)
        assert [(d.code, d.active) for d in config.departments] == [("returns", False), ("warranty", True)]
        with pytest.raises(DeskError, match="Returns desk takes no new referrals"):
            config.referable("returns")
        assert config.referable("Warranty and repair").code == "warranty"
    finally:
        shop.close()


@pytest.mark.parametrize("bad", [row("billing", None), row("billing", "Billing", "ten"), {"kind": "department"}])
def test_a_malformed_department_from_hq_leaves_the_page_unapplied(store_dir: Path, bad: dict[str, Any]) -> None:
    shop = TestStore(store_dir)
    try:
        with pytest.raises((ValueError, KeyError)), shop.db.write.begin() as conn:
            apply_changes(
                conn, [row("warranty", "Warranty and repair"), {"version": 2, "deleted": False, **bad}], "T01"
            )
        assert desk_config(shop.db.read).departments == DEFAULT_DEPARTMENTS
    finally:
        shop.close()
