"""Verify re-derives everything: every chain in the file folded through the projections
(``counter.projection``) and compared, row by row and column by column, with the tables.

A row edited, deleted or inserted behind Counter's back (triggers dropped and put back, or
the file edited by hand) shows as a ``Difference`` naming the table, the row's key, the
column, the stored value, the derived value and the journal entry it comes from. Rows of
every terminal in the file are derived, not only the local one's.

Reads only (the read engine). The sale entries, nearly all of a store's journal, are
checked by ``db.derive_sales`` in worker processes (one per core) a chunk at a time, so
memory stays flat on a store of ten million lines; every other entry is folded here, in
journal order, and its tables compared whole. Each process reads in one read transaction
of its own: a sale committed while verify runs is either wholly in a process's view
(entry and rows) or wholly out of it.
"""

from __future__ import annotations

import hmac
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Final

import orjson
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from counter.journal import EventType, JournalEntry
from counter.people.users import Role, User, UserId
from counter.projection import (
    PROJECTIONS,
    TABLES,
    EntryRef,
    Op,
    ProjectionError,
    project,
)
from counter.returns.policy import ApprovalKind
from counter.trust.approvals import approver_refusal
from db.derive_compare import (
    MAX_REPORTED,
    Derivation,
    _compare,
    _Fold,
    _stored_rows,
)
from db.derive_sales import BY_SALE, SALE_TYPES, Part, SalesResult, check_entries, check_part


def derive_and_compare(engine: Engine, chunk: int = 20_000, workers: int | None = None) -> Derivation:
    """Every chain in the file folded through the projections and compared with the
    tables. The sale entries (nearly all of a store's journal) are checked by
    ``db.derive_sales`` in ``workers`` processes (default: one per core once there are
    enough of them to pay for starting a process; 0 or 1: in this process, in this read
    transaction); everything else here, in journal order."""
    out = Derivation()
    fold = _Fold([name for name in TABLES if name not in BY_SALE])
    roles = _RoleHistory(engine)
    database = engine.url.database
    # One connection, one read transaction: the journal and the tables as of one moment,
    # even while the counter goes on selling (each worker holds its own such moment).
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        heads = conn.exec_driver_sql("SELECT terminal_id, max(seq) FROM journal GROUP BY terminal_id").all()
        count = sum(int(last) for _, last in heads)
        n = _workers(workers, count, database)
        parts = _split([(str(t), int(last)) for t, last in heads], max(n, 1))
        pool = _start(database, parts, chunk) if n > 1 and database else None
        sales = _in_process(raw, parts, chunk) if pool is None else None
        mine = _other_entries(conn, roles, out)
        counts = _row_counts(conn)
        results = _results(pool, raw, parts, chunk) if pool else [sales]
        seen = dict.fromkeys(BY_SALE, 0)
        for result in results:
            assert result is not None
            for table, n_rows in result.seen.items():
                seen[table] += n_rows
            out.entries += result.entries
            out.rows += result.rows
            out.unchecked += result.unchecked
            out.entry_problems += result.entry_problems
            out.total_differences += result.total_differences
            out.differences += result.differences[: max(0, MAX_REPORTED - len(out.differences))]
            mine += result.other_ops
        _no_entry_rows(conn, counts, seen, out)
        mine.sort(key=lambda m: m[0])
        for _, ref, ops in mine:
            for op in ops:
                fold.add(op, ref, out.entry_problems)
        for spec in TABLES.values():
            if spec.name not in BY_SALE:
                _compare(spec, fold.rows[spec.name], _stored_rows(conn, spec, f"SELECT {{}} FROM {spec.name}"), out)
    return out


def _workers(asked: int | None, entries: int, database: str | None) -> int:
    if not database or database == ":memory:" or database.startswith("file:"):
        return 0
    if asked is not None:
        return asked
    return min(os.cpu_count() or 1, 8) if entries >= PARALLEL_FROM else 0


