"""The rendering behind devices/letters.py: service-desk documents on A4 with reportlab,
the letter to a customer with the outcome of their case, agreements of special orders and
layaways, and the returns and complaints analysis."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from reportlab.graphics.barcode import code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from counter.desk.analysis import TABLES, Analysis, Bucket, VendorItem
from counter.desk.documents import Letter, SlipDocument
from counter.documents import StoreHeader
from counter.i18n import _
from counter.money import Currency

_STYLES = getSampleStyleSheet()
_BODY = ParagraphStyle("body", parent=_STYLES["Normal"], fontSize=10.5, leading=15, spaceAfter=8)
_SMALL = ParagraphStyle(
    "small", parent=_STYLES["Normal"], fontSize=8.5, leading=11, textColor=colors.HexColor("#4b5563")
)
_STORE = ParagraphStyle("store", parent=_STYLES["Normal"], fontSize=9, leading=12, alignment=2)
_TITLE = ParagraphStyle("title", parent=_STYLES["Title"], alignment=0, fontSize=18, spaceAfter=4)
_H2 = ParagraphStyle("h2", parent=_STYLES["Heading2"], fontSize=12, spaceBefore=6, spaceAfter=4)


def _esc(text: str) -> str:
    text = text.replace("\u202f", " ").replace("\u00a0", " ")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _doc(out: io.BytesIO, title: str, author: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=author,
    )


def _letterhead(store: StoreHeader) -> Table:
    right = "<br/>".join(map(_esc, store.address_lines))
    if store.phone:
        right += "<br/>" + _esc(_("Tel. {phone}").format(phone=store.phone))
    t = Table(
        [[Paragraph(f"<b>{_esc(store.name)}</b>", _TITLE), Paragraph(right, _STORE)]], colWidths=[96 * mm, 70 * mm]
    )
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.HexColor("#1d4ed8")),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 8),
            ]
        )
    )
    return t


def render_letter_pdf(letter: Letter) -> bytes:
    """The customer's letter: letterhead, address block, reference with its barcode, the
    outcome, a signature, and the case's history as an appendix in small type."""
    out = io.BytesIO()
    doc = _doc(out, _("Case {reference}").format(reference=letter.reference), letter.store.name)
    story: list[object] = [_letterhead(letter.store), Spacer(1, 10 * mm)]
    address = Paragraph("<br/>".join(_esc(x) for x in letter.recipient), _BODY)
    ref = Table(
        [
            [
                Paragraph(
                    _("Date: {date}<br/>Our reference: <b>{reference}</b>").format(
                        date=_esc(letter.date_text), reference=letter.reference
                    ),
                    _SMALL,
                )
            ],
            [code128.Code128(letter.reference, barHeight=9 * mm, barWidth=0.3 * mm, humanReadable=False)],
        ],
        colWidths=[62 * mm],
    )
    ref.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("ALIGN", (0, 0), (-1, -1), "RIGHT")]))
    head = Table([[address, ref]], colWidths=[104 * mm, 62 * mm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [head, Spacer(1, 10 * mm), Paragraph(f"<b>{_esc(letter.subject)}</b>", _BODY), Spacer(1, 2 * mm)]
    story.append(Paragraph(_esc(letter.salutation), _BODY))
    story += [Paragraph(_esc(p), _BODY) for p in letter.paragraphs]
    story.append(Spacer(1, 4 * mm))
    story.append(KeepTogether([Paragraph(_esc(s) or "&nbsp;", _BODY) for s in letter.signature]))
    if letter.history:
        story += [Spacer(1, 10 * mm), Paragraph(_("<b>The history of your case</b>"), _SMALL), Spacer(1, 1 * mm)]
        story += [Paragraph(_esc(h), _SMALL) for h in letter.history]
    # a letter's foot is how to reach the store, not the receipt's footer ("Returns within 30 days...")
    store = letter.store
    reach = " · ".join(part for part in (store.name, ", ".join(store.address_lines), store.phone) if part)
    story += [Spacer(1, 6 * mm), Paragraph(_esc(reach), _SMALL)]
    doc.build(story)
    return out.getvalue()


def render_slip_pdf(slip: SlipDocument) -> bytes:
    """A slip on A4 (order agreements are kept and e-mailed as PDF)."""
    out = io.BytesIO()
    doc = _doc(out, slip.title, slip.store.name)
    story: list[object] = [_letterhead(slip.store), Spacer(1, 6 * mm), Paragraph(_esc(slip.title.title()), _TITLE)]
    facts = Table([[r.label, r.value] for r in slip.facts], colWidths=[40 * mm, 126 * mm], hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (0, -1), "Helvetica", 9.5),
        ("FONT", (1, 0), (1, -1), "Helvetica-Bold", 9.5),
        ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#6b7280")),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    facts.setStyle(TableStyle(style))
    story += [facts, Spacer(1, 5 * mm)]
    for section in slip.sections:
        rows = [[section.title, ""]] + [[r.label, r.value] for r in section.rows]
        t = Table(rows, colWidths=[126 * mm, 40 * mm])
        st = [
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 10),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#9ca3af")),
            ("FONT", (0, 1), (-1, -1), "Helvetica", 9.5),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ]
        for n, r in enumerate(section.rows, start=1):
            if r.bold:
                st.append(("FONT", (0, n), (-1, n), "Helvetica-Bold", 10))
        t.setStyle(TableStyle(st))
        story += [t, Spacer(1, 4 * mm)]
    story += [Paragraph(_esc(n), _BODY if not n.startswith("- ") else _SMALL) for n in slip.notes]
    if slip.signature_lines:
        cells = [["_" * 34, "_" * 34], list(slip.signature_lines)]
        sig = Table(cells, colWidths=[83 * mm, 83 * mm])
        sig.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, 0), 16 * mm), ("FONT", (0, 1), (-1, 1), "Helvetica", 9)]))
        story += [Spacer(1, 4 * mm), sig]
    if slip.barcode_data:
        story += [
            Spacer(1, 8 * mm),
            code128.Code128(slip.barcode_data, barHeight=12 * mm, barWidth=0.36 * mm, humanReadable=True),
        ]
    doc.build(story)
    return out.getvalue()


