"""The service desk's commands on a real store: customers, cases and referrals, bill
adjustments, orders and house accounts. Each refused step leaves nothing behind."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from counter.cash.shifts import x_report
from counter.desk.accounts import charge_service, open_account, pay_on_account
from counter.desk.adjustments import AdjustBill, AdjustmentKind, adjust_bill
from counter.desk.cases import (
    CaseError,
    CaseStatus,
    ContactKind,
    LinkedTransaction,
    LinkKind,
    LogContact,
    change_status,
    log_contact,
)
from counter.desk.customers import (
    Address,
    ContactDetails,
    CustomerError,
    DuplicateCustomer,
    create_customer,
    update_customer,
)
from counter.desk.orders import OrderKind, OrderLine, cancel_order, open_order, pay_order, pick_up_order
from counter.desk.referrals import Priority, add_department_note, refer_case, tell_customer
from counter.desk.service import DeskConfig, DeskError
from counter.journal import verify
from counter.returns.model import ApprovalNeeded, ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from counter.sales.tenders import CardDetails, Tender, TenderKind
from counter.trust.approvals import grant_approval
from db import schema as s
from db.demo import DEMO_CUSTOMERS
from db.queries import journal_entries
from tests.conftest import FAST_HASHER
from tests.db.support import TestStore


def count(shop: TestStore, table) -> int:  # type: ignore[no-untyped-def]
    with shop.db.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def new_customer(
    shop: TestStore, name: str = "Jane Doe", phone: str = "(217) 555-0175", email: str = "jane@example.com"
):  # type: ignore[no-untyped-def]
    details = ContactDetails.checked(
        name, phone, email, address=Address("12 Elm Street", "", "Riverton", "IL", "62704")
    )
    return create_customer(shop.user("Maria"), details, uow_factory=shop.uow, clock=shop.clock)


def cash(amount: str) -> Tender:
    return Tender(TenderKind.CASH, Decimal(amount), Decimal(amount))


def card(amount: str) -> Tender:
    return Tender(TenderKind.CARD, Decimal(amount), Decimal(amount), CardDetails("Visa", "4242", "DESK01"))


def test_customers_are_checked_and_duplicates_offered(shop: TestStore) -> None:
    jane = new_customer(shop)
    assert jane.phone == "+12175550175" and jane.email == "jane@example.com"
    with pytest.raises(DuplicateCustomer) as dup:
        new_customer(shop, "J. Doe", "217-555-0175", "other@example.com")
    assert dup.value.existing.id == jane.id and "phone number" in dup.value.message
    with pytest.raises(DuplicateCustomer):
        new_customer(shop, "Janet", "", "JANE@example.com")
    with pytest.raises(CustomerError, match="not a valid e-mail address"):
        ContactDetails.checked("Bob Ray", "", "bob@@example")
    with pytest.raises(CustomerError, match="is not a phone number"):
        ContactDetails.checked("Bob Ray", "555-12", "")
    assert count(shop, s.customers) == 1 + len(DEMO_CUSTOMERS)  # the demo store's own, and Jane


def test_a_change_of_address_is_kept_as_history(shop: TestStore) -> None:
    jane = new_customer(shop)
    shop.clock.advance(days=3)
    moved = ContactDetails.checked(
        jane.name,
        jane.phone,
        jane.email,
        email_consent=True,
        address=Address("9 Oak Lane", "Apt 2", "Riverton", "il", "62705"),
    )
    after = update_customer(shop.user("Maria"), jane.id, moved, "moved house", uow_factory=shop.uow, clock=shop.clock)
    assert after.address is not None and after.address.line1 == "9 Oak Lane" and after.address.region == "IL"
    with shop.db.read.connect() as conn:
        addresses = (
            conn.execute(
                select(s.customer_addresses.c.line1)
                .where(s.customer_addresses.c.customer_id == jane.id)
                .order_by(s.customer_addresses.c.id)
            )
            .scalars()
            .all()
        )
        changes = conn.execute(select(s.customer_changes.c.field, s.customer_changes.c.new_value)).all()
    assert addresses == ["12 Elm Street", "9 Oak Lane"]
    assert ("email_consent", "yes") in changes
    with shop.db.write.begin() as conn, pytest.raises(DatabaseError, match="append-only"):
        conn.execute(text("UPDATE customer_addresses SET line1 = 'x'"))
    with pytest.raises(CustomerError, match="Nothing was changed"):
        update_customer(shop.user("Maria"), jane.id, moved, "", uow_factory=shop.uow, clock=shop.clock)
    types = [e.type for e in journal_entries(shop.db.read, shop.terminal.terminal_id)]
    assert types[-2:] == ["CustomerCreated", "CustomerUpdated"]
    body = next(e for e in journal_entries(shop.db.read, "T01") if e.type == "CustomerUpdated").body
    assert "Oak" not in body and "address" in body  # which fields, never the personal data


def test_complaint_referred_answered_told_resolved_and_closed(shop: TestStore) -> None:
    jane = new_customer(shop)
    sale = shop.sell([(shop.item_in("small-appliances"), 1)], card=Decimal("999"))
    maria, dana = shop.user("Maria"), shop.user("Dana")
    cfg = DeskConfig()
    logged = log_contact(
        maria,
        LogContact(
            jane.id,
            ContactKind.COMPLAINT,
            "Product quality",
            "The kettle stopped heating after a week.",
            "Checked it at the desk: no heat.",
            (LinkedTransaction(LinkKind.SALE, sale.receipt_number),),
        ),
        uow_factory=shop.uow,
        clock=shop.clock,
        terminal=shop.terminal,
    )
    case = logged.case
    assert logged.new_case and case.number.startswith("S01-T01-C")
    with pytest.raises(DeskError, match="no department “repairs dept”"):
        refer_case(
            maria,
            case.id,
            "repairs dept",
            Priority.HIGH,
            None,
            "fix",
            config=cfg,
            uow_factory=shop.uow,
            clock=shop.clock,
            store=shop.cfg,
        )
    with pytest.raises(CaseError, match="cannot be closed"):
        change_status(maria, case.id, CaseStatus.CLOSED, "", uow_factory=shop.uow, clock=shop.clock)
    with pytest.raises(CaseError, match="resolution"):
        change_status(maria, case.id, CaseStatus.RESOLVED, "  ", uow_factory=shop.uow, clock=shop.clock)
    referral = refer_case(
        maria,
        case.id,
        "warranty",
        Priority.HIGH,
        None,
        "Test the thermostat",
        config=cfg,
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
    )
    assert referral.due_on == (shop.clock.now().astimezone(shop.cfg.zone) + timedelta(days=5)).date()
    with pytest.raises(CaseError, match="has not answered"):
        tell_customer(maria, referral.id, "phone", "", uow_factory=shop.uow, clock=shop.clock)
    add_department_note(
        dana, referral.id, "Thermostat faulty, sent to vendor.", outcome=False, uow_factory=shop.uow, clock=shop.clock
    )
    answered = add_department_note(
        dana,
        referral.id,
        "Replaced under warranty; new kettle at the desk.",
        outcome=True,
        uow_factory=shop.uow,
        clock=shop.clock,
    )
    assert answered.outcome.startswith("Replaced")
    tell_customer(maria, referral.id, "letter", "", uow_factory=shop.uow, clock=shop.clock)
    change_status(
        maria, case.id, CaseStatus.RESOLVED, "Kettle replaced under warranty.", uow_factory=shop.uow, clock=shop.clock
    )
    change_status(maria, case.id, CaseStatus.CLOSED, "", uow_factory=shop.uow, clock=shop.clock)
    with pytest.raises(CaseError, match="why the case is reopened"):
        change_status(maria, case.id, CaseStatus.OPEN, "", uow_factory=shop.uow, clock=shop.clock)
    change_status(maria, case.id, CaseStatus.OPEN, "New kettle leaks.", uow_factory=shop.uow, clock=shop.clock)
    with shop.db.read.connect() as conn:
        events = (
            conn.execute(
                select(s.case_events.c.event).where(s.case_events.c.case_id == case.id).order_by(s.case_events.c.id)
            )
            .scalars()
            .all()
        )
        status = conn.execute(select(s.cases.c.status).where(s.cases.c.id == case.id)).scalar_one()
    assert events == [
        "opened",
        "contact",
        "action",
        "referred",
        "department_note",
        "answered",
        "told",
        "resolved",
        "closed",
        "reopened",
    ]
    assert status == "open"
    types = [e.type for e in journal_entries(shop.db.read, "T01")][-8:]
    assert types == [
        "ContactLogged",
        "CaseReferred",
        "ReferralNoted",
        "ReferralAnswered",
        "CustomerInformed",
        "CaseResolved",
        "CaseClosed",
        "CaseReopened",
    ]
    assert verify(journal_entries(shop.db.read, "T01")).ok


def test_a_price_adjustment_goes_back_to_the_card_with_approval(shop: TestStore) -> None:
    item = shop.item_in("small-appliances")
    sale = shop.sell([(item, 2)], card=Decimal("9999"))
    line = sale.lines[0]
    maria = shop.user("Maria")
    with shop.db.write.begin() as conn:  # the price dropped by 20 %
        conn.execute(s.items.update().where(s.items.c.id == item.id).values(price_minor=int(item.price * 80)))
    cmd = AdjustBill(
        str(uuid.uuid4()),
        maria,
        AdjustmentKind.PRICE_DROP,
        "flyer price",
        receipt=sale.receipt_number,
        sale_line_id=line.id,
        quantity=2,
    )
    kw = dict(
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
        rules=shop.rules,
        desk_rules=DeskConfig().rules,
    )
    with pytest.raises(ApprovalNeeded) as needed:
        adjust_bill(cmd, **kw)  # type: ignore[arg-type]
    assert count(shop, s.adjustments) == 0
    grant_approval(
        request_id=cmd.request_id,
        kinds=needed.value.kinds,
        amount=needed.value.amount,
        requester=maria,
        approver_id=shop.user("Dana").id,
        pin="3333",
        reason="flyer",
        uow_factory=shop.uow,
        hasher=FAST_HASHER,
        clock=shop.clock,
        currency_minor=shop.cfg.currency.to_minor,
    )
    record = adjust_bill(cmd, **kw)  # type: ignore[arg-type]
    cur = shop.cfg.currency
    expected_net = cur.quantize((item.price - cur.quantize(item.price * Decimal("0.8"))) * 2)
    assert record.quote.amount == expected_net
    (part,) = record.quote.allocation.parts
    assert part.kind is TenderKind.CARD and part.reference == "APPR01"
    # a later return of both units refunds what was paid less the adjustment, to the cent
    ret = process_return(
        ProcessReturn(
            str(uuid.uuid4()),
            maria,
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
    assert ret.quote.refund_total + record.quote.gross == line.gross
    assert sum(p.amount for p in ret.quote.allocation.parts) == line.gross - record.quote.gross


def test_layaway_deposit_payment_pickup_and_the_drawer(shop: TestStore) -> None:
    jane = new_customer(shop)
    maria = shop.user("Maria")
    item = shop.item_in("small-appliances")
    kw = dict(uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    with shop.uow() as uow:
        before = uow.shifts.expected_cash(uow.shifts.current("T01"))  # type: ignore[arg-type]
    lines = [OrderLine(1, item, 3)]
    with pytest.raises(DeskError, match="deposit must be at least"):
        open_order(maria, OrderKind.LAYAWAY, jane.id, lines, [cash("1.00")], rules=DeskConfig().rules, **kw)  # type: ignore[arg-type]
    opened = open_order(maria, OrderKind.LAYAWAY, jane.id, lines, [cash("20.00")], rules=DeskConfig().rules, **kw)  # type: ignore[arg-type]
    order = opened.order
    assert order.paid == Decimal("20.00") and order.balance == order.total - Decimal("20.00")
    paid = pay_order(maria, order.id, [card("10.00")], **kw)  # type: ignore[arg-type]
    assert paid.order.balance == order.total - Decimal("30.00")
    with pytest.raises(DeskError, match="is owed"):
        pay_order(maria, order.id, [cash(str(order.total))], **kw)  # type: ignore[arg-type]
    rest = paid.order.balance
    done = pick_up_order(maria, order.id, [cash(str(rest))], Decimal(0), **kw)  # type: ignore[arg-type]
    assert done.sale is not None and done.sale.total == order.total
    assert [t.kind for t in done.sale.tenders] == [TenderKind.DEPOSIT, TenderKind.CASH]
    with shop.uow() as uow:
        after = uow.shifts.expected_cash(uow.shifts.current("T01"))  # type: ignore[arg-type]
        report = x_report(uow, "T01", shop.cfg.currency, shop.cfg.zone)
    assert after - before == Decimal("20.00") + rest
    assert report.desk["Deposit"].amount == Decimal("20.00")
    assert report.desk["Order payment"].amount == Decimal("10.00")
    with pytest.raises(DeskError, match="picked up"):
        pay_order(maria, order.id, [cash("1.00")], **kw)  # type: ignore[arg-type]


def test_cancelled_layaway_keeps_the_stated_fee(shop: TestStore) -> None:
    jane = new_customer(shop)
    maria = shop.user("Maria")
    kw = dict(uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    order = open_order(
        maria,
        OrderKind.LAYAWAY,
        jane.id,
        [OrderLine(1, shop.item_in("small-appliances"), 2)],
        [card("30.00")],
        rules=DeskConfig().rules,
        **kw,
    ).order  # type: ignore[arg-type]
    result = cancel_order(
        maria, order.id, "changed mind", RefundMethod.ORIGINAL, str(uuid.uuid4()), rules=shop.rules, **kw
    )  # type: ignore[arg-type]
    assert result.kept == order.terms.cancel_fee
    assert result.payment is not None and result.payment.amount == Decimal("30.00") - order.terms.cancel_fee
    assert result.payment.parts[0].kind is TenderKind.CARD


def test_house_account_charge_and_payment(shop: TestStore) -> None:
    jane = new_customer(shop)
    kw = dict(uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    with pytest.raises(DeskError, match="may not open"):
        open_account(shop.user("Maria"), jane.id, Decimal("500"), **kw)  # type: ignore[arg-type]
    account = open_account(shop.user("Dana"), jane.id, Decimal("100"), **kw)  # type: ignore[arg-type]
    cfg = DeskConfig()
    on_account = Tender(TenderKind.HOUSE_ACCOUNT, Decimal("39.00"), Decimal("39.00"))
    sale = charge_service(
        shop.user("Maria"), "delivery", Decimal("39.00"), "sofa", jane.id, [on_account], Decimal(0), config=cfg, **kw
    )  # type: ignore[arg-type]
    assert sale.lines[0].sku == "SVC-DELIVERY"
    too_much = Tender(TenderKind.HOUSE_ACCOUNT, Decimal("79.00") * Decimal("1.0825"), Decimal(0))
    with pytest.raises(DeskError, match="left of its"):
        charge_service(
            shop.user("Maria"), "install", Decimal("79.00"), "", jane.id, [too_much], Decimal(0), config=cfg, **kw
        )  # type: ignore[arg-type]
    paid = pay_on_account(shop.user("Maria"), account.id, [cash("25.00")], **kw)  # type: ignore[arg-type]
    assert paid.account.owed == Decimal("14.00")
    with pytest.raises(DeskError, match="is owed"):
        pay_on_account(shop.user("Maria"), account.id, [cash("20.00")], **kw)  # type: ignore[arg-type]
    types = [e.type for e in journal_entries(shop.db.read, "T01")][-4:]
    assert types == ["AccountOpened", "SaleCompleted", "AccountCharged", "AccountPaymentTaken"]
