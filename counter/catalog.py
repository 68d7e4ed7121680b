"""Catalog items, categories and tax classes as the counter sees them.

The catalog is never loaded whole: the ``CatalogQueries`` port (``counter.ports``) looks
items up one barcode or one search page at a time, because real catalogs have a million
items.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NewType

ItemId = NewType("ItemId", str)
CategoryId = NewType("CategoryId", str)


@dataclass(frozen=True)
class TaxClass:
    """A tax rate with the short code printed next to each line ("A", "B")."""

    code: str
    label: str
    rate: Decimal  # 0.0825 means 8.25 %


@dataclass(frozen=True)
class Item:
    id: ItemId
    sku: str
    name: str
    price: Decimal  # in the store's currency, tax included or not per the store's setting
    tax: TaxClass
    category_id: CategoryId
    barcode: str = ""  # canonical GTIN-14, "" when the item has none
    active: bool = True
