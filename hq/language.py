"""The language HQ answers a request in: the back office's page language and the words of
the API's refusals that a lane shows to a person.

The back office person picks a language on the page (kept in the ``counter_lang`` cookie);
without one, the browser's ``Accept-Language`` decides; without that, English. A lane sends
its screen's language as ``Accept-Language``. ``Language`` applies it around each request
with ``counter.i18n.use_language`` (a context variable: concurrent requests each keep their
own). Only what is shown is translated; what HQ stores and the machine codes stay as they are.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any

from counter.i18n import LANGUAGES, PSEUDO, SOURCE_LANGUAGE, normalize, use_language
from hq.web import ASGIApp, Receive, Scope, Send

COOKIE = "counter_lang"
#: what the back office's chooser offers, in this order
CHOICES = LANGUAGES
_KNOWN = (*LANGUAGES, *PSEUDO)


def known(code: str | None) -> str | None:
    """The catalogue ``code`` names when HQ has it (``de-CH`` is ``de``), else None."""
    if not code or len(code) > 35:
        return None
    text = code.strip()
    chosen = normalize(text)
    if chosen == SOURCE_LANGUAGE and text.replace("-", "_").split("_", 1)[0].lower() != SOURCE_LANGUAGE:
        return None  # normalize's English for anything it does not know
    return chosen if chosen in _KNOWN else None


def from_accept_language(header: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header (by its q weights) HQ has."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for order, part in enumerate(header.split(",")[:20]):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        if tag and tag != "*" and weight > 0:
            weighted.append((-weight, order, tag))
    for _w, _o, tag in sorted(weighted):
        chosen = known(tag)
        if chosen is not None:
            return chosen
    return None


def from_cookie(header: str | None) -> str | None:
    if not header or COOKIE not in header:
        return None
    try:
        jar = SimpleCookie(header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return known(morsel.value) if morsel is not None else None


def of_headers(headers: list[tuple[bytes, bytes]]) -> str:
    """The language of a request: its cookie's, else its Accept-Language's, else English."""
    cookie = accept = None
    for key, value in headers:
        if key == b"cookie":
            cookie = value.decode("latin-1")
        elif key == b"accept-language":
            accept = value.decode("latin-1")
    return from_cookie(cookie) or from_accept_language(accept) or SOURCE_LANGUAGE


class Language:
    """ASGI middleware: the request is answered in its language (``of_headers``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: Any = None  # the app's, for hq.serve (as the other wrappers in hq.app.asgi)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with use_language(of_headers(list(scope.get("headers") or []))):
            await self.app(scope, receive, send)
