"""Work two lanes did offline on one desk record, judged at HQ after each push's desk rows
are projected (``check``, called by ``hq.desk.project`` in the push's transaction).

Nothing a lane recorded is refused or dropped for it: both lanes' payments stay as they
were taken, and balances are sums of HQ's rows (hq/desk_api.py). What needs a person is
listed in ``exceptions`` (shown by ``/v1/exceptions`` and ``counter hq report``), once per
cause (the table's unique ``(return_id, sale_line_id)``: the payment or case event that is
the cause, and the kind), naming the order or case number, the lanes and the amounts:

* ``order_overpaid``: a payment after which an order's payment rows, in the order they
  were taken (their time, then lane and number), sum above its total; the excess is
  credit owed to the customer.
* ``order_paid_closed``: a payment taken at or after the time another lane picked the order
  up or cancelled it (the lane did not know).
* ``order_closed_unaware``: a payment another lane took before the pickup or cancellation
  (by time) that the closing entry did not count (its ``paid`` or ``deposits_applied``):
  kept, neither refunded nor applied.
* ``case_reopened``: a case status change at one lane timed after another lane closed the
  case.

Columns: ``sale_id`` the order's or case's id, ``receipt_number`` its number,
``store_id``/``terminal_id`` the lane of the flagged payment or change, ``lanes`` every
lane involved, ``return_numbers`` the payments (or the closing lane's entry), ``sold`` the
order's total and ``returned`` what its rows sum to (minor units; a case: 0 and 0),
``amount_minor`` the flagged payment.

Status changes are ordered: a case's status at HQ is that of its latest status change by
the entry's time (ties: lane, entry, place in it), not that of the last one pushed
(``order_status``). Notes and events are rows of their own, so both lanes' are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, cast, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert as pg_insert

from hq import schema as s
from hq.store import utcnow

log = logging.getLogger(__name__)

OVERPAID = "order_overpaid"
PAID_CLOSED = "order_paid_closed"
UNAWARE = "order_closed_unaware"
REOPENED = "case_reopened"
KINDS = frozenset({OVERPAID, PAID_CLOSED, UNAWARE, REOPENED})
INT32 = 2**31 - 1


def check(conn: Connection, store_id: str, order_ids: Iterable[str], case_ids: Iterable[str]) -> None:
    """Order the touched cases' status and list what the touched orders and cases need."""
    found: list[dict[str, Any]] = []
    now = utcnow()
    for order_id in sorted(set(order_ids)):
        found += _order(conn, store_id, order_id, now)
    for case_id in sorted(set(case_ids)):
        found += order_status(conn, store_id, case_id, now)
    if found:
        log.warning("desk exceptions in %s: %d", store_id, len(found))
        conn.execute(
            pg_insert(s.exceptions).values(found).on_conflict_do_nothing(index_elements=["return_id", "sale_line_id"])
        )


def _money(minor: int) -> str:
    return f"{minor / 100:,.2f}"


def _row(kind: str, parent: Any, cause: str, store_id: str, lane: str, now: datetime, **more: Any) -> dict[str, Any]:
    return {
        "at": now,
        "kind": kind,
        "sale_id": parent.id,
        "sale_line_id": kind,
        "return_id": cause,
        "store_id": store_id,
        "terminal_id": lane,
        "receipt_number": parent.number,
        "sku": None,
        **more,
    }


