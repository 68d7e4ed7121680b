"""Taking payment: cash with change and cash rounding, and cards paid on an external terminal.

Counter never sees a card number. A card tender records only what the external terminal
prints: the brand, the last four digits and the approval code.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from counter.errors import TenderError
from counter.i18n import _
from counter.money import ZERO, Currency, round_to_coin

CARD_BRANDS = ("Visa", "Mastercard", "American Express", "Discover", "Debit", "Other")
_APPROVAL = re.compile(r"^[A-Za-z0-9]{2,12}$")


class TenderKind(enum.StrEnum):
    CASH = "cash"
    CARD = "card"
    STORE_CREDIT = "store_credit"  # a store-credit voucher, by its code
    EXCHANGE_CREDIT = "exchange_credit"  # the value of items returned in the same exchange
    DEPOSIT = "deposit"  # what a special order or layaway was paid before its pickup (counter.desk.orders)
    HOUSE_ACCOUNT = "house_account"  # charged to the customer's house account (counter.desk.accounts)


@dataclass(frozen=True)
class CardDetails:
    brand: str
    last4: str
    approval_code: str

    @classmethod
    def checked(cls, brand: str, last4: str, approval_code: str) -> CardDetails:
        last4 = last4.strip()
        approval_code = approval_code.strip().upper()
        if brand not in CARD_BRANDS:
            raise TenderError(
                _("“{brand}” is not a card brand we take.").format(brand=brand), _("Pick the brand from the list.")
            )
        if not (len(last4) == 4 and last4.isdigit()):
            # Never echo what was typed: it may be a whole card number.
            raise TenderError(
                _("Enter only the last 4 digits of the card."),
                _("They are printed on the terminal's slip, e.g. **** 4242."),
            )
        if not _APPROVAL.match(approval_code):
            raise TenderError(
                _("The approval code is missing or not valid."),
                _("Copy the 2 to 12 letters or digits from the terminal's slip."),
            )
        return cls(brand, last4, approval_code)

    @property
    def label(self) -> str:
        return f"{self.brand} •••• {self.last4}"


@dataclass(frozen=True)
class Tender:
    kind: TenderKind
    amount: Decimal  # what this tender pays of the sale (after cash rounding)
    tendered: Decimal  # handed over; equal to amount except for cash with change
    card: CardDetails | None = None
    voucher: str | None = None

    @property
    def change(self) -> Decimal:
        return self.tendered - self.amount

    @property
    def label(self) -> str:
        if self.card:
            return self.card.label
        if self.kind is TenderKind.STORE_CREDIT:
            return _("Store credit {voucher}").format(voucher=self.voucher)
        if self.kind is TenderKind.EXCHANGE_CREDIT:
            return _("Exchange credit")
        if self.kind is TenderKind.DEPOSIT:
            return _("Paid before (deposits)")
        if self.kind is TenderKind.HOUSE_ACCOUNT:
            return _("Charged to house account")
        # Translators: a payment in cash, as a receipt lists it
        return _("Cash")

    def journal_body(self, minor: Callable[[Decimal], int]) -> dict[str, Any]:
        """The tender as journal bodies hold it (``SaleCompleted``, ``PartPaymentTaken``,
        ``SaleVoided``): money in minor units, a card by brand, last 4 and approval code only."""
        return {
            "kind": str(self.kind),
            "amount": minor(self.amount),
            "tendered": minor(self.tendered),
            "card_brand": self.card.brand if self.card else None,
            "card_last4": self.card.last4 if self.card else None,
            "approval_code": self.card.approval_code if self.card else None,
            # the voucher a store-credit tender redeemed (HQ moves its balance for every lane)
            **({"voucher": self.voucher} if self.voucher else {}),
        }


@dataclass(frozen=True)
class TakenBefore:
    """Part payments journaled for a sale that was neither completed nor voided: Counter
    stopped in between. The next person to sign in gives them back (counter.sales.voids)."""

    sale_id: str
    total: Decimal  # the sale's total when they were taken
    tenders: tuple[Tender, ...]


@dataclass
class Payment:
    """The tenders taken so far for one sale; complete when nothing is due.

    Cash rounding applies only to the cash part: when cash settles what is left, the
    amount left is rounded to the smallest coin and the difference is the sale's
    ``rounding`` (signed; it belongs to the store's rounding account).

    On the sale screen a tender that leaves something due is journaled as it is taken
    (``counter.sales.part_payments``): ``recorded`` counts those, and ``sale_id`` is the id
    they name, which the sale keeps when it completes (or its void, when it is voided).
    """

    total: Decimal
    currency: Currency
    smallest_coin: Decimal
    tenders: list[Tender] = field(default_factory=list)
    rounding: Decimal = ZERO
    sale_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    recorded: int = 0  # the first ``recorded`` tenders are journaled as part payments

    @property
    def paid(self) -> Decimal:
        return sum((t.amount for t in self.tenders), ZERO)

    @property
    def remaining(self) -> Decimal:
        return self.total + self.rounding - self.paid

    @property
    def is_complete(self) -> bool:
        return self.remaining == 0 and bool(self.tenders)

    @property
    def change(self) -> Decimal:
        return sum((t.change for t in self.tenders), ZERO)

    @property
    def cash_due(self) -> Decimal:
        """What the customer must hand over to settle the rest in cash."""
        return round_to_coin(self.remaining, self.smallest_coin)

    def add_card(self, amount: Decimal, card: CardDetails) -> Tender:
        self._check_open()
        if amount <= 0:
            raise TenderError(_("A card payment must be above zero."), _("Type the amount charged."))
        if amount > self.remaining:
            raise TenderError(
                _("The card amount is more than the {due} still due.").format(due=self.currency.format(self.remaining)),
                _("Charge only what is due; cash back is not given on cards here."),
            )
        self.currency.to_minor(amount)
        tender = Tender(TenderKind.CARD, amount, amount, card)
        self.tenders.append(tender)
        return tender

    def add_store_credit(self, amount: Decimal, voucher: str, balance: Decimal) -> Tender:
        """Pay with a store-credit voucher; its balance is checked again when the sale commits."""
        self._check_open()
        if amount <= 0:
            raise TenderError(
                _("The store-credit amount must be above zero."), _("Type the amount to take from the voucher.")
            )
        if amount > balance:
            raise TenderError(
                _("Voucher {voucher} holds only {balance}.").format(
                    voucher=voucher, balance=self.currency.format(balance)
                ),
                _("Take that much from it and the rest with another tender."),
            )
        if amount > self.remaining:
            raise TenderError(
                _("Only {due} is due.").format(due=self.currency.format(self.remaining)),
                _("Take that much from the voucher."),
            )
        if any(t.voucher == voucher for t in self.tenders):
            raise TenderError(
                _("Voucher {voucher} is already used in this sale.").format(voucher=voucher),
                _("Use another tender for the rest."),
            )
        tender = Tender(TenderKind.STORE_CREDIT, amount, amount, voucher=voucher)
        self.tenders.append(tender)
        return tender

    def add_exchange_credit(self, amount: Decimal) -> Tender:
        self._check_open()
        tender = Tender(TenderKind.EXCHANGE_CREDIT, amount, amount)
        self.tenders.append(tender)
        return tender

    def add_cash(self, tendered: Decimal, *, part_payment: bool = False) -> Tender:
        """Take cash. Less than what is due is refused unless the cashier said it is a
        part payment (the rest then goes on another tender)."""
        self._check_open()
        self.currency.to_minor(tendered)
        due = self.cash_due
        if tendered <= 0 and due > 0:
            raise TenderError(_("The cash amount must be above zero."), _("Type what the customer hands over."))
        if tendered < due and not part_payment:
            raise TenderError(
                _("{tendered} is less than the {due} due.").format(
                    tendered=self.currency.format(tendered), due=self.currency.format(due)
                ),
                _("Take more cash, or take this as a part payment and the rest by card."),
            )
        if tendered >= due:
            self.rounding += due - self.remaining
            tender = Tender(TenderKind.CASH, due, tendered)
        else:
            tender = Tender(TenderKind.CASH, tendered, tendered)
        self.tenders.append(tender)
        return tender

    def _check_open(self) -> None:
        if self.is_complete:
            raise TenderError(_("This sale is already paid."), _("Start a new sale."))
