"""The return rules that a planted fault once slipped past (issue 14), each held through
the real write and read paths on a real SQLite store:

* a return without a receipt refunds the lowest price the item sold for in the last
  ``no_receipt_lowest_price_days`` days (after discounts), never the shelf price;
* no-receipt refunds to one customer ID within ``no_receipt_window_days`` above
  ``no_receipt_customer_limit`` need a supervisor (``customer_limit``);
* each condition sends the item where it belongs (a defective item goes back to the
  vendor, it is never restocked);
* the returns and complaints analysis counts every returned unit, by item, category,
  reason and condition, in its table, its PDF and its CSV.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from counter.catalog import Item
from counter.desk.analysis import analyse, return_to_vendor, to_csv
from counter.desk.cases import ContactKind, LinkedTransaction, LinkKind, LogContact, log_contact
from counter.desk.customers import ContactDetails, create_customer
from counter.returns.model import ApprovalNeeded, CustomerId, ProcessReturn, ReturnLineRequest
from counter.returns.policy import ApprovalKind, Condition, Reason
from counter.returns.process import ReturnRecord, process_return
from counter.returns.refunds import RefundMethod
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.pricing import Discount
from counter.sales.tenders import CardDetails, Payment
from db import schema as s
from db.desk_queries import analysis_rows
from db.queries import journal_entries, lowest_recent_price
from devices.letters import render_analysis_pdf, render_vendor_pdf
from tests.db.support import TestStore, approve


def unsold_item(shop: TestStore, category: str) -> Item:
    """An item of ``category`` that no sale of the demo store holds (so only this test's
    sales decide its lowest recent price)."""
    with shop.db.read.connect() as conn:
        sold = select(s.sale_lines.c.item_id)
        sku = conn.execute(
            select(s.items.c.sku)
            .where(s.items.c.category_id == category, s.items.c.id.not_in(sold), s.items.c.price_minor >= 1000)
            .order_by(s.items.c.sku)
            .limit(1)
        ).scalar_one()
    from counter.barcodes import CodeKind, ScannedCode

    item = shop.catalog.by_code(ScannedCode(CodeKind.SKU, sku, sku))
    assert item is not None
    return item


def sell_discounted(shop: TestStore, item: Item, percent: str, quantity: int = 1):  # type: ignore[no-untyped-def]
    cart = Cart(shop.cfg.currency, shop.cfg.prices_include_tax)
    line = cart.add(item, quantity)
    cart.discount_line(line.id, Discount(True, Decimal(percent)))
    payment = Payment(cart.total, shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_card(cart.total, CardDetails("Visa", "4242", "DISC01"))
    return complete_sale(
        CompleteSale(shop.user("Maria"), cart.lines, None, payment.tenders, payment.rounding),
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
    )


def ret(shop: TestStore, cmd: ProcessReturn) -> ReturnRecord:
    return process_return(
        cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal, rules=shop.rules
    )


def no_receipt(
    shop: TestStore, lines: list[tuple[Item, int, Decimal]], id_number: str, reason: Reason = Reason.GIFT
) -> ProcessReturn:
    return ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=shop.user("Maria"),
        lines=tuple(ReturnLineRequest(q, reason, Condition.NEW, item=i, unit_price=p) for i, q, p in lines),
        refund_method=RefundMethod.STORE_CREDIT,
        id_document=CustomerId.checked("Driver's license", id_number),
    )


def needed_kinds(shop: TestStore, cmd: ProcessReturn) -> tuple[frozenset[ApprovalKind], Decimal]:
    with pytest.raises(ApprovalNeeded) as needed:
        ret(shop, cmd)
    return frozenset(needed.value.kinds), needed.value.amount


def approved_return(shop: TestStore, cmd: ProcessReturn) -> ReturnRecord:
    kinds, amount = needed_kinds(shop, cmd)
    approve(shop, cmd, kinds, amount)
    return ret(shop, cmd)


# ------------------------------------------------------------- lowest recent price


def test_no_receipt_refund_is_the_lowest_price_sold_at_in_the_window_not_the_shelf_price(shop: TestStore) -> None:
    toy = unsold_item(shop, "toys-games")
    cur, days = shop.cfg.currency, shop.rules.no_receipt_lowest_price_days
    assert days == 90
    now = shop.clock.now()
    # Nothing sold yet: the shelf price.
    assert lowest_recent_price(shop.db.read, toy, days, now, cur) == toy.price

    def unit_paid(sale) -> Decimal:  # type: ignore[no-untyped-def]
        (line,) = sale.lines
        return (line.amount / line.quantity).quantize(Decimal("0.01"), rounding="ROUND_FLOOR")

    shop.clock.moment = now - timedelta(days=days + 5)  # half price, but before the window
    half = unit_paid(sell_discounted(shop, toy, "50"))
    shop.clock.moment = now - timedelta(days=20)  # 20 % off two units, inside the window
    fifth = unit_paid(sell_discounted(shop, toy, "20", quantity=2))
    shop.clock.moment = now - timedelta(days=3)  # 10 % off
    tenth = unit_paid(sell_discounted(shop, toy, "10"))
    shop.clock.moment = now
    assert half < fifth < tenth < toy.price

    lowest = lowest_recent_price(shop.db.read, toy, days, now, cur)
    assert lowest == fifth
    # Outside the window the half-price sale is forgotten; a shorter window forgets the 20 %.
    assert lowest_recent_price(shop.db.read, toy, 10, now, cur) == tenth
    assert lowest_recent_price(shop.db.read, toy, 200, now, cur) == half

    # The return refunds that price with its tax, as store credit, on a voucher: the
    # command works it out, whatever price the request carries (here the shelf price).
    record = approved_return(shop, no_receipt(shop, [(toy, 1, toy.price)], "D123-4567-8901"))
    (line,) = record.quote.lines
    tax = cur.quantize(lowest * toy.tax.rate)
    assert (line.amount, line.tax, line.gross) == (lowest, tax, lowest + tax)
    assert record.quote.refund_total == lowest + tax
    with shop.uow() as uow:
        assert uow.vouchers.balance(record.voucher_code or "") == lowest + tax
    with shop.db.read.connect() as conn:
        stored = conn.execute(
            select(s.return_lines.c.amount_minor, s.return_lines.c.gross_minor).where(
                s.return_lines.c.return_id == record.id
            )
        ).one()
    assert tuple(stored) == (cur.to_minor(lowest), cur.to_minor(lowest + tax))


def test_a_shelf_price_below_every_recent_sale_is_what_comes_back(shop: TestStore) -> None:
    toy = unsold_item(shop, "toys-games")
    sell_discounted(shop, toy, "1")  # 1 % off: still above the new shelf price
    cheaper = dataclasses.replace(toy, price=toy.price - Decimal("1.00"))
    cur = shop.cfg.currency
    assert lowest_recent_price(shop.db.read, cheaper, 90, shop.clock.now(), cur) == toy.price - Decimal("1.00")


# ------------------------------------------------------------- customer limit


def _gross(item: Item, quantity: int) -> Decimal:
    """A no-receipt refund of ``quantity`` of ``item`` at its shelf price, worked out here
    (the demo store's prices exclude tax; tax rounded half-up to the cent)."""
    amount = item.price * quantity
    return amount + (amount * item.tax.rate).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_no_receipt_refunds_to_one_id_over_the_limit_in_30_days_need_a_supervisor(shop: TestStore) -> None:
    rules = shop.rules
    assert (rules.no_receipt_customer_limit, rules.no_receipt_window_days) == (Decimal("150.00"), 30)
    toy = unsold_item(shop, "toys-games")
    # as many as stay under the limit, then one more goes over it
    most = max(q for q in range(1, 50) if _gross(toy, q) <= Decimal("150.00"))
    assert _gross(toy, most) + _gross(toy, 1) > Decimal("150.00")
    jane_id = "D123-4567-8901"
    # what the screen asks does not count: the command refunds the shelf price (never sold)
    first = approved_return(shop, no_receipt(shop, [(toy, most, Decimal("999.00"))], jane_id))
    assert first.quote.refund_total == _gross(toy, most)  # under the limit
    assert first.quote.approvals == {ApprovalKind.NO_RECEIPT}

    # one more takes Jane over the limit in 30 days
    second = no_receipt(shop, [(toy, 1, toy.price)], jane_id)
    kinds, amount = needed_kinds(shop, second)
    assert kinds == {ApprovalKind.NO_RECEIPT, ApprovalKind.CUSTOMER_LIMIT} and amount == _gross(toy, 1)
    # Approving only the no-receipt part is not enough.
    approve(shop, second, {ApprovalKind.NO_RECEIPT}, amount)
    with pytest.raises(ApprovalNeeded) as still:
        ret(shop, second)
    assert still.value.kinds == {ApprovalKind.CUSTOMER_LIMIT}

    # The same return by another ID is under the limit; the ID is typed with spaces or
    # dashes and still the same customer.
    other = no_receipt(shop, [(toy, 1, toy.price)], "X999 0000 1111")
    assert needed_kinds(shop, other)[0] == {ApprovalKind.NO_RECEIPT}
    same_jane = no_receipt(shop, [(toy, 1, toy.price)], "d123 4567 8901")
    assert needed_kinds(shop, same_jane)[0] == {ApprovalKind.NO_RECEIPT, ApprovalKind.CUSTOMER_LIMIT}

    # 31 days later the first return has left the window.
    shop.clock.advance(days=31)
    later = no_receipt(shop, [(toy, 1, toy.price)], jane_id)
    assert needed_kinds(shop, later)[0] == {ApprovalKind.NO_RECEIPT}


def test_the_limit_counts_what_was_refunded_not_what_was_asked(shop: TestStore) -> None:
    """Returns of just over half the limit each: the first alone is under the limit, the
    second over it — and a third small one after the second is still over. The screen's
    price in the request (here far higher) is never what counts."""
    toy = unsold_item(shop, "toys-games")
    half = min(q for q in range(1, 50) if _gross(toy, q) * 2 > Decimal("150.00"))
    assert _gross(toy, half) <= Decimal("150.00")
    jane_id = "P7788990"
    one = approved_return(shop, no_receipt(shop, [(toy, half, Decimal("500.00"))], jane_id))
    assert one.quote.refund_total == _gross(toy, half) and ApprovalKind.CUSTOMER_LIMIT not in one.quote.approvals
    two = approved_return(shop, no_receipt(shop, [(toy, half, Decimal("0.01"))], jane_id))
    assert two.quote.refund_total == _gross(toy, half)
    assert ApprovalKind.CUSTOMER_LIMIT in two.quote.approvals
    body = [e for e in journal_entries(shop.db.read, "T01") if e.type == "ReturnProcessed"][-1].body_data()
    assert "customer_limit" in body["approvals"]
    three = no_receipt(shop, [(toy, 1, Decimal("0.01"))], jane_id)
    assert ApprovalKind.CUSTOMER_LIMIT in needed_kinds(shop, three)[0]


# ------------------------------------------------------------- disposition


@pytest.mark.parametrize(
    ("condition", "reason", "disposition"),
    [
        (Condition.NEW, Reason.CHANGED_MIND, "restock"),
        (Condition.OPENED, Reason.WRONG_SIZE, "open_box"),
        (Condition.DAMAGED, Reason.CHANGED_MIND, "scrap"),
        (Condition.DEFECTIVE, Reason.DEFECTIVE, "return_to_vendor"),
    ],
)
def test_each_condition_sends_the_item_where_it_belongs(
    shop: TestStore, condition: Condition, reason: Reason, disposition: str
) -> None:
    shirt = shop.item_in("apparel")
    sale = shop.sell([(shirt, 1)], card=Decimal("1e6"), cash=False)
    cmd = ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=shop.user("Maria"),
        lines=(ReturnLineRequest(1, reason, condition, sale.lines[0].id),),
        refund_method=RefundMethod.ORIGINAL,
        original_receipt=sale.receipt_number,
    )
    # the customer's damage needs a supervisor
    record = approved_return(shop, cmd) if condition is Condition.DAMAGED else ret(shop, cmd)
    with shop.db.read.connect() as conn:
        stored = conn.execute(
            select(s.return_lines.c.condition, s.return_lines.c.disposition).where(
                s.return_lines.c.return_id == record.id
            )
        ).one()
    assert tuple(stored) == (str(condition), disposition)
    body = [e for e in journal_entries(shop.db.read, "T01") if e.type == "ReturnProcessed"][-1].body_data()
    assert [ln["disposition"] for ln in body["lines"]] == [disposition]


