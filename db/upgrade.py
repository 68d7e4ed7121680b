"""Upgrading a lane's store: what Counter checks and keeps before it runs a migration.

``db.engine.migrate`` calls ``prepare_migration`` whenever the store is not at this app's
head revision (a store already there costs one SELECT and never comes here):

* a store whose revision this app does not know was upgraded by a newer Counter: it is
  refused (``StoreError``), naming both versions and what to do, and nothing is touched;
  Alembic would otherwise stop with "Can't locate revision";
* a store behind the head (not a brand-new empty one) is first copied with SQLite's online
  backup to ``<data folder>/backups/pre-migration/counter-<from>-to-<to>-<UTC time>.sqlite3``
  and the copy must pass ``PRAGMA integrity_check``; if the copy cannot be made (no room,
  a folder that cannot be written, a damaged store) the migration is refused and the store
  stays as it was.

After a migration ``record_upgrade`` writes, in the migration's own transaction, which
Counter moved the store to which revision (``settings['counter_version']``), so that an
older Counter can name the version it would need. docs/upgrades.md tells the whole policy.

The pre-migration copy is deliberately small and self-contained here; the general backups
(generations, manifests, restore) are another module's, and may take this one over.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from counter.errors import StoreError
from counter.i18n import _
from db.app_version import app_version

log = logging.getLogger(__name__)

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"
PRE_MIGRATION_DIR = Path("backups") / "pre-migration"
VERSION_KEY = "counter_version"
#: room left on the disk beyond the copy itself (the copy's journal, the store's WAL growing)
SPARE_BYTES = 16 * 1024 * 1024
#: copies taken before earlier upgrades that are kept when another is taken (the new one
#: makes one more): on a store of 12 GB each is 12 GB, and a lane's disk must not fill up
#: with them one upgrade after another
KEEP_EARLIER_COPIES = 2
_COPY_NAME = re.compile(r"^counter-(?P<old>[^-]+)-to-(?P<new>[^-]+)-(?P<stamp>\d{8}T\d{12}Z)\.sqlite3$")

_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|None)", re.MULTILINE)


def script_revisions(versions: Path = VERSIONS) -> dict[str, str | None]:
    """Every revision this app's migration files hold, with the one it follows (None for
    the first), read straight from the files without importing Alembic."""
    out: dict[str, str | None] = {}
    for script in versions.glob("*.py"):
        found = {m[0]: m[1] or m[2] for m in _REVISION.findall(script.read_text(encoding="utf-8"))}
        if found.get("revision"):
            out[found["revision"]] = found.get("down_revision") or None
    return out


def prepare_migration(engine: Engine, current: list[str], head: str) -> Path | None:
    """Before upgrading the store of ``engine`` from ``current`` (its alembic_version rows;
    [] for a new store) to ``head``: refuse a store newer than this app, and copy a store
    that holds data. Returns the copy's path (None for a new store). StoreError, with the
    store untouched, when either cannot go on."""
    known = script_revisions()
    unknown = [rev for rev in current if rev not in known]
    if unknown:
        raise newer_store_error(unknown[0], head, upgraded_by(engine))
    if not current:
        return None
    database = engine.url.database
    assert database, "a store is a file"
    return backup_before_migration(Path(database), current[0], head)


def newer_store_error(revision: str, head: str, by: str | None) -> StoreError:
    """What a person reads when the store was upgraded by a newer Counter."""
    mine = app_version()
    if by:
        message = _(
            "This store was upgraded by Counter {by}: its database is at version {revision}, and this Counter "
            "({mine}) knows database versions up to {head} only. Nothing was changed."
        )
        hint = _(
            "Install Counter {by} or later on this terminal, or restore a backup made by Counter {mine} "
            "(the copy taken before that upgrade is in {folder} of the data folder; see docs/upgrades.md)."
        )
    else:
        message = _(
            "This store was upgraded by a newer Counter: its database is at version {revision}, and this Counter "
            "({mine}) knows database versions up to {head} only. Nothing was changed."
        )
        hint = _(
            "Install that newer Counter on this terminal, or restore a backup made by Counter {mine} "
            "(the copy taken before that upgrade is in {folder} of the data folder; see docs/upgrades.md)."
        )
    return StoreError(
        message.format(by=by, revision=revision, mine=mine, head=head),
        hint.format(by=by, mine=mine, folder=PRE_MIGRATION_DIR),
    )


def upgraded_by(engine: Engine) -> str | None:
    """The Counter version that last upgraded this store, if it recorded one."""
    try:
        with engine.connect() as conn:
            row = conn.exec_driver_sql("SELECT value FROM settings WHERE key = ?", (VERSION_KEY,)).first()
    except SQLAlchemyError:
        return None
    try:
        value = json.loads(row[0]) if row is not None else None
    except ValueError:
        return None
    return str(value["app"]) if isinstance(value, dict) and value.get("app") else None


def record_upgrade(conn: Connection, head: str) -> None:
    """Which Counter brought the store to ``head`` (inside the migration's transaction)."""
    value = json.dumps({"app": app_version(), "schema": head, "at": datetime.now(UTC).isoformat()})
    conn.exec_driver_sql(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (VERSION_KEY, value),
    )


def backup_before_migration(path: Path, from_rev: str, to_rev: str, *, now: datetime | None = None) -> Path:
    """Copy the store at ``path`` (WAL included, while it is open) with SQLite's online
    backup into ``backups/pre-migration`` beside it, named for the two revisions; the copy
    is a single file (rollback journal mode), owner-only, and passes ``PRAGMA
    integrity_check``. StoreError (and no copy left behind) when it cannot be made."""
    folder = path.parent / PRE_MIGRATION_DIR
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"counter-{from_rev}-to-{to_rev}-{stamp}.sqlite3"
    partial = target.with_name(target.name + ".partial")
    said = {"old": from_rev, "new": to_rev, "folder": folder}
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        prune_copies(folder, keep=KEEP_EARLIER_COPIES)  # before the free space is measured
        need = store_size(path) + SPARE_BYTES
        free = shutil.disk_usage(folder).free
        if free < need:
            raise StoreError(
                _(
                    "Counter must upgrade this store's database from version {old} to {new}, and first copies it "
                    "to {folder}; that disk has {free} free and the copy needs {need}."
                ).format(**said, free=size_text(free), need=size_text(need)),
                _("Nothing was changed. Free some space on that disk, then start Counter again."),
            )
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        os.close(fd)
        problems = _copy(path, partial)
        if problems:
            log.error("pre-migration copy of %s: integrity check: %s", path, "; ".join(problems[:10]))
            raise StoreError(
                _(
                    "Counter must upgrade this store's database from version {old} to {new}, and first copies it "
                    "to {folder}; the copy did not pass SQLite's integrity check, so the store itself may be damaged."
                ).format(**said),
                _(
                    "Nothing was changed. Do not sell on this terminal; "
                    "follow 'Recovering a damaged store' in the README."
                ),
            )
        os.replace(partial, target)
        _sync_folder(folder)
    except StoreError:
        partial.unlink(missing_ok=True)
        raise
    except (OSError, sqlite3.Error) as exc:
        _remove_quietly(partial)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise StoreError(
            _(
                "Counter must upgrade this store's database from version {old} to {new}, and first copies it "
                "to {folder}; the copy could not be made ({error})."
            ).format(**said, error=reason),
            _(
                "Nothing was changed. Make {folder} writable and free some space on its disk, then start Counter again."
            ).format(folder=folder),
        ) from exc
    log.info("copied the store before its migration %s -> %s: %s", from_rev, to_rev, target)
    return target


def pre_migration_copies(folder: Path) -> list[tuple[Path, str, str, str]]:
    """The copies taken before upgrades in ``folder`` (``backups/pre-migration``), newest
    first: (path, from revision, to revision, UTC stamp). Other files are not copies."""
    found = []
    for path in folder.glob("counter-*.sqlite3") if folder.is_dir() else ():
        match = _COPY_NAME.match(path.name)
        if match and path.is_file():
            found.append((path, match["old"], match["new"], match["stamp"]))
    return sorted(found, key=lambda copy: copy[3], reverse=True)


def prune_copies(folder: Path, *, keep: int) -> list[Path]:
    """Remove all but the ``keep`` newest copies in ``folder``; the removed ones (logged)."""
    removed = []
    for path, old, new, _stamp in pre_migration_copies(folder)[keep:]:
        try:
            path.unlink()
        except OSError as exc:  # kept: a copy that cannot be removed never stops an upgrade
            log.warning("could not remove the old pre-migration copy %s: %s", path, exc)
            continue
        log.info("removed the copy taken before the upgrade %s -> %s: %s", old, new, path)
        removed.append(path)
    return removed


@contextlib.contextmanager
def online_copy(source: Path, target: Path) -> Iterator[sqlite3.Connection]:
    """SQLite's online backup of the store ``source`` (read only, WAL included, while it may
    be open) into ``target``; yields the copy's connection, closed afterwards."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(target)
        try:
            src.backup(dest)
            yield dest
        finally:
            dest.close()
    finally:
        src.close()


def _copy(source: Path, target: Path) -> list[str]:
    """SQLite's online backup of ``source`` into ``target``; the copy's integrity check
    (["ok"] -> [])."""
    with online_copy(source, target) as dest:
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        rows = [str(r[0]) for r in dest.execute("PRAGMA integrity_check").fetchall()]
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())
    return [] if rows == ["ok"] else rows


def store_size(path: Path) -> int:
    """The store file's size with its WAL's."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def size_text(n: int) -> str:
    if n >= 1_048_576:
        return _("{megabytes} MB").format(megabytes=f"{n / 1_048_576:,.0f}")
    return _("{kilobytes} KB").format(kilobytes=f"{n / 1024:,.0f}")


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
