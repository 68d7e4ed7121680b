"""The analysis kept by store and day (issue #18: the analysis over every store within
200 ms on 100 stores x 1 year): what the back office's analysis page and HQ's analysis
API read, exactly the analysis of the rows (hq/analysis.py, hq/office/cash_analysis.py),
without reading every sale of the period at every request.

* **A store day** (``analysis_days``): one store's analysis of one day of its zone, made
  from that day's rows: the returns and complaints analysis in parts
  (counter.desk.chain_parts) and the no-sales and over/short.
* **Every store's day** (``analysis_chain_days``): the sum of that day's store days, kept
  while it is the sum of the newest of them (the same newest ``computed_at`` and the
  same number of stores).
* **Stale**: a push that changes a day's rows marks that store day in ``analysis_dirty``
  in its own transaction (hq/analysis_dirty.py); a store day being made again is in
  ``analysis_refreshing``. A read makes again what it needs that is missing or stale
  before it adds the days up, so what it shows is always the rows' analysis.
* **Ahead of the reads**: ``refresh`` makes again every stale store day and the last
  ``KEEP_DAYS`` of every store, so a page rarely makes anything; ``counter hq serve``
  runs it every minute in the one process that leads (hq/leader.py), ``start_refresher``
  in a thread of any process, and ``counter hq analysis-refresh`` once.
* **Cut short**: making claims its days (marks out, ``analysis_refreshing`` in) in one
  short transaction and writes them in another; what a failure leaves claimed is marked
  again at once, and what a killed process left claimed for longer than
  ``CLAIM_MINUTES`` is marked again by the next refresh.

Labels (an item's name and category, a person's name, a department's name) are those of
the day's making; ``hq.analysis_dirty.forget`` drops what was kept when one changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert

from counter.desk import chain_parts
from counter.desk.chain_analysis import ChainAnalysis, analyse_chain
from hq import analysis, analysis_dirty, departments, schema as s
from hq.office.cash_analysis import CashAnalysis, add_cash_doc, cash_by_day, cash_doc
from hq.store import utcnow

log = logging.getLogger(__name__)

KEEP_DAYS = 35  # the days back ``refresh`` keeps made for every store (the page's default is 30)
CLAIM_MINUTES = 10  # a claim older than this was left by a process that died: marked again
BODY_VERSION = 2  # the kept body's shape (2: with the rate by vendor); another is made again
_PREFIX = f'{{"v":{BODY_VERSION},'  # how a kept body of this shape starts (orjson keeps key order)
LOCK_KEY = 0x414E414C  # the refresher's advisory lock (one at a time over a database)
RUN_GAP = 7  # store days further apart than this are made from separate reads of the rows


@dataclass(frozen=True)
class Kept:
    """A period's analysis from the kept days, and how many store days this read made."""

    chain: ChainAnalysis
    cash: CashAnalysis
    made: int


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _runs(days: Iterable[date]) -> Iterator[tuple[date, date]]:
    """Runs of days close enough to read together: (first, last) of each."""
    ordered = sorted(set(days))
    if not ordered:
        return
    start = end = ordered[0]
    for d in ordered[1:]:
        if (d - end).days > RUN_GAP:
            yield start, end
            start = d
        end = d
    yield start, end


def _stores(conn: Connection) -> list[str]:
    """Every store the analysis covers: with data or a lane (hq/analysis.py)."""
    return list(analysis.stores_with_data(conn))


def _stale(conn: Connection, first: date, last: date, store: str | None) -> set[tuple[str, date]]:
    found: set[tuple[str, date]] = set()
    for table in (s.analysis_dirty, s.analysis_refreshing):
        stmt = select(table.c.store_id, table.c.day).where(table.c.day >= first, table.c.day <= last)
        if store is not None:
            stmt = stmt.where(table.c.store_id == store)
        found |= {(str(a), b) for a, b in conn.execute(stmt)}
    return found


def _current(body: Any) -> Any:
    """A kept body of this code's making (one of an older shape is made again)."""
    return func.left(body, len(_PREFIX)) == _PREFIX


def _kept_days(conn: Connection, first: date, last: date, store: str | None) -> set[tuple[str, date]]:
    d = s.analysis_days
    stmt = select(d.c.store_id, d.c.day).where(d.c.day >= first, d.c.day <= last, _current(d.c.body))
    if store is not None:
        stmt = stmt.where(d.c.store_id == store)
    return {(str(a), b) for a, b in conn.execute(stmt)}


