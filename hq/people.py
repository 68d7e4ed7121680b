"""People and store credit at HQ: customers and store-credit vouchers, so that every lane
of a store knows the customers and voucher balances any other lane made.

Two ways in, one way out:

* **the journal** (``project``, called by ``hq.ingest.project`` in the push's own
  transaction): ``CustomerCreated`` makes the customer's row (its id, home store and lane);
  a sale or return the desk tied to a customer adds a ``customer_links`` row; a store
  credit issued (return, bill adjustment, cancelled order), redeemed (a sale, a part
  payment or a desk payment paid with a voucher) or restored (a voided sale gives a part
  payment back) adds a ``voucher_movements`` row and moves the voucher's balance.
  Journal bodies never carry a customer's name, phone, e-mail or address (the
  journal can never be erased), so
* **the details** come apart from the journal: ``POST /v1/customers`` (``router``), a lane
  sending the current contact details of the customers it created or changed. HQ keeps,
  per customer, the details with the newest ``updated_at`` (the lane's clock, which HQ
  holds within 5 minutes of its own on every push); an older or equal one is ignored.
* **out**: every row is versioned from ``change_seq`` under ``CATALOG_WRITE_LOCK``, like
  the catalog, so the lanes of the store pull them with the same change cursor.

Over-spent vouchers: a voucher redeemed offline at two lanes beyond its balance is kept as
both lanes recorded it (the balance goes below zero) and each redemption that took it
below zero is listed in ``exceptions`` (kind ``voucher_overdrawn``: ``sale_line_id`` holds
the voucher code, ``sale_id`` and ``return_id`` the sale or payment that redeemed it,
``sold``/``returned`` the credit issued and redeemed in minor units).
"""

# No "from __future__ import annotations": FastAPI reads the route's annotations at run
# time, and they name the terminal dependency given to ``router``.

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from counter.i18n import _
from counter.journal import EventType, JournalEntry
from counter.trust.carddata import contains_card_data
from hq import access, schema as s
from hq.store import lock_downstream, utcnow
from hq.web import Refusal

log = logging.getLogger(__name__)

STAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"
MAX_CUSTOMERS = 500

#: Events that can carry a customer or a voucher (the others are skipped without parsing).
PEOPLE_EVENTS = frozenset(
    {
        EventType.CUSTOMER_CREATED,
        EventType.SALE_COMPLETED,
        EventType.RETURN_PROCESSED,
        EventType.BILL_ADJUSTED,
        EventType.ORDER_OPENED,
        EventType.ORDER_PAYMENT_TAKEN,
        EventType.ORDER_PICKED_UP,
        EventType.ORDER_CANCELLED,
        EventType.ACCOUNT_PAYMENT_TAKEN,
        EventType.PART_PAYMENT_TAKEN,
        EventType.SALE_VOIDED,
        EventType.CARD_REFUND_CLOSED,  # a card refund paid as store credit instead
    }
)
STORE_CREDIT = "store_credit"


# ------------------------------------------------------------------ from the journal


def project(
    conn: Connection,
    store_id: str,
    terminal_id: str,
    entries: Sequence[JournalEntry],
    bodies: Sequence[dict[str, Any] | None] | None = None,
) -> None:
    """Project the customer and voucher events of one pushed batch (the caller's
    transaction). ``bodies``, when given, are the entries' parsed bodies (None for an
    entry not parsed); otherwise the few entries that matter are parsed here."""
    created: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    for n, e in enumerate(entries):
        if e.type not in PEOPLE_EVENTS:
            continue
        body = bodies[n] if bodies is not None and bodies[n] is not None else json.loads(e.body)
        assert body is not None
        if e.type == EventType.CUSTOMER_CREATED:
            created.append(
                {
                    "id": body["customer_id"],
                    "store_id": store_id,
                    "origin_terminal": terminal_id,
                    "name": "",
                    "email_consent": bool(body.get("email_consent", False)),
                    "created_at": e.at,
                    "created_by": str(body.get("user", "")),
                    "updated_at": "",
                }
            )
            continue
        customer = body.get("customer_id")
        for kind, ref_id, _number, amount, reference in _voucher_moves(e.type, body):
            moves.append(
                {
                    "id": f"{store_id}-{terminal_id}-{e.seq}:{ref_id}",
                    "voucher_code": ref_id,
                    "store_id": store_id,
                    "terminal_id": terminal_id,
                    "seq": e.seq,
                    "at": e.at,
                    "amount_minor": amount,
                    "reference": reference,
                    "issued_by": str(body.get("cashier") or body.get("user") or ""),
                    "issue": kind == "issue",
                }
            )
            if customer and kind == "issue":
                # as the lane links it: by the code, so the desk's store-credit total finds it
                links.append(_link(customer, store_id, "voucher", ref_id, ref_id, e.at, amount, "store credit"))
        if customer and e.type == EventType.SALE_COMPLETED:
            names = ", ".join(str(ln["name"]) for ln in body["lines"])
            link = _link(
                customer, store_id, "sale", body["sale_id"], body["receipt_number"], e.at, body["total"], names
            )
            links.append(link)
        elif customer and e.type == EventType.RETURN_PROCESSED:
            link = _link(
                customer, store_id, "return", body["return_id"], body["return_number"], e.at, -body["refund_total"], ""
            )
            link["line_ids"] = [ln.get("sale_line_id") for ln in body["lines"] if ln.get("sale_line_id")]
            links.append(link)
    if not (created or links or moves):
        return
    _name_returned_items(conn, links)
    lock_downstream(conn)
    if created:
        stmt = pg_insert(s.customers).values(version=s.change_seq.next_value(), deleted=False)
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["id"]), created)
    if links:
        stmt = pg_insert(s.customer_links).values(version=s.change_seq.next_value(), deleted=False)
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["id"]), links)
    if moves:
        _project_moves(conn, moves)


