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

from counter.payments.terminal import Outcome

ANOTHER_WAY = "Ask for another card or another way to pay."

#: result code -> (outcome, cashier text)
RESULTS: dict[int, tuple[Outcome, str]] = {
    0x00: (Outcome.APPROVED, "Approved."),
    0x03: (Outcome.DECLINED, f"Declined: the card's bank does not accept this shop. {ANOTHER_WAY}"),
    0x04: (Outcome.DECLINED, "Declined: the card's bank says to keep the card. Ask for another way to pay."),
    0x05: (Outcome.DECLINED, f"Declined by the card's bank. {ANOTHER_WAY}"),
    0x0D: (Outcome.DECLINED, "Declined: the amount is not valid for this card. Check the amount, then try again."),
    0x0E: (Outcome.DECLINED, f"Declined: the card number is not valid. {ANOTHER_WAY}"),
    0x21: (Outcome.DECLINED, f"Declined: the card has expired. {ANOTHER_WAY}"),
    0x29: (Outcome.DECLINED, "Declined: the card is reported lost. Ask for another way to pay."),
    0x2B: (Outcome.DECLINED, "Declined: the card is reported stolen. Ask for another way to pay."),
    0x33: (Outcome.DECLINED, f"Declined: insufficient funds. {ANOTHER_WAY}"),
    0x36: (Outcome.DECLINED, f"Declined: the card has expired. {ANOTHER_WAY}"),
    0x37: (Outcome.DECLINED, "Declined: wrong PIN. The customer can try again."),
    0x3D: (Outcome.DECLINED, f"Declined: the card's spending limit is reached. {ANOTHER_WAY}"),
    0x4B: (Outcome.DECLINED, f"Declined: too many wrong PINs. {ANOTHER_WAY}"),
    0x64: (Outcome.DECLINED, "The terminal could not read the card. Try again, or insert the card instead of tapping."),
    0x65: (Outcome.DECLINED, "The terminal found no card data. Try again with the chip or by tapping."),
    0x66: (Outcome.DECLINED, "The terminal had a problem reading the card. Try again."),
    0x6A: (Outcome.DECLINED, "The terminal's transaction memory is full. Run the end of day, then try again."),
    0x6B: (Outcome.DECLINED, "The terminal is not set up for this till. Call support."),
    0x6C: (Outcome.CANCELLED, "Cancelled at the terminal. Nothing was charged; start the payment again if wanted."),
    0x6E: (Outcome.DECLINED, f"Declined: the card is blocked. {ANOTHER_WAY}"),
    0x6F: (Outcome.DECLINED, "Declined: wrong currency for this terminal. Call support."),
    0x71: (Outcome.DECLINED, f"Declined: insufficient funds on the card. {ANOTHER_WAY}"),
    0x72: (Outcome.DECLINED, "The card's chip could not be read. Try again, or tap the card."),
    0x73: (Outcome.DECLINED, f"The card data is not valid. {ANOTHER_WAY}"),
    0x77: (Outcome.DECLINED, "The end of day is not possible now. Try again later."),
    0x78: (Outcome.DECLINED, f"Declined: the card has expired. {ANOTHER_WAY}"),
    0x79: (Outcome.DECLINED, f"Declined: the card is not valid yet. {ANOTHER_WAY}"),
    0x7A: (Outcome.DECLINED, f"The terminal does not know this card. {ANOTHER_WAY}"),
    0x7D: (Outcome.DECLINED, "The terminal cannot reach the bank. Check its network, then try again."),
    0x83: (Outcome.DECLINED, "The terminal cannot do this. Call support if it should."),
    0x9A: (Outcome.DECLINED, "The terminal did not understand the till's request. Call support."),
    0x9B: (Outcome.DECLINED, "The terminal cannot reach the bank. Check its network, then try again."),
    0x9C: (Outcome.DECLINED, "The terminal asks to wait. Try again in a moment."),
    0xA0: (Outcome.DECLINED, "The terminal is not ready. Wait for it, then try again."),
    0xA1: (Outcome.DECLINED, "The bank is not answering the terminal. Try again, or take another way to pay."),
    0xA3: (Outcome.DECLINED, "The terminal has no connection to the bank. Check its network, then try again."),
    0xB4: (Outcome.DECLINED, "This payment was already reversed. Nothing more to do."),
    0xB5: (Outcome.DECLINED, "The terminal cannot reverse this payment (a later end of day?). Make a refund instead."),
    0xB7: (Outcome.DECLINED, "Declined: the amount is wrong for this transaction. Check the amount."),
    0xC2: (Outcome.DECLINED, "The terminal needs a diagnosis. Run it from the device settings, then try again."),
    0xC3: (Outcome.DECLINED, f"Declined: the amount is above the terminal's maximum. {ANOTHER_WAY}"),
    0xC5: (Outcome.DECLINED, f"This kind of card is not accepted here. {ANOTHER_WAY}"),
    0xC6: (Outcome.DECLINED, "The terminal does not accept this currency. Call support."),
    0xC8: (Outcome.DECLINED, "The amount is too small for a card payment. Take another way to pay."),
    0xCC: (Outcome.DECLINED, "The terminal's printer is not ready. Check its paper, then try again."),
    0xE2: (Outcome.DECLINED, "The terminal's card reader does not answer. Restart the terminal, then try again."),
    0xF0: (Outcome.DECLINED, "The terminal needs an end of day first. Run it, then try again."),
    0xFF: (Outcome.DECLINED, "The terminal reported a system error. Try again; if it keeps failing, call support."),
}

