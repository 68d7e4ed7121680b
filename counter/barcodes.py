"""Reading what a scanner or a person typed into the item field.

GTIN check digits and UPC-E expansion come from biip, not from hand-written code. Every
GTIN (EAN-13, EAN-8, UPC-A, UPC-E) is stored and looked up in one canonical form, the
14-digit GTIN, so that the same product is found whichever symbol was printed on it.

biip is imported at the first scan, not at start-up (~90 ms of it). The 12-14 digits of
UPC-A, EAN-13 and GTIN-14 are checked with biip's GS1 check digit alone (~2 us) and padded
to 14 digits, which is what ``biip.parse`` (~90 us: it also tries the digits as a GS1
message) and ``Gtin.parse`` (~20 us: it also looks up the GS1 prefix) answer for them, as
tests/db/test_perf_paths.py checks; ``biip.parse`` is kept for UPC-E and EAN-8.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from counter.errors import BarcodeError
from counter.i18n import _
from counter.trust.carddata import card_data_in_code, mask_card_data, refuse_card_data

_GTIN_LENGTHS = frozenset({8, 12, 13, 14})
_CODE_LENGTHS = _GTIN_LENGTHS | {6, 7}  # and UPC-E's 6-8 digits
MAX_CODE_LENGTH = 48
_check_digit: Callable[[str], int] | None = None  # biip's GS1 check digit, imported at the first scan


def _gs1_check_digit(digits: str) -> int:
    global _check_digit
    if _check_digit is None:
        from biip.checksums import gs1_standard_check_digit

        _check_digit = gs1_standard_check_digit
    return _check_digit(digits)


class CodeKind(enum.Enum):
    GTIN = "gtin"
    SKU = "sku"


@dataclass(frozen=True)
class ScannedCode:
    kind: CodeKind
    value: str  # GTIN-14 for GTIN, the upper-cased text for SKU
    raw: str


def canonical_gtin(text: str) -> str:
    """The GTIN-14 form of a valid EAN-13/EAN-8/UPC-A/UPC-E/GTIN-14, or BarcodeError."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) not in _CODE_LENGTHS:
        shown = mask_card_data(digits)  # a mistyped barcode may pass for a card number: never echo one
        raise BarcodeError(
            _("“{shown}” is not a product barcode.").format(shown=shown),
            _("Scan the barcode again, or type the 8, 12 or 13 digits under it."),
        )
    if len(digits) >= 12:  # UPC-A, EAN-13, GTIN-14: the check digit is all there is to validate
        if _gs1_check_digit(digits[:-1]) != int(digits[-1]):
            raise _invalid(digits, "check digit")
        return digits.zfill(14)
    import biip

    result = biip.parse(digits)
    if result.gtin is None:
        raise _invalid(digits, result.gtin_error or "")
    return str(result.gtin.as_gtin_14())


def _invalid(digits: str, error: str) -> BarcodeError:
    shown = mask_card_data(digits)  # a mistyped barcode may pass for a card number: never echo one
    if "check digit" in error:
        return BarcodeError(
            _("The barcode {shown} has a wrong check digit.").format(shown=shown),
            _("Scan it again; if you typed it, check the last digit."),
        )
    return BarcodeError(
        _("“{shown}” is not a valid product barcode.").format(shown=shown),
        _("Scan it again, or search the item by name (F2)."),
    )


def read_code(text: str) -> ScannedCode:
    """Classify input from the item field: a GTIN (validated) or an SKU / store code."""
    raw = text
    text = text.strip()
    if not text:
        raise BarcodeError(_("Nothing was scanned."), _("Scan the item or type its barcode."))
    if card_data_in_code(text):  # a swiped or typed card never goes further
        refuse_card_data(text, "in the item field")
    if len(text) > MAX_CODE_LENGTH or not text.isprintable():
        raise BarcodeError(_("That input is not a barcode."), _("Scan the item again, or type its barcode or name."))
    if text.isascii() and text.isdigit() and len(text) in _GTIN_LENGTHS:
        return ScannedCode(CodeKind.GTIN, canonical_gtin(text), raw)
    return ScannedCode(CodeKind.SKU, text.upper(), raw)
