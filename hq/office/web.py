"""What every back-office page shares: the templates (Jinja2, autoescaped: text anyone typed
is shown as text, never run), the signed-in person from the session cookie, the form token
check, and the pages that say no (not signed in, not yours, a stale form, not found).

A page handler takes ``who = await signed_in(request)`` (a redirect to the sign-in page
when the session is missing or ended) and, for a form, ``await form_of(request, who)``
(refused with a page and nothing changed when its form token is not the session's)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Connection, Engine, select, union
from starlette.datastructures import FormData

from counter import i18n
from counter.i18n import _
from hq import language as page_language, schema as s
from hq.office import auth
from hq.office.auth import COOKIE, Office

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# The pages' words through counter.i18n, in the request's language (hq/language.py sets it
# per request): {{ _("...") }} and {% trans %} in the templates.
TEMPLATES.env.add_extension("jinja2.ext.i18n")
TEMPLATES.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext, ngettext=i18n.ngettext, pgettext=i18n.pgettext, newstyle=True
)
TEMPLATES.env.globals["page_language"] = i18n.language
TEMPLATES.env.globals["language_choices"] = lambda: [(code, i18n.display_name(code)) for code in page_language.CHOICES]
MAX_FORM_FIELD = 4000
STORE_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")  # what HQ's push and the lanes' settings take


class PageRefusal(Exception):
    """A page that says no: its status, title, what happened and what to do."""

    def __init__(self, status: int, title: str, message: str, hint: str = "", who: Office | None = None) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.hint, self.who = status, title, message, hint, who


class SignInFirst(Exception):
    """No session (or it ended): to the sign-in page, saying why, then back to ``next``."""

    def __init__(self, next_url: str, said: str = "") -> None:
        super().__init__(said)
        self.next_url, self.said = next_url, said


def page(request: Request, template: str, who: Office | None, status: int = 200, **context: Any) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, template, {"who": who, **context}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def refusal_page(request: Request, exc: PageRefusal) -> HTMLResponse:
    return page(request, "refused.html", exc.who, exc.status, title=exc.title, message=exc.message, hint=exc.hint)


def to_sign_in(request: Request, exc: SignInFirst) -> Response:
    target = f"/office/sign-in?next={quote(exc.next_url)}"
    if exc.said:
        target += f"&said={quote(exc.said)}"
    return RedirectResponse(target, status_code=303)


def session_of(engine: Engine, request: Request) -> Office | None:
    return auth.current(engine, request.cookies.get(COOKIE))


async def signed_in(engine: Engine, request: Request) -> Office:
    who = session_of(engine, request)
    if who is None:
        said = ""
        if request.cookies.get(COOKIE):
            said = (
                _("Your session ended; sign in again.")
                if request.method == "GET"
                else _("Your session ended before the form was sent; nothing was changed. Sign in again.")
            )
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInFirst(here if request.method == "GET" else "/office", said)
    if who.must_change and request.url.path != "/office/password":
        raise SignInFirst("/office/password")
    return who


async def form_of(request: Request, who: Office | None) -> FormData:
    """The posted form, once its form token is this session's; else a refusal page."""
    form = await request.form(max_files=0, max_fields=50)
    if who is None:
        raise PageRefusal(
            401, _("Sign in again"), _("Your session ended before this form was sent; nothing was changed."),
            _("Sign in again, then send the form again."),
        )  # fmt: skip
    if not auth.csrf_ok(who, _text(form.get("csrf"))):
        raise PageRefusal(
            403, _("Form refused"),
            _("This form is out of date or was not sent from this back office; nothing was changed."),
            _("Go back, reload the page and send it again."), who,
        )  # fmt: skip
    for key, value in form.multi_items():
        if isinstance(value, str) and len(value) > MAX_FORM_FIELD:
            raise PageRefusal(
                422, _("Too long"),
                _("The field {field} is longer than {limit} characters; nothing was changed.").format(
                    field=key[:40], limit=MAX_FORM_FIELD
                ),
                _("Shorten it and send the form again."), who,
            )  # fmt: skip
    return form


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def not_yours(who: Office, message: str) -> PageRefusal:
    """``message``: the whole sentence, translated (``_("The catalog is not in what your role
    lets you see; nothing is shown.")``)."""
    return PageRefusal(403, _("Not yours"), message, _("Ask HQ staff if it should be."), who)


def not_saved(who: Office, message: str) -> PageRefusal:
    """A form whose values are refused: what is wrong; nothing was changed."""
    return PageRefusal(
        422, _("Not saved"), _("{problem} Nothing was changed.").format(problem=message),
        _("Go back, correct it and save again."), who,
    )  # fmt: skip


def not_found(who: Office | None, message: str) -> PageRefusal:
    """``message``: the whole sentence, translated (``_("There is no such item.")``)."""
    return PageRefusal(404, _("Not found"), message, _("Check the link, or go back to your list."), who)


def store_scope(who: Office, store: str) -> str | None:
    """The store a page shows (``?store=``): a store manager's own, always; for those who see
    every store, the one they picked, or None for every store."""
    store = store.strip()[:40]
    if store and not STORE_ID.fullmatch(store):
        raise PageRefusal(
            422, _("Not a store"),
            _("{store} is not a store id: 1 to 16 letters, digits, dashes or underscores.").format(store=repr(store)),
            _("Pick the store from the list."), who,
        )  # fmt: skip
    if who.store_id is not None:
        if store and store != who.store_id:
            raise not_yours(
                who, _("Store {store} is not in what your role lets you see; nothing is shown.").format(store=store)
            )
        return who.store_id
    return store or None


def known_stores(conn: Connection) -> list[str]:
    """Every store HQ knows of: with a lane, a time zone or staff."""
    found = conn.execute(
        union(
            select(s.terminals.c.store_id),
            select(s.stores.c.store_id),
            select(s.users.c.store_id).where(s.users.c.store_id.is_not(None)),
        )
    ).scalars()
    return sorted(str(x) for x in found if x)
