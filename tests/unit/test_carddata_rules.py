"""counter.trust.carddata's rules at their edges (issue #14): which numbers are card numbers (every
brand's length, the Luhn check, the prefixes of 15-digit cards), how they may be grouped,
magnetic-stripe tracks, what must never be taken for a card (product barcodes, GTIN-14s,
IMEIs, UUIDs, hashes, receipt numbers), masks that keep only the last 4 digits, the
refusal's words, and the log filter. (The quick examples are in tests/trust/test_carddata.py.)"""

from __future__ import annotations

import logging
import sys

import pytest

from counter.errors import CounterError
from counter.trust.carddata import (
    MASK,
    CardDataFilter,
    CardDataRefused,
    card_data_in_code,
    contains_card_data,
    has_card_data,
    has_track_data,
    is_pan,
    luhn_ok,
    mask_card_bytes,
    mask_card_data,
    refuse_card_data,
)

DOTS = "••••"

# --- the Luhn check -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "digits",
    [
        "",  # nothing adds up to 0
        "0",
        "18",  # 1 doubled is 2, 2 + 8 = 10
        "26",  # 2 doubled is 4
        "59",  # 5 doubled is 10, which counts as 1: 1 + 9 = 10
        "91",  # 9 doubled is 18, which counts as 9: 9 + 1 = 10
        "79927398713",  # the textbook example
        "4111111111111111",
        "5555555555554444",
        "378282246310005",
    ],
)
def test_numbers_whose_luhn_sum_is_a_multiple_of_ten_pass(digits: str) -> None:
    assert luhn_ok(digits)


@pytest.mark.parametrize(
    "digits",
    [
        "1",
        "17",
        "19",
        "50",  # 5 doubled counted as 10 would pass
        "58",  # 5 doubled counted as 10 - 9 + ... : 1 + 8 = 9
        "90",  # 9 doubled counted as 18 would not be 9 + 0
        "79927398710",
        "79927398711",
        "79927398712",
        "79927398714",
        "4111111111111112",
        "5555555555554445",
        "378282246310006",
    ],
)
def test_numbers_whose_luhn_sum_is_not_a_multiple_of_ten_fail(digits: str) -> None:
    assert not luhn_ok(digits)


# --- card numbers, brand by brand -----------------------------------------------------------


@pytest.mark.parametrize(
    "digits",
    [
        "4222222222222",  # Visa, 13 digits
        "4111111111111111",  # Visa, 16
        "4012888888881881",  # Visa, 16
        "4111111111111111110",  # Visa, 19
        "5555555555554444",  # Mastercard
        "2223003122003222",  # Mastercard, 2-series
        "378282246310005",  # American Express, 15
        "371449635398431",  # American Express (37)
        "340000000000009",  # American Express (34)
        "135400000000000",  # UATP, 15 digits starting with 1
        "201400000000009",  # enRoute (2014)
        "214900000000003",  # enRoute (2149)
        "6011111111111117",  # Discover
        "30569309025904",  # Diners Club, 14 digits
        "38520000023237",  # Diners Club, 14 digits
        "3530111333300000",  # JCB
        "6200000000000005",  # UnionPay
        "6759649826438453",  # Maestro
        "378282246300030",  # an Amex number whose last digit is also a GS1 check digit
        "4111111111100015",  # a Visa number whose last digit is also a GS1 check digit
        "6000000000000000004",  # 19 digits, GS1 check digit right too: 19 digits is no GTIN
    ],
)
def test_every_brands_card_number_is_a_card_number(digits: str) -> None:
    assert is_pan(digits)
    assert has_card_data(digits)
    assert has_card_data(f"card no. {digits} please")
    # 13 and 14 digits are barcode lengths: the item field leaves them to the barcode check
    assert card_data_in_code(digits) == (len(digits) not in (13, 14))
    assert mask_card_data(digits) == f"{DOTS} {digits[-4:]}"


