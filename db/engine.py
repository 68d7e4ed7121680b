"""Opening the local store: SQLite engines with the pragmas Counter relies on, and
migrations at start-up.

Two engines over one file:

* the **write engine** starts every transaction with ``BEGIN IMMEDIATE`` so that a unit of
  work holds the write lock from its first read (no lost update between reading the last
  journal hash and appending the next entry), and commits with ``synchronous=FULL``;
* the **read engine** uses plain deferred transactions for queries (catalog look-ups,
  lists), which WAL lets run beside the writer.

Trust (docs/trust.md): the write engine registers ``counter_seal`` (the seal of journal
entries and heads, keyed with the installation secret of db/keys.py) and refuses, before any
statement runs, parameters that hold payment card data. Opening a store checks it with
``quick_check`` (except the app's start, which runs ``IntegrityCheck`` behind the sign-in
screen: it reads the whole file), checks that it belongs to this installation's key and
that none of its protective triggers was dropped, and keys any plain PIN verifier.

The write engine never checkpoints the WAL inside a commit (``wal_autocheckpoint=0``);
``Checkpointer`` does it between sales (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.exc import DatabaseError, OperationalError

from counter.errors import StoreError
from counter.i18n import _
from counter.people.users import PinHasher
from counter.trust.carddata import CardDataRefused, has_card_data
from db import schema as s
from db.credentials import create_private, move_token_out, protect_store_file
from db.guards import missing_triggers
from db.keys import InstallationSecret, load_secret
from db.upgrade import prepare_migration, record_upgrade, script_revisions
from db.write_waiters import BUSY_TIMEOUT, WriteWaiters, begin_asking

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DB_FILENAME = "counter.sqlite3"


def _make_engine(
    path: Path, *, immediate: bool, synchronous: str = "FULL", secret: InstallationSecret | None = None
) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Autocommit at the driver level: the "begin" event below issues BEGIN itself,
        # which is SQLAlchemy's documented way to get BEGIN IMMEDIATE with pysqlite.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
        if immediate:
            # No checkpoint inside a commit (it cost the commit that crossed 1,000 WAL pages
            # 5-8 ms): the Checkpointer moves the WAL into the file between sales.
            cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cur.close()
        if secret is not None:
            install_functions(dbapi_connection, secret)

    begin_sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"
    waiting = WriteWaiters()
    engine.write_waiters = waiting  # type: ignore[attr-defined]

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:  # a write lock asked for every 2 ms (db/write_waiters.py)
        begin_asking(conn.connection.driver_connection, begin_sql, waiting)

    if immediate:
        event.listen(engine, "before_cursor_execute", _refuse_card_data)
    return engine


def install_functions(dbapi_connection: sqlite3.Connection, secret: InstallationSecret) -> None:
    """The SQL functions the journal's triggers call. A raw sqlite3 connection that
    appends to the journal (a bulk loader, a benchmark) installs them too and writes the
    ``seal`` column as ``counter_seal(terminal_id, seq, hash)`` (the head's trigger calls
    ``counter_head_seal``); without them SQLite
    refuses the insert ("no such function"), which is the point (docs/trust.md)."""
    dbapi_connection.create_function("counter_seal", 3, secret.seal, deterministic=True)
    dbapi_connection.create_function("counter_head_seal", 3, secret.head_seal, deterministic=True)


def _refuse_card_data(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    """The last line: no statement of the write engine stores card data, whichever screen,
    service or import it came from (counter/trust/carddata.py says what card data is)."""
    if parameters and any(has_card_data(text) for text in texts_that_may_hold_card_data(parameters)):
        raise CardDataRefused(
            _("That looks like a payment card number, and Counter never stores one; nothing was recorded."),
            _(
                "Take card payments on the card terminal and type only the last 4 digits. "
                "Remove the number and try again."
            ),
        )


def _shape_table() -> bytes:
    table = bytearray(b"." * 256)  # other characters, and every byte of a non-ASCII one
    for ch in b"0123456789":
        table[ch] = ord("0")
    table[ord(" ")] = table[ord("-")] = ord("-")  # the separators counter.trust.carddata allows
    for ch in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
        table[ch] = ord("a")
    return bytes(table)


#: Text reduced to its shape, byte for byte in C: a digit is "0", a space or dash "-", an
#: ASCII letter "a", anything else "." (a non-ASCII letter counts as "not alphanumeric",
#: which only lets more text through to the full check).
_SHAPE = _shape_table()
_THIRTEEN_DIGITS = b"0" * 13
_GROUP_START = b"0000-000"
_SEPARATOR = "\x00"  # joins the texts of a statement: "." in the shape, so no run crosses it
_NOT_TEXT = frozenset({int, float, bool, type(None), bytes})


def _shape_may_hold_card_data(shape: bytes) -> bool:
    """A necessary condition for ``counter.trust.carddata.has_card_data`` on the shape of a text.

    What that check finds is (a) a stripe track or a card number without separators: 13
    digits in a row; or (b) a card number in groups, which it takes only as cards print
    them: not after a letter or digit, a first group of exactly 4 digits, every group 3-6
    digits, single spaces or dashes between, 13-19 digits. (a) is one substring search; (b)
    starts with ``0000-000`` in the shape, which UUIDs and dates also hold, so the groups
    after each such start are walked (rare, and a few steps)."""
    if _THIRTEEN_DIGITS in shape:
        return True
    start = shape.find(_GROUP_START)
    while start != -1:
        if start == 0 or shape[start - 1] not in b"0a":
            digits, pos, size_of_shape = 0, start, len(shape)
            while True:
                end = pos
                while end < size_of_shape and shape[end] == 48:  # "0"
                    end += 1
                if not 3 <= end - pos <= 6:
                    break
                digits += end - pos
                if digits >= 13:
                    if digits <= 19:
                        return True
                    break
                if end >= size_of_shape or shape[end] != 45:  # "-"
                    break
                pos = end + 1
        start = shape.find(_GROUP_START, start + 1)
    return False


def text_may_hold_card_data(text: str) -> bool:
    return _shape_may_hold_card_data(text.encode("utf-8", "surrogatepass").translate(_SHAPE))


def _gather_texts(values: Any, out: list[str]) -> None:
    """Every str in ``values`` (a list or tuple), in dict values, lists and tuples inside it:
    what ``contains_card_data`` looks at."""
    for value in values:
        kind = type(value)
        if kind is str:
            out.append(value)
        elif kind in _NOT_TEXT:
            continue
        elif isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            _gather_texts(value.values(), out)
        elif isinstance(value, list | tuple):
            _gather_texts(value, out)


def texts_that_may_hold_card_data(value: Any) -> list[str]:
    """The strings of a statement's parameters (one row, or the rows of an executemany)
    that may hold card data; ``has_card_data`` is false for every other one. The shapes of
    all the strings joined answer for most statements (none) with a translate and a few
    substring searches in C: a regular expression over a sale's journal body (~3 KB) took
    70-110 us a statement."""
    if isinstance(value, str):
        texts = [value]
    elif isinstance(value, dict):
        texts = []
        _gather_texts(value.values(), texts)
    elif isinstance(value, list | tuple):
        texts = []
        _gather_texts(value, texts)
    else:
        return []
    if not texts or not text_may_hold_card_data(_SEPARATOR.join(texts)):
        return []
    return [text for text in texts if text_may_hold_card_data(text)]


def may_hold_card_data(value: Any) -> bool:
    """A quick necessary condition for ``contains_card_data``: the guard above runs on every
    parameter of every statement (~0.6 ms of a 10-line sale before this test)."""
    return bool(texts_that_may_hold_card_data(value))


WAL_SIZE_LIMIT = 8 * 1024 * 1024  # the WAL file is cut back to this when it is reset


class Checkpointer:
    """Moves the write-ahead log into the database file *between* sales.

    The write engine runs with ``wal_autocheckpoint=0``, so no commit pays for a checkpoint.
    This daemon thread runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own connection once
    the store has been quiet for ``idle`` seconds after a commit (PASSIVE takes no lock a
    sale needs; with nobody writing it copies the whole WAL, and the next commit starts the
    WAL again from its beginning), and ``Database.dispose`` runs a last one. If commits
    never pause for ``max_commits`` commits, or the WAL file grows past ``max_wal_bytes``
    (a bulk load, a first catalog pull of big transactions), it runs
    ``wal_checkpoint(RESTART)`` instead, which makes writers wait while it copies (what
    SQLite's automatic checkpoint did inside a commit) so that the WAL restarts: the WAL
    stays bounded whoever writes (the app, a CLI command, the sync worker). SQLite keeps
    checkpoints crash-safe; one that could not copy everything (a reader held an old
    snapshot) is tried again at the next poll."""

    def __init__(
        self,
        path: Path,
        *,
        idle: float = 1.5,
        max_commits: int = 300,
        max_wal_bytes: int = 64 * 1024 * 1024,
        poll: float = 0.5,
    ) -> None:
        self.path, self.idle, self.max_commits, self.poll = path, idle, max_commits, poll
        self.max_wal_bytes = max_wal_bytes
        self._lock = threading.Lock()
        self._pending = 0
        self._last_commit = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0  # checkpoints done, for tests and benchmarks

    def note_commit(self) -> None:
        with self._lock:
            self._pending += 1
            self._last_commit = time.monotonic()
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
                self._thread.start()

    def _wal_too_big(self) -> bool:
        try:
            return (self.path.parent / (self.path.name + "-wal")).stat().st_size > self.max_wal_bytes
        except OSError:
            return False

    def due(self) -> bool:
        with self._lock:
            quiet = time.monotonic() - self._last_commit >= self.idle
            pending, many = self._pending, self._pending >= self.max_commits
        return pending > 0 and (quiet or many or self._wal_too_big())

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            if self.due():
                self.checkpoint()

    def checkpoint(self) -> tuple[int, int, int] | None:
        """One checkpoint now (any thread): (busy, WAL frames, frames copied), or None if
        the file could not be opened. PASSIVE, or RESTART after ``max_commits`` commits or
        with a WAL past ``max_wal_bytes``."""
        with self._lock:
            pending, self._pending = self._pending, 0
        mode = "RESTART" if pending >= self.max_commits or self._wal_too_big() else "PASSIVE"
        try:
            uri = f"{self.path.resolve().as_uri()}?mode=rw"  # never creates a file that is not there any more
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=0.25)
        except sqlite3.Error:
            return None
        try:
            busy, frames, copied = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed: %s", exc)
            busy, frames, copied = 1, -1, -1
        finally:
            conn.close()
        self.runs += 1
        if busy or copied < frames:
            with self._lock:  # not all copied (an open read snapshot): again at the next poll
                self._pending += max(pending, 1)
        return int(busy), int(frames), int(copied)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout=10)


@dataclass
class Database:
    path: Path
    write: Engine
    read: Engine
    secret: InstallationSecret | None  # None only for an audit without the store's key
    checkpointer: Checkpointer = field(init=False)

    def __post_init__(self) -> None:
        self.checkpointer = Checkpointer(self.path)
        event.listen(self.write, "commit", lambda _conn: self.checkpointer.note_commit())

    def require_secret(self) -> InstallationSecret:
        if self.secret is None:
            raise StoreError(
                _("This store was opened without its installation key."), _("Open it with Counter itself.")
            )
        return self.secret

    def dispose(self) -> None:
        self.checkpointer.stop()
        self.write.dispose()
        self.read.dispose()
        self.checkpointer.checkpoint()  # at close: the WAL into the file


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The head as Alembic computes it (imports Alembic: tests and tools)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def script_head() -> str | None:
    """The head revision read straight from the migration files (``revision`` and
    ``down_revision`` of each, a linear history), without importing Alembic (~330 ms of a
    start); None if the files do not make one clear head. tests/db/test_perf_paths.py checks
    it against Alembic's ``head_revision``."""
    revisions = script_revisions(MIGRATIONS / "versions")
    heads = set(revisions) - {parent for parent in revisions.values() if parent}
    return heads.pop() if len(heads) == 1 else None


def migrate(engine: Engine) -> None:
    """Upgrade to the head; a store already there is seen with one SELECT, without
    loading Alembic at all. A store behind is copied first, and a store newer than this
    app refused, untouched (db/upgrade.py, docs/upgrades.md)."""
    head = script_head()
    try:
        with engine.connect() as conn:
            current = [r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()]
    except OperationalError:  # no alembic_version yet: a new store
        current = []
    if head is not None and current == [head]:
        return
    head = head or head_revision()
    assert head is not None, "the migrations make one head"
    prepare_migration(engine, current, head)
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        record_upgrade(conn, head)


def quick_check(engine: Engine) -> None:
    """Refuse to sell on a damaged file: ``PRAGMA quick_check`` must say ok."""
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    except DatabaseError as exc:
        raise _corrupt(str(exc.orig)) from exc
    if rows != ["ok"]:
        raise _corrupt("; ".join(rows[:3]))


class IntegrityCheck:
    """``PRAGMA quick_check`` of a store on its own read-only connection, for a thread of
    its own: the app shows the sign-in screen first and runs this behind it (on a store of
    10 GB it reads the whole file: ~18 s). ``run`` returns None when the file is sound, else
    the StoreError to show (what happened, what to do); ``cancel`` (any thread) stops it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._cancelled = False
        self._lock = threading.Lock()

    def run(self) -> StoreError | None:
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            return self._damaged(str(exc))
        with self._lock:
            if self._cancelled:
                conn.close()
                return None
            self._conn = conn
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            return None if self._cancelled else self._damaged(str(exc))
        finally:
            with self._lock:
                self._conn = None
            conn.close()
        return None if rows == ["ok"] else self._damaged("; ".join(rows[:10]))

    def _damaged(self, detail: str) -> StoreError:
        log.error("integrity check of %s: %s", self.path, detail)  # SQLite's words go to the log
        return StoreError(
            _("The store's database is damaged: the integrity check found errors in it (details in logs/counter.log)."),
            _("Do not sell on this terminal. Follow 'Recovering a damaged store' in the README."),
        )

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._conn is not None:
                self._conn.interrupt()


def _corrupt(detail: str) -> StoreError:
    return StoreError(
        _("The store's database is damaged and cannot be used ({detail}).").format(detail=detail),
        _("Do not sell on this terminal. Follow 'Recovering a damaged store' in the README."),
    )


def open_database(
    data_dir: Path,
    *,
    create: bool = True,
    durable: bool = True,
    secret: InstallationSecret | None = None,
    audit: bool = False,
    check: bool = True,
) -> Database:
    """Open (and migrate) the store in ``data_dir``; StoreError with a clear message if
    the directory or file cannot be used. ``durable=False`` (synchronous=OFF) is only for
    bulk builds such as the demo store, never for selling. ``secret`` defaults to the
    installation key (db/keys.py). ``audit=True`` is for ``counter journal verify`` and
    export: it opens a store whose protective triggers were dropped (to report on it),
    never creates a key, writes nothing beyond migrations (the commands give it an upgraded
    copy of an older store, db/audit_copy.py), and works without the key
    (``Database.secret`` is then None and seals cannot be checked). ``check=False`` leaves
    out ``PRAGMA quick_check`` (it reads the whole file): the app runs it behind the
    sign-in screen with IntegrityCheck instead (ui/trust/startup_check.py)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            _("Cannot use the data folder {folder}: {error}.").format(folder=data_dir, error=exc.strerror),
            _("Choose another --data-dir."),
        ) from exc
    path = data_dir / DB_FILENAME
    if not path.exists() and not create:
        raise StoreError(
            _("There is no store in {folder}.").format(folder=data_dir),
            _("Run `counter init-demo --data-dir DIR` first."),
        )
    if audit and secret is None:
        secret = _audit_secret(path)
    elif secret is None:
        secret = load_secret()
    if not audit:  # the store and its WAL are the owner's only (db/credentials.py)
        create_private(path)
        protect_store_file(path)
    write = _make_engine(path, immediate=True, synchronous="FULL" if durable else "OFF", secret=secret)
    read = _make_engine(path, immediate=False)
    try:
        if check:
            quick_check(write)
        migrate(write)
        if not audit:
            assert secret is not None
            _check_key(write, secret)
            _key_pin_verifiers(write, secret)
            _check_guards(write)
            move_token_out(write, data_dir)
    except OperationalError as exc:
        write.dispose()
        read.dispose()
        raise StoreError(
            _("Cannot open the store's database: {error}.").format(error=exc.orig),
            _("Check the disk and the folder's permissions."),
        ) from exc
    except (StoreError, DatabaseError) as exc:
        write.dispose()
        read.dispose()
        if isinstance(exc, StoreError):
            raise
        raise _corrupt(str(exc.orig)) from exc
    return Database(path, write, read, secret)


