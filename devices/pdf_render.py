"""The PDF rendering behind devices/pdf.py: receipt documents on A4 with reportlab.

A return's document becomes a credit note (the return invoice): the store's details,
the credit note number, the original receipt it refers to, the lines with the refund
and the tax reversed, where the money went, and, when store credit was issued, the
voucher's code as a scannable barcode. Sales render as an A4 receipt copy.
"""

from __future__ import annotations

import io
from decimal import Decimal

from babel.dates import format_datetime
from reportlab.graphics.barcode import code128
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from counter.documents import Receipt, ReceiptKind, ReportDocument
from counter.i18n import _, pgettext
from counter.money import Currency

_STYLES = getSampleStyleSheet()
_SMALL = ParagraphStyle(
    "small", parent=_STYLES["Normal"], fontSize=8.5, leading=11, textColor=colors.HexColor("#374151")
)
_TITLE = ParagraphStyle("title", parent=_STYLES["Title"], alignment=0, fontSize=20, spaceAfter=2)


def render_pdf(receipt: Receipt) -> bytes:
    """One document as PDF bytes (A4)."""
    out = io.BytesIO()
    if receipt.kind is ReceiptKind.RETURN:
        title = _("Credit note")
    elif receipt.kind is ReceiptKind.GIFT:
        title = _("Gift receipt")
    else:
        title = _("Receipt")
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        # Translators: the PDF's title, e.g. "Credit note S01-T01-000042"
        title=_("{document} {number}").format(document=title, number=receipt.receipt_number),
        author=receipt.store.name,
    )
    cur = Currency.of(receipt.currency)

    def money(amount: Decimal) -> str:
        return cur.format(amount, receipt.locale)

    store = receipt.store
    story: list[object] = []
    store_lines = "<br/>".join([f"<b>{_esc(store.name)}</b>", *map(_esc, store.address_lines)])
    if store.phone:
        store_lines += "<br/>" + _esc(_("Tel. {phone}").format(phone=store.phone))
    if store.tax_id:
        store_lines += "<br/>" + _esc(_("Tax ID {tax_id}").format(tax_id=store.tax_id))
    facts = [
        [_("Number"), receipt.receipt_number],
        [_("Date"), _plain(format_datetime(receipt.issued_at, "medium", locale=receipt.locale))],
        [_("Terminal / cashier"), f"{receipt.terminal} / {receipt.cashier}"],
    ]
    if receipt.original_receipt:
        facts.append([_("Refers to receipt"), receipt.original_receipt])
    if receipt.is_copy:
        # Translators: a row label on a document printed again; its value is "COPY 2"
        facts.append([pgettext("reprint", "Copy"), _("COPY {number}").format(number=receipt.copy_number)])
    head = Table(
        [[Paragraph(store_lines, _STYLES["Normal"]), _facts_table(facts)]],
        colWidths=[88 * mm, 86 * mm],
    )
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [Paragraph(title, _TITLE), head, Spacer(1, 8 * mm)]

    show_prices = receipt.show_prices
    # Translators: column headings of a receipt's lines ("Qty" = quantity, "Unit" = unit price)
    header = [_("Item"), _("Qty"), _("Unit"), _("Amount"), _("Tax")]
    rows: list[list[str]] = [header if show_prices else header[:2]]
    for line in receipt.lines:
        if show_prices:
            rows.append([line.name, str(line.quantity), money(line.unit_price), money(line.amount), line.tax_code])
        else:
            rows.append([line.name, str(line.quantity)])
    widths = [92 * mm, 14 * mm, 26 * mm, 28 * mm, 14 * mm] if show_prices else [150 * mm, 24 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 9.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#9ca3af")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f9fafb")]),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story += [table, Spacer(1, 5 * mm)]

    if show_prices:
        total_label = receipt.total_label
        totals: list[list[str]] = []
        for tax in receipt.taxes:
            if receipt.kind is ReceiptKind.RETURN:
                text = _("Tax {code} ({rate}) reversed on {base}")
            else:
                text = _("Tax {code} ({rate}) charged on {base}")
            totals.append([text.format(code=tax.code, rate=_rate(tax.rate), base=money(tax.base)), money(tax.tax)])
        totals.append([total_label, money(receipt.total)])
        for tender in receipt.tenders:
            detail = f"  ({tender.detail})" if tender.detail else ""
            totals.append([f"{tender.label}{detail}", money(tender.amount)])
        if receipt.change:
            # Translators: the cash given back to the customer
            totals.append([pgettext("cash back", "Change"), money(receipt.change)])
        t = Table(totals, colWidths=[134 * mm, 40 * mm])
        bold_row = len(receipt.taxes)
        t.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), "Helvetica", 9.5),
                    ("FONT", (0, bold_row), (-1, bold_row), "Helvetica-Bold", 12),
                    ("LINEABOVE", (0, bold_row), (-1, bold_row), 0.8, colors.black),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ]
            )
        )
        story += [t, Spacer(1, 6 * mm)]
    for note in receipt.notes:
        story.append(Paragraph(_esc(note), _SMALL))
    if receipt.voucher_code:
        story += [
            Spacer(1, 6 * mm),
            Paragraph(_("<b>Store credit voucher</b>: scan or quote this code to spend it."), _STYLES["Normal"]),
            Spacer(1, 2 * mm),
            code128.Code128(receipt.voucher_code, barHeight=14 * mm, barWidth=0.42 * mm, humanReadable=True),
        ]
    story += [Spacer(1, 8 * mm)] + [Paragraph(_esc(f), _SMALL) for f in store.footer_lines]
    doc.build(story)
    return out.getvalue()


