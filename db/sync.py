"""The sync client: push this lane's journal to HQ and pull downstream changes (the
``ReturnReservations`` adapter that returns use is ``db.reservations.HqReservations``).

Push: entries above ``sync_state.acked_seq`` go in ``seq`` order, ``MAX_BATCH`` at a time;
``acked_seq`` moves only to what HQ acknowledged (its head), in a short local transaction
after the answer. A lost answer is harmless: the re-sent entries are acknowledged again.
A ``gap`` answer (HQ holds less than we thought, e.g. its database was restored) rewinds
``acked_seq`` to where HQ is.

Pull: pages of changes after the cursor kept in ``settings['sync_cursor']``; each page and
the cursor move are written in one short transaction, so selling goes on between pages
and an interrupted pull resumes where it stopped. The next page is fetched while the
current one is written (one page ahead), and after each of its transactions the pull
leaves the write lock free while another thread of the lane waits for it (until it has
it, at most half as long as the pull held it; db/write_waiters.py), so a sale never waits
behind a run of them (SQLite's lock is not fair) and no time is lost when nobody sells.
A first load (a store with no items, cursor 0) streams the catalog from one snapshot at
HQ (``GET /v1/changes/stream``, pages of ``STREAM_PAGE``; an HQ without it is paged,
``FIRST_LOAD_PAGE`` at a time) with the item
search index's triggers set aside, then indexes the items in chunks of ``FTS_CHUNK`` rows
and puts the triggers back with the last chunk (db/first_load.py); until then barcode and
SKU look-ups find every item already written, name search the ones indexed. A load cut
by HQ going away is indexed at once, and the pulls after it stream until one reaches the end.

Threads: ``Syncer`` methods run on the sync worker thread (``ui/sync_bridge.py``);
``HqReservations`` runs on whichever thread runs the return (the return screen's worker
thread, never the GUI thread) and never writes to the store outside the return's own unit
of work.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from counter.errors import CounterError
from counter.i18n import _, ngettext
from counter.journal import JournalEntry
from counter.sync.upstream import (
    MAX_BATCH,
    PULL_PAGE,
    OfflineCaps,
    UpstreamUnavailable,
)
from counter.trust.carddata import CardDataRefused
from db import first_load, schema as s
from db.credentials import data_dir_of, read_token, write_token
from db.desk_feed import desk_mark, desk_news, texts_between, waiting_events
from db.hq_client import HqClient, HqRefused
from db.hq_tls import HqTrust, pin_at_enrolment
from db.lane_report import UNKNOWN, LaneReporter
from db.queries import read_settings, write_settings
from db.side_index import SideIndex
from db.sync_apply import Prepared, apply_changes, prepare
from db.sync_people import push_customers

log = logging.getLogger(__name__)

SYNC_KEY = "sync"
CURSOR_KEY = "sync_cursor"
FIRST_LOAD_KEY = first_load.FIRST_LOAD_KEY
FIRST_LOAD_PAGE = 1_000  # changes per page (and local transaction, ~10-20 ms) when a first load pages
STREAM_PAGE = 5_000  # changes per streamed page (and local transaction, ~50 ms) of a first load
FTS_CHUNK = 10_000  # items indexed per transaction at the end of a first load (tens of ms of write lock)
CAPS_KEY = "offline_caps"


@dataclass(frozen=True)
class SyncConfig:
    """Where HQ is and how this lane proves itself and checks HQ. The token lives in the
    data folder's ``hq.token`` (mode 0600, db/credentials.py), never in the database;
    ``trust`` (HQ's pinned certificate or a CA file, db/hq_tls.py) is in
    ``settings['sync']``."""

    hq: str
    token: str = field(repr=False)
    store: str
    terminal: str
    trust: HqTrust | None = None

    def client(self, *, timeout: float = 5.0, transport: Any = None) -> HqClient:
        return HqClient(self.hq, self.token, timeout=timeout, transport=transport, trust=self.trust)


def sync_config(engine: Engine) -> SyncConfig | None:
    raw = read_settings(engine).get(SYNC_KEY)
    if not raw:
        return None
    token = read_token(data_dir_of(engine))
    if token is None:
        raise CounterError(
            _("This terminal is enrolled with HQ but its token file (hq.token) is missing."),
            _("Enrol it again with a new code (`counter sync enrol`)."),
        )
    return SyncConfig(
        str(raw["hq"]), token, str(raw["store"]), str(raw["terminal"]), HqTrust.from_json(raw.get("trust"))
    )


def offline_caps(engine: Engine) -> OfflineCaps:
    return OfflineCaps.from_json(read_settings(engine).get(CAPS_KEY))


def enrol(
    engine: Engine,
    hq_url: str,
    code: str,
    *,
    transport: Any = None,
    fingerprint: str | None = None,
    ca_file: str | None = None,
) -> SyncConfig:
    """Spend an enrolment code at HQ: the token goes to ``hq.token`` (0600), where HQ is and
    how to trust it to the store's settings. Over https HQ's certificate is pinned (its
    SHA-256 must be ``fingerprint``) or checked against ``ca_file``; plain http only to a
    loopback HQ (db/hq_tls.py). The store must be the one the code was made for; the
    terminal id becomes the code's."""
    trust = pin_at_enrolment(hq_url, fingerprint, ca_file)
    client = HqClient(hq_url, transport=transport, trust=trust)
    try:
        answer = client.enrol(code)
    finally:
        client.close()
    settings = read_settings(engine)
    store = settings.get("store", {}).get("id")
    if store is not None and store != answer["store"]:
        raise HqRefused(
            409,
            "wrong_store",
            _("That code is for store {code_store}, and this is store {store}.").format(
                code_store=answer["store"], store=store
            ),
            answer,
        )
    config = SyncConfig(hq_url.rstrip("/"), str(answer["token"]), str(answer["store"]), str(answer["terminal"]), trust)
    write_token(data_dir_of(engine), config.token)
    kept: dict[str, Any] = {"hq": config.hq, "store": config.store, "terminal": config.terminal}
    if trust is not None:
        kept["trust"] = trust.to_json()
    values: dict[str, Any] = {SYNC_KEY: kept}
    if settings.get("terminal", {}).get("id") != config.terminal:
        values["terminal"] = {**settings.get("terminal", {}), "id": config.terminal}
    write_settings(engine, values)
    return config


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows. ``online`` is what the last attempt found."""

    enrolled: bool = False
    online: bool = False
    backlog: int = 0
    acked_seq: int = 0
    last_sync: datetime | None = None
    problem: str = ""  # a refusal that needs a person (revoked token, clock, tampering)
    pulling: str = ""  # progress of a pull in pages, e.g. "catalog 40,000 changes"
    #: how far a pull has come, 0-1 (from HQ's newest version), None when not known
    pull_fraction: float | None = None
    #: other lanes' desk events pulled and not applied yet (db/desk_feed.py)
    desk_waiting: int = 0
    #: what the last pull brought of other lanes' desk work, in words ("" when nothing)
    desk_news: str = ""
    #: a first catalog load was cut (HQ went away): the lane holds part of the catalog
    catalog_incomplete: bool = False

    def describe(self) -> str:
        if not self.enrolled:
            return _("Sync: local only (no HQ)")
        if self.problem:
            return _("Sync: {problem}").format(problem=self.problem)
        if not self.online and self.catalog_incomplete:
            return ngettext(
                "Sync: offline, catalog incomplete (it goes on when HQ is back), {n} waiting",
                "Sync: offline, catalog incomplete (it goes on when HQ is back), {n} waiting",
                self.backlog,
            ).format(n=self.backlog)
        if not self.online:
            return ngettext("Sync: offline, {n} waiting", "Sync: offline, {n} waiting", self.backlog).format(
                n=self.backlog
            )
        when = self.last_sync.astimezone().strftime("%H:%M") if self.last_sync else "—"
        if self.pulling:
            return _("Sync: {progress}").format(progress=self.pulling)
        if self.backlog:
            return ngettext("Sync: sending, {n} waiting", "Sync: sending, {n} waiting", self.backlog).format(
                n=self.backlog
            )
        if self.desk_waiting:
            return ngettext(
                "Sync: up to date ({time}); {n} desk records of other lanes wait",
                "Sync: up to date ({time}); {n} desk records of other lanes wait",
                self.desk_waiting,
            ).format(time=when, n=self.desk_waiting)
        return _("Sync: up to date ({time})").format(time=when)


class Syncer:
    """Push and pull for one enrolled lane. Not thread-safe: one sync worker calls it."""

    def __init__(self, engine_write: Engine, engine_read: Engine, client: HqClient, config: SyncConfig) -> None:
        self.write = engine_write
        self.read = engine_read
        self.client = client
        self.config = config
        self.status = SyncStatus(enrolled=True, acked_seq=self.acked_seq())
        self.held = 0.0  # how long the last pulled page held the write lock (s)
        self.streams = True  # False once HQ said it serves no stream (an HQ of an earlier release)
        self.pull_fraction: float | None = None  # how far the pull under way has come (0-1)
        #: the printer's state in a few words ("Ready", "Out of paper"), for the report to
        #: HQ after each push (db/lane_report.py); the app sets it (ui/main_window.py)
        self.printer_state: Callable[[], str] = lambda: UNKNOWN
        self.reporter = LaneReporter()
        self.status = replace(self.status, backlog=self.backlog())

    # ------------------------------------------------------------------ push

    def acked_seq(self) -> int:
        with self.read.connect() as conn:
            value = conn.execute(
                select(s.sync_state.c.acked_seq).where(s.sync_state.c.terminal_id == self.config.terminal)
            ).scalar()
        return int(value or 0)

    def _set_acked(self, seq: int) -> None:
        stmt = sqlite_insert(s.sync_state).values(terminal_id=self.config.terminal, acked_seq=seq)
        with self.write.begin() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["terminal_id"], set_={"acked_seq": seq}))

    def backlog(self) -> int:
        acked = self.acked_seq()
        with self.read.connect() as conn:
            last = conn.execute(
                select(func.max(s.journal.c.seq)).where(s.journal.c.terminal_id == self.config.terminal)
            ).scalar()
        return max(0, int(last or 0) - acked)

    def _pending(self, after: int, limit: int) -> list[JournalEntry]:
        j = s.journal
        stmt = select(j).where(j.c.terminal_id == self.config.terminal, j.c.seq > after).order_by(j.c.seq).limit(limit)
        with self.read.connect() as conn:
            return [
                JournalEntry(r.terminal_id, r.seq, r.id, r.type, r.at, r.body, r.prev_hash, r.hash)
                for r in conn.execute(stmt)
            ]

    def push_batch(self, *, record: bool = True, after: int | None = None, batch: int = MAX_BATCH) -> int:
        """Send the next batch; returns HQ's head (the new acked_seq). ``record=False``
        leaves the store untouched (for callers inside a unit of work)."""
        start = self.acked_seq() if after is None else after
        entries = self._pending(start, batch)
        if not entries:
            return start
        self._push_texts(entries[0].seq, entries[-1].seq)
        try:
            ack = self.client.push(self.config.store, self.config.terminal, entries, datetime.now(UTC))
        except HqRefused as exc:
            if exc.error == "gap" and "expected_seq" in exc.data:
                resume = int(exc.data["expected_seq"]) - 1
                log.warning("HQ holds this lane up to %d only; resending from there", resume)
                if record:
                    self._set_acked(resume)
                return resume
            raise
        acked = min(int(ack["acked_seq"]), entries[-1].seq)
        if record:
            self._set_acked(acked)
        return acked

    def _push_texts(self, first: int, last: int) -> None:
        """The typed text of the desk entries ``first``..``last``, sent before them, so HQ
        hands it to the other lanes with the entries (db/desk_feed.py). An HQ that refuses
        it (an older HQ) gets the entries all the same: the other lanes then show the
        record without its text."""
        with self.read.connect() as conn:
            texts = texts_between(conn, self.config.terminal, first, last)
        if not texts:
            return
        try:
            self.client.push_texts(texts)
        except HqRefused as exc:
            if exc.status in (401, 403, 429):
                raise
            log.warning("HQ refused the desk texts of entries %d-%d: %s", first, last, exc.message)

    def desk_waiting(self) -> list[tuple[str, int, str]]:
        """Other lanes' desk events pulled and not applied yet: (feed id, tries, why)."""
        with self.read.connect() as conn:
            return waiting_events(conn)

    def push_all(self, *, record: bool = True, max_batches: int | None = None) -> int:
        """Push until nothing is waiting (or ``max_batches``); returns the acked seq."""
        acked = self.acked_seq()
        n = 0
        while max_batches is None or n < max_batches:
            before = acked
            acked = self.push_batch(record=record, after=acked)
            n += 1
            if acked == before and not self._pending(acked, 1):
                break
            if acked == before:
                break  # no progress: HQ acknowledged nothing new
        return acked

    # ------------------------------------------------------------------ pull

    def cursor(self) -> int:
        return int(read_settings(self.read).get(CURSOR_KEY, 0))

    def pull_page(self, limit: int = PULL_PAGE) -> tuple[int, bool]:
        """Fetch and apply one page; returns (changes applied, more to come).

        A page this terminal cannot read (missing or wrong fields, values the store
        refuses, card data) is applied not at all, and said as a refusal (the status
        bar shows it) rather than crashing the sync worker."""
        after = self.cursor()
        n, _cursor, more = self._apply_page(after, self.client.changes(after, limit))
        return n, more

    def _apply_page(self, after: int, page: Any, ready: Prepared | Exception | None = None) -> tuple[int, int, bool]:
        """Apply one fetched page and move the cursor, in one transaction:
        (changes applied, new cursor, more to come). ``ready``: the page already prepared
        (``_prepared``, on the thread that read it), or why it could not be."""
        try:
            if isinstance(ready, Exception):
                raise ready
            rows = list(page["changes"])
            cursor, more = int(page["cursor"]), bool(page["more"])
            # outside the transaction: the write lock is held for writing only
            prepared = ready if ready is not None else prepare(rows)
            with self.write.begin() as conn:
                held = time.perf_counter()
                apply_changes(conn, rows, self.config.terminal, prepared)
                conn.execute(s.settings.delete().where(s.settings.c.key == CURSOR_KEY))
                conn.execute(s.settings.insert().values(key=CURSOR_KEY, value=json.dumps(cursor)))
            self.held = time.perf_counter() - held
        except HqRefused:
            raise
        except (*_UNREADABLE, SQLAlchemyError, sqlite3.Error, CounterError) as exc:
            log.warning("sync: a page of changes after %d could not be applied: %r", after, exc)
            raise HqRefused(
                200,
                "unreadable_changes",
                "HQ sent changes this terminal cannot read; none of them was applied.",
                {"after": after},
            ) from exc
        return len(rows), cursor, more

    def pull_all(self, progress: Callable[[int], None] | None = None, limit: int | None = None) -> int:
        """Pull until HQ has nothing more; returns the number of changes applied.

        A first load, and every pull after it until one reaches HQ's end, streams
        (``_pull_stream``: pages of ``limit`` or ``STREAM_PAGE`` from one snapshot) and then
        pages from where the stream ended (what changed meanwhile); other pulls page only.
        While page N is written, page N+1 is already on its way (read ahead on a helper
        thread): HQ's time and the store's overlap instead of adding up. A first load cut
        by HQ going away is indexed before the error is raised (db/first_load.py)."""
        loading = first_load.state(self.read)
        if loading is not None and loading["phase"] == "indexing":
            self._finish_first_load(progress, 0, None)  # before any later page can touch indexed items
            loading = None
        if loading is None and self.cursor() == 0 and first_load.no_items(self.read):
            loading = first_load.begin(self.write)
        catching_up = bool(read_settings(self.read).get(first_load.CATCH_UP_KEY))
        self.pull_fraction = None
        total = 0
        # the load's search index built on the other core meanwhile (db/side_index.py)
        side = SideIndex.start(self.write) if loading is not None else None
        try:
            if catching_up and self.streams:
                total = self._pull_stream(progress, limit or STREAM_PAGE)
            page = limit or PULL_PAGE
            if loading is not None:
                page = min(page, FIRST_LOAD_PAGE)  # many short transactions: a sale never waits long
            total += self._pull_pages(progress, page, total)
        except (UpstreamUnavailable, HqRefused):
            if loading is not None:  # what came is found by name while HQ is away
                self._finish_first_load(None, total, side)
            raise
        else:
            if loading is not None:
                self._finish_first_load(progress, total, side)
        finally:
            if side is not None:
                side.close()
        if catching_up:
            first_load.caught_up(self.write)
        return total

    def _pull_stream(self, progress: Callable[[int], None] | None, limit: int) -> int:
        """Apply the pages of ``GET /v1/changes/stream`` above the cursor, each page and the
        cursor move in one transaction; returns the changes applied. An HQ without the stream
        (404): 0, and this syncer pages from then on. A stream cut before its last page
        (``more`` false): ``UpstreamUnavailable``, the pages applied stand."""
        after = start = self.cursor()
        total = 0
        try:
            # each page decoded and prepared on the reading thread while the one before is written
            pages = ((page, _prepared(page)) for page in self.client.changes_stream(after, limit))
            for page, ready in first_load.read_ahead(pages):
                n, after, more = self._apply_page(after, page, ready)
                total += n
                self._note_progress(page, start, after, total, progress)
                if not more:
                    return total
                first_load.let_others_write(self.held, self.write)
        except HqRefused as exc:
            if exc.status != 404 or total:
                raise
            log.info("sync: HQ streams no changes (an earlier release); paging")
            self.streams = False
            return 0
        raise UpstreamUnavailable(_("HQ cannot be reached ({error}).").format(error="StreamCut"), "")

    def _note_progress(
        self, page: Any, start: int, after: int, total: int, progress: Callable[[int], None] | None
    ) -> None:
        head = page.get("head") if isinstance(page, dict) else None
        if isinstance(head, int) and head > start:
            self.pull_fraction = min(1.0, max(0.0, (after - start) / (head - start)))
        if progress is not None:
            progress(total)

    def _pull_pages(self, progress: Callable[[int], None] | None, limit: int, done: int) -> int:
        """Page from the cursor until HQ has nothing more (``done``: changes this pull
        applied before, for ``progress``)."""
        total = 0
        after = start = self.cursor()

        def fetch(above: int) -> tuple[Any, Prepared | Exception]:  # on the fetching thread
            page = self.client.changes(above, limit)
            return page, _prepared(page)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-fetch") as fetcher:
            ahead: Future[tuple[Any, Prepared | Exception]] | None = fetcher.submit(fetch, after)
            while ahead is not None:
                page, ready = ahead.result()
                ahead = None
                next_after = _page_cursor(page)
                if next_after is not None and next_after > after and isinstance(page, dict) and page.get("more"):
                    ahead = fetcher.submit(fetch, next_after)
                n, after, more = self._apply_page(after, page, ready)
                total += n
                self._note_progress(page, start, after, done + total, progress)
                if not more:
                    break
                first_load.let_others_write(self.held, self.write)
        return total

    def _finish_first_load(self, progress: Callable[[int], None] | None, total: int, side: SideIndex | None) -> None:
        first_load.finish(self.write, self.read, FTS_CHUNK, None if progress is None else lambda: progress(total), side)

    # ------------------------------------------------------------------ cycle

    def _push_and_report(self) -> None:
        """Push everything waiting (contact details travel apart from the journal,
        db/sync_people.py), then report this lane's state for HQ's lanes page
        (db/lane_report.py; never fails the cycle), also when HQ refused the push: that
        backlog is what HQ's staff need to see. Not with a token HQ refuses, nor past a
        rate limit or an untrusted certificate."""
        try:
            self.push_all()
            push_customers(self)
        except HqRefused as exc:
            if exc.status not in (401, 426, 429, 495):
                self.reporter.send(self)
            raise
        self.reporter.send(self)

    def cycle(self, progress: Callable[[SyncStatus], None] | None = None) -> SyncStatus:
        """One round of the worker: push everything waiting, pull, and push what the pull
        journaled. Updates and returns ``status``; never raises for HQ being away or refusing."""
        try:
            self._push_and_report()
            self.status = replace(self.status, online=True, problem="", backlog=self.backlog())

            def pulled(n: int) -> None:
                if n and progress is not None:
                    share = self.pull_fraction
                    said = (
                        ngettext("receiving changes, {n} so far", "receiving changes, {n} so far", n).format(n=f"{n:,}")
                        if share is None
                        else ngettext(
                            "receiving changes, {n} so far ({percent})",
                            "receiving changes, {n} so far ({percent})",
                            n,
                        ).format(n=f"{n:,}", percent=f"{share:.0%}")
                    )
                    self.status = replace(self.status, pulling=said, pull_fraction=share)
                    progress(self.status)

            mark = desk_mark(self.read)
            self.pull_all(pulled)
            news = desk_news(self.read, mark)
            if self.backlog():  # what the pull journaled here (store credit, customers received) goes up now
                self.push_all()
            self.status = replace(
                self.status,
                pulling="",
                pull_fraction=None,
                last_sync=datetime.now(UTC),
                acked_seq=self.acked_seq(),
                backlog=self.backlog(),
                desk_waiting=len(self.desk_waiting()),
                desk_news=news,
                catalog_incomplete=False,
            )
        except UpstreamUnavailable as exc:
            log.info("sync: %s", exc.message)
            cut = bool(read_settings(self.read).get(first_load.CATCH_UP_KEY))
            self.status = replace(
                self.status,
                online=False,
                pulling="",
                pull_fraction=None,
                backlog=self.backlog(),
                catalog_incomplete=cut,
            )
        except HqRefused as exc:
            log.warning("sync refused by HQ: %s (%s)", exc.message, exc.error)
            self.status = replace(
                self.status, online=True, pulling="", pull_fraction=None, problem=_problem(exc), backlog=self.backlog()
            )
        return self.status


def _problem(exc: HqRefused) -> str:
    if exc.error == "api_version":  # HQ's words: which side to upgrade (db/hq_client.HqApiMismatch)
        return exc.message
    if exc.error == "untrusted_hq":
        return _("HQ's certificate is not the one this terminal trusts (see logs/counter.log); nothing was sent")
    if exc.status == 429:
        return _("HQ refused: too many failed attempts from this address; it tries again later")
    if exc.status == 401:
        return _("HQ refused this terminal's token (enrol it again)")
    if exc.error == "clock_skew":
        return _("this terminal's clock is wrong; set the time")
    if exc.error in {"chain_broken", "seq_conflict"}:
        return _("HQ found the journal altered; call support")
    if exc.error == "entry_refused":
        return _("HQ refused journal entry {seq} ({rule}); call support").format(
            seq=exc.data.get("seq"), rule=exc.data.get("rule")
        )
    return _("HQ refused: {reason}").format(reason=exc.message)


class Backoff:
    """Seconds to wait after the n-th failure in a row: 1, 2, 4, ... up to ``cap``, with
    jitter so that a store's lanes do not all retry in the same second."""

    def __init__(self, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None) -> None:
        self.base = base
        self.cap = cap
        self.failures = 0
        self._rng = rng or random.Random()

    def success(self) -> None:
        self.failures = 0

    def failure(self) -> float:
        self.failures += 1
        delay = min(self.cap, self.base * 2 ** (self.failures - 1))
        return float(delay * (0.5 + self._rng.random() / 2))


# ------------------------------------------------------------------ applying changes


#: What a page of changes this terminal cannot read raises (missing or wrong fields, values)
_UNREADABLE = (KeyError, TypeError, ValueError, AttributeError, OverflowError)


def _prepared(page: Any) -> Prepared | Exception:
    """``prepare`` of a page's changes, or the error that says it cannot be read (raised
    where the page is applied, as ``Syncer._apply_page`` would raise it)."""
    try:
        return prepare(list(page["changes"]))
    except (*_UNREADABLE, CardDataRefused) as exc:
        return exc


def _page_cursor(page: Any) -> int | None:
    """The cursor a fetched page moves to, or None when it has none a fetch can go on from."""
    try:
        return int(page["cursor"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
