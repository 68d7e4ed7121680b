"""Render receipts to ESC/POS bytes: one ``bytes`` object per print job.

python-escpos' ``Dummy`` printer builds the bytes (text through an ``Encoder`` pinned to
the configured code page, styles, native QR, cut). A few commands are ours (notes §1.5,
§1.7, §7.3):

* ``ESC t n`` right after ``ESC @`` at the start of every job, from our own slot table
  (``codepages.py``): ``ESC @`` resets the page, and MagicEncode would otherwise switch
  pages mid-line or pick a slot the firmware does not have;
* ``GS k`` for CODE128, because python-escpos' ``barcode()`` prints to stdout;
* transliteration before encoding, so that a character the page lacks prints as a
  readable approximation instead of "?".

Pure functions without I/O; they run on whatever thread calls them (the UI renders on
its worker, never on the GUI thread for large jobs).

``escpos.magicencode`` and ``escpos.printer`` load the printer capability database
(~160 ms): they are imported by the first job, not at the app's start-up.
"""

from __future__ import annotations

import enum
import textwrap
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TypedDict, Unpack

from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from escpos.constants import QR_ECLEVEL_M

from counter.documents import Receipt, ReceiptKind, ReceiptLine
from counter.i18n import N_, _, is_rtl, language, pgettext, use_language
from counter.money import Currency
from devices.escpos.codepages import CodePage, code_page, transliterate
from devices.escpos.raster import RasterJob

ESC = b"\x1b"
GS = b"\x1d"
INIT = ESC + b"@"


