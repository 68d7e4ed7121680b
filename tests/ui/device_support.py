"""Fixtures for the device tests: the real window with chosen device settings.

Test modules import ``open_window_fixture``; tests ask for ``open_window``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from app.context import AppContext, build_context
from counter.journal import JournalEntry
from db.queries import journal_entries
from tests.ui.conftest import in_dialog, press, sign_in
from ui.main_window import MainWindow, build_window, load_style

OpenWindow = Callable[..., tuple[AppContext, MainWindow]]


@pytest.fixture(name="open_window")
def open_window_fixture(store_dir: Path, qtbot) -> Iterator[OpenWindow]:  # type: ignore[no-untyped-def]
    """``open_window(wedge=True, drawer="sim://drawer", ...)``: the app on the demo store
    with the simulated printer and display unless told otherwise."""
    opened: list[tuple[AppContext, MainWindow]] = []

    def make(**overrides: Any) -> tuple[AppContext, MainWindow]:
        load_style(QApplication.instance())  # type: ignore[arg-type]
        settings = {"printer": "sim://printer", "wedge": False, "card_terminal": "none", **overrides}
        ctx = build_context(store_dir, overrides=settings)
        window = build_window(ctx)
        qtbot.addWidget(window)
        window.resize(1366, 800)
        window.show()
        opened.append((ctx, window))
        return ctx, window

    yield make
    for ctx, window in opened:
        window.close()
        ctx.close()


def sign_in_as(window: MainWindow, name: str, pin: str) -> None:
    """Sign in by keyboard; the PIN is typed as fast as a scanner, so the wedge filter
    is paused for it."""
    assert window.devices is not None
    wedge = window.devices.wedge
    enabled, wedge.enabled = wedge.enabled, False
    try:
        sign_in(window, name, pin)
    finally:
        wedge.enabled = enabled
    assert window.stack.currentWidget() is window.sale, window.signin.error.text()


def pay_cash(window: MainWindow, amount: str) -> None:
    def act(dialog: QWidget) -> None:
        dialog.edit.setText(amount)  # type: ignore[attr-defined]
        QTest.keyClick(dialog.edit, Qt.Key.Key_Return)  # type: ignore[attr-defined]

    in_dialog(act)
    press(window.sale.input, Qt.Key.Key_F9)


def pay_card(window: MainWindow) -> None:
    def act(dialog: QWidget) -> None:
        dialog.last4.setText("4242")  # type: ignore[attr-defined]
        dialog.approval.setText("A1B2C3")  # type: ignore[attr-defined]
        QTest.keyClick(dialog.approval, Qt.Key.Key_Return)  # type: ignore[attr-defined]

    in_dialog(act)
    press(window.sale.input, Qt.Key.Key_F10)


def entries(ctx: AppContext, kind: str) -> list[JournalEntry]:
    return [e for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id) if e.type == kind]
