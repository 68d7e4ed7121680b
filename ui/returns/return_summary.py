"""What the return screen's total box says, from the draft and its quote (no Qt).

The caption and the amount (what is refunded, what the customer pays on top of an
exchange, or an even exchange), then the breakdown: fees kept, where the money goes,
what needs approval or is refused, where the refund goes and the ID taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from counter.i18n import _
from counter.returns.draft import ReturnDraft
from counter.returns.model import ReturnQuote


@dataclass(frozen=True)
class Summary:
    caption: str
    value: str
    lines: list[str]


def refund_caption() -> str:
    # Translators: the caption over the amount refunded (capitals)
    return _("REFUND")


def summarize(quote: ReturnQuote | None, draft: ReturnDraft, money: Callable[[Decimal], str]) -> Summary:
    q = quote
    lines: list[str] = []
    if q is None:
        caption, value = refund_caption(), "—"
    elif q.exchange_total:
        if q.to_pay > 0:
            # Translators: the caption over what the customer pays on top of an exchange (capitals)
            caption, value = _("CUSTOMER PAYS"), money(q.to_pay)
        elif q.allocation.total > 0:
            caption, value = refund_caption(), money(q.allocation.total)
        else:
            # Translators: the caption of an exchange where nobody pays (capitals)
            caption, value = _("EVEN EXCHANGE"), money(Decimal(0))
        lines.append(_("Returned items  {amount}").format(amount=money(q.refund_total)))
        lines.append(_("New items  {amount}").format(amount=money(q.exchange_total)))
    else:
        caption, value = refund_caption(), money(q.refund_total)
    if q is not None:
        if q.fee_total:
            lines.append(_("Restocking fees kept  {amount}").format(amount=money(q.fee_total)))
        for part in q.allocation.parts:
            lines.append(f"{part.label}  {money(part.amount)}")
        if q.approvals:
            kinds = ", ".join(sorted(k.label for k in q.approvals))
            lines.append(_("Needs approval: {kinds}").format(kinds=kinds))
        for refusal in q.refused:
            lines.append(_("Refused: {refusal}").format(refusal=refusal))
    if q is None or q.allocation.total > 0 or not q.exchange_total:
        # nothing is refunded when the customer pays on top of an exchange, or it is even
        to = draft.refund_method.label if draft.has_receipt else _("Store credit")
        lines.append(_("Refund to: {method}").format(method=to))
    if draft.id_document:
        # Translators: the customer's ID taken for the return: its type and last characters
        lines.append(
            _("ID: {id_type} …{last4}").format(id_type=draft.id_document.id_type, last4=draft.id_document.last4)
        )
    return Summary(caption, value, lines)
