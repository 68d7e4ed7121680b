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

from db.engine import DB_FILENAME, script_head
from db.upgrade import script_revisions


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
    revision = behind(path) if path.exists() else None
    if revision is None:
        yield data_dir, None
        return
    folder = Path(tempfile.mkdtemp(prefix="counter-audit-"))  # mode 0700: the copy is the owner's only
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(folder / DB_FILENAME)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        yield folder, revision
    finally:
        shutil.rmtree(folder, ignore_errors=True)
