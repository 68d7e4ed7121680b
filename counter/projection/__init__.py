"""The journal is the one source of truth: the rows each entry puts in the tables that hold
money, stock, cash, customers and desk records, as pure functions of the entry.

``project(entry)`` returns the entry's row operations: ``Insert(table, row)`` for a new row
and ``Update(table, key, values)`` for a row that changes state later (a shift closing).
The lane's write path applies exactly these operations (``db.projector``), ``counter
journal verify`` folds every chain in the file through them and compares every column of
every row with what is stored (``db.derive``), and HQ checks pushed entries with the same
rules. No I/O here: an entry in, rows out.

Rows are plain dicts of column → value, keyed as ``TABLES`` says. A value the entry does
not carry (an entry written before its body held that column) is ``UNKNOWN``; verify skips
it and says how many columns it could not check.

Rows whose table key is an ordinal (``#``): the tables whose own id is an autoincrement
(cash movements, recounts, voucher movements, approvals) are matched in order within their
parent (the n-th movement of a shift is the n-th ``CashMoved`` of that shift).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from counter.projection.base import (
    ORDINAL,
    TABLES,
    UNKNOWN,
    EntryRef,
    Insert,
    Op,
    Private,
    ProjectionError,
    TableSpec,
    Update,
    fill_private,
    private_needs,
)
from counter.projection.card_requests import CARD_PROJECTIONS, CARD_TABLES
from counter.projection.cases import CASE_PROJECTIONS
from counter.projection.cash import CASH_PROJECTIONS, CASH_TABLES
from counter.projection.desk import DESK_PROJECTIONS, DESK_TABLES
from counter.projection.part_payments import PART_PAYMENT_PROJECTIONS, PART_PAYMENT_TABLES
from counter.projection.received import RECEIVED_PROJECTIONS, RECEIVED_TABLES
from counter.projection.sales import SALES_PROJECTIONS, SALES_TABLES

__all__ = [
    "ORDINAL",
    "PROJECTIONS",
    "TABLES",
    "UNKNOWN",
    "Private",
    "EntryRef",
    "Insert",
    "Op",
    "ProjectionError",
    "TableSpec",
    "Update",
    "fill_private",
    "private_needs",
    "project",
]

_AREAS = (SALES_TABLES, CASH_TABLES, DESK_TABLES, PART_PAYMENT_TABLES, RECEIVED_TABLES, CARD_TABLES)
TABLES.update({t.name: t for area in _AREAS for t in area})

PROJECTIONS: Final[dict[str, Callable[[Mapping[str, Any], EntryRef], list[Op]]]] = {
    **SALES_PROJECTIONS,
    **CASH_PROJECTIONS,
    **DESK_PROJECTIONS,
    **CASE_PROJECTIONS,
    **PART_PAYMENT_PROJECTIONS,
    **RECEIVED_PROJECTIONS,
    **CARD_PROJECTIONS,
}


def project(type_: str, body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    """The rows this entry puts in the derived tables ([] for an event that has none).
    ProjectionError when the body is not what its type needs."""
    fn = PROJECTIONS.get(type_)
    if fn is None:
        return []
    try:
        return fn(body, ref)
    except ProjectionError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ProjectionError(f"{ref}: the body lacks what a {type_} needs ({exc!r})") from exc
