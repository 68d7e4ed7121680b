"""The service desk's money (F9 Payments), as a presenter: service charges, layaways and
special orders (deposit, payments, pickup, cancellation under their terms), house accounts
(payment, opening).

It talks to the desk screen only through ``DeskView`` (the customer, the person signed in,
what to say, the slips to print) and asks the person through ``DeskQuestions`` (the dialogs
of ``ui.desk.desk_questions``). So it runs, and is tested, without a window
(tests/ui/test_desk_payment_presenter.py). Errors are raised as CounterErrors; the screen
runs F9 through ``ui.ops.attempt``.

After a commit it publishes on the context's after-commit bus (``app/events.py``): a
service charge and a pickup are sales (``SaleCommitted``: receipt, drawer, display, sync
nudge); a deposit, an order payment, a cancellation's refund and a payment on account are
``DeskPaymentCommitted`` (the drawer opens for the cash in them).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from app.context import AppContext
from app.events import DeskPaymentCommitted, SaleCommitted
from app.reactions import documents_folder
from counter.desk.accounts import charge_service, open_account, pay_on_account
from counter.desk.customers import Customer
from counter.desk.documents import SlipDocument, account_statement, order_agreement, payment_receipt
from counter.desk.orders import Order, OrderKind, OrderLine, cancel_order, open_order, pay_order, pick_up_order
from counter.desk.payments import DeskPayment
from counter.desk.service import DeskError
from counter.i18n import N_, _, in_sentence
from counter.people.users import User
from counter.returns.model import ApprovalNeeded
from counter.returns.policy import ApprovalKind
from counter.returns.refunds import RefundMethod, RefundPart
from counter.sales.pricing import LineInput, price_lines
from counter.sales.tenders import Tender, TenderKind
from devices.letters import render_slip_pdf
from ui.ops import said_after

#: F9's choices (label marked for the catalogue, translated where shown; key)
PAYMENT_CHOICES = [
    (N_("Service charge (repair, alteration, delivery, installation)"), "service"),
    (N_("New layaway, with its deposit"), "layaway"),
    (N_("New special order, with its deposit"), "special_order"),
    (N_("Payment on a layaway or special order"), "order_payment"),
    (N_("Pickup: collect an order and pay the balance"), "pickup"),
    (N_("Cancel an order (refund under its terms)"), "cancel"),
    (N_("Payment on the house account"), "account_payment"),
    (N_("Open a house account (supervisor)"), "open_account"),
    (N_("House account statement (every lane's charges and payments)"), "statement"),
]


@dataclass(frozen=True)
class ServiceAsked:
    """A service charge as the person typed it."""

    code: str  # the service's code in the desk's configuration
    price: Decimal  # before tax
    description: str
    on_account: bool  # charged to the customer's house account


@dataclass(frozen=True)
class OrderAsked:
    """A new layaway or special order: its items and the deposit to take."""

    lines: tuple[OrderLine, ...]
    deposit: Decimal


class DeskView(Protocol):
    """What the payment presenter needs of the desk screen."""

    @property
    def customer(self) -> Customer | None: ...

    def current_user(self) -> User: ...

    def need_customer(self) -> Customer:
        """The customer picked, or a CounterError that says to find one."""
        ...

    def say(self, text: str, kind: str = "info") -> None: ...

    def message_text(self) -> str: ...

    def refresh(self) -> None:
        """Show the customer's balances, orders and history again."""
        ...

    def print_slip(self, doc: SlipDocument, reference: str) -> None: ...


