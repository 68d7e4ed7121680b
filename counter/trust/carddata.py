"""Payment card data: Counter never stores, logs or prints a card number, CVV or track.

Card payments happen on an external terminal; Counter records only the brand, the last 4
digits and the approval code. Everything else that looks like card data is refused or
masked before anything keeps it (the scan field, search, dialogs, notes, the journal,
the database layer, the log and the print spool).

What counts as card data:

* **track data** from a magnetic-stripe swipe typed by a keyboard reader:
  track 1 ``%B4111111111111111^DOE/JOHN^2512101...?`` and track 2
  ``;4111111111111111=2512101...?``;
* a **primary account number**: 13 to 19 digits (spaces or dashes between groups
  allowed) that pass the Luhn check and do not start with 0 (ISO/IEC 7812 major
  industry identifier 0 is not a card; GTIN-14 and GS1 element strings of products
  start with 0), except 13- and 14-digit numbers that are valid GTINs (EAN-13 product
  barcodes, whose GS1 check digit is right), so that a product scan is never refused,
  and digits inside a long hexadecimal token (hashes and keys, 32 characters or more).
  Digits split by spaces or dashes count when grouped the way cards print them. A
  15-digit number counts only with an American Express, UATP or enRoute prefix, so that
  a phone's IMEI (15 digits that pass the Luhn check by design) can be written down.

Limits (docs/trust.md): a 13- or 14-digit card number whose last digit is also a valid
GS1 check digit (about one in ten of those rare cards) is taken for a product barcode;
a number split by other characters than spaces or dashes is not recognised.

Pure functions; any thread.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from counter.errors import CounterError
from counter.i18n import N_, _

#: A run of 13-19 digits, maybe grouped by single spaces or dashes, not inside a longer
#: run of digits.
_PAN_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
_TRACK1 = re.compile(r"%?[Bb]([0-9]{13,19})\^[^^]{0,26}\^[^?\r\n]*\??")
_TRACK2 = re.compile(r";?([0-9]{13,19})=[^?\r\n]*\??")
#: what every card number and track holds: 13 digits in a row, perhaps split by spaces or
#: dashes; looked for in the text with its spaces and dashes taken out (a superset of those
#: runs, found about three times faster than with the separators in the pattern)
_DIGIT_RUN = re.compile(r"[0-9]{13}")
_BYTES_PAN = re.compile(rb"(?<![0-9])[0-9]{13,19}(?![0-9])")

MASK = "•"
#: 15-digit card numbers: American Express, UATP, enRoute.
_FIFTEEN_DIGIT_CARDS = ("34", "37", "1", "2014", "2149")


class CardDataRefused(CounterError):
    """Input that holds a payment card number or magnetic-stripe track."""


def luhn_ok(digits: str) -> bool:
    total = 0
    for n, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if n % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _gs1_ok(digits: str) -> bool:
    body, check = digits[:-1], ord(digits[-1]) - 48
    total = sum((ord(c) - 48) * (3 if n % 2 == 0 else 1) for n, c in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def is_pan(digits: str) -> bool:
    """True for 13-19 digits (no separators) that would be taken for a card number."""
    if not (13 <= len(digits) <= 19 and digits.isascii() and digits.isdigit()):
        return False
    if digits[0] == "0" or not luhn_ok(digits):
        return False
    if len(digits) == 15 and not digits.startswith(_FIFTEEN_DIGIT_CARDS):
        return False  # a phone's IMEI (15 digits, Luhn by design) in a repair note is no card
    return not (len(digits) in (13, 14) and _gs1_ok(digits))


_HEX = frozenset("0123456789abcdefABCDEF")


def _in_hex_token(text: str, start: int, end: int) -> bool:
    """True when the digits sit inside a long hexadecimal token (a SHA-256, an HMAC, a
    key): digits there are chance, not a card."""
    left, right = start, end
    while left > 0 and text[left - 1].isalnum():
        left -= 1
    while right < len(text) and text[right].isalnum():
        right += 1
    return right - left >= 32 and all(ch in _HEX for ch in text[left:right])


def _card_grouping(text: str, start: int, end: int) -> bool:
    """Digits split by spaces or dashes count only when grouped as cards print them
    (``4111 1111 1111 1111``, ``3782 822463 10005``) and standing alone: a UUID's or a
    date's digit groups do not."""
    groups = re.split(r"[ -]", text[start:end])
    if len(groups) == 1:
        return True
    alone = (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())
    return alone and len(groups[0]) == 4 and all(3 <= len(g) <= 6 for g in groups)


