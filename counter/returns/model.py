"""The value types of returns: what the ledger says was returned, a returnable line and
its cumulative proration, the command (ProcessReturn), the quote a screen shows and the
handler records, and the errors. Behaviour lives in ``counter.returns.process``, which re-exports
these names."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from counter.catalog import Item
from counter.errors import CounterError
from counter.i18n import N_, _
from counter.money import ZERO, Currency
from counter.people.users import User
from counter.returns.policy import (
    ApprovalKind,
    Condition,
    Disposition,
    LineDecision,
    Reason,
    ReturnPolicy,
    Status,
    disposition_for,
)
from counter.returns.proration import LineShare, prorate_line
from counter.returns.refunds import Allocation, PaidTender, RefundMethod
from counter.sales.checkout import CompleteSale
from counter.sales.sale import Sale, SaleLine
from counter.sync.upstream import RemoteSale
from counter.trust.carddata import refuse_card_data

#: the kinds of ID a no-receipt return takes; kept as they are (English) in the customer hint,
#: shown through ``_()``
ID_TYPES = (N_("Driver's license"), N_("State ID"), N_("Passport"), N_("Military ID"), N_("Other"))


class ReturnError(CounterError):
    """A return that cannot be recorded as asked."""


class ApprovalNeeded(ReturnError):
    def __init__(self, kinds: frozenset[ApprovalKind], amount: Decimal, money: str) -> None:
        names = ", ".join(sorted(k.label for k in kinds))
        super().__init__(
            _("A supervisor must approve: {approvals} ({amount}).").format(approvals=names, amount=money),
            _("Press F9 and ask a supervisor to enter their PIN."),
        )
        self.kinds = kinds
        self.amount = amount


@dataclass(frozen=True)
class Returned:
    """What has been returned of one sale line so far (from the ledger)."""

    quantity: int = 0
    amount: Decimal = ZERO
    tax: Decimal = ZERO
    gross: Decimal = ZERO
    #: the part of the money above that price adjustments gave back (no unit came back for it)
    adjusted_gross: Decimal = ZERO


@dataclass(frozen=True)
class ReturnableLine:
    line: SaleLine
    returned: Returned
    category_id: str

    @property
    def returnable(self) -> int:
        return self.line.quantity - self.returned.quantity

    @property
    def unit_paid(self) -> Decimal:
        """What one unit cost the customer, tax included (for display; refunds prorate)."""
        return self.line.gross / self.line.quantity

    def refund_for(self, k: int, currency: Currency, prices_include_tax: bool) -> LineShare:
        """(amount, tax, gross) refunded for k more units (``counter.returns.proration.prorate_line``).

        Without bill adjustments the whole line is shared over its units, cumulatively.
        After a price adjustment (``counter.desk.adjustments``) the line's units no longer hold
        equal shares of what was paid: what is left of the line is shared over the units
        left, by the same function, so the line still adds up to what the customer paid."""
        if not 0 < k <= self.returnable:
            raise ReturnError(
                _("Only {returnable} of {name} can still be returned.").format(
                    returnable=self.returnable, name=self.line.name
                ),
                _("Lower the quantity to return."),
            )
        line, done = self.line, self.returned
        if done.adjusted_gross:
            pool_gross, pool_tax, units = line.gross - done.gross, line.tax - done.tax, self.returnable
            done_gross, done_tax, done_units = ZERO, ZERO, 0
        else:
            pool_gross, pool_tax, units = line.gross, line.tax, line.quantity
            done_gross, done_tax, done_units = done.gross, done.tax, done.quantity
        return prorate_line(
            gross=pool_gross,
            tax=pool_tax,
            units=units,
            done_gross=done_gross,
            done_tax=done_tax,
            done_units=done_units,
            k=k,
            currency=currency,
            prices_include_tax=prices_include_tax,
        )


@dataclass(frozen=True)
class CustomerId:
    """An ID shown for a no-receipt return. Only a hash and the last 4 characters are kept."""

    id_type: str
    number: str

    @classmethod
    def checked(cls, id_type: str, number: str) -> CustomerId:
        number = number.strip().upper().replace(" ", "").replace("-", "")
        if id_type not in ID_TYPES:
            raise ReturnError(_("Pick the type of ID from the list."), "")
        if not (4 <= len(number) <= 20 and number.isalnum()):
            raise ReturnError(_("The ID number must be 4 to 20 letters or digits."), _("Type it as printed on the ID."))
        refuse_card_data(number, "as an ID: a payment card is not an ID")
        return cls(id_type, number)

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.id_type}|{self.number}".encode()).hexdigest()

    @property
    def last4(self) -> str:
        return self.number[-4:]


@dataclass(frozen=True)
class ReturnLineRequest:
    """One line the customer brings back. ``sale_line_id`` for receipted returns; ``item``
    and ``unit_price`` (the lowest recent price) for no-receipt returns."""

    quantity: int
    reason: Reason
    condition: Condition
    sale_line_id: str | None = None
    item: Item | None = None
    unit_price: Decimal | None = None
    #: where the unit goes; None: what the condition proposes (``disposition_for``)
    disposition: Disposition | None = None

    @property
    def goes_to(self) -> Disposition:
        return self.disposition or disposition_for(self.condition)


@dataclass(frozen=True)
class ExchangeSale:
    """The new items of an exchange, and how the customer pays any difference."""

    sale: CompleteSale


@dataclass(frozen=True)
class ProcessReturn:
    request_id: str  # the draft's id; approvals are bound to it
    cashier: User
    lines: tuple[ReturnLineRequest, ...]
    refund_method: RefundMethod
    original_receipt: str | None = None
    id_document: CustomerId | None = None  # the ID shown for a return without a receipt
    waive_fees: bool = False
    exchange: ExchangeSale | None = None
    customer: str | None = None  # the customer record (counter.desk.customers) the desk attached


@dataclass(frozen=True)
class QuotedLine:
    request: ReturnLineRequest
    name: str
    sku: str
    item_id: str
    sale_line_id: str | None
    tax_code: str
    tax_rate: Decimal
    amount: Decimal
    tax: Decimal
    gross: Decimal
    fee: Decimal
    decision: LineDecision

    @property
    def refund(self) -> Decimal:
        return self.gross - self.fee


@dataclass(frozen=True)
class ReturnQuote:
    """Everything the screen shows and the handler records, computed the same way."""

    lines: tuple[QuotedLine, ...]
    allocation: Allocation
    exchange_total: Decimal  # the new items' total (0 without exchange)
    exchange_credit: Decimal  # refund value used to pay the new items
    approvals: frozenset[ApprovalKind]
    refused: tuple[str, ...]  # non-overridable refusals

    @property
    def refund_total(self) -> Decimal:
        """The value of what comes back (after fees)."""
        return sum((ln.refund for ln in self.lines), ZERO)

    @property
    def fee_total(self) -> Decimal:
        return sum((ln.fee for ln in self.lines), ZERO)

    @property
    def to_pay(self) -> Decimal:
        """What the customer still pays in an exchange (0 when the store refunds)."""
        return self.exchange_total - self.exchange_credit

    @property
    def status(self) -> Status:
        return max((ln.decision.status for ln in self.lines), default=Status.ALLOWED)


@dataclass
class ReturnContext:
    """What a quote needs from the store, loaded in one place (inside the uow for commits)."""

    sale: Sale | None
    returnable: dict[str, ReturnableLine] = field(default_factory=dict)
    paid: tuple[PaidTender, ...] = ()
    policies: Mapping[str, ReturnPolicy] = field(default_factory=dict)
    drawer_cash: Decimal = ZERO
    customer_recent_no_receipt: Decimal = ZERO
    #: what a return without receipt refunds per unit of each item (by item id): the lowest
    #: price it sold at in the store's window, or its shelf price if lower. Worked out here
    #: from the sales that verify covers, never taken from the screen's request.
    no_receipt_prices: Mapping[str, Decimal] = field(default_factory=dict)
    remote: RemoteSale | None = None  # the sale came from HQ (another lane or store)
