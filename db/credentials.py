"""The lane's HQ token, kept out of the store's database, and the store file's permissions.

* The token HQ gave at enrolment is the file ``hq.token`` in the data folder, created
  with mode 0600 (``os.open``: never readable by another local user, not even for a
  moment), written to a temporary file and renamed into place. The database holds only
  where HQ is and how to trust it (``settings['sync']``), never the token: a copied or
  backed-up ``counter.sqlite3`` does not let anyone act as this lane.
* A store from before this (the token in ``settings['sync']``) has it moved out when it
  is opened (``move_token_out``): written to the file, then removed from the settings
  with ``secure_delete`` on, so the old bytes are overwritten in the file. Copies made
  before (backups) still hold it: revoke and re-enrol if they may have leaked.
* The database file (and its ``-wal``/``-shm``, which SQLite creates with the file's own
  mode) is created 0600 by Counter, and an existing one readable by group or others is
  tightened to 0600 on open, with a warning in the log (POSIX).

Any thread (each call opens and closes its own file).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

from sqlalchemy import Engine, text

from counter.errors import StoreError
from counter.i18n import _

log = logging.getLogger(__name__)

TOKEN_FILENAME = "hq.token"
SYNC_KEY = "sync"


def token_path(data_dir: Path) -> Path:
    return data_dir / TOKEN_FILENAME


def data_dir_of(engine: Engine) -> Path:
    """The folder of the store file an engine opens."""
    database = engine.url.database
    if not database:
        raise StoreError(_("This store has no file, so it has no HQ token file."), "")
    return Path(database).resolve().parent


def write_token(data_dir: Path, token: str) -> Path:
    """Keep ``token`` in ``hq.token`` (mode 0600), replacing any earlier one atomically."""
    path = token_path(data_dir)
    tmp = path.with_name(f".{TOKEN_FILENAME}.{os.getpid()}.tmp")
    try:
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(token.strip() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(
            _("Cannot keep the HQ token in {path} ({error}).").format(path=path, error=exc.strerror),
            _("Check the data folder's permissions."),
        ) from exc
    return path


def read_token(data_dir: Path) -> str | None:
    """The lane's HQ token, or None when there is no token file. A file readable by group
    or others is tightened to 0600 first (and said in the log)."""
    path = token_path(data_dir)
    if not path.exists():
        return None
    tighten(path, "the HQ token")
    try:
        token = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(
            _("The HQ token {path} cannot be read ({error}).").format(path=path, error=exc),
            _("Enrol this terminal again."),
        ) from None
    return token or None


def tighten(path: Path, what: str) -> None:
    """Group or others may not read ``path`` (POSIX): fix it and say so."""
    if os.name != "posix":
        return
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(path, stat.S_IMODE(mode) & 0o700)
            log.warning("%s %s was readable by other users; its permissions are now owner-only", what, path)
    except OSError:
        pass


def create_private(path: Path) -> None:
    """Create an empty file with mode 0600 if it does not exist yet (before SQLite opens
    it, so the store is never readable by others, not even for a moment)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(
            _("Cannot create the store {path} ({error}).").format(path=path, error=exc.strerror),
            _("Check the folder's permissions."),
        ) from exc
    os.close(fd)


def protect_store_file(path: Path) -> None:
    """The store's file and its WAL companions readable by the owner only."""
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists():
            tighten(candidate, "the store's database")


def move_token_out(engine: Engine, data_dir: Path) -> bool:
    """A clear token in ``settings['sync']`` (a store enrolled before the token file) goes
    to ``hq.token`` and out of the database. True when one was moved."""
    with engine.connect() as conn:
        row = conn.execute(text("SELECT value FROM settings WHERE key = :k"), {"k": SYNC_KEY}).first()
    if row is None:
        return False
    try:
        value = json.loads(row[0])
    except ValueError:
        return False
    if not isinstance(value, dict) or "token" not in value:
        return False
    token = str(value.pop("token") or "")
    if token and read_token(data_dir) is None:
        write_token(data_dir, token)
    # One raw connection, so that secure_delete is on for exactly this update (the old
    # bytes are overwritten, not left in free space) and the checkpoint runs outside any
    # transaction (the WAL's older frames go too; best effort if a reader holds them).
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert dbapi is not None
        dbapi.execute("PRAGMA secure_delete = ON")
        dbapi.execute("BEGIN IMMEDIATE")
        try:
            dbapi.execute("UPDATE settings SET value = ? WHERE key = ?", (json.dumps(value), SYNC_KEY))
            dbapi.execute("COMMIT")
        except BaseException:
            dbapi.execute("ROLLBACK")
            raise
        finally:
            dbapi.execute("PRAGMA secure_delete = OFF")
        dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    log.warning("moved this lane's HQ token out of the store's database into %s (mode 0600)", token_path(data_dir))
    return True
