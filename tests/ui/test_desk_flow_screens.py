"""Screens of the flows that had no test (issue 14), driven by keyboard on real widgets
offscreen over a real store: what the customer display shows after a return and after an
exchange, the refund of a return without a receipt at the lowest recent price, a
department's queue worked from its screen, and the follow-ups due list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select

from counter.barcodes import read_code
from counter.desk.cases import ContactKind, LogContact, log_contact, set_follow_up
from counter.desk.referrals import Priority, ReferralStatus, refer_case
from counter.desk.service import DeskConfig
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.pricing import Discount
from counter.sales.tenders import CardDetails, Payment
from db import schema as s
from db.desk_queries import case_events, department_queue, follow_ups_due
from db.queries import list_users
from devices.display import fit
from tests.db.support import Clock
from tests.ui.conftest import in_dialog, press, sign_in, type_enter, upc_codes
from tests.ui.device_support import entries, open_window_fixture, sign_in_as  # noqa: F401
from tests.ui.test_return_flows import approve_as, sell
from tests.ui.test_service_desk_flows import on_file

CTRL = Qt.KeyboardModifier.ControlModifier


class DialogLog:
    """Every modal dialog that opens while it is active, in order; a dialog nobody handles
    (one opened twice by one key) is noted and closed, so a test never hangs on it."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._seen: list[QWidget] = []
        self._stopped = False

    def __enter__(self) -> DialogLog:
        QTimer.singleShot(0, self._poll)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped = True

    def _poll(self) -> None:
        if self._stopped:
            return
        dialog = QApplication.activeModalWidget()
        if dialog is not None and not any(dialog is d for d in self._seen):
            self._seen.append(dialog)
            self.names.append(type(dialog).__name__)
            if self.names.count(self.names[-1]) > 1:
                dialog.close()
        QTimer.singleShot(5, self._poll)


def money(ctx, amount: Decimal) -> str:  # type: ignore[no-untyped-def]
    return ctx.store.currency.format(amount, ctx.store.locale)


def user(ctx, first: str):  # type: ignore[no-untyped-def]
    return next(u for u in list_users(ctx.db.read) if u.name.startswith(first))


# ---------------------------------------------------------------- customer display


def showing(display) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The simulated display's rows without the padding."""
    return tuple(r.rstrip() for r in display.rows)


@pytest.fixture
def fast_welcome():  # type: ignore[no-untyped-def]
    import ui.devices.customer_display

    ui.devices.customer_display.WELCOME_AFTER_MS = 700  # do not wait 8 s for the welcome text
    yield
    ui.devices.customer_display.WELCOME_AFTER_MS = 8000


def test_the_display_shows_the_refund_after_a_return_then_the_welcome_text(open_window, qtbot, fast_welcome) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window()
    display = window.devices.devices.display.simulator
    welcome = (ctx.settings.display_welcome.center(20), ctx.store.name[:20].center(20))
    sign_in_as(window, "Maria", "1111")
    a, b = upc_codes(ctx, 2)
    sale = sell(ctx, [a, a, b], card=True)
    press(window.sale.input, Qt.Key.Key_F7)
    screen = window.returns
    type_enter(screen.input, sale.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)  # one of the first line
    QTest.keyClicks(screen.table, "3")
    press(screen.table, Qt.Key.Key_F10)
    record = screen.last_record
    assert record is not None, screen.message.text()
    refund = record.quote.refund_total
    q = ctx.store.currency.quantize
    assert refund == q(sale.lines[0].gross / 2)
    shown = (fit("Refund", money(ctx, refund)), fit("", "Thank you").rstrip())
    qtbot.waitUntil(lambda: showing(display) == shown, timeout=3000)
    qtbot.waitUntil(lambda: showing(display) == tuple(r[:20].rstrip() for r in welcome), timeout=3000)


