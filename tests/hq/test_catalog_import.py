"""Catalog import at HQ: a validation report names each refused row; valid rows land
with new versions that terminals pull."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from cli.main import main
from hq import catalog, schema as hs
from hq.serve import RunningHq

pytestmark = pytest.mark.slow

CSV = """sku,barcode,name,category_id,price,tax_code
NEW-1,,Garden gnome,garden,19.99,A
NEW-2,,Compost bin,garden,,A
NEW-3,,Trowel,garden,4.999,A
NEW-4,,Rake,no-such-category,12.00,A
NEW-5,094332039051,Hose,garden,25.00,A
NEW-1,,Gnome again,garden,19.99,A
NEW-6,094332039050,Sprinkler,garden,9.00,A
NEW-7,,Seeds,garden,2.50,Z
APP-00004,,"Men's Crew Neck T-Shirt, Navy, M (new price)",apparel,8.99,A
"""


def test_import_reports_each_bad_row_and_loads_the_rest(hq: RunningHq, hq_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(CSV, encoding="utf-8")
    report = catalog.import_catalog(hq_engine, path)
    assert report.rows == 9 and report.upserted == 2
    assert [n for n, _ in report.errors] == [3, 4, 5, 6, 7, 8, 9]
    text = report.describe()
    for needle in (
        "missing price",
        "not an amount",
        "unknown category",
        "check digit",
        "appears twice",
        "already belongs to SKU APP-00004",
        "unknown tax code",
    ):
        assert needle in text, needle
    with hq_engine.connect() as conn:
        rows = dict(
            conn.execute(
                select(hs.items.c.sku, hs.items.c.price_minor).where(hs.items.c.sku.in_(["NEW-1", "APP-00004"]))
            ).all()
        )
        kept_id = conn.execute(select(hs.items.c.id).where(hs.items.c.sku == "APP-00004")).scalar_one()
    assert rows == {"NEW-1": 1999, "APP-00004": 899}
    assert kept_id == "item-000001"  # an update keeps the item's id


def test_the_command_prints_the_report_and_fails_on_errors(
    hq: RunningHq, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(CSV, encoding="utf-8")
    code = main(["--data-dir", str(tmp_path), "hq", "import-catalog", str(path), "--database-url", pg_url])
    out = capsys.readouterr().out
    assert code == 1 and "9 rows read: 2 items added or updated" in out and "line 4:" in out
    good = tmp_path / "good.csv"
    good.write_text("sku,barcode,name,category_id,price,tax_code\nNEW-9,,Pots,garden,3.00,A\n", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "hq", "import-catalog", str(good), "--database-url", pg_url]) == 0
