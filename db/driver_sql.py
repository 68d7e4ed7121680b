"""The statements of the sale's write path (the journal entry, its projection, the receipt
number, the outbox, the open shift), run on the driver's connection under the unit of
work's transaction.

SQLAlchemy's ``exec_driver_sql`` costs ~40 µs a statement before SQLite sees it (execution
context, events, result objects): a sale's dozen statements spent ~0.6 ms there, against a
raw floor of ~1.1 ms for the whole sale (issue #22, docs/benchmarks.md). Nothing is given up:

* the write engine's card-data guard (``db.engine._refuse_card_data``) runs on every
  statement here as its listener does, with the same refusal;
* a driver error comes as SQLAlchemy's error of the same kind (``DBAPIError.instance``:
  ``IntegrityError``, ``OperationalError`` for a full disk ...), as from ``exec_driver_sql``,
  so the unit of work's handling (db/uow.py) is unchanged;
* each cursor is closed before the call returns: no statement is left open at the commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from db.engine import _refuse_card_data


@contextmanager
def _statement(conn: Connection, sql: str, params: Any, many: bool = False) -> Iterator[sqlite3.Cursor]:
    """A cursor of the driver's connection for one statement: the card-data guard first, a
    driver error raised as SQLAlchemy's, the cursor closed after."""
    _refuse_card_data(conn, None, sql, params, None, many)
    cursor: sqlite3.Cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error, ismulti=many) from exc
    finally:
        cursor.close()


def execute(conn: Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement; its row count."""
    with _statement(conn, sql, params) as cursor:
        return cursor.execute(sql, params).rowcount


def execute_many(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run one statement for each of ``rows``."""
    with _statement(conn, sql, rows, many=True) as cursor:
        cursor.executemany(sql, rows)


def first(conn: Connection, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    """The first row of a query (or of a statement's ``RETURNING``), by column name."""
    with _statement(conn, sql, params) as cursor:
        row = cursor.execute(sql, params).fetchone()
        return None if row is None else dict(zip((d[0] for d in cursor.description), row, strict=True))
