"""Decode ESC/POS bytes into operations and preview lines.

This is the on-screen preview's source (it shows the very bytes that would go to the
printer) and the tests' oracle (tests assert on decoded text, not on byte soup).

It understands what our encoder and python-escpos emit plus the common commands found in
other drivers' output. Text is decoded through the code page selected by ``ESC t`` (CP437
after ``ESC @``, like a printer). Anything it does not know becomes an ``unknown`` op,
so a test can insist there is none (notes §6.1).

Pure; any thread.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from devices.escpos.codepages import DEFAULT_PAGE, CodePage, page_for_slot

ESC, GS, DLE, FS, LF, CR, HT, FF = 0x1B, 0x1D, 0x10, 0x1C, 0x0A, 0x0D, 0x09, 0x0C

BARCODE_TYPES = {
    0: "UPC-A",
    1: "UPC-E",
    2: "EAN13",
    3: "EAN8",
    4: "CODE39",
    5: "ITF",
    6: "CODABAR",
    65: "UPC-A",
    66: "UPC-E",
    67: "EAN13",
    68: "EAN8",
    69: "CODE39",
    70: "ITF",
    71: "CODABAR",
    72: "CODE93",
    73: "CODE128",
    74: "GS1-128",
    75: "GS1 DATABAR",
}


class Align(enum.StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


class LineKind(enum.StrEnum):
    TEXT = "text"
    BARCODE = "barcode"
    QR = "qr"
    IMAGE = "image"
    CUT = "cut"


@dataclass(frozen=True)
class Style:
    bold: bool = False
    underline: int = 0
    double_width: bool = False
    double_height: bool = False
    invert: bool = False
    font: int = 0


@dataclass(frozen=True)
class Run:
    """A piece of a line printed in one style."""

    text: str
    style: Style


@dataclass(frozen=True)
class PreviewLine:
    text: str
    kind: LineKind = LineKind.TEXT
    align: Align = Align.LEFT
    runs: tuple[Run, ...] = ()
    #: an image line: its ``GS v 0`` bytes as printed (devices.escpos.raster.band_image draws them)
    image: bytes = b""

    def _all(self, attr: str) -> bool:
        inked = [r for r in self.runs if r.text.strip()]
        return bool(inked) and all(getattr(r.style, attr) for r in inked)

    @property
    def bold(self) -> bool:
        return self._all("bold")

    @property
    def double_width(self) -> bool:
        return self._all("double_width")

    @property
    def double_height(self) -> bool:
        return self._all("double_height")

    @property
    def underline(self) -> bool:
        return self._all("underline")

    @property
    def cells(self) -> int:
        """Width in font-A columns (a double-width character takes two)."""
        return sum(len(r.text) * (2 if r.style.double_width else 1) for r in self.runs)


@dataclass(frozen=True)
class Op:
    """One command. ``name`` is stable and short ("text", "cut", "codepage", "unknown")."""

    name: str
    args: tuple[object, ...] = ()
    offset: int = 0
    raw: bytes = b""


@dataclass
class Decoded:
    ops: list[Op] = field(default_factory=list)
    lines: list[PreviewLine] = field(default_factory=list)

    def text(self) -> str:
        """Plain text of the preview, one line per printed line, trailing blanks removed."""
        return "\n".join(line.text.rstrip() for line in self.lines)

    def ops_named(self, name: str) -> list[Op]:
        return [op for op in self.ops if op.name == name]

    @property
    def unknown(self) -> list[Op]:
        return self.ops_named("unknown")


class _Truncated(Exception):
    """A command ran past the end of the data."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise _Truncated
        b = self.data[self.pos]
        self.pos += 1
        return b

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise _Truncated
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def until(self, stop: int) -> bytes:
        end = self.data.find(bytes([stop]), self.pos)
        if end < 0:
            raise _Truncated
        chunk = self.data[self.pos : end]
        self.pos = end + 1
        return chunk


