"""X and Z reports as documents: sections of labelled, formatted figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from counter.cash.reports import DayReport
from counter.cash.shifts import MovementKind
from counter.documents import ReportDocument, ReportRow, ReportSection
from counter.money import Currency
from counter.store import StoreConfig


def report_document(
    report: DayReport, store: StoreConfig, *, printed_at: datetime, printed_by: str, copy_number: int = 0
) -> ReportDocument:
    cur: Currency = store.currency

    def m(amount: object) -> str:
        return cur.format(amount, store.locale)  # type: ignore[arg-type]

    def when(stamp: str) -> str:
        if not stamp:
            return "—"
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=printed_at.tzinfo)
        return moment.astimezone(store.zone).strftime("%Y-%m-%d %H:%M")

    title = f"Z REPORT {report.number}" if report.kind == "Z" else "X REPORT (nothing reset)"
    facts = (
        ReportRow("Terminal", report.terminal),
        ReportRow("From", when(report.period_start)),
        ReportRow("To", when(report.period_end)),
        ReportRow("Journal entries", f"{report.first_seq}–{report.last_seq}"),
        # An anchor for auditors (docs/trust.md): `counter journal verify --anchor TERMINAL:SEQ:HASH`.
        *(
            (ReportRow("Entry hash", report.last_hash[:32]), ReportRow("", report.last_hash[32:]))
            if report.last_hash
            else ()
        ),
        ReportRow("Printed", printed_at.astimezone(store.zone).strftime("%Y-%m-%d %H:%M")),
        ReportRow("By", printed_by),
    )
    sections = [
        ReportSection(
            "Sales",
            (
                ReportRow("Sales", f"{report.sales.count}  {m(report.sales.amount)}", True),
                ReportRow("  before tax", m(report.sales_net)),
                ReportRow("Discounts given", m(report.discounts)),
                ReportRow(
                    "Returns",
                    f"{report.returns.count}  {m(-report.returns.amount) if report.returns.amount else m(0)}",
                    True,
                ),
                ReportRow("Exchanges", str(report.exchanges)),
                ReportRow("Restocking fees kept", m(report.fees)),
                ReportRow("Voided sales", f"{report.voids.count}  {m(report.voids.amount)}"),
                ReportRow(
                    "  payments given back", f"{report.voids_given_back.count}  {m(report.voids_given_back.amount)}"
                ),
                ReportRow("NET", m(report.net_sales), True),
            ),
        ),
        ReportSection(
            "Taken by tender",
            tuple(ReportRow(k, f"{t.count}  {m(t.amount)}") for k, t in sorted(report.tenders_in.items())),
        ),
        ReportSection(
            "Refunded or given back by tender",
            tuple(ReportRow(k, f"{t.count}  {m(t.amount)}") for k, t in sorted(report.tenders_out.items())),
        ),
        ReportSection("Card terminal, end of day (terminal / till)", _card_rows(report, m)),
        ReportSection(
            "Refunds by reason",
            tuple(ReportRow(k, f"{t.count}  {m(t.amount)}") for k, t in sorted(report.refunds_by_reason.items())),
        ),
        ReportSection(
            "Service desk (outside sales)",
            tuple(ReportRow(k, f"{t.count}  {m(t.amount)}") for k, t in sorted(report.desk.items())),
        ),
        ReportSection(
            "Tax by rate (sales less returns)",
            tuple(
                ReportRow(f"{code} {(rate * 100).normalize():f} % on {m(base)}", m(tax))
                for code, (rate, base, tax) in sorted(report.tax_by_rate.items())
            ),
        ),
        ReportSection(
            "Cash",
            tuple(
                ReportRow(MovementKind(k).label, f"{t.count}  {m(t.amount)}")
                for k, t in sorted(report.movements.items())
            )
            + (
                ReportRow("Drawer openings", str(report.drawer_openings)),
                ReportRow("  of which no-sale", str(report.no_sales)),
            ),
        ),
        ReportSection(
            "Shifts (counted − expected)",
            tuple(
                ReportRow(
                    f"{sl.user}{' (recounted)' if sl.recounted else ''}",
                    "open" if sl.over_short is None else f"{m(sl.counted)} / {m(sl.expected)}  {m(sl.over_short)}",
                )
                for sl in report.shifts
            )
            + (ReportRow("Over/short", m(report.over_short), True),),
        ),
        ReportSection(
            "Approvals",
            tuple(ReportRow(f"{name}: {kinds}", m(amount)) for kinds, name, amount in report.approvals)
            + (ReportRow("Refused approval attempts", str(report.approvals_refused)),),
        ),
    ]
    if report.kind == "Z":
        after = report.grand_after
        sections.append(
            ReportSection(
                "Grand totals (never reset)",
                (
                    ReportRow("Sales", m(after.sales)),
                    ReportRow("Returns", m(after.returns)),
                    ReportRow("Net", m(after.net), True),
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
        rows.append(ReportRow("Terminal", f"{n}  {m(amount)}"))
        rows.append(ReportRow("Till", f"{till_n}  {m(till_amount)}"))
        if n != till_n or amount != till_amount:
            rows.append(ReportRow("CARD DIFFERENCE", f"{n - till_n:+d}  {m(amount - till_amount)}", True))
        else:
            rows.append(ReportRow("Card totals agree", "yes"))
    return tuple(rows)
