"""The cyclic garbage collector runs on the GUI thread only (ui/collector.py).

A worker thread that allocates must never be the one to free a Qt object caught in a
reference cycle: PySide would destroy it there, and Qt crashes the process (the suite saw
"Segmentation fault ... Garbage-collecting" in an HQ call's thread)."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

from PySide6.QtWidgets import QLabel

from app.context import build_context
from ui import collector
from ui.main_window import build_window


def test_building_the_window_turns_automatic_collection_off_and_starts_the_gui_timer(store_dir: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    gc.enable()  # as a fresh process is
    ctx = build_context(store_dir, overrides={"printer": "sim://printer", "wedge": False, "card_terminal": "none"})
    try:
        window = build_window(ctx)
        qtbot.addWidget(window)
        assert not gc.isenabled()
        gui = collector.collect_on_gui_thread()
        assert gui is collector.collect_on_gui_thread()  # one per application
        assert gui.timer.isActive() and gui.timer.interval() == collector.INTERVAL_MS
        window.close()
    finally:
        gc.disable()
        ctx.close()


def test_a_widget_in_a_cycle_is_freed_on_the_gui_thread_not_by_an_allocating_worker(qtbot) -> None:  # type: ignore[no-untyped-def]
    gc.enable()
    try:
        collector.collect_on_gui_thread()
        gc.collect()
        freed_on: list[str] = []

        class Held(QLabel):
            pass

        label = Held("in a cycle")
        label.me = label  # type: ignore[attr-defined]
        weakref.finalize(label, lambda: freed_on.append(threading.current_thread().name))
        alive = weakref.ref(label)
        del label

        kept: list[list[int]] = []

        def allocate() -> None:  # far past every generation's threshold
            for _ in range(200_000):
                kept.append([])

        worker = threading.Thread(target=allocate, name="hq-call")
        worker.start()
        worker.join()
        assert freed_on == [] and alive() is not None  # the worker collected nothing
        assert collector.due_generation() is not None

        qtbot.waitUntil(lambda: freed_on != [], timeout=3 * collector.INTERVAL_MS)
        assert freed_on == ["MainThread"] and alive() is None
        kept.clear()
    finally:
        gc.disable()


def test_the_due_generation_follows_the_thresholds() -> None:
    thresholds = gc.get_threshold()
    try:
        gc.collect()
        gc.set_threshold(10**9, 10**9, 10**9)
        assert collector.due_generation() is None
        assert collector.collect_due() is None
        kept = [[] for _ in range(50)]
        gc.set_threshold(10, 10**9, 10**9)
        assert collector.due_generation() == 0
        assert collector.collect_due() == 0
        assert gc.get_count()[1] >= 1  # a young collection counts toward the middle one
        gc.set_threshold(10, 0, 10**9)  # 0 turns a generation's own threshold off
        kept += [[] for _ in range(50)]
        assert collector.due_generation() == 0
        kept.clear()
    finally:
        gc.set_threshold(*thresholds)
