"""Ingest: a terminal's journal entries arrive in batches; HQ checks them, stores them
verbatim and projects them into its sales and returns tables, in one transaction.

The rules, per lane (store, terminal):

* the lane's row in ``terminals`` is locked (``FOR UPDATE``) for the whole batch, so two
  HQ processes receiving the same lane's pushes serialise instead of racing;
* an entry at or below the head is a re-send: acknowledged again when it is exactly the
  entry stored; the same seq with any difference is refused (409) and raised as an alert;
* the first new entry must be head + 1, else the push is refused as a gap (409) telling
  the terminal where to resume;
* new entries must continue the chain from the stored head (``counter.journal.verify``);
  a broken chain (an edited, inserted or re-ordered entry) is refused (422) and alerted;
* every new entry must meet the domain rules (``hq/checks.py`` over
  ``counter.trust.entry_rules``: sales that add up, returns that follow from their sale, no
  card numbers, amounts in range); one broken rule refuses the whole push (422
  ``entry_refused`` naming the entry and the rule) and is alerted;
* nothing of a refused batch is stored. Alerts are written in their own transaction,
  after the batch's has rolled back.

The acknowledgement is the new head: the terminal marks entries synced up to it.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

import orjson
import psycopg
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DataError, IntegrityError

from counter import projection
from counter.journal import EventType, JournalEntry
from counter.projection import EntryRef, Insert, ProjectionError
from hq import analysis_dirty, checks, desk, no_receipt, people, schema as s, staging
from hq.chain import (
    PushRefused as PushRefused,  # re-exported: hq.app catches ingest.PushRefused
    check_chain,
)
from hq.store import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushResult:
    acked_seq: int
    head_hash: str
    stored: int
    repeated: int


def record_alert(
    engine: Engine, kind: str, store_id: str | None, terminal_id: str | None, seq: int | None, detail: str
) -> None:
    log.warning("alert %s %s-%s seq %s: %s", kind, store_id, terminal_id, seq, detail)
    with engine.begin() as conn:
        conn.execute(
            insert(s.alerts).values(
                at=utcnow(), kind=kind, store_id=store_id, terminal_id=terminal_id, seq=seq, detail=detail
            )
        )


def ingest(
    engine: Engine, store_id: str, terminal_id: str, entries: Sequence[JournalEntry], *, token_hash: str | None = None
) -> PushResult:
    """Store and project one batch of a lane's entries (checked for order by the caller).
    With ``token_hash``, the caller's token is checked again (known, not revoked, a
    terminal token of this lane) in the same query that locks the lane: a token revoked a
    moment ago never writes, and a push needs no look-up of its token beforehand
    (hq/fastpush.py). Refused 401 (nothing stored, nothing alerted) otherwise."""
    try:
        with engine.begin() as conn:
            try:
                return _ingest(conn, store_id, terminal_id, entries, token_hash)
            except BaseException:
                staging.forget(conn)  # rolling back: a staging table made in this transaction goes
                raise
    except PushRefused as exc:
        if exc.error in {"seq_conflict", "chain_broken", "gap", "entry_refused"}:
            kind = f"entry_refused:{exc.extra.get('rule')}" if exc.error == "entry_refused" else exc.error
            record_alert(engine, kind[:32], store_id, terminal_id, exc.extra.get("seq"), exc.message)
        raise


def _ingest(
    conn: Connection, store_id: str, terminal_id: str, entries: Sequence[JournalEntry], token_hash: str | None
) -> PushResult:
    # Plain SQL (this runs on every push): the lane's head, locked, and whether the token
    # is a live terminal token of this very lane, in one round trip.
    head = conn.exec_driver_sql(
        "SELECT t.head_seq, t.head_hash, (%(token)s::text IS NULL OR EXISTS (SELECT 1 FROM tokens k "
        "WHERE k.token_hash = %(token)s AND k.revoked_at IS NULL AND k.kind = 'terminal' "
        "AND k.store_id = t.store_id AND k.terminal_id = t.terminal_id)) FROM terminals t "
        "WHERE t.store_id = %(store)s AND t.terminal_id = %(terminal)s FOR UPDATE OF t",
        {"token": token_hash, "store": store_id, "terminal": terminal_id},
    ).first()
    if head is None:
        raise PushRefused(403, "not_enrolled", f"Terminal {store_id}-{terminal_id} is not enrolled at HQ.")
    if not head[2]:
        raise PushRefused(401, "unauthorized", "This token was revoked: enrol the terminal again.")
    head_seq, head_hash = int(head[0]), str(head[1])
    old = [e for e in entries if e.seq <= head_seq]
    new = [e for e in entries if e.seq > head_seq]
    if old:
        _check_resent(conn, store_id, terminal_id, old)
    if new:
        if new[0].seq != head_seq + 1:
            raise PushRefused(
                409,
                "gap",
                f"Entries {head_seq + 1}..{new[0].seq - 1} are missing: HQ holds up to {head_seq}.",
                expected_seq=head_seq + 1,
                seq=new[0].seq,
            )
        bodies = check_chain(new, head_seq, head_hash)
        checks.check_batch(conn, store_id, new, bodies)  # the domain rules (counter.trust.entry_rules)
        head_seq, head_hash = new[-1].seq, new[-1].hash
        try:
            project(conn, store_id, terminal_id, new, bodies, head=(head_seq, head_hash, utcnow()), batch=entries)
        except (IntegrityError, DataError, psycopg.IntegrityError, psycopg.DataError) as exc:
            # an id HQ already holds, a value no column takes: the lane's fault, a 422
            raise checks.refusal_for_integrity(exc, new) from exc
    return PushResult(head_seq, head_hash, len(new), len(old))


COPY_FROM = 64  # entries: a smaller batch is written in one statement (one round trip), a larger one by COPY
_CASH_TYPES = frozenset({"DrawerOpened", "ShiftClosed"})  # what the no-sales and over/short read
JOURNAL_COLUMNS = ("store_id", "terminal_id", "seq", "id", "type", "at", "body", "prev_hash", "hash", "received_at")
SALE_COLUMNS = (
    "id", "receipt_number", "store_id", "terminal_id", "seq", "cashier_id", "completed_at", "currency",
    "prices_include_tax", "total_minor", "rounding_minor", "body",
)  # fmt: skip
LINE_COLUMNS = (
    "id", "sale_id", "line_no", "item_id", "sku", "name", "quantity", "unit_price_minor", "line_discount_minor",
    "order_discount_minor", "amount_minor", "tax_minor", "gross_minor", "tax_code", "tax_rate",
)  # fmt: skip
TENDER_COLUMNS = (
    "sale_id", "seq", "kind", "amount_minor", "tendered_minor", "card_brand", "card_last4", "approval_code",
)  # fmt: skip


def copy_tuples(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Bulk insert through PostgreSQL's COPY, in the connection's own transaction: several
    times faster than row-by-row INSERTs for a batch of hundreds of entries. Rows are plain
    tuples in ``columns`` order (no per-row dicts or ORM objects)."""
    if not rows:
        return
    raw: Any = conn.connection.dbapi_connection
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(sql) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


