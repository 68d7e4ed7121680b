"""The demo store's catalog data (resources/demo) is complete, valid and reproducible."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path

import biip
import pytest

from resources.demo import make_catalog

DEMO_DIR = Path(make_catalog.__file__).resolve().parent
CATEGORY_COLUMNS = [
    "id",
    "name",
    "tax_code",
    "return_days",
    "final_sale",
    "receipt_required",
    "restocking_fee_percent",
]
CATALOG_COLUMNS = ["sku", "barcode", "name", "category_id", "price", "tax_code"]
#: The demo store's tax classes: standard 8.25 %, food 2.25 %, non-taxable.
TAX_CODES = {"A", "B", "N"}


def _read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (DEMO_DIR / name).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def categories() -> list[dict[str, str]]:
    columns, rows = _read("categories.csv")
    assert columns == CATEGORY_COLUMNS
    return rows


@pytest.fixture(scope="module")
def items() -> list[dict[str, str]]:
    columns, rows = _read("catalog.csv")
    assert columns == CATALOG_COLUMNS
    return rows


def test_categories(categories: list[dict[str, str]]) -> None:
    assert len(categories) >= 12
    ids = [c["id"] for c in categories]
    assert len(set(ids)) == len(ids)
    for c in categories:
        assert c["id"] and c["id"] == c["id"].lower() and " " not in c["id"]
        assert c["name"]
        assert c["tax_code"] in TAX_CODES
        assert int(c["return_days"]) >= 0
        assert c["final_sale"] in {"true", "false"}
        assert c["receipt_required"] in {"true", "false"}
        assert 0 <= int(c["restocking_fee_percent"]) <= 100
        if c["final_sale"] == "true":
            assert int(c["return_days"]) == 0


def test_item_counts(items: list[dict[str, str]], categories: list[dict[str, str]]) -> None:
    assert len(items) >= 600
    per_category = Counter(i["category_id"] for i in items)
    for c in categories:
        assert per_category[c["id"]] >= 25, c["id"]


def test_items_reference_existing_categories_and_tax_codes(
    items: list[dict[str, str]], categories: list[dict[str, str]]
) -> None:
    category_ids = {c["id"] for c in categories}
    for i in items:
        assert i["category_id"] in category_ids, i["sku"]
        assert i["tax_code"] in TAX_CODES, i["sku"]
        assert i["name"].strip() == i["name"] and i["name"], i["sku"]


def test_skus_unique(items: list[dict[str, str]]) -> None:
    skus = [i["sku"] for i in items]
    assert len(set(skus)) == len(skus)
    for sku in skus:
        prefix, _, number = sku.partition("-")
        assert len(prefix) == 3 and prefix.isupper() and len(number) == 5 and number.isdigit(), sku


def test_prices_positive_with_two_decimals(items: list[dict[str, str]]) -> None:
    for i in items:
        price = Decimal(i["price"])
        assert price > 0, i["sku"]
        assert price == price.quantize(Decimal("0.01")), i["sku"]
        assert i["price"] == f"{price:.2f}", i["sku"]


def test_barcodes_valid_and_unique(items: list[dict[str, str]]) -> None:
    printed = [i["barcode"] for i in items if i["barcode"]]
    assert len(set(printed)) == len(printed)
    canonical = []
    for code in printed:
        gtin = biip.parse(code).gtin
        assert gtin is not None, code
        assert gtin.value == code, code
        canonical.append(gtin.as_gtin_14())
    # the app stores GTIN-14: a UPC-A and an EAN-13 must not be the same product
    assert len(set(canonical)) == len(canonical)
    lengths = Counter(len(code) for code in printed)
    assert lengths[12] > lengths[13] > 0
    assert lengths[8] >= 5
    assert set(lengths) <= {8, 12, 13}
    assert sum(1 for i in items if not i["barcode"]) >= 5


def test_some_names_are_not_ascii(items: list[dict[str, str]]) -> None:
    assert sum(1 for i in items if not i["name"].isascii()) >= 3


def test_generator_reproduces_committed_catalog(tmp_path: Path) -> None:
    out = tmp_path / "catalog.csv"
    make_catalog.main(out)
    assert out.read_bytes() == (DEMO_DIR / "catalog.csv").read_bytes()
