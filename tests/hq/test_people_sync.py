"""Customers and store-credit balances reach every lane of the store through HQ (real
store files, real uvicorn, real PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cli.journal import verify_report
from cli.main import main as cli_main
from counter.desk.customers import Address, ContactDetails, Customer, create_customer, update_customer
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.sale import Sale
from counter.sales.tenders import Payment
from counter.sales.vouchers import VoucherError
from db import schema as ls
from db.desk_queries import customer_history, customer_summary, find_customers, get_customer
from hq import schema as hs
from tests.hq.conftest import Lane, hq_count

pytestmark = pytest.mark.slow


def new_customer(lane: Lane, name: str, phone: str, email: str) -> Customer:
    details = ContactDetails.checked(
        name, phone, email, address=Address("12 Elm Street", "", "Riverton", "IL", "62704")
    )
    return create_customer(lane.store.user("Maria"), details, uow_factory=lane.store.uow, clock=lane.store.clock)


def sell_to(lane: Lane, who: Customer) -> Sale:
    cart = Cart(lane.store.cfg.currency, lane.store.cfg.prices_include_tax)
    cart.add(lane.store.item_in("apparel"), 1)
    payment = Payment(cart.total, lane.store.cfg.currency, lane.store.cfg.smallest_coin)
    payment.add_cash(payment.cash_due)
    cmd = CompleteSale(
        lane.store.user("Maria"), cart.lines, None, payment.tenders, payment.rounding, customer_id=who.id
    )
    return complete_sale(
        cmd, uow_factory=lane.store.uow, clock=lane.store.clock, store=lane.store.cfg, terminal=lane.store.terminal
    )


def change(lane: Lane, who: Customer, **fields: object) -> Customer:
    current = get_customer(lane.store.db.read, who.id)
    assert current is not None
    values = {
        "name": current.name,
        "phone": current.phone,
        "email": current.email,
        "address": current.address,
        **fields,
    }
    details = ContactDetails.checked(**values)  # type: ignore[arg-type]
    lane.store.clock.advance(seconds=5)
    return update_customer(
        lane.store.user("Maria"), who.id, details, "asked", uow_factory=lane.store.uow, clock=lane.store.clock
    )


def balance(lane: Lane, code: str) -> Decimal | None:
    with lane.store.uow() as uow:
        return uow.vouchers.balance(code)


def sync(*lanes: Lane) -> None:
    for lane in lanes:
        status = lane.syncer.cycle()
        assert status.online and not status.problem, status


def test_a_customer_made_at_one_lane_is_found_at_another_with_their_history(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    jane = new_customer(one, "Jane Okafor", "(217) 555-0175", "jane.okafor@example.com")
    sale = sell_to(one, jane)  # the desk attached Jane to the sale
    assert find_customers(two.store.db.read, "555-0175") == []
    sync(one, two)
    found = find_customers(two.store.db.read, "555-0175")
    assert [c.id for c in found] == [jane.id]
    assert found[0].name == "Jane Okafor" and found[0].email == "jane.okafor@example.com"
    assert found[0].address is not None and found[0].address.line1 == "12 Elm Street"
    # her history at lane 2 lists the purchase made at lane 1 (its links came from HQ)
    history = customer_history(two.store.db.read, jane.id, two.store.cfg.currency)
    assert [(h.kind, h.number, h.amount) for h in history] == [("purchase", sale.receipt_number, sale.total)]
    assert sale.lines[0].name in history[0].text
    assert [c.id for c in find_customers(two.store.db.read, sale.receipt_number)] == [jane.id]
    # HQ holds the details (sent apart from the journal, which never has them) ...
    with hq_engine.connect() as conn:
        row = conn.execute(select(hs.customers).where(hs.customers.c.id == jane.id)).mappings().one()
    assert row["name"] == "Jane Okafor" and row["origin_terminal"] == "T01" and row["store_id"] == "S01"
    with one.store.db.read.connect() as conn:
        bodies = conn.execute(select(ls.journal.c.body).where(ls.journal.c.type == "CustomerCreated")).scalars()
        # the phone as typed and as stored (digits only); a bare "0175" turns up in random ids
        assert not any("Okafor" in b or "555-0175" in b or "5550175" in b for b in bodies)
    # ... and a change at lane 2 reaches lane 1 as history (one change row, the old name kept)
    change(two, jane, name="Jane Okafor-Reyes")
    sync(two, one)
    back = get_customer(one.store.db.read, jane.id)
    assert back is not None and back.name == "Jane Okafor-Reyes"
    with one.store.db.read.connect() as conn:
        changes = conn.execute(
            select(ls.customer_changes.c.field, ls.customer_changes.c.old_value, ls.customer_changes.c.reason).where(
                ls.customer_changes.c.customer_id == jane.id
            )
        ).all()
    assert changes == [("name", "Jane Okafor", "from HQ")]


def test_a_newer_local_change_is_not_overwritten_by_an_older_pulled_one(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    sam = new_customer(one, "Sam Lee", "(217) 555-0176", "sam.lee@example.com")
    sync(one, two)
    # lane 2 changes the e-mail first (and syncs); lane 1 changes the name later, offline
    change(two, sam, email="sam@example.org")
    sync(two)
    one.store.clock.advance(seconds=30)
    change(one, sam, name="Samuel Lee")
    one.syncer.pull_all()  # a pull before lane 1 pushed: HQ's version is older than lane 1's
    mine = get_customer(one.store.db.read, sam.id)
    assert mine is not None and mine.name == "Samuel Lee" and mine.email == "sam.lee@example.com"
    sync(one, two)  # lane 1's newer change goes up and wins at HQ, then reaches lane 2
    theirs = get_customer(two.store.db.read, sam.id)
    assert theirs is not None and theirs.name == "Samuel Lee"
    with hq_engine.connect() as conn:
        name = conn.execute(select(hs.customers.c.name).where(hs.customers.c.id == sam.id)).scalar_one()
    assert name == "Samuel Lee"


def test_a_voucher_redeemed_at_one_lane_shows_the_lower_balance_at_the_other(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    sale = one.sell([("apparel", 2)])
    record = one.take_return(sale, [(0, 2)])  # refunded as store credit on a new voucher
    code = record.voucher_code
    assert code is not None
    credit = balance(one, code)
    assert credit is not None and credit > 0
    assert balance(two, code) is None
    sync(one, two)
    assert balance(two, code) == credit
    item = two.store.item_in("toys-games")
    spend = min(credit, item.price)
    two.store.sell([(item, 1)], voucher=(code, spend, credit))
    assert balance(two, code) == credit - spend
    sync(two, one)
    assert balance(one, code) == credit - spend
    with hq_engine.connect() as conn:
        held = conn.execute(select(hs.vouchers.c.balance_minor).where(hs.vouchers.c.code == code)).scalar_one()
    assert held == one.store.cfg.currency.to_minor(credit - spend)
    # pulling again adds nothing twice
    sync(one, two)
    with two.store.db.read.connect() as conn:
        moves = conn.execute(
            select(func.count()).select_from(ls.voucher_movements).where(ls.voucher_movements.c.voucher_code == code)
        ).scalar_one()
    assert moves == 2
    assert hq_count(hq_engine, hs.exceptions) == 0


def test_a_voucher_spent_offline_at_two_lanes_beyond_its_balance_is_an_exception(
    make_lane: Callable[..., Lane],
    hq_engine: Engine,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    sale = one.sell([("apparel", 2)])
    code = one.take_return(sale, [(0, 2)]).voucher_code
    assert code is not None
    sync(one, two)
    credit = balance(two, code)
    assert credit is not None
    one.go_offline()
    two.go_offline()
    item = one.store.item_in("apparel", 3)
    qty = int(credit // item.price) + 1  # enough to take the whole credit at each lane
    take = credit
    one.store.sell([(item, qty)], voucher=(code, take, credit))
    two.store.sell([(item, qty)], voucher=(code, take, credit))
    one.go_online()
    two.go_online()
    sync(one, two, one)
    with hq_engine.connect() as conn:
        flagged = conn.execute(
            select(hs.exceptions.c.kind, hs.exceptions.c.terminal_id, hs.exceptions.c.sale_line_id)
        ).all()
        moves = conn.execute(
            select(func.count()).select_from(hs.voucher_movements).where(hs.voucher_movements.c.voucher_code == code)
        ).scalar_one()
    assert flagged == [("voucher_overdrawn", flagged[0][1], code)]
    assert moves == 3  # the issue and both redemptions: both lanes' records kept
    # both lanes now see what HQ sees, and the voucher pays nothing more
    assert balance(one, code) == -credit and balance(two, code) == -credit
    with pytest.raises(VoucherError, match="holds only"):
        one.store.sell([(item, 1)], voucher=(code, Decimal("0.01"), Decimal("0.01")))
    capsys.readouterr()
    assert cli_main(["hq", "report", "--database-url", pg_url, "--data-dir", str(tmp_path)]) == 0
    report = capsys.readouterr().out
    assert f"voucher {code} overdrawn: 21.63 redeemed by S01-T0" in report and "1 exception(s)" in report
    # a person can act on it: the redeeming receipt, the return that issued it, both lanes
    assert "issued by S01-T01-R0" in report and "lanes S01-T01, S01-T02" in report


def test_customer_details_are_refused_when_malformed_or_unauthenticated(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    import httpx

    lane = make_lane("T01")
    before = hq_count(hq_engine, hs.customers)  # the demo store's own customers, sent on enrolment
    url = lane.online_url + "/v1/customers"
    anonymous = httpx.post(url, json={"customers": []}, timeout=5)
    assert anonymous.status_code == 401
    auth = {"Authorization": f"Bearer {lane.config.token}"}
    bad = httpx.post(url, json={"customers": [{"id": "x", "name": ""}]}, headers=auth, timeout=5)
    assert bad.status_code == 422 and bad.json()["error"] == "malformed"
    stamp = "2026-11-25T10:00:00.000000Z"
    card = {"id": "c-card", "name": "Pat Doe", "created_at": stamp, "created_by": "u-cashier-1", "updated_at": stamp}
    card["address"] = {"line1": "4111 1111 1111 1111", "city": "Springfield"}
    refused = httpx.post(url, json={"customers": [card]}, headers=auth, timeout=5)
    assert refused.status_code == 422 and refused.json()["error"] == "card_data", refused.text
    assert "4111" not in refused.text
    assert hq_count(hq_engine, hs.customers) == before


def test_a_customers_store_credit_given_at_one_lane_shows_at_another(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    ada = new_customer(one, "Ada Mensah", "(217) 555-0177", "ada.mensah@example.com")
    sale = one.sell([("apparel", 1)])
    cmd = ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=one.store.user("Dana"),
        lines=(ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, sale.lines[0].id),),
        refund_method=RefundMethod.STORE_CREDIT,
        original_receipt=sale.receipt_number,
        customer=ada.id,  # the desk attached Ada to the return
    )
    record = process_return(
        cmd,
        uow_factory=one.store.uow,
        clock=one.store.clock,
        store=one.store.cfg,
        terminal=one.store.terminal,
        rules=one.store.rules,
        upstream=one.upstream,
    )
    assert record.voucher_code is not None
    credit = balance(one, record.voucher_code)
    assert credit is not None and credit > 0
    sync(one, two)
    summary = customer_summary(two.store.db.read, ada.id, two.store.cfg.currency)
    assert summary.store_credit == credit
    history = customer_history(two.store.db.read, ada.id, two.store.cfg.currency)
    assert [(h.kind, h.number) for h in history] == [("return", record.return_number)]
    assert sale.lines[0].name in history[0].text


def test_a_customers_document_language_reaches_every_lane_and_verifies(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    """The language a customer reads their receipts in goes with their details: set at one lane,
    held by HQ, pulled by the other, changed there with a history row, and every chain verifies."""
    one, two = make_lane("T01"), make_lane("T02")
    details = ContactDetails.checked("Klaus Berger", "(217) 555-0188", "klaus@example.com", language="de")
    klaus = create_customer(one.store.user("Maria"), details, uow_factory=one.store.uow, clock=one.store.clock)
    sync(one, two)
    with hq_engine.connect() as conn:
        assert conn.execute(select(hs.customers.c.language).where(hs.customers.c.id == klaus.id)).scalar() == "de"
    pulled = get_customer(two.store.db.read, klaus.id)
    assert pulled is not None and pulled.language == "de"
    change(two, klaus, language="fr")
    sync(two, one)
    back = get_customer(one.store.db.read, klaus.id)
    assert back is not None and back.language == "fr"
    with one.store.db.read.connect() as conn:
        changes = conn.execute(
            select(ls.customer_changes.c.field, ls.customer_changes.c.old_value, ls.customer_changes.c.new_value).where(
                ls.customer_changes.c.customer_id == klaus.id
            )
        ).all()
    assert changes == [("language", "de", "fr")]
    for lane in (one, two):
        ok, lines = verify_report(lane.store.db)
        assert ok, lines