def test_defective_units_are_never_restocked_among_good_ones(shop: TestStore) -> None:
    """Three of one line back at once: two new, one defective. Only the new ones restock."""
    shirt = shop.item_in("apparel")
    sale = shop.sell([(shirt, 3)], card=Decimal("1e6"), cash=False)
    line_id = sale.lines[0].id
    record = ret(
        shop,
        ProcessReturn(
            request_id=str(uuid.uuid4()),
            cashier=shop.user("Maria"),
            lines=(
                ReturnLineRequest(2, Reason.CHANGED_MIND, Condition.NEW, line_id),
                ReturnLineRequest(1, Reason.DEFECTIVE, Condition.DEFECTIVE, line_id),
            ),
            refund_method=RefundMethod.ORIGINAL,
            original_receipt=sale.receipt_number,
        ),
    )
    with shop.db.read.connect() as conn:
        rows = conn.execute(
            select(s.return_lines.c.disposition, func.sum(s.return_lines.c.quantity))
            .where(s.return_lines.c.return_id == record.id)
            .group_by(s.return_lines.c.disposition)
            .order_by(s.return_lines.c.disposition)
        ).all()
    assert [tuple(r) for r in rows] == [("restock", 2), ("return_to_vendor", 1)]


# ------------------------------------------------------------- analysis


