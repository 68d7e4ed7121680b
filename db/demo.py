"""Build the demo store: a US general-merchandise store with staff, catalog and 60 days
of past sales over two terminals, made through the real write path (CompleteSale), so
that every past sale has its journal entry and the chains verify.

Used by ``counter init-demo --data-dir DIR`` and by the app's embedded default.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

from sqlalchemy import insert, update

from counter.barcodes import canonical_gtin
from counter.cash.shifts import CashRules, Count, close_shift, denominations, open_shift, take_z_report
from counter.catalog import CategoryId, Item, ItemId, TaxClass
from counter.desk.cases import ContactKind, LogContact, log_contact
from counter.desk.customers import Address, ContactDetails, create_customer
from counter.desk.referrals import Priority, refer_case
from counter.desk.service import DeskConfig
from counter.money import Currency
from counter.people.users import PinHasher, Role, User, UserId
from counter.returns.policy import ReturnRules
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.pricing import Discount
from counter.sales.tenders import CARD_BRANDS, CardDetails, Payment
from counter.store import StoreConfig, TerminalIdentity
from db import schema as s
from db.engine import Database, open_database, pin_key
from db.queries import rules_to_json, store_config, write_settings
from db.uow import SqlUnitOfWork

DEMO_DIR = Path(__file__).resolve().parent.parent / "resources" / "demo"

STORE = {
    "id": "S01",
    "name": "Harbor & Main General Store",
    "currency": "USD",
    "locale": "en_US",
    "timezone": "America/Chicago",
    "prices_include_tax": False,
    "smallest_coin": "0.01",
    "address_lines": ["1200 Harbor Avenue", "Riverton, IL 62704"],
    "phone": "(217) 555-0142",
    "tax_id": "IL 4417-2290",
    "footer_lines": ["Returns within 30 days with receipt.", "Thank you for shopping with us!"],
}

TAX_CLASSES = [
    TaxClass("A", "Sales tax 8.25%", Decimal("0.0825")),
    TaxClass("B", "Food 2.25%", Decimal("0.0225")),
    TaxClass("N", "Non-taxable", Decimal("0")),
]


@dataclass(frozen=True)
class DemoUser:
    id: str
    name: str
    role: Role
    pin: str


#: Listed in the README. PINs are for the demo only.
DEMO_USERS = (
    DemoUser("u-cashier-1", "Maria Lopez", Role.CASHIER, "1111"),
    DemoUser("u-cashier-2", "Sam Carter", Role.CASHIER, "2222"),
    DemoUser("u-supervisor", "Dana Whitfield", Role.SUPERVISOR, "3333"),
    DemoUser("u-manager", "Alex Morgan", Role.MANAGER, "4444"),
    DemoUser("u-admin", "Jordan Reyes", Role.ADMIN, "9999"),
)


class _SteppingClock:
    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment


def _load_catalog(conn_exec: Callable[..., object], currency: Currency) -> list[Item]:
    taxes = {t.code: t for t in TAX_CLASSES}
    conn_exec(insert(s.tax_classes), [{"code": t.code, "label": t.label, "rate": str(t.rate)} for t in TAX_CLASSES])
    with (DEMO_DIR / "categories.csv").open(newline="", encoding="utf-8") as fh:
        cats = list(csv.DictReader(fh))
    conn_exec(insert(s.categories), [{"id": c["id"], "name": c["name"], "tax_code": c["tax_code"]} for c in cats])
    conn_exec(
        insert(s.return_policies),
        [
            {
                "category_id": c["id"],
                "return_days": int(c["return_days"]),
                "final_sale": c["final_sale"] == "true",
                "receipt_required": c["receipt_required"] == "true",
                "restocking_fee_percent": c["restocking_fee_percent"],
            }
            for c in cats
        ],
    )
    items: list[Item] = []
    with (DEMO_DIR / "catalog.csv").open(newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=1):
            items.append(
                Item(
                    id=ItemId(f"item-{n:06d}"),
                    sku=row["sku"],
                    name=row["name"],
                    price=Decimal(row["price"]),
                    tax=taxes[row["tax_code"]],
                    category_id=CategoryId(row["category_id"]),
                    barcode=canonical_gtin(row["barcode"]) if row["barcode"] else "",
                )
            )
    conn_exec(
        insert(s.items),
        [
            {
                "id": it.id,
                "sku": it.sku,
                "barcode": it.barcode or None,
                "name": it.name,
                "category_id": it.category_id,
                "price_minor": currency.to_minor(it.price),
                "tax_code": it.tax.code,
                "active": True,
            }
            for it in items
        ],
    )
    return items


def build_demo(
    data_dir: Path,
    *,
    days: int = 60,
    sales_per_day: tuple[int, int] = (18, 32),
    hasher: PinHasher | None = None,
    today: datetime | None = None,
    seed: int = 7,
) -> Database:
    """Create the demo store in an empty ``data_dir`` and return it opened."""
    db = open_database(data_dir, durable=False)
    hasher = (hasher or PinHasher()).keyed(pin_key(db.require_secret()))
    settings = {"store": STORE, "terminal": {"id": "T01"}, "return_rules": rules_to_json(ReturnRules())}
    write_settings(db.write, settings)
    store = store_config(settings)
    users = [User(UserId(u.id), u.name, u.role, hasher.hash(u.pin)) for u in DEMO_USERS]
    with db.write.begin() as conn:
        items = _load_catalog(conn.execute, store.currency)
        conn.execute(
            insert(s.users),
            [
                {
                    "id": u.id,
                    "name": u.name,
                    "role": str(u.role),
                    "pin_hash": u.pin_hash,
                    "active": True,
                    "failed_attempts": 0,
                }
                for u in users
            ],
        )
    _past_sales(db, store, items, users[:3], days, sales_per_day, today or datetime.now(UTC), seed)
    _customers_and_cases(db, store, users[0], today or datetime.now(UTC))
    with db.write.begin() as conn:  # the demo's history was printed long ago: nothing is due
        conn.execute(
            update(s.outbox).where(s.outbox.c.state == "pending").values(state="done", settled_at=s.outbox.c.created_at)
        )
    db.dispose()
    return open_database(data_dir)


def _past_sales(
    db: Database,
    store: StoreConfig,
    items: list[Item],
    staff: list[User],
    days: int,
    per_day: tuple[int, int],
    today: datetime,
    seed: int,
) -> None:
    """Each past day on each terminal: a shift opened with a counted float, the day's
    sales, a blind close (now and then a little over or short, with a note) and a Z
    report. Terminal T01 is left with today's shift open, ready to sell."""
    rng = random.Random(seed)
    local_today = today.astimezone(store.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = _SteppingClock(today)
    manager = staff[-1]
    uow = partial(SqlUnitOfWork, db.write, TerminalIdentity(store.store_id, "T01"), store.currency)
    for terminal_id in ("T02", "T01"):
        terminal = TerminalIdentity(store.store_id, terminal_id)
        uow = partial(SqlUnitOfWork, db.write, terminal, store.currency)
        for day in range(days, 0, -1):
            opening = (local_today - timedelta(days=day)).replace(hour=8, minute=55)
            cashier = rng.choice(staff[:2])
            clock.moment = opening
            open_shift(cashier, FLOAT, uow_factory=uow, clock=clock, terminal_id=terminal_id, currency=store.currency)
            moments = sorted(
                opening + timedelta(seconds=rng.randint(600, 11 * 3600)) for _ in range(rng.randint(*per_day))
            )
            for moment in moments:
                clock.moment = moment
                _one_sale(rng, store, items, cashier, terminal, uow, clock)
            clock.moment = opening.replace(hour=20, minute=30)
            with uow() as u:
                shift = u.shifts.current(terminal_id)
                assert shift is not None
                expected = u.shifts.expected_cash(shift)
            off = Decimal(0) if rng.random() < 0.85 else Decimal(rng.choice(("-1.00", "-0.25", "0.10", "2.00")))
            close_shift(
                cashier,
                count_for(expected + off, store.currency),
                "" if not off else "Counted twice; cause unknown",
                uow_factory=uow,
                clock=clock,
                terminal_id=terminal_id,
                currency=store.currency,
                rules=CashRules(),
            )
            clock.moment = opening.replace(hour=20, minute=45)
            take_z_report(
                manager, uow_factory=uow, clock=clock, terminal_id=terminal_id, currency=store.currency, zone=store.zone
            )
    clock.moment = today
    open_shift(staff[0], FLOAT, uow_factory=uow, clock=clock, terminal_id="T01", currency=store.currency)


def _one_sale(
    rng: random.Random,
    store: StoreConfig,
    items: list[Item],
    cashier: User,
    terminal: TerminalIdentity,
    uow: Callable[[], SqlUnitOfWork],
    clock: _SteppingClock,
) -> None:
    cart = Cart(store.currency, store.prices_include_tax)
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 6))):
        cart.add(rng.choice(items), rng.choices((1, 2, 3), (80, 15, 5))[0])
    if rng.random() < 0.08:
        cart.discount_line(cart.lines[0].id, Discount(True, Decimal(rng.choice((10, 15, 20)))))
    if rng.random() < 0.04:
        cart.discount_order(Discount(True, Decimal(10)))
    total = cart.total
    payment = Payment(total, store.currency, store.smallest_coin)
    if rng.random() < 0.55:
        card = CardDetails(rng.choice(CARD_BRANDS[:5]), f"{rng.randint(0, 9999):04d}", f"{rng.randint(0, 999999):06d}")
        payment.add_card(total, card)
    else:
        notes = [Decimal(n) for n in (5, 10, 20, 50, 100) if n >= total]
        payment.add_cash(rng.choice(notes) if notes and rng.random() < 0.7 else total)
    complete_sale(
        CompleteSale(cashier, cart.lines, cart.order_discount, payment.tenders, payment.rounding),
        uow_factory=uow,
        clock=clock,
        store=store,
        terminal=terminal,
    )