class CutMode(enum.StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"  # printers without a cutter (many 58 mm models)


class ProfileChanges(TypedDict, total=False):
    """Fields of a PrinterProfile to set on top of a paper width's defaults."""

    columns: int
    codepage: str
    codepage_slot: int | None
    escpos_profile: str
    cut: CutMode
    dots: int
    feed_before_cut: int
    barcode_height: int
    qr_module_size: int
    name: str


@dataclass(frozen=True)
class PrinterProfile:
    """What the renderer needs to know about one configured printer.

    ``columns`` is the font A width: 42 on 80 mm paper, 32 on 58 mm. ``dots`` is the
    printable width in dots (576 / 384 at 203 dpi), used to size barcodes.
    ``codepage_slot`` overrides our table for firmware that numbers pages differently.
    """

    columns: int = 42
    codepage: str = "CP858"
    codepage_slot: int | None = None
    escpos_profile: str = "default"
    cut: CutMode = CutMode.PARTIAL
    dots: int = 576
    feed_before_cut: int = 4
    barcode_height: int = 64
    qr_module_size: int = 4
    name: str = field(default="80 mm", compare=False)

    def __post_init__(self) -> None:
        if not 16 <= self.columns <= 80:
            raise ValueError(f"columns must be between 16 and 80, not {self.columns}")
        code_page(self.codepage)  # raises a clear ValueError for an unknown page
        if self.codepage_slot is not None and not 0 <= self.codepage_slot <= 255:
            raise ValueError("codepage_slot must be between 0 and 255")
        if not 1 <= self.qr_module_size <= 16:
            raise ValueError("qr_module_size must be between 1 and 16")
        object.__setattr__(self, "cut", CutMode(self.cut))

    @classmethod
    def mm80(cls, **overrides: Unpack[ProfileChanges]) -> PrinterProfile:
        return replace(cls(columns=42, dots=576, name="80 mm"), **overrides)

    @classmethod
    def mm58(cls, **overrides: Unpack[ProfileChanges]) -> PrinterProfile:
        return replace(cls(columns=32, dots=384, name="58 mm"), **overrides)

    @property
    def page(self) -> CodePage:
        page = code_page(self.codepage)
        if self.codepage_slot is not None:
            return CodePage(page.name, self.codepage_slot, page.codec)
        return page


# --- the document builder ----------------------------------------------------------------


class _Job:
    """Accumulates one job in a python-escpos ``Dummy``; tracks style to stay compact."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.page = profile.page
        self.cols = profile.columns
        from escpos.magicencode import Encoder
        from escpos.printer import Dummy

        # MagicEncode disabled and pinned to our page: it then never emits ESC t itself
        # (we do, once, after ESC @) and never switches pages mid-line.
        encoder = Encoder({self.page.name: str(self.page.slot)})
        self.p = Dummy(
            profile=profile.escpos_profile,
            magic_encode_args={"encoding": self.page.name, "disabled": True, "encoder": encoder},
        )
        self._align = "left"
        self._bold = False
        self._big = False
        self.p._raw(INIT + ESC + b"t" + bytes([self.page.slot]))

    def t(self, text: str) -> str:
        """Transliterate first, so that widths are measured on what will print."""
        return transliterate(text, self.page)

    def style(self, *, align: str = "left", bold: bool = False, big: bool = False) -> None:
        if big != self._big:
            if big:
                self.p.set(double_width=True, double_height=True)
            else:
                self.p.set(normal_textsize=True)
            self._big = big
            self._bold = False  # ESC ! resets emphasis on most firmware; restate it
            self.p.set(bold=bold)
            self._bold = bold
        if bold != self._bold:
            self.p.set(bold=bold)
            self._bold = bold
        if align != self._align:
            self.p.set(align=align)
            self._align = align

    def line(self, text: str = "", *, align: str = "left", bold: bool = False, big: bool = False) -> None:
        self.style(align=align, bold=bold, big=big)
        width = self.cols // 2 if big else self.cols
        for piece in _wrap(self.t(text), width):
            self.p.text(piece + "\n")

    def centered(self, text: str, *, bold: bool = False, big: bool = False) -> None:
        self.line(text, align="center", bold=bold, big=big)

    def pair(self, left: str, right: str, *, bold: bool = False, big: bool = False, indent: int = 0) -> None:
        self.style(bold=bold, big=big)
        width = self.cols // 2 if big else self.cols
        for piece in _two_columns(self.t(left), self.t(right), width, indent):
            self.p.text(piece + "\n")

    def rule(self, char: str = "-") -> None:
        self.style()
        self.p.text(char * self.cols + "\n")

    def feed(self, n: int = 1) -> None:
        self.style()
        self.p.text("\n" * n)

    def barcode128(self, data: str) -> None:
        payload = code128_payload(data)
        if payload is None:
            # Not printable as CODE128 code set B/C: print the text so it can be typed.
            self.centered(data)
            return
        modules = _code128_modules(payload)
        module = max(1, min(3, self.profile.dots // modules))
        self.style(align="center")
        height = max(1, min(255, self.profile.barcode_height))
        self.p._raw(
            GS
            + b"h"
            + bytes([height])  # bar height in dots
            + GS
            + b"w"
            + bytes([module])  # module width
            + GS
            + b"H"
            + b"\x02"  # human-readable text below
            + GS
            + b"f"
            + b"\x00"  # HRI in font A
            + GS
            + b"k"
            + bytes([73, len(payload)])
            + payload
            + b"\n"
        )

    def qr(self, data: str) -> None:
        self.style(align="center")
        # native=True: GS ( k, printed by the printer itself (no image, no stdout noise)
        self.p.qr(data, ec=QR_ECLEVEL_M, size=self.profile.qr_module_size, native=True)
        self.p.text("\n")

    def cut(self) -> bytes:
        self.style()
        if self.profile.cut is CutMode.NONE:
            self.p.print_and_feed(self.profile.feed_before_cut + 2)  # tear-off margin
        else:
            self.p.print_and_feed(self.profile.feed_before_cut)
            self.p._raw(GS + b"V" + (b"\x00" if self.profile.cut is CutMode.FULL else b"\x01"))
        return bytes(self.p.output)


#: what a document prints through: the code page's text, or a raster (``job_for``)
Job = _Job | RasterJob

# --- receipts ----------------------------------------------------------------------------


def job_for(profile: PrinterProfile, texts: Iterable[str] = ()) -> Job:
    """The job a document prints through: text in the printer's code page, or a raster
    (``devices.escpos.raster``) when the language runs right to left or ``texts`` (the
    document's names and words) hold letters of a script the code page does not have."""
    job = _Job(profile)
    if is_rtl() or any(_foreign(text, job.page.codec) for text in texts):
        return RasterJob(job, profile.dots, rtl=is_rtl(), language=language().split("_")[0])
    return job


def _foreign(text: str, codec: str) -> bool:
    """Letters beyond the Latin alphabets (Hebrew, Arabic, Greek, Cyrillic, CJK ...) that the
    code page cannot encode; Latin letters it lacks are transliterated instead."""
    for ch in text:
        if ord(ch) > 0x24F and ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            try:
                ch.encode(codec)
            except UnicodeEncodeError:
                return True
    return False


def receipt_texts(receipt: Receipt) -> list[str]:
    head = receipt.store
    return [head.name, *head.address_lines, *head.footer_lines, *(ln.name for ln in receipt.lines), *receipt.notes]


def render_receipt(receipt: Receipt, profile: PrinterProfile) -> bytes:
    """The whole receipt as one ESC/POS job (one ``bytes`` object), its words in the receipt's
    language."""
    with use_language(receipt.words):
        return _render_receipt(receipt, profile)


def _render_receipt(receipt: Receipt, profile: PrinterProfile) -> bytes:
    job = job_for(profile, receipt_texts(receipt))
    money = _Money(receipt)
    _header(job, receipt)

    lines = receipt.lines
    code_width = max((len(ln.tax_code) for ln in lines), default=0) if receipt.show_prices else 0
    pad = (lambda code: " " + code.ljust(code_width)) if code_width else (lambda code: "")

    job.rule()
    for item in lines:
        if receipt.show_prices:
            _priced_line(job, item, money, pad(item.tax_code))
        else:
            _gift_line(job, item)
    job.rule()

    if receipt.show_prices:
        _totals(job, receipt, money, pad(""))

    for note in receipt.notes:
        job.line(note)
    if receipt.notes:
        job.feed()
    for footer in receipt.store.footer_lines:
        job.centered(footer)
    job.feed()
    if receipt.voucher_code:
        job.centered(_("STORE CREDIT VOUCHER"), bold=True)
        job.centered(_("Scan or quote this code to spend it"))
    if receipt.barcode_data:
        job.barcode128(receipt.barcode_data)
    if receipt.qr_data:
        job.qr(receipt.qr_data)
    return job.cut()


def _header(job: Job, receipt: Receipt) -> None:
    store = receipt.store
    job.centered(store.name, bold=True, big=True)
    for address in store.address_lines:
        job.centered(address)
    if store.phone:
        job.centered(_("Tel. {phone}").format(phone=store.phone))
    if store.tax_id:
        job.centered(_("Tax ID {tax_id}").format(tax_id=store.tax_id))
    job.feed()
    if receipt.is_copy:
        job.centered(_("COPY {number}").format(number=receipt.copy_number), bold=True, big=True)
        job.centered(_("This is not the original receipt"))
    if receipt.kind is ReceiptKind.GIFT:
        job.centered(_("GIFT RECEIPT"), bold=True, big=True)
    elif receipt.kind is ReceiptKind.RETURN:
        # Translators: the heading of a return receipt (goods brought back)
        job.centered(pgettext("receipt heading", "RETURN"), bold=True, big=True)
    elif receipt.kind is ReceiptKind.VOID:
        # Translators: the heading of a receipt for a sale cancelled after payment
        job.centered(pgettext("receipt heading", "VOID"), bold=True, big=True)
        job.centered(_("Sale voided: payments given back"))
    if receipt.is_copy or receipt.kind is not ReceiptKind.SALE:
        job.feed()
    # Translators: receipt row labels, followed by the receipt's number ("Void" = the voided sale's)
    number_label = pgettext("receipt number", "Void") if receipt.kind is ReceiptKind.VOID else _("Receipt")
    job.pair(number_label, receipt.receipt_number)
    job.pair(_("Date"), format_datetime(receipt.issued_at, "short", locale=receipt.locale))
    job.pair(
        _("Terminal {terminal}").format(terminal=receipt.terminal),
        _("Cashier {cashier}").format(cashier=receipt.cashier),
    )


def _priced_line(job: Job, item: ReceiptLine, money: _Money, code: str) -> None:
    gross = item.amount + item.discount
    if item.quantity == 1:
        job.pair(item.name, money(gross) + code)
    else:
        job.line(item.name)
        job.pair(
            _("{quantity} x {unit_price}").format(quantity=item.quantity, unit_price=money(item.unit_price)),
            money(gross) + code,
            indent=2,
        )
    if item.discount:
        job.pair(_("Discount"), money(-item.discount) + code, indent=2)


def _gift_line(job: Job, item: ReceiptLine) -> None:
    job.line(
        item.name if item.quantity == 1 else _("{quantity} x {name}").format(quantity=item.quantity, name=item.name)
    )


def _totals(job: Job, receipt: Receipt, money: _Money, pad: str) -> None:
    job.pair(_("Subtotal"), money(receipt.subtotal) + pad)
    if receipt.discount_total:
        job.pair(_("Your savings"), money(receipt.discount_total) + pad)
    if not receipt.prices_include_tax:
        for tax in receipt.taxes:
            label = _tax_label(tax.code, tax.label, tax.rate, receipt.locale)
            # Translators: a tax line of a receipt, e.g. "A VAT 19% on 10.00"
            job.pair(_("{tax} on {base}").format(tax=label, base=money(tax.base)), money(tax.tax) + pad)
    job.pair(_total_word(receipt), money(receipt.total), bold=True, big=True)
    if receipt.rounding:
        job.pair(_("Cash rounding"), money(receipt.rounding) + pad)
    for tender in receipt.tenders:
        job.pair(tender.label, money(tender.amount) + pad)
        if tender.detail:
            job.line("  " + tender.detail)
    if receipt.change:
        # Translators: the cash given back to the customer
        job.pair(pgettext("cash back", "Change"), money(receipt.change) + pad, bold=True)
    if receipt.vat_table and receipt.taxes:
        _vat_table(job, receipt)
    elif receipt.prices_include_tax and receipt.taxes:
        job.feed()
        job.line(_("Tax included:"))
        for tax in receipt.taxes:
            label = _tax_label(tax.code, tax.label, tax.rate, receipt.locale)
            # Translators: the tax included in a price, e.g. "A VAT 19% of 11.90"
            job.pair(
                _("{tax} of {gross}").format(tax=label, gross=money(tax.base + tax.tax)), money(tax.tax) + pad, indent=2
            )
    job.rule()


def _total_word(receipt: Receipt) -> str:
    if receipt.kind is ReceiptKind.VOID:
        return _("VOIDED")
    if receipt.kind is not ReceiptKind.RETURN:
        return _("TOTAL")
    # Translators: the total of a return: "RETURNED" when it went to an exchange, else "REFUND"
    return _("RETURNED") if receipt.exchange_credit else _("REFUND")


def _tax_label(code: str, label: str, rate: Decimal, locale: str) -> str:
    if label == code:
        label = ""  # "A 8.25%", not "A A 8.25%"
    text = label if "%" in label else f"{label} {format_percent(rate, '#,##0.###%', locale=locale)}"
    return " ".join(f"{code} {text}".split())


def _vat_table(job: Job, receipt: Receipt) -> None:
    """The VAT in the prices, one row per rate: rate, net, VAT, gross (and their sums when
    there are several rates), as EU receipts must show it. The amounts are plain numbers
    in the receipt's currency, so that four columns fit 58 mm paper."""
    digits = Currency.of(receipt.currency).digits
    pattern = "#,##0." + "0" * digits if digits else "#,##0"

    def num(amount: Decimal) -> str:
        return str(format_decimal(amount, format=pattern, locale=receipt.locale))

    rows = [
        (f"{tax.code} {format_percent(tax.rate, '#,##0.###%', locale=receipt.locale)}", tax.base, tax.tax)
        for tax in receipt.taxes
    ]
    if len(rows) > 1:
        # Translators: the last row of the receipt's VAT table: the sums of every rate
        rows.append((_("Total"), sum((r[1] for r in rows), Decimal(0)), sum((r[2] for r in rows), Decimal(0))))
    # Translators: the head of the receipt's VAT table: the rate, the net amount, the VAT, the gross amount
    heads = (pgettext("vat table", "Rate"), _("Net"), pgettext("vat table", "VAT"), _("Gross"))
    table = [heads] + [(label, num(net), num(vat), num(net + vat)) for label, net, vat in rows]
    width = max(len(job.t(cell)) for row in table for cell in row[1:]) + 1
    label_width = job.cols - 3 * width
    job.feed()
    for label, *amounts in table:
        right = "".join(job.t(a).rjust(width) for a in amounts)
        if len(job.t(label)) <= label_width:
            job.line(job.t(label).ljust(label_width) + right)
        else:  # a long rate label: on a line of its own, its amounts under it
            job.line(label)
            job.line(right.rjust(job.cols))


class _Money:
    def __init__(self, receipt: Receipt) -> None:
        self.currency = Currency.of(receipt.currency)
        self.locale = receipt.locale

    def __call__(self, amount: Decimal) -> str:
        return self.currency.format(amount, self.locale)


def render_copy_banner(copy_number: int, profile: PrinterProfile) -> bytes:
    """ "COPY n" to print just before the stored bytes of a job being printed again, for
    documents that cannot be rebuilt as a copy (a return receipt). The job that follows
    starts with ``ESC @``, so nothing of this banner's style leaks into it."""
    if copy_number < 1:
        raise ValueError("a copy is numbered from 1")
    job = _Job(profile)
    job.centered(_("COPY {number}").format(number=copy_number), bold=True, big=True)
    job.centered(_("This is not the original receipt"))
    job.feed()
    return bytes(job.p.output)


# --- test page ---------------------------------------------------------------------------

#: how the printer cuts, in words for the test page
_CUT_WORDS = {
    CutMode.FULL: N_("full"),
    CutMode.PARTIAL: N_("partial"),
    # Translators: the printer has no cutter (test page, after "Cut")
    CutMode.NONE: N_("none"),
}


def render_test_page(profile: PrinterProfile) -> bytes:
    """A page that shows whether the code page, widths, styles, barcode and QR work."""
    job = _Job(profile)
    page = job.page
    job.centered(_("PRINTER TEST"), bold=True, big=True)
    job.feed()
    job.pair(_("Paper"), profile.name)
    job.pair(_("Columns"), str(profile.columns))
    job.pair(_("Code page"), f"{page.name} (ESC t {page.slot})")
    # Translators: how the printer cuts the paper (full, partial, none)
    job.pair(pgettext("paper", "Cut"), _(_CUT_WORDS[profile.cut]))
    job.rule()
    ruler = "".join(str(i % 10) for i in range(1, profile.columns + 1))
    job.line(ruler)
    job.line(_("Accents: {sample}").format(sample="é è à ç ü ö ä ñ ø å æ ß"))
    job.line(_("Money:   {sample}").format(sample="€ £ $ ¥ ¢"))
    job.line(_("Symbols: {sample}").format(sample="« » – … • °"))
    job.line(_("Bold line"), bold=True)
    # Translators: printer test page, text printed aligned left / centred / right
    job.line(_("left"))
    job.centered(_("centre"))
    job.line(_("right"), align="right")
    # Translators: printer test page, text printed in double size
    job.line(_("BIG"), big=True, bold=True)
    job.rule()
    job.centered(_("If the accents above look wrong,\nchoose another code page."))
    job.feed()
    job.barcode128("TEST-0123456789")
    job.qr("https://example.org/counter/test")
    return job.cut()


# --- layout helpers (pure) -----------------------------------------------------------------


def _wrap(text: str, width: int) -> list[str]:
    if not text:
        return [""]
    out: list[str] = []
    for para in text.split("\n"):
        out.extend(textwrap.wrap(para, width, break_long_words=True, drop_whitespace=True) or [""])
    return out


def _two_columns(left: str, right: str, width: int, indent: int = 0) -> list[str]:
    """``left`` flush left (wrapped if long), ``right`` flush right on the last line."""
    prefix = " " * indent
    if not right:
        return [prefix + ln for ln in _wrap(left, width - indent)]
    if len(right) >= width:
        return [prefix + ln for ln in _wrap(left, width - indent)] + [right[:width]]
    room = width - len(right) - 1 - indent
    if len(left) <= room:
        return [prefix + left + " " * (width - indent - len(left) - len(right)) + right]
    lines = [prefix + ln for ln in _wrap(left, width - indent)]
    last = lines[-1]
    if len(last) + 1 + len(right) <= width:
        lines[-1] = last + " " * (width - len(last) - len(right)) + right
    else:
        lines.append(" " * (width - len(right)) + right)
    return lines


# --- CODE128 -------------------------------------------------------------------------------


def code128_payload(data: str) -> bytes | None:
    """``GS k`` data for CODE128: code set B, with a trailing digit run in code set C.

    Set C packs two digits in one symbol, so "S01-T01-000042" fits 58 mm paper at a
    scannable module width. Returns None when ``data`` is not printable ASCII.
    """
    if not data or any(not 0x20 <= ord(c) <= 0x7E for c in data):
        return None
    digits = len(data) - len(data.rstrip("0123456789"))
    if digits % 2:
        digits -= 1
    head, tail = (data[:-digits], data[-digits:]) if digits >= 4 else (data, "")
    out = bytearray()
    if head:
        out += b"{B" + head.replace("{", "{{").encode("ascii")
    if tail:
        out += b"{C" + bytes(int(tail[i : i + 2]) for i in range(0, len(tail), 2))
    if len(out) > 253:
        return None
    return bytes(out)


def _code128_modules(payload: bytes) -> int:
    """Width in modules: start + symbols + check (11 each), stop (13), quiet zones (20)."""
    symbols = 0
    i = 0
    while i < len(payload):
        if payload[i : i + 1] == b"{" and i + 1 < len(payload):
            i += 2  # a set switch ({B, {C) or an escaped brace ({{): one symbol
        else:
            i += 1
        symbols += 1
    return 11 * (symbols + 1) + 13 + 20


def drawer_kick(pin: int = 2, on_ms: int = 50, off_ms: int = 500) -> bytes:
    """``ESC p m t1 t2``: pulse drawer connector pin 2 (m=0) or pin 5 (m=1).

    Times are in 2 ms units on the wire. 50 ms on / 500 ms off opens drawers that ignore
    shorter pulses (notes §5.1).
    """
    if pin not in (2, 5):
        raise ValueError("The drawer pin must be 2 or 5.")
    t1 = max(1, min(255, on_ms // 2))
    t2 = max(t1, min(255, off_ms // 2))
    return ESC + b"p" + bytes([0 if pin == 2 else 1, t1, t2])


def realtime_drawer_pulse(pin: int = 2, on_ms: int = 100) -> bytes:
    """``DLE DC4 1 m t``: pulse executed at once, even while the printer is offline
    (paper out, cover open). t is in 100 ms units, 1..8."""
    if pin not in (2, 5):
        raise ValueError("The drawer pin must be 2 or 5.")
    return b"\x10\x14\x01" + bytes([0 if pin == 2 else 1, max(1, min(8, round(on_ms / 100)))])