def _link(
    customer_id: str, store_id: str, kind: str, ref_id: str, number: str, at: str, amount: int, summary: str
) -> dict[str, Any]:
    return {
        "id": f"{kind}:{ref_id}",
        "customer_id": customer_id,
        "store_id": store_id,
        "kind": kind,
        "ref_id": ref_id,
        "ref_number": number,
        "at": at,
        "amount_minor": int(amount),
        "summary": summary[:200],
    }


def _name_returned_items(conn: Connection, links: list[dict[str, Any]]) -> None:
    """A return's summary names its items (its journal body has only their SKUs)."""
    wanted = {lid for link in links for lid in link.get("line_ids", ())}
    names = (
        dict(conn.execute(select(s.sale_lines.c.id, s.sale_lines.c.name).where(s.sale_lines.c.id.in_(wanted))).all())
        if wanted
        else {}
    )
    for link in links:
        ids = link.pop("line_ids", None)
        if ids is not None:
            link["summary"] = ", ".join(str(names[i]) for i in ids if i in names)[:200]


def _voucher_moves(kind: str, body: dict[str, Any]) -> Iterator[tuple[str, str, str, int, str]]:
    """(issue|redeem, voucher code, document number, signed minor amount, the lane's
    reference) for every store-credit movement the entry records; the reference is what
    the lane wrote in its ``voucher_movements.reference``."""
    if kind == EventType.SALE_COMPLETED:
        # the first ``part_payments`` tenders redeemed their vouchers when taken (PartPaymentTaken)
        for t in body.get("tenders", [])[body.get("part_payments", 0) :]:
            if t.get("kind") == STORE_CREDIT and t.get("voucher"):
                yield "redeem", str(t["voucher"]), body["receipt_number"], -int(t["amount"]), body["sale_id"]
        return
    if kind == EventType.PART_PAYMENT_TAKEN:
        t = body["tender"]
        if t.get("kind") == STORE_CREDIT and t.get("voucher"):
            yield "redeem", str(t["voucher"]), body["sale_id"], -int(t["amount"]), body["sale_id"]
        return
    if kind == EventType.SALE_VOIDED:
        # a void gives back onto its voucher what a part payment had taken from it
        recorded = body.get("part_payments", 0)
        for t in body.get("given_back", []):
            if t.get("kind") == STORE_CREDIT and t.get("voucher") and t["seq"] <= recorded:
                yield "restore", str(t["voucher"]), body["void_number"], int(t["amount"]), body["sale_id"]
        return
    code = body.get("voucher")
    if kind == EventType.CARD_REFUND_CLOSED:
        if body.get("how") == STORE_CREDIT and code:
            yield "issue", str(code), str(body["return_id"]), int(body["amount"]), str(body["return_id"])
        return
    if kind == EventType.RETURN_PROCESSED and code:
        credit = sum(int(p["amount"]) for p in body.get("refunds", []) if p.get("kind") == STORE_CREDIT)
        yield "issue", str(code), body["return_number"], abs(credit), body["return_id"]
    elif kind == EventType.BILL_ADJUSTED and code:
        credit = sum(abs(int(p["amount"])) for p in body.get("refunds", []) if p.get("kind") == STORE_CREDIT)
        yield "issue", str(code), body["number"], credit, body["adjustment_id"]
    elif kind == EventType.ORDER_CANCELLED and body.get("refund"):
        for p in body["refund"].get("tenders", []):
            if p.get("kind") == STORE_CREDIT and p.get("reference") and int(p["amount"]) < 0:
                yield "issue", str(p["reference"]), body["number"], -int(p["amount"]), body["order_id"]
    # Money in at the desk (order deposits and payments, pickups, account payments): every
    # store-credit tender of a payment redeems its voucher against that payment.
    yield from _desk_redemptions(body, None)


