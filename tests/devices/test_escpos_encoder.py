"""Receipt rendering, checked through the decoder (the preview's own oracle)."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from counter.documents import ReceiptKind
from devices.escpos.codepages import code_page, transliterate
from devices.escpos.decode import LineKind, decode
from devices.escpos.encoder import (
    CutMode,
    PrinterProfile,
    code128_payload,
    drawer_kick,
    render_receipt,
    render_test_page,
)
from tests.devices.support import make_receipt

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    """Compare with golden/<name>; UPDATE_GOLDEN=1 rewrites it (review the diff!)."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("codepage", ["CP858", "CP1252"])
def test_sale_receipt_decodes_to_the_golden_text_on_both_code_pages(receipt, codepage):
    data = render_receipt(receipt, PrinterProfile(codepage=codepage))
    decoded = decode(data)
    # é ü ñ ø € £ exist in both pages, so both decode to the very same text
    check_golden("sale_80mm.txt", decoded.text())
    assert decoded.unknown == []


@pytest.mark.parametrize("codepage, slot", [("CP858", 19), ("CP1252", 16), ("CP437", 0)])
def test_every_job_starts_with_init_and_an_explicit_code_page(receipt, codepage, slot):
    data = render_receipt(receipt, PrinterProfile(codepage=codepage))
    assert data.startswith(b"\x1b@\x1bt" + bytes([slot]))
    assert isinstance(data, bytes)
    # exactly one ESC t: the page never switches mid-job (MagicEncode would)
    assert len(decode(data).ops_named("codepage")) == 1


def test_names_round_trip_exactly(receipt):
    for codepage in ("CP858", "CP1252"):
        text = decode(render_receipt(receipt, PrinterProfile(codepage=codepage))).text()
        for word in ("Café Ñandú", "Crème brûlée", "Smørrebrød £", "Jalapeño-Käse für Müller", "Zoë", "€"):
            assert word in text


def test_characters_the_page_lacks_are_transliterated_not_garbled(receipt):
    text = decode(render_receipt(receipt, PrinterProfile(codepage="CP437"))).text()
    assert "Smorrebrod" in text  # ø is not in CP437
    assert "EUR" in text and "€" not in text
    assert "?" not in text
    assert "Crème brûlée" in text  # what CP437 has is kept


def test_transliteration_table():
    cp437 = code_page("CP437")
    assert transliterate("Łódź → Ørsted “quote” – 5 €", cp437) == 'Lódz -> Orsted "quote" - 5 EUR'
    assert transliterate("Visa •••• 4242", code_page("CP858")) == "Visa **** 4242"
    assert transliterate("Visa •••• 4242", code_page("CP1252")) == "Visa •••• 4242"
    assert transliterate("a\x1bb\tc\u00a0d\u202fe", cp437) == "abc d e"  # no command injection
    assert transliterate("日本", cp437) == "??"


def test_every_line_fits_the_paper(receipt):
    for profile in (PrinterProfile.mm80(), PrinterProfile.mm58()):
        decoded = decode(render_receipt(receipt, profile))
        for line in decoded.lines:
            if line.kind is LineKind.TEXT:
                assert line.cells <= profile.columns, (profile.columns, line.text)


def test_58mm_receipt_golden(receipt):
    check_golden("sale_58mm.txt", decode(render_receipt(receipt, PrinterProfile.mm58())).text())


def test_total_is_emphasised_double_size(receipt):
    decoded = decode(render_receipt(receipt, PrinterProfile()))
    total = next(line for line in decoded.lines if line.text.startswith("TOTAL"))
    assert total.bold and total.double_width and total.double_height
    assert total.text.endswith("23,97 €")
    header = decoded.lines[0]
    assert header.text == "Café Ñandú" and header.align == "center" and header.bold


def test_gift_receipt_has_no_prices_or_totals(receipt):
    gift = make_receipt(kind=ReceiptKind.GIFT)
    text = decode(render_receipt(gift, PrinterProfile())).text()
    assert "GIFT RECEIPT" in text
    assert "3 x Jalapeño-Käse für Müller" in text
    for forbidden in ("€", "EUR", "TOTAL", "Subtotal", "Cash\n", "Visa", "Change", "VAT", "3,50", "12,00"):
        assert forbidden not in text + "\n", forbidden
    assert "[BARCODE CODE128 S01-T01-000042]" in text  # still findable for the return


def test_reprint_says_copy():
    text = decode(render_receipt(make_receipt(copy_number=2), PrinterProfile())).text()
    assert "COPY 2" in text
    assert "COPY" not in decode(render_receipt(make_receipt(), PrinterProfile())).text()


def test_return_receipt_banner_and_tax_excluded_layout():
    receipt = make_receipt(kind=ReceiptKind.RETURN, prices_include_tax=False, currency="USD", locale="en_US")
    text = decode(render_receipt(receipt, PrinterProfile())).text()
    assert "RETURN" in text
    assert "A VAT 5.5% on $11.35" in text
    assert "Tax included" not in text


def test_barcode_qr_and_cut_are_native_commands(receipt):
    decoded = decode(render_receipt(receipt, PrinterProfile(cut=CutMode.FULL)))
    assert [op.args for op in decoded.ops_named("barcode")] == [("CODE128", "S01-T01-000042")]
    assert [op.args for op in decoded.ops_named("qr_print")] == [("https://counter.example/r/S01-T01-000042",)]
    assert [op.args[0] for op in decoded.ops_named("cut")] == ["full"]
    assert decoded.lines[-1].kind is LineKind.CUT
    assert not decoded.ops_named("image_raster")  # no image fallback


def test_no_cut_for_printers_without_cutter(receipt):
    decoded = decode(render_receipt(receipt, PrinterProfile.mm58(cut="none")))
    assert decoded.ops_named("cut") == []


def test_rendering_prints_nothing_to_stdout(receipt, capsys):
    render_receipt(receipt, PrinterProfile())
    render_test_page(PrinterProfile())
    assert capsys.readouterr().out == ""


def test_code128_uses_code_set_c_for_trailing_digits():
    assert code128_payload("S01-T01-000042") == b"{BS01-T01-{C\x00\x00\x2a"
    assert code128_payload("AB{C") == b"{BAB{{C"
    assert code128_payload("123") == b"{B123"  # a run shorter than 4 stays in set B
    assert code128_payload("12345") == b"{B1{C\x17\x2d"
    assert code128_payload("Café") is None


def test_test_page(receipt):
    decoded = decode(render_test_page(PrinterProfile.mm58(codepage="CP437")))
    text = decoded.text()
    assert "Code page        CP437 (ESC t 0)" in text
    assert "12345678901234567890123456789012" in text
    assert "Money:   EUR £ $ ¥ ¢" in text
    assert decoded.unknown == []


def test_drawer_kick_bytes():
    assert drawer_kick() == b"\x1bp\x00\x19\xfa"
    assert drawer_kick(5, 100, 100) == b"\x1bp\x01\x32\x32"
    with pytest.raises(ValueError):
        drawer_kick(3)


def test_profile_validation():
    with pytest.raises(ValueError, match="Unknown code page"):
        PrinterProfile(codepage="CP9999")
    assert PrinterProfile(codepage="cp858", codepage_slot=53).page.slot == 53
    assert PrinterProfile.mm58().columns == 32 and PrinterProfile().columns == 42
    assert render_receipt(make_receipt(lines=(), subtotal=Decimal(0), total=Decimal(0)), PrinterProfile())
