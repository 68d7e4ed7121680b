"""Referral due dates and escalation, computed at HQ.

* **HQ's due date** (``set_due_dates``, called by ``hq.desk.project`` in the push's
  transaction): each referral HQ projects gets ``hq_due_on``, the day it was made in its
  store's zone (hq/departments.py) plus its department's referral days at HQ, then. The
  lane's own due date (``due_on``, what the person at the desk set) is kept as the lane's;
  HQ's is the one escalation goes by. A referral to a department HQ does not hold, or
  closed, is due after the desk's default days, and raises an alert naming the case, the
  department and the lane.
* **Overdue** (``overdue``): a store's referrals still open (the department has not
  answered, the case is neither resolved nor closed) whose HQ due date is before the
  store's today; each with how many days past it, where it escalates and whether HQ
  has escalated it already. ``GET /v1/desk/referrals/overdue`` (hq/departments_api.py).
* **Escalation** (``escalate``): each overdue referral whose department has an
  escalation target and that HQ has not escalated yet gets one ``referral_escalations``
  row (keyed by store and referral: a second run finds it and adds nothing) and an
  ``referral_escalated`` alert naming the case, the department, HQ's due date, how many
  days overdue and where it went; escalations whose referral was answered or whose case
  was resolved or closed meanwhile are marked settled. Rows are versioned under the
  downstream writers' lock, so the store's lanes pull them and show them in the
  department queues. Run by ``counter hq escalate`` (e.g. every quarter hour from cron)
  or ``POST /v1/desk/escalations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, exists, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from counter.desk.service import MANAGER, ServiceRules
from counter.journal import parse_stamp, utc_stamp
from hq import schema as s
from hq.departments import HqDepartment, by_code, zone_of
from hq.store import lock_downstream, utcnow

#: A referral to a department HQ does not hold is due after the desk's default days and
#: escalates to the store manager.
DEFAULT_DAYS = ServiceRules().referral_days
#: A case in one of these states needs nothing more from a department.
DONE_CASES = ("resolved", "closed")


def hq_due_on(referred_at: str, zone: ZoneInfo, days: int) -> str:
    """The day the referral was made, in its store's zone, plus ``days``."""
    return (parse_stamp(referred_at).astimezone(zone).date() + timedelta(days=days)).isoformat()


def set_due_dates(
    conn: Connection, store_id: str, terminal_id: str, rows: Sequence[tuple[int, dict[str, Any]]]
) -> None:
    """Give each new referral row (with the seq of its entry) HQ's due date."""
    if not rows:
        return
    held = by_code(conn)
    zone = zone_of(conn, store_id)
    for seq, row in rows:
        dept = held.get(row["department"])
        row["hq_due_on"] = hq_due_on(row["referred_at"], zone, dept.referral_days if dept else DEFAULT_DAYS)
        if dept is None or not dept.active:
            said = row.get("department_name") or row["department"]
            why = "a department HQ does not hold" if dept is None else "a department HQ closed to new referrals"
            conn.execute(
                insert(s.alerts).values(
                    at=utcnow(),
                    kind="referral_department",
                    store_id=store_id,
                    terminal_id=terminal_id,
                    seq=seq,
                    detail=f"Referral {row['id']} went to {said} ({row['department']}), {why}; HQ gives it "
                    f"{dept.referral_days if dept else DEFAULT_DAYS} days (due {row['hq_due_on']}). Check the lane "
                    "has synced, or set the department up at HQ (counter hq department).",
                )
            )


@dataclass(frozen=True)
class Overdue:
    store_id: str
    referral_id: str
    case_id: str
    case_number: str
    origin_terminal: str
    origin_seq: int
    customer_id: str
    department: str
    department_name: str
    priority: str
    referred_at: str
    lane_due_on: str
    hq_due_on: str
    days_overdue: int
    escalate_to: str | None  # None: the department escalates nowhere
    escalate_to_name: str | None
    escalated_at: str | None  # None: not escalated yet

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        days = f"{self.days_overdue} day{'s' if self.days_overdue != 1 else ''}"
        where = f"escalated to {self.escalate_to_name}" if self.escalate_to_name else "it escalates nowhere"
        return (
            f"Case {self.case_number} (referred at {self.origin_terminal} to {self.department_name}, "
            f"{self.priority} priority) is {days} past HQ's due date {self.hq_due_on}: {where}."
        )


def today_in(zone: ZoneInfo, now: datetime) -> date:
    return now.astimezone(zone).date()


