"""The chain-wide return ledger: receipt look-up and online reservations.

What has been returned of a sale line, chain-wide, is the sum of the projected returns'
lines (every lane that synced) plus the reservations still waiting for their return's
journal entry and younger than the reservation lifetime (``reservation_ttl``, 15 minutes
by default: a reservation whose return never came frees its quantities). A reservation
locks the sale's lines (``SELECT ... FOR UPDATE``, in id order) before it counts, so N
lanes racing on one receipt are served one at a time and never reserve more than was sold,
whichever HQ process each one reaches. A reservation carries quantities only; HQ computes
its amounts (``reserve``), and a lane reserves and looks up its own store's sales only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from counter.i18n import _
from counter.money import Currency
from counter.returns.model import ReturnableLine, Returned
from counter.sales.sale import SaleLine
from hq import schema as s
from hq.store import utcnow
from hq.web import in_both

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
    """``message`` in the request's language; ``english`` the same for what HQ stores (an alert)."""

    def __init__(self, status: int, error: str, message: str, *, english: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.english = message if english is None else english


def _error(status: int, error: str, words: Callable[[], str]) -> LedgerError:
    shown, english = in_both(words)
    return LedgerError(status, error, shown, english=english)


@dataclass(frozen=True)
class WantedLine:
    sale_line_id: str
    quantity: int


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


def lookup(conn: Connection, receipt_number: str, store_id: str | None = None) -> dict[str, Any] | None:
    """The sale (as its SaleCompleted body plus where and when) and its ledger. With
    ``store_id``, a sale of another store is refused (403 ``another_store``): a lane
    returns its own store's sales only."""
    row = conn.execute(
        select(s.sales.c.id, s.sales.c.body, s.sales.c.terminal_id, s.sales.c.completed_at, s.sales.c.store_id).where(
            s.sales.c.receipt_number == receipt_number
        )
    ).first()
    if row is None:
        return None
    if store_id is not None and row.store_id != store_id:
        sold_at = row.store_id
        raise _error(
            403,
            "another_store",
            lambda: _(
                "Receipt {receipt} was sold at store {store}; it is returned at that store, or here without a receipt."
            ).format(receipt=receipt_number, store=sold_at),
        )
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
) -> list[dict[str, Any]]:
    """Reserve quantities of a sale's lines for one return, or refuse (409) naming what is
    left; the answer is, per line, the quantity and the amounts HQ computed for it.

    The lane sends quantities only: HQ prorates the amounts itself from the sale's lines
    and what the chain returned of them before (``counter.returns.model.ReturnableLine``,
    the lane's own cumulative proration), so no lane's figure ever enters the ledger
    that every other lane's refunds are computed from. A terminal may reserve only
    against a sale of its own store (403 ``another_store``). Reservations of the sale older
    than ``ttl`` and never confirmed expire first."""
    ttl = ttl or reservation_ttl()
    sl, rr = s.sale_lines, s.return_reservations
    head = conn.execute(
        select(s.sales.c.store_id, s.sales.c.currency, s.sales.c.prices_include_tax, s.sales.c.receipt_number).where(
            s.sales.c.id == sale_id
        )
    ).first()
    if head is None:
        raise LedgerError(404, "unknown_sale", _("HQ does not hold this sale yet."))
    if head.store_id != store_id:
        raise _error(
            403,
            "another_store",
            lambda: _(
                "Receipt {receipt} was sold at store {store}; a lane reserves returns of its own store's sales only. "
                "Return the items at that store, or without a receipt."
            ).format(receipt=head.receipt_number, store=head.store_id),
        )
    lines = {
        r.id: r
        for r in conn.execute(
            select(
                sl.c.id,
                sl.c.line_no,
                sl.c.item_id,
                sl.c.sku,
                sl.c.name,
                sl.c.quantity,
                sl.c.unit_price_minor,
                sl.c.line_discount_minor,
                sl.c.order_discount_minor,
                sl.c.amount_minor,
                sl.c.tax_minor,
                sl.c.gross_minor,
                sl.c.tax_code,
                sl.c.tax_rate,
            )  # fmt: skip
            .where(sl.c.sale_id == sale_id)
            .order_by(sl.c.id)
            .with_for_update()
        )
    }
    now = utcnow()
    expire(conn, list(lines), now, ttl)
    existing = conn.execute(
        select(
            rr.c.state,
            rr.c.store_id,
            rr.c.terminal_id,
            rr.c.sale_id,
            rr.c.sale_line_id,
            rr.c.quantity,
            rr.c.amount_minor,
            rr.c.tax_minor,
            rr.c.gross_minor,
        ).where(rr.c.return_id == return_id)  # fmt: skip
    ).all()
    if existing:
        if any((r.store_id, r.terminal_id, r.sale_id) != (store_id, terminal_id, sale_id) for r in existing):
            raise _error(
                409, "return_id_taken", lambda: _("Another return already uses this return id; start the return again.")
            )
        states = {r.state for r in existing}
        if "released" in states:
            raise LedgerError(409, "released", _("This return's reservation was released; start the return again."))
        if "expired" in states:
            raise LedgerError(409, "expired", _("This return's reservation expired; start the return again."))
        # the same return asked again (its answer was lost): already reserved, the same answer
        return [_answer(r.sale_line_id, r.quantity, r.amount_minor, r.tax_minor, r.gross_minor) for r in existing]
    want: dict[str, int] = {}
    for w in wanted:
        if w.sale_line_id not in lines:
            raise LedgerError(422, "unknown_line", _("Line {line} is not on this sale.").format(line=w.sale_line_id))
        if w.quantity <= 0:
            raise LedgerError(422, "bad_quantity", _("Quantities to reserve must be positive."))
        want[w.sale_line_id] = want.get(w.sale_line_id, 0) + w.quantity
    returned = _returned(conn, list(want), ttl)
    currency = Currency.of(head.currency)
    rows: list[dict[str, Any]] = []
    for line_id, qty in want.items():
        line = lines[line_id]
        done = returned[line_id]
        left = int(line.quantity) - done["qty"]
        if qty > left:
            raise LedgerError(
                409,
                "over_return",
                _(
                    "Only {left} of {item} can still be returned: {returned} of {sold} already came back "
                    "at this or another lane."
                ).format(left=max(left, 0), item=line.name, returned=done["qty"], sold=line.quantity),
            )
        amount, tax, gross = _prorated(line, done, qty, currency, bool(head.prices_include_tax))
        rows.append(
            {
                "return_id": return_id,
                "sale_line_id": line_id,
                "sale_id": sale_id,
                "store_id": store_id,
                "terminal_id": terminal_id,
                "quantity": qty,
                "amount_minor": amount,
                "tax_minor": tax,
                "gross_minor": gross,
                "state": "reserved",
                "created_at": now,
            }
        )
    conn.execute(insert(rr), rows)
    return [
        _answer(r["sale_line_id"], r["quantity"], r["amount_minor"], r["tax_minor"], r["gross_minor"]) for r in rows
    ]


