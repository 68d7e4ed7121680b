"""A receipt printed as a picture: for a script no code page of the printer holds, or that runs
right to left (Hebrew, Arabic), which no ESC/POS printer lays out by itself.

``RasterJob`` takes the text calls of the encoder's job (``line``, ``centered``, ``pair``,
``rule``, ``feed``) and draws them with Pillow (HarfBuzz shaping and FriBiDi ordering through
libraqm where Pillow has it, so Arabic letters join and mixed runs order correctly) on a strip
as wide as the paper's printable dots. Barcodes, QR codes and the cut stay the printer's own
commands: the picture drawn so far is sent first as ``GS v 0`` raster bands, then the command.

Right to left mirrors the receipt: text starts at the right edge, and in a two-column line
(label and amount) the label is on the right and the amount on the left.

Pure apart from reading a font file; any thread.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageDraw, ImageFont, features

#: rows per GS v 0 band: small enough for every printer's receive buffer
BAND = 96
#: fonts with Latin, Hebrew and Arabic, tried in order
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)


class _TextJob(Protocol):
    """The encoder's job, for what stays a printer command (``devices.escpos.encoder._Job``)."""

    p: Any  # python-escpos' Dummy
    cols: int

    def barcode128(self, data: str) -> None: ...
    def qr(self, data: str) -> None: ...
    def cut(self) -> bytes: ...


