"""Search as you type ranks at most db.queries.SEARCH_CANDIDATES matches: when more items
match, the sale screen asks for more letters, and takes the hint back once the search is
narrow enough."""

from __future__ import annotations

from uuid import uuid4

from PySide6.QtTest import QTest
from sqlalchemy import select

from db import schema as s
from db.queries import SEARCH_CANDIDATES
from tests.ui.conftest import sign_in


def test_a_broad_search_asks_for_more_letters(app_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    with ctx.db.write.begin() as conn:
        category = conn.execute(select(s.categories.c.id).limit(1)).scalar_one()
        tax = conn.execute(select(s.tax_classes.c.code).limit(1)).scalar_one()
        conn.execute(
            s.items.insert(),
            [
                {
                    "id": str(uuid4()),
                    "sku": f"ZB-{n}",
                    "barcode": None,
                    "name": f"Zebra notebook {n}",
                    "category_id": category,
                    "price_minor": 100 + n,
                    "tax_code": tax,
                    "active": True,
                }
                for n in range(SEARCH_CANDIDATES + 10)
            ],
        )
    sign_in(window, "Maria", "1111")
    sale = window.sale
    before = sale.message.text()
    QTest.keyClicks(sale.input, "ze")
    assert sale.results.isVisible() and sale.results.count() == 50
    assert "Type more to narrow it down" in sale.message.text()
    window.grab().save(str(tmp_path / "search-hint.png"))
    QTest.keyClicks(sale.input, "bra notebook 1999")
    assert sale.results.count() >= 1
    assert sale.message.text() == before  # the hint is taken back
