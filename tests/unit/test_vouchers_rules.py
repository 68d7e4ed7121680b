"""counter.sales.vouchers' code rules: SC + 8 characters of Crockford base 32 + a check character
(the position-weighted sum of the body, modulo 32), read back forgivingly (any case, dashes,
spaces, O for 0, I and L for 1) and refused in the words the cashier reads when it is not a
voucher code."""

from __future__ import annotations

import pytest

from counter.sales.vouchers import ALPHABET, VoucherError, check_voucher_code, looks_like_voucher, new_voucher_code

REFUSAL_HINT = "Scan the voucher's barcode, or type the code printed under it (it starts with SC)."


@pytest.mark.parametrize(
    "code",
    [
        "SC000000000",  # weighted sum 0 -> "0"
        "SC100000001",  # 1 x 1 = 1 -> "1"
        "SC000000018",  # 8 x 1 = 8 -> "8"
    ],
)
def test_codes_whose_check_character_is_worked_by_hand(code: str) -> None:
    assert check_voucher_code(code) == code


def test_the_check_is_the_position_weighted_sum_modulo_32() -> None:
    # Z is 31: (1 + 2 + ... + 8) x 31 = 1116; 1116 mod 32 = 28 -> "W"
    assert check_voucher_code("SCZZZZZZZZW") == "SCZZZZZZZZW"
    # 7K2M9Q4X: 7 + 2x19 + 3x2 + 4x20 + 5x9 + 6x23 + 7x4 + 8x29 = 574; 574 mod 32 = 30 -> "Y"
    assert check_voucher_code("SC7K2M9Q4XY") == "SC7K2M9Q4XY"
    # the weight follows the position: "A" first is 10 -> "A"; "A" last is 80 mod 32 = 16 -> "G"
    assert check_voucher_code("SCA0000000A") == "SCA0000000A"
    assert check_voucher_code("SC0000000AG") == "SC0000000AG"


@pytest.mark.parametrize("code", ["SCZZZZZZZZX", "SC7K2M9Q4XH", "SC000000001", "SC0000000AA", "SCA0000000G"])
def test_a_wrong_check_character_is_refused(code: str) -> None:
    with pytest.raises(VoucherError) as err:
        check_voucher_code(code)
    assert err.value.message == f"“{code}” is not a valid store-credit voucher code."
    assert err.value.hint == REFUSAL_HINT


def test_codes_are_read_back_forgivingly() -> None:
    assert check_voucher_code("  sc7k-2m9q 4xy ") == "SC7K2M9Q4XY"
    # O is read as 0, I and L as 1 (Crockford): "SCO0OOOOOO0" is SC000000000
    assert check_voucher_code("scoooooooo0") == "SC000000000"
    assert check_voucher_code("SCI00000001") == "SC100000001"
    assert check_voucher_code("SCl0000000l") == "SC100000001"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SC",
        "SC00000000",  # one short
        "SC0000000000",  # one long
        "XC000000000",  # not SC
        "CS000000000",
        "4242424242424",  # a card or a barcode is never a voucher
        "SCU00000000",  # U is not in the alphabet
        "SC0000000U0",
        "SC00000000*",
    ],
)
def test_what_is_not_a_voucher_code_is_refused_with_what_was_typed(text: str) -> None:
    with pytest.raises(VoucherError) as err:
        check_voucher_code(f" {text} ")
    assert err.value.message == f"“{text}” is not a valid store-credit voucher code."
    assert err.value.hint == REFUSAL_HINT


def test_a_new_code_is_valid_and_made_of_the_alphabet() -> None:
    codes = {new_voucher_code() for _ in range(200)}
    assert len(codes) == 200  # 32**8 bodies: a repeat here would mean no randomness
    for code in codes:
        assert len(code) == 11 and code.startswith("SC")
        assert set(code[2:]) <= set(ALPHABET)
        assert check_voucher_code(code) == code
    assert len({c[2] for c in codes}) > 1 and len({c[9] for c in codes}) > 1  # every body position varies


def test_what_looks_like_a_voucher_on_a_scan() -> None:
    assert looks_like_voucher("SC7K2M9Q4XY")
    assert looks_like_voucher(" sc7k2m9q4xy\n")
    assert not looks_like_voucher("SC7K2M9Q4X")
    assert not looks_like_voucher("SC7K2M9Q4XYZ")
    assert not looks_like_voucher("XC7K2M9Q4XY")
    assert not looks_like_voucher("012345678905")