def _check_resent(conn: Connection, store_id: str, terminal_id: str, old: Sequence[JournalEntry]) -> None:
    j = s.journal
    rows = conn.execute(
        select(j.c.seq, j.c.id, j.c.type, j.c.at, j.c.body, j.c.prev_hash, j.c.hash).where(
            j.c.store_id == store_id,
            j.c.terminal_id == terminal_id,
            j.c.seq.between(min(e.seq for e in old), max(e.seq for e in old)),
        )
    ).all()
    stored = {r.seq: r for r in rows}
    for e in old:
        r = stored.get(e.seq)
        if r is None or (r.id, r.type, r.at, r.body, r.prev_hash, r.hash) != (
            e.id,
            e.type,
            e.at,
            e.body,
            e.prev_hash,
            e.hash,
        ):
            raise PushRefused(
                409,
                "seq_conflict",
                f"Entry {e.seq} differs from the entry {e.seq} HQ already holds for this terminal.",
                seq=e.seq,
            )


# ------------------------------------------------------------------------ projection


def project(
    conn: Connection,
    store_id: str,
    terminal_id: str,
    entries: Sequence[JournalEntry],
    bodies: Sequence[Any] | None = None,
    *,
    head: tuple[int, str, datetime] | None = None,
    batch: Sequence[JournalEntry] | None = None,
) -> None:
    """Project SaleCompleted and ReturnProcessed entries, customers and store credit
    (hq/people.py) and the service desk's events (hq/desk.py); others stay in the journal only.
    ``bodies`` are the entries' parsed bodies when the caller has them (the chain check
    parsed each one already); otherwise each projected body is parsed here.

    With ``head`` (seq, hash, received at), the entries themselves are stored in the
    journal too and the lane's head is moved: a batch under ``COPY_FROM`` entries (a
    lane's everyday push) in one statement with its sales, lines and tenders (one round
    trip), a larger one by COPY into a staging table and a merge (hq/staging.py: ``batch``
    is the whole pushed batch, re-sent entries included, ``entries`` by default) and its
    sales, lines and tenders by COPY."""
    sales, lines, tenders, returns = _projection_rows(store_id, terminal_id, entries, bodies)
    late: set[str] = set()
    if head is not None and len(entries) < COPY_FROM:
        late = _write_small(conn, store_id, terminal_id, entries, sales, lines, tenders, head)
    else:
        if head is not None:
            assert (head[0], head[1]) == (entries[-1].seq, entries[-1].hash)
            staging.stage(conn, entries if batch is None else batch)
            staging.merge(conn, store_id, terminal_id, entries, head[2])
        if sales:
            copy_tuples(conn, s.sales.name, SALE_COLUMNS, sales)
            copy_tuples(conn, s.sale_lines.name, LINE_COLUMNS, lines)
            copy_tuples(conn, s.sale_tenders.name, TENDER_COLUMNS, tenders)
    if returns:
        _project_returns(conn, store_id, terminal_id, returns)
    touched = {
        r["returns"][0].row["original_sale_id"] for _, r, _ in returns if r["returns"][0].row["original_sale_id"]
    } | late
    # A sale arriving after returns of it (its lane synced later) is checked too.
    if sales and (head is None or len(entries) >= COPY_FROM):
        # one array parameter, not an IN list of hundreds (compiled and parsed per push)
        late_rows = conn.exec_driver_sql(
            "SELECT DISTINCT l.sale_id FROM sale_lines l JOIN return_lines r ON r.sale_line_id = l.id "
            "WHERE l.sale_id = ANY(%(ids)s::text[])",
            {"ids": [x[0] for x in sales]},
        ).scalars()
        touched |= set(late_rows)
    if touched:
        flag_over_returns(conn, sorted(touched))
    people.project(conn, store_id, terminal_id, entries, bodies)  # customers and store credit (hq/people.py)
    desk.project(conn, store_id, terminal_id, entries, bodies)  # orders, accounts, cases (hq/desk.py)
    no_receipt.project(conn, store_id, terminal_id, entries, bodies)  # by customer key (hq/no_receipt.py)
    # the store days whose analysis this batch changes (the desk's: hq/desk.py)
    cash = [e.at for e in entries if e.type in _CASH_TYPES]
    completed = [x[6] for x in sales] + [r["returns"][0].row["completed_at"] for _, r, _ in returns]
    analysis_dirty.mark_stamps(conn, store_id, cash + completed)


