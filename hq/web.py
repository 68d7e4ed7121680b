"""What HQ's routes and its lean push route share: the ASGI types and ``Refusal``, the
error a route raises for a request it refuses (its HTTP status, a machine-readable error,
the message a person reads, and any extra fields), which the app turns into a JSON answer.

The message is in the request's language (hq/language.py: the lane sends its screen's);
where HQ also stores it (an alert, the back office's audit trail), ``english`` is the same
message in English: what is stored is never translated (``refusal`` makes both)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from counter.i18n import SOURCE_LANGUAGE, use_language

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Refusal(Exception):
    def __init__(self, status: int, error: str, message: str, *, english: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.english = message if english is None else english
        self.extra = extra


def in_both(words: Callable[[], str]) -> tuple[str, str]:
    """``words()`` in the current language and in English (for what is stored)."""
    with use_language(SOURCE_LANGUAGE):
        english = words()
    return words(), english


def refusal(status: int, error: str, words: Callable[[], str], **extra: Any) -> Refusal:
    """A refusal whose message ``words()`` (a ``_()`` text) is shown in the request's language
    and kept in English as ``english`` for what is stored."""
    shown, english = in_both(words)
    return Refusal(status, error, shown, english=english, **extra)
