"""Cash-office reports (X and Z) rendered for the receipt printer, one job each."""

from __future__ import annotations

from counter.documents import ReportDocument
from counter.i18n import _, use_language
from devices.escpos.encoder import PrinterProfile, _Job, job_for


def render_report(doc: ReportDocument, profile: PrinterProfile) -> bytes:
    """An X or Z report, its words in the report's language (the store's)."""
    with use_language(doc.language):
        return _render_report(doc, profile)


def _render_report(doc: ReportDocument, profile: PrinterProfile) -> bytes:
    job = job_for(profile, [doc.store.name, doc.title])
    job.centered(doc.store.name, bold=True)
    job.feed()
    if doc.copy_number:
        job.centered(_("COPY {number}").format(number=doc.copy_number), bold=True, big=True)
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
    job.centered(_("End of report"))
    return job.cut()


def render_terminal_slip(title: str, lines: tuple[str, ...], profile: PrinterProfile) -> bytes:
    """The card terminal's own receipt text (it has no printer, or prints to the till's), one
    job: its lines as the terminal sent them, clipped to the paper's width."""
    job = _Job(profile)
    job.centered(title, bold=True)
    job.rule()
    for text in lines:
        job.line(text[: profile.columns])
    job.rule()
    return job.cut()