KEY_SETTING = "installation_key_id"


def _audit_secret(path: Path) -> InstallationSecret | None:
    """The installation key if it is there and is this store's; else None (no seals)."""
    try:
        secret = load_secret(create=False)
    except StoreError:
        return None
    if not path.exists():
        return secret
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (KEY_SETTING,)).fetchone()
    except sqlite3.Error:
        return secret
    return secret if row is None or json.loads(row[0]) == secret.key_id else None


def _check_key(engine: Engine, secret: InstallationSecret) -> None:
    """A store belongs to the installation key it was first opened with: its PINs and
    its journal seals are keyed with it. Another key means a lost or swapped key file."""
    with engine.begin() as conn:
        row = conn.execute(select(s.settings.c.value).where(s.settings.c.key == KEY_SETTING)).first()
        if row is None:
            conn.execute(s.settings.insert().values(key=KEY_SETTING, value=json.dumps(secret.key_id)))
        elif json.loads(row[0]) != secret.key_id:
            raise StoreError(
                _("This store was set up with another installation key than {path}.").format(path=secret.path),
                _(
                    "Restore that store's secret.key from your backup (see 'Recovering a damaged store' in the "
                    "README); without it nobody can sign in and the journal's seal cannot be checked."
                ),
            )


def _key_pin_verifiers(engine: Engine, secret: InstallationSecret) -> None:
    """Plain argon2id verifiers (an older store, users pulled from HQ) are keyed at once;
    no PIN is needed for that (counter/people/users.py)."""
    hasher = PinHasher(key=pin_key(secret))
    with engine.begin() as conn:
        rows = conn.execute(select(s.users.c.id, s.users.c.pin_hash).where(s.users.c.pin_hash.like("$argon2id$%")))
        for user_id, pin_hash in rows.all():
            conn.execute(update(s.users).where(s.users.c.id == user_id).values(pin_hash=hasher.wrap(pin_hash)))


def pin_key(secret: InstallationSecret) -> bytes:
    return secret.subkey("pin")


def badge_key(secret: InstallationSecret) -> bytes:
    return secret.subkey("badge")


def _check_guards(engine: Engine) -> None:
    with engine.connect() as conn:
        missing = missing_triggers(conn)
    if missing:
        raise StoreError(
            (
                _(
                    "The store's protections were removed outside Counter ({names} and more missing): "
                    "its records may have been changed."
                )
                if len(missing) > 3
                else _(
                    "The store's protections were removed outside Counter ({names} missing): "
                    "its records may have been changed."
                )
            ).format(names=", ".join(missing[:3])),
            _(
                "Do not sell on this terminal. Run `counter journal verify` and call the administrator; "
                "see 'Recovering a damaged store' in the README."
            ),
        )
