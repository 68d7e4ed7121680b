"""Backups of the lane's store (issue #19, point 3; docs/backup.md).

``backup_store`` copies the live store with SQLite's online backup API
(``sqlite3.Connection.backup``: one step, inside one read transaction, so the copy is the
store as of one commit, WAL included, while sales go on) into a hidden ``.partial`` file in
the target folder, makes the copy a self-contained file (rollback journal, no ``-wal``),
checks it (``PRAGMA integrity_check``, then the journal verify of ``counter journal
verify``, db/audit.py, on the copy), and only then renames it into place with its manifest
beside it (``NAME.sqlite3`` + ``NAME.manifest.json``). A backup without its manifest is not
finished. Older generations of the same lane in that folder are removed past ``keep``;
the newest backup that passed its check is never removed, and a removed backup that had
failed its check is said.

This module does not import db/engine.py: engine's migration takes a backup first
(reason ``pre-migration``) through ``backup_store``. Before a migration the copy is at an
older schema than this app's audit reads, so its journal verify is left to the restore
(which migrates, then verifies); the integrity check still runs.

Any thread; nothing here touches Qt. Every failure is a ``BackupError`` (what happened,
what to do), and nothing of a failed backup is left in the folder but what is said.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

from counter.errors import CounterError
from counter.i18n import _, ngettext
from counter.journal import utc_stamp
from db.apart import run_apart
from db.audit import audit_store
from db.keys import InstallationSecret, load_secret

log = logging.getLogger(__name__)

FORMAT = "counter-backup/1"
SUFFIX = ".sqlite3"
MANIFEST_SUFFIX = ".manifest.json"
REASONS = ("manual", "z-report", "schedule", "pre-migration")
DEFAULT_KEEP = 14
KEY_SETTING = "installation_key_id"  # as db/engine.py's (not imported from there: see the module docstring)
STORE_FILE = "counter.sqlite3"
#: room asked for beyond the store's own size before a backup starts (the manifest, slack)
MARGIN_BYTES = 256 * 1024
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


class BackupError(CounterError):
    """A backup that could not be made, read or checked."""


@dataclass(frozen=True)
class Check:
    """What checking a backup found: ``lines`` say each check and its outcome."""

    ok: bool
    lines: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "lines": self.lines, "checked_at": utc_stamp(datetime.now(UTC))}


@dataclass(frozen=True)
class Backup:
    """A finished backup in a folder: the store file and what its manifest says."""

    path: Path
    manifest: dict[str, Any]

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.path)

    @property
    def created_at(self) -> str:
        return str(self.manifest.get("created_at", ""))

    @property
    def reason(self) -> str:
        return str(self.manifest.get("reason", ""))

    @property
    def size(self) -> int:
        return int(self.manifest.get("size", 0))

    @property
    def checked_ok(self) -> bool:
        return bool(self.manifest.get("check", {}).get("ok"))

    @property
    def lane(self) -> tuple[str, str]:
        return str(self.manifest.get("store_id", "")), str(self.manifest.get("terminal_id", ""))

    @property
    def heads(self) -> dict[str, dict[str, Any]]:
        return dict(self.manifest.get("heads", {}))

    def describe_heads(self) -> str:
        heads = [_("{terminal} at {seq}").format(terminal=t, seq=h.get("seq")) for t, h in sorted(self.heads.items())]
        return ", ".join(heads) or _("empty journal")


@dataclass(frozen=True)
class BackupResult:
    backup: Backup
    check: Check
    removed: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.check.ok

    def lines(self) -> list[str]:
        b = self.backup
        good = _("Backup {path} ({size}, {reason}, journal {heads}): checked OK.")
        bad = _("Backup {path} ({size}, {reason}, journal {heads}): its check FAILED:")
        out = [
            (good if self.ok else bad).format(path=b.path, size=_mb(b.size), reason=b.reason, heads=b.describe_heads())
        ]
        if not self.ok:
            out += [f"  {line}" for line in self.check.lines if not line.startswith("OK")]
            out.append(
                "  "
                + _(
                    "The backup was kept, marked as failed; the store itself may be damaged: "
                    "run `counter journal verify`."
                )
            )
        out += self.notes
        if self.removed:
            said = ngettext(
                "Removed {n} older backup(s) beyond the {kept} kept.",
                "Removed {n} older backup(s) beyond the {kept} kept.",
                len(self.removed),
            )
            out.append(said.format(n=len(self.removed), kept=_generations(self)))
        return out


def _generations(result: BackupResult) -> str:
    return str(result.backup.manifest.get("keep", DEFAULT_KEEP))


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name.removesuffix(SUFFIX) + MANIFEST_SUFFIX)


def _mb(size: int) -> str:
    return _("{megabytes} MB").format(megabytes=f"{size / 1_000_000:.1f}")


# ------------------------------------------------------------------------ making one


def backup_store(
    db_path: Path,
    folder: Path,
    reason: str,
    *,
    keep: int = DEFAULT_KEEP,
    secret: InstallationSecret | None = None,
    app_version: str = "unknown",
    now: datetime | None = None,
) -> BackupResult:
    """Back up the store file ``db_path`` into ``folder`` (which must exist: a missing USB
    drive is said, never replaced by a folder on the main disk), check it, and keep
    ``keep`` generations of this lane there. ``secret`` (default: the installation key, if
    it is this store's) lets the check verify the journal's seals. BackupError when the
    folder is missing, read-only or full, or the store cannot be read; the store itself is
    only read."""
    if reason not in REASONS:
        raise BackupError(f"Unknown backup reason {reason!r}.", f"Use one of {', '.join(REASONS)}.")
    if not db_path.is_file():
        raise BackupError(_("There is no store at {path} to back up.").format(path=db_path), _("Check --data-dir."))
    _check_folder(folder, _store_size(db_path))
    when = now or datetime.now(UTC)
    partial = folder / f".counter-backup-{os.getpid()}-{when:%Y%m%dT%H%M%S%f}.partial"
    try:
        _copy(db_path, partial)
        meta = read_meta(partial)
        key_id = meta["key_id"]
        check = run_apart(check_file, partial, _secret_for(key_id, secret), reason=reason)  # (db/apart.py)
        name = backup_name(meta["store_id"], meta["terminal_id"], when, reason)
        final = folder / name
        n = 1
        while final.exists() or manifest_path(final).exists():
            n += 1
            final = folder / name.replace(SUFFIX, f"-{n}{SUFFIX}")
        digest, size = file_digest(partial)
        manifest = {
            "format": FORMAT,
            "file": final.name,
            "created_at": utc_stamp(when),
            "reason": reason,
            "app_version": app_version,
            "schema_revision": meta["schema_revision"],
            "store_id": meta["store_id"],
            "terminal_id": meta["terminal_id"],
            "heads": meta["heads"],
            "key_id": key_id,
            "sha256": digest,
            "size": size,
            "keep": keep,
            "check": check.to_json(),
        }
        _fsync(partial)
        os.replace(partial, final)
        _write_manifest(final, manifest)
        _fsync_dir(folder)
    except OSError as exc:
        _discard(partial)
        raise _folder_error(folder, exc) from None
    except BaseException:
        _discard(partial)
        raise
    backup = Backup(final, manifest)
    log.info("backup %s (%s): %s", final, reason, "checked OK" if check.ok else "check FAILED")
    removed, notes = rotate(folder, backup.lane, keep)
    return BackupResult(backup, check, removed, notes)


def backup_name(store_id: str, terminal_id: str, when: datetime, reason: str) -> str:
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"counter-{_SAFE.sub('_', store_id)}-{_SAFE.sub('_', terminal_id)}-{stamp}-{reason}{SUFFIX}"


def _store_size(db_path: Path) -> int:
    size = db_path.stat().st_size
    wal = db_path.with_name(db_path.name + "-wal")
    with contextlib.suppress(OSError):
        size += wal.stat().st_size
    return size


def _check_folder(folder: Path, needed: int) -> None:
    if not folder.exists():
        raise BackupError(
            _(
                "The backup folder {folder} is missing (is the USB drive plugged in, the share mounted?). "
                "No backup was made; the store is untouched."
            ).format(folder=folder),
            _("Plug in the drive or mount the share, or choose another folder (backup_dir in counter.toml, or --to)."),
        )
    if not folder.is_dir():
        raise BackupError(
            _("The backup folder {folder} is not a folder. No backup was made; the store is untouched.").format(
                folder=folder
            ),
            _("Choose a folder (backup_dir in counter.toml, or --to)."),
        )
    probe = folder / f".counter-backup-probe-{os.getpid()}"
    try:  # a real write says read-only (a mount, a write-protected stick, permissions) as root too
        probe.write_bytes(b"")
        probe.unlink()
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        raise _folder_error(folder, exc) from None
    if free < needed + MARGIN_BYTES:
        raise BackupError(
            _(
                "The backup folder {folder} is full: {free} free, and the backup needs about {needed}. "
                "No backup was made; the store is untouched."
            ).format(folder=folder, free=_mb(free), needed=_mb(needed)),
            _("Make room there (older backups of other lanes, other files), or choose another folder."),
        )


def _folder_error(folder: Path, exc: OSError) -> BackupError:
    log.info("backup to %s failed: %s", folder, exc)  # the BackupError says it
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return BackupError(
            _(
                "The backup folder {folder} ran out of room while writing. No backup was made; the store is untouched."
            ).format(folder=folder),
            _("Make room there, or choose another folder (backup_dir in counter.toml, or --to)."),
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return BackupError(
            _(
                "The backup folder {folder} cannot be written to ({error}). No backup was made; the store is untouched."
            ).format(folder=folder, error=exc.strerror),
            _("Check that the drive is not write-protected and the folder's permissions, or choose another folder."),
        )
    return BackupError(
        _("The backup to {folder} failed ({error}). No backup was made; the store is untouched.").format(
            folder=folder, error=exc.strerror or exc
        ),
        _("Check the drive or share, or choose another folder."),
    )


def _copy(db_path: Path, target: Path) -> None:
    """The online backup: one step (``pages=-1``) inside one read transaction of the source,
    which WAL lets run beside a writer; then the copy leaves WAL mode so that it is one file."""
    try:
        # mode=rw: never creates a store that is not there; the source is only read.
        source = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=rw", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise BackupError(
            _("The store {path} cannot be opened for a backup ({error}).").format(path=db_path, error=exc),
            _("Check the data folder."),
        ) from None
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "full" in text:
            raise OSError(errno.ENOSPC, "No space left on device") from None
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            raise OSError(errno.EACCES, "Permission denied") from None
        raise BackupError(
            _("The store could not be copied ({error}).").format(error=exc),
            _("Try again; if it persists, see docs/backup.md."),
        ) from None
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            _("The store could not be copied: it is damaged ({error}). No backup was made.").format(error=exc),
            _("Do not sell on this terminal; restore the newest good backup (docs/backup.md)."),
        ) from None
    finally:
        source.close()


def _discard(partial: Path) -> None:
    for path in (partial, partial.with_name(partial.name + "-journal")):
        with contextlib.suppress(OSError):
            path.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        _fsync(folder)


def _write_manifest(backup: Path, manifest: dict[str, Any]) -> None:
    target = manifest_path(backup)
    tmp = target.with_name("." + target.name + ".partial")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError:
        _discard(tmp)
        with contextlib.suppress(OSError):
            backup.unlink()  # no manifest: not a backup; do not leave half of one
        raise


def file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# ------------------------------------------------------------------------ reading one


def open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that only reads ``path`` and leaves no file behind: a store closed
    cleanly (no ``-wal`` beside it) is opened immutable, so that reading it does not create
    a ``-wal`` and ``-shm``; with a ``-wal`` there, that log is read too (its commits are
    the store's)."""
    wal = path.with_name(path.name + "-wal")
    flags = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    return sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True)


