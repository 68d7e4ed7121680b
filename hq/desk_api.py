"""HQ's read API of the service desk: what it holds of a store's orders, house accounts and
cases (hq/desk.py projects them from every lane's journal), for the lanes of that store.

* ``GET /v1/desk/orders?status=open``: the store's orders in that state, each with what its
  payment rows sum to and the balance computed from them;
* ``GET /v1/desk/orders/{number}``: one order with its lines, its payments and their
  tenders, what was paid and the balance;
* ``GET /v1/desk/accounts/{number}``: a house account with its entries (charges +,
  payments −), its payments and their tenders, what it owes and what is left of its limit;
* ``GET /v1/desk/cases/{number}``: a case with its events, contacts and referrals (with
  their notes, HQ's due date and HQ's escalation, if any: hq/escalation.py).

Every amount is in minor units; paid, balance and owed are sums of HQ's rows, never a
number a lane sent. Words the journal never holds (a customer's words, notes, outcomes)
are not at HQ and are not in these answers. A terminal's token reads its own store only.
A number is looked up in the caller's store; should two lanes have issued the same number,
``?terminal=T01`` says which. Refusals: 422 a malformed number or parameter, 404 unknown,
409 a number two lanes issued.
"""

# No "from __future__ import annotations": FastAPI reads the route's annotations at run
# time, and they name the terminal dependency given to ``router``.

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy import Connection, Engine, Table, select

from counter.i18n import N_, _
from hq import access, desk_feed, schema as s
from hq.desk import paid_of
from hq.web import Refusal

NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
LANE = re.compile(r"[A-Za-z0-9_-]{1,16}")
ORDER_STATUSES = ("open", "picked_up", "cancelled")
MAX_LIST = 500

_ORDER = (
    "id", "number", "kind", "customer_id", "status", "origin_terminal", "created_at", "created_by", "currency",
    "total_minor", "tax_minor", "min_deposit_minor", "due_on", "cancel_fee_minor", "deposit_refundable",
    "closed_at", "sale_id", "kept_minor",
)  # fmt: skip
_LINE = ("line_no", "item_id", "sku", "name", "category_id", "quantity", "unit_price_minor", "tax_code", "tax_rate")
_PAYMENT = (
    "id", "number", "purpose", "amount_minor", "currency", "customer_id", "order_id", "account_id",
    "original_sale_id", "voucher_code", "reference", "user_id", "at", "origin_terminal",
)  # fmt: skip
_TENDER = ("seq", "kind", "amount_minor", "tendered_minor", "card_brand", "card_last4", "voucher_code", "original_seq")
_ACCOUNT = ("id", "number", "customer_id", "credit_limit_minor", "opened_at", "opened_by", "origin_terminal")
_ENTRY = ("kind", "amount_minor", "reference", "user_id", "at", "origin_terminal")
_CASE = (
    "id", "number", "customer_id", "kind", "category", "status", "origin_terminal", "opened_at", "opened_by",
    "updated_at", "follow_up_on",
)  # fmt: skip
_EVENT = ("at", "user_id", "event", "status_from", "status_to", "origin_terminal")
_CONTACT = ("id", "kind", "category", "handled_by", "at", "origin_terminal")
_REFERRAL = (
    "id", "department", "department_name", "priority", "due_on", "hq_due_on", "status", "referred_at",
    "referred_by", "answered_at", "told_at", "told_how", "origin_terminal",
)  # fmt: skip
_ESCALATION = ("escalated_to", "escalated_to_name", "escalated_at", "days_overdue", "settled_at")
_NOTE = ("at", "user_id", "kind", "origin_terminal")


def _pick(row: Any, columns: Sequence[str]) -> dict[str, Any]:
    return {c: row[c] for c in columns}


def _with_balance(order: dict[str, Any], paid: int) -> dict[str, Any]:
    """What the order's payment rows sum to, and what is left to pay (nothing once it was
    picked up, the rest paid in its sale, or cancelled)."""
    return {
        **order,
        "paid_minor": paid,
        "balance_minor": order["total_minor"] - paid if order["status"] == "open" else 0,
    }


def open_orders(conn: Connection, store_id: str, status: str, limit: int) -> list[dict[str, Any]]:
    o = s.orders
    rows = conn.execute(
        select(o, paid_of(store_id, o.c.id).label("paid"))
        .where(o.c.store_id == store_id, o.c.status == status)
        .order_by(o.c.due_on, o.c.created_at, o.c.number)
        .limit(limit)
    ).mappings()
    return [_with_balance(_pick(r, _ORDER), int(r["paid"])) for r in rows]