def make(engine: Engine, wanted: Iterable[tuple[str, date]]) -> int:
    """Make these store days from their rows, and keep them. Returns how many."""
    claim = sorted(set(wanted))
    if not claim:
        return 0
    now = utcnow()
    with engine.begin() as conn:  # claim: marks out, claims in (short: a push is never held long)
        for chunk in _chunks(claim):
            keys = tuple_(s.analysis_dirty.c.store_id, s.analysis_dirty.c.day).in_(chunk)
            conn.execute(delete(s.analysis_dirty).where(keys))
            rows = [{"store_id": st, "day": d, "started_at": now} for st, d in chunk]
            stmt = pg_insert(s.analysis_refreshing).values(rows)
            conn.execute(stmt.on_conflict_do_update(index_elements=["store_id", "day"], set_={"started_at": now}))
    try:
        bodies = _bodies(engine, claim)
        with engine.begin() as conn:
            made_at = utcnow()
            for chunk in _chunks(claim):
                rows = [{"store_id": st, "day": d, "body": bodies[st, d], "computed_at": made_at} for st, d in chunk]
                stmt = pg_insert(s.analysis_days).values(rows)
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["store_id", "day"],
                        set_={"body": stmt.excluded.body, "computed_at": stmt.excluded.computed_at},
                    )
                )
                keys = tuple_(s.analysis_refreshing.c.store_id, s.analysis_refreshing.c.day).in_(chunk)
                conn.execute(delete(s.analysis_refreshing).where(keys, s.analysis_refreshing.c.started_at == now))
    except BaseException:
        _mark_again(engine, claim, now)
        raise
    return len(claim)


def _chunks(items: list[tuple[str, date]], size: int = 1000) -> Iterator[list[tuple[str, date]]]:
    for n in range(0, len(items), size):
        yield items[n : n + size]


def _mark_again(engine: Engine, claim: list[tuple[str, date]], started: datetime) -> None:
    """A making that failed: its days stale again (best effort; else the next refresh)."""
    try:
        with engine.begin() as conn:
            for st in {x for x, _ in claim}:
                analysis_dirty.mark(conn, st, [d for x, d in claim if x == st])
            r = s.analysis_refreshing
            for chunk in _chunks(claim):
                conn.execute(delete(r).where(tuple_(r.c.store_id, r.c.day).in_(chunk), r.c.started_at == started))
    except Exception:  # noqa: BLE001 - the refresh's claim age marks them again
        log.exception("could not mark %d store days stale again; the next refresh will", len(claim))


def _bodies(engine: Engine, claim: list[tuple[str, date]]) -> dict[tuple[str, date], str]:
    """Each claimed store day's kept analysis (JSON), made from its rows: the stores of one
    zone together, a run of close days at a time (a few reads for many stores)."""
    wanted = set(claim)
    out: dict[tuple[str, date], str] = {}
    with engine.connect() as conn:
        cats, names = analysis.categories(conn), analysis.names_of(conn)
        for zone, group in analysis.by_zone(conn, [st for st, _ in claim]).values():
            members = set(group)
            for first, last in _runs(d for st, d in claim if st in members):
                stores = sorted({st for st, d in claim if st in members and first <= d <= last})
                rows = analysis.rows_by_day(conn, stores, zone, first, last, cats, names)
                cash = cash_by_day(conn, stores, zone, first, last, names)
                for st in stores:
                    for d in _days(first, last):
                        if (st, d) not in wanted:
                            continue
                        r = rows.get((st, d), analysis.DayRows())
                        part = analyse_chain(r.sold, r.returned, r.contacts, r.cases, d, d)
                        cash_part = cash_doc(cash.get((st, d), CashAnalysis()))
                        body = {"v": BODY_VERSION, "chain": chain_parts.to_doc(part), "cash": cash_part}
                        out[st, d] = orjson.dumps(body).decode()
    return out


def _add(total: chain_parts.Sum, cash: CashAnalysis, body: str) -> None:
    doc = orjson.loads(body)
    total.add(doc["chain"])
    add_cash_doc(cash, doc["cash"])


def read(engine: Engine, since: date, until: date, store: str | None = None) -> Kept:
    """The analysis of [since, until] (whole days, each store's own) over one store or every
    store, from the kept days; what is missing or stale is made first."""
    days = _days(since, until)
    total, cash = chain_parts.Sum(), CashAnalysis()
    if store is not None:
        with engine.connect() as conn:
            have, stale = _kept_days(conn, since, until, store), _stale(conn, since, until, store)
        made = make(engine, [(store, d) for d in days if (store, d) not in have or (store, d) in stale])
        d = s.analysis_days
        with engine.connect() as conn:
            rows = conn.execute(
                select(d.c.body)
                .where(d.c.store_id == store, d.c.day >= since, d.c.day <= until, _current(d.c.body))
                .order_by(d.c.day)
            )
            for (body,) in rows:
                _add(total, cash, str(body))
        return Kept(total.analysis(since, until), cash, made)
    with engine.connect() as conn:
        stores = _stores(conn)
        chain_ok = _chain_days_ok(conn, since, until, len(stores))
    missing = [d for d in days if d not in chain_ok]
    made = 0
    if missing:
        made = _make_chain_days(engine, stores, missing)
    c = s.analysis_chain_days
    with engine.connect() as conn:
        kept = select(c.c.body).where(c.c.day >= since, c.c.day <= until, _current(c.c.body)).order_by(c.c.day)
        for (body,) in conn.execute(kept):
            _add(total, cash, str(body))
    return Kept(total.analysis(since, until), cash, made)


