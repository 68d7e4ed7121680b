"""The cyclic garbage collector runs on the GUI thread only.

Python's collector runs on whichever thread happens to allocate when a generation is due.
If that is a worker thread (an HQ call on ``ui.runner``, a printer or device thread) and the
garbage holds a Qt object caught in a reference cycle (a widget's slot bound in a lambda, a
dialog left to Python), PySide destroys the C++ object on that thread, and Qt crashes the
process ("Fatal Python error: Segmentation fault ... Garbage-collecting" in a worker
thread, seen in the suite).

So once a window is built, automatic collection is off, and a timer on the GUI thread
collects what the automatic collector would have collected by now: the same generations at
the same thresholds (``gc.get_threshold()``), checked every second. Reference counting still
frees everything that is not in a cycle at once; only cycles wait, for a second at most.
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QCoreApplication, QObject, QTimer

#: How often the GUI thread looks whether a generation is due (milliseconds).
INTERVAL_MS = 1000


def due_generation() -> int | None:
    """The oldest generation the automatic collector would collect now, or None.

    ``gc.get_count()`` is (allocations less frees since the last young collection, young
    collections since the last middle one, middle collections since the last full one)."""
    counts = gc.get_count()
    thresholds = gc.get_threshold()
    due = None
    for generation in range(3):
        if thresholds[generation] and counts[generation] > thresholds[generation]:
            due = generation
    return due


def collect_due() -> int | None:
    """Collect the due generation, if any, on this thread (which must be the GUI thread or
    a thread that holds no Qt objects). Returns the generation collected."""
    generation = due_generation()
    if generation is not None:
        gc.collect(generation)
    return generation


class GuiCollector(QObject):
    """Owns the timer; a child of the application, so there is one per process."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> None:  # GUI thread
        collect_due()


def collect_on_gui_thread() -> GuiCollector:
    """Turn automatic collection off and collect on the GUI thread from now on (GUI thread;
    idempotent). Returns the application's collector."""
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("collect_on_gui_thread needs the application")
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("collect_on_gui_thread runs on the GUI thread")
    gc.disable()
    collector = getattr(app, "_counter_collector", None)
    if not isinstance(collector, GuiCollector):
        collector = GuiCollector(app)
        app._counter_collector = collector  # type: ignore[attr-defined]
    return collector
