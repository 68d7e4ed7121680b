"""Our own table of ESC/POS code pages: name, ``ESC t`` slot, Python codec.

Why our own: python-escpos' profile lists invert ``{slot: name}`` and the last slot wins,
so clone profiles select slots >= 48 that the firmware does not have (notes §1.4). The
slots below are the Epson standard ones (TM-T88 family and the many compatibles);
a printer that differs is configured with ``PrinterProfile.codepage_slot``.

Names are the python-escpos / escpos-printer-db encoding names so that its ``Encoder``
can build the character map for the same page.

Also holds ``transliterate``: text a page cannot encode is replaced by a readable ASCII
approximation ("€" -> "EUR", "ø" -> "o", "→" -> "->") rather than "?" or garbage.
Pure functions; any thread.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class CodePage:
    name: str  # escpos-printer-db name, e.g. "CP858"
    slot: int  # ESC t n
    codec: str  # Python codec name


_PAGES = (
    CodePage("CP437", 0, "cp437"),
    CodePage("CP850", 2, "cp850"),
    CodePage("CP860", 3, "cp860"),
    CodePage("CP863", 4, "cp863"),
    CodePage("CP865", 5, "cp865"),
    CodePage("CP1252", 16, "cp1252"),
    CodePage("CP866", 17, "cp866"),
    CodePage("CP852", 18, "cp852"),
    CodePage("CP858", 19, "cp858"),
    CodePage("ISO_8859-2", 39, "iso8859_2"),
    CodePage("ISO_8859-15", 40, "iso8859_15"),
    CodePage("CP1250", 45, "cp1250"),
    CodePage("CP1251", 46, "cp1251"),
    CodePage("CP1253", 47, "cp1253"),
    CodePage("CP1254", 48, "cp1254"),
    CodePage("CP1257", 51, "cp1257"),
)

CODE_PAGES: dict[str, CodePage] = {p.name: p for p in _PAGES}
_BY_SLOT: dict[int, CodePage] = {p.slot: p for p in _PAGES}

#: What a printer uses after power-on or ESC @ (slot 0).
DEFAULT_PAGE = CODE_PAGES["CP437"]


def code_page(name: str) -> CodePage:
    """Look a page up by name ("cp858", "CP858", "iso-8859-15" all work)."""
    key = name.strip().upper().replace("ISO-", "ISO_").replace("ISO8859", "ISO_8859")
    if key.startswith("ISO_8859") and "-" not in key:
        key = key.replace("ISO_8859_", "ISO_8859-")
    try:
        return CODE_PAGES[key]
    except KeyError:
        known = ", ".join(CODE_PAGES)
        raise ValueError(f"Unknown code page {name!r}; known pages: {known}.") from None


def page_for_slot(slot: int) -> CodePage | None:
    return _BY_SLOT.get(slot)


# Characters that NFKD decomposition does not reduce to ASCII, or that read better
# as a word. Checked only when the page itself cannot encode the character.
_TRANSLIT: dict[str, str] = {
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "¢": "c",
    "ø": "o",
    "Ø": "O",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ß": "ss",
    "ẞ": "SS",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "ı": "i",
    "‘": "'",
    "’": "'",
    "‚": ",",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": "<<",
    "»": ">>",
    "‹": "<",
    "›": ">",
    "–": "-",
    "—": "-",
    "−": "-",
    "‐": "-",
    "…": "...",
    "•": "*",
    "·": ".",
    "→": "->",
    "←": "<-",
    "×": "x",
    "÷": "/",
    "°": "o",
    "©": "(c)",
    "®": "(R)",
    "™": "TM",
    "½": "1/2",
    "¼": "1/4",
    "¾": "3/4",
    "№": "No",
}

#: Spaces that fonts of thermal printers render unpredictably: always a plain space.
_SPACES = {"\u00a0", "\u202f", "\u2009", "\u2007", "\u2002", "\u2003", "\u200a"}
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff"}


def transliterate(text: str, page: CodePage) -> str:
    """Return ``text`` using only characters ``page`` can encode.

    Characters the page has are kept as they are (é stays é on CP858). Others become an
    ASCII approximation; a character with no approximation at all becomes "?".
    Control characters other than LF are dropped: text must never inject commands.
    """
    out: list[str] = []
    for ch in text:
        if ch in _SPACES:
            out.append(" ")
            continue
        if ch in _INVISIBLE:
            continue
        if ch == "\n":
            out.append(ch)
            continue
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            continue
        if _encodable(ch, page):
            out.append(ch)
            continue
        out.append(_approximate(ch, page))
    return "".join(out)


def _encodable(ch: str, page: CodePage) -> bool:
    try:
        ch.encode(page.codec)
    except UnicodeEncodeError:
        return False
    return True


def _approximate(ch: str, page: CodePage) -> str:
    if ch in _TRANSLIT:
        return _TRANSLIT[ch]
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if base and base != ch and all(_encodable(c, page) for c in base):
        return base
    if base and all(c in _TRANSLIT or _encodable(c, page) for c in base) and base != ch:
        return "".join(_TRANSLIT.get(c, c) for c in base)
    return "?"
