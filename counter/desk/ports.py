"""Ports of the service desk: the repositories a unit of work hands out for customers,
cases and referrals, and the desk's money (orders, house accounts, desk payments,
adjustments). ``db/customers.py`` and ``db/desk.py`` implement them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from counter.catalog import TaxClass
from counter.store import TerminalIdentity

if TYPE_CHECKING:
    from counter.desk.accounts import Account
    from counter.desk.cases import Case, LinkKind
    from counter.desk.customers import Customer
    from counter.desk.orders import Order
    from counter.desk.referrals import Referral
    from counter.returns.model import Returned
    from counter.returns.refunds import PaidTender


class CustomersRepository(Protocol):
    def get(self, customer_id: str) -> Customer | None: ...

    def find_by(self, column: str, value: str) -> Customer | None:
        """The customer whose ``phone``, ``email`` or ``loyalty_card`` is ``value``."""
        ...


class CasesRepository(Protocol):
    def next_number(self, terminal: TerminalIdentity) -> str: ...

    def get(self, case_id: str) -> Case | None: ...

    def transaction_exists(self, kind: LinkKind, number: str) -> bool: ...

    def get_referral(self, referral_id: str) -> Referral | None: ...


class DeskRepository(Protocol):
    def next_number(self, terminal: TerminalIdentity, series: str) -> str:
        """Gap-free per terminal: ``S01-T01-P00012`` (payment), ``-L`` order, ``-A``
        adjustment, ``-H`` house account."""
        ...

    def tax_class(self, code: str) -> TaxClass | None: ...

    def current_price(self, item_id: str) -> Decimal | None: ...

    def get_order(self, order_id: str) -> Order | None: ...

    def order_tenders(self, order_id: str) -> tuple[PaidTender, ...]:
        """The tenders that paid an order, each with what was refunded of it (for a cancellation)."""
        ...

    def get_account(self, account_id: str) -> Account | None: ...

    def account_for(self, customer_id: str) -> Account | None: ...

    def adjusted_lines(self, sale_id: str) -> Mapping[str, Returned]: ...
