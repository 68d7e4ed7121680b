"""The unit of work and repositories over the local SQLite store.

A ``SqlUnitOfWork`` is one transaction (``BEGIN IMMEDIATE``) on the write engine; the
repositories it hands out write through that transaction's connection. Leaving the
``with`` block without ``commit()`` rolls everything back, so a failure anywhere in a
command leaves no trace. Runs on whichever thread runs the command (today the GUI thread;
see docs/architecture.md, Threads).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, func, insert, select, update
from sqlalchemy.exc import OperationalError

from counter.catalog import TaxClass
from counter.errors import StoreError
from counter.i18n import _
from counter.journal import GENESIS, JournalEntry, make_entry, parse_stamp, utc_stamp
from counter.money import Currency
from counter.people.users import Role, User, UserId
from counter.projection import EntryRef, project
from counter.sales.pricing import TaxTotal
from counter.sales.sale import Sale, SaleLine
from counter.sales.tenders import CardDetails, TakenBefore, Tender, TenderKind
from counter.store import TerminalIdentity
from counter.trust.desk_rules import DESK_KINDS
from db import driver_sql, part_payments, projector, schema as s
from db.card_requests import SqlCardRequests
from db.customers import SqlCases, SqlCustomers
from db.desk import SqlDesk
from db.outbox import SqlOutbox
from db.returns import SqlApprovals, SqlReturns, SqlVouchers
from db.shifts import SqlShifts


class SqlSales:
    """Reads sales. Their rows are written only as the projection of their SaleCompleted
    entry (SqlJournal.append, counter.projection)."""

    def __init__(self, conn: Connection, currency: Currency) -> None:
        self._conn = conn
        self._currency = currency

    def get_by_number(self, receipt_number: str) -> Sale | None:
        return load_sale(self._conn, receipt_number)

    def part_payments(self, sale_id: str) -> list[Tender]:
        return part_payments.part_payments(self._conn, sale_id, self._currency)

    def sale_state(self, sale_id: str) -> str:
        return part_payments.sale_state(self._conn, sale_id)

    def interrupted(self, terminal_id: str) -> list[TakenBefore]:
        return part_payments.interrupted(self._conn, terminal_id, self._currency)


def load_sale(conn: Connection, receipt_number: str) -> Sale | None:
    row = conn.execute(select(s.sales).where(s.sales.c.receipt_number == receipt_number)).mappings().first()
    if row is None:
        return None
    cur = Currency.of(row["currency"])
    f = cur.from_minor
    lines = conn.execute(
        select(s.sale_lines).where(s.sale_lines.c.sale_id == row["id"]).order_by(s.sale_lines.c.line_no)
    ).mappings()
    taxes = conn.execute(
        select(s.sale_taxes).where(s.sale_taxes.c.sale_id == row["id"]).order_by(s.sale_taxes.c.code)
    ).mappings()
    tenders = conn.execute(
        select(s.tenders).where(s.tenders.c.sale_id == row["id"]).order_by(s.tenders.c.seq)
    ).mappings()
    return Sale(
        id=row["id"],
        receipt_number=row["receipt_number"],
        store_id=row["store_id"],
        terminal_id=row["terminal_id"],
        cashier_id=row["cashier_id"],
        cashier_name=row["cashier_name"],
        completed_at=parse_stamp(row["completed_at"]),
        currency=cur,
        prices_include_tax=row["prices_include_tax"],
        lines=tuple(
            SaleLine(
                id=ln["id"],
                line_no=ln["line_no"],
                item_id=ln["item_id"],
                sku=ln["sku"],
                name=ln["name"],
                quantity=ln["quantity"],
                unit_price=f(ln["unit_price_minor"]),
                line_discount=f(ln["line_discount_minor"]),
                order_discount=f(ln["order_discount_minor"]),
                amount=f(ln["amount_minor"]),
                tax=f(ln["tax_minor"]),
                gross=f(ln["gross_minor"]),
                tax_code=ln["tax_code"],
                tax_rate=Decimal(ln["tax_rate"]),
            )
            for ln in lines
        ),
        taxes=tuple(
            TaxTotal(TaxClass(t["code"], t["label"], Decimal(t["rate"])), f(t["base_minor"]), f(t["tax_minor"]))
            for t in taxes
        ),
        tenders=tuple(
            Tender(
                TenderKind(t["kind"]),
                f(t["amount_minor"]),
                f(t["tendered_minor"]),
                CardDetails(t["card_brand"], t["card_last4"], t["approval_code"]) if t["card_brand"] else None,
                t["voucher_code"],
            )
            for t in tenders
        ),
        rounding=f(row["rounding_minor"]),
    )


def user_from_row(row: RowMapping) -> User:
    return User(
        id=UserId(row["id"]),
        name=row["name"],
        role=Role(row["role"]),
        pin_hash=row["pin_hash"],
        active=bool(row["active"]),
        failed_attempts=row["failed_attempts"],
        locked_until=parse_stamp(row["locked_until"]) if row["locked_until"] else None,
        badge_hash=row["badge_hash"],
        language=row.get("language") or "",
    )


def _user_values(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": str(user.role),
        "pin_hash": user.pin_hash,
        "active": user.active,
        "failed_attempts": user.failed_attempts,
        "locked_until": utc_stamp(user.locked_until) if user.locked_until else None,
        "badge_hash": user.badge_hash,
        "language": user.language,
    }


class SqlUsers:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, user_id: UserId) -> User | None:
        row = self._conn.execute(select(s.users).where(s.users.c.id == user_id)).mappings().first()
        return user_from_row(row) if row else None

    def save_sign_in_state(self, user: User) -> None:
        self._conn.execute(
            update(s.users)
            .where(s.users.c.id == user.id)
            .values(
                failed_attempts=user.failed_attempts,
                locked_until=utc_stamp(user.locked_until) if user.locked_until else None,
                pin_hash=user.pin_hash,
            )
        )

    def by_badge(self, badge_hash: str) -> User | None:
        row = self._conn.execute(select(s.users).where(s.users.c.badge_hash == badge_hash)).mappings().first()
        return user_from_row(row) if row else None

    def all(self) -> list[User]:
        rows = self._conn.execute(select(s.users).order_by(s.users.c.name, s.users.c.id)).mappings()
        return [user_from_row(r) for r in rows]

    def add(self, user: User) -> None:
        self._conn.execute(insert(s.users).values(id=user.id, **_user_values(user)))

    def save(self, user: User) -> None:
        self._conn.execute(update(s.users).where(s.users.c.id == user.id).values(**_user_values(user)))


class SqlJournal:
    """Appends to this terminal's chain. BEGIN IMMEDIATE makes read-last-then-insert safe."""

    def __init__(self, conn: Connection, terminal: str) -> None:
        self._conn = conn
        self._terminal = terminal

    def append(
        self,
        type_: str,
        body: Mapping[str, Any],
        at: datetime,
        private: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    ) -> JournalEntry:
        conn = self._conn  # statements on the driver's connection, card-data guard kept (db/driver_sql.py)
        last = driver_sql.first(conn, _LAST_ENTRY_SQL, (self._terminal,))
        seq, prev = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS)
        entry = make_entry(self._terminal, seq, str(uuid.uuid4()), type_, at, body, prev)
        # The installation key's seal, computed inside SQLite (db/engine.py): counter_seal(terminal, seq, hash).
        driver_sql.execute(
            conn,
            _APPEND_SQL,
            (entry.terminal, entry.seq, entry.id, entry.type, entry.at, entry.body, entry.prev_hash, entry.hash),
        )
        # The entry's rows in the derived tables: its projection, and nothing else (counter.projection).
        ops = project(type_, body, EntryRef(entry.terminal, entry.seq, entry.type, entry.at))
        if ops:
            projector.apply(self._conn, ops, private)
        elif private:
            raise ValueError(f"{type_} has no rows to take private values")
        if private and type_ in DESK_KINDS:  # other lanes get the typed text through HQ (db/desk_feed.py)
            driver_sql.execute(conn, _TEXTS_SQL, (entry.terminal, entry.seq, json.dumps(private, sort_keys=True)))
        return entry


