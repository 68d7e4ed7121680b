"""The service desk at HQ (issue #17, point 1): every desk event a lane pushes is projected
into HQ's desk tables by the lanes' own projection, with balances HQ computes from the
payment rows, exactly once, and a lane's word on an amount HQ can check is checked.

Real store files recording through the desk's own commands, a real uvicorn, the real
PostgreSQL. Rows are compared by content, with the lane's own rows where they exist (the
same projection on both sides), and read back through HQ's desk API."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, Table, select

from counter.desk.accounts import charge_service, open_account, pay_on_account
from counter.desk.adjustments import AdjustBill, AdjustmentKind
from counter.desk.cases import CaseStatus, ContactKind, LogContact, change_status, log_contact
from counter.desk.customers import ContactDetails, create_customer
from counter.desk.orders import OrderKind, OrderLine, cancel_order, open_order, order_total, pay_order, pick_up_order
from counter.desk.payments import DeskPayment, Purpose, payment_fields
from counter.desk.referrals import Priority, add_department_note, refer_case, tell_customer
from counter.desk.service import DeskConfig
from counter.journal import EventType, utc_stamp
from counter.projection import TABLES
from counter.projection.desk import PRIVATE_COLUMNS
from counter.returns.refunds import RefundMethod
from counter.sales.tenders import CardDetails, Tender, TenderKind
from db import schema as ls
from hq import schema as hs
from hq.serve import RunningHq
from tests.db.test_desk_flows import approved
from tests.hq.conftest import Lane, hq_count, hq_journal

pytestmark = pytest.mark.slow

CENT = Decimal("0.01")
DESK_TABLES = [hs.DESK[name] for name in hs.DESK]


def kw(lane: Lane) -> dict[str, Any]:
    return dict(uow_factory=lane.store.uow, clock=lane.store.clock, store=lane.store.cfg, terminal=lane.store.terminal)


def cents(lane: Lane, amount: Decimal) -> int:
    return lane.store.cfg.currency.to_minor(amount)


def cash(amount: Decimal, tendered: Decimal | None = None) -> Tender:
    return Tender(TenderKind.CASH, amount, tendered or amount)


def card(amount: Decimal, approval: str = "LAY001") -> Tender:
    return Tender(TenderKind.CARD, amount, amount, CardDetails("Visa", "4242", approval))


def customer(lane: Lane, name: str = "Jane Okafor", phone: str = "(217) 555-0175") -> str:
    details = ContactDetails.checked(name, phone, "")
    return create_customer(lane.store.user("Maria"), details, uow_factory=lane.store.uow, clock=lane.store.clock).id


def sync(*lanes: Lane) -> None:
    for lane in lanes:
        status = lane.syncer.cycle()
        assert status.online and not status.problem, status


def api(hq: RunningHq, lane: Lane) -> httpx.Client:
    return httpx.Client(base_url=hq.url, headers={"Authorization": f"Bearer {lane.config.token}"}, timeout=10)


def compared(table: str) -> list[str]:
    """The lane's columns of ``table`` that the journal holds (the private ones it never does)."""
    return [c for c in TABLES[table].columns if c not in PRIVATE_COLUMNS.get(table, ())]


def lane_rows(lane: Lane, table: str, column: str, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    t: Table = ls.metadata.tables[table]
    order = t.c.id if "id" in t.c else t.c[column]
    with lane.store.db.read.connect() as conn:
        rows = conn.execute(select(*(t.c[c] for c in compared(table))).where(t.c[column].in_(ids)).order_by(order))
        return [tuple(r) for r in rows]


def hq_rows(engine: Engine, table: str, column: str, ids: Sequence[str], *extra: str) -> list[tuple[Any, ...]]:
    t = hs.DESK[table]
    order = (t.c.origin_seq, t.c.n) if "n" in t.c else (t.c.id,) if "id" in t.c else (t.c[column],)
    with engine.connect() as conn:
        rows = conn.execute(
            select(*(t.c[c] for c in (*compared(table), *extra))).where(t.c[column].in_(ids)).order_by(*order)
        )
        return [tuple(r) for r in rows]


def same_rows(lane: Lane, engine: Engine, table: str, column: str, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """HQ's rows of ``table`` are the lane's, column by column (those the journal holds)."""
    theirs = hq_rows(engine, table, column, ids)
    assert theirs == lane_rows(lane, table, column, ids), table
    assert theirs, f"no {table} rows"
    return theirs


def as_dict(table: str, row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(compared(table), row, strict=True))


def has(row: dict[str, Any], **expected: Any) -> bool:
    """``row`` holds every expected column with its value (a mismatch is shown)."""
    assert {k: row[k] for k in expected} == expected
    return True


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(select(t))), key=repr) for t in DESK_TABLES}


