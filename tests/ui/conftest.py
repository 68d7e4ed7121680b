from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select

from app.context import AppContext, build_context
from db import schema as s
from ui.main_window import MainWindow, build_window, load_style


@pytest.fixture
def app_window(store_dir: Path, qtbot) -> Iterator[tuple[AppContext, MainWindow]]:  # type: ignore[no-untyped-def]
    load_style(QApplication.instance())  # type: ignore[arg-type]
    # QTest types at machine speed, which the wedge filter rightly takes for a scanner:
    # these tests type as a keyboard; tests/ui/test_wedge.py turns the filter on.
    ctx = build_context(store_dir, overrides={"printer": "sim://printer", "wedge": False, "card_terminal": "none"})
    window = build_window(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 800)
    window.show()
    yield ctx, window
    window.close()
    ctx.close()


def type_enter(widget: QWidget, text: str) -> None:
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def sign_in(window: MainWindow, name: str, pin: str) -> None:
    users = window.signin.users
    target = next(i for i in range(users.count()) if users.item(i).text().startswith(name))
    pin_field = window.signin.pin
    for _ in range(target - users.currentRow()):
        QTest.keyClick(pin_field, Qt.Key.Key_Down)
    type_enter(pin_field, pin)


def in_dialog(act: Callable[[QWidget], None]) -> None:
    """Run ``act`` on the next modal dialog once it is open (dialogs block in exec())."""

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(10, poll)
            return
        try:
            act(dialog)
        except BaseException:
            dialog.close()  # never leave a test hanging on an open dialog; pytest-qt reports the error
            raise

    QTimer.singleShot(0, poll)


def upc_codes(ctx: AppContext, n: int = 10) -> list[str]:
    """UPC-A codes (the 12 digits printed under the bars) of demo items."""
    with ctx.db.read.connect() as conn:
        rows = conn.execute(
            select(s.items.c.barcode).where(s.items.c.barcode.like("00%")).order_by(s.items.c.rowid).limit(n)
        )
        return [r[0][2:] for r in rows]


def count_rows(ctx: AppContext, table) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func

    with ctx.db.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def press(widget: QWidget, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Press a key with the focus where it is (no window activation needed)."""
    QTest.keyClick(widget, key, modifier)
