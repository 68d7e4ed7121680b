"""Service-desk slips for the receipt printer: case slips (the case number as a CODE128
barcode the desk scans when the customer comes back), desk payment receipts with the
balance owed, order agreements and adjustment slips. One job each."""

from __future__ import annotations

from counter.desk.documents import SlipDocument
from counter.i18n import _, use_language
from devices.escpos.encoder import PrinterProfile, job_for


def render_slip(doc: SlipDocument, profile: PrinterProfile) -> bytes:
    """One slip, its words in the slip's language (the customer's, else the store's)."""
    with use_language(doc.language):
        return _render_slip(doc, profile)


def _render_slip(doc: SlipDocument, profile: PrinterProfile) -> bytes:
    store = doc.store
    notes = [line for section in doc.sections for row in section.rows for line in (row.label, row.value)]
    job = job_for(profile, [store.name, *store.address_lines, doc.title, *doc.notes, *notes])
    job.centered(store.name, bold=True)
    for line in store.address_lines:
        job.centered(line)
    if store.phone:
        job.centered(_("Tel. {phone}").format(phone=store.phone))
    job.feed()
    if doc.copy_number:
        job.centered(_("COPY {number}").format(number=doc.copy_number), bold=True, big=True)
    job.centered(doc.title, bold=True, big=True)
    job.feed()
    for row in doc.facts:
        job.pair(row.label, row.value, bold=row.bold)
    for section in doc.sections:
        if not section.rows:
            continue
        job.rule()
        job.line(section.title.upper(), bold=True)
        for row in section.rows:
            job.pair(row.label, row.value, bold=row.bold)
    if doc.notes:
        job.rule()
        for note in doc.notes:
            job.line(note)
    for who in doc.signature_lines:
        job.feed(2)
        job.line("_" * min(32, profile.columns))
        job.line(who)
    job.feed()
    if doc.barcode_data:
        job.barcode128(doc.barcode_data)
    return job.cut()
