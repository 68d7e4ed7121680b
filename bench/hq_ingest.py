"""HQ ingest rate on PostgreSQL: journal entries per second stored, verified and projected.

Four lanes push 5,000 entries each (batches of 500, the client's size) at the same time
to HQ served by uvicorn (two worker processes) on a loopback port. Figure: seconds per 10,000 entries (target
1.0 s, i.e. at least 10,000 entries/s). Floor: the same ingest called in-process (no HTTP,
no JSON), i.e. PostgreSQL, the chain check and HQ's domain checks. Beside it, what the
floor cost in CPU, not time: this process's CPU and its PostgreSQL backends' (from
/proc), per 10,000 entries. On a shared machine the seconds move with the other work on
it; the CPU a batch costs moves far less.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hq_support import cpu_meter, emit, enrol_token, hq_database, hq_process, note, synth_entries  # noqa: E402

LANES = 4
PER_LANE = 5_000
BATCH = 500
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def backends_cpu(engine: Any) -> dict[int, float]:
    """CPU seconds (user + system) each PostgreSQL backend of the bench's database has
    used, by pid (a local server: its /proc); empty where /proc cannot be read."""
    with engine.connect() as conn:
        pids = conn.exec_driver_sql("SELECT pid FROM pg_stat_activity WHERE datname = current_database()").scalars()
        out = {}
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[int(pid)] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def main() -> int:
    from db.hq_client import HqClient
    from hq.ingest import ingest

    with hq_database() as (url, engine):
        note(f"building {LANES} x {PER_LANE:,} entries ...")
        lanes = {f"B{i:02d}": synth_entries(f"B{i:02d}", PER_LANE) for i in range(LANES)}
        floor_lanes = {f"F{i:02d}": synth_entries(f"F{i:02d}", PER_LANE) for i in range(LANES)}
        tokens = {t: enrol_token(engine, t) for t in [*lanes, *floor_lanes]}

        # floor: in-process, the same lanes in parallel threads
        def direct(terminal: str) -> None:
            entries = floor_lanes[terminal]
            for i in range(0, len(entries), BATCH):
                ingest(engine, "S01", terminal, entries[i : i + BATCH])

        cpu0, pg0 = time.process_time(), backends_cpu(engine)
        start = time.perf_counter()
        threads = [threading.Thread(target=direct, args=(t,)) for t in floor_lanes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        floor = time.perf_counter() - start
        per_10k = 10_000 / (LANES * PER_LANE)
        python_cpu = (time.process_time() - cpu0) * per_10k
        pg_cpu = sum(v - pg0.get(pid, 0.0) for pid, v in backends_cpu(engine).items()) * per_10k

        with hq_process(url, workers=2) as base:

            def push(terminal: str) -> None:
                client = HqClient(base, tokens[terminal], timeout=60)
                entries = lanes[terminal]
                for i in range(0, len(entries), BATCH):
                    client.push("S01", terminal, entries[i : i + BATCH], datetime.now(UTC))
                client.close()

            with cpu_meter("hq_ingest"):
                note("pushing over HTTP ...")
                start = time.perf_counter()
                threads = [threading.Thread(target=push, args=(t,)) for t in lanes]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                took = time.perf_counter() - start
        total = LANES * PER_LANE
        with engine.connect() as conn:  # every push was taken (a refused one would end its thread early)
            stored = conn.exec_driver_sql("SELECT count(*) FROM journal").scalar_one()
        if stored != 2 * total:
            raise SystemExit(f"HQ stored {stored:,} entries of {2 * total:,}: pushes were refused (see the log)")
        emit("hq_ingest_time_per_10k_entries", took / total * 10_000, "s", 1.0, floor / total * 10_000)
        emit("hq_ingest_rate", total / took, "entries/s", None, total / floor)
        emit("hq_ingest_floor_python_cpu_per_10k_entries", python_cpu, "s")
        emit("hq_ingest_floor_postgres_cpu_per_10k_entries", pg_cpu, "s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
