"""Read-side queries of the service desk (read engine, deferred transactions): finding a
customer, their history, cases and referrals, department queues, the follow-up list,
orders and accounts, and the rows of the returns and complaints analysis."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, or_, select

from counter.desk.accounts import Account
from counter.desk.analysis import ComplaintRow, ReturnRow
from counter.desk.cases import Case, CaseEvent
from counter.desk.customers import (
    Customer,
    CustomerError,
    CustomerSummary,
    check_loyalty_card,
    looks_like_loyalty_card,
    normalize_phone,
)
from counter.desk.orders import Order, OrderStatus
from counter.desk.referrals import Referral, ReferralStatus
from counter.desk.service import DeskConfig, config_from_json
from counter.journal import parse_stamp, utc_stamp
from counter.money import ZERO, Currency
from counter.returns.lookup import normalize_receipt_number
from db import desk_hq, schema as s
from db.customers import case_from_row, customer_from_row, referral_from_row, referral_select
from db.desk import load_account, load_order

_RECEIPT = re.compile(r"^(CNTR:)?[A-Z0-9]{2,8}-[A-Z0-9]{2,8}-[A-Z]?\d{5,6}$", re.IGNORECASE)


def desk_config(engine: Engine) -> DeskConfig:
    """The desk's configuration from the store's settings, with HQ's departments once the
    lane has pulled them (the settings' list is the fallback of a lane that never synced)."""
    from db.queries import read_settings

    config = config_from_json(read_settings(engine).get("service_desk"))
    with engine.connect() as conn:
        pulled = desk_hq.departments(conn)
    return replace(config, departments=pulled) if pulled else config


def find_customers(engine: Engine, text: str, *, region: str = "US", limit: int = 30) -> list[Customer]:
    """Customers matching what was typed or scanned: a loyalty card, an e-mail address, a
    phone number (whole or its last digits), a receipt, return or case number, or a name."""
    query = text.strip()
    if not query:
        return []
    c = s.customers
    with engine.connect() as conn:
        if looks_like_loyalty_card(query):
            stmt = select(c).where(c.c.loyalty_card == check_loyalty_card(query))
        elif "@" in query:
            stmt = select(c).where(c.c.email.like(f"%{_like(query.lower())}%", escape="\\"))
        elif _RECEIPT.match(query):
            number = normalize_receipt_number(query)
            ids = select(s.customer_links.c.customer_id).where(s.customer_links.c.ref_number == number)
            by_case = select(s.cases.c.customer_id).where(s.cases.c.number == number)
            stmt = select(c).where(or_(c.c.id.in_(ids), c.c.id.in_(by_case)))
        elif sum(ch.isdigit() for ch in query) >= 4 and not any(ch.isalpha() for ch in query):
            digits = "".join(ch for ch in query if ch.isdigit())
            try:
                full = normalize_phone(query, region)
            except CustomerError:
                full = ""
            stmt = select(c).where(or_(c.c.phone == full, c.c.phone.like(f"%{digits}")))
        else:
            words = query.split()
            stmt = select(c)
            for w in words[:4]:
                stmt = stmt.where(c.c.name.like(f"%{_like(w)}%", escape="\\"))
        rows = conn.execute(stmt.order_by(c.c.name).limit(limit)).mappings().all()
        return [customer_from_row(conn, r) for r in rows]


def looks_like_number(text: str) -> bool:
    """Whether the text is a receipt, return, order, payment or case number (as scanned or typed)."""
    return bool(_RECEIPT.match(text.strip()))


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_customer(engine: Engine, customer_id: str) -> Customer | None:
    with engine.connect() as conn:
        row = conn.execute(select(s.customers).where(s.customers.c.id == customer_id)).mappings().first()
        return customer_from_row(conn, row) if row else None


def customer_summary(engine: Engine, customer_id: str, currency: Currency) -> CustomerSummary:
    with engine.connect() as conn:
        codes = select(s.customer_links.c.ref_id).where(
            s.customer_links.c.customer_id == customer_id, s.customer_links.c.kind == "voucher"
        )
        credit = conn.execute(
            select(func.coalesce(func.sum(s.voucher_movements.c.amount_minor), 0)).where(
                s.voucher_movements.c.voucher_code.in_(codes)
            )
        ).scalar_one()
        account_row = conn.execute(select(s.accounts).where(s.accounts.c.customer_id == customer_id)).mappings().first()
        account = load_account(conn, account_row, currency) if account_row else None
        open_cases = conn.execute(
            select(func.count()).where(
                s.cases.c.customer_id == customer_id, s.cases.c.status.in_(("open", "waiting", "referred"))
            )
        ).scalar_one()
        open_orders = conn.execute(
            select(func.count()).where(s.orders.c.customer_id == customer_id, s.orders.c.status == "open")
        ).scalar_one()
    return CustomerSummary(
        currency.from_minor(int(credit)),
        account.owed if account else None,
        account.credit_limit if account else ZERO,
        int(open_cases),
        int(open_orders),
    )


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    kind: str  # purchase, return, order, payment, adjustment
    number: str
    amount: Decimal
    text: str


def customer_history(engine: Engine, customer_id: str, currency: Currency, limit: int = 200) -> list[HistoryRow]:
    """Purchases, returns, orders, desk payments and adjustments, newest first."""
    f = currency.from_minor
    out: list[HistoryRow] = []
    links = s.customer_links
    with engine.connect() as conn:
        for r in conn.execute(
            select(s.sales.c.receipt_number, s.sales.c.completed_at, s.sales.c.total_minor, s.sales.c.id)
            .join(links, (links.c.ref_id == s.sales.c.id) & (links.c.kind == "sale"))
            .where(links.c.customer_id == customer_id)
        ):
            names = conn.execute(
                select(s.sale_lines.c.name).where(s.sale_lines.c.sale_id == r.id).order_by(s.sale_lines.c.line_no)
            ).scalars()
            out.append(
                HistoryRow(
                    parse_stamp(r.completed_at), "purchase", r.receipt_number, f(r.total_minor), ", ".join(names)
                )
            )
        for r in conn.execute(
            select(s.returns.c.return_number, s.returns.c.completed_at, s.returns.c.refund_minor, s.returns.c.id)
            .join(links, (links.c.ref_id == s.returns.c.id) & (links.c.kind == "return"))
            .where(links.c.customer_id == customer_id)
        ):
            names = conn.execute(select(s.return_lines.c.name).where(s.return_lines.c.return_id == r.id)).scalars()
            out.append(
                HistoryRow(parse_stamp(r.completed_at), "return", r.return_number, -f(r.refund_minor), ", ".join(names))
            )
        for p in conn.execute(select(s.desk_payments).where(s.desk_payments.c.customer_id == customer_id)).mappings():
            out.append(
                HistoryRow(parse_stamp(p["at"]), p["purpose"], p["number"], f(p["amount_minor"]), p["reference"])
            )
        # Purchases and returns made at other lanes: their links came from HQ with what they
        # came to (db/sync_people.py); the documents themselves are not in this store file.
        seen = {h.number for h in out}
        for r in conn.execute(
            select(links).where(
                links.c.customer_id == customer_id,
                links.c.amount_minor.is_not(None),
                links.c.kind.in_(("sale", "return")),
            )
        ):
            if r.ref_number not in seen:
                kind = "purchase" if r.kind == "sale" else "return"
                out.append(HistoryRow(parse_stamp(r.at), kind, r.ref_number, f(r.amount_minor), r.summary or ""))
    out.sort(key=lambda h: h.at, reverse=True)
    return out[:limit]


@dataclass(frozen=True)
class AddressRow:
    valid_from: datetime
    text: str
    reason: str
    user_name: str


def address_history(engine: Engine, customer_id: str) -> list[AddressRow]:
    from counter.desk.customers import Address

    a = s.customer_addresses
    with engine.connect() as conn:
        rows = conn.execute(
            select(a, s.users.c.name.label("user_name"))
            .join(s.users, s.users.c.id == a.c.user_id, isouter=True)
            .where(a.c.customer_id == customer_id)
            .order_by(a.c.id.desc())
        ).mappings()
        return [
            AddressRow(
                parse_stamp(r["valid_from"]),
                Address(r["line1"], r["line2"], r["city"], r["region"], r["postal_code"], r["country"]).one_line,
                r["reason"],
                r["user_name"] or r["user_id"],
            )
            for r in rows
        ]


def cases_for(engine: Engine, customer_id: str) -> list[Case]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.cases).where(s.cases.c.customer_id == customer_id).order_by(s.cases.c.opened_at.desc())
        ).mappings()
        return [case_from_row(r) for r in rows]


