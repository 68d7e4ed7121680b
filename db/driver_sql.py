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
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from db.engine import _refuse_card_data


def _cursor(conn: Connection) -> sqlite3.Cursor:
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr,no-any-return]


def execute(conn: Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement; its row count."""
    _refuse_card_data(conn, None, sql, params, None, False)
    cursor = _cursor(conn)
    try:
        return cursor.execute(sql, params).rowcount
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
    finally:
        cursor.close()


def execute_many(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run one statement for each of ``rows``."""
    _refuse_card_data(conn, None, sql, rows, None, True)
    cursor = _cursor(conn)
    try:
        cursor.executemany(sql, rows)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, rows, exc, sqlite3.Error, ismulti=True) from exc
    finally:
        cursor.close()


def first(conn: Connection, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    """The first row of a query (or of a statement's ``RETURNING``), by column name."""
    _refuse_card_data(conn, None, sql, params, None, False)
    cursor = _cursor(conn)
    try:
        row = cursor.execute(sql, params).fetchone()
        return None if row is None else dict(zip((d[0] for d in cursor.description), row, strict=True))
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
    finally:
        cursor.close()
