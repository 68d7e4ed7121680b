"""200 terminals pushing at once: p50/p99 latency of one push (a batch of 5 entries).

200 enrolled lanes; each runs 5 rounds, and in each round all 200 push together (a
barrier starts them), each over its own keep-alive connection, to HQ served by uvicorn
(two worker processes) on a loopback port. Bounded: 1,000 pushes in all. Target p99
under 250 ms. Floor: p99 of one lane pushing alone, the same batches.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hq_support import cpu_meter, emit, enrol_token, hq_database, hq_process, note, percentile, synth_entries  # noqa: E402

TERMINALS = 200
ROUNDS = 5
BATCH = 5
WORKERS = int(os.environ.get("COUNTER_BENCH_HQ_WORKERS", "2"))  # 2 cores: see docs/benchmarks.md (1, 2, 3 compared)


def main() -> int:
    from db.hq_client import HqClient

    with hq_database() as (url, engine):
        names = [f"L{i:03d}" for i in range(TERMINALS)]
        note(f"enrolling {TERMINALS} lanes ...")
        tokens = {t: enrol_token(engine, t) for t in [*names, "SOLO"]}
        work = {t: synth_entries(t, ROUNDS * BATCH) for t in [*names, "SOLO"]}
        with hq_process(url, workers=WORKERS) as base:
            solo = HqClient(base, tokens["SOLO"], timeout=30)
            alone = []
            for r in range(ROUNDS * 4):
                entries = work["SOLO"][(r % ROUNDS) * BATCH : (r % ROUNDS + 1) * BATCH]
                t0 = time.perf_counter()
                solo.push("S01", "SOLO", entries, datetime.now(UTC))  # re-sends after the 5th: acked again
                alone.append(time.perf_counter() - t0)
            solo.close()

            latencies: list[float] = []
            lock = threading.Lock()
            barriers = [threading.Barrier(TERMINALS) for _ in range(ROUNDS)]
            errors: list[str] = []

            def lane(name: str) -> None:
                client = HqClient(base, tokens[name], timeout=30)
                client.health()  # open the connection before the clock starts
                for r in range(ROUNDS):
                    barriers[r].wait()
                    t0 = time.perf_counter()
                    try:
                        client.push("S01", name, work[name][r * BATCH : (r + 1) * BATCH], datetime.now(UTC))
                    except Exception as exc:  # counted, not hidden
                        errors.append(f"{name}: {exc}")
                    took = time.perf_counter() - t0
                    with lock:
                        latencies.append(took)
                client.close()

            note(f"{TERMINALS} lanes x {ROUNDS} rounds ...")
            with cpu_meter("hq_push_latency"):
                threads = [threading.Thread(target=lane, args=(n,)) for n in names]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
        if errors:
            note(f"{len(errors)} pushes failed, e.g. {errors[0]}")
        emit("hq_push_p50_200_terminals", percentile(latencies, 50) * 1000, "ms", None, percentile(alone, 50) * 1000)
        emit("hq_push_p99_200_terminals", percentile(latencies, 99) * 1000, "ms", 250.0, percentile(alone, 99) * 1000)
        emit("hq_push_failures_200_terminals", len(errors), "pushes", 0.0, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