#: Demo customers (fictional 555-01xx numbers, example.org addresses): name, phone,
#: e-mail, street, city, postal code.
DEMO_CUSTOMERS = (
    ("Priya Raman", "(217) 555-0101", "priya.raman@example.org", "418 Maple Avenue", "Springfield", "62704"),
    ("Marcus Bell", "(217) 555-0102", "", "77 Lakeview Drive", "Chatham", "62629"),
    ("Elena Novak", "(217) 555-0103", "elena.novak@example.org", "12 Cedar Court", "Springfield", "62711"),
    ("Tom Whitaker", "", "tom.whitaker@example.org", "905 Walnut Street", "Rochester", "62563"),
    ("Grace Lindqvist", "(217) 555-0105", "grace.l@example.org", "3 Birch Lane", "Sherman", "62684"),
)


def _customers_and_cases(db: Database, store: StoreConfig, cashier: User, today: datetime) -> None:
    """A handful of customers at the service desk, two logged contacts and one open
    complaint referred to warranty and repair, written by the desk's own commands at T02
    late yesterday evening (after its last Z report, so its journal stays in time order)."""
    terminal = TerminalIdentity(store.store_id, "T02")
    uow = partial(SqlUnitOfWork, db.write, terminal, store.currency)
    midnight = today.astimezone(store.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = _SteppingClock(midnight - timedelta(hours=2, minutes=40))
    people = []
    for name, phone, email, street, city, postal in DEMO_CUSTOMERS:
        clock.moment += timedelta(minutes=7)
        details = ContactDetails.checked(
            name, phone, email, email_consent=bool(email), address=Address(street, "", city, "IL", postal)
        )
        people.append(create_customer(cashier, details, uow_factory=uow, clock=clock))
    contacts = (
        (
            people[0],
            ContactKind.INQUIRY,
            "Online order",
            "Is the patio set back in stock soon?",
            "Checked: due Friday.",
        ),
        (
            people[2],
            ContactKind.COMMENT,
            "Service at the store",
            "Thanks to the desk for sorting out my exchange so fast.",
            "",
        ),
    )
    for who, kind, category, words, actions in contacts:
        clock.moment += timedelta(minutes=25)
        log_contact(
            cashier,
            LogContact(who.id, kind, category, words, actions),
            uow_factory=uow,
            clock=clock,
            terminal=terminal,
        )
    clock.moment += timedelta(minutes=30)
    complaint = log_contact(
        cashier,
        LogContact(
            people[1].id,
            ContactKind.COMPLAINT,
            "Warranty and repair",
            "The kettle I bought stops heating after a minute.\nWants it repaired, not replaced.",
            "Took the kettle in; gave the case slip.",
        ),
        uow_factory=uow,
        clock=clock,
        terminal=terminal,
    )
    refer_case(
        cashier,
        complaint.case.id,
        "warranty",
        Priority.HIGH,
        None,
        "Check the kettle's thermostat; call the customer with the outcome.",
        config=DeskConfig(),
        uow_factory=uow,
        clock=clock,
        store=store,
    )


#: The demo float: 6 × $20, 4 × $10, 6 × $5, 10 × $1 = $200.
FLOAT = Count({Decimal(20): 6, Decimal(10): 4, Decimal(5): 6, Decimal(1): 10})


def count_for(amount: Decimal, currency: Currency) -> Count:
    """A plausible count of ``amount`` in notes and coins (largest first)."""
    left, pieces = amount, {}
    for denom in denominations(currency):
        n = int(left // denom)
        if n:
            pieces[denom] = n
            left -= denom * n
    return Count.of(currency, pieces)
