"""X and Z reports as documents: sections of labelled, formatted figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from counter.cash.reports import APPROVALS, SHOWN_LABELS, DayReport, Tally
from counter.cash.shifts import MovementKind
from counter.dates import show_datetime
from counter.documents import ReportDocument, ReportRow, ReportSection
from counter.i18n import _, pgettext, use_language
from counter.money import Currency
from counter.store import StoreConfig


def report_document(
    report: DayReport, store: StoreConfig, *, printed_at: datetime, printed_by: str, copy_number: int = 0
) -> ReportDocument:
    """The X or Z report as a document, in the store's language (it is the store's paper)."""
    with use_language(store.locale) as words:
        doc = _report_document(report, store, printed_at, printed_by, copy_number)
    return replace(doc, language=words)


def _report_document(
    report: DayReport, store: StoreConfig, printed_at: datetime, printed_by: str, copy_number: int
) -> ReportDocument:
    cur: Currency = store.currency

    def m(amount: object) -> str:
        return cur.format(amount, store.locale)  # type: ignore[arg-type]

    def when(stamp: str) -> str:
        if not stamp:
            return "—"
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=printed_at.tzinfo)
        return show_datetime(moment, store.locale, store.zone)

    def rows(tallies: dict[str, Tally]) -> tuple[ReportRow, ...]:
        return tuple(ReportRow(_label(k), f"{t.count}  {m(t.amount)}") for k, t in sorted(tallies.items()))

    title = _("Z REPORT {number}").format(number=report.number) if report.kind == "Z" else _("X REPORT (nothing reset)")
    facts = (
        # Translators: a report's heading rows: the terminal it covers
        ReportRow(_("Terminal"), report.terminal),
        # Translators: the start of the period the report covers
        ReportRow(_("From"), when(report.period_start)),
        # Translators: the end of the period the report covers
        ReportRow(_("To"), when(report.period_end)),
        ReportRow(_("Journal entries"), f"{report.first_seq}–{report.last_seq}"),
        # An anchor for auditors (docs/trust.md): `counter journal verify --anchor TERMINAL:SEQ:HASH`.
        *(
            (ReportRow(_("Entry hash"), report.last_hash[:32]), ReportRow("", report.last_hash[32:]))
            if report.last_hash
            else ()
        ),
        # Translators: when the report was printed
        ReportRow(_("Printed"), show_datetime(printed_at, store.locale, store.zone)),
        # Translators: who printed the report
        ReportRow(_("By"), printed_by),
    )
    sections = [
        ReportSection(
            _("Sales"),
            (
                ReportRow(_("Sales"), f"{report.sales.count}  {m(report.sales.amount)}", True),
                # Translators: a row under "Sales": the sales' amount without tax (keep the two leading spaces)
                ReportRow(_("  before tax"), m(report.sales_net)),
                ReportRow(_("Discounts given"), m(report.discounts)),
                ReportRow(
                    _("Returns"),
                    f"{report.returns.count}  {m(-report.returns.amount) if report.returns.amount else m(0)}",
                    True,
                ),
                ReportRow(_("Exchanges"), str(report.exchanges)),
                ReportRow(_("Restocking fees kept"), m(report.fees)),
                ReportRow(_("Voided sales"), f"{report.voids.count}  {m(report.voids.amount)}"),
                ReportRow(
                    # Translators: a row under "Voided sales" (keep the two leading spaces)
                    _("  payments given back"),
                    f"{report.voids_given_back.count}  {m(report.voids_given_back.amount)}",
                ),
                # Translators: the net sales (sales less returns), a report's total row
                ReportRow(_("NET"), m(report.net_sales), True),
            ),
        ),
        ReportSection(
            _("Taken by tender"),
            rows(report.tenders_in),
        ),
        ReportSection(_("Refunded or given back by tender"), rows(report.tenders_out)),
        ReportSection(_("Card terminal, end of day (terminal / till)"), _card_rows(report, m)),
        ReportSection(_("Refunds by reason"), rows(report.refunds_by_reason)),
        ReportSection(_("Service desk (outside sales)"), rows(report.desk)),
        ReportSection(
            _("Tax by rate (sales less returns)"),
            tuple(
                ReportRow(
                    # Translators: a tax code, its rate and the amount taxed, e.g. "A 8.25 % on $100.00"
                    _("{code} {rate} % on {base}").format(
                        code=code, rate=f"{(rate * 100).normalize():f}", base=m(base)
                    ),
                    m(tax),
                )
                for code, (rate, base, tax) in sorted(report.tax_by_rate.items())
            ),
        ),
        ReportSection(
            _("Cash"),
            tuple(
                ReportRow(MovementKind(k).label, f"{t.count}  {m(t.amount)}")
                for k, t in sorted(report.movements.items())
            )
            + (
                ReportRow(_("Drawer openings"), str(report.drawer_openings)),
                # Translators: a row under "Drawer openings" (keep the two leading spaces)
                ReportRow(_("  of which no-sale"), str(report.no_sales)),
            ),
        ),
        ReportSection(
            _("Shifts (counted − expected)"),
            tuple(
                ReportRow(
                    _("{name} (recounted)").format(name=sl.user) if sl.recounted else sl.user,
                    # Translators: a shift still open, in the report's shifts section
                    pgettext("shift", "open")
                    if sl.over_short is None
                    else f"{m(sl.counted)} / {m(sl.expected)}  {m(sl.over_short)}",
                )
                for sl in report.shifts
            )
            + (ReportRow(_("Over/short"), m(report.over_short), True),),
        ),
        ReportSection(
            _("Approvals"),
            tuple(
                ReportRow(
                    _("{name}: {kinds}").format(name=name, kinds=", ".join(_(APPROVALS.get(k, k)) for k in kinds)),
                    m(amount),
                )
                for kinds, name, amount in report.approvals
            )
            + (ReportRow(_("Refused approval attempts"), str(report.approvals_refused)),),
        ),
    ]
    if report.kind == "Z":
        after = report.grand_after
        sections.append(
            ReportSection(
                _("Grand totals (never reset)"),
                (
                    ReportRow(_("Sales"), m(after.sales)),
                    ReportRow(_("Returns"), m(after.returns)),
                    # Translators: sales less returns
                    ReportRow(_("Net"), m(after.net), True),
                ),
            )
        )
    hourly = tuple((h, v[0], v[1]) for h, v in sorted(report.hourly.items()))
    return ReportDocument(title, store.header, facts, tuple(sections), hourly, copy_number)


def _card_rows(report: DayReport, m: Callable[[object], str]) -> tuple[ReportRow, ...]:
    """Each end of day the terminal closed in the period, its totals beside the till's,
    and a flagged row for any difference (counter.payments.card_day)."""
    rows: list[ReportRow] = []
    for n, amount, till_n, till_amount in report.card_days:
        # Translators: the card terminal's own totals, beside the till's
        rows.append(ReportRow(_("Terminal"), f"{n}  {m(amount)}"))
        # Translators: the till's (this app's) card totals, beside the card terminal's
        rows.append(ReportRow(_("Till"), f"{till_n}  {m(till_amount)}"))
        if n != till_n or amount != till_amount:
            rows.append(ReportRow(_("CARD DIFFERENCE"), f"{n - till_n:+d}  {m(amount - till_amount)}", True))
        else:
            rows.append(ReportRow(_("Card totals agree"), _("yes")))
    return tuple(rows)


def _label(key: str) -> str:
    """A row's label: the report's English key translated, or a card brand as it is."""
    return _(key) if key in SHOWN_LABELS else key
