"""The audit page (admins): the newest actions of the back office's hash chain
(hq/office/audit_chain.py) with the state of the newest ``PAGE_ROWS`` and the chain's head;
every action checked when asked."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine, select

from counter.i18n import _
from hq import schema as s
from hq.office.audit_chain import verify
from hq.office.auth import Office
from hq.office.web import not_yours, page, signed_in

PAGE_ROWS = 200


def router(engine: Engine) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/office/audit")
    async def audit(request: Request, login: str = "", action: str = "", whole: str = "") -> Response:
        who = await signed_in(engine, request)
        _admins_only(who)
        a = s.office_actions
        stmt = select(a).order_by(a.c.id.desc()).limit(PAGE_ROWS)
        login, action = login.strip()[:40], action.strip()[:40]
        if login:
            stmt = stmt.where(a.c.login == login.lower())
        if action:
            stmt = stmt.where(a.c.action == action)
        with engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(stmt).mappings()]
            check = verify(conn, None if whole == "1" else PAGE_ROWS)
        return page(
            request, "audit.html", who, rows=rows, check=check, login=login, action=action, limit=PAGE_ROWS,
            whole=whole == "1",
        )  # fmt: skip

    return api


def _admins_only(who: Office) -> None:
    if who.role != "admin":
        raise not_yours(who, _("The audit trail is not in what your role lets you see; nothing is shown."))
