"""The card requests and answers as the store holds them (``counter.payments.ports.
CardRequests``): the projections of CardRequestSent, CardRequestSettled, CardRefundClosed and
CardDayClosed entries (db/schema_cards.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, and_, case, exists, func, literal_column, or_, select, text

from counter.payments.ports import CardAnswerRow, CardRequestRow, TillCardTotals
from db import schema as s

#: outcomes where the terminal moved money (an approval for another amount, reversed after)
_CHARGED = ("approved", "other_amount")
_rq, _an, _cl, _days, _pd = s.card_requests, s.card_answers, s.card_refunds_closed, s.card_days, s.card_pending


def _select() -> Select[Any]:
    return select(_rq, _an.c.outcome, _an.c.how, _an.c.amount_minor.label("answered_minor"), _an.c.reference,
                  _an.c.trace, _an.c.card_brand, _an.c.card_last4, _an.c.approval_code, _an.c.text,
                  _an.c.answered_at).select_from(_rq.outerjoin(_an, _an.c.request_id == _rq.c.request_id))  # fmt: skip


def _row(r: RowMapping) -> CardRequestRow:
    answer = None
    if r["outcome"] is not None:
        answer = CardAnswerRow(
            outcome=r["outcome"], how=r["how"], amount_minor=int(r["answered_minor"]), reference=r["reference"],
            trace=r["trace"], card_brand=r["card_brand"], card_last4=r["card_last4"],
            approval_code=r["approval_code"], text=r["text"], answered_at=r["answered_at"],
        )  # fmt: skip
    return CardRequestRow(
        request_id=r["request_id"], op=r["op"], amount_minor=int(r["amount_minor"]), for_kind=r["for_kind"],
        for_id=r["for_id"], seq=int(r["seq"]), total_minor=r["total_minor"], original=r["original"],
        prior_trace=r["prior_trace"], sent_at=r["sent_at"], user_id=r["user_id"], answer=answer,
    )  # fmt: skip


class SqlCardRequests:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, request_id: str) -> CardRequestRow | None:
        r = self._conn.execute(_select().where(_rq.c.request_id == request_id)).mappings().first()
        return _row(r) if r is not None else None

    def pending(self, terminal_id: str) -> list[CardRequestRow]:
        """The requests still waiting for their answer, oldest first: read from the waiting
        rows of ``card_pending`` (its partial index, ``settled = 0`` written out so that
        SQLite can use it), not by looking up an answer for every request ever sent."""
        waiting = select(_pd.c.request_id).where(_pd.c.terminal_id == terminal_id, text("card_pending.settled = 0"))
        q = _select().where(_rq.c.request_id.in_(waiting), _an.c.request_id.is_(None)).order_by(_rq.c.sent_at)
        return [_row(r) for r in self._conn.execute(q).mappings()]

    def last_trace(self, terminal_id: str) -> str:
        q = (
            select(_an.c.trace)
            .where(_an.c.terminal_id == terminal_id, _an.c.trace != "")
            .order_by(_an.c.answered_at.desc())
            .limit(1)
        )
        return str(self._conn.execute(q).scalar() or "")

    def for_purpose(self, for_kind: str, for_id: str) -> list[CardRequestRow]:
        q = _select().where(_rq.c.for_kind == for_kind, _rq.c.for_id == for_id).order_by(_rq.c.sent_at, _rq.c.seq)
        return [_row(r) for r in self._conn.execute(q).mappings()]

    def payment_reference(self, sale_id: str, seq: int) -> str | None:
        q = (
            select(_an.c.reference)
            .select_from(_rq.join(_an, _an.c.request_id == _rq.c.request_id))
            .where(
                _rq.c.for_kind == "sale",
                _rq.c.for_id == sale_id,
                _rq.c.seq == seq,
                _rq.c.op == "sale",
                _an.c.outcome == "approved",
            )
        )
        ref = self._conn.execute(q).scalar()
        return str(ref) if ref else None

    def open_refunds(self, terminal_id: str) -> Sequence[CardRequestRow]:
        """One query (read at every sign-in): each refund's newest request, answered but not
        approved, with no later try and not paid another way."""
        later = _rq.alias("later")
        # a try journaled at the same moment is later by its place in the table
        same_time_after = literal_column("later.rowid") > literal_column("card_requests.rowid")
        tried_again = exists().where(
            later.c.terminal_id == _rq.c.terminal_id,
            later.c.for_kind == _rq.c.for_kind,
            later.c.for_id == _rq.c.for_id,
            later.c.seq == _rq.c.seq,
            later.c.op == _rq.c.op,
            or_(
                later.c.sent_at > _rq.c.sent_at,
                and_(later.c.sent_at == _rq.c.sent_at, same_time_after),
            ),
        )
        paid_otherwise = exists().where(_cl.c.return_id == _rq.c.for_id, _cl.c.seq == _rq.c.seq)
        q = _select().where(
            _rq.c.terminal_id == terminal_id,
            _rq.c.for_kind == "return",
            _rq.c.op == "refund",
            _an.c.outcome.is_not(None),
            _an.c.outcome != "approved",
            ~tried_again,
            ~paid_otherwise,
        )
        return [_row(r) for r in self._conn.execute(q.order_by(_rq.c.sent_at)).mappings()]

    def till_totals(self, terminal_id: str) -> TillCardTotals:
        since = self._conn.execute(select(func.max(_days.c.closed_at)).where(_days.c.terminal_id == terminal_id))
        after = str(since.scalar() or "")
        signed = func.sum(
            _an.c.amount_minor * case((_rq.c.op == "sale", 1), else_=-1)  # refunds and reversals take away
        )
        q = (
            select(func.count(), func.coalesce(signed, 0))
            .select_from(_rq.join(_an, and_(_an.c.request_id == _rq.c.request_id, _an.c.outcome.in_(_CHARGED))))
            .where(_rq.c.terminal_id == terminal_id, _an.c.answered_at > after)
        )
        count, amount = self._conn.execute(q).one()
        return TillCardTotals(int(count), int(amount), after)
