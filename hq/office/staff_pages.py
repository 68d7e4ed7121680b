"""The staff's back-office logins (issue #18, point 7, the staff part), for administrators
only: every login with its role, store, department and state (active, locked, one-time
password not yet changed); a login for a staff member who has none (its one-time password
shown once, to be changed at the first sign-in); a new one-time password (shown once; it
unlocks the login and ends its sessions); deactivating a login (its sessions end) or making
it active again. Anyone else is refused, and a form they post changes nothing. Each is an
office action (hq/office/auth.py records it with who took it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection, Engine, select

from counter.i18n import _
from hq import schema as s
from hq.office import auth
from hq.office.auth import ROLE_LABELS, ROLES, Office, OfficeError
from hq.office.web import STORE_ID, PageRefusal, field, form_of, known_stores, page, signed_in
from hq.store import utcnow


def _admin_only(who: Office, posted: bool) -> None:
    if who.role != "admin":
        said = (
            _("The staff's logins are for administrators only; nothing was changed.")
            if posted
            else _("The staff's logins are for administrators only; nothing is shown.")
        )
        raise PageRefusal(403, _("Administrators only"), said, _("Ask an administrator."), who)


def without_login(conn: Connection) -> list[dict[str, Any]]:
    u, lg = s.users, s.office_logins
    rows = conn.execute(
        select(u.c.id, u.c.name, u.c.role, u.c.store_id)
        .where(u.c.active, u.c.id.not_in(select(lg.c.user_id)))
        .order_by(u.c.name)
    ).mappings()
    return [dict(r) for r in rows]


def departments(conn: Connection) -> dict[str, str]:
    d = s.departments
    return {str(c): str(n) for c, n in conn.execute(select(d.c.code, d.c.name).where(d.c.active).order_by(d.c.name))}


def router(engine: Engine) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    def show(request: Request, who: Office, status: int = 200, **said: Any) -> Response:
        now = utcnow()
        rows = auth.logins(engine)
        for r in rows:
            r["locked"] = r["locked_until"] is not None and r["locked_until"] > now
        with engine.connect() as conn:
            people, depts, stores = without_login(conn), departments(conn), known_stores(conn)
        return page(
            request, "staff.html", who, status, rows=rows, people=people, departments=depts, stores=stores,
            roles=[(r, _(ROLE_LABELS[r])) for r in ROLES], role_labels={k: _(v) for k, v in ROLE_LABELS.items()},
            **said,
        )  # fmt: skip

    def failed(request: Request, who: Office, exc: OfficeError) -> Response:
        return show(
            request, who, 422,
            error=_("{problem} {hint} Nothing was changed.").format(problem=exc.message, hint=exc.hint).strip(),
        )  # fmt: skip

    @api.get("/office/staff")
    async def staff(request: Request) -> Response:
        who = await signed_in(engine, request)
        _admin_only(who, posted=False)
        return show(request, who)

    @api.post("/office/staff/add")
    async def add(request: Request) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        _admin_only(who, posted=True)
        login, user_id, role = field(form, "login"), field(form, "user_id"), field(form, "role")
        store, department = field(form, "store") or None, field(form, "department") or None
        if role in ("hq_staff", "admin"):
            store, department = None, None  # they see every store, and no department's queue alone
        elif role == "store_manager":
            department = None
        if store is not None and not STORE_ID.fullmatch(store):
            return failed(request, who, OfficeError(_("A store id is 1 to 16 letters, digits, dashes or underscores.")))
        if role == "store_manager" and store is None:
            return failed(request, who, OfficeError(_("A store manager needs a store."), _("Type it, e.g. S01.")))
        if role == "agent" and department is None:
            return failed(request, who, OfficeError(_("A department agent needs a department."), _("Choose one.")))
        with engine.connect() as conn:
            known = departments(conn)
        if department is not None and department not in known:
            return failed(
                request,
                who,
                OfficeError(
                    _("There is no open department {department}.").format(department=repr(department[:32])),
                    _("Choose one."),
                ),
            )
        try:
            password = auth.add_login(
                engine, login, user_id[:36], role, store_id=store, department=department, by=who.login,
                by_user=who.user_id,
            )  # fmt: skip
        except OfficeError as exc:
            return failed(request, who, exc)
        return show(request, who, password=password, password_for=login.strip().lower())

    @api.post("/office/staff/reset")
    async def reset(request: Request) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        _admin_only(who, posted=True)
        login = field(form, "login")[:40]
        try:
            password = auth.reset(engine, login, by=who.login, by_user=who.user_id)
        except OfficeError as exc:
            return failed(request, who, exc)
        return show(request, who, password=password, password_for=login)

    @api.post("/office/staff/active")
    async def active(request: Request) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        _admin_only(who, posted=True)
        login, wanted = field(form, "login")[:40], field(form, "active")
        if wanted not in ("0", "1"):
            return failed(request, who, OfficeError(_("Say whether the login is to be active or not.")))
        try:
            auth.set_active(engine, login, wanted == "1", who)
        except OfficeError as exc:
            return failed(request, who, exc)
        said = (
            _("{login} is active again: it signs in with its present password.")
            if wanted == "1"
            else _("{login} is deactivated: its sessions ended and it cannot sign in.")
        ).format(login=login)
        return show(request, who, said=said)

    return api
