"""HQ's database: the engine and its migrations.

HQ keeps no state of its own between requests: everything is in PostgreSQL, so any number
of HQ processes can serve one database. Writes that must not interleave take row locks
(``SELECT ... FOR UPDATE``) or a transaction-level advisory lock, never a process lock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/counter_hq"

#: Advisory lock key that serialises downstream (catalog, users) writers, so that the
#: order of ``change_seq`` values is also their commit order and a pull cursor never
#: skips a row committed late.
CATALOG_WRITE_LOCK = 7_401


def lock_downstream(conn: Connection) -> None:
    """Take ``CATALOG_WRITE_LOCK`` for the caller's transaction (every downstream writer
    does, before it stamps a row with ``change_seq``)."""
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CATALOG_WRITE_LOCK})")


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        raise ValueError("HQ runs on PostgreSQL (postgresql+psycopg://...)")
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring HQ's schema to the newest revision (idempotent; safe from several processes:
    the migration runs in one transaction behind an advisory lock)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7400)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