@pytest.mark.parametrize(
    ("digits", "why"),
    [
        ("400000000002", "12 digits are too few, even passing the Luhn check"),
        ("40000000000000000002", "20 digits are too many, even passing the Luhn check"),
        ("4111111111111112", "fails the Luhn check"),
        ("4111111111111111111", "19 digits failing the Luhn check"),
        ("0000000000000000", "starts with 0: no card starts with 0"),
        ("0411111111111111", "starts with 0 and passes the Luhn check"),
        ("350000000000006", "15 digits without an Amex, UATP or enRoute prefix: an IMEI"),
        ("600000000000004", "15 digits starting with 6"),
        ("5901234123457", "an EAN-13 product barcode (GS1's example) that passes the Luhn check"),
        ("4000000000006", "13 digits passing both the Luhn and the GS1 check: a product"),
        ("19501101530000", "a GTIN-14 (indicator 1) passing both checks: a product case"),
        ("4111111111111111\u0661", "not ASCII digits"),
        ("٤١١١١١١١١١١١١١١١", "Arabic-Indic digits of a Visa number are not what a card reader types"),
        ("4111 1111 1111 1111", "is_pan takes the digits without separators"),
        ("41111111111111a1", "a letter among the digits"),
    ],
)
def test_what_is_pan_does_not_take_for_a_card_number(digits: str, why: str) -> None:
    assert not is_pan(digits), why


def test_the_same_number_is_a_card_with_a_wrong_gs1_check_digit_and_a_product_with_a_right_one() -> None:
    """13 and 14 digits passing the Luhn check: the GS1 check digit decides."""
    assert is_pan("4222222222222")  # GS1 check digit would be 0 (4x3 + 2x1 + 2x3 + ... )
    assert not is_pan("5901234123457")
    assert is_pan("30569309025904")
    assert not is_pan("19501101530000")
    # 15 digits and more are never GTINs, whatever their last digit
    assert is_pan("378282246300030") and is_pan("4111111111100015")


# --- grouping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("4111 1111 1111 1111", "•••• 1111"),
        ("4111-1111-1111-1111", "•••• 1111"),
        ("3782 822463 10005", "•••• 0005"),  # Amex as printed: 4-6-5
        ("3782-822463-10005", "•••• 0005"),
        ("4111 111 111 111 111", "•••• 1111"),  # groups of 3 count
        ("3056 930902 5904", "•••• 5904"),  # Diners as printed: 4-6-4
        ("4111 1111 1111 1111 110", "•••• 1110"),  # 19 digits
        ("(4111 1111 1111 1111)", "(•••• 1111)"),
        ("card: 4111 1111 1111 1111, exp 12/25", "card: •••• 1111, exp 12/25"),
        ("4111 1111 1111 1111 today", "•••• 1111 today"),
        ("paid by 5555-5555-5555-4444", "paid by •••• 4444"),
        ("card4111111111111111", "card•••• 1111"),  # no separators: glued to a word still counts
        ("4111111111111111th", "•••• 1111th"),
    ],
)
def test_card_numbers_grouped_as_cards_print_them_are_found_and_masked(text: str, masked: str) -> None:
    assert has_card_data(text)
    assert mask_card_data(text) == masked


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("4111 11 1111 1111 11", "a group of 2 digits"),
        ("4111 1111111 11111", "a group of 7 digits"),
        ("41111 11111 111111", "the first group is not 4 digits"),
        ("411 1111 1111 11111", "the first group is 3 digits"),
        ("ref4111 1111 1111 1111", "grouped digits glued to a word on the left"),
        ("4111 1111 1111 1111x", "grouped digits glued to a word on the right"),
        ("4111  1111 1111 1111", "two spaces break the run"),
        ("4111.1111.1111.1111", "dots are not taken for card grouping (a documented limit)"),
        ("4111 1111", "too short"),
    ],
)
def test_digits_grouped_otherwise_are_not_a_card(text: str, why: str) -> None:
    assert not has_card_data(text), why
    assert mask_card_data(text) == text


