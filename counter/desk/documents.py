"""Documents of the service desk, as data: the case slip (printed, with the case number as
a barcode so the customer can come back with it), the letter to the customer with the
outcome of their case (PDF), receipts of desk payments with the balance still owed, the
agreement of a special order or layaway, the slip of a bill adjustment, and a house
account's statement.

Renderers: ``devices/escpos/slips.py`` (thermal) and ``devices/letters.py`` (PDF).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from counter.desk.accounts import Account
from counter.desk.adjustments import AdjustmentRecord
from counter.desk.cases import Case
from counter.desk.customers import Customer, format_phone
from counter.desk.orders import Order
from counter.desk.payments import DeskPayment
from counter.desk.referrals import Referral
from counter.documents import ReportRow, ReportSection, StoreHeader
from counter.sales.tenders import TenderKind
from counter.store import StoreConfig


@dataclass(frozen=True)
class SlipDocument:
    """A short document for the receipt printer (and, for agreements, A4)."""

    title: str
    store: StoreHeader
    facts: tuple[ReportRow, ...]
    sections: tuple[ReportSection, ...] = ()
    notes: tuple[str, ...] = ()
    barcode_data: str = ""
    signature_lines: tuple[str, ...] = ()  # agreements: where the customer signs
    copy_number: int = 0


@dataclass(frozen=True)
class Letter:
    store: StoreHeader
    date_text: str
    recipient: tuple[str, ...]  # name and address lines
    reference: str  # the case number
    subject: str
    salutation: str
    paragraphs: tuple[str, ...]
    signature: tuple[str, ...]
    history: tuple[str, ...] = ()  # the case's steps, as an appendix


def _m(store: StoreConfig, amount: Decimal) -> str:
    return store.currency.format(amount, store.locale)


def _when(store: StoreConfig, moment: datetime) -> str:
    return moment.astimezone(store.zone).strftime("%Y-%m-%d %H:%M")


def case_slip(
    case: Case, customer: Customer, store: StoreConfig, printed_at: datetime, referrals: Sequence[Referral] = ()
) -> SlipDocument:
    facts = [
        ReportRow("Case", case.number, True),
        ReportRow("Customer", customer.name),
        ReportRow("Opened", _when(store, case.opened_at)),
        ReportRow("About", f"{case.kind.label}, {case.category}"),
        ReportRow("Status", case.status.label),
    ]
    for r in referrals:
        facts.append(ReportRow("With", f"{r.department_name}, due {r.due_on.isoformat()}"))
    if case.follow_up_on:
        facts.append(ReportRow("We call you by", case.follow_up_on.isoformat()))
    notes = (
        case.subject,
        "",
        "Bring this slip (or quote the case number) when you come back: the desk scans it.",
        f"Printed {_when(store, printed_at)}",
    )
    return SlipDocument("SERVICE CASE", store.header, tuple(facts), notes=notes, barcode_data=case.number)


def outcome_letter(
    case: Case,
    customer: Customer,
    store: StoreConfig,
    *,
    outcome: str,
    signed_by: str,
    now: datetime,
    events: Sequence[str] = (),
    referrals: Sequence[Referral] = (),
) -> Letter:
    recipient = (customer.name, *(customer.address.lines if customer.address else ()))
    first = customer.name.split()[0]
    opened = case.opened_at.astimezone(store.zone).strftime("%B %d, %Y")
    paragraphs = [
        f"Thank you for contacting {store.name} on {opened} about your {case.kind.label.lower()}: "
        f"“{case.subject.rstrip('.')}”. Your case number is {case.number}.",
    ]
    for r in referrals:
        paragraphs.append(f"We passed your case to our {r.department_name} team, who looked into it.")
    paragraphs.append(f"The outcome: {outcome.strip()}")
    paragraphs.append(
        "If anything is still not right, come to the service desk with this letter or call us"
        + (f" on {store.phone}" if store.phone else "")
        + f", quoting case {case.number}, and we will reopen it."
    )
    contact = customer.email or format_phone(customer.phone)
    return Letter(
        store=store.header,
        date_text=now.astimezone(store.zone).strftime("%B %d, %Y"),
        recipient=recipient,
        reference=case.number,
        subject=f"Your {case.kind.label.lower()} about {case.category.lower()}",
        salutation=f"Dear {first},",
        paragraphs=tuple(paragraphs),
        signature=("Yours sincerely,", "", signed_by, f"Service desk, {store.name}"),
        history=tuple(events) + ((f"Contact on file: {contact}",) if contact else ()),
    )


def payment_receipt(
    payment: DeskPayment,
    store: StoreConfig,
    *,
    cashier: str,
    customer: str,
    what: str,
    owed_after: Decimal | None,
    copy_number: int = 0,
) -> SlipDocument:
    rows = [
        ReportRow("Receipt", payment.number, True),
        ReportRow("Date", _when(store, payment.at)),
        ReportRow("Customer", customer),
        ReportRow("For", what),
        ReportRow("Cashier", cashier),
    ]
    tenders = []
    for t in payment.tenders:
        label = t.card.label if t.card else ("Store credit " + (t.voucher or "") if t.voucher else "Cash")
        tenders.append(ReportRow(label, _m(store, t.tendered)))
        if t.card:
            tenders.append(ReportRow("  approval", t.card.approval_code))
        if t.kind is TenderKind.CASH and t.change:
            tenders.append(ReportRow("Change", _m(store, t.change)))
    for p in payment.parts:
        if p.kind is TenderKind.CARD and p.card:
            tenders.append(ReportRow(f"Back to {p.card.label}", _m(store, p.amount)))
        elif p.kind is TenderKind.STORE_CREDIT:
            tenders.append(ReportRow(f"Store credit {payment.voucher_code}", _m(store, p.amount)))
        else:
            tenders.append(ReportRow("Cash refunded", _m(store, p.amount)))
    total_label = "REFUNDED" if payment.purpose.is_refund else "PAID"
    sections = [
        ReportSection(payment.purpose.label, (ReportRow(total_label, _m(store, payment.amount), True), *tenders))
    ]
    if owed_after is not None:
        sections.append(ReportSection("Balance", (ReportRow("Still owed", _m(store, owed_after), True),)))
    return SlipDocument(
        payment.purpose.label.upper(),
        store.header,
        tuple(rows),
        tuple(sections),
        barcode_data=payment.voucher_code or payment.number,
        copy_number=copy_number,
    )


def order_agreement(
    order: Order, customer: Customer, store: StoreConfig, payment: DeskPayment | None, cashier: str
) -> SlipDocument:
    def money(amount: Decimal) -> str:
        return _m(store, amount)

    facts = (
        ReportRow("Agreement", order.number, True),
        ReportRow("Date", _when(store, order.created_at)),
        ReportRow("Customer", customer.name),
        ReportRow("Phone", format_phone(customer.phone) or customer.email),
        ReportRow("Collect by", order.terms.due_on.isoformat(), True),
        ReportRow("Cashier", cashier),
    )
    items = tuple(
        ReportRow(f"{ln.quantity} × {ln.item.name}", money(ln.item.price * ln.quantity)) for ln in order.lines
    )
    totals = (
        ReportRow("Tax", money(order.tax)),
        ReportRow("TOTAL", money(order.total), True),
        ReportRow("Paid today" if payment else "Paid", money(order.paid)),
        ReportRow("BALANCE DUE", money(order.balance), True),
    )
    terms = order.terms.lines(order.kind, money)
    return SlipDocument(
        f"{order.kind.label.upper()} AGREEMENT",
        store.header,
        facts,
        (ReportSection("Items", items), ReportSection("Amounts", totals)),
        notes=("Terms:", *(f"- {t}" for t in terms)),
        barcode_data=order.number,
        signature_lines=("Customer's signature", "For the store"),
    )


def adjustment_slip(record: AdjustmentRecord, store: StoreConfig, cashier: str) -> SlipDocument:
    q = record.quote
    facts = [
        ReportRow("Adjustment", record.number, True),
        ReportRow("Date", _when(store, record.at)),
        ReportRow("Kind", record.kind.label),
        ReportRow("Reason", record.reason),
        ReportRow("Cashier", cashier),
    ]
    if record.receipt:
        facts.append(ReportRow("On receipt", record.receipt))
    if q.line_name:
        facts.append(ReportRow("Item", f"{record.quantity} × {q.line_name}"))
        facts.append(ReportRow("Paid / now", f"{_m(store, q.unit_paid)} / {_m(store, q.unit_new)}"))
    if record.competitor:
        facts.append(ReportRow("Matched", record.competitor))
    rows = [ReportRow("Tax", _m(store, q.tax)), ReportRow("GIVEN BACK", _m(store, q.gross), True)]
    for p in q.allocation.parts:
        if p.kind is TenderKind.CARD and p.card:
            rows.append(ReportRow(f"To {p.card.label}", _m(store, p.amount)))
        elif p.kind is TenderKind.STORE_CREDIT:
            rows.append(ReportRow(f"Store credit {record.voucher_code}", _m(store, p.amount)))
        else:
            rows.append(ReportRow("Cash", _m(store, p.amount)))
    return SlipDocument(
        record.kind.label.upper(),
        store.header,
        tuple(facts),
        (ReportSection("Refund", tuple(rows)),),
        barcode_data=record.voucher_code or record.number,
    )


def account_statement(
    account: Account,
    customer: str,
    entries: Sequence[tuple[datetime, str, Decimal, str]],
    store: StoreConfig,
    *,
    printed_at: datetime,
) -> SlipDocument:
    """A house account's statement: every charge and payment (made at any lane of the
    store), oldest first, each with the balance after it; what is owed and what is left of
    the limit. ``entries``: (when, kind, amount, reference), a payment below zero."""
    rows = (
        ReportRow("Account", account.number, True),
        ReportRow("Customer", customer),
        ReportRow("Credit limit", _m(store, account.credit_limit)),
        ReportRow("Statement date", _when(store, printed_at)),
    )
    lines: list[ReportRow] = []
    balance = Decimal(0)
    for at, kind, amount, reference in entries:
        balance += amount
        what = "Payment" if kind == "payment" else "Charge"
        lines.append(ReportRow(f"{_when(store, at)[:10]} {what} {reference}", _m(store, amount)))
        lines.append(ReportRow("  balance", _m(store, balance)))
    if not lines:
        lines.append(ReportRow("No charges or payments yet", ""))
    totals = (
        ReportRow("OWED", _m(store, balance), True),
        ReportRow("Left of the limit", _m(store, account.credit_limit - balance)),
    )
    return SlipDocument(
        "HOUSE ACCOUNT STATEMENT",
        store.header,
        rows,
        (ReportSection("Charges and payments", tuple(lines)), ReportSection("Balance", totals)),
        barcode_data=account.number,
    )