def _chain_days_ok(conn: Connection, first: date, last: date, stores: int) -> set[date]:
    """The days whose every-store row is the sum of the newest store days, none stale."""
    d, c = s.analysis_days, s.analysis_chain_days
    newest = {
        day: (at, n)
        for day, at, n in conn.execute(
            select(d.c.day, func.max(d.c.computed_at), func.count())
            .where(d.c.day >= first, d.c.day <= last)
            .group_by(d.c.day)
        )
    }
    stale_days = {day for _, day in _stale(conn, first, last, None)}
    ok: set[date] = set()
    for day, at, n in conn.execute(
        select(c.c.day, c.c.computed_at, c.c.stores).where(c.c.day >= first, c.c.day <= last, _current(c.c.body))
    ):
        if day not in stale_days and newest.get(day) == (at, n) and n == stores:
            ok.add(day)
    return ok


def _make_chain_days(engine: Engine, stores: list[str], days: list[date]) -> int:
    first, last = min(days), max(days)
    with engine.connect() as conn:
        have, stale = _kept_days(conn, first, last, None), _stale(conn, first, last, None)
    wanted = set(days)
    made = make(engine, [(st, d) for d in days for st in stores if (st, d) not in have or (st, d) in stale])
    a = s.analysis_days
    sums: dict[date, tuple[chain_parts.Sum, CashAnalysis]] = {}
    newest: dict[date, tuple[datetime, int]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(a.c.day, a.c.body, a.c.computed_at)
            .where(a.c.day >= first, a.c.day <= last, a.c.store_id.in_(stores), _current(a.c.body))
            .order_by(a.c.day, a.c.store_id)
        )
        for day, body, at in rows:
            if day not in wanted:
                continue
            total, cash = sums.setdefault(day, (chain_parts.Sum(), CashAnalysis()))
            _add(total, cash, str(body))
            was = newest.get(day)
            newest[day] = (max(at, was[0]) if was else at, (was[1] if was else 0) + 1)
    with engine.begin() as conn:
        rows_out = []
        for day, (total, cash) in sums.items():
            body = {"v": BODY_VERSION, "chain": total.doc(), "cash": cash_doc(cash)}
            at, n = newest[day]
            text = orjson.dumps(body).decode()
            rows_out.append({"day": day, "stores": n, "body": text, "computed_at": at})
        if rows_out:
            stmt = pg_insert(s.analysis_chain_days).values(rows_out)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["day"],
                    set_={k: stmt.excluded[k] for k in ("stores", "body", "computed_at")},
                )
            )
    return made


def refresh(engine: Engine, *, keep_days: int = KEEP_DAYS, today: date | None = None) -> int:
    """Make every stale store day, and the last ``keep_days`` of every store (and of every
    store together) that are missing; mark again what a dead process left claimed.
    Returns how many store days were made."""
    now = utcnow()
    with engine.begin() as conn:
        r = s.analysis_refreshing
        old = conn.execute(
            delete(r).where(r.c.started_at < now - timedelta(minutes=CLAIM_MINUTES)).returning(r.c.store_id, r.c.day)
        ).all()
        for st in {str(x) for x, _ in old}:
            analysis_dirty.mark(conn, st, [d for x, d in old if x == st])
    with engine.connect() as conn:
        dirty = [(str(a), b) for a, b in conn.execute(select(s.analysis_dirty.c.store_id, s.analysis_dirty.c.day))]
        stores = _stores(conn)
        zones = departments.zones_of(conn, stores).values()
        last = today or max((datetime.now(zone).date() for zone in zones), default=now.date())
    made = make(engine, dirty)
    first = last - timedelta(days=keep_days - 1)
    with engine.connect() as conn:
        ok = _chain_days_ok(conn, first, last, len(stores))
    missing = [d for d in _days(first, last) if d not in ok]
    if missing and stores:
        made += _make_chain_days(engine, stores, missing)
    return made


def start_refresher(engine: Engine, every: float) -> threading.Event:
    """Refresh every ``every`` seconds in a daemon thread until the returned event is set.
    One refresher at a time over one database (an advisory lock): several HQ processes
    may each start one."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                with engine.connect() as conn:
                    got = conn.execute(select(func.pg_try_advisory_lock(LOCK_KEY))).scalar()
                    if not got:
                        continue
                    try:
                        made = refresh(engine)
                        if made:
                            log.info("analysis: %d store days made", made)
                    finally:
                        conn.execute(select(func.pg_advisory_unlock(LOCK_KEY)))
                        conn.commit()
            except Exception:  # noqa: BLE001 - the next round tries again; the pages make what they need
                log.exception("analysis refresh failed; the next one tries again")

    threading.Thread(target=loop, name="analysis-refresher", daemon=True).start()
    return stop
