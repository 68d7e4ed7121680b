"""The receipt preview: the very ESC/POS bytes that went to the printer, decoded and shown
on a paper-like strip (GUI thread only). What the preview shows is what was sent."""

from __future__ import annotations

import base64
import html
import io
import re
from functools import lru_cache

# python-barcode ships no type information, and the qrcode stubs (types-qrcode) are not a
# dependency: both libraries are untyped here (their calls are in _symbol_png only).
import barcode
import qrcode
from barcode.writer import ImageWriter
from PySide6.QtCore import QSize
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QStyle, QTextBrowser, QWidget

from counter.i18n import _
from devices.escpos.decode import Align, Decoded, LineKind, PreviewLine
from devices.escpos.raster import band_image
from ui.i18n import live

_ALIGN = {Align.LEFT: "left", Align.CENTER: "center", Align.RIGHT: "right"}


def preview_html(decoded: Decoded) -> str:
    rows = [_row(line) for line in decoded.lines]
    return (
        '<html><body style=\'background:#fffef8;color:#111;font-family:"DejaVu Sans Mono",monospace;'
        "font-size:11pt;margin:0'>" + "".join(rows) + "</body></html>"
    )


def _row(line: PreviewLine) -> str:
    align = _ALIGN.get(line.align, "left")
    if line.kind is LineKind.CUT:
        return "<div style='color:#999;text-align:center'>✂ - - - - - - - - - - - - - - - - - -</div>"
    if line.kind is LineKind.IMAGE and line.image:
        picture = _raster_png(line.image)
        if picture:  # a receipt printed as a picture (devices.escpos.raster): the picture, paper-wide
            img = f"<img width='{_PAPER_PX}' src='data:image/png;base64,{picture}'>"
            return f"<div style='text-align:center'>{img}</div>"
    if line.kind in (LineKind.BARCODE, LineKind.QR):
        match = _SYMBOL.match(line.text)
        image = _symbol_png(line.kind, match.group(1), match.group(2)) if match else None
        picture = f"<img src='data:image/png;base64,{image}'>" if image else ""
        return (
            f"<div style='text-align:{align}'>{picture}</div>"
            f"<div style='text-align:{align};font-size:8pt;color:#555'>{html.escape(line.text)}</div>"
        )
    parts = []
    for run in line.runs or ():
        text = html.escape(run.text).replace(" ", "&nbsp;")
        if run.style.bold:
            text = f"<b>{text}</b>"
        if run.style.double_height or run.style.double_width:
            text = f"<span style='font-size:22pt'>{text}</span>"
        if run.style.underline:
            text = f"<u>{text}</u>"
        parts.append(text)
    body = "".join(parts) if parts else html.escape(line.text).replace(" ", "&nbsp;")
    return f"<div style='text-align:{align};white-space:pre'>{body or '&nbsp;'}</div>"


#: "[BARCODE CODE128 S01-T01-000042]" / "[QR CNTR:S01-T01-000042]" as the decoder writes them
_SYMBOL = re.compile(r"^\[(?:BARCODE (\S+)|QR) (.*)\]$")


#: how wide a printed picture shows on the preview's paper (42 columns of its 11 pt font)
_PAPER_PX = 360


@lru_cache(maxsize=64)
def _raster_png(band: bytes) -> str | None:
    try:
        image = band_image(band)
    except (AssertionError, ValueError):
        return None
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


@lru_cache(maxsize=32)
def _symbol_png(kind: LineKind, symbology: str | None, data: str) -> str | None:
    """Draw the decoded barcode or QR so the preview looks like the paper (base64 PNG)."""
    out = io.BytesIO()
    try:
        if kind is LineKind.QR:
            qrcode.make(data, box_size=3, border=1).save(out, format="PNG")
        elif symbology == "CODE128":
            writer_options = {
                "module_height": 9.0,
                "module_width": 0.3,
                "write_text": False,
                "quiet_zone": 1.0,
                "dpi": 100,
            }
            barcode.get("code128", data, writer=ImageWriter()).write(out, options=writer_options)
        else:
            return None
    except Exception:  # a symbol we cannot draw still shows as text below it
        return None
    return base64.b64encode(out.getvalue()).decode("ascii")


#: the paper's width in characters the preview always has room for (80 mm paper)
PAPER_COLUMNS = 42
#: resources/style.qss #receiptPreview: padding and border, each side
_PREVIEW_PADDING = 9


class ReceiptPreview(QTextBrowser):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("receiptPreview")
        self.setOpenLinks(False)
        self.decoded: Decoded | None = None
        live(self, lambda: self.setPlaceholderText(_("The last receipt printed appears here.")))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        """Never narrower than the paper: a line of the receipt is never cut off at the right."""
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(11)  # preview_html's font
        paper = QFontMetrics(font).horizontalAdvance("0" * PAPER_COLUMNS)
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        chrome = 2 * int(self.document().documentMargin()) + 2 * _PREVIEW_PADDING + scroll_bar + 2
        return QSize(paper + chrome, 0)  # as low as need be: a long message above it comes first

    def show_decoded(self, decoded: Decoded) -> None:
        self.decoded = decoded
        self.setHtml(preview_html(decoded))