# ESC/GS commands with a fixed number of parameter bytes that only change state we do
# not model (or model in _apply). name, parameter count.
_ESC_FIXED: dict[int, tuple[str, int]] = {
    ord("@"): ("init", 0),
    ord("t"): ("codepage", 1),
    ord("E"): ("bold", 1),
    ord("G"): ("double_strike", 1),
    ord("!"): ("print_mode", 1),
    ord("a"): ("align", 1),
    ord("-"): ("underline", 1),
    ord("M"): ("font", 1),
    ord("d"): ("feed_lines", 1),
    ord("J"): ("feed_dots", 1),
    ord("2"): ("line_spacing_default", 0),
    ord("3"): ("line_spacing", 1),
    ord(" "): ("char_spacing", 1),
    ord("{"): ("upside_down", 1),
    ord("V"): ("rotate", 1),
    ord("R"): ("charset", 1),
    ord("r"): ("color", 1),
    ord("="): ("select_peripheral", 1),
    ord("p"): ("kick", 3),
    ord("B"): ("buzzer", 2),
    ord("c"): ("panel", 2),  # ESC c 5 n / ESC c 3 n / ESC c 4 n
    ord("$"): ("absolute_position", 2),
    ord("\\"): ("relative_position", 2),
    ord("K"): ("reverse_feed", 1),
    ord("e"): ("reverse_feed_lines", 1),
    ord("U"): ("unidirectional", 1),
    ord("%"): ("user_chars", 1),
}
_GS_FIXED: dict[int, tuple[str, int]] = {
    ord("!"): ("char_size", 1),
    ord("B"): ("invert", 1),
    ord("b"): ("smooth", 1),
    ord("h"): ("barcode_height", 1),
    ord("w"): ("barcode_width", 1),
    ord("H"): ("barcode_hri", 1),
    ord("f"): ("barcode_font", 1),
    ord("L"): ("left_margin", 2),
    ord("W"): ("print_width", 2),
    ord("|"): ("density", 1),
    ord("a"): ("asb", 1),
    ord("r"): ("status_request", 1),
    ord("I"): ("printer_id", 1),
    ord("P"): ("motion_units", 2),
    ord("T"): ("print_position", 1),
    ord("\\"): ("relative_vertical", 2),
}


def decode(data: bytes, *, page: CodePage = DEFAULT_PAGE) -> Decoded:
    """Decode one job. ``page`` is what the printer is assumed to use before any ESC t."""
    return _Decoder(data, page).run()


