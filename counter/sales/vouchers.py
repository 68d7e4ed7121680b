"""Store-credit vouchers: codes people can scan or type, and their balance rules.

A code is ``SC`` + 8 characters of Crockford base 32 + 1 check character, e.g.
``SC7K2M9Q4XY``: letters and digits never look alike (no I, L, O, U), two swapped
neighbours and most mistyped characters are caught by the check (the weights 1..8 modulo
32: 12 of the 248 single substitutions in a body, all on even positions, go unnoticed),
and the code can never be mistaken for a card number or a product barcode.
The balance is the sum of the voucher's movements (issue +, redeem −); it is never
stored as a number that could be edited.
"""

from __future__ import annotations

import secrets

from counter.errors import CounterError
from counter.i18n import _

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "SC"
BODY = 8


class VoucherError(CounterError):
    """A voucher code or balance problem."""


def _check_char(body: str) -> str:
    total = sum((i + 1) * ALPHABET.index(ch) for i, ch in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def new_voucher_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _unused in range(BODY))
    return PREFIX + body + _check_char(body)


def looks_like_voucher(text: str) -> bool:
    return text.strip().upper().startswith(PREFIX) and len(text.strip()) == len(PREFIX) + BODY + 1


def check_voucher_code(text: str) -> str:
    code = text.strip().upper().replace("-", "").replace(" ", "")
    code = code.replace("O", "0").replace("I", "1").replace("L", "1")
    body = code[len(PREFIX) : -1]
    if (
        not code.startswith(PREFIX)
        or len(code) != len(PREFIX) + BODY + 1
        or any(ch not in ALPHABET for ch in code[len(PREFIX) :])
        or _check_char(body) != code[-1]
    ):
        raise VoucherError(
            _("“{code}” is not a valid store-credit voucher code.").format(code=text.strip()),
            _("Scan the voucher's barcode, or type the code printed under it (it starts with SC)."),
        )
    return code
