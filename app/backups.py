"""Backups that happen by themselves (issue #19, point 3; docs/backup.md).

``back_up`` makes one backup the way the settings say (``backup_dir``, ``backup_keep``;
db/backup.py) and, when the lane is enrolled, sends it to HQ (db/backup_hq.py): the
command line's ``counter backup now`` and the app's worker both go through it.

``BackupWorker`` is the app's: one thread of its own, because a backup reads the whole
store and checks it (seconds on a big store) and must never hold the GUI thread. It takes
a backup when asked (after every Z report, app/events.py ``ZReportCommitted``) and every
``backup_every_hours`` while the app runs (the first one when the newest backup in the
folder is that old, at the earliest five minutes after start). Each outcome goes to
``report`` on the worker's thread (the window's bridge queues it to the GUI thread); a
failure is a sentence (what happened, what to do) and a log line, never a traceback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import Settings
from app.events import ZReportCommitted
from counter.errors import CounterError
from counter.i18n import _
from counter.journal import parse_stamp
from db.backup import BackupResult, backup_store, list_backups
from db.backup_hq import send_to_hq
from db.keys import InstallationSecret
from db.lane_report import app_version

if TYPE_CHECKING:
    from app.context import AppContext

log = logging.getLogger(__name__)

FIRST_DELAY_SECONDS = 300.0


def backup_folder(data_dir: Path, settings: Settings) -> Path:
    """The configured folder, or ``backups`` in the data folder (made when missing; a
    configured folder is never made: a missing USB drive must be said)."""
    if settings.backup_dir.strip():
        return Path(settings.backup_dir.strip()).expanduser()
    folder = data_dir / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class BackupRun:
    reason: str
    result: BackupResult | None = None
    problem: CounterError | None = None
    hq: str = ""  # what happened at HQ ("" when the lane is not enrolled)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok

    def lines(self) -> list[str]:
        if self.result is None:
            problem = self.problem or CounterError(_("No backup was made."))
            return [f"{problem.message} {problem.hint}".strip()]
        return [*self.result.lines(), *([self.hq] if self.hq else []), *self.notes]

    def status_line(self) -> str:
        """One line for the status bar."""
        if self.result is None:
            problem = self.problem or CounterError(_("No backup was made."))
            return _("Backup failed: {problem}").format(problem=f"{problem.message} {problem.hint}".strip()).strip()
        where = self.result.backup.path.parent
        if not self.result.ok:
            return _(
                "Backup to {folder} made, but its check FAILED: the store may be damaged. "
                "Run `counter journal verify` and call support."
            ).format(folder=where)
        # Translators: {reason} is why the backup was made, a code ("schedule", "z-report", "manual")
        made = _("Backup made to {folder} ({reason}).").format(folder=where, reason=self.reason)
        return f"{made} {self.hq}".strip()


def back_up(
    data_dir: Path,
    db_path: Path,
    settings: Settings,
    reason: str,
    *,
    to: Path | None = None,
    secret: InstallationSecret | None = None,
    send: bool = True,
) -> BackupRun:
    """One backup into ``to`` (else the configured folder), then to HQ when enrolled."""
    try:
        folder = to if to is not None else backup_folder(data_dir, settings)
        result = backup_store(
            db_path,
            folder,
            reason,
            keep=min(max(settings.backup_keep, 1), 1000),
            secret=secret,
            app_version=app_version(),
        )
    except CounterError as exc:
        log.info("backup (%s) failed: %s", reason, exc.message)  # said by the caller
        return BackupRun(reason, problem=exc)
    except OSError as exc:  # the default folder could not be made
        return BackupRun(
            reason,
            problem=CounterError(
                _("The backup folder cannot be made ({reason}).").format(reason=exc.strerror), _("Set backup_dir.")
            ),
        )
    notes = []
    if to is None and not settings.backup_dir.strip():
        notes.append(
            _(
                "This backup is on the store's own disk; set backup_dir in counter.toml to a USB drive or share "
                "(docs/backup.md)."
            )
        )
    hq = send_to_hq(db_path, result.backup) if send else ""
    return BackupRun(reason, result, hq=hq, notes=notes)


class BackupWorker:
    """The app's backup thread (see the module docstring). ``request`` from any thread."""

    def __init__(
        self,
        take: Callable[[str], BackupRun],
        report: Callable[[BackupRun], None],
        *,
        every_hours: float,
        newest: Callable[[], datetime | None] = lambda: None,
        first_delay: float = FIRST_DELAY_SECONDS,
    ) -> None:
        self._take, self._report, self._newest = take, report, newest
        self.first_delay = first_delay
        self.interval = every_hours * 3600.0
        self._asked: list[str] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="backup", daemon=True)
            self._thread.start()

    def request(self, reason: str) -> None:
        with self._lock:
            if reason not in self._asked:
                self._asked.append(reason)
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)  # a backup under way finishes (its copy is atomic either way)

    def first_wait(self) -> float:
        """Seconds from start to the first scheduled backup."""
        if self.interval <= 0:
            return float("inf")
        newest = self._newest()
        age = (datetime.now(UTC) - newest).total_seconds() if newest is not None else float("inf")
        return max(self.first_delay, self.interval - age)

    def _run(self) -> None:  # the backup thread
        due = time.monotonic() + self.first_wait()
        while not self._stop.is_set():
            wait = due - time.monotonic()
            self._wake.wait(None if wait == float("inf") else max(0.0, wait))
            self._wake.clear()
            if self._stop.is_set():
                return
            with self._lock:
                reasons, self._asked = self._asked, []
            if not reasons and time.monotonic() < due:
                continue
            reason = reasons[0] if reasons else "schedule"
            try:
                run = self._take(reason)
            except Exception:  # a bug must not kill the worker: logged, said, and tried again next time
                log.exception("backup (%s) failed", reason)
                run = BackupRun(
                    reason,
                    problem=CounterError(
                        _("The backup failed unexpectedly."), _("See logs/counter.log; call support.")
                    ),
                )
            try:
                if not run.ok:
                    log.warning("backup (%s): %s", reason, run.status_line())
                self._report(run)
            except Exception:  # the window going away mid-report must not kill the worker
                log.exception("backup (%s) could not be reported", reason)
            if self.interval > 0:
                due = time.monotonic() + self.interval


def newest_backup_time(folder: Path) -> datetime | None:
    try:
        found = list_backups(folder)
    except CounterError:
        return None
    return parse_stamp(found[0].created_at) if found else None


def app_worker(ctx: AppContext, report: Callable[[BackupRun], None]) -> BackupWorker:
    """The app's worker over ``ctx``'s store (not started): a backup after each Z report
    and every ``backup_every_hours``, each outcome to ``report`` (on the backup thread);
    closed with the context."""
    data_dir, settings, db = ctx.data_dir, ctx.settings, ctx.db
    worker = BackupWorker(
        lambda reason: back_up(data_dir, db.path, settings, reason, secret=db.secret),  # the backup thread
        report,
        every_hours=max(0, settings.backup_every_hours),
        newest=lambda: newest_backup_time(backup_folder(data_dir, settings)),
    )
    ctx.after_commit.subscribe(ZReportCommitted, lambda _e: worker.request("z-report"))
    ctx.closers.append(worker.close)
    return worker