def _recordset_insert(name: str, table: str, columns: Sequence[str]) -> str:
    cols = ", ".join(columns)
    return (
        f"{name} AS (INSERT INTO {table} ({cols}) SELECT {cols} FROM json_populate_recordset(NULL::{table}, %s::json))"
    )


# Each table's rows travel as one JSON document (json_populate_recordset types them by the
# table's own columns): one parameter each instead of an array per column, cheap to send.
_SMALL_BATCH_SQL = (
    "WITH "
    + ", ".join(
        (
            _recordset_insert("j", "journal", JOURNAL_COLUMNS),
            _recordset_insert("sa", "sales", SALE_COLUMNS),
            _recordset_insert("li", "sale_lines", LINE_COLUMNS),
            _recordset_insert("te", "sale_tenders", TENDER_COLUMNS),
            "hd AS (UPDATE terminals SET head_seq = %s, head_hash = %s, last_push_at = %s "
            "WHERE store_id = %s AND terminal_id = %s)",
        )
    )
    + " SELECT DISTINCT sale_line_id FROM return_lines WHERE sale_line_id = ANY(%s::text[])"
)


def _write_small(
    conn: Connection,
    store_id: str,
    terminal_id: str,
    entries: Sequence[JournalEntry],
    sales: Sequence[tuple[Any, ...]],
    lines: Sequence[tuple[Any, ...]],
    tenders: Sequence[tuple[Any, ...]],
    head: tuple[int, str, datetime],
) -> set[str]:
    """Store a small batch, its sales, lines and tenders, and move the lane's head, in one
    statement (data-modifying CTEs); returns the ids of the batch's sales that returns
    already recorded at HQ refer to (a sale arriving after returns of it)."""

    def doc(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
        return orjson.dumps([dict(zip(columns, row, strict=True)) for row in rows]).decode()

    now = head[2]
    journal = doc(
        JOURNAL_COLUMNS,
        ((store_id, terminal_id, e.seq, e.id, e.type, e.at, e.body, e.prev_hash, e.hash, now) for e in entries),
    )
    params = (
        journal,
        doc(SALE_COLUMNS, sales),
        doc(LINE_COLUMNS, lines),
        doc(TENDER_COLUMNS, tenders),
        head[0],
        head[1],
        now,
        store_id,
        terminal_id,
        [ln[0] for ln in lines],
    )
    raw: Any = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        cur.execute(_SMALL_BATCH_SQL, params)
        returned = {str(r[0]) for r in cur.fetchall()}
    sale_of_line = {ln[0]: ln[1] for ln in lines}
    return {sale_of_line[line_id] for line_id in returned}


_RowsOf = dict[str, list[Insert]]
_Return = tuple[JournalEntry, _RowsOf, bool]  # an entry, its rows, whether HQ reserved it
#: HQ's columns of a sale's lines and tenders picked out of the lane's rows (tuples in
#: ``projection.TABLES`` column order)
_LINE_AT = itemgetter(*(projection.TABLES["sale_lines"].columns.index(c) for c in LINE_COLUMNS))
_TENDER_AT = itemgetter(*(projection.TABLES["tenders"].columns.index(c) for c in TENDER_COLUMNS))


def _rows_of(entry: JournalEntry, body: Any, terminal_id: str) -> _RowsOf:
    """The rows the lane's own projection (counter.projection) makes of this entry, by
    table: HQ stores what it derives from the body, never a figure the lane sent beside it
    (a sale's total is the sum of its lines' gross, as at the lane)."""
    out: _RowsOf = defaultdict(list)
    try:
        for op in projection.project(entry.type, body, EntryRef(terminal_id, entry.seq, entry.type, entry.at)):
            if isinstance(op, Insert):
                out[op.table].append(op)
    except ProjectionError as exc:
        raise checks.refused(entry.seq, "shape", f"Entry {entry.seq} cannot be read as a {entry.type}: {exc}") from exc
    return out


def _projection_rows(
    store_id: str, terminal_id: str, entries: Sequence[JournalEntry], bodies: Sequence[Any] | None
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], list[_Return]]:
    """The rows of sales, sale lines and tenders (in the *_COLUMNS orders) and the returns'
    rows, from the lane's projection. The store is the lane's (its token's), not the body's."""
    sales: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    tenders: list[tuple[Any, ...]] = []
    returns: list[_Return] = []
    sale_type, return_type = str(EventType.SALE_COMPLETED), str(EventType.RETURN_PROCESSED)
    for i, e in enumerate(entries):
        if e.type not in (sale_type, return_type):
            continue
        body = bodies[i] if bodies is not None else json.loads(e.body)
        rows = _rows_of(e, body, terminal_id)
        if e.type == return_type:
            returns.append((e, rows, bool(body.get("hq_reserved", False))))
            continue
        (sale_op,) = rows["sales"]
        sale = sale_op.row
        sales.append(
            (
                sale["id"], sale["receipt_number"], store_id, terminal_id, e.seq, sale["cashier_id"],
                sale["completed_at"], sale["currency"], sale["prices_include_tax"], sale["total_minor"],
                sale["rounding_minor"], e.body,
            )
        )  # fmt: skip
        lines += [_LINE_AT(op.values) for op in rows["sale_lines"]]
        tenders += [_TENDER_AT(op.values) for op in rows["tenders"]]
    return sales, lines, tenders, returns


