"""Scan decoding: biip for the standards, store rules for price/weight labels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from biip.checksums import gs1_standard_check_digit

from devices.barcodes import CodeType, EmbeddedRule, Measure, decode_scan


def with_check(body: str) -> str:
    return body + str(gs1_standard_check_digit(body))


@pytest.mark.parametrize(
    "raw, gtin",
    [
        ("]E04006381333931", "04006381333931"),
        ("4006381333931", "04006381333931"),
        ("04252614", "00042100005264"),  # UPC-E, expanded
        ("042100005264", "00042100005264"),  # the same item as UPC-A
        ("96385074", "00000096385074"),  # EAN-8
        ("]I110012345678902", "10012345678902"),  # ITF-14
    ],
)
def test_gtins(raw, gtin):
    data = decode_scan(raw)
    assert data.kind is CodeType.GTIN and data.gtin == gtin


def test_aim_id_is_kept_apart():
    data = decode_scan("]E04006381333931\r\n")
    assert (data.aim_id, data.symbology, data.text) == ("]E0", "EAN_UPC", "4006381333931")


def test_bad_check_digit_is_invalid_with_words_for_the_cashier():
    data = decode_scan("4006381333932")
    assert data.kind is CodeType.INVALID and data.gtin is None
    assert "wrong check digit" in data.error


@pytest.mark.parametrize(
    "body, measure, value, key_body",
    [
        ("230123401234", Measure.PRICE, Decimal("12.34"), "230123400000"),
        ("210123401250", Measure.WEIGHT, Decimal("1.250"), "210123400000"),
        ("200012300999", Measure.PRICE, Decimal("9.99"), "200012300000"),
    ],
)
def test_in_store_price_and_weight_barcodes(body, measure, value, key_body):
    data = decode_scan(with_check(body))
    assert data.kind is CodeType.VARIABLE_MEASURE
    assert (data.measure, data.value) == (measure, value)
    assert data.gtin == "0" + with_check(key_body)  # the item's lookup key, value zeroed
    assert (data.price if measure is Measure.PRICE else data.weight) == value


def test_upc_a_number_system_2_price_label():
    upc = with_check("21234500199")  # 2 IIIII VVVVV C
    data = decode_scan(upc)
    assert data.kind is CodeType.VARIABLE_MEASURE and data.price == Decimal("1.99")
    assert data.gtin == "00" + with_check("21234500000")


def test_store_rules_are_configurable():
    rules = (EmbeddedRule("28.....P{NNDD}", Measure.PRICE),)  # a price check digit before the price
    data = decode_scan(with_check("281234571234"), rules)
    assert data.price == Decimal("12.34")
    assert data.gtin == "0" + with_check("281234500000")
    # with no rule for a 2x prefix, the code is just a store-internal GTIN
    assert decode_scan(with_check("230123401234"), rules).kind is CodeType.GTIN


@pytest.mark.parametrize("pattern", ["21.....{NNDD}", "21{}..........", "21.....NNDDD", "2x.....{NNDDD}"])
def test_bad_rules_are_refused(pattern):
    with pytest.raises(ValueError):
        EmbeddedRule(pattern, Measure.WEIGHT)


def test_gs1_128_with_weight_batch_and_expiry():
    data = decode_scan("]C10109876543210920310300012310ABC123\x1d17251231")
    assert data.kind is CodeType.GS1
    assert data.gtin == "09876543210920"
    assert data.weight == Decimal("0.123")
    assert dict(data.gs1) == {"01": "09876543210920", "3103": "000123", "10": "ABC123", "17": "251231"}


def test_gs1_from_a_wedge_without_aim_id():
    data = decode_scan("0109876543210920\x1d10LOT7")
    assert data.kind is CodeType.GS1 and dict(data.gs1)["10"] == "LOT7"


def test_gs1_with_bad_gtin_is_invalid():
    data = decode_scan("]C10109876543210921")
    assert data.kind is CodeType.INVALID and "check digit" in data.error


@pytest.mark.parametrize("raw", ["S01-T01-000042", "]C0ABC-123", "]Q1https://counter.example/r/1", "1234"])
def test_anything_else_is_text(raw):
    data = decode_scan(raw)
    assert data.kind is CodeType.TEXT and data.gtin is None


def test_code128_digits_are_not_forced_into_gtins():
    # a 13-digit Code 128 (]C0) is a store code, not an EAN with a bad check digit
    assert decode_scan("]C04006381333932").kind is CodeType.TEXT
