"""The service desk at HQ: every desk event a lane pushes, projected into HQ's desk tables
(hq/schema_desk.py) with the lanes' own projection functions (``counter.projection``), in
the push's transaction, and what the desk's entry rules (``counter.trust.desk_rules``) need
to know of HQ's rows.

* **Rows** (``project``, called by ``hq.ingest.project``): each desk entry's ``Insert``
  operations become rows of the same table and columns, stamped with the pushing lane's
  store, terminal and the entry's seq; its ``Update`` operations change the row of that
  key in the lane's store, exactly one (none: the push is refused, naming the entry, as
  for an unknown order or case). A column the journal does not hold (a customer's words,
  a note, an outcome) is the text the lane sent beside the entry, else null. A referral
  also gets HQ's own due date (``hq_due_on``, hq/escalation.py), from the department's
  days at HQ. Only new entries are projected (ingest takes a re-sent entry as
  acknowledged, never again), and every row's key is that of the entry or of an id the
  lane minted, so a batch projected twice would fail rather than double.
* **Derived, never taken**: an order's paid amount and balance and an account's balance
  are sums of payment and entry rows (hq/desk_api.py), never a stored number; what a
  cancelled order kept is HQ's sum of its payment rows, not the body's ``kept``.
* **Two lanes' offline work** (hq/desk_exceptions.py, after each batch's rows): a case's
  status is its latest status change by time, not the last pushed; an over-payment, a
  payment after another lane closed the order and a change to a case another lane closed
  are listed in ``exceptions``, once each.
* **To the other lanes** (hq/desk_feed.py): each desk entry goes on the store's desk
  feed with the typed text its lane sent before it, and that text fills HQ's rows too.
* **For the rules**: what HQ holds of the orders, accounts and sales a batch names
  (hq/desk_held.py).
* **Backfill** (``backfill``, run by migration 0007): the desk entries HQ's journal held
  before these tables existed, projected once in the order HQ received them.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError

from counter import projection
from counter.journal import JournalEntry
from counter.projection import UNKNOWN, EntryRef, Insert, ProjectionError
from counter.trust.desk_rules import DESK_KINDS
from hq import analysis_dirty, checks, desk_exceptions, desk_feed, escalation, schema as s
from hq.chain import PushRefused
from hq.schema_desk import ORDINAL_TABLES
from hq.store import utcnow

log = logging.getLogger(__name__)

#: What a person calls a row of the tables an entry changes.
_WHAT = {"cases": "case", "referrals": "referral", "orders": "order"}


class _Op(NamedTuple):
    seq: int
    table: str
    row: dict[str, Any]  # an insert's row, or an update's new values
    key: tuple[Any, ...] | None  # None: an insert
    label: str  # what the entry calls the record (its number), for a refusal


def _known(value: Any) -> Any:
    return None if value is UNKNOWN else value


def entry_ops(terminal_id: str, entry: JournalEntry, body: Any) -> list[projection.Op]:
    """The lane's projection of the entry; a push refusal when its body cannot be read."""
    ref = EntryRef(terminal_id, entry.seq, entry.type, entry.at)
    try:
        return projection.project(entry.type, body, ref)
    except ProjectionError as exc:
        raise checks.refused(entry.seq, "shape", f"Entry {entry.seq} cannot be read as a {entry.type}: {exc}") from exc


def rows_of(
    store_id: str,
    terminal_id: str,
    entry: JournalEntry,
    body: Any,
    private: Mapping[str, Any] | None = None,
    ops: list[projection.Op] | None = None,
) -> list[_Op]:
    """The entry's operations on HQ's desk tables, from the lane's projection (``ops`` when
    the caller made it), with the typed text the lane sent beside it (``private``,
    hq/desk_feed.py) where it fits."""
    if ops is None:
        ops = entry_ops(terminal_id, entry, body)
    if private:
        ops = list(projection.fill_private(ops, private))  # checked to fit by the caller
    label = str(body.get("case_number") or body.get("number") or "") if isinstance(body, dict) else ""
    out: list[_Op] = []
    places: Counter[str] = Counter()
    for op in ops:
        if op.table not in s.DESK:
            continue  # customers, links and vouchers: hq/people.py
        if isinstance(op, Insert):
            row = {c: _known(v) for c, v in op.row.items()}
            row.update(store_id=store_id, origin_terminal=terminal_id, origin_seq=entry.seq)
            if op.table in ORDINAL_TABLES:
                places[op.table] += 1
                row["n"] = places[op.table]
            out.append(_Op(entry.seq, op.table, row, None, label))
        else:
            values = {c: _known(v) for c, v in op.values.items()}
            out.append(_Op(entry.seq, op.table, values, op.key, label or str(op.key[0])))
    return out