def _split(heads: list[tuple[str, int]], n: int) -> list[Part]:
    """Each terminal's chain cut into ``n`` runs of sequence numbers; part k takes the k-th
    run of every chain (so each part reads its entries, and their rows, in the order made)."""
    parts: list[list[tuple[str, int, int]]] = [[] for _ in range(n)]
    for terminal, last in heads:
        step = -(-last // n)
        for k in range(n):
            first = k * step + 1
            if first <= last:
                parts[k].append((terminal, first, min(last, first + step - 1)))
    return [tuple(p) for p in parts if p]


_Pool = tuple[ProcessPoolExecutor, list[Future[SalesResult]]]


def _start(database: str, parts: list[Part], chunk: int) -> _Pool | None:
    try:
        pool = ProcessPoolExecutor(max_workers=len(parts), mp_context=multiprocessing.get_context("spawn"))
        return pool, [pool.submit(check_part, database, part, chunk) for part in parts]
    except (OSError, RuntimeError):  # no processes here (a sandbox): the same work in this one
        return None


def _results(pool: _Pool, raw: Any, parts: list[Part], chunk: int) -> list[SalesResult | None]:
    """The workers' results; if a worker could not run (killed, or no way to start one
    here), its part again in this process."""
    executor, futures = pool
    out: list[SalesResult | None] = []
    for part, future in zip(parts, futures, strict=True):
        try:
            out.append(future.result())
        except (BrokenProcessPool, OSError):
            out.append(check_entries(raw, part, chunk))
    executor.shutdown()
    return out


def _in_process(raw: Any, parts: list[Part], chunk: int) -> SalesResult:
    whole: list[tuple[str, int, int]] = [run for part in parts for run in part]
    return check_entries(raw, tuple(whole), chunk)


def _other_entries(
    conn: Connection, roles: _RoleHistory, out: Derivation
) -> list[tuple[tuple[str, int], EntryRef, list[Op]]]:
    """The entries that are not sales, projected in journal order; staff and approvals seen."""
    mine: list[tuple[tuple[str, int], EntryRef, list[Op]]] = []
    result = conn.exec_driver_sql(
        "SELECT terminal_id, seq, type, at, body FROM journal WHERE type NOT IN (?, ?) ORDER BY terminal_id, seq",
        SALE_TYPES,
    )
    while batch := result.fetchmany(5000):
        for terminal, seq, type_, at, text in batch:
            out.entries += 1
            ref = EntryRef(terminal, seq, type_, at)
            try:
                body = orjson.loads(text)
                if not isinstance(body, dict):
                    raise ProjectionError("its body is not an object")
                ops = project(type_, body, ref)
            except (orjson.JSONDecodeError, ProjectionError) as exc:
                if type_ in PROJECTIONS:
                    out.entry_problems.append(f"entry {ref} cannot be projected: {exc}")
                continue
            roles.see(type_, body, ref, out)
            if ops:
                mine.append(((terminal, seq), ref, ops))
    return mine


def _row_counts(conn: Connection) -> dict[str, int]:
    return {table: int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()) for table in BY_SALE}


def _no_entry_rows(conn: Connection, counts: dict[str, int], seen: dict[str, int], out: Derivation) -> None:
    """Rows of a sale that no entry records (inserted behind Counter's back), and a sale
    that two entries record (each worker sees only its own part of the journal). Looked
    for only when a table holds another number of rows than the entries' sales have:
    the search reads a whole table and the journal's sale index."""
    if counts == seen:
        return
    for table, column in BY_SALE.items():
        if counts[table] == seen[table]:
            continue
        strays = conn.exec_driver_sql(f"SELECT rowid FROM {table} WHERE {column} NOT IN ({_JOURNALED_SALES})").all()
        if strays:
            spec = TABLES[table]
            rowids = orjson.dumps([r[0] for r in strays]).decode()
            select = f"SELECT {{}} FROM {table} WHERE rowid IN (SELECT value FROM json_each(?))"
            _compare(spec, {}, _stored_rows(conn, spec, select, (rowids,)), out)
    twice = conn.exec_driver_sql(
        "SELECT json_extract(body, '$.sale_id') AS sale, count(*) FROM journal WHERE type IN (?, ?) "
        "GROUP BY sale HAVING count(*) > 1",
        SALE_TYPES,
    ).all()
    for sale, times in twice:
        out.entry_problems.append(f"{times} journal entries record sale {sale}: a sale is recorded once")


#: every sale id a journal entry records (migration 0009's expression index serves it)
_JOURNALED_SALES: Final = (
    "SELECT json_extract(body, '$.sale_id') FROM journal WHERE type IN ('SaleCompleted', 'SaleAdopted')"
)
CHUNK: Final = 20_000  # sale entries compared in one step
PARALLEL_FROM: Final = 50_000  # entries from which the sales are checked in worker processes


