"""Golden bytes of the ZVT messages, checked against open implementations' test vectors.

Sources (cited next to each vector):
* Portalum.Zvt (C#), github.com/Portalum/Portalum.Zvt, src/Portalum.Zvt.UnitTest/*.cs and
  src/Portalum.Zvt/ZvtClient.cs (command layouts);
* ecrterm (Python), github.com/mathiasfrey/ecrterm, tests/data_encoding.py (serial frames).
"""

from __future__ import annotations

import pytest

from counter.payments.terminal import BrandTotal, Outcome
from devices.payment.zvt import ZvtTerminal, encode_totals, parse_totals, to_answer
from devices.payment.zvt_codec import (
    Apdu,
    ZvtFormatError,
    bcd,
    decode_apdu,
    encode_apdu,
    encode_bmp,
    from_bcd,
    masked_pan,
    pan_last4,
    parse_bmps,
)
from devices.payment.zvt_session import Exchange, text_block_lines
from devices.payment.zvt_texts import result


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace("-", " "))


def terminal(password: str = "000000") -> ZvtTerminal:
    return ZvtTerminal(lambda: None, password=password)  # type: ignore[arg-type,return-value]


# --- commands ---------------------------------------------------------------------------------


def test_authorization_of_one_euro() -> None:
    # Portalum.Zvt ZvtClientTest.PaymentAsync_*: 06 01 07 04 00 00 00 00 10 00 is 10.00;
    # the same layout (BMP 04, 6 bytes BCD of minor units) for 1.00:
    assert ZvtTerminal.sale_apdu(100) == h("06 01 07 04 00 00 00 00 01 00")
    assert ZvtTerminal.sale_apdu(1000) == h("06 01 07 04 00 00 00 00 10 00")  # Portalum's vector itself
    assert ZvtTerminal.sale_apdu(33) == h("06 01 07 04 00 00 00 00 00 33")


def test_registration_layout() -> None:
    # ecrterm tests/data_encoding.py test_Anmeldung: 06 00 06 12 34 56 BA 09 78 (password,
    # config byte, currency 0978); Portalum ZvtClient.RegistrationAsync adds 03 <service byte>.
    apdu = terminal("123456").registration_apdu()
    assert apdu[:6] == h("06 00 08 12 34 56")
    assert apdu[6] == 0x3E  # ECR prints payment+admin receipts, intermediate status, ECR controls
    assert apdu[7:] == h("09 78 03 01")


def test_status_enquiry_end_of_day_repeat_receipt() -> None:
    t = terminal("123456")
    # ecrterm test_packet_statusenquiry: 05 01 03 12 34 56
    assert t.admin_apdu(0x05, 0x01) == h("05 01 03 12 34 56")
    # Portalum ZvtClient.EndOfDayAsync / RepeatLastReceiptAsync: password only
    assert t.admin_apdu(0x06, 0x50) == h("06 50 03 12 34 56")
    assert t.admin_apdu(0x06, 0x20) == h("06 20 03 12 34 56")


def test_reversal_by_receipt_number() -> None:
    # Portalum ZvtClient.ReversalAsync: password, 87, receipt number 2 bytes BCD
    assert terminal().reversal_apdu(12) == h("06 30 06 00 00 00 87 00 12")


def test_refund_carries_the_reference() -> None:
    # Portalum ZvtClient.RefundAsync: password, 04 amount; we add 87 receipt and 37 original trace
    t = terminal()
    assert t.refund_apdu(250, 7, 1234) == h("06 31 11 00 00 00 04 00 00 00 00 02 50 87 00 07 37 00 12 34")
    t.referenced_refunds = False
    assert t.refund_apdu(250, 7, 1234) == h("06 31 0A 00 00 00 04 00 00 00 00 02 50")


def test_extended_length() -> None:
    data = bytes(300)
    raw = encode_apdu(0x06, 0xD3, data)
    assert raw[:5] == h("06 D3 FF 2C 01")  # 300 = 0x012C, low byte first
    assert decode_apdu(raw) == Apdu(0x06, 0xD3, data)


def test_length_that_does_not_match_is_an_error() -> None:
    with pytest.raises(ZvtFormatError):
        decode_apdu(h("04 0F 05 27 00"))


