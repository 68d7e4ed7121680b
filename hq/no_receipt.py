"""No-receipt limits across lanes and stores: one customer (one ID document) cannot dodge
the store's no-receipt limit by walking to the next lane.

* **The question** (``POST /v1/no-receipt/holds``, a terminal token): a lane about to take a
  return without a receipt sends the ID document's key (``counter.returns.model.CustomerId.key``,
  a SHA-256: never the ID's number, which HQ refuses), the window in days and the refund.
  Under a lock on that key, HQ answers what the customer's *other* no-receipt returns
  refunded over the window at every lane and store of the chain: those it received
  (``no_receipt_returns``) and those it holds for a lane that has not pushed them yet
  (``no_receipt_holds``, younger than the reservation lifetime of hq/ledger.py), with their
  ids; and it holds this return's amount the same way, so a lane asking a moment later
  already counts it. The lane adds its own returns HQ did not count and decides
  (``counter.returns.customer_limit``, ``counter.returns.process.quote``). A return that
  then fails at the lane gives its hold back (``DELETE /v1/reservations/{id}``).
* **The projection** (``project``, called by ``hq.ingest.project`` in the push's
  transaction): every pushed return without a receipt that names a customer key becomes a
  ``no_receipt_returns`` row (and confirms its hold), with the limit its entry states.
* **The flag** (``flag_excess``): HQ holds no store rules, so each return is judged by the
  limit and window its own lane's entry states (``no_receipt_limit``: the store's rules at
  that lane when it was taken). A return that takes the customer's chain-wide total over
  that window past that limit, without a supervisor's ``customer_limit`` approval (two
  lanes offline, or a hold that expired before its return arrived), is listed in
  ``exceptions`` (kind ``no_receipt_limit``) naming the customer key, every return of the
  window in order and their lanes. Both returns stay as recorded. Entries from before the
  lanes stated a limit count in the totals but are not judged.

Amounts are minor units of the chain's one currency.
"""

# No "from __future__ import annotations": FastAPI reads the route's annotations at run
# time, and they name the terminal dependency given to ``router``.

import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, Engine, and_, exists, insert, select, text, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from counter.i18n import _
from counter.journal import EventType, JournalEntry, parse_stamp, utc_stamp
from counter.returns.customer_limit import MAX_WINDOW_DAYS
from counter.trust.entry_fields import MAX_MINOR
from hq import access, schema as s
from hq.ledger import reservation_ttl
from hq.store import utcnow
from hq.web import Refusal, refusal

log = logging.getLogger(__name__)

KEY = re.compile(r"[0-9a-f]{64}")
#: Advisory lock space (two-int form: apart from the one-bigint keys of hq.store) of a
#: customer key: holds for one customer are answered one at a time.
LOCK_SPACE = 7_402
#: ``exceptions.sold`` and ``returned`` are 32-bit: larger figures are shown at this value.
INT32 = 2**31 - 1
EXCEPTION_KIND = "no_receipt_limit"


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    return_id: str = Field(pattern=r"^[^\x00-\x1f]{1,36}$")
    customer_key: str = Field(min_length=1, max_length=64)
    amount_minor: int = Field(ge=0, le=MAX_MINOR - 1)
    window_days: int = Field(ge=0, le=MAX_WINDOW_DAYS)

    @field_validator("customer_key")
    @classmethod
    def _a_key(cls, value: str) -> str:
        if not KEY.fullmatch(value):
            raise ValueError("send the ID document's key (64 lowercase hex digits), never the ID's number")
        return value


# ------------------------------------------------------------------ the question


def chain_total(conn: Connection, customer_key: str, days: int, now: datetime, *, but: str = "") -> dict[str, int]:
    """The customer's no-receipt returns over the last ``days`` days at every lane and
    store, by return id (minor units): those received and the live holds of those not yet
    received, read in one statement (a return's arrival confirms its hold in the same
    transaction, so it is counted once either way). ``but``: a return id left out."""
    nr, h = s.no_receipt_returns, s.no_receipt_holds
    received = select(nr.c.return_id.label("id"), nr.c.refund_minor.label("amount")).where(
        nr.c.customer_key == customer_key, nr.c.completed_at >= utc_stamp(now - timedelta(days=days))
    )
    held = select(h.c.return_id, h.c.amount_minor).where(
        h.c.customer_key == customer_key,
        h.c.state == "reserved",
        h.c.created_at >= now - min(reservation_ttl(), timedelta(days=days)),
        ~exists().where(nr.c.return_id == h.c.return_id),
    )
    both = union_all(received, held).subquery()
    rows = conn.execute(select(both.c.id, both.c.amount).where(both.c.id != but)).all()
    return {str(i): int(amount) for i, amount in rows}