def get_case(engine: Engine, case_id: str) -> Case | None:
    with engine.connect() as conn:
        row = conn.execute(select(s.cases).where(s.cases.c.id == case_id)).mappings().first()
        return case_from_row(row) if row else None


def case_by_number(engine: Engine, number: str) -> Case | None:
    with engine.connect() as conn:
        row = conn.execute(select(s.cases).where(s.cases.c.number == number.strip().upper())).mappings().first()
        return case_from_row(row) if row else None


def case_events(engine: Engine, case_id: str) -> list[CaseEvent]:
    e = s.case_events
    with engine.connect() as conn:
        rows = conn.execute(
            select(e, s.users.c.name.label("user_name"))
            .join(s.users, s.users.c.id == e.c.user_id, isouter=True)
            .where(e.c.case_id == case_id)
            .order_by(e.c.id)
        ).mappings()
        return [
            CaseEvent(parse_stamp(r["at"]), r["user_name"] or r["user_id"], r["event"], r["text"], r["status_to"])
            for r in rows
        ]


def case_links(engine: Engine, case_id: str) -> list[tuple[str, str]]:
    """(kind, number) of the transactions the case's contacts are about."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.contact_links.c.kind, s.contact_links.c.number)
            .join(s.contacts, s.contacts.c.id == s.contact_links.c.contact_id)
            .where(s.contacts.c.case_id == case_id)
            .order_by(s.contacts.c.at, s.contact_links.c.seq)
        ).all()
        return [(k, n) for k, n in rows]


def referrals_for_case(engine: Engine, case_id: str) -> list[Referral]:
    with engine.connect() as conn:
        rows = conn.execute(
            referral_select().where(s.referrals.c.case_id == case_id).order_by(s.referrals.c.referred_at)
        ).mappings()
        return [referral_from_row(r) for r in rows]


def department_queue(engine: Engine, department: str, *, include_answered: bool = True) -> list[Referral]:
    """A department's open referrals and those HQ escalated to it (from any lane of the
    store), escalated first, then most urgent, then oldest due date."""
    wanted = [str(ReferralStatus.OPEN)] + ([str(ReferralStatus.ANSWERED)] if include_answered else [])
    r = s.referrals
    with engine.connect() as conn:
        rows = conn.execute(referral_select().where(r.c.department == department, r.c.status.in_(wanted))).mappings()
        found = [referral_from_row(x) for x in rows]
        e = s.referral_escalations
        escalated = select(e.c.referral_id).where(e.c.escalated_to == department, e.c.settled_at.is_(None))
        here = conn.execute(
            referral_select().where(r.c.id.in_(escalated), r.c.department != department, r.c.status == "open")
        ).mappings()
        found += [referral_from_row(x) for x in here]
        marks = desk_hq.escalations_of(conn, [x.id for x in found])
        found = [desk_hq.with_escalation(x, marks.get(x.id)) for x in found]
        held = set(conn.execute(select(r.c.id).where(r.c.id.in_(escalated))).scalars())
        found += desk_hq.escalated_referrals(conn, department, held)
    return sorted(
        found, key=lambda x: (x.status is not ReferralStatus.OPEN, not x.escalated_to, x.priority.rank, x.due_on)
    )


def referral_notes(engine: Engine, referral_id: str) -> list[tuple[datetime, str, str, str]]:
    n = s.referral_notes
    with engine.connect() as conn:
        rows = conn.execute(
            select(n.c.at, s.users.c.name, n.c.kind, n.c.text)
            .join(s.users, s.users.c.id == n.c.user_id, isouter=True)
            .where(n.c.referral_id == referral_id)
            .order_by(n.c.id)
        ).all()
        return [(parse_stamp(at), name or "", kind, text) for at, name, kind, text in rows]


@dataclass(frozen=True)
class DueCase:
    case: Case
    customer_name: str
    phone: str


def follow_ups_due(engine: Engine, today: date) -> list[DueCase]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.cases, s.customers.c.name.label("customer_name"), s.customers.c.phone.label("customer_phone"))
            .join(s.customers, s.customers.c.id == s.cases.c.customer_id)
            .where(s.cases.c.follow_up_on.is_not(None), s.cases.c.follow_up_on <= today.isoformat())
            .order_by(s.cases.c.follow_up_on, s.cases.c.number)
        ).mappings()
        return [DueCase(case_from_row(r), r["customer_name"], r["customer_phone"] or "") for r in rows]


def orders_for(engine: Engine, customer_id: str, *, open_only: bool = False) -> list[Order]:
    stmt = select(s.orders).where(s.orders.c.customer_id == customer_id)
    if open_only:
        stmt = stmt.where(s.orders.c.status == str(OrderStatus.OPEN))
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(s.orders.c.created_at.desc())).mappings().all()
        return [load_order(conn, r) for r in rows]


def account_of(engine: Engine, customer_id: str, currency: Currency) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(select(s.accounts).where(s.accounts.c.customer_id == customer_id)).mappings().first()
        return load_account(conn, row, currency) if row else None


def account_entries(engine: Engine, account_id: str, currency: Currency) -> list[tuple[datetime, str, Decimal, str]]:
    e = s.account_entries
    with engine.connect() as conn:
        rows = conn.execute(
            select(e.c.at, e.c.kind, e.c.amount_minor, e.c.reference)
            .where(e.c.account_id == account_id)
            .order_by(e.c.id)
        ).all()
        return [(parse_stamp(at), kind, currency.from_minor(a), ref) for at, kind, a, ref in rows]


# --- the returns and complaints analysis ------------------------------------------------


def analysis_rows(
    engine: Engine, since: datetime, until: datetime, currency: Currency
) -> tuple[list[ReturnRow], list[ComplaintRow]]:
    """Returned lines and logged contacts in [since, until) (UTC bounds)."""
    rl, r = s.return_lines, s.returns
    lo, hi = utc_stamp(since), utc_stamp(until)
    with engine.connect() as conn:
        returns = [
            ReturnRow(
                row.sku,
                row.name,
                row.category or "(not in the catalog)",
                row.reason,
                row.condition,
                int(row.quantity),
                currency.from_minor(int(row.gross_minor) - int(row.fee_minor)),
                row.disposition,
                row.return_number,
                parse_stamp(row.completed_at).astimezone(since.tzinfo).date(),
            )
            for row in conn.execute(
                select(
                    rl.c.sku,
                    rl.c.name,
                    s.categories.c.name.label("category"),
                    rl.c.reason,
                    rl.c.condition,
                    rl.c.quantity,
                    rl.c.gross_minor,
                    rl.c.fee_minor,
                    rl.c.disposition,
                    r.c.return_number,
                    r.c.completed_at,
                )
                .join(r, r.c.id == rl.c.return_id)
                .join(s.items, s.items.c.id == rl.c.item_id, isouter=True)
                .join(s.categories, s.categories.c.id == s.items.c.category_id, isouter=True)
                .where(r.c.completed_at >= lo, r.c.completed_at < hi)
                .order_by(r.c.completed_at, rl.c.line_no)
            )
        ]
        complaints = [
            ComplaintRow(row.kind, row.category, row.sku or "", row.item or "")
            for row in conn.execute(_contacts_with_items(lo, hi))
        ]
    return returns, complaints


def _contacts_with_items(lo: str, hi: str) -> Any:
    """Each contact in the period, with the first item of the sale it is linked to (if any)."""
    c, cl = s.contacts, s.contact_links
    first_item = (
        select(s.sale_lines.c.sku, s.sale_lines.c.name)
        .join(s.sales, s.sales.c.id == s.sale_lines.c.sale_id)
        .where(s.sales.c.receipt_number == cl.c.number)
        .order_by(s.sale_lines.c.line_no)
        .limit(1)
    )
    sku = first_item.with_only_columns(s.sale_lines.c.sku).scalar_subquery()
    name = first_item.with_only_columns(s.sale_lines.c.name).scalar_subquery()
    link = (
        select(cl.c.contact_id, sku.label("sku"), name.label("item"))
        .where(cl.c.kind == "sale", cl.c.seq == 1)
        .subquery()
    )
    return (
        select(c.c.kind, c.c.category, link.c.sku, link.c.item)
        .join(link, link.c.contact_id == c.c.id, isouter=True)
        .where(c.c.at >= lo, c.c.at < hi)
    )
