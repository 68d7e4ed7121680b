"""counter.trust.desk_rules: what HQ checks of a desk entry before projecting it. Each rule
is shown passing for the honest body and refusing one change to it, naming the rule; the
batch state (an order opened, then paid, then paid again in one push) carries through.

The order: 2 × 10.00 plus 1.65 tax = 21.65, a 10.00 cash deposit, opened at T01."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from counter.trust.desk_rules import DeskRules, HeldAccount, HeldOrder, SaleFacts, named_ids
from counter.trust.entry_rules import EntryRefused

ORDER, ACCOUNT, SALE = "o-1", "a-1", "s-1"


def tenders(*amounts: int, kind: str = "cash") -> list[dict[str, Any]]:
    return [{"kind": kind, "amount": a, "tendered": a} for a in amounts]


def payment(purpose: str, amount: int, parts: list[dict[str, Any]], **names: Any) -> dict[str, Any]:
    return {
        "payment_id": f"p-{purpose}-{amount}",
        "number": f"S01-T01-P{amount:05d}",
        "purpose": purpose,
        "amount": amount,
        "currency": "USD",
        "customer_id": "c-1",
        "user": "u-1",
        "terminal": "T01",
        "reference": "S01-T01-L00001",
        "tenders": parts,
        **names,
    }


def opened(**changes: Any) -> dict[str, Any]:
    body = {
        "order_id": ORDER, "number": "S01-T01-L00001", "kind": "layaway", "customer_id": "c-1", "user": "u-1",
        "lines": [{"line_no": 1, "item_id": "i-1", "sku": "SKU-1", "qty": 2, "unit_price": 1000}],
        "currency": "USD", "min_deposit": 433, "total": 2165, "tax": 165, "due": "2027-01-30", "cancel_fee": 500,
        "deposit_refundable": True, "deposit": payment("deposit", 1000, tenders(1000), order_id=ORDER),
    }  # fmt: skip
    return {**body, **changes}


def paid(amount: int, balance: int, parts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    pay = payment("order_payment", amount, tenders(amount) if parts is None else parts, order_id=ORDER)
    return {"order_id": ORDER, "number": "S01-T01-L00001", "payment": pay, "balance": balance, "user": "u-1"}


def refused(rules: DeskRules, kind: str, body: Any) -> tuple[str, str]:
    with pytest.raises(EntryRefused) as info:
        rules.check(7, kind, body)
    return info.value.rule, info.value.message


def held(paid_: int = 1000, lanes: frozenset[str] = frozenset({"T01"}), status: str = "open") -> DeskRules:
    return DeskRules("T01", {ORDER: HeldOrder(ORDER, "S01-T01-L00001", 2165, status, paid_, lanes)})


# ------------------------------------------------------------------------ orders


def test_an_order_is_opened_paid_twice_and_picked_up_in_one_batch() -> None:
    rules = DeskRules("T01")
    rules.check(1, "OrderOpened", opened())
    rules.check(2, "OrderPaymentTaken", paid(500, 665))
    rules.check(3, "OrderPaymentTaken", paid(165, 500, tenders(100, 65, kind="card")))
    rules.check(4, "SaleCompleted", {"sale_id": SALE, "total": 2165, "tenders": tenders(1665, kind="deposit")})
    picked = {"order_id": ORDER, "number": "x", "sale_id": SALE, "receipt_number": "R1", "deposits_applied": 1665}
    rules.check(5, "OrderPickedUp", picked)
    assert (rules.orders[ORDER].paid, rules.orders[ORDER].status) == (1665, "picked_up")
    assert refused(rules, "OrderPickedUp", {**picked, "deposits_applied": 1000})[0] == "balance"


@pytest.mark.parametrize(
    ("change", "rule", "words"),
    [
        ({"total": 2166}, "order_total", "the total 2166 does not follow from the lines (2000) and their tax (165)"),
        ({"tax": 3000, "total": 2000}, "order_total", "does not follow"),  # more tax than total
        ({"cancel_fee": 3000}, "order_total", "cancellation fee is more than the total"),
        ({"min_deposit": 1500}, "deposit", "the deposit 1000 is not within 1500..2165"),
        ({"kind": "rental"}, "bad_shape", "the order's kind is 'rental'"),
        ({"due": "soon"}, "bad_text", "due must be a date"),
        ({"lines": []}, "bad_shape", "lines must be a list of 1.."),
    ],
)
def test_an_order_opened_must_follow_from_its_lines_and_terms(change: dict[str, Any], rule: str, words: str) -> None:
    got = refused(DeskRules("T01"), "OrderOpened", opened(**change))
    assert got[0] == rule and words in got[1], got


@pytest.mark.parametrize(
    ("deposit", "rule", "words"),
    [
        (payment("deposit", 1000, tenders(600, 300), order_id=ORDER), "settlement", "the tenders pay 900"),
        (payment("deposit", 1000, tenders(1000, kind="exchange_credit"), order_id=ORDER), "bad_tender", "takes cash"),
        (
            payment("deposit", 1000, [{"kind": "card", "amount": 1000, "tendered": 1200}], order_id=ORDER),
            "bad_tender",
            "1200 handed over for 1000 (card)",
        ),
        (payment("deposit", 1000, tenders(1000), order_id="o-2"), "bad_shape", "is of order_id 'o-2'"),
        (payment("order_payment", 1000, tenders(1000), order_id=ORDER), "bad_shape", "it must be deposit"),
        ({**payment("deposit", 1000, tenders(1000), order_id=ORDER), "terminal": "T02"}, "another_lane", "T02"),
        (payment("deposit", 0, [], order_id=ORDER), "out_of_range", "amount is outside 1.."),
    ],
)
def test_a_deposits_tenders_pay_it_exactly_at_this_lane(deposit: dict[str, Any], rule: str, words: str) -> None:
    got = refused(DeskRules("T01"), "OrderOpened", opened(deposit=deposit))
    assert got[0] == rule and words in got[1], got


def test_a_lanes_word_on_what_was_paid_never_exceeds_hqs_rows_and_is_exact_when_only_it_paid() -> None:
    # only this lane paid: its claim must be exact, either way
    assert refused(held(), "OrderPaymentTaken", paid(500, 0)) == (
        "balance",
        "Entry 7 breaks the rule 'balance': the payment of 500 says 0 is left to pay; that is 1665 paid before it; "
        "HQ's payment rows of order S01-T01-L00001 say 1000 was paid of its 2165",
    )
    assert refused(held(), "OrderPaymentTaken", paid(500, 1000))[0] == "balance"  # claims 665 paid
    held().check(7, "OrderPaymentTaken", paid(500, 665))
    # another lane paid too (offline, as far as this one knew): less is kept, more is refused
    both = frozenset({"T01", "T02"})
    held(1300, both).check(7, "OrderPaymentTaken", paid(500, 665))
    assert refused(held(1300, both), "OrderPaymentTaken", paid(500, 300))[0] == "balance"
    # a balance below zero is no lane's
    assert refused(held(), "OrderPaymentTaken", paid(500, -1))[0] == "negative"


def test_a_payment_from_a_lane_that_missed_another_lanes_cancellation_is_kept_up_to_what_was_paid_in() -> None:
    # T02 cancelled (1000 paid, 500 refunded); T01 took 300 offline, knowing of the deposit
    cancelled = DeskRules(
        "T01", {ORDER: HeldOrder(ORDER, "S01-T01-L00001", 2165, "cancelled", 500, frozenset({"T01", "T02"}), 500)}
    )
    cancelled.check(7, "OrderPaymentTaken", paid(300, 865))  # claims 1000 paid before: kept
    assert cancelled.orders[ORDER].paid == 800
    # more than was ever paid in is still no lane's
    assert refused(cancelled, "OrderPaymentTaken", paid(300, 0))[0] == "balance"
    without = DeskRules(
        "T01", {ORDER: HeldOrder(ORDER, "S01-T01-L00001", 2165, "cancelled", 500, frozenset({"T01", "T02"}))}
    )
    assert refused(without, "OrderPaymentTaken", paid(300, 865))[0] == "balance"  # no refund HQ knows of


def test_an_entry_about_an_order_hq_does_not_hold_is_refused() -> None:
    rule, words = refused(DeskRules("T01"), "OrderPaymentTaken", paid(500, 665))
    assert (rule, "order S01-T01-L00001, which HQ does not hold for this store" in words) == ("unknown_record", True)


def test_a_pickup_is_the_order_sold_with_what_was_paid_before() -> None:
    picked = {"order_id": ORDER, "number": "x", "sale_id": SALE, "receipt_number": "R1", "deposits_applied": 1000}
    rules = held()
    rules.sales[SALE] = SaleFacts(2165, {"deposit": 1000, "cash": 1165})
    rules.check(7, "OrderPickedUp", picked)
    rules = held()
    rules.sales[SALE] = SaleFacts(2000, {"deposit": 1000, "cash": 1000})
    assert refused(rules, "OrderPickedUp", picked)[0] == "pickup"
    held().check(7, "OrderPickedUp", picked)  # a sale HQ does not hold: the claim alone is checked


def test_a_cancellation_keeps_what_was_paid_less_what_it_refunds() -> None:
    parts = [{"kind": "card", "amount": -600, "original_tender": 1}, {"kind": "cash", "amount": -200}]
    refund = payment("order_refund", 800, parts, order_id=ORDER)
    body = {"order_id": ORDER, "number": "x", "paid": 1000, "kept": 200, "refund": refund, "user": "u-1"}
    rules = held()
    rules.check(7, "OrderCancelled", body)
    assert (rules.orders[ORDER].paid, rules.orders[ORDER].status) == (200, "cancelled")
    assert refused(held(), "OrderCancelled", {**body, "kept": 300})[0] == "refund"
    assert refused(held(), "OrderCancelled", {**body, "paid": 1200, "kept": 400})[0] == "balance"
    short = copy.deepcopy(body)
    short["refund"]["tenders"][1]["amount"] = -100
    assert refused(held(), "OrderCancelled", short)[1].endswith("the refund parts pay back 700, the refund is 800")
    wrong_way = copy.deepcopy(body)
    wrong_way["refund"]["tenders"][1]["amount"] = 200
    assert refused(held(), "OrderCancelled", wrong_way)[0] == "out_of_range"
    held().check(7, "OrderCancelled", {**body, "kept": 1000, "refund": None})


# ---------------------------------------------------------------------- accounts


def account_rules(owed: int = 0, lanes: frozenset[str] = frozenset({"T01"})) -> DeskRules:
    return DeskRules("T01", accounts={ACCOUNT: HeldAccount(ACCOUNT, "S01-T01-H00001", 10000, owed, lanes)})


def test_a_charge_is_what_its_sale_put_on_the_account() -> None:
    charge = {"account_id": ACCOUNT, "number": "n", "sale_id": SALE, "receipt_number": "R9", "amount": 3900}
    charge |= {"owed_after": 3900, "user": "u-1"}
    rules = account_rules()
    rules.check(1, "SaleCompleted", {"sale_id": SALE, "total": 3900, "tenders": tenders(3900, kind="house_account")})
    rules.check(2, "AccountCharged", charge)
    assert rules.accounts[ACCOUNT].owed == 3900
    rules = account_rules()
    rules.check(1, "SaleCompleted", {"sale_id": SALE, "total": 3900, "tenders": tenders(3000, 900)})
    assert refused(rules, "AccountCharged", charge) == (
        "charge",
        "Entry 7 breaks the rule 'charge': the charge of 3900 is not what sale R9 put on the account (0)",
    )
    assert refused(account_rules(100), "AccountCharged", charge)[0] == "balance"  # it owed 100 before
    account_rules(100, frozenset({"T01", "T02"})).check(2, "AccountCharged", charge)


def test_a_payment_on_account_is_above_zero_and_paid_by_its_tenders() -> None:
    fields = payment("account_payment", 2500, [], account_id=ACCOUNT)
    fields.pop("tenders")
    body = {
        "account_id": ACCOUNT, "number": "n", "payment_id": fields["payment_id"], "payment_number": fields["number"],
        "amount": 2500, "tenders": [{"kind": "cash", "amount": 2500, "tendered": 4000}], "desk_payment": fields,
        "owed_after": 1400, "user": "u-1",
    }  # fmt: skip
    account_rules(3900).check(7, "AccountPaymentTaken", body)
    negative = {**body, "amount": -500, "desk_payment": {**fields, "amount": -500}}
    assert refused(account_rules(3900), "AccountPaymentTaken", negative)[:1] == ("negative",)
    assert refused(account_rules(3900), "AccountPaymentTaken", {**body, "amount": 2400})[0] == "bad_shape"
    short = {**body, "tenders": tenders(2000)}
    assert refused(account_rules(3900), "AccountPaymentTaken", short)[0] == "settlement"
    assert refused(account_rules(3900), "AccountPaymentTaken", {**body, "owed_after": 0})[0] == "balance"
    assert refused(DeskRules("T01"), "AccountPaymentTaken", body)[0] == "unknown_record"


# ------------------------------------------------------------- adjustments, cases


def test_a_bill_adjustment_refunds_its_gross() -> None:
    parts = [{"kind": "card", "amount": -1083, "original_tender": 1}]
    fields = {**payment("price_adjustment", 1083, []), "original_sale_id": SALE}
    fields.pop("tenders")
    body = {
        "adjustment_id": "ad-1", "number": "S01-T01-A00001", "payment_id": fields["payment_id"],
        "payment_number": fields["number"], "kind": "price_match", "sale_id": SALE, "sale_line_id": "l-1", "qty": 2,
        "amount": 1000, "tax": 83, "gross": 1083, "currency": "USD", "refunds": parts, "cashier": "u-1",
        "competitor": "Hardware Hut", "desk_payment": fields,
    }  # fmt: skip
    DeskRules("T01").check(7, "BillAdjusted", body)
    assert refused(DeskRules("T01"), "BillAdjusted", {**body, "gross": 1100})[0] == "adjustment"
    assert refused(DeskRules("T01"), "BillAdjusted", {**body, "refunds": [{"kind": "card", "amount": -1000}]})[
        1
    ].endswith("the refund parts pay back 1000, the refund is 1083")


@pytest.mark.parametrize(
    ("kind", "body", "words"),
    [
        ("CaseClosed", {"case_id": "c", "case_number": "n", "user": "u", "from": "resolved", "to": "gone"}, "'gone'"),
        ("CaseReferred", {"referral_id": "r", "case_id": "c", "case_number": "n", "department": "warranty",
                          "user": "u", "priority": "asap", "due": "2027-01-01"}, "the priority is 'asap'"),
        ("CustomerInformed", {"referral_id": "r", "case_id": "c", "user": "u", "how": "pigeon"}, "'pigeon'"),
        ("FollowUpRecorded", {"case_id": "c", "case_number": "n", "user": "u", "done": False, "due": "tomorrow"},
         "due must be"),
        ("ContactLogged", {"contact_id": "k", "case_id": "c", "case_number": "n", "customer_id": "p",
                           "category": "x" * 65, "handled_by": "u", "kind": "complaint", "new_case": True,
                           "links": []}, "category must be 1..64"),
    ],
)  # fmt: skip
def test_a_case_event_names_states_and_choices_counter_knows(kind: str, body: dict[str, Any], words: str) -> None:
    rule, message = refused(DeskRules("T01"), kind, body)
    assert rule in {"bad_shape", "bad_text"} and words in message, message


def test_the_ids_a_batch_needs_of_hq() -> None:
    assert named_ids("OrderPaymentTaken", paid(1, 1)) == (ORDER, None, None)
    assert named_ids("OrderPickedUp", {"order_id": ORDER, "sale_id": SALE}) == (ORDER, None, SALE)
    assert named_ids("AccountCharged", {"account_id": ACCOUNT, "sale_id": SALE}) == (None, ACCOUNT, SALE)
    assert named_ids("OrderOpened", opened()) == (None, None, None)  # it brings its own order
    assert named_ids("OrderPaymentTaken", {"order_id": 7}) == (None, None, None)
    assert named_ids("OrderPaymentTaken", "nonsense") == (None, None, None)
