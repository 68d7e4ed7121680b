"""Documents of the service desk, as data: the case slip (printed, with the case number as
a barcode so the customer can come back with it), the letter to the customer with the
outcome of their case (PDF), receipts of desk payments with the balance still owed, the
agreement of a special order or layaway, the slip of a bill adjustment, and a house
account's statement.

Renderers: ``devices/escpos/slips.py`` (thermal) and ``devices/letters.py`` (PDF).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import ParamSpec, TypeVar

from counter.dates import show_date, show_datetime
from counter.desk.accounts import Account
from counter.desk.adjustments import AdjustmentRecord
from counter.desk.cases import Case
from counter.desk.customers import Customer, format_phone
from counter.desk.orders import Order
from counter.desk.payments import DeskPayment
from counter.desk.referrals import Referral
from counter.documents import ReportRow, ReportSection, StoreHeader
from counter.i18n import N_, _, language, use_language
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
    language: str = ""  # its words' language: the customer's, else the store's


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
    language: str = ""  # its words' language: the customer's, else the store's


#: the letter's first sentence and its subject, by the kind of contact (whole sentences)
_THANKS = {
    "inquiry": N_(
        "Thank you for contacting {store} on {date} about your inquiry: “{subject}”. Your case number is {case}."
    ),
    "complaint": N_(
        "Thank you for contacting {store} on {date} about your complaint: “{subject}”. Your case number is {case}."
    ),
    "comment": N_(
        "Thank you for contacting {store} on {date} about your comment: “{subject}”. Your case number is {case}."
    ),
    "request": N_(
        "Thank you for contacting {store} on {date} about your request: “{subject}”. Your case number is {case}."
    ),
}
_SUBJECTS = {
    "inquiry": N_("Your inquiry about {category}"),
    "complaint": N_("Your complaint about {category}"),
    "comment": N_("Your comment about {category}"),
    "request": N_("Your request about {category}"),
}
_AGREEMENTS = {"layaway": N_("LAYAWAY AGREEMENT"), "special_order": N_("SPECIAL ORDER AGREEMENT")}


P = ParamSpec("P")
D = TypeVar("D")


def _in_their_language(build: Callable[P, D]) -> Callable[P, D]:
    """Makes the document in the language of the customer it is for (when on file), else the
    store's, and notes that language on it for the renderer's own words."""

    @functools.wraps(build)
    def made(*args: P.args, **kwargs: P.kwargs) -> D:
        given = [*args, *kwargs.values()]
        customer = next((a for a in given if isinstance(a, Customer)), None)
        store = next((a for a in given if isinstance(a, StoreConfig)), None)
        with use_language((customer.language if customer else "") or (store.locale if store else "")):
            document = build(*args, **kwargs)
            if isinstance(document, SlipDocument | Letter):
                document = replace(document, language=language())
            return document

    return made


def _m(store: StoreConfig, amount: Decimal) -> str:
    return store.currency.format(amount, store.locale)


def _when(store: StoreConfig, moment: datetime) -> str:
    return show_datetime(moment, store.locale, store.zone)


@_in_their_language
def case_slip(
    case: Case, customer: Customer, store: StoreConfig, printed_at: datetime, referrals: Sequence[Referral] = ()
) -> SlipDocument:
    facts = [
        ReportRow(_("Case"), case.number, True),
        ReportRow(_("Customer"), customer.name),
        ReportRow(_("Opened"), _when(store, case.opened_at)),
        ReportRow(_("About"), _("{kind}, {category}").format(kind=case.kind.label, category=_(case.category))),
        ReportRow(_("Status"), case.status.label),
    ]
    for r in referrals:
        # Translators: the department a case is with, and when it answers
        facts.append(
            ReportRow(
                _("With"), _("{department}, due {date}").format(department=r.department_name, date=r.due_on.isoformat())
            )
        )
    if case.follow_up_on:
        facts.append(ReportRow(_("We call you by"), case.follow_up_on.isoformat()))
    notes = (
        case.subject,
        "",
        _("Bring this slip (or quote the case number) when you come back: the desk scans it."),
        _("Printed {date}").format(date=_when(store, printed_at)),
    )
    return SlipDocument(_("SERVICE CASE"), store.header, tuple(facts), notes=notes, barcode_data=case.number)


@_in_their_language
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
    opened = show_date(case.opened_at, store.locale, store.zone, form="long")
    paragraphs = [
        _(_THANKS[str(case.kind)]).format(
            store=store.name, date=opened, subject=case.subject.rstrip("."), case=case.number
        ),
    ]
    for r in referrals:
        paragraphs.append(
            _("We passed your case to our {department} team, who looked into it.").format(department=r.department_name)
        )
    paragraphs.append(_("The outcome: {outcome}").format(outcome=outcome.strip()))
    if store.phone:
        paragraphs.append(
            _(
                "If anything is still not right, come to the service desk with this letter or call us on {phone}, "
                "quoting case {case}, and we will reopen it."
            ).format(phone=store.phone, case=case.number)
        )
    else:
        paragraphs.append(
            _(
                "If anything is still not right, come to the service desk with this letter or call us, "
                "quoting case {case}, and we will reopen it."
            ).format(case=case.number)
        )
    contact = customer.email or format_phone(customer.phone)
    return Letter(
        store=store.header,
        date_text=show_date(now, store.locale, store.zone, form="long"),
        recipient=recipient,
        reference=case.number,
        subject=_(_SUBJECTS[str(case.kind)]).format(category=_(case.category).lower()),
        salutation=_("Dear {name},").format(name=first),
        paragraphs=tuple(paragraphs),
        signature=(
            _("Yours sincerely,"),
            "",
            signed_by,
            _("Service desk, {store}").format(store=store.name),
        ),
        history=tuple(events) + ((_("Contact on file: {contact}").format(contact=contact),) if contact else ()),
    )


@_in_their_language
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
        ReportRow(_("Receipt"), payment.number, True),
        ReportRow(_("Date"), _when(store, payment.at)),
        ReportRow(_("Customer"), customer),
        ReportRow(_("For"), what),
        ReportRow(_("Cashier"), cashier),
    ]
    tenders = []
    for t in payment.tenders:
        label = (
            t.card.label
            if t.card
            else (_("Store credit {voucher}").format(voucher=t.voucher) if t.voucher else _("Cash"))
        )
        tenders.append(ReportRow(label, _m(store, t.tendered)))
        if t.card:
            # Translators: a card payment's approval code, under the card (keep the two leading spaces)
            tenders.append(ReportRow(_("  approval"), t.card.approval_code))
        if t.kind is TenderKind.CASH and t.change:
            tenders.append(ReportRow(_("Change"), _m(store, t.change)))
    for p in payment.parts:
        if p.kind is TenderKind.CARD and p.card:
            tenders.append(ReportRow(_("Back to {card}").format(card=p.card.label), _m(store, p.amount)))
        elif p.kind is TenderKind.STORE_CREDIT:
            tenders.append(
                ReportRow(_("Store credit {voucher}").format(voucher=payment.voucher_code), _m(store, p.amount))
            )
        else:
            tenders.append(ReportRow(_("Cash refunded"), _m(store, p.amount)))
    total_label = _("REFUNDED") if payment.purpose.is_refund else _("PAID")
    sections = [
        ReportSection(payment.purpose.label, (ReportRow(total_label, _m(store, payment.amount), True), *tenders))
    ]
    if owed_after is not None:
        sections.append(ReportSection(_("Balance"), (ReportRow(_("Still owed"), _m(store, owed_after), True),)))
    return SlipDocument(
        payment.purpose.label.upper(),
        store.header,
        tuple(rows),
        tuple(sections),
        barcode_data=payment.voucher_code or payment.number,
        copy_number=copy_number,
    )


@_in_their_language
def order_agreement(
    order: Order, customer: Customer, store: StoreConfig, payment: DeskPayment | None, cashier: str
) -> SlipDocument:
    def money(amount: Decimal) -> str:
        return _m(store, amount)

    facts = (
        ReportRow(_("Agreement"), order.number, True),
        ReportRow(_("Date"), _when(store, order.created_at)),
        ReportRow(_("Customer"), customer.name),
        ReportRow(_("Phone"), format_phone(customer.phone) or customer.email),
        ReportRow(_("Collect by"), order.terms.due_on.isoformat(), True),
        ReportRow(_("Cashier"), cashier),
    )
    items = tuple(
        ReportRow(
            _("{quantity} × {item}").format(quantity=ln.quantity, item=ln.item.name), money(ln.item.price * ln.quantity)
        )
        for ln in order.lines
    )
    totals = (
        ReportRow(_("Tax"), money(order.tax)),
        ReportRow(_("TOTAL"), money(order.total), True),
        ReportRow(_("Paid today") if payment else _("Paid"), money(order.paid)),
        ReportRow(_("BALANCE DUE"), money(order.balance), True),
    )
    terms = order.terms.lines(order.kind, money, store.locale)
    return SlipDocument(
        _(_AGREEMENTS[str(order.kind)]),
        store.header,
        facts,
        (ReportSection(_("Items"), items), ReportSection(_("Amounts"), totals)),
        notes=(_("Terms:"), *(f"- {t}" for t in terms)),
        barcode_data=order.number,
        signature_lines=(_("Customer's signature"), _("For the store")),
    )


@_in_their_language
def adjustment_slip(record: AdjustmentRecord, store: StoreConfig, cashier: str) -> SlipDocument:
    q = record.quote
    facts = [
        ReportRow(_("Adjustment"), record.number, True),
        ReportRow(_("Date"), _when(store, record.at)),
        ReportRow(_("Kind"), record.kind.label),
        ReportRow(_("Reason"), record.reason),
        ReportRow(_("Cashier"), cashier),
    ]
    if record.receipt:
        facts.append(ReportRow(_("On receipt"), record.receipt))
    if q.line_name:
        facts.append(ReportRow(_("Item"), _("{quantity} × {item}").format(quantity=record.quantity, item=q.line_name)))
        facts.append(ReportRow(_("Paid / now"), f"{_m(store, q.unit_paid)} / {_m(store, q.unit_new)}"))
    if record.competitor:
        facts.append(ReportRow(_("Matched"), record.competitor))
    rows = [ReportRow(_("Tax"), _m(store, q.tax)), ReportRow(_("GIVEN BACK"), _m(store, q.gross), True)]
    for p in q.allocation.parts:
        if p.kind is TenderKind.CARD and p.card:
            rows.append(ReportRow(_("To {card}").format(card=p.card.label), _m(store, p.amount)))
        elif p.kind is TenderKind.STORE_CREDIT:
            rows.append(ReportRow(_("Store credit {voucher}").format(voucher=record.voucher_code), _m(store, p.amount)))
        else:
            rows.append(ReportRow(_("Cash"), _m(store, p.amount)))
    return SlipDocument(
        record.kind.label.upper(),
        store.header,
        tuple(facts),
        (ReportSection(_("Refund"), tuple(rows)),),
        barcode_data=record.voucher_code or record.number,
    )


@_in_their_language
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
        ReportRow(_("Account"), account.number, True),
        ReportRow(_("Customer"), customer),
        ReportRow(_("Credit limit"), _m(store, account.credit_limit)),
        ReportRow(_("Statement date"), _when(store, printed_at)),
    )
    lines: list[ReportRow] = []
    balance = Decimal(0)
    for at, kind, amount, reference in entries:
        balance += amount
        line = _("{date} Payment {reference}") if kind == "payment" else _("{date} Charge {reference}")
        lines.append(ReportRow(line.format(date=_when(store, at)[:10], reference=reference), _m(store, amount)))
        # Translators: the account's balance after the line above (keep the two leading spaces)
        lines.append(ReportRow(_("  balance"), _m(store, balance)))
    if not lines:
        lines.append(ReportRow(_("No charges or payments yet"), ""))
    totals = (
        ReportRow(_("OWED"), _m(store, balance), True),
        ReportRow(_("Left of the limit"), _m(store, account.credit_limit - balance)),
    )
    return SlipDocument(
        _("HOUSE ACCOUNT STATEMENT"),
        store.header,
        rows,
        (ReportSection(_("Charges and payments"), tuple(lines)), ReportSection(_("Balance"), totals)),
        barcode_data=account.number,
    )
