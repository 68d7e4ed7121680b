"""Search as you type ranks at most db.queries.SEARCH_CANDIDATES matches: when more items
match, the sale screen asks for more letters, and takes the hint back once the search is
narrow enough."""

from __future__ import annotations

from PySide6.QtTest import QTest

from db.queries import SEARCH_CANDIDATES
from tests.db.support import add_zebra_notebooks
from tests.ui.conftest import sign_in


def test_a_broad_search_asks_for_more_letters(app_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    add_zebra_notebooks(ctx.db, SEARCH_CANDIDATES + 10)  # more items named "Zebra ..." than search ranks
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
