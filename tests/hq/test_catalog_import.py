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


def test_a_vendor_column_sets_each_items_vendor_and_a_file_without_one_keeps_them(
    hq: RunningHq, hq_engine: Engine, tmp_path: Path
) -> None:
    def vendors() -> dict[str, str | None]:
        with hq_engine.connect() as conn:
            stmt = select(hs.items.c.sku, hs.items.c.vendor).where(hs.items.c.sku.in_(["V-1", "V-2", "APP-00004"]))
            return {str(k): v for k, v in conn.execute(stmt).all()}

    with hq_engine.connect() as conn:
        demo = conn.execute(select(hs.items.c.vendor).where(hs.items.c.sku == "APP-00004")).scalar_one()
    assert demo  # the demo's items have one
    path = tmp_path / "with.csv"
    path.write_text(
        "sku,barcode,name,category_id,price,tax_code,vendor\n"
        "V-1,,Garden gnome,garden,19.99,A,  Gnome   Works Ltd \n"
        "V-2,,Compost bin,garden,29.99,A,\n"
        f"V-3,,Trowel,garden,4.99,A,{'x' * 81}\n",
        encoding="utf-8",
    )
    report = catalog.import_catalog(hq_engine, path)
    assert report.upserted == 2 and report.errors == [(4, "a vendor's name is at most 80 characters")]
    assert vendors() == {"V-1": "Gnome Works Ltd", "V-2": None, "APP-00004": demo}
    without = tmp_path / "without.csv"
    without.write_text(
        "sku,barcode,name,category_id,price,tax_code\nV-1,,Garden gnome,garden,21.99,A\n", encoding="utf-8"
    )
    assert catalog.import_catalog(hq_engine, without).upserted == 1
    assert vendors()["V-1"] == "Gnome Works Ltd"  # a file without the column keeps the vendor
