"""A lane's card payments through the integrated terminal, pushed to HQ (real store file,
real uvicorn, real PostgreSQL, the ZVT simulator over TCP): HQ accepts the card requests,
answers and ends of day verbatim, and a card refund paid as store credit instead issues its
voucher chain-wide, so another lane can spend it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from counter.journal import EventType
from counter.payments.card_day import close_terminal_day
from counter.payments.card_refunds import CloseCardRefund, close_refund_otherwise
from counter.returns.policy import ApprovalKind
from counter.trust.approvals import grant_approval
from devices.payment.zvt import ZvtTerminal
from devices.sim.zvt_terminal import Fault, SimZvtTerminal
from tests.conftest import FAST_HASHER
from tests.db import test_card_requests as cards
from tests.db.test_card_requests import card_return, card_sale, deps
from tests.hq.conftest import Lane
from tests.hq.test_part_payments_at_hq import hq_balance, hq_types
from tests.hq.test_people_sync import balance, sync

pytestmark = pytest.mark.slow
sim, terminal = cards.sim, cards.terminal  # the simulator and a client to it, as fixtures here too


def test_card_requests_refunds_and_the_terminals_day_are_accepted_at_hq(
    make_lane: Callable[..., Lane], hq_engine: Engine, sim: SimZvtTerminal, terminal: ZvtTerminal
) -> None:
    one, two = make_lane("T01"), make_lane("T02")
    shop = one.store
    sale = card_sale(shop, terminal, "apparel")
    sim.fault = Fault.DECLINED
    record, (outcome,) = card_return(shop, terminal, sale, 0)
    assert not outcome.approved
    with shop.read_uow() as uow:
        (owed,) = uow.cards.open_refunds(shop.terminal.terminal_id)
    close = CloseCardRefund(shop.user("Maria"), record.id, owed.seq, "store_credit")
    amount = shop.cfg.currency.from_minor(owed.amount_minor)
    grant_approval(
        request_id=close.request_id, kinds=[ApprovalKind.CARD_REFUND_OTHER_WAY], amount=amount,
        requester=shop.user("Maria"), approver_id=shop.user("Dana").id, pin="3333", reason="card expired",
        uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock, currency_minor=shop.cfg.currency.to_minor,
    )  # fmt: skip
    settle = {"uow_factory": shop.uow, "clock": shop.clock, "store": shop.cfg, "terminal": shop.terminal}
    closed = close_refund_otherwise(close, **settle)
    assert closed.voucher is not None
    close_terminal_day(shop.user("Dana"), **deps(shop, terminal))
    sync(one, two)
    kinds = hq_types(hq_engine, "T01")
    for kind in (
        EventType.CARD_REQUEST_SENT,
        EventType.CARD_REQUEST_SETTLED,
        EventType.CARD_REFUND_CLOSED,
        EventType.CARD_DAY_CLOSED,
    ):
        assert str(kind) in kinds
    assert hq_balance(hq_engine, closed.voucher) == owed.amount_minor
    assert balance(two, closed.voucher) == amount  # the other lane can spend it
