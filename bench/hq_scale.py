"""A chain's HQ over one and over two processes: 1,000 lanes pushing at once (issue #22, 6).

1,000 enrolled lanes each hold one keep-alive connection to HQ. In each round every lane
pushes a batch of 5 journal entries (about 9 in 10 sales of 3 lines, as a busy lane's)
at the same moment, and the round ends when every lane has its answer; one warming round,
then ``--rounds`` measured ones. Figures: the latency of one push (p50/p95/p99, target
p99 250 ms), throughput (pushes and entries a second over the measured rounds), failures.

HQ is the real command, ``counter hq serve --workers N`` (N = 1, then 2; the jobs off),
over one PostgreSQL database. The load generator is its OWN process (asyncio, raw
HTTP/1.1 as the terminal's client sends it: ``hq_push_latency.RawLane``), optionally
pinned to one CPU (``--pin-generator CPU``, ``os.sched_setaffinity``). On a two-core
machine it competes with HQ and PostgreSQL, so each run also reports the CPU each of
them used over the measured rounds, as a share of ONE core: the generator, HQ's
processes, PostgreSQL's, and the whole machine (other work included) as a share of all.

    python bench/hq_scale.py [--lanes 1000] [--rounds 3] [--workers 1 2] [--pin-generator 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson  # noqa: E402
from hq_support import ROOT, _cpu_times, emit, enrol_token, hq_database, note, percentile, synth_entries  # noqa: E402

from counter.journal import JournalEntry  # noqa: E402

BATCH = 5
TICKS = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------- CPU accounting


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process, from /proc (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(x) for x in (task / "children").read_text().split()]
    return out


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += _children(p)
    return found


def _postgres_pids() -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == "postgres":
                    out.append(int(d.name))
            except OSError:
                pass
    return out


class Meter:
    """CPU of the HQ processes, PostgreSQL's and this process, and the machine, over a span."""

    def __init__(self, hq_pids: list[int]) -> None:
        self.hq_pids = hq_pids

    def sample(self) -> dict[str, float]:
        me = resource.getrusage(resource.RUSAGE_SELF)
        busy, total = _cpu_times()
        return {
            "wall": time.perf_counter(),
            "generator": me.ru_utime + me.ru_stime,
            "hq": sum(_proc_cpu(p) for p in self.hq_pids),
            "postgres": sum(_proc_cpu(p) for p in _postgres_pids()),
            "busy": busy,
            "total": total,
        }

    @staticmethod
    def shares(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
        wall = b["wall"] - a["wall"]
        out = {k: 100.0 * (b[k] - a[k]) / wall for k in ("generator", "hq", "postgres")}  # % of one core
        out["machine_busy"] = 100.0 * (b["busy"] - a["busy"]) / max(1, b["total"] - a["total"])
        out["wall"] = wall
        return out


# ------------------------------------------------------------------- the generator


def generate(work_file: Path, base: str, first: int, rounds: int, hq_pids: list[int], pin: int | None) -> int:
    """The load generator's process: every lane pushes batch ``first + r`` in round r."""
    from hq_push_latency import RawLane

    if pin is not None:
        os.sched_setaffinity(0, {pin})
    work = orjson.loads(work_file.read_bytes())
    lanes_of = {name: [JournalEntry(*e) for e in lane["entries"]] for name, lane in work.items()}
    host, port = base.removeprefix("http://").split(":")
    meter = Meter(hq_pids)

    async def main() -> dict[str, Any]:
        lanes = {n: RawLane(host, int(port), work[n]["token"]) for n in work}
        await asyncio.gather(*(lane.open() for lane in lanes.values()))  # connected before the clock starts
        latencies: list[float] = []
        errors: list[str] = []

        async def one(name: str, batch: int) -> None:
            entries = lanes_of[name][batch * BATCH : (batch + 1) * BATCH]
            t0 = time.perf_counter()
            try:
                await lanes[name].push("S01", name, entries)
            except Exception as exc:  # counted, not hidden
                errors.append(f"{name}: {exc!r}")
            latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(one(n, first) for n in lanes))  # the warming round
        cold = latencies[:]
        latencies.clear()
        before = meter.sample()
        walls = []
        for r in range(1, rounds + 1):
            t0 = time.perf_counter()
            await asyncio.gather(*(one(n, first + r) for n in lanes))
            walls.append(time.perf_counter() - t0)
        after = meter.sample()
        await asyncio.gather(*(lane.close() for lane in lanes.values()))
        return {
            "latencies": latencies,
            "cold": cold,
            "errors": errors,
            "walls": walls,
            "cpu": Meter.shares(before, after),
            "affinity": sorted(os.sched_getaffinity(0)),
        }

    print(json.dumps(asyncio.run(main())), flush=True)
    return 0


# -------------------------------------------------------------------- the driver


