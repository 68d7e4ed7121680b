"""The sale screen's payment presenter without a window (ui/sales/sale_payment.py): a view that
answers the payment's questions from a script, the real store, the real spooler. Part
payments, the change, the receipt made due and carried out, a failed commit that keeps
the payment, and the reprint's copy number."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.context import AppContext, build_context
from counter.cash.shifts import CashRules, Count, close_shift
from counter.errors import CartError, StoreError
from counter.people.users import User
from counter.sales.cart import Cart
from counter.sales.sale import Sale
from counter.sales.tenders import CardDetails, Payment, TenderKind
from db import schema as s
from devices.escpos.encoder import PrinterProfile
from ui.devices.printing import PrintBridge
from ui.ops import attempt
from ui.sales.sale_payment import PRINTING, CardTaken, CashGiven, SalePayment, VoucherTaken


class ScriptedView:
    """The view, in memory: what the person would type is given in advance."""

    def __init__(self, ctx: AppContext, user: User) -> None:
        self.ctx, self.user = ctx, user
        self.cart = Cart(ctx.store.currency, ctx.store.prices_include_tax)
        self.payment: Payment | None = None
        self.last_sale: Sale | None = None
        self.customer_id: str | None = None
        self.said: list[tuple[str, str]] = []
        self.cash: list[CashGiven | None] = []
        self.cards: list[CardTaken | None] = []
        self.shown_change: list[Sale] = []
        self.recorded_sales: list[Sale] = []

    def current_user(self) -> User:
        return self.user

    def say(self, text: str, kind: str = "info") -> None:
        self.said.append((text, kind))

    def message_text(self) -> str:
        return self.said[-1][0] if self.said else ""

    def refresh(self) -> None:
        pass

    def reset_sale(self) -> None:
        self.cart = Cart(self.ctx.store.currency, self.ctx.store.prices_include_tax)
        self.payment = None

    def show_change(self, sale: Sale) -> None:
        self.shown_change.append(sale)

    def recorded(self, sale: Sale) -> None:
        self.recorded_sales.append(sale)

    def ask_cash(self, due: Decimal) -> CashGiven | None:
        return self.cash.pop(0)

    def ask_card(self, remaining: Decimal) -> CardTaken | None:
        return self.cards.pop(0)

    def ask_voucher(self, remaining: Decimal) -> VoucherTaken | None:
        return None


@pytest.fixture
def setup(store_dir: Path, qapp) -> Iterator[tuple[AppContext, ScriptedView, SalePayment]]:  # type: ignore[no-untyped-def]
    ctx = build_context(store_dir, demo=False, overrides={"printer": "none"})
    with ctx.read_uow() as uow:
        maria = next(u for u in uow.users.all() if u.name.startswith("Maria"))
    view = ScriptedView(ctx, maria)
    printing = PrintBridge(ctx, None, PrinterProfile())
    yield ctx, view, SalePayment(ctx, printing, view)
    ctx.close()


def item(ctx: AppContext, n: int = 0):  # type: ignore[no-untyped-def]
    with ctx.db.read.connect() as conn:
        barcode = conn.execute(
            select(s.items.c.barcode).where(s.items.c.barcode.isnot(None)).limit(1).offset(n)
        ).scalar_one()
    from counter.barcodes import read_code

    found = ctx.catalog.by_code(read_code(barcode))
    assert found is not None
    return found


def jobs(ctx: AppContext, reference: str) -> list[tuple[int, str]]:
    with ctx.db.read.connect() as conn:
        rows = conn.execute(
            select(s.print_jobs.c.copy_number, s.print_jobs.c.state).where(s.print_jobs.c.reference == reference)
        )
        return [(r[0], r[1]) for r in rows]


def test_part_cash_then_card_records_the_sale_and_its_receipt(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, view, pay = setup
    view.cart.add(item(ctx), 2)
    total = view.cart.total
    view.cash.append(CashGiven(Decimal("5.00"), part_payment=True))
    pay.pay_cash()
    assert view.payment is not None and view.payment.remaining == total - Decimal("5.00")
    assert view.said[-1] == (f"Took $5.00 cash. ${total - Decimal('5.00'):,.2f} still due: card (F10).", "info")
    assert view.last_sale is None  # nothing recorded yet
    view.cards.append(CardTaken(total - Decimal("5.00"), CardDetails("Visa", "4242", "A1B2C3")))
    pay.pay_card()
    sale = view.last_sale
    assert sale is not None and view.recorded_sales == [sale] and view.shown_change == [sale]
    assert [(t.kind, t.amount) for t in sale.tenders] == [
        (TenderKind.CASH, Decimal("5.00")),
        (TenderKind.CARD, total - Decimal("5.00")),
    ]
    assert view.payment is None and view.cart.is_empty  # the screen is ready for the next sale
    # the receipt was due with the commit and carried out after it (no printer here: failed, said)
    assert jobs(ctx, sale.receipt_number) == [(0, "failed")]
    said = " ".join(text for text, _ in view.said)
    assert f"Sale {sale.receipt_number} recorded" in said


def test_cash_over_the_total_gives_change(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, view, pay = setup
    view.cart.add(item(ctx), 1)
    total = view.cart.total
    view.cash.append(CashGiven(Decimal("50.00"), part_payment=False))
    pay.pay_cash()
    sale = view.last_sale
    assert sale is not None and sale.change == Decimal("50.00") - total
    assert any(f"Give ${sale.change:,.2f} change." in text for text, _ in view.said)


def test_a_cancelled_question_takes_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, view, pay = setup
    view.cart.add(item(ctx), 1)
    view.cash.append(None)  # Esc in the cash dialog
    pay.pay_cash()
    assert view.payment is not None and view.payment.tenders == [] and view.last_sale is None


def test_a_failed_commit_keeps_the_payment_on_screen(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, view, pay = setup
    view.cart.add(item(ctx), 1)
    with ctx.read_uow() as uow:
        dana = next(u for u in uow.users.all() if u.name.startswith("Dana"))
    # the shift is closed (at the cash office) while the customer is paying
    ctx.handle(close_shift, dana, Count.of(ctx.store.currency, {}), "counted at the office", rules=CashRules())
    view.cash.append(CashGiven(view.cart.total, part_payment=False))
    pay.pay_cash()
    text, kind = view.said[-1]
    assert kind == "error" and text.startswith("The sale was NOT recorded:") and "press F9 or F10" in text
    assert view.last_sale is None and view.payment is not None and view.payment.is_complete  # kept
    assert not view.cart.is_empty


def test_a_damaged_store_takes_no_money(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, view, pay = setup
    view.cart.add(item(ctx), 1)
    ctx.damage = StoreError("The store file is damaged.", "Call a supervisor.")
    ok, _ = attempt(pay.pay_cash, lambda p: view.say(p.text, "error"))
    assert not ok and view.said[-1] == ("The store file is damaged. Call a supervisor.", "error")
    assert view.payment is None and view.cash == []  # not even asked


def test_reprint_and_gift_receipt_of_the_last_sale(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, view, pay = setup
    with pytest.raises(CartError, match="No sale has been completed"):
        pay.reprint()
    view.cart.add(item(ctx), 1)
    view.cash.append(CashGiven(view.cart.total, part_payment=False))
    pay.pay_cash()
    sale = view.last_sale
    assert sale is not None
    pay.reprint()
    assert view.said[-1] == (f"Reprint of receipt {sale.receipt_number}, marked COPY 1. {PRINTING}", "info")
    pay.gift_receipt()
    assert sorted(jobs(ctx, sale.receipt_number)) == [(0, "failed"), (1, "failed")]
    assert jobs(ctx, f"{sale.receipt_number}/gift") == [(0, "failed")]
