"""The app's backup worker (app/backups.py): asked after a Z report, on a schedule, on its
own thread; a failure is reported as words and the worker goes on."""

from __future__ import annotations

import queue
import threading
from datetime import UTC, datetime, timedelta

from app.backups import FIRST_DELAY_SECONDS, BackupRun, BackupWorker
from counter.errors import CounterError


def test_the_first_scheduled_backup_comes_when_the_newest_is_due() -> None:
    hours = 4
    fresh = BackupWorker(
        lambda r: BackupRun(r), print, every_hours=hours, newest=lambda: datetime.now(UTC) - timedelta(hours=1)
    )
    assert 3 * 3600 - 60 < fresh.first_wait() <= 3 * 3600
    stale = BackupWorker(
        lambda r: BackupRun(r), print, every_hours=hours, newest=lambda: datetime.now(UTC) - timedelta(days=2)
    )
    assert stale.first_wait() == FIRST_DELAY_SECONDS  # overdue: soon after start, not during it
    none_yet = BackupWorker(lambda r: BackupRun(r), print, every_hours=hours)
    assert none_yet.first_wait() == FIRST_DELAY_SECONDS
    off = BackupWorker(lambda r: BackupRun(r), print, every_hours=0)
    assert off.first_wait() == float("inf")


def test_a_request_runs_on_the_workers_thread_and_a_failure_is_said_and_survived() -> None:
    reports: queue.Queue[BackupRun] = queue.Queue()
    threads: list[str] = []

    def take(reason: str) -> BackupRun:
        threads.append(threading.current_thread().name)
        if len(threads) == 1:
            raise RuntimeError("a bug")
        return BackupRun(reason, problem=CounterError("The backup folder is missing.", "Plug it in."))

    worker = BackupWorker(take, reports.put, every_hours=0)
    worker.start()
    try:
        worker.request("z-report")
        first = reports.get(timeout=30)
        assert first.reason == "z-report" and not first.ok
        assert (
            first.status_line() == "Backup failed: The backup failed unexpectedly. See logs/counter.log; call support."
        )
        worker.request("z-report")
        second = reports.get(timeout=30)
        assert second.status_line() == "Backup failed: The backup folder is missing. Plug it in."
    finally:
        worker.close()
    assert threads == ["backup", "backup"]


def test_on_a_schedule_without_being_asked() -> None:
    reports: queue.Queue[BackupRun] = queue.Queue()
    worker = BackupWorker(lambda r: BackupRun(r), reports.put, every_hours=1e-5, first_delay=0)
    worker.start()
    try:
        assert reports.get(timeout=30).reason == "schedule"
        assert reports.get(timeout=30).reason == "schedule"
    finally:
        worker.close()
