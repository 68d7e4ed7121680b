"""The application layer's rules without a window (issue #15): the documents a commit makes
due (the outbox), the spooler that carries them out, and the sale screen's commands that
now check their rights in the domain (void a sale, void a line, reprint, X report)."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app.reactions import Reactions, documents_folder
from app.spooler import AlreadyCarriedOut, JobFinished, JobQueued, Spooler
from counter.cash.shifts import ShiftError, take_x_report
from counter.documents import receipt_from_data, receipt_to_data
from counter.errors import CartError
from counter.journal import EventType
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import ReturnRecord, process_return
from counter.returns.refunds import RefundMethod
from counter.sales.cart import Cart
from counter.sales.commands import record_reprint, void_line, void_sale
from counter.sales.sale import Sale, receipt_for
from counter.trust.outbox import Due, DueState
from db import schema as s
from devices.escpos.decode import decode
from devices.escpos.encoder import PrinterProfile
from tests.db.support import TestStore


def due_rows(shop: TestStore) -> list[tuple[str, str, str]]:
    with shop.db.read.connect() as conn:
        return [
            (r.due, r.reference, r.state)
            for r in conn.execute(
                select(s.outbox.c.due, s.outbox.c.reference, s.outbox.c.state).order_by(
                    s.outbox.c.created_at, s.outbox.c.due
                )
            )
        ]


def journal_types(shop: TestStore) -> list[str]:
    with shop.db.read.connect() as conn:
        return list(
            conn.execute(
                select(s.journal.c.type)
                .where(s.journal.c.terminal_id == shop.terminal.terminal_id)
                .order_by(s.journal.c.seq)
            ).scalars()
        )


def spooler(shop: TestStore) -> tuple[Spooler, list[object]]:
    events: list[object] = []
    spool = Spooler(shop.uow, shop.clock, None, PrinterProfile())
    spool.subscribe(events.append)
    return spool, events


def return_first_line(
    shop: TestStore, sale: Sale, request_id: str, reason: Reason, condition: Condition
) -> ReturnRecord:
    """One unit of the sale's first line back, to store credit, in the command's three steps."""
    return process_return(
        ProcessReturn(
            request_id=request_id,
            cashier=shop.user("Dana"),
            lines=(ReturnLineRequest(1, reason, condition, sale.lines[0].id),),
            refund_method=RefundMethod.STORE_CREDIT,
            original_receipt=sale.receipt_number,
        ),
        uow_factory=shop.uow,
        read_uow_factory=shop.read_uow,
        clock=shop.clock,
        store=shop.cfg,
        terminal=shop.terminal,
        rules=shop.rules,
    )


# ------------------------------------------------------------------ the outbox


def test_a_sale_makes_its_receipt_due_in_its_own_commit_with_its_whole_content(shop: TestStore) -> None:
    before = due_rows(shop)
    sale = shop.sell([(shop.item_in("apparel"), 2)])  # for cash: the drawer's opening is due too
    assert due_rows(shop) == [
        *before,
        ("drawer", sale.receipt_number, "pending"),
        ("print", sale.receipt_number, "pending"),
    ]
    with shop.read_uow() as uow:
        [item] = uow.outbox.pending([sale.receipt_number])
    assert item.due is Due.PRINT and item.label == f"Receipt {sale.receipt_number}"
    assert item.document == receipt_for(sale, shop.cfg)  # the whole receipt, read back as written


def test_a_return_makes_its_receipt_and_its_credit_note_due(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 2)])
    record = return_first_line(shop, sale, "r-1", Reason.CHANGED_MIND, Condition.NEW)
    with shop.read_uow() as uow:
        items = uow.outbox.pending([record.return_number])
    assert sorted(i.due for i in items) == [Due.CREDIT_NOTE, Due.PRINT]
    doc = items[0].document
    assert doc.receipt_number == record.return_number and doc.original_receipt == sale.receipt_number
    assert doc.total == record.quote.refund_total and doc.voucher_code == record.voucher_code
    assert doc.cashier == shop.user("Dana").name  # who took the return, on its receipt
    assert {i.label for i in items} == {f"Return receipt {record.return_number}", f"Credit note {record.return_number}"}


def test_a_failed_commit_leaves_nothing_due(shop: TestStore) -> None:
    before = due_rows(shop)
    cart = Cart(shop.cfg.currency, shop.cfg.prices_include_tax)
    cart.add(shop.item_in("apparel"), 1)
    from counter.errors import TenderError
    from counter.sales.checkout import CompleteSale, complete_sale
    from counter.sales.tenders import Payment

    payment = Payment(cart.total, shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_cash(cart.total + Decimal("1"))  # paid, but the cart is changed before the commit
    cart.add(shop.item_in("apparel", 1), 1)
    with pytest.raises(TenderError, match="do not match the total"):
        complete_sale(
            CompleteSale(shop.user("Maria"), cart.lines, None, payment.tenders, payment.rounding),
            uow_factory=shop.uow,
            clock=shop.clock,
            store=shop.cfg,
            terminal=shop.terminal,
        )
    assert due_rows(shop) == before


def test_what_is_due_keeps_its_content_is_settled_once_and_is_never_deleted(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    with shop.read_uow() as uow:
        [item] = uow.outbox.pending([sale.receipt_number])
    with shop.db.write.connect() as conn, pytest.raises(IntegrityError, match="keeps its content"):
        conn.execute(text("UPDATE outbox SET document = '{}' WHERE id = :id"), {"id": item.id})
    with shop.db.write.connect() as conn, pytest.raises(IntegrityError, match="never deleted"):
        conn.execute(text("DELETE FROM outbox WHERE id = :id"), {"id": item.id})
    with shop.uow() as uow:
        assert uow.outbox.settle(item.id, DueState.DONE, shop.clock.now()) is True
        assert uow.outbox.settle(item.id, DueState.DECLINED, shop.clock.now()) is False  # once
        uow.commit()
    with shop.db.write.connect() as conn, pytest.raises(IntegrityError, match="settled once"):
        conn.execute(text("UPDATE outbox SET state = 'pending' WHERE id = :id"), {"id": item.id})
    with shop.uow() as uow, pytest.raises(ValueError):
        uow.outbox.settle(item.id, DueState.PENDING, shop.clock.now())


def test_a_due_document_edited_into_nonsense_is_not_offered_and_not_lost(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    with shop.db.write.begin() as conn:  # someone with the file, triggers dropped
        conn.execute(text("DROP TRIGGER outbox_fixed"))
        conn.execute(
            text("UPDATE outbox SET document = '{\"kind\": 1}' WHERE reference = :r"), {"r": sale.receipt_number}
        )
    with shop.read_uow() as uow:
        assert uow.outbox.pending([sale.receipt_number]) == []
    assert ("print", sale.receipt_number, "pending") in due_rows(shop)


def test_the_receipt_data_reads_back_exactly_and_refuses_what_it_did_not_write(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 3)], card=Decimal("5.00"))
    receipt = receipt_for(sale, shop.cfg)
    data = json.loads(json.dumps(receipt_to_data(receipt)))
    assert receipt_from_data(data) == receipt
    assert data["total"] == str(sale.total) and data["tenders"][0][0].startswith("Visa")
    for broken in ({**data, "issued_at": "2026-01-01T10:00:00"}, {**data, "lines": "x"}, {**data, "total": "lots"}):
        with pytest.raises((KeyError, TypeError, ValueError, ArithmeticError)):
            receipt_from_data(broken)


# ------------------------------------------------------------------ spooler and reactions


def test_carrying_out_a_receipt_writes_its_job_and_settles_it_in_one_step_and_never_twice(
    shop: TestStore, tmp_path: Path
) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    spool, events = spooler(shop)
    reactions = Reactions(shop.uow, shop.read_uow, shop.clock, spool, lambda: documents_folder(tmp_path))
    done = reactions.carry_out([sale.receipt_number])
    assert len(done.jobs) == 1 and done.saved == [] and done.problems == []
    with shop.db.read.connect() as conn:
        job = conn.execute(select(s.print_jobs).where(s.print_jobs.c.id == done.jobs[0])).mappings().one()
    assert (job["reference"], job["copy_number"], job["kind"]) == (sale.receipt_number, 0, "sale")
    assert job["state"] == "failed" and "No receipt printer" in job["error"]  # none is set up here
    assert sale.receipt_number in decode(job["payload"]).text()
    assert [type(e) for e in events] == [JobQueued, JobFinished]
    assert due_rows(shop)[-1] == ("print", sale.receipt_number, "done")
    again = reactions.carry_out([sale.receipt_number])  # a second carry-out finds nothing due
    assert again.jobs == []
    with shop.read_uow() as uow:
        item_id = "x"
        assert uow.outbox.pending([sale.receipt_number]) == []
    with pytest.raises(AlreadyCarriedOut):
        spool.print_receipt(receipt_for(sale, shop.cfg), reference=sale.receipt_number, copy_number=0, settles=item_id)


def test_a_due_credit_note_is_saved_as_a_pdf_that_says_what_was_refunded(shop: TestStore, tmp_path: Path) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 2)])
    record = return_first_line(shop, sale, "r-2", Reason.DEFECTIVE, Condition.OPENED)
    spool, _ = spooler(shop)
    reactions = Reactions(shop.uow, shop.read_uow, shop.clock, spool, lambda: documents_folder(tmp_path))
    done = reactions.carry_out([record.return_number])
    assert [p.name for p in done.saved] == [f"credit-note-{record.return_number}.pdf"]
    pdf = "".join(page.extract_text() for page in PdfReader(io.BytesIO(done.saved[0].read_bytes())).pages)
    money = shop.cfg.currency.format(record.quote.refund_total, shop.cfg.locale)
    assert record.return_number in pdf and sale.receipt_number in pdf and money in pdf
    assert record.voucher_code and record.voucher_code in pdf
    assert all(state == "done" for due, ref, state in due_rows(shop) if ref == record.return_number)


def test_a_credit_note_that_cannot_be_saved_stays_due_with_a_message(shop: TestStore, tmp_path: Path) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    record = return_first_line(shop, sale, "r-3", Reason.CHANGED_MIND, Condition.NEW)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the documents folder should be")
    spool, _ = spooler(shop)
    reactions = Reactions(shop.uow, shop.read_uow, shop.clock, spool, lambda: documents_folder(blocked))
    done = reactions.carry_out([record.return_number])
    assert len(done.jobs) == 1 and done.saved == []  # the receipt still went to the spool
    assert len(done.problems) == 1 and "documents folder" in done.problems[0] and "Free space" in done.problems[0]
    assert (str(Due.CREDIT_NOTE), record.return_number, "pending") in due_rows(shop)


def test_declined_documents_are_settled_with_who_declined(shop: TestStore, tmp_path: Path) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    spool, _ = spooler(shop)
    reactions = Reactions(shop.uow, shop.read_uow, shop.clock, spool, lambda: documents_folder(tmp_path))
    items = reactions.pending([sale.receipt_number])
    assert reactions.decline(items, "u-cashier-2") == 1
    assert reactions.decline(items, "u-cashier-2") == 0
    with shop.db.read.connect() as conn:
        rows = conn.execute(select(s.outbox).where(s.outbox.c.reference == sale.receipt_number)).mappings().all()
    by_due = {r["due"]: (r["state"], r["settled_by"]) for r in rows}
    assert by_due["print"] == ("declined", "u-cashier-2")
    assert by_due["drawer"] == ("pending", None)  # the drawer's opening is not a document: not declined with them


# ------------------------------------------------------------------ commands with their rights


def open_cart(shop: TestStore) -> Cart:
    cart = Cart(shop.cfg.currency, shop.cfg.prices_include_tax)
    cart.add(shop.item_in("apparel"), 2)
    cart.add(shop.item_in("apparel", 1), 1)
    return cart


def test_voiding_a_sale_journals_what_was_voided_and_refuses_an_empty_cart(shop: TestStore) -> None:
    cart = open_cart(shop)
    voided = void_sale(shop.user("Maria"), cart, uow_factory=shop.uow, clock=shop.clock)
    assert (voided.lines, voided.total) == (2, cart.total)
    with shop.db.read.connect() as conn:
        body = json.loads(
            conn.execute(select(s.journal.c.body).where(s.journal.c.type == EventType.SALE_VOIDED)).scalar_one()
        )
    assert body == {"user": shop.user("Maria").id, "lines": 2, "total": shop.cfg.currency.to_minor(cart.total)}
    with pytest.raises(CartError, match="nothing to void"):
        void_sale(
            shop.user("Maria"),
            Cart(shop.cfg.currency, shop.cfg.prices_include_tax),
            uow_factory=shop.uow,
            clock=shop.clock,
        )


def test_a_person_without_the_right_cannot_void_and_the_refusal_is_journaled(shop: TestStore) -> None:
    from dataclasses import replace

    gone = replace(shop.user("Maria"), active=False)  # deactivated while signed in elsewhere
    cart = open_cart(shop)
    line = cart.lines[0]
    with pytest.raises(CartError, match="may not void a line"):
        void_line(gone, cart, line.id, uow_factory=shop.uow, clock=shop.clock)
    assert not line.voided
    with pytest.raises(CartError, match="may not void a sale"):
        void_sale(gone, cart, uow_factory=shop.uow, clock=shop.clock)
    assert journal_types(shop).count(EventType.ACCESS_REFUSED) == 2
    assert EventType.SALE_VOIDED not in journal_types(shop)
    assert void_line(shop.user("Maria"), cart, line.id, uow_factory=shop.uow, clock=shop.clock).voided


def test_reprints_are_numbered_from_the_store_and_journaled(shop: TestStore) -> None:
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    maria = shop.user("Maria")
    assert record_reprint(maria, sale.receipt_number, uow_factory=shop.uow, clock=shop.clock) == 1
    with shop.uow() as uow:  # copy 1 was printed
        uow.print_jobs.add("c1", "sale", sale.receipt_number, b"x", 1, shop.clock.now())
        uow.commit()
    assert record_reprint(maria, sale.receipt_number, uow_factory=shop.uow, clock=shop.clock) == 2
    with shop.db.read.connect() as conn:
        bodies = [
            json.loads(b)
            for b in conn.execute(
                select(s.journal.c.body).where(s.journal.c.type == EventType.RECEIPT_REPRINTED)
            ).scalars()
        ]
    assert [(b["receipt_number"], b["copy"], b["user"]) for b in bodies] == [
        (sale.receipt_number, 1, maria.id),
        (sale.receipt_number, 2, maria.id),
    ]


def test_the_x_report_is_refused_to_a_cashier_and_the_refusal_journaled(shop: TestStore) -> None:
    kw = dict(
        uow_factory=shop.uow,
        read_uow_factory=shop.read_uow,
        clock=shop.clock,
        terminal_id=shop.terminal.terminal_id,
        currency=shop.cfg.currency,
        zone=shop.cfg.zone,
    )
    with pytest.raises(ShiftError, match="may not print the X report"):
        take_x_report(shop.user("Maria"), **kw)  # type: ignore[arg-type]
    assert journal_types(shop)[-1] == EventType.ACCESS_REFUSED
    before = take_x_report(shop.user("Dana"), **kw)  # type: ignore[arg-type]
    sale = shop.sell([(shop.item_in("apparel"), 1)])
    report = take_x_report(shop.user("Dana"), **kw)  # type: ignore[arg-type]
    assert report.kind == "X"
    assert (report.sales.count, report.sales.amount) == (before.sales.count + 1, before.sales.amount + sale.total)
