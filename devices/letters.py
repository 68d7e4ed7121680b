"""Service-desk documents on A4 (``devices/letters_render.py``, reportlab): the letter to a
customer with the outcome of their case, agreements of special orders and layaways, and
the returns and complaints analysis. reportlab loads with the first of them, not at the
app's start-up (~100 ms; docs/benchmarks.md)."""

from __future__ import annotations

from datetime import date

from counter.desk.analysis import Analysis, VendorItem
from counter.desk.documents import Letter, SlipDocument
from counter.documents import StoreHeader
from counter.i18n import use_language
from counter.money import Currency


def render_letter_pdf(letter: Letter) -> bytes:
    """The customer's letter: letterhead, address block, reference with its barcode, the
    outcome, a signature, and the case's history as an appendix in small type."""
    from devices.letters_render import render_letter_pdf as render

    with use_language(letter.language):
        return render(letter)


def render_slip_pdf(slip: SlipDocument) -> bytes:
    """A slip on A4 (order agreements are kept and e-mailed as PDF)."""
    from devices.letters_render import render_slip_pdf as render

    with use_language(slip.language):
        return render(slip)


def render_analysis_pdf(analysis: Analysis, store: StoreHeader, currency: Currency, locale: str) -> bytes:
    """The returns and complaints analysis."""
    from devices.letters_render import render_analysis_pdf as render

    return render(analysis, store, currency, locale)


def render_vendor_pdf(
    items: list[VendorItem], since: date, until: date, store: StoreHeader, currency: Currency, locale: str
) -> bytes:
    """The return-to-vendor list (counter.desk.analysis.return_to_vendor)."""
    from devices.letters_render import render_vendor_pdf as render

    return render(items, since, until, store, currency, locale)