_TEXTS_SQL = "INSERT INTO desk_texts (terminal_id, seq, private) VALUES (?, ?, ?)"
_LAST_ENTRY_SQL = "SELECT seq, hash FROM journal WHERE terminal_id = ? ORDER BY seq DESC LIMIT 1"
_APPEND_SQL = (
    "INSERT INTO journal (terminal_id, seq, id, type, at, body, prev_hash, hash, seal) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, counter_seal(?1, ?2, ?8))"
)


class SqlReceiptNumbers:
    def __init__(self, conn: Connection, terminal: TerminalIdentity) -> None:
        self._conn = conn
        self._terminal = terminal

    def next(self, series: str = "receipt") -> str:
        key = (self._terminal.terminal_id, series)
        row = driver_sql.first(self._conn, _NEXT_NUMBER_SQL, key)
        if row is not None:
            value = int(row["value"])
        else:
            value = 1
            driver_sql.execute(self._conn, _FIRST_NUMBER_SQL, key)
        if series == "return":
            return f"{self._terminal.code}-R{value:06d}"
        if series == "void":  # a void that gave payments back (counter.sales.voids)
            return f"{self._terminal.code}-V{value:06d}"
        return self._terminal.receipt_number(value)


_NEXT_NUMBER_SQL = "UPDATE counters SET value = value + 1 WHERE terminal_id = ? AND name = ? RETURNING value"
_FIRST_NUMBER_SQL = "INSERT INTO counters (terminal_id, name, value) VALUES (?, ?, 1)"


