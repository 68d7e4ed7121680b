"""The domain checks of a pushed batch at HQ: ``counter.trust.entry_rules`` fed with what HQ
holds (the sales the batch's returns name, what was returned of them, HQ's own
reservations) and ``counter.trust.desk_rules`` fed with what HQ holds of the orders,
accounts and sales its desk entries name (hq/desk_held.py), run on every new entry before
anything of the batch is projected. A
broken rule refuses the whole push (422 ``entry_refused``, naming the entry and the
rule); ``hq.ingest.ingest`` raises the alert in its own transaction.

Runs in the push's transaction, after the chain check; the sale lines of the returned
sales are locked here (``FOR UPDATE``, in id order), so two lanes pushing returns of one
receipt are checked one after the other.

A store-wide uniqueness HQ's tables already keep (a sale id, a receipt number, a sale
line id, a return id) is not read beforehand: the insert's unique violation is turned
into the same refusal (``refusal_for_integrity``), so an everyday push costs no query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError

from counter.journal import JournalEntry
from counter.trust.desk_rules import DeskRules
from counter.trust.entry_rules import (
    RETURN_PROCESSED,
    BatchRules,
    EntryRefused,
    HeldSale,
    LineLedger,
    Reserved,
    SaleLedger,
    SoldLine,
    return_sale_ids,
)
from hq import desk_held, schema as s
from hq.chain import PushRefused

WHAT_TO_DO = (
    "Nothing of this push was stored and HQ raised an alert. The lane keeps the entry and "
    "retries; call support to look at this lane's journal."
)


def refused(seq: int, rule: str, message: str) -> PushRefused:
    return PushRefused(422, "entry_refused", f"{message}. {WHAT_TO_DO}", seq=seq, rule=rule)


def check_batch(conn: Connection, store_id: str, entries: Sequence[JournalEntry], bodies: Sequence[Any]) -> None:
    """Every entry of the batch meets the domain rules, or ``PushRefused`` (422)."""
    kinds = [e.type for e in entries]
    named = return_sale_ids(kinds, bodies)
    held: dict[str, HeldSale] = {}
    ledgers: dict[str, SaleLedger] = {}
    reserved: dict[str, dict[str, Reserved]] = {}
    if named:
        held, ledgers = _held(conn, sorted(named))
        return_ids = [
            b["return_id"]
            for k, b in zip(kinds, bodies, strict=True)
            if k == RETURN_PROCESSED and type(b) is dict and type(b.get("return_id")) is str
        ]
        reserved = _reserved(conn, return_ids)
    rules = BatchRules(store_id, held, ledgers, reserved)
    desk = DeskRules(entries[0].terminal, *desk_held.held(conn, store_id, kinds, bodies)) if entries else None
    for e, body in zip(entries, bodies, strict=True):
        try:
            rules.check(e.seq, e.type, e.body, body)
            if desk is not None:
                desk.check(e.seq, e.type, body)  # the desk's orders, accounts, cases (desk_rules)
        except EntryRefused as exc:
            raise refused(exc.seq, exc.rule, exc.message) from None


def _held(conn: Connection, sale_ids: list[str]) -> tuple[dict[str, HeldSale], dict[str, SaleLedger]]:
    sl, st, rl = s.sale_lines, s.sale_tenders, s.return_lines
    heads = conn.execute(
        select(s.sales.c.id, s.sales.c.receipt_number, s.sales.c.store_id, s.sales.c.prices_include_tax).where(
            s.sales.c.id.in_(sale_ids)
        )
    ).all()
    if not heads:
        return {}, {}
    lines: dict[str, dict[str, SoldLine]] = defaultdict(dict)
    for r in conn.execute(
        select(
            sl.c.id,
            sl.c.sale_id,
            sl.c.sku,
            sl.c.name,
            sl.c.quantity,
            sl.c.amount_minor,
            sl.c.tax_minor,
            sl.c.gross_minor,
        )
        .where(sl.c.sale_id.in_(sale_ids))
        .order_by(sl.c.id)
        .with_for_update()
    ):
        lines[r.sale_id][r.id] = SoldLine(r.id, r.sku, r.name, r.quantity, r.amount_minor, r.tax_minor, r.gross_minor)
    tenders: dict[str, list[int]] = defaultdict(list)
    for tr in conn.execute(
        select(st.c.sale_id, st.c.amount_minor).where(st.c.sale_id.in_(sale_ids)).order_by(st.c.seq)
    ):
        tenders[tr.sale_id].append(int(tr.amount_minor))
    sale_of = {line_id: sale_id for sale_id, ls in lines.items() for line_id in ls}
    ledgers: dict[str, SaleLedger] = {h.id: SaleLedger() for h in heads}
    if sale_of:
        for t in conn.execute(
            select(
                rl.c.sale_line_id,
                func.sum(rl.c.quantity),
                func.sum(rl.c.amount_minor),
                func.sum(rl.c.tax_minor),
                func.sum(rl.c.gross_minor),
                func.count(),
            )
            .where(rl.c.sale_line_id.in_(list(sale_of)))
            .group_by(rl.c.sale_line_id)
        ):
            ledgers[sale_of[t[0]]].lines[t[0]] = LineLedger(int(t[1]), int(t[2]), int(t[3]), int(t[4]), int(t[5]))
    held = {
        h.id: HeldSale(
            h.id, h.receipt_number, h.store_id, bool(h.prices_include_tax), lines[h.id], tuple(tenders[h.id])
        )
        for h in heads
    }
    return held, ledgers


def _reserved(conn: Connection, return_ids: list[str]) -> dict[str, dict[str, Reserved]]:
    if not return_ids:
        return {}
    rr = s.return_reservations
    out: dict[str, dict[str, Reserved]] = defaultdict(dict)
    for r in conn.execute(
        select(
            rr.c.return_id, rr.c.sale_line_id, rr.c.quantity, rr.c.amount_minor, rr.c.tax_minor, rr.c.gross_minor
        ).where(rr.c.return_id.in_(return_ids))
    ):
        out[r.return_id][r.sale_line_id] = Reserved(r.quantity, r.amount_minor, r.tax_minor, r.gross_minor)
    return dict(out)


_UNIQUE_WHAT = {
    "sales": "a sale id or receipt number",
    "sale_lines": "a sale line id",
    "returns": "a return id",
    "return_lines": "a return line",
    "sale_tenders": "a sale id",
    "cases": "a case id or number",
    "contacts": "a contact id",
    "referrals": "a referral id",
    "orders": "an order id or number",
    "accounts": "a house account id or number",
    "desk_payments": "a desk payment id or number",
    "adjustments": "an adjustment id or number",
}
#: The desk's parents, as a person calls them (a child naming one HQ does not hold).
_PARENT_WHAT = {
    "cases": "case",
    "contacts": "contact",
    "referrals": "referral",
    "orders": "order",
    "accounts": "house account",
    "desk_payments": "desk payment",
}


def refusal_for_integrity(exc: Exception, entries: Sequence[JournalEntry]) -> PushRefused:
    """A projection the database refused (a unique key HQ already holds, a parent it does
    not hold, a value no column takes) as the push's refusal, naming the entry that carries
    the value. ``exc``: SQLAlchemy's wrapper, or psycopg's own error (the raw-cursor write
    paths)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    diag = getattr(orig, "diag", None)
    table = getattr(diag, "table_name", None) or ""
    detail = getattr(diag, "message_detail", None) or ""
    values: list[str] = []
    if "=(" in detail:  # Key (store_id, id)=(S01, 5a1e...) already exists.
        columns = detail.split("(", 1)[1].split(")=", 1)[0].split(", ")
        values = detail.split("=(", 1)[1].rsplit(")", 1)[0].split(", ")
        if table in s.DESK and len(columns) == len(values) > 1 and columns[0] == "store_id":
            values = [", ".join(values[1:])]  # a desk row, in the lane's own store: the rest names it
    value = values[0] if values else ""
    first = value.split(", ", 1)[0]
    seq = next((e.seq for e in entries if first and f'"{first}"' in e.body), entries[0].seq)
    state = getattr(orig, "sqlstate", "")
    if state == "23505":
        what = _UNIQUE_WHAT.get(table, "an id")
        return refused(seq, "duplicate_id", f"Entry {seq} repeats {what} HQ already holds ({value})")
    if state == "23503":
        parent = detail.rsplit('table "', 1)[-1].rstrip('".') if 'table "' in detail else ""
        what = _PARENT_WHAT.get(parent, "record")
        return refused(seq, "unknown_record", f"Entry {seq} names a {what} HQ does not hold for this store ({value})")
    return refused(seq, "unstorable", f"Entry {seq} holds a value HQ cannot store ({type(orig).__name__})")
