"""The store-bound steps of a return (counter.returns.process: process_return, load_context,
find_sale*, returnable_lines; counter.returns.hq_phase.ask_hq), each held through the real
write path on a real SQLite store (issue 14), by what the clerk is told and what the store
records:

* who may take a return, and only on an open drawer;
* finding the sale: receipt number typed, scanned (barcode) or read from the QR code,
  another store's or an unknown number explained, records changed outside Counter refused;
* what is still returnable across visits, and which tender each visit refunds;
* approvals bound to the amount, with the old and new amounts named when they differ;
* exchanges whose credit is missing or wrong are refused before anything is recorded;
* with HQ (an enrolled lane): the reservation HQ is sent, HQ's amounts when lower, HQ's
  refusal, the offline caps when HQ cannot be asked, another lane's receipt looked up at
  HQ with what the chain returned of it, and a reservation given back when the return fails;
* without a receipt: the customer's total at the other lanes that HQ answers, added to this
  lane's returns HQ did not count (issue #17 point 4), and the offline refusal.

Amounts are worked out here from the demo catalog: prices exclude tax, tax A is 8.25 %,
rounded half up to the cent.
"""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from counter.cash.shifts import CashRules, ShiftError, close_shift
from counter.desk.customers import ContactDetails, create_customer
from counter.errors import CounterError
from counter.journal import verify
from counter.returns.lookup import find_sale, load_context, returnable_lines
from counter.returns.model import (
    ApprovalNeeded,
    CustomerId,
    ExchangeSale,
    ProcessReturn,
    ReturnError,
    ReturnLineRequest,
)
from counter.returns.policy import ApprovalKind, Condition, Reason
from counter.returns.process import ReturnRecord, process_return
from counter.returns.refunds import RefundMethod
from counter.sales.cart import CartLine
from counter.sales.checkout import CompleteSale, price_command
from counter.sales.sale import Sale
from counter.sales.tenders import CardDetails, Payment, TenderKind
from counter.sync.upstream import (
    ChainNoReceipt,
    NoReceiptHold,
    OfflineCaps,
    RemoteSale,
    Reservation,
    ReservationRefused,
    ReservedLine,
    ReturnedAtHq,
    UpstreamUnavailable,
)
from db import schema as s
from db.demo import count_for
from db.queries import journal_entries
from db.reservations import HqReservations
from tests.db.support import TestStore, approve

D = Decimal
#: more than any sale here: the card pays it all
ALL_ON_CARD = Decimal("1e6")


# ------------------------------------------------------------------------------ helpers


class FakeHq(HqReservations):
    """HQ as a lane sees it, in memory: it answers look-ups from ``chain``, reserves (and
    answers its own amounts per line when ``amounts`` holds them), and records each call.
    Copying another lane's sale into the store (adopt) and what this lane refunded offline
    today are the real ones (db.reservations)."""

    def __init__(self, shop: TestStore, caps: OfflineCaps | None = None) -> None:
        super().__init__(None, None, shop.db.read, shop.cfg, shop.terminal, caps or OfflineCaps())  # type: ignore[arg-type]
        self.online = True
        self.chain: dict[str, RemoteSale] = {}
        self.amounts: dict[str, tuple[int, int, int]] = {}
        self.refuse: ReservationRefused | None = None
        self.lookup_down = False
        self.reserve_down = False
        self.release_down = False
        self.looked_up: list[str] = []
        self.reserved: list[Reservation] = []
        self.released: list[str] = []
        self.held: list[NoReceiptHold] = []
        #: HQ's answer about a customer's no-receipt returns at the other lanes, by customer key
        self.customers: dict[str, ChainNoReceipt] = {}

    def reachable(self) -> bool:
        return self.online

    def lookup(self, receipt_number: str) -> RemoteSale | None:
        self.looked_up.append(receipt_number)
        if self.lookup_down:
            raise UpstreamUnavailable("HQ timed out.", "")
        return self.chain.get(receipt_number)

    def reserve(self, reservation: Reservation) -> list[ReservedLine]:
        if self.reserve_down:
            raise UpstreamUnavailable("HQ timed out.", "")
        if self.refuse is not None:
            raise self.refuse
        self.reserved.append(reservation)
        return [
            ReservedLine(
                ln.sale_line_id,
                ln.quantity,
                *self.amounts.get(ln.sale_line_id, (ln.amount_minor, ln.tax_minor, ln.gross_minor)),
            )
            for ln in reservation.lines
        ]

    def hold_no_receipt(self, hold: NoReceiptHold) -> ChainNoReceipt:
        if not self.online or self.reserve_down:
            raise UpstreamUnavailable("HQ timed out.", "")
        if self.refuse is not None:
            raise self.refuse
        self.held.append(hold)
        return self.customers.get(hold.customer_key, ChainNoReceipt(0))

    def release(self, return_id: str) -> None:
        self.released.append(return_id)
        if self.release_down:
            raise UpstreamUnavailable("HQ timed out.", "")


def ret(shop: TestStore, cmd: ProcessReturn, upstream: FakeHq | None = None) -> ReturnRecord:
    return process_return(
        cmd,
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
        rules=shop.rules,
        upstream=upstream,
    )


def receipted(
    shop: TestStore,
    receipt: str,
    picks: list[tuple[str, int]],
    *,
    method: RefundMethod = RefundMethod.ORIGINAL,
    condition: Condition = Condition.NEW,
    cashier: str = "Maria",
    **kw: Any,
) -> ProcessReturn:
    return ProcessReturn(
        request_id=kw.pop("request_id", str(uuid.uuid4())),
        cashier=kw.pop("user", None) or shop.user(cashier),
        lines=tuple(ReturnLineRequest(q, Reason.CHANGED_MIND, condition, line_id) for line_id, q in picks),
        refund_method=method,
        original_receipt=receipt,
        **kw,
    )


