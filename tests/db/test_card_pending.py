"""Which card requests wait for their answer (lane migration 0018, ``card_pending``): kept by
the projection of the request and its answer, read through a partial index of the waiting
ones (before each card payment the lane asks; as "requests without an answer" that looked
up every request the lane ever sent: 1.1 s at 300,000), filled for the requests a store
held before the migration, and derived by ``counter journal verify`` like every projection."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.journal import verify_report
from counter.journal import EventType
from db.engine import DB_FILENAME, open_database
from db.uow import SqlJournal
from tests.db.upgrade_support import migrate


def request(rid: str) -> dict[str, Any]:
    return {
        "request_id": rid, "op": "sale", "amount": 1250, "currency": "USD", "user": "u-cashier-1",
        "for": "sale", "for_id": f"sale-{rid}", "seq": 1, "total": 1250, "original": "", "prior_trace": "",
        "device": "sim",
    }  # fmt: skip


def answer(rid: str) -> dict[str, Any]:
    return {
        "request_id": rid, "outcome": "approved", "how": "answer", "amount": 1250, "reference": f"ref-{rid}",
        "trace": "000101", "receipt_no": "0042", "approval_code": "A1B2C3", "card_brand": "Visa",
        "card_last4": "4242", "device_terminal_id": "29001234", "text": "", "user": "u-cashier-1",
    }  # fmt: skip


def waiting(db: Any) -> list[str]:
    from db.card_requests import SqlCardRequests

    with db.read.connect() as conn:
        return [r.request_id for r in SqlCardRequests(conn).pending("T01")]


def test_waiting_requests_are_read_from_the_pending_rows_and_survive_the_upgrade(store_dir: Path) -> None:
    db = open_database(store_dir)
    with db.write.begin() as conn:
        journal = SqlJournal(conn, "T01")
        for rid in ("r-1", "r-2", "r-3"):
            journal.append(EventType.CARD_REQUEST_SENT, request(rid), datetime.now(UTC))
        journal.append(EventType.CARD_REQUEST_SETTLED, answer("r-2"), datetime.now(UTC))
    assert waiting(db) == ["r-1", "r-3"]
    with db.read.connect() as conn:
        rows = conn.exec_driver_sql("SELECT request_id, settled FROM card_pending ORDER BY request_id").all()
        plan = " ".join(
            str(r[3])
            for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT request_id FROM card_pending WHERE terminal_id = 'T01' "
                "AND card_pending.settled = 0"
            )
        )
    assert [tuple(r) for r in rows] == [("r-1", 0), ("r-2", 1), ("r-3", 0)]
    assert "ix_card_pending_waiting" in plan, plan
    ok, lines = verify_report(db)
    assert ok, lines
    secret = db.secret
    db.dispose()

    path = store_dir / DB_FILENAME
    for revision, up in (("0017", False), ("0018", True)):  # a store of before: filled by the upgrade
        migrate(path, revision, secret, up=up)
        with sqlite3.connect(path) as raw:
            have = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        raw.close()
        assert ("card_pending" in have) is up
    db = open_database(store_dir, create=False)
    try:
        assert waiting(db) == ["r-1", "r-3"]
        ok, lines = verify_report(db)
        assert ok, lines
        with db.write.begin() as conn:  # a person with the file marks a waiting request settled
            conn.exec_driver_sql("UPDATE card_pending SET settled = 1 WHERE request_id = 'r-3'")
        ok, lines = verify_report(db)
        assert not ok and any("card_pending" in line for line in lines), lines
    finally:
        db.dispose()
