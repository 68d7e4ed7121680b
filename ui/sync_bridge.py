"""The sync worker: one thread that pushes the journal and pulls changes in the
background, and tells the GUI through a Qt signal (queued to the GUI thread).

HQ away is a status, never a dialog: the status bar reads "Sync: offline, 42 waiting"
and selling goes on. After a failure the worker waits 1, 2, 4, ... up to 60 seconds
(with jitter); after a success, ``interval`` seconds, or less when a sale nudges it.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from db.sync import Backoff, Syncer, SyncStatus

log = logging.getLogger(__name__)


class SyncBridge(QObject):
    #: a SyncStatus; emitted on the sync thread, delivered on the GUI thread
    status_changed = Signal(object)

    def __init__(self, syncer: Syncer | None, *, interval: float = 15.0) -> None:
        super().__init__()
        self.syncer = syncer
        self.interval = interval
        self.status = syncer.status if syncer is not None else SyncStatus()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.syncer is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """Something was recorded: push soon (GUI thread; returns at once)."""
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _publish(self, status: SyncStatus) -> None:
        self.status = status
        self.status_changed.emit(status)

    def _run(self) -> None:  # the sync thread
        assert self.syncer is not None
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                status = self.syncer.cycle(progress=self._publish)
            except Exception:  # a bug must not kill the worker: log it and retry later
                log.exception("sync cycle failed")
                status = self.syncer.status
            self._publish(status)
            if status.online and not status.problem:
                backoff.success()
                wait = self.interval
            else:
                wait = backoff.failure()
            self._wake.wait(wait)
            self._wake.clear()
