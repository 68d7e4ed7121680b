"""Opening the local store: SQLite engines with the pragmas Counter relies on, and
migrations at start-up.

Two engines over one file:

* the **write engine** starts every transaction with ``BEGIN IMMEDIATE`` so that a unit of
  work holds the write lock from its first read (no lost update between reading the last
  journal hash and appending the next entry), and commits with ``synchronous=FULL``;
* the **read engine** uses plain deferred transactions for queries (catalog look-ups,
  lists), which WAL lets run beside the writer.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError

from counter.errors import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DB_FILENAME = "counter.sqlite3"


def _make_engine(path: Path, *, immediate: bool, synchronous: str = "FULL") -> Engine:
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

    begin_sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin_sql)

    return engine


@dataclass
class Database:
    path: Path
    write: Engine
    read: Engine

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


def open_database(data_dir: Path, *, create: bool = True, durable: bool = True) -> Database:
    """Open (and migrate) the store in ``data_dir``; StoreError with a clear message if
    the directory or file cannot be used. ``durable=False`` (synchronous=OFF) is only for
    bulk builds such as the demo store, never for selling."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Cannot use the data folder {data_dir}: {exc.strerror}.", "Choose another --data-dir."
        ) from exc
    path = data_dir / DB_FILENAME
    if not path.exists() and not create:
        raise StoreError(f"There is no store in {data_dir}.", "Run `counter init-demo --data-dir DIR` first.")
    write = _make_engine(path, immediate=True, synchronous="FULL" if durable else "OFF")
    read = _make_engine(path, immediate=False)
    try:
        quick_check(write)
        migrate(write)
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
    return Database(path, write, read)
