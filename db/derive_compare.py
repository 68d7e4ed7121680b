"""How verify compares: the rows the entries derive, folded per table and key
(``_Fold``), against the stored rows, column by column (``_compare``), each difference
named (``Difference``) and counted (``Derivation``). Used by ``db.derive`` for every table
and by ``db.derive_sales`` in its worker processes, to name what a sale chunk changed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from counter.projection import ORDINAL, TABLES, UNKNOWN, EntryRef, Insert, Op, TableSpec

MAX_REPORTED = 50


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple[Any, ...]
    column: str | None  # None: the whole row (missing, or not from any entry)
    stored: Any
    derived: Any
    entry: EntryRef | None

    def describe(self) -> str:
        key = ", ".join(str(k) for k in self.key)
        where = f"journal entry {self.entry}" if self.entry else "no journal entry"
        if self.column is None and self.stored is None:
            return f"{self.table} [{key}]: missing (deleted outside Counter); derived from {where}"
        if self.column is None:
            return f"{self.table} [{key}]: stored, but {where} makes it (inserted outside Counter)"
        return (
            f"{self.table} [{key}] {self.column}: stored {self.stored!r}, derived {self.derived!r} "
            f"from {where} (changed outside Counter)"
        )


@dataclass
class Derivation:
    entries: int = 0
    rows: int = 0
    unchecked: int = 0  # column values an older entry did not carry
    differences: list[Difference] = field(default_factory=list)
    entry_problems: list[str] = field(default_factory=list)
    approval_problems: list[str] = field(default_factory=list)
    total_differences: int = 0

    @property
    def ok(self) -> bool:
        return not self.total_differences and not self.entry_problems and not self.approval_problems

    def lines(self) -> list[str]:
        """What is wrong, a line each (``db.audit`` puts "BAD: records:" before each)."""
        out = [f"derived tables: {d.describe()}" for d in self.differences]
        if self.total_differences > len(self.differences):
            out.append(f"derived tables: {self.total_differences - len(self.differences)} more differences")
        out += [f"journal: {p}" for p in self.entry_problems]
        out += [f"approvals: {p}" for p in self.approval_problems]
        return out


class _Keys:
    """A table's row keys, from its rows as tuples in ``spec.columns`` order. An ORDINAL key
    column counts the rows with the same other key columns in the order they come (entries
    in journal order, stored rows in rowid order)."""

    def __init__(self, spec: TableSpec) -> None:
        self.at = tuple(spec.columns.index(c) for c in spec.key if c != ORDINAL)
        self.counted: dict[tuple[Any, ...], int] | None = {} if ORDINAL in spec.key else None

    def __call__(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        at = self.at
        parent = (values[at[0]],) if len(at) == 1 else tuple([values[i] for i in at])
        if self.counted is None:
            return parent
        n = self.counted[parent] = self.counted.get(parent, 0) + 1
        return (*parent, n)


@dataclass
class _Derived:
    """A derived row: its values in ``spec.columns`` order, the entry that made it, and the
    entry that last set a column (a later entry that updated it)."""

    values: tuple[Any, ...]
    ref: EntryRef
    set_by: dict[str, EntryRef] = field(default_factory=dict)


class _Fold:
    """The derived rows of the given tables, table → key → row, as the entries make them."""

    def __init__(self, tables: Iterable[str]) -> None:
        self.rows: dict[str, dict[tuple[Any, ...], _Derived]] = {name: {} for name in tables}
        self._table = {name: (self.rows[name], TABLES[name].columns, _Keys(TABLES[name])) for name in tables}

    def add(self, op: Op, ref: EntryRef, problems: list[str]) -> None:
        table = self._table.get(op.table)
        if table is None:
            return
        rows, columns, keys = table
        if isinstance(op, Insert):
            values = op.values
            key = keys(values)
            if key in rows:
                problems.append(f"entry {ref} makes {op.table} [{_k(key)}] a second time")
            else:
                rows[key] = _Derived(values, ref)
            return
        found = rows.get(op.key)
        if found is None:
            problems.append(f"entry {ref} changes {op.table} [{_k(op.key)}], which no entry made")
            return
        found.values = tuple(op.values.get(c, v) for c, v in zip(columns, found.values, strict=True))
        found.set_by.update(dict.fromkeys(op.values, ref))


def _k(key: tuple[Any, ...]) -> str:
    return ", ".join(str(k) for k in key)


def _stored_rows(
    conn: Connection, spec: TableSpec, select: str, params: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """The rows ``select`` finds (``{}`` stands for the columns) as (key, values), in rowid order."""
    # the driver's own cursor: plain tuples, in the transaction this connection already holds
    raw = conn.connection.driver_connection
    return _stored_rows_from(raw, spec, select.format(", ".join(spec.columns)), params)


def _stored_rows_from(
    raw: Any, spec: TableSpec, select: str, params: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    keys = _Keys(spec)
    cursor = raw.execute(select + " ORDER BY rowid", params)
    while batch := cursor.fetchmany(5000):
        for values in batch:
            yield keys(values), values


def _same(spec: TableSpec, column: str, stored: Any, derived: Any) -> bool:
    if stored is None or derived is None:
        return stored is derived
    if column in spec.json_columns and isinstance(stored, str) and isinstance(derived, str):
        try:
            return bool(json.loads(stored) == json.loads(derived))
        except ValueError:
            return False
    if isinstance(derived, bool):  # stored as 0 or 1
        return stored in (0, 1) and bool(stored) == derived
    return type(stored) is type(derived) and bool(stored == derived)


def _compare(
    spec: TableSpec,
    derived: dict[tuple[Any, ...], _Derived],
    stored_rows: Iterable[tuple[tuple[Any, ...], tuple[Any, ...]]],
    out: Derivation,
) -> None:
    """Every stored row against the derived one of the same key, column by column; then
    the derived rows no stored row matched (deleted). Takes the matched rows out of ``derived``."""
    columns = spec.columns
    for key, have in stored_rows:
        out.rows += 1
        found = derived.pop(key, None)
        if found is None:
            _add(out, Difference(spec.name, key, None, dict(zip(columns, have, strict=True)), None, None))
            continue
        if found.values == have and UNKNOWN not in found.values:
            continue  # the common case: one tuple comparison (0/1 equals False/True here, as stored)
        for column, want, value in zip(columns, found.values, have, strict=True):
            if want is UNKNOWN:
                out.unchecked += 1
            elif not _same(spec, column, value, want):
                _add(out, Difference(spec.name, key, column, value, want, found.set_by.get(column, found.ref)))
    for key, found in derived.items():
        _add(out, Difference(spec.name, key, None, None, dict(zip(columns, found.values, strict=True)), found.ref))
    derived.clear()


def _add(out: Derivation, d: Difference) -> None:
    out.total_differences += 1
    if len(out.differences) < MAX_REPORTED:
        out.differences.append(d)