def no_receipt(shop: TestStore, items: list[tuple[Any, int]], id_number: str = "D123-4567-8901") -> ProcessReturn:
    return ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=shop.user("Maria"),
        lines=tuple(ReturnLineRequest(q, Reason.GIFT, Condition.NEW, item=i, unit_price=i.price) for i, q in items),
        refund_method=RefundMethod.STORE_CREDIT,
        id_document=CustomerId.checked("Driver's license", id_number),
    )


def refused(shop: TestStore, cmd: ProcessReturn, upstream: FakeHq | None = None, error: type = ReturnError) -> Any:
    with pytest.raises(error) as err:
        ret(shop, cmd, upstream)
    return err.value


def count(shop: TestStore, table: Any) -> int:
    with shop.db.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def recorded(shop: TestStore) -> tuple[int, int, int]:
    """Returns, refunds and journal entries in the store."""
    return count(shop, s.returns), count(shop, s.refunds), count(shop, s.journal)


def entries(shop: TestStore, kind: str) -> list[dict[str, Any]]:
    return [e.body_data() for e in journal_entries(shop.db.read, "T01") if e.type == kind]


def tax(amount: Decimal) -> Decimal:
    """Tax A (8.25 %) on ``amount``, half up to the cent."""
    return (amount * D("0.0825")).quantize(D("0.01"), "ROUND_HALF_UP")


def shirt_sale(shop: TestStore, quantity: int = 3, card: Decimal | None = ALL_ON_CARD) -> Sale:
    shirt = shop.item_in("apparel")
    assert (shirt.price, shirt.tax.rate) == (D("9.99"), D("0.0825"))
    return shop.sell([(shirt, quantity)], card=card, cash=card is None or card < ALL_ON_CARD)


def drawer_cash(shop: TestStore) -> Decimal:
    """What the drawer of the open shift should hold."""
    with shop.uow() as uow:
        shift = uow.shifts.current("T01")
        assert shift is not None
        return uow.shifts.expected_cash(shift)


def close_the_drawer(shop: TestStore) -> None:
    """Maria closes the shift, counting exactly what the drawer should hold."""
    close_shift(
        shop.user("Maria"), count_for(drawer_cash(shop), shop.cfg.currency), "",
        uow_factory=shop.uow, clock=shop.clock, terminal_id="T01", currency=shop.cfg.currency, rules=CashRules(),
    )  # fmt: skip


def from_another_lane(sale: Sale, receipt_number: str = "S01-T02-000042") -> Sale:
    """The same sale as rung up on lane T02: unknown to this store file."""
    return dataclasses.replace(
        sale,
        id=str(uuid.uuid4()),
        receipt_number=receipt_number,
        terminal_id="T02",
        lines=tuple(dataclasses.replace(ln, id=str(uuid.uuid4())) for ln in sale.lines),
    )


# ------------------------------------------------------------------------ who and where


def test_a_user_who_may_not_take_returns_is_told_to_ask_a_supervisor_and_nothing_is_refunded(shop: TestStore) -> None:
    sale = shirt_sale(shop)
    gone = dataclasses.replace(shop.user("Maria"), active=False)
    before = recorded(shop)
    e = refused(shop, receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)], user=gone))
    assert (e.message, e.hint) == ("Maria Lopez may not take returns.", "Ask a supervisor.")
    assert count(shop, s.returns) == before[0]
    last = list(journal_entries(shop.db.read, "T01"))[-1]
    assert last.type == "AccessRefused" and last.body_data()["permission"] == "return"


def test_no_refund_is_taken_on_a_drawer_without_an_open_shift(shop: TestStore) -> None:
    sale = shirt_sale(shop)
    close_the_drawer(shop)
    e = refused(shop, receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)]), error=ShiftError)
    assert e.message == "No shift is open on this drawer, so nothing can be sold or refunded."
    assert count(shop, s.returns) == 0


# ---------------------------------------------------------------------- finding the sale


@pytest.mark.parametrize(
    "typed",
    ["{n}", " {n} ", "{lower}", "CNTR:{n}", "cntr:{lower}", "  CNTR:{n}\n"],
    ids=["typed", "spaces", "lower-case", "qr-code", "qr-code-lower-case", "qr-code-with-newline"],
)
def test_a_receipt_is_found_typed_scanned_or_from_its_qr_code(shop: TestStore, typed: str) -> None:
    sale = shirt_sale(shop)
    text = typed.format(n=sale.receipt_number, lower=sale.receipt_number.lower())
    with shop.uow() as uow:
        assert find_sale(uow, text, shop.cfg).id == sale.id
    record = ret(shop, receipted(shop, text, [(sale.lines[0].id, 1)]))
    assert (record.original_sale_id, record.original_receipt) == (sale.id, sale.receipt_number)


