"""The lane's write path for the derived tables: the rows of a journal entry, as
``counter.projection`` derives them, written through the unit of work's connection.

``SqlJournal.append`` calls ``apply`` right after the entry itself, in the same
transaction, so the rows of every money, cash and approval table are the entry's
projection by construction (``counter journal verify`` re-derives them the same way).
No repository writes these tables any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby
from typing import Any

from sqlalchemy import Connection

from counter.projection import TABLES, UNKNOWN, Insert, Op, ProjectionError, Update, fill_private
from db import driver_sql, schema as s


def _columns(table: str) -> tuple[str, ...]:
    cols = TABLES[table].columns
    missing = [c for c in cols if c not in s.metadata.tables[table].c]
    if missing:  # a column renamed in db/schema.py and not in counter/projection/
        raise ValueError(f"{table} has no column {missing}")
    return cols


_INSERT: dict[str, tuple[str, tuple[str, ...]]] = {}
for _name in TABLES:
    _cols = _columns(_name)
    _INSERT[_name] = (
        f"INSERT INTO {_name} ({', '.join(_cols)}) VALUES ({', '.join('?' * len(_cols))})",
        _cols,
    )


def apply(
    conn: Connection, ops: Iterable[Op], private: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
) -> None:
    """Write the operations in order; a run of inserts into one table goes as one executemany.
    ``private`` fills the columns the journal must not hold (``counter.projection.fill_private``)."""
    for (is_insert, table), run in groupby(
        fill_private(ops, private) if private else ops, key=lambda op: (isinstance(op, Insert), op.table)
    ):
        if not is_insert:
            for op in run:
                _update(conn, op)  # type: ignore[arg-type]
            continue
        sql, cols = _INSERT[table]
        rows = [_values(op, cols) for op in run]  # type: ignore[arg-type]
        if len(rows) > 1:  # on the driver's connection, card-data guard kept (db/driver_sql.py)
            driver_sql.execute_many(conn, sql, rows)
        else:
            driver_sql.execute(conn, sql, rows[0])


def _values(op: Insert, cols: tuple[str, ...]) -> tuple[Any, ...]:
    values = op.values  # in TABLES column order, which is ``cols``
    if UNKNOWN in values:
        raise ProjectionError(f"{op.table}: the entry does not say {[c for c in cols if op.row[c] is UNKNOWN]}")
    return values


def _update(conn: Connection, op: Update) -> None:
    spec = TABLES[op.table]
    if any(v is UNKNOWN for v in op.values.values()):
        raise ProjectionError(f"{op.table}: the entry does not say {[c for c, v in op.values.items() if v is UNKNOWN]}")
    sets = ", ".join(f"{c} = ?" for c in op.values)
    where = " AND ".join(f"{c} = ?" for c in spec.key)
    if driver_sql.execute(conn, f"UPDATE {op.table} SET {sets} WHERE {where}", (*op.values.values(), *op.key)) != 1:
        raise ProjectionError(f"{op.table} {op.key} is not there to update")
