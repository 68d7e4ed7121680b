"""The rules a service-desk journal entry must meet before HQ projects it (the desk's part
of ``counter.trust.entry_rules``): orders and their deposits, payments, pickups and
cancellations, house accounts and their charges and payments, bill adjustments, cases,
contacts and referrals.

What HQ can derive it checks, and what it cannot it bounds:

* a payment's tenders add up to the payment (money in: each tender above zero, cash alone
  gives change; money out: every part below zero), and the payment is of the order or
  account the entry names, taken at the lane that pushes it;
* an order's total follows from its lines (with or without its tax), its deposit is within
  its terms, a cancellation refunds what was paid less what it keeps;
* a charge to a house account is what its sale put on the account (``house_account``
  tenders), a payment on account is above zero;
* a lane's word on a balance (``balance``, ``deposits_applied``, ``paid``, ``owed_after``)
  is never stored: HQ recomputes balances from the payment rows. It is checked against
  them: a lane cannot know of a payment HQ does not hold (its own earlier ones came first
  in its journal, other lanes' reach it through HQ), so it may claim *less* paid than HQ
  holds (another lane paid offline: kept, for HQ's exception report) but never more than
  was paid in (another lane's refund may be unknown to it); and
  when every payment HQ holds was taken by this very lane, the claim must be exact.

Pure functions and plain values, no I/O: HQ feeds in what it holds (``HeldOrder``,
``HeldAccount``, ``SaleFacts``) and ``DeskRules`` advances them through the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from counter.desk.adjustments import AdjustmentKind
from counter.desk.cases import CaseStatus, ContactKind
from counter.desk.orders import OrderKind
from counter.desk.referrals import TOLD_HOW, Priority
from counter.trust.entry_fields import (
    MAX_MINOR,
    Broken as _Broken,
    dict_field as _dict,
    int_field as _int,
    list_field as _list,
    str_field as _str,
)
from counter.trust.entry_rules import MAX_LINES, MAX_QTY, MAX_TENDERS, EntryRefused

ORDER_EVENTS: Final = frozenset({"OrderOpened", "OrderPaymentTaken", "OrderPickedUp", "OrderCancelled"})
ACCOUNT_EVENTS: Final = frozenset({"AccountOpened", "AccountCharged", "AccountPaymentTaken"})
CASE_EVENTS: Final = frozenset(
    {
        "ContactLogged",
        "CaseStatusChanged",
        "CaseResolved",
        "CaseClosed",
        "CaseReopened",
        "FollowUpRecorded",
        "LetterIssued",
        "CaseReferred",
        "ReferralNoted",
        "ReferralAnswered",
        "ReferralReassigned",
        "CustomerInformed",
    }
)
#: Every event HQ projects into its desk tables.
DESK_KINDS: Final = ORDER_EVENTS | ACCOUNT_EVENTS | CASE_EVENTS | {"BillAdjusted"}
#: The events whose rules need what HQ holds of an order, an account or a sale.
NEEDS_ORDER: Final = frozenset({"OrderPaymentTaken", "OrderPickedUp", "OrderCancelled"})
NEEDS_ACCOUNT: Final = frozenset({"AccountCharged", "AccountPaymentTaken"})
NEEDS_SALE: Final = frozenset({"OrderPickedUp", "AccountCharged"})

MONEY_IN: Final = frozenset({"cash", "card", "store_credit"})
MAX_LINKS = 50
DATE_LEN = 10  # 2026-12-01


@dataclass
class HeldOrder:
    """An order as HQ holds it: its total, status and what its payment rows sum to (refunds
    below zero), the lanes that took those payments, and what its refunds paid back."""

    order_id: str
    number: str
    total: int
    status: str
    paid: int
    lanes: frozenset[str] = frozenset()
    refunded: int = 0


@dataclass
class HeldAccount:
    """A house account as HQ holds it: its limit, what its entries sum to (charges +,
    payments −) and the lanes that recorded them."""

    account_id: str
    number: str
    credit_limit: int
    owed: int
    lanes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SaleFacts:
    """What a sale paid, by tender kind (``house_account``, ``deposit``, ...), and its total."""

    total: int
    by_kind: Mapping[str, int] = field(default_factory=dict)


def named_ids(kind: str, body: Any) -> tuple[str | None, str | None, str | None]:
    """(order id, account id, sale id) the entry's rules need HQ's rows of (None: none)."""
    if type(body) is not dict:
        return None, None, None

    def text(name: str) -> str | None:
        value = body.get(name)
        return value if type(value) is str and 0 < len(value) <= 36 else None

    return (
        text("order_id") if kind in NEEDS_ORDER else None,
        text("account_id") if kind in NEEDS_ACCOUNT else None,
        text("sale_id") if kind in NEEDS_SALE else None,
    )


# ------------------------------------------------------------------------- payments


def _payment(p: Any, where: str, purposes: frozenset[str], terminal: str, **names: Any) -> tuple[str, int]:
    """A desk payment's own fields (``payment_fields``): its id and amount (always above
    zero), of one of ``purposes``, taken at ``terminal``, naming ``names`` (order_id=...)."""
    p = _dict(p, where)
    payment_id = _str(p.get("payment_id"), f"{where} payment_id", 36)
    _str(p.get("number"), f"{where} number", 32)
    purpose = p.get("purpose")
    if purpose not in purposes:
        raise _Broken("bad_shape", f"{where} is a {purpose!r} payment; it must be {' or '.join(sorted(purposes))}")
    amount = _int(p.get("amount"), f"{where} amount", low=1)
    if "terminal" in p and p["terminal"] != terminal:
        raise _Broken("another_lane", f"{where} says it was taken at {p['terminal']!r}, not at this lane {terminal}")
    for name, value in names.items():
        if p.get(name) != value:
            raise _Broken("bad_shape", f"{where} is of {name} {p.get(name)!r}, not of {value!r}")
    _str(p.get("currency"), f"{where} currency", 3, optional=True)
    for name in ("customer_id", "order_id", "account_id", "original_sale_id", "user"):
        _str(p.get(name), f"{where} {name}", 36, optional=True)
    _str(p.get("voucher_code"), f"{where} voucher_code", 16, optional=True)
    _str(p.get("reference"), f"{where} reference", 36, optional=True, empty=True)
    assert payment_id is not None
    return payment_id, amount


def money_in(tenders: Any, amount: int, where: str) -> None:
    """Tenders that pay ``amount`` exactly: cash, card or store credit, each above zero;
    cash alone may be handed over above what it pays (change)."""
    paid = 0
    for n, raw in enumerate(_list(tenders, f"{where} tenders", MAX_TENDERS), start=1):
        t = _dict(raw, f"{where} tender {n}")
        kind = t.get("kind")
        if kind not in MONEY_IN:
            raise _Broken("bad_tender", f"{where} tender {n} is {kind!r}; the desk takes cash, card or store credit")
        value = _int(t.get("amount"), f"{where} tender {n} amount", low=1)
        tendered = _int(t.get("tendered"), f"{where} tender {n} tendered", low=1)
        if tendered < value or (kind != "cash" and tendered != value):
            raise _Broken("bad_tender", f"{where} tender {n}: {tendered} handed over for {value} ({kind})")
        last4 = _str(t.get("card_last4"), f"{where} tender {n} card_last4", 4, optional=True)
        if last4 is not None and not (len(last4) == 4 and last4.isascii() and last4.isdigit()):
            raise _Broken("bad_text", f"{where} tender {n} card_last4 must be 4 digits")
        _str(t.get("card_brand"), f"{where} tender {n} card_brand", 32, optional=True)
        _str(t.get("approval_code"), f"{where} tender {n} approval_code", 12, optional=True, empty=True)
        _str(t.get("voucher"), f"{where} tender {n} voucher", 16, optional=True)
        paid += value
    if paid != amount:
        raise _Broken("settlement", f"{where}: the tenders pay {paid}, the payment is {amount}")


def money_out(parts: Any, amount: int, where: str) -> None:
    """Refund parts that pay ``amount`` back: each below zero, together ``amount``."""
    back = 0
    for n, raw in enumerate(_list(parts, f"{where} parts", MAX_TENDERS), start=1):
        t = _dict(raw, f"{where} part {n}")
        _str(t.get("kind"), f"{where} part {n} kind", 16)
        back -= _int(t.get("amount"), f"{where} part {n} amount", low=-(MAX_MINOR - 1), high=-1)
        _int(t.get("original_tender", 1) or 1, f"{where} part {n} original_tender", low=1, high=MAX_TENDERS)
        _str(t.get("reference"), f"{where} part {n} reference", 64, optional=True, empty=True)
    if back != amount:
        raise _Broken("settlement", f"{where}: the refund parts pay back {back}, the refund is {amount}")


# ---------------------------------------------------------------------------- cases

#: The text fields of each case event: (field, longest, optional)
_CASE_FIELDS: Final[dict[str, tuple[tuple[str, int, bool], ...]]] = {
    "ContactLogged": (
        ("contact_id", 36, False),
        ("case_id", 36, False),
        ("case_number", 32, False),
        ("customer_id", 36, False),
        ("category", 64, False),
        ("handled_by", 36, False),
    ),
    "FollowUpRecorded": (("case_id", 36, False), ("case_number", 32, False), ("user", 36, False)),
    "LetterIssued": (("case_id", 36, False), ("case_number", 32, False), ("user", 36, False), ("kind", 24, False)),
    "CaseReferred": (
        ("referral_id", 36, False),
        ("case_id", 36, False),
        ("case_number", 32, False),
        ("department", 32, False),
        ("department_name", 80, True),
        ("user", 36, False),
    ),
    "ReferralNoted": (("referral_id", 36, False), ("case_id", 36, False), ("user", 36, False)),
    "CustomerInformed": (("referral_id", 36, False), ("case_id", 36, False), ("user", 36, False)),
    "CaseStatusChanged": (("case_id", 36, False), ("case_number", 32, False), ("user", 36, False)),
}
_CASE_FIELDS["ReferralAnswered"] = _CASE_FIELDS["ReferralNoted"]
_CASE_FIELDS["ReferralReassigned"] = (
    *_CASE_FIELDS["ReferralNoted"],
    ("department", 32, False),
    ("department_name", 80, True),
)
for _kind in ("CaseResolved", "CaseClosed", "CaseReopened"):
    _CASE_FIELDS[_kind] = _CASE_FIELDS["CaseStatusChanged"]

_STATUSES: Final = frozenset(str(s) for s in CaseStatus)


def _one_of(value: Any, allowed: frozenset[str] | tuple[str, ...], where: str) -> None:
    if value not in allowed:
        raise _Broken("bad_shape", f"{where} is {value!r}; it must be one of {', '.join(sorted(allowed))}")


def _date(value: Any, where: str, *, optional: bool = False) -> None:
    text = _str(value, where, DATE_LEN, optional=optional)
    if text is not None and not (len(text) == DATE_LEN and text[4] == "-" and text[7] == "-"):
        raise _Broken("bad_text", f"{where} must be a date (YYYY-MM-DD), not {text!r}")


def check_case_event(kind: str, b: dict[str, Any]) -> None:
    for name, longest, optional in _CASE_FIELDS[kind]:
        _str(b.get(name), name, longest, optional=optional)
    if kind == "ContactLogged":
        _one_of(b.get("kind"), frozenset(str(k) for k in ContactKind), "the contact's kind")
        if type(b.get("new_case")) is not bool:
            raise _Broken("bad_shape", "new_case must be true or false")
        _date(b.get("follow_up_on"), "follow_up_on", optional=True)
        for n, raw in enumerate(_list(b.get("links", []), "links", MAX_LINKS, empty=True), start=1):
            ln = _dict(raw, f"link {n}")
            _str(ln.get("kind"), f"link {n} kind", 16)
            _str(ln.get("number"), f"link {n} number", 32)
    elif kind in ("CaseStatusChanged", "CaseResolved", "CaseClosed", "CaseReopened"):
        _one_of(b.get("from"), _STATUSES, "the status it changes from")
        _one_of(b.get("to"), _STATUSES, "the status it changes to")
    elif kind == "FollowUpRecorded":
        if type(b.get("done")) is not bool:
            raise _Broken("bad_shape", "done must be true or false")
        _date(b.get("due"), "due", optional=bool(b["done"]))
    elif kind == "CaseReferred":
        _one_of(b.get("priority"), frozenset(str(p) for p in Priority), "the priority")
        _date(b.get("due"), "due")
    elif kind == "CustomerInformed":
        _one_of(b.get("how"), TOLD_HOW, "how the customer was told")
    elif kind == "ReferralReassigned":
        _date(b.get("due"), "due")


# ---------------------------------------------------------------------------- rules


class DeskRules:
    """The desk's rules over one lane's batch, in order. ``orders``, ``accounts``: what HQ
    holds of the orders and accounts the batch names (locked by the caller); ``sales``:
    what the sales the batch's pickups and charges name paid, by tender kind. Each entry
    that passes advances them for the next."""

    def __init__(
        self,
        terminal_id: str,
        orders: Mapping[str, HeldOrder] | None = None,
        accounts: Mapping[str, HeldAccount] | None = None,
        sales: Mapping[str, SaleFacts] | None = None,
    ) -> None:
        self.terminal = terminal_id
        self.orders: dict[str, HeldOrder] = dict(orders or {})
        self.accounts: dict[str, HeldAccount] = dict(accounts or {})
        self.sales: dict[str, SaleFacts] = dict(sales or {})
        self._money: dict[str, Callable[[dict[str, Any]], None]] = {
            "OrderOpened": self._order_opened,
            "OrderPaymentTaken": self._order_payment,
            "OrderPickedUp": self._order_picked_up,
            "OrderCancelled": self._order_cancelled,
            "AccountOpened": self._account_opened,
            "AccountCharged": self._account_charged,
            "AccountPaymentTaken": self._account_payment,
        }

    def check(self, seq: int, kind: str, body: Any) -> None:
        """``EntryRefused`` when the entry breaks a rule; a sale is remembered for the
        pickups and charges after it."""
        try:
            if kind == "SaleCompleted":
                self._note_sale(body)
            elif kind in DESK_KINDS:
                b = _dict(body, "the body")
                if kind in CASE_EVENTS:
                    check_case_event(kind, b)
                elif kind in self._money:
                    self._money[kind](b)
                else:
                    check_adjustment(b, self.terminal)
        except _Broken as exc:
            raise EntryRefused(seq, exc.rule, exc.message) from None

    def _note_sale(self, body: Any) -> None:
        if type(body) is not dict or type(body.get("sale_id")) is not str or type(body.get("tenders")) is not list:
            return  # entry_rules.check_sale judges it
        by_kind: dict[str, int] = {}
        for t in body["tenders"]:
            if type(t) is dict and type(t.get("kind")) is str and type(t.get("amount")) is int:
                by_kind[t["kind"]] = by_kind.get(t["kind"], 0) + t["amount"]
        total = body.get("total")
        self.sales[body["sale_id"]] = SaleFacts(total if type(total) is int else 0, by_kind)

    # -------------------------------------------------------------------- orders

    def _held_order(self, b: dict[str, Any], verb: str) -> HeldOrder:
        order_id = _str(b.get("order_id"), "order_id", 36)
        _str(b.get("number"), "number", 32, optional=True)
        held = self.orders.get(str(order_id))
        if held is None:
            number = b.get("number") if type(b.get("number")) is str else order_id
            raise _Broken("unknown_record", f"it {verb} order {number}, which HQ does not hold for this store")
        return held

    def _claims_paid(self, held: HeldOrder, claimed: int, what: str) -> None:
        """A lane's word on what the order was paid before this entry, against HQ's rows
        (another lane's refund may be unknown to it: a payment taken offline after another
        lane cancelled the order is kept, for HQ's exception report)."""
        if claimed > held.paid + held.refunded or (held.lanes <= {self.terminal} and claimed != held.paid):
            raise _Broken(
                "balance",
                f"{what}; HQ's payment rows of order {held.number} say {held.paid} was paid of its {held.total}",
            )

    def _order_opened(self, b: dict[str, Any]) -> None:
        order_id = _str(b.get("order_id"), "order_id", 36)
        number = _str(b.get("number"), "number", 32)
        _one_of(b.get("kind"), frozenset(str(k) for k in OrderKind), "the order's kind")
        for name in ("customer_id", "user"):
            _str(b.get(name), name, 36)
        _str(b.get("currency"), "currency", 3, optional=True)
        _date(b.get("due"), "due")
        net = 0
        for n, raw in enumerate(_list(b.get("lines"), "lines", MAX_LINES), start=1):
            ln = _dict(raw, f"line {n}")
            for name, longest in (("item_id", 36), ("sku", 48)):
                _str(ln.get(name), f"line {n} {name}", longest)
            net += _int(ln.get("qty"), f"line {n} qty", low=1, high=MAX_QTY) * _int(
                ln.get("unit_price"), f"line {n} unit_price"
            )
        total = _int(b.get("total"), "total")
        tax = _int(b.get("tax"), "tax")
        if total not in (net, net + tax) or tax > total:
            raise _Broken(
                "order_total", f"the total {total} does not follow from the lines ({net}) and their tax ({tax})"
            )
        if _int(b.get("cancel_fee"), "cancel_fee") > total:
            raise _Broken("order_total", f"the cancellation fee is more than the total {total}")
        if type(b.get("deposit_refundable")) is not bool:
            raise _Broken("bad_shape", "deposit_refundable must be true or false")
        deposit = _dict(b.get("deposit"), "the deposit")
        _, amount = _payment(deposit, "the deposit", frozenset({"deposit"}), self.terminal, order_id=order_id)
        money_in(deposit.get("tenders"), amount, "the deposit")
        least = b.get("min_deposit", 0)
        if amount < _int(least, "min_deposit") or amount > total:
            raise _Broken("deposit", f"the deposit {amount} is not within {least}..{total} (the terms and the total)")
        assert order_id is not None and number is not None
        self.orders[order_id] = HeldOrder(order_id, number, total, "open", amount, frozenset({self.terminal}))

    def _order_payment(self, b: dict[str, Any]) -> None:
        held = self._held_order(b, "pays")
        payment = _dict(b.get("payment"), "the payment")
        kinds = frozenset({"order_payment"})
        _, amount = _payment(payment, "the payment", kinds, self.terminal, order_id=held.order_id)
        money_in(payment.get("tenders"), amount, "the payment")
        balance = _int(b.get("balance"), "balance")
        self._claims_paid(
            held,
            held.total - amount - balance,
            f"the payment of {amount} says {balance} is left to pay; that is {held.total - amount - balance} "
            "paid before it",
        )
        self.orders[held.order_id] = replace(held, paid=held.paid + amount, lanes=held.lanes | {self.terminal})

    def _order_picked_up(self, b: dict[str, Any]) -> None:
        held = self._held_order(b, "hands over")
        sale_id = _str(b.get("sale_id"), "sale_id", 36)
        _str(b.get("receipt_number"), "receipt_number", 32)
        applied = _int(b.get("deposits_applied"), "deposits_applied")
        self._claims_paid(held, applied, f"the pickup applies {applied} paid before")
        sale = self.sales.get(str(sale_id))
        if sale is not None and (sale.total != held.total or sale.by_kind.get("deposit", 0) != applied):
            raise _Broken(
                "pickup",
                f"the pickup's sale comes to {sale.total} with {sale.by_kind.get('deposit', 0)} paid before; "
                f"order {held.number} is {held.total} with {applied} applied",
            )
        self.orders[held.order_id] = replace(held, status="picked_up")

    def _order_cancelled(self, b: dict[str, Any]) -> None:
        held = self._held_order(b, "cancels")
        paid = _int(b.get("paid"), "paid")
        kept = _int(b.get("kept"), "kept")
        self._claims_paid(held, paid, f"the cancellation says {paid} was paid")
        refund = b.get("refund")
        back = 0
        if refund is not None:
            refund = _dict(refund, "the refund")
            kinds = frozenset({"order_refund"})
            _, back = _payment(refund, "the refund", kinds, self.terminal, order_id=held.order_id)
            money_out(refund.get("tenders"), back, "the refund")
        if kept + back != paid:
            raise _Broken("refund", f"it keeps {kept} and refunds {back} of the {paid} paid")
        self.orders[held.order_id] = replace(
            held,
            status="cancelled",
            paid=held.paid - back,
            lanes=held.lanes | {self.terminal},
            refunded=held.refunded + back,
        )

    # ------------------------------------------------------------------ accounts

    def _held_account(self, b: dict[str, Any], verb: str) -> HeldAccount:
        account_id = _str(b.get("account_id"), "account_id", 36)
        _str(b.get("number"), "number", 32, optional=True)
        held = self.accounts.get(str(account_id))
        if held is None:
            number = b.get("number") if type(b.get("number")) is str else account_id
            raise _Broken("unknown_record", f"it {verb} house account {number}, which HQ does not hold for this store")
        return held

    def _claims_owed(self, held: HeldAccount, claimed: int, what: str) -> None:
        """A lane's word on what the account owed before this entry: exact when every entry
        HQ holds of the account is this lane's (another lane's may be unknown to it)."""
        if held.lanes <= {self.terminal} and claimed != held.owed:
            raise _Broken("balance", f"{what}; HQ's entries of account {held.number} say {held.owed} was owed")

    def _account_opened(self, b: dict[str, Any]) -> None:
        account_id = _str(b.get("account_id"), "account_id", 36)
        number = _str(b.get("number"), "number", 32)
        for name in ("customer_id", "user"):
            _str(b.get(name), name, 36)
        limit = _int(b.get("credit_limit"), "credit_limit", low=1)
        assert account_id is not None and number is not None
        self.accounts[account_id] = HeldAccount(account_id, number, limit, 0, frozenset({self.terminal}))

    def _account_charged(self, b: dict[str, Any]) -> None:
        held = self._held_account(b, "charges")
        sale_id = _str(b.get("sale_id"), "sale_id", 36)
        receipt = _str(b.get("receipt_number"), "receipt_number", 32)
        _str(b.get("user"), "user", 36)
        amount = _int(b.get("amount"), "amount", low=1)
        sale = self.sales.get(str(sale_id))
        if sale is not None and sale.by_kind.get("house_account", 0) != amount:
            raise _Broken(
                "charge",
                f"the charge of {amount} is not what sale {receipt} put on the account "
                f"({sale.by_kind.get('house_account', 0)})",
            )
        after = _int(b.get("owed_after"), "owed_after")
        self._claims_owed(held, after - amount, f"the charge of {amount} says {after} is owed after it")
        self.accounts[held.account_id] = replace(held, owed=held.owed + amount, lanes=held.lanes | {self.terminal})

    def _account_payment(self, b: dict[str, Any]) -> None:
        held = self._held_account(b, "takes a payment on")
        payment_id = _str(b.get("payment_id"), "payment_id", 36)
        _str(b.get("payment_number"), "payment_number", 32)
        _str(b.get("user"), "user", 36)
        amount = _int(b.get("amount"), "amount", low=1)
        fields = _dict(b.get("desk_payment"), "desk_payment")
        kinds = frozenset({"account_payment"})
        pid, paid = _payment(fields, "desk_payment", kinds, self.terminal, account_id=held.account_id)
        if (pid, paid) != (payment_id, amount):
            raise _Broken("bad_shape", f"desk_payment is {pid} of {paid}, the entry's payment {payment_id} of {amount}")
        money_in(b.get("tenders"), amount, "the payment")
        after = _int(b.get("owed_after"), "owed_after")
        self._claims_owed(held, after + amount, f"the payment of {amount} says {after} is owed after it")
        self.accounts[held.account_id] = replace(held, owed=held.owed - amount, lanes=held.lanes | {self.terminal})


# ------------------------------------------------------------------- adjustments


def check_adjustment(b: dict[str, Any], terminal: str) -> None:
    """A bill adjustment: its refund adds up to its gross, which follows from its amount
    and tax, and its parts pay it back."""
    for name, longest in (("adjustment_id", 36), ("payment_id", 36), ("cashier", 36)):
        _str(b.get(name), name, longest)
    for name in ("number", "payment_number"):
        _str(b.get(name), name, 32)
    _one_of(b.get("kind"), frozenset(str(k) for k in AdjustmentKind), "the adjustment's kind")
    for name in ("sale_id", "sale_line_id", "customer_id"):
        _str(b.get(name), name, 36, optional=True)
    _str(b.get("currency"), "currency", 3)
    _str(b.get("competitor"), "competitor", 120, optional=True, empty=True)
    _int(b.get("qty"), "qty", high=MAX_QTY)
    amount, tax, gross = (_int(b.get(n), n) for n in ("amount", "tax", "gross"))
    if gross not in (amount, amount + tax):
        raise _Broken("adjustment", f"gross {gross} does not follow from amount {amount} and tax {tax}")
    fields = _dict(b.get("desk_payment"), "desk_payment")
    kinds = frozenset({"price_adjustment", "goodwill"})
    pid, paid = _payment(fields, "desk_payment", kinds, terminal)
    if (pid, paid) != (b["payment_id"], gross):
        raise _Broken("adjustment", f"the refund {pid} of {paid} is not the adjustment's {b['payment_id']} of {gross}")
    money_out(b.get("refunds"), gross, "the refund")