@pytest.mark.parametrize(
    ("number", "message", "hint"),
    [
        (
            "S09-T01-000001",
            "Receipt S09-T01-000001 is from another store.",
            "Look it up at that store, or return the items without a receipt.",
        ),
        (
            "S010-T01-000001",  # starts like this store's id, but is store S010's
            "Receipt S010-T01-000001 is from another store.",
            "Look it up at that store, or return the items without a receipt.",
        ),
        (
            "s01-t01-999999",
            "No sale has the receipt number S01-T01-999999.",
            "Check the number on the receipt, or search by date and amount.",
        ),
        (
            "12345",  # not a receipt number at all: not "from another store"
            "No sale has the receipt number 12345.",
            "A receipt number looks like S01-T01-000123: check it on the receipt, or search by date and amount.",
        ),
        (
            "S01-T01",  # cut short
            "No sale has the receipt number S01-T01.",
            "A receipt number looks like S01-T01-000123: check it on the receipt, or search by date and amount.",
        ),
    ],
)
def test_an_unknown_or_foreign_receipt_says_what_to_do(shop: TestStore, number: str, message: str, hint: str) -> None:
    sale = shirt_sale(shop)
    e = refused(shop, receipted(shop, number, [(sale.lines[0].id, 1)]))
    assert (e.message, e.hint) == (message, hint)
    assert count(shop, s.returns) == 0


def test_a_sale_whose_rows_were_changed_outside_counter_refunds_nothing(shop: TestStore) -> None:
    sale = shirt_sale(shop)
    with shop.db.write.begin() as conn:  # someone lowers the quantity sold in the file
        guards = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='sale_lines'")
        for (name,) in guards.all():
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        conn.execute(update(s.sale_lines).where(s.sale_lines.c.id == sale.lines[0].id).values(quantity=2))
    e = refused(shop, receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)]))
    assert e.message == (
        f"The records of receipt {sale.receipt_number} were changed outside Counter: they no longer match "
        "its journal, so nothing can be refunded on them."
    )
    assert e.hint == "Call a manager: `counter journal verify` names what was changed."
    assert count(shop, s.returns) == 0


# -------------------------------------------------------------- what is still returnable


def test_each_visit_sees_what_earlier_visits_returned_of_each_line(shop: TestStore) -> None:
    shirt, pan = shop.item_in("apparel"), shop.item_in("home-kitchen")
    sale = shop.sell([(shirt, 3), (pan, 2)], card=D("1e6"), cash=False)
    shirt_line, pan_line = sale.lines
    ret(shop, receipted(shop, sale.receipt_number, [(shirt_line.id, 2)]))
    with shop.uow() as uow:
        lines = returnable_lines(uow, sale)
    assert [(rl.line.id, rl.category_id, rl.returned.quantity, rl.returnable) for rl in lines] == [
        (shirt_line.id, "apparel", 2, 1),
        (pan_line.id, "home-kitchen", 0, 2),
    ]
    e = refused(shop, receipted(shop, sale.receipt_number, [(shirt_line.id, 2)]))
    assert e.message == f"Only 1 of {shirt.name} can still be returned (3 sold, 2 already returned)."
    assert e.hint == "Lower the quantity to return."
    # the same line asked twice in one return counts as one
    e = refused(shop, receipted(shop, sale.receipt_number, [(shirt_line.id, 1), (shirt_line.id, 1)]))
    assert e.message.startswith("Only 1 of ")
    last = ret(shop, receipted(shop, sale.receipt_number, [(shirt_line.id, 1), (pan_line.id, 2)]))
    # 3 × 9.99 = 29.97 + 2.47 = 32.44, of which 2 units gave back 21.63: the last one 10.81;
    # 2 × 19.99 = 39.98 + 3.30 = 43.28
    assert [ln.gross for ln in last.quote.lines] == [D("10.81"), D("43.28")]
    assert tax(D("29.97")) == D("2.47") and tax(D("39.98")) == D("3.30")


def test_the_category_of_each_line_sets_its_return_window(shop: TestStore) -> None:
    """60 days on: the pan (home & kitchen, 90 days) comes back without a word, the shirt
    (apparel, 30 days) needs a supervisor."""
    shirt, pan = shop.item_in("apparel"), shop.item_in("home-kitchen")
    sale = shop.sell([(shirt, 1), (pan, 1)], card=D("1e6"), cash=False)
    shirt_line, pan_line = sale.lines
    shop.clock.advance(days=60)
    record = ret(shop, receipted(shop, sale.receipt_number, [(pan_line.id, 1)]))
    assert record.quote.approvals == frozenset() and record.quote.refund_total == D("19.99") + tax(D("19.99"))
    e = refused(shop, receipted(shop, sale.receipt_number, [(shirt_line.id, 1)]), error=ApprovalNeeded)
    assert e.kinds == {ApprovalKind.OUT_OF_WINDOW}


def test_a_split_payment_is_refunded_card_first_and_never_twice_across_visits(shop: TestStore) -> None:
    """3 shirts, 32.44: 10.00 on the card, 22.44 in cash. One back: 10.81, the card's
    10.00 then 0.81 cash. Two more: 21.63, all cash, the card having had its 10.00."""
    sale = shirt_sale(shop, card=D("10.00"))
    assert [(t.kind, t.amount) for t in sale.tenders] == [(TenderKind.CARD, D("10.00")), (TenderKind.CASH, D("22.44"))]
    line = sale.lines[0].id
    first = ret(shop, receipted(shop, sale.receipt_number, [(line, 1)]))
    assert [(p.kind, p.amount, p.original_seq) for p in first.quote.allocation.parts] == [
        (TenderKind.CARD, D("10.00"), 1),
        (TenderKind.CASH, D("0.81"), 2),
    ]
    second = ret(shop, receipted(shop, sale.receipt_number, [(line, 2)]))
    assert [(p.kind, p.amount, p.original_seq) for p in second.quote.allocation.parts] == [
        (TenderKind.CASH, D("21.63"), 2)
    ]


