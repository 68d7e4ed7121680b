"""What ZVT's codes mean, in words for the cashier.

Result codes (BMP 27, the byte of ``06 1E`` abort, the ``xx`` of a ``84 xx`` refusal)
come from the ZVT list of error messages: ``00`` is success, ``01``-``63`` are the
card issuer's or network operator's refusals (ISO 8583 response codes written as binary,
so issuer code 51 "insufficient funds" arrives as ``0x33``), ``64``-``FF`` are the
terminal's own. Each maps to an ``Outcome`` and a sentence that says what happened and
what to do; the table keeps the cases a till meets, and anything else falls back on its
group (issuer refusals are DECLINED, terminal faults are DECLINED with the code named,
so support can look it up).

Intermediate status codes (``04 FF``) are what the terminal shows the customer; the
cashier sees them as they arrive ("Insert card", "Enter PIN").
"""

from __future__ import annotations

from counter.i18n import N_, _
from counter.payments.terminal import Outcome

ANOTHER_WAY = N_("Ask for another card or another way to pay.")

#: result code -> (outcome, cashier text). The text stays English here: it goes in the journal
#: with the terminal's answer; ``result_text`` is the same text in the current language.
RESULTS: dict[int, tuple[Outcome, str]] = {
    0x00: (Outcome.APPROVED, N_("Approved.")),
    0x03: (
        Outcome.DECLINED,
        N_("Declined: the card's bank does not accept this shop. Ask for another card or another way to pay."),
    ),
    0x04: (Outcome.DECLINED, N_("Declined: the card's bank says to keep the card. Ask for another way to pay.")),
    0x05: (Outcome.DECLINED, N_("Declined by the card's bank. Ask for another card or another way to pay.")),
    0x0D: (Outcome.DECLINED, N_("Declined: the amount is not valid for this card. Check the amount, then try again.")),
    0x0E: (Outcome.DECLINED, N_("Declined: the card number is not valid. Ask for another card or another way to pay.")),
    0x21: (Outcome.DECLINED, N_("Declined: the card has expired. Ask for another card or another way to pay.")),
    0x29: (Outcome.DECLINED, N_("Declined: the card is reported lost. Ask for another way to pay.")),
    0x2B: (Outcome.DECLINED, N_("Declined: the card is reported stolen. Ask for another way to pay.")),
    0x33: (Outcome.DECLINED, N_("Declined: insufficient funds. Ask for another card or another way to pay.")),
    0x36: (Outcome.DECLINED, N_("Declined: the card has expired. Ask for another card or another way to pay.")),
    0x37: (Outcome.DECLINED, N_("Declined: wrong PIN. The customer can try again.")),
    0x3D: (
        Outcome.DECLINED,
        N_("Declined: the card's spending limit is reached. Ask for another card or another way to pay."),
    ),
    0x4B: (Outcome.DECLINED, N_("Declined: too many wrong PINs. Ask for another card or another way to pay.")),
    0x64: (
        Outcome.DECLINED,
        N_("The terminal could not read the card. Try again, or insert the card instead of tapping."),
    ),
    0x65: (Outcome.DECLINED, N_("The terminal found no card data. Try again with the chip or by tapping.")),
    0x66: (Outcome.DECLINED, N_("The terminal had a problem reading the card. Try again.")),
    0x6A: (Outcome.DECLINED, N_("The terminal's transaction memory is full. Run the end of day, then try again.")),
    0x6B: (Outcome.DECLINED, N_("The terminal is not set up for this till. Call support.")),
    0x6C: (Outcome.CANCELLED, N_("Cancelled at the terminal. Nothing was charged; start the payment again if wanted.")),
    0x6E: (Outcome.DECLINED, N_("Declined: the card is blocked. Ask for another card or another way to pay.")),
    0x6F: (Outcome.DECLINED, N_("Declined: wrong currency for this terminal. Call support.")),
    0x71: (
        Outcome.DECLINED,
        N_("Declined: insufficient funds on the card. Ask for another card or another way to pay."),
    ),
    0x72: (Outcome.DECLINED, N_("The card's chip could not be read. Try again, or tap the card.")),
    0x73: (Outcome.DECLINED, N_("The card data is not valid. Ask for another card or another way to pay.")),
    0x77: (Outcome.DECLINED, N_("The end of day is not possible now. Try again later.")),
    0x78: (Outcome.DECLINED, N_("Declined: the card has expired. Ask for another card or another way to pay.")),
    0x79: (Outcome.DECLINED, N_("Declined: the card is not valid yet. Ask for another card or another way to pay.")),
    0x7A: (Outcome.DECLINED, N_("The terminal does not know this card. Ask for another card or another way to pay.")),
    0x7D: (Outcome.DECLINED, N_("The terminal cannot reach the bank. Check its network, then try again.")),
    0x83: (Outcome.DECLINED, N_("The terminal cannot do this. Call support if it should.")),
    0x9A: (Outcome.DECLINED, N_("The terminal did not understand the till's request. Call support.")),
    0x9B: (Outcome.DECLINED, N_("The terminal cannot reach the bank. Check its network, then try again.")),
    0x9C: (Outcome.DECLINED, N_("The terminal asks to wait. Try again in a moment.")),
    0xA0: (Outcome.DECLINED, N_("The terminal is not ready. Wait for it, then try again.")),
    0xA1: (Outcome.DECLINED, N_("The bank is not answering the terminal. Try again, or take another way to pay.")),
    0xA3: (Outcome.DECLINED, N_("The terminal has no connection to the bank. Check its network, then try again.")),
    0xB4: (Outcome.DECLINED, N_("This payment was already reversed. Nothing more to do.")),
    0xB5: (
        Outcome.DECLINED,
        N_("The terminal cannot reverse this payment (a later end of day?). Make a refund instead."),
    ),
    0xB7: (Outcome.DECLINED, N_("Declined: the amount is wrong for this transaction. Check the amount.")),
    0xC2: (Outcome.DECLINED, N_("The terminal needs a diagnosis. Run it from the device settings, then try again.")),
    0xC3: (
        Outcome.DECLINED,
        N_("Declined: the amount is above the terminal's maximum. Ask for another card or another way to pay."),
    ),
    0xC5: (Outcome.DECLINED, N_("This kind of card is not accepted here. Ask for another card or another way to pay.")),
    0xC6: (Outcome.DECLINED, N_("The terminal does not accept this currency. Call support.")),
    0xC8: (Outcome.DECLINED, N_("The amount is too small for a card payment. Take another way to pay.")),
    0xCC: (Outcome.DECLINED, N_("The terminal's printer is not ready. Check its paper, then try again.")),
    0xE2: (Outcome.DECLINED, N_("The terminal's card reader does not answer. Restart the terminal, then try again.")),
    0xF0: (Outcome.DECLINED, N_("The terminal needs an end of day first. Run it, then try again.")),
    0xFF: (Outcome.DECLINED, N_("The terminal reported a system error. Try again; if it keeps failing, call support.")),
}

