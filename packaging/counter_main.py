"""The entry point of the built app (PyInstaller, packaging/counter.spec): the same
``counter`` command as ``python -m cli.main``.

``freeze_support`` comes first: ``counter journal verify`` checks a large journal in worker
processes started with "spawn" (db/derive.py), and in a built app each worker is this same
executable, which must become the worker instead of opening the app again.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from cli.main import main

    sys.exit(main())
