"""The jobs HQ runs once per deployment, not once per process (docs/scaling.md).

Several HQ processes serve one PostgreSQL database (``counter hq serve --workers N`` on
one machine, or one ``counter hq serve`` per machine behind a load balancer). The
requests they answer are stateless, but a few jobs run on a timer inside HQ, and N
processes must not each run them: the back office's analysis refresh (every minute) and,
when asked, the escalation of overdue referrals (else a cron job, ``counter hq escalate``).

Every ``counter hq serve`` starts a ``Leader``: a thread with its own connection to
PostgreSQL that tries, every ``TICK`` seconds, to take the session advisory lock
``LEADER_KEY`` (``pg_try_advisory_lock``). The one process that holds it is the leader and
runs the jobs when they are due; the others only keep trying. The lock is the
connection's: if the leader's process dies or its connection breaks, PostgreSQL lets the
lock go and another process takes it at its next try. The leader's connection says who
it is in ``pg_stat_activity.application_name`` (``counter-hq-leader <host> <pid>``), so
``SELECT ... FROM pg_locks JOIN pg_stat_activity USING (pid)`` shows which process leads.

Each job is also safe if two ran at once (the analysis refresh claims its days; the
escalation records each referral once): the lock saves the work, it is not what keeps
the data right.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

LEADER_KEY = 0x4851_4C45  # 'HQLE': one leader over one database
TICK = 1.0  # seconds between tries to lead (and between checks that the lock is still held)


@dataclass(frozen=True)
class Job:
    """A job run by the leader every ``every`` seconds (the first run ``every`` after it leads)."""

    name: str
    every: float
    run: Callable[[], object]


def application_name() -> str:
    return f"counter-hq-leader {socket.gethostname()[:30]} {os.getpid()}"


class Leader:
    """Runs ``jobs`` while this process holds the leader lock over ``database_url``."""

    def __init__(self, database_url: str, jobs: Sequence[Job], *, tick: float = TICK) -> None:
        self.jobs = list(jobs)
        self.tick = tick
        self.runs: dict[str, int] = {job.name: 0 for job in self.jobs}  # how often each ran here
        self._engine: Engine = create_engine(
            database_url,
            pool_size=1,
            max_overflow=0,
            isolation_level="AUTOCOMMIT",  # no transaction stays open between tries
            connect_args={"application_name": application_name()},
        )
        self._conn: Connection | None = None
        self._due: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hq-leader", daemon=True)

    @property
    def leads(self) -> bool:
        return self._conn is not None

    def start(self) -> Leader:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._let_go()
        self._engine.dispose()

    def step(self, now: float | None = None) -> None:
        """One try: take (or check) the lock, then run the jobs that are due if it is held."""
        now = time.monotonic() if now is None else now
        if not self._hold():
            return
        for job in self.jobs:
            due = self._due.setdefault(job.name, now + job.every)
            if now < due:
                continue
            self._due[job.name] = now + job.every
            try:
                job.run()
                self.runs[job.name] += 1
                log.debug("leader %d ran %s", os.getpid(), job.name)
            except Exception:  # noqa: BLE001 - the next round tries again
                log.exception("%s failed; the next round tries again", job.name)

    def _hold(self) -> bool:
        try:
            if self._conn is not None:  # still ours? (a broken connection has lost the lock)
                self._conn.execute(text("SELECT 1"))
                return True
            conn = self._engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_KEY}).scalar()
            if not got:
                conn.close()
                return False
            self._conn = conn
            self._due.clear()
            log.info("HQ process %d leads: it runs %s", os.getpid(), ", ".join(j.name for j in self.jobs) or "nothing")
            return True
        except SQLAlchemyError as exc:
            if self._conn is not None:
                log.warning("HQ process %d lost the lead (%s)", os.getpid(), type(exc).__name__)
            self._let_go()
            return False

    def _let_go(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_KEY})
            conn.close()
        except SQLAlchemyError:
            conn.invalidate()  # closing the connection lets the lock go anyway

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.step()
            self._stop.wait(self.tick)


def holder(conn: Connection) -> str | None:
    """The application name of the connection that leads over this database (None: nobody)."""
    found = conn.execute(
        text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND ((l.classid::bigint << 32) | l.objid::bigint) = :k "
            # an advisory lock is per database: another HQ's leader on the same server is not ours
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"k": LEADER_KEY},
    ).scalar()
    return None if found is None else str(found)