def alert_kinds(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(hs.alerts.c.kind).order_by(hs.alerts.c.id)).scalars())


def half(amount: Decimal) -> Decimal:
    return (amount / 2).quantize(CENT, rounding=ROUND_HALF_UP)


# ================================================================== orders


def test_a_layaway_paid_at_one_lane_is_at_hq_with_the_balance_hq_computes_until_it_is_picked_up(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one = make_lane("T01")
    jane, maria = customer(one), one.store.user("Maria")
    bike = one.store.item_in("sporting-goods")
    lines = [OrderLine(1, bike, 2)]
    total, tax = order_total(lines, one.store.cfg)
    deposit = half(total)
    opened = open_order(maria, OrderKind.LAYAWAY, jane, lines, [cash(deposit)], rules=DeskConfig().rules, **kw(one))
    order = opened.order
    one.store.clock.advance(days=3)
    paid = pay_order(maria, order.id, [card(Decimal("10.00"))], **kw(one))
    left = total - deposit - Decimal("10.00")
    assert paid.order.balance == left
    sync(one)

    # HQ's rows are the lane's, and say where they came from
    assert same_rows(one, hq_engine, "orders", "id", [order.id]) == lane_rows(one, "orders", "id", [order.id])
    assert hq_rows(hq_engine, "orders", "id", [order.id], "store_id", "origin_terminal")[0][-2:] == ("S01", "T01")
    (row,) = hq_rows(hq_engine, "orders", "id", [order.id])
    assert has(
        as_dict("orders", row),
        number=order.number,
        kind="layaway",
        customer_id=jane,
        status="open",
        total_minor=cents(one, total),
        tax_minor=cents(one, tax),
        created_by=maria.id,
    )
    assert same_rows(one, hq_engine, "order_lines", "order_id", [order.id]) == [
        (order.id, 1, bike.id, bike.sku, bike.name, bike.category_id, 2, cents(one, bike.price), bike.tax.code,
         bike.tax.label, str(bike.tax.rate))
    ]  # fmt: skip
    payments = same_rows(one, hq_engine, "desk_payments", "order_id", [order.id])
    assert opened.payment is not None and paid.payment is not None
    assert sorted((p[1], p[3], p[4], p[7]) for p in payments) == [
        (opened.payment.number, "deposit", cents(one, deposit), order.id),
        (paid.payment.number, "order_payment", 1000, order.id),
    ]
    tenders = same_rows(one, hq_engine, "desk_tenders", "payment_id", [p[0] for p in payments])
    assert sorted((t[2], t[3], t[5], t[6]) for t in tenders) == [
        ("card", 1000, "Visa", "4242"),
        ("cash", cents(one, deposit), None, None),
    ]

    # the balance is HQ's: the total less what its payment rows sum to
    with api(hq, one) as http:
        got = http.get(f"/v1/desk/orders/{order.number}")
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["order"]["paid_minor"], body["order"]["balance_minor"]) == (
            cents(one, deposit) + 1000,
            cents(one, left),
        )
        assert [(p["number"], p["amount_minor"], [t["kind"] for t in p["tenders"]]) for p in body["payments"]] == [
            (opened.payment.number, cents(one, deposit), ["cash"]),
            (paid.payment.number, 1000, ["card"]),
        ]
        assert [ln["sku"] for ln in body["lines"]] == [bike.sku]
        listed = http.get("/v1/desk/orders").json()["orders"]
        assert [(o["number"], o["balance_minor"]) for o in listed if o["id"] == order.id] == [
            (order.number, cents(one, left))
        ]

        # picked up at the lane: the rest paid in the sale; HQ's order is closed by it
        one.store.clock.advance(days=2)
        done = pick_up_order(maria, order.id, [cash(left)], Decimal(0), **kw(one))
        sync(one)
        assert done.sale is not None
        (row,) = hq_rows(hq_engine, "orders", "id", [order.id])
        assert has(
            as_dict("orders", row),
            status="picked_up",
            sale_id=done.sale.id,
            closed_at=utc_stamp(done.sale.completed_at),
        )
        assert hq_count(hq_engine, hs.sales, id=done.sale.id) == 1
        assert all(o["id"] != order.id for o in http.get("/v1/desk/orders").json()["orders"])
        picked = http.get("/v1/desk/orders", params={"status": "picked_up"}).json()["orders"]
        assert [(o["number"], o["balance_minor"], o["paid_minor"]) for o in picked] == [
            (order.number, 0, cents(one, deposit) + 1000)
        ]
    same_rows(one, hq_engine, "orders", "id", [order.id])
    assert hq_journal(hq_engine, "T01") == one.journal()


