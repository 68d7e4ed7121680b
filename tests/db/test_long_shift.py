"""What a long shift must not grow: the work after each sale stays the same size however many
sales the store file holds (issue #22). The soak itself, 10,000 sales through the screen, is a
benchmark (bench/soak.py); these hold the causes it found."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from db import schema as s
from db.engine import open_database
from db.queries import recent_print_jobs, recent_print_jobs_query
from devices.sim.netprinter import SimNetworkPrinter
from devices.urls import SIM_PRINTER_KEEP, open_printer


def _plan(db, query) -> str:  # type: ignore[no-untyped-def]
    compiled = query.compile(db.read, compile_kwargs={"literal_binds": True})
    with db.read.connect() as conn:
        rows = conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return " | ".join(str(r[-1]) for r in rows)


def test_the_newest_print_jobs_are_read_by_index_not_by_scanning_every_job(store_dir: Path) -> None:
    db = open_database(store_dir)
    try:
        start = datetime(2026, 12, 1, 9, tzinfo=UTC)
        # 600 jobs written out of time order: the newest by time, not by insertion, come first
        minutes = list(range(600))
        minutes = minutes[1::2] + minutes[::2]
        with db.write.begin() as conn:
            conn.execute(
                s.print_jobs.insert(),
                [
                    {
                        "id": str(uuid.uuid4()),
                        "kind": "receipt",
                        "reference": f"R-{m:05d}",
                        "copy_number": 1,
                        "payload": b"x" * 2000,
                        "state": "done",
                        "attempts": 1,
                        "error": None,
                        "created_at": (start + timedelta(minutes=m)).isoformat(),
                        "updated_at": (start + timedelta(minutes=m)).isoformat(),
                    }
                    for m in minutes
                ],
            )
        plan = _plan(db, recent_print_jobs_query(200))
        assert "ix_print_jobs_created_at" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort of every job
        newest = recent_print_jobs(db.read, 200)
        assert [j["reference"] for j in newest[:3]] == ["R-00599", "R-00598", "R-00597"]
        assert len(newest) == 200 and newest[-1]["reference"] == "R-00400"
        assert "payload" not in newest[0]
    finally:
        db.dispose()


def _job(host: str, port: int, body: bytes) -> None:
    import socket

    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(body)


def test_a_bounded_simulated_printer_keeps_its_newest_jobs_and_counts_them_all() -> None:
    sim = SimNetworkPrinter(keep=3).start()
    try:
        for n in range(5):
            _job("127.0.0.1", sim.port, f"job {n}\n".encode())
            sim.wait_for_jobs(n + 1)
        assert sim.received == 5
        assert sim.jobs == [b"job 2\n", b"job 3\n", b"job 4\n"]
    finally:
        sim.stop()


def test_a_simulated_printer_for_tests_keeps_every_job() -> None:
    sim = SimNetworkPrinter().start()
    try:
        for n in range(4):
            _job("127.0.0.1", sim.port, f"job {n}\n".encode())
        assert len(sim.wait_for_jobs(4)) == 4
    finally:
        sim.stop()


def test_the_apps_built_in_printer_is_bounded() -> None:
    printer = open_printer("sim://printer")
    try:
        simulator = printer.simulator
        assert simulator is not None and simulator.job_records.maxlen == SIM_PRINTER_KEEP
        assert 50 <= SIM_PRINTER_KEEP <= 1000  # enough for a screen's recent jobs, not a shift's
    finally:
        printer.close()
