"""A store from every earlier schema version upgrades to the head with every record intact.

Each store is made by the earlier migrations themselves (tests/db/upgrade_support.py: a
fresh file brought to that revision by Alembic, then filled with a real store's records as
far as that revision's tables hold them); then the app opens it as it opens any store
(``db.engine.open_database``), which copies it and migrates it. Every record is still
there, value for value; the journal's chains and heads are the ones it had (or, for a
store from before the journal was sealed, the heads the migration derived), and
``counter journal verify`` passes.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from cli.journal import verify_report
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from db.engine import DB_FILENAME, open_database, script_head
from db.keys import load_secret
from db.upgrade import PRE_MIGRATION_DIR, VERSION_KEY
from tests.db.support import TestStore
from tests.db.upgrade_support import columns_of, fill, revisions, snapshot, store_at

HEAD = script_head()
EARLIER = [r for r in revisions() if r != HEAD]


def test_every_earlier_revision_is_tested() -> None:
    assert HEAD is not None
    assert [f"{n:04d}" for n in range(1, int(HEAD))] == EARLIER


@pytest.fixture(scope="module")
def source(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The records: the demo store (two terminals' days of shifts, sales and Z reports;
    customers, contacts and a referred case at the desk) and a return for store credit."""
    folder = tmp_path_factory.mktemp("upgrade-source")
    shutil.copy2(demo_template / DB_FILENAME, folder / DB_FILENAME)
    shop = TestStore(folder)
    try:
        sale = shop.sell([(shop.item_in("home-kitchen"), 2), (shop.item_in("home-kitchen", 1), 1)])
        process_return(
            ProcessReturn(
                request_id=str(uuid.uuid4()),
                cashier=shop.user("Dana"),
                lines=(ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, sale.lines[0].id),),
                refund_method=RefundMethod.STORE_CREDIT,
                original_receipt=sale.receipt_number,
            ),
            uow_factory=shop.uow,
            clock=shop.clock,
            store=shop.cfg,
            terminal=shop.terminal,
            rules=shop.rules,
            upstream=None,
            read_uow_factory=shop.read_uow,
        )
    finally:
        shop.close()
    return folder / DB_FILENAME


@pytest.mark.parametrize("revision", EARLIER)
def test_a_store_from_an_earlier_version_upgrades_with_every_record_intact(
    revision: str, source: Path, tmp_path: Path
) -> None:
    secret = load_secret()
    folder = tmp_path / "store"
    path = store_at(folder, revision, secret)
    filled = fill(path, source, secret)
    with sqlite3.connect(path) as conn:
        before_tables = columns_of(conn)
        heads_before = _heads(conn) if "journal_head" in before_tables else None
    conn.close()
    before = snapshot(path, before_tables)
    assert before["journal"] and before["sales"], "the old store holds records"
    if revision >= "0002":
        assert before["returns"] and before["vouchers"] and before["refunds"]
    if revision >= "0003":
        assert before["shifts"] and before["z_reports"]
    if revision >= "0005":
        assert before["customers"] and before["cases"] and before["referrals"]
        assert not filled.rechained, "every chain is whole from here on"

    db = open_database(folder, create=False)
    try:
        ok, lines = verify_report(db)
    finally:
        db.dispose()

    assert ok, lines
    after = snapshot(path, before_tables)
    for table in before_tables:
        assert after[table] == before[table], f"{table} changed in the upgrade from {revision}"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        heads_after = _heads(conn)
        journal = conn.execute("SELECT terminal_id, seq, hash, seal FROM journal").fetchall()
        recorded = conn.execute("SELECT value FROM settings WHERE key = ?", (VERSION_KEY,)).fetchone()
    conn.close()
    # the heads: the ones the store had, or (before 0006) each chain's last entry, sealed
    last = {t: max((seq, h) for tt, seq, h, _ in journal if tt == t) for t, *_ in journal}
    assert heads_after == {t: (seq, h, secret.head_seal(t, seq, h)) for t, (seq, h) in last.items()}
    if heads_before is not None:
        assert heads_after == heads_before
    assert all(seal == secret.seal(t, seq, h) for t, seq, h, seal in journal)  # 0006 sealed the older entries
    assert recorded is not None and f'"schema": "{HEAD}"' in recorded[0]
    # the copy taken before the migration: the old store as it was
    copies = sorted((folder / PRE_MIGRATION_DIR).glob(f"counter-{revision}-to-{HEAD}-*.sqlite3"))
    assert len(copies) == 1
    assert snapshot(copies[0], before_tables) == before
    with sqlite3.connect(copies[0]) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(revision,)]
    conn.close()


def _heads(conn: sqlite3.Connection) -> dict[str, tuple[int, str, str]]:
    return {str(t): (int(s), str(h), str(x)) for t, s, h, x in conn.execute("SELECT * FROM journal_head")}
