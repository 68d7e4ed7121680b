"""F10 on the sale screen with an integrated card terminal (issue #20): real widgets, the ZVT
simulator over real TCP. The payment in progress, a declined card and an unknown outcome,
each on screen (saved to docs/screens/card-*.png with COUNTER_SAVE_SCREENS=1)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select

from app.context import AppContext
from counter.payments.terminal import Answer
from db import schema as s
from db.queries import journal_entries
from devices.errors import DeviceError, ErrorCode
from devices.payment.zvt import ZvtTerminal
from devices.sim.zvt_terminal import Fault, SimZvtTerminal
from tests.devices.payment.conftest import client_for
from tests.ui.conftest import press, sign_in, type_enter, upc_codes
from ui.main_window import MainWindow
from ui.sales.terminal_payment import TerminalPaymentDialog

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
SAVING = os.environ.get("COUNTER_SAVE_SCREENS") == "1"


class Deaf:
    """The real client, but the terminal cannot be asked afterwards (its cable pulled right
    after the payment): ``last_transaction`` fails until ``hears`` is set."""

    def __init__(self, real: ZvtTerminal) -> None:
        self.real, self.hears, self.name = real, False, real.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def last_transaction(self) -> Answer | None:
        if not self.hears:
            raise DeviceError(ErrorCode.TIMEOUT, "The card terminal does not answer.", "Check its cable and power.")
        return self.real.last_transaction()


@pytest.fixture
def sim() -> Iterator[SimZvtTerminal]:
    simulator = SimZvtTerminal(step_delay=0.05, customer_timeout=0.05, ack_timeout=1.0).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def till(app_window: tuple[AppContext, MainWindow], sim: SimZvtTerminal) -> Iterator[tuple[AppContext, MainWindow]]:
    ctx, window = app_window
    ctx.card_terminal = client_for(sim.port)
    sign_in(window, "Sam", "2222")
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    yield ctx, window
    ctx.card_terminal.close()
    ctx.card_terminal = None


def save(widget: QWidget, name: str, tmp_path: Path) -> None:
    (SCREENS if SAVING else tmp_path).mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str((SCREENS if SAVING else tmp_path) / f"card-{name}.png"))


def run_dialog(window: MainWindow, qtbot: Any, act: Any) -> None:
    """Press F10 and run ``act(dialog)`` once the terminal dialog is up."""
    seen: list[TerminalPaymentDialog] = []

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, TerminalPaymentDialog):
            qtbot.wait(0)
            from PySide6.QtCore import QTimer

            QTimer.singleShot(10, poll)
            return
        seen.append(dialog)
        try:
            act(dialog)
        except BaseException:
            dialog.phase = "amount"
            dialog.close()
            raise

    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, poll)
    press(window.sale.input, Qt.Key.Key_F10)
    assert seen, "the terminal dialog never opened"


def test_an_approved_card_payment_on_the_terminal_records_the_sale_and_prints_its_slip(
    till: tuple[AppContext, MainWindow], sim: SimZvtTerminal, qtbot: Any, tmp_path: Path
) -> None:
    ctx, window = till
    sim.step_delay = 0.4  # slow enough to see the terminal's words

    def act(dialog: TerminalPaymentDialog) -> None:
        QTest.keyClick(dialog.amount, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.state_label.text().startswith("Terminal:"), timeout=5000)
        assert not dialog.ok_button.isEnabled() and not dialog.amount.isEnabled()
        save(dialog, "in-progress", tmp_path)
        QTest.keyClick(dialog, Qt.Key.Key_Escape)  # refused: the terminal has it
        assert dialog.isVisible() and "wait for its answer" in dialog.error.text()

    run_dialog(window, qtbot, act)
    sale = window.sale.last_sale
    assert sale is not None, window.sale.message.text()
    (tender,) = sale.tenders
    assert tender.card is not None and tender.card.last4 == "4242" and tender.amount == sale.total
    assert len(sim.charged()) == 1 and sim.charged()[0].amount_minor == ctx.store.currency.to_minor(sale.total)
    with ctx.db.read.connect() as conn:
        kinds = [r[0] for r in conn.execute(select(s.print_jobs.c.kind).order_by(s.print_jobs.c.created_at))]
    assert "card_slip" in kinds


def test_a_declined_card_says_so_and_the_sale_stays_open(
    till: tuple[AppContext, MainWindow], sim: SimZvtTerminal, qtbot: Any, tmp_path: Path
) -> None:
    ctx, window = till
    sim.fault = Fault.INSUFFICIENT_FUNDS

    def act(dialog: TerminalPaymentDialog) -> None:
        QTest.keyClick(dialog.amount, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=5000)
        said = dialog.state_label.text()
        assert said == "Declined: insufficient funds. Nothing was charged."
        assert dialog.error.text() == "Ask for another card or another way to pay."
        assert dialog.ok_button.text().startswith("Try again")
        save(dialog, "declined", tmp_path)
        QTest.keyClick(dialog, Qt.Key.Key_Escape)

    run_dialog(window, qtbot, act)
    assert window.sale.last_sale is None and sim.charged() == []
    assert window.sale.payment is None or not window.sale.payment.tenders


def test_an_unknown_outcome_blocks_the_sale_until_the_terminal_is_asked(
    till: tuple[AppContext, MainWindow], sim: SimZvtTerminal, qtbot: Any, tmp_path: Path
) -> None:
    ctx, window = till
    real = ctx.card_terminal
    assert isinstance(real, ZvtTerminal)
    deaf = Deaf(real)
    ctx.card_terminal = deaf  # type: ignore[assignment]
    sim.fault = Fault.CUT_AFTER_AUTH

    def act(dialog: TerminalPaymentDialog) -> None:
        QTest.keyClick(dialog.amount, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.phase == "unknown", timeout=8000)
        assert dialog.headline.text().startswith("Payment outcome unknown")
        assert "Do NOT charge the card again" in dialog.state_label.text()
        assert "F8" in dialog.error.text()
        save(dialog, "unknown", tmp_path)
        QTest.keyClick(dialog, Qt.Key.Key_Escape)  # refused: the outcome is unknown
        assert dialog.isVisible()
        deaf.hears = True  # the cable is back: F5 asks again
        QTest.keyClick(dialog, Qt.Key.Key_F5)

    run_dialog(window, qtbot, act)
    ctx.card_terminal = real
    sale = window.sale.last_sale
    assert sale is not None, window.sale.message.text()
    assert sale.total == sale.tenders[0].amount and len(sim.charged()) == 1
    assert Decimal(0) == sum((t.amount for t in sale.tenders), Decimal(0)) - sale.total


# ------------------------------------------------------------------ a return's card refund


def paid_on_terminal(ctx: AppContext, window: MainWindow, qtbot: Any) -> Any:
    """A sale of two items paid by card on the terminal, through the sale screen."""
    type_enter(window.sale.input, upc_codes(ctx, 2)[1])
    run_dialog(window, qtbot, lambda dialog: QTest.keyClick(dialog.amount, Qt.Key.Key_Return))
    sale = window.sale.last_sale
    assert sale is not None and len(sale.lines) == 2
    return sale


def start_return(window: MainWindow, sale: Any) -> Any:
    press(window.sale.input, Qt.Key.Key_F7)
    screen = window.returns
    type_enter(screen.input, sale.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "3")  # changed mind
    return screen


def test_a_return_refunds_the_card_that_paid_on_the_terminal(
    till: tuple[AppContext, MainWindow], sim: SimZvtTerminal, qtbot: Any
) -> None:
    ctx, window = till
    sale = paid_on_terminal(ctx, window, qtbot)
    (payment,) = sim.charged()
    screen = start_return(window, sale)
    press(screen.table, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: "refunded to the card" in screen.message.text(), timeout=8000)
    said = screen.message.text()
    assert "goes back to Visa •••• 4242 through the card terminal" in said and "on the card terminal to" not in said
    refund = sim.transactions[-1]
    assert refund.kind == "refund" and refund.approved
    assert (refund.original_receipt, refund.original_trace) == (payment.receipt_no, payment.trace)
    record = screen.last_record
    assert refund.amount_minor == ctx.store.currency.to_minor(record.quote.refund_total)


def test_a_declined_card_refund_is_paid_in_cash_with_a_supervisor(
    till: tuple[AppContext, MainWindow], sim: SimZvtTerminal, qtbot: Any, tmp_path: Path
) -> None:
    from tests.ui.test_return_flows import approve_as
    from ui.returns.card_refund_dialog import OpenCardRefundDialog
    from ui.returns.return_dialogs import ApprovalDialog

    ctx, window = till
    sale = paid_on_terminal(ctx, window, qtbot)
    screen = start_return(window, sale)
    sim.fault = Fault.DECLINED
    seen: list[str] = []

    def act(dialog: TerminalPaymentDialog | Any) -> None:
        assert isinstance(dialog, OpenCardRefundDialog)
        seen.append(dialog.said.text())
        save(dialog, "refund-declined", tmp_path)
        in_next_dialog(approve_as("Dana", "3333", "card closed"), ApprovalDialog)
        QTest.keyClick(dialog, Qt.Key.Key_F9)

    in_next_dialog(act, OpenCardRefundDialog)
    press(screen.table, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: "paid in cash instead" in screen.message.text(), timeout=8000)
    assert seen and "Declined" in seen[0]
    with ctx.read_uow() as uow:
        assert uow.cards.open_refunds(ctx.terminal.terminal_id) == []
    assert [t.kind for t in sim.transactions if t.approved] == ["sale"]  # no refund on the card


def in_next_dialog(act: Any, kind: type | None = None) -> None:
    """Run ``act`` on the next modal dialog (of ``kind``) once it is up, from the event loop."""
    from PySide6.QtCore import QTimer

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or (kind is not None and not isinstance(dialog, kind)):
            QTimer.singleShot(10, poll)
            return
        try:
            act(dialog)
        except BaseException:
            dialog.close()
            raise

    QTimer.singleShot(0, poll)


def test_at_sign_in_a_payment_a_stop_left_unknown_is_resolved_first(
    app_window: tuple[AppContext, MainWindow], sim: SimZvtTerminal, qtbot: Any
) -> None:
    """Counter stopped while the terminal's answer was on its way: the card was charged, the
    journal says only that it was asked. The next sign-in asks the terminal first, records
    the payment, and puts the interrupted sale on screen to be given back."""
    from counter.payments.card_sale import ChargeCard, charge_card
    from counter.payments.requests import CardOutcomeUnknown
    from counter.sales.cart import Cart
    from tests.ui.conftest import sign_in as sign_in_as

    ctx, window = app_window
    ctx.card_terminal = client_for(sim.port)
    cart = Cart(ctx.store.currency, ctx.store.prices_include_tax)
    maria = next(u for u in ctx.reads.list_users() if u.name.startswith("Maria"))
    sim.fault = Fault.CUT_AFTER_AUTH
    with pytest.raises(CardOutcomeUnknown):
        ctx.handle(charge_card, ChargeCard(maria, "interrupted-sale", 1, Decimal("12.50"), Decimal("12.50")))
    assert cart.is_empty and len(sim.charged()) == 1
    sign_in_as(window, "Maria", "1111")
    qtbot.waitUntil(lambda: "interrupted" in window.sale.message.text(), timeout=8000)
    assert "Visa •••• 4242 $12.50" in window.sale.message.text()
    assert "Shift+F6" in window.sale.message.text()
    with ctx.read_uow() as uow:
        assert uow.cards.pending(ctx.terminal.terminal_id) == []
        (tender,) = uow.sales.part_payments("interrupted-sale")
    assert tender.amount == Decimal("12.50") and len(sim.charged()) == 1
    # Shift+F6 gives it back: the terminal reverses it first, with a supervisor's approval
    from tests.ui.test_return_flows import approve_as
    from ui.returns.return_dialogs import ApprovalDialog

    def confirm(dialog: Any) -> None:
        in_next_dialog(approve_as("Dana", "3333", "customer left"), ApprovalDialog)
        QTest.keyClick(dialog, Qt.Key.Key_Return)

    in_next_dialog(confirm)
    press(window.sale.input, Qt.Key.Key_F6, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: "voided" in window.sale.message.text(), timeout=8000)
    assert "$12.50 went back to Visa •••• 4242 on the terminal." in window.sale.message.text()
    assert sim.charged() == [] and sim.transactions[-1].kind == "reversal"
    ctx.card_terminal.close()
    ctx.card_terminal = None


def test_a_terminal_that_cannot_be_reached_lets_a_supervisor_key_a_standalone_card(
    till: tuple[AppContext, MainWindow], sim: SimZvtTerminal, qtbot: Any
) -> None:
    from tests.ui.test_return_flows import approve_as
    from ui.dialogs import CardDialog
    from ui.returns.return_dialogs import ApprovalDialog

    ctx, window = till
    real = ctx.card_terminal
    ctx.card_terminal = client_for(1)  # nothing listens there: the terminal's cable is out

    def keyed(dialog: Any) -> None:
        dialog.last4.setText("4242")
        dialog.approval.setText("STAND1")
        QTest.keyClick(dialog.approval, Qt.Key.Key_Return)

    def act(dialog: TerminalPaymentDialog) -> None:
        QTest.keyClick(dialog.amount, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.unreachable, timeout=5000)
        assert "not reached" in dialog.state_label.text() and "F8" in dialog.error.text()
        in_next_dialog(approve_as("Dana", "3333", "terminal cable broken"), ApprovalDialog)
        in_next_dialog(keyed, CardDialog)
        QTest.keyClick(dialog, Qt.Key.Key_F8)

    run_dialog(window, qtbot, act)
    ctx.card_terminal.close()
    ctx.card_terminal = real
    sale = window.sale.last_sale
    assert sale is not None, window.sale.message.text()
    (tender,) = sale.tenders
    assert tender.card is not None and tender.card.approval_code == "STAND1" and sim.charged() == []
    journal = [e.body_data() for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id)
               if e.type == "ApprovalGranted"]  # fmt: skip
    assert journal[-1]["kinds"] == ["card_manual"]


# ------------------------------------------------------------------ the day closes together


def z_in_the_office(window: MainWindow, qtbot: Any) -> Any:
    from tests.ui.conftest import in_dialog
    from tests.ui.test_cash_office_screen import fill_count, open_office

    office = open_office(window, "Dana", "3333")
    in_dialog(fill_count({"20": 10}, note="end of day"))
    press(office, Qt.Key.Key_F7)  # close the shift
    press(office, Qt.Key.Key_F9)  # Z: the terminal's day first, off the GUI thread
    qtbot.waitUntil(lambda: "Z report" in office.message.text(), timeout=10_000)
    return office


def test_the_z_report_closes_the_terminals_day_and_shows_its_totals(
    till: tuple[AppContext, MainWindow], sim: SimZvtTerminal, qtbot: Any
) -> None:
    ctx, window = till
    sale = paid_on_terminal(ctx, window, qtbot)
    press(window.sale.input, Qt.Key.Key_F12)
    office = z_in_the_office(window, qtbot)
    money = ctx.store.currency.format(sale.total, ctx.store.locale)
    assert f"Card totals agree: {money}." in office.message.text()
    assert sim.ledger.batch == 2  # the terminal's batch was closed
    with ctx.db.read.connect() as conn:
        kinds = [r[0] for r in conn.execute(select(s.print_jobs.c.reference))]
    assert "card-end-of-day" in kinds


def test_a_terminal_that_cannot_close_its_day_is_said_and_the_z_is_taken(
    app_window: tuple[AppContext, MainWindow], qtbot: Any
) -> None:
    ctx, window = app_window
    ctx.card_terminal = client_for(1)  # unplugged
    office = z_in_the_office(window, qtbot)
    said = office.message.text()
    assert "The card terminal's day was NOT closed" in said and "Z report" in said
    with ctx.db.read.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM card_days").scalar_one() == 0
    ctx.card_terminal.close()
    ctx.card_terminal = None


def test_a_card_refund_still_owed_is_offered_at_sign_in_and_paid_as_store_credit(
    app_window: tuple[AppContext, MainWindow], sim: SimZvtTerminal, qtbot: Any
) -> None:
    from tests.ui.test_return_flows import approve_as
    from ui.returns.card_refund_dialog import OpenCardRefundDialog
    from ui.returns.return_dialogs import ApprovalDialog

    ctx, window = app_window
    ctx.card_terminal = client_for(sim.port)
    sign_in(window, "Sam", "2222")
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])  # as the till fixture does
    sale = paid_on_terminal(ctx, window, qtbot)
    screen = start_return(window, sale)
    sim.fault = Fault.DECLINED
    in_next_dialog(lambda dialog: QTest.keyClick(dialog, Qt.Key.Key_Escape), OpenCardRefundDialog)  # later
    press(screen.table, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: "still owed" in screen.message.text(), timeout=8000)
    press(screen.table, Qt.Key.Key_Escape)  # back to the sale screen
    press(window.sale.input, Qt.Key.Key_F12)

    def act(dialog: Any) -> None:
        in_next_dialog(approve_as("Dana", "3333", "card closed"), ApprovalDialog)
        QTest.keyClick(dialog, Qt.Key.Key_F8)

    in_next_dialog(act, OpenCardRefundDialog)
    sign_in(window, "Maria", "1111")
    qtbot.waitUntil(lambda: "store credit instead" in window.sale.message.text(), timeout=8000)
    with ctx.read_uow() as uow:
        assert uow.cards.open_refunds(ctx.terminal.terminal_id) == []
    code = window.sale.message.text().split("voucher ")[1].split(" ")[0]
    with ctx.db.read.connect() as conn:
        held = conn.exec_driver_sql("SELECT initial_minor FROM vouchers WHERE code = ?", (code,)).scalar_one()
    assert held == ctx.store.currency.to_minor(screen.last_record.quote.refund_total)
    ctx.card_terminal.close()
    ctx.card_terminal = None