def test_the_analysis_counts_every_returned_unit_by_item_category_reason_and_condition(shop: TestStore) -> None:
    cur = shop.cfg.currency
    shirt = unsold_item(shop, "apparel")
    gadget = unsold_item(shop, "electronics")
    # a day after the demo store's history ends, so that its contacts and returns (made at
    # set times of its days) never fall in this test's period, whatever the hour it runs
    shop.clock.advance(days=1)
    start = shop.clock.now() - timedelta(hours=1)
    sale = shop.sell([(shirt, 3), (gadget, 2)], card=Decimal("1e6"), cash=False)
    shirt_line, gadget_line = sale.lines
    # visit 1: two shirts (wrong size, new) and one gadget (defective)
    first = ret(
        shop,
        ProcessReturn(
            str(uuid.uuid4()),
            shop.user("Maria"),
            (
                ReturnLineRequest(2, Reason.WRONG_SIZE, Condition.NEW, shirt_line.id),
                ReturnLineRequest(1, Reason.DEFECTIVE, Condition.DEFECTIVE, gadget_line.id),
            ),
            RefundMethod.ORIGINAL,
            sale.receipt_number,
        ),
    )
    # visit 2: the other gadget, opened: a 15 % restocking fee is kept
    second = ret(
        shop,
        ProcessReturn(
            str(uuid.uuid4()),
            shop.user("Maria"),
            (ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.OPENED, gadget_line.id),),
            RefundMethod.ORIGINAL,
            sale.receipt_number,
        ),
    )
    assert second.quote.fee_total > 0
    # a complaint about the sale, at the desk
    jane = create_customer(
        shop.user("Maria"),
        ContactDetails.checked("Jane Doe", "(217) 555-0175", "jane@example.com"),
        uow_factory=shop.uow,
        clock=shop.clock,
    )
    log_contact(
        shop.user("Maria"),
        LogContact(
            jane.id,
            ContactKind.COMPLAINT,
            "Product quality",
            "The shirt's seam split.",
            "",
            (LinkedTransaction(LinkKind.SALE, sale.receipt_number),),
        ),
        uow_factory=shop.uow,
        clock=shop.clock,
        terminal=shop.terminal,
    )
    end = shop.clock.now() + timedelta(hours=1)
    # a return a week later is outside the period
    shop.clock.advance(days=7)
    ret(
        shop,
        ProcessReturn(
            str(uuid.uuid4()),
            shop.user("Maria"),
            (ReturnLineRequest(1, Reason.WRONG_SIZE, Condition.NEW, shirt_line.id),),
            RefundMethod.ORIGINAL,
            sale.receipt_number,
        ),
    )

    returns, contacts = analysis_rows(shop.db.read, start, end, cur)
    today = start.date()
    a = analyse(returns, contacts, today, today)
    refunded = first.quote.refund_total + second.quote.refund_total
    assert (a.units, a.refunded, a.contacts, a.complaints) == (4, refunded, 1, 1)
    assert {b.label: b.units for b in a.by_category.values()} == {"Apparel": 2, "Electronics": 2}
    assert {b.label: b.units for b in a.by_reason.values()} == {
        "Wrong size or fit": 2,
        "Defective": 1,
        "Changed mind": 1,
    }
    assert {b.label: b.units for b in a.by_condition.values()} == {"New, unopened": 2, "Defective": 1, "Opened": 1}
    assert {b.label: b.units for b in a.by_disposition.values()} == {
        "Back to stock": 2,
        "Return to vendor": 1,
        "Open box": 1,
    }
    # the return-to-vendor list: the defective gadget, with why and the return it came in with
    (vendor,) = return_to_vendor(returns)
    assert (vendor.sku, vendor.name, vendor.units) == (gadget.sku, gadget.name, 1)
    assert vendor.refunded == first.quote.lines[1].refund
    assert (vendor.reasons_text, vendor.returns) == ("Defective 1", [first.return_number])
    vendor_pdf = " ".join(
        " ".join(p.extract_text().split())
        for p in PdfReader(
            io.BytesIO(render_vendor_pdf([vendor], today, today, shop.cfg.header, cur, shop.cfg.locale))
        ).pages
    )
    assert f"{today} to {today}: 1 units of 1 items to send back" in vendor_pdf
    assert gadget.sku in vendor_pdf and first.return_number in vendor_pdf and "Defective 1" in vendor_pdf
    assert shirt.sku not in vendor_pdf  # back to stock: not the vendor's
    shirt_bucket, gadget_bucket = a.by_item[shirt.sku], a.by_item[gadget.sku]
    assert (shirt_bucket.units, shirt_bucket.complaints, shirt_bucket.contacts) == (2, 1, 1)
    assert gadget_bucket.units == 2
    # what each item refunded, after the fee kept
    assert shirt_bucket.refunded == first.quote.lines[0].refund
    assert gadget_bucket.refunded == first.quote.lines[1].refund + second.quote.lines[0].refund
    assert [b.label for b in a.top("by_item", 2)] == sorted(
        [f"{shirt.name} ({shirt.sku})", f"{gadget.name} ({gadget.sku})"], key=lambda label: label != shirt_bucket.label
    )  # the shirt: 2 units and a complaint

    rows = list(csv.DictReader(io.StringIO(to_csv(a))))
    by_reason = {r["value"]: r for r in rows if r["dimension"] == "Returns by reason"}
    assert by_reason["Wrong size or fit"]["units_returned"] == "2"
    assert by_reason["Defective"]["refunded"] == f"{first.quote.lines[1].refund:.2f}"
    by_item = {r["value"]: r for r in rows if r["dimension"] == "By item"}
    assert by_item[shirt_bucket.label]["complaints"] == "1"

    pdf = render_analysis_pdf(a, shop.cfg.header, cur, shop.cfg.locale)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    money = cur.format(refunded, shop.cfg.locale)
    assert f"4 units returned, {money} refunded; 1 contacts logged, of which 1 complaints." in text
    assert "Returns by reason" in text and "Wrong size or fit 2" in text
