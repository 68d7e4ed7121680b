"""Returns and exchanges walked through the real screens by keyboard (issue 4, 'Show')."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from counter.barcodes import read_code
from counter.journal import verify
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.sale import Sale
from counter.sales.tenders import CardDetails, Payment
from db.queries import journal_entries
from devices.escpos.decode import decode
from tests.db.support import Clock
from tests.db.test_documents_content import pdf_text
from tests.ui.conftest import in_dialog, press, sign_in, type_enter, upc_codes
from ui.returns.return_model import DECISION_COLUMN


def sell(ctx, codes: list[str], *, card: bool, when: datetime | None = None, cashier: str = "Maria Lopez") -> Sale:  # type: ignore[no-untyped-def]
    from db.queries import list_users

    cart = Cart(ctx.store.currency, ctx.store.prices_include_tax)
    for code in codes:
        cart.add(ctx.catalog.by_code(read_code(code)))
    payment = Payment(cart.total, ctx.store.currency, ctx.store.smallest_coin)
    if card:
        payment.add_card(cart.total, CardDetails("Visa", "4242", "ORIG77"))
    else:
        payment.add_cash(payment.cash_due)
    user = next(u for u in list_users(ctx.db.read) if u.name == cashier)
    return complete_sale(
        CompleteSale(user, cart.lines, None, payment.tenders, payment.rounding),
        uow_factory=ctx.uow,
        clock=Clock(when or datetime.now(UTC)),
        store=ctx.store,
        terminal=ctx.terminal,
    )


@pytest.fixture
def returns(app_window):  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    press(window.sale.input, Qt.Key.Key_F7)
    assert window.stack.currentWidget() is window.returns
    return ctx, window, window.returns


def approve_as(name: str, pin: str, reason: str = "regular customer"):  # type: ignore[no-untyped-def]
    def act(dialog: QWidget) -> None:
        combo = dialog.approver  # type: ignore[attr-defined]
        combo.setCurrentIndex(next(i for i in range(combo.count()) if combo.itemText(i).startswith(name)))
        QTest.keyClicks(dialog.reason, reason)  # type: ignore[attr-defined]
        type_enter(dialog.pin, pin)  # type: ignore[attr-defined]
        if dialog.isVisible():  # refused: leave it the way a person would
            approve_as.last_error = dialog.error.text()  # type: ignore[attr-defined]
            dialog.reject()  # type: ignore[attr-defined]

    return act


def test_receipted_partial_return_to_card_in_three_keys(returns) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = returns
    a, b = upc_codes(ctx, 2)
    sale = sell(ctx, [a, a, b], card=True)
    type_enter(screen.input, sale.receipt_number)  # the receipt scan
    assert screen.draft.sale.id == sale.id
    table = screen.table
    # 1: Space returns one of the selected (first) line; 2: "3" = Changed mind; 3: F10
    QTest.keyClick(table, Qt.Key.Key_Space)
    QTest.keyClicks(table, "3")
    press(table, Qt.Key.Key_F10)
    record = screen.last_record
    assert record is not None, screen.message.text()
    (part,) = record.quote.allocation.parts
    assert part.kind == "card" and part.reference == "ORIG77" and part.card.last4 == "4242"
    q = ctx.store.currency.quantize
    assert record.quote.refund_total == q(sale.lines[0].amount / 2) + q(sale.lines[0].tax / 2)
    assert "on the card terminal to Visa •••• 4242" in screen.message.text()
    # The panel shows what was done (to the card), not the next, empty return's "Refund to".
    assert screen.total_caption.text() == f"DONE · {record.return_number}"
    assert "Visa" in screen.breakdown.text() and "Refund to" not in screen.breakdown.text()
    jobs = window.printing.printer.simulator.wait_for_jobs(1, timeout=10)
    text = decode(jobs[-1], page=window.printing.profile.page).text()
    assert "RETURN" in text and sale.receipt_number in text and "Changed mind" in text
    note = pdf_text((ctx.data_dir / "documents" / f"credit-note-{record.return_number}.pdf").read_bytes())
    refund = ctx.store.currency.format(record.quote.refund_total, ctx.store.locale)
    assert f"Number {record.return_number}" in note and f"Refers to receipt {sale.receipt_number}" in note
    assert f"Total refunded {refund}" in note and f"To Visa •••• 4242 (Original approval ORIG77) {refund}" in note
    # the same receipt again: one of that line is still returnable, not two
    type_enter(screen.input, sale.receipt_number)
    assert screen.draft.returnable[0].returnable == 1
    assert verify(journal_entries(ctx.db.read, ctx.terminal.terminal_id)).ok


def test_a_defective_item_returned_in_three_keys_goes_to_the_vendor_or_scrap(returns) -> None:  # type: ignore[no-untyped-def]
    """Space, 2 (Defective), F10 recorded the line as restock (issue #16): the reason now
    sets the condition, the condition where it goes, and Shift+F5 changes that."""
    from sqlalchemy import text

    ctx, window, screen = returns
    a, b = upc_codes(ctx, 2)
    sale = sell(ctx, [a, b], card=True)
    type_enter(screen.input, sale.receipt_number)
    table = screen.table
    QTest.keyClick(table, Qt.Key.Key_Space)
    QTest.keyClicks(table, "2")  # Defective
    said = screen.message.text()
    assert said.startswith("Defective: defective, goes to return to vendor."), said
    cell = screen.table.model().index(0, 7).data()
    assert cell == "Defective · defective → return to vendor", cell
    press(table, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    assert screen.message.text() == "Goes to: Scrap."
    assert screen.table.model().index(0, 7).data().endswith("→ scrap")
    press(table, Qt.Key.Key_F10)
    record = screen.last_record
    assert record is not None, screen.message.text()
    with ctx.db.read.connect() as conn:
        row = conn.execute(
            text("SELECT condition, disposition FROM return_lines WHERE return_id = :r"), {"r": record.id}
        ).one()
    assert tuple(row) == ("defective", "scrap")


def test_no_receipt_return_to_store_credit_with_id_then_spent(returns) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = returns
    code = upc_codes(ctx, 30)[25]
    press(screen.input, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    type_enter(screen.input, code)
    QTest.keyClicks(screen.table, "8")  # Other

    def customer_id(dialog: QWidget) -> None:
        type_enter(dialog.number, "D123 4567 8901")  # type: ignore[attr-defined]
        in_dialog(approve_as("Dana", "3333"))

    in_dialog(customer_id)
    press(screen.table, Qt.Key.Key_F10)
    record = screen.last_record
    assert record is not None, screen.message.text()
    assert record.voucher_code and record.customer_hint == "Driver's license …8901"
    assert "store credit" in screen.message.text().lower()

    # spend it in a later sale: F8 on the sale screen
    press(screen.table, Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.sale
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    total = window.sale.cart.total
    credit = record.quote.refund_total

    def pay_with_voucher(dialog: QWidget) -> None:
        type_enter(dialog.code_edit, record.voucher_code)  # type: ignore[attr-defined]

    in_dialog(pay_with_voucher)
    press(window.sale.input, Qt.Key.Key_F8)
    if credit < total:  # the rest in cash
        in_dialog(lambda d: type_enter(d.focusWidget(), ""))
        press(window.sale.input, Qt.Key.Key_F9)
    sale = window.sale.last_sale
    assert sale is not None, window.sale.message.text()
    assert any(t.voucher == record.voucher_code for t in sale.tenders)
    with ctx.read_uow() as uow:
        assert uow.vouchers.balance(record.voucher_code) == credit - min(credit, total)


def test_out_of_window_refused_then_allowed_with_a_supervisor_pin(returns) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = returns
    sale = sell(ctx, [upc_codes(ctx, 1)[0]], card=True, when=datetime.now(UTC) - timedelta(days=45))
    type_enter(screen.input, sale.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "3")
    decision = screen.model.index(0, DECISION_COLUMN).data()
    assert decision == "Needs approval"  # refused by the policy, unless a supervisor lets it through
    assert "return window" in screen.model.index(0, DECISION_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    approve_as.last_error = ""
    in_dialog(approve_as("Dana", "0000"))  # a wrong PIN: still refused, nothing recorded
    press(screen.table, Qt.Key.Key_F10)
    assert screen.last_record is None
    assert "PIN is not right" in approve_as.last_error
    in_dialog(approve_as("Dana", "3333"))
    press(screen.table, Qt.Key.Key_F10)
    record = screen.last_record
    assert record is not None, screen.message.text()
    assert record.quote.approvals == {"out_of_window"}
    types = [e.type for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id)]
    assert types[-3:] == ["ApprovalRefused", "ApprovalGranted", "ReturnProcessed"]


def test_self_approval_is_refused_even_for_a_manager(app_window) -> None:  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Alex", "4444")
    press(window.sale.input, Qt.Key.Key_F7)
    screen = window.returns
    sale = sell(
        ctx, [upc_codes(ctx, 1)[0]], card=True, when=datetime.now(UTC) - timedelta(days=45), cashier="Alex Morgan"
    )
    type_enter(screen.input, sale.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "1")
    approve_as.last_error = ""
    in_dialog(approve_as("Alex", "4444"))
    press(screen.table, Qt.Key.Key_F10)
    assert screen.last_record is None
    assert "your own request" in approve_as.last_error
    types = [e.type for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id)]
    assert types[-1] == "ApprovalRefused"


def test_exchange_where_the_customer_pays_the_difference(returns) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = returns
    codes = upc_codes(ctx, 40)
    items = sorted(((ctx.catalog.by_code(read_code(c)), c) for c in codes), key=lambda p: p[0].price)
    cheap, dear = items[0][1], items[-1][1]
    sale = sell(ctx, [cheap], card=True)
    type_enter(screen.input, sale.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "1")
    press(screen.table, Qt.Key.Key_F6)
    type_enter(screen.exchange_input, dear)
    assert screen.total_caption.text() == "CUSTOMER PAYS"
    # nothing goes back to the customer: no "Refund to: To the original payment" (issue #16)
    assert "Refund to" not in screen.breakdown.text(), screen.breakdown.text()

    def pay_cash(choice: QWidget) -> None:
        in_dialog(lambda cash: type_enter(cash.focusWidget(), ""))  # exact cash
        QTest.keyClick(choice, Qt.Key.Key_C)

    in_dialog(pay_cash)
    press(screen.exchange_input, Qt.Key.Key_F10)
    record = screen.last_record
    assert record is not None, screen.message.text()
    assert record.exchange_sale is not None
    assert record.quote.to_pay == record.exchange_sale.total - record.quote.refund_total
    assert record.quote.allocation.parts == ()


def test_exchange_where_the_store_refunds_cash(returns) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = returns
    codes = upc_codes(ctx, 40)
    items = sorted(((ctx.catalog.by_code(read_code(c)), c) for c in codes), key=lambda p: p[0].price)
    cheap, dear = items[0][1], items[-1][1]
    sale = sell(ctx, [dear], card=False)
    type_enter(screen.input, sale.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "1")
    press(screen.table, Qt.Key.Key_F6)
    type_enter(screen.exchange_input, cheap)
    assert screen.total_caption.text() == "REFUND"
    press(screen.exchange_input, Qt.Key.Key_F10)
    record = screen.last_record
    assert record is not None, screen.message.text()
    (part,) = record.quote.allocation.parts
    assert part.kind == "cash" and part.amount == record.quote.refund_total - record.exchange_sale.total
    assert "cash" in screen.message.text()


def test_a_new_return_says_what_to_do_not_what_the_last_one_did(returns) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = returns
    sale = sell(ctx, upc_codes(ctx, 1), card=True)
    type_enter(screen.input, sale.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "3")
    press(screen.table, Qt.Key.Key_F10)
    assert screen.last_record is not None and "recorded" in screen.message.text(), screen.message.text()
    press(screen.input, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # the next customer has no receipt
    assert screen.message.text() == "No receipt: scan the item the customer brings back, then Enter."
    press(screen.input, Qt.Key.Key_F2)
    assert screen.message.text().startswith("Scan the receipt's barcode")


def test_bad_receipts_are_explained(returns) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = returns
    type_enter(screen.input, "S01-T01-999999")
    assert "No sale has the receipt number" in screen.message.text()
    type_enter(screen.input, "S07-T01-000001")
    assert "another store" in screen.message.text()
    sale = sell(ctx, [upc_codes(ctx, 1)[0]], card=True)
    type_enter(screen.input, sale.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)  # more than was sold
    assert "can be returned" in screen.message.text()
    assert screen.draft.picks[sale.lines[0].id].quantity == 1


def test_a_receipt_changed_behind_the_back_is_refused_when_it_is_scanned(returns, store_dir) -> None:  # type: ignore[no-untyped-def]
    """The review's attack in the real screen: quantity, amount and cash tender inflated
    together with raw SQL (triggers dropped and put back). Scanning the receipt says what
    happened and what to do, and shows none of the inflated lines."""
    from tests.trust.test_derived_tables import behind_the_back

    ctx, window, screen = returns
    sale = sell(ctx, [upc_codes(ctx, 1)[0]], card=False)
    with behind_the_back(store_dir) as conn:
        conn.execute(
            "UPDATE sale_lines SET quantity = 5, amount_minor = amount_minor * 5, gross_minor = gross_minor * 5 "
            "WHERE sale_id = ?",
            (sale.id,),
        )
        conn.execute(
            "UPDATE tenders SET amount_minor = amount_minor * 5, tendered_minor = tendered_minor * 5 WHERE sale_id = ?",
            (sale.id,),
        )
    type_enter(screen.input, sale.receipt_number)
    said = screen.message.text()
    assert f"The records of receipt {sale.receipt_number} were changed outside Counter" in said, said
    assert "Call a manager" in said and "journal verify" in said
    assert screen.table.model().rowCount() == 0 and sale.receipt_number not in screen.header.text()
