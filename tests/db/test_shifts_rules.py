"""The cash-office steps of counter.cash.shifts on a real SQLite store (issue 14), each asserted
by what the cashier is told, what the drawer should hold afterwards and what the journal
records, in cents: opening a shift, paid in / paid out / cash drop, the blind close and its
tolerance (inclusive), a manager's recount, the Z report and the X report."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from counter.cash.shifts import (
    CashRules,
    Count,
    MovementKind,
    ShiftError,
    close_shift,
    open_shift,
    record_movement,
    recount_shift,
    require_open_shift,
    take_z_report,
    x_report,
)
from counter.journal import EventType
from counter.money import InvalidAmount
from counter.trust.carddata import CardDataRefused
from db.demo import FLOAT, count_for
from db.queries import journal_entries
from tests.db.support import TestStore

D = Decimal
#: counter.trust.carddata's refusal (the store's own last-line refusal has other words)
CARD_REFUSED = "That looks like a payment card number. Counter never takes card numbers {where}."


def expected(shop: TestStore) -> Decimal:
    with shop.uow() as uow:
        return uow.shifts.expected_cash(uow.shifts.current("T01"))


def last_entry(shop: TestStore):  # type: ignore[no-untyped-def]
    return list(journal_entries(shop.db.read, "T01"))[-1]


def move(shop: TestStore, kind: MovementKind, amount: Decimal, reason: str = "window cleaner", user: str = "Dana"):  # type: ignore[no-untyped-def]
    return record_movement(
        shop.user(user), kind, amount, reason,
        uow_factory=shop.uow, clock=shop.clock, terminal_id="T01", currency=shop.cfg.currency,
    )  # fmt: skip


def close(shop: TestStore, count: Count, note: str = "", user: str = "Maria", tolerance: str = "5.00", **kw):  # type: ignore[no-untyped-def]
    return close_shift(
        shop.user(user), count, note,
        uow_factory=shop.uow, clock=shop.clock, terminal_id="T01", currency=shop.cfg.currency,
        rules=CashRules(close_tolerance=D(tolerance)), **kw,
    )  # fmt: skip


def open_(shop: TestStore, user: str = "Sam", count: Count = FLOAT):  # type: ignore[no-untyped-def]
    return open_shift(
        shop.user(user), count, uow_factory=shop.uow, clock=shop.clock, terminal_id="T01", currency=shop.cfg.currency
    )


def recount(shop: TestStore, shift_id: str, count: Count, note: str = "recount", user: str = "Dana"):  # type: ignore[no-untyped-def]
    return recount_shift(
        shop.user(user), shift_id, count, note, uow_factory=shop.uow, clock=shop.clock, currency=shop.cfg.currency
    )


def z(shop: TestStore, user: str = "Dana"):  # type: ignore[no-untyped-def]
    return take_z_report(
        shop.user(user), uow_factory=shop.uow, clock=shop.clock, terminal_id="T01",
        currency=shop.cfg.currency, zone=shop.cfg.zone,
    )  # fmt: skip


def refused(fn, *a, **kw) -> ShiftError:  # type: ignore[no-untyped-def]
    with pytest.raises(ShiftError) as err:
        fn(*a, **kw)
    return err.value


# ---- open --------------------------------------------------------------------------------


def test_a_shift_opens_with_its_counted_float_in_the_journal(shop: TestStore) -> None:
    close(shop, count_for(expected(shop), shop.cfg.currency))
    with shop.uow() as uow:
        e = refused(require_open_shift, uow, "T01")
    assert e.message == "No shift is open on this drawer, so nothing can be sold or refunded."
    assert e.hint == "Open a shift and count the float (Cash office, Ctrl+K)."
    count = Count.of(shop.cfg.currency, {D(20): 2, D("0.25"): 4})
    shift = open_(shop, count=count)
    assert (shift.terminal_id, shift.opened_by, shift.float_total, shift.opened_at) == (
        "T01", "u-cashier-2", D("41.00"), shop.clock.now()
    )  # fmt: skip
    assert shift.is_open
    entry = last_entry(shop)
    assert entry.type == EventType.SHIFT_OPENED
    assert entry.body_data() == {
        "shift_id": shift.id,
        "user": "u-cashier-2",
        "float": 4100,
        "count": {"20": 2, "0.25": 4},
    }
    assert expected(shop) == D("41.00")
    with shop.uow() as uow:
        assert require_open_shift(uow, "T01").id == shift.id


def test_a_second_shift_on_one_drawer_is_refused(shop: TestStore) -> None:
    e = refused(open_, shop, "Maria")
    assert (e.message, e.hint) == (
        "A shift is already open on this drawer.", "Close it (blind count) before opening another one."
    )  # fmt: skip


# ---- movements -----------------------------------------------------------------------------


def test_paid_in_adds_cash_and_a_cashier_may_record_it(shop: TestStore) -> None:
    before = expected(shop)
    after = move(shop, MovementKind.PAID_IN, D("12.34"), "  change from the bank ", user="Maria")
    assert after == before + D("12.34") == expected(shop)
    assert last_entry(shop).body_data() == {
        "shift_id": last_entry(shop).body_data()["shift_id"],
        "kind": "paid_in", "amount": 1234, "reason": "change from the bank", "user": "u-cashier-1",
    }  # fmt: skip


@pytest.mark.parametrize("kind", [MovementKind.PAID_OUT, MovementKind.CASH_DROP])
def test_cash_out_takes_cash_and_needs_the_cash_office(shop: TestStore, kind: MovementKind) -> None:
    before = expected(shop)
    assert move(shop, kind, D("10.01")) == before - D("10.01") == expected(shop)
    assert last_entry(shop).body_data()["kind"] == str(kind)
    e = refused(move, shop, kind, D(1), user="Maria")
    assert (e.message, e.hint) == ("Maria Lopez may not take cash out of the drawer.", "Ask a supervisor.")
    assert last_entry(shop).body_data()["action"] == f"record a {kind.label.lower()}"


def test_everything_in_the_drawer_may_come_out_but_not_a_cent_more(shop: TestStore) -> None:
    before = expected(shop)
    e = refused(move, shop, MovementKind.CASH_DROP, before + D("0.01"))
    cur = shop.cfg.currency
    assert e.message == (
        f"The drawer should hold only {cur.format(before)}; {cur.format(before + D('0.01'))} cannot come out of it."
    )
    assert e.hint == "Check the amount."
    assert move(shop, MovementKind.CASH_DROP, before) == D(0)
    assert move(shop, MovementKind.PAID_IN, D("0.01")) == D("0.01")


@pytest.mark.parametrize("amount", [D(0), D("-1.00")])
def test_a_movement_of_nothing_is_refused(shop: TestStore, amount: Decimal) -> None:
    e = refused(move, shop, MovementKind.PAID_IN, amount)
    assert (e.message, e.hint) == ("The amount must be above zero.", "Type the amount of cash.")


def test_a_movement_finer_than_a_cent_is_refused(shop: TestStore) -> None:
    with pytest.raises(InvalidAmount):
        move(shop, MovementKind.PAID_IN, D("0.001"))


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_movement_needs_a_reason(shop: TestStore, reason: str) -> None:
    e = refused(move, shop, MovementKind.PAID_IN, D(1), reason)
    assert (e.message, e.hint) == ("Say why the cash moves.", "Type a short reason, e.g. “window cleaner”.")


def test_a_card_number_is_not_a_reason(shop: TestStore) -> None:
    with pytest.raises(CardDataRefused) as err:
        move(shop, MovementKind.PAID_IN, D(1), "card 4111 1111 1111 1111")
    assert err.value.message == CARD_REFUSED.format(where="in a reason")


def test_no_movement_without_an_open_shift(shop: TestStore) -> None:
    close(shop, count_for(expected(shop), shop.cfg.currency))
    e = refused(move, shop, MovementKind.PAID_IN, D(1))
    assert e.message == "No shift is open on this drawer, so nothing can be sold or refunded."


# ---- close -------------------------------------------------------------------------------


def test_a_close_within_the_tolerance_needs_no_note_and_is_journaled_in_cents(shop: TestStore) -> None:
    should = expected(shop)
    count = count_for(should + D("5.00"), shop.cfg.currency)
    result = close(shop, count, "  ")
    assert (result.counted, result.expected, result.over_short) == (should + D("5.00"), should, D("5.00"))
    m = shop.cfg.currency.to_minor
    body = last_entry(shop).body_data()
    assert last_entry(shop).type == EventType.SHIFT_CLOSED
    assert body == {
        "shift_id": result.shift.id, "user": "u-cashier-1", "counted": m(should + D("5.00")),
        "expected": m(should), "over_short": 500, "count": count.to_json(shop.cfg.currency), "note": "",
    }  # fmt: skip


@pytest.mark.parametrize("off", [D("5.01"), D("-5.01")])
def test_beyond_the_tolerance_either_way_a_note_is_required(shop: TestStore, off: Decimal) -> None:
    should = expected(shop)
    e = refused(close, shop, count_for(should + off, shop.cfg.currency), " ")
    assert e.message == "The count does not match what the drawer should hold."
    assert e.hint == "Count again, or write a note saying what happened; a manager will review it."
    result = close(shop, count_for(should + off, shop.cfg.currency), " wrong change ")
    assert result.over_short == off
    assert last_entry(shop).body_data()["note"] == "wrong change"


def test_a_short_of_exactly_the_tolerance_needs_no_note(shop: TestStore) -> None:
    should = expected(shop)
    assert close(shop, count_for(should - D("5.00"), shop.cfg.currency)).over_short == D("-5.00")


def test_an_open_sale_blocks_the_close(shop: TestStore) -> None:
    e = refused(close, shop, FLOAT, has_suspended_sale=True)
    assert (e.message, e.hint) == ("A sale is still open on this counter.", "Pay or void it before closing the shift.")
    assert shop.uow  # the shift is still open:
    assert move(shop, MovementKind.PAID_IN, D(1)) > 0


def test_a_card_number_is_not_a_close_note(shop: TestStore) -> None:
    with pytest.raises(CardDataRefused) as err:
        close(shop, FLOAT, "4111111111111111")
    assert err.value.message == CARD_REFUSED.format(where="in a note")


# ---- recount -------------------------------------------------------------------------------


def test_a_recount_is_a_new_record_against_the_expected_cash_of_the_close(shop: TestStore) -> None:
    should = expected(shop)
    result = close(shop, count_for(should - D("10.00"), shop.cfg.currency), "short")
    count = count_for(should - D("0.25"), shop.cfg.currency)
    again = recount(shop, result.shift.id, count, " found it ")
    assert (again.counted, again.expected, again.over_short) == (should - D("0.25"), should, D("-0.25"))
    assert again.shift.id == result.shift.id and not again.shift.is_open
    entry = last_entry(shop)
    assert entry.type == EventType.SHIFT_RECOUNTED
    assert entry.body_data() == {
        "shift_id": result.shift.id, "user": "u-supervisor", "counted": shop.cfg.currency.to_minor(should - D("0.25")),
        "expected": shop.cfg.currency.to_minor(should), "over_short": -25,
        "count": count.to_json(shop.cfg.currency), "note": "found it",
    }  # fmt: skip


def test_only_a_closed_shift_is_recounted(shop: TestStore) -> None:
    with shop.uow() as uow:
        open_id = uow.shifts.current("T01").id  # type: ignore[union-attr]
    for shift_id in (open_id, "no-such-shift"):
        e = refused(recount, shop, shift_id, FLOAT)
        assert (e.message, e.hint) == ("Only a closed shift can be recounted.", "Close the shift first.")


def test_a_cashier_may_not_recount_and_a_z_freezes_the_count(shop: TestStore) -> None:
    result = close(shop, count_for(expected(shop), shop.cfg.currency))
    e = refused(recount, shop, result.shift.id, FLOAT, user="Maria")
    assert (e.message, e.hint) == ("Maria Lopez may not recount a drawer.", "Ask a manager.")
    with pytest.raises(CardDataRefused) as err:
        recount(shop, result.shift.id, FLOAT, "4111111111111111")
    assert err.value.message == CARD_REFUSED.format(where="in a note")
    z(shop)
    e = refused(recount, shop, result.shift.id, FLOAT)
    assert (e.message, e.hint) == ("This shift is already in a Z report.", "Its count can no longer change.")


# ---- Z and X -------------------------------------------------------------------------------


def test_the_z_report_needs_every_shift_closed_and_something_to_close(shop: TestStore) -> None:
    e = refused(z, shop)
    assert (e.message, e.hint) == (
        "A shift is still open on this drawer.", "Close it with a blind count before the Z report."
    )  # fmt: skip
    e = refused(z, shop, "Maria")
    assert e.message == "Maria Lopez may not take the Z report."
    shop.sell([(shop.item_in("apparel"), 1)])
    close(shop, count_for(expected(shop), shop.cfg.currency))
    with shop.uow() as uow:
        number_before, _, grand, _ = uow.shifts.last_z("T01")
    report = z(shop)
    assert report.number == number_before + 1
    assert (report.kind, report.terminal) == ("Z", "T01")
    assert list(report.hourly) == [shop.clock.now().astimezone(shop.cfg.zone).hour]  # hours of the store's zone
    entry = last_entry(shop)
    m = shop.cfg.currency.to_minor
    assert entry.type == EventType.Z_REPORT_TAKEN
    body = entry.body_data()
    assert body == {
        "number": number_before + 1, "user": "u-supervisor",
        "first_seq": report.first_seq, "last_seq": report.last_seq,
        "sales": m(report.sales.amount), "sales_count": report.sales.count,
        "returns": m(report.returns.amount), "returns_count": report.returns.count,
        "over_short": m(report.over_short),
        "grand_sales": m(grand.sales + report.sales.amount), "grand_returns": m(grand.returns + report.returns.amount),
        "shift_ids": [s.shift_id for s in report.shifts],
    }  # fmt: skip
    assert body["sales_count"] > 0 and body["last_seq"] == entry.seq - 1
    e = refused(z, shop)
    assert (e.message, e.hint) == ("Nothing has happened since the last Z report.", "There is no day to close.")
    # the next day is numbered on
    open_(shop)
    shop.sell([(shop.item_in("apparel"), 1)], cashier="Sam")
    close(shop, count_for(expected(shop), shop.cfg.currency), user="Sam")
    nxt = z(shop)
    assert nxt.number == number_before + 2
    assert nxt.sales.count == 1
    assert nxt.first_seq == report.last_seq + 1  # the next day starts where the last Z ended


def test_the_x_report_of_an_open_shift_starts_at_its_opening(shop: TestStore) -> None:
    shop.sell([(shop.item_in("apparel"), 1)])
    close(shop, count_for(expected(shop), shop.cfg.currency))
    with shop.uow() as uow:
        day = x_report(uow, "T01", shop.cfg.currency, shop.cfg.zone)
    assert day.kind == "X" and day.sales.count >= 1
    open_(shop)
    with shop.uow() as uow:
        fresh = x_report(uow, "T01", shop.cfg.currency, shop.cfg.zone)
    assert fresh.sales.count == 0
    shop.sell([(shop.item_in("apparel"), 2)], cashier="Sam")
    with shop.uow() as uow:
        one = x_report(uow, "T01", shop.cfg.currency, shop.cfg.zone)
    assert one.sales.count == 1
    assert one.first_seq == last_opened_seq(shop)
    # writes nothing
    assert last_entry(shop).type == EventType.SALE_COMPLETED


def last_opened_seq(shop: TestStore) -> int:
    return [e.seq for e in journal_entries(shop.db.read, "T01") if e.type == EventType.SHIFT_OPENED][-1]


def test_an_inactive_user_may_not_open_a_shift_and_the_refusal_is_journaled(shop: TestStore) -> None:
    close(shop, count_for(expected(shop), shop.cfg.currency))
    gone = dataclasses.replace(shop.user("Sam"), active=False)
    e = refused(
        open_shift, gone, FLOAT, uow_factory=shop.uow, clock=shop.clock, terminal_id="T01", currency=shop.cfg.currency
    )
    assert (e.message, e.hint) == ("Sam Carter may not open a shift.", "Ask a supervisor.")
    entry = last_entry(shop)
    assert entry.type == EventType.ACCESS_REFUSED
    assert entry.body_data()["action"] == "open a shift"
    with shop.uow() as uow:
        assert uow.shifts.current("T01") is None


def test_the_x_report_without_an_open_shift_is_the_day_since_the_last_z(shop: TestStore) -> None:
    shop.sell([(shop.item_in("apparel"), 1)])
    close(shop, count_for(expected(shop), shop.cfg.currency))
    z(shop)
    with shop.uow() as uow:
        _, _, grand, _ = uow.shifts.last_z("T01")
        empty = x_report(uow, "T01", shop.cfg.currency, shop.cfg.zone)
    assert (empty.sales.count, empty.returns.count) == (0, 0)
    assert grand.sales > 0
    open_(shop)
    sale = shop.sell([(shop.item_in("apparel"), 2)], cashier="Sam")
    with shop.uow() as uow:
        x = x_report(uow, "T01", shop.cfg.currency, shop.cfg.zone)
    assert (x.kind, x.terminal, x.sales.count, x.sales.amount) == ("X", "T01", 1, sale.total)
    assert x.grand_after.sales == grand.sales + sale.total
    assert list(x.hourly) == [shop.clock.now().astimezone(shop.cfg.zone).hour]


def test_an_inactive_user_may_not_close_the_shift(shop: TestStore) -> None:
    gone = dataclasses.replace(shop.user("Maria"), active=False)
    e = refused(
        close_shift, gone, FLOAT, "",
        uow_factory=shop.uow, clock=shop.clock, terminal_id="T01", currency=shop.cfg.currency, rules=CashRules(),
    )  # fmt: skip
    assert (e.message, e.hint) == ("Maria Lopez may not close the shift.", "Ask a supervisor.")
    assert last_entry(shop).body_data()["action"] == "close the shift"
    with shop.uow() as uow:
        assert uow.shifts.current("T01") is not None
