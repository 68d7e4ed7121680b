"""The service desk's rows are the projection of the journal: a store driven through the
desk flows (the commands of tests/db/test_service_desk.py, follow-ups and letters, and
customers and links pulled from HQ) is re-projected entry by entry through
``counter.projection.project`` and every row and column of every desk table must equal
what is stored; a column edited behind the journal's back makes them differ."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from counter.desk.cases import (
    CaseStatus,
    ContactKind,
    LogContact,
    change_status,
    log_contact,
    record_letter,
    set_follow_up,
)
from counter.projection import ORDINAL, TABLES, UNKNOWN, EntryRef, Insert, project
from counter.projection.desk import DESK_TABLES, PRIVATE_COLUMNS
from db import schema as s
from db.queries import journal_entries
from db.sync_people import apply_people
from tests.db import test_service_desk as flows
from tests.db.support import TestStore

DESK = tuple(spec.name for spec in DESK_TABLES)


@pytest.fixture
def shop(store_dir: Path) -> Iterator[TestStore]:
    store = TestStore(store_dir)
    yield store
    store.close()


Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def _key(table: str, row: dict[str, Any], seen: dict[tuple[Any, ...], int]) -> tuple[Any, ...]:
    spec = TABLES[table]
    plain = tuple(row[c] for c in spec.key if c != ORDINAL)
    if ORDINAL not in spec.key:
        return plain
    seen[plain] = seen.get(plain, 0) + 1
    return (*plain, seen[plain])


def derived(shop: TestStore) -> Rows:
    """Fold every chain of the store through the projection (inserts, then updates)."""
    rows: Rows = {t: {} for t in DESK}
    seen: dict[str, dict[tuple[Any, ...], int]] = {t: {} for t in DESK}
    with shop.db.read.connect() as conn:
        terminals = conn.execute(select(s.journal.c.terminal_id).distinct()).scalars().all()
    for terminal in terminals:
        for e in journal_entries(shop.db.read, terminal):
            for op in project(e.type, json.loads(e.body), EntryRef(e.terminal, e.seq, e.type, e.at)):
                if op.table not in rows:
                    continue
                if isinstance(op, Insert):
                    key = _key(op.table, op.row, seen[op.table])
                    assert key not in rows[op.table], f"{op.table} {key} projected twice"
                    rows[op.table][key] = dict(op.row)
                else:
                    rows[op.table][op.key].update(op.values)
    return rows


def stored(shop: TestStore) -> Rows:
    rows: Rows = {}
    with shop.db.read.connect() as conn:
        for table in DESK:
            t = s.metadata.tables[table]
            order = [t.c.id] if "id" in t.c and ORDINAL in TABLES[table].key else list(t.primary_key.columns)
            seen: dict[tuple[Any, ...], int] = {}
            rows[table] = {}
            for r in conn.execute(select(t).order_by(*order)).mappings():
                row = {c: r[c] for c in TABLES[table].columns}
                rows[table][_key(table, row, seen)] = row
    return rows


def differences(shop: TestStore) -> list[str]:
    """Every row and column where what is stored is not what the journal derives."""
    want, have = derived(shop), stored(shop)
    out: list[str] = []
    for table in DESK:
        for key in sorted(set(want[table]) ^ set(have[table]), key=repr):
            out.append(f"{table} {key}: {'not stored' if key in want[table] else 'not in the journal'}")
        for key in set(want[table]) & set(have[table]):
            for col, value in want[table][key].items():
                if value is UNKNOWN:
                    assert col in PRIVATE_COLUMNS.get(table, ()), f"{table}.{col} left UNKNOWN"
                    continue
                if value != have[table][key][col]:
                    out.append(f"{table} {key} {col}: journal {value!r}, stored {have[table][key][col]!r}")
    return out


def _follow_ups_and_letters(shop: TestStore) -> None:
    jane = flows.new_customer(shop)
    maria = shop.user("Maria")
    kw: dict[str, Any] = dict(uow_factory=shop.uow, clock=shop.clock)
    logged = log_contact(
        maria,
        LogContact(
            jane.id, ContactKind.REQUEST, "Other", "Call me back about the order.", "", (), None, date(2031, 1, 1)
        ),
        terminal=shop.terminal,
        **kw,
    )
    case = logged.case
    due = shop.clock.now().astimezone(shop.cfg.zone).date() + timedelta(days=2)
    set_follow_up(maria, case.id, due, "Did the part come?", store=shop.cfg, **kw)
    set_follow_up(maria, case.id, None, "It came.", store=shop.cfg, **kw)
    record_letter(maria, case.id, "slip", **kw)
    change_status(maria, case.id, CaseStatus.WAITING, "", **kw)
    change_status(maria, case.id, CaseStatus.RESOLVED, "Called back.", **kw)
    record_letter(maria, case.id, "letter", **kw)


def _customers_from_hq(shop: TestStore) -> None:
    jane = flows.new_customer(shop)
    sale = shop.sell([(shop.item_in("small-appliances"), 1)], card=shop.cfg.currency.from_minor(999_99))
    address = {"line1": "1 Far Road", "line2": "", "city": "Elsewhere", "region": "IL", "postal_code": "60601"}
    people = [
        {  # a customer new here
            "id": "c-hq-1",
            "name": "Hal Q",
            "phone": "+12175550199",
            "email": None,
            "loyalty_card": None,
            "email_consent": False,
            "created_at": "2030-01-01T10:00:00.000000Z",
            "created_by": "u-other",
            "updated_at": "2030-01-01T10:00:00.000000Z",
            "address": {**address, "country": "US"},
        },
        {  # Jane, changed at another lane
            "id": jane.id,
            "name": "Jane Q. Doe",
            "phone": jane.phone,
            "email": "jane.doe@example.com",
            "loyalty_card": None,
            "email_consent": True,
            "created_at": "2020-01-01T10:00:00.000000Z",
            "created_by": "u-other",
            "updated_at": "2099-01-01T10:00:00.000000Z",
            "address": json.dumps({**address, "country": "US"}),
        },
    ]
    links = [
        {
            "customer_id": jane.id,
            "kind": "sale",
            "ref_id": "s-other-lane",
            "ref_number": "S01-T02-000007",
            "at": "2030-01-02T10:00:00.000000Z",
            "amount_minor": 1250,
            "summary": "Kettle",
        },
        {"customer_id": jane.id, "kind": "sale", "ref_id": sale.id, "ref_number": sale.receipt_number, "at": "x"},
    ]
    page = {
        "customer": [{"data": d, "deleted": False} for d in people],
        "customer_link": [{"data": d, "deleted": False} for d in links],
    }
    with shop.db.write.begin() as conn:
        apply_people(conn, page, shop.terminal.terminal_id)
    with shop.db.read.connect() as conn:
        reasons = conn.execute(select(s.customer_changes.c.field).where(s.customer_changes.c.reason == "from HQ"))
        assert sorted(reasons.scalars()) == ["email", "email_consent", "name"]
        hal = conn.execute(select(s.customers.c.name).where(s.customers.c.id == "c-hq-1")).scalar_one()
        assert hal == "Hal Q"


FLOWS: dict[str, Callable[[TestStore], None]] = {
    "customer changes": flows.test_a_change_of_address_is_kept_as_history,
    "case, referral, answer, told, resolved, closed, reopened": (
        flows.test_complaint_referred_answered_told_resolved_and_closed
    ),
    "price adjustment with approval": flows.test_a_price_adjustment_goes_back_to_the_card_with_approval,
    "layaway deposit, payment, pick-up": flows.test_layaway_deposit_payment_pickup_and_the_drawer,
    "cancelled layaway": flows.test_cancelled_layaway_keeps_the_stated_fee,
    "house account": flows.test_house_account_charge_and_payment,
    "follow-ups and letters": _follow_ups_and_letters,
    "customers and links from HQ": _customers_from_hq,
}


@pytest.mark.parametrize("flow", FLOWS.values(), ids=FLOWS.keys())
def test_every_desk_row_is_the_projection_of_the_journal(shop: TestStore, flow: Callable[[TestStore], None]) -> None:
    flow(shop)
    have = stored(shop)
    assert sum(len(v) for v in have.values()) > 0
    assert differences(shop) == []


def test_the_desk_tables_are_all_covered_and_private_columns_stay_off_the_journal(shop: TestStore) -> None:
    flows.test_complaint_referred_answered_told_resolved_and_closed(shop)
    have = stored(shop)
    for table in ("cases", "contacts", "contact_links", "case_events", "referrals", "referral_notes"):
        assert have[table], f"{table} has no rows to check"
    bodies = " ".join(e.body for e in journal_entries(shop.db.read, shop.terminal.terminal_id))
    # the phone as typed and as stored (a bare "555" also turns up in ids and hashes now and then)
    for private in (
        "Jane Doe", "555-0175", "2175550175", "jane@example.com", "Elm Street", "kettle stopped heating", "thermostat",
    ):  # fmt: skip
        assert private not in bodies


_CANCELLED = flows.test_cancelled_layaway_keeps_the_stated_fee
_ACCOUNT = flows.test_house_account_charge_and_payment
_CASE = flows.test_complaint_referred_answered_told_resolved_and_closed
_CUSTOMER = flows.test_a_change_of_address_is_kept_as_history
_LAYAWAY = flows.test_layaway_deposit_payment_pickup_and_the_drawer
EDITS = [
    ("orders", "UPDATE orders SET kept_minor = 1 WHERE status = 'cancelled'", _CANCELLED, ["orders_closed_no_update"]),
    ("desk_tenders", "UPDATE desk_tenders SET amount_minor = amount_minor + 1", _ACCOUNT, ["desk_tenders_no_update"]),
    ("account_entries", "UPDATE account_entries SET amount_minor = 1", _ACCOUNT, ["account_entries_no_update"]),
    ("case_events", "UPDATE case_events SET status_to = 'closed'", _CASE, ["case_events_no_update"]),
    ("customers", "UPDATE customers SET email_consent = NOT email_consent", _CUSTOMER, []),
    ("customer_links", "UPDATE customer_links SET ref_number = 'X'", _LAYAWAY, ["customer_links_no_update"]),
]


@pytest.mark.parametrize(("table", "sql", "flow", "triggers"), EDITS, ids=[e[0] for e in EDITS])
def test_a_column_edited_behind_the_journal_shows(
    shop: TestStore, table: str, sql: str, flow: Callable[[TestStore], None], triggers: list[str]
) -> None:
    flow(shop)
    assert differences(shop) == []
    with shop.db.write.begin() as conn:
        for trigger in triggers:
            conn.execute(text(f"DROP TRIGGER {trigger}"))
        assert conn.execute(text(sql)).rowcount > 0
    found = differences(shop)
    assert found and all(d.startswith(table) for d in found), found
