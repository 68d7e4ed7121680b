"""The return policy engine: small pure functions that decide each returned line.

Input: the line being returned (sold when, at what price, its category's policy), what
the cashier says about it (quantity, reason, condition), whether there is a receipt, the
store's rules and the clock. Output: a ``LineDecision`` with a status and the reasons in
words a cashier can read out to the customer.

* ALLOWED: refund as computed.
* CONDITIONS: allowed, with a restocking fee or "store credit only" (the reasons say which).
* NEEDS_APPROVAL: a supervisor must approve (the approval kinds say for what).
* REFUSED: cannot be returned; ``overridable`` says whether a supervisor may still allow it.

Policies are data (``ReturnPolicy`` per category, ``ReturnRules`` per store), stored in the
database, edited in the policy settings screen and (later) synced from HQ.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from counter.i18n import N_, _


class Reason(enum.StrEnum):
    WRONG_SIZE = "wrong_size"
    DEFECTIVE = "defective"
    CHANGED_MIND = "changed_mind"
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    GIFT = "unwanted_gift"
    PRICE = "better_price_elsewhere"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _(REASON_LABELS[self])


#: English (marked with N_); ``Reason.label`` is the shown, translated one
REASON_LABELS = {
    Reason.WRONG_SIZE: N_("Wrong size or fit"),
    # Translators: a reason for a return: the item does not work
    Reason.DEFECTIVE: N_("Defective"),
    Reason.CHANGED_MIND: N_("Changed mind"),
    Reason.NOT_AS_DESCRIBED: N_("Not as described"),
    Reason.DAMAGED_IN_TRANSIT: N_("Arrived damaged"),
    Reason.GIFT: N_("Unwanted gift"),
    Reason.PRICE: N_("Found a better price"),
    # Translators: a reason for a return, none of the listed ones
    Reason.OTHER: N_("Other"),
}


class Condition(enum.StrEnum):
    NEW = "new"  # unopened, resaleable
    OPENED = "opened"  # opened or used lightly, resaleable as open-box
    DAMAGED = "damaged"  # damaged by the customer
    DEFECTIVE = "defective"  # does not work: a product fault

    @property
    def label(self) -> str:
        return _(CONDITION_LABELS[self])


#: English (marked with N_); ``Condition.label`` is the shown, translated one
CONDITION_LABELS = {
    Condition.NEW: N_("New, unopened"),
    # Translators: the condition of a returned unit: opened or lightly used
    Condition.OPENED: N_("Opened"),
    # Translators: the condition of a returned unit: damaged by the customer
    Condition.DAMAGED: N_("Damaged"),
    # Translators: the condition of a returned unit: it does not work
    Condition.DEFECTIVE: N_("Defective"),
}


class Disposition(enum.StrEnum):
    """Where a returned unit goes. The condition proposes one (``disposition_for``); the
    cashier can change it within what the condition allows (``allowed_dispositions``):
    a defective or damaged unit never goes back on the shelf as new."""

    RESTOCK = "restock"  # back to stock, sold as new
    OPEN_BOX = "open_box"  # sold again as open box
    RETURN_TO_VENDOR = "return_to_vendor"  # back to the maker or supplier (on the RTV list)
    SCRAP = "scrap"  # written off
    DAMAGED = "damaged"  # written off as damaged: what entries before "scrap" recorded; not offered

    @property
    def label(self) -> str:
        return _(DISPOSITION_LABELS[self])


#: English (marked with N_); ``Disposition.label`` is the shown, translated one
DISPOSITION_LABELS = {
    Disposition.RESTOCK: N_("Back to stock"),
    # Translators: where a returned unit goes: sold again as an opened ("open box") item
    Disposition.OPEN_BOX: N_("Open box"),
    Disposition.RETURN_TO_VENDOR: N_("Return to vendor"),
    # Translators: where a returned unit goes: thrown away, written off
    Disposition.SCRAP: N_("Scrap"),
    Disposition.DAMAGED: N_("Written off (damaged)"),
}

_ALLOWED: dict[Condition, tuple[Disposition, ...]] = {
    Condition.NEW: (Disposition.RESTOCK, Disposition.OPEN_BOX, Disposition.RETURN_TO_VENDOR, Disposition.SCRAP),
    Condition.OPENED: (Disposition.OPEN_BOX, Disposition.RETURN_TO_VENDOR, Disposition.SCRAP),
    Condition.DAMAGED: (Disposition.SCRAP, Disposition.RETURN_TO_VENDOR, Disposition.OPEN_BOX),
    Condition.DEFECTIVE: (Disposition.RETURN_TO_VENDOR, Disposition.SCRAP),
}


def disposition_for(condition: Condition) -> Disposition:
    """What a unit in this condition proposes: the first it allows."""
    return _ALLOWED[condition][0]


def allowed_dispositions(condition: Condition) -> tuple[Disposition, ...]:
    """Where a unit in this condition may go, the proposed one first."""
    return _ALLOWED[condition]


#: the condition a reason proposes, until the cashier says otherwise
_REASON_CONDITION = {Reason.DEFECTIVE: Condition.DEFECTIVE, Reason.DAMAGED_IN_TRANSIT: Condition.DAMAGED}


def condition_for(reason: Reason, current: Condition) -> Condition:
    """The condition a reason sets: defective → defective, arrived damaged → damaged; any
    other reason keeps ``current``."""
    return _REASON_CONDITION.get(reason, current)


class ApprovalKind(enum.StrEnum):
    OUT_OF_WINDOW = "out_of_window"
    NO_RECEIPT = "no_receipt"
    CASH_REFUND_OVER_LIMIT = "cash_refund_over_limit"
    FEE_WAIVER = "fee_waiver"
    DIFFERENT_TENDER = "different_tender"
    CUSTOMER_LIMIT = "customer_limit"
    DAMAGED_ITEM = "damaged_item"
    FINAL_SALE = "final_sale"
    PRICE_OVERRIDE = "price_override"
    NO_SALE = "no_sale"
    PRICE_ADJUSTMENT = "price_adjustment"
    PRICE_MATCH = "price_match"
    GOODWILL = "goodwill"
    VOID_PAID = "void_paid"  # voiding a sale after payments were taken, giving them back
    CARD_OUTCOME = "card_outcome"  # settling a card payment's unknown outcome from the terminal's own slip
    CARD_MANUAL = "card_manual"  # a card keyed by hand from a standalone terminal while the integrated one is set up
    CARD_REFUND_OTHER_WAY = "card_refund_other_way"  # a card refund the terminal did not make, paid another way

    @property
    def label(self) -> str:
        return _(APPROVAL_LABELS[self])


#: English (marked with N_); ``ApprovalKind.label`` is the shown, translated one
APPROVAL_LABELS = {
    ApprovalKind.OUT_OF_WINDOW: N_("return after the return window"),
    ApprovalKind.NO_RECEIPT: N_("return without a receipt"),
    ApprovalKind.CASH_REFUND_OVER_LIMIT: N_("cash refund above the limit"),
    ApprovalKind.FEE_WAIVER: N_("waiving the restocking fee"),
    ApprovalKind.DIFFERENT_TENDER: N_("refund to a different tender than paid"),
    ApprovalKind.CUSTOMER_LIMIT: N_("no-receipt returns above the customer's limit"),
    ApprovalKind.DAMAGED_ITEM: N_("taking back an item the customer damaged"),
    ApprovalKind.FINAL_SALE: N_("taking back a final-sale item"),
    ApprovalKind.PRICE_OVERRIDE: N_("a price override"),
    ApprovalKind.NO_SALE: N_("opening the cash drawer without a sale"),
    ApprovalKind.PRICE_ADJUSTMENT: N_("a price adjustment on a past purchase"),
    ApprovalKind.PRICE_MATCH: N_("matching a competitor's price"),
    ApprovalKind.GOODWILL: N_("a goodwill credit"),
    ApprovalKind.VOID_PAID: N_("voiding a sale and giving back what was paid"),
    ApprovalKind.CARD_OUTCOME: N_("settling a card payment's outcome by hand"),
    ApprovalKind.CARD_MANUAL: N_("a card payment keyed by hand"),
    ApprovalKind.CARD_REFUND_OTHER_WAY: N_("paying a failed card refund another way"),
}


class Status(enum.IntEnum):
    """Ordered from best to worst, so a return's overall status is the max of its lines."""

    ALLOWED = 0
    CONDITIONS = 1
    NEEDS_APPROVAL = 2
    REFUSED = 3

    @property
    def label(self) -> str:
        return _(STATUS_LABELS[self.value])


