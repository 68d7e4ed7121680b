"""What a scan means: GTINs, GS1 element strings, and in-store price/weight barcodes.

biip does the standard work (AIM symbology identifiers, GTIN/UPC check digits, UPC-E
expansion, GS1 element strings). On top of it, a store-configurable rule table reads the
variable-measure barcodes that scales and price labellers print with the restricted
prefixes 02 (UPC-A number system 2) and 20-29 (EAN-13). Their layout is defined by each
country or store, not by GS1, so it is configuration (notes §4.4, Odoo's pattern syntax):

    "21.....{NNDDD}"   prefix 21, five digits of item reference, weight 2+3 decimals
    "23.....{NNNDD}"   prefix 23, five digits of item reference, price 3+2 decimals
    "02.....{NNNDD}"   UPC-A "2 IIIII VVVVV C" in its EAN-13 form (leading 0)

A pattern covers the first 12 digits of the EAN-13 form; the 13th is the check digit.
``.`` is item reference (kept in the lookup key), a digit is literal, ``{N..D..}`` is the
value (N integer digits, D decimals; zeroed in the lookup key), ``P`` is a price check
digit (ignored, zeroed in the key). The lookup key is the code with the value zeroed and
the check digit recomputed, as a GTIN-14: that is what the catalog stores for the item.

Pure functions; any thread (the scanner's worker calls ``decode_scan``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from counter.i18n import N_, _
from counter.trust.carddata import card_data_in_code, mask_card_data

if TYPE_CHECKING:  # biip itself is imported by the first scan, not at start-up (~90 ms)
    from biip.symbology import SymbologyIdentifier

GS = "\x1d"  # FNC1 as transmitted by scanners
CARD_SWIPED = N_(
    "That was a payment card, not a barcode: Counter never takes card numbers. Take card payments on the card terminal."
)


class CodeType(enum.StrEnum):
    GTIN = "gtin"  # a product GTIN (EAN-13/EAN-8/UPC-A/UPC-E/GTIN-14)
    VARIABLE_MEASURE = "variable_measure"  # in-store price or weight barcode
    GS1 = "gs1"  # a GS1 element string (GS1-128, GS1 DataMatrix, GS1 QR, DataBar)
    TEXT = "text"  # anything else: SKU, receipt number, loyalty card
    INVALID = "invalid"  # looked like a GTIN but its check digit is wrong


class Measure(enum.StrEnum):
    PRICE = "price"
    WEIGHT = "weight"  # kilograms


@dataclass(frozen=True)
class EmbeddedRule:
    pattern: str
    measure: Measure

    def __post_init__(self) -> None:
        object.__setattr__(self, "measure", Measure(self.measure))
        _compile(self.pattern)  # raises ValueError with a readable message

    def match(self, ean13: str) -> tuple[Decimal, str] | None:
        """(value, lookup GTIN-14) when ``ean13`` follows this rule, else None."""
        regex, value_slice, decimals, zeroed = _compile(self.pattern)
        if len(ean13) != 13 or not regex.fullmatch(ean13[:12]):
            return None
        digits = ean13[value_slice]
        value = Decimal(int(digits)).scaleb(-decimals)
        body = "".join("0" if i in zeroed else c for i, c in enumerate(ean13[:12]))
        from biip.checksums import gs1_standard_check_digit

        key = body + str(gs1_standard_check_digit(body))
        return value, key.zfill(14)


def _compile(pattern: str) -> tuple[re.Pattern[str], slice, int, set[int]]:
    match = re.fullmatch(r"([0-9.P]*)\{(N*)(D*)\}([0-9.P]*)", pattern)
    if not match:
        raise ValueError(f"Barcode rule {pattern!r} must look like 21.....{{NNDDD}}.")
    head, ints, decs, tail = match.groups()
    width = len(ints) + len(decs)
    if len(head) + width + len(tail) != 12 or width == 0:
        raise ValueError(f"Barcode rule {pattern!r} must cover exactly 12 digits (the 13th is the check digit).")
    regex = "".join(r"\d" if c in ".P" else c for c in head) + r"\d" * width
    regex += "".join(r"\d" if c in ".P" else c for c in tail)
    start = len(head)
    zeroed = set(range(start, start + width))
    zeroed |= {i for i, c in enumerate(head) if c == "P"}
    zeroed |= {start + width + i for i, c in enumerate(tail) if c == "P"}
    return re.compile(regex), slice(start, start + width), len(decs), zeroed


DEFAULT_RULES: tuple[EmbeddedRule, ...] = (
    EmbeddedRule("02.....{NNNDD}", Measure.PRICE),
    EmbeddedRule("20.....{NNNDD}", Measure.PRICE),
    EmbeddedRule("21.....{NNDDD}", Measure.WEIGHT),
    EmbeddedRule("23.....{NNNDD}", Measure.PRICE),
)


@dataclass(frozen=True)
class ScanData:
    """One decoded scan, ready for the sale screen."""

    raw: str  # as received, AIM id included, terminator removed
    text: str  # the payload (AIM id removed)
    kind: CodeType
    aim_id: str | None = None  # "]E0"
    symbology: str | None = None  # "EAN_UPC", "CODE_128", "QR_CODE", ...
    gtin: str | None = None  # GTIN-14; for variable measure, the item's lookup key
    measure: Measure | None = None
    value: Decimal | None = None  # price in the store currency, or weight in kg
    gs1: tuple[tuple[str, str], ...] = ()  # (AI, value) for GS1 codes
    error: str | None = None  # for a cashier, when kind is INVALID

    @property
    def price(self) -> Decimal | None:
        return self.value if self.measure is Measure.PRICE else None

    @property
    def weight(self) -> Decimal | None:
        return self.value if self.measure is Measure.WEIGHT else None


_GS1_SYMBOLOGIES = {"]C1", "]e0", "]d2", "]Q3", "]J1"}
_EAN_LENGTHS = {8, 12, 13, 14}


def _aim(raw: str) -> SymbologyIdentifier | None:
    """The AIM symbology identifier ("]E0") a scan starts with, if it starts with a valid one;
    "]00" or "]x9" are just text (a misconfigured scanner, or someone typing)."""
    if not (raw.startswith("]") and len(raw) >= 3):
        return None
    import biip
    from biip.symbology import SymbologyIdentifier

    try:
        return SymbologyIdentifier.extract(raw)
    except (biip.ParseError, ValueError):
        return None


def decode_scan(raw: str, rules: Sequence[EmbeddedRule] = DEFAULT_RULES) -> ScanData:
    """Classify and decode one scan (never raises for bad input: see ``kind``/``error``).

    A payment card swiped on a keyboard reader, or a card number, is INVALID with its
    text masked: the number goes no further than this function (counter/trust/carddata.py)."""
    raw = raw.rstrip("\r\n")
    aim = _aim(raw)
    aim_id = aim.value if aim is not None else None
    text = raw[len(aim_id) :] if aim_id else raw
    if card_data_in_code(raw) or card_data_in_code(text):
        masked = mask_card_data(text)
        return ScanData(masked, masked, CodeType.INVALID, error=_(CARD_SWIPED))
    symbology = aim.iso_symbology.name if aim is not None else None
    # Wedge scanners often send FNC1 as a printable stand-in (Odoo: "Alt029", "#").
    text = text.replace("Alt029", GS)

    is_gs1 = aim_id in _GS1_SYMBOLOGIES or (GS in text)
    if is_gs1:
        return _gs1(raw, text, aim_id, symbology)

    looks_like_ean = text.isdigit() and (len(text) in _EAN_LENGTHS or (len(text) in (6, 7, 8) and aim_id == "]E0"))
    ean_symbology = aim_id is None or (aim_id or "").startswith("]E") or aim_id in ("]I0", "]I1")
    if looks_like_ean and ean_symbology:
        import biip

        result = biip.parse(text)
        if result.gtin is None:
            shown = mask_card_data(text)  # a misread barcode may pass for a card number: never pass one on
            return ScanData(
                mask_card_data(raw),
                shown,
                CodeType.INVALID,
                aim_id,
                symbology,
                error=_("The barcode {code} has a wrong check digit. Scan it again, or type the number.").format(
                    code=shown
                ),
            )
        gtin14 = str(result.gtin.as_gtin_14())
        ean13 = gtin14[1:] if gtin14.startswith("0") else ""
        for rule in rules:
            hit = rule.match(ean13) if ean13 else None
            if hit is not None:
                value, key = hit
                return ScanData(
                    raw,
                    text,
                    CodeType.VARIABLE_MEASURE,
                    aim_id,
                    symbology,
                    gtin=key,
                    measure=rule.measure,
                    value=value,
                )
        return ScanData(raw, text, CodeType.GTIN, aim_id, symbology, gtin=gtin14)
    return ScanData(raw, text, CodeType.TEXT, aim_id, symbology)


def _gs1(raw: str, text: str, aim_id: str | None, symbology: str | None) -> ScanData:
    import biip

    # biip wants the AIM id to know it is GS1; give it one for wedge input without it.
    result = biip.parse((aim_id or "]C1") + text)
    message = result.gs1_message
    if message is None:
        return ScanData(
            raw,
            text,
            CodeType.INVALID,
            aim_id,
            symbology,
            error=_("This GS1 barcode cannot be read. Scan it again, or type the item number."),
        )
    pairs = tuple((element.ai.ai, element.value) for element in message.element_strings)
    gtin = None
    for ai, value in pairs:
        if ai in ("01", "02"):
            parsed = biip.parse(value)
            if parsed.gtin is None:
                return ScanData(
                    raw,
                    text,
                    CodeType.INVALID,
                    aim_id,
                    symbology,
                    gs1=pairs,
                    error=_("The item number {number} in this barcode has a wrong check digit.").format(number=value),
                )
            gtin = str(parsed.gtin.as_gtin_14())
    measure, value_dec = _gs1_measure(pairs)
    return ScanData(raw, text, CodeType.GS1, aim_id, symbology, gtin=gtin, measure=measure, value=value_dec, gs1=pairs)


def _gs1_measure(pairs: tuple[tuple[str, str], ...]) -> tuple[Measure | None, Decimal | None]:
    for ai, value in pairs:
        if re.fullmatch(r"310\d", ai) and value.isdigit():  # net weight, kg, n decimals
            return Measure.WEIGHT, Decimal(int(value)).scaleb(-int(ai[3]))
        if re.fullmatch(r"392\d", ai) and value.isdigit():  # amount payable, n decimals
            return Measure.PRICE, Decimal(int(value)).scaleb(-int(ai[3]))
    return None, None
