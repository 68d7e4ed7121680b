"""What the return screen's total box says, from the draft and its quote (no Qt).

The caption and the amount (what is refunded, what the customer pays on top of an
exchange, or an even exchange), then the breakdown: fees kept, where the money goes,
what needs approval or is refused, where the refund goes and the ID taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from counter.returns.draft import ReturnDraft
from counter.returns.model import ReturnQuote


@dataclass(frozen=True)
class Summary:
    caption: str
    value: str
    lines: list[str]


def summarize(quote: ReturnQuote | None, draft: ReturnDraft, money: Callable[[Decimal], str]) -> Summary:
    q = quote
    lines: list[str] = []
    if q is None:
        caption, value = "REFUND", "—"
    elif q.exchange_total:
        if q.to_pay > 0:
            caption, value = "CUSTOMER PAYS", money(q.to_pay)
        elif q.allocation.total > 0:
            caption, value = "REFUND", money(q.allocation.total)
        else:
            caption, value = "EVEN EXCHANGE", money(Decimal(0))
        lines.append(f"Returned items  {money(q.refund_total)}")
        lines.append(f"New items  {money(q.exchange_total)}")
    else:
        caption, value = "REFUND", money(q.refund_total)
    if q is not None:
        if q.fee_total:
            lines.append(f"Restocking fees kept  {money(q.fee_total)}")
        for part in q.allocation.parts:
            lines.append(f"{part.label}  {money(part.amount)}")
        if q.approvals:
            lines.append("Needs approval: " + ", ".join(sorted(k.label for k in q.approvals)))
        for refusal in q.refused:
            lines.append(f"Refused: {refusal}")
    if q is None or q.allocation.total > 0 or not q.exchange_total:
        # nothing is refunded when the customer pays on top of an exchange, or it is even
        lines.append(f"Refund to: {draft.refund_method.label if draft.has_receipt else 'Store credit'}")
    if draft.id_document:
        lines.append(f"ID: {draft.id_document.id_type} …{draft.id_document.last4}")
    return Summary(caption, value, lines)
