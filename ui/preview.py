"""The receipt preview: the very ESC/POS bytes that went to the printer, decoded and shown
on a paper-like strip (GUI thread only). What the preview shows is what was sent."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QTextBrowser, QWidget

from devices.escpos.decode import Align, Decoded, LineKind, PreviewLine

_ALIGN = {Align.LEFT: "left", Align.CENTER: "center", Align.RIGHT: "right"}


def preview_html(decoded: Decoded) -> str:
    rows = [_row(line) for line in decoded.lines]
    return (
        "<html><body style='background:#fffef8;color:#111;font-family:\"DejaVu Sans Mono\",monospace;"
        "font-size:11pt;margin:0'>" + "".join(rows) + "</body></html>"
    )


def _row(line: PreviewLine) -> str:
    align = _ALIGN.get(line.align, "left")
    if line.kind is LineKind.CUT:
        return "<div style='color:#999;text-align:center'>✂ - - - - - - - - - - - - - - - - - -</div>"
    if line.kind is LineKind.BARCODE:
        return (
            f"<div style='text-align:{align};font-size:20pt;letter-spacing:-2px'>▌▍▌▎▍▌▌▎▍▍▌▎▌▍</div>"
            f"<div style='text-align:{align};font-size:9pt'>{html.escape(line.text)}</div>"
        )
    if line.kind is LineKind.QR:
        return (
            f"<div style='text-align:{align};font-size:26pt;line-height:90%'>▩▩</div>"
            f"<div style='text-align:{align};font-size:9pt;color:#555'>{html.escape(line.text)}</div>"
        )
    parts = []
    for run in line.runs or ():
        text = html.escape(run.text).replace(" ", "&nbsp;")
        if run.style.bold:
            text = f"<b>{text}</b>"
        if run.style.double_height or run.style.double_width:
            text = f"<span style='font-size:17pt'>{text}</span>"
        if run.style.underline:
            text = f"<u>{text}</u>"
        parts.append(text)
    body = "".join(parts) if parts else html.escape(line.text).replace(" ", "&nbsp;")
    return f"<div style='text-align:{align};white-space:pre'>{body or '&nbsp;'}</div>"


class ReceiptPreview(QTextBrowser):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("receiptPreview")
        self.setOpenLinks(False)
        self.decoded: Decoded | None = None
        self.setPlaceholderText("The last receipt printed appears here.")

    def show_decoded(self, decoded: Decoded) -> None:
        self.decoded = decoded
        self.setHtml(preview_html(decoded))
