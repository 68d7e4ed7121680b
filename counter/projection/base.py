"""What every projection is made of: the derived tables' specs, the row operations
(``Insert``, ``Update``), where a row came from (``EntryRef``) and the body readers.

``TABLES`` is filled by ``counter.projection`` from each area's own tables; ``Insert``
reads a table's column order from it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final


class _Unknown:
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()
ORDINAL: Final = "#"


@dataclass(frozen=True)
class TableSpec:
    """A derived table: its key columns (``#`` is the row's place among rows with the same
    other key columns, in insertion order) and the columns compared."""

    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    mutable: bool = False  # rows that a later entry updates (fold before comparing)
    json_columns: tuple[str, ...] = ()  # text holding JSON: compared as parsed values


def _cols(names: str) -> tuple[str, ...]:
    return tuple(names.split())


TABLES: Final[dict[str, TableSpec]] = {}


@dataclass(frozen=True)
class EntryRef:
    """Where a row came from: the entry's terminal, sequence number, type and time."""

    terminal: str
    seq: int
    type: str
    at: str

    def __str__(self) -> str:
        return f"{self.terminal} #{self.seq} ({self.type})"


class Insert:
    """A new row of ``table``: given as a dict of column → value (``Insert(table, row)``), or,
    on the hot path of sales, as a tuple in ``TABLES[table].columns`` order
    (``Insert.of(table, values)``). Each form is made from the other when first asked for:
    the write path and verify take the tuple, HQ and tests the dict."""

    __slots__ = ("table", "_row", "_values")

    def __init__(self, table: str, row: dict[str, Any]) -> None:
        self.table = table
        self._row: dict[str, Any] | None = row
        self._values: tuple[Any, ...] | None = None

    @classmethod
    def of(cls, table: str, values: tuple[Any, ...]) -> Insert:
        op = cls.__new__(cls)
        op.table, op._row, op._values = table, None, values
        return op

    @property
    def row(self) -> dict[str, Any]:
        if self._row is None:
            self._row = dict(zip(TABLES[self.table].columns, self._values or (), strict=True))
        return self._row

    @property
    def values(self) -> tuple[Any, ...]:
        """The row as a tuple in ``TABLES[table].columns`` order (KeyError: a column missing)."""
        if self._values is None:
            row = self.row
            self._values = tuple([row[c] for c in TABLES[self.table].columns])
        return self._values

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Insert) and other.table == self.table and other.row == self.row

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Insert({self.table!r}, {self.row!r})"


@dataclass(frozen=True)
class Update:
    table: str
    key: tuple[Any, ...]
    values: dict[str, Any]


Op = Insert | Update


class ProjectionError(ValueError):
    """The entry's body cannot be projected (a field missing or of the wrong kind)."""


def _get(body: Mapping[str, Any], name: str, default: Any = UNKNOWN) -> Any:
    return body.get(name, default)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProjectionError(f"{what} is not a whole number: {value!r}")
    return value


Private = Mapping[str, Sequence[Mapping[str, Any]]]


def fill_private(ops: Iterable[Op], private: Private) -> Iterator[Op]:
    """The operations with their UNKNOWN columns filled from ``private`` (the values the
    journal must not hold, given beside the entry): the n-th operation on a table that
    leaves columns UNKNOWN takes the n-th private row of that table. ProjectionError when
    a table has fewer private rows than operations that need them, or more."""
    taken = {table: iter(rows) for table, rows in private.items()}
    for op in ops:
        values = op.row if isinstance(op, Insert) else op.values
        if any(v is UNKNOWN for v in values.values()) and op.table in taken:
            extra = next(taken[op.table], None)
            if extra is None:
                raise ProjectionError(f"{op.table}: no private values left for {op}")
            merged = {c: (extra[c] if v is UNKNOWN and c in extra else v) for c, v in values.items()}
            op = Insert(op.table, merged) if isinstance(op, Insert) else Update(op.table, op.key, merged)
        yield op
    for table, rest in taken.items():
        if next(rest, None) is not None:
            raise ProjectionError(f"{table}: more private values than rows that need them")


def private_needs(ops: Iterable[Op]) -> dict[str, list[tuple[str, ...]]]:
    """Per table, in order, the columns each operation leaves UNKNOWN (what ``private``
    must give, one row per operation)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for op in ops:
        values = op.row if isinstance(op, Insert) else op.values
        unknown = tuple(c for c, v in values.items() if v is UNKNOWN)
        if unknown:
            out.setdefault(op.table, []).append(unknown)
    return out