def render_analysis_pdf(analysis: Analysis, store: StoreHeader, currency: Currency, locale: str) -> bytes:
    out = io.BytesIO()
    doc = _doc(out, _("Returns and complaints"), store.name)
    summary = _(
        "{since} to {until}: {units} units returned, {refunded} refunded; "
        "{contacts} contacts logged, of which {complaints} complaints."
    ).format(
        since=analysis.since.isoformat(),
        until=analysis.until.isoformat(),
        units=analysis.units,
        refunded=currency.format(analysis.refunded, locale),
        contacts=analysis.contacts,
        complaints=analysis.complaints,
    )
    story: list[object] = [
        _letterhead(store),
        Spacer(1, 6 * mm),
        Paragraph(_("Returns and complaints"), _TITLE),
        Paragraph(summary, _BODY),
    ]
    for attr, title in TABLES:
        buckets: list[Bucket] = analysis.top(attr, 12)
        if not buckets:
            continue
        rows = [[_(title), _("Units"), _("Refunded"), _("Complaints")]] + [
            [b.label[:70], str(b.units), currency.format(b.refunded, locale), str(b.complaints)] for b in buckets
        ]
        t = Table(rows, colWidths=[100 * mm, 18 * mm, 28 * mm, 20 * mm], repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
                    ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f9fafb")]),
                    ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ]
            )
        )
        story += [Spacer(1, 4 * mm), t]
    doc.build(story)
    return out.getvalue()


def render_vendor_pdf(
    items: list[VendorItem], since: date, until: date, store: StoreHeader, currency: Currency, locale: str
) -> bytes:
    """The return-to-vendor list: what goes back to the makers and suppliers, per item, with
    why and the returns it came in with, for the buyer or the vendor's representative."""
    out = io.BytesIO()
    doc = _doc(out, _("Return to vendor"), store.name)
    units = sum(i.units for i in items)
    refunded = currency.format(sum((i.refunded for i in items), Decimal(0)), locale)
    story: list[object] = [
        _letterhead(store),
        Spacer(1, 6 * mm),
        Paragraph(_("Return to vendor"), _TITLE),
        Paragraph(
            _(
                "{since} to {until}: {units} units of {items} items to send back ({refunded} refunded to customers)."
            ).format(
                since=since.isoformat(), until=until.isoformat(), units=units, items=len(items), refunded=refunded
            ),
            _BODY,
        ),
    ]
    if not items:
        story.append(Paragraph(_("Nothing returned in this period goes back to a vendor."), _BODY))
    else:
        # Translators: column headings of the return-to-vendor list ("Why" = the reasons given)
        rows: list[list[object]] = [[_("Item"), _("SKU"), _("Units"), _("Refunded"), _("Why"), _("Returns")]]
        for i in items:
            rows.append(
                [
                    Paragraph(_esc(i.name), _SMALL),
                    i.sku,
                    str(i.units),
                    currency.format(i.refunded, locale),
                    Paragraph(_esc(i.reasons_text), _SMALL),
                    Paragraph(_esc(", ".join(i.returns)), _SMALL),
                ]
            )
        t = Table(rows, colWidths=[44 * mm, 22 * mm, 12 * mm, 20 * mm, 32 * mm, 40 * mm], repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
                    ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f9fafb")]),
                    ("ALIGN", (2, 0), (3, -1), "RIGHT"),
                ]
            )
        )
        story += [Spacer(1, 4 * mm), t]
    story += [Spacer(1, 8 * mm), Paragraph(_("Packed by ____________________   Date __________"), _BODY)]
    doc.build(story)
    return out.getvalue()
