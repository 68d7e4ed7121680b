"""Money taken or paid out at the service desk outside a sale: deposits and payments on
special orders and layaways, payments on a house account, and the refunds of bill
adjustments and cancelled orders.

Each is one ``DeskPayment`` with its tenders (money in) or refund parts (money out, to the
original tenders as ``counter.returns.refunds.allocate_refund`` decided). They need an open shift,
and their cash counts in the drawer: the cash office sums desk tenders with sale tenders
and refunds (``db.shifts.SqlShifts.expected_cash``) and the X/Z reports read their journal
entries.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from counter.cash.drawer import opening_for_return
from counter.errors import TenderError
from counter.i18n import N_, _
from counter.money import ZERO, Currency
from counter.people.users import User
from counter.ports import UnitOfWork
from counter.returns.refunds import RefundPart
from counter.sales.tenders import Tender, TenderKind


class Purpose(enum.StrEnum):
    DEPOSIT = "deposit"  # the first payment of a special order or layaway
    ORDER_PAYMENT = "order_payment"
    ACCOUNT_PAYMENT = "account_payment"
    ORDER_REFUND = "order_refund"  # a cancelled order: what the policy gives back
    PRICE_ADJUSTMENT = "price_adjustment"
    GOODWILL = "goodwill"

    @property
    def label(self) -> str:
        return _(PURPOSE_LABELS[self])

    @property
    def is_refund(self) -> bool:
        return self in (Purpose.ORDER_REFUND, Purpose.PRICE_ADJUSTMENT, Purpose.GOODWILL)


PURPOSE_LABELS = {
    Purpose.DEPOSIT: N_("Deposit"),
    Purpose.ORDER_PAYMENT: N_("Order payment"),
    Purpose.ACCOUNT_PAYMENT: N_("Payment on account"),
    Purpose.ORDER_REFUND: N_("Order cancellation refund"),
    Purpose.PRICE_ADJUSTMENT: N_("Price adjustment"),
    Purpose.GOODWILL: N_("Goodwill credit"),
}


@dataclass(frozen=True)
class DeskPayment:
    id: str
    number: str
    purpose: Purpose
    amount: Decimal  # always positive; ``purpose.is_refund`` says which way it went
    at: datetime
    user_id: str
    terminal_id: str
    customer_id: str | None = None
    order_id: str | None = None
    account_id: str | None = None
    tenders: tuple[Tender, ...] = ()  # money in
    parts: tuple[RefundPart, ...] = ()  # money out
    original_sale_id: str | None = None  # refunds to a sale's tenders (adjustments)
    voucher_code: str | None = None  # store credit issued with a refund
    reference: str = ""

    def journal_tenders(self, currency: Currency) -> list[dict[str, Any]]:
        m = currency.to_minor
        if self.parts:
            return [
                {
                    "kind": str(p.kind),
                    "amount": -m(p.amount),
                    "original_tender": p.original_seq,
                    "reference": self.voucher_code if p.kind is TenderKind.STORE_CREDIT else p.reference,
                    "card_brand": p.card.brand if p.card else None,
                    "card_last4": p.card.last4 if p.card else None,
                    "approval_code": p.reference if p.card else None,
                }
                for p in self.parts
            ]
        return [
            {
                "kind": str(t.kind),
                "amount": m(t.amount),
                "tendered": m(t.tendered),
                "card_brand": t.card.brand if t.card else None,
                "card_last4": t.card.last4 if t.card else None,
                "approval_code": t.card.approval_code if t.card else None,
                "voucher": t.voucher,
            }
            for t in self.tenders
        ]


def payment_fields(payment: DeskPayment, currency: Currency) -> dict[str, Any]:
    """The payment's own fields in a journal body: every column of its desk_payments row
    (counter.projection.desk derives the row from them; the amount is always positive,
    the purpose says which way it went)."""
    return {
        "payment_id": payment.id,
        "number": payment.number,
        "purpose": str(payment.purpose),
        "amount": currency.to_minor(payment.amount),
        "currency": currency.code,
        "customer_id": payment.customer_id,
        "order_id": payment.order_id,
        "account_id": payment.account_id,
        "original_sale_id": payment.original_sale_id,
        "voucher_code": payment.voucher_code,
        "reference": payment.reference,
        "user": payment.user_id,
        "terminal": payment.terminal_id,
    }


def check_tenders(tenders: Sequence[Tender], amount: Decimal, currency: Currency) -> None:
    """Money in at the desk: the tenders pay ``amount`` exactly (cash may give change)."""
    if amount <= 0:
        raise TenderError(_("The amount must be above zero."), _("Type the amount the customer pays."))
    currency.to_minor(amount)
    if not tenders:
        raise TenderError(_("No payment was taken."), _("Take cash or card."))
    paid = sum((t.amount for t in tenders), ZERO)
    if paid != amount:
        raise TenderError(
            _("The payments ({paid}) do not match the amount ({amount}).").format(
                paid=currency.format(paid), amount=currency.format(amount)
            ),
            _("Take the payment again."),
        )
    for t in tenders:
        if t.kind is TenderKind.EXCHANGE_CREDIT or t.kind not in (
            TenderKind.CASH,
            TenderKind.CARD,
            TenderKind.STORE_CREDIT,
        ):
            raise TenderError(_("The desk takes cash, card or store credit."), _("Take the payment again."))
        if t.amount <= 0 or t.tendered < t.amount:
            raise TenderError(_("A payment amount is not valid."), _("Take the payment again."))
        if t.kind is not TenderKind.CASH and t.tendered != t.amount:
            raise TenderError(_("Only cash can give change."), _("Take the payment again."))
        if t.kind is TenderKind.CARD and t.card is None:
            raise TenderError(
                _("A card payment is missing its details."), _("Enter the card's last 4 and approval code.")
            )
        if t.kind is TenderKind.STORE_CREDIT and not t.voucher:
            raise TenderError(_("A store-credit payment is missing its voucher code."), _("Scan the voucher again."))


def record_payment(uow: UnitOfWork, payment: DeskPayment, currency: Currency, cashier: User) -> None:
    """Check that the store credit a desk payment takes can be redeemed, and make the drawer's
    opening due with the commit when it takes or hands out cash (the outbox, keyed by the
    payment's number; app.drawer opens it after the commit, or offers it after a crash).
    The payment's rows (its tenders, its customer link, the redemption) are the projection
    of the journal entry that carries it (``payment_fields`` and ``journal_tenders``;
    counter.projection.desk)."""
    for t in payment.tenders:
        if t.kind is TenderKind.STORE_CREDIT and t.voucher:
            uow.vouchers.check_redeem(t.voucher, t.amount)
    opening = opening_for_return(payment.parts, payment.tenders, cashier, "payment")
    if opening is not None:
        uow.outbox.add_drawer(payment.number, opening, payment.at)
