"""A week offline: one busy lane's 25,000-entry backlog drains to HQ.

The lane is a real store file (SQLite) holding 25,000 journal entries that HQ has not
seen; the figure is the time ``Syncer.push_all`` takes to send them all, in batches of
500, to HQ (uvicorn, two workers, PostgreSQL) and mark them acknowledged. Target 30 s.
Floor: the same entries handed to HQ's ingest in-process (no HTTP, no SQLite).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hq_support import cpu_meter, emit, enrol_token, hq_database, hq_process, note, sale_body, synth_entries  # noqa: E402

ENTRIES = 25_000


def main() -> int:
    from counter.journal import EventType
    from db.engine import open_database
    from db.hq_client import HqClient
    from db.sync import SyncConfig, Syncer
    from db.uow import SqlJournal
    from hq.ingest import ingest

    with hq_database() as (url, engine), tempfile.TemporaryDirectory() as tmp:
        note(f"building a store with {ENTRIES:,} unsent entries ...")
        db = open_database(Path(tmp))
        with db.write.begin() as conn:  # through the store's own journal writer
            journal = SqlJournal(conn, "T01")
            for n in range(1, ENTRIES + 1):
                if n % 10:
                    journal.append(EventType.SALE_COMPLETED, sale_body(n), datetime.now(UTC))
                else:
                    journal.append(EventType.SIGNED_IN, {"user": "u-cashier-1"}, datetime.now(UTC))
        token = enrol_token(engine, "T01")
        enrol_token(engine, "F01")
        floor_entries = synth_entries("F01", ENTRIES)
        start = time.perf_counter()
        for i in range(0, ENTRIES, 500):
            ingest(engine, "S01", "F01", floor_entries[i : i + 500])
        floor = time.perf_counter() - start
        with hq_process(url, workers=2) as base:
            client = HqClient(base, token, timeout=60)
            syncer = Syncer(db.write, db.read, client, SyncConfig(base, token, "S01", "T01"))
            with cpu_meter("hq_backlog"):
                note("draining ...")
                start = time.perf_counter()
                acked = syncer.push_all()
                took = time.perf_counter() - start
            client.close()
        assert acked == ENTRIES and syncer.backlog() == 0, (acked, syncer.backlog())
        db.dispose()
        emit("hq_backlog_drain_25k", took, "s", 30.0, floor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
