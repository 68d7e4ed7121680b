"""Shift+F6 on a sale with part payments, through the presenters without a window
(ui/sales/sale_void.py and ui/sales/sale_payment.py): the questions answered from a script,
the supervisor's approval granted for real with a PIN, the real store, the real spooler and
after-commit bus. Each part payment journaled as taken, the void journaled with each given
back, the slip made due and carried out, what the cashier is told."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.context import AppContext, build_context
from app.events import VoidCommitted
from counter.cash.shifts import CashRules, Count, close_shift
from counter.journal import EventType, JournalEntry
from counter.sales.tenders import CardDetails, Payment
from counter.trust.approvals import grant_approval
from db.queries import journal_entries
from devices.escpos.encoder import PrinterProfile
from tests.ui.test_sale_payment_presenter import ScriptedView, item, jobs
from ui.devices.printing import PrintBridge
from ui.sales.sale_payment import PRINTING_VOID, CardTaken, CashGiven, SalePayment
from ui.sales.sale_void import SaleVoid


class ScriptedQuestions:
    """The void's two questions, answered from a script; an approval is granted for real."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.confirm: list[bool] = []
        self.approver: tuple[str, str] | None = ("Dana", "3333")  # None: the supervisor says no
        self.asked: list[str] = []
        self.approvals: list[Decimal] = []

    def confirm_void(self, question: str) -> bool:
        self.asked.append(question)
        return self.confirm.pop(0)

    def approve_void(self, amount: Decimal, request_id: str, requester) -> bool:  # type: ignore[no-untyped-def]
        self.approvals.append(amount)
        if self.approver is None:
            return False
        with self.ctx.read_uow() as uow:
            approver = next(u for u in uow.users.all() if u.name.startswith(self.approver[0]))
        from counter.returns.policy import ApprovalKind

        self.ctx.handle(
            grant_approval, request_id=request_id, kinds=[ApprovalKind.VOID_PAID], amount=amount,
            requester=requester, approver_id=approver.id, pin=self.approver[1], reason="changed their mind",
            hasher=self.ctx.hasher, currency_minor=self.ctx.store.currency.to_minor,
        )  # fmt: skip
        return True


Setup = tuple[AppContext, ScriptedView, SalePayment, SaleVoid, ScriptedQuestions]


@pytest.fixture
def setup(store_dir: Path, qapp) -> Iterator[Setup]:  # type: ignore[no-untyped-def]
    ctx = build_context(store_dir, demo=False, overrides={"printer": "none"})
    with ctx.read_uow() as uow:
        maria = next(u for u in uow.users.all() if u.name.startswith("Maria"))
    view = ScriptedView(ctx, maria)
    printing = PrintBridge(ctx, None, PrinterProfile())
    ask = ScriptedQuestions(ctx)
    yield ctx, view, SalePayment(ctx, printing, view), SaleVoid(ctx, view, ask), ask
    ctx.close()


def entries(ctx: AppContext, kind: str) -> list[JournalEntry]:
    return [e for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id) if e.type == kind]


def said(view: ScriptedView, start: str) -> tuple[str, str]:
    return next((text, kind) for text, kind in view.said if text.startswith(start))


def part_cash(view: ScriptedView, pay: SalePayment, amount: str = "5.00") -> None:
    view.cash.append(CashGiven(Decimal(amount), part_payment=True))
    pay.pay_cash()


def test_part_payments_are_journaled_as_taken_and_the_sale_completes_with_them(setup: Setup) -> None:
    ctx, view, pay, _, _ = setup
    view.cart.add(item(ctx), 3)
    part_cash(view, pay)
    assert view.payment is not None and view.payment.recorded == 1
    (taken,) = entries(ctx, EventType.PART_PAYMENT_TAKEN)
    assert taken.body_data()["tender"]["amount"] == 500 and taken.body_data()["sale_id"] == view.payment.sale_id
    sale_id = view.payment.sale_id
    view.cards.append(CardTaken(view.payment.remaining, CardDetails("Visa", "4242", "A1B2C3")))
    pay.pay_card()
    assert view.last_sale is not None and view.last_sale.id == sale_id
    assert entries(ctx, EventType.SALE_COMPLETED)[-1].body_data()["part_payments"] == 1


