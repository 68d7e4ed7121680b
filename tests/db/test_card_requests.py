"""Card payments through the integrated terminal on a real store, against the ZVT simulator
over real TCP (issue #20 point 4): journaled before they are sent, never charged twice,
never lost (counter.payments.requests, counter.payments.card_sale)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from counter.cash.report_document import report_document
from counter.cash.reports import DayReport
from counter.cash.shifts import x_report
from counter.documents import ReportDocument
from counter.errors import CartError, TenderError
from counter.journal import EventType
from counter.payments.card_day import close_terminal_day
from counter.payments.card_refunds import CloseCardRefund, close_refund_otherwise, retry_refund, send_refunds
from counter.payments.card_sale import (
    ChargeCard,
    KeyCardByHand,
    charge_card,
    key_card_by_hand,
    resolve_cards,
    settle_card_by_hand,
)
from counter.payments.card_void import reverse_card_payments
from counter.payments.requests import CRASH_SENT, CardApprovalNeeded, CardNotApproved, CardOutcomeUnknown
from counter.payments.terminal import PaymentTerminal
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import ApprovalKind, Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.tenders import CardDetails, Payment, Tender, TenderKind
from counter.sales.voids import VoidPaidSale, void_paid_sale
from counter.trust.approvals import grant_approval
from db.derive import derive_and_compare
from db.queries import journal_entries
from devices.payment.zvt import ZvtTerminal
from devices.sim.zvt_terminal import Fault, SimZvtTerminal
from tests.conftest import FAST_HASHER
from tests.db.support import TestStore
from tests.db.test_part_payment_voids import open_sale
from tests.devices.payment import conftest as payment
from tests.devices.payment.conftest import client_for

D = Decimal
sim, terminal = payment.sim, payment.terminal  # the simulator over TCP and a client to it, as fixtures here too


def deps(shop: TestStore, terminal: PaymentTerminal | None) -> dict[str, Any]:
    return {
        "uow_factory": shop.uow,
        "clock": shop.clock,
        "store": shop.cfg,
        "terminal": shop.terminal,
        "card_terminal": terminal,
    }


def charge(shop: TestStore, terminal: PaymentTerminal | None, payment: Payment, amount: D, **kw: Any) -> Tender:
    cmd = ChargeCard(shop.user("Maria"), payment.sale_id, len(payment.tenders) + 1, amount, payment.total)
    charged = charge_card(cmd, **deps(shop, terminal), **kw)
    tender = charged.tender
    assert charged.receipt_lines and any("4242" in line for line in charged.receipt_lines)
    payment.tenders.append(tender)
    payment.recorded = len(payment.tenders)
    return tender


def finish(shop: TestStore, cart: Any, payment: Payment) -> Any:
    cmd = CompleteSale(
        shop.user("Maria"), cart.lines, None, payment.tenders, payment.rounding, None,
        sale_id=payment.sale_id, part_payments=payment.recorded,
    )  # fmt: skip
    return complete_sale(cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)


def entries(shop: TestStore) -> list[tuple[str, dict[str, Any]]]:
    return [(e.type, e.body_data()) for e in journal_entries(shop.db.read, shop.terminal.terminal_id)]


def card_entries(shop: TestStore) -> list[tuple[str, dict[str, Any]]]:
    kinds = {EventType.CARD_REQUEST_SENT, EventType.CARD_REQUEST_SETTLED, EventType.PART_PAYMENT_TAKEN}
    return [(t, b) for t, b in entries(shop) if t in kinds]


def test_an_approved_card_payment_is_journaled_before_and_after_and_pays_the_sale(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    cart, payment = open_sale(shop)
    tender = charge(shop, terminal, payment, payment.total)
    assert tender.kind is TenderKind.CARD and tender.card is not None
    assert (tender.card.brand, tender.card.last4) == ("Visa", "4242")
    sale = finish(shop, cart, payment)
    kinds = [t for t, _ in card_entries(shop)]
    assert kinds == [EventType.CARD_REQUEST_SENT, EventType.CARD_REQUEST_SETTLED, EventType.PART_PAYMENT_TAKEN]
    sent, settled = card_entries(shop)[0][1], card_entries(shop)[1][1]
    assert sent["amount"] == shop.cfg.currency.to_minor(payment.total) and sent["for_id"] == payment.sale_id
    assert settled["outcome"] == "approved" and settled["card_last4"] == "4242"
    (charged,) = sim.charged()
    assert settled["reference"] == charged.reference and charged.amount_minor == sent["amount"]
    assert sale.tenders[0].card == tender.card
    with shop.read_uow() as uow:
        assert uow.cards.payment_reference(payment.sale_id, 1) == charged.reference
        assert uow.cards.pending(shop.terminal.terminal_id) == []
    assert derive_and_compare(shop.db.write).ok


@pytest.mark.parametrize(
    ("fault", "outcome", "words"),
    [
        (Fault.DECLINED, "declined", "Declined"),
        (Fault.INSUFFICIENT_FUNDS, "declined", "nsufficient funds"),
        (Fault.PIN_CANCELLED, "cancelled", "PIN"),
        (Fault.CARD_REMOVED, "cancelled", "removed"),
        (Fault.TIMEOUT, "cancelled", ""),
    ],
)
def test_a_refusal_at_the_terminal_charges_nothing_and_says_what_to_do(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal, fault: Fault, outcome: str, words: str
) -> None:
    cart, payment = open_sale(shop)
    sim.fault = fault
    with pytest.raises(CardNotApproved) as refused:
        charge(shop, terminal, payment, payment.total)
    assert refused.value.outcome == outcome
    assert words in refused.value.message and "Nothing was charged" in refused.value.message
    assert refused.value.hint
    assert sim.charged() == []
    assert [t for t, _ in card_entries(shop)] == [EventType.CARD_REQUEST_SENT, EventType.CARD_REQUEST_SETTLED]
    assert card_entries(shop)[1][1]["outcome"] == outcome
    tender = charge(shop, terminal, payment, payment.total)  # the next card is charged once
    assert tender.card is not None and len(sim.charged()) == 1


def test_a_terminal_that_cannot_be_reached_charges_nothing(shop: TestStore) -> None:
    cart, payment = open_sale(shop)
    dead = client_for(1)  # nothing listens on port 1
    with pytest.raises(CardNotApproved) as refused:
        charge(shop, dead, payment, payment.total)
    assert refused.value.outcome == "failed" and "not reached" in refused.value.message
    assert card_entries(shop)[1][1]["outcome"] == "failed"
    with shop.read_uow() as uow:
        assert uow.cards.pending(shop.terminal.terminal_id) == []


def test_a_busy_terminal_charges_nothing(shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    cart, payment = open_sale(shop)
    sim.fault = Fault.BUSY
    with pytest.raises(CardNotApproved) as refused:
        charge(shop, terminal, payment, payment.total)
    assert refused.value.outcome == "failed" and sim.charged() == []


@pytest.mark.parametrize(
    "fault",
    [Fault.CUT_AFTER_AUTH, Fault.GARBAGE_FRAME, Fault.TRUNCATED_FRAME, Fault.WRONG_LENGTH, Fault.UNKNOWN_BMP],
)
def test_a_lost_answer_is_resolved_by_asking_the_terminal_and_charged_once(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal, fault: Fault
) -> None:
    cart, payment = open_sale(shop)
    sim.fault = fault
    with pytest.raises(CardOutcomeUnknown) as unknown:
        charge(shop, terminal, payment, payment.total)
    assert "Payment outcome unknown" in unknown.value.message and "Do not charge the card again" in unknown.value.hint
    assert len(sim.transactions) == 1  # the terminal did charge (or answered for another amount)
    with shop.read_uow() as uow:
        (pending,) = uow.cards.pending(shop.terminal.terminal_id)
    # nothing else goes to the terminal, and the sale cannot be finished another way meanwhile
    with pytest.raises(CardOutcomeUnknown):
        charge(shop, terminal, payment, payment.total)
    cash = Payment(payment.total, shop.cfg.currency, shop.cfg.smallest_coin, sale_id=payment.sale_id)
    cash.add_cash(payment.total + 5)
    with pytest.raises(TenderError, match="unknown outcome"):
        finish(shop, cart, cash)
    (resolution,) = resolve_cards(shop.user("Maria"), **deps(shop, terminal))
    assert resolution.outcome == "approved" and resolution.request.request_id == pending.request_id
    with shop.read_uow() as uow:
        (card,) = uow.sales.part_payments(payment.sale_id)
        assert uow.cards.pending(shop.terminal.terminal_id) == []
    payment.tenders.append(card)
    payment.recorded = 1
    sale = finish(shop, cart, payment)
    assert sale.total == payment.total and len(sim.charged()) == 1
    settled = [b for t, b in entries(shop) if t == EventType.CARD_REQUEST_SETTLED]
    assert [b["how"] for b in settled] == ["asked"]
    assert derive_and_compare(shop.db.write).ok


def test_a_request_that_never_reached_the_terminal_is_found_not_charged(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    """Counter stopped after journaling the request, before sending it."""
    cart, payment = open_sale(shop)
    charge(shop, terminal, payment, D("1.00"))  # an earlier payment: the terminal's last transaction

    class Stopped(Exception):
        pass

    def stop_at(name: str) -> None:
        if name == CRASH_SENT:
            raise Stopped

    with pytest.raises(Stopped):
        charge(shop, terminal, payment, payment.remaining, step=stop_at)
    (resolution,) = resolve_cards(shop.user("Maria"), **deps(shop, terminal))
    assert resolution.outcome == "not_charged"
    assert len(sim.charged()) == 1  # only the first
    tender = charge(shop, terminal, payment, payment.remaining)
    assert tender.amount == payment.total - D("1.00") and len(sim.charged()) == 2


def test_a_terminal_that_cannot_say_leaves_it_to_a_supervisor(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    cart, payment = open_sale(shop)
    sim.fault = Fault.CUT_AFTER_AUTH
    with pytest.raises(CardOutcomeUnknown) as unknown:
        charge(shop, terminal, payment, payment.total)
    request_id = unknown.value.request_id
    (still,) = resolve_cards(shop.user("Maria"), **deps(shop, client_for(1)))
    assert still.outcome == "pending" and still.text
    slip = CardDetails("Visa", "4242", "SLIP42")
    settle = {"uow_factory": shop.uow, "clock": shop.clock, "store": shop.cfg}
    with pytest.raises(CardApprovalNeeded):
        settle_card_by_hand(request_id, shop.user("Maria"), True, slip, **settle)
    grant_approval(
        request_id=request_id, kinds=[ApprovalKind.CARD_OUTCOME], amount=payment.total, requester=shop.user("Maria"),
        approver_id=shop.user("Dana").id, pin="3333", reason="terminal slip shows approved", uow_factory=shop.uow,
        hasher=FAST_HASHER, clock=shop.clock, currency_minor=shop.cfg.currency.to_minor,
    )  # fmt: skip
    tender = settle_card_by_hand(request_id, shop.user("Maria"), True, slip, **settle)
    assert tender is not None and tender.card == slip
    (settled,) = [b for t, b in entries(shop) if t == EventType.CARD_REQUEST_SETTLED]
    assert settled["how"] == "supervisor" and settled["approved_by"] == shop.user("Dana").id


def test_a_split_tender_of_card_and_cash(shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    cart, payment = open_sale(shop, "apparel", "home-kitchen")
    charge(shop, terminal, payment, D("20.00"))
    payment.add_cash(D("50.00"))
    sale = finish(shop, cart, payment)
    assert [t.kind for t in sale.tenders] == [TenderKind.CARD, TenderKind.CASH]
    assert sale.tenders[0].amount == D("20.00") and sale.change == D("50.00") - (payment.total - D("20.00"))
    (charged,) = sim.charged()
    assert charged.amount_minor == 2000
    assert derive_and_compare(shop.db.write).ok


def test_an_approval_for_another_amount_is_never_the_payment_and_is_reversed_at_once(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    cart, payment = open_sale(shop)
    sim.fault = Fault.OTHER_AMOUNT
    with pytest.raises(CardNotApproved) as refused:
        charge(shop, terminal, payment, payment.total)
    asked = shop.cfg.currency.to_minor(payment.total)
    assert "instead of" in refused.value.message and "reversed" in refused.value.message
    assert refused.value.hint == "Charge the card again."
    assert sim.charged() == []  # charged asked + 1.00, then reversed
    kinds = [t.kind for t in sim.transactions]
    assert kinds == ["sale", "reversal"] and sim.transactions[0].amount_minor == asked + 100
    settled = [b for t, b in entries(shop) if t == EventType.CARD_REQUEST_SETTLED]
    assert [b["outcome"] for b in settled] == ["other_amount", "approved"]
    with shop.read_uow() as uow:
        assert uow.sales.part_payments(payment.sale_id) == []
        totals = uow.cards.till_totals(shop.terminal.terminal_id)
    assert (totals.count, totals.amount_minor) == (2, 0)  # charged and reversed, as the terminal counts
    tender = charge(shop, terminal, payment, payment.total)
    assert tender.amount == payment.total and len(sim.charged()) == 1


# ------------------------------------------------------------------ refunds to the card that paid


def card_sale(shop: TestStore, terminal: ZvtTerminal, *categories: str) -> Any:
    cart, payment = open_sale(shop, *categories)
    for category in categories:
        cart.add(shop.item_in(category, 1), 1)  # two of each kind, so partial returns are partial
    payment = Payment(cart.total, shop.cfg.currency, shop.cfg.smallest_coin)
    charge(shop, terminal, payment, payment.total)
    return finish(shop, cart, payment)


def card_return(shop: TestStore, terminal: ZvtTerminal | None, sale: Any, line: int) -> Any:
    cmd = ProcessReturn(
        str(uuid.uuid4()), shop.user("Maria"),
        (ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, sale.lines[line].id),),
        RefundMethod.ORIGINAL, original_receipt=sale.receipt_number,
    )  # fmt: skip
    record = process_return(cmd, **deps(shop, terminal), rules=shop.rules)
    outcomes = send_refunds(record.id, shop.user("Maria"), **deps(shop, terminal))
    return record, outcomes


def test_a_referenced_partial_refund_after_two_earlier_partial_returns(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    sale = card_sale(shop, terminal, "apparel", "home-kitchen")
    (payment,) = sim.charged()
    refunded = 0
    for line in (0, 1, 2):
        record, (outcome,) = card_return(shop, terminal, sale, line)
        assert outcome.approved, outcome.text
        refund = sim.transactions[-1]
        assert refund.kind == "refund" and refund.approved
        assert (refund.original_receipt, refund.original_trace) == (payment.receipt_no, payment.trace)
        assert refund.amount_minor == shop.cfg.currency.to_minor(record.quote.refund_total)
        refunded += refund.amount_minor
    with shop.read_uow() as uow:
        requests = uow.cards.for_purpose("return", record.id)
        assert [r.original for r in requests] == [payment.reference]
        assert uow.cards.open_refunds(shop.terminal.terminal_id) == []
    assert refunded < payment.amount_minor  # one line is left: the card is owed no more than that
    settled = [b for t, b in entries(shop) if t == EventType.CARD_REQUEST_SETTLED]
    assert all(b["card_last4"] in ("", "4242") for b in settled)
    assert derive_and_compare(shop.db.write).ok


def test_a_refund_beyond_what_the_card_paid_is_declined_by_the_terminal(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    """The till caps the refund by what that card paid; the terminal, asked for more by a
    hostile or broken till, refuses too (the simulator checks it against its ledger)."""
    card_sale(shop, terminal, "apparel")
    (payment,) = sim.charged()
    answer = terminal.refund(payment.amount_minor + 1, payment.reference)
    assert not answer.approved and answer.text


def test_a_declined_card_refund_keeps_the_return_open_until_paid_another_way(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    sale = card_sale(shop, terminal, "apparel")
    sim.fault = Fault.DECLINED
    record, (outcome,) = card_return(shop, terminal, sale, 0)
    assert not outcome.approved and "Declined" in outcome.text
    with shop.read_uow() as uow:
        (open_refund,) = uow.cards.open_refunds(shop.terminal.terminal_id)
        shift = uow.shifts.current(shop.terminal.terminal_id)
        assert shift is not None
        cash_before = uow.shifts.expected_cash(shift)
    assert open_refund.for_id == record.id
    # tried again: declined again, still open
    sim.fault = Fault.DECLINED
    again = retry_refund(record.id, open_refund.seq, shop.user("Maria"), **deps(shop, terminal))
    assert not again.approved
    # paid in cash instead: only with a supervisor's approval for that amount
    close = CloseCardRefund(shop.user("Maria"), record.id, open_refund.seq, "cash")
    settle = {"uow_factory": shop.uow, "clock": shop.clock, "store": shop.cfg, "terminal": shop.terminal}
    with pytest.raises(CardApprovalNeeded):
        close_refund_otherwise(close, **settle)
    amount = shop.cfg.currency.from_minor(open_refund.amount_minor)
    grant_approval(
        request_id=close.request_id, kinds=[ApprovalKind.CARD_REFUND_OTHER_WAY], amount=amount,
        requester=shop.user("Maria"), approver_id=shop.user("Dana").id, pin="3333", reason="card expired",
        uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock, currency_minor=shop.cfg.currency.to_minor,
    )  # fmt: skip
    closed = close_refund_otherwise(close, **settle)
    assert closed.amount == amount and closed.approved_by == shop.user("Dana").id
    with shop.read_uow() as uow:
        assert uow.cards.open_refunds(shop.terminal.terminal_id) == []
        assert uow.shifts.expected_cash(shift) == cash_before - amount
        (drawer,) = [d for d in uow.outbox.pending_drawers() if d.opening.cash == amount]
    assert sim.transactions[-1].kind == "refund" and not sim.transactions[-1].approved
    assert derive_and_compare(shop.db.write).ok
    with pytest.raises(TenderError, match="not open"):
        close_refund_otherwise(close, **settle)  # paid once, never twice


def test_the_terminal_day_closes_beside_the_tills_and_a_difference_is_flagged(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    sale = card_sale(shop, terminal, "apparel")
    card_return(shop, terminal, sale, 0)
    day = close_terminal_day(shop.user("Dana"), **deps(shop, terminal))
    net = sim.transactions[0].amount_minor - sim.transactions[1].amount_minor
    assert day.agrees and shop.cfg.currency.to_minor(day.till_amount) == net == shop.cfg.currency.to_minor(
        day.terminal_amount
    )
    # a payment made on the terminal behind the till's back shows as a difference
    shop.clock.advance(minutes=5)
    card_sale(shop, terminal, "apparel")
    terminal.sale(500)
    shop.clock.advance(minutes=5)
    day = close_terminal_day(shop.user("Dana"), **deps(shop, terminal))
    assert not day.agrees and day.difference == D("5.00") and day.terminal_count == day.till_count + 1
    rows = dict(day.lines(lambda a: f"{a}"))
    assert rows["CARD DIFFERENCE"].startswith("5.00")
    report = x_report_of(shop)
    assert report.card_days[-1][1] - report.card_days[-1][3] == D("5.00")
    text = "\n".join(f"{r.label} {r.value}" for s in document_of(shop, report).sections for r in s.rows)
    assert "CARD DIFFERENCE +1" in text


def x_report_of(shop: TestStore) -> DayReport:
    with shop.read_uow() as uow:
        return x_report(uow, shop.terminal.terminal_id, shop.cfg.currency, shop.cfg.zone)


def document_of(shop: TestStore, report: DayReport) -> ReportDocument:
    return report_document(report, shop.cfg, printed_at=shop.clock.now(), printed_by="Dana")


def test_a_void_gives_the_card_back_on_the_terminal_before_it_is_journaled(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    cart, payment = open_sale(shop, "apparel", "home-kitchen")
    charge(shop, terminal, payment, D("10.00"))
    void = VoidPaidSale(shop.user("Alex"), payment.sale_id, cart, payment.total, tuple(payment.tenders), 1)
    said = reverse_card_payments(payment.sale_id, payment.tenders, shop.user("Alex"), void.request_id,
                                 **deps(shop, terminal))  # fmt: skip
    assert said == ["$10.00 went back to Visa •••• 4242 on the terminal."]
    assert sim.charged() == [] and sim.transactions[-1].kind == "reversal"
    record = void_paid_sale(void, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    assert record.given_back[0].kind is TenderKind.CARD
    # done once: asking again reverses nothing more
    assert reverse_card_payments(payment.sale_id, payment.tenders, shop.user("Alex"), void.request_id,
                                 **deps(shop, terminal)) == []  # fmt: skip
    assert len(sim.transactions) == 2


def test_a_cashier_cannot_reverse_a_card_without_the_voids_approval(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    cart, payment = open_sale(shop)
    charge(shop, terminal, payment, D("5.00"))
    with pytest.raises(CartError, match="approve"):
        reverse_card_payments(payment.sale_id, payment.tenders, shop.user("Maria"), "no-approval",
                              **deps(shop, terminal))  # fmt: skip
    assert len(sim.charged()) == 1


def test_a_card_keyed_by_hand_needs_a_supervisors_approval_for_that_amount(shop: TestStore) -> None:
    cart, payment = open_sale(shop)
    slip = CardDetails("Visa", "4242", "STAND1")
    cmd = KeyCardByHand(shop.user("Maria"), payment.sale_id, 1, payment.total, payment.total, slip, "keyed-1")
    settle = {"uow_factory": shop.uow, "clock": shop.clock, "store": shop.cfg, "terminal": shop.terminal}
    with pytest.raises(CardApprovalNeeded):
        key_card_by_hand(cmd, **settle)
    grant_approval(
        request_id="keyed-1", kinds=[ApprovalKind.CARD_MANUAL], amount=payment.total - D("1.00"),
        requester=shop.user("Maria"), approver_id=shop.user("Dana").id, pin="3333", reason="terminal down",
        uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock, currency_minor=shop.cfg.currency.to_minor,
    )  # fmt: skip
    with pytest.raises(CardApprovalNeeded):  # approved for another amount
        key_card_by_hand(cmd, **settle)
    grant_approval(
        request_id="keyed-2", kinds=[ApprovalKind.CARD_MANUAL], amount=payment.total,
        requester=shop.user("Maria"), approver_id=shop.user("Dana").id, pin="3333", reason="terminal down",
        uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock, currency_minor=shop.cfg.currency.to_minor,
    )  # fmt: skip
    tender = key_card_by_hand(replace(cmd, request_id="keyed-2"), **settle)
    assert tender.card == slip
    with shop.read_uow() as uow:
        assert uow.sales.part_payments(payment.sale_id) == [tender]


def test_a_card_answer_holding_more_than_the_last_4_digits_cannot_be_projected() -> None:
    from counter.projection import ProjectionError, project
    from counter.projection.base import EntryRef

    ref = EntryRef("T01", 9, "CardRequestSettled", "2026-12-07T10:00:00.000000Z")
    body = {
        "request_id": "r1",
        "outcome": "approved",
        "how": "answer",
        "amount": 100,
        "user": "u",
        "card_last4": "4242",
    }
    row, pending = project("CardRequestSettled", body, ref)  # the answer, and its request no longer waiting
    assert row.row["card_last4"] == "4242"  # type: ignore[union-attr]
    assert (pending.table, pending.key, pending.values) == ("card_pending", ("r1",), {"settled": True})  # type: ignore[union-attr]
    with pytest.raises(ProjectionError, match="last 4"):
        project("CardRequestSettled", {**body, "card_last4": "4111111111111111"}, ref)
    with pytest.raises(ProjectionError, match="outcome"):
        project("CardRequestSettled", {**body, "outcome": "maybe"}, ref)


def test_a_declined_card_refund_tried_again_and_made_is_no_longer_open(
    shop: TestStore, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    sale = card_sale(shop, terminal, "apparel")
    sim.fault = Fault.DECLINED
    record, (outcome,) = card_return(shop, terminal, sale, 0)
    assert not outcome.approved
    with shop.read_uow() as uow:
        (owed,) = uow.cards.open_refunds(shop.terminal.terminal_id)
    again = retry_refund(record.id, owed.seq, shop.user("Maria"), **deps(shop, terminal))
    assert again.approved and sim.transactions[-1].kind == "refund" and sim.transactions[-1].approved
    with shop.read_uow() as uow:
        assert uow.cards.open_refunds(shop.terminal.terminal_id) == []
