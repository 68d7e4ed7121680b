"""Part payments and the voids that gave them back, pushed to HQ (real store files, real
uvicorn, real PostgreSQL): HQ's ingest accepts the new entries, stores them verbatim and
moves the voucher's balance with them (redeemed by the part payment, restored by the void,
not redeemed twice by the sale that completes with one), so the other lane sees the same
balance; a forged part payment is refused and alerted."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from counter.sales.checkout import CompleteSale, complete_sale
from hq import schema as hs
from hq.serve import RunningHq
from tests.db.test_part_payment_voids import VISA, open_sale, taken, void
from tests.hq.conftest import Lane, hq_count
from tests.hq.test_hostile_ingest import Rogue, alert_kinds
from tests.hq.test_people_sync import balance, sync

pytestmark = pytest.mark.slow
D = Decimal


def hq_balance(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(hs.vouchers.c.balance_minor).where(hs.vouchers.c.code == code)).scalar_one())


def hq_types(engine: Engine, terminal: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(hs.journal.c.type).where(hs.journal.c.terminal_id == terminal).order_by(hs.journal.c.seq)
            ).scalars()
        )


def test_part_payments_a_void_and_a_part_paid_sale_are_accepted_and_move_the_voucher_once(
    make_lane: Callable[..., Lane], hq_engine: Engine
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    record = one.take_return(one.sell([("apparel", 2)]), [(0, 2)])  # store credit on a new voucher
    code = record.voucher_code
    assert code is not None
    credit = balance(one, code)
    assert credit is not None and credit > D("10.00")
    sync(one, two)
    shop = two.store

    # a sale part paid in cash, by card and from the voucher, then voided: all given back
    cart, payment = open_sale(shop, "small-appliances")
    taken(shop, payment, payment.add_cash(D("5.00"), part_payment=True))
    taken(shop, payment, payment.add_card(D("4.00"), VISA))
    taken(shop, payment, payment.add_store_credit(D("3.00"), code, credit))
    void(shop, cart, payment)
    # a sale part paid from the voucher, then completed by card
    cart, paid = open_sale(shop, "small-appliances")
    taken(shop, paid, paid.add_store_credit(D("2.00"), code, credit))
    paid.add_card(paid.remaining, VISA)
    cmd = CompleteSale(
        shop.user("Maria"), cart.lines, None, paid.tenders, paid.rounding, sale_id=paid.sale_id,
        part_payments=paid.recorded,
    )  # fmt: skip
    complete_sale(cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    assert balance(two, code) == credit - D("2.00")

    sync(two, one)
    types = hq_types(hq_engine, "T02")
    assert types.count("PartPaymentTaken") == 4 and types.count("SaleVoided") == 1
    assert hq_count(hq_engine, hs.alerts) == 0
    assert hq_balance(hq_engine, code) == two.store.cfg.currency.to_minor(credit - D("2.00"))
    with hq_engine.connect() as conn:
        moves = conn.execute(
            select(hs.voucher_movements.c.amount_minor, hs.voucher_movements.c.reference)
            .where(hs.voucher_movements.c.voucher_code == code, hs.voucher_movements.c.terminal_id == "T02")
            .order_by(hs.voucher_movements.c.seq)
        ).all()
    assert [(int(a), r) for a, r in moves] == [
        (-300, payment.sale_id),
        (300, payment.sale_id),
        (-200, paid.sale_id),
    ]
    assert hq_count(hq_engine, hs.sales, id=paid.sale_id) == 1
    assert hq_count(hq_engine, hs.sale_tenders, sale_id=paid.sale_id) == 2
    assert balance(one, code) == credit - D("2.00")  # the other lane, through HQ
    assert hq_count(hq_engine, hs.exceptions) == 0


def test_a_forged_part_payment_is_refused_and_alerted_and_a_true_one_stored(hq: RunningHq, hq_engine: Engine) -> None:
    lane = Rogue(hq, hq_engine, "S01", "T66")  # a terminal speaking raw HTTP with its own chain
    try:
        _push_forged_then_true(lane, hq_engine)
    finally:
        lane.http.close()


def _push_forged_then_true(lane: Rogue, hq_engine: Engine) -> None:
    forged = part_body()
    forged["tender"]["tendered"] = 900  # change on a part payment: no lane writes that
    answer = lane.push(("PartPaymentTaken", forged))
    assert answer.status_code == 422, answer.text
    assert (answer.json()["error"], answer.json()["rule"]) == ("entry_refused", "part_payment"), answer.text
    assert alert_kinds(hq_engine) == ["entry_refused:part_payment"]
    assert hq_types(hq_engine, "T66") == []
    true = part_body()
    given = {"seq": 1, **true["tender"]}
    voided = {
        "user": "u-supervisor", "lines": 1, "total": 2163, "sale_id": true["sale_id"], "void_number": "S01-T66-V000001",
        "part_payments": 1, "given_back": [given], "request_id": "r-1",
    }  # fmt: skip
    answer = lane.push(("PartPaymentTaken", true), ("SaleVoided", voided))
    assert answer.status_code == 200, answer.text
    assert hq_types(hq_engine, "T66") == ["PartPaymentTaken", "SaleVoided"]


def part_body() -> dict[str, object]:
    return {
        "sale_id": str(uuid.uuid4()),
        "seq": 1,
        "user": "u-cashier-1",
        "currency": "USD",
        "total": 2163,
        "tender": {"kind": "cash", "amount": 500, "tendered": 500, "card_brand": None, "card_last4": None,
                   "approval_code": None},
    }  # fmt: skip
