"""Shifts, cash movements and Z reports (write side, inside a SqlUnitOfWork).

The cash expected in the drawer is summed from the records themselves each time it is
asked for (never kept as a running number that could drift): the counted float, cash
tenders of this terminal's sales since the shift opened (net of change), cash part payments
of sales not completed less the cash voids gave back of them, cash refunds,
the service desk's cash (deposits and payments in, desk refunds out) and the shift's cash
movements.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select

from counter.cash.reports import GrandTotals
from counter.cash.shifts import MovementKind, Shift
from counter.journal import JournalEntry, parse_stamp, utc_stamp
from counter.money import Currency
from db import driver_sql, part_payments, schema as s


def _shift(row: RowMapping | dict[str, Any], currency: Currency) -> Shift:
    return Shift(
        id=row["id"],
        terminal_id=row["terminal_id"],
        opened_by=row["opened_by"],
        opened_at=parse_stamp(row["opened_at"]),
        float_total=currency.from_minor(row["float_minor"]),
        closed_at=parse_stamp(row["closed_at"]) if row["closed_at"] else None,
        counted=currency.from_minor(row["counted_minor"]) if row["counted_minor"] is not None else None,
        expected=currency.from_minor(row["expected_minor"]) if row["expected_minor"] is not None else None,
    )


_CURRENT_SQL = (
    "SELECT id, terminal_id, opened_by, opened_at, float_minor, closed_at, counted_minor, expected_minor "
    "FROM shifts WHERE terminal_id = ? AND closed_at IS NULL"
)


class SqlShifts:
    def __init__(self, conn: Connection, currency: Currency) -> None:
        self._conn = conn
        self._currency = currency

    def current(self, terminal_id: str) -> Shift | None:
        # asked before every sale: one prebuilt statement (no select built, compiled and
        # mapped each time; issue #22, ~0.14 ms of a 2 ms sale)
        row = driver_sql.first(self._conn, _CURRENT_SQL, (terminal_id,))
        return _shift(row, self._currency) if row else None

    def get(self, shift_id: str) -> Shift | None:
        row = self._conn.execute(select(s.shifts).where(s.shifts.c.id == shift_id)).mappings().first()
        if row is None:
            return None
        shift = _shift(row, self._currency)
        recount = self._conn.execute(
            select(s.shift_recounts.c.counted_minor)
            .where(s.shift_recounts.c.shift_id == shift_id)
            .order_by(s.shift_recounts.c.id.desc())
            .limit(1)
        ).scalar()
        if recount is not None:
            from dataclasses import replace

            shift = replace(shift, counted=self._currency.from_minor(recount))
        return shift

    def expected_cash(self, shift: Shift) -> Decimal:
        since = utc_stamp(shift.opened_at)
        until = utc_stamp(shift.closed_at) if shift.closed_at else "9999"
        taken = self._conn.execute(
            select(func.coalesce(func.sum(s.tenders.c.amount_minor), 0))
            .join(s.sales, s.sales.c.id == s.tenders.c.sale_id)
            .where(
                s.sales.c.terminal_id == shift.terminal_id,
                s.sales.c.completed_at >= since,
                s.sales.c.completed_at < until,
                s.tenders.c.kind == "cash",
            )
        ).scalar_one()
        refunded = self._conn.execute(
            select(func.coalesce(func.sum(s.refunds.c.amount_minor), 0))
            .join(s.returns, s.returns.c.id == s.refunds.c.return_id)
            .where(
                s.returns.c.terminal_id == shift.terminal_id,
                s.returns.c.completed_at >= since,
                s.returns.c.completed_at < until,
                s.refunds.c.kind == "cash",
            )
        ).scalar_one()
        # the service desk's money: deposits, order and account payments in; adjustment
        # and cancellation refunds out (db/desk.py, signed)
        desk = self._conn.execute(
            select(func.coalesce(func.sum(s.desk_tenders.c.amount_minor), 0))
            .join(s.desk_payments, s.desk_payments.c.id == s.desk_tenders.c.payment_id)
            .where(
                s.desk_payments.c.terminal_id == shift.terminal_id,
                s.desk_payments.c.at >= since,
                s.desk_payments.c.at < until,
                s.desk_tenders.c.kind == "cash",
            )
        ).scalar_one()
        # part payments of sales not completed (yet, or ever), less what voids gave back of them
        moved = int(desk) + part_payments.cash_in_shift(self._conn, shift.terminal_id, since, until)
        # card refunds the terminal did not make, paid in cash instead (counter.payments.card_refunds)
        moved -= int(
            self._conn.execute(
                select(func.coalesce(func.sum(s.card_refunds_closed.c.amount_minor), 0)).where(
                    s.card_refunds_closed.c.terminal_id == shift.terminal_id,
                    s.card_refunds_closed.c.closed_at >= since,
                    s.card_refunds_closed.c.closed_at < until,
                    s.card_refunds_closed.c.how == "cash",
                )
            ).scalar_one()
        )
        for kind, total in self._conn.execute(
            select(s.cash_movements.c.kind, func.sum(s.cash_movements.c.amount_minor))
            .where(s.cash_movements.c.shift_id == shift.id)
            .group_by(s.cash_movements.c.kind)
        ):
            moved += MovementKind(kind).sign * int(total)
        float_minor = self._currency.to_minor(shift.float_total)
        return self._currency.from_minor(float_minor + int(taken) - int(refunded) + moved)

    def in_z_report(self, shift_id: str) -> bool:
        rows = self._conn.execute(select(s.z_reports.c.shift_ids)).scalars()
        return any(shift_id in json.loads(ids) for ids in rows)

    def shifts_since(self, terminal_id: str, after: str) -> list[Shift]:
        rows = self._conn.execute(
            select(s.shifts)
            .where(s.shifts.c.terminal_id == terminal_id, s.shifts.c.opened_at >= after)
            .order_by(s.shifts.c.opened_at)
        ).mappings()
        return [_shift(r, self._currency) for r in rows]

    # --- Z reports -------------------------------------------------------------------

    def last_z(self, terminal_id: str) -> tuple[int, int, GrandTotals, str]:
        """(number, last journal seq, grand totals, taken at) of the latest Z, or zeros."""
        row = (
            self._conn.execute(
                select(s.z_reports)
                .where(s.z_reports.c.terminal_id == terminal_id)
                .order_by(s.z_reports.c.number.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        if row is None:
            return 0, 0, GrandTotals(), ""
        f = self._currency.from_minor
        return (
            row["number"],
            row["last_seq"],
            GrandTotals(f(row["grand_sales_minor"]), f(row["grand_returns_minor"])),
            row["taken_at"],
        )

    def journal_after(self, terminal_id: str, after_seq: int) -> Iterator[JournalEntry]:
        stmt = (
            select(s.journal)
            .where(s.journal.c.terminal_id == terminal_id, s.journal.c.seq > after_seq)
            .order_by(s.journal.c.seq)
        )
        for r in self._conn.execute(stmt).mappings():
            yield JournalEntry(
                r["terminal_id"], r["seq"], r["id"], r["type"], r["at"], r["body"], r["prev_hash"], r["hash"]
            )

    def user_names(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._conn.execute(select(s.users.c.id, s.users.c.name))}
