"""Print jobs interrupted by a crash: found at start-up, offered once, then settled.

A job is written as ``queued`` before it is sent, marked ``sent`` just before the bytes
go to the printer, and ``done`` or ``failed`` when the printer answers (ui/devices/printing.py).
If Counter stops in between (a crash, the power), the job stays ``queued`` or ``sent``:
it may or may not have printed. At the next start-up those jobs are listed for the
cashier to reprint (as a COPY, like F11); once the cashier has answered, they are
marked ``interrupted`` and never offered again. Nothing is ever re-sent on its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from counter.journal import utc_stamp
from db import schema as s

OPEN_STATES = ("queued", "sent")
INTERRUPTED = "interrupted"


def interrupted_jobs(engine: Engine) -> list[dict[str, Any]]:
    """Jobs left queued or sent by an earlier run, oldest first, without their bytes."""
    columns = [c for c in s.print_jobs.c if c.name != "payload"]
    with engine.connect() as conn:
        rows = conn.execute(
            select(*columns).where(s.print_jobs.c.state.in_(OPEN_STATES)).order_by(s.print_jobs.c.created_at)
        ).mappings()
        return [dict(r) for r in rows]


def settle_interrupted(engine: Engine, job_ids: list[str], at: datetime) -> int:
    """Mark jobs the cashier was offered as ``interrupted`` (only those still open).
    Returns how many were marked."""
    if not job_ids:
        return 0
    with engine.begin() as conn:
        result = conn.execute(
            update(s.print_jobs)
            .where(s.print_jobs.c.id.in_(job_ids), s.print_jobs.c.state.in_(OPEN_STATES))
            .values(
                state=INTERRUPTED,
                error="Counter stopped before the printer confirmed this job; the cashier was offered a reprint.",
                updated_at=utc_stamp(at),
            )
        )
        return int(result.rowcount or 0)
