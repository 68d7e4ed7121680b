"""The service desk's money presenter without a window (ui/desk/desk_payment.py): the screen
and its dialogs answering from a script, the real store. Each F9 path records what it should
and says so; what it publishes after the commit is what the drawer, the receipts and the
display act on; a refused command says its message and hint; a cancelled dialog records
nothing."""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.context import AppContext, build_context
from app.events import DeskPaymentCommitted, SaleCommitted
from counter.barcodes import read_code
from counter.desk.customers import ContactDetails, Customer, create_customer
from counter.desk.documents import SlipDocument
from counter.desk.orders import Order, OrderKind, OrderLine, OrderStatus, order_total
from counter.journal import JournalEntry
from counter.people.users import User
from counter.returns.policy import ApprovalKind
from counter.sales.sale import Sale
from counter.sales.tenders import CardDetails, Tender, TenderKind
from counter.trust.approvals import grant_approval
from db.queries import journal_entries
from tests.conftest import FAST_HASHER
from tests.ui.conftest import upc_codes
from ui.desk.desk_payment import DeskPaymentPresenter, OrderAsked, ServiceAsked
from ui.ops import Problem, attempt

ALL = "all"  # the amount dialog's Enter on an empty field: all that is owed
VISA = CardDetails("Visa", "4242", "DESK01")


class ScriptedDesk:
    """The desk screen (DeskView) and its dialogs (DeskQuestions), answering from a script."""

    def __init__(self, ctx: AppContext, user: User) -> None:
        self.ctx, self.user = ctx, user
        self.customer: Customer | None = None
        self.said: list[tuple[str, str]] = []
        self.slips: list[tuple[SlipDocument, str]] = []
        self.refreshed = 0
        # the script: one answer per question, None for Esc
        self.choices: list[str | None] = []
        self.services: list[ServiceAsked | None] = []
        self.orders: list[OrderAsked | None] = []
        self.picks: list[str | None] = []  # the number of the order picked
        self.amounts: list[Decimal | str | None] = []
        self.reasons: list[str | None] = []
        self.pays: list[tuple[str, Decimal] | None] = []  # ("cash" | "card", handed over; 0: exact)
        self.approver: tuple[str, str] | None = None  # (user id, PIN) of who approves, or None
        self.asked: list[str] = []  # what was asked, in order

    # ------------------------------------------------------------ DeskView
    def current_user(self) -> User:
        return self.user

    def need_customer(self) -> Customer:
        from counter.desk.cases import CaseError

        if self.customer is None:
            raise CaseError("No customer is picked.", "Find the customer first (F2), or add one (F3).")
        return self.customer

    def say(self, text: str, kind: str = "info") -> None:
        self.said.append((text, kind))

    def problem(self, p: Problem) -> None:
        self.said.append((p.text, "error"))

    def message_text(self) -> str:
        return self.said[-1][0] if self.said else ""

    def refresh(self) -> None:
        self.refreshed += 1

    def print_slip(self, doc: SlipDocument, reference: str) -> None:
        self.slips.append((doc, reference))

    # ------------------------------------------------------- DeskQuestions
    def ask_choice(self, title: str, headline: str, choices: list[tuple[str, str]]) -> str | None:
        self.asked.append(title)
        return self.choices.pop(0)

    def ask_service_charge(self, customer: Customer | None, has_account: bool) -> ServiceAsked | None:
        self.asked.append(f"service (account: {has_account})")
        return self.services.pop(0)

    def ask_order(self, kind: OrderKind) -> OrderAsked | None:
        self.asked.append(kind.label)
        return self.orders.pop(0)

    def ask_pick_order(self, orders: list[Order], what: str) -> Order | None:
        self.asked.append(f"pick: {what}")
        number = self.picks.pop(0)
        return None if number is None else next(o for o in orders if o.number == number)

    def ask_amount(self, title: str, headline: str, owed: Decimal) -> Decimal | None:
        self.asked.append(f"{title}: {headline}")
        amount = self.amounts.pop(0)
        return owed if amount == ALL else amount  # type: ignore[return-value]

    def ask_reason(self, title: str, headline: str, placeholder: str) -> str | None:
        self.asked.append(headline)
        return self.reasons.pop(0)

    def ask_tenders(self, amount: Decimal) -> list[Tender] | None:
        self.asked.append(f"tenders for {amount}")
        pay = self.pays.pop(0)
        if pay is None:
            return None
        how, handed = pay
        if how == "card":
            return [Tender(TenderKind.CARD, amount, amount, VISA)]
        return [Tender(TenderKind.CASH, amount, max(handed, amount))]

    def ask_approval(self, kinds: frozenset[ApprovalKind], amount: Decimal, request_id: str) -> list[str] | None:
        self.asked.append(f"approval of {amount}")
        if self.approver is None:
            return None
        approver_id, pin = self.approver
        self.ctx.handle(
            grant_approval, request_id=request_id, kinds=kinds, amount=amount, requester=self.user,
            approver_id=approver_id, pin=pin, reason="regular customer", hasher=FAST_HASHER,
            currency_minor=self.ctx.store.currency.to_minor,
        )  # fmt: skip
        return ["Dana Whitfield"]


