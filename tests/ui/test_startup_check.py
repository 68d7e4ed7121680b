"""The integrity check behind the sign-in screen (ui/trust/startup_check.py).

The window shows before ``PRAGMA quick_check`` has read the file; when the check finds
damage the terminal refuses to record anything, in words, and keeps what it recorded. The
damage here is real: a page of a table that start-up does not read is overwritten on disk.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app.context import build_context
from db import schema as s
from db.engine import DB_FILENAME
from tests.ui.conftest import count_rows, press, sign_in, type_enter, upc_codes
from ui.main_window import build_window, load_style
from ui.trust.startup_check import start_integrity_check


def damage_a_page(path: Path, index: str = "ix_sale_lines_item_time_amount") -> None:
    """Garbage over the root page of an index nothing reads at start-up or sign-in."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
    conn.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xa5" * page_size)


@pytest.fixture
def window_on(qtbot):  # type: ignore[no-untyped-def]
    opened = []

    def open_window(store: Path):  # type: ignore[no-untyped-def]
        load_style(QApplication.instance())  # type: ignore[arg-type]
        ctx = build_context(store, overrides={"printer": "sim://printer", "wedge": False})
        window = build_window(ctx)
        qtbot.addWidget(window)
        window.resize(1366, 800)
        window.show()
        opened.append((ctx, window))
        return ctx, window

    yield open_window
    for ctx, window in opened:
        window.close()
        ctx.close()


def test_a_sound_store_is_checked_behind_the_sign_in_screen(store_dir: Path, window_on, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = window_on(store_dir)
    check = window.startup_check
    assert check is not None
    qtbot.waitUntil(lambda: check.done, timeout=10_000)
    assert check.result is None and ctx.damage is None
    sign_in(window, "Maria", "1111")
    assert window.stack.currentWidget() is window.sale


def test_damage_found_after_the_window_shows_refuses_to_record(store_dir: Path, window_on, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = store_dir / DB_FILENAME
    damage_a_page(path)
    ctx, window = window_on(store_dir)  # opens: start-up does not read that page
    assert window.isVisible()
    journal_before = count_rows(ctx, s.journal)
    qtbot.waitUntil(lambda: window.startup_check.done, timeout=10_000)
    problem = ctx.damage
    assert problem is not None and "damaged" in problem.message
    assert "Recovering a damaged store" in problem.hint
    box = window.findChild(QMessageBox, "storeDamaged")
    assert box is not None and box.isVisible()
    assert "damaged" in box.text() and "kept" in box.text()
    window.grab().save(str(tmp_path / "startup-damaged.png"))
    box.accept()
    assert "damaged" in window.signin.error.text()
    sign_in(window, "Maria", "1111")  # signing in is recorded, so it is refused, in words
    assert window.stack.currentWidget() is window.signin
    assert "damaged" in window.signin.error.text()
    assert count_rows(ctx, s.journal) == journal_before  # nothing more recorded, nothing removed
    assert path.exists()


def test_damage_found_during_a_sale_keeps_the_cart_and_records_nothing(store_dir: Path, window_on, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window = window_on(store_dir)
    qtbot.waitUntil(lambda: window.startup_check.done, timeout=10_000)
    assert ctx.damage is None
    sign_in(window, "Maria", "1111")
    sale = window.sale
    type_enter(sale.input, upc_codes(ctx, 1)[0])
    assert sale.model.rowCount() == 1
    sales_before = count_rows(ctx, s.sales)
    damage_a_page(store_dir / DB_FILENAME)
    check = start_integrity_check(ctx, window.refuse_to_sell)  # as if the first check were still running
    qtbot.waitUntil(lambda: check.done, timeout=10_000)
    assert ctx.damage is not None
    assert "damaged" in sale.message.text()
    box = window.findChild(QMessageBox, "storeDamaged")
    assert box is not None
    box.accept()
    press(sale.input, Qt.Key.Key_F9)  # pay: refused before any dialog asks for money
    assert QApplication.activeModalWidget() is None
    assert sale.payment is None
    assert count_rows(ctx, s.sales) == sales_before
    assert sale.model.rowCount() == 1  # the cart is kept
    assert "damaged" in sale.message.text()
