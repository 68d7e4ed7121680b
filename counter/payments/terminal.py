"""The payment-terminal port: what Counter asks of an integrated card terminal.

The terminal is semi-integrated: the card never touches Counter. Counter sends an amount
and gets back what the terminal decided, with the terminal's own references (its trace and
receipt numbers), the card's brand and last four digits, the approval code and the text of
the terminal's receipt. ``devices.payment`` implements this port for ZVT (over TCP and
serial); a second protocol (nexo / Adyen's local Terminal API) implements the same
protocol beside it.

The port's one hard rule is the line between "not sent" and "sent": a method that cannot
reach the terminal raises ``DeviceError`` (nothing was asked, so nothing was charged); once
the request left Counter, an answer that never arrives comes back as an ``Answer`` whose
outcome is ``UNKNOWN``, never as an exception. ``counter.payments.requests`` journals every
request before it is sent and resolves an unknown outcome by asking the terminal
(``last_transaction``) before anything else happens.

All calls block; callers run them off the GUI thread. ``on_status`` receives the
terminal's intermediate status texts ("Insert card", "Enter PIN", ...) as they arrive, on
the calling thread.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


class Op(enum.StrEnum):
    SALE = "sale"
    REFUND = "refund"  # referenced: names the original payment's reference
    REVERSAL = "reversal"  # of a transaction of today's batch, by its receipt number


class Outcome(enum.StrEnum):
    APPROVED = "approved"  # the money moved
    DECLINED = "declined"  # the card's issuer or the terminal said no (funds, card blocked, ...)
    CANCELLED = "cancelled"  # at the terminal: PIN cancelled, card removed, time-out waiting for the card
    UNKNOWN = "unknown"  # sent, but the answer never arrived: ask the terminal before anything else


@dataclass(frozen=True)
class Answer:
    """What the terminal answered for one sale, refund or reversal.

    ``reference`` is what a later refund or reversal of this transaction names: for ZVT the
    terminal's receipt number and trace number together (``"<receipt>/<trace>"``), which the
    terminal needs and the journal keeps. ``amount_minor`` is what the terminal says it
    approved: the caller checks it against what was asked (a terminal that answers for
    another amount is not trusted).
    """

    outcome: Outcome
    amount_minor: int = 0
    text: str = ""  # the terminal's words, for the cashier ("Declined: insufficient funds")
    result_code: int | None = None  # the protocol's result code (ZVT BMP 27), None when none came
    reference: str = ""
    trace: str = ""  # ZVT BMP 0B
    receipt_no: str = ""  # ZVT BMP 87
    approval_code: str = ""  # ZVT BMP 3B (AID / authorisation code)
    card_brand: str = ""  # e.g. "Visa", "Mastercard", "girocard"
    pan_last4: str = ""  # the last four digits only; never more
    terminal_id: str = ""  # ZVT BMP 29
    at: str = ""  # the terminal's date and time of the transaction, ISO 8601 when known
    receipt_lines: tuple[str, ...] = ()  # the terminal's receipt text (customer copy), for the till's printer

    @property
    def approved(self) -> bool:
        return self.outcome is Outcome.APPROVED


@dataclass(frozen=True)
class BrandTotal:
    count: int
    amount_minor: int


@dataclass(frozen=True)
class DayTotals:
    """The terminal's end of day: what it settled since the last one."""

    ok: bool
    text: str = ""
    count: int = 0
    amount_minor: int = 0  # sales less refunds and reversals, as the terminal counts them
    by_brand: Mapping[str, BrandTotal] = field(default_factory=dict)
    receipt_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class TerminalStatus:
    ready: bool
    text: str  # for the status bar: "Card terminal ready", "Card terminal busy", ...
    terminal_id: str = ""
    busy: bool = False


StatusCallback = Callable[[str], None]


class PaymentTerminal(Protocol):
    """A card terminal Counter drives. Raises ``DeviceError`` when the request could not be
    sent; returns ``Answer(UNKNOWN)`` when it was sent and no answer came."""

    name: str

    def sale(self, amount_minor: int, *, on_status: StatusCallback | None = None) -> Answer: ...

    def refund(self, amount_minor: int, original: str, *, on_status: StatusCallback | None = None) -> Answer:
        """A referenced refund: ``original`` is the ``Answer.reference`` of the payment."""
        ...

    def reverse(self, original: str, *, on_status: StatusCallback | None = None) -> Answer:
        """Reverse a transaction of the current batch (before end of day) by its reference."""
        ...

    def last_transaction(self) -> Answer | None:
        """The terminal's last transaction as it recorded it (ZVT: repeat last receipt), with
        its receipt text; None when it holds none. Used to resolve an unknown outcome."""
        ...

    def status(self) -> TerminalStatus: ...

    def diagnose(self) -> TerminalStatus:
        """The terminal's own check of its host connection (ZVT diagnosis)."""
        ...

    def end_of_day(self) -> DayTotals: ...

    def close(self) -> None: ...
