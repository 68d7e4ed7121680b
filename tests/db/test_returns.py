"""Returns, refunds, exchanges and approvals through the real write path on SQLite."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from counter.cash.shifts import MovementKind, record_movement
from counter.catalog import TaxClass
from counter.journal import verify
from counter.returns.model import (
    ApprovalNeeded,
    CustomerId,
    ExchangeSale,
    ProcessReturn,
    ReturnError,
    ReturnLineRequest,
)
from counter.returns.policy import ApprovalKind, Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundError, RefundMethod
from counter.sales.cart import Cart, CartLine
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.pricing import Discount
from counter.sales.tenders import CardDetails, Payment, TenderKind
from counter.sales.vouchers import VoucherError
from counter.trust.approvals import ApprovalError
from db import schema as s
from db.queries import journal_entries
from tests.db.support import TestStore, approve


def ret(shop: TestStore, cmd: ProcessReturn):  # type: ignore[no-untyped-def]
    return process_return(
        cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal, rules=shop.rules
    )


def request(shop: TestStore, sale, picks, *, method=RefundMethod.ORIGINAL, cashier="Maria", **kw) -> ProcessReturn:  # type: ignore[no-untyped-def]
    lines = tuple(
        ReturnLineRequest(qty, Reason.CHANGED_MIND, kw.get("condition", Condition.NEW), sale.lines[i].id)
        for i, qty in picks
    )
    return ProcessReturn(
        request_id=kw.get("request_id", str(uuid.uuid4())),
        cashier=shop.user(cashier),
        lines=lines,
        refund_method=method,
        original_receipt=sale.receipt_number,
        waive_fees=kw.get("waive_fees", False),
        exchange=kw.get("exchange"),
    )


def count(shop: TestStore, table) -> int:  # type: ignore[no-untyped-def]
    with shop.db.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_partial_returns_to_card_over_two_visits_refund_exactly_what_was_paid(shop: TestStore) -> None:
    shirt = shop.item_in("apparel")
    sale = shop.sell([(shirt, 3)], card=Decimal("1e6"), cash=False)
    first = ret(shop, request(shop, sale, [(0, 1)]))
    second = ret(shop, request(shop, sale, [(0, 2)]))
    assert first.quote.refund_total + second.quote.refund_total == sale.total
    for record in (first, second):
        (part,) = record.quote.allocation.parts
        assert part.kind is TenderKind.CARD and part.reference == "APPR01" and part.card.last4 == "4242"
    with pytest.raises(ReturnError, match="Only 0 of"):
        ret(shop, request(shop, sale, [(0, 1)]))
    entries = list(journal_entries(shop.db.read, "T01"))
    assert [e.type for e in entries[-2:]] == ["ReturnProcessed", "ReturnProcessed"]
    assert entries[-1].body_data()["original_receipt"] == sale.receipt_number
    assert verify(entries).ok


def test_issue_13_two_visits_of_a_discounted_line_refund_10_81_each(shop: TestStore) -> None:
    """2 × 9.99 less 0.01, 8.25 % tax added (net 19.97, tax 1.65, total 21.62): each unit
    refunds 10.81 (9.98 + 0.83, then 9.99 + 0.82), never 10.82 then 10.80."""
    assert not shop.cfg.prices_include_tax
    item = dataclasses.replace(
        shop.item_in("apparel"), price=Decimal("9.99"), tax=TaxClass("A", "Sales tax 8.25%", Decimal("0.0825"))
    )
    cart = Cart(shop.cfg.currency, shop.cfg.prices_include_tax)
    cart_line = cart.add(item, 2)
    cart.discount_line(cart_line.id, Discount(False, Decimal("0.01")))
    payment = Payment(cart.total, shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_card(cart.total, CardDetails("Visa", "4242", "APPR01"))
    sale = complete_sale(
        CompleteSale(shop.user("Maria"), cart.lines, None, payment.tenders, payment.rounding),
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
    )
    (line,) = sale.lines
    assert (line.amount, line.tax, line.gross) == (Decimal("19.97"), Decimal("1.65"), Decimal("21.62"))
    first = ret(shop, request(shop, sale, [(0, 1)]))
    second = ret(shop, request(shop, sale, [(0, 1)]))
    assert (first.quote.refund_total, second.quote.refund_total) == (Decimal("10.81"), Decimal("10.81"))
    rl = s.return_lines
    with shop.db.read.connect() as conn:
        stored = conn.execute(
            select(rl.c.amount_minor, rl.c.tax_minor, rl.c.gross_minor)
            .join(s.returns, s.returns.c.id == rl.c.return_id)
            .where(rl.c.sale_line_id == line.id)
            .order_by(s.returns.c.return_number)
        ).all()
    assert [tuple(r) for r in stored] == [(998, 83, 1081), (999, 82, 1081)]
    assert [p.amount for r in (first, second) for p in r.quote.allocation.parts] == [Decimal("10.81")] * 2


def test_the_same_receipt_twice_in_a_row_never_returns_more_than_sold(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 2)])
    ret(shop, request(shop, sale, [(0, 2)]))
    before = (count(shop, s.returns), count(shop, s.journal))
    with pytest.raises(ReturnError, match="already returned"):
        ret(shop, request(shop, sale, [(0, 1)]))
    assert (count(shop, s.returns), count(shop, s.journal)) == before


def test_out_of_window_is_refused_then_allowed_with_a_supervisor(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)], card=Decimal("1e6"), cash=False)
    shop.clock.advance(days=31)
    cmd = request(shop, sale, [(0, 1)])
    with pytest.raises(ApprovalNeeded) as needed:
        ret(shop, cmd)
    assert ApprovalKind.OUT_OF_WINDOW in needed.value.kinds
    approve(shop, cmd, needed.value.kinds, needed.value.amount)
    record = ret(shop, cmd)
    assert record.quote.refund_total == sale.total


def test_a_cashier_cannot_approve_their_own_request_even_as_manager(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)], card=Decimal("1e6"), cash=False, cashier="Alex")
    shop.clock.advance(days=40)
    cmd = request(shop, sale, [(0, 1)], cashier="Alex")  # Alex is a manager
    with pytest.raises(ApprovalNeeded) as needed:
        ret(shop, cmd)
    with pytest.raises(ApprovalError, match="your own request"):
        approve(shop, cmd, needed.value.kinds, needed.value.amount, approver="Alex", pin="4444")
    with pytest.raises(ApprovalNeeded):
        ret(shop, cmd)
    assert [e.type for e in journal_entries(shop.db.read, "T01")][-1] == "ApprovalRefused"


def test_an_approval_for_a_different_amount_does_not_count(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 2)], card=Decimal("1e6"), cash=False)
    shop.clock.advance(days=45)
    cmd = request(shop, sale, [(0, 1)])
    with pytest.raises(ApprovalNeeded) as needed:
        ret(shop, cmd)
    approve(shop, cmd, needed.value.kinds, needed.value.amount)
    bigger = request(shop, sale, [(0, 2)], request_id=cmd.request_id)
    before = count(shop, s.returns)
    with pytest.raises(ReturnError, match="approval was for"):
        ret(shop, bigger)
    assert count(shop, s.returns) == before


def test_final_sale_and_receipt_rules(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("grocery"), 1)])
    with pytest.raises(ApprovalNeeded) as needed:
        ret(shop, request(shop, sale, [(0, 1)]))
    assert ApprovalKind.FINAL_SALE in needed.value.kinds


def test_restocking_fee_on_opened_electronics_and_its_waiver(shop: TestStore) -> None:
    gadget = shop.item_in("electronics")
    sale = shop.sell([(gadget, 1)], card=Decimal("1e6"), cash=False)
    opened = request(shop, sale, [(0, 1)], condition=Condition.OPENED)
    record = ret(shop, opened)
    line = record.quote.lines[0]
    assert line.fee == shop.cfg.currency.quantize(line.gross * Decimal("0.15"))
    assert record.quote.refund_total == sale.total - line.fee

    sale2 = shop.sell([(gadget, 1)], card=Decimal("1e6"), cash=False)
    waived = request(shop, sale2, [(0, 1)], condition=Condition.OPENED, waive_fees=True)
    with pytest.raises(ApprovalNeeded) as needed:
        ret(shop, waived)
    assert needed.value.kinds == {ApprovalKind.FEE_WAIVER}
    approve(shop, waived, needed.value.kinds, needed.value.amount)
    assert ret(shop, waived).quote.refund_total == sale2.total


def test_cash_refund_never_exceeds_the_drawer(shop: TestStore) -> None:
    pricey = max((shop.item_in("electronics", n) for n in range(20)), key=lambda i: i.price)
    sale = shop.sell([(pricey, 3)], cash=True)
    with shop.uow() as uow:  # take almost everything to the safe
        expected = uow.shifts.expected_cash(uow.shifts.current("T01"))
    record_movement(
        shop.user("Dana"),
        MovementKind.CASH_DROP,
        expected - Decimal("1.00"),
        "to the safe",
        uow_factory=shop.uow,
        clock=shop.clock,
        terminal_id="T01",
        currency=shop.cfg.currency,
    )
    before = count(shop, s.returns)
    with pytest.raises(RefundError, match="drawer should hold only"):
        ret(shop, request(shop, sale, [(0, 1)]))
    assert count(shop, s.returns) == before


def test_cash_back_for_a_card_sale_needs_approval(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)], card=Decimal("1e6"), cash=False)
    cmd = request(shop, sale, [(0, 1)], method=RefundMethod.CASH)
    with pytest.raises(ApprovalNeeded) as needed:
        ret(shop, cmd)
    assert ApprovalKind.DIFFERENT_TENDER in needed.value.kinds


def test_no_receipt_return_to_store_credit_then_spend_the_voucher(shop: TestStore) -> None:
    toy = shop.item_in("toys-games")
    cmd = ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=shop.user("Maria"),
        lines=(ReturnLineRequest(1, Reason.GIFT, Condition.NEW, item=toy, unit_price=toy.price),),
        refund_method=RefundMethod.STORE_CREDIT,
        id_document=CustomerId.checked("Driver's license", "D123-4567-8901"),
    )
    with pytest.raises(ApprovalNeeded) as needed:
        ret(shop, cmd)
    assert ApprovalKind.NO_RECEIPT in needed.value.kinds
    approve(shop, cmd, needed.value.kinds, needed.value.amount)
    record = ret(shop, cmd)
    assert record.voucher_code and record.voucher_code.startswith("SC")
    (part,) = record.quote.allocation.parts
    assert part.kind is TenderKind.STORE_CREDIT
    with shop.db.read.connect() as conn:
        row = conn.execute(select(s.returns.c.customer_hint, s.returns.c.customer_key)).all()[-1]
    assert row.customer_hint == "Driver's license …8901" and "D12345678901" not in str(row)

    credit = record.quote.refund_total
    cheap = shop.item_in("office-school")
    sale = shop.sell([(cheap, 1)], voucher=(record.voucher_code, min(credit, cheap.price), credit))
    assert any(t.kind is TenderKind.STORE_CREDIT for t in sale.tenders)
    with shop.uow() as uow:
        left = uow.vouchers.balance(record.voucher_code)
    assert left == credit - min(credit, cheap.price)
    with pytest.raises(VoucherError, match="holds only"):
        shop.sell([(shop.item_in("electronics"), 5)], voucher=(record.voucher_code, left + 1, left + 1))


def test_an_exchange_where_the_customer_pays_the_difference(shop: TestStore) -> None:
    old = shop.item_in("apparel", 0)
    sale = shop.sell([(old, 1)], card=Decimal("1e6"), cash=False)
    dearer = max((shop.item_in("footwear", n) for n in range(10)), key=lambda i: i.price)
    credit = sale.total
    new_lines = [CartLine(dearer, 1)]
    from counter.sales.checkout import price_command

    new_total = price_command(CompleteSale(shop.user("Maria"), new_lines, None, (), Decimal(0)), shop.cfg).total
    payment = Payment(new_total, shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_exchange_credit(credit)
    payment.add_card(payment.remaining, CardDetails("Mastercard", "5454", "EXCH01"))
    exchange = ExchangeSale(CompleteSale(shop.user("Maria"), new_lines, None, tuple(payment.tenders), payment.rounding))
    record = ret(shop, request(shop, sale, [(0, 1)], exchange=exchange))
    assert record.exchange_sale is not None and record.exchange_sale.total == new_total
    assert record.quote.allocation.parts == ()  # nothing back: it all went into the new items
    assert record.quote.to_pay == new_total - credit
    types = [e.type for e in journal_entries(shop.db.read, "T01")][-2:]
    assert types == ["SaleCompleted", "ReturnProcessed"]
    # its return receipt and credit note say the value went into the new items: nothing refunded
    from counter.returns.receipt import return_receipt
    from devices.escpos.encoder import render_receipt
    from devices.pdf import render_pdf
    from tests.db.test_documents_content import PROFILE, pdf_text, rows, slip_text

    receipt = return_receipt(record, shop.cfg, "Maria Lopez")
    m = lambda a: shop.cfg.currency.format(a, shop.cfg.locale)  # noqa: E731
    pdf = " ".join(pdf_text(render_pdf(receipt)).split())
    assert f"Total returned {m(credit)}" in pdf and "Total refunded" not in pdf
    assert f"Toward the new items (Receipt {record.exchange_sale.receipt_number}) {m(credit)}" in pdf
    printed = rows(slip_text(render_receipt(receipt, PROFILE)))
    assert f"RETURNED {m(credit)}" in printed and not any(r.startswith("REFUND") for r in printed)


def test_an_exchange_where_the_store_refunds_cash(shop: TestStore) -> None:
    dear = max((shop.item_in("footwear", n) for n in range(10)), key=lambda i: i.price)
    sale = shop.sell([(dear, 1)], cash=True)
    cheap = shop.item_in("office-school", 0)
    lines = [CartLine(cheap, 1)]
    from counter.sales.checkout import price_command

    new_total = price_command(CompleteSale(shop.user("Maria"), lines, None, (), Decimal(0)), shop.cfg).total
    payment = Payment(new_total, shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_exchange_credit(new_total)
    exchange = ExchangeSale(CompleteSale(shop.user("Maria"), lines, None, tuple(payment.tenders), payment.rounding))
    record = ret(shop, request(shop, sale, [(0, 1)], exchange=exchange))
    (part,) = record.quote.allocation.parts
    assert part.kind is TenderKind.CASH and part.amount == sale.total - new_total


@pytest.mark.parametrize(
    ("number", "fragment"), [("S01-T01-999999", "No sale has"), ("S09-T01-000001", "another store")]
)
def test_unknown_or_foreign_receipts_are_explained(shop: TestStore, number: str, fragment: str) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    cmd = request(shop, sale, [(0, 1)])
    cmd = ProcessReturn(**{**cmd.__dict__, "original_receipt": number})
    with pytest.raises(ReturnError, match=fragment):
        ret(shop, cmd)


def test_an_item_that_was_not_on_the_receipt(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    cmd = request(shop, sale, [(0, 1)])
    cmd = ProcessReturn(**{**cmd.__dict__, "lines": (ReturnLineRequest(1, Reason.OTHER, Condition.NEW, "not-a-line"),)})
    with pytest.raises(ReturnError, match="not on receipt"):
        ret(shop, cmd)


def test_where_each_returned_unit_goes_is_recorded_and_a_defective_one_never_restocked(shop: TestStore) -> None:
    from counter.returns.policy import Disposition

    kettle, mug = shop.item_in("small-appliances", 0), shop.item_in("office-school", 0)
    sale = shop.sell([(kettle, 2), (mug, 1)], card=Decimal("1e6"), cash=False)
    defective = ReturnLineRequest(1, Reason.DEFECTIVE, Condition.DEFECTIVE, sale.lines[0].id)
    shelf = dataclasses.replace(defective, disposition=Disposition.RESTOCK)
    cmd = request(shop, sale, [])
    with pytest.raises(ReturnError) as err:
        ret(shop, dataclasses.replace(cmd, lines=(shelf,)))
    assert err.value.message == f"{kettle.name} is defective: it cannot go back to stock as new."
    assert err.value.hint == "Choose return to vendor or scrap for it (Shift+F5 changes where it goes)."
    assert count(shop, s.returns) == 0
    scrapped = dataclasses.replace(defective, disposition=Disposition.SCRAP)
    as_is = ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, sale.lines[1].id)
    ret(shop, dataclasses.replace(cmd, lines=(defective, as_is)))
    ret(shop, dataclasses.replace(cmd, request_id=str(uuid.uuid4()), lines=(scrapped,)))
    with shop.db.read.connect() as conn:
        got = conn.execute(text("SELECT sku, condition, disposition FROM return_lines ORDER BY rowid")).all()
    assert [tuple(r) for r in got] == [
        (kettle.sku, "defective", "return_to_vendor"),
        (mug.sku, "new", "restock"),
        (kettle.sku, "defective", "scrap"),
    ]
