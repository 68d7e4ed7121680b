"""The auditor's commands never change the store they examine.

``counter journal verify`` and ``export`` open a store in audit mode. A store that an older
Counter wrote is behind this Counter's migrations, and opening it would upgrade it: the
evidence altered by the act of checking it. Instead the auditor's command works on a copy
(SQLite's online backup from a read-only connection) in a private temporary folder, upgrades
the copy, and removes it afterwards; the store file itself is only read.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from counter.errors import StoreError
from counter.i18n import N_, _
from db.engine import DB_FILENAME, script_head
from db.upgrade import SPARE_BYTES, online_copy, script_revisions, size_text, store_size

#: what to do when the copy cannot be made
HINT = N_(
    "Nothing was changed. Free space in that folder, or set TMPDIR to a folder on a disk with room, "
    "then run the command again."
)


def _look(path: Path) -> tuple[set[str], list[str]] | None:
    """The file's tables and its migration revisions (``alembic_version``'s rows), read
    without writing; None when it cannot be read (opening it says why)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables:
            return tables, []
        return tables, [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.Error:  # damaged or not SQLite
        return None
    finally:
        conn.close()


def revision_of(path: Path) -> list[str] | None:
    """The store's migration revisions, read without writing; None when the file has none
    or cannot be read (opening it says why)."""
    look = _look(path)
    return (look[1] or None) if look is not None else None


def behind(path: Path) -> str | None:
    """The store's revision when it is older than this Counter's head (so opening it would
    upgrade it); None when it is at the head, newer, unknown or unreadable."""
    return _older(revision_of(path))


def _older(current: list[str] | None) -> str | None:
    head = script_head()
    if not current or head is None or current == [head]:
        return None
    known = script_revisions()
    return current[0] if all(rev in known for rev in current) else None


@contextmanager
def audit_folder(data_dir: Path) -> Iterator[tuple[Path, str | None]]:
    """The folder an auditor's command opens: ``data_dir`` itself, or for a store behind
    this Counter, a temporary folder holding a copy of it (removed afterwards). Yields the
    folder and the store's own revision when it is a copy (else None)."""
    path = data_dir / DB_FILENAME
    look = _look(path) if path.exists() else None
    if look is not None and look[0] and not look[1]:
        # tables but no database version: opening it would write Counter's whole schema
        # into someone else's database
        raise StoreError(
            _("{path} is an SQLite file but not a Counter store (it has no database version).").format(path=path),
            _("Nothing was changed. Give the folder of a Counter store with --data-dir."),
        )
    revision = _older(look[1]) if look is not None else None
    if revision is None:
        yield data_dir, None
        return
    room = Path(tempfile.gettempdir())
    # the copy, and the upgrade's own copy of it (db/upgrade.py), side by side
    need = 2 * store_size(path) + SPARE_BYTES
    free = shutil.disk_usage(room).free
    if free < need:
        raise StoreError(
            _(
                "The store is at database version {revision}, older than this Counter's, so it is checked on an "
                "upgraded copy; the temporary folder {folder} has {free} free and the copy needs {need}."
            ).format(revision=revision, folder=room, free=size_text(free), need=size_text(need)),
            _(HINT),
        )
    folder = Path(tempfile.mkdtemp(prefix="counter-audit-"))  # mode 0700: the copy is the owner's only
    try:
        try:
            with online_copy(path, folder / DB_FILENAME):
                pass
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                _("The store could not be copied to {folder} to be checked ({error}).").format(folder=room, error=exc),
                _(HINT),
            ) from exc
        yield folder, revision
    finally:
        shutil.rmtree(folder, ignore_errors=True)