def test_the_display_shows_what_an_exchange_leaves_to_pay_or_to_give_back(open_window, qtbot, fast_welcome) -> None:  # type: ignore[no-untyped-def]
    ctx, window = open_window()
    display = window.devices.devices.display.simulator
    sign_in_as(window, "Maria", "1111")
    codes = upc_codes(ctx, 40)
    by_price = sorted(((ctx.catalog.by_code(read_code(c)), c) for c in codes), key=lambda p: p[0].price)
    (cheap_item, cheap), (dear_item, dear) = by_price[0], by_price[-1]
    press(window.sale.input, Qt.Key.Key_F7)
    screen = window.returns

    # the cheap item back for the dear one: the customer pays the difference
    sale = sell(ctx, [cheap], card=True)
    type_enter(screen.input, sale.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "1")
    press(screen.table, Qt.Key.Key_F6)
    type_enter(screen.exchange_input, dear)

    def pay_cash(choice: QWidget) -> None:
        in_dialog(lambda cash: type_enter(cash.focusWidget(), ""))  # exact cash
        QTest.keyClick(choice, Qt.Key.Key_C)

    in_dialog(pay_cash)
    press(screen.exchange_input, Qt.Key.Key_F10)
    record = screen.last_record
    assert record is not None and record.exchange_sale is not None, screen.message.text()
    to_pay = record.exchange_sale.total - sale.total
    assert record.quote.to_pay == to_pay > 0
    shown = (fit("Exchange", ""), fit("To pay", money(ctx, to_pay)))
    qtbot.waitUntil(lambda: showing(display) == shown, timeout=3000)

    # the dear item back for the cheap one: the store gives back the difference
    sale = sell(ctx, [dear], card=False)
    type_enter(screen.input, sale.receipt_number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "1")
    press(screen.table, Qt.Key.Key_F6)
    type_enter(screen.exchange_input, cheap)
    press(screen.exchange_input, Qt.Key.Key_F10)
    record = screen.last_record
    assert record is not None and record.exchange_sale is not None, screen.message.text()
    back = sale.total - record.exchange_sale.total
    assert back > 0 and record.quote.refund_total == sale.total  # the whole refund, less what paid the new item
    shown = (fit("Refund", money(ctx, back)), fit("", "Thank you").rstrip())
    qtbot.waitUntil(lambda: showing(display) == shown, timeout=3000)
    assert (cheap_item.price, dear_item.price) != (dear_item.price, cheap_item.price)


# ---------------------------------------------------------------- no receipt: lowest recent price


@pytest.fixture
def returns(app_window):  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    press(window.sale.input, Qt.Key.Key_F7)
    return ctx, window, window.returns


def test_a_return_without_receipt_refunds_the_lowest_price_it_sold_at_lately(returns) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = returns
    with ctx.db.read.connect() as conn:
        sold = set(conn.execute(select(s.sale_lines.c.item_id)).scalars())
    code = next(c for c in upc_codes(ctx, 60) if ctx.catalog.by_code(read_code(c)).id not in sold)
    item = ctx.catalog.by_code(read_code(code))
    # sold at 25 % off twelve days ago
    cart = Cart(ctx.store.currency, ctx.store.prices_include_tax)
    line = cart.add(item, 1)
    cart.discount_line(line.id, Discount(True, Decimal("25")))
    payment = Payment(cart.total, ctx.store.currency, ctx.store.smallest_coin)
    payment.add_card(cart.total, CardDetails("Visa", "4242", "OLD001"))
    old = complete_sale(
        CompleteSale(user(ctx, "Maria"), cart.lines, None, payment.tenders, payment.rounding),
        uow_factory=ctx.uow,
        clock=Clock(datetime.now(UTC) - timedelta(days=12)),
        store=ctx.store,
        terminal=ctx.terminal,
    )
    lowest = old.lines[0].amount
    assert lowest == item.price - ctx.store.currency.quantize(item.price / 4) < item.price

    press(screen.input, Qt.Key.Key_N, CTRL)
    type_enter(screen.input, code)
    assert f"refund {money(ctx, lowest)} each (lowest recent price)" in screen.message.text()
    QTest.keyClicks(screen.table, "5")  # unwanted gift

    def customer_id(dialog: QWidget) -> None:
        type_enter(dialog.number, "D123 4567 8901")  # type: ignore[attr-defined]
        in_dialog(approve_as("Dana", "3333"))

    in_dialog(customer_id)
    press(screen.table, Qt.Key.Key_F10)
    record = screen.last_record
    assert record is not None, screen.message.text()
    (returned,) = record.quote.lines
    tax = ctx.store.currency.quantize(lowest * item.tax.rate)
    assert (returned.amount, returned.tax, returned.refund) == (lowest, tax, lowest + tax)
    with ctx.read_uow() as uow:
        assert uow.vouchers.balance(record.voucher_code) == lowest + tax