def _closer(conn: Connection, store_id: str, order: Any, payments: Sequence[Any]) -> tuple[str, int] | None:
    """The lane that picked the closed order up or cancelled it, and what its entry counted
    as paid before (``deposits_applied``, ``paid``), from HQ's journal; asked only when two
    lanes' work meets on the order (payments or the pickup's sale from more than one lane,
    or a payment timed after the closing), so one lane's orders cost no journal read."""
    lanes = {str(x.origin_terminal) for x in payments}
    if order.status == "picked_up" and order.sale_id is not None:
        sold_at = select(s.sales.c.terminal_id).where(s.sales.c.id == order.sale_id)
        lanes |= {str(t) for t in conn.execute(sold_at).scalars()}
    late = any(int(x.amount_minor) > 0 and str(x.at) >= str(order.closed_at) for x in payments)
    if len(lanes) < 2 and not late:
        return None
    j = s.journal
    kind, said = ("OrderPickedUp", "deposits_applied") if order.status == "picked_up" else ("OrderCancelled", "paid")
    body = cast(j.c.body, JSONB)
    row = conn.execute(
        select(j.c.terminal_id, body[said].astext.label("counted"))
        .where(
            j.c.store_id == store_id,
            j.c.type == kind,
            j.c.at == order.closed_at,  # the closing entry's time (hq/desk.py)
            body["order_id"].astext == order.id,
        )
        .order_by(j.c.terminal_id, j.c.seq)
        .limit(1)
    ).first()
    return (str(row.terminal_id), int(row.counted)) if row is not None else None


def _order(conn: Connection, store_id: str, order_id: str, now: datetime) -> list[dict[str, Any]]:
    o, p = s.orders, s.desk_payments
    order = conn.execute(select(o).where(o.c.store_id == store_id, o.c.id == order_id)).first()
    if order is None:
        return []
    payments = conn.execute(
        select(p.c.id, p.c.number, p.c.purpose, p.c.amount_minor, p.c.at, p.c.origin_terminal)
        .where(p.c.store_id == store_id, p.c.order_id == order_id)
        .order_by(p.c.at, p.c.origin_terminal, p.c.number)
    ).all()
    total = int(order.total_minor)
    paid_all = sum(int(x.amount_minor) for x in payments)
    what = f"{order.kind} {order.number}"
    closed = order.status in ("picked_up", "cancelled") and order.closed_at is not None
    closer = _closer(conn, store_id, order, payments) if closed else None
    verb = "picked up" if order.status == "picked_up" else "cancelled"
    found: list[dict[str, Any]] = []
    # what the closing entry counted of the other lanes' payments before it: what it said
    # was paid less its own lane's payments (it knew those)
    own = sum(
        int(x.amount_minor)
        for x in payments
        if closer is not None
        and x.origin_terminal == closer[0]
        and int(x.amount_minor) > 0
        and str(x.at) < str(order.closed_at)
    )
    knew = closer[1] - own if closer is not None else 0
    paid = paid_in = 0
    for n, x in enumerate(payments):
        amount = int(x.amount_minor)
        paid += amount
        if amount <= 0:
            continue  # a refund: never the cause
        before = closed and str(x.at) < str(order.closed_at)
        if closer is not None and before and x.origin_terminal != closer[0]:
            paid_in += amount  # other lanes' payments before the closing, in time order
        so_far = payments[: n + 1]
        lanes = list(dict.fromkeys(f"{store_id}-{y.origin_terminal}" for y in so_far))
        numbers = ", ".join(str(y.number) for y in so_far)
        common = {
            "sold": min(total, INT32),
            "returned": max(min(paid_all, INT32), -INT32),
            "return_numbers": numbers,
            "item_name": what,
            "amount_minor": amount,
        }
        at_lane = f"{store_id}-{x.origin_terminal}"
        elsewhere = closer is not None and closer[0] != x.origin_terminal
        if closer is not None and elsewhere and before and paid_in > knew:
            where = f"{store_id}-{closer[0]}"
            missed = min(amount, paid_in - knew)
            detail = (
                f"{what}: payment {x.number} of {_money(amount)} taken at {at_lane} ({x.at}) was not counted when "
                f"the order was {verb} at {where} ({order.closed_at}, which counted {_money(closer[1])} paid): "
                f"{_money(missed)} of it is kept and neither refunded nor applied; settle it with the customer"
            )
            common["amount_minor"] = missed
            all_lanes = ", ".join(dict.fromkeys([*lanes, where]))
            found.append(
                _row(UNAWARE, order, x.id, store_id, x.origin_terminal, now, lanes=all_lanes, detail=detail, **common)
            )
        elif closer is not None and elsewhere and not before:
            where = f"{store_id}-{closer[0]}"
            all_lanes = ", ".join(dict.fromkeys([*lanes, where]))
            detail = (
                f"{what}: payment {x.number} of {_money(amount)} taken at {at_lane} ({x.at}) after the order was "
                f"{verb} at {where} ({order.closed_at}); it is kept, {_money(paid_all)} paid of {_money(total)}: "
                "refund the customer or apply it, then note it here"
            )
            found.append(
                _row(
                    PAID_CLOSED, order, x.id, store_id, x.origin_terminal, now, lanes=all_lanes, detail=detail, **common
                )
            )
        elif paid > total:
            detail = (
                f"{what} over-paid: payment {x.number} of {_money(amount)} at {at_lane} ({x.at}) took the paid "
                f"amount to {_money(paid)} of its {_money(total)} (payments {numbers} at {', '.join(lanes)}); "
                f"both payments are kept and {_money(paid - total)} is credit owed to the customer"
            )
            found.append(
                _row(
                    OVERPAID,
                    order,
                    x.id,
                    store_id,
                    x.origin_terminal,
                    now,
                    lanes=", ".join(lanes),
                    detail=detail,
                    **common,
                )
            )
    return found