def test_the_cash_a_refund_may_take_is_what_the_drawer_of_the_open_shift_holds(shop: TestStore) -> None:
    sale = shirt_sale(shop, card=None)  # 32.44 in cash
    drawer = drawer_cash(shop)
    assert drawer >= D("32.44")
    with shop.uow() as uow:
        ctx = load_context(
            uow, receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)]), shop.cfg, shop.terminal,
            shop.rules, shop.clock.now(),
        )  # fmt: skip
    assert ctx.drawer_cash == drawer
    assert [(t.seq, t.kind, t.amount, t.refunded) for t in ctx.paid] == [(1, TenderKind.CASH, D("32.44"), D(0))]


def test_an_exchange_sale_returned_later_refunds_only_what_was_paid_beyond_the_credit(shop: TestStore) -> None:
    """A shirt (10.81) exchanged for a pan (19.99 + 1.65 = 21.64): 10.81 of exchange credit
    and 10.83 on a card. Returning the pan later gives back the card's 10.83 and then the
    rest as store credit: the exchange credit is no tender to refund to."""
    sale = shirt_sale(shop, quantity=1)
    pan = shop.item_in("home-kitchen")
    new_lines = [CartLine(pan, 1)]
    total = price_command(CompleteSale(shop.user("Maria"), new_lines, None, (), D(0)), shop.cfg).total
    assert total == D("21.64") and tax(D("19.99")) == D("1.65")
    payment = Payment(total, shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_exchange_credit(D("10.81"))
    payment.add_card(payment.remaining, CardDetails("Mastercard", "5454", "EXCH01"))
    exchange = ExchangeSale(CompleteSale(shop.user("Maria"), new_lines, None, tuple(payment.tenders), payment.rounding))
    swap = receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)], exchange=exchange)
    record = ret(shop, swap)
    new_sale = record.exchange_sale
    assert new_sale is not None and new_sale.total == D("21.64")
    assert entries(shop, "SaleCompleted")[-1]["exchange_id"] == swap.request_id
    assert entries(shop, "ReturnProcessed")[-1]["exchange_sale_id"] == new_sale.id
    back = ret(shop, receipted(shop, new_sale.receipt_number, [(new_sale.lines[0].id, 1)]))
    assert [(p.kind, p.amount, p.original_seq, p.reference) for p in back.quote.allocation.parts] == [
        (TenderKind.CARD, D("10.83"), 2, "EXCH01"),
        (TenderKind.STORE_CREDIT, D("10.81"), None, ""),
    ]
    assert back.voucher_code is not None and back.voucher_code.startswith("SC")


# ----------------------------------------------------------------------------- refusals


def test_items_taken_back_only_with_their_receipt_are_refused_without_one_with_the_reasons(shop: TestStore) -> None:
    gadget, hammer = shop.item_in("electronics"), shop.item_in("hardware")
    before = recorded(shop)
    e = refused(shop, no_receipt(shop, [(gadget, 1), (hammer, 1)]))
    why = "this item is returned only with its receipt; no receipt: store credit only, at the lowest recent price"
    assert e.message == f"This return cannot be taken: {gadget.name}: {why} / {hammer.name}: {why}"
    assert e.hint == "Explain the policy to the customer."
    assert recorded(shop) == before


def test_a_return_without_a_receipt_is_never_refunded_in_cash(shop: TestStore) -> None:
    toy = shop.item_in("toys-games")
    cmd = dataclasses.replace(no_receipt(shop, [(toy, 1)]), refund_method=RefundMethod.CASH)
    e = refused(shop, cmd)
    assert (e.message, e.hint) == (
        "Returns without a receipt are refunded as store credit only.",
        "Choose store credit (F8).",
    )


def test_the_supervisor_is_asked_for_the_exact_amount_and_an_old_approval_names_both_amounts(shop: TestStore) -> None:
    """Two of an opened gadget, 20 days on (electronics: 15 days, 15 % restocking fee) and
    the fee waived: out of window and fee waiver. 2 × 4.99 = 9.98 + 0.82 = 10.80 each unit
    5.40."""
    gadget = shop.item_in("electronics")
    sale = shop.sell([(gadget, 2)], card=D("1e6"), cash=False)
    assert tax(D("9.98")) == D("0.82")
    shop.clock.advance(days=20)
    line = sale.lines[0].id
    one = receipted(shop, sale.receipt_number, [(line, 1)], condition=Condition.OPENED, waive_fees=True)
    e = refused(shop, one, error=ApprovalNeeded)
    assert (e.kinds, e.amount) == ({ApprovalKind.OUT_OF_WINDOW, ApprovalKind.FEE_WAIVER}, D("5.40"))
    assert e.message.endswith("($5.40).")
    # approved for one unit each kind, but at two different amounts by mistake
    approve(shop, one, {ApprovalKind.OUT_OF_WINDOW}, D("5.40"))
    approve(shop, one, {ApprovalKind.FEE_WAIVER}, D("5.39"))
    e = refused(shop, one)
    assert (e.message, e.hint) == (
        "The approval was for $5.39; the refund is now $5.40.",
        "Ask the supervisor to approve again (F9).",
    )
    # the customer brings both: both approvals are stale, each amount named once
    both = dataclasses.replace(one, lines=(dataclasses.replace(one.lines[0], quantity=2),))
    e = refused(shop, both)
    assert e.message == "The approval was for $5.39, $5.40; the refund is now $10.80."
    assert count(shop, s.returns) == 0
    approve(shop, one, {ApprovalKind.FEE_WAIVER}, D("5.40"))
    assert ret(shop, one).quote.refund_total == D("5.40")


