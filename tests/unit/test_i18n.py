"""The translation mechanism: languages, plural rules, pseudo-languages, per-document language."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from counter import i18n
from counter.i18n import (
    KEEP,
    _,
    display_name,
    is_rtl,
    language,
    ngettext,
    normalize,
    pseudo_long,
    pseudo_rtl,
    set_screen_language,
    use_language,
)


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    set_screen_language("en")


@pytest.fixture
def catalogues(tmp_path, monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Small catalogues in a temporary locale folder: plural rules come from each language."""
    for code, forms in {
        "de": ("{n} Artikel", "{n} Artikel"),
        "fr": ("{n} article", "{n} articles"),
        "es": ("{n} artículo", "{n} artículos"),
    }.items():
        catalog = Catalog(locale=code, domain="counter")
        catalog.add(
            "Scan an item", {"de": "Artikel scannen", "fr": "Scannez un article", "es": "Escanee un artículo"}[code]
        )
        catalog.add(("{n} item", "{n} items"), forms)
        catalog.add("Only in English")  # no translation: the English text shows
        folder = tmp_path / code / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with (folder / "counter.po").open("wb") as fh:
            write_po(fh, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.reload()
    yield
    i18n.reload()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("de_DE", "de"),
        ("de-CH", "de"),
        ("fr_CA.UTF-8", "fr"),
        ("es", "es"),
        ("en_US", "en"),
        ("it_IT", "en"),  # no catalogue: English
        ("", "en"),
        (None, "en"),
        ("en_xa", "en_XA"),
        ("ar-XB", "ar_XB"),
    ],
)
def test_a_locale_names_its_catalogue(code: str | None, expected: str) -> None:
    assert normalize(code) == expected


def test_the_screen_speaks_the_chosen_language(catalogues: None) -> None:
    assert _("Scan an item") == "Scan an item"
    set_screen_language("de_AT")
    assert _("Scan an item") == "Artikel scannen"
    assert _("Only in English") == "Only in English"
    set_screen_language("fr")
    assert _("Scan an item") == "Scannez un article"


def test_plural_forms_follow_each_language(catalogues: None) -> None:
    def items(n: int) -> str:
        return ngettext("{n} item", "{n} items", n).format(n=n)

    assert [items(n) for n in (0, 1, 2)] == ["0 items", "1 item", "2 items"]
    set_screen_language("fr")  # French counts 0 as singular
    assert [items(n) for n in (0, 1, 2)] == ["0 article", "1 article", "2 articles"]
    set_screen_language("es")
    assert [items(n) for n in (0, 1, 2)] == ["0 artículos", "1 artículo", "2 artículos"]
    set_screen_language("de")
    assert items(1) == "1 Artikel"


def test_a_document_is_made_in_its_own_language_and_the_screen_keeps_its_own(catalogues: None) -> None:
    set_screen_language("fr")
    with use_language("de_DE") as chosen:
        assert chosen == "de"
        assert _("Scan an item") == "Artikel scannen"
        with use_language("es"):
            assert _("Scan an item") == "Escanee un artículo"
        assert language() == "de"
    assert _("Scan an item") == "Scannez un article"


def test_a_document_language_holds_for_its_thread_only(catalogues: None) -> None:
    seen: dict[str, str] = {}
    inside = threading.Event()
    done = threading.Event()

    def printer_thread() -> None:
        with use_language("de"):
            seen["printer"] = _("Scan an item")
            inside.set()
            done.wait(5)

    worker = threading.Thread(target=printer_thread)
    worker.start()
    inside.wait(5)
    seen["screen"] = _("Scan an item")  # the GUI thread is not in the printer's document
    done.set()
    worker.join(5)
    assert seen == {"printer": "Artikel scannen", "screen": "Scan an item"}


def test_pseudo_long_accents_every_letter_and_keeps_placeholders() -> None:
    text = pseudo_long("Refund {amount} to %(card)s? <b>Now</b> &amp; later\n")
    assert text.startswith("[") and text.endswith("]\n")
    assert "{amount}" in text and "%(card)s" in text and "<b>" in text and "&amp;" in text
    letters_outside = KEEP.sub("", text)
    assert not any("a" <= ch.lower() <= "z" for ch in letters_outside), text
    assert len(text) > len("Refund {amount} to %(card)s? <b>Now</b> &amp; later") * 1.2
    assert pseudo_long("{a}{b}").startswith("[{a}{b}")  # only placeholders: still marked
    assert pseudo_long("") == ""


def test_pseudo_rtl_writes_each_word_right_to_left() -> None:
    text = pseudo_rtl("Pay {amount} now")
    assert text.startswith("\u200f")
    assert "\u202ePay\u202c" in text and "\u202enow\u202c" in text and "{amount}" in text
    assert is_rtl("ar_XB") and is_rtl("he_IL") and not is_rtl("de")


def test_pseudo_languages_need_no_catalogue() -> None:
    set_screen_language("en_XA")
    assert _("Total") == "[Ţöţáļ ~~]"
    assert ngettext("{n} line", "{n} lines", 1) == pseudo_long("{n} line")
    assert ngettext("{n} line", "{n} lines", 3) == pseudo_long("{n} lines")


def test_languages_are_listed_by_their_own_names() -> None:
    assert [display_name(code) for code in i18n.LANGUAGES] == ["English", "Deutsch", "Français", "Español"]


def test_the_shipped_catalogues_are_read_as_gettext(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The real catalogues load (no compiled files in the tree) and give German for German."""
    i18n.reload()
    for code in i18n.CATALOGUES:
        assert i18n.catalogue_path(code).exists(), code
    set_screen_language("de")
    assert _("Cancel  (Esc)") == "Abbrechen  (Esc)"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "de_DE.UTF-8"}, "gibt es keinen Datenbestand"),
        ({"LANG": "fr_FR.UTF-8"}, "Aucun"),
        ({"LANG": "de_DE.UTF-8", "COUNTER_LANGUAGE": "es"}, "No hay datos"),
        ({"LANG": "C.UTF-8"}, "There is no store"),
    ],
)
def test_the_command_line_speaks_the_systems_language_unless_told(tmp_path, env, expected) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    clean = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "COUNTER_LANGUAGE")}
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "journal", "verify", "--data-dir", str(tmp_path / "none")],
        cwd=root, env={**clean, **env, "PYTHONPATH": str(root)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    said = result.stdout + result.stderr
    assert expected in said, said