#: English (marked with N_) by ``Status`` value; ``Status.label`` is the shown, translated one
STATUS_LABELS = {
    0: N_("Allowed"),
    1: N_("Allowed with conditions"),
    2: N_("Needs approval"),
    # Translators: the status of a return line the policy does not allow
    3: N_("Refused"),
}


@dataclass(frozen=True)
class ReturnPolicy:
    """A category's return policy."""

    category_id: str
    return_days: int = 30
    final_sale: bool = False
    receipt_required: bool = False
    #: percent of the refund kept when an item comes back opened (0 = none)
    restocking_fee_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class ReturnRules:
    """The store's rules around returns and refunds (amounts in the store's currency)."""

    #: a cash refund above this needs a supervisor
    cash_refund_approval_over: Decimal = Decimal("100.00")
    #: no-receipt returns: refunded as store credit only, at the lowest price of these days
    no_receipt_lowest_price_days: int = 90
    #: no-receipt returns above this total need a supervisor (0 = always)
    no_receipt_approval_over: Decimal = Decimal("0.00")
    #: no-receipt refunds per customer ID within the rolling window, before approval
    no_receipt_customer_limit: Decimal = Decimal("150.00")
    no_receipt_window_days: int = 30


@dataclass(frozen=True)
class LineFacts:
    """What the engine needs to know about one line being returned."""

    sold_at: datetime | None  # None for no-receipt returns
    policy: ReturnPolicy
    condition: Condition
    reason: Reason
    has_receipt: bool


