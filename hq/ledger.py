"""The chain-wide return ledger: receipt look-up and online reservations.

What has been returned of a sale line, chain-wide, is the sum of the projected returns'
lines (every lane that synced) plus the reservations still waiting for their return's
journal entry and younger than the reservation lifetime (``reservation_ttl``, 15 minutes
by default: a reservation whose return never came frees its quantities). A reservation
locks the sale's lines (``SELECT ... FOR UPDATE``, in id order) before it counts, so N
lanes racing on one receipt are served one at a time and never reserve more than was sold,
whichever HQ process each one reaches.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from hq import schema as s
from hq.store import utcnow

#: How long a reservation holds its quantities without its return's journal entry (the
#: lane crashed, or the customer walked away before the return was taken). After that the
#: quantities are returnable again; a return that did commit still counts once it is pushed.
TTL_ENV = "COUNTER_HQ_RESERVATION_MINUTES"
DEFAULT_TTL = timedelta(minutes=15)


def reservation_ttl() -> timedelta:
    """The reservation lifetime: ``COUNTER_HQ_RESERVATION_MINUTES`` (may be fractional), else 15 minutes."""
    raw = os.environ.get(TTL_ENV, "").strip()
    try:
        minutes = float(raw) if raw else None
    except ValueError:
        minutes = None
    return timedelta(minutes=minutes) if minutes is not None and minutes > 0 else DEFAULT_TTL


def expire(conn: Connection, line_ids: Sequence[str], now: datetime, ttl: timedelta) -> int:
    """Mark the unconfirmed reservations of these sale lines older than ``ttl`` expired."""
    rr = s.return_reservations
    return conn.execute(
        update(rr)
        .where(rr.c.sale_line_id.in_(list(line_ids)), rr.c.state == "reserved", rr.c.created_at < now - ttl)
        .values(state="expired")
    ).rowcount


class LedgerError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


@dataclass(frozen=True)
class WantedLine:
    sale_line_id: str
    quantity: int
    amount_minor: int
    tax_minor: int
    gross_minor: int


def _returned(conn: Connection, line_ids: Sequence[str], ttl: timedelta | None = None) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {lid: {"qty": 0, "amount": 0, "tax": 0, "gross": 0} for lid in line_ids}
    rl, rr = s.return_lines, s.return_reservations
    done = conn.execute(
        select(
            rl.c.sale_line_id,
            func.sum(rl.c.quantity),
            func.sum(rl.c.amount_minor),
            func.sum(rl.c.tax_minor),
            func.sum(rl.c.gross_minor),
        )
        .where(rl.c.sale_line_id.in_(line_ids))
        .group_by(rl.c.sale_line_id)
    ).all()
    pending = conn.execute(
        select(
            rr.c.sale_line_id,
            func.sum(rr.c.quantity),
            func.sum(rr.c.amount_minor),
            func.sum(rr.c.tax_minor),
            func.sum(rr.c.gross_minor),
        )
        .where(
            rr.c.sale_line_id.in_(line_ids),
            rr.c.state == "reserved",
            rr.c.created_at >= utcnow() - (ttl or reservation_ttl()),
        )
        .group_by(rr.c.sale_line_id)
    ).all()
    for line_id, qty, amount, tax, gross in [*done, *pending]:
        acc = out[line_id]
        acc["qty"] += int(qty)
        acc["amount"] += int(amount)
        acc["tax"] += int(tax)
        acc["gross"] += int(gross)
    return out


def lookup(conn: Connection, receipt_number: str) -> dict[str, Any] | None:
    """The sale (as its SaleCompleted body plus where and when) and its ledger."""
    row = conn.execute(
        select(s.sales.c.id, s.sales.c.body, s.sales.c.terminal_id, s.sales.c.completed_at).where(
            s.sales.c.receipt_number == receipt_number
        )
    ).first()
    if row is None:
        return None
    sale = json.loads(row.body)
    sale["terminal"] = row.terminal_id
    cashier = conn.execute(select(s.users.c.name).where(s.users.c.id == sale.get("cashier"))).scalar()
    if cashier:
        sale["cashier_name"] = cashier  # the header of the return screen names them
    sale["completed_at"] = row.completed_at
    for n, ln in enumerate(sale["lines"], start=1):
        ln["line_no"] = n
    line_ids = [ln["line_id"] for ln in sale["lines"]]
    returned = {k: v for k, v in _returned(conn, line_ids).items() if v["qty"]}
    rf = s.return_refunds
    refunded = {
        str(seq): int(total)
        for seq, total in conn.execute(
            select(rf.c.original_tender_seq, func.sum(rf.c.amount_minor))
            .where(rf.c.original_sale_id == row.id, rf.c.original_tender_seq.is_not(None))
            .group_by(rf.c.original_tender_seq)
        )
    }
    return {"sale": sale, "returned": returned, "refunded": refunded}


def reserve(
    conn: Connection,
    store_id: str,
    terminal_id: str,
    return_id: str,
    sale_id: str,
    wanted: Sequence[WantedLine],
    *,
    ttl: timedelta | None = None,
) -> None:
    """Reserve quantities of a sale's lines for one return, or refuse (409) naming what is
    left. Reservations of the sale older than ``ttl`` and never confirmed expire first."""
    ttl = ttl or reservation_ttl()
    sl, rr = s.sale_lines, s.return_reservations
    lines = {
        r.id: r
        for r in conn.execute(
            select(sl.c.id, sl.c.name, sl.c.quantity).where(sl.c.sale_id == sale_id).order_by(sl.c.id).with_for_update()
        )
    }
    if not lines:
        raise LedgerError(404, "unknown_sale", "HQ does not hold this sale yet.")
    now = utcnow()
    expire(conn, list(lines), now, ttl)
    existing = conn.execute(select(rr.c.state).where(rr.c.return_id == return_id)).scalars().all()
    if existing:
        if "released" in existing:
            raise LedgerError(409, "released", "This return's reservation was released; start the return again.")
        if "expired" in existing:
            raise LedgerError(409, "expired", "This return's reservation expired; start the return again.")
        return  # the same return asked again (its answer was lost): already reserved
    want: dict[str, int] = {}
    for w in wanted:
        if w.sale_line_id not in lines:
            raise LedgerError(422, "unknown_line", f"Line {w.sale_line_id} is not on this sale.")
        if w.quantity <= 0:
            raise LedgerError(422, "bad_quantity", "Quantities to reserve must be positive.")
        want[w.sale_line_id] = want.get(w.sale_line_id, 0) + w.quantity
    returned = _returned(conn, list(want), ttl)
    for line_id, qty in want.items():
        line = lines[line_id]
        left = int(line.quantity) - returned[line_id]["qty"]
        if qty > left:
            raise LedgerError(
                409,
                "over_return",
                f"Only {max(left, 0)} of {line.name} can still be returned: {returned[line_id]['qty']} of "
                f"{line.quantity} already came back at this or another lane.",
            )
    conn.execute(
        insert(rr),
        [
            {
                "return_id": return_id,
                "sale_line_id": w.sale_line_id,
                "sale_id": sale_id,
                "store_id": store_id,
                "terminal_id": terminal_id,
                "quantity": w.quantity,
                "amount_minor": w.amount_minor,
                "tax_minor": w.tax_minor,
                "gross_minor": w.gross_minor,
                "state": "reserved",
                "created_at": now,
            }
            for w in _merge(wanted)
        ],
    )


def _merge(wanted: Sequence[WantedLine]) -> list[WantedLine]:
    by_line: dict[str, WantedLine] = {}
    for w in wanted:
        p = by_line.get(w.sale_line_id)
        by_line[w.sale_line_id] = (
            w
            if p is None
            else WantedLine(
                w.sale_line_id,
                p.quantity + w.quantity,
                p.amount_minor + w.amount_minor,
                p.tax_minor + w.tax_minor,
                p.gross_minor + w.gross_minor,
            )
        )
    return list(by_line.values())


def release(conn: Connection, store_id: str, terminal_id: str, return_id: str) -> int:
    rr = s.return_reservations
    return conn.execute(
        update(rr)
        .where(
            rr.c.return_id == return_id,
            rr.c.store_id == store_id,
            rr.c.terminal_id == terminal_id,
            rr.c.state == "reserved",
        )
        .values(state="released")
    ).rowcount
