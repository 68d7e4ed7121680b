"""Several HQ processes over one PostgreSQL database (docs/scaling.md): two real
``counter hq serve`` processes, as two machines behind a load balancer would run.

* Only one of them runs the once-per-deployment jobs (hq/leader.py); when it stops, the
  other takes them over.
* Both answer pushes, and when both receive the same batches of one lane at once every
  entry is stored exactly once (the lane's row lock in hq/ingest.py, across processes).
* ``Leader`` in one process: two leaders over one database, one leads at a time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from counter.journal import GENESIS, EventType, JournalEntry, make_entry
from db.hq_client import HqClient
from hq import access, leader as lead, schema as hs
from hq.serve import deployment_jobs, free_port
from tests.hq.conftest import reset_hq

ROOT = Path(__file__).resolve().parents[2]


def entries(terminal: str, n: int) -> list[JournalEntry]:
    out, prev = [], GENESIS
    now = datetime.now(UTC)
    for seq in range(1, n + 1):
        e = make_entry(terminal, seq, str(uuid.uuid4()), EventType.SIGNED_IN, now, {"user": "u-cashier-1"}, prev)
        out.append(e)
        prev = e.hash
    return out


class Served:
    """One ``counter hq serve`` in its own process, its log in a file."""

    def __init__(self, url: str, log: Path, *extra: str) -> None:
        self.port = free_port()
        self.log = log
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "COUNTER_HQ_LOG_LEVEL": "DEBUG",  # each job's run is a DEBUG line of hq.leader
        }
        argv = [sys.executable, "-m", "cli.main", "hq", "serve", "--database-url", url, "--port", str(self.port)]
        with log.open("wb") as out:
            self.proc = subprocess.Popen([*argv, *extra], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.base}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"HQ on {self.port} did not start: {self.log.read_text()}")

    def ran(self) -> int:
        """How many job runs this process's log shows."""
        return self.log.read_text().count("ran analysis-refresh")

    def leads(self) -> bool:
        return f"HQ process {self.proc.pid} leads" in self.log.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_for(what: Any, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.2)


@pytest.fixture
def two(pg_url: str, hq_engine: Engine, reference_data: dict[str, object], tmp_path: Path) -> Iterator[list[Served]]:
    reset_hq(hq_engine, reference_data)
    # the first leads (it starts alone); the second, with two uvicorn workers, follows
    first = Served(pg_url, tmp_path / "a.log", "--refresh-analysis", "0.3")
    both = [first]
    try:
        first.wait_up()
        wait_for(first.leads)
        both.append(Served(pg_url, tmp_path / "b.log", "--refresh-analysis", "0.3", "--workers", "2"))
        both[1].wait_up()
        yield both
    finally:
        for s in both:
            s.stop()


def test_two_processes_one_runs_the_jobs_both_take_pushes_exactly_once(two: list[Served], hq_engine: Engine) -> None:
    a, b = two
    token = access.enrol(hq_engine, access.new_enrol_code(hq_engine, "S01", "T01"))[2]
    work = entries("T01", 45)
    clients = [HqClient(a.base, token, timeout=30), HqClient(b.base, token, timeout=30)]
    answers: list[dict[str, Any]] = []
    failures: list[BaseException] = []

    def push(client: HqClient, batch: list[JournalEntry], gate: threading.Barrier) -> None:
        gate.wait()
        try:
            answers.append(client.push("S01", "T01", batch, datetime.now(UTC)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    try:
        for start in range(0, 40, 5):  # each batch sent to both processes at the same moment
            batch = work[start : start + 5]
            gate = threading.Barrier(2)
            threads = [threading.Thread(target=push, args=(c, batch, gate)) for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        for c in clients:
            c.close()
    assert not failures, failures
    assert len(answers) == 16 and all(x["acked_seq"] % 5 == 0 for x in answers)
    assert sum(x["stored"] for x in answers) == 40  # each entry stored by exactly one of the two
    assert sum(x["repeated"] for x in answers) == 40  # and acknowledged as a repeat by the other
    with hq_engine.connect() as conn:
        j = hs.journal
        seqs = conn.execute(select(j.c.seq).where(j.c.terminal_id == "T01").order_by(j.c.seq)).scalars().all()
        alerts = conn.execute(select(func.count()).select_from(hs.alerts)).scalar()
    assert seqs == list(range(1, 41)) and alerts == 0

    # the jobs: run by the leader only, however long both have been up
    wait_for(lambda: a.ran() >= 3 and b.proc.poll() is None)
    assert b.ran() == 0 and not b.leads(), b.log.read_text()
    with hq_engine.connect() as conn:
        assert lead.holder(conn) == f"counter-hq-leader {os.uname().nodename[:30]} {a.proc.pid}"

    # the leader goes away: the other takes the jobs over, and still answers pushes
    a.stop()
    wait_for(lambda: b.ran() >= 2)
    assert b.leads()
    with hq_engine.connect() as conn:
        assert lead.holder(conn) == f"counter-hq-leader {os.uname().nodename[:30]} {b.proc.pid}"
    more = work[40:]
    client = HqClient(b.base, token, timeout=30)
    try:
        assert client.push("S01", "T01", more, datetime.now(UTC))["acked_seq"] == 45
    finally:
        client.close()


def test_one_leader_at_a_time_in_one_process(pg_url: str, hq_engine: Engine) -> None:
    counts = {"x": 0, "y": 0}

    def job(name: str) -> lead.Job:
        return lead.Job("tick", 0.0, lambda: counts.__setitem__(name, counts[name] + 1))

    x = lead.Leader(pg_url, [job("x")])
    y = lead.Leader(pg_url, [job("y")])
    try:
        for _ in range(3):
            x.step()
            y.step()
        assert x.leads and not y.leads
        assert counts == {"x": 3, "y": 0}
        x.stop()  # lets the lock go
        y.step()
        assert y.leads and counts["y"] == 1
        with hq_engine.connect() as conn:
            assert lead.holder(conn) == lead.application_name()
    finally:
        x.stop()
        y.stop()
    with hq_engine.connect() as conn:
        assert lead.holder(conn) is None


def test_the_leader_named_is_this_databases_not_another_hqs_on_the_server(pg_url: str, hq_engine: Engine) -> None:
    """Two HQs on one PostgreSQL server (production and a training copy): each has its own
    leader, and neither is named as the other's (an advisory lock is per database)."""
    other = f"{pg_url.rsplit('/', 1)[1]}_other"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{other}"'))
    elsewhere = lead.Leader(pg_url.rsplit("/", 1)[0] + "/" + other, [])
    try:
        elsewhere.step()
        assert elsewhere.leads
        with hq_engine.connect() as conn:
            assert lead.holder(conn) is None
        here = lead.Leader(pg_url, [])
        try:
            here.step()
            assert here.leads  # the other HQ's lock does not stop this one's leader
        finally:
            here.stop()
    finally:
        elsewhere.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)'))
        admin.dispose()


def test_the_jobs_a_serve_offers_to_lead(hq_engine: Engine) -> None:
    assert deployment_jobs(hq_engine, 0, 0) == []
    both = deployment_jobs(hq_engine, 60, 900)
    assert [(j.name, j.every) for j in both] == [("analysis-refresh", 60), ("escalate", 900)]
    for job in both:
        job.run()  # over an empty chain: runs, finds nothing to do
    assert [j.name for j in deployment_jobs(hq_engine, 0, 900)] == ["escalate"]
