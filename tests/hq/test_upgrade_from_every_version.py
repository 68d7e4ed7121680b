"""HQ's database from every earlier schema version upgrades to the head with its records.

The source is a real HQ at the head, filled the way HQ fills: a lane (a demo store) pushes
its journal (days of shifts, sales and Z reports; customers, contacts and a referred case
at the desk), sells and takes a return through HQ's reservation, reports its state; the
back office records actions on its audit chain. For each earlier revision a database of
its own is made by the earlier migrations themselves (``scratch_hq``), the source's rows
are written into the tables and columns that revision has, and the migrations take it to
the head. Every row is still there, column for column; what the later migrations derive
is there too: the desk feed of the desk entries HQ already held (0009), the desk's tables
from the journal and the referrals' due dates (0008), the audit chain over the actions
recorded before it (0014); the kept analysis days are dropped to be made again (0015).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, inspect, select, text

from hq import schema as hs
from hq.office import audit_chain
from hq.serve import RunningHq
from tests.hq.conftest import Lane, scratch_hq


def _hq_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from hq.store import alembic_config

    return sorted(s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions())


HEAD = _hq_revisions()[-1]
EARLIER = _hq_revisions()[:-1]
#: made again from the sales after 0015 (kept analysis days carry their shape's version)
CACHES = ("analysis_days", "analysis_chain_days")
DESK_TABLES = ("cases", "case_events", "contacts", "referrals", "referral_notes")
Rows = dict[str, list[dict[str, Any]]]


def test_every_earlier_hq_revision_is_tested() -> None:
    from alembic.script import ScriptDirectory

    from hq.store import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


@pytest.fixture(scope="module")
def _made() -> dict[str, Any]:
    return {}


@pytest.fixture
def source(_made: dict[str, Any], hq: RunningHq, hq_engine: Engine, request: pytest.FixtureRequest) -> Rows:
    """Every row of a real HQ at the head (made once for the module)."""
    if not _made:
        make_lane: Callable[..., Lane] = request.getfixturevalue("make_lane")
        lane = make_lane("T02")  # the demo's desk work was done at T02: it goes up with the journal
        sale = lane.sell([("home-kitchen", 2), ("apparel", 1)])
        lane.take_return(sale, [(0, 1)])
        status = lane.syncer.cycle()
        assert status.online and not status.problem, status
        with hq_engine.begin() as conn:
            for n, action in enumerate(("login", "staff_added", "department_changed")):
                audit_chain.append(conn, "alex", "u-4444", action, f"target {n}", f"detail {n}", "S01")
        with hq_engine.connect() as conn:
            _made["rows"] = {t.name: [dict(r) for r in conn.execute(select(t)).mappings()] for t in _tables()}
            _made["sequences"] = dict(conn.execute(text("SELECT sequencename, last_value FROM pg_sequences")).all())
    rows: Rows = _made["rows"]
    for table in ("journal", "sales", "returns", "customers", "cases", "referrals", "lane_status", "office_actions"):
        assert rows[table], f"the source HQ holds {table}"
    return rows


@pytest.mark.parametrize("revision", EARLIER)
def test_an_hq_database_from_an_earlier_version_upgrades_with_its_records(
    revision: str, source: Rows, _made: dict[str, Any], pg_url: str
) -> None:
    with scratch_hq(pg_url, revision) as (engine, upgrade):
        columns = _columns(engine)
        _write(engine, source, columns, _made["sequences"])
        before = _snapshot(engine, columns)
        upgrade("head")
        after = _snapshot(engine, columns)
        with engine.connect() as conn:
            chain = audit_chain.verify(conn)
            feed = conn.execute(select(hs.desk_feed.c.id)).scalars().all()
            due = conn.execute(select(hs.referrals.c.hq_due_on)).scalars().all()
            kept = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in CACHES}
            desk = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in DESK_TABLES}
            version = conn.execute(text("SELECT version_num FROM hq_alembic_version")).scalar_one()

    assert version == HEAD
    for table, rows in before.items():
        if table in CACHES:
            continue
        assert after[table] == rows, f"{table} changed in the upgrade from {revision}"
    assert sum(len(r) for r in before.values()) > 100
    # what the later migrations derive from what the database held
    desk_entries = [r for r in source["journal"] if _is_desk(r["type"])]
    assert desk_entries
    assert len(feed) == len(source["desk_feed"]) >= len(desk_entries)
    assert desk == {t: len(source[t]) for t in DESK_TABLES}, "the desk's records, from the journal before 0006"
    assert len(due) == len(source["referrals"]) and all(due), "every referral has HQ's due date"
    actions = len(source["office_actions"]) if "office_actions" in columns else 0
    assert chain.ok and chain.rows == actions, chain.words  # 0014 chained the actions recorded before it
    if revision < "0015":
        assert kept == dict.fromkeys(CACHES, 0), "kept analysis days are made again, never read"


def _is_desk(kind: str) -> bool:
    from counter.trust.desk_rules import DESK_KINDS

    return kind in DESK_KINDS


def _tables() -> list[Any]:
    return [t for t in hs.metadata.sorted_tables if t.name != "hq_alembic_version"]


def _columns(engine: Engine) -> dict[str, list[str]]:
    """The tables this database has (at its revision) and their columns."""
    found = inspect(engine)
    names = set(found.get_table_names())
    return {t.name: [c["name"] for c in found.get_columns(t.name)] for t in _tables() if t.name in names}


def _write(engine: Engine, source: Rows, columns: dict[str, list[str]], sequences: dict[str, Any]) -> None:
    """The source's rows into the tables and columns this revision has (in place of the
    rows a migration made there); the sequences where the source's were, as they would be."""
    meta = MetaData()
    meta.reflect(bind=engine, only=list(columns))
    with engine.begin() as conn:
        for name, cols in columns.items():
            table = meta.tables[name]
            if not source[name]:
                continue
            conn.execute(table.delete())  # what the migrations made (the seeded departments, 0014's head)
            conn.execute(table.insert(), [{c: row[c] for c in cols if c in row} for row in source[name]])
        here = set(conn.execute(text("SELECT sequencename FROM pg_sequences")).scalars())
        for name, value in sequences.items():
            if name in here and value is not None:
                conn.execute(text("SELECT setval(:n, :v)"), {"n": name, "v": value})


def _snapshot(engine: Engine, columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            name: sorted((tuple(r) for r in conn.execute(text(f"SELECT {', '.join(cols)} FROM {name}"))), key=repr)
            for name, cols in columns.items()
        }
