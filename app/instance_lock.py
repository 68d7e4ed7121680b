"""One Counter at a time on a store: the app, and a restore, hold the data folder's lock.

Two windows on one store would both carry out what is due after each sale (the receipt
printed twice, the drawer kicked twice) and both sync; a restore under a running app swaps
the file it is writing. So the app takes an exclusive lock on ``counter.lock`` in the data
folder for as long as it runs, and ``counter restore`` takes it for as long as it works:
whoever comes second is told, in words, who holds it. The lock is the operating system's
(``flock`` on Linux and macOS, ``msvcrt.locking`` on Windows): it goes with the process,
so a crash or a power cut never leaves the store locked.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from counter.errors import CounterError
from counter.i18n import _

LOCK_FILENAME = "counter.lock"


class StoreInUse(CounterError):
    """Another process holds the data folder's lock."""


class InstanceLock:
    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                _unlock(self._fd)
            os.close(self._fd)
            self._fd = None


def take(data_dir: Path, *, doing: str = "") -> InstanceLock:
    """The data folder's lock, for this process until ``release`` (or its end). StoreInUse
    when another process holds it; ``doing`` says what would have been done ("restore")."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_FILENAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        _lock(fd)
    except OSError:
        holder = _holder(fd)
        os.close(fd)
        raise _in_use(data_dir, holder, doing) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return InstanceLock(path, fd)


@contextlib.contextmanager
def holding(data_dir: Path, *, doing: str = "") -> Iterator[InstanceLock]:
    lock = take(data_dir, doing=doing)
    try:
        yield lock
    finally:
        lock.release()


def _holder(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
        return int(text) if text.isdigit() else None
    except (OSError, ValueError, AttributeError):  # os.pread is not on Windows
        return None


def _in_use(data_dir: Path, holder: int | None, doing: str) -> StoreInUse:
    who = (
        _("Counter (process {pid}) is already open on the store in {folder}.").format(pid=holder, folder=data_dir)
        if holder
        else _("Counter is already open on the store in {folder}.").format(folder=data_dir)
    )
    if doing == "restore":
        return StoreInUse(who, _("Nothing was changed. Close Counter on this terminal first, then restore again."))
    return StoreInUse(who, _("Switch to that window (or close it first); one Counter at a time uses a store."))


if sys.platform == "win32":  # pragma: no cover - not run on this project's machines
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