@dataclass(frozen=True)
class LineDecision:
    status: Status
    reasons: tuple[str, ...] = ()
    approvals: frozenset[ApprovalKind] = frozenset()
    restocking_fee_percent: Decimal = Decimal(0)
    store_credit_only: bool = False
    overridable: bool = True

    @property
    def summary(self) -> str:
        if not self.reasons:
            return self.status.label
        # Translators: a return line's policy status, then why ("Refused: bought 30 days ago; ...")
        return _("{status}: {reasons}").format(status=self.status.label, reasons="; ".join(self.reasons))


@dataclass
class _Builder:
    status: Status = Status.ALLOWED
    reasons: list[str] = field(default_factory=list)
    approvals: set[ApprovalKind] = field(default_factory=set)
    fee: Decimal = Decimal(0)
    credit_only: bool = False
    overridable: bool = True

    def worse(self, status: Status, reason: str) -> None:
        self.status = max(self.status, status)
        self.reasons.append(reason)

    def need(self, kind: ApprovalKind, reason: str) -> None:
        self.approvals.add(kind)
        self.worse(Status.NEEDS_APPROVAL, reason)

    def refuse(self, reason: str, *, overridable_by: ApprovalKind | None) -> None:
        self.worse(Status.REFUSED, reason)
        if overridable_by is None:
            self.overridable = False
        else:
            self.approvals.add(overridable_by)

    def build(self) -> LineDecision:
        return LineDecision(
            self.status, tuple(self.reasons), frozenset(self.approvals), self.fee, self.credit_only, self.overridable
        )


def decide_line(facts: LineFacts, now: datetime) -> LineDecision:
    """Decide one line. Pure: the same facts and clock give the same decision."""
    b = _Builder()
    policy = facts.policy
    if policy.final_sale:
        b.refuse(_("final-sale item: not returnable"), overridable_by=ApprovalKind.FINAL_SALE)
    if not facts.has_receipt:
        if policy.receipt_required:
            b.refuse(_("this item is returned only with its receipt"), overridable_by=None)
        b.credit_only = True
        if b.status < Status.CONDITIONS:
            b.status = Status.CONDITIONS
        b.reasons.append(_("no receipt: store credit only, at the lowest recent price"))
    elif facts.sold_at is not None:
        deadline = facts.sold_at + timedelta(days=policy.return_days)
        if now > deadline:
            days = (now - facts.sold_at).days
            b.refuse(
                _("bought {days} days ago; the return window is {window} days").format(
                    days=days, window=policy.return_days
                ),
                overridable_by=ApprovalKind.OUT_OF_WINDOW,
            )
    if facts.condition is Condition.DAMAGED and facts.reason is not Reason.DAMAGED_IN_TRANSIT:
        b.need(ApprovalKind.DAMAGED_ITEM, _("damaged by the customer"))
    if facts.condition is Condition.OPENED and policy.restocking_fee_percent > 0:
        b.fee = policy.restocking_fee_percent
        if b.status < Status.CONDITIONS:
            b.status = Status.CONDITIONS
        b.reasons.append(
            _("opened: {percent} % restocking fee").format(percent=f"{policy.restocking_fee_percent.normalize():f}")
        )
    return b.build()