def order_status(conn: Connection, store_id: str, case_id: str, now: datetime) -> list[dict[str, Any]]:
    """Set the case's status to its latest status change by time, and list each change at
    one lane timed after another lane closed the case."""
    c, ev = s.cases, s.case_events
    case = conn.execute(select(c).where(c.c.store_id == store_id, c.c.id == case_id)).first()
    if case is None:
        return []
    changes = conn.execute(
        select(ev.c.at, ev.c.origin_terminal, ev.c.origin_seq, ev.c.n, ev.c.event, ev.c.status_from, ev.c.status_to)
        .where(ev.c.store_id == store_id, ev.c.case_id == case_id, ev.c.status_to.is_not(None), ev.c.status_to != "")
        .order_by(ev.c.at, ev.c.origin_terminal, ev.c.origin_seq, ev.c.n)
    ).all()
    if not changes:
        return []
    latest = changes[-1]
    last_at = conn.execute(select(func.max(ev.c.at)).where(ev.c.store_id == store_id, ev.c.case_id == case_id)).scalar()
    conn.execute(
        update(c)
        .where(c.c.store_id == store_id, c.c.id == case_id)
        .values(status=latest.status_to, updated_at=func.greatest(c.c.updated_at, last_at or latest.at))
    )
    return _reopened(case, changes, store_id, now)


def _reopened(case: Any, changes: Sequence[Any], store_id: str, now: datetime) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    status, closed_by, closed_at = "", "", ""
    for x in changes:
        if status == "closed" and x.origin_terminal != closed_by:
            here, there = f"{store_id}-{x.origin_terminal}", f"{store_id}-{closed_by}"
            knew = (
                ", reopened knowing it was closed"
                if x.status_from == "closed"
                else ", which did not know it was closed"
            )
            detail = (
                f"case {case.number} was closed at {there} ({closed_at}) and changed to {x.status_to} at {here} "
                f"({x.at}, {x.event}{knew}); its status at HQ is now {changes[-1].status_to}: "
                "check with both lanes which is right"
            )
            found.append(
                _row(
                    REOPENED,
                    case,
                    f"{x.origin_terminal}-{x.origin_seq}-{x.n}"[:36],
                    store_id,
                    x.origin_terminal,
                    now,
                    sold=0,
                    returned=0,
                    return_numbers=f"closed at {there}",
                    lanes=f"{there}, {here}",
                    item_name=f"case {case.number}",
                    amount_minor=None,
                    detail=detail,
                )
            )
        status = x.status_to
        if status == "closed":
            closed_by, closed_at = x.origin_terminal, x.at
    return found


def describe(x: Any) -> str:
    """One line of ``counter hq report`` for a desk exception."""
    label = {
        OVERPAID: "over-paid",
        PAID_CLOSED: "paid after closing",
        UNAWARE: "payment missed at closing",
        REOPENED: "closed case changed elsewhere",
    }
    return f"desk {label.get(x['kind'], x['kind'])} ({x.get('lanes')}): {x['detail']}"