def _answer(line_id: str, quantity: int, amount: int, tax: int, gross: int) -> dict[str, Any]:
    return {
        "sale_line_id": line_id,
        "quantity": int(quantity),
        "amount_minor": int(amount),
        "tax_minor": int(tax),
        "gross_minor": int(gross),
    }


def _prorated(line: Any, done: dict[str, int], k: int, currency: Currency, inclusive: bool) -> tuple[int, int, int]:
    """(amount, tax, gross) in minor units for k more units of ``line`` after ``done`` (the
    chain's returns and live reservations of it): the lane's own cumulative proration,
    never below zero (a line an over-return took past its value refunds nothing more)."""
    f = currency.from_minor
    sold = SaleLine(
        id=line.id, line_no=line.line_no, item_id=line.item_id, sku=line.sku, name=line.name,
        quantity=int(line.quantity), unit_price=f(line.unit_price_minor), line_discount=f(line.line_discount_minor),
        order_discount=f(line.order_discount_minor), amount=f(line.amount_minor), tax=f(line.tax_minor),
        gross=f(line.gross_minor), tax_code=line.tax_code, tax_rate=Decimal(line.tax_rate),
    )  # fmt: skip
    before = Returned(done["qty"], f(done["amount"]), f(done["tax"]), f(done["gross"]))
    amount, tax, gross = ReturnableLine(sold, before, "").refund_for(k, currency, inclusive)
    m = currency.to_minor
    return max(m(amount), 0), max(m(tax), 0), max(m(gross), 0)


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