def hold(conn: Connection, store_id: str, terminal_id: str, req: HoldIn) -> dict[str, Any]:
    """Answer the customer's chain-wide no-receipt total and hold this return's amount
    (the caller's transaction). The same return asked again gets the same kind of answer."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"), {"space": LOCK_SPACE, "key": req.customer_key}
    )
    h = s.no_receipt_holds
    now = utcnow()
    mine = conn.execute(
        select(h.c.store_id, h.c.terminal_id, h.c.customer_key, h.c.state).where(h.c.return_id == req.return_id)
    ).first()
    received = conn.execute(select(s.returns.c.id).where(s.returns.c.id == req.return_id)).first()
    if received is not None or (
        mine is not None
        and (mine.store_id, mine.terminal_id, mine.customer_key) != (store_id, terminal_id, req.customer_key)
    ):
        raise refusal(
            409, "return_id_taken", lambda: _("Another return already uses this return id; start the return again.")
        )
    if mine is not None and mine.state != "reserved":
        raise Refusal(409, str(mine.state), _("This return's hold was given back; start the return again."))
    if mine is None:
        conn.execute(
            insert(h).values(
                return_id=req.return_id,
                customer_key=req.customer_key,
                store_id=store_id,
                terminal_id=terminal_id,
                amount_minor=req.amount_minor,
                state="reserved",
                created_at=now,
            )
        )
    counted = chain_total(conn, req.customer_key, req.window_days, now, but=req.return_id)
    return {
        "held": True,
        "return_id": req.return_id,
        "window_days": req.window_days,
        "total_minor": sum(counted.values()),
        "returns": sorted(counted),
    }


def release(conn: Connection, store_id: str, terminal_id: str, return_id: str) -> int:
    """Give back the lane's hold of a return it did not record after all."""
    h = s.no_receipt_holds
    return conn.execute(
        update(h)
        .where(
            h.c.return_id == return_id,
            h.c.store_id == store_id,
            h.c.terminal_id == terminal_id,
            h.c.state == "reserved",
        )
        .values(state="released")
    ).rowcount


def router(engine: Engine, terminal: Callable[..., access.Caller]) -> APIRouter:
    """``POST /v1/no-receipt/holds``. Mounted by ``hq.app.create_app`` with its
    terminal-token dependency."""
    api = APIRouter(tags=["returns"])
    Terminal = Annotated[access.Caller, Depends(terminal)]  # noqa: N806 - a type alias

    @api.post("/v1/no-receipt/holds")
    def hold_route(req: HoldIn, who: Terminal) -> dict[str, Any]:
        assert who.store_id and who.terminal_id
        try:
            with engine.begin() as conn:
                return hold(conn, who.store_id, who.terminal_id, req)
        except Refusal as exc:
            if exc.error == "return_id_taken":  # no honest lane does this: alert
                detail = f"{who.name} asked to hold no-receipt return {req.return_id}: {exc.english}"
                log.warning("alert %s %s-%s: %s", exc.error, who.store_id, who.terminal_id, detail)
                with engine.begin() as conn:
                    conn.execute(
                        insert(s.alerts).values(
                            at=utcnow(),
                            kind=exc.error,
                            store_id=who.store_id,
                            terminal_id=who.terminal_id,
                            seq=None,
                            detail=detail,
                        )
                    )
            raise

    return api


# ------------------------------------------------------------------ the projection


def project(
    conn: Connection,
    store_id: str,
    terminal_id: str,
    entries: Sequence[JournalEntry],
    bodies: Sequence[Any] | None = None,
) -> int:
    """Project the batch's returns without a receipt that name a customer key, confirm
    their holds and flag what went over a limit (the caller's transaction). Returns how
    many were projected."""
    rows: list[dict[str, Any]] = []
    kind = str(EventType.RETURN_PROCESSED)
    for n, e in enumerate(entries):
        if e.type != kind:
            continue
        body = bodies[n] if bodies is not None and bodies[n] is not None else json.loads(e.body)
        row = _row(store_id, terminal_id, e, body)
        if row is not None:
            rows.append(row)
    if not rows:
        return 0
    nr, h = s.no_receipt_returns, s.no_receipt_holds
    conn.execute(pg_insert(nr).values(rows).on_conflict_do_nothing(index_elements=["return_id"]))
    ids = [r["return_id"] for r in rows]
    conn.execute(update(h).where(h.c.return_id.in_(ids), h.c.state == "reserved").values(state="confirmed"))
    flag_excess(conn, sorted({r["customer_key"] for r in rows}))
    return len(rows)


