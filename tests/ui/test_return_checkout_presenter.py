"""The return screen's checkout presenter without a window (ui/returns/return_checkout.py): a view
answering from a script, the real store. The reasons still missing are asked line by line,
a needed approval is asked for and the return tried again, a refusal records nothing, and an
exchange takes what the customer pays on top."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.context import AppContext, build_context
from counter.people.users import User
from counter.returns.draft import ReturnDraft
from counter.returns.lookup import returnable_lines
from counter.returns.model import ReturnQuote
from counter.returns.policy import ApprovalKind, Reason
from counter.returns.process import ReturnRecord, quote_draft
from counter.returns.refunds import RefundMethod
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.sale import Sale
from counter.sales.tenders import Payment
from counter.trust.approvals import grant_approval
from db import schema as s
from tests.conftest import FAST_HASHER
from ui.ops import Problem
from ui.returns.return_checkout import Done, ReturnCheckout
from ui.sales.sale_payment import CardTaken, CashGiven


class ScriptedReturnView:
    def __init__(self, ctx: AppContext, user: User) -> None:
        self.ctx, self.user = ctx, user
        self.draft: ReturnDraft | None = None
        self.quote: ReturnQuote | None = None
        self.last_record: ReturnRecord | None = None
        self.customer_id: str | None = None
        self.said: list[tuple[str, str]] = []
        self.reasons: list[Reason | None] = []
        self.asked_reasons: list[str] = []
        self.approver: tuple[str, str] | None = None  # (user id, PIN) of who approves, or None
        self.pay_how: list[str | None] = []
        self.cash: list[CashGiven | None] = []
        self.done: tuple[str, str, list[str]] | None = None

    def say(self, text: str, kind: str = "info") -> None:
        self.said.append((text, kind))

    def problem(self, p: Problem) -> None:
        self.said.append((p.text, "error"))

    def message_text(self) -> str:
        return self.said[-1][0] if self.said else ""

    def quote_now(self) -> ReturnQuote | None:
        assert self.draft is not None
        with self.ctx.read_uow() as uow:
            return self.ctx.handle(quote_draft, uow, self.draft.command())

    def refresh(self) -> None:
        self.quote = self.quote_now()

    def new_draft(self) -> None:
        self.draft = ReturnDraft(cashier=self.user)

    def select_line(self, line_id: str) -> None:
        pass

    def ask_id_document(self) -> None:
        pass

    def ask_reason(self, line_name: str) -> Reason | None:
        self.asked_reasons.append(line_name)
        return self.reasons.pop(0)

    def ask_approval(self, kinds: frozenset[ApprovalKind], amount: Decimal, request_id: str) -> list[str] | None:
        if self.approver is None:
            return None
        approver_id, pin = self.approver
        self.ctx.handle(
            grant_approval, request_id=request_id, kinds=kinds, amount=amount, requester=self.user,
            approver_id=approver_id, pin=pin, reason="regular customer", hasher=FAST_HASHER,
            currency_minor=self.ctx.store.currency.to_minor,
        )  # fmt: skip
        return ["Dana Whitfield"]

    def show_policies(self) -> None:
        pass

    def ask_pay_how(self, remaining: Decimal) -> str | None:
        return self.pay_how.pop(0)

    def ask_cash(self, due: Decimal) -> CashGiven | None:
        return self.cash.pop(0)

    def ask_card(self, remaining: Decimal) -> CardTaken | None:
        return None

    def wait(self, waiting_for: str) -> None:
        raise AssertionError("no HQ here: nothing waits")

    def waited(self) -> None:
        pass

    def off_gui(self, call: Callable[[], Any], done: Done) -> None:
        raise AssertionError("no HQ here: nothing runs off the GUI thread")

    def show_done(self, caption: str, value: str, given: list[str]) -> None:
        self.done = (caption, value, given)

    def emit_recorded(self, record: ReturnRecord) -> None:
        pass


@pytest.fixture
def shop(store_dir: Path) -> Iterator[tuple[AppContext, ScriptedReturnView]]:
    ctx = build_context(store_dir, demo=False)
    with ctx.read_uow() as uow:
        maria = next(u for u in uow.users.all() if u.name.startswith("Maria"))
    yield ctx, ScriptedReturnView(ctx, maria)
    ctx.close()


def sale_of(ctx: AppContext, user: User, price_at_least: Decimal, quantity: int = 1) -> Sale:
    with ctx.db.read.connect() as conn:
        barcode = conn.execute(
            select(s.items.c.barcode)
            .where(s.items.c.barcode.isnot(None), s.items.c.price_minor >= ctx.store.currency.to_minor(price_at_least))
            .limit(1)
        ).scalar_one()
    from counter.barcodes import read_code

    item = ctx.catalog.by_code(read_code(barcode))
    assert item is not None
    cart = Cart(ctx.store.currency, ctx.store.prices_include_tax)
    cart.add(item, quantity)
    payment = Payment(cart.total, ctx.store.currency, ctx.store.smallest_coin)
    payment.add_cash(payment.cash_due)
    return ctx.handle(complete_sale, CompleteSale(user, cart.lines, None, payment.tenders, payment.rounding))


def receipted(ctx: AppContext, view: ScriptedReturnView, sale: Sale) -> ReturnDraft:
    with ctx.read_uow() as uow:
        view.draft = ReturnDraft(cashier=view.user, sale=sale, returnable=returnable_lines(uow, sale))
    return view.draft


def returns(ctx: AppContext) -> int:
    with ctx.db.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(s.returns)).scalar_one())


def test_the_missing_reason_is_asked_then_the_return_recorded(shop) -> None:  # type: ignore[no-untyped-def]
    ctx, view = shop
    sale = sale_of(ctx, view.user, Decimal("5.00"))
    draft = receipted(ctx, view, sale)
    draft.step(sale.lines[0].id, +1)
    draft.refund_method = RefundMethod.STORE_CREDIT
    view.reasons.append(Reason.WRONG_SIZE)
    ReturnCheckout(ctx, view, view).complete()
    record = view.last_record
    assert view.asked_reasons == [sale.lines[0].name] and record is not None
    assert record.original_receipt == sale.receipt_number and record.voucher_code
    text = view.said[-1][0]
    assert text.startswith(f"Return {record.return_number} recorded. Store credit ")
    assert view.done is not None and view.done[0] == f"DONE · {record.return_number}"
    assert view.draft is not None and view.draft.is_empty  # ready for the next customer


def test_no_reason_given_records_nothing(shop) -> None:  # type: ignore[no-untyped-def]
    ctx, view = shop
    sale = sale_of(ctx, view.user, Decimal("5.00"))
    receipted(ctx, view, sale).step(sale.lines[0].id, +1)
    view.reasons.append(None)  # Esc in the reason dialog
    before = returns(ctx)
    ReturnCheckout(ctx, view, view).complete()
    assert view.last_record is None and returns(ctx) == before


def test_a_cash_refund_over_the_limit_asks_for_approval_and_goes_on_once_given(shop) -> None:  # type: ignore[no-untyped-def]
    ctx, view = shop
    sale = sale_of(ctx, view.user, ctx.rules.cash_refund_approval_over / 2, quantity=3)  # over the limit in all
    draft = receipted(ctx, view, sale)
    for _ in range(3):
        draft.step(sale.lines[0].id, +1)
    draft.set_reason(sale.lines[0].id, Reason.CHANGED_MIND)
    draft.refund_method = RefundMethod.CASH
    checkout = ReturnCheckout(ctx, view, view)
    before = returns(ctx)
    checkout.complete()  # asked, and nobody approves
    assert ("Not approved: nothing was recorded.", "info") in view.said and returns(ctx) == before
    with ctx.read_uow() as uow:
        dana = next(u for u in uow.users.all() if u.name.startswith("Dana"))
    view.approver = (dana.id, "3333")
    checkout.complete()
    assert view.last_record is not None and returns(ctx) == before + 1
    assert any(text.startswith("Approved by Dana Whitfield for ") for text, _ in view.said)