#: refusals (``84 xx``) that mean "busy, try again": nothing was started
BUSY_CODES = frozenset({0x9C, 0xA0})


def result(code: int) -> tuple[Outcome, str]:
    """Outcome and cashier text for a ZVT result code."""
    if code in RESULTS:
        return RESULTS[code]
    if 0x01 <= code <= 0x63:
        return Outcome.DECLINED, f"Declined by the card's bank (code {code}). {ANOTHER_WAY}"
    return Outcome.DECLINED, f"The terminal refused (error {code:02X}). Try again; if it keeps failing, call support."


#: intermediate status (``04 FF``) -> what the customer is being asked, for the cashier
STATUSES: dict[int, str] = {
    0x00: "Waiting for the amount to be confirmed",
    0x01: "Customer: watch the PIN pad",
    0x02: "Customer: watch the PIN pad",
    0x03: "Not accepted",
    0x04: "Waiting for the bank",
    0x05: "Sending an automatic reversal",
    0x06: "Sending stored transactions",
    0x07: "Card not accepted",
    0x08: "Card unknown",
    0x09: "Card expired",
    0x0A: "Insert or tap the card",
    0x0B: "Remove the card",
    0x0C: "Card not readable",
    0x0D: "Processing error",
    0x0E: "Please wait",
    0x0F: "Automatic end of day running",
    0x10: "Invalid card",
    0x11: "Showing the balance",
    0x12: "Terminal malfunction",
    0x13: "Payment not possible",
    0x14: "Insufficient funds",
    0x15: "Wrong PIN",
    0x16: "Limit not sufficient",
    0x17: "Please wait",
    0x18: "PIN tries exceeded",
    0x19: "Card data incorrect",
    0x1A: "Terminal in service mode",
    0x1B: "Approved",
    0x1C: "Approved",
    0x1D: "Declined",
    0x28: "Choosing the currency",
    0x29: "Choosing the language",
    0x2C: "Choosing the card application",
    0x41: "Customer: watch the PIN pad, then remove the card",
    0x43: "Not accepted: remove the card",
    0x4A: "Remove the card",
    0xD2: "Connecting to the bank",
    0xD3: "Connected to the bank",
    0xE0: "Customer: choose the card application",
    0xE1: "Customer: choose the language",
    0xF1: "Terminal offline",
    0xF2: "Terminal online",
    0xF3: "Offline transaction",
}


def status_text(code: int) -> str:
    return STATUSES.get(code, "Terminal working")


#: ZVT card-type ids (BMP 8A) for brands the till names; BMP 8B (card name) wins when sent
CARD_TYPES: dict[int, str] = {
    0x05: "girocard",
    0x06: "Mastercard",
    0x08: "American Express",
    0x0A: "Visa",
    0x0B: "Visa Electron",
    0x0C: "Diners",
    0x0D: "V PAY",
    0x0E: "JCB",
    0x2E: "Maestro",
}

#: the brands of BMP 60 (individual totals), in the order the bytes come
TOTALS_BRANDS = ("girocard", "JCB", "Mastercard", "American Express", "Visa", "Diners", "Other")
