"""What the card requests read back from the store (``db/card_requests.py`` implements it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CardAnswerRow:
    outcome: str  # approved | declined | cancelled | failed | not_charged
    how: str  # answer | asked | supervisor
    amount_minor: int
    reference: str
    trace: str
    card_brand: str
    card_last4: str
    approval_code: str
    text: str
    answered_at: str


@dataclass(frozen=True)
class CardRequestRow:
    request_id: str
    op: str  # sale | refund | reversal
    amount_minor: int
    for_kind: str  # sale | return | void
    for_id: str
    seq: int
    total_minor: int | None  # a sale's total when its card payment was asked
    original: str
    prior_trace: str
    sent_at: str
    user_id: str
    answer: CardAnswerRow | None

    @property
    def pending(self) -> bool:
        return self.answer is None

    @property
    def approved(self) -> bool:
        return self.answer is not None and self.answer.outcome == "approved"


@dataclass(frozen=True)
class TillCardTotals:
    """The card transactions the terminal made for this lane since its last end of day, as
    the till journaled them: sales less refunds and reversals."""

    count: int
    amount_minor: int
    since: str  # the last end of day's time ("" before the first)


class CardRequests(Protocol):
    def get(self, request_id: str) -> CardRequestRow | None: ...

    def pending(self, terminal_id: str) -> list[CardRequestRow]:
        """This lane's requests with no answer yet, oldest first."""
        ...

    def last_trace(self, terminal_id: str) -> str:
        """The newest trace number a terminal answer on this lane carried ("" for none)."""
        ...

    def for_purpose(self, for_kind: str, for_id: str) -> list[CardRequestRow]:
        """Every request made for this sale, return or void, oldest first."""
        ...

    def payment_reference(self, sale_id: str, seq: int) -> str | None:
        """The terminal's reference of the approved card payment that is tender ``seq`` of
        sale ``sale_id`` (None: that tender did not go through the terminal)."""
        ...

    def open_refunds(self, terminal_id: str) -> Sequence[CardRequestRow]:
        """Returns' card refunds on this lane that the terminal has not made and that were not
        paid another way: for each (return, seq), its newest request, when not approved."""
        ...

    def till_totals(self, terminal_id: str) -> TillCardTotals: ...
