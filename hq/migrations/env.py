"""Alembic environment of HQ's own PostgreSQL schema. ``hq.store.migrate`` runs it with an
open connection in ``config.attributes["connection"]``; ``counter hq migrate`` does that."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from hq.schema import metadata

config = context.config
connection = config.attributes.get("connection")


def run(conn) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=conn, target_metadata=metadata, version_table="hq_alembic_version")
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:  # the alembic command line, e.g. `alembic revision --autogenerate`
    engine = create_engine(
        config.get_main_option("sqlalchemy.url") or "postgresql+psycopg://postgres@127.0.0.1/postgres"
    )
    with engine.connect() as conn:
        run(conn)