def _pan_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _PAN_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if is_pan(digits) and _card_grouping(text, *match.span()) and not _in_hex_token(text, *match.span()):
            spans.append(match.span())
    return spans


def has_track_data(text: str) -> bool:
    return any(is_pan(m.group(1)) for pattern in (_TRACK1, _TRACK2) for m in pattern.finditer(text))


def has_card_data(text: str) -> bool:
    """True when ``text`` holds a card number or stripe track anywhere in it."""
    if not text or not _DIGIT_RUN.search(text.replace(" ", "").replace("-", "")):
        return False  # no run of 13 digits: neither a card number nor a track can be in it
    return has_track_data(text) or bool(_pan_spans(text))


def card_data_in_code(text: str) -> bool:
    """``has_card_data`` for what a scanner or the item field reads: a run of digits of a
    product barcode's length (8, 12, 13 or 14) is left to the barcode check, which names
    a wrong check digit; a mistyped EAN-13 may pass the Luhn check, a real card is not
    taken for it because it is refused again before anything is stored."""
    stripped = text.strip()
    if stripped.isdigit() and len(stripped) in (8, 12, 13, 14):
        return False
    return has_card_data(text)


def mask_card_data(text: str) -> str:
    """``text`` with every track replaced by a marker and every card number masked down
    to its last 4 digits (``•••• 1111``)."""
    if not has_card_data(text):
        return text

    def track(match: re.Match[str]) -> str:
        pan = match.group(1)
        return f"[card swipe removed: {MASK * 4} {pan[-4:]}]" if is_pan(pan) else match.group()

    text = _TRACK1.sub(track, text)
    text = _TRACK2.sub(track, text)
    out, last = [], 0
    for start, end in _pan_spans(text):
        digits = re.sub(r"[ -]", "", text[start:end])
        out.append(text[last:start])
        out.append(f"{MASK * 4} {digits[-4:]}")
        last = end
    out.append(text[last:])
    return "".join(out)


def mask_card_bytes(data: bytes) -> bytes:
    """The same for raw bytes (a print job): each card number's digits but the last 4
    become ``*``, so that the length of the data, and any command around it, is kept."""
    if not _BYTES_PAN.search(data):
        return data

    def star(match: re.Match[bytes]) -> bytes:
        digits = match.group()
        return b"*" * (len(digits) - 4) + digits[-4:] if is_pan(digits.decode("ascii")) else digits

    return _BYTES_PAN.sub(star, data)


def refuse_card_data(text: str, where: str = N_("here")) -> str:
    """``text`` unchanged, or CardDataRefused (whose message never repeats the number)."""
    if has_card_data(text):
        raise CardDataRefused(
            # Translators: {where} is e.g. "in a note" (translated on its own)
            _("That looks like a payment card number. Counter never takes card numbers {where}.").format(
                where=_(where)
            ),
            _("Take card payments on the card terminal; for a card payment type only the last 4 digits."),
        )
    return text


def contains_card_data(value: Any) -> bool:
    """True when a str, or any str inside lists, tuples or dict values, holds card data."""
    if isinstance(value, str):
        return has_card_data(value)
    if isinstance(value, dict):
        return any(contains_card_data(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_card_data(v) for v in value)
    return False


class CardDataFilter(logging.Filter):
    """A logging filter that masks card numbers and tracks in messages and tracebacks.

    Attach it to every handler (``handler.addFilter``): it rewrites the record in place,
    so whatever formatter runs next sees only masked text. ``rewrite`` is what runs over
    each text (counter/trust/redaction.py's filter runs more than the card scan)."""

    rewrite = staticmethod(mask_card_data)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw text
            message = str(record.msg)
        record.msg, record.args = self.rewrite(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.rewrite(record.exc_text)
        if record.stack_info:
            record.stack_info = self.rewrite(record.stack_info)
        return True
