"""Calls to HQ off the GUI thread, their answers back on it.

A screen or dialog owns one ``HqWorker`` (a child QObject, so it dies with its owner).
``run(call, done)`` runs ``call()`` on a short-lived thread and delivers
``done(result, error)`` on the GUI thread through a queued signal: ``error`` is the
CounterError met (HQ unreachable, refused, …) or None. The window never waits for the
network; a slow or absent HQ only delays ``done``. If the owner is gone by the time the
answer comes, the answer is dropped (what the call did at HQ stands).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from counter.errors import CounterError

log = logging.getLogger(__name__)

Done = Callable[[Any, CounterError | None], None]


class HqWorker(QObject):
    #: (done, result, error): emitted on the call's thread, delivered on the GUI thread
    _answered = Signal(object, object, object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.in_flight = 0
        self._answered.connect(self._deliver)

    def run(self, call: Callable[[], Any], done: Done) -> None:
        """Start ``call`` on its own thread (GUI thread; returns at once)."""
        self.in_flight += 1
        threading.Thread(target=self._body, args=(call, done), name="hq-call", daemon=True).start()

    def _body(self, call: Callable[[], Any], done: Done) -> None:  # the call's thread
        result: Any = None
        error: CounterError | None = None
        try:
            result = call()
        except CounterError as exc:
            # Without its traceback: the frames of this thread must not ride along to the
            # GUI thread in a reference cycle that the collector would free at random.
            error = exc.with_traceback(None)
            error.__cause__ = error.__context__ = None
        except Exception as exc:  # a bug must not be lost on a worker thread: log it, say it plainly
            log.exception("call to HQ failed")
            error = CounterError(f"Something went wrong asking HQ ({type(exc).__name__}).", "See counter.log.")
        with contextlib.suppress(RuntimeError):  # the owner (and this worker) were deleted meanwhile
            self._answered.emit(done, result, error)
        del call, done, result, error

    def _deliver(self, done: Done, result: Any, error: CounterError | None) -> None:  # GUI thread
        self.in_flight -= 1
        done(result, error)
