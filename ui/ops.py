"""Running a person's action and reporting its outcome.

Every screen runs commands through ``attempt``: a domain error (CounterError) becomes
its message and hint on screen; anything unexpected is logged with its traceback and
the person sees a plain sentence that says nothing was recorded for this step (the unit
of work rolled back) and where the details are. A traceback never reaches a person.

Runs on the GUI thread: today's commands are single SQLite transactions of a few
milliseconds (see bench/ and docs/architecture.md, Threads).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from counter.errors import CounterError
from counter.i18n import _

log = logging.getLogger("counter.ui")
T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    message: str
    hint: str = ""

    @property
    def text(self) -> str:
        return f"{self.message} {self.hint}".strip()


def describe(exc: BaseException) -> Problem:
    if isinstance(exc, CounterError):
        return Problem(exc.message, exc.hint)
    log.error("unexpected error", exc_info=exc)
    return Problem(
        _("Something went wrong and this step was not recorded."),
        _("Try again; if it happens again, call a supervisor (details are in the log)."),
    )


def attempt(action: Callable[[], T], report: Callable[[Problem], None]) -> tuple[bool, T | None]:
    """Run ``action``; on failure hand a Problem to ``report`` and return (False, None)."""
    try:
        return True, action()
    except Exception as exc:  # every failure becomes a message, never a traceback
        report(describe(exc))
        return False, None


def said_after(current: str, text: str) -> str:
    """What a message panel says once ``text`` is added after what it said."""
    return f"{current} {text}".strip()


def said_before(current: str, text: str) -> str:
    """What a message panel says once ``text`` is put above what it said (a device's
    problem: the screen's own line, with its printing state, stays last)."""
    return f"{text}\n{current}" if current else text
