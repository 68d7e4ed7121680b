"""What the desk's entry rules (``counter.trust.desk_rules``) need of HQ's rows to check a
pushed batch (``hq.checks.check_batch``): the orders and accounts the batch's desk entries
name, locked ``FOR UPDATE`` in id order (two lanes' pushes about one order are checked one
after the other), with what their payment or entry rows sum to (and an order's refunds) and which lanes wrote them,
and what the sales they name paid, by tender kind. Plain SQLAlchemy Core."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from counter.trust.desk_rules import DESK_KINDS, HeldAccount, HeldOrder, SaleFacts, named_ids
from hq import schema as s


def held(
    conn: Connection, store_id: str, kinds: Sequence[str], bodies: Sequence[Any]
) -> tuple[dict[str, HeldOrder], dict[str, HeldAccount], dict[str, SaleFacts]]:
    """What HQ holds of the orders, accounts and sales the batch's desk entries name (in
    this store); the orders and accounts locked for the push's transaction."""
    order_ids: set[str] = set()
    account_ids: set[str] = set()
    sale_ids: set[str] = set()
    for kind, body in zip(kinds, bodies, strict=True):
        if kind in DESK_KINDS:
            order_id, account_id, sale_id = named_ids(kind, body)
            order_ids |= {order_id} if order_id else set()
            account_ids |= {account_id} if account_id else set()
            sale_ids |= {sale_id} if sale_id else set()
    orders = _orders(conn, store_id, sorted(order_ids)) if order_ids else {}
    accounts = _accounts(conn, store_id, sorted(account_ids)) if account_ids else {}
    sales = _sales(conn, store_id, sorted(sale_ids)) if sale_ids else {}
    return orders, accounts, sales


def _sums(
    conn: Connection, table: Any, column: str, store_id: str, ids: list[str]
) -> Mapping[str, tuple[int, set[str]]]:
    """Per parent id: what its rows' ``amount_minor`` sum to, and the lanes that wrote them."""
    out: dict[str, tuple[int, set[str]]] = defaultdict(lambda: (0, set()))
    parent = table.c[column]
    for pid, lane, total in conn.execute(
        select(parent, table.c.origin_terminal, func.sum(table.c.amount_minor))
        .where(table.c.store_id == store_id, parent.in_(ids))
        .group_by(parent, table.c.origin_terminal)
    ):
        was, lanes = out[pid]
        out[pid] = (was + int(total), lanes | {lane})
    return out


def _orders(conn: Connection, store_id: str, ids: list[str]) -> dict[str, HeldOrder]:
    o = s.orders
    rows = conn.execute(
        select(o.c.id, o.c.number, o.c.total_minor, o.c.status)
        .where(o.c.store_id == store_id, o.c.id.in_(ids))
        .order_by(o.c.id)
        .with_for_update()
    ).all()
    paid = _sums(conn, s.desk_payments, "order_id", store_id, ids)
    p = s.desk_payments
    refunded = dict(
        conn.execute(
            select(p.c.order_id, -func.sum(p.c.amount_minor))
            .where(p.c.store_id == store_id, p.c.order_id.in_(ids), p.c.amount_minor < 0)
            .group_by(p.c.order_id)
        ).all()
    )
    return {
        r.id: HeldOrder(
            r.id,
            r.number,
            int(r.total_minor),
            r.status,
            paid[r.id][0],
            frozenset(paid[r.id][1]),
            int(refunded.get(r.id, 0)),
        )
        for r in rows
    }


def _accounts(conn: Connection, store_id: str, ids: list[str]) -> dict[str, HeldAccount]:
    a = s.accounts
    rows = conn.execute(
        select(a.c.id, a.c.number, a.c.credit_limit_minor)
        .where(a.c.store_id == store_id, a.c.id.in_(ids))
        .order_by(a.c.id)
        .with_for_update()
    ).all()
    owed = _sums(conn, s.account_entries, "account_id", store_id, ids)
    return {
        r.id: HeldAccount(r.id, r.number, int(r.credit_limit_minor), owed[r.id][0], frozenset(owed[r.id][1]))
        for r in rows
    }


def _sales(conn: Connection, store_id: str, ids: list[str]) -> dict[str, SaleFacts]:
    st = s.sale_tenders
    totals = dict(
        conn.execute(
            select(s.sales.c.id, s.sales.c.total_minor).where(s.sales.c.id.in_(ids), s.sales.c.store_id == store_id)
        ).all()
    )
    by_kind: dict[str, dict[str, int]] = defaultdict(dict)
    for sale_id, kind, amount in conn.execute(
        select(st.c.sale_id, st.c.kind, func.sum(st.c.amount_minor))
        .where(st.c.sale_id.in_(list(totals)))
        .group_by(st.c.sale_id, st.c.kind)
    ):
        by_kind[sale_id][kind] = int(amount)
    return {sale_id: SaleFacts(int(total), by_kind[sale_id]) for sale_id, total in totals.items()}
