"""HQ against the real PostgreSQL, served by a real uvicorn on a loopback port, and lanes
that are real store files (copies of the demo template, each with its own terminal id).

Each test session creates its own database ``counter_test_<random>`` and drops it at the
end; each test starts from empty HQ tables with the demo chain's reference data loaded.
Without PostgreSQL at ``COUNTER_TEST_PG`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``)
the HQ tests are skipped, with how to enable them; under CI (``CI`` set) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from cli.sync import demo_reference_data
from counter.barcodes import canonical_gtin
from counter.cash.shifts import open_shift
from counter.errors import CounterError
from counter.people.users import PinHasher
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import ReturnRecord, process_return
from counter.returns.refunds import RefundMethod
from counter.sales.sale import Sale
from counter.sync.upstream import OfflineCaps
from db import schema as ls
from db.demo import DEMO_DIR, DEMO_USERS, FLOAT, TAX_CLASSES
from db.engine import DB_FILENAME, open_database
from db.hq_client import HqClient
from db.queries import read_settings, write_settings
from db.reservations import HqReservations
from db.sync import SyncConfig, Syncer, enrol
from hq import access, catalog, departments, schema as hs
from hq.serve import RunningHq, free_port, start_in_thread
from hq.store import make_engine, migrate
from tests.conftest import FAST_HASHER
from tests.db.support import TestStore

PG_ADMIN_URL = os.environ.get("COUNTER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
HOW_TO_ENABLE = (
    "PostgreSQL is not reachable at {url} ({error}). The HQ tests need it: start it "
    "(`pg_ctlcluster --skip-systemctl-redirect 15 main start`, trust auth for user postgres) "
    "or point COUNTER_TEST_PG at a server where that user may create databases."
)


def _admin_engine() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means the same thing here
        admin.dispose()
        message = HOW_TO_ENABLE.format(url=PG_ADMIN_URL, error=type(exc).__name__)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"counter_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def hq_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url, pool_size=5)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def reference_data() -> dict[str, object]:
    # HQ holds plain argon2id verifiers (it has no installation key; a lane keys them on
    # arrival), and checks approvers' PINs against them: cheap parameters, no key.
    plain = PinHasher(time_cost=FAST_HASHER.time_cost, memory_cost=FAST_HASHER.memory_cost)
    return demo_reference_data(plain, DEMO_DIR, DEMO_USERS, TAX_CLASSES, canonical_gtin)


def reset_hq(engine: Engine, reference: dict[str, object]) -> None:
    names = ", ".join(t.name for t in hs.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
        departments.seed_defaults(conn)  # as migration 0007 leaves a new HQ
    catalog.seed(engine, **reference)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def hq_server(pg_url: str, hq_engine: Engine) -> Iterator[RunningHq]:
    server = start_in_thread(pg_url, pool_size=20)
    yield server
    server.stop()


@pytest.fixture
def hq(hq_server: RunningHq, hq_engine: Engine, reference_data: dict[str, object]) -> RunningHq:
    reset_hq(hq_engine, reference_data)
    hq_server.reset_limits()  # wrong tokens counted by an earlier test do not make this one's 429
    return hq_server


def dead_url() -> str:
    """An address where nothing listens: HQ 'unreachable'."""
    return f"http://127.0.0.1:{free_port()}"


@dataclass
class Lane:
    """One terminal: its own store file, sync client and return adapter."""

    folder: Path
    store: TestStore
    config: SyncConfig
    client: HqClient
    syncer: Syncer
    upstream: HqReservations
    online_url: str
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def terminal_id(self) -> str:
        return self.store.terminal.terminal_id

    def _swap(self, url: str, transport: httpx.BaseTransport | None = None) -> None:
        self.client.close()
        self.client = HqClient(url, self.config.token, timeout=5.0, transport=transport)
        self.syncer.client = self.client
        self.upstream.client = self.client

    def go_offline(self) -> None:
        self._swap(dead_url())
        self.syncer.cycle()
        assert not self.syncer.status.online

    def go_online(self, transport: httpx.BaseTransport | None = None) -> None:
        self._swap(self.online_url, transport)

    def sell(self, items: list[tuple[str, int]]) -> Sale:
        return self.store.sell([(self.store.item_in(cat, n), q) for cat, n, q in _picks(items)])

    def take_return(self, sale: Sale, picks: list[tuple[int, int]], **kw: object) -> ReturnRecord:
        cmd = ProcessReturn(
            request_id=str(uuid.uuid4()),
            cashier=self.store.user("Dana"),
            lines=tuple(ReturnLineRequest(q, Reason.CHANGED_MIND, Condition.NEW, sale.lines[i].id) for i, q in picks),
            refund_method=RefundMethod.STORE_CREDIT,
            original_receipt=sale.receipt_number,
        )
        return process_return(
            cmd,
            uow_factory=self.store.uow,
            clock=self.store.clock,
            store=self.store.cfg,
            terminal=self.store.terminal,
            rules=self.store.rules,
            upstream=self.upstream if kw.get("upstream", True) else None,
            read_uow_factory=self.store.read_uow,
        )

    def journal(self) -> list[tuple[int, str]]:
        with self.store.db.read.connect() as conn:
            return [
                (int(r[0]), str(r[1]))
                for r in conn.execute(
                    select(ls.journal.c.seq, ls.journal.c.hash)
                    .where(ls.journal.c.terminal_id == self.terminal_id)
                    .order_by(ls.journal.c.seq)
                )
            ]

    def close(self) -> None:
        self.client.close()
        self.store.close()


def _picks(items: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
    return [(cat, 0, q) for cat, q in items]


def ensure_shift(store: TestStore) -> None:
    with store.uow() as uow:
        if uow.shifts.current(store.terminal.terminal_id) is not None:
            return
    open_shift(
        store.user("Maria"),
        FLOAT,
        uow_factory=store.uow,
        clock=store.clock,
        terminal_id=store.terminal.terminal_id,
        currency=store.cfg.currency,
    )


@pytest.fixture
def make_lane(hq: RunningHq, hq_engine: Engine, demo_template: Path, tmp_path: Path) -> Iterator[Callable[..., Lane]]:
    lanes: list[Lane] = []

    def make(terminal_id: str, *, caps: OfflineCaps | None = None, push: bool = True) -> Lane:
        folder = tmp_path / f"lane-{terminal_id}"
        folder.mkdir()
        shutil.copy2(demo_template / DB_FILENAME, folder / DB_FILENAME)
        db = open_database(folder)
        code = access.new_enrol_code(hq_engine, "S01", terminal_id)
        config = enrol(db.write, hq.url, code)
        if caps is not None:
            write_settings(db.write, {"offline_caps": caps.to_json()})
        db.dispose()
        store = TestStore(folder)
        assert store.terminal.terminal_id == terminal_id
        ensure_shift(store)
        client = HqClient(hq.url, config.token)
        syncer = Syncer(store.db.write, store.db.read, client, config)
        upstream = HqReservations(
            client,
            syncer,
            store.db.read,
            store.cfg,
            store.terminal,
            OfflineCaps.from_json(read_settings(store.db.read).get("offline_caps")),
            cache_seconds=0,
        )
        lane = Lane(folder, store, config, client, syncer, upstream, hq.url)
        lanes.append(lane)
        if push:
            status = syncer.cycle()
            assert status.online and not status.problem, status
        return lane

    yield make
    for lane in lanes:
        lane.close()


def hq_count(engine: Engine, table: object, **where: object) -> int:
    stmt = select(func.count()).select_from(table)  # type: ignore[arg-type]
    for k, v in where.items():
        stmt = stmt.where(table.c[k] == v)
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def hq_journal(engine: Engine, terminal_id: str) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [
            (int(r[0]), str(r[1]))
            for r in conn.execute(
                select(hs.journal.c.seq, hs.journal.c.hash)
                .where(hs.journal.c.store_id == "S01", hs.journal.c.terminal_id == terminal_id)
                .order_by(hs.journal.c.seq)
            )
        ]


def run_threads(targets: list[Callable[[], object]]) -> list[object]:
    """Start all at once (behind a barrier) and collect each result or exception."""
    results: list[object] = [None] * len(targets)
    barrier = threading.Barrier(len(targets))

    def body(i: int) -> None:
        barrier.wait()
        try:
            results[i] = targets[i]()
        except (CounterError, Exception) as exc:  # the test inspects what each thread met
            results[i] = exc

    threads = [threading.Thread(target=body, args=(i,)) for i in range(len(targets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


__all__ = ["Decimal", "Lane", "dead_url", "hq_count", "hq_journal", "run_threads"]


@contextmanager
def scratch_hq(pg_url: str, revision: str) -> Iterator[tuple[Engine, Callable[[str], None]]]:
    """A database of its own with HQ's schema at ``revision``: (engine, upgrade to a revision),
    dropped afterwards. For the tests of what a migration does to the data it finds."""
    from alembic import command

    from hq.store import alembic_config, make_engine

    admin_engine = _admin_engine()
    name = f"counter_test_{revision}_{uuid.uuid4().hex[:8]}"
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(pg_url.rsplit("/", 1)[0] + "/" + name, pool_size=1)
    cfg = alembic_config()

    def upgrade(to: str) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, to)

    try:
        upgrade(revision)
        yield engine, upgrade
    finally:
        engine.dispose()
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()