@functools.cache
def font_path() -> str | None:
    """A font file that holds Hebrew and Arabic (fontconfig's choice first)."""
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(
                ["fc-match", "-f", "%{file}", "DejaVu Sans:lang=he"], capture_output=True, text=True, timeout=5
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and Path(found).exists():
            return found
    return next((p for p in FONT_CANDIDATES if Path(p).exists()), None)


@functools.cache
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = font_path()
    if path is None:
        return ImageFont.load_default(size)
    if bold:
        bold_path = path.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
        if Path(bold_path).exists():
            path = bold_path
    return ImageFont.truetype(path, size)


def shaping() -> bool:
    """Whether Pillow shapes and orders text itself (libraqm): Arabic joined, runs ordered."""
    return bool(features.check("raqm"))


class RasterJob:
    """Draws the receipt's text; sends it as raster bands before each printer command."""

    def __init__(self, job: _TextJob, dots: int, *, rtl: bool, language: str = "") -> None:
        self.job = job
        self.width = dots
        self.rtl = rtl
        self.language = language
        self.cols = job.cols
        self.size = max(14, round(dots / job.cols * 1.7))  # about as wide as font A's cells
        self.gap = self.size // 4
        self._rows: list[Image.Image] = []

    # the encoder's text calls -------------------------------------------------------------
    def t(self, text: str) -> str:
        return text  # nothing to transliterate: every character is drawn

    def line(self, text: str = "", *, align: str = "left", bold: bool = False, big: bool = False) -> None:
        font = _font(self.size * (2 if big else 1), bold)
        for piece in self._wrap(text, font):
            row = self._row(font)
            draw = ImageDraw.Draw(row)
            width = self._measure(piece, font)
            if align == "center":
                x = (self.width - width) // 2
            elif (align == "right") != self.rtl:
                x = self.width - width
            else:
                x = 0
            self._draw(draw, x, piece, font)
            self._rows.append(row)

    def centered(self, text: str, *, bold: bool = False, big: bool = False) -> None:
        self.line(text, align="center", bold=bold, big=big)

    def pair(self, left: str, right: str, *, bold: bool = False, big: bool = False, indent: int = 0) -> None:
        font = _font(self.size * (2 if big else 1), bold)
        inset = indent * self.width // max(self.cols, 1)
        if self._measure(left, font) + self._measure(right, font) + inset + self.size > self.width:
            # too long for one line (a long item name): the label wraps, the amount goes under it
            self.line(left, bold=bold, big=big)
            self.line(right, align="right", bold=bold, big=big)
            return
        row = self._row(font)
        draw = ImageDraw.Draw(row)
        right_width = self._measure(right, font)
        if self.rtl:  # the label from the right edge, the amount at the left
            self._draw(draw, self.width - inset - self._measure(left, font), left, font)
            self._draw(draw, 0, right, font)
        else:
            self._draw(draw, inset, left, font)
            self._draw(draw, self.width - right_width, right, font)
        self._rows.append(row)

    def rule(self, char: str = "-") -> None:
        row = Image.new("1", (self.width, self.gap * 2 + 2), 1)
        ImageDraw.Draw(row).line([(0, self.gap), (self.width, self.gap)], fill=0, width=2)
        self._rows.append(row)

    def feed(self, n: int = 1) -> None:
        self._rows.append(Image.new("1", (self.width, (self.size + self.gap) * n), 1))

    # what stays a printer command ---------------------------------------------------------
    def barcode128(self, data: str) -> None:
        self.flush()
        self.job.barcode128(data)

    def qr(self, data: str) -> None:
        self.flush()
        self.job.qr(data)

    def cut(self) -> bytes:
        self.flush()
        return self.job.cut()

    def flush(self) -> None:
        """Send what was drawn so far as raster bands."""
        if not self._rows:
            return
        height = sum(r.height for r in self._rows)
        strip = Image.new("1", (self.width, height), 1)
        y = 0
        for row in self._rows:
            strip.paste(row, (0, y))
            y += row.height
        self._rows = []
        raw = self.job.p._raw
        for top in range(0, height, BAND):
            raw(raster_band(strip.crop((0, top, self.width, min(height, top + BAND)))))

    # drawing --------------------------------------------------------------------------------
    def _row(self, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> Image.Image:
        ascent, descent = font.getmetrics() if isinstance(font, ImageFont.FreeTypeFont) else (self.size, 4)
        return Image.new("1", (self.width, ascent + descent + self.gap), 1)

    def _direction(self) -> str | None:
        return ("rtl" if self.rtl else "ltr") if shaping() else None

    def _language(self) -> str | None:
        return self.language or None if shaping() and self.rtl else None

    def _measure(self, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> int:
        return int(font.getlength(text, direction=self._direction(), language=self._language())) if text else 0

    def _draw(
        self, draw: ImageDraw.ImageDraw, x: int, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    ) -> None:
        if text:
            at = (max(0, x), self.gap // 2)
            draw.text(at, text, font=font, fill=0, direction=self._direction(), language=self._language())

    def _wrap(self, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> list[str]:
        words, lines, current = text.split(" "), [], ""
        for word in words:
            trial = f"{current} {word}" if current else word
            if current and self._measure(trial, font) > self.width:
                lines.append(current)
                current = word
            else:
                current = trial
        lines.append(current)
        return lines


def raster_band(image: Image.Image) -> bytes:
    """``GS v 0``: one band of a 1-bit image, black dots set (ESC/POS raster bit image)."""
    width_bytes = (image.width + 7) // 8
    inverted = Image.eval(image.convert("L"), lambda v: 255 - v).convert("1")
    data = inverted.tobytes()  # packed rows, 1 = ink, each row padded to whole bytes
    return (
        b"\x1dv0\x00"
        + width_bytes.to_bytes(2, "little")
        + image.height.to_bytes(2, "little")
        + data[: width_bytes * image.height]
    )


def band_image(data: bytes) -> Image.Image:
    """The picture of a ``GS v 0`` band's bytes (tests and the on-screen preview)."""
    assert data[:4] == b"\x1dv0\x00"
    width_bytes = int.from_bytes(data[4:6], "little")
    height = int.from_bytes(data[6:8], "little")
    ink = Image.frombytes("1", (width_bytes * 8, height), data[8 : 8 + width_bytes * height])
    return Image.eval(ink.convert("L"), lambda v: 255 - v).convert("1")
