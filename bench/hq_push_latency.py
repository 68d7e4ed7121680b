"""200 terminals pushing at once: p50/p99 latency of one push (a batch of 5 entries).

200 enrolled lanes; each runs 5 rounds, and in each round all 200 push together (each
round starts when every lane has its answer to the one before), each over its own
keep-alive TCP connection, to HQ served by uvicorn (two worker processes) on a loopback
port. Bounded: 1,200 pushes in all. Target p99 under 250 ms. Floor: one lane pushing
alone, the same batches.

HQ is a long-running server: the 5 measured rounds follow one round of the same 200 lanes
that warms it (its connection pools, PostgreSQL's prepared statements and caches), as a
day of pushes would have. That first round is reported on its own
(``hq_push_p99_cold_round``), not hidden.

The load generator shares the machine's two cores with HQ and PostgreSQL, so its own CPU
is part of the figure. By default it is one asyncio process (``raw``): real HTTP/1.1 over
one TCP connection per lane, each push the journal entries of that lane encoded as the
terminal's client encodes them (orjson), the answer read whole and checked (status 200,
the acknowledged seq). ``COUNTER_BENCH_PUSH_CLIENT=httpx`` runs the terminal's own client
(``db.hq_client.HqClient``, httpx) in 200 threads instead, as before: about 0.7 ms of CPU
per push in the generator rather than about 0.1 ms.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson  # noqa: E402
from hq_support import cpu_meter, emit, enrol_token, hq_database, hq_process, note, percentile, synth_entries  # noqa: E402

from counter.journal import JournalEntry, utc_stamp  # noqa: E402

TERMINALS = 200
ROUNDS = 5
BATCH = 5
WORKERS = int(os.environ.get("COUNTER_BENCH_HQ_WORKERS", "2"))  # 2 cores: see docs/benchmarks.md (1, 2, 3 compared)
CLIENT = os.environ.get("COUNTER_BENCH_PUSH_CLIENT", "raw")  # raw | httpx


class RawLane:
    """One terminal's keep-alive HTTP/1.1 connection to HQ, pushing as ``HqClient.push``
    does (same JSON, same headers that matter), with the answer read and checked."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = (
            f"POST /v1/journal HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nAccept: */*\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def push(self, store: str, terminal: str, entries: list[JournalEntry]) -> dict[str, Any]:
        assert self.reader is not None and self.writer is not None
        payload = {
            "store": store,
            "terminal": terminal,
            "sent_at": utc_stamp(datetime.now(UTC)),
            "entries": [
                {
                    "seq": e.seq,
                    "id": e.id,
                    "type": e.type,
                    "at": e.at,
                    "body": e.body,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in entries
            ],
        }
        body = orjson.dumps(payload)
        self.writer.write(self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        answer = orjson.loads(await self.reader.readexactly(length))
        if status != 200 or not answer.get("acked_seq", 0) >= entries[-1].seq:
            raise RuntimeError(f"HQ answered {status}: {answer}")
        return dict(answer)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


def run_raw(base: str, tokens: dict[str, str], work: dict[str, list[JournalEntry]], names: list[str]) -> tuple[
    list[float], list[float], list[float], list[str]
]:  # fmt: skip
    host, port = base.removeprefix("http://").split(":")

    async def main() -> tuple[list[float], list[float], list[float], list[str]]:
        solo = RawLane(host, int(port), tokens["SOLO"])
        await solo.open()
        alone = []
        for r in range(ROUNDS * 4):
            entries = work["SOLO"][(r % ROUNDS) * BATCH : (r % ROUNDS + 1) * BATCH]
            t0 = time.perf_counter()
            await solo.push("S01", "SOLO", entries)  # re-sends after the 5th: acked again
            alone.append(time.perf_counter() - t0)
        await solo.close()

        lanes = {n: RawLane(host, int(port), tokens[n]) for n in names}
        await asyncio.gather(*(lane.open() for lane in lanes.values()))  # connected before the clock starts
        latencies: list[float] = []
        errors: list[str] = []

        async def one(name: str, r: int) -> None:
            t0 = time.perf_counter()
            try:
                await lanes[name].push("S01", name, work[name][r * BATCH : (r + 1) * BATCH])
            except Exception as exc:  # counted, not hidden
                errors.append(f"{name}: {exc!r}")
            latencies.append(time.perf_counter() - t0)

        note(f"{TERMINALS} lanes x (1 + {ROUNDS}) rounds (asyncio, one connection per lane) ...")
        await asyncio.gather(*(one(n, 0) for n in names))  # the warming round
        cold = latencies[:]
        latencies.clear()
        with cpu_meter("hq_push_latency"):
            for r in range(1, ROUNDS + 1):
                await asyncio.gather(*(one(n, r) for n in names))
        await asyncio.gather(*(lane.close() for lane in lanes.values()))
        return latencies, cold, alone, errors

    return asyncio.run(main())


def run_httpx(base: str, tokens: dict[str, str], work: dict[str, list[JournalEntry]], names: list[str]) -> tuple[
    list[float], list[float], list[float], list[str]
]:  # fmt: skip
    from db.hq_client import HqClient

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
    cold: list[float] = []
    barriers = [threading.Barrier(TERMINALS) for _ in range(ROUNDS + 1)]
    warmed = threading.Barrier(TERMINALS + 1)  # the measured rounds start after the warming one
    errors: list[str] = []

    def lane(name: str) -> None:
        client = HqClient(base, tokens[name], timeout=30)
        client.health()  # open the connection before the clock starts
        for r in range(ROUNDS + 1):
            barriers[r].wait()
            t0 = time.perf_counter()
            try:
                client.push("S01", name, work[name][r * BATCH : (r + 1) * BATCH], datetime.now(UTC))
            except Exception as exc:  # counted, not hidden
                errors.append(f"{name}: {exc}")
            took = time.perf_counter() - t0
            with lock:
                (cold if r == 0 else latencies).append(took)
            if r == 0:
                warmed.wait()
        client.close()

    note(f"{TERMINALS} lanes x (1 + {ROUNDS}) rounds (httpx, a thread per lane) ...")
    threads = [threading.Thread(target=lane, args=(n,)) for n in names]
    for t in threads:
        t.start()
    warmed.wait()
    with cpu_meter("hq_push_latency"):
        for t in threads:
            t.join()
    return latencies, cold, alone, errors


def main() -> int:
    with hq_database() as (url, engine):
        names = [f"L{i:03d}" for i in range(TERMINALS)]
        note(f"enrolling {TERMINALS} lanes ...")
        tokens = {t: enrol_token(engine, t) for t in [*names, "SOLO"]}
        work = {t: synth_entries(t, (ROUNDS + 1) * BATCH) for t in [*names, "SOLO"]}
        with hq_process(url, workers=WORKERS) as base:
            run = run_httpx if CLIENT == "httpx" else run_raw
            latencies, cold, alone, errors = run(base, tokens, work, names)
        if errors:
            note(f"{len(errors)} pushes failed, e.g. {errors[0]}")
        emit("hq_push_p50_200_terminals", percentile(latencies, 50) * 1000, "ms", None, percentile(alone, 50) * 1000)
        emit("hq_push_p99_200_terminals", percentile(latencies, 99) * 1000, "ms", 250.0, percentile(alone, 99) * 1000)
        emit("hq_push_p99_cold_round", percentile(cold, 99) * 1000, "ms", None, None)
        emit("hq_push_failures_200_terminals", len(errors), "pushes", 0.0, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
