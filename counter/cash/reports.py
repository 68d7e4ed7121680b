"""X and Z reports, computed from the journal itself.

A report covers a range of one terminal's journal (by sequence number): an X report the
open shift so far (it resets nothing), a Z report everything since the previous Z. Because
the figures are summed from the very entries that are hash-chained and synced, "the Z
totals equal the sum of the day's journal" holds by construction; tests cross-check them
against the sales and returns tables. Grand totals are perpetual: each Z adds its period
to the previous Z's grand totals, which are never reset.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from counter.i18n import N_
from counter.journal import EventType, JournalEntry
from counter.money import ZERO, Currency
from counter.returns.policy import APPROVAL_LABELS, REASON_LABELS


@dataclass
class Tally:
    count: int = 0
    amount: Decimal = ZERO

    def add(self, amount: Decimal, n: int = 1) -> None:
        self.count += n
        self.amount += amount


@dataclass(frozen=True)
class GrandTotals:
    sales: Decimal = ZERO
    returns: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.sales - self.returns


@dataclass(frozen=True)
class ShiftLine:
    shift_id: str
    user: str
    float_total: Decimal
    counted: Decimal | None
    expected: Decimal | None
    note: str
    recounted: bool

    @property
    def over_short(self) -> Decimal | None:
        return None if self.counted is None or self.expected is None else self.counted - self.expected


@dataclass
class DayReport:
    kind: str  # "X" or "Z"
    terminal: str
    first_seq: int
    last_seq: int
    period_start: str
    period_end: str
    number: int | None = None
    sales: Tally = field(default_factory=Tally)
    sales_net: Decimal = ZERO
    discounts: Decimal = ZERO
    returns: Tally = field(default_factory=Tally)
    fees: Decimal = ZERO
    exchanges: int = 0
    voids: Tally = field(default_factory=Tally)
    #: what voids gave back of the part payments taken before (also in ``tenders_out``)
    voids_given_back: Tally = field(default_factory=Tally)
    #: The hash of the last journal entry the report covers: printed on the report, it is
    #: an anchor outside the store (``counter journal verify --anchor T:SEQ:HASH``).
    last_hash: str = ""
    refunds_by_reason: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    tax_by_rate: dict[str, list[Decimal]] = field(default_factory=dict)  # code -> [rate, base, tax]
    tenders_in: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    tenders_out: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    movements: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    no_sales: int = 0
    drawer_openings: int = 0
    approvals: list[tuple[tuple[str, ...], str, Decimal]] = field(default_factory=list)  # kinds, approver, amount
    approvals_refused: int = 0
    shifts: list[ShiftLine] = field(default_factory=list)
    hourly: dict[int, list[Decimal]] = field(default_factory=lambda: defaultdict(lambda: [ZERO, ZERO]))
    #: the service desk, by what the money was for (deposits, payments on account, adjustments, ...)
    desk: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    grand_before: GrandTotals = field(default_factory=GrandTotals)
    #: the card terminal's ends of day: (its count, its amount, the till's count, the till's amount)
    card_days: list[tuple[int, Decimal, int, Decimal]] = field(default_factory=list)

    @property
    def over_short(self) -> Decimal:
        return sum((s.over_short or ZERO for s in self.shifts), ZERO)

    @property
    def grand_after(self) -> GrandTotals:
        return GrandTotals(self.grand_before.sales + self.sales.amount, self.grand_before.returns + self.returns.amount)

    @property
    def net_sales(self) -> Decimal:
        return self.sales.amount - self.returns.amount


_REASONS = {str(reason): label for reason, label in REASON_LABELS.items()}
#: what a report says for each approval kind (the journal keeps the code)
APPROVALS = {str(kind): label for kind, label in APPROVAL_LABELS.items()}

#: The report's rows are keyed by these English labels (and by card brands, and by return
#: reasons' labels); the document translates them when it prints (counter.cash.report_document).
_TENDERS = {
    "cash": N_("Cash"),
    "store_credit": N_("Store credit"),
    "exchange_credit": N_("Exchange credit"),
    "deposit": N_("Deposits applied"),
    "house_account": N_("House account"),
}
CARD = N_("Card")
GOODWILL = N_("Goodwill credits")
CHARGED = N_("Charged to house accounts")


def _tender_label(kind: str, brand: str | None) -> str:
    return _TENDERS.get(kind, brand or CARD)


#: journal entries of the service desk that move money, and what the desk section calls them
_DESK_IN: dict[str, tuple[str, str]] = {
    EventType.ORDER_OPENED: ("deposit", N_("Deposit")),
    EventType.ORDER_PAYMENT_TAKEN: ("payment", N_("Order payment")),
    EventType.ACCOUNT_PAYMENT_TAKEN: ("", N_("Payment on account")),
}
_DESK_OUT: dict[str, str] = {
    EventType.BILL_ADJUSTED: N_("Bill adjustments"),
    EventType.ORDER_CANCELLED: N_("Order cancellation refunds"),
}
#: the labels a report document translates (a card brand or an unknown reason code is shown as it is)
SHOWN_LABELS = frozenset(
    {*_TENDERS.values(), CARD, GOODWILL, CHARGED, *(v[1] for v in _DESK_IN.values()), *_DESK_OUT.values()}
    | set(_REASONS.values())
)


def _desk(report: DayReport, t: str, body: dict[str, object], f: Callable[[int], Decimal]) -> None:
    """Money the service desk took or paid back outside a sale (counter.desk.payments)."""
    if t in _DESK_IN:
        key, label = _DESK_IN[t]
        part = body.get(key) if key else body
        if not isinstance(part, dict):
            return
        report.desk[label].add(f(int(part["amount"])))
        for tender in part["tenders"]:
            report.tenders_in[_tender_label(tender["kind"], tender.get("card_brand"))].add(f(tender["amount"]))
    elif t in _DESK_OUT:
        refund = body.get("refund") if t == EventType.ORDER_CANCELLED else body
        if not isinstance(refund, dict):
            return
        tenders = refund.get("refunds") or refund.get("tenders") or []
        amount = -sum(int(x["amount"]) for x in tenders)
        label = _DESK_OUT[t]
        if t == EventType.BILL_ADJUSTED and body.get("kind") == "goodwill":
            label = GOODWILL
        report.desk[label].add(f(amount))
        for tender in tenders:
            report.tenders_out[_tender_label(tender["kind"], None)].add(f(-int(tender["amount"])))
    elif t == EventType.ACCOUNT_CHARGED:
        report.desk[CHARGED].add(f(int(str(body["amount"]))))


def build_report(
    kind: str,
    terminal: str,
    entries: Iterable[JournalEntry],
    *,
    currency: Currency,
    zone: ZoneInfo,
    users: Mapping[str, str],
    grand_before: GrandTotals = GrandTotals(),
    number: int | None = None,
) -> DayReport:
    f = currency.from_minor
    report: DayReport | None = None
    shifts: dict[str, ShiftLine] = {}
    for entry in entries:
        if report is None:
            report = DayReport(
                kind, terminal, entry.seq, entry.seq, entry.at, entry.at, number, grand_before=grand_before
            )
        report.last_seq, report.period_end, report.last_hash = entry.seq, entry.at, entry.hash
        body = entry.body_data()
        hour = (
            datetime.strptime(entry.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).hour
        )
        t = entry.type
        if t == EventType.SALE_COMPLETED:
            total = f(body["total"])
            report.sales.add(total)
            report.hourly[hour][0] += total
            for ln in body["lines"]:
                report.sales_net += f(ln["gross"] - ln["tax"])
                report.discounts += f(ln["line_discount"] + ln["order_discount"])
                rate = report.tax_by_rate.setdefault(ln["tax_code"], [Decimal(ln["tax_rate"]), ZERO, ZERO])
                rate[1] += f(ln["gross"] - ln["tax"])
                rate[2] += f(ln["tax"])
            # the first ``part_payments`` tenders were counted when taken (PartPaymentTaken)
            for tender in body["tenders"][body.get("part_payments", 0) :]:
                report.tenders_in[_tender_label(tender["kind"], tender.get("card_brand"))].add(f(tender["amount"]))
        elif t == EventType.PART_PAYMENT_TAKEN:
            tender = body["tender"]
            report.tenders_in[_tender_label(tender["kind"], tender.get("card_brand"))].add(f(tender["amount"]))
        elif t == EventType.RETURN_PROCESSED:
            refund = f(body["refund_total"])
            report.returns.add(refund)
            report.hourly[hour][1] += refund
            report.fees += f(body.get("fee_total", 0))
            if body.get("exchange_sale_id"):
                report.exchanges += 1
            for ln in body["lines"]:
                label = _REASONS.get(ln["reason"], ln["reason"])
                report.refunds_by_reason[label].add(f(ln["gross"] - ln["fee"]), ln["qty"])
                if "tax_code" in ln:
                    rate = report.tax_by_rate.setdefault(ln["tax_code"], [Decimal(ln["tax_rate"]), ZERO, ZERO])
                    rate[1] -= f(ln["gross"] - ln["tax"])
                    rate[2] -= f(ln["tax"])
            for part in body["refunds"]:
                report.tenders_out[_tender_label(part["kind"], None)].add(f(part["amount"]))
            if body.get("exchange_credit"):
                report.tenders_out[_TENDERS["exchange_credit"]].add(f(body["exchange_credit"]))
        elif t in _DESK_IN or t in _DESK_OUT or t == EventType.ACCOUNT_CHARGED:
            _desk(report, t, body, f)
        elif t == EventType.SALE_VOIDED:
            report.voids.add(f(body.get("total", 0)))
            # what went back of the part payments: out by its own tender (a last tender whose
            # sale failed to record was never counted in, so it is not counted out either)
            recorded = body.get("part_payments", 0)
            for tender in (g for g in body.get("given_back", []) if g["seq"] <= recorded):
                amount = f(tender["amount"])
                report.tenders_out[_tender_label(tender["kind"], tender.get("card_brand"))].add(amount)
                report.voids_given_back.add(amount)
        elif t == EventType.CARD_REFUND_CLOSED:  # a card refund paid in cash or store credit instead
            report.tenders_out[_TENDERS["cash" if body["how"] == "cash" else "store_credit"]].add(f(body["amount"]))
        elif t == EventType.CARD_DAY_CLOSED:
            report.card_days.append(
                (body["count"], f(body["amount"]), body.get("till_count", 0), f(body.get("till_amount", 0)))
            )
        elif t == EventType.CASH_MOVED:
            report.movements[body["kind"]].add(f(body["amount"]))
        elif t == "DrawerOpened":
            report.drawer_openings += 1
            if body.get("reason") == "no_sale":
                report.no_sales += 1
        elif t == EventType.APPROVAL_GRANTED:
            name = users.get(body["approver"], body["approver"])
            kinds = tuple(str(k) for k in body["kinds"])
            report.approvals.append((kinds, name, f(body["amount"])))
        elif t == EventType.APPROVAL_REFUSED:
            report.approvals_refused += 1
        elif t == EventType.SHIFT_OPENED:
            shifts[body["shift_id"]] = ShiftLine(
                body["shift_id"], users.get(body["user"], body["user"]), f(body["float"]), None, None, "", False
            )
        elif t in (EventType.SHIFT_CLOSED, EventType.SHIFT_RECOUNTED):
            old = shifts.get(body["shift_id"])
            shifts[body["shift_id"]] = ShiftLine(
                body["shift_id"],
                old.user if old else users.get(body["user"], body["user"]),
                old.float_total if old else ZERO,
                f(body["counted"]),
                f(body["expected"]),
                body.get("note", ""),
                t == EventType.SHIFT_RECOUNTED,
            )
    if report is None:
        report = DayReport(kind, terminal, 0, 0, "", "", number, grand_before=grand_before)
    report.shifts = list(shifts.values())
    return report