def _desk_redemptions(node: Any, payment: tuple[str, str] | None) -> Iterator[tuple[str, str, str, int, str]]:
    if isinstance(node, dict):
        if "payment_id" in node:
            payment = (str(node["payment_id"]), str(node.get("number") or node.get("payment_number") or ""))
        if (
            payment is not None
            and node.get("kind") == STORE_CREDIT
            and node.get("voucher")
            and int(node.get("amount", 0)) > 0
        ):
            yield "redeem", str(node["voucher"]), payment[1], -int(node["amount"]), payment[0]
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _desk_redemptions(value, payment)
    elif isinstance(node, list):
        for value in node:
            yield from _desk_redemptions(value, payment)


def _project_moves(conn: Connection, moves: list[dict[str, Any]]) -> None:
    v, vm = s.vouchers, s.voucher_movements
    issues = [m for m in moves if m["issue"] and m["amount_minor"] > 0]  # not a void's restored credit
    if issues:
        stmt = pg_insert(v).values(version=s.change_seq.next_value(), deleted=False, balance_minor=0)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["code"],
                # A redemption seen first (cannot happen in one lane's order, but keep it safe)
                # left a placeholder; the issue fills it in.
                set_={
                    "terminal_id": stmt.excluded.terminal_id,
                    "issued_at": stmt.excluded.issued_at,
                    "issued_by": stmt.excluded.issued_by,
                    "reference": stmt.excluded.reference,
                    "initial_minor": stmt.excluded.initial_minor,
                },
                where=v.c.reference.is_(None),
            ),
            [
                {
                    "code": m["voucher_code"],
                    "store_id": m["store_id"],
                    "terminal_id": m["terminal_id"],
                    "issued_at": m["at"],
                    "issued_by": m["issued_by"],
                    "reference": m["reference"],
                    "initial_minor": m["amount_minor"],
                }
                for m in issues
            ],
        )
    others = [m for m in moves if not (m["issue"] and m["amount_minor"] > 0)]
    if others:
        stmt = pg_insert(v).values(version=s.change_seq.next_value(), deleted=False, balance_minor=0)
        conn.execute(
            stmt.on_conflict_do_nothing(index_elements=["code"]),
            [
                {
                    "code": m["voucher_code"],
                    "store_id": m["store_id"],
                    "terminal_id": m["terminal_id"],
                    "issued_at": m["at"],
                    "issued_by": "",
                    "reference": None,
                    "initial_minor": 0,
                }
                for m in others
            ],
        )
    stmt = pg_insert(vm).values(version=s.change_seq.next_value(), deleted=False)
    conn.execute(
        stmt.on_conflict_do_nothing(index_elements=["id"]),
        [{k: m[k] for k in m if k not in ("issued_by", "issue")} for m in moves],
    )
    codes = sorted({m["voucher_code"] for m in moves})
    totals = dict(
        conn.execute(
            select(vm.c.voucher_code, func.sum(vm.c.amount_minor))
            .where(vm.c.voucher_code.in_(codes))
            .group_by(vm.c.voucher_code)
        ).all()
    )
    for code in codes:
        conn.execute(
            v.update()
            .where(v.c.code == code)
            .values(balance_minor=int(totals.get(code, 0)), version=s.change_seq.next_value())
        )
    flag_overdrawn(conn, codes)


def flag_overdrawn(conn: Connection, codes: Sequence[str]) -> None:
    """List every redemption that took a voucher below zero (once). Issues count first;
    redemptions in the order they were made."""
    vm = s.voucher_movements
    rows = conn.execute(
        select(vm.c.id, vm.c.voucher_code, vm.c.store_id, vm.c.terminal_id, vm.c.at, vm.c.amount_minor, vm.c.reference)
        .where(vm.c.voucher_code.in_(list(codes)))
        .order_by(vm.c.voucher_code, (vm.c.amount_minor > 0).desc(), vm.c.at, vm.c.id)
    ).all()
    per_code: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        per_code[r.voucher_code].append(r)
    refs = sorted({str(r.reference) for r in rows})
    numbers = dict(conn.execute(select(s.sales.c.id, s.sales.c.receipt_number).where(s.sales.c.id.in_(refs))).all())
    numbers.update(
        conn.execute(select(s.returns.c.id, s.returns.c.return_number).where(s.returns.c.id.in_(refs))).all()
    )
    now = utcnow()
    found = []
    for code, moves in per_code.items():
        issued = sum(int(m.amount_minor) for m in moves if m.amount_minor > 0)
        if not issued:
            continue  # its issue has not reached HQ yet: judged when it does
        balance = issued
        taken = 0
        for n, m in enumerate(moves):
            if m.amount_minor > 0:
                continue
            balance += int(m.amount_minor)
            taken -= int(m.amount_minor)
            if balance < 0:
                so_far = moves[: n + 1]
                issues = ", ".join(numbers.get(x.reference, x.reference) for x in so_far if x.amount_minor > 0)
                lanes = ", ".join(dict.fromkeys(f"{x.store_id}-{x.terminal_id}" for x in so_far))
                receipt = numbers.get(m.reference)
                found.append(
                    {
                        "at": now,
                        "kind": "voucher_overdrawn",
                        "sale_id": m.reference,
                        "sale_line_id": code,
                        "return_id": m.reference,
                        "store_id": m.store_id,
                        "terminal_id": m.terminal_id,
                        "sold": issued,
                        "returned": taken,
                        "receipt_number": receipt,
                        "return_numbers": issues,
                        "lanes": lanes,
                        "sku": None,
                        "item_name": f"store-credit voucher {code}",
                        "amount_minor": -int(m.amount_minor),
                        "detail": f"voucher {code} (issued by {issues or 'an entry not yet at HQ'}): {taken} redeemed "
                        f"of {issued} issued (minor units) at {lanes}; {receipt or m.reference} at "
                        f"{m.store_id}-{m.terminal_id} ({m.at}) took it to {balance}",
                    }
                )
    if found:
        log.warning("vouchers overdrawn: %d", len(found))
        conn.execute(
            pg_insert(s.exceptions).values(found).on_conflict_do_nothing(index_elements=["return_id", "sale_line_id"])
        )