# what the desk's look-ups say, by the kind of record ("order", "house account", "case")
_UNKNOWN = {
    "order": N_("HQ holds no order {number} for store {store}."),
    "house account": N_("HQ holds no house account {number} for store {store}."),
    "case": N_("HQ holds no case {number} for store {store}."),
}
_UNKNOWN_FROM_LANE = {
    "order": N_("HQ holds no order {number} from lane {lane} for store {store}."),
    "house account": N_("HQ holds no house account {number} from lane {lane} for store {store}."),
    "case": N_("HQ holds no case {number} from lane {lane} for store {store}."),
}
_AMBIGUOUS = {
    "order": N_(
        "Order number {number} was issued at more than one lane ({lanes}); ask again with ?terminal= one of them."
    ),
    "house account": N_(
        "House account number {number} was issued at more than one lane ({lanes}); "
        "ask again with ?terminal= one of them."
    ),
    "case": N_(
        "Case number {number} was issued at more than one lane ({lanes}); ask again with ?terminal= one of them."
    ),
}
_NOT_A_NUMBER = {
    "an order": N_(
        "An order number {number} is not one Counter issues: 1..32 letters, digits, dashes or underscores "
        "(like S01-T01-L00001)."
    ),
    "a house account": N_(
        "A house account number {number} is not one Counter issues: 1..32 letters, digits, dashes or underscores "
        "(like S01-T01-L00001)."
    ),
    "a case": N_(
        "A case number {number} is not one Counter issues: 1..32 letters, digits, dashes or underscores "
        "(like S01-T01-L00001)."
    ),
}


def _one(conn: Connection, table: Table, store_id: str, number: str, terminal: str | None, what: str) -> Any:
    stmt = select(table).where(table.c.store_id == store_id, table.c.number == number)
    if terminal is not None:
        stmt = stmt.where(table.c.origin_terminal == terminal)
    rows = conn.execute(stmt.limit(10)).mappings().all()
    if not rows:
        if terminal:
            words = _(_UNKNOWN_FROM_LANE[what]).format(number=number, lane=terminal, store=store_id)
        else:
            words = _(_UNKNOWN[what]).format(number=number, store=store_id)
        later = _("Check the number; a record made at a lane that has not synced yet reaches HQ with its next push.")
        raise Refusal(404, f"unknown_{what.split()[-1]}", f"{words} {later}")
    if len(rows) > 1:
        lanes = ", ".join(sorted(r["origin_terminal"] for r in rows))
        raise Refusal(409, "ambiguous_number", _(_AMBIGUOUS[what]).format(number=number, lanes=lanes))
    return rows[0]


def _payments(conn: Connection, store_id: str, column: str, parent_id: str) -> list[dict[str, Any]]:
    p, t = s.desk_payments, s.desk_tenders
    rows = conn.execute(
        select(p).where(p.c.store_id == store_id, p.c[column] == parent_id).order_by(p.c.at, p.c.number)
    ).mappings()
    payments = [_pick(r, _PAYMENT) for r in rows]
    tenders: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if payments:
        for r in conn.execute(
            select(t)
            .where(t.c.store_id == store_id, t.c.payment_id.in_([x["id"] for x in payments]))
            .order_by(t.c.payment_id, t.c.seq)
        ).mappings():
            tenders[r["payment_id"]].append(_pick(r, _TENDER))
    return [{**x, "tenders": tenders[x["id"]]} for x in payments]


def order_detail(conn: Connection, store_id: str, number: str, terminal: str | None) -> dict[str, Any]:
    row = _one(conn, s.orders, store_id, number, terminal, "order")
    ln = s.order_lines
    lines = conn.execute(
        select(ln).where(ln.c.store_id == store_id, ln.c.order_id == row["id"]).order_by(ln.c.line_no)
    ).mappings()
    payments = _payments(conn, store_id, "order_id", row["id"])
    order = _with_balance(_pick(row, _ORDER), sum(int(p["amount_minor"]) for p in payments))
    return {"order": order, "lines": [_pick(r, _LINE) for r in lines], "payments": payments}


def account_detail(conn: Connection, store_id: str, number: str, terminal: str | None) -> dict[str, Any]:
    row = _one(conn, s.accounts, store_id, number, terminal, "house account")
    e = s.account_entries
    entries = [
        _pick(r, _ENTRY)
        for r in conn.execute(
            select(e)
            .where(e.c.store_id == store_id, e.c.account_id == row["id"])
            .order_by(e.c.at, e.c.origin_terminal, e.c.origin_seq, e.c.n)
        ).mappings()
    ]
    owed = sum(int(x["amount_minor"]) for x in entries)
    account = {**_pick(row, _ACCOUNT), "owed_minor": owed, "available_minor": int(row["credit_limit_minor"]) - owed}
    return {"account": account, "entries": entries, "payments": _payments(conn, store_id, "account_id", row["id"])}