# ---------------------------------------------------------------- queues and follow-ups


@pytest.fixture
def desk(app_window):  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    press(window.sale.input, Qt.Key.Key_U, CTRL)
    assert window.stack.currentWidget() is window.desk
    return ctx, window, window.desk


def new_case(ctx, customer_id: str, words: str, clock: Clock, **kw) -> str:  # type: ignore[no-untyped-def]
    return log_contact(
        user(ctx, "Maria"),
        LogContact(customer_id, ContactKind.COMPLAINT, "Product quality", words, "", (), **kw),
        uow_factory=ctx.uow,
        clock=clock,
        terminal=ctx.terminal,
    ).case.id


def test_a_department_works_its_queue_from_the_queue_screen(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    jane = on_file(ctx)
    ten_days_ago = Clock(datetime.now(UTC) - timedelta(days=10))
    today = datetime.now(UTC).astimezone(ctx.store.zone).date()

    def refer(words: str, priority: Priority, due_in: int):  # type: ignore[no-untyped-def]
        case_id = new_case(ctx, jane.id, words, ten_days_ago)
        due = ten_days_ago.now().astimezone(ctx.store.zone).date() + timedelta(days=due_in)
        return refer_case(
            user(ctx, "Maria"),
            case_id,
            "warranty",
            priority,
            due,
            words,
            config=DeskConfig(),
            uow_factory=ctx.uow,
            clock=ten_days_ago,
            store=ctx.store,
        )

    late = refer("Toaster burns the bread.", Priority.URGENT, 3)  # due a week ago
    later = refer("Kettle is slow.", Priority.LOW, 30)  # due in three weeks
    seen: dict[str, list[str]] = {}

    def work(d: QWidget) -> None:
        d.select_department("warranty")  # type: ignore[attr-defined]
        items = d.list  # type: ignore[attr-defined]
        seen["before"] = [items.item(i).text() for i in range(items.count())]

        def outcome(note: QWidget) -> None:
            note.outcome.setChecked(True)  # type: ignore[attr-defined]
            type_enter(note.note, "New element fitted.")  # type: ignore[attr-defined]

        in_dialog(outcome)
        items.setCurrentRow(0)
        QTest.keyClick(items, Qt.Key.Key_Return)
        seen["after"] = [items.item(i).text() for i in range(items.count())]
        d.reject()  # type: ignore[attr-defined]

    in_dialog(work)
    with DialogLog() as opened:
        press(screen.input, Qt.Key.Key_Q, CTRL)
    # Enter on a referral opens its note once (it once opened a second one, for the next referral)
    assert opened.names.count("DepartmentNoteDialog") == 1, opened.names

    first, *rest = seen["before"]
    assert first.startswith("Urgent  due") and late.case_number in first and "Jane Doe" in first
    assert f"due {late.due_on.isoformat()}  OVERDUE" in first
    mine = [t for t in seen["before"] if later.case_number in t]
    assert len(mine) == 1 and mine[0].startswith("Low") and "OVERDUE" not in mine[0]
    assert seen["before"].index(mine[0]) == len(seen["before"]) - 1  # the lowest priority comes last
    assert late.due_on < today < later.due_on
    # answered: to the end of the list, no longer overdue, and the case back at the desk
    answered = seen["after"][-1]
    assert late.case_number in answered and answered.endswith("[Answered]") and "OVERDUE" not in answered
    (done,) = [r for r in department_queue(ctx.db.read, "warranty") if r.id == late.id]
    assert (done.status, done.outcome) == (ReferralStatus.ANSWERED, "New element fitted.")
    events = case_events(ctx.db.read, late.case_id)
    assert (events[-1].event, events[-1].user_name) == ("answered", "Maria Lopez")


def test_the_follow_ups_list_shows_what_is_due_and_drops_it_once_the_call_is_recorded(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    jane = on_file(ctx)
    now = datetime.now(UTC)
    today = now.astimezone(ctx.store.zone).date()
    four_days_ago = Clock(now - timedelta(days=4))
    due_case = new_case(
        ctx, jane.id, "Hem the trousers.", four_days_ago, follow_up_on=today - timedelta(days=2)
    )  # overdue by two days
    not_yet = new_case(ctx, jane.id, "Order the blue one.", Clock(now))
    omar = on_file(ctx, "Omar Haddad", "(217) 555-0199", "omar@example.com")
    omar_case = new_case(ctx, omar.id, "Sofa legs.", four_days_ago, follow_up_on=today - timedelta(days=3))
    set_follow_up(
        user(ctx, "Maria"),
        not_yet,
        today + timedelta(days=2),
        "Has it come in?",
        uow_factory=ctx.uow,
        clock=Clock(now),
        store=ctx.store,
    )
    seen: dict[str, list[str]] = {}

    def call(d: QWidget) -> None:
        items = d.list  # type: ignore[attr-defined]
        seen["before"] = [items.item(i).text() for i in range(items.count())]
        in_dialog(lambda done: type_enter(done.note, "Customer collected them, happy."))  # type: ignore[attr-defined]
        row = next(i for i in range(items.count()) if jane.name in items.item(i).text())
        items.setCurrentRow(row)
        QTest.keyClick(items, Qt.Key.Key_Return)
        seen["after"] = [items.item(i).text() for i in range(items.count())]
        d.reject()  # type: ignore[attr-defined]

    in_dialog(call)
    with DialogLog() as opened:
        press(screen.input, Qt.Key.Key_L, CTRL)
    assert opened.names.count("FollowUpDoneDialog") == 1, opened.names  # one call per Enter, not Omar's too

    mine = [t for t in seen["before"] if "Jane Doe" in t]
    assert len(mine) == 1  # only the one due: the other is due in two days
    due_on = (today - timedelta(days=2)).isoformat()
    assert mine[0].startswith(due_on) and "(217) 555-0175" in mine[0] and "[Open]" in mine[0]
    assert mine[0].endswith("Were the changes made?")
    assert not any("Jane Doe" in t for t in seen["after"])
    assert any("Omar Haddad" in t for t in seen["after"])  # his call is still to make
    assert omar_case in [d.case.id for d in follow_ups_due(ctx.db.read, today)]
    assert [d.case.id for d in follow_ups_due(ctx.db.read, today) if d.case.id == due_case] == []
    assert [
        d.case.id for d in follow_ups_due(ctx.db.read, today + timedelta(days=2)) if d.customer_name == "Jane Doe"
    ] == [not_yet]
    last = case_events(ctx.db.read, due_case)[-1]
    assert (last.event, last.text, last.user_name) == (
        "follow_up_done",
        "Customer collected them, happy.",
        "Maria Lopez",
    )


def test_enter_in_the_print_jobs_window_prints_one_copy(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Enter on a job prints it again once (it printed two copies: the table's activation
    and the dialog's default button both ran)."""
    from ui.devices.print_jobs import PrintJobsDialog

    ctx, window = open_window()
    sign_in_as(window, "Dana", "3333")
    window.printing.print_bytes(b"\x1b@RETURN RECEIPT S01-T01-R000009\n", kind="return", reference="R9", copy_number=0)
    dialog = PrintJobsDialog(window, ctx, window.printing, window.user)
    refs = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    dialog.table.selectRow(refs.index("R9"))
    dialog.show()
    dialog.table.setFocus()
    QTest.keyClick(dialog.table, Qt.Key.Key_Return)
    with ctx.db.read.connect() as conn:
        copies = (
            conn.execute(select(s.print_jobs.c.copy_number).where(s.print_jobs.c.reference == "R9")).scalars().all()
        )
    assert sorted(copies) == [0, 1], copies
    assert "COPY 1" in dialog.headline.text()
    reprinted = [e for e in entries(ctx, "ReceiptReprinted") if e.body_data()["receipt_number"] == "R9"]
    assert len(reprinted) == 1
    dialog.close()
