"""What counts as card data, and the masking that keeps only the last 4 digits."""

from __future__ import annotations

import logging

import pytest

from counter.trust.carddata import CardDataFilter, card_data_in_code, has_card_data, mask_card_bytes, mask_card_data


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111111",  # Visa
        "5555 5555 5555 4444",  # Mastercard, as printed
        "3782-822463-10005",  # Amex, as printed
        "6011111111111117",  # Discover
        "4012888888881881",
        "paid with 4111111111111111 yesterday",
        "%B4111111111111111^DOE/JOHN^25121010000000000000?",  # track 1
        ";4111111111111111=25121010000000000000?",  # track 2
        "card4111111111111111",  # glued to a word
    ],
)
def test_card_numbers_and_tracks_are_found(text: str) -> None:
    assert has_card_data(text)
    masked = mask_card_data(text)
    assert not has_card_data(masked)
    assert any(f"•••• {last4}" in masked for last4 in ("1111", "4444", "0005", "1117", "1881"))


@pytest.mark.parametrize(
    "text",
    [
        "4006381333931",  # an EAN-13 with a right check digit
        "00012345678905",  # a GTIN-14
        "0109506000134352",  # a GS1 element string (AI 01)
        "356938035643809",  # a phone's IMEI (Luhn by design) in a repair note
        "32807521-2473-422f-a227-a05c1e2107e4",  # a UUID
        "1c7e2260236b8d8005d7ffb5cf5090e14e11706473370619580c97ff96b9f03e",  # a SHA-256
        "2026-11-25T03:23:14.000000Z",
        "S01-T01-000123",
        "4111 1111",  # too short
        "411111111111111111111111",  # too long to be one card
        "4111111111111112",  # fails the Luhn check
    ],
)
def test_what_is_not_card_data(text: str) -> None:
    assert not has_card_data(text)
    assert mask_card_data(text) == text


def test_product_barcode_lengths_are_left_to_the_barcode_check() -> None:
    assert has_card_data("4006381333932")  # a mistyped EAN-13 that passes the Luhn check
    assert not card_data_in_code("4006381333932")  # the item field says "wrong check digit" instead
    assert card_data_in_code("4111111111111111")


def test_print_bytes_keep_their_length_and_only_the_last_4() -> None:
    data = b"\x1b@TOTAL 12.00\nCARD 4111111111111111\n\x1dV\x01"
    masked = mask_card_bytes(data)
    assert len(masked) == len(data) and b"************1111" in masked and b"4111111111111111" not in masked
    assert mask_card_bytes(b"\x1b@nothing to hide 4006381333931") == b"\x1b@nothing to hide 4006381333931"


def test_the_log_filter_masks_messages_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("counter.test.cards")
    handler = logging.Handler()
    records: list[str] = []
    handler.emit = lambda record: records.append(logging.Formatter().format(record))  # type: ignore[method-assign]
    handler.addFilter(CardDataFilter())
    log.addHandler(handler)
    try:
        log.error("card %s", "4111111111111111")
        try:
            raise ValueError(";5555555555554444=2512?")
        except ValueError:
            log.exception("bad input")
    finally:
        log.removeHandler(handler)
    text = "\n".join(records)
    assert "4111111111111111" not in text and "5555555555554444" not in text
    assert "•••• 1111" in text and "•••• 4444" in text
