"""Run by tests/trust/test_card_after_crash.py in a subprocess: on a store, against the card
terminal at ``zvt+tcp://127.0.0.1:PORT`` (the simulator lives in the test's process and
outlives this one), take card payments for sales, or card refunds for returns of them, one
after the other, printing a line after each; the test SIGKILLs this process at a random
moment and checks what the next start finds.

    python -m tests.trust.card_then_crash STORE_DIR PORT sale|refund
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

from counter.payments.card_refunds import send_refunds
from counter.payments.card_sale import ChargeCard, charge_card
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.tenders import Payment
from devices.payment import open_terminal
from tests.trust.lane_store import LaneStore as TestStore  # no tests.conftest: the parent's key stays


def card_sale(shop: TestStore, terminal: object) -> object:
    cart = Cart(shop.cfg.currency, shop.cfg.prices_include_tax)
    for category in ("apparel", "home-kitchen"):
        cart.add(shop.item_in(category), 1)
    payment = Payment(cart.total, shop.cfg.currency, shop.cfg.smallest_coin)
    deps = {"uow_factory": shop.uow, "clock": shop.clock, "store": shop.cfg, "terminal": shop.terminal}
    cmd = ChargeCard(shop.user("Maria"), payment.sale_id, 1, payment.total, payment.total)
    payment.tenders.append(charge_card(cmd, **deps, card_terminal=terminal).tender)  # type: ignore[arg-type]
    payment.recorded = 1
    return complete_sale(
        CompleteSale(shop.user("Maria"), cart.lines, None, payment.tenders, payment.rounding, None,
                     sale_id=payment.sale_id, part_payments=1),
        **deps,
    )  # fmt: skip


def card_refund(shop: TestStore, terminal: object, sale: object, line: int) -> None:
    deps = {"uow_factory": shop.uow, "clock": shop.clock, "store": shop.cfg, "terminal": shop.terminal}
    cmd = ProcessReturn(
        str(uuid.uuid4()), shop.user("Maria"),
        (ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, sale.lines[line].id),),  # type: ignore[attr-defined]
        RefundMethod.ORIGINAL, original_receipt=sale.receipt_number,  # type: ignore[attr-defined]
    )  # fmt: skip
    record = process_return(cmd, **deps, rules=shop.rules, card_terminal=terminal)  # type: ignore[arg-type]
    send_refunds(record.id, shop.user("Maria"), **deps, card_terminal=terminal)  # type: ignore[arg-type]


def main(store: Path, port: int, what: str) -> int:
    shop = TestStore(store)
    terminal = open_terminal(f"zvt+tcp://127.0.0.1:{port}")
    sales = [card_sale(shop, terminal) for _ in range(4)] if what == "refund" else []
    print("ready", flush=True)
    for n in range(200 if what == "sale" else 2 * len(sales)):  # each sale has two lines to return
        if what == "sale":
            card_sale(shop, terminal)
        else:
            card_refund(shop, terminal, sales[n % len(sales)], n // len(sales))
        print(n, flush=True)
    time.sleep(60)  # the test kills it
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
