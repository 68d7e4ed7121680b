"""One translation mechanism for every word a person reads: gettext catalogues through Babel.

Screens, dialogs, messages and hints, receipts, slips, PDFs, letters, CLI messages and HQ's
back office all call the same functions, so the same catalogue serves Qt and the documents:

- ``_("Scan an item")``: the text in the current language;
- ``ngettext("{n} item", "{n} items", n).format(n=n)``: the plural form the language needs
  (German and Spanish have two, French counts 0 and 1 as singular);
- ``pgettext("button", "Open")``: when one English word is two words elsewhere;
- ``N_("Cash")``: only marks a text for the catalogue (a constant made at import time); it is
  translated where it is shown, with ``_(CONSTANT)``.

Placeholders are named (``{amount}``), never f-strings inside ``_()``: a translator may move
them. Text that is stored (journal events, state tables, codes) is never translated; only
what is shown or printed, at the moment it is shown or printed.

Which language: ``language()`` is the language of what is being made right now. The screen's
language (``set_screen_language``) follows the signed-in person; a document is made inside
``use_language(store or customer language)``, which holds for that thread and context only.

Catalogues live in ``resources/locale/<lang>/LC_MESSAGES/counter.po`` and are read as they
are (no compiled .mo in the tree). Two pseudo-languages are made from the English text, for
tests and for translators: ``en_XA`` (accented and 40 % longer, in brackets, so that text
that escaped translation and text that would be clipped both show) and ``ar_XB`` (each word
written right to left, and screens laid out mirrored).
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "counter"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "resources" / "locale"
SOURCE_LANGUAGE = "en"
#: languages with a full catalogue, beside the source language
CATALOGUES = ("de", "fr", "es")
PSEUDO_LONG = "en_XA"
PSEUDO_RTL = "ar_XB"
PSEUDO = (PSEUDO_LONG, PSEUDO_RTL)
#: what a person or a store can choose, in the order a list shows them
LANGUAGES = (SOURCE_LANGUAGE, *CATALOGUES)
_RTL = {"ar", "he", "fa", "ur", PSEUDO_RTL}

_override: ContextVar[str | None] = ContextVar("counter_language", default=None)
_screen: list[str] = [SOURCE_LANGUAGE]  # COUNTER_LANGUAGE's, when set (end of this module)
#: the environment variable that makes everything one language (translators, tests, the CLI)
FORCE_VARIABLE = "COUNTER_LANGUAGE"


def normalize(code: str | None) -> str:
    """The catalogue a language or locale code means: ``de_CH`` and ``de-AT`` are ``de``,
    the pseudo-languages are themselves, and anything unknown or empty is English."""
    if not code:
        return SOURCE_LANGUAGE
    text = code.strip().replace("-", "_")
    for pseudo in PSEUDO:
        if text.lower() == pseudo.lower():
            return pseudo
    base = text.split("_", 1)[0].split(".", 1)[0].lower()
    return base if base in LANGUAGES else SOURCE_LANGUAGE


def forced() -> str | None:
    """The language ``COUNTER_LANGUAGE`` imposes on screens and documents alike, if set: a
    translator checking a catalogue, or a pseudo-language run."""
    code = os.environ.get(FORCE_VARIABLE, "").strip()
    return normalize(code) if code else None


def language() -> str:
    """The language of what is being made now: the document's inside ``use_language``, else
    the screen's."""
    return _override.get() or _screen[0]


def screen_language() -> str:
    return _screen[0]


def set_screen_language(code: str | None) -> str:
    """The screen speaks ``code`` from now on (the signed-in person's preference, or the
    store's language when they have none). Returns the catalogue chosen."""
    _screen[0] = forced() or normalize(code)
    return _screen[0]


@contextmanager
def use_language(code: str | None) -> Iterator[str]:
    """Make a document in ``code`` (the store's or the customer's language), whatever the
    screen speaks; the screen's language is back afterwards. An empty ``code`` (a document
    made before documents had a language) keeps the language of the moment."""
    token = _override.set(forced() or (normalize(code) if code else language()))
    try:
        yield language()
    finally:
        _override.reset(token)


def is_rtl(code: str | None = None) -> bool:
    """Whether ``code`` (default: the current language) is written right to left."""
    text = (code or language()).replace("-", "_")
    return text in _RTL or text.split("_", 1)[0].lower() in _RTL


