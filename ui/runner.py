"""The runner: how a screen runs what a person asked for, and hears how it went.

A local command runs on the GUI thread (a SQLite transaction of a few milliseconds)
through ``ui.ops.attempt``: a CounterError becomes its message, anything unexpected is
logged and said plainly. ``Runner.off_gui(call, done)`` runs what may wait on the network
(HQ) on a short-lived thread while the window stays live, and delivers the outcome on the
GUI thread; nothing waits inside a nested event loop.

A screen or dialog owns one ``Runner`` (a child QObject, so it dies with its owner).
``off_gui(call, done)`` runs ``call()`` on a short-lived thread and delivers
``done(result, error)`` on the GUI thread through a queued signal (``done`` itself never
leaves the GUI thread): ``error`` is the
CounterError met (HQ unreachable, refused, …) or None. The window never waits for the
network; a slow or absent HQ only delays ``done``. If the owner is gone by the time the
answer comes, the answer is dropped (what the call did at HQ stands).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from counter.errors import CounterError
from counter.i18n import _

log = logging.getLogger(__name__)

Done = Callable[[Any, CounterError | None], None]


class _Relay(QObject):
    """Carries answers to the GUI thread. One per application, a child of it, so the
    worker threads hold a reference only to an object that outlives them."""

    #: (weak reference to the Runner, call id, result, error)
    answered = Signal(object, int, object, object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.answered.connect(self._deliver)

    def _deliver(self, worker_ref: Any, call_id: int, result: Any, error: CounterError | None) -> None:  # GUI thread
        # A method of this QObject (which lives on the GUI thread), so the connection is
        # queued there whichever thread emits.
        worker = worker_ref()
        if worker is not None:
            worker._finish(call_id, result, error)


def _relay() -> _Relay:
    """The application's relay (GUI thread)."""
    app = QCoreApplication.instance()
    assert app is not None
    relay = getattr(app, "_counter_hq_relay", None)
    if not isinstance(relay, _Relay):
        relay = _Relay(app)
        app._counter_hq_relay = relay  # type: ignore[attr-defined]
    return relay


class Runner(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._waiting: dict[int, Done] = {}
        self._next = 0

    @property
    def in_flight(self) -> int:
        return len(self._waiting)

    def off_gui(self, call: Callable[[], Any], done: Done) -> None:
        """Start ``call`` on its own thread (GUI thread; returns at once).

        The thread holds no widget: ``done`` (usually a widget's method) stays here, and
        the thread knows this worker only by a weak reference. The last reference to a
        widget must never be dropped on another thread, or PySide destroys it there (a
        dialog is owned by Python once exec() has run). ``call`` must not hold a widget."""
        self._next += 1
        self._waiting[self._next] = done
        args = (_relay(), weakref.ref(self), self._next, call)
        threading.Thread(target=_body, args=args, name="hq-call", daemon=True).start()

    def forget(self) -> None:
        """Drop the answers still to come (their owner is closing; GUI thread)."""
        self._waiting.clear()

    def _finish(self, call_id: int, result: Any, error: CounterError | None) -> None:  # GUI thread
        done = self._waiting.pop(call_id, None)
        if done is not None:
            done(result, error)


def _body(relay: _Relay, worker_ref: Any, call_id: int, call: Callable[[], Any]) -> None:  # the call's thread
    result: Any = None
    error: CounterError | None = None
    try:
        result = call()
    except CounterError as exc:
        # Without its traceback: the frames of this thread must not ride along to the GUI
        # thread in a reference cycle that the collector would free at random.
        error = exc.with_traceback(None)
        error.__cause__ = error.__context__ = None
    except Exception as exc:  # a bug must not be lost on a worker thread: log it, say it plainly
        log.exception("call to HQ failed")
        error = CounterError(
            _("Something went wrong asking HQ ({error}).").format(error=type(exc).__name__),
            _("See logs/counter.log in the data folder."),
        )
    with contextlib.suppress(RuntimeError):  # the application is shutting down
        relay.answered.emit(worker_ref, call_id, result, error)
