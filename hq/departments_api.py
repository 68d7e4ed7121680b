"""HQ's routes of the desk's departments and escalations (hq/departments.py,
hq/escalation.py).

* ``GET /v1/departments``: the chain's departments (any token);
* ``PUT /v1/departments/{code}``: add a department or change what the body gives of one
  (``name``, ``active``, ``referral_days``, ``escalate_to``: a code, or null for
  nowhere); admin token. The change reaches the lanes on their next pull.
* ``GET /v1/desk/referrals/overdue``: a store's open referrals past HQ's due date, with
  how many days, where each escalates and whether HQ has escalated it; a terminal reads
  its own store, an admin names one (``?store=S01``). ``?on=YYYY-MM-DD`` asks as of
  another day of the store (default: its today, in its zone).
* ``POST /v1/desk/escalations``: record the escalations due now (admin; what
  ``counter hq escalate`` does): the ones this run recorded, and how many were settled.

Refusals: 403 the wrong token, 404 an unknown department, 409 closing a department others
escalate to, 422 a malformed value; each with what to do.
"""

# No "from __future__ import annotations": FastAPI reads the route's annotations at run time.

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from counter.i18n import _
from hq import access, departments, escalation
from hq.store import utcnow
from hq.web import Refusal

STORE = r"^[A-Za-z0-9_-]{1,16}$"


class DepartmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=80)
    active: bool | None = None
    referral_days: int | None = Field(default=None, ge=0, le=departments.MAX_DAYS)
    escalate_to: str | None = Field(default=None, max_length=32)


def router(engine: Engine, caller: Callable[..., Any], admin: Callable[..., Any]) -> APIRouter:
    """Mounted by ``hq.app.create_app`` with its token dependencies."""
    api = APIRouter(tags=["departments"])
    Anyone = Annotated[access.Caller, Depends(caller)]  # noqa: N806 - a type alias
    Admin = Annotated[access.Caller, Depends(admin)]  # noqa: N806 - a type alias

    @api.get("/v1/departments")
    def listed(who: Anyone) -> dict[str, Any]:
        with engine.connect() as conn:
            return {"departments": [d.as_json() for d in departments.all_departments(conn)]}

    @api.put("/v1/departments/{code}")
    def save(code: str, req: DepartmentIn, who: Admin) -> dict[str, Any]:
        given = req.model_fields_set
        try:
            saved = departments.save(
                engine,
                code,
                name=req.name,
                active=req.active,
                referral_days=req.referral_days,
                escalate_to=req.escalate_to,
                no_escalation="escalate_to" in given and req.escalate_to is None,
            )
        except departments.DepartmentError as exc:
            raise Refusal(exc.status, exc.error, exc.message) from exc
        return {"department": saved.as_json()}

    @api.get("/v1/desk/referrals/overdue")
    def overdue(who: Anyone, store: str | None = None, on: date | None = None) -> dict[str, Any]:
        if who.kind == "terminal":
            if store is not None and store != who.store_id:
                raise Refusal(403, "forbidden", _("A terminal reads its own store's referrals only."))
            store = who.store_id
        elif store is None:
            raise Refusal(422, "malformed", _("Name the store: ?store=S01."))
        assert store is not None
        if not re.fullmatch(STORE, store):
            raise Refusal(
                422, "malformed", _("A store id has 1..16 letters, digits, dashes or underscores (like S01).")
            )
        with engine.connect() as conn:
            zone = departments.zone_of(conn, store)
            today = on or escalation.today_in(zone, utcnow())
            found = escalation.overdue(conn, store, today)
        return {
            "store": store,
            "today": today.isoformat(),
            "zone": zone.key,
            "referrals": [o.as_json() for o in found],
        }

    @api.post("/v1/desk/escalations")
    def escalate(who: Admin) -> dict[str, Any]:
        run = escalation.escalate(engine)
        return {"escalated": [o.as_json() for o in run.escalated], "settled": run.settled}

    return api
