"""HQ's desk data at the lane: the chain's departments and HQ's escalations of this
store's overdue referrals, pulled on the change feed (HQ: hq/departments.py,
hq/escalation.py).

* **Applying** (``apply_desk``, from ``db.sync_apply.apply_changes`` in the page's
  transaction): departments upserted by code (a tombstone closes one: it is never
  deleted, referrals name it); escalations upserted by referral.
* **Reading**: ``departments`` (HQ's list, or nothing when the lane never synced: the
  settings' list is then the desk's) and ``escalated_referrals`` (what a department's
  queue shows of HQ's escalations, including referrals held at another lane of the store).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from counter.desk.referrals import Priority, Referral, ReferralStatus
from counter.desk.service import Department
from counter.journal import parse_stamp
from db import schema as s

_DEPARTMENT = ("code", "name", "active", "referral_days", "escalate_to")
_ESCALATION = tuple(c.name for c in s.referral_escalations.c)


def apply_desk(conn: Connection, by_kind: dict[str, list[dict[str, Any]]]) -> None:
    """Upsert the page's departments and escalations (ValueError for a malformed one: the
    page is then applied not at all, ``db.sync.Syncer``)."""
    departments = [_department(r["data"], bool(r["deleted"])) for r in by_kind.get("department", ())]
    _upsert(conn, s.departments, "code", departments)
    escalations = [{k: r["data"][k] for k in _ESCALATION} for r in by_kind.get("referral_escalation", ())]
    for row in escalations:
        if not all(isinstance(row[c], str) for c in ("referral_id", "escalated_to", "hq_due_on")):
            raise ValueError("an escalation from HQ with a malformed referral, department or due date")
    _upsert(conn, s.referral_escalations, "referral_id", escalations)


def _department(d: dict[str, Any], deleted: bool) -> dict[str, Any]:
    row = {k: d[k] for k in _DEPARTMENT}
    if not (isinstance(row["code"], str) and isinstance(row["name"], str) and isinstance(row["referral_days"], int)):
        raise ValueError("a department from HQ with a malformed code, name or days")
    return {**row, "active": bool(row["active"]) and not deleted}  # a tombstone: closed, never deleted


def _upsert(conn: Connection, table: Any, key: str, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    stmt = sqlite_insert(table)
    cols = [c for c in rows[0] if c != key]
    conn.execute(stmt.on_conflict_do_update(index_elements=[key], set_={c: stmt.excluded[c] for c in cols}), rows)


def departments(conn: Connection) -> tuple[Department, ...]:
    """HQ's departments as pulled, by name (empty: never synced)."""
    d = s.departments
    return tuple(
        Department(r.code, r.name, bool(r.active), int(r.referral_days), r.escalate_to or "")
        for r in conn.execute(select(d).order_by(d.c.name, d.c.code))
    )


def escalations_of(conn: Connection, referral_ids: Sequence[str]) -> dict[str, Any]:
    """HQ's escalation rows of these referrals, by referral id."""
    e = s.referral_escalations
    if not referral_ids:
        return {}
    return {r.referral_id: r for r in conn.execute(select(e).where(e.c.referral_id.in_(list(referral_ids))))}


def with_escalation(referral: Referral, row: Any) -> Referral:
    """``referral`` with what HQ's escalation says of it (``row`` None: as it is)."""
    if row is None or row.settled_at is not None or referral.status is not ReferralStatus.OPEN:
        return referral
    return Referral(
        **{
            **referral.__dict__,
            "escalated_to": row.escalated_to_name,
            "hq_due_on": date.fromisoformat(row.hq_due_on),
            "days_overdue": int(row.days_overdue),
        }
    )


def escalated_referrals(conn: Connection, department: str, held_here: set[str]) -> list[Referral]:
    """The referrals HQ escalated to ``department`` and not settled, made at another lane
    of the store (``held_here``: the ids this lane holds, shown from its own rows)."""
    e = s.referral_escalations
    rows = conn.execute(
        select(e, s.customers.c.name.label("customer_name"))
        .join(s.customers, s.customers.c.id == e.c.customer_id, isouter=True)
        .where(e.c.escalated_to == department, e.c.settled_at.is_(None))
    ).all()
    return [
        Referral(
            id=r.referral_id,
            case_id=r.case_id,
            case_number=r.case_number,
            department=r.department,
            department_name=r.department_name,
            priority=Priority(r.priority),
            due_on=date.fromisoformat(r.lane_due_on),
            status=ReferralStatus.OPEN,
            referred_at=parse_stamp(r.referred_at),
            referred_by="",
            note="",
            customer_name=r.customer_name or "",
            escalated_to=r.escalated_to_name,
            hq_due_on=date.fromisoformat(r.hq_due_on),
            days_overdue=int(r.days_overdue),
            held_at=r.origin_terminal,
        )
        for r in rows
        if r.referral_id not in held_here
    ]