def _facts_table(facts: list[list[str]]) -> Table:
    t = Table(facts, colWidths=[34 * mm, 52 * mm], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (0, -1), "Helvetica", 9),
                ("FONT", (1, 0), (1, -1), "Helvetica-Bold", 9),
                ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#6b7280")),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return t


def _rate(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f} %"


def _plain(text: str) -> str:
    """CLDR puts narrow no-break spaces in times ("10:23\u202fPM"); the PDF's base fonts lack them."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _esc(text: str) -> str:
    return _plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_report_pdf(doc: ReportDocument) -> bytes:
    """An X or Z report on A4, with a chart of sales and refunds by hour."""
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=doc.title,
        author=doc.store.name,
    )
    story: list[object] = [Paragraph(_esc(doc.store.name), _STYLES["Normal"])]
    title = (
        _("{title} — COPY {number}").format(title=doc.title, number=doc.copy_number) if doc.copy_number else doc.title
    )
    story += [Paragraph(_esc(title), _TITLE), _facts_table([[r.label, r.value] for r in doc.facts]), Spacer(1, 6 * mm)]
    if doc.hourly:
        story += [_hourly_chart(doc), Spacer(1, 4 * mm)]
    for section in doc.sections:
        if not section.rows:
            continue
        rows = [[section.title, ""]] + [[r.label, r.value] for r in section.rows]
        t = Table(rows, colWidths=[120 * mm, 54 * mm])
        style = [
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 10),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#9ca3af")),
            ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ]
        for n, r in enumerate(section.rows, start=1):
            if r.bold:
                style.append(("FONT", (0, n), (-1, n), "Helvetica-Bold", 9))
        t.setStyle(TableStyle(style))
        story += [t, Spacer(1, 4 * mm)]
    pdf.build(story)
    return out.getvalue()


def _hourly_chart(doc: ReportDocument) -> Drawing:
    hours = [h for h, _s, _r in doc.hourly]
    drawing = Drawing(174 * mm, 62 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 10 * mm
    chart.width, chart.height = 150 * mm, 44 * mm
    chart.data = [[float(s) for _h, s, _r in doc.hourly], [float(r) for _h, _s, r in doc.hourly]]
    chart.categoryAxis.categoryNames = [f"{h:02d}" for h in hours]
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#1d4ed8")
    chart.bars[1].fillColor = colors.HexColor("#dc2626")
    chart.groupSpacing = 3
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 14 * mm, 60 * mm
    legend.fontSize = 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [
        (colors.HexColor("#1d4ed8"), _("Sales by hour")),
        (colors.HexColor("#dc2626"), _("Refunds by hour")),
    ]
    drawing.add(legend)
    return drawing
