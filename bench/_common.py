"""Shared helpers for the benchmark scripts: paths, timing statistics, JSON figure lines.

Every benchmark prints one JSON object per line:
``{"name", "value", "unit", "target", "floor"}``. ``target`` is the issue's bound (an upper
bound: the figure meets it when ``value <= target``), ``floor`` is the same operation done
the most direct way (raw ``sqlite3``) in the same run, or ``null`` where there is none.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from anywhere
    sys.path.insert(0, str(ROOT))

DEFAULT_DATA_DIR = Path(os.environ.get("COUNTER_BENCH_DIR", "/tmp/bench-store"))
DB_FILENAME = "counter.sqlite3"
MANIFEST = "bench-dataset.json"


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="store made by bench/generate.py")
    p.add_argument("--seed", type=int, default=1234, help="seed for picking the sample")
    return p


def require_dataset(data_dir: Path) -> dict[str, Any]:
    """The generator's manifest; exits with a clear message if the dataset is not complete."""
    path = data_dir / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        sys.exit(f"No benchmark dataset in {data_dir}: run `python bench/generate.py --data-dir {data_dir}` first.")
    if manifest.get("phase") != "complete":
        sys.exit(f"The dataset in {data_dir} is not complete: run bench/generate.py again to finish it.")
    now = migration_fingerprint()
    changed = [name for name, digest in manifest.get("migrations", {}).items() if now.get(name) != digest]
    if changed:
        print(
            f"warning: {', '.join(changed)} changed since the dataset was built; bench/generate.py will build it again",
            file=sys.stderr,
        )
    return manifest


def migration_fingerprint() -> dict[str, str]:
    """SHA-256 (short) of each migration file of this tree. bench/generate.py records it: a
    store migrated by a revision whose file was edited since is rebuilt rather than trusted."""
    import hashlib

    versions = ROOT / "db" / "migrations" / "versions"
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest()[:16] for f in sorted(versions.glob("*.py"))}


def raw_connect(data_dir: Path, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """A plain sqlite3 connection with the app's pragmas (WAL, synchronous, foreign keys)
    and, where the store seals its journal, the sealing functions (see ``install_sealing``)."""
    conn = sqlite3.connect(data_dir / DB_FILENAME, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    install_sealing(conn)
    return conn


def journal_is_sealed(conn: sqlite3.Connection) -> bool:
    return any(r[1] == "seal" for r in conn.execute("PRAGMA table_info(journal)"))


def install_sealing(conn: sqlite3.Connection) -> bool:
    """Stores from migration 0006 on seal each journal entry (``counter_seal``, an HMAC under
    the installation key) and check the seal in a trigger. A raw connection that appends to
    the journal registers the same SQL functions, as db.engine documents for bulk loaders
    and benchmarks. Returns whether the journal is sealed."""
    if not journal_is_sealed(conn):
        return False
    from db.engine import install_functions
    from db.keys import load_secret

    install_functions(conn, load_secret())
    return True


def journal_insert_sql(conn: sqlite3.Connection) -> str:
    """INSERT for a journal row given as (terminal_id, seq, id, type, at, body, prev_hash, hash)."""
    columns = "terminal_id, seq, id, type, at, body, prev_hash, hash"
    if journal_is_sealed(conn):
        return f"INSERT INTO journal ({columns}, seal) VALUES (?1,?2,?3,?4,?5,?6,?7,?8, counter_seal(?1, ?2, ?8))"
    return f"INSERT INTO journal ({columns}) VALUES (?,?,?,?,?,?,?,?)"


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of the samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    n = len(ordered)
    if n == 0:
        return math.nan
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def time_each(fn: Callable[[Any], object], args: Sequence[Any]) -> list[float]:
    """Seconds taken by fn(arg) for each arg, in order."""
    out = []
    clock = time.perf_counter
    for a in args:
        t0 = clock()
        fn(a)
        out.append(clock() - t0)
    return out


def runs_percentile(runs: Sequence[Sequence[float]], p: float) -> float:
    """The median over runs of each run's p-th percentile (robust to one noisy run)."""
    return median([percentile(r, p) for r in runs])


def emit(name: str, value: float, unit: str, target: float | None = None, floor: float | None = None) -> None:
    def clean(x: float | None) -> float | None:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return None
        return round(float(x), 4 if abs(x) < 100 else 1)

    line = {"name": name, "value": clean(value), "unit": unit, "target": clean(target), "floor": clean(floor)}
    print(json.dumps(line), flush=True)


def note(text: str) -> None:
    """Progress and context go to stderr, so stdout stays JSON lines."""
    print(text, file=sys.stderr, flush=True)


def ms(seconds: Sequence[float]) -> list[float]:
    return [s * 1000 for s in seconds]


def app_context(data_dir: Path, **overrides: object) -> Any:
    """``app.context.build_context`` on the benchmark store (the app's own wiring: engines,
    pragmas, catalog, unit of work). A window built on it does not start the integrity
    check behind the sign-in screen: it reads the whole file for ~20 s (bench/cold_start.py
    times it; here it would compete with every script's measurement)."""
    from app.context import build_context

    ctx = build_context(data_dir, demo=False, overrides={"integrity_check_at_start": False, **overrides})
    settle_open_print_jobs(ctx)
    return ctx


def settle_open_print_jobs(ctx: Any) -> int:
    """Benchmark processes end with ``os._exit`` while receipts may still be printing; the
    next sign-in would then offer to reprint them in a modal dialog (db/spool.py) and a
    script that signs in would wait on it until the idle lock fires. Mark them settled."""
    from datetime import UTC, datetime

    from counter.trust.outbox import DueState
    from db.spool import interrupted_jobs, settle_interrupted

    with ctx.uow() as uow:  # receipts and drawer openings left due (counter.trust.outbox): offered the same way
        for item in [*uow.outbox.pending(), *uow.outbox.pending_drawers()]:
            uow.outbox.settle(item.id, DueState.DONE, datetime.now(UTC))
        uow.commit()
    return settle_interrupted(ctx.db.write, [j["id"] for j in interrupted_jobs(ctx.db.read)], datetime.now(UTC))


def printed_code(gtin14: str) -> str:
    """The digits printed under the bars: UPC-A (12) for GTIN-12s, else EAN-13."""
    return gtin14[2:] if gtin14.startswith("00") else gtin14[1:]


def random_rowids(conn: sqlite3.Connection, table: str, n: int, seed: int) -> list[int]:
    import random

    top = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]
    rng = random.Random(seed)
    return rng.sample(range(1, top + 1), min(n, top))