def read_meta(path: Path) -> dict[str, Any]:
    """What a store file says of itself: its lane, key, schema revision and journal heads
    (read-only; BackupError if it is not a readable Counter store)."""
    try:
        conn = open_read_only(path)
    except sqlite3.Error as exc:
        raise BackupError(
            _("{path} cannot be opened ({error}).").format(path=path, error=exc), _("Give a Counter backup file.")
        ) from None
    try:
        settings = {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM settings")}
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        heads = {
            str(t): {"seq": int(seq), "hash": str(h)}
            for t, seq, h in conn.execute("SELECT terminal_id, seq, hash FROM journal_head ORDER BY terminal_id")
        }
        store_id = str(settings["store"]["id"])
        terminal_id = str(settings["terminal"]["id"])
    except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            _("{path} is not a Counter store, or it is damaged ({error}).").format(
                path=path, error=f"{type(exc).__name__}: {exc}"
            ),
            _("Give a backup that Counter made (counter backup list shows them)."),
        ) from None
    finally:
        conn.close()
    key_id = settings.get(KEY_SETTING)
    return {
        "store_id": store_id,
        "terminal_id": terminal_id,
        "key_id": str(key_id) if key_id else None,
        "schema_revision": revision[0] if revision else None,
        "heads": heads,
    }