def project(
    conn: Connection,
    store_id: str,
    terminal_id: str,
    entries: Sequence[JournalEntry],
    bodies: Sequence[Any] | None = None,
    *,
    feed: bool = True,
    analysis: bool = True,
) -> None:
    """Project the desk entries of one pushed batch (the caller's transaction); ``bodies``:
    the entries' parsed bodies when the caller has them. ``feed=False`` (the backfill of a
    migration older than the feed): no texts, nothing put on the feed. ``analysis=False``
    (likewise older than the kept analysis days, migration 0013): no day marked stale."""
    ops: list[_Op] = []
    desk = [(n, e) for n, e in enumerate(entries) if e.type in DESK_KINDS]
    sent = desk_feed.texts_for(conn, store_id, terminal_id, [e.seq for _, e in desk]) if feed else {}
    texts: dict[int, Mapping[str, Any] | None] = {}
    for n, e in desk:
        body = bodies[n] if bodies is not None else json.loads(e.body)
        own = entry_ops(terminal_id, e, body)
        texts[e.seq] = _fitting(conn, store_id, terminal_id, e, own, sent.get(e.seq))
        ops += rows_of(store_id, terminal_id, e, body, texts[e.seq], own)
    if feed:
        desk_feed.publish(conn, store_id, terminal_id, [e for _, e in desk], texts)  # to the other lanes
    if ops:
        referred = [(op.seq, op.row) for op in ops if op.key is None and op.table == "referrals"]
        escalation.set_due_dates(conn, store_id, terminal_id, referred)  # HQ's own due date of each
        _write(conn, store_id, ops)
        orders = {op.row.get("order_id") for op in ops if op.table == "desk_payments" and op.key is None}
        orders |= {op.key[0] for op in ops if op.table == "orders" and op.key is not None}
        cases = {op.row["case_id"] for op in ops if op.table == "case_events"}
        desk_exceptions.check(conn, store_id, {str(o) for o in orders if o}, cases)  # hq/desk_exceptions.py
        if analysis:
            _mark_analysis(conn, store_id, ops)


def _mark_analysis(conn: Connection, store_id: str, ops: Sequence[_Op]) -> None:
    """Mark the store days whose analysis these rows change: a contact's day, and the day
    each case they touch was opened (a case counts on that day, resolved or not)."""
    stamps: list[object] = [op.row.get("at") for op in ops if op.table == "contacts" and op.key is None]
    case_ids: set[str] = set()
    referral_ids: set[str] = set()
    for op in ops:
        if op.table == "cases":
            case_ids.add(str(op.row["id"] if op.key is None else op.key[0]))
        elif op.table == "case_events" and op.row.get("case_id"):
            case_ids.add(str(op.row["case_id"]))
        elif op.table == "referrals":
            if op.key is None:
                case_ids.add(str(op.row["case_id"]))
            else:
                referral_ids.add(str(op.key[0]))
        elif op.table == "referral_notes" and op.row.get("referral_id"):
            referral_ids.add(str(op.row["referral_id"]))
    ca, rf = s.cases, s.referrals
    if referral_ids:
        found = select(rf.c.case_id).where(rf.c.store_id == store_id, rf.c.id.in_(sorted(referral_ids)))
        case_ids |= {str(x) for x in conn.execute(found).scalars()}
    if case_ids:
        opened = select(ca.c.opened_at).where(ca.c.store_id == store_id, ca.c.id.in_(sorted(case_ids)))
        stamps += list(conn.execute(opened).scalars())
    analysis_dirty.mark_stamps(conn, store_id, stamps)