class DeskQuestions(Protocol):
    """What the desk's money asks the person (ui.desk.desk_questions: dialogs); each answer
    is None when the person cancels."""

    def ask_choice(self, title: str, headline: str, choices: list[tuple[str, str]]) -> str | None: ...

    def ask_service_charge(self, customer: Customer | None, has_account: bool) -> ServiceAsked | None: ...

    def ask_order(self, kind: OrderKind) -> OrderAsked | None: ...

    def ask_pick_order(self, orders: list[Order], what: str) -> Order | None: ...

    def ask_amount(self, title: str, headline: str, owed: Decimal) -> Decimal | None:
        """An amount up to ``owed`` (all of it when the person just presses Enter)."""
        ...

    def ask_reason(self, title: str, headline: str, placeholder: str) -> str | None:
        """A line of free text, perhaps empty."""
        ...

    def ask_tenders(self, amount: Decimal) -> list[Tender] | None:
        """Cash or card until ``amount`` is paid."""
        ...

    def ask_approval(self, kinds: frozenset[ApprovalKind], amount: Decimal, request_id: str) -> list[str] | None:
        """Names of who approved, or None when not approved."""
        ...


def cash_in(tenders: Iterable[Tender]) -> Decimal:
    """The cash a desk payment put into the drawer."""
    return sum((t.amount for t in tenders if t.kind is TenderKind.CASH), Decimal(0))


def cash_out(parts: Iterable[RefundPart]) -> Decimal:
    """The cash a desk refund took out of the drawer."""
    return sum((p.amount for p in parts if p.kind is TenderKind.CASH), Decimal(0))


