"""The no-receipt limit across lanes, as pure rules (issue #17 point 4): how HQ's answer and
this lane's own returns make the customer's total, what a return's entry states about the
limit it was taken under, HQ's answer read off the wire, the offline refusal's words, and
what HQ's entry rules take in a no-receipt return's body. The stories on real lanes and
the real HQ are in tests/hq/test_no_receipt_across_lanes.py."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from counter.errors import CounterError
from counter.money import Currency
from counter.returns.customer_limit import MAX_WINDOW_DAYS, customer_total, limit_note, window_days
from counter.returns.policy import ReturnRules
from counter.sync.upstream import ChainNoReceipt, OfflineCaps, chain_no_receipt_from_wire, check_offline_return
from counter.trust.entry_rules import MAX_MINOR, check_return
from tests.unit.test_entry_rules_rules import refusal, return_body

USD = Currency.of("USD")
D = Decimal
KEY = "ab" * 32


def test_without_hq_the_total_is_this_lanes_own() -> None:
    assert customer_total({"r1": D("40.00"), "r2": D("12.50")}, None, USD) == D("52.50")
    assert customer_total({}, None, USD) == D("0")


def test_hqs_total_counts_the_other_lanes_and_this_lanes_returns_it_holds_once() -> None:
    # HQ holds 100.00 at T01 and this lane's pushed 40.00: 140.00, not 180.00
    assert customer_total({"mine": D("40.00")}, ChainNoReceipt(14000, frozenset({"t01", "mine"})), USD) == D("140.00")


def test_this_lanes_returns_hq_did_not_count_are_added_to_hqs_total() -> None:
    # taken offline here and not pushed: HQ cannot know it. The larger of the two would be
    # 100.00; both happened: 125.00
    chain = ChainNoReceipt(10000, frozenset({"t01"}))
    assert customer_total({"offline": D("25.00")}, chain, USD) == D("125.00")
    # one counted, one not
    both = {"pushed": D("25.00"), "offline": D("5.00")}
    assert customer_total(both, ChainNoReceipt(12500, frozenset({"t01", "pushed"})), USD) == D("130.00")


def test_hqs_total_alone_when_this_lane_has_none() -> None:
    assert customer_total({}, ChainNoReceipt(15001, frozenset({"t01"})), USD) == D("150.01")


def test_never_less_than_this_lanes_own_total() -> None:
    """An answer that claims to count this lane's return but sums less (a hold that HQ
    let expire meanwhile, say) never lowers the total below what this lane itself knows."""
    assert customer_total({"mine": D("80.00")}, ChainNoReceipt(0, frozenset({"mine"})), USD) == D("80.00")


def test_the_entry_states_the_limit_the_window_and_the_total_before() -> None:
    rules = ReturnRules(no_receipt_customer_limit=D("150.00"), no_receipt_window_days=30)
    assert limit_note(rules, D("99.99"), USD) == {"limit": 15000, "window_days": 30, "before": 9999}


def test_settings_no_entry_rule_would_take_are_stated_within_range() -> None:
    """A limit or a window typed far too large must never make the lane's journal
    unpushable: the entry states them at the largest values HQ takes."""
    huge = ReturnRules(no_receipt_customer_limit=D("1e13"), no_receipt_window_days=10**6)
    note = limit_note(huge, D("1e13"), USD)
    assert note == {"limit": MAX_MINOR - 1, "window_days": MAX_WINDOW_DAYS, "before": MAX_MINOR - 1}
    assert window_days(ReturnRules(no_receipt_window_days=0)) == 0
    body = no_receipt_body()
    body["no_receipt_limit"] = note
    check_return(body, "S01", None, None, None)


def test_hqs_answer_is_read_or_refused() -> None:
    assert chain_no_receipt_from_wire({"total_minor": 2705, "returns": ["a", "b"]}) == ChainNoReceipt(
        2705, frozenset({"a", "b"})
    )
    for bad in ({"total_minor": -1, "returns": []}, {"total_minor": "5", "returns": []}, {"total_minor": 5}):
        with pytest.raises((ValueError, KeyError)):
            chain_no_receipt_from_wire(bad)
    with pytest.raises(ValueError):
        chain_no_receipt_from_wire({"total_minor": 5, "returns": "a"})


def test_offline_a_return_without_receipt_is_refused_saying_why_unless_the_store_allows_it() -> None:
    with pytest.raises(CounterError) as refused:
        check_offline_return(OfflineCaps(), D("10.00"), D("0"), False, str)
    assert (refused.value.message, refused.value.hint) == (
        "Returns without a receipt are not taken while HQ cannot be reached: the customer's "
        "returns at the other lanes cannot be counted.",
        "Ask the customer to come back later, or call the store manager.",
    )
    check_offline_return(OfflineCaps(no_receipt=True), D("10.00"), D("0"), False, str)
    with pytest.raises(CounterError, match="offline a return may refund at most 200.00"):
        check_offline_return(OfflineCaps(no_receipt=True), D("200.01"), D("0"), False, str)


# ------------------------------------------------------------ HQ's entry rules


def no_receipt_body() -> dict[str, Any]:
    body = return_body()
    body.update(original_sale_id=None, original_receipt=None, customer_key=KEY)
    body["lines"][0]["sale_line_id"] = None
    body["refunds"][0]["original_tender"] = None
    body["no_receipt_limit"] = {"limit": 15000, "window_days": 30, "before": 0}
    return body


def test_a_no_receipt_return_with_its_key_and_limit_is_taken() -> None:
    check_return(no_receipt_body(), "S01", None, None, None)
    older = no_receipt_body()
    del older["no_receipt_limit"], older["customer_key"]  # entries from before both
    check_return(older, "S01", None, None, None)


@pytest.mark.parametrize(
    ("key", "value", "rule", "message"),
    [
        (
            "customer_key",
            "D1234567",
            "customer_key",
            "customer_key must be the ID document's key (64 hex digits), never the ID",
        ),
        (
            "customer_key",
            "AB" * 32,
            "customer_key",
            "customer_key must be the ID document's key (64 hex digits), never the ID",
        ),
        ("customer_key", "a" * 65, "bad_text", "customer_key must be 1..64 characters"),
        ("no_receipt_limit", 15000, "bad_shape", "no_receipt_limit must be an object"),
        (
            "no_receipt_limit",
            {"limit": -1, "window_days": 30, "before": 0},
            "negative",
            "no_receipt_limit limit is -1; it may not be negative",
        ),
        (
            "no_receipt_limit",
            {"limit": 15000, "window_days": MAX_WINDOW_DAYS + 1, "before": 0},
            "out_of_range",
            f"no_receipt_limit window_days is outside 0..{MAX_WINDOW_DAYS}",
        ),
        (
            "no_receipt_limit",
            {"limit": 15000, "window_days": 30},
            "bad_number",
            "no_receipt_limit before must be a whole number of minor units, not NoneType",
        ),
    ],
)
def test_a_no_receipt_return_that_names_the_id_or_an_odd_limit_is_refused(
    key: str, value: Any, rule: str, message: str
) -> None:
    body = copy.deepcopy(no_receipt_body())
    body[key] = value
    assert refusal(lambda: check_return(body, "S01", None, None, None)) == (rule, message)
