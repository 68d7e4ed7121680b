"""The field checks every entry rule is made of (``counter.trust.entry_rules``,
``counter.trust.void_rules``): whole minor units in range, bounded text, lists and objects,
and one tender as journal bodies hold it. A broken check raises ``Broken`` with the rule's
short code; the rules turn it into ``EntryRefused`` naming the entry."""

from __future__ import annotations

from typing import Any

#: Every amount is a whole number of minor units strictly inside ±MAX_MINOR (10^12: ten
#: billion dollars), far above any sale and far below a 64-bit column.
MAX_MINOR = 10**12


class Broken(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def where_at(where: str, at: str | int | None) -> str:
    """``where`` named inside its part of the body (``at``: a line's or a tender's number,
    formatted only when a value is refused: the checks run for every pushed line)."""
    return where if at is None else f"{at} {where}"


def int_field(value: Any, where: str, *, low: int = 0, high: int = MAX_MINOR - 1, at: str | None = None) -> int:
    if type(value) is int and low <= value <= high:
        return value
    where = where_at(where, at)
    if type(value) is not int:
        raise Broken("bad_number", f"{where} must be a whole number of minor units, not {type(value).__name__}")
    if not low <= value <= high:
        if value < 0 <= low:
            raise Broken("negative", f"{where} is {value}; it may not be negative")
        raise Broken("out_of_range", f"{where} is outside {low}..{high}")
    return value


def str_field(
    value: Any, where: str, longest: int, *, optional: bool = False, empty: bool = False, at: str | None = None
) -> str | None:
    if value is None and optional:
        return None
    if type(value) is str and 0 < len(value) <= longest and "\x00" not in value:
        return value
    where = where_at(where, at)
    if type(value) is not str:
        raise Broken("bad_text", f"{where} must be text")
    if len(value) > longest or (not value and not empty):
        raise Broken("bad_text", f"{where} must be 1..{longest} characters")
    if "\x00" in value:
        raise Broken("bad_text", f"{where} holds a NUL character")
    return value


def list_field(value: Any, where: str, longest: int, *, empty: bool = False) -> list[Any]:
    if type(value) is not list or len(value) > longest or (not value and not empty):
        raise Broken("bad_shape", f"{where} must be a list of {0 if empty else 1}..{longest} items")
    return value


def dict_field(value: Any, where: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise Broken("bad_shape", f"{where} must be an object")
    return value


def check_tender(raw: Any, at: str) -> int:
    """One tender of a body (``at``: "tender 2"): its amount, after the checks."""
    t = dict_field(raw, at)
    str_field(t.get("kind"), f"{at} kind", 16)
    amount = int_field(t.get("amount"), f"{at} amount")
    tendered = int_field(t.get("tendered"), f"{at} tendered")
    if tendered < amount:
        raise Broken("tenders", f"{at}: {tendered} handed over is less than the {amount} it pays")
    str_field(t.get("card_brand"), f"{at} card_brand", 32, optional=True)
    last4 = str_field(t.get("card_last4"), f"{at} card_last4", 4, optional=True)
    if last4 is not None and not (len(last4) == 4 and last4.isascii() and last4.isdigit()):
        raise Broken("bad_text", f"{at} card_last4 must be 4 digits")
    str_field(t.get("approval_code"), f"{at} approval_code", 12, optional=True, empty=True)
    str_field(t.get("voucher"), f"{at} voucher", 16, optional=True)
    return amount