def test_an_approval_of_one_kind_leaves_only_the_other_kind_to_ask_for(shop: TestStore) -> None:
    gadget = shop.item_in("electronics")
    sale = shop.sell([(gadget, 1)], card=D("1e6"), cash=False)
    shop.clock.advance(days=20)
    cmd = receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)], condition=Condition.OPENED, waive_fees=True)
    approve(shop, cmd, {ApprovalKind.OUT_OF_WINDOW}, D("5.40"))
    e = refused(shop, cmd, error=ApprovalNeeded)
    assert (e.kinds, e.amount) == ({ApprovalKind.FEE_WAIVER}, D("5.40"))


@pytest.mark.parametrize("paid", ["nothing", "too little"])
def test_an_exchange_without_its_credit_in_the_payment_records_nothing(shop: TestStore, paid: str) -> None:
    sale = shirt_sale(shop, quantity=1)  # 10.81 of credit
    pan = shop.item_in("home-kitchen")
    new_lines = [CartLine(pan, 1)]
    payment = Payment(D("21.64"), shop.cfg.currency, shop.cfg.smallest_coin)
    if paid == "too little":
        payment.add_exchange_credit(D("10.80"))
    payment.add_card(payment.remaining, CardDetails("Mastercard", "5454", "EXCH01"))
    exchange = ExchangeSale(CompleteSale(shop.user("Maria"), new_lines, None, tuple(payment.tenders), payment.rounding))
    before = (recorded(shop), count(shop, s.sales))
    e = refused(shop, receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)], exchange=exchange))
    message = {
        "nothing": "The exchange credit is missing from the payment.",
        "too little": "The exchange credit does not match the returned items.",
    }[paid]
    assert (e.message, e.hint) == (message, "Take the payment again.")
    assert (recorded(shop), count(shop, s.sales)) == before


# ------------------------------------------------------------------------ what is recorded


def test_a_receipted_return_to_the_card_records_who_when_what_and_no_voucher(shop: TestStore) -> None:
    sale = shirt_sale(shop)
    jane = create_customer(
        shop.user("Maria"), ContactDetails.checked("Jane Doe", "(217) 555-0175", "jane@example.com"),
        uow_factory=shop.uow, clock=shop.clock,
    )  # fmt: skip
    cmd = receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)], cashier="Sam", customer=jane.id)
    record = ret(shop, cmd)
    assert (record.cashier_id, record.completed_at, record.request_id) == (
        "u-cashier-2",
        shop.clock.now(),
        cmd.request_id,
    )
    assert record.return_number == "S01-T01-R000001"
    assert (record.original_sale_id, record.original_receipt) == (sale.id, sale.receipt_number)
    assert (record.customer_key, record.customer_hint, record.voucher_code) == (None, None, None)
    assert record.hq_reserved is False and record.exchange_sale is None
    body = entries(shop, "ReturnProcessed")[-1]
    assert body == {**record.journal_body(shop.cfg.currency), "customer_id": jane.id}
    assert body["refund_total"] == 1081 and body["hq_reserved"] is False
    assert ret(shop, receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)])).return_number == "S01-T01-R000002"
    assert "customer_id" not in entries(shop, "ReturnProcessed")[-1]
    assert verify(list(journal_entries(shop.db.read, "T01"))).ok


def test_store_credit_asked_for_on_a_receipt_is_a_voucher_holding_the_refund(shop: TestStore) -> None:
    sale = shirt_sale(shop)
    record = ret(shop, receipted(shop, sale.receipt_number, [(sale.lines[0].id, 2)], method=RefundMethod.STORE_CREDIT))
    assert record.voucher_code is not None and record.voucher_code.startswith("SC")
    with shop.uow() as uow:
        assert uow.vouchers.balance(record.voucher_code) == D("21.63")  # 32.44 × 2/3


def test_a_no_receipt_return_records_only_the_last_four_of_the_id(shop: TestStore) -> None:
    toy = shop.item_in("toys-games")
    cmd = no_receipt(shop, [(toy, 1)], "D123-4567-8901")
    e = refused(shop, cmd, error=ApprovalNeeded)
    approve(shop, cmd, e.kinds, e.amount)
    record = ret(shop, cmd)
    assert record.customer_hint == "Driver's license …8901"
    assert record.customer_key == cmd.id_document.key  # type: ignore[union-attr]
    assert (record.original_sale_id, record.original_receipt) == (None, None)
    assert record.quote.refund_total == D("24.99") + tax(D("24.99")) == D("27.05")


# ---------------------------------------------------------------------------------- HQ


def test_an_enrolled_lane_reserves_the_quantities_at_hq_before_refunding(shop: TestStore) -> None:
    sale = shirt_sale(shop)
    hq = FakeHq(shop)
    record = ret(shop, receipted(shop, "cntr:" + sale.receipt_number.lower(), [(sale.lines[0].id, 2)]), hq)
    assert hq.looked_up == []  # a sale of this lane is not looked up at HQ
    (reservation,) = hq.reserved
    assert reservation == Reservation(
        record.id, sale.id, sale.receipt_number, (ReservedLine(sale.lines[0].id, 2, 1998, 165, 2163),)
    )
    assert record.hq_reserved is True and entries(shop, "ReturnProcessed")[-1]["hq_reserved"] is True
    assert hq.released == []


