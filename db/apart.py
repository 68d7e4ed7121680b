"""Long pure-Python work of a background thread, run in a child process instead.

The app's background threads share the interpreter's lock with the screen. A backup's check
of a large store (``db.backup.check_file``: the integrity check, then the whole journal's
chain verified and its records derived again, minutes of Python at 10M sale lines) held it
so much that each sale rung meanwhile took 280 ms instead of 75 (issue #22, bench/soak.py on
the 1M-item / 10M-line store). In a child process it costs the screen nothing but a core.

Small work stays in this process: starting a child ("spawn", as ``db.derive`` does, which
the built app supports with ``multiprocessing.freeze_support``) costs about a second.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

#: files at least this large are checked in a child process
APART_FROM_BYTES = 64 * 1024 * 1024


def run_apart(fn: Callable[..., T], path: Path, *args: Any, **kwargs: Any) -> T:
    """``fn(path, *args, **kwargs)``, in a child process when ``path`` is large; in this one
    when it is small or no child can be started (said in the log, never a failure)."""
    try:
        big = path.stat().st_size >= APART_FROM_BYTES
    except OSError:
        big = False
    if big:
        try:
            with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
                return pool.submit(fn, path, *args, **kwargs).result()
        except (BrokenProcessPool, OSError, pickle.PicklingError) as exc:
            log.warning("%s of %s could not run in a child process (%s); running it here", fn.__name__, path, exc)
    return fn(path, *args, **kwargs)
