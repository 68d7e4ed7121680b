"""The cash drawer's opening is due with the commit that moved the cash (issue #15): a cash
sale, a cash refund, an exchange paid in cash each record one ``Due.DRAWER`` item in their
own transaction; a card sale none. Carrying it out journals DrawerOpened and settles the
item in one transaction (app.drawer), so it is either still due or opened and recorded,
and never opened twice."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from app.drawer import AFTER_RESTART, DueDrawers
from counter.cash.drawer import DrawerOpening, DrawerReason, opening_for_return, opening_for_sale
from counter.journal import verify
from counter.returns.model import ExchangeSale, ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import ReturnRecord, process_return
from counter.returns.refunds import RefundMethod, RefundPart
from counter.sales.cart import CartLine
from counter.sales.checkout import CompleteSale, price_command
from counter.sales.sale import Sale
from counter.sales.tenders import CardDetails, Payment, Tender, TenderKind
from counter.trust.outbox import Due
from db import schema as s
from db.queries import journal_entries
from db.uow import SqlUnitOfWork
from tests.db.support import TestStore


def rows(shop: TestStore, reference: str) -> list[tuple[str, str, str | None]]:
    """(due, state, settled_by) of the outbox rows of ``reference``."""
    with shop.db.read.connect() as conn:
        return [
            (r.due, r.state, r.settled_by)
            for r in conn.execute(
                select(s.outbox.c.due, s.outbox.c.state, s.outbox.c.settled_by)
                .where(s.outbox.c.reference == reference)
                .order_by(s.outbox.c.due)
            )
        ]


def openings(shop: TestStore, reference: str | None = None) -> list[dict[str, object]]:
    return [
        e.body_data()
        for e in journal_entries(shop.db.read, shop.terminal.terminal_id)
        if e.type == "DrawerOpened" and (reference is None or e.body_data()["reference"] == reference)
    ]


def drawers(shop: TestStore) -> DueDrawers:
    return DueDrawers(shop.uow, shop.read_uow, shop.clock)


def give_back(shop: TestStore, sale: Sale, method: RefundMethod, exchange: ExchangeSale | None = None) -> ReturnRecord:
    return process_return(
        ProcessReturn(
            request_id=str(uuid.uuid4()),
            cashier=shop.user("Dana"),
            lines=(ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, sale.lines[0].id),),
            refund_method=method,
            original_receipt=sale.receipt_number,
            exchange=exchange,
        ),
        uow_factory=shop.uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
        rules=shop.rules,
    )


# ------------------------------------------------------------- due with the commit


def test_a_cash_sale_makes_the_drawer_due_in_its_own_commit_with_who_and_how_much(shop: TestStore) -> None:
    shirt = shop.item_in("apparel")
    sale = shop.sell([(shirt, 2)])
    assert rows(shop, sale.receipt_number) == [("drawer", "pending", None), ("print", "pending", None)]
    [item] = drawers(shop).pending([sale.receipt_number])
    maria = shop.user("Maria")
    assert item.opening == DrawerOpening(DrawerReason.CASH_SALE, "sale", maria.id, maria.name, sale.total)
    money = shop.cfg.currency.format(sale.total, shop.cfg.locale)
    assert item.text(lambda m: shop.cfg.currency.format(m, shop.cfg.locale)) == (
        f"Sale {sale.receipt_number} took {money} cash"
    )
    with shop.read_uow() as uow:  # not a document: never offered as one, never printed
        assert [d.due for d in uow.outbox.pending([sale.receipt_number])] == [Due.PRINT]


def test_change_given_is_said_with_the_cash_taken(shop: TestStore) -> None:
    maria = shop.user("Maria")
    card = Tender(TenderKind.CARD, Decimal("5.00"), Decimal("5.00"), CardDetails("Visa", "4242", "A1"))
    opening = opening_for_sale([card, Tender(TenderKind.CASH, Decimal("15.00"), Decimal("20.00"))], maria)
    assert opening is not None and (opening.cash, opening.change) == (Decimal("15.00"), Decimal("5.00"))
    said = opening.text("S01-T01-000009", lambda m: f"${m}")
    assert said == "Sale S01-T01-000009 took $15.00 cash and gave $5.00 change"
    refund = opening_for_return([RefundPart(TenderKind.CASH, Decimal("7.50"))], None, maria)
    assert refund is not None and refund.text("R01-T01-000002", lambda m: f"${m}") == (
        "Return R01-T01-000002 handed out $7.50 cash"
    )
    assert opening_for_return([RefundPart(TenderKind.CARD, Decimal("7.50"))], None, maria) is None
    assert opening_for_sale([card], maria) is None


def test_a_card_sale_makes_no_drawer_due(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)], card=Decimal("1e6"), cash=False)
    assert rows(shop, sale.receipt_number) == [("print", "pending", None)]
    assert drawers(shop).pending([sale.receipt_number]) == []


def test_a_cash_refund_makes_the_drawer_due_with_the_cash_handed_out(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 2)])
    record = give_back(shop, sale, RefundMethod.CASH)
    (part,) = record.quote.allocation.parts
    assert part.kind is TenderKind.CASH
    [item] = drawers(shop).pending([record.return_number])
    dana = shop.user("Dana")
    assert item.opening == DrawerOpening(DrawerReason.CASH_REFUND, "return", dana.id, dana.name, part.amount)
    assert item.text(str).startswith(f"Return {record.return_number} handed out {part.amount} cash")
    assert [d for d, _, _ in rows(shop, record.return_number)] == ["credit_note", "drawer", "print"]


def test_a_refund_to_store_credit_makes_no_drawer_due(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 2)])
    record = give_back(shop, sale, RefundMethod.STORE_CREDIT)
    assert [d for d, _, _ in rows(shop, record.return_number)] == ["credit_note", "print"]


def test_an_exchange_paid_in_cash_makes_one_drawer_due_on_the_return(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel", 0), 1)], card=Decimal("1e6"), cash=False)
    dearer = max((shop.item_in("footwear", n) for n in range(10)), key=lambda i: i.price)
    lines = [CartLine(dearer, 1)]
    total = price_command(CompleteSale(shop.user("Dana"), lines, None, (), Decimal(0)), shop.cfg).total
    payment = Payment(total, shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_exchange_credit(sale.total)
    payment.add_cash(payment.cash_due)
    exchange = ExchangeSale(CompleteSale(shop.user("Dana"), lines, None, tuple(payment.tenders), payment.rounding))
    record = give_back(shop, sale, RefundMethod.ORIGINAL, exchange)
    assert record.exchange_sale is not None and record.quote.allocation.parts == ()
    [item] = drawers(shop).pending([record.return_number, record.exchange_sale.receipt_number])
    assert item.reference == record.return_number  # one opening, on the return, not two
    assert (item.opening.reason, item.opening.record) == (DrawerReason.CASH_SALE, "return")
    assert item.opening.cash == total - sale.total
    assert item.text(str).startswith(f"Exchange {record.return_number} took {total - sale.total} cash")
    assert rows(shop, record.exchange_sale.receipt_number) == [("print", "pending", None)]


def test_an_exchange_paid_by_card_makes_no_drawer_due(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel", 0), 1)], card=Decimal("1e6"), cash=False)
    dearer = max((shop.item_in("footwear", n) for n in range(10)), key=lambda i: i.price)
    lines = [CartLine(dearer, 1)]
    total = price_command(CompleteSale(shop.user("Dana"), lines, None, (), Decimal(0)), shop.cfg).total
    payment = Payment(total, shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_exchange_credit(sale.total)
    payment.add_card(payment.remaining, CardDetails("Visa", "4242", "EXCH02"))
    exchange = ExchangeSale(CompleteSale(shop.user("Dana"), lines, None, tuple(payment.tenders), payment.rounding))
    record = give_back(shop, sale, RefundMethod.ORIGINAL, exchange)
    assert drawers(shop).pending([record.return_number]) == []


# ------------------------------------------------------------- carried out once


def test_opening_journals_and_settles_in_one_step_and_never_twice(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    due = drawers(shop)
    sam = shop.user("Sam")
    [request_id] = due.open_for([sale.receipt_number], sam.id)
    assert openings(shop, sale.receipt_number) == [
        {
            "request_id": request_id,
            "reason": "cash_sale",
            "user": sam.id,
            "reference": sale.receipt_number,
            "note": "",
            "approved": False,
        }
    ]
    assert ("drawer", "done", sam.id) in rows(shop, sale.receipt_number)
    assert due.open_for([sale.receipt_number], sam.id) == []  # nothing due any more: no second kick
    assert due.pending() == []
    assert len(openings(shop, sale.receipt_number)) == 1
    assert verify(list(journal_entries(shop.db.read, shop.terminal.terminal_id))).ok


def test_an_item_settled_meanwhile_is_not_opened_again(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    due = drawers(shop)
    [item] = due.pending([sale.receipt_number])  # read by two screens
    assert due.open(item, shop.user("Sam").id, AFTER_RESTART) is not None
    assert due.open(item, shop.user("Maria").id) is None
    assert due.decline([item], shop.user("Maria").id) == 0
    [entry] = openings(shop, sale.receipt_number)
    assert (entry["user"], entry["note"]) == (shop.user("Sam").id, AFTER_RESTART)


@pytest.mark.parametrize("step", ["journal", "outbox"])
def test_a_fault_at_either_write_of_the_opening_leaves_it_due_and_nothing_journaled(shop: TestStore, step: str) -> None:
    """The disk goes right after the entry is written, or right after the item is settled:
    whichever comes second, nothing of the first may stay (one transaction, not two)."""
    sale = shop.sell([(shop.item_in("apparel"), 1)])

    class Boom(Exception):
        pass

    class FailingUow(SqlUnitOfWork):
        def __enter__(self):  # type: ignore[no-untyped-def]
            uow = super().__enter__()
            repo = uow.journal if step == "journal" else uow.outbox
            name = "append" if step == "journal" else "settle"
            real = getattr(repo, name)

            def written_then_boom(*args, **kwargs):  # type: ignore[no-untyped-def]
                real(*args, **kwargs)
                raise Boom("disk pulled")

            setattr(repo, name, written_then_boom)
            return uow

    failing = DueDrawers(lambda: FailingUow(shop.db.write, shop.terminal, shop.cfg.currency), shop.read_uow, shop.clock)
    with pytest.raises(Boom):
        failing.open_for([sale.receipt_number], shop.user("Maria").id)
    assert ("drawer", "pending", None) in rows(shop, sale.receipt_number)  # still due ...
    assert openings(shop, sale.receipt_number) == []  # ... and not recorded as opened
    assert len(drawers(shop).open_for([sale.receipt_number], shop.user("Maria").id)) == 1  # offered, then opened
    assert len(openings(shop, sale.receipt_number)) == 1


def test_declined_openings_are_settled_with_who_and_nothing_is_journaled(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    due = drawers(shop)
    items = due.pending([sale.receipt_number])
    assert due.decline(items, "u-cashier-2") == 1
    assert due.decline(items, "u-cashier-2") == 0
    assert ("drawer", "declined", "u-cashier-2") in rows(shop, sale.receipt_number)
    assert due.open_for([sale.receipt_number], "u-cashier-2") == [] and openings(shop, sale.receipt_number) == []


def test_a_drawer_opening_is_never_added_as_a_document(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)], card=Decimal("1e6"), cash=False)
    from counter.sales.sale import receipt_for

    with shop.uow() as uow, pytest.raises(ValueError, match="add_drawer"):
        uow.outbox.add(Due.DRAWER, sale.receipt_number, receipt_for(sale, shop.cfg), shop.clock.now())


def test_a_due_opening_edited_into_nonsense_is_not_offered_and_not_lost(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    with shop.db.write.begin() as conn:  # someone with the file, triggers dropped
        conn.execute(text("DROP TRIGGER outbox_fixed"))
        conn.execute(
            text("UPDATE outbox SET document = :d WHERE reference = :r AND due = 'drawer'"),
            {"r": sale.receipt_number, "d": json.dumps({"reason": "cash_sale", "record": "order", "cash": "1"})},
        )
    assert drawers(shop).pending([sale.receipt_number]) == []
    assert ("drawer", "pending", None) in rows(shop, sale.receipt_number)


@pytest.mark.parametrize(
    "broken",
    [
        {"record": "sale", "user": "u", "cashier": "M", "cash": "1", "change": "0"},  # no reason
        {"reason": "cash_sale", "record": "sale", "user": "u", "cashier": "M", "cash": "lots", "change": "0"},
        {"reason": "no_sale", "record": "sale", "user": "u", "cashier": "M", "cash": "1", "change": "0"},
        {"reason": "cash_sale", "record": "order", "user": "u", "cashier": "M", "cash": "1", "change": "0"},
        {"reason": "whatever", "record": "sale", "user": "u", "cashier": "M", "cash": "1", "change": "0"},
    ],
)
def test_the_opening_reads_back_only_what_it_wrote(broken: dict[str, str]) -> None:
    opening = DrawerOpening(DrawerReason.CASH_SALE, "sale", "u-1", "Maria", Decimal("12.30"), Decimal("0.70"))
    assert DrawerOpening.from_data(json.loads(json.dumps(opening.to_data()))) == opening
    with pytest.raises((KeyError, ValueError, ArithmeticError)):
        DrawerOpening.from_data(broken)


def test_a_desk_payment_in_cash_makes_the_drawer_due_keyed_by_its_number(shop: TestStore) -> None:
    """Deposits, order and account payments, cancellation refunds: the desk's cash opens the
    drawer the durable way too (before, the desk journaled the opening after its commit)."""
    from counter.desk.customers import ContactDetails, create_customer
    from counter.desk.orders import OrderKind, OrderLine, open_order
    from counter.desk.service import DeskConfig

    maria = shop.user("Maria")
    jane = create_customer(
        maria,
        ContactDetails.checked("Jane Doe", "(217) 555-0175", "jane@example.com"),
        uow_factory=shop.uow,
        clock=shop.clock,
    )
    kw = dict(uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)
    toaster = shop.item_in("small-appliances")
    rules = DeskConfig().rules
    cash = Tender(TenderKind.CASH, Decimal("25.00"), Decimal("30.00"))
    by_cash = open_order(maria, OrderKind.LAYAWAY, jane.id, [OrderLine(1, toaster, 2)], [cash], rules=rules, **kw)  # type: ignore[arg-type]
    card = Tender(TenderKind.CARD, Decimal("25.00"), Decimal("25.00"), CardDetails("Visa", "4242", "LAY001"))
    by_card = open_order(maria, OrderKind.LAYAWAY, jane.id, [OrderLine(1, toaster, 2)], [card], rules=rules, **kw)  # type: ignore[arg-type]
    assert by_cash.payment is not None and by_card.payment is not None
    number = by_cash.payment.number
    assert rows(shop, number) == [("drawer", "pending", None)]
    assert rows(shop, by_card.payment.number) == []  # a card deposit opens nothing
    [item] = drawers(shop).pending([number])
    assert item.opening == DrawerOpening(
        DrawerReason.CASH_SALE, "payment", maria.id, maria.name, Decimal("25.00"), Decimal("5.00")
    )
    money = lambda m: shop.cfg.currency.format(m, shop.cfg.locale)  # noqa: E731
    assert item.text(money) == f"Payment {number} took $25.00 cash and gave $5.00 change"
    drawers(shop).open_for([number], maria.id)
    assert rows(shop, number) == [("drawer", "done", maria.id)]
    assert [(o["reason"], o["reference"]) for o in openings(shop, number)] == [("cash_sale", number)]
