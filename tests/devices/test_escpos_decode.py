"""The decoder on python-escpos' own output and on hand-written byte strings."""

from __future__ import annotations

from escpos.printer import Dummy

from devices.escpos.codepages import code_page
from devices.escpos.decode import Align, LineKind, decode


def test_python_escpos_output_decodes_without_unknown_ops():
    p = Dummy(profile="default")
    p.set(align="center", bold=True, double_width=True, double_height=True)
    p.text("Hello\n")
    p.set(normal_textsize=True, bold=False, align="left", underline=1)
    p.text("under\n")
    p.qr("ABC", native=True)
    p.cashdraw(2)
    p.cut()
    decoded = decode(p.output)
    assert decoded.unknown == []
    first = decoded.lines[0]
    assert (first.text, first.align, first.bold, first.double_width, first.double_height) == (
        "Hello",
        Align.CENTER,
        True,
        True,
        True,
    )
    assert decoded.lines[1].underline and not decoded.lines[1].bold
    assert "[QR ABC]" in decoded.text()
    assert decoded.ops_named("kick")[0].args == (0, 50, 50)
    assert decoded.lines[-1].kind is LineKind.CUT


def test_code_page_switch_changes_how_bytes_decode():
    data = b"\x1b@\x82\n\x1bt\x10\x82\n\x1bt\x13\xd5\n\x1b@\x82\n"
    decoded = decode(data)
    # 0x82 is é in CP437 (default), ‚ in CP1252; 0xD5 is € in CP858; ESC @ resets to CP437
    assert [line.text for line in decoded.lines] == ["é", "‚", "€", "é"]
    assert decoded.ops_named("codepage")[0].args == (16, "CP1252")


def test_initial_page_can_be_given():
    assert decode(b"\xd5\n", page=code_page("CP858")).text() == "€"


def test_barcodes_both_forms():
    data = b"\x1dk\x02400638133393\x00" + b"\x1dkI\x09{BAB{C\x0c\x22\x38"
    decoded = decode(data)
    assert decoded.text() == "[BARCODE EAN13 400638133393]\n[BARCODE CODE128 AB123456]"


def test_unknown_and_truncated_bytes_are_reported():
    decoded = decode(b"ok\x1b\x99\x07\x1d(k\x10\x00")
    names = [(op.name, op.args[0]) for op in decoded.ops if op.name == "unknown"]
    assert names[0] == ("unknown", "1b 99")
    assert names[1] == ("unknown", "07")
    assert names[2][1].startswith("1d 28 6b")
    assert decoded.text() == "ok"


def test_status_requests_and_realtime_commands():
    decoded = decode(b"\x10\x04\x01\x10\x04\x04\x10\x14\x01\x00\x05")
    assert [op.name for op in decoded.ops] == ["status_request", "status_request", "realtime_pulse"]
    assert decoded.lines == []


def test_feed_and_raster_image():
    decoded = decode(b"a\x1bd\x03" + b"\x1dv0\x00\x01\x00\x02\x00\xff\x00")
    assert [line.text for line in decoded.lines] == ["a", "", "", "[IMAGE 8x2]"]