def _secret_for(key_id: str | None, given: InstallationSecret | None) -> InstallationSecret | None:
    """The key that sealed the store, when this machine has it (seals are checked then)."""
    if given is not None:
        return given if key_id is None or given.key_id == key_id else None
    try:
        secret = load_secret(create=False)
    except CounterError:
        return None
    return secret if secret.key_id == key_id else None


def read_only_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _query_only(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only=ON")

    return engine


def check_file(path: Path, secret: InstallationSecret | None, *, reason: str = "") -> Check:
    """``PRAGMA integrity_check`` and the journal verify of ``counter journal verify`` on a
    store file that nobody writes (a backup, a copy about to be restored)."""
    lines: list[str] = []
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        rows = [str(exc)]
    if rows != ["ok"]:
        return Check(False, ["BAD: integrity check: " + "; ".join(rows[:5])])
    lines.append("OK: integrity check")
    if reason == "pre-migration":
        lines.append("NOTE: journal verify not run on an older schema (a restore migrates it, then verifies)")
        return Check(True, lines)
    engine = read_only_engine(path)
    try:
        audit = audit_store(engine, secret)
    except Exception as exc:  # an older or foreign schema: said, never a traceback
        log.exception("journal verify of %s failed to run", path)
        return Check(False, [*lines, f"BAD: journal verify could not run ({type(exc).__name__})"])
    finally:
        engine.dispose()
    lines += [f"journal: {line}" for line in audit.lines()]
    if secret is None:
        lines.append("NOTE: seals not checked: this machine does not hold the backup's installation key")
    return Check(audit.ok, lines)


def load_backup(path: Path) -> Backup:
    """A backup file and its manifest; BackupError if either is missing or not Counter's."""
    if path.is_dir():
        raise BackupError(
            _("{path} is a folder.").format(path=path),
            _("Give one backup file (counter backup list --in FOLDER shows them)."),
        )
    if path.name.endswith(MANIFEST_SUFFIX):
        path = path.with_name(path.name.removesuffix(MANIFEST_SUFFIX) + SUFFIX)
    if not path.is_file():
        raise BackupError(
            _("There is no backup at {path}.").format(path=path), _("Check the path (counter backup list --in FOLDER).")
        )
    try:
        manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            _("{path} has no manifest beside it ({manifest}): it is not a finished Counter backup.").format(
                path=path, manifest=manifest_path(path).name
            ),
            _("Give a backup that `counter backup list` shows."),
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(
            _("The manifest of {path} cannot be read ({error}).").format(path=path, error=exc),
            _("Give another backup."),
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            _("{path} is not a Counter backup (its manifest is not {format}).").format(path=path, format=FORMAT),
            _("Give another backup."),
        )
    return Backup(path, manifest)


def verify_backup(backup: Backup, secret: InstallationSecret | None = None, *, journal: bool = True) -> Check:
    """Check a backup again: the file is the one its manifest names (SHA-256, size), then
    the integrity check and the journal verify (not for a backup taken before a migration,
    nor with ``journal=False``: a store at an older schema is verified once migrated)."""
    try:
        digest, size = file_digest(backup.path)
    except OSError as exc:
        return Check(False, [f"BAD: the file cannot be read ({exc.strerror})"])
    if (digest, size) != (backup.manifest.get("sha256"), backup.manifest.get("size")):
        return Check(
            False,
            [
                f"BAD: the file is not the one its manifest describes (SHA-256 {digest[:12]}…, {size} bytes; "
                f"the manifest says {str(backup.manifest.get('sha256'))[:12]}…, {backup.manifest.get('size')} bytes): "
                "it was damaged or changed after it was made"
            ],
        )
    reason = backup.reason if journal else "pre-migration"
    check = check_file(backup.path, _secret_for(backup.manifest.get("key_id"), secret), reason=reason)
    return Check(check.ok, ["OK: SHA-256 and size as the manifest says", *check.lines])


def list_backups(folder: Path) -> list[Backup]:
    """The finished backups in ``folder``, newest first (files without a manifest are not)."""
    if not folder.is_dir():
        raise BackupError(
            _("The backup folder {folder} is missing.").format(folder=folder),
            _("Plug in the drive, or give --in FOLDER."),
        )
    found = []
    for path in folder.glob(f"counter-*{SUFFIX}"):
        with contextlib.suppress(BackupError):
            found.append(load_backup(path))
    return sorted(found, key=lambda b: (b.created_at, b.path.name), reverse=True)


def unfinished(folder: Path) -> list[Path]:
    """Store files without a manifest and partial copies (a backup interrupted)."""
    bare = [p for p in folder.glob(f"counter-*{SUFFIX}") if not manifest_path(p).exists()]
    return sorted(bare + list(folder.glob(".counter-backup-*.partial")))


def rotate(folder: Path, lane: tuple[str, str], keep: int) -> tuple[list[Path], list[str]]:
    """Keep the newest ``keep`` good backups of ``lane`` in ``folder`` (at least one); a
    backup that failed its check goes only once it is older than every good one kept, and
    that is said. Other lanes' backups (a shared folder) are left alone."""
    keep = max(1, keep)
    ours = [b for b in list_backups(folder) if b.lane == lane]
    good = [b for b in ours if b.checked_ok]
    kept_good = good[:keep]
    oldest_kept = kept_good[-1].created_at if kept_good else ""
    removed: list[Path] = []
    notes: list[str] = []
    for b in ours:
        if b in kept_good:
            continue
        if not b.checked_ok and (not kept_good or b.created_at >= oldest_kept):
            continue  # a failed backup newer than the good ones kept stays to be looked at
        try:
            b.manifest_path.unlink()
            b.path.unlink()
        except OSError as exc:
            notes.append(
                _("Could not remove the old backup {name} ({error}).").format(name=b.path.name, error=exc.strerror)
            )
            continue
        removed.append(b.path)
        if not b.checked_ok:
            notes.append(_("Removed the old backup {name}, which had FAILED its check.").format(name=b.path.name))
    return removed, notes
