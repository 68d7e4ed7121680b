"""Reads of part payments and voids (rows written only as the projection of their
PartPaymentTaken and SaleVoided entries, counter.projection.part_payments).

What a sale id stands for: ``completed`` (its SaleCompleted is recorded), ``voided`` (a
void gave its payments back), or ``open``; the part payments journaled for it; the sales of
a terminal that part payments were taken for and that were neither completed nor voided
(Counter stopped in between), so the next person to sign in can give them back; and the
cash these move in a shift (db/shifts.py).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, and_, exists, func, select

from counter.money import Currency
from counter.sales.tenders import CardDetails, TakenBefore, Tender, TenderKind
from db import schema as s

_pp, _vp = s.part_payments, s.voided_payments


def part_payments(conn: Connection, sale_id: str, currency: Currency) -> list[Tender]:
    rows = conn.execute(select(_pp).where(_pp.c.sale_id == sale_id).order_by(_pp.c.seq)).mappings()
    f = currency.from_minor
    return [
        Tender(
            TenderKind(r["kind"]),
            f(r["amount_minor"]),
            f(r["tendered_minor"]),
            CardDetails(r["card_brand"], r["card_last4"], r["approval_code"]) if r["card_brand"] else None,
            r["voucher_code"],
        )
        for r in rows
    ]


def sale_state(conn: Connection, sale_id: str) -> str:
    if conn.execute(select(s.sales.c.id).where(s.sales.c.id == sale_id)).first() is not None:
        return "completed"
    if conn.execute(select(_vp.c.sale_id).where(_vp.c.sale_id == sale_id).limit(1)).first() is not None:
        return "voided"
    return "open"


def _open() -> ColumnElement[bool]:
    """Part payments whose sale was neither completed nor voided."""
    return and_(
        ~exists().where(s.sales.c.id == _pp.c.sale_id),
        ~exists().where(_vp.c.sale_id == _pp.c.sale_id),
    )


def interrupted(conn: Connection, terminal_id: str, currency: Currency) -> list[TakenBefore]:
    """This terminal's sales with part payments that were neither completed nor voided,
    oldest first."""
    rows = conn.execute(
        select(_pp.c.sale_id, func.max(_pp.c.total_minor), func.min(_pp.c.taken_at))
        .where(_pp.c.terminal_id == terminal_id, _open())
        .group_by(_pp.c.sale_id)
        .order_by(func.min(_pp.c.taken_at))
    ).all()
    return [
        TakenBefore(str(sale_id), currency.from_minor(int(total)), tuple(part_payments(conn, sale_id, currency)))
        for sale_id, total, _ in rows
    ]


def cash_in_shift(conn: Connection, terminal_id: str, since: str, until: str) -> int:
    """Minor units: cash part payments taken in the window whose sale did not complete (a
    completed sale's cash is counted with its tenders), less the cash voids handed back in
    it of what had been taken as part payments."""
    taken = conn.execute(
        select(func.coalesce(func.sum(_pp.c.amount_minor), 0)).where(
            _pp.c.terminal_id == terminal_id,
            _pp.c.taken_at >= since,
            _pp.c.taken_at < until,
            _pp.c.kind == "cash",
            ~exists().where(s.sales.c.id == _pp.c.sale_id),
        )
    ).scalar_one()
    given = conn.execute(
        select(func.coalesce(func.sum(_vp.c.amount_minor), 0)).where(
            _vp.c.terminal_id == terminal_id,
            _vp.c.given_back_at >= since,
            _vp.c.given_back_at < until,
            _vp.c.kind == "cash",
            _vp.c.recorded_before.is_(True),
        )
    ).scalar_one()
    return int(taken) - int(given)