# --------------------------------------------------------------- details from lanes


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddressIn(_Strict):
    line1: str = Field(min_length=1, max_length=120)
    line2: str = Field(default="", max_length=120)
    city: str = Field(default="", max_length=80)
    region: str = Field(default="", max_length=40)
    postal_code: str = Field(default="", max_length=16)
    country: str = Field(default="US", min_length=2, max_length=2)


class CustomerIn(_Strict):
    id: str = Field(min_length=1, max_length=36)
    name: str = Field(min_length=1, max_length=120)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    loyalty_card: str | None = Field(default=None, max_length=13)
    email_consent: bool = False
    language: str = Field(default="", pattern=r"^(|[a-z]{2}(_[A-Z]{2})?)$")  # documents' language; "" the store's
    address: AddressIn | None = None
    created_at: str = Field(pattern=STAMP)
    created_by: str = Field(max_length=36)
    updated_at: str = Field(pattern=STAMP)


class CustomersIn(_Strict):
    customers: list[CustomerIn] = Field(min_length=1, max_length=MAX_CUSTOMERS)


def store_details(conn: Connection, store_id: str, terminal_id: str, customers: Sequence[CustomerIn]) -> int:
    """Keep each customer's details unless HQ already holds a change at least as new;
    returns how many rows changed. A customer of another store is never touched."""
    if not customers:
        return 0
    lock_downstream(conn)
    c = s.customers
    stmt = pg_insert(c).values(version=s.change_seq.next_value(), deleted=False)
    cols = ("name", "phone", "email", "loyalty_card", "email_consent", "language", "address", "updated_at")
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={**{k: stmt.excluded[k] for k in cols}, "version": s.change_seq.next_value()},
        where=and_(
            c.c.store_id == stmt.excluded.store_id,
            or_(c.c.updated_at < stmt.excluded.updated_at, c.c.name == ""),
        ),
    )
    changed = 0
    for cu in customers:
        changed += conn.execute(
            stmt,
            {
                "id": cu.id,
                "store_id": store_id,
                "origin_terminal": terminal_id,
                "name": cu.name,
                "phone": cu.phone or None,
                "email": cu.email or None,
                "loyalty_card": cu.loyalty_card or None,
                "email_consent": cu.email_consent,
                "language": cu.language,
                "address": json.dumps(cu.address.model_dump(), sort_keys=True) if cu.address else None,
                "created_at": cu.created_at,
                "created_by": cu.created_by,
                "updated_at": cu.updated_at,
            },
        ).rowcount
    return changed


def router(engine: Engine, terminal: Callable[..., access.Caller]) -> APIRouter:
    """``POST /v1/customers``: a terminal sends the contact details of its store's
    customers. Mounted by ``hq.app.create_app`` with its terminal-token dependency."""
    api = APIRouter(tags=["customers"])
    Terminal = Annotated[access.Caller, Depends(terminal)]  # noqa: N806 - a type alias

    @api.post("/v1/customers")
    def customers(req: CustomersIn, who: Terminal) -> dict[str, Any]:
        assert who.store_id and who.terminal_id
        if contains_card_data(req.model_dump()):
            raise Refusal(
                422, "card_data", _("A customer's details look like they hold a card number; nothing was stored.")
            )
        with engine.begin() as conn:
            changed = store_details(conn, who.store_id, who.terminal_id, req.customers)
        return {"received": len(req.customers), "changed": changed}

    return api