def case_detail(conn: Connection, store_id: str, number: str, terminal: str | None) -> dict[str, Any]:
    row = _one(conn, s.cases, store_id, number, terminal, "case")
    ev, co, cl, rf, rn = s.case_events, s.contacts, s.contact_links, s.referrals, s.referral_notes
    events = conn.execute(
        select(ev)
        .where(ev.c.store_id == store_id, ev.c.case_id == row["id"])
        .order_by(ev.c.at, ev.c.origin_terminal, ev.c.origin_seq, ev.c.n)
    ).mappings()
    contacts = [
        _pick(r, _CONTACT)
        for r in conn.execute(
            select(co).where(co.c.store_id == store_id, co.c.case_id == row["id"]).order_by(co.c.at, co.c.id)
        ).mappings()
    ]
    links: dict[str, list[dict[str, Any]]] = defaultdict(list)
    notes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if contacts:
        for r in conn.execute(
            select(cl)
            .where(cl.c.store_id == store_id, cl.c.contact_id.in_([c["id"] for c in contacts]))
            .order_by(cl.c.contact_id, cl.c.seq)
        ).mappings():
            links[r["contact_id"]].append({"kind": r["kind"], "number": r["number"]})
    referrals = [
        _pick(r, _REFERRAL)
        for r in conn.execute(
            select(rf).where(rf.c.store_id == store_id, rf.c.case_id == row["id"]).order_by(rf.c.referred_at, rf.c.id)
        ).mappings()
    ]
    escalations: dict[str, dict[str, Any]] = {}
    if referrals:
        esc = s.referral_escalations
        for r in conn.execute(
            select(esc).where(esc.c.store_id == store_id, esc.c.referral_id.in_([x["id"] for x in referrals]))
        ).mappings():
            escalations[r["referral_id"]] = _pick(r, _ESCALATION)
        for r in conn.execute(
            select(rn)
            .where(rn.c.store_id == store_id, rn.c.referral_id.in_([x["id"] for x in referrals]))
            .order_by(rn.c.at, rn.c.origin_terminal, rn.c.origin_seq, rn.c.n)
        ).mappings():
            notes[r["referral_id"]].append(_pick(r, _NOTE))
    return {
        "case": _pick(row, _CASE),
        "events": [_pick(r, _EVENT) for r in events],
        "contacts": [{**c, "links": links[c["id"]]} for c in contacts],
        "referrals": [{**x, "notes": notes[x["id"]], "escalation": escalations.get(x["id"])} for x in referrals],
    }


def _number(number: str, what: str) -> str:
    if not NUMBER.fullmatch(number):
        raise Refusal(422, "malformed", _(_NOT_A_NUMBER[what]).format(number=repr(number[:40])))
    return number


def _lane(terminal: str | None) -> str | None:
    if terminal is not None and not LANE.fullmatch(terminal):
        raise Refusal(422, "malformed", _("terminal names a lane: 1..16 letters, digits, dashes or underscores (T01)."))
    return terminal


def router(engine: Engine, terminal: Callable[..., access.Caller]) -> APIRouter:
    """The desk's read routes, for a terminal's own store. Mounted by ``hq.app.create_app``
    with its terminal-token dependency."""
    api = APIRouter(tags=["desk"])
    Terminal = Annotated[access.Caller, Depends(terminal)]  # noqa: N806 - a type alias

    def store_of(who: access.Caller) -> str:
        assert who.store_id
        return who.store_id

    @api.get("/v1/desk/orders")
    def orders(
        who: Terminal, status: str = "open", limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100
    ) -> dict[str, Any]:
        if status not in ORDER_STATUSES:
            raise Refusal(
                422,
                "malformed",
                _("status {status} is not an order's state: {states}.").format(
                    status=repr(status[:20]), states=", ".join(ORDER_STATUSES)
                ),
            )
        with engine.connect() as conn:
            found = open_orders(conn, store_of(who), status, limit)
        return {"store": who.store_id, "status": status, "orders": found}

    @api.get("/v1/desk/orders/{number}")
    def order(number: str, who: Terminal, terminal: str | None = None) -> dict[str, Any]:
        with engine.connect() as conn:
            return order_detail(conn, store_of(who), _number(number, "an order"), _lane(terminal))

    @api.get("/v1/desk/accounts/{number}")
    def account(number: str, who: Terminal, terminal: str | None = None) -> dict[str, Any]:
        with engine.connect() as conn:
            return account_detail(conn, store_of(who), _number(number, "a house account"), _lane(terminal))

    @api.get("/v1/desk/cases/{number}")
    def case(number: str, who: Terminal, terminal: str | None = None) -> dict[str, Any]:
        with engine.connect() as conn:
            return case_detail(conn, store_of(who), _number(number, "a case"), _lane(terminal))

    @api.post("/v1/desk/texts", summary="The typed text of desk entries about to be pushed")
    def texts(who: Terminal, payload: Annotated[Any, Body()]) -> dict[str, Any]:
        assert who.terminal_id
        return desk_feed.receive_texts(engine, store_of(who), who.terminal_id, payload)

    return api
