"""What never reaches a log file or a support bundle: secrets, card data, contact details.

``redact(text)`` is applied to every log record before it is written (``RedactingFilter``,
installed on each handler by app/logs.py) and again to every file ``counter diagnose``
bundles. It removes, in this order:

* **card data** (counter/trust/carddata.py): a card number is masked to its last 4 digits,
  a magnetic-stripe track replaced by a marker; a track-2 shape (``;digits=digits?``) goes
  too even when its number fails the Luhn check, since nothing else looks like one;
* **secrets**: the value after a key that names one (``pin``, ``password``, ``secret``,
  ``token``, ``api_key``, ``authorization``, ``cookie``, ``session``, ``enrolment code``,
  with ``=`` or ``:``, quoted or not: ``pin=1234``, ``'token': 'abc'``, ``"api-key": "x"``),
  the same given as a command-line option (``--pin 1234``, ``--code K7QM-...``), "PIN 1234",
  ``Bearer``/``Basic`` credentials, a URL's password (``https://user:pw@host``), anything
  shaped like an HQ enrolment code (``XXXX-XXXX-XXXX`` in HQ's alphabet), and any run of 32 or
  more URL-safe characters mixing upper case, lower case and digits (HQ's tokens; a hash in
  hex or a UUID has no upper case and is kept, support needs those);
* **contact details**: e-mail addresses, and phone numbers written in E.164 (``+12175550101``,
  how the store keeps them) or in the North American ``(217) 555-0101`` / ``217-555-0101``
  shapes. Other national shapes are not recognised in general text (they look like any other
  number); ``CustomerScrubber`` removes the store's own customers' phones in any shape from a
  support bundle.

A customer's *name* cannot be told from other words in a log line; the support bundle
removes the names, phones, e-mail addresses, street lines and desk notes of the store's
customers with ``CustomerScrubber`` unless support asked for them (docs/support.md).

``redact`` is idempotent (redacting redacted text changes nothing). Pure; any thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from counter.trust.carddata import MASK, CardDataFilter, mask_card_data

REDACTED = "[redacted]"
TOKEN = "[redacted token]"
EMAIL = "[e-mail]"
PHONE = "[phone]"
CUSTOMER = "[customer]"

_SECRET_WORDS = (
    r"pins?|pin[_-]?code|passwords?|passwd|pwd|passphrase|secrets?|tokens?|api[_-]?keys?|apikey"
    r"|authorization|auth|cookies?|set-cookie|session(?:[_-]?id)?|sessionid|otp"
    r"|enrol(?:l?ment)?[_ -]?code"
)
#: ``key = value``: a key naming a secret (perhaps with a prefix: ``hq_token``, ``x-api-key``,
#: ``new_pin``), perhaps quoted, ``=`` or ``:``, then a quoted value or a bare one. A value
#: already redacted, or a ``Bearer``/``Basic`` scheme (its credential is taken below), is kept.
_KEYED = re.compile(
    r"(?i)(?<![\w-])((?:[\w-]*[_-])?(?:" + _SECRET_WORDS + r"))([\"']?\s*[:=]\s*)"
    r"(?!\[redacted|(?:bearer|basic)\s)"
    r"(?:\"([^\"\n]*)\"|'([^'\n]*)'|([^\s\"',;&)}\]]+))"
)
_OPTION = re.compile(r"(?i)(--(?:pin|password|passwd|token|code|api-key|secret)(?:=|\s+))(?!\[redacted)(\S+)")
_SPOKEN_PIN = re.compile(r"(?i)\b(pin(?:\s+is)?\s+)(\d{4,12})\b")
_SCHEME = re.compile(r"(?i)\b(bearer|basic)\s+(?!\[redacted)[A-Za-z0-9._~+/=-]+")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)(?!\[redacted)([^@\s/]+)(@)")
#: HQ's one-time enrolment code (hq/access.py: 12 of ``CODE_ALPHABET``, shown in groups of 4)
_ENROL_CODE = re.compile(r"(?<![\w-])[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}(?![\w-])")
_LONG_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[0-9])"
    r"[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])"
)
#: a track-2 shape whose number fails the Luhn check (carddata masks the real ones first)
_TRACK2_SHAPE = re.compile(r";?([0-9]{12,19})=[0-9]{4,}[^?\s]*\??")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_E164 = re.compile(r"(?<![\w+])\+[1-9](?:[ ().-]?[0-9]){6,14}(?![0-9])")
_NANP = re.compile(r"(?<![\w-])(?:\([2-9][0-9]{2}\)\s?|[2-9][0-9]{2}[-.])[0-9]{3}[-.][0-9]{4}(?![\w-])")


def _keyed(match: re.Match[str]) -> str:
    key, sep = match.group(1), match.group(2)
    if match.group(3) is not None:
        return f'{key}{sep}"{REDACTED}"'
    if match.group(4) is not None:
        return f"{key}{sep}'{REDACTED}'"
    return f"{key}{sep}{REDACTED}"


def _track(match: re.Match[str]) -> str:
    return f"[card swipe removed: {MASK * 4} {match.group(1)[-4:]}]"


def redact_secrets(text: str) -> str:
    """``text`` without the secrets listed in the module docstring."""
    text = _SCHEME.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    text = _KEYED.sub(_keyed, text)
    text = _OPTION.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _SPOKEN_PIN.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _ENROL_CODE.sub(REDACTED, text)
    return _LONG_TOKEN.sub(TOKEN, text)


def redact_contacts(text: str) -> str:
    """``text`` with e-mail addresses and recognisable phone numbers replaced."""
    if "@" in text:
        text = _EMAIL.sub(EMAIL, text)
    text = _E164.sub(PHONE, text)
    return _NANP.sub(PHONE, text)


def redact(text: str) -> str:
    """Card data, secrets and contact details out of ``text`` (see the module docstring)."""
    text = mask_card_data(text)
    if "=" in text:
        text = _TRACK2_SHAPE.sub(_track, text)
    return redact_contacts(redact_secrets(text))


class RedactingFilter(CardDataFilter):
    """A logging filter that runs ``redact`` over a record's message (its arguments merged
    in), its traceback and its stack: the card-data filter's mechanism with the whole
    redaction. Attach it to every handler (``handler.addFilter``); a bad format string
    keeps its raw text, redacted."""

    rewrite = staticmethod(redact)


class CustomerScrubber:
    """Removes the store's own customers' details from text (a support bundle made without
    ``--with-customer-data``): each of ``texts`` (names, e-mail addresses, street lines,
    notes; a note's lines too, when long enough to be its own) wherever it stands as whole
    words, case ignored, and each of ``phones`` in any shape (its digits, however grouped).

    Found by the words of the text (an index of each value's first word), not one search
    per value: a store's thousands of customers over megabytes of logs stay quick."""

    MIN_LENGTH = 3  # shorter values ("Al", "", "-") would take ordinary words with them
    MIN_LINE = 12  # a note's line scrubbed on its own when at least this long
    _WORD = re.compile(r"\w+")
    _PHONEISH = re.compile(r"\+?[0-9][0-9 ().-]{5,}[0-9]")

    def __init__(self, texts: Iterable[str], phones: Iterable[str]) -> None:
        values: set[str] = set()
        for text in texts:
            value = " ".join(text.split()).lower()
            if len(value) >= self.MIN_LENGTH:
                values.add(value)
            for line in text.splitlines():
                line = " ".join(line.split()).lower()
                if len(line) >= self.MIN_LINE:
                    values.add(line)
        self._index: dict[str, list[str]] = {}
        for value in sorted(values, key=len, reverse=True):  # the longest match first
            first = self._WORD.search(value)
            if first is not None:
                self._index.setdefault(first.group(), []).append(value)
        self._phones = {d[-10:] for d in ("".join(c for c in p if c.isdigit()) for p in phones) if len(d) >= 7}

    def scrub(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for match in self._WORD.finditer(text):
            start = match.start()
            if start < last:
                continue  # inside a value already taken out
            for value in self._index.get(match.group().lower(), ()):
                end = self._end_of(text, start, value)
                if end is not None:
                    out.append(text[last:start])
                    out.append(CUSTOMER)
                    last = end
                    break
        out.append(text[last:])
        text = "".join(out)
        if self._phones:
            text = self._PHONEISH.sub(self._phone, text)
        return text

    @staticmethod
    def _end_of(text: str, start: int, value: str) -> int | None:
        """Where ``value`` ends if it stands at ``start`` as whole words (its spaces may be
        any run of white space in ``text``), else None."""
        pos = start
        for n, part in enumerate(value.split(" ")):
            if n:
                gap = pos
                while gap < len(text) and text[gap].isspace():
                    gap += 1
                if gap == pos:
                    return None
                pos = gap
            if text[pos : pos + len(part)].lower() != part:
                return None
            pos += len(part)
        if pos < len(text) and (text[pos].isalnum() or text[pos] == "_") and value[-1:].isalnum():
            return None
        return pos

    def _phone(self, match: re.Match[str]) -> str:
        digits = "".join(c for c in match.group() if c.isdigit())
        return CUSTOMER if len(digits) >= 7 and digits[-10:] in self._phones else match.group()