# --- BCD and BMPs ------------------------------------------------------------------------------


def test_bcd() -> None:
    assert bcd(978, 2) == h("09 78")
    assert from_bcd(h("00 00 00 00 20 40")) == 2040
    with pytest.raises(ZvtFormatError):
        bcd(1_000_000, 3)
    with pytest.raises(ZvtFormatError):
        from_bcd(h("1A"))


# Portalum StatusInformationParserTest.Parse_PaymentGood1_Successful
PAYMENT_GOOD = h(
    "04 0F 77 27 00 04 00 00 00 00 20 40 0B 00 04 70 0C 22 39 53 0D 10 06 0E 25 12 17 00 01 19 70 "
    "22 F0 F8 EE EE EE EE EE EE 47 71 29 28 00 48 69 2A 31 30 30 34 36 31 37 36 33 20 20 20 20 20 20 "
    "3B 36 31 31 38 30 34 00 00 3C F0 F1 F4 47 45 4E 2E 4E 52 2E 3A 36 31 31 38 30 34 49 09 78 87 04 70 "
    "88 00 04 70 8A 2E 8B F1 F7 44 65 62 69 74 20 4D 61 73 74 65 72 63 61 72 64 00"
)


def test_status_information_of_a_payment() -> None:
    apdu = decode_apdu(PAYMENT_GOOD)
    bmps = parse_bmps(apdu.data)
    assert bmps.complete
    assert bmps.number(0x04) == 2040  # Portalum: Amount 20.4
    assert bmps.number(0x29) == 28004869  # Portalum: TerminalIdentifier
    assert bmps.number(0x49) == 978
    assert bmps.text(0x3C) == "GEN.NR.:611804"
    assert bmps.text(0x8B) == "Debit Mastercard"
    answer = to_answer(Exchange(completed=True, status=bmps), 2040)
    assert answer.outcome is Outcome.APPROVED
    assert answer.amount_minor == 2040
    assert (answer.receipt_no, answer.trace, answer.reference) == ("0470", "000470", "0470/000470")
    assert answer.pan_last4 == "4771"
    assert answer.card_brand == "Debit Mastercard"
    assert answer.approval_code == "611804"
    assert answer.terminal_id == "28004869"


def test_status_information_with_tlv_container() -> None:
    # Portalum StatusInformationParserTest.Parse_ReversalGood1_Successful (ends with BMP 06, 0x65 bytes of TLV)
    raw = h(
        "04 0F E2 27 00 04 00 00 00 00 01 00 0B 00 06 07 0C 15 48 58 0D 02 01 0E 25 12 17 00 01 19 70 22 F0 F8 "
        "EE EE EE EE EE EE 47 71 29 28 00 48 69 2A 31 30 30 34 36 31 37 36 33 20 20 20 20 20 20 37 00 06 06 3B "
        "37 31 35 36 39 31 00 00 3C F0 F1 F4 47 45 4E 2E 4E 52 2E 3A 37 31 35 36 39 31 49 09 78 87 06 07 88 00 "
        "06 07 8A 2E 8B F1 F7 44 65 62 69 74 20 4D 61 73 74 65 72 63 61 72 64 00 06 65 24 10 07 0E 47 45 4E 2E "
        "4E 52 2E 3A 37 31 35 36 39 31 43 07 A0 00 00 00 04 10 10 46 1F 41 30 30 30 30 30 30 30 30 34 31 30 31 "
        "30 20 42 31 44 37 33 34 35 43 31 46 32 44 33 35 35 42 47 1F 41 30 30 30 30 30 30 30 30 34 31 30 31 30 "
        "20 42 31 44 37 33 34 35 43 31 46 32 44 33 35 35 42 1F 10 01 FF 1F 12 01 02"
    )
    bmps = parse_bmps(decode_apdu(raw).data)
    assert bmps.complete
    assert bmps.number(0x04) == 100  # Portalum: Amount 1
    assert bmps.number(0x0B) == 607  # Portalum: TraceNumber 607
    assert bmps.number(0x37) == 606  # the original trace (BMP 37 00 06 06)
    assert bmps.tlv[0x1F12] == b"\x02"  # card technology (Portalum: "NFC")
    assert 0x24 in bmps.tlv and 0x1F10 in bmps.tlv


