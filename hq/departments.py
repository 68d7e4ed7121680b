"""The chain's departments of the service desk, held and edited at HQ, and each store's
time zone (the days HQ reckons a referral's due date by).

* **Departments** (``departments``, a downstream table): code, name, whether it takes new
  referrals (``active``), its referral days (HQ's due date of a referral: the day it was
  made plus these) and its escalation target (the department an overdue referral goes
  to, the store manager by default; none for the store manager itself). Seeded with the
  desk's own list (``counter.desk.service.DEFAULT_DEPARTMENTS``); edited by ``save``
  (``counter hq department``, ``PUT /v1/departments/{code}``); never deleted, only
  closed to new referrals (a closed department's queue is still worked off). Every
  change is a new version under the downstream writers' lock: lanes pull it.
* **Store zones** (``stores``): the IANA zone a store's days are reckoned in (``counter
  hq store-zone``); a store without one is reckoned in UTC, and HQ says so.

Refusals are ``DepartmentError`` with what is wrong and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from counter.desk.service import DEFAULT_DEPARTMENTS, MANAGER, ServiceRules
from counter.i18n import _
from hq import schema as s
from hq.store import lock_downstream

CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
MAX_DAYS = 365
UTC_ZONE = "UTC"


class DepartmentError(Exception):
    """A department edit or a zone HQ refuses: ``message`` says what and what to do."""

    def __init__(self, message: str, *, status: int = 422, error: str = "malformed") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error = error


@dataclass(frozen=True)
class HqDepartment:
    code: str
    name: str
    active: bool
    referral_days: int
    escalate_to: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "active": self.active,
            "referral_days": self.referral_days,
            "escalate_to": self.escalate_to,
        }


def seed_defaults(conn: Connection) -> int:
    """The desk's default departments, each unless HQ already holds its code; returns how
    many were added (run by migration 0007, and by tests after emptying HQ)."""
    lock_downstream(conn)
    days = ServiceRules().referral_days
    rows = [
        {
            "code": d.code,
            "name": d.name,
            "active": d.active,
            "referral_days": d.referral_days if d.referral_days is not None else days,
            "escalate_to": d.escalate_to or None,
            "version": s.change_seq.next_value(),
            "deleted": False,
        }
        for d in DEFAULT_DEPARTMENTS
    ]
    stmt = pg_insert(s.departments).on_conflict_do_nothing(index_elements=["code"])
    return sum(conn.execute(stmt.values(row)).rowcount for row in rows)


def _of(row: Any) -> HqDepartment:
    return HqDepartment(row.code, row.name, bool(row.active), int(row.referral_days), row.escalate_to)


def all_departments(conn: Connection) -> list[HqDepartment]:
    d = s.departments
    return [_of(r) for r in conn.execute(select(d).where(d.c.deleted.is_(False)).order_by(d.c.name, d.c.code))]


def by_code(conn: Connection) -> dict[str, HqDepartment]:
    return {d.code: d for d in all_departments(conn)}


def save(
    engine: Engine,
    code: str,
    *,
    name: str | None = None,
    active: bool | None = None,
    referral_days: int | None = None,
    escalate_to: str | None = None,
    no_escalation: bool = False,
) -> HqDepartment:
    """Add a department (``name`` needed) or change what is given of one; the new version
    reaches every lane on its next pull. Refused: a malformed code or name, days out of
    0..365, an escalation target HQ does not hold, closed, or the department itself, and
    closing a department others escalate to."""
    code = code.strip().lower()
    if not CODE.fullmatch(code):
        raise DepartmentError(
            _(
                "“{code}” is not a department code: 1..32 lower-case letters, digits, dashes or underscores "
                "(like warranty)."
            ).format(code=code[:40])
        )
    if name is not None:
        name = " ".join(name.split())
        if not 1 <= len(name) <= 80:
            raise DepartmentError(_("A department's name has 1..80 characters (like “Warranty and repair”)."))
    if referral_days is not None and not 0 <= referral_days <= MAX_DAYS:
        raise DepartmentError(
            _("Referral days are 0..{count} (a referral is due that many days after it is made).").format(
                count=MAX_DAYS
            )
        )
    with engine.begin() as conn:
        lock_downstream(conn)
        held = by_code(conn)
        old = held.get(code)
        if old is None and name is None:
            raise DepartmentError(
                _("HQ holds no department {code}: give its name to add it (--name).").format(code=code),
                status=404,
                error="unknown",
            )
        target = None if no_escalation else (escalate_to.strip().lower() if escalate_to is not None else None)
        if target is not None:
            if target == code:
                raise DepartmentError(
                    _("{department} cannot escalate to itself.").format(department=name or (old.name if old else code))
                )
            if target not in held:
                known = ", ".join(sorted(held))
                raise DepartmentError(
                    _("HQ holds no department {code} to escalate to. Pick one of: {known}.").format(
                        code=target, known=known
                    )
                )
            if not held[target].active:
                raise DepartmentError(
                    _("{department} is closed; pick an open department to escalate to.").format(
                        department=held[target].name
                    )
                )
        manager = held.get(MANAGER)
        default_target = MANAGER if manager and manager.active and code != MANAGER else None  # a new one's
        new = HqDepartment(
            code,
            name if name is not None else old.name if old else code,
            active if active is not None else old.active if old else True,
            referral_days if referral_days is not None else old.referral_days if old else ServiceRules().referral_days,
            None if no_escalation else target if target is not None else old.escalate_to if old else default_target,
        )
        if not new.active:
            leaning = sorted(d.name for d in held.values() if d.active and d.escalate_to == code and d.code != code)
            if leaning:
                raise DepartmentError(
                    _(
                        "{departments} escalate overdue referrals to {department}; point them to another "
                        "department first (escalate_to, or counter hq department CODE --escalate-to), then close "
                        "{department}."
                    ).format(departments=", ".join(leaning), department=new.name),
                    status=409,
                    error="escalation_target",
                )
        row = {**new.as_json(), "version": s.change_seq.next_value(), "deleted": False}
        stmt = pg_insert(s.departments).values(row)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=["code"], set_={c: stmt.excluded[c] for c in row if c != "code"})
        )
    return new


# ------------------------------------------------------------------------ store zones


def check_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise DepartmentError(
            _("“{zone}” is not a time zone HQ knows; give an IANA name like America/Chicago.").format(zone=name[:60])
        ) from None


def set_zone(engine: Engine, store_id: str, zone: str) -> str:
    """The zone ``store_id``'s days are reckoned in, from now on (referrals projected
    already keep the due date HQ gave them)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", store_id):
        raise DepartmentError(_("A store id has 1..16 letters, digits, dashes or underscores (like S01)."))
    name = check_zone(zone).key
    stmt = pg_insert(s.stores).values(store_id=store_id, timezone=name)
    with engine.begin() as conn:
        conn.execute(stmt.on_conflict_do_update(index_elements=["store_id"], set_={"timezone": name}))
        # its days are other days now: what the analysis kept of them is made again
        conn.execute(delete(s.analysis_days).where(s.analysis_days.c.store_id == store_id))
        conn.execute(delete(s.analysis_chain_days))
    return name


def zone_of(conn: Connection, store_id: str) -> ZoneInfo:
    """The store's zone (UTC when HQ was not told one)."""
    return _zone(conn.execute(select(s.stores.c.timezone).where(s.stores.c.store_id == store_id)).scalar())


def zones_of(conn: Connection, store_ids: Iterable[str]) -> dict[str, ZoneInfo]:
    """Each store's zone, as ``zone_of`` gives it, in one read."""
    wanted = sorted(set(store_ids))
    named = dict(
        conn.execute(select(s.stores.c.store_id, s.stores.c.timezone).where(s.stores.c.store_id.in_(wanted))).all()
    )
    return {st: _zone(named.get(st)) for st in wanted}


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or UTC_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(UTC_ZONE)
