"""Build the demo store: a US general-merchandise store (or, with ``profile="de"``, a
German one with VAT included in its prices; db/demo_profiles.py) with staff, catalog and
60 days of past sales over two terminals, made through the real write path
(CompleteSale), so that every past sale has its journal entry and the chains verify.

Used by ``counter init-demo --data-dir DIR [--profile de]`` and by the app's embedded
default (``COUNTER_DEMO_PROFILE=de`` for the German store).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

from sqlalchemy import insert, update

from counter.barcodes import canonical_gtin
from counter.cash.shifts import CashRules, Count, close_shift, denominations, open_shift, take_z_report
from counter.catalog import CategoryId, Item, ItemId
from counter.desk.cases import ContactKind, LogContact, log_contact
from counter.desk.customers import Address, ContactDetails, create_customer
from counter.desk.referrals import Priority, refer_case
from counter.desk.service import DeskConfig
from counter.money import Currency
from counter.people.users import PinHasher, User, UserId
from counter.returns.policy import ReturnRules
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.pricing import Discount
from counter.sales.tenders import CARD_BRANDS, CardDetails, Payment
from counter.store import StoreConfig, TerminalIdentity
from db import schema as s
from db.demo_profiles import DEMO_DIR as DEMO_DIR, US, DemoProfile, DemoUser as DemoUser, demo_profile
from db.engine import Database, open_database, pin_key
from db.queries import rules_to_json, store_config, write_settings
from db.uow import SqlUnitOfWork

STORE = US.store
TAX_CLASSES = list(US.tax_classes)
#: Listed in the README. PINs are for the demo only.
DEMO_USERS = US.users


class _SteppingClock:
    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment


def _load_catalog(conn_exec: Callable[..., object], currency: Currency, profile: DemoProfile = US) -> list[Item]:
    taxes = {t.code: t for t in profile.tax_classes}
    conn_exec(
        insert(s.tax_classes), [{"code": t.code, "label": t.label, "rate": str(t.rate)} for t in profile.tax_classes]
    )
    with profile.categories_csv.open(newline="", encoding="utf-8") as fh:
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
    with profile.catalog_csv.open(newline="", encoding="utf-8") as fh:
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
    profile: str = "us",
) -> Database:
    """Create the demo store in an empty ``data_dir`` and return it opened. ``profile``
    "de" builds the German store (EUR, VAT included in prices; db/demo_profiles.py)."""
    demo = demo_profile(profile)
    db = open_database(data_dir, durable=False)
    hasher = (hasher or PinHasher()).keyed(pin_key(db.require_secret()))
    settings = {"store": demo.store, "terminal": {"id": "T01"}, "return_rules": rules_to_json(ReturnRules())}
    write_settings(db.write, settings)
    store = store_config(settings)
    users = [User(UserId(u.id), u.name, u.role, hasher.hash(u.pin)) for u in demo.users]
    with db.write.begin() as conn:
        items = _load_catalog(conn.execute, store.currency, demo)
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
    _past_sales(db, store, items, users[:3], days, sales_per_day, today or datetime.now(UTC), seed, demo)
    _customers_and_cases(db, store, users[0], today or datetime.now(UTC), demo)
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
    demo: DemoProfile = US,
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
            open_shift(
                cashier,
                demo.float_count,
                uow_factory=uow,
                clock=clock,
                terminal_id=terminal_id,
                currency=store.currency,
            )
            moments = sorted(
                opening + timedelta(seconds=rng.randint(600, 11 * 3600)) for _ in range(rng.randint(*per_day))
            )
            for moment in moments:
                clock.moment = moment
                _one_sale(rng, store, items, cashier, terminal, uow, clock, demo.cash_notes)
            clock.moment = opening.replace(hour=20, minute=30)
            with uow() as u:
                shift = u.shifts.current(terminal_id)
                assert shift is not None
                expected = u.shifts.expected_cash(shift)
            off = Decimal(0) if rng.random() < 0.85 else Decimal(rng.choice(("-1.00", "-0.25", "0.10", "2.00")))
            close_shift(
                cashier,
                count_for(expected + off, store.currency),
                "" if not off else demo.count_note,
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
    open_shift(staff[0], demo.float_count, uow_factory=uow, clock=clock, terminal_id="T01", currency=store.currency)


def _one_sale(
    rng: random.Random,
    store: StoreConfig,
    items: list[Item],
    cashier: User,
    terminal: TerminalIdentity,
    uow: Callable[[], SqlUnitOfWork],
    clock: _SteppingClock,
    cash_notes: tuple[int, ...] = US.cash_notes,
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
        notes = [Decimal(n) for n in cash_notes if n >= total]
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
DEMO_CUSTOMERS = tuple((c.name, c.phone, c.email, c.street, c.city, c.postal_code) for c in US.customers)


def _customers_and_cases(
    db: Database, store: StoreConfig, cashier: User, today: datetime, demo: DemoProfile = US
) -> None:
    """A handful of customers at the service desk, two logged contacts and one open
    complaint referred to warranty and repair, written by the desk's own commands at T02
    late yesterday evening (after its last Z report, so its journal stays in time order)."""
    terminal = TerminalIdentity(store.store_id, "T02")
    uow = partial(SqlUnitOfWork, db.write, terminal, store.currency)
    midnight = today.astimezone(store.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = _SteppingClock(midnight - timedelta(hours=2, minutes=40))
    people = []
    inquiry, checked, thanks, complaint_words, took_in, referral_note = demo.case_texts
    for c in demo.customers:
        clock.moment += timedelta(minutes=7)
        details = ContactDetails.checked(
            c.name,
            c.phone,
            c.email,
            email_consent=bool(c.email),
            address=Address(c.street, "", c.city, c.region, c.postal_code, demo.country),
            region=demo.country,
        )
        people.append(create_customer(cashier, details, uow_factory=uow, clock=clock))
    contacts = (
        (
            people[0],
            ContactKind.INQUIRY,
            "Online order",
            inquiry,
            checked,
        ),
        (
            people[2],
            ContactKind.COMMENT,
            "Service at the store",
            thanks,
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
            complaint_words,
            took_in,
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
        referral_note,
        config=DeskConfig(),
        uow_factory=uow,
        clock=clock,
        store=store,
    )


#: The US demo float: 6 × $20, 4 × $10, 6 × $5, 10 × $1 = $200.
FLOAT = US.float_count


def count_for(amount: Decimal, currency: Currency) -> Count:
    """A plausible count of ``amount`` in notes and coins (largest first)."""
    left, pieces = amount, {}
    for denom in denominations(currency):
        n = int(left // denom)
        if n:
            pieces[denom] = n
            left -= denom * n
    return Count.of(currency, pieces)
