"""Part payments journaled as they are taken, and a void that gives each back by its own
tender (issue #16 point 3; counter.sales.part_payments, counter.sales.voids), on a real
store: what is journaled, the rows they project, the voucher's balance, the drawer's
expected cash, the X report, the void slip as printed, and who may give money back.

Figures from the demo catalog: a T-shirt is 9.99 + 8.25 % tax = 10.81; a kettle 29.99 +
2.47 tax = 32.46; prices before tax."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from counter.cash.report_document import report_document
from counter.cash.shifts import x_report
from counter.errors import CartError, TenderError
from counter.journal import EventType
from counter.people.users import User
from counter.returns.policy import ApprovalKind
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.part_payments import TakePartPayment, take_part_payment
from counter.sales.tenders import CardDetails, Payment, Tender, TenderKind
from counter.sales.voids import (
    VoidApprovalNeeded,
    VoidPaidSale,
    VoidRecord,
    give_back_question,
    void_paid_sale,
)
from counter.sales.vouchers import VoucherError
from counter.trust.approvals import ApprovalError, grant_approval
from db import schema as s
from db.derive import derive_and_compare
from db.queries import journal_entries
from devices.escpos.encoder import render_receipt
from tests.conftest import FAST_HASHER
from tests.db.support import TestStore
from tests.db.test_accounts_rules import customer, voucher
from tests.db.test_documents_content import PROFILE, rows, slip_text

D = Decimal
VISA = CardDetails("Visa", "4242", "A1B2C3")


def m(shop: TestStore, amount: Decimal) -> str:
    return shop.cfg.currency.format(amount, shop.cfg.locale)


def open_sale(shop: TestStore, *categories: str) -> tuple[Cart, Payment]:
    cart = Cart(shop.cfg.currency, shop.cfg.prices_include_tax)
    for category in categories or ("apparel",):
        cart.add(shop.item_in(category), 1)
    return cart, Payment(cart.total, shop.cfg.currency, shop.cfg.smallest_coin)


def taken(shop: TestStore, payment: Payment, tender: Tender, cashier: str = "Maria") -> None:
    """The tender just added to ``payment`` journaled as a part payment, as the sale screen does."""
    cmd = TakePartPayment(shop.user(cashier), payment.sale_id, len(payment.tenders), tender, payment.total)
    take_part_payment(cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    payment.recorded = len(payment.tenders)


def void(shop: TestStore, cart: Cart, payment: Payment, who: str = "Dana", **kw: Any) -> VoidRecord:
    cmd = VoidPaidSale(shop.user(who), payment.sale_id, cart, payment.total, tuple(payment.tenders), payment.recorded)
    if "request_id" in kw:
        from dataclasses import replace

        cmd = replace(cmd, request_id=kw["request_id"])
    return void_paid_sale(cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)


def bodies(shop: TestStore, kind: str) -> list[dict[str, Any]]:
    return [e.body_data() for e in journal_entries(shop.db.read, shop.terminal.terminal_id) if e.type == kind]


def types(shop: TestStore) -> list[str]:
    return [e.type for e in journal_entries(shop.db.read, shop.terminal.terminal_id)]


def expected_cash(shop: TestStore) -> Decimal:
    with shop.read_uow() as uow:
        shift = uow.shifts.current(shop.terminal.terminal_id)
        assert shift is not None
        return uow.shifts.expected_cash(shift)


def slip(shop: TestStore, record: VoidRecord) -> list[str]:
    """The void slip as the printer prints it, from what the void made due."""
    with shop.read_uow() as uow:
        (due,) = uow.outbox.pending([record.void_number])
    return rows(slip_text(render_receipt(due.document, PROFILE)))


def rows_of(shop: TestStore, table: Any) -> list[dict[str, Any]]:
    with shop.db.read.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def verify_clean(shop: TestStore) -> None:
    out = derive_and_compare(shop.db.read, workers=0)
    assert not out.differences and not out.entry_problems, (out.differences[:3], out.entry_problems[:3])


# ------------------------------------------------------------------ cash


def test_a_cash_part_payment_is_journaled_when_taken_and_a_void_gives_it_back_from_the_drawer(
    shop: TestStore,
) -> None:
    before = expected_cash(shop)
    cart, payment = open_sale(shop)
    tender = payment.add_cash(D("5.00"), part_payment=True)
    taken(shop, payment, tender)

    (body,) = bodies(shop, EventType.PART_PAYMENT_TAKEN)
    assert body == {
        "sale_id": payment.sale_id,
        "seq": 1,
        "user": shop.user("Maria").id,
        "currency": "USD",
        "total": 1081,
        "tender": {
            "kind": "cash",
            "amount": 500,
            "tendered": 500,
            "card_brand": None,
            "card_last4": None,
            "approval_code": None,
        },
    }
    assert expected_cash(shop) == before + D("5.00")  # the $5 is in the drawer from now on
    with shop.read_uow() as uow:
        (waiting,) = uow.sales.interrupted(shop.terminal.terminal_id)  # what a stop now would leave
    assert (waiting.sale_id, waiting.total, waiting.tenders) == (payment.sale_id, D("10.81"), (tender,))

    record = void(shop, cart, payment)  # Dana, a supervisor, may give money back herself
    assert record.cash_out == D("5.00") and record.approved_by is None
    assert record.void_number == f"{shop.terminal.code}-V000001"
    (voided,) = bodies(shop, EventType.SALE_VOIDED)
    assert voided == {
        "user": shop.user("Dana").id,
        "lines": 1,
        "total": 1081,
        "sale_id": payment.sale_id,
        "void_number": record.void_number,
        "part_payments": 1,
        "given_back": [
            {
                "seq": 1,
                "kind": "cash",
                "amount": 500,
                "tendered": 500,
                "card_brand": None,
                "card_last4": None,
                "approval_code": None,
            }
        ],
        "request_id": voided["request_id"],
    }
    assert expected_cash(shop) == before  # in and out again
    with shop.read_uow() as uow:
        assert uow.sales.interrupted(shop.terminal.terminal_id) == []
        assert uow.sales.sale_state(payment.sale_id) == "voided"
        report = x_report(uow, shop.terminal.terminal_id, shop.cfg.currency, shop.cfg.zone)
    assert (report.voids.count, report.voids.amount) == (1, D("10.81"))
    assert (report.tenders_in["Cash"].amount, report.tenders_out["Cash"].amount) == (D("5.00"), D("5.00"))
    assert (report.voids_given_back.count, report.voids_given_back.amount) == (1, D("5.00"))
    assert report.sales.count == 0
    paper = report_document(report, shop.cfg, printed_at=shop.clock.now(), printed_by="Dana Whitfield")
    figures = {row.label: row.value for section in paper.sections for row in section.rows}
    assert figures["Voided sales"] == "1  $10.81" and figures["  payments given back"] == "1  $5.00"
    printed = slip(shop, record)
    assert "VOID" in printed and "Sale voided: payments given back" in printed
    assert f"Void {record.void_number}" in printed
    assert any(r.startswith(cart.lines[0].item.name[:20]) and r.endswith("$9.99 A") for r in printed), printed
    assert "VOIDED $10.81" in printed and "Cash given back $5.00" in printed
    assert "Voided by Dana Whitfield." in printed and "No approval was needed." in printed
    verify_clean(shop)


def test_a_void_cannot_follow_a_completion_nor_a_completion_a_void(shop: TestStore) -> None:
    cart, payment = open_sale(shop)
    taken(shop, payment, payment.add_cash(D("5.00"), part_payment=True))
    void(shop, cart, payment)
    with pytest.raises(CartError, match="already voided"):
        void(shop, cart, payment)
    payment.add_card(payment.remaining, VISA)
    cmd = CompleteSale(
        shop.user("Maria"), cart.lines, None, payment.tenders, payment.rounding, sale_id=payment.sale_id,
        part_payments=payment.recorded,
    )  # fmt: skip
    with pytest.raises(CartError, match="already voided"):
        complete_sale(cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    with pytest.raises(CartError, match="already voided"):
        taken(shop, payment, payment.tenders[-1])


# ------------------------------------------------------------------ completing


def test_a_part_paid_sale_completes_under_its_id_with_each_payment_counted_once(shop: TestStore) -> None:
    code = voucher(shop, "20.00", customer(shop))
    before = expected_cash(shop)
    cart, payment = open_sale(shop, "small-appliances")  # the kettle, 32.46
    assert payment.total == D("32.46")
    taken(shop, payment, payment.add_cash(D("5.00"), part_payment=True))
    taken(shop, payment, payment.add_store_credit(D("10.00"), code, D("20.00")))
    with shop.read_uow() as uow:
        assert uow.vouchers.balance(code) == D("10.00")  # held from the moment it was taken
    payment.add_card(payment.remaining, VISA)
    cmd = CompleteSale(
        shop.user("Maria"), cart.lines, None, payment.tenders, payment.rounding, sale_id=payment.sale_id,
        part_payments=payment.recorded,
    )  # fmt: skip
    sale = complete_sale(cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    assert sale.id == payment.sale_id
    (done,) = bodies(shop, EventType.SALE_COMPLETED)[-1:]
    assert done["part_payments"] == 2 and [t["amount"] for t in done["tenders"]] == [500, 1000, 1746]
    with shop.read_uow() as uow:
        assert uow.vouchers.balance(code) == D("10.00")  # redeemed once, not again at completion
        assert uow.sales.sale_state(sale.id) == "completed"
        assert uow.sales.interrupted(shop.terminal.terminal_id) == []
        report = x_report(uow, shop.terminal.terminal_id, shop.cfg.currency, shop.cfg.zone)
    movements = [r for r in rows_of(shop, s.voucher_movements) if r["voucher_code"] == code]
    assert [(r["amount_minor"], r["reference"]) for r in movements] == [
        (2000, movements[0]["reference"]),
        (-1000, sale.id),
    ]
    assert expected_cash(shop) == before + D("5.00")  # the cash part once, not twice
    assert report.tenders_in["Cash"].amount == D("5.00") and report.tenders_in["Store credit"].amount == D("10.00")
    assert report.tenders_in["Visa"].amount == D("17.46") and report.sales.amount == D("32.46")
    with pytest.raises(CartError, match="already completed"):
        void(shop, cart, payment)
    verify_clean(shop)


def test_a_completion_whose_payments_differ_from_those_recorded_is_refused(shop: TestStore) -> None:
    sales_before = types(shop).count(EventType.SALE_COMPLETED)
    cart, payment = open_sale(shop)
    taken(shop, payment, payment.add_cash(D("5.00"), part_payment=True))
    payment.add_card(payment.remaining, VISA)
    forged = [Tender(TenderKind.CASH, D("4.00"), D("4.00")), Tender(TenderKind.CARD, D("6.81"), D("6.81"), VISA)]
    for tenders, count in ((forged, 1), (payment.tenders, 0), (payment.tenders, 2)):
        cmd = CompleteSale(
            shop.user("Maria"), cart.lines, None, tenders, D(0), sale_id=payment.sale_id, part_payments=count
        )
        with pytest.raises(TenderError, match="do not match the part payments"):
            complete_sale(cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    assert types(shop).count(EventType.SALE_COMPLETED) == sales_before


# ------------------------------------------------------------------ card, voucher, mixed


def test_a_card_part_payment_is_reversed_by_its_own_card_and_no_card_number_is_kept(shop: TestStore) -> None:
    before = expected_cash(shop)
    cart, payment = open_sale(shop, "small-appliances")
    taken(shop, payment, payment.add_card(D("20.00"), VISA))
    record = void(shop, cart, payment)
    assert record.cash_out == 0
    (body,) = bodies(shop, EventType.SALE_VOIDED)
    assert body["given_back"] == [
        {
            "seq": 1,
            "kind": "card",
            "amount": 2000,
            "tendered": 2000,
            "card_brand": "Visa",
            "card_last4": "4242",
            "approval_code": "A1B2C3",
        }
    ]
    (row,) = rows_of(shop, s.voided_payments)
    assert (row["kind"], row["amount_minor"], row["card_last4"], row["recorded_before"]) == ("card", 2000, "4242", True)
    assert expected_cash(shop) == before
    printed = slip(shop, record)
    assert "Visa **** 4242 reversed $20.00" in printed and "Approval A1B2C3" in printed
    assert "Cards are reversed on the card terminal." in printed
    with shop.read_uow() as uow:
        report = x_report(uow, shop.terminal.terminal_id, shop.cfg.currency, shop.cfg.zone)
    assert report.tenders_out["Visa"].amount == D("20.00") and "Cash" not in report.tenders_out


def test_a_voucher_part_payment_is_redeemed_when_taken_and_restored_by_the_void(shop: TestStore) -> None:
    code = voucher(shop, "20.00", customer(shop))
    cart, payment = open_sale(shop, "small-appliances")
    taken(shop, payment, payment.add_store_credit(D("15.00"), code, D("20.00")))
    with shop.read_uow() as uow:
        assert uow.vouchers.balance(code) == D("5.00")
    # the same voucher cannot be spent meanwhile beyond what is left (here: another sale)
    other_cart, other = open_sale(shop)
    with pytest.raises(VoucherError, match="holds only"):
        taken(shop, other, other.add_store_credit(D("6.00"), code, D("20.00")))
    record = void(shop, cart, payment)
    with shop.read_uow() as uow:
        assert uow.vouchers.balance(code) == D("20.00")  # its balance restored
    moves = [
        (r["amount_minor"], r["reference"]) for r in rows_of(shop, s.voucher_movements) if r["voucher_code"] == code
    ]
    assert moves[1:] == [(-1500, payment.sale_id), (1500, payment.sale_id)]
    printed = slip(shop, record)
    assert "Back on store credit $15.00" in printed and f"Voucher {code}" in printed
    verify_clean(shop)


def test_mixed_part_payments_go_back_each_by_its_own_tender(shop: TestStore) -> None:
    code = voucher(shop, "20.00", customer(shop))
    before = expected_cash(shop)
    cart, payment = open_sale(shop, "small-appliances", "apparel")  # 29.99 + 9.99, taxed together
    taken(shop, payment, payment.add_cash(D("5.00"), part_payment=True))
    taken(shop, payment, payment.add_card(D("20.00"), VISA))
    taken(shop, payment, payment.add_store_credit(D("10.00"), code, D("20.00")))
    assert expected_cash(shop) == before + D("5.00")
    question = give_back_question(payment.tenders, lambda a: m(shop, a))
    assert question == (f"Give back $5.00 cash, reverse Visa •••• 4242 $20.00 and put $10.00 back on voucher {code}?")
    record = void(shop, cart, payment)
    assert [(t.kind, t.amount) for t in record.given_back] == [
        (TenderKind.CASH, D("5.00")),
        (TenderKind.CARD, D("20.00")),
        (TenderKind.STORE_CREDIT, D("10.00")),
    ]
    assert [(r["seq"], r["kind"], r["amount_minor"]) for r in rows_of(shop, s.voided_payments)] == [
        (1, "cash", 500),
        (2, "card", 2000),
        (3, "store_credit", 1000),
    ]
    assert expected_cash(shop) == before
    with shop.read_uow() as uow:
        assert uow.vouchers.balance(code) == D("20.00")
    printed = slip(shop, record)
    names = [ln.item.name[:20] for ln in cart.lines]
    assert all(any(r.startswith(n) for r in printed) for n in names), printed
    assert {"Cash given back $5.00", "Visa **** 4242 reversed $20.00", "Back on store credit $10.00"} <= set(printed)
    assert "VOIDED $43.28" in printed  # 39.98 + 8.25 % of it, taxed per document
    verify_clean(shop)


# ------------------------------------------------------------------ who may


def test_a_cashier_gives_money_back_only_with_a_supervisors_approval_of_that_amount(shop: TestStore) -> None:
    cart, payment = open_sale(shop)
    taken(shop, payment, payment.add_cash(D("5.00"), part_payment=True))
    maria: User = shop.user("Maria")
    with pytest.raises(VoidApprovalNeeded, match=r"A supervisor must approve giving back \$5.00") as refused:
        void(shop, cart, payment, who="Maria", request_id="req-1")
    assert refused.value.amount == D("5.00") and refused.value.kinds == frozenset({ApprovalKind.VOID_PAID})
    refusal = bodies(shop, EventType.ACCESS_REFUSED)[-1]
    assert (refusal["user"], refusal["permission"], refusal["detail"]) == (
        maria.id,
        "refund_cash",
        {"request_id": "req-1"},
    )
    assert EventType.SALE_VOIDED not in types(shop)

    def approve(amount: str, approver: str = "Dana", pin: str = "3333") -> None:
        grant_approval(
            request_id="req-1", kinds=[ApprovalKind.VOID_PAID], amount=D(amount), requester=maria,
            approver_id=shop.user(approver).id, pin=pin, reason="customer changed their mind",
            uow_factory=shop.uow, hasher=FAST_HASHER, clock=shop.clock, currency_minor=shop.cfg.currency.to_minor,
        )  # fmt: skip

    with pytest.raises(ApprovalError, match="cannot approve your own request"):
        approve("5.00", "Maria", "1111")
    approve("4.00")  # another amount does not let $5.00 go back
    with pytest.raises(VoidApprovalNeeded):
        void(shop, cart, payment, who="Maria", request_id="req-1")
    shop.clock.advance(seconds=1)
    approve("5.00")
    record = void(shop, cart, payment, who="Maria", request_id="req-1")
    assert record.approved_by == "Dana Whitfield"
    assert bodies(shop, EventType.SALE_VOIDED)[0]["approved_by"] == shop.user("Dana").id
    printed = slip(shop, record)
    assert "Voided by Maria Lopez." in printed and "Approved by Dana Whitfield." in printed
    (row,) = rows_of(shop, s.voided_payments)
    assert (row["user_id"], row["approver_id"]) == (maria.id, shop.user("Dana").id)


def test_a_person_without_the_right_to_void_is_refused_and_the_refusal_journaled(shop: TestStore) -> None:
    from dataclasses import replace

    cart, payment = open_sale(shop)
    taken(shop, payment, payment.add_cash(D("5.00"), part_payment=True))
    gone = replace(shop.user("Dana"), active=False)  # deactivated while signed in elsewhere
    cmd = VoidPaidSale(gone, payment.sale_id, cart, payment.total, tuple(payment.tenders), payment.recorded)
    with pytest.raises(CartError, match="may not void a sale"):
        void_paid_sale(cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    assert bodies(shop, EventType.ACCESS_REFUSED)[-1]["action"] == "void a sale"
    assert EventType.SALE_VOIDED not in types(shop)
    with pytest.raises(CartError, match="may not take a payment"):
        take_part_payment(
            TakePartPayment(gone, payment.sale_id, 2, Tender(TenderKind.CASH, D("1.00"), D("1.00")), payment.total),
            uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal,
        )  # fmt: skip


# ------------------------------------------------------------------ after a stop, and the record


def test_an_interrupted_sale_is_given_back_without_its_items(shop: TestStore) -> None:
    _, payment = open_sale(shop)
    taken(shop, payment, payment.add_card(D("4.00"), VISA))
    # Counter stops here: the cart is gone, the part payment is recorded
    with shop.read_uow() as uow:
        (waiting,) = uow.sales.interrupted(shop.terminal.terminal_id)
    restored = Payment(waiting.total, shop.cfg.currency, shop.cfg.smallest_coin, list(waiting.tenders))
    restored.sale_id, restored.recorded = waiting.sale_id, len(waiting.tenders)
    record = void(shop, Cart(shop.cfg.currency, shop.cfg.prices_include_tax), restored)
    assert record.lines == 0 and record.total == D("10.81")
    printed = slip(shop, record)
    assert "Items unknown: the sale was interrupted." in printed
    assert "Visa **** 4242 reversed $4.00" in printed


def test_a_last_payment_whose_sale_failed_to_record_goes_back_as_handed_over(shop: TestStore) -> None:
    before = expected_cash(shop)
    cart, payment = open_sale(shop)
    taken(shop, payment, payment.add_card(D("5.00"), VISA))
    payment.add_cash(D("20.00"))  # settles the rest; say the sale then failed to record
    assert payment.is_complete and payment.recorded == 1
    record = void(shop, cart, payment)
    assert [(t.kind, t.amount) for t in record.given_back] == [
        (TenderKind.CARD, D("5.00")),
        (TenderKind.CASH, D("20.00")),
    ]
    assert record.cash_out == D("20.00")  # all the cash the customer handed over, no change was given
    assert [(r["kind"], r["recorded_before"]) for r in rows_of(shop, s.voided_payments)] == [
        ("card", True),
        ("cash", False),
    ]
    assert expected_cash(shop) == before  # the cash never counted in is not counted out
    with shop.read_uow() as uow:
        report = x_report(uow, shop.terminal.terminal_id, shop.cfg.currency, shop.cfg.zone)
    assert "Cash" not in report.tenders_out and report.tenders_out["Visa"].amount == D("5.00")
    verify_clean(shop)
