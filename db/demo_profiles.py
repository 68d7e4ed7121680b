"""The demo store profiles: the US store (sales tax added at the till) and the German
one (VAT included in the shelf price, 19 % and 7 %, shown per rate on every receipt).

db/demo.py builds either; ``counter init-demo --profile de`` and the app's
``COUNTER_DEMO_PROFILE=de`` choose the German one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from counter.cash.shifts import Count
from counter.catalog import TaxClass
from counter.people.users import Role

DEMO_DIR = Path(__file__).resolve().parent.parent / "resources" / "demo"


@dataclass(frozen=True)
class DemoUser:
    id: str
    name: str
    role: Role
    pin: str


@dataclass(frozen=True)
class DemoCustomer:
    """A fictional customer: name, phone (as typed at the desk), e-mail, street, city,
    region, postal code."""

    name: str
    phone: str
    email: str
    street: str
    city: str
    region: str
    postal_code: str


@dataclass(frozen=True)
class DemoProfile:
    key: str
    store: dict[str, object]
    tax_classes: tuple[TaxClass, ...]
    catalog_dir: Path  # holds catalog.csv and categories.csv
    users: tuple[DemoUser, ...]
    customers: tuple[DemoCustomer, ...]
    country: str  # ISO 3166 code: the customers' phone region and address country
    float_count: Count  # each shift's opening float
    cash_notes: tuple[int, ...]  # notes a customer hands over for a cash sale
    count_note: str  # the close's note when the count is a little over or short
    #: the desk's demo cases: the inquiry and what was done, the comment, the complaint
    #: and what was done, the referral's note
    case_texts: tuple[str, str, str, str, str, str]

    @property
    def catalog_csv(self) -> Path:
        return self.catalog_dir / "catalog.csv"

    @property
    def categories_csv(self) -> Path:
        return self.catalog_dir / "categories.csv"


#: Listed in the README. PINs are for the demo only (the same in both profiles).
US_USERS = (
    DemoUser("u-cashier-1", "Maria Lopez", Role.CASHIER, "1111"),
    DemoUser("u-cashier-2", "Sam Carter", Role.CASHIER, "2222"),
    DemoUser("u-supervisor", "Dana Whitfield", Role.SUPERVISOR, "3333"),
    DemoUser("u-manager", "Alex Morgan", Role.MANAGER, "4444"),
    DemoUser("u-admin", "Jordan Reyes", Role.ADMIN, "9999"),
)

DE_USERS = (
    DemoUser("u-cashier-1", "Lena Becker", Role.CASHIER, "1111"),
    DemoUser("u-cashier-2", "Jonas Wagner", Role.CASHIER, "2222"),
    DemoUser("u-supervisor", "Sabine Hoffmann", Role.SUPERVISOR, "3333"),
    DemoUser("u-manager", "Thomas Schulz", Role.MANAGER, "4444"),
    DemoUser("u-admin", "Katrin Neumann", Role.ADMIN, "9999"),
)

#: Fictional 555-01xx numbers, example.org addresses.
US_CUSTOMERS = (
    DemoCustomer(
        "Priya Raman", "(217) 555-0101", "priya.raman@example.org", "418 Maple Avenue", "Springfield", "IL", "62704"
    ),
    DemoCustomer("Marcus Bell", "(217) 555-0102", "", "77 Lakeview Drive", "Chatham", "IL", "62629"),
    DemoCustomer(
        "Elena Novak", "(217) 555-0103", "elena.novak@example.org", "12 Cedar Court", "Springfield", "IL", "62711"
    ),
    DemoCustomer("Tom Whitaker", "", "tom.whitaker@example.org", "905 Walnut Street", "Rochester", "IL", "62563"),
    DemoCustomer("Grace Lindqvist", "(217) 555-0105", "grace.l@example.org", "3 Birch Lane", "Sherman", "IL", "62684"),
)

#: Fictional numbers and example.org addresses.
DE_CUSTOMERS = (
    DemoCustomer(
        "Anna Schröder", "040 3890 1101", "anna.schroeder@example.org", "Lindenallee 8", "Hamburg", "", "20259"
    ),
    DemoCustomer("Mehmet Yılmaz", "040 3890 1102", "", "Osterstraße 41", "Hamburg", "", "20259"),
    DemoCustomer("Claudia Krüger", "0151 2345 6703", "c.krueger@example.org", "Am Elbufer 3", "Wedel", "", "22880"),
    DemoCustomer("Felix Brandt", "", "felix.brandt@example.org", "Mühlenweg 17", "Pinneberg", "", "25421"),
    DemoCustomer("Ingrid Voß", "040 3890 1105", "ingrid.voss@example.org", "Kirchenstraße 5", "Hamburg", "", "22765"),
)

US = DemoProfile(
    key="us",
    store={
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
    },
    tax_classes=(
        TaxClass("A", "Sales tax 8.25%", Decimal("0.0825")),
        TaxClass("B", "Food 2.25%", Decimal("0.0225")),
        TaxClass("N", "Non-taxable", Decimal("0")),
    ),
    catalog_dir=DEMO_DIR,
    users=US_USERS,
    customers=US_CUSTOMERS,
    country="US",
    #: 6 × $20, 4 × $10, 6 × $5, 10 × $1 = $200.
    float_count=Count({Decimal(20): 6, Decimal(10): 4, Decimal(5): 6, Decimal(1): 10}),
    cash_notes=(5, 10, 20, 50, 100),
    count_note="Counted twice; cause unknown",
    case_texts=(
        "Is the patio set back in stock soon?",
        "Checked: due Friday.",
        "Thanks to the desk for sorting out my exchange so fast.",
        "The kettle I bought stops heating after a minute.\nWants it repaired, not replaced.",
        "Took the kettle in; gave the case slip.",
        "Check the kettle's thermostat; call the customer with the outcome.",
    ),
)

DE = DemoProfile(
    key="de",
    store={
        "id": "S01",
        "name": "Hafen & Markt Kaufhaus",
        "currency": "EUR",
        "locale": "de_DE",
        "timezone": "Europe/Berlin",
        "prices_include_tax": True,
        "smallest_coin": "0.01",
        "address_lines": ["Hafenstraße 12", "20457 Hamburg"],
        "phone": "040 3890 1400",
        "tax_id": "DE 123 456 789",
        "footer_lines": ["Umtausch innerhalb von 30 Tagen mit Kassenbon.", "Vielen Dank für Ihren Einkauf!"],
    },
    tax_classes=(
        TaxClass("A", "MwSt. 19 %", Decimal("0.19")),
        TaxClass("B", "MwSt. 7 %", Decimal("0.07")),
        TaxClass("N", "MwSt.-frei 0 %", Decimal("0")),
    ),
    catalog_dir=DEMO_DIR / "de",
    users=DE_USERS,
    customers=DE_CUSTOMERS,
    country="DE",
    #: 4 × 20 €, 6 × 10 €, 8 × 5 €, 10 × 2 €, 20 × 1 € = 220 €.
    float_count=Count({Decimal(20): 4, Decimal(10): 6, Decimal(5): 8, Decimal(2): 10, Decimal(1): 20}),
    cash_notes=(5, 10, 20, 50, 100),
    count_note="Zweimal gezählt; Ursache unbekannt",
    case_texts=(
        "Ist die Gartengarnitur bald wieder vorrätig?",
        "Nachgesehen: kommt am Freitag.",
        "Danke an den Kundendienst für den schnellen Umtausch.",
        "Der gekaufte Wasserkocher hört nach einer Minute auf zu heizen.\nMöchte ihn repariert, nicht ersetzt.",
        "Wasserkocher angenommen; Vorgangsbeleg ausgegeben.",
        "Thermostat des Wasserkochers prüfen; Kundin mit dem Ergebnis anrufen.",
    ),
)

PROFILES = {p.key: p for p in (US, DE)}


def demo_profile(key: str) -> DemoProfile:
    """The profile called ``key`` ("us" or "de"), or ValueError naming the choices."""
    try:
        return PROFILES[key.strip().lower()]
    except KeyError:
        raise ValueError(f"No demo profile {key!r}; choose one of {', '.join(PROFILES)}.") from None
