"""Dates typed and shown the store locale's way (counter.dates)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from counter.dates import (
    InvalidDate,
    date_example,
    parse_typed_date,
    show_date,
    show_datetime,
    show_day,
    show_time,
)
from counter.i18n import set_screen_language, use_language

BERLIN = ZoneInfo("Europe/Berlin")
CHICAGO = ZoneInfo("America/Chicago")
EVE = datetime(2026, 12, 24, 14, 5, tzinfo=UTC)  # 15:05 in Berlin, 8:05 in Chicago
TODAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    set_screen_language("en")


@pytest.mark.parametrize(
    ("locale", "typed"),
    [
        ("en_US", "12/24/2026"),
        ("en_US", "12/24/26"),
        ("en_US", "12/24"),
        ("de_DE", "24.12.2026"),
        ("de_DE", "24.12.26"),
        ("de_DE", "24.12."),
        ("de_CH", "24.12.2026"),
        ("fr_FR", "24/12/2026"),
        ("es_ES", "24/12/2026"),
        ("en_GB", "24/12/2026"),
        ("sv_SE", "2026-12-24"),
        ("de_DE", "2026-12-24"),  # ISO is understood everywhere
        ("fr_FR", " 24/12/2026 "),
    ],
)
def test_a_date_is_typed_the_locale_way(locale: str, typed: str) -> None:
    assert parse_typed_date(typed, locale, today=TODAY) == date(2026, 12, 24)


def test_day_and_month_are_read_in_the_locale_order() -> None:
    assert parse_typed_date("03/04/2026", "en_US") == date(2026, 3, 4)
    assert parse_typed_date("03/04/2026", "en_GB") == date(2026, 4, 3)
    assert parse_typed_date("03.04.2026", "de_DE") == date(2026, 4, 3)


@pytest.mark.parametrize("typed", ["31.02.2026", "24.13.2026", "hello", "99.99.2026", "", "1.2.3.4"])
def test_a_wrong_date_is_refused_with_an_example_of_the_form(typed: str) -> None:
    with pytest.raises(InvalidDate) as refused:
        parse_typed_date(typed, "de_DE", today=TODAY)
    assert "24.12.2026" in refused.value.hint


@pytest.mark.parametrize(
    ("locale", "zone", "day", "moment", "clock"),
    [
        ("en_US", CHICAGO, "Dec 24, 2026", "12/24/26, 8:05\u202fAM", "8:05\u202fAM"),
        ("de_DE", BERLIN, "24.12.2026", "24.12.26, 15:05", "15:05"),
        ("fr_FR", BERLIN, "24 déc. 2026", "24/12/2026 15:05", "15:05"),
        ("es_ES", BERLIN, "24 dic 2026", "24/12/26, 15:05", "15:05"),
    ],
)
def test_dates_are_shown_the_locale_way_in_its_own_language(
    locale: str, zone: ZoneInfo, day: str, moment: str, clock: str
) -> None:
    set_screen_language(locale)
    assert show_date(EVE, locale, zone) == day
    assert show_datetime(EVE, locale, zone) == moment
    assert show_time(EVE, locale, zone) == clock


def test_another_language_reads_dates_as_written_in_the_store_country() -> None:
    set_screen_language("es")
    assert show_date(EVE, "en_US", CHICAGO) == "24 dic 2026"  # es_US
    assert show_day(EVE, "en_US", CHICAGO) == "24 dic"
    set_screen_language("en")
    assert show_day(EVE, "de_DE", BERLIN, clock=True) == "24 Dec 15:05"  # en_DE


def test_a_document_takes_its_own_language_for_month_names() -> None:
    set_screen_language("en")
    with use_language("de"):
        assert show_date(EVE, "de_DE", BERLIN, form="long") == "24. Dezember 2026"
    assert show_date(EVE, "en_US", CHICAGO, form="long") == "December 24, 2026"


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR", "es_ES", "de_CH", "en_GB", "sv_SE"])
@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_the_example_form_reads_back_every_date(locale: str, day: date) -> None:
    from babel.dates import format_date

    from counter.dates import _store, _typed_pattern

    assert parse_typed_date(format_date(day, _typed_pattern(locale), locale=_store(locale)), locale) == day


def test_the_example_is_the_locale_form() -> None:
    assert [date_example(x) for x in ("en_US", "de_DE", "fr_FR", "sv_SE")] == [
        "12/24/2026",
        "24.12.2026",
        "24/12/2026",
        "2026-12-24",
    ]