def _fitting(
    conn: Connection,
    store_id: str,
    terminal_id: str,
    e: JournalEntry,
    ops: list[projection.Op],
    private: Mapping[str, Any] | None,
) -> Mapping[str, Any] | None:
    """The entry's texts when they fit its rows (``ops``: one text row per row that leaves
    text to the lane, table by table); otherwise None and an alert naming the entry."""
    private = {t: rows for t, rows in (private or {}).items() if rows}
    if not private:
        return None
    needs = projection.private_needs(ops)
    if set(private) - set(needs) or any(len(private.get(t, ())) != len(rows) for t, rows in needs.items()):
        detail = f"{e.type} (entry {e.seq}): its typed text was left off: the texts do not match the entry's rows"
        log.warning("desk texts %s-%s: %s", store_id, terminal_id, detail)
        conn.execute(
            insert(s.alerts).values(
                at=utcnow(), kind="desk_texts", store_id=store_id, terminal_id=terminal_id, seq=e.seq, detail=detail
            )
        )
        return None
    return private


def _runs(ops: Iterable[_Op]) -> Iterator[list[_Op]]:
    """The operations in order, a run of inserts into one table together."""
    run: list[_Op] = []
    for op in ops:
        if run and (op.key is not None or run[0].key is not None or op.table != run[0].table):
            yield run
            run = []
        run.append(op)
    if run:
        yield run


def _write(conn: Connection, store_id: str, ops: Sequence[_Op]) -> None:
    for run in _runs(ops):
        table = s.DESK[run[0].table]
        if run[0].key is None:
            conn.execute(insert(table), [op.row for op in run])
            continue
        (op,) = run
        assert op.key is not None
        spec = projection.TABLES[op.table]
        values = dict(op.row)
        if op.table == "orders" and values.get("status") == "cancelled":
            values["kept_minor"] = paid_of(store_id, table.c.id)  # what the rows say it kept
        stmt = (
            update(table)
            .where(table.c.store_id == store_id, *(table.c[k] == v for k, v in zip(spec.key, op.key, strict=True)))
            .values(values)
        )
        if conn.execute(stmt).rowcount != 1:
            what = _WHAT.get(op.table, op.table)
            raise checks.refused(
                op.seq,
                "unknown_record",
                f"Entry {op.seq} changes {what} {op.label}, which HQ does not hold for {store_id}",
            )


def paid_of(store_id: str, order_id: Any) -> Any:
    """What the order's payment rows sum to (refunds below zero), as a scalar subquery."""
    p = s.desk_payments
    return (
        select(func.coalesce(func.sum(p.c.amount_minor), 0))
        .where(p.c.store_id == store_id, p.c.order_id == order_id)
        .scalar_subquery()
    )


# ------------------------------------------------------------------------- backfill


def backfill(conn: Connection, *, analysis: bool = True) -> int:
    """Project the desk entries of HQ's journal (stored before HQ projected them) in the
    order HQ received them; returns how many. An entry that cannot be projected is left
    out and raised as an alert (``desk_backfill``), naming the entry and why.
    ``analysis=False``: on a database older than the kept analysis days (migration 0008)."""
    j = s.journal
    rows = conn.execute(
        select(j.c.store_id, j.c.terminal_id, j.c.seq, j.c.id, j.c.type, j.c.at, j.c.body, j.c.prev_hash, j.c.hash)
        .where(j.c.type.in_(sorted(DESK_KINDS)))
        .order_by(j.c.received_at, j.c.store_id, j.c.terminal_id, j.c.seq)
    ).all()
    done = 0
    for r in rows:
        entry = JournalEntry(r.terminal_id, r.seq, r.id, r.type, r.at, r.body, r.prev_hash, r.hash)
        try:
            with conn.begin_nested():
                project(conn, r.store_id, r.terminal_id, [entry], feed=False, analysis=analysis)
            done += 1
        except (PushRefused, IntegrityError, DataError, ValueError) as exc:
            reason = exc.message if isinstance(exc, PushRefused) else type(exc).__name__
            detail = f"{r.type} (entry {r.seq}) was not projected into the desk tables: {reason}"
            log.warning("desk backfill %s-%s: %s", r.store_id, r.terminal_id, detail)
            conn.execute(
                insert(s.alerts).values(
                    at=utcnow(),
                    kind="desk_backfill",
                    store_id=r.store_id,
                    terminal_id=r.terminal_id,
                    seq=r.seq,
                    detail=detail,
                )
            )
    return done