class SqlPrintJobs:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, job_id: str, kind: str, reference: str, payload: bytes, copy_number: int, at: datetime) -> None:
        stamp = utc_stamp(at)
        self._conn.execute(
            insert(s.print_jobs).values(
                id=job_id,
                kind=kind,
                reference=reference,
                copy_number=copy_number,
                payload=payload,
                state="queued",
                attempts=0,
                created_at=stamp,
                updated_at=stamp,
            )
        )

    def last_copy_number(self, reference: str) -> int:
        query = select(func.max(s.print_jobs.c.copy_number)).where(s.print_jobs.c.reference == reference)
        return int(self._conn.execute(query).scalar_one() or 0)

    def mark(self, job_id: str, state: str, error: str | None, at: datetime) -> None:
        values: dict[str, Any] = {"state": state, "error": error, "updated_at": utc_stamp(at)}
        if state == "sent":
            values["attempts"] = s.print_jobs.c.attempts + 1
        self._conn.execute(update(s.print_jobs).where(s.print_jobs.c.id == job_id).values(**values))


class SqlUnitOfWork:
    sales: SqlSales
    users: SqlUsers
    journal: SqlJournal
    receipt_numbers: SqlReceiptNumbers
    print_jobs: SqlPrintJobs
    outbox: SqlOutbox
    vouchers: SqlVouchers
    returns: SqlReturns
    approvals: SqlApprovals
    shifts: SqlShifts
    customers: SqlCustomers
    cases: SqlCases
    desk: SqlDesk
    cards: SqlCardRequests

    def __init__(self, engine: Engine, terminal: TerminalIdentity, currency: Currency) -> None:
        self._engine = engine
        self._terminal = terminal
        self._currency = currency
        self._committed = False

    def __enter__(self) -> SqlUnitOfWork:
        self._conn = self._engine.connect()
        self._tx = self._conn.begin()
        self.sales = SqlSales(self._conn, self._currency)
        self.users = SqlUsers(self._conn)
        self.journal = SqlJournal(self._conn, self._terminal.terminal_id)
        self.receipt_numbers = SqlReceiptNumbers(self._conn, self._terminal)
        self.print_jobs = SqlPrintJobs(self._conn)
        self.outbox = SqlOutbox(self._conn)
        self.vouchers = SqlVouchers(self._conn, self._currency)
        self.returns = SqlReturns(self._conn)
        self.approvals = SqlApprovals(self._conn, self._currency)
        self.shifts = SqlShifts(self._conn, self._currency)
        self.customers = SqlCustomers(self._conn)
        self.cases = SqlCases(self._conn)
        self.desk = SqlDesk(self._conn, self._currency)
        self.cards = SqlCardRequests(self._conn)
        return self

    @property
    def connection(self) -> Connection:
        """For db-side helpers that write in this unit of work (never for ui/)."""
        return self._conn

    def commit(self) -> None:
        self._tx.commit()
        self._committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed and self._tx.is_active:
                self._tx.rollback()
        finally:
            self._conn.close()
        if isinstance(exc, OperationalError) and disk_full(exc):
            raise StoreError(
                _("The disk is full, so this step was NOT recorded (nothing of it was kept)."),
                _("Free space on the disk (or call the administrator), then do it again."),
            ) from exc


def disk_full(exc: OperationalError) -> bool:
    """SQLITE_FULL: the disk, or the store's size limit (``PRAGMA max_page_count``)."""
    return getattr(exc.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(exc.orig)