def test_hq_amounts_count_when_another_lane_returned_part_of_the_line_meanwhile(shop: TestStore) -> None:
    """HQ prorates from the chain's ledger, which may hold a unit another lane returned
    that this lane has not seen: where HQ's figure for the line is lower, the refund is
    HQ's; where it is higher, this lane's stays (HQ takes no more than it reserved)."""
    sale = shirt_sale(shop)
    hq = FakeHq(shop)
    line = sale.lines[0].id
    hq.amounts[line] = (1000, 83, 1083)
    record = ret(shop, receipted(shop, sale.receipt_number, [(line, 1)]), hq)
    (ql,) = record.quote.lines
    assert (ql.amount, ql.tax, ql.gross) == (D("9.99"), D("0.82"), D("10.81"))  # HQ's is higher: this lane's stays
    assert record.quote.refund_total == D("10.81")
    hq.amounts[line] = (900, 74, 974)
    record = ret(shop, receipted(shop, sale.receipt_number, [(line, 1)]), hq)
    (ql,) = record.quote.lines
    assert (ql.amount, ql.tax, ql.gross) == (D("9.00"), D("0.74"), D("9.74"))
    assert [(p.kind, p.amount) for p in record.quote.allocation.parts] == [(TenderKind.CARD, D("9.74"))]
    assert entries(shop, "ReturnProcessed")[-1]["refund_total"] == 974


def test_hq_refusing_the_reservation_is_told_to_the_clerk_and_nothing_is_refunded(shop: TestStore) -> None:
    sale = shirt_sale(shop)
    hq = FakeHq(shop)
    hq.refuse = ReservationRefused("Only 1 of this line is left to return in the chain.", "Check the receipt.")
    before = recorded(shop)
    e = refused(shop, receipted(shop, sale.receipt_number, [(sale.lines[0].id, 2)]), hq)
    assert (e.message, e.hint) == ("Only 1 of this line is left to return in the chain.", "Check the receipt.")
    assert recorded(shop) == before and hq.released == []


def test_when_hq_cannot_be_asked_a_receipted_return_is_held_to_the_offline_caps(shop: TestStore) -> None:
    sale = shirt_sale(shop)
    line = sale.lines[0].id
    hq = FakeHq(shop, OfflineCaps(per_return=D("20.00"), per_day=D("30.00")))
    hq.reserve_down = True
    e = refused(shop, receipted(shop, sale.receipt_number, [(line, 2)]), hq, error=CounterError)  # 21.63
    assert e.message == ("HQ cannot be reached, and offline a return may refund at most $20.00 (this one is $21.63).")
    first = ret(shop, receipted(shop, sale.receipt_number, [(line, 1)]), hq)  # 10.81
    assert first.hq_reserved is False and hq.reserved == []
    assert entries(shop, "ReturnProcessed")[-1]["hq_reserved"] is False
    # per day: 10.81 so far; another 10.81 makes 21.62, within 30.00; a third would pass it
    other = shirt_sale(shop)
    assert ret(shop, receipted(shop, other.receipt_number, [(other.lines[0].id, 1)]), hq).hq_reserved is False
    e = refused(shop, receipted(shop, other.receipt_number, [(other.lines[0].id, 1)]), hq, error=CounterError)
    assert (e.message, e.hint) == (
        "HQ cannot be reached, and this lane's offline refunds today would pass $30.00.",
        "Wait until the status bar shows Sync online, or ask a manager.",
    )
    assert count(shop, s.returns) == 2


def test_a_no_receipt_return_is_held_at_hq_and_offline_needs_the_offline_permission(shop: TestStore) -> None:
    toy = shop.item_in("toys-games")
    hq = FakeHq(shop)
    cmd = no_receipt(shop, [(toy, 1)])
    e = refused(shop, cmd, hq, error=ApprovalNeeded)
    approve(shop, cmd, e.kinds, e.amount)
    record = ret(shop, cmd, hq)
    assert record.quote.refund_total == D("27.05") and record.hq_reserved is True
    assert cmd.id_document is not None
    # HQ is sent the ID's key, the refund and the window: never the ID's number. The
    # attempt that needed the approval held it too, and gave it back.
    asked, taken = hq.held
    assert taken == NoReceiptHold(record.id, cmd.id_document.key, 2705, 30)
    assert hq.released == [asked.return_id] and asked.return_id != record.id
    assert hq.reserved == [] and hq.looked_up == []
    body = entries(shop, "ReturnProcessed")[-1]
    assert body["hq_reserved"] is True
    assert body["no_receipt_limit"] == {"limit": 15000, "window_days": 30, "before": 0}
    assert "D12345678901" not in str(body) and body["customer_key"] == cmd.id_document.key
    hq.online = False
    later = no_receipt(shop, [(toy, 1)])
    # said before any supervisor is called over: no approval makes it possible offline
    e = refused(shop, later, hq, error=CounterError)
    assert not isinstance(e, ApprovalNeeded)
    assert (e.message, e.hint) == (
        "Returns without a receipt are not taken while HQ cannot be reached: the customer's "
        "returns at the other lanes cannot be counted.",
        "Ask the customer to come back later, or call the store manager.",
    )
    allowed = FakeHq(shop, OfflineCaps(no_receipt=True))
    allowed.online = False
    e = refused(shop, later, allowed, error=ApprovalNeeded)
    approve(shop, later, e.kinds, e.amount)
    assert ret(shop, later, allowed).hq_reserved is False and allowed.held == []
    # offline, only this file's returns count: the first one, not the chain's
    assert entries(shop, "ReturnProcessed")[-1]["no_receipt_limit"]["before"] == 2705