def _row(store_id: str, terminal_id: str, e: JournalEntry, body: Any) -> dict[str, Any] | None:
    if type(body) is not dict or body.get("original_sale_id") is not None:
        return None
    key = body.get("customer_key")
    if type(key) is not str or not KEY.fullmatch(key):
        return None
    note = body.get("no_receipt_limit")
    limit, days = (note.get("limit"), note.get("window_days")) if type(note) is dict else (None, None)
    judged = type(limit) is int and type(days) is int and 0 <= limit < MAX_MINOR and 0 <= days <= MAX_WINDOW_DAYS
    return {
        "return_id": str(body["return_id"]),
        "customer_key": key,
        "store_id": store_id,
        "terminal_id": terminal_id,
        "seq": e.seq,
        "return_number": str(body["return_number"]),
        "completed_at": e.at,
        "refund_minor": int(body["refund_total"]),
        "limit_minor": limit if judged else None,
        "window_days": days if judged else None,
        "approved": "customer_limit" in (body.get("approvals") or ()),
    }


def flag_excess(conn: Connection, keys: Sequence[str]) -> None:
    """List in ``exceptions`` every no-receipt return of these customers that took their
    chain-wide total over its window past the limit its lane stated, without a supervisor's
    approval (once; the returns stay as recorded)."""
    nr = s.no_receipt_returns
    rows = conn.execute(
        select(nr)
        .where(nr.c.customer_key.in_(list(keys)))
        .order_by(nr.c.customer_key, nr.c.completed_at, nr.c.return_id)
    ).all()
    per_key: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        per_key[r.customer_key].append(r)
    now = utcnow()
    found = []
    for key, returns in per_key.items():
        for n, r in enumerate(returns):
            if r.limit_minor is None or r.window_days is None or r.approved:
                continue
            since = utc_stamp(parse_stamp(r.completed_at) - timedelta(days=int(r.window_days)))
            window = [x for x in returns[: n + 1] if x.completed_at >= since]
            total = sum(int(x.refund_minor) for x in window)
            if total > int(r.limit_minor):
                found.append(_exception(key, r, window, total, now))
    if found:
        log.warning("no-receipt returns over a customer's limit: %d", len(found))
        conn.execute(
            pg_insert(s.exceptions).values(found).on_conflict_do_nothing(index_elements=["return_id", "sale_line_id"])
        )


def _exception(key: str, r: Any, window: Sequence[Any], total: int, now: datetime) -> dict[str, Any]:
    numbers = ", ".join(x.return_number for x in window)
    lanes = ", ".join(dict.fromkeys(f"{x.store_id}-{x.terminal_id}" for x in window))
    return {
        "at": now,
        "kind": EXCEPTION_KIND,
        "sale_id": "",  # no sale: a return without a receipt
        "sale_line_id": "",
        "return_id": r.return_id,
        "store_id": r.store_id,
        "terminal_id": r.terminal_id,
        "sold": min(int(r.limit_minor), INT32),  # the limit
        "returned": min(total, INT32),  # the customer's total with this return
        "receipt_number": None,
        "return_numbers": numbers,
        "lanes": lanes,
        "sku": None,
        "item_name": "returns without a receipt",
        "amount_minor": int(r.refund_minor),
        "customer_key": key,
        "detail": f"customer ID key {key[:12]}…: {total} refunded without a receipt within {r.window_days} days "
        f"by {numbers} at {lanes}, over the limit of {r.limit_minor} (minor units) stated by "
        f"{r.store_id}-{r.terminal_id}; {r.return_number} ({r.completed_at}) went over and refunded {r.refund_minor} "
        "without a supervisor's approval",
    }


# ------------------------------------------------------------------------ backfill


def backfill(conn: Connection) -> int:
    """Project the no-receipt returns of HQ's journal (received before HQ kept them by
    customer key), lane by lane in seq order; returns how many."""
    j = s.journal
    rows = conn.execute(
        select(j.c.store_id, j.c.terminal_id, j.c.seq, j.c.id, j.c.type, j.c.at, j.c.body, j.c.prev_hash, j.c.hash)
        .join(
            s.returns,
            and_(
                s.returns.c.store_id == j.c.store_id,
                s.returns.c.terminal_id == j.c.terminal_id,
                s.returns.c.seq == j.c.seq,
            ),
        )
        .where(j.c.type == str(EventType.RETURN_PROCESSED), s.returns.c.original_sale_id.is_(None))
        .order_by(j.c.store_id, j.c.terminal_id, j.c.seq)
    ).all()
    per_lane: dict[tuple[str, str], list[JournalEntry]] = defaultdict(list)
    for r in rows:
        per_lane[(r.store_id, r.terminal_id)].append(
            JournalEntry(r.terminal_id, r.seq, r.id, r.type, r.at, r.body, r.prev_hash, r.hash)
        )
    return sum(project(conn, store, lane, entries) for (store, lane), entries in per_lane.items())
