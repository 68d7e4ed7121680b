"""House accounts and service charges.

A house account lets a known customer buy now and pay later, up to a credit limit. Its
balance is the sum of its entries (charges +, payments −), never a stored number. A
payment on account is a desk payment with a receipt that shows what is still owed.

A service charge (repair, alteration, delivery, installation: the store's own list) is a
sale of that service, so its tax, receipt, reports and refunds are those of any sale; the
customer pays it now, or it is charged to their house account within its limit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from counter.cash.shifts import require_open_shift
from counter.catalog import CategoryId, Item, ItemId
from counter.desk.payments import DeskPayment, Purpose, check_tenders, payment_fields, record_payment
from counter.desk.service import DeskConfig, DeskError
from counter.i18n import _
from counter.journal import EventType
from counter.money import ZERO
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.sales.cart import CartLine
from counter.sales.checkout import CompleteSale, check_settlement, price_command, record_sale
from counter.sales.sale import Sale
from counter.sales.tenders import Tender, TenderKind
from counter.store import StoreConfig, TerminalIdentity

SERVICE_CATEGORY = CategoryId("services")


@dataclass(frozen=True)
class Account:
    id: str
    number: str
    customer_id: str
    credit_limit: Decimal
    opened_at: datetime
    owed: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return self.credit_limit - self.owed


@dataclass(frozen=True)
class AccountPayment:
    account: Account  # with the balance after the payment
    payment: DeskPayment


def open_account(
    user: User,
    customer_id: str,
    credit_limit: Decimal,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
) -> Account:
    if not user.can(Permission.APPROVE):
        raise DeskError(
            _("{name} may not open house accounts.").format(name=user.name), _("Ask a supervisor or a manager.")
        )
    if credit_limit <= 0:
        raise DeskError(_("The credit limit must be above zero."), "")
    store.currency.to_minor(credit_limit)
    with uow_factory() as uow:
        if uow.customers.get(customer_id) is None:
            raise DeskError(_("That customer is no longer on file."), "")
        if uow.desk.account_for(customer_id) is not None:
            raise DeskError(_("This customer already has a house account."), "")
        now = clock.now()
        account = Account(str(uuid.uuid4()), uow.desk.next_number(terminal, "account"), customer_id, credit_limit, now)
        uow.journal.append(
            EventType.ACCOUNT_OPENED,
            {
                "account_id": account.id,
                "number": account.number,
                "customer_id": customer_id,
                "credit_limit": store.currency.to_minor(credit_limit),
                "user": user.id,
            },
            now,
        )
        uow.commit()
    return account


def pay_on_account(
    user: User,
    account_id: str,
    tenders: Sequence[Tender],
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
) -> AccountPayment:
    if not user.can(Permission.SELL):
        raise DeskError(_("{name} may not take payments.").format(name=user.name), _("Sign in as a cashier."))
    amount = sum((t.amount for t in tenders), ZERO)
    with uow_factory() as uow:
        require_open_shift(uow, terminal.terminal_id)
        account = uow.desk.get_account(account_id)
        if account is None:
            raise DeskError(_("That house account is no longer on file."), "")
        money = store.currency.format
        if account.owed <= 0:
            raise DeskError(_("Nothing is owed on account {number}.").format(number=account.number), "")
        if amount > account.owed:
            raise DeskError(
                _("Only {amount} is owed on account {number}.").format(
                    amount=money(account.owed, store.locale), number=account.number
                ),
                _("Take at most what is owed."),
            )
        check_tenders(tenders, amount, store.currency)
        now = clock.now()
        payment = DeskPayment(
            id=str(uuid.uuid4()),
            number=uow.desk.next_number(terminal, "payment"),
            purpose=Purpose.ACCOUNT_PAYMENT,
            amount=amount,
            at=now,
            user_id=user.id,
            terminal_id=terminal.terminal_id,
            customer_id=account.customer_id,
            account_id=account.id,
            tenders=tuple(tenders),
            reference=account.number,
        )
        record_payment(uow, payment, store.currency, user)
        after = Account(**{**account.__dict__, "owed": account.owed - amount})
        uow.journal.append(
            EventType.ACCOUNT_PAYMENT_TAKEN,
            {
                "account_id": account.id,
                "number": account.number,
                "customer_id": account.customer_id,
                "payment_id": payment.id,
                "payment_number": payment.number,
                "amount": store.currency.to_minor(amount),
                "tenders": payment.journal_tenders(store.currency),
                "desk_payment": payment_fields(payment, store.currency),
                "owed_after": store.currency.to_minor(after.owed),
                "user": user.id,
            },
            now,
        )
        uow.commit()
    return AccountPayment(after, payment)


def service_item(code: str, name: str, price: Decimal, uow: UnitOfWork, tax_code: str) -> Item:
    tax = uow.desk.tax_class(tax_code)
    if tax is None:
        raise DeskError(
            _("The tax class {tax_code} of this service is not set up.").format(tax_code=tax_code),
            _("Ask the administrator."),
        )
    return Item(ItemId(f"service:{code}"), f"SVC-{code.upper()}", name, price, tax, SERVICE_CATEGORY)


def charge_service(
    user: User,
    service_code: str,
    price: Decimal,
    description: str,
    customer_id: str | None,
    tenders: Sequence[Tender],
    rounding: Decimal,
    *,
    config: DeskConfig,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
) -> Sale:
    """Charge for a service: a sale of it, paid now or charged to the house account."""
    if not user.can(Permission.SELL):
        raise DeskError(_("{name} may not charge for services.").format(name=user.name), _("Sign in as a cashier."))
    svc = config.service(service_code)
    if price <= 0:
        raise DeskError(_("The price of the service must be above zero."), "")
    store.currency.to_minor(price)
    name = f"{svc.name}: {description.strip()}" if description.strip() else svc.name
    with uow_factory() as uow:
        require_open_shift(uow, terminal.terminal_id)
        item = service_item(svc.code, name[:200], price, uow, svc.tax_code)
        cmd = CompleteSale(user, [CartLine(item=item, quantity=1)], None, list(tenders), rounding, customer_id)
        pricing = price_command(cmd, store)
        on_account = [t for t in tenders if t.kind is TenderKind.HOUSE_ACCOUNT]
        account = None
        if on_account:
            if customer_id is None or (account := uow.desk.account_for(customer_id)) is None:
                raise DeskError(_("This customer has no house account."), _("Take cash or card."))
            charged = sum((t.amount for t in on_account), ZERO)
            if charged > account.available:
                money = store.currency.format
                raise DeskError(
                    _("Account {number} has {available} left of its {limit} limit.").format(
                        number=account.number,
                        available=money(account.available, store.locale),
                        limit=money(account.credit_limit, store.locale),
                    ),
                    _("Take the rest in cash or by card."),
                )
        check_settlement(cmd, pricing.total, store)
        now = clock.now()
        sale = record_sale(uow, cmd, pricing, now, store, terminal)
        if account is not None:
            charged = sum((t.amount for t in on_account), ZERO)
            uow.journal.append(
                EventType.ACCOUNT_CHARGED,
                {
                    "account_id": account.id,
                    "number": account.number,
                    "customer_id": customer_id,
                    "sale_id": sale.id,
                    "receipt_number": sale.receipt_number,
                    "amount": store.currency.to_minor(charged),
                    "owed_after": store.currency.to_minor(account.owed + charged),
                    "user": user.id,
                },
                now,
            )
        uow.commit()
    return sale
