"""The kill harness: run the workload (tests/trust/workload.py) in a subprocess, SIGKILL it
at a random moment, and check the store it leaves behind, again and again on the same
store, the way a till is switched off mid-sale and on again.

After every kill (docs/trust.md, "Crash safety"):

* ``PRAGMA integrity_check`` says ok, and the store opens for selling (quick_check,
  migrations, protections, key);
* every step the workload acknowledged (a line in its ack file, written after the
  commit returned) is in the store: sales, returns;
* nothing is partial: every sale has lines, tenders and its journal entry, every return
  its journal entry, and the store's records are exactly what the journal records
  (db.audit.record_problems), with receipt and return numbers gap-free;
* every chain verifies against its sealed head;
* print jobs left queued/sent are exactly the interrupted ones (never one the workload
  saw printed); they are offered once, settled, and not offered again.

``run`` returns the counts; scripts/kill_harness.py prints them. Used with a few hundred
kill points by the test suite and with thousands by the script.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from db import schema as s
from db.audit import audit_store
from db.engine import DB_FILENAME, Database, open_database
from db.spool import interrupted_jobs, settle_interrupted

ROOT = Path(__file__).resolve().parents[2]
#: Alembic's migration context is process-global: the worker threads open stores one at a time.
_OPENING = threading.Lock()


def _open(store: Path) -> Database:
    with _OPENING:
        return open_database(store, create=False)


@dataclass
class Counts:
    kill_points: int = 0
    killed_before_ready: int = 0
    acknowledged_sales: int = 0
    acknowledged_returns: int = 0
    acknowledged_steps: int = 0
    sales_in_store: int = 0
    lost: int = 0  # acknowledged but not in the store
    partial: int = 0  # a sale or return without all its parts, or records beside the journal
    integrity_failures: int = 0
    open_failures: int = 0
    chain_failures: int = 0
    interrupted_jobs_offered: int = 0
    printed_jobs_offered: int = 0  # a job the workload saw printed, offered again: must be 0
    offered_twice: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        for f in fields(self):
            if f.name == "problems":
                self.problems += other.problems
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.partial
            or self.integrity_failures
            or self.open_failures
            or self.chain_failures
            or self.printed_jobs_offered
            or self.offered_twice
        )

    def report(self) -> str:
        lines = [f"{f.name.replace('_', ' ')}: {getattr(self, f.name)}" for f in fields(self) if f.name != "problems"]
        lines += [f"problem: {p}" for p in self.problems[:20]]
        return "\n".join(lines)


def run_worker(template: Path, work: Path, points: int, seed: int, max_delay: float = 0.5) -> Counts:
    """``points`` kills on one store, copied from ``template`` into ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    store = work / "store"
    shutil.copytree(template, store, dirs_exist_ok=True)
    acks = work / "acks.jsonl"
    rng = random.Random(seed)
    counts = Counts()
    offered: set[str] = set()
    runner = _Forking(store, acks, work) if hasattr(os, "fork") else _Spawning(store, acks)
    try:
        for n in range(points):
            early = rng.random() < 0.1  # now and then during start-up itself
            problem = runner.start(seed * 100_000 + n, wait_ready=not early)
            if problem:
                counts.open_failures += 1
                counts.problems.append(f"kill {n}: {problem}")
            time.sleep(rng.uniform(0.0, 0.3 if early else max_delay))
            counts.killed_before_ready += early
            problem = runner.kill()
            if problem:
                counts.open_failures += 1
                counts.problems.append(f"kill {n}: {problem}")
            counts.kill_points += 1
            counts.add(check_store(store, acks, offered, n))
    finally:
        runner.close()
    counts.acknowledged_steps, counts.acknowledged_sales, counts.acknowledged_returns = _ack_totals(acks)
    counts.sales_in_store = _count(store, s.sales)
    return counts


class _Forking:
    """Workloads forked from one warm process (tests/trust/workload.py --zygote)."""

    def __init__(self, store: Path, acks: Path, work: Path) -> None:
        self.errors = (work / "workload.err").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.trust.workload", "--zygote", str(store), str(acks)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
        )
        self.pid = 0

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def start(self, seed: int, *, wait_ready: bool) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{seed}\n")
        self.proc.stdin.flush()
        first = self._line()
        self.ready = first == "READY"
        pid_line = self._line() if self.ready else first
        if not pid_line.startswith("PID "):
            return f"the workload did not start: {pid_line!r}"
        self.pid = int(pid_line.split()[1])
        if wait_ready and not self.ready:
            line = self._line()
            if line == "DONE":  # it stopped by itself before it was ready
                self.pid = 0
                return "the workload stopped before it was ready (see workload.err)"
            self.ready = line == "READY"
        return ""

    def kill(self) -> str:
        if not self.pid:
            return ""
        with contextlib.suppress(ProcessLookupError):  # it may have died on its own
            os.kill(self.pid, signal.SIGKILL)
        line = self._line()
        while line == "READY":
            line = self._line()
        self.pid = 0
        return "" if line == "DONE" else f"the zygote said {line!r}"

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.errors.close()


