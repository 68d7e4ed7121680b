"""Where a refund goes: back to the tenders that paid, capped per tender, in a set order.

Order for a refund "to the original tenders":

1. cards, back to the card that paid (the original approval code is the reference),
   each capped at what that card paid minus what was already refunded to it;
2. store credit that paid, back onto a store-credit voucher;
3. cash, capped at the cash the sale took (net of change) minus cash already refunded,
   and never more than the cash expected in the drawer.

A refund asked for as store credit goes wholly onto a new voucher (always allowed). A
refund asked for in cash when the sale was not paid in cash needs approval
(DIFFERENT_TENDER); any cash refund above the store's limit needs approval too.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from counter.errors import CounterError
from counter.i18n import _
from counter.money import ZERO
from counter.returns.policy import ApprovalKind, ReturnRules
from counter.sales.tenders import CardDetails, TenderKind


class RefundError(CounterError):
    """A refund that cannot be paid out as asked."""


class RefundMethod(enum.StrEnum):
    ORIGINAL = "original"
    STORE_CREDIT = "store_credit"
    CASH = "cash"

    @property
    def label(self) -> str:
        if self is RefundMethod.ORIGINAL:
            return _("To the original payment")
        if self is RefundMethod.STORE_CREDIT:
            return _("Store credit")
        # Translators: a refund paid in cash
        return _("Cash")


@dataclass(frozen=True)
class PaidTender:
    """A tender of the original sale, with what has already been refunded to it."""

    seq: int
    kind: TenderKind
    amount: Decimal  # what it paid of the sale (cash: net of change)
    refunded: Decimal = ZERO
    card: CardDetails | None = None
    voucher: str | None = None

    @property
    def refundable(self) -> Decimal:
        return self.amount - self.refunded


@dataclass(frozen=True)
class RefundPart:
    kind: TenderKind
    amount: Decimal
    original_seq: int | None = None
    card: CardDetails | None = None
    #: the original payment's reference (card approval code) or the voucher code
    reference: str = ""

    @property
    def label(self) -> str:
        if self.kind is TenderKind.CARD and self.card:
            # Translators: where a refund goes; {card} is "Visa •••• 4242"
            return _("Back to {card}").format(card=self.card.label)
        if self.kind is TenderKind.STORE_CREDIT:
            return _("Store credit voucher")
        # Translators: a refund paid in cash
        return _("Cash")


@dataclass(frozen=True)
class Allocation:
    parts: tuple[RefundPart, ...]
    approvals: frozenset[ApprovalKind]

    @property
    def cash(self) -> Decimal:
        return sum((p.amount for p in self.parts if p.kind is TenderKind.CASH), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.parts), ZERO)


def allocate_refund(
    total: Decimal,
    paid: Sequence[PaidTender],
    method: RefundMethod,
    *,
    drawer_cash: Decimal,
    rules: ReturnRules,
    format_money: Callable[[Decimal], str] = str,
) -> Allocation:
    """Split ``total`` over refund tenders. Raises RefundError with what to do instead."""
    if total < 0:
        raise RefundError(_("A refund cannot be negative."), _("Check the returned lines."))
    approvals: set[ApprovalKind] = set()
    parts: list[RefundPart] = []
    if total == 0:
        return Allocation((), frozenset())
    if method is RefundMethod.STORE_CREDIT:
        parts.append(RefundPart(TenderKind.STORE_CREDIT, total))
    elif method is RefundMethod.CASH:
        if any(t.kind is not TenderKind.CASH and t.refundable > 0 for t in paid) or not paid:
            approvals.add(ApprovalKind.DIFFERENT_TENDER)
        parts.append(RefundPart(TenderKind.CASH, total))
    else:
        left = total
        for kind in (TenderKind.CARD, TenderKind.STORE_CREDIT, TenderKind.CASH):
            for tender in paid:
                if left == 0 or tender.kind is not kind or tender.refundable <= 0:
                    continue
                take = min(left, tender.refundable)
                reference = tender.card.approval_code if tender.card else (tender.voucher or "")
                parts.append(RefundPart(kind, take, tender.seq, tender.card, reference))
                left -= take
        if left > 0:
            # Only when the sale had no refundable tender left (or no receipt): store credit.
            parts.append(RefundPart(TenderKind.STORE_CREDIT, left))
    cash = sum((p.amount for p in parts if p.kind is TenderKind.CASH), ZERO)
    if cash > drawer_cash:
        raise RefundError(
            _("The refund needs {cash} in cash, but the drawer should hold only {drawer}.").format(
                cash=format_money(cash), drawer=format_money(drawer_cash)
            ),
            _("Refund as store credit (F8), or ask a manager to bring cash to the drawer."),
        )
    if cash > rules.cash_refund_approval_over:
        approvals.add(ApprovalKind.CASH_REFUND_OVER_LIMIT)
    return Allocation(tuple(parts), frozenset(approvals))


def describe_allocation(
    allocation: Allocation,
    money: Callable[[Decimal], str],
    voucher_code: str | None,
    on_terminal: frozenset[int] = frozenset(),
) -> str:
    """What the person at the counter does with a refund, part by part, as one clause list
    ("refund $5.00 on the card terminal to Visa •••• 4242 (original approval A1B2); give
    $3.00 cash"): for returns and for the desk's bill adjustments alike. The card parts
    whose original tender is in ``on_terminal`` go through the integrated terminal by
    themselves: they are said as what happens, not as something to key."""
    parts = []
    for part in allocation.parts:
        if part.kind is TenderKind.CARD and part.card and part.original_seq in on_terminal:
            parts.append(
                _("{amount} goes back to {card} through the card terminal").format(
                    amount=money(part.amount), card=part.card.label
                )
            )
        elif part.kind is TenderKind.CARD and part.card and part.reference:
            parts.append(
                _("refund {amount} on the card terminal to {card} (original approval {code})").format(
                    amount=money(part.amount), card=part.card.label, code=part.reference
                )
            )
        elif part.kind is TenderKind.CARD and part.card:
            parts.append(
                _("refund {amount} on the card terminal to {card}").format(
                    amount=money(part.amount), card=part.card.label
                )
            )
        elif part.kind is TenderKind.STORE_CREDIT:
            parts.append(
                _("store credit {amount} on voucher {voucher}").format(
                    amount=money(part.amount), voucher=voucher_code or _("(none)")
                )
            )
        else:
            parts.append(_("give {amount} cash").format(amount=money(part.amount)))
    return "; ".join(parts)
