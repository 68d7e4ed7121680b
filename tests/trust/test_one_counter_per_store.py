"""One Counter at a time on a store (app/instance_lock.py).

Two windows on one store would both print each sale's receipt and kick its drawer, and a
restore under a running app swaps the file it writes. The running app (a real process on a
real store) holds the data folder's lock; a second start and a restore are refused in words
naming the holder, and nothing is changed; the lock goes with the process, so a killed app
leaves the store free."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.instance_lock import LOCK_FILENAME, StoreInUse, holding, take
from db.engine import DB_FILENAME
from tests.db.test_backup import run_cli, store_fingerprint
from tests.db.test_backup_restore import backup_now
from tests.ui.conftest import in_dialog


def _start_app(store_dir: Path) -> subprocess.Popen[str]:
    """The app itself (``counter --data-dir``) on the offscreen platform, until the lock
    file names it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "--data-dir", str(store_dir), "--printer", "sim://printer"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = store_dir / LOCK_FILENAME
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if lock.exists() and lock.read_text().strip() == str(proc.pid):
            return proc
        if proc.poll() is not None:
            raise AssertionError(f"the app ended: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the app never took the store's lock")


def test_a_running_app_holds_the_store_and_a_restore_is_refused_until_it_is_gone(
    store_dir: Path, tmp_path: Path
) -> None:
    backup = backup_now(store_dir, tmp_path / "usb")
    app = _start_app(store_dir)
    try:
        with pytest.raises(StoreInUse) as caught:
            take(store_dir)
        assert f"Counter (process {app.pid}) is already open on the store in {store_dir}." == caught.value.message
        assert "Switch to that window" in caught.value.hint
        before = store_fingerprint(store_dir)
        refused = run_cli("restore", "--from", str(backup), "--yes", "--data-dir", str(store_dir))
        assert refused.returncode == 1
        assert f"process {app.pid}) is already open" in refused.stderr
        assert "Nothing was changed. Close Counter on this terminal first" in refused.stderr
        assert store_fingerprint(store_dir) == before
        assert app.poll() is None  # the app runs on, unharmed
    finally:
        app.send_signal(signal.SIGKILL)  # as a crash or a power cut would end it
        app.wait(timeout=30)
    with holding(store_dir, doing="restore") as lock:  # the lock went with the process
        assert lock.path.read_text().strip() == str(os.getpid())
    restored = run_cli("restore", "--from", str(backup), "--yes", "--data-dir", str(store_dir))
    assert restored.returncode == 0, restored.stderr
    assert (store_dir / DB_FILENAME).exists()


def test_a_second_app_on_the_same_store_says_who_holds_it_and_does_not_start(store_dir: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.main_window import run_app

    said: list[str] = []

    def read_and_close(dialog: QWidget) -> None:
        assert isinstance(dialog, QMessageBox)
        said.append(f"{dialog.windowTitle()}: {dialog.text()}")
        dialog.close()

    returned: list[int] = []

    def end_a_started_app() -> None:  # had the app started anyway, the test must end, and fail
        if not returned:
            for widget in QApplication.topLevelWidgets():
                widget.close()
            QApplication.quit()

    with holding(store_dir):  # the first Counter, here this test
        in_dialog(read_and_close)
        QTimer.singleShot(8000, end_a_started_app)
        returned.append(run_app(store_dir, demo=False))
    assert returned == [1]
    assert said == [
        f"Counter cannot start: Counter (process {os.getpid()}) is already open on the store in {store_dir}.\n\n"
        "Switch to that window (or close it first); one Counter at a time uses a store."
    ]
    with holding(store_dir):  # and it left nothing held
        pass


def test_the_lock_file_is_the_owners_only_and_a_restore_holds_it_while_it_works(store_dir: Path) -> None:
    with holding(store_dir, doing="restore"):
        mode = (store_dir / LOCK_FILENAME).stat().st_mode & 0o777
        assert mode == 0o600
        with pytest.raises(StoreInUse) as caught:
            take(store_dir)  # a second open of the file, even in this process, is another holder
        assert caught.value.message.endswith(f"is already open on the store in {store_dir}.")
