"""Cash-office reports (X and Z) rendered for the receipt printer, one job each."""

from __future__ import annotations

from counter.documents import ReportDocument
from devices.escpos.encoder import PrinterProfile, _Job


def render_report(doc: ReportDocument, profile: PrinterProfile) -> bytes:
    job = _Job(profile)
    job.centered(doc.store.name, bold=True)
    job.feed()
    if doc.copy_number:
        job.centered(f"COPY {doc.copy_number}", bold=True, big=True)
    job.centered(doc.title, bold=True, big=True)
    job.feed()
    for row in doc.facts:
        job.pair(row.label, row.value)
    for section in doc.sections:
        if not section.rows:
            continue
        job.rule()
        job.line(section.title.upper(), bold=True)
        for row in section.rows:
            job.pair(row.label, row.value, bold=row.bold)
    job.rule()
    job.centered("End of report")
    return job.cut()
