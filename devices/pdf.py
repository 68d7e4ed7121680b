"""The PDF "printer": receipts and X/Z reports on A4 (``devices/pdf_render.py``, reportlab).

reportlab takes ~100 ms to import, so it loads with the first PDF, not at the app's
start-up (docs/benchmarks.md): screens import these names, the rendering module loads
when one is called.
"""

from __future__ import annotations

from counter.documents import Receipt, ReportDocument
from counter.i18n import use_language


def render_pdf(receipt: Receipt) -> bytes:
    """One document as PDF bytes (A4): a credit note for a return, else a receipt copy; its
    words in the receipt's language."""
    from devices.pdf_render import render_pdf as render

    with use_language(receipt.words):
        return render(receipt)


def render_report_pdf(doc: ReportDocument) -> bytes:
    """An X or Z report on A4, with a chart of sales and refunds by hour."""
    from devices.pdf_render import render_report_pdf as render

    with use_language(doc.language):
        return render(doc)
