"""The lane's log: ``logs/counter.log`` in the data folder, rotated and capped in size.

Set up once per process by the ``counter`` command (cli/main.py), for the window and for
every other command alike: warnings and worse to the terminal, INFO and worse to the file.
The file is rotated when the next record would take it past ``log_max_kb`` (counter.toml),
and ``log_files`` files are kept (``counter.log``, ``counter.log.1`` ... the oldest is
deleted), so the log never takes more than about ``log_max_kb × log_files``.

Every handler carries ``RedactingFilter`` (counter/trust/redaction.py): no PIN, password,
token, card number, e-mail address or phone number reaches the terminal or the file,
whichever module logged it. Called on the main thread before anything else runs.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
from pathlib import Path

from counter.trust.redaction import RedactingFilter

LOG_FOLDER = "logs"
LOG_NAME = "counter.log"
#: ``counter.log`` in the data folder itself: where the log was before it was rotated. It
#: is no longer written; ``counter diagnose`` still bundles it (redacted again).
OLD_LOG = "counter.log"
#: The bounds of the two settings; a value outside them is taken to the nearest bound. At
#: least two files: with no file to rotate to, RotatingFileHandler never rotates at all.
MAX_KB_RANGE = (16, 100 * 1024)
FILES_RANGE = (2, 100)
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: marks the handlers ``configure_logging`` added, so a second call replaces them
_OURS = "_counter_handler"


def log_folder(data_dir: Path) -> Path:
    return data_dir / LOG_FOLDER


def log_files(data_dir: Path) -> list[Path]:
    """The log files there are, newest first (``counter.log``, ``.1``, ``.2`` ...), then the
    old unrotated log if one is left."""
    folder = log_folder(data_dir)
    found = []
    if folder.is_dir():
        found = [p for p in folder.iterdir() if p.is_file() and _rank(p.name) is not None]
        found.sort(key=lambda p: _rank(p.name) or 0)
    old = data_dir / OLD_LOG
    return found + ([old] if old.is_file() else [])


def _rank(name: str) -> int | None:
    if name == LOG_NAME:
        return 0
    head, _, number = name.rpartition(".")
    return int(number) if head == LOG_NAME and number.isdigit() else None


def _clamp(value: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value))


def configure_logging(data_dir: Path, *, max_kb: int, files: int) -> Path | None:
    """Log to the terminal and to ``logs/counter.log`` in ``data_dir`` (see the module
    docstring); returns the log file, or None when the folder cannot be written (the
    terminal still gets the warnings; whatever opens the store next says what is wrong).
    A second call (a second command in one process, as tests do) replaces the handlers."""
    fmt = logging.Formatter(FORMAT)
    redacting = RedactingFilter()
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
        old.close()
    console = logging.StreamHandler()
    setattr(console, _OURS, True)
    console.setLevel(logging.WARNING)
    console.setFormatter(fmt)
    console.addFilter(redacting)
    root.addHandler(console)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    folder = log_folder(data_dir)
    path = folder / LOG_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            with contextlib.suppress(OSError):  # a folder someone else owns: log to it all the same
                folder.chmod(0o700)  # staff names and store details: the owner's only, like the store
        handler = logging.handlers.RotatingFileHandler(
            path,
            maxBytes=_clamp(max_kb, MAX_KB_RANGE) * 1024,
            backupCount=_clamp(files, FILES_RANGE) - 1,
            encoding="utf-8",
        )
    except OSError:
        return None
    setattr(handler, _OURS, True)
    handler.setFormatter(fmt)
    handler.addFilter(redacting)
    root.addHandler(handler)
    return path