def _project_returns(conn: Connection, store_id: str, terminal_id: str, returns: list[_Return]) -> None:
    rows, lines, refunds = [], [], []
    for e, derived, reserved in returns:
        (ret_op,) = derived["returns"]
        ret = ret_op.row
        rows.append(
            {
                "id": ret["id"],
                "return_number": ret["return_number"],
                "store_id": store_id,
                "terminal_id": terminal_id,
                "seq": e.seq,
                "original_sale_id": ret["original_sale_id"],
                "original_receipt": ret["original_receipt"],
                "completed_at": ret["completed_at"],
                "refund_minor": ret["refund_minor"],
                "reserved": reserved,
            }
        )
        lines += [{c: op.row[c] for c in _RETURN_LINE_COLUMNS} for op in derived["return_lines"]]
        refunds += [{c: op.row[c] for c in _REFUND_COLUMNS} for op in derived["refunds"]]
    # Lock the affected sale lines first (sorted: two lanes' batches never deadlock on them).
    sale_ids = sorted({r["original_sale_id"] for r in rows if r["original_sale_id"]})
    if sale_ids:
        conn.execute(
            select(s.sale_lines.c.id)
            .where(s.sale_lines.c.sale_id.in_(sale_ids))
            .order_by(s.sale_lines.c.id)
            .with_for_update()
        ).all()
    conn.execute(insert(s.returns), rows)
    if lines:
        conn.execute(insert(s.return_lines), lines)
    if refunds:
        conn.execute(insert(s.return_refunds), refunds)
    rr = s.return_reservations
    conn.execute(
        update(rr)
        .where(rr.c.return_id.in_([r["id"] for r in rows]), rr.c.state == "reserved")
        .values(state="confirmed")
    )