class DeskPaymentPresenter:
    def __init__(self, ctx: AppContext, view: DeskView, ask: DeskQuestions) -> None:
        self.ctx = ctx
        self.view = view
        self.ask = ask

    def _money(self, amount: Decimal) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)

    # ------------------------------------------------------------------ F9
    def payments(self) -> None:
        choices = [(_(label), key) for label, key in PAYMENT_CHOICES]
        choice = self.ask.ask_choice(_("Payments"), _("Take or give back money at the desk"), choices)
        if choice is None:
            return
        {
            "service": self.service_charge,
            "layaway": lambda: self.new_order(OrderKind.LAYAWAY),
            "special_order": lambda: self.new_order(OrderKind.SPECIAL_ORDER),
            "order_payment": self.order_payment,
            "pickup": self.pickup,
            "cancel": self.cancel_order,
            "account_payment": self.account_payment,
            "open_account": self.open_account,
            "statement": self.statement,
        }[choice]()

    # ------------------------------------------------------- after the commit
    def tell(self, text: str, kind: str) -> None:
        """A line added to what the desk says (an after-commit reaction's)."""
        self.view.say(said_after(self.view.message_text(), text), kind)

    def committed(self, reference: str, taken: Decimal, given: Decimal) -> None:
        # After the commit: the drawer opens for the cash taken or given back.
        self.ctx.after_commit.publish(DeskPaymentCommitted(reference, taken, given, self.tell))

    def _receipt(self, payment: DeskPayment, what: str, owed: Decimal | None) -> None:
        v = self.view
        customer = v.customer.name if v.customer else ""
        cashier = v.current_user().name
        doc = payment_receipt(payment, self.ctx.store, cashier=cashier, customer=customer, what=what, owed_after=owed)
        v.print_slip(doc, payment.number)

    # -------------------------------------------------------------- the flows
    def service_charge(self) -> None:
        v = self.view
        customer = v.customer
        account = self.ctx.reads.account_of(customer.id, self.ctx.store.currency) if customer else None
        asked = self.ask.ask_service_charge(customer, account is not None)
        if asked is None:
            return
        config = self.ctx.reads.desk_config()
        with self.ctx.uow() as uow:
            tax = uow.desk.tax_class(config.service(asked.code).tax_code)
        assert tax is not None
        total = price_lines(
            [LineInput(asked.price, 1, tax)],
            self.ctx.store.currency,
            prices_include_tax=self.ctx.store.prices_include_tax,
        ).total
        if asked.on_account:
            tenders: list[Tender] | None = [Tender(TenderKind.HOUSE_ACCOUNT, total, total)]
        else:
            tenders = self.ask.ask_tenders(total)
        if tenders is None:
            v.say(_("Nothing was charged."), "info")
            return
        sale = self.ctx.handle(
            charge_service,
            v.current_user(),
            asked.code,
            asked.price,
            asked.description,
            customer.id if customer else None,
            tenders,
            Decimal(0),
            config=config,
        )
        v.refresh()
        v.say(
            _("Service charged: receipt {receipt}, {amount}.").format(
                receipt=sale.receipt_number, amount=self._money(sale.total)
            ),
            "ok",
        )
        # After the commit: its receipt, the drawer for cash, the display, the sync nudge.
        self.ctx.after_commit.publish(SaleCommitted(sale, self.tell))

    def new_order(self, kind: OrderKind) -> None:
        v = self.view
        customer = v.need_customer()
        asked = self.ask.ask_order(kind)
        if asked is None:
            return
        tenders = self.ask.ask_tenders(asked.deposit)
        if tenders is None:
            v.say(_("No deposit was taken: the {kind} was not recorded.").format(kind=in_sentence(kind.label)), "info")
            return
        rules = self.ctx.reads.desk_config().rules
        lines = list(asked.lines)
        result = self.ctx.handle(open_order, v.current_user(), kind, customer.id, lines, tenders, rules=rules)
        order = result.order
        if result.payment is not None:  # first, whatever happens to the agreement's PDF
            self.committed(result.payment.number, cash_in(tenders), Decimal(0))
        agreement = order_agreement(order, customer, self.ctx.store, result.payment, v.current_user().name)
        v.print_slip(agreement, order.number)
        path = documents_folder(self.ctx.data_dir) / f"agreement-{order.number}.pdf"
        path.write_bytes(render_slip_pdf(agreement))
        v.refresh()
        v.say(
            _(
                "{kind} {number}: deposit {paid} taken, {owed} owed, collect by {due}. "
                "Agreement printing; PDF saved as {file}."
            ).format(
                kind=kind.label,
                number=order.number,
                paid=self._money(order.paid),
                owed=self._money(order.balance),
                due=order.terms.due_on.isoformat(),
                file=path.name,
            ),
            "ok",
        )

    def _pick_order(self, what: str) -> Order | None:
        customer = self.view.need_customer()
        orders = self.ctx.reads.orders_for(customer.id, open_only=True)
        if not orders:
            raise DeskError(_("{name} has no open layaway or special order.").format(name=customer.name), "")
        if len(orders) == 1:
            return orders[0]
        return self.ask.ask_pick_order(orders, what)

    def order_payment(self) -> None:
        v = self.view
        order = self._pick_order(_("Payment on an order"))
        if order is None:
            return
        amount = self.ask.ask_amount(_("Order payment"), f"{order.kind.label} {order.number}", order.balance)
        if amount is None:
            return
        tenders = self.ask.ask_tenders(amount)
        if tenders is None:
            return
        result = self.ctx.handle(pay_order, v.current_user(), order.id, tenders)
        assert result.payment is not None
        self.committed(result.payment.number, cash_in(tenders), Decimal(0))
        self._receipt(result.payment, f"{order.kind.label} {order.number}", result.order.balance)
        v.refresh()
        v.say(
            _("Payment {number} taken; {owed} still owed.").format(
                number=result.payment.number, owed=self._money(result.order.balance)
            ),
            "ok",
        )

    def pickup(self) -> None:
        v = self.view
        order = self._pick_order(_("Pickup"))
        if order is None:
            return
        tenders: list[Tender] | None = []
        if order.balance > 0:
            tenders = self.ask.ask_tenders(order.balance)
            if tenders is None:
                return
        result = self.ctx.handle(pick_up_order, v.current_user(), order.id, tenders or [], Decimal(0))
        assert result.sale is not None
        v.refresh()
        v.say(
            _("{kind} {number} picked up: sale {receipt}.").format(
                kind=order.kind.label, number=order.number, receipt=result.sale.receipt_number
            ),
            "ok",
        )
        # The balance is a sale's: its receipt, the drawer for its cash, the display.
        self.ctx.after_commit.publish(SaleCommitted(result.sale, self.tell))

    def cancel_order(self) -> None:
        v = self.view
        order = self._pick_order(_("Cancel an order"))
        if order is None:
            return
        request_id = str(uuid.uuid4())
        reason = self.ask.ask_reason(
            _("Cancel order"), _("Cancel {number}: why?").format(number=order.number), _("the customer's reason")
        )
        if reason is None:
            return
        for _attempt in range(2):
            try:
                result = self.ctx.handle(
                    cancel_order, v.current_user(), order.id, reason or "customer asked", RefundMethod.ORIGINAL,
                    request_id,
                )  # fmt: skip
                break
            except ApprovalNeeded as needed:
                if self.ask.ask_approval(needed.kinds, needed.amount, request_id) is None:
                    return
        else:
            return
        if result.payment is not None:
            self.committed(result.payment.number, Decimal(0), cash_out(result.payment.parts))
            self._receipt(result.payment, _("Cancelled {number}").format(number=order.number), None)
        v.refresh()
        back = self._money(result.payment.amount) if result.payment else self._money(Decimal(0))
        v.say(
            _("{number} cancelled: {kept} kept under its terms, {refunded} refunded.").format(
                number=order.number, kept=self._money(result.kept), refunded=back
            ),
            "ok",
        )

    def account_payment(self) -> None:
        v = self.view
        customer = v.need_customer()
        account = self.ctx.reads.account_of(customer.id, self.ctx.store.currency)
        if account is None:
            raise DeskError(
                _("{name} has no house account.").format(name=customer.name), _("A supervisor opens one (F9, 8).")
            )
        amount = self.ask.ask_amount(
            _("House account"), _("Account {number}").format(number=account.number), account.owed
        )
        if amount is None:
            return
        tenders = self.ask.ask_tenders(amount)
        if tenders is None:
            return
        result = self.ctx.handle(pay_on_account, v.current_user(), account.id, tenders)
        self.committed(result.payment.number, cash_in(tenders), Decimal(0))
        self._receipt(result.payment, _("House account {number}").format(number=account.number), result.account.owed)
        v.refresh()
        v.say(
            _("Payment {payment} on account {account}: {owed} still owed.").format(
                payment=result.payment.number, account=account.number, owed=self._money(result.account.owed)
            ),
            "ok",
        )

    def statement(self) -> None:
        """Print the customer's house-account statement: every charge and payment, at any
        lane of the store (those pulled from HQ included), with the balance after each."""
        v = self.view
        customer = v.need_customer()
        cur = self.ctx.store.currency
        account = self.ctx.reads.account_of(customer.id, cur)
        if account is None:
            raise DeskError(
                _("{name} has no house account.").format(name=customer.name), _("A supervisor opens one (F9, 8).")
            )
        entries = self.ctx.reads.account_entries(account.id, cur)
        doc = account_statement(account, customer.name, entries, self.ctx.store, printed_at=self.ctx.clock.now())
        v.print_slip(doc, account.number)
        v.say(
            _("Statement of account {account} printed: {count} entries, {owed} owed.").format(
                account=account.number, count=len(entries), owed=self._money(account.owed)
            ),
            "ok",
        )

    def open_account(self) -> None:
        v = self.view
        customer = v.need_customer()
        limit = self.ask.ask_amount(
            _("Open house account"), _("Credit limit for {name}").format(name=customer.name), Decimal(500)
        )
        if limit is None:
            return
        account = self.ctx.handle(open_account, v.current_user(), customer.id, limit)
        v.refresh()
        v.say(
            _("House account {number} opened with a {limit} limit.").format(
                number=account.number, limit=self._money(account.credit_limit)
            ),
            "ok",
        )
