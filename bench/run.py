"""Run every benchmark, print their JSON lines and write bench/results/latest.jsonl.

    python bench/run.py                 # on /tmp/bench-store (1M items, 10M lines): generate it first
    python bench/run.py --quick         # on /tmp/bench-store-quick (50k items, 200k lines), made if missing
    python bench/run.py --only search   # some of them
    python bench/run.py --terminal      # the terminal's only (no PostgreSQL needed)

Each benchmark runs in its own process (Qt and SQLAlchemy state do not leak between them).
Progress goes to stderr; stdout is only the JSON lines. A benchmark that fails is reported
on stderr and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TERMINAL_BENCHES = (
    "barcode_lookup",
    "search",
    "sale_commit",
    "scan_to_paint",
    "receipt_lookup",
    "cold_start",
    "close_day",
    "soak",
)
#: HQ's (issue "Upstream"): each makes and drops its own PostgreSQL database (COUNTER_BENCH_PG)
HQ_BENCHES = ("hq_ingest", "hq_backlog", "hq_catalog_pull", "hq_push_latency", "hq_scale", "office_pages")
BENCHES = TERMINAL_BENCHES + HQ_BENCHES
QUICK_DIR = Path("/tmp/bench-store-quick")
QUICK_SIZE = ("--items", "50000", "--lines", "200000")


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of the machine's CPU time (all cores) spent busy over ``seconds``, from /proc/stat:
    other work on the box (test suites, builds) disturbs latency figures."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return float("nan")
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_idle(limit: float, max_wait: float) -> float:
    """Wait (up to max_wait seconds) until the machine is less than ``limit`` busy."""
    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy > limit and time.monotonic() < deadline:
        print(f"   waiting: the machine is {busy:.0%} busy", file=sys.stderr, flush=True)
        time.sleep(5)
        busy = cpu_busy()
    return busy


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--quick", action="store_true", help="small dataset (made if missing), fewer samples")
    p.add_argument("--only", nargs="*", choices=BENCHES, default=None)
    p.add_argument("--terminal", action="store_true", help="only the terminal's benchmarks (no HQ, no PostgreSQL)")
    p.add_argument("--out", type=Path, default=HERE / "results" / "latest.jsonl")
    p.add_argument("--cold-cache", action="store_true", help="cold_start: also one start with the db out of cache")
    p.add_argument("--merge", action="store_true", help="keep the other benchmarks' lines already in --out")
    p.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each benchmark, wait up to this long for the CPU to be under 25%% busy",
    )
    args = p.parse_args()
    data_dir = args.data_dir or (QUICK_DIR if args.quick else Path("/tmp/bench-store"))
    chosen = list(args.only or (TERMINAL_BENCHES if args.terminal else BENCHES))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))

    if not any(name in TERMINAL_BENCHES for name in chosen):
        pass  # HQ's benchmarks make their own data
    elif args.quick:
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), "--data-dir", str(data_dir), *QUICK_SIZE], check=True, env=env
        )
    elif not (data_dir / "bench-dataset.json").exists():
        sys.exit(f"No dataset in {data_dir}: run `python bench/generate.py --data-dir {data_dir}` (about 10 minutes).")

    extra = {
        "sale_commit": ["--n", "50"] if args.quick else [],
        "scan_to_paint": ["--n", "40"] if args.quick else [],
        "cold_start": (["--runs", "2", "--check-runs", "1", "--sales", "100"] if args.quick else [])
        + (["--cold-cache"] if args.cold_cache else []),
        "barcode_lookup": ["--n", "2000"] if args.quick else [],
        "close_day": ["--sales", "500", "--runs", "1"] if args.quick else [],
        # a long shift through the screen (issue #22): 10,000 sales take about 10 minutes
        "soak": ["--sales", "2000", "--every", "250"] if args.quick else [],
        # the back office's pages (issue #18): 100 stores x 1 year takes about 9 minutes
        "office_pages": ["--stores", "10", "--days", "60", "--runs", "10"] if args.quick else [],
        # 1,000 lanes at once against 1 and 2 HQ processes (docs/scaling.md): about 3 minutes
        "hq_scale": ["--lanes", "200", "--rounds", "2"] if args.quick else [],
    }
    lines: list[dict[str, object]] = []
    failed = []
    t_all = time.perf_counter()
    busy: dict[str, float] = {}
    for name in chosen:
        busy[name] = round(wait_idle(0.25, args.wait_idle) if args.wait_idle else cpu_busy(), 2)
        t0 = time.perf_counter()
        print(f"== {name} (machine {busy[name]:.0%} busy before it)", file=sys.stderr, flush=True)
        where = extra.get(name, []) if name in HQ_BENCHES else ["--data-dir", str(data_dir), *extra.get(name, [])]
        proc = subprocess.run(
            [sys.executable, str(HERE / f"{name}.py"), *where],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                print(line, flush=True)
                lines.append(json.loads(line))
        if proc.returncode != 0:
            failed.append(name)
            print(f"!! {name} failed with status {proc.returncode}", file=sys.stderr, flush=True)
        print(f"   {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)

    dataset = data_dir / "bench-dataset.json"
    manifest = json.loads(dataset.read_text(encoding="utf-8")) if dataset.exists() else {}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.merge and args.out.exists():  # keep the lines of benchmarks not run this time
        kept = [json.loads(x) for x in args.out.read_text(encoding="utf-8").splitlines() if x.strip()]
        lines = [x for x in kept if _bench_of(str(x["name"])) not in chosen] + lines
    with args.out.open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line) + "\n")
    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(data_dir),
        "counts": manifest.get("counts"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "seconds": round(time.perf_counter() - t_all),
        "ran": chosen,
        "cpu_busy_before": busy,
        "loadavg_after": os.getloadavg(),
    }
    meta_path = args.out.with_suffix(".meta.json")
    if args.merge and meta_path.exists():  # the other benchmarks' conditions, as recorded then
        before = json.loads(meta_path.read_text(encoding="utf-8"))
        meta["cpu_busy_before"] = {**before.get("cpu_busy_before", {}), **busy}
        meta["earlier_runs"] = [*before.get("earlier_runs", []), {k: before.get(k) for k in ("when", "commit", "ran")}]
    args.out.with_suffix(".meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"== all: {meta['seconds']} s; wrote {args.out} ({json.dumps(meta)})", file=sys.stderr)
    return 1 if failed else 0


def _bench_of(figure: str) -> str:
    """The benchmark that prints a figure (by the figure's name)."""
    prefixes = {
        "sale_commit_mean_while_ringing": "close_day",
        "close_day": "close_day",
        "barcode_lookup": "barcode_lookup",
        "search": "search",
        "sale_commit": "sale_commit",
        "scan_to_paint": "scan_to_paint",
        "receipt": "receipt_lookup",
        "lowest_recent_price": "receipt_lookup",
        "cold_start": "cold_start",
        "soak": "soak",
        "rss": "cold_start",
        "hq_ingest": "hq_ingest",
        "office": "office_pages",
        "hq_backlog": "hq_backlog",
        "hq_catalog": "hq_catalog_pull",
        "hq_push": "hq_push_latency",
        "hq_scale": "hq_scale",
    }
    return next((bench for prefix, bench in prefixes.items() if figure.startswith(prefix)), "")


def _git(*args: str) -> str:
    """git's answer in this tree; in an exported tree (``git archive``) the commit comes from
    a ``.commit`` file written next to it, if any."""
    try:
        proc = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT, timeout=10)
        if proc.returncode == 0:
            return proc.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    marker = ROOT / ".commit"
    if args[0] == "rev-parse" and marker.exists():
        return marker.read_text(encoding="utf-8").strip()[:7]
    return ""


if __name__ == "__main__":
    sys.exit(main())