def overdue(conn: Connection, store_id: str, today: date) -> list[Overdue]:
    """The store's open referrals past HQ's due date on ``today`` (the store's day), most
    overdue first."""
    r, c, e = s.referrals, s.cases, s.referral_escalations
    rows = conn.execute(
        select(
            r.c.id,
            r.c.case_id,
            c.c.number,
            r.c.origin_terminal,
            r.c.origin_seq,
            c.c.customer_id,
            r.c.department,
            r.c.department_name,
            r.c.priority,
            r.c.referred_at,
            r.c.due_on,
            r.c.hq_due_on,
            e.c.escalated_at,
            e.c.escalated_to,
            e.c.escalated_to_name,
        )
        .join(c, and_(c.c.store_id == r.c.store_id, c.c.id == r.c.case_id))
        .outerjoin(e, and_(e.c.store_id == r.c.store_id, e.c.referral_id == r.c.id))
        .where(
            r.c.store_id == store_id,
            r.c.status == "open",
            c.c.status.not_in(DONE_CASES),
            r.c.hq_due_on.is_not(None),
            r.c.hq_due_on < today.isoformat(),
        )
        .order_by(r.c.hq_due_on, r.c.referred_at, r.c.id)
    ).all()
    held = by_code(conn)
    out = []
    for row in rows:
        target = row.escalated_to if row.escalated_at is not None else _target(held, row.department)
        name = row.escalated_to_name if row.escalated_at is not None else _name(held, target)
        out.append(
            Overdue(
                store_id,
                row.id,
                row.case_id,
                row.number,
                row.origin_terminal,
                int(row.origin_seq),
                row.customer_id,
                row.department,
                row.department_name or _name(held, row.department) or row.department,
                row.priority,
                row.referred_at,
                row.due_on,
                row.hq_due_on,
                (today - date.fromisoformat(row.hq_due_on)).days,
                target,
                name,
                row.escalated_at,
            )
        )
    return out


def _target(held: dict[str, HqDepartment], department: str) -> str | None:
    dept = held.get(department)
    if dept is None:
        return MANAGER if MANAGER in held and department != MANAGER else None
    return dept.escalate_to


def _name(held: dict[str, HqDepartment], code: str | None) -> str | None:
    if code is None:
        return None
    dept = held.get(code)
    return dept.name if dept else code


@dataclass(frozen=True)
class EscalationRun:
    escalated: list[Overdue]  # escalated by this run
    settled: int  # escalations whose referral was answered or whose case was closed meanwhile


def escalate(engine: Engine, now: datetime | None = None, store_id: str | None = None) -> EscalationRun:
    """Record an escalation for each overdue referral not escalated yet (every store, or
    ``store_id``'s), as of ``now`` (HQ's clock); idempotent: a second run adds nothing."""
    now = now or utcnow()
    at = utc_stamp(now)
    done: list[Overdue] = []
    with engine.begin() as conn:
        lock_downstream(conn)
        stores = conn.execute(select(s.referrals.c.store_id).where(s.referrals.c.status == "open").distinct()).scalars()
        for store in sorted(x for x in stores if store_id is None or x == store_id):
            for o in overdue(conn, store, today_in(zone_of(conn, store), now)):
                if o.escalated_at is None and o.escalate_to is not None and _record(conn, o, now):
                    done.append(o)
        settled = _settle(conn, at, store_id)
    return EscalationRun(done, settled)


def _record(conn: Connection, o: Overdue, now: datetime) -> bool:
    row = {
        "id": f"{o.store_id}:{o.referral_id}",
        "store_id": o.store_id,
        "referral_id": o.referral_id,
        "case_id": o.case_id,
        "case_number": o.case_number,
        "origin_terminal": o.origin_terminal,
        "customer_id": o.customer_id,
        "department": o.department,
        "department_name": o.department_name,
        "priority": o.priority,
        "referred_at": o.referred_at,
        "lane_due_on": o.lane_due_on,
        "hq_due_on": o.hq_due_on,
        "escalated_to": o.escalate_to,
        "escalated_to_name": o.escalate_to_name or o.escalate_to,
        "escalated_at": utc_stamp(now),
        "days_overdue": o.days_overdue,
        "settled_at": None,
        "version": s.change_seq.next_value(),
        "deleted": False,
    }
    e = s.referral_escalations
    stmt = pg_insert(e).values(row).on_conflict_do_nothing().returning(e.c.id)
    if conn.execute(stmt).first() is None:
        return False  # escalated by a run that committed first
    conn.execute(
        insert(s.alerts).values(
            at=now,
            kind="referral_escalated",
            store_id=o.store_id,
            terminal_id=o.origin_terminal,
            seq=o.origin_seq,
            detail=o.describe(),
        )
    )
    return True


def _settle(conn: Connection, at: str, store_id: str | None) -> int:
    """Mark settled the escalations whose referral no longer waits on a department."""
    e, r, c = s.referral_escalations, s.referrals, s.cases
    waiting = (
        select(r.c.id)
        .join(c, and_(c.c.store_id == r.c.store_id, c.c.id == r.c.case_id))
        .where(
            r.c.store_id == e.c.store_id,
            r.c.id == e.c.referral_id,
            r.c.status == "open",
            c.c.status.not_in(DONE_CASES),
        )
    )
    stmt = update(e).where(e.c.settled_at.is_(None), ~exists(waiting))
    if store_id is not None:
        stmt = stmt.where(e.c.store_id == store_id)
    return conn.execute(stmt.values(settled_at=at, version=s.change_seq.next_value())).rowcount