def test_hqs_total_of_the_customers_other_returns_counts_toward_the_limit(shop: TestStore) -> None:
    """HQ says the customer was refunded 130.00 without a receipt at other lanes: a return
    of 27.05 here takes them over 150.00, though this file has none of it. The hold of the
    attempt that needed the approval is given back."""
    toy = shop.item_in("toys-games")
    hq = FakeHq(shop)
    cmd = no_receipt(shop, [(toy, 1)])
    assert cmd.id_document is not None
    key = cmd.id_document.key
    hq.customers[key] = ChainNoReceipt(13000, frozenset({"elsewhere-1", "elsewhere-2"}))
    # one supervisor visit for both approvals: asked once HQ has answered
    e = refused(shop, cmd, hq, error=ApprovalNeeded)
    assert e.kinds == {ApprovalKind.NO_RECEIPT, ApprovalKind.CUSTOMER_LIMIT} and e.amount == D("27.05")
    assert e.message == (
        "A supervisor must approve: no-receipt returns above the customer's limit, return without a receipt ($27.05)."
    )
    (first,) = hq.held
    assert hq.released == [first.return_id] and count(shop, s.returns) == 0
    approve(shop, cmd, e.kinds, D("27.05"))
    record = ret(shop, cmd, hq)
    assert ApprovalKind.CUSTOMER_LIMIT in record.quote.approvals
    assert entries(shop, "ReturnProcessed")[-1]["no_receipt_limit"] == {
        "limit": 15000, "window_days": 30, "before": 13000,
    }  # fmt: skip
    with shop.read_uow() as uow:
        assert uow.returns.no_receipt_refunds(key, shop.clock.now(), 30) == {record.id: D("27.05")}
    # HQ now counts this lane's return (pushed, or held): it is not counted twice. Four
    # more toys (108.21) with the 27.05 stay within 150.00; counted twice they would not.
    hq.customers[key] = ChainNoReceipt(2705, frozenset({record.id}))
    four = no_receipt(shop, [(toy, 4)])
    e = refused(shop, four, hq, error=ApprovalNeeded)
    assert e.kinds == {ApprovalKind.NO_RECEIPT} and D("27.05") * 2 + e.amount > D("150.00")
    approve(shop, four, e.kinds, e.amount)
    assert ret(shop, four, hq).quote.approvals == {ApprovalKind.NO_RECEIPT}


def test_a_return_this_lane_took_offline_counts_beside_hqs_total(shop: TestStore) -> None:
    """This lane took 27.05 offline (not pushed, never held); HQ knows 100.00 at another
    lane. Both count: 127.05, and 27.05 more passes 150.00. Neither the larger of the two
    (100.00) nor HQ's alone would have asked for the approval."""
    toy = shop.item_in("toys-games")
    offline = FakeHq(shop, OfflineCaps(no_receipt=True))
    offline.online = False
    first = no_receipt(shop, [(toy, 1)])
    approve(shop, first, {ApprovalKind.NO_RECEIPT}, D("27.05"))
    taken = ret(shop, first, offline)
    assert taken.hq_reserved is False
    hq = FakeHq(shop)
    assert first.id_document is not None
    hq.customers[first.id_document.key] = ChainNoReceipt(10000, frozenset({"at-T02"}))
    second = no_receipt(shop, [(toy, 1)])
    e = refused(shop, second, hq, error=ApprovalNeeded)
    assert e.kinds == {ApprovalKind.NO_RECEIPT, ApprovalKind.CUSTOMER_LIMIT}


def test_a_reservation_is_given_back_when_the_return_then_fails(shop: TestStore) -> None:
    sale = shirt_sale(shop, quantity=1)
    pan = shop.item_in("home-kitchen")
    payment = Payment(D("21.64"), shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_card(payment.remaining, CardDetails("Mastercard", "5454", "EXCH01"))  # no exchange credit
    exchange = ExchangeSale(
        CompleteSale(shop.user("Maria"), [CartLine(pan, 1)], None, tuple(payment.tenders), payment.rounding)
    )
    cmd = receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)], exchange=exchange)
    hq = FakeHq(shop)
    e = refused(shop, cmd, hq)
    assert e.message == "The exchange credit is missing from the payment."
    (reservation,) = hq.reserved
    assert hq.released == [reservation.return_id]
    # HQ away when told: the clerk still hears why the return failed (HQ keeps it unconfirmed)
    hq.release_down = True
    e = refused(shop, cmd, hq)
    assert e.message == "The exchange credit is missing from the payment."
    assert len(hq.released) == 2 and count(shop, s.returns) == 0


def test_another_lanes_receipt_is_looked_up_at_hq_with_what_the_chain_returned(shop: TestStore) -> None:
    """Bought at lane T02: 3 shirts, 10.00 on a card, 22.44 cash. HQ knows one unit came
    back (10.81, 10.00 of it to the card) at yet another lane; this file knows nothing."""
    local = shirt_sale(shop, card=D("10.00"))
    remote = from_another_lane(local)
    line = remote.lines[0].id
    hq = FakeHq(shop)
    hq.chain[remote.receipt_number] = RemoteSale(
        remote,
        {line: ReturnedAtHq(1, D("9.99"), D("0.82"), D("10.81"))},
        {1: D("10.00"), 2: D("0.81")},
    )
    e = refused(shop, receipted(shop, " cntr:s01-t02-000042", [(line, 3)]), hq)
    assert hq.looked_up == ["S01-T02-000042"]
    assert e.message == f"Only 2 of {remote.lines[0].name} can still be returned (3 sold, 1 already returned)."
    record = ret(shop, receipted(shop, remote.receipt_number, [(line, 2)]), hq)
    assert (record.original_sale_id, record.original_receipt) == (remote.id, "S01-T02-000042")
    assert record.quote.refund_total == D("21.63")  # 32.44 − 10.81
    assert [(p.kind, p.amount, p.original_seq) for p in record.quote.allocation.parts] == [
        (TenderKind.CASH, D("21.63"), 2)
    ]
    assert [b["receipt_number"] for b in entries(shop, "SaleAdopted")] == ["S01-T02-000042"]
    assert hq.reserved[-1].sale_id == remote.id
    assert verify(list(journal_entries(shop.db.read, "T01"))).ok