class _Decoder:
    def __init__(self, data: bytes, page: CodePage) -> None:
        self.r = _Reader(data)
        self.initial_page = page
        self.page = page
        self.style = Style()
        self.align = Align.LEFT
        self.out = Decoded()
        self.runs: list[Run] = []
        self.pending = bytearray()
        self.line_align = Align.LEFT
        self.qr_data = b""
        self.barcode_hri = 0

    # --- driver ---

    def run(self) -> Decoded:
        r = self.r
        while r.pos < len(r.data):
            start = r.pos
            b = r.byte()
            if b >= 0x20:
                self._char(b)
                continue
            self._flush_text()
            try:
                self._control(b, start)
            except _Truncated:
                self._op("unknown", (r.data[start:].hex(" "), "truncated"), start, r.data[start:])
                r.pos = len(r.data)
        self._flush_text()
        if self.runs:
            self._end_line()
        return self.out

    def _op(self, name: str, args: tuple[object, ...], start: int, raw: bytes | None = None) -> None:
        self.out.ops.append(Op(name, args, start, raw if raw is not None else self.r.data[start : self.r.pos]))

    # --- text ---

    def _char(self, b: int) -> None:
        if not self.runs and not self.pending:
            self.line_align = self.align  # ESC a takes effect at the start of a line
        self.pending.append(b)

    def _flush_text(self) -> None:
        if not self.pending:
            return
        text = bytes(self.pending).decode(self.page.codec, errors="replace")
        self.out.ops.append(Op("text", (text,), self.r.pos - len(self.pending), bytes(self.pending)))
        self.runs.append(Run(text, self.style))
        self.pending.clear()

    def _end_line(self) -> None:
        text = "".join(r.text for r in self.runs)
        align = self.line_align if self.runs else self.align
        self.out.lines.append(PreviewLine(text, LineKind.TEXT, align, tuple(self.runs)))
        self.runs = []
        self.line_align = self.align

    def _special_line(self, kind: LineKind, text: str, image: bytes = b"") -> None:
        if self.runs:
            self._end_line()
        self.out.lines.append(PreviewLine(text, kind, self.align, (Run(text, Style()),), image))

    # --- commands ---

    def _control(self, b: int, start: int) -> None:
        r = self.r
        if b == LF:
            self._op("lf", (), start)
            self._end_line()
        elif b == CR:
            self._op("cr", (), start)  # LF does the line end; CR alone is ignored, as on Epson
        elif b == HT:
            self._op("tab", (), start)
            self.runs.append(Run("    ", self.style))
        elif b == FF:
            self._op("form_feed", (), start)
            self._end_line()
        elif b == ESC:
            self._esc(r.byte(), start)
        elif b == GS:
            self._gs(r.byte(), start)
        elif b == DLE:
            self._dle(r.byte(), start)
        elif b == FS:
            self._fs(r.byte(), start)
        else:
            self._op("unknown", (f"{b:02x}",), start)

    def _esc(self, c: int, start: int) -> None:
        r = self.r
        if c == ord("*"):  # bit image, column format: m nL nH data
            m = r.byte()
            n = int.from_bytes(r.take(2), "little")
            r.take(n * (3 if m in (32, 33) else 1))
            self._op("image_column", (n,), start)
            self._special_line(LineKind.IMAGE, f"[IMAGE {n} dots wide]")
            return
        if c == ord("D"):  # tab positions, NUL-terminated
            r.until(0)
            self._op("tab_positions", (), start)
            return
        if c not in _ESC_FIXED:
            self._op("unknown", (f"1b {c:02x}",), start)
            return
        name, count = _ESC_FIXED[c]
        params = r.take(count)
        self._op(name, tuple(params), start)
        n = params[0] if params else 0
        if name == "init":
            self.page, self.style, self.align = self.initial_page_after_init(), Style(), Align.LEFT
            if not self.runs:
                self.line_align = Align.LEFT
        elif name == "codepage":
            page = page_for_slot(n)
            self.out.ops[-1] = replace(self.out.ops[-1], args=(n, page.name if page else None))
            if page is not None:
                self.page = page
        elif name in ("bold", "double_strike"):
            self.style = replace(self.style, bold=bool(n & 1))
        elif name == "print_mode":
            self.style = replace(
                self.style,
                font=n & 1,
                bold=bool(n & 0x08),
                double_height=bool(n & 0x10),
                double_width=bool(n & 0x20),
                underline=1 if n & 0x80 else 0,
            )
        elif name == "align":
            self.align = {0: Align.LEFT, 1: Align.CENTER, 2: Align.RIGHT}.get(n % 48, Align.LEFT)
            if not self.runs and not self.pending:
                self.line_align = self.align
        elif name == "underline":
            self.style = replace(self.style, underline=n % 48)
        elif name == "font":
            self.style = replace(self.style, font=n % 48)
        elif name == "feed_lines":
            if self.runs:
                self._end_line()
                n -= 1
            for _ in range(max(0, n)):
                self._end_line()

    def initial_page_after_init(self) -> CodePage:
        # ESC @ restores the power-on page (slot 0), whatever was selected before.
        return DEFAULT_PAGE

    def _gs(self, c: int, start: int) -> None:
        r = self.r
        if c == ord("V"):  # cut: GS V m  or  GS V m n (m = 65/66: feed n then cut)
            m = r.byte()
            feed = r.byte() if m in (65, 66, 97, 98, 103, 104) else 0
            partial = m in (1, 49, 66, 98, 104)
            self._op("cut", ("partial" if partial else "full", feed), start)
            self._special_line(LineKind.CUT, f"[CUT {'partial' if partial else 'full'}]")
            return
        if c == ord("k"):
            self._barcode(start)
            return
        if c == ord("("):
            self._gs_paren(start)
            return
        if c == ord("v"):  # GS v 0 m xL xH yL yH data: raster image
            r.byte()
            r.byte()
            size = r.take(4)
            width_bytes = int.from_bytes(size[:2], "little")
            height = int.from_bytes(size[2:], "little")
            bits = r.take(width_bytes * height)
            self._op("image_raster", (width_bytes * 8, height), start)
            band = b"\x1dv0\x00" + size + bits
            self._special_line(LineKind.IMAGE, f"[IMAGE {width_bytes * 8}x{height}]", band)
            return
        if c not in _GS_FIXED:
            self._op("unknown", (f"1d {c:02x}",), start)
            return
        name, count = _GS_FIXED[c]
        params = r.take(count)
        self._op(name, tuple(params), start)
        n = params[0] if params else 0
        if name == "char_size":
            self.style = replace(self.style, double_width=(n >> 4) > 0, double_height=(n & 0x0F) > 0)
        elif name == "invert":
            self.style = replace(self.style, invert=bool(n & 1))
        elif name == "barcode_hri":
            self.barcode_hri = n % 48

    def _barcode(self, start: int) -> None:
        r = self.r
        m = r.byte()
        data = r.until(0) if m <= 6 else r.take(r.byte())
        kind = BARCODE_TYPES.get(m, f"TYPE{m}")
        text = _code128_text(data) if m == 73 else data.decode("ascii", errors="replace")
        self._op("barcode", (kind, text), start)
        self._special_line(LineKind.BARCODE, f"[BARCODE {kind} {text}]")

    def _gs_paren(self, start: int) -> None:
        r = self.r
        fn_letter = r.byte()
        length = int.from_bytes(r.take(2), "little")
        body = r.take(length)
        if fn_letter == ord("k") and len(body) >= 2:
            cn, fn = body[0], body[1]
            if cn == 49 and fn == 80:  # store QR data: cn fn m data
                self.qr_data = body[3:]
                self._op("qr_store", (self.qr_data.decode("utf-8", errors="replace"),), start)
            elif cn == 49 and fn == 81:
                text = self.qr_data.decode("utf-8", errors="replace")
                self._op("qr_print", (text,), start)
                self._special_line(LineKind.QR, f"[QR {text}]")
            elif cn == 49 and fn in (65, 67, 69):
                name = {65: "qr_model", 67: "qr_size", 69: "qr_error_correction"}[fn]
                self._op(name, tuple(body[2:]), start)
            else:
                self._op("2d_code", (cn, fn), start)
        elif fn_letter == ord("L") or fn_letter == ord("8"):
            self._op("graphics", (length,), start)
        elif fn_letter == ord("H"):
            self._op("process_id", (body.hex(),), start)
        else:
            self._op("unknown", (f"1d 28 {fn_letter:02x}", length), start)

    def _dle(self, c: int, start: int) -> None:
        r = self.r
        if c == 0x04:  # DLE EOT n: real-time status request
            n = r.byte()
            if n in (7, 8, 18):  # extended forms carry a second byte
                r.byte()
            self._op("status_request", (n,), start)
        elif c == 0x14:  # DLE DC4 fn m t: real-time pulse and friends
            fn = r.byte()
            params = r.take(2)
            self._op("realtime_pulse" if fn == 1 else "realtime", (fn, *params), start)
        elif c == 0x05:  # DLE ENQ n: real-time request to recover
            self._op("realtime_recover", (r.byte(),), start)
        else:
            self._op("unknown", (f"10 {c:02x}",), start)

    def _fs(self, c: int, start: int) -> None:
        # FS . / FS & (Kanji mode off/on) are harmless and common in Chinese firmware output.
        if c in (ord("."), ord("&")):
            self._op("kanji_mode", (chr(c),), start)
        else:
            self._op("unknown", (f"1c {c:02x}",), start)


def _code128_text(data: bytes) -> str:
    """Human-readable CODE128 data: code set switches removed, set C pairs as digits."""
    out: list[str] = []
    mode = "B"
    i = 0
    while i < len(data):
        b = data[i]
        if b == ord("{") and i + 1 < len(data):
            nxt = chr(data[i + 1])
            i += 2
            if nxt in "ABC":
                mode = nxt
            elif nxt == "{":
                out.append("{")
            # {S (shift) and {1..{4 (FNC) print nothing in the HRI
            continue
        out.append(f"{b:02d}" if mode == "C" else chr(b))
        i += 1
    return "".join(out)