def display_name(code: str) -> str:
    """A language's own name for itself ("Deutsch", "Français"), for a list to choose from."""
    if code == PSEUDO_LONG:
        return "Pseudo (long, accented)"
    if code == PSEUDO_RTL:
        return "Pseudo (right to left)"
    return (Locale.parse(code).get_display_name(code) or code).capitalize()


def _(message: str) -> str:
    """``message`` in the current language (itself when the catalogue has no translation)."""
    return _translations(language()).gettext(message)


def gettext(message: str) -> str:
    return _(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` that ``n`` takes in the current language."""
    return _translations(language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, told apart from the same English text used
    elsewhere by ``context``."""
    return _translations(language()).pgettext(context, message)


#: languages whose nouns keep their capital inside a sentence
_CAPITAL_NOUNS = {"de"}


def in_sentence(label: str) -> str:
    """A label ("Return to vendor") written inside a sentence: lower case in English, French and
    Spanish ("… goes to return to vendor"), as it is in German, whose nouns keep their capital."""
    return label if language().split("_")[0] in _CAPITAL_NOUNS else label.lower()


def N_(message: str) -> str:  # noqa: N802 - the gettext convention, known to every extractor
    """Marks ``message`` for the catalogue without translating it (module constants)."""
    return message


def catalogue_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _translations(code: str) -> _gettext.NullTranslations:
    if code in PSEUDO:
        return _Pseudo(rtl=code == PSEUDO_RTL)
    path = catalogue_path(code)
    if code == SOURCE_LANGUAGE or not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def reload() -> None:
    """Forget the catalogues read so far (after ``scripts/i18n.py`` rewrote them)."""
    _translations.cache_clear()


# -- the pseudo-languages ---------------------------------------------------------------------

#: what never changes in a pseudo-translation: placeholders, markup, escapes, Qt mnemonics' '&'
KEEP = re.compile(r"\{[^{}]*\}|%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdifr%]|<[^>]*>|&[a-zA-Z#0-9]+;|\\n")
_ACCENTS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÁƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
PSEUDO_OPEN = "["
PSEUDO_CLOSE = "]"


def pseudo_long(message: str) -> str:
    """``message`` accented and 40 % longer, in brackets: "[Šçáñ áñ îţéɱ ~~~~]". Every
    ASCII letter becomes another letter, so English left on a screen stands out."""
    if not message:
        return message
    parts: list[str] = []
    pos = 0
    letters = 0
    for match in KEEP.finditer(message):
        chunk = message[pos : match.start()]
        letters += len(chunk)
        parts.append(chunk.translate(_ACCENTS))
        parts.append(match.group(0))
        pos = match.end()
    tail = message[pos:]
    letters += len(tail)
    parts.append(tail.translate(_ACCENTS))
    padding = "~" * max(1, (letters * 2 + 4) // 5)  # German runs about a third longer than English
    lead = len(message) - len(message.lstrip("\n"))
    trail = len(message) - len(message.rstrip("\n"))
    body = "".join(parts)
    core = body[lead : len(body) - trail if trail else None]
    return f"{body[:lead]}{PSEUDO_OPEN}{core} {padding}{PSEUDO_CLOSE}{body[len(body) - trail :] if trail else ''}"


_RLO = "\u202e"  # right-to-left override: the word's letters run from the right
_PDF = "\u202c"  # pop directional formatting
_RLM = "\u200f"  # right-to-left mark: the paragraph is right to left


def pseudo_rtl(message: str) -> str:
    """``message`` with each word written right to left (as Android's ar-XB): a screen in this
    language shows what an Arabic or Hebrew one would, with the English still readable."""
    if not message:
        return message
    out: list[str] = []
    pos = 0
    for match in KEEP.finditer(message):
        out.append(_rtl_words(message[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_rtl_words(message[pos:]))
    return _RLM + "".join(out)


def _rtl_words(text: str) -> str:
    return re.sub(r"[A-Za-z]+", lambda m: f"{_RLO}{m.group(0)}{_PDF}", text)


class _Pseudo(_gettext.NullTranslations):
    def __init__(self, *, rtl: bool) -> None:
        super().__init__()
        self._make = pseudo_rtl if rtl else pseudo_long

    def gettext(self, message: str) -> str:
        return self._make(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self._make(msgid1 if n == 1 else msgid2)

    def pgettext(self, context: str, message: str) -> str:
        return self._make(message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self._make(msgid1 if n == 1 else msgid2)


_screen[0] = forced() or SOURCE_LANGUAGE
