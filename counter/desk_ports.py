"""Ports of the service desk: the repositories a unit of work hands out for customers,
cases and referrals, and the desk's money (orders, house accounts, desk payments,
adjustments). ``db/customers.py`` and ``db/desk.py`` implement them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from counter.catalog import TaxClass
from counter.store import TerminalIdentity

if TYPE_CHECKING:
    from counter.accounts import Account
    from counter.cases import Case, CaseStatus, ContactKind, LinkedTransaction, LinkKind
    from counter.customers import Address, Customer
    from counter.orders import Order
    from counter.referrals import Referral
    from counter.refunds import PaidTender
    from counter.returns import Returned


class CustomersRepository(Protocol):
    def get(self, customer_id: str) -> Customer | None: ...

    def find_by(self, column: str, value: str) -> Customer | None:
        """The customer whose ``phone``, ``email`` or ``loyalty_card`` is ``value``."""
        ...

    def add(self, customer: Customer, user_id: str, at: datetime) -> None: ...

    def update(self, customer: Customer, at: datetime) -> None: ...

    def add_change(
        self, customer_id: str, field: str, old: str, new: str, user_id: str, at: datetime, reason: str
    ) -> None: ...

    def add_address(self, customer_id: str, address: Address, user_id: str, at: datetime, reason: str) -> None: ...

class CasesRepository(Protocol):
    def next_number(self, terminal: TerminalIdentity) -> str: ...

    def add(self, case: Case) -> None: ...

    def get(self, case_id: str) -> Case | None: ...

    def set_status(self, case_id: str, status: CaseStatus, at: datetime, resolution: str) -> None: ...

    def set_follow_up(self, case_id: str, on: date | None, note: str, at: datetime) -> None: ...

    def add_event(
        self, case_id: str, at: datetime, user_id: str, event: str, text: str, status_from: str, status_to: str
    ) -> None: ...

    def add_contact(
        self,
        contact_id: str,
        case_id: str,
        customer_id: str,
        kind: ContactKind,
        category: str,
        words: str,
        actions: str,
        user_id: str,
        at: datetime,
    ) -> None: ...

    def add_links(self, contact_id: str, links: Sequence[LinkedTransaction]) -> None: ...

    def transaction_exists(self, kind: LinkKind, number: str) -> bool: ...

    def add_referral(self, referral: Referral) -> None: ...

    def get_referral(self, referral_id: str) -> Referral | None: ...

    def add_referral_note(self, referral_id: str, at: datetime, user_id: str, kind: str, text: str) -> None: ...

    def answer_referral(self, referral_id: str, outcome: str, at: datetime) -> None: ...

    def close_referral(self, referral_id: str, how: str, at: datetime) -> None: ...


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
