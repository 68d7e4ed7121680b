"""`counter journal verify`'s re-derivation: entries per second and peak memory
(target ≥ 50,000 entries/s on the 1M-item / 10M-line store).

    .venv/bin/python bench/verify.py --data-dir /tmp/bench-store     # a bench/generate.py store
    .venv/bin/python bench/verify.py --data-dir DIR --runs 3

Times ``db.derive.derive_and_compare`` (every chain folded through counter.projection and
compared with every derived table) apart from the chain and seal walk, which it reports as
well (``db.audit.audit_store`` without the records). Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.derive import derive_and_compare  # noqa: E402
from db.engine import open_database  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/bench-store"))
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--workers", type=int, default=None, help="worker processes for the sales (default: one per core)")
    args = ap.parse_args()
    # check=False: PRAGMA quick_check reads the whole file first (timed on its own by the
    # app's start-up check, not part of the re-derivation)
    db = open_database(args.data_dir, create=False, audit=True, check=False)
    try:
        for run in range(args.runs):
            start = time.perf_counter()
            result = derive_and_compare(db.read, workers=args.workers)
            took = time.perf_counter() - start
            print(
                json.dumps(
                    {
                        "bench": "verify_derive",
                        "run": run + 1,
                        "entries": result.entries,
                        "rows": result.rows,
                        "seconds": round(took, 2),
                        "entries_per_s": round(result.entries / took) if took else None,
                        "differences": result.total_differences,
                        "unchecked_values": result.unchecked,
                        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                        "peak_rss_worker_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
                        "target_entries_per_s": 50_000,
                    }
                ),
                flush=True,
            )
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
