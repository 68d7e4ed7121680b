"""The service desk's flows that had no test (issue 14), through the real commands on a real
store: price match, goodwill credit, special orders from deposit to pickup (and their
cancellation), the department queue, and the follow-ups due. Amounts are worked out here,
to the cent; states, who and when are read back from the store."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from counter.desk.adjustments import AdjustBill, AdjustmentKind, AdjustmentRecord, adjust_bill
from counter.desk.cases import (
    CaseError,
    CaseStatus,
    ContactKind,
    LogContact,
    change_status,
    log_contact,
    set_follow_up,
)
from counter.desk.customers import Address, ContactDetails, create_customer
from counter.desk.documents import adjustment_slip
from counter.desk.orders import (
    OrderKind,
    OrderLine,
    OrderStatus,
    cancel_order,
    open_order,
    pay_order,
    pick_up_order,
)
from counter.desk.referrals import Priority, ReferralStatus, add_department_note, refer_case, tell_customer
from counter.desk.service import DeskConfig, DeskError
from counter.errors import CounterError
from counter.returns.model import ApprovalNeeded, ProcessReturn, ReturnLineRequest
from counter.returns.policy import ApprovalKind, Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from counter.sales.tenders import CardDetails, Tender, TenderKind
from counter.trust.approvals import ApprovalError, grant_approval
from db import schema as s
from db.desk_queries import (
    case_events,
    customer_summary,
    department_queue,
    follow_ups_due,
    get_case,
    orders_for,
    referral_notes,
)
from db.queries import journal_entries
from devices.escpos.slips import render_slip
from tests.conftest import FAST_HASHER
from tests.db.support import TestStore
from tests.db.test_documents_content import PROFILE, rows, slip_text

CENT = Decimal("0.01")
TAX_A = Decimal("0.0825")


def half_up(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def jane(shop: TestStore):  # type: ignore[no-untyped-def]
    details = ContactDetails.checked(
        "Jane Doe",
        "(217) 555-0175",
        "jane@example.com",
        address=Address("12 Elm Street", "", "Riverton", "IL", "62704"),
    )
    return create_customer(shop.user("Maria"), details, uow_factory=shop.uow, clock=shop.clock)


def drawer(shop: TestStore) -> Decimal:
    with shop.uow() as uow:
        return uow.shifts.expected_cash(uow.shifts.current("T01"))


def grant(shop: TestStore, request_id: str, kinds, amount: Decimal, approver: str = "Dana", pin: str = "3333") -> None:  # type: ignore[no-untyped-def]
    grant_approval(
        request_id=request_id,
        kinds=kinds,
        amount=amount,
        requester=shop.user("Maria"),
        approver_id=shop.user(approver).id,
        pin=pin,
        reason="desk",
        uow_factory=shop.uow,
        hasher=FAST_HASHER,
        clock=shop.clock,
        currency_minor=shop.cfg.currency.to_minor,
    )


def adjust(shop: TestStore, cmd: AdjustBill) -> AdjustmentRecord:
    return adjust_bill(
        cmd,
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
        rules=shop.rules,
        desk_rules=DeskConfig().rules,
    )


def approved(shop: TestStore, cmd: AdjustBill) -> tuple[AdjustmentRecord, frozenset[ApprovalKind], Decimal]:
    with pytest.raises(ApprovalNeeded) as needed:
        adjust(shop, cmd)
    kinds, amount = frozenset(needed.value.kinds), needed.value.amount
    grant(shop, cmd.request_id, kinds, amount)
    return adjust(shop, cmd), kinds, amount


def last_body(shop: TestStore, kind: str) -> dict:  # type: ignore[type-arg]
    return [e for e in journal_entries(shop.db.read, "T01") if e.type == kind][-1].body_data()


# ================================================================== price match


def test_price_match_gives_back_the_difference_and_its_tax_to_the_card_once_a_supervisor_approves(
    shop: TestStore,
) -> None:
    kettle = shop.item_in("small-appliances")
    sale = shop.sell([(kettle, 2)], card=Decimal("1e6"), cash=False)
    (line,) = sale.lines
    competitor_price = kettle.price - Decimal("5.00")

    def match(**kw) -> AdjustBill:  # type: ignore[no-untyped-def]
        base = dict(
            request_id=str(uuid.uuid4()),
            cashier=shop.user("Maria"),
            kind=AdjustmentKind.PRICE_MATCH,
            reason="advertised price",
            receipt=sale.receipt_number,
            sale_line_id=line.id,
            quantity=2,
            new_price=competitor_price,
            competitor="Hardware Hut",
        )
        return AdjustBill(**{**base, **kw})  # type: ignore[arg-type]

    with pytest.raises(DeskError, match="Name the competitor"):
        adjust(shop, match(competitor="  "))
    with pytest.raises(DeskError, match="Type the competitor's price"):
        adjust(shop, match(new_price=None))
    with pytest.raises(DeskError, match="nothing to give back"):
        adjust(shop, match(new_price=kettle.price + Decimal("1.00")))
    with pytest.raises(DeskError, match="2 of .* can still be adjusted"):
        adjust(shop, match(quantity=3))

    cmd = match()
    drawer_before = drawer(shop)
    with pytest.raises(ApprovalNeeded) as needed:
        adjust(shop, cmd)
    net = Decimal("10.00")  # 5.00 on each of two
    tax = half_up(net * TAX_A)  # 0.825 -> 0.83
    assert needed.value.kinds == {ApprovalKind.PRICE_MATCH, ApprovalKind.PRICE_ADJUSTMENT}
    assert needed.value.amount == net + tax == Decimal("10.83")
    with pytest.raises(ApprovalError, match="your own request"):
        grant(shop, cmd.request_id, needed.value.kinds, needed.value.amount, approver="Maria", pin="1111")
    grant(shop, cmd.request_id, needed.value.kinds, Decimal("10.00"))  # an approval for another amount
    with pytest.raises(ApprovalNeeded):
        adjust(shop, cmd)
    grant(shop, cmd.request_id, needed.value.kinds, needed.value.amount)
    record = adjust(shop, cmd)

    q = record.quote
    assert (q.amount, q.tax, q.gross) == (net, tax, Decimal("10.83"))
    assert (q.unit_paid, q.unit_new) == (kettle.price, competitor_price)
    (part,) = q.allocation.parts
    assert part.kind is TenderKind.CARD and part.amount == Decimal("10.83") and part.reference == "APPR01"
    assert drawer(shop) == drawer_before  # nothing left the drawer
    with shop.db.read.connect() as conn:
        adj = conn.execute(select(s.adjustments).where(s.adjustments.c.id == record.id)).mappings().one()
        tenders = conn.execute(
            select(s.desk_tenders.c.kind, s.desk_tenders.c.amount_minor, s.desk_tenders.c.approval_code).where(
                s.desk_tenders.c.payment_id == record.payment.id
            )
        ).all()
    assert (adj["kind"], adj["competitor"], adj["gross_minor"], adj["tax_minor"]) == (
        "price_match",
        "Hardware Hut",
        1083,
        83,
    )
    assert [tuple(t) for t in tenders] == [("card", -1083, "APPR01")]
    body = last_body(shop, "BillAdjusted")
    assert (body["kind"], body["gross"], body["approvals"]) == (
        "price_match",
        1083,
        ["price_adjustment", "price_match"],
    )

    printed = rows(slip_text(render_slip(adjustment_slip(record, shop.cfg, "Maria Lopez"), PROFILE)))
    m = lambda a: shop.cfg.currency.format(a, shop.cfg.locale)  # noqa: E731
    assert "PRICE MATCH" in printed and f"Adjustment {record.number}" in printed
    assert "Matched Hardware Hut" in printed and f"On receipt {sale.receipt_number}" in printed
    assert f"Paid / now {m(kettle.price)} / {m(competitor_price)}" in printed
    assert f"GIVEN BACK {m(Decimal('10.83'))}" in printed and f"To Visa **** 4242 {m(Decimal('10.83'))}" in printed

    # The same price again gives nothing more; returning both units refunds the rest of the line.
    with pytest.raises(DeskError, match="nothing to give back"):
        adjust(shop, match())
    back = process_return(
        ProcessReturn(
            str(uuid.uuid4()),
            shop.user("Maria"),
            (ReturnLineRequest(2, Reason.CHANGED_MIND, Condition.NEW, line.id),),
            RefundMethod.ORIGINAL,
            sale.receipt_number,
        ),
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
        rules=shop.rules,
    )
    assert back.quote.refund_total == line.gross - Decimal("10.83")
    assert back.quote.lines[0].tax == line.tax - tax


def test_a_price_match_on_a_partly_returned_line_covers_only_the_units_still_held(shop: TestStore) -> None:
    mixer = shop.item_in("small-appliances", 2)
    sale = shop.sell([(mixer, 3)], card=Decimal("1e6"), cash=False)
    (line,) = sale.lines
    process_return(
        ProcessReturn(
            str(uuid.uuid4()),
            shop.user("Maria"),
            (ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, line.id),),
            RefundMethod.ORIGINAL,
            sale.receipt_number,
        ),
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
        rules=shop.rules,
    )
    base = AdjustBill(
        str(uuid.uuid4()),
        shop.user("Maria"),
        AdjustmentKind.PRICE_MATCH,
        "web price",
        receipt=sale.receipt_number,
        sale_line_id=line.id,
        quantity=3,
        new_price=mixer.price - Decimal("2.50"),
        competitor="ShopMart",
    )
    with pytest.raises(DeskError, match=r"2 of .* can still be adjusted \(3 bought, 1 returned\)"):
        adjust(shop, base)
    record, kinds, amount = approved(shop, dataclasses.replace(base, quantity=2))
    assert kinds == {ApprovalKind.PRICE_MATCH, ApprovalKind.PRICE_ADJUSTMENT}
    assert record.quote.amount == Decimal("5.00") and record.quote.gross == Decimal("5.00") + half_up(
        Decimal("5.00") * TAX_A
    )


# ================================================================== goodwill credit


def test_goodwill_credit_without_a_receipt_is_store_credit_on_the_customers_voucher(shop: TestStore) -> None:
    customer = jane(shop)
    cmd = AdjustBill(
        str(uuid.uuid4()),
        shop.user("Maria"),
        AdjustmentKind.GOODWILL,
        "waited an hour for the delivery",
        customer_id=customer.id,
        amount=Decimal("15.00"),
    )
    with pytest.raises(DeskError, match="Say why"):
        adjust(shop, dataclasses.replace(cmd, reason=" "))
    with pytest.raises(DeskError, match="Type the amount"):
        adjust(shop, dataclasses.replace(cmd, amount=Decimal("0")))
    drawer_before = drawer(shop)
    record, kinds, amount = approved(shop, cmd)
    assert kinds == {ApprovalKind.GOODWILL} and amount == Decimal("15.00")
    (part,) = record.quote.allocation.parts
    assert part.kind is TenderKind.STORE_CREDIT and part.amount == Decimal("15.00")
    assert record.voucher_code and record.voucher_code.startswith("SC")
    with shop.uow() as uow:
        assert uow.vouchers.balance(record.voucher_code) == Decimal("15.00")
    assert customer_summary(shop.db.read, customer.id, shop.cfg.currency).store_credit == Decimal("15.00")
    assert drawer(shop) == drawer_before
    body = last_body(shop, "BillAdjusted")
    assert (body["kind"], body["gross"], body["voucher"], body["customer_id"]) == (
        "goodwill",
        1500,
        record.voucher_code,
        customer.id,
    )


def test_goodwill_on_a_receipt_goes_back_to_what_paid_and_never_more_than_is_left(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)], cash=True)
    left = sale.total
    base = AdjustBill(
        str(uuid.uuid4()),
        shop.user("Maria"),
        AdjustmentKind.GOODWILL,
        "stain found at home",
        receipt=sale.receipt_number,
        amount=left + CENT,
    )
    with pytest.raises(DeskError, match="can still go back to its payments"):
        adjust(shop, base)
    drawer_before = drawer(shop)
    record, kinds, _ = approved(shop, dataclasses.replace(base, amount=Decimal("4.00")))
    (part,) = record.quote.allocation.parts
    assert part.kind is TenderKind.CASH and part.amount == Decimal("4.00")
    assert drawer(shop) == drawer_before - Decimal("4.00")
    # what is left to go back shrinks by what went back
    again = dataclasses.replace(base, request_id=str(uuid.uuid4()), amount=left - Decimal("4.00") + CENT)
    with pytest.raises(DeskError, match="can still go back"):
        adjust(shop, again)
    # as store credit, the cap does not apply (it is the store's money, not the sale's)
    credit, _, _ = approved(shop, dataclasses.replace(again, refund_method=RefundMethod.STORE_CREDIT))
    assert credit.quote.allocation.parts[0].kind is TenderKind.STORE_CREDIT


# ================================================================== special orders


def test_special_order_from_deposit_to_pickup(shop: TestStore) -> None:
    customer = jane(shop)
    maria = shop.user("Maria")
    sofa = shop.item_in("home-kitchen", 1)
    rules = DeskConfig().rules
    kw = dict(uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    net = sofa.price * 2
    tax = half_up(net * TAX_A)
    total = net + tax
    half = half_up(total / 2)
    cash = lambda a: Tender(TenderKind.CASH, a, a)  # noqa: E731

    with pytest.raises(DeskError, match="deposit must be at least"):
        open_order(
            maria, OrderKind.SPECIAL_ORDER, customer.id, [OrderLine(1, sofa, 2)], [cash(half - CENT)], rules=rules, **kw
        )  # type: ignore[arg-type]
    drawer_0 = drawer(shop)
    opened = open_order(
        maria, OrderKind.SPECIAL_ORDER, customer.id, [OrderLine(1, sofa, 2)], [cash(half)], rules=rules, **kw
    )  # type: ignore[arg-type]
    order = opened.order
    assert (order.total, order.tax, order.paid, order.balance) == (total, tax, half, total - half)
    assert order.terms.min_deposit == half and not order.terms.deposit_refundable
    today = shop.clock.now().astimezone(shop.cfg.zone).date()
    assert order.terms.due_on == today + timedelta(days=30)
    assert drawer(shop) == drawer_0 + half
    assert customer_summary(shop.db.read, customer.id, shop.cfg.currency).open_orders == 1

    shop.clock.advance(days=10)
    card = Tender(TenderKind.CARD, Decimal("10.00"), Decimal("10.00"), CardDetails("Visa", "4242", "SO0001"))
    with pytest.raises(DeskError, match="is owed"):
        pay_order(maria, order.id, [cash(total)], **kw)  # type: ignore[arg-type]
    paid = pay_order(maria, order.id, [card], **kw)  # type: ignore[arg-type]
    assert paid.order.balance == total - half - Decimal("10.00")
    assert drawer(shop) == drawer_0 + half  # the card payment is not cash

    shop.clock.advance(days=5)
    balance = paid.order.balance
    with pytest.raises(CounterError, match="do not match the total"):  # short of the balance
        pick_up_order(maria, order.id, [cash(balance - CENT)], Decimal(0), **kw)  # type: ignore[arg-type]
    done = pick_up_order(maria, order.id, [cash(balance)], Decimal(0), **kw)  # type: ignore[arg-type]
    sale = done.sale
    assert sale is not None and sale.total == total
    with shop.db.read.connect() as conn:
        linked = conn.execute(
            select(s.customer_links.c.customer_id).where(s.customer_links.c.ref_id == sale.id)
        ).scalar_one()
    assert linked == customer.id  # the pickup is on the customer's history
    assert [(t.kind, t.amount) for t in sale.tenders] == [
        (TenderKind.DEPOSIT, half + Decimal("10.00")),
        (TenderKind.CASH, balance),
    ]
    assert [(ln.item_id, ln.quantity, ln.amount, ln.tax) for ln in sale.lines] == [(sofa.id, 2, net, tax)]
    assert drawer(shop) == drawer_0 + half + balance
    (stored,) = orders_for(shop.db.read, customer.id)
    assert (stored.status, stored.sale_id, stored.paid) == (OrderStatus.PICKED_UP, sale.id, total - balance)
    picked = last_body(shop, "OrderPickedUp")
    assert (picked["receipt_number"], picked["deposits_applied"]) == (
        sale.receipt_number,
        shop.cfg.currency.to_minor(half + Decimal("10.00")),
    )
    assert customer_summary(shop.db.read, customer.id, shop.cfg.currency).open_orders == 0
    with pytest.raises(DeskError, match="picked up"):
        cancel_order(maria, order.id, "too late", RefundMethod.ORIGINAL, str(uuid.uuid4()), rules=shop.rules, **kw)  # type: ignore[arg-type]


def test_a_cancelled_special_order_keeps_the_deposit_unless_the_store_refunds_deposits(shop: TestStore) -> None:
    customer = jane(shop)
    maria = shop.user("Maria")
    lamp = shop.item_in("home-kitchen", 2)
    kw = dict(uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    total = lamp.price + half_up(lamp.price * TAX_A)
    deposit = half_up(total / 2)
    card = Tender(TenderKind.CARD, deposit, deposit, CardDetails("Visa", "4242", "SO0002"))

    kept_rules = DeskConfig().rules
    order = open_order(
        maria, OrderKind.SPECIAL_ORDER, customer.id, [OrderLine(1, lamp, 1)], [card], rules=kept_rules, **kw
    ).order  # type: ignore[arg-type]
    with pytest.raises(DeskError, match="Say why"):
        cancel_order(maria, order.id, " ", RefundMethod.ORIGINAL, str(uuid.uuid4()), rules=shop.rules, **kw)  # type: ignore[arg-type]
    kept = cancel_order(
        maria, order.id, "found it elsewhere", RefundMethod.ORIGINAL, str(uuid.uuid4()), rules=shop.rules, **kw
    )  # type: ignore[arg-type]
    assert (kept.kept, kept.payment) == (deposit, None)
    assert last_body(shop, "OrderCancelled")["kept"] == shop.cfg.currency.to_minor(deposit)

    refundable = dataclasses.replace(kept_rules, special_order_deposit_refundable=True)
    order = open_order(
        maria, OrderKind.SPECIAL_ORDER, customer.id, [OrderLine(1, lamp, 1)], [card], rules=refundable, **kw
    ).order  # type: ignore[arg-type]
    assert order.terms.deposit_refundable and order.terms.cancel_fee == 0
    back = cancel_order(
        maria, order.id, "vendor discontinued it", RefundMethod.ORIGINAL, str(uuid.uuid4()), rules=shop.rules, **kw
    )  # type: ignore[arg-type]
    assert back.kept == 0 and back.payment is not None and back.payment.amount == deposit
    (part,) = back.payment.parts
    assert (part.kind, part.amount, part.reference) == (TenderKind.CARD, deposit, "SO0002")
    with pytest.raises(DeskError, match="cancelled"):
        pay_order(maria, order.id, [card], **kw)  # type: ignore[arg-type]


def test_a_cancelled_layaway_refunds_what_was_paid_less_the_fee_card_first_then_cash(shop: TestStore) -> None:
    customer = jane(shop)
    maria = shop.user("Maria")
    bike = max((shop.item_in("sporting-goods", n) for n in range(10)), key=lambda i: i.price)
    kw = dict(uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    total = bike.price + half_up(bike.price * TAX_A)
    fee = max(Decimal("5.00"), half_up(total * Decimal("0.10")))
    first = half_up(total * Decimal("0.20"))
    card = Tender(TenderKind.CARD, first, first, CardDetails("Visa", "4242", "LAY777"))
    order = open_order(
        maria, OrderKind.LAYAWAY, customer.id, [OrderLine(1, bike, 1)], [card], rules=DeskConfig().rules, **kw
    ).order  # type: ignore[arg-type]
    assert order.terms.cancel_fee == fee
    pay_order(maria, order.id, [Tender(TenderKind.CASH, Decimal("30.00"), Decimal("30.00"))], **kw)  # type: ignore[arg-type]
    drawer_before = drawer(shop)
    result = cancel_order(
        maria, order.id, "moving away", RefundMethod.ORIGINAL, str(uuid.uuid4()), rules=shop.rules, **kw
    )  # type: ignore[arg-type]
    paid = first + Decimal("30.00")
    assert result.kept == fee and result.payment is not None and result.payment.amount == paid - fee
    parts = [(p.kind, p.amount) for p in result.payment.parts]
    assert parts == [(TenderKind.CARD, first), (TenderKind.CASH, Decimal("30.00") - fee)]
    assert drawer(shop) == drawer_before - (Decimal("30.00") - fee)


# ================================================================== the department queue


def open_case(shop: TestStore, customer_id: str, words: str, **kw) -> str:  # type: ignore[no-untyped-def]
    return log_contact(
        shop.user("Maria"),
        LogContact(customer_id, ContactKind.COMPLAINT, "Product quality", words, "", (), **kw),
        uow_factory=shop.uow,
        clock=shop.clock,
        terminal=shop.terminal,
    ).case.id


def test_the_department_queue_most_urgent_first_then_answered_then_gone_once_the_customer_is_told(
    shop: TestStore,
) -> None:
    customer = jane(shop)
    maria, dana = shop.user("Maria"), shop.user("Dana")
    cfg = DeskConfig()

    def refer(case_id: str, dept: str, priority: Priority, days: int | None):  # type: ignore[no-untyped-def]
        due = None if days is None else shop.clock.now().astimezone(shop.cfg.zone).date() + timedelta(days=days)
        return refer_case(
            maria,
            case_id,
            dept,
            priority,
            due,
            "look at it",
            config=cfg,
            uow_factory=shop.uow,
            clock=shop.clock,
            store=shop.cfg,
        )

    kettle = refer(open_case(shop, customer.id, "Kettle leaks."), "warranty", Priority.NORMAL, None)
    shop.clock.advance(hours=1)
    toaster = refer(open_case(shop, customer.id, "Toaster burns."), "warranty", Priority.URGENT, 7)
    lamp = refer(open_case(shop, customer.id, "Lamp flickers."), "warranty", Priority.NORMAL, 2)
    bill = refer(open_case(shop, customer.id, "Charged twice."), "billing", Priority.HIGH, 1)
    # due the given days after the day it was referred, in the store's zone (an hour before
    # "today" here: across the store's midnight, that is the day before)
    referred_day = kettle.referred_at.astimezone(shop.cfg.zone).date()
    assert kettle.due_on == referred_day + timedelta(days=cfg.rules.referral_days)
    assert (kettle.referred_by, kettle.referred_at) == (maria.id, shop.clock.now() - timedelta(hours=1))

    mine = {kettle.id, toaster.id, lamp.id, bill.id}

    def queue(dept: str = "warranty", **kw) -> list[str]:  # type: ignore[no-untyped-def]
        """This test's referrals in the queue's order (the demo store has one of its own)."""
        return [r.id for r in department_queue(shop.db.read, dept, **kw) if r.id in mine]

    everything = department_queue(shop.db.read, "warranty")
    assert [r.priority.rank for r in everything] == sorted(r.priority.rank for r in everything)

    # urgent first; among the same priority, the earliest due date first
    assert queue() == [toaster.id, lamp.id, kettle.id]
    assert queue("billing") == [bill.id]
    assert queue("manager") == []
    (shown,) = [r for r in department_queue(shop.db.read, "warranty") if r.id == kettle.id]
    assert (shown.customer_name, shown.case_number, shown.status) == (
        "Jane Doe",
        kettle.case_number,
        ReferralStatus.OPEN,
    )
    assert get_case(shop.db.read, kettle.case_id).status is CaseStatus.REFERRED  # type: ignore[union-attr]

    # what is overdue, and when
    shop.clock.advance(days=3)
    later = shop.clock.now().astimezone(shop.cfg.zone).date()
    overdue = {r.id for r in department_queue(shop.db.read, "warranty") if r.overdue(later)}
    assert overdue == {lamp.id}

    # the department works the lamp: a note keeps it open, the answer sends the case back
    add_department_note(dana, lamp.id, "Ordered a new ballast.", outcome=False, uow_factory=shop.uow, clock=shop.clock)
    assert queue() == [toaster.id, lamp.id, kettle.id]
    add_department_note(dana, lamp.id, "Ballast replaced.", outcome=True, uow_factory=shop.uow, clock=shop.clock)
    assert queue() == [toaster.id, kettle.id, lamp.id]  # answered: after the open ones
    assert queue(include_answered=False) == [toaster.id, kettle.id]
    assert get_case(shop.db.read, lamp.case_id).status is CaseStatus.OPEN  # type: ignore[union-attr]
    assert not any(r.overdue(later) for r in department_queue(shop.db.read, "warranty") if r.id == lamp.id)
    with pytest.raises(CaseError, match="already answered"):
        add_department_note(dana, lamp.id, "again", outcome=True, uow_factory=shop.uow, clock=shop.clock)
    notes = referral_notes(shop.db.read, lamp.id)
    assert [(name, text) for _, name, _, text in notes] == [
        ("Dana Whitfield", "Ordered a new ballast."),
        ("Dana Whitfield", "Ballast replaced."),
    ]

    # the desk tells the customer: the referral leaves the queue, and the case can be resolved
    with pytest.raises(CaseError, match="has not answered yet"):
        tell_customer(maria, kettle.id, "phone", "", uow_factory=shop.uow, clock=shop.clock)
    tell_customer(maria, lamp.id, "phone", "", uow_factory=shop.uow, clock=shop.clock)
    assert queue() == [toaster.id, kettle.id]
    with pytest.raises(CaseError, match="already been told"):
        tell_customer(maria, lamp.id, "letter", "", uow_factory=shop.uow, clock=shop.clock)
    change_status(maria, lamp.case_id, CaseStatus.RESOLVED, "Ballast replaced.", uow_factory=shop.uow, clock=shop.clock)
    events = [e.event for e in case_events(shop.db.read, lamp.case_id)]
    assert events[-4:] == ["department_note", "answered", "told", "resolved"]


# ================================================================== follow-ups due


def test_follow_ups_show_from_their_day_stay_while_overdue_and_go_once_the_call_is_recorded(shop: TestStore) -> None:
    customer = jane(shop)
    other = create_customer(
        shop.user("Maria"),
        ContactDetails.checked("Omar Haddad", "(217) 555-0199", ""),
        uow_factory=shop.uow,
        clock=shop.clock,
    )
    zone = shop.cfg.zone
    today = shop.clock.now().astimezone(zone).date()
    first = open_case(shop, customer.id, "Alteration of a coat.", follow_up_on=today + timedelta(days=3))
    second = open_case(shop, other.id, "Delivery date moved.")
    set_follow_up(
        shop.user("Maria"),
        second,
        today + timedelta(days=1),
        "Did the sofa arrive?",
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
    )
    with pytest.raises(CaseError, match="in the past"):
        set_follow_up(
            shop.user("Maria"),
            second,
            today - timedelta(days=1),
            "",
            uow_factory=shop.uow,
            clock=shop.clock,
            store=shop.cfg,
        )

    def due(day) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
        return [(d.case.id, d.customer_name, d.case.follow_up_note) for d in follow_ups_due(shop.db.read, day)]

    assert due(today) == []
    assert due(today + timedelta(days=1)) == [(second, "Omar Haddad", "Did the sofa arrive?")]
    assert due(today + timedelta(days=3)) == [
        (second, "Omar Haddad", "Did the sofa arrive?"),
        (first, "Jane Doe", "Were the changes made?"),
    ]
    (jane_due,) = [d for d in follow_ups_due(shop.db.read, today + timedelta(days=3)) if d.case.id == first]
    assert jane_due.phone == "+12175550175"

    # a week later both are overdue and still listed; recording the call takes one off
    shop.clock.advance(days=7)
    week = shop.clock.now().astimezone(zone).date()
    assert [d[0] for d in due(week)] == [second, first]
    with pytest.raises(CaseError, match="what the follow-up found"):
        set_follow_up(shop.user("Sam"), second, None, " ", uow_factory=shop.uow, clock=shop.clock, store=shop.cfg)
    set_follow_up(
        shop.user("Sam"), second, None, "Sofa arrived.", uow_factory=shop.uow, clock=shop.clock, store=shop.cfg
    )
    assert [d[0] for d in due(week)] == [first]
    with pytest.raises(CaseError, match="no follow-up due"):
        set_follow_up(shop.user("Sam"), second, None, "again", uow_factory=shop.uow, clock=shop.clock, store=shop.cfg)
    done = case_events(shop.db.read, second)[-1]
    assert (done.event, done.user_name, done.text, done.at) == (
        "follow_up_done",
        "Sam Carter",
        "Sofa arrived.",
        shop.clock.now(),
    )
    # a new date puts it back, from that day
    set_follow_up(
        shop.user("Sam"),
        second,
        week + timedelta(days=2),
        "Check the legs.",
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
    )
    assert [d[0] for d in due(week)] == [first]
    assert [d[0] for d in due(week + timedelta(days=2))] == [first, second]
