"""Kill Counter at many random moments and check what every restart finds.

    .venv/bin/python scripts/kill_harness.py                 # 1,000 kill points, 2 stores in parallel
    .venv/bin/python scripts/kill_harness.py --points 5000 --workers 4 --seed 7

Builds a small demo store (in a temporary folder, with its own installation key), then
runs tests/trust/harness.py: a real workload (sales with spooled receipts, returns,
paid-ins, sign-ins, shift closes and Z reports) in a subprocess, SIGKILLed at random,
restarted on the same store, checked after every kill. Prints the counts and exits 0
when no acknowledged step was lost, nothing was partial, the database and the journal
always verified, and no print job was offered twice. docs/trust.md records a run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1000, help="kill points in all (default 1000)")
    parser.add_argument("--workers", type=int, default=2, help="stores killed in parallel (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-delay", type=float, default=0.5, help="longest run before a kill, in seconds")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="counter-kill-") as tmp:
        work = args.keep or Path(tmp)
        os.environ.setdefault("COUNTER_SECRET_FILE", str(work / "secret.key"))
        from counter.people.users import PinHasher
        from db.demo import build_demo
        from tests.trust.harness import run

        template = work / "template"
        build_demo(template, days=2, sales_per_day=(3, 5), hasher=PinHasher(time_cost=1, memory_cost=1024)).dispose()
        started = time.monotonic()
        print(f"{args.points} kill points over {args.workers} stores (seed {args.seed})…", flush=True)
        counts = run(template, work, args.points, workers=args.workers, seed=args.seed)
        print(counts.report())
        print(f"took {time.monotonic() - started:.0f} s")
        print("OK: nothing acknowledged was lost, nothing was partial" if counts.ok else "FAILED")
        return 0 if counts.ok else 1


if __name__ == "__main__":
    sys.exit(main())
