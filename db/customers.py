"""Repositories of customers, cases, contacts and referrals, inside a SqlUnitOfWork's
``BEGIN IMMEDIATE`` transaction: reads and the per-terminal numbers. Their rows are written
only as the projection of journal entries (counter.projection.cases, SqlJournal.append).
History rows are only ever inserted; the database refuses to update or delete them
(migration 0005)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, insert, select, update

from counter.desk.cases import Case, CaseStatus, ContactKind, LinkKind
from counter.desk.customers import Address, Customer
from counter.desk.referrals import Priority, Referral, ReferralStatus
from counter.journal import parse_stamp
from counter.store import TerminalIdentity
from db import schema as s


def next_in_series(conn: Connection, terminal: TerminalIdentity, series: str) -> int:
    """The next value of a per-terminal counter, in the caller's transaction (gap-free)."""
    key = (s.counters.c.terminal_id == terminal.terminal_id) & (s.counters.c.name == series)
    row = conn.execute(select(s.counters.c.value).where(key)).first()
    value = (row[0] if row else 0) + 1
    if row:
        conn.execute(update(s.counters).where(key).values(value=value))
    else:
        conn.execute(insert(s.counters).values(terminal_id=terminal.terminal_id, name=series, value=value))
    return value


def current_address(conn: Connection, customer_id: str) -> Address | None:
    row = (
        conn.execute(
            select(s.customer_addresses)
            .where(s.customer_addresses.c.customer_id == customer_id)
            .order_by(s.customer_addresses.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return Address(row["line1"], row["line2"], row["city"], row["region"], row["postal_code"], row["country"])


def customer_from_row(conn: Connection, row: RowMapping) -> Customer:
    return Customer(
        id=row["id"],
        name=row["name"],
        phone=row["phone"] or "",
        email=row["email"] or "",
        loyalty_card=row["loyalty_card"] or "",
        email_consent=bool(row["email_consent"]),
        address=current_address(conn, row["id"]),
        created_at=parse_stamp(row["created_at"]),
        language=row.get("language") or "",
    )


class SqlCustomers:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, customer_id: str) -> Customer | None:
        row = self._conn.execute(select(s.customers).where(s.customers.c.id == customer_id)).mappings().first()
        return customer_from_row(self._conn, row) if row else None

    def find_by(self, column: str, value: str) -> Customer | None:
        if column not in ("phone", "email", "loyalty_card"):
            raise ValueError(column)
        row = self._conn.execute(select(s.customers).where(s.customers.c[column] == value)).mappings().first()
        return customer_from_row(self._conn, row) if row else None


def case_from_row(row: RowMapping) -> Case:
    return Case(
        id=row["id"],
        number=row["number"],
        customer_id=row["customer_id"],
        kind=ContactKind(row["kind"]),
        category=row["category"],
        subject=row["subject"],
        status=CaseStatus(row["status"]),
        opened_at=parse_stamp(row["opened_at"]),
        opened_by=row["opened_by"],
        follow_up_on=date.fromisoformat(row["follow_up_on"]) if row["follow_up_on"] else None,
        follow_up_note=row["follow_up_note"],
        resolution=row["resolution"],
    )


def referral_from_row(row: RowMapping) -> Referral:
    return Referral(
        id=row["id"],
        case_id=row["case_id"],
        case_number=row["number"],
        department=row["department"],
        department_name=row["department_name"],
        priority=Priority(row["priority"]),
        due_on=date.fromisoformat(row["due_on"]),
        status=ReferralStatus(row["status"]),
        referred_at=parse_stamp(row["referred_at"]),
        referred_by=row["referred_by"],
        note=row["note"],
        outcome=row["outcome"],
        customer_name=row.get("customer_name") or "",
    )


REFERRAL_COLUMNS = (*s.referrals.c, s.cases.c.number, s.customers.c.name.label("customer_name"))


def referral_select() -> Select[Any]:
    return (
        select(*REFERRAL_COLUMNS)
        .join(s.cases, s.cases.c.id == s.referrals.c.case_id)
        .join(s.customers, s.customers.c.id == s.cases.c.customer_id)
    )


class SqlCases:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def next_number(self, terminal: TerminalIdentity) -> str:
        return f"{terminal.code}-C{next_in_series(self._conn, terminal, 'case'):05d}"

    def get(self, case_id: str) -> Case | None:
        row = self._conn.execute(select(s.cases).where(s.cases.c.id == case_id)).mappings().first()
        return case_from_row(row) if row else None

    def transaction_exists(self, kind: LinkKind, number: str) -> bool:
        table, column = {
            LinkKind.SALE: (s.sales, s.sales.c.receipt_number),
            LinkKind.RETURN: (s.returns, s.returns.c.return_number),
            LinkKind.REFUND: (s.returns, s.returns.c.return_number),
            LinkKind.ADJUSTMENT: (s.adjustments, s.adjustments.c.number),
            LinkKind.ORDER: (s.orders, s.orders.c.number),
            LinkKind.PAYMENT: (s.desk_payments, s.desk_payments.c.number),
        }[kind]
        return self._conn.execute(select(column).where(column == number).limit(1)).first() is not None

    def get_referral(self, referral_id: str) -> Referral | None:
        row = self._conn.execute(referral_select().where(s.referrals.c.id == referral_id)).mappings().first()
        return referral_from_row(row) if row else None