def serve_hq(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """``counter hq serve --workers N`` on a loopback port; returns once it answers."""
    import httpx

    from hq.serve import free_port

    port = free_port()
    argv = [sys.executable, "-m", "cli.main", "hq", "serve", "--database-url", url, "--port", str(port)]
    argv += ["--workers", str(workers), "--refresh-analysis", "0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COUNTER_HQ_LOG_LEVEL": "WARNING"}
    log = tempfile.NamedTemporaryFile(prefix="hq-scale-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"HQ did not start (its log: {log.name})")
        time.sleep(0.2)
    time.sleep(2.0 if workers > 1 else 0.5)  # every worker up (health answered by the first)
    return proc, base


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def drive(args: argparse.Namespace) -> int:
    per_run = args.rounds + 1
    with hq_database() as (url, engine):
        names = [f"L{i:04d}" for i in range(args.lanes)]
        note(f"enrolling {args.lanes} lanes and making their entries ...")
        work = {}
        for n in names:
            entries = synth_entries(n, per_run * len(args.workers) * BATCH)
            work[n] = {"token": enrol_token(engine, n), "entries": [list(vars(e).values()) for e in entries]}
        with tempfile.TemporaryDirectory() as tmp:
            work_file = Path(tmp) / "work.json"
            work_file.write_bytes(orjson.dumps(work))
            del work
            results = {}
            for k, workers in enumerate(args.workers):
                proc, base = serve_hq(url, workers)
                try:
                    hq_pids = _tree(proc.pid)
                    note(f"{args.lanes} lanes x (1 + {args.rounds}) rounds against {workers} HQ process(es) {hq_pids}")
                    argv = [sys.executable, __file__, "--generate", str(work_file), "--base", base]
                    argv += ["--first", str(k * per_run), "--rounds", str(args.rounds)]
                    argv += ["--hq-pids", ",".join(map(str, hq_pids))]
                    if args.pin_generator is not None:
                        argv += ["--pin-generator", str(args.pin_generator)]
                    out = subprocess.run(argv, check=True, stdout=subprocess.PIPE, cwd=ROOT).stdout
                    results[workers] = json.loads(out.decode().strip().splitlines()[-1])
                finally:
                    stop(proc)
                report(args.lanes, workers, results[workers])
    if len(results) > 1 and 1 in results:
        one = throughput(results[1])
        for workers in results:
            if workers != 1:
                emit(f"hq_scale_throughput_{workers}proc_over_1proc", throughput(results[workers]) / one, "x")
    return 0


def throughput(result: dict[str, Any]) -> float:
    return len(result["latencies"]) / sum(result["walls"])


def report(lanes: int, workers: int, r: dict[str, Any]) -> None:
    tag = f"{lanes}_lanes_{workers}proc"
    lat = r["latencies"]
    if r["errors"]:
        note(f"{len(r['errors'])} pushes failed, e.g. {r['errors'][0]}")
    emit(f"hq_scale_push_p50_{tag}", percentile(lat, 50) * 1000, "ms")
    emit(f"hq_scale_push_p95_{tag}", percentile(lat, 95) * 1000, "ms")
    emit(f"hq_scale_push_p99_{tag}", percentile(lat, 99) * 1000, "ms", 250.0)
    emit(f"hq_scale_push_p99_cold_round_{tag}", percentile(r["cold"], 99) * 1000, "ms")
    emit(f"hq_scale_round_{tag}", sum(r["walls"]) / len(r["walls"]) * 1000, "ms")
    emit(f"hq_scale_throughput_{tag}", throughput(r), "pushes/s")
    emit(f"hq_scale_entries_per_s_{tag}", throughput(r) * BATCH, "entries/s")
    emit(f"hq_scale_failures_{tag}", len(r["errors"]), "pushes", 0.0)
    cpu = r["cpu"]
    for who in ("generator", "hq", "postgres"):  # % of one core over the measured rounds
        emit(f"hq_scale_cpu_{who}_{tag}", cpu[who], "% of a core")
    for who in ("generator", "hq", "postgres"):  # CPU a push costs: what the figures above need when alone
        emit(f"hq_scale_cpu_ms_per_push_{who}_{tag}", cpu[who] / 100 / throughput(r) * 1000, "ms")
    emit(f"hq_scale_cpu_machine_busy_{tag}", cpu["machine_busy"], "%")
    emit(f"hq_scale_generator_cpus_{tag}", float(len(r["affinity"])), "cpus")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lanes", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3, help="measured rounds (after one warming round)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="HQ processes, one run each")
    p.add_argument("--pin-generator", type=int, default=None, metavar="CPU", help="pin the load generator to a CPU")
    p.add_argument("--generate", type=Path, default=None, help=argparse.SUPPRESS)  # the generator's process
    p.add_argument("--base", default="", help=argparse.SUPPRESS)
    p.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--hq-pids", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.generate is not None:
        pids = [int(x) for x in args.hq_pids.split(",") if x]
        return generate(args.generate, args.base, args.first, args.rounds, pids, args.pin_generator)
    return drive(args)


if __name__ == "__main__":
    sys.exit(main())
