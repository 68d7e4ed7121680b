"""The service desk walked through the real screens by keyboard (issue 7, 'Show'): real
widgets offscreen, a real store copied from the demo template, the simulated printer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from counter.desk.accounts import charge_service, open_account
from counter.desk.customers import Address, ContactDetails, create_customer
from counter.desk.service import DeskConfig
from counter.journal import verify
from counter.sales.tenders import Tender, TenderKind
from db import schema as s
from db.demo import DEMO_CUSTOMERS
from db.desk_queries import address_history, case_events, cases_for, find_customers, referrals_for_case
from db.queries import journal_entries, list_users
from tests.db.support import Clock
from tests.db.test_documents_content import pdf_text
from tests.ui.conftest import count_rows, in_dialog, press, sign_in, type_enter, upc_codes
from tests.ui.test_return_flows import approve_as, sell

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def desk(app_window):  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    press(window.sale.input, Qt.Key.Key_U, CTRL)
    assert window.stack.currentWidget() is window.desk
    return ctx, window, window.desk


def maria(ctx):  # type: ignore[no-untyped-def]
    return next(u for u in list_users(ctx.db.read) if u.name.startswith("Maria"))


def on_file(ctx, name="Jane Doe", phone="(217) 555-0175", email="jane@example.com"):  # type: ignore[no-untyped-def]
    details = ContactDetails.checked(
        name, phone, email, address=Address("12 Elm Street", "", "Riverton", "IL", "62704")
    )
    return create_customer(maria(ctx), details, uow_factory=ctx.uow, clock=ctx.clock)


def fill_customer(name: str, phone: str, email: str, *, then=None):  # type: ignore[no-untyped-def]
    def act(dialog: QWidget) -> None:
        QTest.keyClicks(dialog.name, name)  # type: ignore[attr-defined]
        QTest.keyClicks(dialog.phone, phone)  # type: ignore[attr-defined]
        QTest.keyClicks(dialog.line1, "12 Elm Street")  # type: ignore[attr-defined]
        QTest.keyClicks(dialog.city, "Riverton")  # type: ignore[attr-defined]
        type_enter(dialog.email, email)  # type: ignore[attr-defined]
        if then is not None:
            then(dialog)

    return act


def test_new_customer_then_duplicate_offered_and_bad_details_explained(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    in_dialog(fill_customer("Jane Doe", "(217) 555-0175", "jane@example.com"))
    press(screen.input, Qt.Key.Key_F3)
    assert screen.customer is not None and screen.customer.phone == "+12175550175"
    assert "Jane Doe added" in screen.message.text()
    seen: dict[str, str] = {}

    def bad_then_fixed(dialog: QWidget) -> None:
        seen["email"] = dialog.error.text()  # type: ignore[attr-defined]
        assert dialog.isVisible() and dialog.email.text() == "jane@@example"  # type: ignore[attr-defined]
        dialog.email.setText("")  # type: ignore[attr-defined]
        dialog.phone.setText("555-12")  # type: ignore[attr-defined]
        type_enter(dialog.name, "")  # type: ignore[attr-defined]
        seen["phone"] = dialog.error.text()  # type: ignore[attr-defined]
        dialog.phone.setText("217.555.0175")  # the same phone as Jane: offered instead  # type: ignore[attr-defined]
        type_enter(dialog.name, "")  # type: ignore[attr-defined]
        seen["dup"] = dialog.error.text()  # type: ignore[attr-defined]
        seen["button"] = dialog.ok_button.text()  # type: ignore[attr-defined]
        type_enter(dialog.name, "")  # Enter again: use Jane  # type: ignore[attr-defined]

    in_dialog(fill_customer("J. Doe", "", "jane@@example", then=bad_then_fixed))
    press(screen.input, Qt.Key.Key_F3)
    assert "not a valid e-mail address" in seen["email"]
    assert "“555-12” is not a phone number" in seen["phone"]
    assert "Jane Doe already has this phone number" in seen["dup"] and seen["button"].startswith("Use Jane Doe")
    assert "already on file" in screen.message.text()
    assert count_rows(ctx, s.customers) == 1 + len(DEMO_CUSTOMERS)  # the demo store's own, and Jane


def test_complaint_referred_noted_told_resolved_closed_with_a_letter(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    jane = on_file(ctx)
    sale = sell(ctx, [upc_codes(ctx, 1)[0]], card=True)
    type_enter(screen.input, "555-0175")
    assert screen.customer.id == jane.id

    def contact(d: QWidget) -> None:
        d.kind.setCurrentIndex(d.kind.findText("Complaint"))  # type: ignore[attr-defined]
        d.words.setPlainText("It stopped working after a week.")  # type: ignore[attr-defined]
        d.done_so_far.setPlainText("Tested it at the desk: dead.")  # type: ignore[attr-defined]
        type_enter(d.links, sale.receipt_number)  # type: ignore[attr-defined]

    in_dialog(contact)
    press(screen.input, Qt.Key.Key_F5)
    (case,) = cases_for(ctx.db.read, jane.id)
    assert case.kind == "complaint" and case.number in screen.message.text()

    refused: dict[str, str] = {}

    def close_too_soon(d: QWidget) -> None:
        d.choose(d.status.itemData(3))  # type: ignore[attr-defined]
        type_enter(d.note, "")  # type: ignore[attr-defined]
        refused["close"] = d.error.text()  # type: ignore[attr-defined]
        d.reject()  # type: ignore[attr-defined]

    in_dialog(close_too_soon)
    press(screen.input, Qt.Key.Key_F7)
    assert "cannot be closed" in refused["close"]

    def missing_department(d: QWidget) -> None:
        d.department.setEditText("Plumbing")  # type: ignore[attr-defined]
        type_enter(d.note, "fix it")  # type: ignore[attr-defined]
        refused["dept"] = d.error.text()  # type: ignore[attr-defined]
        d.department.setCurrentIndex(0)  # Warranty and repair  # type: ignore[attr-defined]
        type_enter(d.note, "")  # type: ignore[attr-defined]

    in_dialog(missing_department)
    press(screen.input, Qt.Key.Key_F6)
    assert "no department “Plumbing”" in refused["dept"]
    (referral,) = referrals_for_case(ctx.db.read, case.id)
    assert referral.department == "warranty" and referral.note == "fix it"

    def outcome(d: QWidget) -> None:
        d.outcome.setChecked(True)  # type: ignore[attr-defined]
        type_enter(d.note, "Replaced under warranty; the new one is at the desk.")  # type: ignore[attr-defined]

    in_dialog(outcome)
    press(screen.input, Qt.Key.Key_O, CTRL)
    in_dialog(lambda d: (d.how.setCurrentIndex(d.how.findText("letter")), type_enter(d.what, "")))  # type: ignore[attr-defined]
    press(screen.input, Qt.Key.Key_T, CTRL)
    in_dialog(lambda d: QTest.keyClicks(d.list, "2"))  # the letter
    press(screen.input, Qt.Key.Key_F11)
    letter = ctx.data_dir / "documents" / f"letter-{case.number}.pdf"
    text = pdf_text(letter.read_bytes())
    assert "Jane Doe 12 Elm Street Riverton, IL 62704" in text and "Dear Jane," in text
    assert f"Our reference: {case.number}" in text
    assert "The outcome: Replaced under warranty; the new one is at the desk." in text
    in_dialog(lambda d: type_enter(d.note, "Kettle replaced under warranty."))  # type: ignore[attr-defined]
    press(screen.input, Qt.Key.Key_F7)
    in_dialog(lambda d: type_enter(d.note, ""))  # type: ignore[attr-defined]
    press(screen.input, Qt.Key.Key_F7)
    (case,) = cases_for(ctx.db.read, jane.id)
    assert case.status == "closed" and case.resolution == "Kettle replaced under warranty."
    events = [e.event for e in case_events(ctx.db.read, case.id)]
    assert events == ["opened", "contact", "action", "referred", "answered", "told", "letter", "resolved", "closed"]
    assert verify(journal_entries(ctx.db.read, ctx.terminal.terminal_id)).ok


def test_a_change_of_address_keeps_the_old_one(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    jane = on_file(ctx)
    type_enter(screen.input, "jane@example.com")

    def move(d: QWidget) -> None:
        d.line1.setText("9 Oak Lane")  # type: ignore[attr-defined]
        d.postal.setText("62705")  # type: ignore[attr-defined]
        type_enter(d.reason, "moved house")  # type: ignore[attr-defined]

    in_dialog(move)
    press(screen.input, Qt.Key.Key_F4)
    history = address_history(ctx.db.read, jane.id)
    assert [h.text.split(",")[0] for h in history] == ["9 Oak Lane", "12 Elm Street"]
    assert history[0].reason == "moved house"
    assert "9 Oak Lane" in screen.card.text()


def test_price_adjustment_refunded_to_the_card_with_approval(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    jane = on_file(ctx)
    code = upc_codes(ctx, 1)[0]
    sale = sell(ctx, [code, code], card=True)
    item_id = sale.lines[0].item_id
    with ctx.db.write.begin() as conn:
        conn.execute(s.items.update().where(s.items.c.id == item_id).values(price_minor=s.items.c.price_minor - 100))
    type_enter(screen.input, "Jane")
    assert screen.customer.id == jane.id

    def adjust(d: QWidget) -> None:
        QTest.keyClicks(d.receipt, sale.receipt_number)  # type: ignore[attr-defined]
        d._load_lines()  # what leaving the field does  # type: ignore[attr-defined]
        d.quantity.setValue(2)  # type: ignore[attr-defined]
        in_dialog(approve_as("Dana", "3333", "flyer price"))
        type_enter(d.reason, "price dropped in Sunday's flyer")  # type: ignore[attr-defined]

    in_dialog(adjust)
    press(screen.input, Qt.Key.Key_F8)
    with ctx.db.read.connect() as conn:
        adj = conn.execute(select(s.adjustments)).mappings().one()
        tender = conn.execute(select(s.desk_tenders)).mappings().one()
    assert adj["gross_minor"] == 200 + round(200 * 0.0825) or adj["gross_minor"] > 200
    assert tender["kind"] == "card" and tender["amount_minor"] == -adj["gross_minor"]
    assert tender["approval_code"] == "ORIG77" and tender["original_seq"] == 1
    assert "on the card terminal to Visa •••• 4242" in screen.message.text()
    types = [e.type for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id)]
    assert types[-2:] == ["ApprovalGranted", "BillAdjusted"]


def pay_cash_exact(choice: QWidget) -> None:
    in_dialog(lambda cash: type_enter(cash.focusWidget(), ""))
    QTest.keyClick(choice, Qt.Key.Key_C)


def pay_card(choice: QWidget) -> None:
    def card(d: QWidget) -> None:
        d.last4.setText("4242")  # type: ignore[attr-defined]
        type_enter(d.approval, "LAY123")  # type: ignore[attr-defined]

    in_dialog(card)
    QTest.keyClick(choice, Qt.Key.Key_K)


def test_layaway_deposit_second_payment_and_pickup(desk, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    jane = on_file(ctx)
    from counter.barcodes import read_code

    code = max(upc_codes(ctx, 40), key=lambda c: ctx.catalog.by_code(read_code(c)).price)
    type_enter(screen.input, "Jane Doe")
    with ctx.read_uow() as uow:
        drawer_before = uow.shifts.expected_cash(uow.shifts.current(ctx.terminal.terminal_id))

    def layaway(d: QWidget) -> None:
        type_enter(d.scan, code)  # type: ignore[attr-defined]
        type_enter(d.scan, code)  # two of them  # type: ignore[attr-defined]
        in_dialog(pay_cash_exact)
        type_enter(d.deposit, "20.00")  # type: ignore[attr-defined]

    in_dialog(lambda m: (in_dialog(layaway), QTest.keyClicks(m.list, "2")))  # type: ignore[attr-defined]
    press(screen.input, Qt.Key.Key_F9)
    from db.desk_queries import orders_for

    (order,) = orders_for(ctx.db.read, jane.id)
    assert order.paid == Decimal("20.00") and [ln.quantity for ln in order.lines] == [2]
    agreement = pdf_text((ctx.data_dir / "documents" / f"agreement-{order.number}.pdf").read_bytes())
    money = lambda a: ctx.store.currency.format(a, ctx.store.locale)  # noqa: E731
    assert f"Agreement {order.number}" in agreement and "Customer Jane Doe" in agreement
    assert f"TOTAL {money(order.total)}" in agreement and f"Paid today {money(Decimal('20.00'))}" in agreement
    assert f"BALANCE DUE {money(order.total - Decimal('20.00'))}" in agreement

    def second(d: QWidget) -> None:
        in_dialog(pay_card)
        type_enter(d.amount, "10.00")  # type: ignore[attr-defined]

    in_dialog(lambda m: (in_dialog(second), QTest.keyClicks(m.list, "4")))  # type: ignore[attr-defined]
    press(screen.input, Qt.Key.Key_F9)
    (order,) = orders_for(ctx.db.read, jane.id)
    assert order.paid == Decimal("30.00"), screen.message.text()
    assert "still owed" in screen.message.text()
    balance = order.balance
    in_dialog(lambda m: (in_dialog(pay_cash_exact), QTest.keyClicks(m.list, "5")))  # type: ignore[attr-defined]
    press(screen.input, Qt.Key.Key_F9)
    (order,) = orders_for(ctx.db.read, jane.id)
    assert order.status == "picked_up" and order.sale_id
    with ctx.read_uow() as uow:
        drawer_after = uow.shifts.expected_cash(uow.shifts.current(ctx.terminal.terminal_id))
    assert drawer_after - drawer_before == Decimal("20.00") + balance
    entries = list(journal_entries(ctx.db.read, ctx.terminal.terminal_id))
    types = [e.type for e in entries if e.type != "DrawerOpened"]
    assert types[-4:] == ["OrderOpened", "OrderPaymentTaken", "SaleCompleted", "OrderPickedUp"]
    # The cash deposit opened the drawer, with the deposit's payment number (due with its commit:
    # the outbox; app/events.DeskPaymentCommitted); the card payment did not.
    opened = [json.loads(e.body) for e in entries if e.type == "DrawerOpened"]
    with ctx.db.read.connect() as conn:
        deposit = conn.execute(
            select(s.desk_payments.c.number).where(
                s.desk_payments.c.order_id == order.id, s.desk_payments.c.purpose == "deposit"
            )
        ).scalar_one()
    assert [(o["reason"], o["reference"]) for o in opened][:1] == [("cash_sale", deposit)]
    # After the commit (app/events.py), as for a sale at the counter: the pickup's receipt
    # prints, and the cash taken opens the drawer (journaled with the receipt's number).
    with ctx.db.read.connect() as conn:
        receipt = conn.execute(select(s.sales.c.receipt_number).where(s.sales.c.id == order.sale_id)).scalar_one()
    qtbot.waitUntil(
        lambda: any(
            e.type == "DrawerOpened" and json.loads(e.body)["reference"] == receipt
            for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id)
        ),
        timeout=5000,
    )
    with ctx.db.read.connect() as conn:
        jobs = conn.execute(select(s.print_jobs.c.copy_number).where(s.print_jobs.c.reference == receipt)).all()
    assert [j[0] for j in jobs] == [0]


def test_payment_on_a_house_account(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    jane = on_file(ctx)
    dana = next(u for u in list_users(ctx.db.read) if u.name.startswith("Dana"))
    kw = dict(uow_factory=ctx.uow, clock=Clock(datetime.now(UTC)), store=ctx.store, terminal=ctx.terminal)
    account = open_account(dana, jane.id, Decimal("300"), **kw)  # type: ignore[arg-type]
    charge = Tender(TenderKind.HOUSE_ACCOUNT, Decimal("39.00"), Decimal("39.00"))
    charge_service(
        maria(ctx), "delivery", Decimal("39.00"), "sofa", jane.id, [charge], Decimal(0), config=DeskConfig(), **kw
    )  # type: ignore[arg-type]
    type_enter(screen.input, "555-0175")
    assert "owes $39.00" in screen.money_box.text()

    def pay(d: QWidget) -> None:
        in_dialog(pay_cash_exact)
        type_enter(d.amount, "")  # Enter: all that is owed  # type: ignore[attr-defined]

    in_dialog(lambda m: (in_dialog(pay), QTest.keyClicks(m.list, "7")))  # type: ignore[attr-defined]
    press(screen.input, Qt.Key.Key_F9)
    assert "$0.00 still owed" in screen.message.text()
    from db.desk_queries import account_of

    assert account_of(ctx.db.read, jane.id, ctx.store.currency).owed == 0
    assert account.number in screen.message.text()
    jobs = window.printing.printer.simulator.wait_for_jobs(1, timeout=10)
    from devices.escpos.decode import decode

    text = decode(jobs[-1], page=window.printing.profile.page).text()
    assert "PAYMENT ON ACCOUNT" in text and "Still owed" in text
    paid_number = screen.message.text().split()[1]

    # the statement: the charge and the payment, each with the balance after it
    in_dialog(lambda m: QTest.keyClicks(m.list, "9"))  # type: ignore[attr-defined]
    press(screen.input, Qt.Key.Key_F9)
    assert f"Statement of account {account.number} printed: 2 entries" in screen.message.text()
    jobs = window.printing.printer.simulator.wait_for_jobs(3, timeout=10)  # receipt, drawer, statement
    (statement,) = [x for x in (decode(j, page=window.printing.profile.page).text() for j in jobs) if "STATEMENT" in x]
    assert "HOUSE ACCOUNT\nSTATEMENT" in statement and account.number in statement and "Jane Doe" in statement
    assert paid_number in statement and "-$39.00" in statement
    assert statement.count("  balance") == 2 and "OWED                                 $0.00" in statement


def test_attach_to_the_sale_puts_it_on_the_customers_history(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    jane = on_file(ctx)
    type_enter(screen.input, "Jane")
    press(screen.input, Qt.Key.Key_F10)
    assert window.stack.currentWidget() is window.sale
    assert window.customer_label.text() == "Customer: Jane Doe"
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    in_dialog(lambda d: type_enter(d.focusWidget(), ""))
    press(window.sale.input, Qt.Key.Key_F9)
    sale = window.sale.last_sale
    assert sale is not None and window.customer_label.text() == ""
    found = find_customers(ctx.db.read, sale.receipt_number)
    assert [c.id for c in found] == [jane.id]


def test_a_logged_contact_opens_a_new_case_unless_an_open_one_is_picked(desk) -> None:  # type: ignore[no-untyped-def]
    """Issue #16: the box "Add to case <the open case>" was ticked by default, so a zipper
    complaint went into a thank-you case and its letter quoted the thank-you."""
    ctx, window, screen = desk
    jane = on_file(ctx)
    type_enter(screen.input, "555-0175")
    seen: dict[str, list[str]] = {}

    def thanks(d: QWidget) -> None:
        d.kind.setCurrentIndex(d.kind.findText("Comment"))  # type: ignore[attr-defined]
        seen["first"] = [d.case_pick.itemText(i) for i in range(d.case_pick.count())]  # type: ignore[attr-defined]
        d.words.setPlainText("Thank you, the staff were lovely.")  # type: ignore[attr-defined]
        type_enter(d.links, "")  # type: ignore[attr-defined]

    in_dialog(thanks)
    press(screen.input, Qt.Key.Key_F5)
    (thank_you,) = cases_for(ctx.db.read, jane.id)
    assert seen["first"] == ["A new case"]

    def zipper(d: QWidget) -> None:
        d.kind.setCurrentIndex(d.kind.findText("Complaint"))  # type: ignore[attr-defined]
        seen["second"] = [d.case_pick.itemText(i) for i in range(d.case_pick.count())]  # type: ignore[attr-defined]
        seen["default"] = [d.case_pick.currentText()]  # type: ignore[attr-defined]
        d.words.setPlainText("The zipper broke on day two.")  # type: ignore[attr-defined]
        type_enter(d.links, "")  # type: ignore[attr-defined]

    in_dialog(zipper)
    press(screen.input, Qt.Key.Key_F5)
    cases = {c.subject: c for c in cases_for(ctx.db.read, jane.id)}
    assert set(cases) == {"Thank you, the staff were lovely.", "The zipper broke on day two."}
    assert seen["default"] == ["A new case"]
    assert seen["second"] == ["A new case", f"Add to {thank_you.number}: “Thank you, the staff were lovely.” (open)"]
    zipper_case = cases["The zipper broke on day two."]
    assert zipper_case.id != thank_you.id and zipper_case.number in screen.message.text()
    assert "opened" in screen.message.text()

    def follow_up(d: QWidget) -> None:  # picked on purpose: the customer calls back about the zipper
        d.case_pick.setCurrentIndex(d.case_pick.findText(f"Add to {zipper_case.number}", Qt.MatchFlag.MatchStartsWith))  # type: ignore[attr-defined]
        d.words.setPlainText("Calling back about the zipper.")  # type: ignore[attr-defined]
        type_enter(d.links, "")  # type: ignore[attr-defined]

    in_dialog(follow_up)
    press(screen.input, Qt.Key.Key_F5)
    assert len(cases_for(ctx.db.read, jane.id)) == 2
    assert f"case {zipper_case.number} updated" in screen.message.text()