class _Spawning:
    """One fresh Python process per kill point (where there is no fork)."""

    def __init__(self, store: Path, acks: Path) -> None:
        self.store, self.acks = store, acks
        self.proc: subprocess.Popen[str] | None = None

    def start(self, seed: int, *, wait_ready: bool) -> str:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.trust.workload", str(self.store), str(self.acks), str(seed)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        if wait_ready and self.proc.stdout is not None and self.proc.stdout.readline().strip() != "READY":
            return "the workload did not start"
        return ""

    def kill(self) -> str:
        assert self.proc is not None
        stopped = self.proc.poll() is not None
        self.proc.kill()
        self.proc.communicate()
        return "the workload stopped by itself" if stopped else ""

    def close(self) -> None:
        pass


def check_store(store: Path, acks: Path, offered: set[str], n: int) -> Counts:
    """Everything a restart must find, after kill ``n``."""
    counts = Counts()
    conn = sqlite3.connect(store / DB_FILENAME)  # recovers the WAL, as any next open does
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    finally:
        conn.close()
    if result != ["ok"]:
        counts.integrity_failures += 1
        counts.problems.append(f"kill {n}: integrity_check: {result[:3]}")
        return counts
    try:
        db = _open(store)
    except Exception as exc:  # noqa: BLE001 - any failure to open is what we count
        counts.open_failures += 1
        counts.problems.append(f"kill {n}: the store does not open: {exc}")
        return counts
    try:
        steps = [json.loads(line) for line in acks.read_text().splitlines()] if acks.exists() else []
        with db.read.connect() as c:
            sale_ids = set(c.execute(select(s.sales.c.id)).scalars())
            return_ids = set(c.execute(select(s.returns.c.id)).scalars())
            line_sales = set(c.execute(select(s.sale_lines.c.sale_id).distinct()).scalars())
            tender_sales = set(c.execute(select(s.tenders.c.sale_id).distinct()).scalars())
            states = dict(c.execute(select(s.print_jobs.c.id, s.print_jobs.c.state)).all())
        for step in steps:
            if step["op"] == "sale" and step["id"] not in sale_ids:
                counts.lost += 1
                counts.problems.append(f"kill {n}: acknowledged sale {step['receipt']} is missing")
            if step["op"] == "return" and step["id"] not in return_ids:
                counts.lost += 1
                counts.problems.append(f"kill {n}: acknowledged return {step['number']} is missing")
        for sale_id in sale_ids - line_sales | sale_ids - tender_sales:
            counts.partial += 1
            counts.problems.append(f"kill {n}: sale {sale_id} has no lines or no tenders")
        audit = audit_store(db.read, db.secret)
        counts.partial += len(audit.record_problems)
        counts.problems += [f"kill {n}: {p}" for p in audit.record_problems]
        bad_chains = [f"{t}: {v.describe()}" for t, v in audit.chains.items() if not v.ok]
        if bad_chains or audit.missing_triggers:
            counts.chain_failures += 1
            counts.problems.append(f"kill {n}: {bad_chains} {audit.missing_triggers}")
        printed = {step["job"] for step in steps if step["op"] == "printed"}
        jobs = interrupted_jobs(db.read)
        for job in jobs:
            if job["id"] in printed:
                counts.printed_jobs_offered += 1
                counts.problems.append(f"kill {n}: job {job['id']} was printed but is offered again")
            if job["id"] in offered:
                counts.offered_twice += 1
            offered.add(job["id"])
        counts.interrupted_jobs_offered += len(jobs)
        # The cashier has been offered them: settled, they never come back.
        settle_interrupted(db.write, [j["id"] for j in jobs], datetime.now(UTC))
        if interrupted_jobs(db.read):
            counts.offered_twice += 1
            counts.problems.append(f"kill {n}: interrupted jobs are still offered after being settled")
        for job_id in printed:
            if states.get(job_id) != "done":
                counts.lost += 1
                counts.problems.append(f"kill {n}: printed job {job_id} is {states.get(job_id)!r}, not done")
    finally:
        db.dispose()
    return counts


def _ack_totals(acks: Path) -> tuple[int, int, int]:
    if not acks.exists():
        return 0, 0, 0
    steps = [json.loads(line) for line in acks.read_text().splitlines()]
    return len(steps), sum(st["op"] == "sale" for st in steps), sum(st["op"] == "return" for st in steps)


def _count(store: Path, table: object) -> int:
    db = _open(store)
    try:
        with db.read.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]
    finally:
        db.dispose()


def run(template: Path, work: Path, points: int, *, workers: int = 2, seed: int = 1) -> Counts:
    """``points`` kills spread over ``workers`` stores killed in parallel."""
    share = [points // workers + (1 if i < points % workers else 0) for i in range(workers)]
    total = Counts()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(run_worker, template, work / f"worker-{i}", k, seed * 1000 + i)
            for i, k in enumerate(share)
            if k
        ]
        for future in futures:
            total.add(future.result())
    return total