@pytest.mark.parametrize(
    ("down", "message", "hint"),
    [
        (
            True,
            "Receipt S01-T02-000042 is not from this lane, and HQ cannot be reached to look it up.",
            "Try again when the status bar shows Sync online, or return the items without a receipt.",
        ),
        (
            False,
            "No sale in the chain has the receipt number S01-T02-000042.",
            "Check the number on the receipt, or search by date and amount.",
        ),
    ],
)
def test_a_receipt_hq_cannot_find_or_cannot_be_asked_about_says_what_to_do(
    shop: TestStore, down: bool, message: str, hint: str
) -> None:
    sale = shirt_sale(shop)
    hq = FakeHq(shop)
    hq.lookup_down = down
    e = refused(shop, receipted(shop, "s01-t02-000042", [(sale.lines[0].id, 1)]), hq)
    assert (e.message, e.hint) == (message, hint)
    assert hq.looked_up == ["S01-T02-000042"] and count(shop, s.returns) == 0


# ------------------------------------------------------------------- more of the same rules


def test_amounts_in_what_the_clerk_is_told_follow_the_stores_locale(shop: TestStore) -> None:
    """A store set to German formats every amount it names the German way (5,40 $)."""
    german = dataclasses.replace(shop.cfg, locale="de_DE")

    def take(cmd: ProcessReturn, upstream: FakeHq | None = None) -> ReturnRecord:
        return process_return(
            cmd, uow_factory=shop.uow, clock=shop.clock, store=german, terminal=shop.terminal,
            rules=shop.rules, upstream=upstream,
        )  # fmt: skip

    gadget = shop.item_in("electronics")
    sale = shop.sell([(gadget, 2)], card=D("1e6"), cash=False)
    shop.clock.advance(days=20)
    line = sale.lines[0].id
    one = receipted(shop, sale.receipt_number, [(line, 1)], condition=Condition.OPENED, waive_fees=True)
    with pytest.raises(ApprovalNeeded) as needed:
        take(one)
    assert needed.value.message.endswith("(5,40\xa0$).")
    approve(shop, one, needed.value.kinds, D("5.39"))
    with pytest.raises(ReturnError) as stale:
        take(one)
    assert stale.value.message == "The approval was for 5,39\xa0$; the refund is now 5,40\xa0$."
    shop.clock.advance(days=-20)
    other = shirt_sale(shop)
    hq = FakeHq(shop, OfflineCaps(per_return=D("20.00")))
    hq.reserve_down = True
    with pytest.raises(CounterError) as offline:
        take(receipted(shop, other.receipt_number, [(other.lines[0].id, 2)]), hq)
    assert offline.value.message == (
        "HQ cannot be reached, and offline a return may refund at most 20,00\xa0$ (this one is 21,63\xa0$)."
    )


def test_without_an_open_shift_the_drawer_offers_no_cash_to_a_quote(shop: TestStore) -> None:
    """The return screen quotes before the command runs: with the drawer closed there is no
    cash to refund from."""
    sale = shirt_sale(shop, card=None)
    close_the_drawer(shop)
    with shop.uow() as uow:
        ctx = load_context(
            uow, receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)]), shop.cfg, shop.terminal,
            shop.rules, shop.clock.now(),
        )  # fmt: skip
    assert ctx.drawer_cash == D(0) and ctx.sale is not None and ctx.sale.id == sale.id


def test_a_sale_paid_with_a_voucher_refunds_to_store_credit_naming_that_voucher(shop: TestStore) -> None:
    """A voucher of 21.63 (two shirts back as store credit) pays 10.00 of a pan (21.64), cash
    the other 11.64. The pan back: card first (none), then the voucher's 10.00, then cash."""
    first = shirt_sale(shop)
    credit = ret(
        shop, receipted(shop, first.receipt_number, [(first.lines[0].id, 2)], method=RefundMethod.STORE_CREDIT)
    )
    code = credit.voucher_code or ""
    pan_sale = shop.sell([(shop.item_in("home-kitchen"), 1)], voucher=(code, D("10.00"), D("21.63")))
    assert [(t.kind, t.amount) for t in pan_sale.tenders] == [
        (TenderKind.STORE_CREDIT, D("10.00")),
        (TenderKind.CASH, D("11.64")),
    ]
    back = ret(shop, receipted(shop, pan_sale.receipt_number, [(pan_sale.lines[0].id, 1)]))
    assert [(p.kind, p.amount, p.original_seq, p.reference) for p in back.quote.allocation.parts] == [
        (TenderKind.STORE_CREDIT, D("10.00"), 1, code),
        (TenderKind.CASH, D("11.64"), 2, ""),
    ]


def test_an_item_this_store_does_not_carry_has_no_category(shop: TestStore) -> None:
    """A receipt of another store, looked up at HQ, may hold an item this store's catalog
    does not know: its line is still listed, with no category (the default policy)."""
    sale = shirt_sale(shop)
    foreign = dataclasses.replace(
        from_another_lane(sale, "S02-T01-000007"),
        store_id="S02",
    )
    foreign = dataclasses.replace(foreign, lines=(dataclasses.replace(foreign.lines[0], item_id="item-only-at-s02"),))
    with shop.uow() as uow:
        (rl,) = returnable_lines(uow, foreign, RemoteSale(foreign))
    assert (rl.line.id, rl.category_id, rl.returned.quantity, rl.returnable) == (foreign.lines[0].id, "", 0, 3)
