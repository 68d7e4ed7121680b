"""A real store on a real SQLite file, with a settable clock, for service-level tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from counter.catalog import Item
from counter.people.users import User
from counter.returns.model import ProcessReturn
from counter.returns.policy import ApprovalKind, ReturnRules
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.sale import Sale
from counter.sales.tenders import CardDetails, Payment
from counter.trust.approvals import grant_approval
from db import schema as s
from db.engine import Database, open_database
from db.queries import SqlCatalog, list_users, read_settings, return_rules, store_config, terminal_identity
from db.uow import SqlUnitOfWork
from tests.conftest import FAST_HASHER


@dataclass
class Clock:
    moment: datetime = field(default_factory=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class TestStore:
    __test__ = False

    def __init__(self, folder: Path) -> None:
        self.db: Database = open_database(folder)
        raw = read_settings(self.db.read)
        self.cfg = store_config(raw)
        self.terminal = terminal_identity(raw)
        self.rules: ReturnRules = return_rules(raw)
        self.catalog = SqlCatalog(self.db.read, self.cfg.currency)
        self.clock = Clock()
        self.users = {u.name.split()[0]: u for u in list_users(self.db.read)}

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.db.write, self.terminal, self.cfg.currency)

    def read_uow(self) -> SqlUnitOfWork:
        """The same repositories over the read engine (a deferred transaction, rolled back)."""
        return SqlUnitOfWork(self.db.read, self.terminal, self.cfg.currency)

    def user(self, first_name: str) -> User:
        return self.users[first_name]

    def item_in(self, category: str, n: int = 0) -> Item:
        with self.db.read.connect() as conn:
            sku = conn.execute(
                select(s.items.c.sku)
                .where(s.items.c.category_id == category)
                .order_by(s.items.c.sku)
                .offset(n)
                .limit(1)
            ).scalar_one()
        from counter.barcodes import CodeKind, ScannedCode

        item = self.catalog.by_code(ScannedCode(CodeKind.SKU, sku, sku))
        assert item is not None
        return item

    def sell(
        self,
        items: list[tuple[Item, int]],
        *,
        card: Decimal | None = None,
        cash: bool = True,
        cashier: str = "Maria",
        voucher: tuple[str, Decimal, Decimal] | None = None,
    ) -> Sale:
        cart = Cart(self.cfg.currency, self.cfg.prices_include_tax)
        for item, qty in items:
            cart.add(item, qty)
        payment = Payment(cart.total, self.cfg.currency, self.cfg.smallest_coin)
        if voucher is not None:
            code, amount, balance = voucher
            payment.add_store_credit(amount, code, balance)
        if card is not None:
            payment.add_card(min(card, payment.remaining), CardDetails("Visa", "4242", "APPR01"))
        if payment.remaining and cash:
            payment.add_cash(payment.cash_due)
        return complete_sale(
            CompleteSale(self.user(cashier), cart.lines, None, payment.tenders, payment.rounding),
            uow_factory=self.uow,
            clock=self.clock,
            store=self.cfg,
            terminal=self.terminal,
        )

    def close(self) -> None:
        self.db.dispose()


def add_zebra_notebooks(db: Database, n: int) -> None:
    """``n`` items named "Zebra notebook N" (more than search ranks, for the capped case)."""
    from uuid import uuid4

    with db.write.begin() as conn:
        category = conn.execute(select(s.categories.c.id).limit(1)).scalar_one()
        tax = conn.execute(select(s.tax_classes.c.code).limit(1)).scalar_one()
        conn.execute(
            s.items.insert(),
            [
                {
                    "id": str(uuid4()),
                    "sku": f"ZB-{k}",
                    "barcode": None,
                    "name": f"Zebra notebook {k}",
                    "category_id": category,
                    "price_minor": 100 + k,
                    "tax_code": tax,
                    "active": True,
                }
                for k in range(n)
            ],
        )


def approve(
    shop: TestStore,
    cmd: ProcessReturn,
    kinds: Iterable[ApprovalKind],
    amount: Decimal,
    approver: str = "Dana",
    pin: str = "3333",
) -> None:
    """A supervisor's approval of ``cmd`` at the counter, with their PIN."""
    grant_approval(
        request_id=cmd.request_id,
        kinds=kinds,
        amount=amount,
        requester=cmd.cashier,
        approver_id=shop.user(approver).id,
        pin=pin,
        reason="customer is a regular",
        uow_factory=shop.uow,
        hasher=FAST_HASHER,
        clock=shop.clock,
        currency_minor=shop.cfg.currency.to_minor,
    )