Published = list[SaleCommitted | DeskPaymentCommitted]


def payment_numbers(ctx, order_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    """An order's desk payments, in the order they were taken: the drawer's opening is keyed
    by the payment's number (the outbox)."""
    from sqlalchemy import text

    with ctx.db.read.connect() as conn:
        rows = conn.execute(
            text("SELECT number FROM desk_payments WHERE order_id = :o ORDER BY rowid"), {"o": order_id}
        )
        return [r[0] for r in rows]


@pytest.fixture
def desk(store_dir: Path) -> Iterator[tuple[AppContext, ScriptedDesk, DeskPaymentPresenter, Published]]:
    ctx = build_context(store_dir, demo=False)
    view = ScriptedDesk(ctx, user(ctx, "Maria"))
    published: Published = []
    ctx.after_commit.subscribe(SaleCommitted, published.append)
    ctx.after_commit.subscribe(DeskPaymentCommitted, published.append)
    details = ContactDetails.checked("Jane Doe", "(217) 555-0175", "jane@example.com")
    view.customer = ctx.handle(create_customer, view.user, details)
    yield ctx, view, DeskPaymentPresenter(ctx, view, view), published
    ctx.close()


def user(ctx: AppContext, first_name: str) -> User:
    return next(u for u in ctx.reads.list_users() if u.name.startswith(first_name))


def money(ctx: AppContext, amount: Decimal) -> str:
    return ctx.store.currency.format(amount, ctx.store.locale)


def entries(ctx: AppContext) -> list[JournalEntry]:
    return list(journal_entries(ctx.db.read, ctx.terminal.terminal_id))


def lines_for(ctx: AppContext, deposit: Decimal) -> tuple[OrderLine, ...]:
    """Items worth two and a half to three times ``deposit`` (before tax): the deposit is
    above the layaway's minimum, and its cancellation fee below the deposit."""
    items = [ctx.catalog.by_code(read_code(c)) for c in upc_codes(ctx, 40)]
    item = max((i for i in items if i is not None and i.price <= deposit / 2), key=lambda i: i.price)
    return (OrderLine(1, item, math.ceil(deposit * Decimal("2.5") / item.price)),)


def orders(ctx: AppContext, view: ScriptedDesk) -> list[Order]:
    assert view.customer is not None
    return ctx.reads.orders_for(view.customer.id)


def layaway(ctx: AppContext, view: ScriptedDesk, presenter: DeskPaymentPresenter, deposit: Decimal) -> Order:
    """A layaway opened at the desk with a cash deposit (its total about three times it)."""
    view.choices.append("layaway")
    view.orders.append(OrderAsked(lines_for(ctx, deposit), deposit))
    view.pays.append(("cash", Decimal(0)))
    presenter.payments()
    return next(o for o in orders(ctx, view) if o.paid == deposit and o.status is OrderStatus.OPEN)


def slip_rows(doc: SlipDocument) -> dict[str, str]:
    rows = {r.label: r.value for r in doc.facts}
    for section in doc.sections:
        rows |= {r.label: r.value for r in section.rows}
    return rows


# ------------------------------------------------------------------ the paths


def test_a_service_charge_is_a_sale_published_for_its_receipt_and_drawer(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, view, presenter, published = desk
    code = ctx.reads.desk_config().services[0].code
    view.choices.append("service")
    view.services.append(ServiceAsked(code, Decimal("25.00"), "hem two pairs of trousers", False))
    view.pays.append(("cash", Decimal("40.00")))
    presenter.payments()
    (event,) = published
    assert isinstance(event, SaleCommitted)
    sale: Sale = event.sale
    assert [ln.item_id for ln in sale.lines] == [f"service:{code}"] and sale.total >= Decimal("25.00")
    assert [c.id for c in ctx.reads.find_customers(sale.receipt_number)] == [view.customer.id]
    assert [(t.kind, t.amount) for t in sale.tenders] == [(TenderKind.CASH, sale.total)]
    assert view.asked == ["Payments", "service (account: False)", f"tenders for {sale.total}"]
    assert view.said[-1] == (f"Service charged: receipt {sale.receipt_number}, {money(ctx, sale.total)}.", "ok")
    assert view.refreshed == 1
    event.tell("Receipt printed.", "ok")  # an after-commit reaction's line comes after the desk's
    assert view.said[-1][0].endswith(f"{money(ctx, sale.total)}. Receipt printed.")


def test_a_layaway_deposit_in_cash_is_recorded_with_its_agreement_and_opens_the_drawer(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, view, presenter, published = desk
    lines = lines_for(ctx, Decimal("20.00"))
    total, _ = order_total(lines, ctx.store)
    view.choices.append("layaway")
    view.orders.append(OrderAsked(lines, Decimal("20.00")))
    view.pays.append(("cash", Decimal("50.00")))  # $30.00 change: the drawer keeps $20.00
    presenter.payments()
    (order,) = orders(ctx, view)
    assert (order.kind, order.paid, order.total) == (OrderKind.LAYAWAY, Decimal("20.00"), total)
    assert [(ln.item.id, ln.quantity) for ln in order.lines] == [(lines[0].item.id, lines[0].quantity)]
    (agreement, reference) = view.slips[0]
    assert reference == order.number and slip_rows(agreement)["Customer"] == "Jane Doe"
    assert (ctx.data_dir / "documents" / f"agreement-{order.number}.pdf").read_bytes().startswith(b"%PDF")
    assert view.said[-1] == (
        f"Layaway {order.number}: deposit {money(ctx, Decimal('20.00'))} taken, {money(ctx, total - 20)} owed, "
        f"collect by {order.terms.due_on.isoformat()}. Agreement printing; PDF saved as agreement-{order.number}.pdf.",
        "ok",
    )
    (event,) = published
    assert isinstance(event, DeskPaymentCommitted)
    assert (event.reference, event.cash_in, event.cash_out) == (
        payment_numbers(ctx, order.id)[0],
        Decimal("20.00"),
        Decimal(0),
    )
    assert [e.type for e in entries(ctx)][-1] == "OrderOpened"


def test_a_special_order_deposit_by_card_is_published_without_cash(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, view, presenter, published = desk
    lines = lines_for(ctx, Decimal("40.00"))
    total, _ = order_total(lines, ctx.store)
    view.choices.append("special_order")
    view.orders.append(OrderAsked(lines, total))
    view.pays.append(("card", Decimal(0)))
    presenter.payments()
    (order,) = orders(ctx, view)
    assert order.kind is OrderKind.SPECIAL_ORDER and order.paid == total and order.balance == 0
    (event,) = published
    assert isinstance(event, DeskPaymentCommitted)
    assert (event.reference, event.cash_in, event.cash_out) == (
        payment_numbers(ctx, order.id)[0],
        Decimal(0),
        Decimal(0),
    )
    assert view.said[-1][0].startswith(f"Special order {order.number}: deposit {money(ctx, total)} taken")


def test_a_payment_on_an_order_asks_which_order_prints_its_receipt_and_is_published(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, view, presenter, published = desk
    first = layaway(ctx, view, presenter, Decimal("20.00"))
    second = layaway(ctx, view, presenter, Decimal("30.00"))
    published.clear()
    view.slips.clear()
    view.choices.append("order_payment")
    view.picks.append(second.number)
    view.amounts.append(Decimal("10.00"))
    view.pays.append(("cash", Decimal(0)))
    presenter.payments()
    paid = {o.number: o.paid for o in orders(ctx, view)}
    assert paid == {first.number: Decimal("20.00"), second.number: Decimal("40.00")}
    assert view.asked[-4:] == [
        "Payments",
        "pick: Payment on an order",
        f"Order payment: Layaway {second.number}",
        "tenders for 10.00",
    ]
    ((receipt, number),) = view.slips
    rows = slip_rows(receipt)
    assert rows["Receipt"] == number and rows["For"] == f"Layaway {second.number}"
    assert rows["PAID"] == money(ctx, Decimal("10.00")) and rows["Still owed"] == money(ctx, second.balance - 10)
    assert view.said[-1] == (f"Payment {number} taken; {money(ctx, second.balance - 10)} still owed.", "ok")
    (event,) = published
    assert isinstance(event, DeskPaymentCommitted)
    assert (event.reference, event.cash_in, event.cash_out) == (number, Decimal("10.00"), Decimal(0))


def test_a_pickup_pays_the_balance_as_a_sale_and_publishes_that_sale(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, view, presenter, published = desk
    order = layaway(ctx, view, presenter, Decimal("20.00"))
    published.clear()
    view.choices.append("pickup")  # the only open order: not asked which
    view.pays.append(("cash", Decimal(0)))
    presenter.payments()
    (picked,) = orders(ctx, view)
    assert picked.status is OrderStatus.PICKED_UP and picked.sale_id
    assert view.asked[-2:] == ["Payments", f"tenders for {order.balance}"]
    (event,) = published  # the sale's, once: its drawer opening is the sale's
    assert isinstance(event, SaleCommitted) and event.sale.id == picked.sale_id
    kinds = sorted((t.kind, t.amount) for t in event.sale.tenders)
    assert kinds == sorted([(TenderKind.DEPOSIT, Decimal("20.00")), (TenderKind.CASH, order.balance)])
    assert view.said[-1] == (f"Layaway {order.number} picked up: sale {event.sale.receipt_number}.", "ok")


def test_a_cancelled_layaway_refunds_cash_under_its_terms_and_is_published_as_cash_out(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, view, presenter, published = desk
    order = layaway(ctx, view, presenter, Decimal("40.00"))
    published.clear()
    view.slips.clear()
    view.choices.append("cancel")
    view.reasons.append("")  # empty: "customer asked"
    presenter.payments()
    (cancelled,) = orders(ctx, view)
    assert cancelled.status is OrderStatus.CANCELLED
    kept = order.terms.cancel_fee
    refund = Decimal("40.00") - kept
    assert Decimal(0) < refund < Decimal("40.00")
    (event,) = published
    assert isinstance(event, DeskPaymentCommitted)
    assert (event.reference, event.cash_in, event.cash_out) == (payment_numbers(ctx, order.id)[-1], Decimal(0), refund)
    ((receipt, _),) = view.slips
    rows = slip_rows(receipt)
    assert rows["For"] == f"Cancelled {order.number}" and rows["Cash refunded"] == money(ctx, refund)
    assert view.said[-1] == (
        f"{order.number} cancelled: {money(ctx, kept)} kept under its terms, {money(ctx, refund)} refunded.",
        "ok",
    )
    body = entries(ctx)[-1]
    assert body.type == "OrderCancelled" and body.body_data()["reason"] == "customer asked"


def test_a_cash_refund_over_the_limit_waits_for_a_supervisor(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, view, presenter, published = desk
    deposit = ctx.rules.cash_refund_approval_over * 2
    order = layaway(ctx, view, presenter, deposit)
    published.clear()
    before = len(entries(ctx))
    view.choices.append("cancel")
    view.reasons.append("found it cheaper")
    presenter.payments()  # nobody approves
    assert view.asked[-1].startswith("approval of ") and len(entries(ctx)) == before and published == []
    assert orders(ctx, view)[0].status is OrderStatus.OPEN
    view.approver = (user(ctx, "Dana").id, "3333")
    view.choices.append("cancel")
    view.reasons.append("found it cheaper")
    presenter.payments()
    assert [e.type for e in entries(ctx)][before:] == ["ApprovalGranted", "OrderCancelled"]
    (event,) = published
    assert isinstance(event, DeskPaymentCommitted) and event.reference == payment_numbers(ctx, order.id)[-1]
    assert event.cash_out == deposit - order.terms.cancel_fee


def test_a_payment_on_the_house_account_prints_its_receipt_and_is_published(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, view, presenter, published = desk
    view.user = user(ctx, "Dana")  # a supervisor opens the account
    view.choices.append("open_account")
    view.amounts.append(Decimal("300"))
    presenter.payments()
    account = ctx.reads.account_of(view.customer.id, ctx.store.currency)
    assert account is not None and account.credit_limit == Decimal("300")
    assert view.said[-1] == (f"House account {account.number} opened with a {money(ctx, Decimal(300))} limit.", "ok")
    assert published == []  # no money moved
    code = ctx.reads.desk_config().services[0].code
    view.choices.append("service")
    view.services.append(ServiceAsked(code, Decimal("39.00"), "sofa delivery", True))
    presenter.payments()  # charged to the account: no tenders asked
    assert view.asked[-1] == "service (account: True)"
    owed = ctx.reads.account_of(view.customer.id, ctx.store.currency).owed
    assert owed >= Decimal("39.00")
    published.clear()
    view.slips.clear()
    view.choices.append("account_payment")
    view.amounts.append(ALL)
    view.pays.append(("cash", Decimal(0)))
    presenter.payments()
    assert ctx.reads.account_of(view.customer.id, ctx.store.currency).owed == 0
    ((receipt, number),) = view.slips
    rows = slip_rows(receipt)
    assert rows["For"] == f"House account {account.number}" and rows["PAID"] == money(ctx, owed)
    assert view.said[-1] == (
        f"Payment {number} on account {account.number}: {money(ctx, Decimal(0))} still owed.",
        "ok",
    )
    (event,) = published
    assert isinstance(event, DeskPaymentCommitted)
    assert (event.reference, event.cash_in, event.cash_out) == (number, owed, Decimal(0))


# --------------------------------------------------------------- refused, cancelled


def test_a_refused_command_says_its_message_and_hint_and_records_nothing(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, view, presenter, published = desk
    before = len(entries(ctx))
    view.choices.append("open_account")  # Maria is a cashier
    view.amounts.append(Decimal("300"))
    attempt(presenter.payments, view.problem)
    assert view.said[-1] == ("Maria Lopez may not open house accounts. Ask a supervisor or a manager.", "error")
    view.choices.append("account_payment")
    attempt(presenter.payments, view.problem)
    assert view.said[-1] == ("Jane Doe has no house account. A supervisor opens one (F9, 8).", "error")
    view.choices.append("layaway")
    view.orders.append(OrderAsked(lines_for(ctx, Decimal("100.00")), Decimal("1.00")))  # under the minimum
    view.pays.append(("cash", Decimal(0)))
    attempt(presenter.payments, view.problem)
    text, kind = view.said[-1]
    assert (
        kind == "error" and text.startswith("The deposit must be at least ") and text.endswith("Take a larger deposit.")
    )
    view.choices.append("pickup")
    attempt(presenter.payments, view.problem)
    assert view.said[-1] == ("Jane Doe has no open layaway or special order.", "error")
    view.customer = None
    view.choices.append("order_payment")
    attempt(presenter.payments, view.problem)
    assert view.said[-1] == ("No customer is picked. Find the customer first (F2), or add one (F3).", "error")
    assert len(entries(ctx)) == before and published == [] and view.slips == []


def test_esc_in_any_dialog_records_nothing(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, view, presenter, published = desk
    order = layaway(ctx, view, presenter, Decimal("20.00"))
    layaway(ctx, view, presenter, Decimal("25.00"))  # two open orders: the desk asks which
    published.clear()
    view.slips.clear()
    said = len(view.said)
    before = len(entries(ctx))
    code = ctx.reads.desk_config().services[0].code
    script: list[tuple[str, dict[str, list[object]]]] = [
        ("(none)", {}),  # Esc in the payments list itself
        ("service", {"services": [None]}),
        ("layaway", {"orders": [None]}),
        ("special_order", {"orders": [OrderAsked(lines_for(ctx, Decimal(20)), Decimal(50))], "pays": [None]}),
        ("order_payment", {"picks": [None]}),
        ("order_payment", {"picks": [order.number], "amounts": [None]}),
        ("order_payment", {"picks": [order.number], "amounts": [ALL], "pays": [None]}),
        ("pickup", {"picks": [order.number], "pays": [None]}),
        ("cancel", {"picks": [order.number], "reasons": [None]}),
        ("open_account", {"amounts": [None]}),
    ]
    for choice, answers in script:
        view.choices.append(None if choice == "(none)" else choice)
        for name, values in answers.items():
            getattr(view, name).extend(values)
        presenter.payments()
    view.choices.append("service")
    view.services.append(ServiceAsked(code, Decimal("25.00"), "alteration", False))
    view.pays.append(None)
    presenter.payments()
    assert len(entries(ctx)) == before and published == [] and view.slips == []
    assert view.said[said:] == [
        ("No deposit was taken: the special order was not recorded.", "info"),
        ("Nothing was charged.", "info"),
    ]
    assert not any(getattr(view, name) for name in ("choices", "services", "orders", "picks", "amounts", "pays"))
    assert {o.number: o.paid for o in orders(ctx, view)}[order.number] == Decimal("20.00")