#: refusals (``84 xx``) that mean "busy, try again": nothing was started
BUSY_CODES = frozenset({0x9C, 0xA0})


_BANK_CODE = N_("Declined by the card's bank (code {code}). Ask for another card or another way to pay.")
_TERMINAL_CODE = N_("The terminal refused (error {code}). Try again; if it keeps failing, call support.")


def result(code: int) -> tuple[Outcome, str]:
    """Outcome and cashier text for a ZVT result code, in English (it is stored with the
    terminal's answer; ``result_text`` shows it)."""
    if code in RESULTS:
        return RESULTS[code]
    if 0x01 <= code <= 0x63:
        return Outcome.DECLINED, _BANK_CODE.format(code=code)
    return Outcome.DECLINED, _TERMINAL_CODE.format(code=f"{code:02X}")


def result_text(code: int) -> str:
    """The cashier text of ``result(code)`` in the current language, for what is only shown."""
    if code in RESULTS:
        return _(RESULTS[code][1])
    if 0x01 <= code <= 0x63:
        return _(_BANK_CODE).format(code=code)
    return _(_TERMINAL_CODE).format(code=f"{code:02X}")


#: intermediate status (``04 FF``) -> what the customer is being asked, for the cashier
STATUSES: dict[int, str] = {
    0x00: N_("Waiting for the amount to be confirmed"),
    0x01: N_("Customer: watch the PIN pad"),
    0x02: N_("Customer: watch the PIN pad"),
    0x03: N_("Not accepted"),
    0x04: N_("Waiting for the bank"),
    0x05: N_("Sending an automatic reversal"),
    0x06: N_("Sending stored transactions"),
    0x07: N_("Card not accepted"),
    0x08: N_("Card unknown"),
    0x09: N_("Card expired"),
    0x0A: N_("Insert or tap the card"),
    0x0B: N_("Remove the card"),
    0x0C: N_("Card not readable"),
    0x0D: N_("Processing error"),
    0x0E: N_("Please wait"),
    0x0F: N_("Automatic end of day running"),
    0x10: N_("Invalid card"),
    0x11: N_("Showing the balance"),
    0x12: N_("Terminal malfunction"),
    0x13: N_("Payment not possible"),
    0x14: N_("Insufficient funds"),
    0x15: N_("Wrong PIN"),
    0x16: N_("Limit not sufficient"),
    0x17: N_("Please wait"),
    0x18: N_("PIN tries exceeded"),
    0x19: N_("Card data incorrect"),
    0x1A: N_("Terminal in service mode"),
    0x1B: N_("Approved"),
    0x1C: N_("Approved"),
    0x1D: N_("Declined"),
    0x28: N_("Choosing the currency"),
    0x29: N_("Choosing the language"),
    0x2C: N_("Choosing the card application"),
    0x41: N_("Customer: watch the PIN pad, then remove the card"),
    0x43: N_("Not accepted: remove the card"),
    0x4A: N_("Remove the card"),
    0xD2: N_("Connecting to the bank"),
    0xD3: N_("Connected to the bank"),
    0xE0: N_("Customer: choose the card application"),
    0xE1: N_("Customer: choose the language"),
    0xF1: N_("Terminal offline"),
    0xF2: N_("Terminal online"),
    0xF3: N_("Offline transaction"),
}


def status_text(code: int) -> str:
    """What the terminal is doing, in the current language (shown to the cashier as it comes)."""
    return _(STATUSES.get(code, N_("Terminal working")))


#: ZVT card-type ids (BMP 8A) for brands the till names; BMP 8B (card name) wins when sent
CARD_TYPES: dict[int, str] = {
    0x05: N_("girocard"),
    0x06: N_("Mastercard"),
    0x08: N_("American Express"),
    0x0A: N_("Visa"),
    0x0B: N_("Visa Electron"),
    0x0C: N_("Diners"),
    0x0D: N_("V PAY"),
    0x0E: N_("JCB"),
    0x2E: N_("Maestro"),
}

#: the brands of BMP 60 (individual totals), in the order the bytes come
TOTALS_BRANDS = ("girocard", "JCB", "Mastercard", "American Express", "Visa", "Diners", "Other")
