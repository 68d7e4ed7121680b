"""The back office's own pages (issue #18, point 1): sign-in, sign-out, the password, and the
home page each role starts from. The department, manager and exception pages are routers
of their own (hq/office/desk_pages.py, ...) mounted beside this one by ``mount``."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from counter.i18n import _
from hq import language
from hq.office import auth
from hq.office.auth import COOKIE, OfficeError
from hq.office.web import (
    PageRefusal,
    SignInFirst,
    field,
    form_of,
    page,
    refusal_page,
    session_of,
    signed_in,
    to_sign_in,
)

PRE = "counter_office_pre"  # the sign-in form's own token (before there is a session)
HOME = {
    "agent": "/office/queue",
    "store_manager": "/office/approvals",
    "hq_staff": "/office/queue",
    "admin": "/office/queue",
}


def _safe_next(target: str | None) -> str:
    """Only a path of this back office (never another site)."""
    if target and target.startswith("/office") and not target.startswith("//") and "\\" not in target:
        return target
    return "/office"


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="strict", secure=request.url.scheme == "https",
        path="/office",
    )  # fmt: skip


def router(engine: Engine) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/office")
    async def home(request: Request) -> Response:
        who = await signed_in(engine, request)
        return RedirectResponse(HOME.get(who.role, "/office/queue"), status_code=303)

    @api.get("/office/sign-in")
    async def sign_in_page(request: Request, next: str = "/office", said: str = "") -> Response:  # noqa: A002
        return _sign_in_form(request, _safe_next(next), said[:200], "")

    @api.post("/office/sign-in")
    async def sign_in(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        target = _safe_next(field(form, "next"))
        pre = request.cookies.get(PRE)
        if not pre or not secrets.compare_digest(pre, field(form, "csrf")):
            raise PageRefusal(
                403, _("Form refused"), _("This sign-in form is out of date or was not sent from this back office."),
                _("Reload the sign-in page and sign in again."),
            )  # fmt: skip
        try:
            token, who = auth.sign_in(engine, field(form, "login")[:40], field(form, "password")[:200])
        except OfficeError as exc:
            return _sign_in_form(
                request, target, "", f"{exc.message} {exc.hint}".strip(), field(form, "login")[:40], 401
            )
        response = RedirectResponse("/office/password" if who.must_change else target, status_code=303)
        _cookie(response, request, COOKIE, token, None)
        response.delete_cookie(PRE, path="/office")
        return response

    @api.post("/office/sign-out")
    async def sign_out(request: Request) -> Response:
        who = session_of(engine, request)
        await form_of(request, who)
        auth.sign_out(engine, request.cookies.get(COOKIE))
        if who is not None:
            auth.record(engine, who, "sign_out", who.login)
        response = RedirectResponse(f"/office/sign-in?said={quote(_('Signed out.'))}", status_code=303)
        response.delete_cookie(COOKIE, path="/office")
        return response

    @api.post("/office/language")
    async def choose_language(request: Request) -> Response:
        # Only which language the pages speak (a cookie of its own): nothing else changes.
        form = await request.form(max_files=0, max_fields=10)
        response = RedirectResponse(_safe_next(field(form, "next")), status_code=303)
        chosen = field(form, "lang")
        if chosen in language.CHOICES:
            response.set_cookie(
                language.COOKIE, chosen, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
                secure=request.url.scheme == "https", path="/office",
            )  # fmt: skip
        return response

    @api.get("/office/password")
    async def password_page(request: Request) -> Response:
        who = await signed_in(engine, request)
        return page(request, "password.html", who, error="")

    @api.post("/office/password")
    async def password(request: Request) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        try:
            auth.change_password(engine, who, field(form, "old"), field(form, "new"), field(form, "again"))
        except OfficeError as exc:
            return page(request, "password.html", who, 422, error=f"{exc.message} {exc.hint}".strip())
        return RedirectResponse(HOME.get(who.role, "/office/queue"), status_code=303)

    return api


def _sign_in_form(request: Request, target: str, said: str, error: str, login: str = "", status: int = 200) -> Response:
    pre = secrets.token_urlsafe(24)
    response = page(request, "sign_in.html", None, status, next=target, said=said, error=error, login=login, csrf=pre)
    _cookie(response, request, PRE, pre, 1800)
    return response


def mount(app: FastAPI, engine: Engine, *routers: APIRouter) -> None:
    """The back office on HQ's app: its pages, and the pages that say no."""
    app.include_router(router(engine))
    for r in routers:
        app.include_router(r)

    @app.exception_handler(PageRefusal)
    async def _refused(request: Request, exc: PageRefusal) -> Any:
        return refusal_page(request, exc)

    @app.exception_handler(SignInFirst)
    async def _sign_in_first(request: Request, exc: SignInFirst) -> Any:
        return to_sign_in(request, exc)