# --- things that are not cards ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "5901234123457",  # EAN-13 product barcode, passes the Luhn check too
        "4006381333931",  # EAN-13
        "9780306406157",  # ISBN-13
        "00012345678905",  # GTIN-14
        "19501101530000",  # GTIN-14 with indicator digit 1, passes the Luhn check too
        "0109506000134352",  # GS1 element string
        "(01)09506000134352(17)261231",
        "IMEI 356938035643809",
        "S01-T01-000123",  # receipt number
        "receipt S01-T01-000123 of 2026-11-25",
        "40128888-8888-1881-a227-a05c1e2107e4",  # a UUID whose first groups are a Visa's digits
        "32807521-2473-422f-a227-a05c1e2107e4",
        "1c7e2260236b8d8005d7ffb5cf5090e14e11706473370619580c97ff96b9f03e",  # SHA-256
        "4111111111111111abcdef0123456789abcdef",  # 38 hex characters starting with a Visa's digits
        "da39a3ee5e6b4b0d4111111111111111afd80709",  # SHA-1 with a Visa's digits inside
        "seal=abcdef4111111111111111abcdefabcd;",  # 32 hex characters, inside text
        "abcdef4111111111111111abcdefabcd",  # 32 hex characters, the whole text
        "(bcdef4111111111111111abcdefabcde)",  # 32, an odd number of letters before the digits
        "hash =bcdef4111111111111111abcdefabcde",
        "",
        "no digits at all",
        "1234567890123",  # 13 digits failing the Luhn check
    ],
)
def test_product_codes_receipt_numbers_and_hash_digits_are_not_cards(text: str) -> None:
    assert not has_card_data(text)
    assert mask_card_data(text) == text
    assert contains_card_data({"note": text}) is False


@pytest.mark.parametrize(
    "text",
    [
        "abcdef4111111111111111abcdefabc",  # 31 hex characters: too short for a hash
        "key abcdef4111111111111111abcdefabc",
        "xyz abcdef4111111111111111abcdefabc end",
        "ghijkl4111111111111111ghijklmnop",  # 32 characters, but not hexadecimal
        "abcdef4111111111111111abcdefabcg",  # 32, the last one not hexadecimal
        "zbcdef4111111111111111abcdefabcd",  # 32, the first one not hexadecimal
    ],
)
def test_a_card_number_in_a_short_or_non_hexadecimal_token_is_still_a_card(text: str) -> None:
    assert has_card_data(text)
    assert "4111111111111111" not in mask_card_data(text)


def test_a_hexadecimal_token_ends_at_punctuation_on_both_sides() -> None:
    # 31 hex characters between an = and a ;: the letters around them do not count
    assert has_card_data("ab=abcdef4111111111111111abcdefabc;cd")
    assert not has_card_data("ab=abcdef4111111111111111abcdefabcd;cd")


# --- tracks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "%B4111111111111111^DOE/JOHN^25121010000000000000?",
        "%b4111111111111111^DOE/JOHN^2512101?",
        "B4111111111111111^DOE/JOHN^2512101",  # the reader's sentinels are optional
        "%B4111111111111111^^2512101?",  # no name
        ";4111111111111111=25121010000000000000?",
        "4111111111111111=2512101",
        "read: ;378282246310005=2512101?",
    ],
)
def test_magnetic_stripe_tracks_are_track_data(text: str) -> None:
    assert has_track_data(text)
    assert has_card_data(text)


