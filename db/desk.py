"""The service desk's money, inside a SqlUnitOfWork: orders and their lines, house
accounts and their entries, desk payments and their tenders, bill adjustments. Read here;
written only as the projection of journal entries (counter.projection.desk).

Balances (what an order has been paid, what an account owes) are summed from the rows
each time, never stored as a number that could drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, RowMapping, func, select

from counter.catalog import CategoryId, Item, ItemId, TaxClass
from counter.desk.accounts import Account
from counter.desk.orders import Order, OrderKind, OrderLine, OrderStatus, Terms
from counter.journal import parse_stamp
from counter.money import Currency
from counter.returns.model import Returned
from counter.returns.refunds import PaidTender
from counter.sales.tenders import CardDetails, TenderKind
from counter.store import TerminalIdentity
from db import schema as s
from db.customers import next_in_series

SERIES = {"payment": "P", "order": "L", "adjustment": "A", "account": "H"}


def order_paid(conn: Connection, order_id: str, currency: Currency) -> Decimal:
    total = conn.execute(
        select(func.coalesce(func.sum(s.desk_payments.c.amount_minor), 0)).where(s.desk_payments.c.order_id == order_id)
    ).scalar_one()
    return currency.from_minor(int(total))


def load_order(conn: Connection, row: RowMapping) -> Order:
    cur = Currency.of(row["currency"])
    f = cur.from_minor
    lines = conn.execute(
        select(s.order_lines).where(s.order_lines.c.order_id == row["id"]).order_by(s.order_lines.c.line_no)
    ).mappings()
    return Order(
        id=row["id"],
        number=row["number"],
        kind=OrderKind(row["kind"]),
        customer_id=row["customer_id"],
        status=OrderStatus(row["status"]),
        created_at=parse_stamp(row["created_at"]),
        created_by=row["created_by"],
        lines=tuple(
            OrderLine(
                ln["line_no"],
                Item(
                    ItemId(ln["item_id"]),
                    ln["sku"],
                    ln["name"],
                    f(ln["unit_price_minor"]),
                    TaxClass(ln["tax_code"], ln["tax_label"], Decimal(ln["tax_rate"])),
                    CategoryId(ln["category_id"]),
                ),
                ln["quantity"],
            )
            for ln in lines
        ),
        total=f(row["total_minor"]),
        tax=f(row["tax_minor"]),
        terms=Terms(
            f(row["min_deposit_minor"]),
            date.fromisoformat(row["due_on"]),
            f(row["cancel_fee_minor"]),
            bool(row["deposit_refundable"]),
        ),
        paid=order_paid(conn, row["id"], cur),
        sale_id=row["sale_id"],
    )


def account_owed(conn: Connection, account_id: str, currency: Currency) -> Decimal:
    total = conn.execute(
        select(func.coalesce(func.sum(s.account_entries.c.amount_minor), 0)).where(
            s.account_entries.c.account_id == account_id
        )
    ).scalar_one()
    return currency.from_minor(int(total))


def load_account(conn: Connection, row: RowMapping, currency: Currency) -> Account:
    return Account(
        row["id"],
        row["number"],
        row["customer_id"],
        currency.from_minor(row["credit_limit_minor"]),
        parse_stamp(row["opened_at"]),
        account_owed(conn, row["id"], currency),
    )


class SqlDesk:
    def __init__(self, conn: Connection, currency: Currency) -> None:
        self._conn = conn
        self._currency = currency

    def next_number(self, terminal: TerminalIdentity, series: str) -> str:
        return f"{terminal.code}-{SERIES[series]}{next_in_series(self._conn, terminal, series):05d}"

    def tax_class(self, code: str) -> TaxClass | None:
        row = self._conn.execute(select(s.tax_classes).where(s.tax_classes.c.code == code)).mappings().first()
        return TaxClass(row["code"], row["label"], Decimal(row["rate"])) if row else None

    def current_price(self, item_id: str) -> Decimal | None:
        minor = self._conn.execute(select(s.items.c.price_minor).where(s.items.c.id == item_id)).scalar()
        return None if minor is None else self._currency.from_minor(int(minor))

    def get_order(self, order_id: str) -> Order | None:
        row = self._conn.execute(select(s.orders).where(s.orders.c.id == order_id)).mappings().first()
        return load_order(self._conn, row) if row else None

    def order_tenders(self, order_id: str) -> tuple[PaidTender, ...]:
        """Tenders of the order's payments numbered 1.. in the order they were taken; a
        refund part's ``original_seq`` points at that number."""
        rows = self._conn.execute(
            select(s.desk_tenders, s.desk_payments.c.at)
            .join(s.desk_payments, s.desk_payments.c.id == s.desk_tenders.c.payment_id)
            .where(s.desk_payments.c.order_id == order_id)
            .order_by(s.desk_payments.c.at, s.desk_payments.c.number, s.desk_tenders.c.seq)
        ).mappings()
        f = self._currency.from_minor
        taken: list[RowMapping] = []
        refunded: dict[int, int] = {}
        for r in rows:
            if r["amount_minor"] > 0:
                taken.append(r)
            elif r["original_seq"] is not None:
                refunded[r["original_seq"]] = refunded.get(r["original_seq"], 0) - r["amount_minor"]
        return tuple(
            PaidTender(
                n,
                TenderKind(r["kind"]),
                f(r["amount_minor"]),
                f(refunded.get(n, 0)),
                CardDetails(r["card_brand"], r["card_last4"], r["approval_code"]) if r["card_brand"] else None,
                r["voucher_code"],
            )
            for n, r in enumerate(taken, start=1)
        )

    # --- house accounts -----------------------------------------------------------------

    def get_account(self, account_id: str) -> Account | None:
        row = self._conn.execute(select(s.accounts).where(s.accounts.c.id == account_id)).mappings().first()
        return load_account(self._conn, row, self._currency) if row else None

    def account_for(self, customer_id: str) -> Account | None:
        row = self._conn.execute(select(s.accounts).where(s.accounts.c.customer_id == customer_id)).mappings().first()
        return load_account(self._conn, row, self._currency) if row else None

    def adjusted_lines(self, sale_id: str) -> Mapping[str, Returned]:
        return adjusted_lines(self._conn, sale_id)


def adjusted_lines(conn: Connection, sale_id: str) -> dict[str, Returned]:
    a = s.adjustments
    rows = conn.execute(
        select(
            a.c.sale_line_id,
            func.sum(a.c.amount_minor),
            func.sum(a.c.tax_minor),
            func.sum(a.c.gross_minor),
            a.c.currency,
        )
        .where(a.c.sale_id == sale_id, a.c.sale_line_id.is_not(None))
        .group_by(a.c.sale_line_id, a.c.currency)
    ).all()
    out: dict[str, Returned] = {}
    for line_id, amount, tax, gross, code in rows:
        f = Currency.of(code).from_minor
        out[line_id] = Returned(0, f(amount), f(tax), f(gross), f(gross))
    return out


def refunded_by_desk(conn: Connection, sale_id: str) -> dict[int, int]:
    """Minor units paid back to each tender of a sale by desk refunds (adjustments)."""
    rows = conn.execute(
        select(s.desk_tenders.c.original_seq, func.sum(s.desk_tenders.c.amount_minor))
        .join(s.desk_payments, s.desk_payments.c.id == s.desk_tenders.c.payment_id)
        .where(s.desk_payments.c.original_sale_id == sale_id, s.desk_tenders.c.original_seq.is_not(None))
        .group_by(s.desk_tenders.c.original_seq)
    ).all()
    return {int(seq): -int(total) for seq, total in rows}
