"""counter.desk.adjustments' command on a real store, at what the flows in test_desk_flows leave
out: who may adjust, the refusals before anything is quoted (with their words), what the
record and the BillAdjusted entry carry (every field, amounts in cents), the shelf price
and the returns read from the store, and the drawer's cash as a limit."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from counter.desk.adjustments import AdjustBill, AdjustmentKind, adjust_bill
from counter.desk.customers import CustomerError
from counter.desk.payments import Purpose
from counter.desk.service import DeskConfig, DeskError
from counter.errors import CounterError
from counter.returns.model import ApprovalNeeded, ProcessReturn, ReturnError, ReturnLineRequest
from counter.returns.policy import ApprovalKind, Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from counter.sales.tenders import TenderKind
from db import schema as s
from tests.db.support import TestStore
from tests.db.test_desk_flows import adjust, approved, half_up, jane, last_body

TAX_A = Decimal("0.0825")


def refused(shop: TestStore, cmd: AdjustBill, error: type[CounterError] = DeskError) -> tuple[str, str]:
    with pytest.raises(error) as info:
        adjust(shop, cmd)
    return info.value.message, info.value.hint


def drop(shop: TestStore, receipt: str, line_id: str, quantity: int = 1, **kw: object) -> AdjustBill:
    fields: dict[str, object] = dict(
        request_id=str(uuid.uuid4()),
        cashier=shop.user("Maria"),
        kind=AdjustmentKind.PRICE_DROP,
        reason="  flyer price  ",
        receipt=receipt,
        sale_line_id=line_id,
        quantity=quantity,
    )
    fields.update(kw)
    return AdjustBill(**fields)  # type: ignore[arg-type]


def set_price(shop: TestStore, item_id: str, price: Decimal) -> None:
    with shop.db.write.begin() as conn:
        conn.execute(s.items.update().where(s.items.c.id == item_id).values(price_minor=int(price * 100)))


def test_the_refusals_before_any_quote(shop: TestStore) -> None:
    kettle = shop.item_in("small-appliances")
    sale = shop.sell([(kettle, 1)], card=Decimal("1e6"), cash=False)
    cmd = drop(shop, sale.receipt_number, sale.lines[0].id)
    gone = dataclasses.replace(shop.user("Maria"), active=False)
    assert refused(shop, dataclasses.replace(cmd, cashier=gone), ReturnError) == (
        "Maria Lopez may not adjust bills.",
        "Ask a supervisor.",
    )
    assert refused(shop, dataclasses.replace(cmd, customer_id="nobody"), CustomerError) == (
        "That customer is no longer on file.",
        "Look the customer up again.",
    )
    assert refused(shop, dataclasses.replace(cmd, sale_line_id="not-a-line")) == (
        f"That line is not on receipt {sale.receipt_number}.",
        "Pick the line again.",
    )
    with shop.db.read.connect() as conn:
        assert conn.execute(select(s.adjustments.c.id)).all() == []


def test_a_price_drop_reads_todays_shelf_price_and_journals_every_field(shop: TestStore) -> None:
    customer = jane(shop)
    kettle = shop.item_in("small-appliances")
    sale = shop.sell([(kettle, 3)], card=Decimal("1e6"), cash=False)
    (line,) = sale.lines
    cmd = drop(shop, sale.receipt_number, line.id, 2, customer_id=customer.id)
    assert refused(shop, cmd) == (
        f"{kettle.name} costs {shop.cfg.currency.format(kettle.price, shop.cfg.locale)} now; the customer paid "
        f"{shop.cfg.currency.format(kettle.price, shop.cfg.locale)} a unit, so there is nothing to give back.",
        "",
    )
    new_price = kettle.price - Decimal("3.00")
    set_price(shop, kettle.id, new_price)
    record, kinds, amount = approved(shop, cmd)
    net = Decimal("6.00")
    tax = half_up(net * TAX_A)
    assert (kinds, amount) == ({ApprovalKind.PRICE_ADJUSTMENT}, net + tax)
    q = record.quote
    assert (q.amount, q.tax, q.gross, q.unit_paid, q.unit_new, q.line_name) == (
        net,
        tax,
        net + tax,
        kettle.price,
        new_price,
        kettle.name,
    )
    assert (record.kind, record.sale_id, record.receipt, record.sale_line_id, record.quantity) == (
        AdjustmentKind.PRICE_DROP,
        sale.id,
        sale.receipt_number,
        line.id,
        2,
    )
    assert (record.reason, record.competitor, record.customer_id, record.at) == (
        "flyer price",
        "",
        customer.id,
        shop.clock.now(),
    )
    p = record.payment
    assert (p.purpose, p.amount, p.original_sale_id, p.reference, p.customer_id, p.voucher_code) == (
        Purpose.PRICE_ADJUSTMENT,
        net + tax,
        sale.id,
        record.id,
        customer.id,
        None,
    )
    assert record.voucher_code is None and record.number != p.number
    body = last_body(shop, "BillAdjusted")
    m = shop.cfg.currency.to_minor
    assert {k: v for k, v in body.items() if k not in ("refunds", "desk_payment")} == {
        "adjustment_id": record.id,
        "number": record.number,
        "payment_id": p.id,
        "payment_number": p.number,
        "request_id": cmd.request_id,
        "kind": "price_drop",
        "sale_id": sale.id,
        "receipt_number": sale.receipt_number,
        "sale_line_id": line.id,
        "qty": 2,
        "amount": m(net),
        "tax": m(tax),
        "gross": m(net + tax),
        "currency": "USD",
        "voucher": None,
        "approvals": ["price_adjustment"],
        "customer_id": customer.id,
        "cashier": shop.user("Maria").id,
        "reason": "flyer price",
        "competitor": "",
    }
    assert [(r["kind"], r["amount"], r["original_tender"]) for r in body["refunds"]] == [("card", -m(net + tax), 1)]
    assert body["desk_payment"]["purpose"] == "price_adjustment"
    # all three at this price come to 3 × 3.00: the rest of it, and then nothing more
    record, _, _ = approved(shop, drop(shop, sale.receipt_number, line.id, 3))
    assert (record.quote.amount, record.quote.gross) == (
        Decimal("3.00"),
        Decimal("3.00") + half_up(Decimal("3.00") * TAX_A),
    )
    assert refused(shop, drop(shop, sale.receipt_number, line.id, 3))[0].endswith("so there is nothing to give back.")


def test_returned_units_are_read_from_the_store(shop: TestStore) -> None:
    kettle = shop.item_in("small-appliances")
    sale = shop.sell([(kettle, 2)], card=Decimal("1e6"), cash=False)
    (line,) = sale.lines
    back = process_return(
        ProcessReturn(
            str(uuid.uuid4()),
            shop.user("Maria"),
            (ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, line.id),),
            RefundMethod.ORIGINAL,
            sale.receipt_number,
        ),
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
        rules=shop.rules,
    )
    set_price(shop, kettle.id, kettle.price - Decimal("1.00"))
    assert refused(shop, drop(shop, sale.receipt_number, line.id, 2)) == (
        f"1 of {kettle.name} can still be adjusted (2 bought, 1 returned).",
        "Lower the quantity.",
    )
    # the card paid the whole sale and got one unit back: the goodwill cap is what is left
    left = line.gross - back.quote.refund_total
    goodwill = AdjustBill(
        str(uuid.uuid4()),
        shop.user("Maria"),
        AdjustmentKind.GOODWILL,
        "sorry",
        receipt=sale.receipt_number,
        amount=line.gross,
    )
    assert refused(shop, goodwill) == (
        f"Only {shop.cfg.currency.format(left, shop.cfg.locale)} of receipt {sale.receipt_number} can still go back "
        "to its payments.",
        "Give the goodwill credit as store credit (F8), or lower it.",
    )
    record, _, _ = approved(shop, dataclasses.replace(goodwill, amount=left))
    assert record.quote.allocation.parts[0].amount == left and record.quantity == 0 and record.sale_line_id is None
    assert record.payment.purpose is Purpose.GOODWILL


def test_a_receipt_the_store_does_not_hold_is_named(shop: TestStore) -> None:
    kettle = shop.item_in("small-appliances")
    sale = shop.sell([(kettle, 1)], card=Decimal("1e6"), cash=False)
    cmd = drop(shop, "S99-T01-000001", sale.lines[0].id)
    assert refused(shop, cmd, ReturnError) == (
        "Receipt S99-T01-000001 is from another store.",
        "Look it up at that store, or return the items without a receipt.",
    )
    assert refused(shop, dataclasses.replace(cmd, receipt="S01-T01-999999"), ReturnError)[0] == (
        "No sale has the receipt number S01-T01-999999."
    )


def test_the_approval_asked_for_names_the_amount_in_the_stores_locale(shop: TestStore) -> None:
    kettle = shop.item_in("small-appliances")
    sale = shop.sell([(kettle, 1)], card=Decimal("1e6"), cash=False)
    set_price(shop, kettle.id, kettle.price - Decimal("1.00"))
    canadian = dataclasses.replace(shop.cfg, locale="en_CA")
    cmd = drop(shop, sale.receipt_number, sale.lines[0].id)
    with pytest.raises(ApprovalNeeded) as needed:
        adjust_bill(
            cmd,
            uow_factory=shop.uow,
            clock=shop.clock,
            store=canadian,
            terminal=shop.terminal,
            rules=shop.rules,
            desk_rules=DeskConfig().rules,
        )
    gross = Decimal("1.00") + half_up(Decimal("1.00") * TAX_A)
    assert needed.value.message == f"A supervisor must approve: {ApprovalKind.PRICE_ADJUSTMENT.label} (US${gross})."
    record, _, _ = approved(shop, cmd)
    assert record.payment.at == shop.clock.now()


def test_a_goodwill_credit_goes_back_to_the_voucher_that_paid_after_the_card(shop: TestStore) -> None:
    from tests.db.test_accounts_rules import voucher

    customer = jane(shop)
    code = voucher(shop, "20.00", customer.id)
    kettle = shop.item_in("small-appliances")
    sale = shop.sell([(kettle, 1)], card=Decimal("1e6"), cash=False, voucher=(code, Decimal("20.00"), Decimal("20.00")))
    on_card = sale.total - Decimal("20.00")
    goodwill = AdjustBill(
        str(uuid.uuid4()),
        shop.user("Maria"),
        AdjustmentKind.GOODWILL,
        "sorry",
        receipt=sale.receipt_number,
        amount=on_card + Decimal("2.00"),
    )
    record, _, _ = approved(shop, goodwill)
    card, credit = record.quote.allocation.parts
    assert (card.kind, card.amount, card.reference) == (TenderKind.CARD, on_card, "APPR01")
    assert (credit.kind, credit.amount, credit.reference) == (TenderKind.STORE_CREDIT, Decimal("2.00"), code)
    assert record.voucher_code is not None and record.voucher_code != code  # a new voucher holds it
