"""The backup after a Z report happens by itself (issue #19, point 3): the cash office's Z
report, taken by keyboard in the real window, is followed by a checked backup in the
configured folder, off the GUI thread, and the status bar says so; a folder that is not
there is said in words there instead."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.backups import BackupRun
from app.context import AppContext, build_context
from db.backup import list_backups
from tests.db.test_backup import receipts
from tests.ui.conftest import in_dialog, press
from tests.ui.test_cash_office_screen import fill_count, open_office
from ui.main_window import MainWindow, build_window, load_style


@contextmanager
def open_with_settings(store_dir: Path, qtbot, toml: str) -> Iterator[tuple[AppContext, MainWindow]]:  # type: ignore[no-untyped-def]
    """The real window over the store, with ``toml`` as its counter.toml."""
    (store_dir / "counter.toml").write_text(toml, encoding="utf-8")
    load_style(QApplication.instance())  # type: ignore[arg-type]
    ctx = build_context(store_dir, overrides={"printer": "sim://printer", "wedge": False, "card_terminal": "none"})
    window = build_window(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 800)
    window.show()
    try:
        yield ctx, window
    finally:
        window.close()
        ctx.close()


@pytest.fixture
def usb(tmp_path: Path) -> Path:
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


def take_z(window: MainWindow, qtbot) -> BackupRun:  # type: ignore[no-untyped-def]
    office = open_office(window, "Dana", "3333")
    in_dialog(fill_count({"20": 10}, note="short: will check the safe"))
    press(office, Qt.Key.Key_F7)
    assert window.backups is not None
    with qtbot.waitSignal(window.backups.finished, timeout=60_000) as done:
        press(office, Qt.Key.Key_F9)
        assert "Z report" in office.message.text(), office.message.text()
    run = done.args[0]
    assert isinstance(run, BackupRun)
    return run


def test_a_z_report_is_followed_by_a_checked_backup_by_itself(store_dir: Path, usb: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    toml = f'backup_dir = "{usb}"\nbackup_every_hours = 0\n'
    with open_with_settings(store_dir, qtbot, toml) as (ctx, window):
        assert list_backups(usb) == []
        run = take_z(window, qtbot)
        assert run.ok and run.reason == "z-report", run.lines()
        (backup,) = list_backups(usb)
        assert backup.reason == "z-report" and backup.checked_ok
        assert "Backup made to" in window.statusBar().currentMessage()
        with ctx.db.read.connect() as conn:
            z_reports = conn.exec_driver_sql("SELECT count(*) FROM z_reports").scalar_one()
            head = conn.exec_driver_sql("SELECT seq FROM journal_head WHERE terminal_id = 'T01'").scalar_one()
        assert backup.heads["T01"]["seq"] == head  # the Z report's own entry is in it
        with sqlite3.connect(f"file:{backup.path}?mode=ro", uri=True) as copy:
            assert copy.execute("SELECT count(*) FROM z_reports").fetchone()[0] == z_reports
        assert receipts(backup.path) == receipts(ctx.db.path)


def test_a_missing_backup_folder_is_said_in_the_status_bar(store_dir: Path, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    gone = tmp_path / "usb-unplugged"
    toml = f'backup_dir = "{gone}"\nbackup_every_hours = 0\n'
    with open_with_settings(store_dir, qtbot, toml) as (_ctx, window):
        run = take_z(window, qtbot)
        assert not run.ok and run.problem is not None
        message = window.statusBar().currentMessage()
        assert message.startswith("Backup failed: The backup folder") and "is missing" in message
        assert "Plug in the drive" in message and "Traceback" not in message
        assert not gone.exists()
