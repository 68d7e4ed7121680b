"""Shared by the HQ benchmarks: a throwaway PostgreSQL database, HQ served on loopback,
synthetic journal entries, enrolled lanes, and the JSON figure lines.

Each benchmark prints ``{"name", "value", "unit", "target", "floor"}`` lines (stdout);
progress goes to stderr. PostgreSQL comes from ``COUNTER_BENCH_PG`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``); the benchmark creates its own
database and drops it when done. Traffic goes to 127.0.0.1 only, bounded in count.
"""

from __future__ import annotations

import json
import math
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/hq_x.py` from anywhere
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, text  # noqa: E402

from counter.journal import GENESIS, EventType, JournalEntry, make_entry  # noqa: E402

PG_ADMIN_URL = os.environ.get("COUNTER_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def emit(name: str, value: float, unit: str, target: float | None = None, floor: float | None = None) -> None:
    def clean(x: float | None) -> float | None:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return None
        return round(float(x), 4 if abs(x) < 100 else 1)

    print(
        json.dumps({"name": name, "value": clean(value), "unit": unit, "target": clean(target), "floor": clean(floor)})
    )
    sys.stdout.flush()


def note(text_: str) -> None:
    print(text_, file=sys.stderr, flush=True)


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


@contextmanager
def cpu_meter(name: str) -> Iterator[None]:
    """Emit how busy the machine's CPUs were (all processes: ours, PostgreSQL and anything
    else running) over the block, and the 1-minute load average at its end. The machine is
    shared, so a figure is only meaningful beside these two."""
    try:
        busy0, total0 = _cpu_times()
    except OSError:
        yield
        return
    yield
    busy1, total1 = _cpu_times()
    emit(f"{name}_cpu_busy", 100.0 * (busy1 - busy0) / max(1, total1 - total0), "%", None, None)
    emit(f"{name}_loadavg_1m", os.getloadavg()[0], "", None, None)
    emit(f"{name}_cpus", float(os.cpu_count() or 0), "", None, None)


@contextmanager
def hq_database(keep: bool = False) -> Iterator[tuple[str, Engine]]:
    """A fresh, migrated HQ database with the demo chain's reference data; dropped after
    (unless ``keep``: then its URL is noted, to be used again or dropped by hand)."""
    from hq.store import make_engine, migrate

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"counter_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url, pool_size=4)
    try:
        migrate(engine)
        seed_reference(engine)
        yield url, engine
    finally:
        engine.dispose()
        if keep:
            note(f"kept the database: {url}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed_reference(engine: Engine) -> None:
    from cli.sync import demo_reference_data
    from counter.barcodes import canonical_gtin
    from counter.people.users import PinHasher
    from db.demo import DEMO_DIR, DEMO_USERS, TAX_CLASSES
    from hq.catalog import seed

    hasher = PinHasher(time_cost=1, memory_cost=1024)
    seed(engine, **demo_reference_data(hasher, DEMO_DIR, DEMO_USERS, TAX_CLASSES, canonical_gtin))


def enrol_token(engine: Engine, terminal: str, store: str = "S01") -> str:
    from hq import access

    _store, _terminal, token = access.enrol(engine, access.new_enrol_code(engine, store, terminal))
    return token


def sale_body(n: int, lines: int = 3) -> dict[str, Any]:
    """A SaleCompleted body shaped as counter.sales.sale.Sale.journal_body makes it."""
    body_lines = [
        {
            "line_id": str(uuid.uuid4()),
            "item_id": f"item-{1 + (n * 7 + k) % 700:06d}",
            "sku": f"SKU-{k}",
            "name": "Men's Crew Neck T-Shirt, Navy, M",
            "qty": 1 + k % 2,
            "unit_price": 999,
            "line_discount": 0,
            "order_discount": 0,
            "amount": 999 * (1 + k % 2),
            "tax": 82 * (1 + k % 2),
            "gross": 1081 * (1 + k % 2),
            "tax_code": "A",
            "tax_rate": "0.0825",
        }
        for k in range(lines)
    ]
    total = sum(int(ln["gross"]) for ln in body_lines)  # type: ignore[call-overload]
    base = sum(int(ln["amount"]) for ln in body_lines)  # type: ignore[call-overload]
    tax = sum(int(ln["tax"]) for ln in body_lines)  # type: ignore[call-overload]
    return {
        "sale_id": str(uuid.uuid4()),
        "receipt_number": f"S01-B{uuid.uuid4().hex[:12]}-{n:06d}",
        "store": "S01",
        "cashier": "u-cashier-1",
        "cashier_name": "Maria Lopez",
        "currency": "USD",
        "prices_include_tax": False,
        "lines": body_lines,
        "taxes": [{"code": "A", "label": "Sales tax", "rate": "0.0825", "base": base, "tax": tax}],
        "tenders": [
            {
                "kind": "card",
                "amount": total,
                "tendered": total,
                "card_brand": "Visa",
                "card_last4": "4242",
                "approval_code": "A1B2C3",
            }
        ],
        "rounding": 0,
        "total": total,
    }


def synth_entries(terminal: str, n: int, *, start: int = 1, prev: str = GENESIS) -> list[JournalEntry]:
    """``n`` chained entries: about 9 in 10 sales, the rest sign-ins (a busy lane's mix)."""
    out = []
    now = datetime.now(UTC)
    for seq in range(start, start + n):
        if seq % 10 == 0:
            e = make_entry(terminal, seq, str(uuid.uuid4()), EventType.SIGNED_IN, now, {"user": "u-cashier-1"}, prev)
        else:
            e = make_entry(terminal, seq, str(uuid.uuid4()), EventType.SALE_COMPLETED, now, sale_body(seq), prev)
        out.append(e)
        prev = e.hash
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


@contextmanager
def hq_process(url: str, workers: int = 2) -> Iterator[str]:
    """HQ as its own uvicorn process(es) on a loopback port, as in production (HQ is
    stateless, so several workers share one database); stopped after."""
    import subprocess
    import time

    import httpx

    from hq.serve import KEEP_ALIVE_SECONDS, URL_ENV, free_port

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "hq.serve:app_from_env",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
            "--timeout-keep-alive",
            str(KEEP_ALIVE_SECONDS),
        ],
        env={**os.environ, URL_ENV: url},
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/v1/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("HQ did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
