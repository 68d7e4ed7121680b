"""Documents read back by content (issue 14): what a customer, an auditor or a tax office
reads on them, not just that a file came out.

Each document is made by the real builder from a record that the real command wrote to a
real store, rendered by the real renderer, and read back: PDFs with pypdf's text
extraction, thermal jobs with the project's own ESC/POS decoder. The expected numbers
are worked out here from the sale's lines (per-rate tax = base × rate, half up), not
read from the code under test.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from counter.cash.report_document import report_document
from counter.cash.shifts import CashRules, Count, close_shift, open_shift, take_z_report
from counter.catalog import Item
from counter.desk.documents import order_agreement, outcome_letter, payment_receipt
from counter.desk.orders import OrderKind, OrderLine, open_order, pay_order
from counter.desk.service import DeskConfig
from counter.documents import ReceiptKind
from counter.returns.model import CustomerId, ProcessReturn, ReturnLineRequest
from counter.returns.policy import ApprovalKind, Condition, Reason
from counter.returns.process import ReturnRecord, process_return
from counter.returns.receipt import return_receipt
from counter.returns.refunds import RefundMethod
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.pricing import Discount
from counter.sales.sale import Sale, receipt_for
from counter.sales.tenders import CardDetails, Payment, Tender, TenderKind
from db import schema as s
from db.demo import count_for
from db.queries import lowest_recent_price
from devices.escpos.decode import decode
from devices.escpos.encoder import PrinterProfile, render_receipt
from devices.escpos.report import render_report
from devices.escpos.slips import render_slip
from devices.letters import render_letter_pdf, render_slip_pdf
from devices.pdf import render_pdf, render_report_pdf
from tests.db.support import TestStore, approve

CENT = Decimal("0.01")
PROFILE = PrinterProfile()


# ------------------------------------------------------------------ reading documents


def pdf_text(data: bytes) -> str:
    """The text of every page, whitespace folded to single spaces. reportlab writes "•"
    as code 0x7F, which WinAnsiEncoding shows as a bullet and pypdf hands back as is."""
    assert data.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join((p.extract_text() or "").split()) for p in pages).replace("\x7f", "•")


def slip_text(data: bytes) -> str:
    """What the thermal printer prints, one line per printed line."""
    decoded = decode(data, page=_page())
    assert not decoded.unknown, decoded.unknown
    return decoded.text()


def _page():  # type: ignore[no-untyped-def]
    from devices.escpos.codepages import code_page

    return code_page(PROFILE.codepage)


def rows(text: str) -> list[str]:
    """Printed lines with runs of spaces folded (a pair's label and value become one row)."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def no_card_number(text: str) -> None:
    """No run of 13 or more digits (spaces and dashes allowed between them) anywhere."""
    assert not re.search(r"(?:\d[ -]?){13,}", text), text


# ------------------------------------------------------------------ sums worked out here


def half_up(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def per_rate(sale: Sale) -> dict[str, tuple[Decimal, Decimal]]:
    """code -> (base, tax): the base is the lines' amounts after discounts; the tax is
    computed once per rate on the document (prices exclude tax in the demo store)."""
    bases: dict[str, tuple[Decimal, Decimal]] = {}
    for ln in sale.lines:
        rate, base = bases.get(ln.tax_code, (ln.tax_rate, Decimal(0)))
        bases[ln.tax_code] = (rate, base + ln.amount)
    return {code: (base, half_up(base * rate)) for code, (rate, base) in bases.items()}


def money(shop: TestStore, amount: Decimal) -> str:
    return shop.cfg.currency.format(amount, shop.cfg.locale)


# ------------------------------------------------------------------ records to print


def item(shop: TestStore, category: str, n: int = 0) -> Item:
    return shop.item_in(category, n)


def two_rate_sale(shop: TestStore) -> Sale:
    """Two shirts at 10 % off (sales tax 8.25 %) and one grocery item (food 2.25 %); $20
    on a Visa card, the rest in cash rounded up to the next $10, with change."""
    shirt, food = item(shop, "apparel"), item(shop, "grocery")
    assert (shirt.tax.rate, food.tax.rate) == (Decimal("0.0825"), Decimal("0.0225"))
    cart = Cart(shop.cfg.currency, shop.cfg.prices_include_tax)
    line = cart.add(shirt, 2)
    cart.discount_line(line.id, Discount(True, Decimal("10")))
    cart.add(food, 1)
    payment = Payment(cart.total, shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_card(Decimal("20.00"), CardDetails("Visa", "4242", "APPR01"))
    tendered = (payment.cash_due / 10).to_integral_value(rounding="ROUND_CEILING") * 10 + 10
    payment.add_cash(tendered)
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


def card_sale(shop: TestStore, lines: list[tuple[Item, int]]) -> Sale:
    return shop.sell(lines, card=Decimal("1e6"), cash=False)


# ================================================================== sale and gift receipts


def test_the_sale_receipt_shows_each_line_the_tax_of_each_rate_the_total_and_the_masked_card(shop: TestStore) -> None:
    sale = two_rate_sale(shop)
    shirts, food = sale.lines
    taxes = per_rate(sale)
    total = sum((b + t for b, t in taxes.values()), Decimal(0))
    assert sale.total == total  # the sale itself adds up as worked out here
    cash = next(t for t in sale.tenders if t.kind is TenderKind.CASH)
    change = cash.tendered - (total - Decimal("20.00"))
    assert sale.change == change > 0

    text = slip_text(render_receipt(receipt_for(sale, shop.cfg), PROFILE))
    printed = rows(text)
    m = lambda a: money(shop, a)  # noqa: E731
    assert f"Receipt {sale.receipt_number}" in printed
    assert "Cashier Maria Lopez" in text
    assert shirts.name[:30] in text and f"2 x {m(shirts.unit_price)} {m(shirts.unit_price * 2)} A" in printed
    discount = shirts.unit_price * 2 - shirts.amount
    assert discount == half_up(shirts.unit_price * 2 * Decimal("0.10"))
    assert f"Discount {m(-discount)} A" in printed
    assert f"Subtotal {m(shirts.amount + food.amount)}" in printed
    assert f"Your savings {m(discount)}" in printed
    assert f"A Sales tax 8.25% on {m(taxes['A'][0])} {m(taxes['A'][1])}" in printed
    assert f"B Food 2.25% on {m(taxes['B'][0])} {m(taxes['B'][1])}" in printed
    assert f"TOTAL {m(total)}" in printed
    assert f"Visa **** 4242 {m(Decimal('20.00'))}" in printed and "Approval APPR01" in printed
    assert f"Cash {m(cash.tendered)}" in printed and f"Change {m(change)}" in printed
    no_card_number(text)

    pdf = pdf_text(render_pdf(receipt_for(sale, shop.cfg)))
    assert pdf.startswith("Receipt") and f"Number {sale.receipt_number}" in pdf
    assert f"Tax A (8.25 %) charged on {m(taxes['A'][0])} {m(taxes['A'][1])}" in pdf
    assert f"Tax B (2.25 %) charged on {m(taxes['B'][0])} {m(taxes['B'][1])}" in pdf
    assert f"Total {m(total)}" in pdf and f"Change {m(change)}" in pdf
    assert "Visa •••• 4242 (Approval APPR01)" in pdf
    assert f"{shirts.name} 2 {m(shirts.unit_price)} {m(shirts.amount)} A" in pdf
    no_card_number(pdf)


def test_the_gift_receipt_names_the_items_and_the_receipt_but_no_price(shop: TestStore) -> None:
    sale = two_rate_sale(shop)
    shirts, food = sale.lines
    gift = receipt_for(sale, shop.cfg, kind=ReceiptKind.GIFT)
    amounts = {money(shop, a) for a in (sale.total, shirts.amount, food.amount, shirts.unit_price, food.unit_price)}
    for text in (slip_text(render_receipt(gift, PROFILE)), pdf_text(render_pdf(gift))):
        assert "GIFT RECEIPT" in text.upper()
        assert sale.receipt_number in text
        assert f"2 x {shirts.name}"[:40] in text or (shirts.name in text and " 2" in text)
        assert food.name[:30] in text
        assert "$" not in text and not any(a in text for a in amounts), text
        assert "Visa" not in text and "Change" not in text


# ================================================================== return receipt and credit note


def test_the_credit_note_names_its_number_the_receipt_the_tax_reversed_per_rate_and_the_card(
    shop: TestStore,
) -> None:
    shirt, food = item(shop, "apparel"), item(shop, "grocery", 3)
    sale = card_sale(shop, [(shirt, 3), (food, 2)])
    shirts, groceries = sale.lines
    cmd = ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=shop.user("Maria"),
        lines=(
            ReturnLineRequest(1, Reason.WRONG_SIZE, Condition.NEW, shirts.id),
            ReturnLineRequest(1, Reason.DEFECTIVE, Condition.DEFECTIVE, groceries.id),
        ),
        refund_method=RefundMethod.ORIGINAL,
        original_receipt=sale.receipt_number,
    )
    from counter.returns.model import ApprovalNeeded

    with pytest.raises(ApprovalNeeded) as needed:  # grocery is final sale
        ret(shop, cmd)
    assert needed.value.kinds == {ApprovalKind.FINAL_SALE}
    approve(shop, cmd, needed.value.kinds, needed.value.amount)
    record = ret(shop, cmd)

    # One unit of each line: a third of the shirts' gross and tax, half of the groceries'.
    want = {
        "A": (half_up(shirts.gross / 3), half_up(shirts.tax / 3)),
        "B": (half_up(groceries.gross / 2), half_up(groceries.tax / 2)),
    }
    refund = want["A"][0] + want["B"][0]
    assert record.quote.refund_total == refund
    m = lambda a: money(shop, a)  # noqa: E731
    receipt = return_receipt(record, shop.cfg, "Maria Lopez")

    pdf = pdf_text(render_pdf(receipt))
    assert pdf.startswith("Credit note")
    assert f"Number {record.return_number}" in pdf
    assert f"Refers to receipt {sale.receipt_number}" in pdf
    assert "Terminal / cashier T01 / Maria Lopez" in pdf
    for code, rate in (("A", "8.25"), ("B", "2.25")):
        gross, tax = want[code]
        assert f"Tax {code} ({rate} %) reversed on {m(gross - tax)} {m(tax)}" in pdf, pdf
    assert f"Total refunded {m(refund)}" in pdf
    assert f"To Visa •••• 4242 (Original approval APPR01) {m(refund)}" in pdf
    assert f"{shirt.name} 1 {m(want['A'][0])} {m(want['A'][0])} A" in pdf
    assert f"Original receipt: {sale.receipt_number}" in pdf
    assert "Wrong size or fit, new, unopened" in pdf and "Defective, defective" in pdf
    assert "Store credit voucher" not in pdf
    no_card_number(pdf)

    text = slip_text(render_receipt(receipt, PROFILE))
    printed = rows(text)
    assert "RETURN" in printed and f"Receipt {record.return_number}" in printed
    assert f"REFUND {m(refund)}" in printed
    assert f"To Visa **** 4242 {m(refund)}" in printed and "Original approval APPR01" in printed
    for code, rate in (("A", "8.25%"), ("B", "2.25%")):
        gross, tax = want[code]
        assert f"{code} {rate} of {m(gross)} {m(tax)}" in printed, printed  # not "A A 8.25%"
    assert f"Original receipt: {sale.receipt_number}" in printed
    no_card_number(text)


def test_a_no_receipt_credit_note_shows_the_voucher_and_only_the_last_four_of_the_id(shop: TestStore) -> None:
    toy = item(shop, "toys-games")
    # what the command refunds per unit: the lowest price it sold at lately, or the shelf
    # price (the screen's figure in the request is not taken)
    days, now = shop.rules.no_receipt_lowest_price_days, shop.clock.now()
    price = lowest_recent_price(shop.db.read, toy, days, now, shop.cfg.currency)
    cmd = ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=shop.user("Maria"),
        lines=(ReturnLineRequest(2, Reason.GIFT, Condition.NEW, item=toy, unit_price=Decimal("12.34")),),
        refund_method=RefundMethod.STORE_CREDIT,
        id_document=CustomerId.checked("Driver's license", "D123-4567-8901"),
    )
    from counter.returns.model import ApprovalNeeded

    with pytest.raises(ApprovalNeeded) as needed:
        ret(shop, cmd)
    approve(shop, cmd, needed.value.kinds, needed.value.amount)
    record = ret(shop, cmd)
    net = price * 2
    tax = half_up(net * Decimal("0.0825"))
    assert record.quote.refund_total == net + tax
    m = lambda a: money(shop, a)  # noqa: E731
    receipt = return_receipt(record, shop.cfg, "Maria Lopez")
    pdf = pdf_text(render_pdf(receipt))
    assert "Refers to receipt" not in pdf
    assert f"Tax A (8.25 %) reversed on {m(net)} {m(tax)}" in pdf
    assert f"Total refunded {m(net + tax)}" in pdf
    assert f"To store credit (Voucher {record.voucher_code}) {m(net + tax)}" in pdf
    assert "Returned without a receipt. ID: Driver's license …8901" in pdf
    assert "Store credit voucher" in pdf and pdf.count(str(record.voucher_code)) >= 2  # and under its barcode
    assert "D12345678901" not in pdf and "4567" not in pdf
    text = slip_text(render_receipt(receipt, PROFILE))
    assert "STORE CREDIT VOUCHER" in text and f"Voucher {record.voucher_code}" in text
    assert "D12345678901" not in text and "…8901" in text.replace("...", "…")

    # the day's report names the approval the way people say it, never by its code
    from counter.cash.shifts import take_x_report

    report = take_x_report(
        shop.user("Dana"),
        uow_factory=shop.uow,
        read_uow_factory=shop.uow,
        clock=shop.clock,
        terminal_id="T01",
        currency=shop.cfg.currency,
        zone=shop.cfg.zone,
    )
    doc = report_document(report, shop.cfg, printed_at=shop.clock.now(), printed_by="Dana Whitfield")
    for shown in (pdf_text(render_report_pdf(doc)), "\n".join(rows(slip_text(render_report(doc, PROFILE))))):
        flat = " ".join(shown.split())
        assert "return without a receipt" in flat, flat
        assert "no_receipt" not in flat


# ================================================================== Z report


def test_the_z_report_adds_up_the_days_sales_returns_taxes_and_grand_totals(shop: TestStore) -> None:
    cur = shop.cfg.currency
    m = lambda a: money(shop, a)  # noqa: E731
    dana = shop.user("Dana")
    kw = dict(uow_factory=shop.uow, clock=shop.clock, terminal_id="T01", currency=cur)

    def close_and_z():  # type: ignore[no-untyped-def]
        with shop.uow() as uow:
            expected = uow.shifts.expected_cash(uow.shifts.current("T01"))
        close_shift(dana, count_for(expected, cur), "", rules=CashRules(), **kw)  # type: ignore[arg-type]
        return take_z_report(dana, zone=shop.cfg.zone, **kw)  # type: ignore[arg-type]

    first = close_and_z()  # the demo's days
    open_shift(dana, Count.of(cur, {Decimal("20"): 5}), **kw)  # type: ignore[arg-type]
    shop.clock.advance(minutes=5)
    sale_1 = two_rate_sale(shop)
    shop.clock.advance(minutes=5)
    sale_2 = card_sale(shop, [(item(shop, "footwear"), 1)])
    shop.clock.advance(minutes=5)
    back = ret(
        shop,
        ProcessReturn(
            str(uuid.uuid4()),
            shop.user("Maria"),
            (ReturnLineRequest(1, Reason.WRONG_SIZE, Condition.NEW, sale_2.lines[0].id),),
            RefundMethod.ORIGINAL,
            sale_2.receipt_number,
        ),
    )
    shop.clock.advance(minutes=5)
    second = close_and_z()
    assert second.number == first.number + 1

    sales = sale_1.total + sale_2.total
    refunded = back.quote.refund_total
    assert refunded == sale_2.total
    doc = report_document(second, shop.cfg, printed_at=shop.clock.now(), printed_by="Dana Whitfield")
    taxes = per_rate(sale_1)
    a_base = taxes["A"][0]  # sale 2 is sold and returned in full: its tax nets out
    a_tax = taxes["A"][1]
    with shop.db.read.connect() as conn:  # every sale and refund this lane ever recorded
        grand_sales = cur.from_minor(
            conn.execute(select(func.sum(s.sales.c.total_minor)).where(s.sales.c.terminal_id == "T01")).scalar_one()
        )
        grand_returns = cur.from_minor(
            conn.execute(
                select(func.sum(s.returns.c.refund_minor)).where(s.returns.c.terminal_id == "T01")
            ).scalar_one()
        )
    assert grand_returns == refunded

    for text in (pdf_text(render_report_pdf(doc)), "\n".join(rows(slip_text(render_report(doc, PROFILE))))):
        flat = " ".join(text.split())
        assert f"Z REPORT {second.number}" in flat
        assert f"Sales 2 {m(sales)}" in flat, flat
        assert f"Returns 1 {m(-refunded)}" in flat
        assert f"NET {m(sales - refunded)}" in flat
        assert f"A 8.25 % on {m(a_base)} {m(a_tax)}" in flat
        assert f"B 2.25 % on {m(taxes['B'][0])} {m(taxes['B'][1])}" in flat
        assert f"Sales {m(grand_sales)} Returns {m(grand_returns)} Net {m(grand_sales - grand_returns)}" in flat
        assert f"Journal entries {second.first_seq}–{second.last_seq}" in flat.replace("-", "–")
        assert second.last_hash[:32] in flat and second.last_hash[32:] in flat
    assert (second.sales.count, second.sales.amount, second.returns.count) == (2, sales, 1)


# ================================================================== desk documents


def new_customer(shop: TestStore):  # type: ignore[no-untyped-def]
    from counter.desk.customers import Address, ContactDetails, create_customer

    details = ContactDetails.checked(
        "Jane Doe",
        "(217) 555-0175",
        "jane@example.com",
        address=Address("12 Elm Street", "Apt 4", "Riverton", "IL", "62704"),
    )
    return create_customer(shop.user("Maria"), details, uow_factory=shop.uow, clock=shop.clock)


def test_the_letter_is_addressed_to_the_customer_quotes_the_case_and_says_the_outcome(shop: TestStore) -> None:
    from counter.desk.cases import (
        CaseStatus,
        ContactKind,
        LinkedTransaction,
        LinkKind,
        LogContact,
        change_status,
        log_contact,
    )
    from counter.desk.referrals import Priority, add_department_note, refer_case
    from db.desk_queries import case_events, get_case, referrals_for_case

    jane = new_customer(shop)
    sale = card_sale(shop, [(item(shop, "small-appliances"), 1)])
    maria = shop.user("Maria")
    case = log_contact(
        maria,
        LogContact(
            jane.id,
            ContactKind.COMPLAINT,
            "Product quality",
            "The kettle stopped heating after a week.",
            "",
            (LinkedTransaction(LinkKind.SALE, sale.receipt_number),),
        ),
        uow_factory=shop.uow,
        clock=shop.clock,
        terminal=shop.terminal,
    ).case
    referral = refer_case(
        maria,
        case.id,
        "warranty",
        Priority.HIGH,
        None,
        "Test it",
        config=DeskConfig(),
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
    )
    add_department_note(
        shop.user("Dana"), referral.id, "Replaced under warranty.", outcome=True, uow_factory=shop.uow, clock=shop.clock
    )
    change_status(
        maria, case.id, CaseStatus.RESOLVED, "A new kettle is at the desk.", uow_factory=shop.uow, clock=shop.clock
    )
    case = get_case(shop.db.read, case.id)
    assert case is not None
    from counter.desk.cases import events_text

    letter = outcome_letter(
        case,
        jane,
        shop.cfg,
        outcome=case.resolution,
        signed_by="Maria Lopez",
        now=shop.clock.now(),
        events=events_text(case_events(shop.db.read, case.id), shop.cfg.zone),
        referrals=referrals_for_case(shop.db.read, case.id),
    )
    pdf = pdf_text(render_letter_pdf(letter))
    assert pdf.startswith("Harbor & Main General Store")
    assert "Jane Doe 12 Elm Street Apt 4 Riverton, IL 62704" in pdf, pdf
    assert f"Our reference: {case.number}" in pdf
    assert "Dear Jane," in pdf
    assert "Your complaint about product quality" in pdf
    assert "“The kettle stopped heating after a week”" in pdf
    assert f"Your case number is {case.number}." in pdf
    assert "our Warranty and repair team" in pdf
    assert "The outcome: A new kettle is at the desk." in pdf
    assert f"call us on {shop.cfg.phone}, quoting case {case.number}" in pdf
    assert "Yours sincerely, Maria Lopez Service desk, Harbor & Main General Store" in pdf
    assert "Contact on file: jane@example.com" in pdf
    local = case.opened_at.astimezone(shop.cfg.zone)
    opened = f"{local.strftime('%B')} {local.day}, {local.year}"  # CLDR's en_US long date: no leading zero
    assert f"on {opened} about your complaint" in pdf
    # its foot says how to reach the store; the receipt's footer is not a letter's
    assert pdf.rstrip().endswith(f"{shop.cfg.phone}"), pdf[-200:]
    assert f"Harbor & Main General Store · {', '.join(shop.cfg.address_lines)} · {shop.cfg.phone}" in pdf
    for line in shop.cfg.footer_lines:
        assert line not in pdf


def test_the_layaway_agreement_states_the_items_total_deposit_balance_and_terms(shop: TestStore) -> None:
    jane = new_customer(shop)
    maria = shop.user("Maria")
    toaster = item(shop, "small-appliances")
    rules = DeskConfig().rules
    kw = dict(uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    deposit = Tender(TenderKind.CARD, Decimal("25.00"), Decimal("25.00"), CardDetails("Visa", "4242", "LAY001"))
    result = open_order(maria, OrderKind.LAYAWAY, jane.id, [OrderLine(1, toaster, 3)], [deposit], rules=rules, **kw)  # type: ignore[arg-type]
    order = result.order
    net = toaster.price * 3
    tax = half_up(net * Decimal("0.0825"))
    total = net + tax
    assert (order.total, order.tax, order.paid) == (total, tax, Decimal("25.00"))
    fee = max(Decimal("5.00"), half_up(total * Decimal("0.10")))
    due = (shop.clock.now().astimezone(shop.cfg.zone) + timedelta(days=60)).date()
    m = lambda a: money(shop, a)  # noqa: E731

    doc = order_agreement(order, jane, shop.cfg, result.payment, "Maria Lopez")
    pdf = pdf_text(render_slip_pdf(doc))
    thermal = " ".join(rows(slip_text(render_slip(doc, PROFILE))))
    for text in (pdf, thermal):
        assert f"Agreement {order.number}" in text, text
        assert "Customer Jane Doe" in text and "(217) 555-0175" in text
        assert f"Collect by {due.isoformat()}" in text
        assert f"3 × {toaster.name}"[:30] in text.replace(" x ", " × ") and m(net) in text
        assert f"Tax {m(tax)}" in text and f"TOTAL {m(total)}" in text
        assert f"Paid today {m(Decimal('25.00'))}" in text
        assert f"BALANCE DUE {m(total - Decimal('25.00'))}" in text
        assert f"a cancellation fee of {m(fee)}" in text
        assert f"by {due.strftime('%B')} {due.day}, {due.year}" in text
        assert f"at least {m(half_up(total * Decimal('0.20')))}" in text
    assert "LAYAWAY AGREEMENT" in thermal and "Layaway Agreement" in pdf
    assert "Customer's signature" in pdf

    # The payment slip of a later payment says what was paid and what is still owed.
    paid = pay_order(maria, order.id, [Tender(TenderKind.CASH, Decimal("10.00"), Decimal("20.00"))], **kw)  # type: ignore[arg-type]
    assert paid.payment is not None
    slip = payment_receipt(
        paid.payment,
        shop.cfg,
        cashier="Maria Lopez",
        customer="Jane Doe",
        what=order.number,
        owed_after=paid.order.balance,
    )
    printed = rows(slip_text(render_slip(slip, PROFILE)))
    assert f"Receipt {paid.payment.number}" in printed and f"For {order.number}" in printed
    assert f"PAID {m(Decimal('10.00'))}" in printed
    assert f"Cash {m(Decimal('20.00'))}" in printed and f"Change {m(Decimal('10.00'))}" in printed
    assert f"Still owed {m(total - Decimal('35.00'))}" in printed
