"""The store's integrity check, behind the sign-in screen.

``PRAGMA quick_check`` reads the whole database file: ~18 s on a store of 10 GB (two
minutes when the file is not in the OS cache), which is why the app no longer runs it
before the window shows (docs/benchmarks.md). ``StartupCheck`` runs it on a thread of its
own, on a read-only connection, once the window is up. If it reports damage, the terminal
refuses to record anything from then on (``AppContext.damage``: every unit of work says so,
in words), keeps what was recorded (nothing is deleted or rewritten), and says what
happened and what to do: on the sign-in screen, in the status bar and in a message box.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from app.context import AppContext
from counter.errors import StoreError
from counter.i18n import _

log = logging.getLogger(__name__)


class StartupCheck(QObject):
    #: None (sound) or a StoreError; emitted on the check's thread, delivered on the GUI thread
    finished = Signal(object)
    #: the StoreError, on the GUI thread, once ``ctx.damage`` is set
    damaged = Signal(object)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.check = ctx.integrity_check()
        self.result: StoreError | None = None
        self.done = False
        self._thread: threading.Thread | None = None
        self.finished.connect(self._finished)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="integrity-check", daemon=True)
            self._thread.start()

    def _run(self) -> None:  # the check's thread
        try:
            problem = self.check.run()
        except Exception as exc:  # a bug here must not pass for a sound store
            log.exception("integrity check failed")
            problem = StoreError(
                _("The store's database could not be checked ({error}).").format(error=exc),
                _("Do not sell on this terminal. Restart Counter; if it happens again, call the administrator."),
            )

        self.finished.emit(problem)

    def _finished(self, problem: StoreError | None) -> None:
        self.result, self.done = problem, True
        if problem is None:
            log.info("integrity check: ok")
            return
        log.error("integrity check: %s", problem.message)
        self.ctx.damage = problem
        self.damaged.emit(problem)

    def close(self) -> None:
        """Stop a check still running (closing the app) and wait for its thread."""
        self.check.cancel()
        if self._thread is not None:
            self._thread.join(timeout=10)


def start_integrity_check(ctx: AppContext, on_damage: Callable[[StoreError], object]) -> StartupCheck:
    """Run the check once the event loop runs (the window is painted first); damage is
    handed to ``on_damage`` on the GUI thread."""
    check = StartupCheck(ctx)
    check.damaged.connect(on_damage)
    ctx.closers.append(check.close)
    if ctx.settings.integrity_check_at_start:
        QTimer.singleShot(0, check.start)
    return check
