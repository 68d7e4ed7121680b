"""Repositories of customers, cases, contacts and referrals (write side, inside a
SqlUnitOfWork's ``BEGIN IMMEDIATE`` transaction). History rows are only ever inserted;
the database refuses to update or delete them (migration 0005)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, insert, select, update

from counter.cases import Case, CaseStatus, ContactKind, LinkedTransaction, LinkKind
from counter.customers import Address, Customer
from counter.journal import utc_stamp
from counter.referrals import Priority, Referral, ReferralStatus
from counter.store import TerminalIdentity
from db import schema as s


def _stamp(text: str) -> datetime:
    from db.uow import parse_stamp

    return parse_stamp(text)


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
        created_at=_stamp(row["created_at"]),
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

    def add(self, customer: Customer, user_id: str, at: datetime) -> None:
        stamp = utc_stamp(at)
        self._conn.execute(
            insert(s.customers).values(
                id=customer.id,
                name=customer.name,
                phone=customer.phone or None,
                email=customer.email or None,
                loyalty_card=customer.loyalty_card or None,
                email_consent=customer.email_consent,
                created_at=stamp,
                created_by=user_id,
                updated_at=stamp,
            )
        )

    def update(self, customer: Customer, at: datetime) -> None:
        self._conn.execute(
            update(s.customers)
            .where(s.customers.c.id == customer.id)
            .values(
                name=customer.name,
                phone=customer.phone or None,
                email=customer.email or None,
                loyalty_card=customer.loyalty_card or None,
                email_consent=customer.email_consent,
                updated_at=utc_stamp(at),
            )
        )

    def add_change(
        self, customer_id: str, field: str, old: str, new: str, user_id: str, at: datetime, reason: str
    ) -> None:
        self._conn.execute(
            insert(s.customer_changes).values(
                customer_id=customer_id,
                field=field,
                old_value=old,
                new_value=new,
                reason=reason,
                user_id=user_id,
                at=utc_stamp(at),
            )
        )

    def add_address(self, customer_id: str, address: Address, user_id: str, at: datetime, reason: str) -> None:
        self._conn.execute(
            insert(s.customer_addresses).values(
                customer_id=customer_id,
                line1=address.line1,
                line2=address.line2,
                city=address.city,
                region=address.region,
                postal_code=address.postal_code,
                country=address.country,
                reason=reason,
                user_id=user_id,
                valid_from=utc_stamp(at),
            )
        )

def case_from_row(row: RowMapping) -> Case:
    return Case(
        id=row["id"],
        number=row["number"],
        customer_id=row["customer_id"],
        kind=ContactKind(row["kind"]),
        category=row["category"],
        subject=row["subject"],
        status=CaseStatus(row["status"]),
        opened_at=_stamp(row["opened_at"]),
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
        referred_at=_stamp(row["referred_at"]),
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

    def add(self, case: Case) -> None:
        stamp = utc_stamp(case.opened_at)
        self._conn.execute(
            insert(s.cases).values(
                id=case.id,
                number=case.number,
                customer_id=case.customer_id,
                kind=str(case.kind),
                category=case.category,
                subject=case.subject,
                status=str(case.status),
                opened_at=stamp,
                opened_by=case.opened_by,
                updated_at=stamp,
                follow_up_on=case.follow_up_on.isoformat() if case.follow_up_on else None,
                follow_up_note=case.follow_up_note,
                resolution=case.resolution,
            )
        )

    def get(self, case_id: str) -> Case | None:
        row = self._conn.execute(select(s.cases).where(s.cases.c.id == case_id)).mappings().first()
        return case_from_row(row) if row else None

    def set_status(self, case_id: str, status: CaseStatus, at: datetime, resolution: str) -> None:
        self._conn.execute(
            update(s.cases)
            .where(s.cases.c.id == case_id)
            .values(status=str(status), resolution=resolution, updated_at=utc_stamp(at))
        )

    def set_follow_up(self, case_id: str, on: date | None, note: str, at: datetime) -> None:
        self._conn.execute(
            update(s.cases)
            .where(s.cases.c.id == case_id)
            .values(follow_up_on=on.isoformat() if on else None, follow_up_note=note, updated_at=utc_stamp(at))
        )

    def add_event(
        self, case_id: str, at: datetime, user_id: str, event: str, text: str, status_from: str, status_to: str
    ) -> None:
        self._conn.execute(
            insert(s.case_events).values(
                case_id=case_id,
                at=utc_stamp(at),
                user_id=user_id,
                event=event,
                status_from=status_from,
                status_to=status_to,
                text=text,
            )
        )

    def add_contact(
        self,
        contact_id: str,
        case_id: str,
        customer_id: str,
        kind: ContactKind,
        category: str,
        words: str,
        actions: str,
        user_id: str,
        at: datetime,
    ) -> None:
        self._conn.execute(
            insert(s.contacts).values(
                id=contact_id,
                case_id=case_id,
                customer_id=customer_id,
                kind=str(kind),
                category=category,
                words=words,
                actions=actions,
                handled_by=user_id,
                at=utc_stamp(at),
            )
        )

    def add_links(self, contact_id: str, links: Sequence[LinkedTransaction]) -> None:
        if links:
            self._conn.execute(
                insert(s.contact_links),
                [
                    {"contact_id": contact_id, "seq": n, "kind": str(ln.kind), "number": ln.number}
                    for n, ln in enumerate(links, start=1)
                ],
            )

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

    def add_referral(self, referral: Referral) -> None:
        self._conn.execute(
            insert(s.referrals).values(
                id=referral.id,
                case_id=referral.case_id,
                department=referral.department,
                department_name=referral.department_name,
                priority=str(referral.priority),
                due_on=referral.due_on.isoformat(),
                status=str(referral.status),
                referred_at=utc_stamp(referral.referred_at),
                referred_by=referral.referred_by,
                note=referral.note,
                outcome="",
            )
        )

    def get_referral(self, referral_id: str) -> Referral | None:
        row = self._conn.execute(referral_select().where(s.referrals.c.id == referral_id)).mappings().first()
        return referral_from_row(row) if row else None

    def add_referral_note(self, referral_id: str, at: datetime, user_id: str, kind: str, text: str) -> None:
        self._conn.execute(
            insert(s.referral_notes).values(
                referral_id=referral_id, at=utc_stamp(at), user_id=user_id, kind=kind, text=text
            )
        )

    def answer_referral(self, referral_id: str, outcome: str, at: datetime) -> None:
        self._conn.execute(
            update(s.referrals)
            .where(s.referrals.c.id == referral_id)
            .values(status=str(ReferralStatus.ANSWERED), outcome=outcome, answered_at=utc_stamp(at))
        )

    def close_referral(self, referral_id: str, how: str, at: datetime) -> None:
        self._conn.execute(
            update(s.referrals)
            .where(s.referrals.c.id == referral_id)
            .values(status=str(ReferralStatus.CLOSED), told_how=how, told_at=utc_stamp(at))
        )