_RETURN_LINE_COLUMNS = (
    "return_id", "line_no", "sale_line_id", "item_id", "quantity", "amount_minor", "tax_minor", "gross_minor",
    "fee_minor",
)  # fmt: skip
_REFUND_COLUMNS = ("return_id", "seq", "kind", "amount_minor", "original_sale_id", "original_tender_seq")


def flag_over_returns(conn: Connection, sale_ids: Sequence[str]) -> None:
    """Add every return that took a sale line past its sold quantity to the exception
    report (once; both the sale and the returns stay as recorded), naming what a person
    needs to act: the receipt, the returns of the line in order and their lanes, the item
    and what the flagged return refunded for it."""
    sl, rl, r = s.sale_lines, s.return_lines, s.returns
    sold = {
        row.id: row
        for row in conn.execute(
            select(sl.c.id, sl.c.sale_id, sl.c.quantity, sl.c.sku, sl.c.name, s.sales.c.receipt_number)
            .join(s.sales, s.sales.c.id == sl.c.sale_id)
            .where(sl.c.sale_id.in_(sale_ids))
        )
    }
    if not sold:
        return
    taken = conn.execute(
        select(
            rl.c.sale_line_id,
            rl.c.return_id,
            rl.c.quantity,
            rl.c.gross_minor,
            r.c.store_id,
            r.c.terminal_id,
            r.c.completed_at,
            r.c.return_number,
        )  # fmt: skip
        .join(r, r.c.id == rl.c.return_id)
        .where(rl.c.sale_line_id.in_(list(sold)))
        # Returns HQ reserved were checked against the ledger when taken: they count first,
        # and the offline ones, by time, are the ones that went over.
        .order_by(r.c.reserved.desc(), r.c.completed_at, r.c.id)
    ).all()
    per_line: dict[str, list[Any]] = defaultdict(list)
    for row in taken:
        per_line[row.sale_line_id].append(row)
    now = utcnow()
    found = []
    for line_id, rows in per_line.items():
        line = sold[line_id]
        quantity = int(line.quantity)
        running = 0
        for n, row in enumerate(rows):
            running += int(row.quantity)
            if running > quantity:
                so_far = rows[: n + 1]
                numbers = ", ".join(x.return_number for x in so_far)
                lanes = ", ".join(dict.fromkeys(f"{x.store_id}-{x.terminal_id}" for x in so_far))
                found.append(
                    {
                        "at": now,
                        "kind": "over_return",
                        "sale_id": line.sale_id,
                        "sale_line_id": line_id,
                        "return_id": row.return_id,
                        "store_id": row.store_id,
                        "terminal_id": row.terminal_id,
                        "sold": quantity,
                        "returned": running,
                        "receipt_number": line.receipt_number,
                        "return_numbers": numbers,
                        "lanes": lanes,
                        "sku": line.sku,
                        "item_name": line.name,
                        "amount_minor": int(row.gross_minor),
                        "detail": f"receipt {line.receipt_number}: {running} of {quantity} × {line.name} "
                        f"({line.sku}) returned by {numbers} at {lanes}; {row.return_number} at "
                        f"{row.store_id}-{row.terminal_id} ({row.completed_at}) went over and refunded "
                        f"{int(row.gross_minor)} (minor units) for it",
                    }
                )
    if found:
        log.warning("over-returns flagged: %d", len(found))
        stmt = (
            pg_insert(s.exceptions).values(found).on_conflict_do_nothing(index_elements=["return_id", "sale_line_id"])
        )
        conn.execute(stmt)


def lane_head(conn: Connection, store_id: str, terminal_id: str) -> tuple[int, str] | None:
    row = conn.execute(
        select(s.terminals.c.head_seq, s.terminals.c.head_hash).where(
            s.terminals.c.store_id == store_id, s.terminals.c.terminal_id == terminal_id
        )
    ).first()
    return (int(row[0]), str(row[1])) if row else None


def clock_skew(sent_at: datetime, now: datetime) -> float:
    return abs((now - sent_at).total_seconds())