def test_a_cancelled_layaway_keeps_what_hq_sums_from_its_payments_and_refunds_the_rest(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one = make_lane("T01")
    jane, maria = customer(one), one.store.user("Maria")
    bike = max((one.store.item_in("sporting-goods", n) for n in range(10)), key=lambda i: i.price)
    lines = [OrderLine(1, bike, 1)]
    total, _ = order_total(lines, one.store.cfg)
    first = (total * Decimal("0.20")).quantize(CENT, rounding=ROUND_HALF_UP)
    order = open_order(
        maria, OrderKind.LAYAWAY, jane, lines, [card(first, "LAY777")], rules=DeskConfig().rules, **kw(one)
    ).order
    pay_order(maria, order.id, [cash(Decimal("30.00"))], **kw(one))
    result = cancel_order(
        maria, order.id, "moving away", RefundMethod.ORIGINAL, str(uuid.uuid4()), rules=one.store.rules, **kw(one)
    )
    assert result.payment is not None and result.kept is not None
    sync(one)

    same_rows(one, hq_engine, "orders", "id", [order.id])
    payments = same_rows(one, hq_engine, "desk_payments", "order_id", [order.id])
    assert sorted((p[3], p[4]) for p in payments) == sorted(
        [
            ("deposit", cents(one, first)),
            ("order_payment", 3000),
            ("order_refund", -cents(one, result.payment.amount)),
        ]
    )
    refund_parts = hq_rows(hq_engine, "desk_tenders", "payment_id", [result.payment.id])
    assert [(t[2], t[3]) for t in refund_parts] == [(p.kind.value, -cents(one, p.amount)) for p in result.payment.parts]
    with api(hq, one) as http:
        body = http.get(f"/v1/desk/orders/{order.number}").json()
    kept = cents(one, first) + 3000 - cents(one, result.payment.amount)
    assert kept == cents(one, result.kept)
    assert (body["order"]["status"], body["order"]["kept_minor"], body["order"]["paid_minor"]) == (
        "cancelled",
        kept,
        kept,
    )
    assert body["order"]["balance_minor"] == 0


# ================================================================== bill adjustments


def test_a_price_match_to_the_card_and_a_goodwill_credit_are_at_hq_as_the_lane_recorded_them(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    one = make_lane("T01")
    jane = customer(one)
    kettle = one.store.item_in("small-appliances")
    sale = one.store.sell([(kettle, 2)], card=Decimal("1e6"), cash=False)
    (line,) = sale.lines
    match = AdjustBill(
        str(uuid.uuid4()), one.store.user("Maria"), AdjustmentKind.PRICE_MATCH, "advertised price",
        receipt=sale.receipt_number, sale_line_id=line.id, quantity=2, new_price=kettle.price - Decimal("5.00"),
        competitor="Hardware Hut",
    )  # fmt: skip
    matched, _, _ = approved(one.store, match)
    goodwill = AdjustBill(
        str(uuid.uuid4()), one.store.user("Maria"), AdjustmentKind.GOODWILL, "waited an hour",
        customer_id=jane, amount=Decimal("15.00"),
    )  # fmt: skip
    credit, _, _ = approved(one.store, goodwill)
    sync(one)

    rows = same_rows(one, hq_engine, "adjustments", "id", [matched.id, credit.id])
    assert sorted((r[1], r[2], r[9], r[12]) for r in rows) == sorted(
        [
            (matched.number, "price_match", cents(one, matched.quote.gross), "Hardware Hut"),
            (credit.number, "goodwill", 1500, ""),
        ]
    )
    payments = same_rows(one, hq_engine, "desk_payments", "id", [matched.payment.id, credit.payment.id])
    assert sorted((p[3], p[4]) for p in payments) == [
        ("goodwill", -1500),
        ("price_adjustment", -cents(one, matched.quote.gross)),
    ]
    parts = same_rows(one, hq_engine, "desk_tenders", "payment_id", [matched.payment.id, credit.payment.id])
    assert sorted((t[2], t[3], t[8]) for t in parts) == sorted(
        [("card", -cents(one, matched.quote.gross), None), ("store_credit", -1500, credit.voucher_code)]
    )


# ================================================================== house accounts


def test_a_house_account_charged_for_a_service_and_paid_owes_what_hq_sums_from_its_entries(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one = make_lane("T01")
    jane, maria = customer(one), one.store.user("Maria")
    account = open_account(one.store.user("Dana"), jane, Decimal("100.00"), **kw(one))
    on_account = Tender(TenderKind.HOUSE_ACCOUNT, Decimal("39.00"), Decimal("39.00"))
    sale = charge_service(
        maria, "delivery", Decimal("39.00"), "sofa", jane, [on_account], Decimal(0), config=DeskConfig(), **kw(one)
    )
    one.store.clock.advance(days=1)
    paid = pay_on_account(maria, account.id, [cash(Decimal("25.00"), Decimal("40.00"))], **kw(one))
    assert paid.account.owed == Decimal("14.00")
    sync(one)

    assert same_rows(one, hq_engine, "accounts", "id", [account.id]) == [
        (account.id, account.number, jane, 10000, utc_stamp(account.opened_at), one.store.user("Dana").id)
    ]
    entries = same_rows(one, hq_engine, "account_entries", "account_id", [account.id])
    assert [(e[1], e[2], e[3]) for e in entries] == [
        ("charge", 3900, sale.receipt_number),
        ("payment", -2500, paid.payment.number),
    ]
    payments = same_rows(one, hq_engine, "desk_payments", "account_id", [account.id])
    assert [(p[1], p[3], p[4]) for p in payments] == [(paid.payment.number, "account_payment", 2500)]
    tenders = same_rows(one, hq_engine, "desk_tenders", "payment_id", [paid.payment.id])
    assert [(t[2], t[3], t[4]) for t in tenders] == [("cash", 2500, 4000)]
    with hq_engine.connect() as conn:  # the service is a sale, charged to the account
        charged = conn.execute(
            select(hs.sale_tenders.c.kind, hs.sale_tenders.c.amount_minor).where(hs.sale_tenders.c.sale_id == sale.id)
        ).all()
    assert charged == [("house_account", 3900)]
    with api(hq, one) as http:
        got = http.get(f"/v1/desk/accounts/{account.number}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["account"]["owed_minor"], body["account"]["available_minor"]) == (1400, 8600)
    assert [(e["kind"], e["amount_minor"], e["reference"]) for e in body["entries"]] == [
        ("charge", 3900, sale.receipt_number),
        ("payment", -2500, paid.payment.number),
    ]
    assert [(p["number"], [(t["kind"], t["tendered_minor"]) for t in p["tenders"]]) for p in body["payments"]] == [
        (paid.payment.number, [("cash", 4000)])
    ]


# ================================================================== cases


def test_a_complaint_referred_answered_told_and_resolved_is_at_hq_without_anyones_words(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one = make_lane("T01")
    jane, maria, dana = customer(one), one.store.user("Maria"), one.store.user("Dana")
    store_kw = dict(uow_factory=one.store.uow, clock=one.store.clock)
    words = "The kettle leaks from the seam after a week."
    logged = log_contact(
        maria,
        LogContact(jane, ContactKind.COMPLAINT, "Product quality", words, "Offered a repair", ()),
        terminal=one.store.terminal,
        **store_kw,
    )
    case = logged.case
    one.store.clock.advance(hours=1)
    referral = refer_case(
        maria,
        case.id,
        "warranty",
        Priority.HIGH,
        None,
        "Seam leak",
        config=DeskConfig(),
        store=one.store.cfg,
        **store_kw,
    )
    one.store.clock.advance(days=2)
    add_department_note(dana, referral.id, "Seal replaced under warranty.", outcome=True, **store_kw)
    one.store.clock.advance(hours=3)
    tell_customer(maria, referral.id, "phone", "She will collect it.", **store_kw)
    change_status(maria, case.id, CaseStatus.RESOLVED, "Seal replaced.", **store_kw)
    change_status(maria, case.id, CaseStatus.CLOSED, "", **store_kw)
    sync(one)

    (row,) = same_rows(one, hq_engine, "cases", "id", [case.id])
    assert as_dict("cases", row) == {
        "id": case.id,
        "number": case.number,
        "customer_id": jane,
        "kind": "complaint",
        "category": "Product quality",
        "status": "closed",
        "opened_at": utc_stamp(case.opened_at),
        "opened_by": maria.id,
        "updated_at": utc_stamp(one.store.clock.now()),
        "follow_up_on": None,
    }
    events = same_rows(one, hq_engine, "case_events", "case_id", [case.id])
    assert [(e[3], e[4], e[5]) for e in events] == [
        ("opened", "", "open"),
        ("contact", "", ""),
        ("action", "", ""),
        ("referred", "open", "referred"),
        ("answered", "referred", "open"),
        ("told", "", ""),
        ("resolved", "open", "resolved"),
        ("closed", "resolved", "closed"),
    ]
    (ref,) = same_rows(one, hq_engine, "referrals", "id", [referral.id])
    assert has(
        as_dict("referrals", ref),
        case_id=case.id,
        department="warranty",
        priority="high",
        status="closed",
        told_how="phone",
        referred_by=maria.id,
        due_on=referral.due_on.isoformat(),
    )
    notes = same_rows(one, hq_engine, "referral_notes", "referral_id", [referral.id])
    assert [(n[2], n[3]) for n in notes] == [(dana.id, "outcome"), (maria.id, "told")]
    same_rows(one, hq_engine, "contacts", "case_id", [case.id])
    # the customer's and the desk's words reach HQ beside the entries (never in the journal):
    # HQ's rows hold the lane's own text, column by column, for the other lanes and the office
    for table, column, key in (
        ("cases", "id", case.id),
        ("contacts", "case_id", case.id),
        ("case_events", "case_id", case.id),
        ("referrals", "id", referral.id),
        ("referral_notes", "referral_id", referral.id),
    ):
        private = PRIVATE_COLUMNS[table]
        at_hq = sorted(r[-len(private) :] for r in hq_rows(hq_engine, table, column, [key], *private))
        lt: Table = ls.metadata.tables[table]
        with one.store.db.read.connect() as conn:
            on_lane = sorted(
                tuple(r) for r in conn.execute(select(*(lt.c[c] for c in private)).where(lt.c[column] == key))
            )
        assert at_hq == on_lane, table
    dump = repr(snapshot(hq_engine))
    assert "leaks" in dump and "Seal replaced" in dump
    with hq_engine.connect() as conn:
        journal = repr(conn.execute(select(hs.journal.c.body)).all())
    assert "leaks" not in journal and "Seal replaced" not in journal  # never in the journal

    with api(hq, one) as http:
        got = http.get(f"/v1/desk/cases/{case.number}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["case"]["status"] == "closed"
    assert [e["event"] for e in body["events"]] == [e[3] for e in events]
    assert [(r["department"], r["status"], [n["kind"] for n in r["notes"]]) for r in body["referrals"]] == [
        ("warranty", "closed", ["outcome", "told"])
    ]
    assert [(c["kind"], c["category"]) for c in body["contacts"]] == [("complaint", "Product quality")]


# ================================================================== exactly once


class LostAnswer(httpx.BaseTransport):
    """Delivers the push to HQ, then loses HQ's answer (the first ``lose`` pushes)."""

    def __init__(self, lose: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose = lose

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/journal") and request.method == "POST" and self.lose > 0:
            response.read()
            self.lose -= 1
            raise httpx.ReadError("connection reset after HQ committed", request=request)
        return response


def test_desk_entries_pushed_again_are_projected_once(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one = make_lane("T01")
    jane, maria = customer(one), one.store.user("Maria")
    lamp = one.store.item_in("home-kitchen", 2)
    lines = [OrderLine(1, lamp, 1)]
    total, _ = order_total(lines, one.store.cfg)
    order = open_order(
        maria, OrderKind.SPECIAL_ORDER, jane, lines, [cash(half(total))], rules=DeskConfig().rules, **kw(one)
    ).order
    account = open_account(one.store.user("Dana"), jane, Decimal("50.00"), **kw(one))
    one.go_online(LostAnswer(lose=1))
    assert not one.syncer.cycle().online  # HQ committed; the lane never heard
    assert hq_count(hq_engine, hs.orders, id=order.id) == 1
    # the lane sends the same entries again, with a payment recorded meanwhile
    pay_order(maria, order.id, [cash(Decimal("5.00"))], **kw(one))
    sync(one)
    assert hq_count(hq_engine, hs.orders, id=order.id) == 1
    assert hq_count(hq_engine, hs.order_lines, order_id=order.id) == 1
    assert hq_count(hq_engine, hs.accounts, id=account.id) == 1
    same_rows(one, hq_engine, "desk_payments", "order_id", [order.id])
    assert len(hq_rows(hq_engine, "desk_payments", "order_id", [order.id])) == 2

    # the whole journal again, at once: acknowledged, nothing projected
    before = snapshot(hq_engine)
    entries = one.syncer._pending(0, 500)
    assert any(e.type == EventType.ORDER_OPENED for e in entries)
    ack = one.client.push("S01", "T01", entries, datetime.now(UTC))
    assert (ack["stored"], ack["repeated"]) == (0, len(entries))
    assert snapshot(hq_engine) == before
    with api(hq, one) as http:
        body = http.get(f"/v1/desk/orders/{order.number}").json()
    assert body["order"]["paid_minor"] == cents(one, half(total)) + 500


# ================================================================== lanes that lie


def _order_payment(
    lane: Lane, order_id: str, number: str, jane: str, amount: int, tenders: list[dict[str, Any]], balance: int
) -> dict[str, Any]:
    """An OrderPaymentTaken body as the desk writes it, with the amounts given."""
    maria = lane.store.user("Maria")
    with lane.store.uow() as uow:
        number_p = uow.desk.next_number(lane.store.terminal, "payment")
    p = DeskPayment(
        id=str(uuid.uuid4()),
        number=number_p,
        purpose=Purpose.ORDER_PAYMENT,
        amount=Decimal(amount) / 100,
        at=lane.store.clock.now(),
        user_id=maria.id,
        terminal_id="T01",
        customer_id=jane,
        order_id=order_id,
        reference=number,
    )
    fields = payment_fields(p, lane.store.cfg.currency)
    return {
        "order_id": order_id,
        "number": number,
        "customer_id": jane,
        "payment": {**fields, "tenders": tenders},
        "balance": balance,
        "user": maria.id,
    }


@pytest.mark.parametrize(
    ("lie", "rule", "words"),
    [
        ("balance", "balance", "says 0 is left to pay"),
        ("tenders", "settlement", "the tenders pay 500, the payment is 1000"),
        ("negative", "negative", "it may not be negative"),
    ],
)
def test_a_desk_entry_that_lies_about_an_amount_is_refused_and_nothing_of_it_is_stored(
    make_lane: Callable[..., Lane], hq_engine: Engine, lie: str, rule: str, words: str
) -> None:
    one = make_lane("T01")
    jane, maria = customer(one), one.store.user("Maria")
    sofa = one.store.item_in("home-kitchen", 1)
    lines = [OrderLine(1, sofa, 2)]
    total, _ = order_total(lines, one.store.cfg)
    order = open_order(
        maria, OrderKind.LAYAWAY, jane, lines, [cash(half(total))], rules=DeskConfig().rules, **kw(one)
    ).order
    account = open_account(one.store.user("Dana"), jane, Decimal("100.00"), **kw(one))
    sync(one)
    head = hq_journal(hq_engine, "T01")[-1]
    owed = cents(one, order.balance)
    cash_t = lambda n: {"kind": "cash", "amount": n, "tendered": n}  # noqa: E731
    if lie == "balance":  # pays 10.00 and says the order is paid off
        kind, body = (
            EventType.ORDER_PAYMENT_TAKEN,
            _order_payment(one, order.id, order.number, jane, 1000, [cash_t(1000)], 0),
        )
    elif lie == "tenders":  # a payment of 10.00 paid by 5.00 of cash
        kind, body = (
            EventType.ORDER_PAYMENT_TAKEN,
            _order_payment(one, order.id, order.number, jane, 1000, [cash_t(500)], owed - 1000),
        )
    else:  # a payment on account of -5.00: it would add to what is owed, and hand out cash
        pid = str(uuid.uuid4())
        fields = {"payment_id": pid, "number": "S01-T01-P09999", "purpose": "account_payment", "amount": -500,
                  "currency": "USD", "customer_id": jane, "order_id": None, "account_id": account.id,
                  "original_sale_id": None, "voucher_code": None, "reference": account.number, "user": maria.id,
                  "terminal": "T01"}  # fmt: skip
        refund_like = {**cash_t(-500), "card_brand": None, "card_last4": None, "approval_code": None}
        kind, body = EventType.ACCOUNT_PAYMENT_TAKEN, {
            "account_id": account.id, "number": account.number, "customer_id": jane, "payment_id": pid,
            "payment_number": "S01-T01-P09999", "amount": -500, "tenders": [refund_like], "desk_payment": fields,
            "owed_after": 500, "user": maria.id,
        }  # fmt: skip
    with one.store.uow() as uow:  # the lane's own journal, chained and sealed: only its body lies
        entry = uow.journal.append(kind, body, one.store.clock.now())
        uow.commit()
    status = one.syncer.cycle()
    assert status.problem == f"HQ refused journal entry {entry.seq} ({rule}); call support"
    assert hq_journal(hq_engine, "T01")[-1] == head  # nothing of the push was stored
    assert hq_count(hq_engine, hs.desk_payments, order_id=order.id) == 1
    assert hq_count(hq_engine, hs.account_entries, account_id=account.id) == 0
    assert alert_kinds(hq_engine)[-1] == f"entry_refused:{rule}"
    with hq_engine.connect() as conn:
        detail = conn.execute(select(hs.alerts.c.detail).order_by(hs.alerts.c.id.desc()).limit(1)).scalar_one()
    assert f"Entry {entry.seq} breaks the rule '{rule}'" in detail and words in detail, detail
