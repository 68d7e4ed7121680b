"""Dates and times typed and shown the locale's way, through Babel (pure; any thread).

A date is typed the store locale's way (``12/24/2026`` in en_US, ``24.12.2026`` in de_DE,
``24/12/2026`` in fr_FR and es_ES), or as ISO. It is shown in the store's locale when the
screen speaks the store's language; otherwise in the screen's language as written in the
store's country where CLDR knows it (a Spanish-speaking cashier of a US store reads
``24 dic 2026`` as ``es_US`` writes it), else in the screen's language. Stored moments stay ISO and UTC
(``counter.journal``); only what is shown or typed goes through here.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_skeleton, format_time, parse_date

from counter.errors import CounterError
from counter.i18n import PSEUDO, _, language


class InvalidDate(CounterError):
    """A typed date that is not one."""


@cache
def _locale_for(store_locale: str, lang: str) -> Locale:
    store = Locale.parse(store_locale.replace("-", "_"))
    if lang in PSEUDO or lang == store.language:
        return store
    if store.territory:
        try:
            return Locale.parse(f"{lang}_{store.territory}")
        except (UnknownLocaleError, ValueError):
            pass
    return Locale.parse(lang)


def date_locale(store_locale: str) -> Locale:
    """The locale dates are shown in: the store's when it speaks the current language, else the
    current language in the store's country (``es_US``), else the language alone."""
    return _locale_for(store_locale, language())


def _local(moment: datetime, zone: ZoneInfo | None) -> datetime:
    return moment.astimezone(zone) if zone is not None else moment


def show_date(day: date | datetime, store_locale: str, zone: ZoneInfo | None = None, form: str = "medium") -> str:
    """``Dec 24, 2026`` / ``24.12.2026`` (``form``: short, medium, long, full)."""
    if isinstance(day, datetime):
        day = _local(day, zone).date()
    return format_date(day, form, locale=date_locale(store_locale))


def show_datetime(moment: datetime, store_locale: str, zone: ZoneInfo | None = None, form: str = "short") -> str:
    """``12/24/26, 3:05 PM`` / ``24.12.26, 15:05``."""
    return format_datetime(_local(moment, zone), form, tzinfo=None, locale=date_locale(store_locale))


def show_moment(moment: datetime, store_locale: str, zone: ZoneInfo | None = None) -> str:
    """A moment in full, without seconds: ``Thu, Dec 24, 2026, 3:05 PM`` /
    ``Do., 24.12.2026, 15:05``."""
    loc = date_locale(store_locale)
    local = _local(moment, zone)
    day = format_skeleton("yMMMEd", local.date(), locale=loc)
    clock = format_time(local.time(), "short", locale=loc)
    return str(loc.datetime_formats["medium"]).replace("{1}", day).replace("{0}", clock)


def show_time(moment: datetime | time, store_locale: str, zone: ZoneInfo | None = None) -> str:
    """``3:05 PM`` / ``15:05``."""
    if isinstance(moment, datetime):
        moment = _local(moment, zone).time()
    return format_time(moment, "short", locale=date_locale(store_locale))


def show_day(moment: date | datetime, store_locale: str, zone: ZoneInfo | None = None, *, clock: bool = False) -> str:
    """A moment in a list, without the year: ``Dec 24`` / ``24. Dez.`` (``, 15:05`` with
    ``clock``)."""
    loc = date_locale(store_locale)
    if isinstance(moment, datetime):
        moment = _local(moment, zone)
        if clock:
            day = format_skeleton("MMMd", moment.date(), locale=loc)
            return f"{day} {format_time(moment.time(), 'short', locale=loc)}"
        moment = moment.date()
    return format_skeleton("MMMd", moment, locale=loc)


def date_example(store_locale: str) -> str:
    """How a date is typed here, shown as an example: ``12/24/2026`` / ``24.12.2026``."""
    return format_date(date(2026, 12, 24), _typed_pattern(store_locale), locale=_store(store_locale))


@cache
def _store(store_locale: str) -> Locale:
    return Locale.parse(store_locale.replace("-", "_"))


def _typed_pattern(store_locale: str) -> str:
    pattern = str(_store(store_locale).date_formats["short"].pattern)
    return pattern.replace("yyyy", "y").replace("yy", "y").replace("y", "yyyy")


def parse_typed_date(text: str, store_locale: str, *, today: date | None = None) -> date:
    """A date typed the locale's way (``24.12.2026``, ``24.12.26``, ``12/24/2026``), or as
    ISO (``2026-12-24``), which every locale accepts. A day and month alone take ``today``'s
    year. Anything else is refused with an example of the form."""
    raw = " ".join(text.split())
    if not raw:
        raise InvalidDate(_("Type a date."), _("For example {example}.").format(example=date_example(store_locale)))
    try:
        if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
            return date.fromisoformat(raw)
        loc = _store(store_locale)
        parts = [p for p in _split(raw) if p]
        if len(parts) == 2 and today is not None:  # "24.12" or "12/24": this year
            raw = f"{raw}{_separator(raw)}{today.year}"
        if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
            raise ValueError(raw)
        return parse_date(raw, locale=loc, format="short")
    except (ValueError, IndexError) as exc:
        raise InvalidDate(
            _("“{text}” is not a date.").format(text=text.strip()),
            _("Type it as {example}.").format(example=date_example(store_locale)),
        ) from exc


def _split(text: str) -> list[str]:
    out, word = [], ""
    for ch in text:
        if ch.isdigit():
            word += ch
        else:
            out.append(word)
            word = ""
    out.append(word)
    return out


def _separator(text: str) -> str:
    return next((ch for ch in text if not ch.isdigit()), ".")