class _RoleHistory:
    """Who held which role when, so each approval is checked against the approver's role
    and standing at the moment it was given (and never by the person who asked). A user's
    state before their first staff event is what that event says it changed from (the
    users table as it is now for someone no staff event names)."""

    _STAFF = (EventType.USER_ADDED, EventType.USER_ROLE_CHANGED, EventType.USER_DEACTIVATED, EventType.USER_REACTIVATED)

    def __init__(self, engine: Engine) -> None:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, name, role, active FROM users").all()
            staff = conn.exec_driver_sql(
                f"SELECT type, body FROM journal WHERE type IN ({', '.join('?' * len(self._STAFF))}) "
                "ORDER BY at, terminal_id, seq",
                tuple(str(s) for s in self._STAFF),
            ).all()
        self.names = {str(r[0]): str(r[1]) for r in rows}
        self.state: dict[str, tuple[str, bool]] = {str(r[0]): (str(r[2]), bool(r[3])) for r in rows}
        first: dict[str, tuple[str, bool]] = {}
        for type_, text in staff:
            try:
                body = orjson.loads(text)
                uid = str(body["user"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                continue
            role, active = first.get(uid, self.state.get(uid, ("", True)))
            if uid in first:
                continue
            if type_ == EventType.USER_ROLE_CHANGED:
                role = str(body.get("from", role))
            elif type_ == EventType.USER_DEACTIVATED:
                active = True
            elif type_ == EventType.USER_REACTIVATED:
                active = False
            elif type_ == EventType.USER_ADDED:
                role, active = str(body.get("role", role)), True
            first[uid] = (role, active)
        self.state.update(first)

    def see(self, type_: str, body: dict[str, Any], ref: EntryRef, out: Derivation) -> None:
        uid = str(body.get("user", "")) if isinstance(body.get("user"), str) else ""
        if type_ == EventType.USER_ADDED and uid:
            self.state[uid] = (str(body.get("role", "")), True)
        elif type_ == EventType.USER_ROLE_CHANGED and uid:
            self.state[uid] = (str(body.get("to", "")), self.state.get(uid, ("", True))[1])
        elif type_ in (EventType.USER_DEACTIVATED, EventType.USER_REACTIVATED) and uid:
            self.state[uid] = (self.state.get(uid, ("", True))[0], type_ == EventType.USER_REACTIVATED)
        elif type_ == EventType.APPROVAL_GRANTED and "lane" not in body:
            self._check_approval(body, ref, out)

    def _check_approval(self, body: dict[str, Any], ref: EntryRef, out: Derivation) -> None:
        approver_id, requester_id = str(body.get("approver", "")), str(body.get("requester", ""))
        if approver_id == requester_id:
            out.approval_problems.append(f"entry {ref}: {approver_id} approved their own request")
            return
        held = self.state.get(approver_id)
        if held is None:
            out.approval_problems.append(f"entry {ref}: the approver {approver_id} is not on the staff list")
            return
        role, active = held
        name = self.names.get(approver_id, approver_id)
        try:
            kinds = [ApprovalKind(k) for k in body.get("kinds", [])]
            user = User(UserId(approver_id), name, Role(role), "", active=active)
        except (ValueError, TypeError):
            out.approval_problems.append(f"entry {ref}: the approval names kinds or a role Counter does not know")
            return
        refusal = approver_refusal(user, requester_id, kinds)
        if refusal is not None:
            out.approval_problems.append(f"entry {ref}: {name} ({role}) could not approve this: {refusal.why}")


# --------------------------------------------------------------------------- one receipt, before money moves

_SUBJECT_TABLES = {
    "sales": "id = ?",
    "sale_lines": "sale_id = ?",
    "sale_taxes": "sale_id = ?",
    "tenders": "sale_id = ?",
    "returns": "original_sale_id = ?",
    "return_lines": "return_id IN (SELECT id FROM returns WHERE original_sale_id = ?)",
    "refunds": "return_id IN (SELECT id FROM returns WHERE original_sale_id = ?)",
}


def sale_differences(conn: Connection, sale_id: str) -> list[str]:
    """The rows a refund of this sale is decided from (the sale, its lines, taxes and
    tenders; its earlier returns, their lines and refunds) against the sealed journal
    entries they come from: [] when they match, else what differs, in words."""
    entries = conn.exec_driver_sql(
        "SELECT terminal_id, seq, id, type, at, body, prev_hash, hash, seal FROM journal "
        "WHERE type IN ('SaleCompleted', 'SaleAdopted') AND json_extract(body, '$.sale_id') = ? "
        "UNION ALL SELECT terminal_id, seq, id, type, at, body, prev_hash, hash, seal FROM journal "
        "WHERE type = 'ReturnProcessed' AND json_extract(body, '$.original_sale_id') = ? "
        "ORDER BY 1, 2",
        (sale_id, sale_id),
    ).all()
    out = Derivation()
    fold = _Fold(_SUBJECT_TABLES)
    for terminal, seq, entry_id, type_, at, text, prev, hash_, seal in entries:
        ref = EntryRef(terminal, seq, type_, at)
        entry = JournalEntry(terminal, seq, entry_id, type_, at, text, prev, hash_)
        if entry.computed_hash() != hash_ or not _sealed(conn, terminal, seq, hash_, seal):
            out.entry_problems.append(
                f"journal entry {ref} is not the one Counter wrote (its hash or seal does not match)"
            )
            continue
        try:
            ops = project(type_, orjson.loads(text), ref)
        except (orjson.JSONDecodeError, ProjectionError) as exc:
            out.entry_problems.append(f"journal entry {ref} cannot be read: {exc}")
            continue
        for op in ops:
            fold.add(op, ref, out.entry_problems)
    if not fold.rows["sales"]:
        return [*out.entry_problems, f"no journal entry records sale {sale_id}"]
    for table, where in _SUBJECT_TABLES.items():
        spec = TABLES[table]
        _compare(
            spec, fold.rows[table], _stored_rows(conn, spec, f"SELECT {{}} FROM {table} WHERE {where}", (sale_id,)), out
        )
    return [*out.entry_problems, *(d.describe() for d in out.differences)]


def _sealed(conn: Connection, terminal: str, seq: int, hash_: str, seal: str | None) -> bool:
    """The seal, where this connection can compute it (the write engine's connections
    register ``counter_seal``; a read connection without it trusts the hash alone)."""
    try:
        want = conn.exec_driver_sql("SELECT counter_seal(?, ?, ?)", (terminal, seq, hash_)).scalar()
    except OperationalError:
        return True
    return bool(seal) and hmac.compare_digest(str(want), str(seal))