def test_abort_status_information() -> None:
    # Portalum StatusInformationParserTest.Parse_AbortByKey_Successful: 27 6C, "Abbruch durch Kunde"
    raw = h("04 0F 1E 27 6C 29 28 00 48 69 3C F0 F1 F9 41 62 62 72 75 63 68 20 64 75 72 63 68 20 4B 75 6E 64 65")
    answer = to_answer(Exchange(aborted=True, abort_code=0x6C, status=parse_bmps(decode_apdu(raw).data)), 500)
    assert answer.outcome is Outcome.CANCELLED
    assert "Cancelled at the terminal" in answer.text and "Abbruch durch Kunde" in answer.text
    assert answer.amount_minor == 500


def test_unknown_bmp_stops_the_parse_before_it_misreads() -> None:
    bmps = parse_bmps(h("27 00 99 01 02 04 00 00 00 00 01 00"))
    assert not bmps.complete and bmps.unknown_tag == 0x99
    assert bmps.number(0x04) is None  # never reads 01 02 04 ... as an amount
    answer = to_answer(Exchange(completed=True, status=bmps), 100)
    assert answer.outcome is Outcome.UNKNOWN
    assert "could not be read" in answer.text


def test_bmp_running_past_the_end_is_an_error() -> None:
    with pytest.raises(ZvtFormatError):
        parse_bmps(h("27 00 04 00 00 01"))
    with pytest.raises(ZvtFormatError):
        parse_bmps(h("3C F0 F9 41"))


def test_masked_pan_keeps_the_last_four() -> None:
    raw = parse_bmps(masked_pan("4242")).get(0x22)
    assert raw == h("EE EE EE EE EE EE 42 42")
    assert pan_last4(raw) == "4242"
    assert pan_last4(h("EE EE 4F")) == ""  # fewer than four digits: nothing rather than a guess


def test_other_amount_is_not_an_approval() -> None:
    status = parse_bmps(h("27 00 04 00 00 00 00 02 00 87 00 05 0B 00 00 05"))
    answer = to_answer(Exchange(completed=True, status=status), 100)
    assert answer.outcome is Outcome.UNKNOWN
    assert answer.amount_minor == 200 and answer.reference == "0005/000005"
    assert "2.00 instead of 1.00" in answer.text


def test_text_block_lines() -> None:
    # BMP 06 with tag 25 (print texts): 07 lines and 1F07 receipt type (2 = customer)
    lines = b"\x07\x05HELLO\x07\x05WORLD\x1f\x07\x01\x02"
    block = encode_bmp(0x06, b"\x25" + bytes([len(lines)]) + lines)
    assert text_block_lines(block) == ["HELLO", "WORLD"]
    merchant = lines[:-1] + b"\x01"
    assert text_block_lines(encode_bmp(0x06, b"\x25" + bytes([len(merchant)]) + merchant)) == []


def test_totals_round_trip() -> None:
    totals = {"Visa": BrandTotal(2, 1500), "girocard": BrandTotal(1, 99), "Carte X": BrandTotal(1, 5)}
    raw = encode_totals(1, 4, totals)
    assert len(raw) == 4 + 7 * 7
    assert parse_totals(raw) == {
        "girocard": BrandTotal(1, 99),
        "Visa": BrandTotal(2, 1500),
        "Other": BrandTotal(1, 5),
    }


@pytest.mark.parametrize(
    ("code", "outcome", "words"),
    [
        (0x00, Outcome.APPROVED, "Approved"),
        (0x05, Outcome.DECLINED, "Declined"),
        (0x33, Outcome.DECLINED, "insufficient funds"),
        (0x6C, Outcome.CANCELLED, "Cancelled"),
        (0x64, Outcome.DECLINED, "could not read the card"),
        (0x12, Outcome.DECLINED, "code 18"),
        (0xEE, Outcome.DECLINED, "error EE"),
    ],
)
def test_result_codes(code: int, outcome: Outcome, words: str) -> None:
    got, text = result(code)
    assert got is outcome and words in text