@pytest.mark.parametrize(
    "text",
    [
        "%B4111111111111112^DOE/JOHN^2512101?",  # the number fails the Luhn check
        ";0411111111111111=2512101?",  # starts with 0
        "%B4111111111111111^ABCDEFGHIJKLMNOPQRSTUVWXYZA^2512101?",  # a name longer than 26
        "4111111111111111",  # a number alone is no track
        "%B411111111111^DOE/JOHN^2512101?",  # 12 digits
    ],
)
def test_what_is_not_a_track(text: str) -> None:
    assert not has_track_data(text)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("%B4111111111111111^DOE/JOHN^25121010000000000000?", "[card swipe removed: •••• 1111]"),
        (";5555555555554444=25121010000000000000?", "[card swipe removed: •••• 4444]"),
        (
            "swiped %B4111111111111111^DOE/JOHN^2512101?;4111111111111111=2512101? then typed 3782 822463 10005",
            "swiped [card swipe removed: •••• 1111][card swipe removed: •••• 1111] then typed •••• 0005",
        ),
        # a track-like text whose number is no card is kept; the card beside it is masked
        ("ref ;1234567890123=99? card 4111111111111111", "ref ;1234567890123=99? card •••• 1111"),
        ("%B1234567890123^X^1? and 5555555555554444", "%B1234567890123^X^1? and •••• 4444"),
    ],
)
def test_a_track_is_replaced_by_a_marker_with_only_the_last_4(text: str, masked: str) -> None:
    assert mask_card_data(text) == masked
    assert not has_card_data(masked)


# --- masks -------------------------------------------------------------------------------------


def test_the_mask_is_four_bullets_a_space_and_the_last_4_digits() -> None:
    assert MASK == "•"
    assert mask_card_data("4111111111111111") == "•••• 1111"
    assert mask_card_data("4111111111111111110") == "•••• 1110"


def test_every_card_number_in_a_text_is_masked_and_everything_else_kept() -> None:
    text = "Customer read out 4111 1111 1111 1111 and 3782-822463-10005, barcode 5901234123457."
    assert mask_card_data(text) == "Customer read out •••• 1111 and •••• 0005, barcode 5901234123457."
    assert mask_card_data("x 4111111111111111") == "x •••• 1111"
    assert mask_card_data("4111111111111111 5555555555554444") == "•••• 1111 •••• 4444"


@pytest.mark.parametrize(
    ("data", "masked"),
    [
        (b"4111111111111111", b"************1111"),
        (b"378282246310005", b"***********0005"),
        (b"4111111111111111110", b"***************1110"),
        (b"4222222222222", b"*********2222"),
        (b"\x1b@CARD 5555555555554444\n\x1dV\x01", b"\x1b@CARD ************4444\n\x1dV\x01"),
        (b"EAN 5901234123457 and 4111111111111111", b"EAN 5901234123457 and ************1111"),
        (b"4111111111111112", b"4111111111111112"),  # fails the Luhn check
        (b"40000000000000000002", b"40000000000000000002"),  # 20 digits
        (b"no digits", b"no digits"),
    ],
)
def test_print_bytes_lose_every_card_digit_but_the_last_4_and_keep_their_length(data: bytes, masked: bytes) -> None:
    assert mask_card_bytes(data) == masked
    assert len(mask_card_bytes(data)) == len(data)


# --- the refusal -------------------------------------------------------------------------------


def test_the_refusal_says_what_and_where_without_repeating_the_number() -> None:
    with pytest.raises(CardDataRefused) as err:
        refuse_card_data("customer card 4111 1111 1111 1111", "in a note")
    assert isinstance(err.value, CounterError)
    assert err.value.message == "That looks like a payment card number. Counter never takes card numbers in a note."
    assert err.value.hint == "Take card payments on the card terminal; for a card payment type only the last 4 digits."
    assert "1111" not in str(err.value)


def test_the_refusal_says_here_when_no_place_is_named() -> None:
    with pytest.raises(CardDataRefused) as err:
        refuse_card_data(";4111111111111111=2512101?")
    assert err.value.message == "That looks like a payment card number. Counter never takes card numbers here."


def test_text_without_a_card_number_comes_back_unchanged() -> None:
    text = "EAN 5901234123457, receipt S01-T01-000123"
    assert refuse_card_data(text) is text
    assert refuse_card_data("", "in search") == ""