def test_a_cashiers_void_asks_what_goes_back_then_a_supervisor_and_gives_the_cash_back(setup: Setup) -> None:
    ctx, view, pay, voids, ask = setup
    view.cart.add(item(ctx), 3)
    part_cash(view, pay)
    published: list[VoidCommitted] = []
    ctx.after_commit.subscribe(VoidCommitted, published.append)
    ask.confirm.append(True)
    voids.void()
    assert ask.asked == ["Give back $5.00 cash?"] and ask.approvals == [Decimal("5.00")]
    (voided,) = entries(ctx, EventType.SALE_VOIDED)
    body = voided.body_data()
    assert [(g["kind"], g["amount"]) for g in body["given_back"]] == [("cash", 500)]
    with ctx.read_uow() as uow:
        dana = next(u for u in uow.users.all() if u.name.startswith("Dana"))
    assert body["approved_by"] == dana.id
    assert view.payment is None and view.cart.is_empty  # ready for the next sale
    (event,) = published
    number = event.record.void_number
    assert said(view, "Sale voided") == (
        f"Sale voided ({number}). Give the customer $5.00 cash from the drawer. {PRINTING_VOID}",
        "ok",
    )
    assert jobs(ctx, number) == [(0, "failed")]  # the slip was due and carried out (no printer here)


def test_no_to_the_question_or_to_the_approval_keeps_the_sale_and_records_nothing(setup: Setup) -> None:
    ctx, view, pay, voids, ask = setup
    view.cart.add(item(ctx), 3)
    part_cash(view, pay)
    ask.confirm.append(False)
    voids.void()
    assert view.said[-1] == ("The sale stays open: nothing was given back.", "info")
    ask.confirm.append(True)
    ask.approver = None
    voids.void()
    assert view.said[-1] == ("Not approved: the sale stays open and nothing was given back.", "info")
    assert entries(ctx, EventType.SALE_VOIDED) == [] and entries(ctx, EventType.APPROVAL_GRANTED) == []
    assert view.payment is not None and view.payment.recorded == 1 and not view.cart.is_empty


def test_a_supervisor_voids_without_asking_anybody_and_a_sale_without_payment_is_simply_voided(setup: Setup) -> None:
    ctx, view, pay, voids, ask = setup
    with ctx.read_uow() as uow:
        view.user = next(u for u in uow.users.all() if u.name.startswith("Dana"))
    view.cart.add(item(ctx), 3)
    view.cards.append(CardTaken(Decimal("3.00"), CardDetails("Visa", "4242", "A1B2C3")))
    pay.pay_card()
    ask.confirm.append(True)
    voids.void()
    assert ask.asked == ["Reverse Visa •••• 4242 $3.00?"] and ask.approvals == []
    assert "Reverse Visa •••• 4242 $3.00 on the card terminal (approval A1B2C3)." in said(view, "Sale voided")[0]
    view.cart.add(item(ctx), 2)
    voids.void()
    assert view.said[-1][0].startswith("Sale voided (1 lines,") and view.said[-1][0].endswith("Nothing was charged.")
    (_, plain) = entries(ctx, EventType.SALE_VOIDED)
    assert "given_back" not in plain.body_data()


def test_after_a_stop_the_next_sign_in_shows_the_sales_payments_to_give_back(setup: Setup) -> None:
    ctx, view, pay, _, _ = setup
    view.cart.add(item(ctx), 3)
    part_cash(view, pay, "2.00")
    sale_id = view.payment.sale_id if view.payment else ""
    # Counter stops: a new screen, with nothing in memory
    fresh = ScriptedView(ctx, view.user)
    ask = ScriptedQuestions(ctx)
    voids = SaleVoid(ctx, fresh, ask)
    assert voids.restore_interrupted()
    assert isinstance(fresh.payment, Payment) and fresh.payment.sale_id == sale_id and fresh.payment.recorded == 1
    text, kind = fresh.said[-1]
    assert kind == "error" and "Cash $2.00" in text and "Press Shift+F6 to give the payments back." in text
    ask.confirm.append(True)
    voids.void()
    assert "Give the customer $2.00 cash" in said(fresh, "Sale voided (")[0]
    assert not voids.restore_interrupted()  # nothing is left


def test_a_part_payment_that_cannot_be_recorded_is_taken_off_and_the_cashier_told_to_hand_it_back(
    setup: Setup,
) -> None:
    ctx, view, pay, _, _ = setup
    view.cart.add(item(ctx), 3)
    with ctx.read_uow() as uow:
        dana = next(u for u in uow.users.all() if u.name.startswith("Dana"))
    ctx.handle(close_shift, dana, Count.of(ctx.store.currency, {}), "counted at the office", rules=CashRules())
    part_cash(view, pay)
    text, kind = view.said[-1]
    assert kind == "error" and text.startswith("The $5.00 payment (Cash) was NOT taken: No shift is open")
    assert text.endswith("Give the cash back.")
    assert view.payment is not None and view.payment.tenders == [] and entries(ctx, EventType.PART_PAYMENT_TAKEN) == []
