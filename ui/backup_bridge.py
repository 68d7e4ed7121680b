"""The app's backups (app/backups.py ``BackupWorker``) wired to the window: a backup after
every Z report (``ZReportCommitted`` on the after-commit bus) and every
``backup_every_hours``, on the backup worker's own thread; each outcome comes back to the
GUI thread through a queued signal and is said in the status bar (what happened and what
to do; a failure stays up for a minute), never as a dialog or a traceback.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.backups import BackupRun, app_worker
from app.context import AppContext

FAILURE_MS = 60_000
DONE_MS = 15_000


class BackupBridge(QObject):
    #: a BackupRun; emitted on the backup thread, delivered on the GUI thread
    finished = Signal(object)

    def __init__(self, ctx: AppContext, status: Callable[[str, int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._status = status
        self.last: BackupRun | None = None
        self.worker = app_worker(ctx, self.finished.emit)
        self.finished.connect(self._show)
        self.worker.start()

    def _show(self, run: BackupRun) -> None:  # GUI thread
        self.last = run
        self._status(run.status_line(), DONE_MS if run.ok else FAILURE_MS)
