"""A return in three steps (issue #15): quoted in a read, reserved at HQ with no transaction
open, written in one unit of work that quotes again. What the screen quotes is what the
command refunds, and a refund that changed while HQ was asked is refused, with nothing
recorded and the reservation given back."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from counter.catalog import Item
from counter.returns.model import ProcessReturn, ReturnError
from counter.returns.policy import ApprovalKind, Condition
from counter.returns.process import process_return, quote_draft
from counter.returns.refunds import RefundMethod
from counter.store import StoreConfig
from counter.sync.upstream import ChainNoReceipt, NoReceiptHold, Reservation, ReservedLine
from db import schema as s
from db.queries import return_policies, save_policies
from tests.db.support import TestStore, approve
from tests.db.test_return_rules import no_receipt, sell_discounted, unsold_item
from tests.db.test_returns_store_rules import FakeHq, receipted, shirt_sale

D = Decimal


def returns(shop: TestStore) -> int:
    with shop.db.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(s.returns)).scalar_one())


def take(shop: TestStore, cmd: ProcessReturn, hq: FakeHq | None = None, store: StoreConfig | None = None):  # type: ignore[no-untyped-def]
    return process_return(
        cmd,
        uow_factory=shop.uow,
        read_uow_factory=shop.read_uow,
        clock=shop.clock,
        store=store or shop.cfg,
        terminal=shop.terminal,
        rules=shop.rules,
        upstream=hq,
    )


def test_what_the_screen_quotes_is_what_the_command_refunds(shop: TestStore) -> None:
    sale = shirt_sale(shop)
    cmd = receipted(shop, sale.receipt_number, [(sale.lines[0].id, 2)], method=RefundMethod.STORE_CREDIT)
    with shop.read_uow() as uow:
        q = quote_draft(uow, cmd, store=shop.cfg, terminal=shop.terminal, rules=shop.rules, clock=shop.clock)
    assert [ln.request.quantity for ln in q.lines] == [2] and q.refund_total == D("21.63")  # 2 x 9.99 + 8.25 %
    record = take(shop, cmd)
    assert record.quote.refund_total == q.refund_total


class PolicyChangedMeanwhile(FakeHq):
    """HQ answers slowly; meanwhile a manager adds a restocking fee to the item's category."""

    def __init__(self, shop: TestStore, category: str) -> None:
        super().__init__(shop)
        self.shop, self.category = shop, category

    def reserve(self, reservation: Reservation) -> list[ReservedLine]:
        if not self.category:
            return super().reserve(reservation)
        policy = next(p for _, p in return_policies(self.shop.db.read) if p.category_id == self.category)
        changed = dataclasses.replace(policy, restocking_fee_percent=D(15))
        with self.shop.uow() as uow:
            save_policies(uow, [changed], self.shop.rules)
            uow.commit()
        return super().reserve(reservation)


def test_a_refund_that_changed_while_hq_was_asked_is_refused_and_its_reservation_given_back(shop: TestStore) -> None:
    sale = shirt_sale(shop)
    category = shop.item_in("apparel").category_id
    hq = PolicyChangedMeanwhile(shop, category)
    cmd = receipted(shop, sale.receipt_number, [(sale.lines[0].id, 1)], condition=Condition.OPENED)
    before = returns(shop)
    with pytest.raises(ReturnError) as refused:
        take(shop, cmd, hq)
    assert refused.value.message.startswith(
        "The refund changed while HQ was asked, from $10.81 to $9.19"
    )  # 32.44 / 3; less 15 % of it
    assert refused.value.hint == "Nothing was recorded: look the receipt up again."
    assert returns(shop) == before and len(hq.reserved) == 1
    assert hq.released == [hq.reserved[0].return_id]  # HQ is told to let the reservation go
    hq.category = ""  # (no more changes)
    # looked up again (the fee now applies to what the screen quotes), it goes through
    record = take(shop, cmd, hq)
    assert record.quote.refund_total == D("9.19") and returns(shop) == before + 1


def test_a_draft_without_a_receipt_is_quoted_at_the_lowest_recent_price_with_the_store_rules(shop: TestStore) -> None:
    from counter.returns.model import CustomerId, ReturnLineRequest
    from counter.returns.policy import Reason

    shirt = shop.item_in("apparel")
    cmd = ProcessReturn(
        request_id="nr-1",
        cashier=shop.user("Dana"),
        lines=(ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, item=shirt, unit_price=shirt.price),),
        refund_method=RefundMethod.STORE_CREDIT,
        id_document=CustomerId.checked("Passport", "X1234567"),
    )
    with shop.read_uow() as uow:
        q = quote_draft(uow, cmd, store=shop.cfg, terminal=shop.terminal, rules=shop.rules, clock=shop.clock)
    assert [ln.gross for ln in q.lines] == [D("10.81")]  # 9.99 + 8.25 %: it sold at the shelf price lately
    assert q.refund_total == D("10.81") and not q.refused


def test_another_lanes_receipt_is_quoted_from_what_hq_sent(shop: TestStore) -> None:
    from counter.sync.upstream import RemoteSale

    sale = shirt_sale(shop)
    elsewhere = dataclasses.replace(sale, id="sale-of-lane-2", receipt_number="S01-T02-000777", terminal_id="T02")
    cmd = receipted(shop, elsewhere.receipt_number, [(elsewhere.lines[0].id, 1)])
    kw = dict(store=shop.cfg, terminal=shop.terminal, rules=shop.rules, clock=shop.clock)
    with shop.read_uow() as uow:
        q = quote_draft(uow, cmd, remote=RemoteSale(elsewhere), **kw)  # type: ignore[arg-type]
        assert q.refund_total == D("10.81")
        with pytest.raises(ReturnError, match="S01-T02-000777"):  # not in this store file
            quote_draft(uow, cmd, **kw)  # type: ignore[arg-type]


class SoldCheaperMeanwhile(FakeHq):
    """HQ answers slowly about the customer's returns without a receipt; meanwhile the item
    sells at half price, which lowers what a return without a receipt refunds."""

    def __init__(self, shop: TestStore, item: Item) -> None:
        super().__init__(shop)
        self.shop, self.item = shop, item

    def hold_no_receipt(self, hold: NoReceiptHold) -> ChainNoReceipt:
        answer = super().hold_no_receipt(hold)
        if len(self.held) == 1:
            sell_discounted(self.shop, self.item, "50")
        return answer


def test_a_no_receipt_refund_that_changed_while_hq_was_asked_is_refused_and_its_hold_given_back(
    shop: TestStore,
) -> None:
    toy = unsold_item(shop, "toys-games")
    hq = SoldCheaperMeanwhile(shop, toy)
    cmd = no_receipt(shop, [(toy, 1, toy.price)], "P7788990")
    assert toy.price == D("24.99")  # 27.05 with its tax; half price: 13.52
    approve(shop, cmd, {ApprovalKind.NO_RECEIPT}, D("27.05"))
    before = returns(shop)
    with pytest.raises(ReturnError) as refused:
        take(shop, cmd, hq)
    # the supervisor approved 27.05: the approval no longer covers it, and nothing is taken
    assert refused.value.message == "The approval was for $27.05; the refund is now $13.52."
    (held,) = hq.held
    assert hq.released == [held.return_id] and returns(shop) == before
