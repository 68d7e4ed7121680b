"""A layaway opened at T01 is paid at T02 in T02's real window (issue #17, point 2): the real
app under Xvfb on T02's enrolled store file, its sync worker talking to the real HQ on the
real PostgreSQL, keys from xdotool at a person's speed, at 1024×768 and 1920×1080. T01 picks
the layaway up afterwards for exactly what is left, and both journals verify."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from counter.desk.orders import OrderKind, OrderLine, open_order, order_total, pick_up_order
from counter.desk.service import DeskConfig
from hq.serve import RunningHq
from tests.e2e.conftest import App, Screen, app, screen  # noqa: F401 - the real window's fixtures
from tests.e2e.test_real_keys import query, sign_in, wait_for
from tests.hq.conftest import Lane
from tests.hq.test_desk_at_hq import cash, customer, kw, sync
from tests.hq.test_no_receipt_across_lanes import verified

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("screen", [(1024, 768), (1920, 1080)], indirect=True, ids=["1024x768", "1920x1080"])
def test_a_layaway_opened_at_t01_is_paid_by_keyboard_in_t02s_window_and_picked_up_at_t01(  # noqa: F811
    screen: Screen,  # noqa: F811
    app: Callable[..., App],  # noqa: F811
    make_lane: Callable[..., Lane],
    hq_engine: Engine,
    hq: RunningHq,
    tmp_path: Path,
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    jane = customer(one)
    bike = max((one.store.item_in("sporting-goods", n) for n in range(5)), key=lambda i: i.price)
    total, _tax = order_total([OrderLine(1, bike, 1)], one.store.cfg)
    opened = open_order(
        one.store.user("Maria"), OrderKind.LAYAWAY, jane, [OrderLine(1, bike, 1)], [cash(Decimal("10.00"))],
        rules=DeskConfig().rules, **kw(one),
    ).order  # fmt: skip
    sync(one, two)  # T02 holds the layaway before its window opens
    two.store.close()

    a = app(two.folder)
    sign_in(screen, a, "Maria", "1111")
    screen.key("ctrl+u")
    time.sleep(0.8)
    screen.type(opened.number + "\n", 90)  # the number on the customer's agreement
    time.sleep(1.0)
    screen.screenshot(tmp_path / "1-found.png")
    screen.key("F9")
    time.sleep(0.8)
    screen.type("4", 120)  # payment on a layaway or special order
    time.sleep(0.8)
    screen.screenshot(tmp_path / "2-amount.png")
    screen.type("5.00\n", 90)
    time.sleep(0.8)
    screen.screenshot(tmp_path / "3-tender.png")
    screen.key("c")  # cash
    time.sleep(0.8)
    screen.type("\n", 120)  # exact
    rows = wait_for(
        "T02's payment on T01's layaway",
        lambda: query(
            a.data_dir,
            "SELECT number, amount_minor FROM desk_payments WHERE order_id = ? AND terminal_id = 'T02'",
            opened.id,
        ),
    )
    time.sleep(0.8)
    screen.screenshot(tmp_path / "4-paid.png")
    assert rows[0][0].startswith("S01-T02-P") and rows[0][1] == 500, rows
    assert "Traceback" not in a.log.read_text(errors="replace")

    # T02's own worker sends it to HQ; T01 pulls it and takes exactly the rest at pick-up
    def at_one() -> bool:
        sync(one)
        with one.store.uow() as uow:
            held = uow.desk.get_order(opened.id)
        return held is not None and held.paid == Decimal("15.00")

    wait_for("T02's payment to reach T01 through HQ", at_one, timeout=60)
    done = pick_up_order(one.store.user("Maria"), opened.id, [cash(total - Decimal("15.00"))], Decimal(0), **kw(one))
    assert done.sale is not None and done.sale.total == total
    sync(one)
    a.proc.terminate()
    a.proc.wait(timeout=15)
    from tests.db.support import TestStore

    two.store = TestStore(two.folder)
    sync(two)
    verified(hq_engine, one, two)
