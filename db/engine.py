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
``quick_check``, checks that it belongs to this installation's key and that none of its
protective triggers was dropped, and keys any plain PIN verifier.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.exc import DatabaseError, OperationalError

from counter.carddata import CardDataRefused, contains_card_data
from counter.errors import StoreError
from counter.users import PinHasher
from db import schema as s
from db.guards import missing_triggers
from db.keys import InstallationSecret, load_secret

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
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()
        if secret is not None:
            install_functions(dbapi_connection, secret)

    begin_sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin_sql)

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
    service or import it came from (counter/carddata.py says what card data is)."""
    if parameters and contains_card_data(parameters):
        raise CardDataRefused(
            "That looks like a payment card number, and Counter never stores one; nothing was recorded.",
            "Take card payments on the card terminal and type only the last 4 digits. Remove the number and try again.",
        )


@dataclass
class Database:
    path: Path
    write: Engine
    read: Engine
    secret: InstallationSecret | None  # None only for an audit without the store's key

    def require_secret(self) -> InstallationSecret:
        if self.secret is None:
            raise StoreError("This store was opened without its installation key.", "Open it with Counter itself.")
        return self.secret

    def dispose(self) -> None:
        self.write.dispose()
        self.read.dispose()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migrate(engine: Engine) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def quick_check(engine: Engine) -> None:
    """Refuse to sell on a damaged file: ``PRAGMA quick_check`` must say ok."""
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    except DatabaseError as exc:
        raise _corrupt(str(exc.orig)) from exc
    if rows != ["ok"]:
        raise _corrupt("; ".join(rows[:3]))


def _corrupt(detail: str) -> StoreError:
    return StoreError(
        f"The store's database is damaged and cannot be used ({detail}).",
        "Do not sell on this terminal. Follow 'Recovering a damaged store' in the README.",
    )


def open_database(
    data_dir: Path,
    *,
    create: bool = True,
    durable: bool = True,
    secret: InstallationSecret | None = None,
    audit: bool = False,
) -> Database:
    """Open (and migrate) the store in ``data_dir``; StoreError with a clear message if
    the directory or file cannot be used. ``durable=False`` (synchronous=OFF) is only for
    bulk builds such as the demo store, never for selling. ``secret`` defaults to the
    installation key (db/keys.py). ``audit=True`` is for ``counter journal verify`` and
    export: it opens a store whose protective triggers were dropped (to report on it),
    never creates a key, writes nothing beyond migrations, and works without the key
    (``Database.secret`` is then None and seals cannot be checked)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Cannot use the data folder {data_dir}: {exc.strerror}.", "Choose another --data-dir."
        ) from exc
    path = data_dir / DB_FILENAME
    if not path.exists() and not create:
        raise StoreError(f"There is no store in {data_dir}.", "Run `counter init-demo --data-dir DIR` first.")
    if audit and secret is None:
        secret = _audit_secret(path)
    elif secret is None:
        secret = load_secret()
    write = _make_engine(path, immediate=True, synchronous="FULL" if durable else "OFF", secret=secret)
    read = _make_engine(path, immediate=False)
    try:
        quick_check(write)
        migrate(write)
        if not audit:
            assert secret is not None
            _check_key(write, secret)
            _key_pin_verifiers(write, secret)
            _check_guards(write)
    except OperationalError as exc:
        write.dispose()
        read.dispose()
        raise StoreError(
            f"Cannot open the store's database: {exc.orig}.", "Check the disk and the folder's permissions."
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
                f"This store was set up with another installation key than {secret.path}.",
                "Restore that store's secret.key from your backup (see 'Recovering a damaged store' in the README); "
                "without it nobody can sign in and the journal's seal cannot be checked.",
            )


def _key_pin_verifiers(engine: Engine, secret: InstallationSecret) -> None:
    """Plain argon2id verifiers (an older store, users pulled from HQ) are keyed at once;
    no PIN is needed for that (counter/users.py)."""
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
            f"The store's protections were removed outside Counter ({', '.join(missing[:3])}"
            f"{' and more' if len(missing) > 3 else ''} missing): its records may have been changed.",
            "Do not sell on this terminal. Run `counter journal verify` and call the administrator; "
            "see 'Recovering a damaged store' in the README.",
        )
