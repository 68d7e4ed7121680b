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
from db.upgrade import SPARE_BYTES, script_revisions


def revision_of(path: Path) -> list[str] | None:
    """The store's migration revisions (its ``alembic_version`` rows), read without writing;
    None when the file has no such table or cannot be read (opening it says why)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        return [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _is_foreign(path: Path) -> bool:
    """A readable SQLite file with tables but no ``alembic_version``: opening it would write
    Counter's whole schema into someone else's database."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error:  # damaged or not SQLite: opening it says so
        return False
    finally:
        conn.close()
    return bool(names) and "alembic_version" not in names


def behind(path: Path) -> str | None:
    """The store's revision when it is older than this Counter's head (so opening it would
    upgrade it); None when it is at the head, newer, unknown or unreadable."""
    current = revision_of(path)
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
    if path.exists() and _is_foreign(path):
        raise StoreError(
            _("{path} is an SQLite file but not a Counter store (it has no database version).").format(path=path),
            _("Nothing was changed. Give the folder of a Counter store with --data-dir."),
        )
    revision = behind(path) if path.exists() else None
    if revision is None:
        yield data_dir, None
        return
    room = Path(tempfile.gettempdir())
    # the copy, and the upgrade's own copy of it (db/upgrade.py), side by side
    need = 2 * sum(_size(Path(f"{path}{end}")) for end in ("", "-wal")) + SPARE_BYTES
    free = shutil.disk_usage(room).free
    if free < need:
        raise StoreError(
            _(
                "The store is at database version {revision}, older than this Counter's, so it is checked on an "
                "upgraded copy; the temporary folder {folder} has {free} free and the copy needs {need}."
            ).format(revision=revision, folder=room, free=_mb(free), need=_mb(need)),
            _(HINT),
        )
    folder = Path(tempfile.mkdtemp(prefix="counter-audit-"))  # mode 0700: the copy is the owner's only
    try:
        try:
            _copy(path, folder / DB_FILENAME)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                _("The store could not be copied to {folder} to be checked ({error}).").format(folder=room, error=exc),
                _(HINT),
            ) from exc
        yield folder, revision
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: what to do when the copy cannot be made
HINT = N_(
    "Nothing was changed. Free space in that folder, or set TMPDIR to a folder on a disk with room, "
    "then run the command again."
)


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(target)
        try:
            src.backup(dest)
        finally:
            dest.close()
    finally:
        src.close()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"
