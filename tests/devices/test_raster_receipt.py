"""Receipts in a right-to-left language, or in a script the printer's code page lacks, print as
a raster (devices/escpos/raster.py): checked in the printed bytes, decoded back to pictures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PIL import Image

from counter.documents import ReceiptLine, StoreHeader
from counter.i18n import set_screen_language
from devices.escpos.decode import LineKind, decode
from devices.escpos.encoder import PrinterProfile, render_receipt
from devices.escpos.raster import band_image
from tests.devices.support import D, make_receipt


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    set_screen_language("en")


def _picture(data: bytes) -> tuple[Image.Image | None, list[str]]:
    """The receipt's raster bands stacked into one picture, and its lines printed as text."""
    lines = decode(data).lines
    bands = [band_image(line.image) for line in lines if line.kind is LineKind.IMAGE]
    text = [line.text for line in lines if line.kind is LineKind.TEXT and line.text.strip()]
    if not bands:
        return None, text
    strip = Image.new("1", (bands[0].width, sum(b.height for b in bands)), 1)
    top = 0
    for band in bands:
        strip.paste(band, (0, top))
        top += band.height
    return strip, text


def _ink_box(picture: Image.Image, top: int, bottom: int) -> tuple[int, int] | None:
    """Left and right edge of the ink between two rows (None: blank)."""
    box = Image.eval(picture.crop((0, top, picture.width, bottom)).convert("L"), lambda v: 255 - v).getbbox()
    return (box[0], box[2]) if box else None


def test_a_right_to_left_receipt_is_a_mirrored_picture_with_the_printers_own_barcode() -> None:
    receipt = make_receipt(language="ar_XB")
    data = render_receipt(receipt, PrinterProfile())
    picture, text = _picture(data)
    assert picture is not None and picture.width == 576
    assert text == []  # nothing left to the code page: every word is drawn
    kinds = [line.kind for line in decode(data).lines]
    assert LineKind.BARCODE in kinds and LineKind.QR in kinds and LineKind.CUT in kinds
    assert kinds.index(LineKind.BARCODE) > max(i for i, k in enumerate(kinds) if k is LineKind.IMAGE)
    # a left-aligned line of the left-to-right receipt ("Receipt S01-T01-000042", the first pair)
    # starts at the right edge here: find the first row block with ink that does not reach the
    # middle from the left
    starts = []
    for top in range(0, picture.height - 20, 20):
        edges = _ink_box(picture, top, top + 20)
        if edges:
            starts.append(edges)
    assert any(right >= picture.width - 2 and left > picture.width // 3 for left, right in starts), starts


def test_letters_the_code_page_lacks_make_a_picture_and_those_it_has_stay_text() -> None:
    greek = make_receipt(
        language="en",
        store=StoreHeader("Καφενείο Ωμέγα", ("Οδός Αθηνάς 12",)),
        lines=(ReceiptLine("Ελληνικός καφές", "1", 1, D("2.50"), D("2.50"), D(0), "A"),),
    )
    picture, text = _picture(render_receipt(greek, PrinterProfile()))  # CP858 has no Greek
    assert picture is not None and text == []
    cyrillic = replace(greek, store=StoreHeader("Кафе Омега"), lines=(ReceiptLine("Чай", "1", 1, D(2), D(2)),))
    picture, text = _picture(render_receipt(cyrillic, PrinterProfile(codepage="CP866")))  # CP866 has it
    assert picture is None and any("Кафе Омега" in line for line in text)
    latin = make_receipt(language="en_XA")  # accented Latin: transliterated, still text
    picture, text = _picture(render_receipt(latin, PrinterProfile()))
    assert picture is None and text


def test_the_picture_changes_with_the_words() -> None:
    """The bands carry the receipt's own words: another item name draws other pixels."""
    one = make_receipt(language="ar_XB")
    two = replace(one, lines=(replace(one.lines[0], name="Another name entirely"), *one.lines[1:]))
    first, _t1 = _picture(render_receipt(one, PrinterProfile()))
    second, _t2 = _picture(render_receipt(two, PrinterProfile()))
    assert first is not None and second is not None
    assert first.tobytes() != second.tobytes()