# --- what a scanner reads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "41111111",  # 8 digits: EAN-8 length
        "411111111111",  # 12: UPC-A length
        "4006381333932",  # 13: a mistyped EAN-13 that passes the Luhn check
        " 4006381333932 ",  # as the scanner sends it, with whitespace
        "36227206271667",  # 14 digits passing the Luhn check: left to the GTIN-14 check
    ],
)
def test_a_code_of_a_barcodes_length_is_left_to_the_barcode_check(code: str) -> None:
    assert not card_data_in_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "4111111111111111",
        "378282246310005",  # 15 digits: no barcode has that length
        "4111111111111111110",
        "4111 1111 1111 1111",
        "%B4111111111111111^DOE/JOHN^2512101?",
    ],
)
def test_a_card_number_scanned_or_typed_into_the_item_field_is_card_data(code: str) -> None:
    assert card_data_in_code(code)


def test_the_barcode_lengths_are_the_only_ones_left_to_the_barcode_check() -> None:
    assert has_card_data("36227206271667")  # a 14-digit Diners number is card data anywhere else
    assert card_data_in_code("4222222222222 x")  # not digits only: the card check applies


# --- nested values --------------------------------------------------------------------------------


def test_card_data_is_looked_for_in_strings_lists_tuples_and_dict_values() -> None:
    card = "4111111111111111"
    assert contains_card_data(card)
    assert contains_card_data(["a", card])
    assert contains_card_data(("a", card))
    assert contains_card_data({"note": {"lines": [("x", card)]}})
    assert not contains_card_data({card: "the key is not looked at"})
    assert not contains_card_data(["a", ("b", {"c": "5901234123457"})])
    assert not contains_card_data(4111111111111111)  # a number is no text
    assert not contains_card_data(None)
    assert not contains_card_data({"a", card})  # a set is not looked into
    assert not contains_card_data([]) and not contains_card_data({})


# --- the log filter --------------------------------------------------------------------------------


def record(msg: object, args: tuple[object, ...] | None = None, **extra: object) -> logging.LogRecord:
    return logging.LogRecord("counter.test", logging.ERROR, __file__, 1, msg, args, None, **extra)  # type: ignore[arg-type]


def test_the_log_filter_masks_the_formatted_message_and_keeps_the_record() -> None:
    rec = record("paid %s with %s", ("12.00", "4111 1111 1111 1111"))
    assert CardDataFilter().filter(rec) is True
    assert rec.msg == "paid 12.00 with •••• 1111"
    assert rec.args is None
    assert rec.getMessage() == "paid 12.00 with •••• 1111"
    assert rec.exc_text is None and rec.stack_info is None


def test_the_log_filter_masks_the_raw_text_of_a_bad_format_string() -> None:
    rec = record("card 4111111111111111 %d", ("not a number",))
    assert CardDataFilter().filter(rec) is True
    assert rec.msg == "card •••• 1111 %d"
    assert rec.getMessage() == "card •••• 1111 %d"


def test_the_log_filter_masks_a_traceback_it_formats() -> None:
    try:
        raise ValueError("bad card 5555555555554444")
    except ValueError:
        rec = record("failed")
        rec.exc_info = sys.exc_info()
    CardDataFilter().filter(rec)
    assert rec.exc_text is not None
    assert rec.exc_text.startswith("Traceback (most recent call last):")
    assert rec.exc_text.endswith("ValueError: bad card •••• 4444")


def test_the_log_filter_masks_a_traceback_already_formatted_and_does_not_format_it_again() -> None:
    try:
        raise ValueError("other")
    except ValueError:
        rec = record("failed")
        rec.exc_info = sys.exc_info()
    rec.exc_text = "already formatted: 4111111111111111"
    CardDataFilter().filter(rec)
    assert rec.exc_text == "already formatted: •••• 1111"


def test_the_log_filter_masks_the_stack() -> None:
    rec = record("look", sinfo='Stack (most recent call last):\n  note("4111111111111111")')
    CardDataFilter().filter(rec)
    assert rec.stack_info == 'Stack (most recent call last):\n  note("•••• 1111")'
