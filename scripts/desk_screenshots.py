"""Screenshots of the service desk (called by scripts/screenshots.py with Maria signed in
on the sale screen). The cases, orders and accounts shown are made through the real
commands first; then the real widgets are driven by keys and grabbed."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this clone before any installed copy

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from counter.desk.accounts import charge_service, open_account
from counter.desk.cases import (
    CaseStatus,
    ContactKind,
    LinkedTransaction,
    LinkKind,
    LogContact,
    change_status,
    log_contact,
)
from counter.desk.customers import Address, ContactDetails, create_customer
from counter.desk.orders import OrderKind, OrderLine, open_order
from counter.desk.referrals import Priority, add_department_note, refer_case
from counter.desk.service import DeskConfig
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from counter.sales.tenders import CardDetails, Tender, TenderKind
from db.queries import list_users


def make_cases(ctx, sale_receipt: str) -> None:  # type: ignore[no-untyped-def]
    users = {u.name.split()[0]: u for u in list_users(ctx.db.read)}
    maria, dana = users["Maria"], users["Dana"]
    kw = dict(uow_factory=ctx.uow, clock=ctx.clock)
    cfg = DeskConfig()

    def person(name: str, phone: str, email: str, street: str) -> str:
        details = ContactDetails.checked(
            name, phone, email, email_consent=bool(email), address=Address(street, "", "Riverton", "IL", "62704")
        )
        return create_customer(maria, details, **kw).id  # type: ignore[arg-type]

    jane = person("Jane Doe", "(217) 555-0175", "jane.doe@example.com", "12 Elm Street")
    omar = person("Omar Haddad", "(217) 555-0133", "omar@example.net", "88 River Road")
    lena = person("Lena Kowalski", "(217) 555-0161", "", "4 Mill Lane")
    logged = log_contact(
        maria,
        LogContact(
            jane,
            ContactKind.COMPLAINT,
            "Product quality",
            "The kettle stopped heating after a week; I use it every morning.",
            "Tested at the desk: no heat. Offered a loan kettle.",
            (LinkedTransaction(LinkKind.SALE, sale_receipt),),
        ),
        terminal=ctx.terminal,
        **kw,  # type: ignore[arg-type]
    )
    referral = refer_case(
        maria,
        logged.case.id,
        "warranty",
        Priority.HIGH,
        None,
        "Check the thermostat; replace under warranty if faulty.",
        config=cfg,
        store=ctx.store,
        **kw,  # type: ignore[arg-type]
    )
    add_department_note(dana, referral.id, "Thermostat faulty: sent back to the vendor.", outcome=False, **kw)  # type: ignore[arg-type]
    add_department_note(
        dana,
        referral.id,
        "Replaced under warranty: a new kettle is waiting at the service desk.",
        outcome=True,
        **kw,  # type: ignore[arg-type]
    )
    for who, kind, cat, words, dept, prio in (
        (
            omar,
            ContactKind.REQUEST,
            "Delivery and installation",
            "Please deliver the sofa on Saturday morning.",
            "online",
            Priority.NORMAL,
        ),
        (
            lena,
            ContactKind.COMPLAINT,
            "Billing and price",
            "I was charged twice for the same lamp.",
            "billing",
            Priority.URGENT,
        ),
        (omar, ContactKind.INQUIRY, "Online order", "Where is my online order 88231?", "online", Priority.LOW),
    ):
        c = log_contact(maria, LogContact(who, kind, cat, words, ""), terminal=ctx.terminal, **kw).case  # type: ignore[arg-type]
        refer_case(maria, c.id, dept, prio, None, words, config=cfg, store=ctx.store, **kw)  # type: ignore[arg-type]
    inquiry = log_contact(
        maria,
        LogContact(
            jane,
            ContactKind.INQUIRY,
            "Returns and refunds",
            "Has my refund reached my card?",
            "Explained 3 to 5 working days.",
            follow_up_on=ctx.clock.now().astimezone(ctx.store.zone).date(),
        ),
        terminal=ctx.terminal,
        **kw,  # type: ignore[arg-type]
    ).case
    change_status(maria, inquiry.id, CaseStatus.WAITING, "Customer checks her statement", **kw)  # type: ignore[arg-type]
    money = dict(uow_factory=ctx.uow, clock=ctx.clock, store=ctx.store, terminal=ctx.terminal)
    from sqlalchemy import select

    from counter.barcodes import read_code
    from db import schema as s

    with ctx.db.read.connect() as conn:
        codes = [
            r[0][2:] for r in conn.execute(select(s.items.c.barcode).where(s.items.c.barcode.like("00%")).limit(40))
        ]
    dear = sorted((ctx.catalog.by_code(read_code(c)) for c in codes), key=lambda i: i.price)[-2:]
    open_order(
        maria,
        OrderKind.LAYAWAY,
        jane,
        [OrderLine(1, dear[0], 1), OrderLine(2, dear[1], 1)],
        [Tender(TenderKind.CARD, Decimal("40.00"), Decimal("40.00"), CardDetails("Visa", "4242", "LAY001"))],
        rules=cfg.rules,
        **money,  # type: ignore[arg-type]
    )
    open_account(dana, jane, Decimal("500"), **money)  # type: ignore[arg-type]
    charge = Tender(TenderKind.HOUSE_ACCOUNT, Decimal("48.71"), Decimal("48.71"))
    charge_service(
        maria, "repair", Decimal("45.00"), "lawn mower blade", jane, [charge], Decimal(0), config=cfg, **money
    )  # type: ignore[arg-type]


def a_sale(ctx):  # type: ignore[no-untyped-def]
    """A card sale of two demo items (what the desk is asked about)."""
    from sqlalchemy import select

    from counter.barcodes import read_code
    from counter.sales.cart import Cart
    from counter.sales.checkout import CompleteSale, complete_sale
    from counter.sales.tenders import Payment
    from db import schema as s

    with ctx.db.read.connect() as conn:
        rows = conn.execute(select(s.items.c.barcode).where(s.items.c.barcode.like("00%")).limit(12))
        codes = [r[0][2:] for r in rows]
    cart = Cart(ctx.store.currency, ctx.store.prices_include_tax)
    for code in codes[3:5]:
        cart.add(ctx.catalog.by_code(read_code(code)))
    payment = Payment(cart.total, ctx.store.currency, ctx.store.smallest_coin)
    payment.add_card(cart.total, CardDetails("Visa", "4242", "ORIG77"))
    maria = next(u for u in list_users(ctx.db.read) if u.name.startswith("Maria"))
    return complete_sale(
        CompleteSale(maria, cart.lines, None, payment.tenders, payment.rounding),
        uow_factory=ctx.uow,
        clock=ctx.clock,
        store=ctx.store,
        terminal=ctx.terminal,
    )


def take(
    app: QApplication,
    ctx,
    window,
    out: Path,
    tmp: Path,
    grab: Callable[[QWidget, Path], None],
    when_dialog,
    paper,
    pdf_to_png,
    settle,
    docs: Path | None = None,
) -> None:  # type: ignore[no-untyped-def]
    """Screens and dialogs into ``out``; the letter, slip and agreement into ``docs`` (or ``out``)."""
    docs = docs or out
    sale = window.sale
    last = a_sale(ctx)
    receipt = last.receipt_number
    make_cases(ctx, receipt)
    QTest.keyClick(sale.input, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    desk = window.desk
    QTest.keyClicks(desk.input, "555-0175")
    QTest.keyClick(desk.input, Qt.Key.Key_Return)
    settle(300)
    grab(window, out / "service-desk.png")

    def shot(name: str, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier, prepare=None) -> None:  # type: ignore[no-untyped-def]
        def act(d: QDialog) -> None:
            if prepare is not None:
                prepare(d)
                settle(100)
            grab(d, out / name)
            d.reject()

        when_dialog(act)
        QTest.keyClick(desk.input, key, modifier)
        settle(200)

    def bad_email(d: QDialog) -> None:
        d.name.setText("Jane Doe")  # type: ignore[attr-defined]
        d.phone.setText("(217) 555-0175")  # type: ignore[attr-defined]
        d.email.setText("jane@@example")  # type: ignore[attr-defined]
        d._try_accept()  # type: ignore[attr-defined]

    shot("desk-new-customer-error.png", Qt.Key.Key_F3, prepare=bad_email)

    def duplicate(d: QDialog) -> None:
        d.name.setText("J. Doe")  # type: ignore[attr-defined]
        d.phone.setText("217 555 0175")  # type: ignore[attr-defined]
        d._try_accept()  # type: ignore[attr-defined]

    shot("desk-duplicate.png", Qt.Key.Key_F3, prepare=duplicate)

    def contact(d: QDialog) -> None:
        d.kind.setCurrentIndex(1)  # type: ignore[attr-defined]
        d.words.setPlainText("The toaster's lever will not stay down.")  # type: ignore[attr-defined]
        d.done_so_far.setPlainText("Checked: it does not latch. Offered an exchange.")  # type: ignore[attr-defined]
        d.links.setText(receipt)  # type: ignore[attr-defined]
        d.follow_up.setValue(3)  # type: ignore[attr-defined]

    shot("desk-contact.png", Qt.Key.Key_F5, prepare=contact)
    shot("desk-referral.png", Qt.Key.Key_F6, prepare=lambda d: d.note.setText("Check the thermostat"))  # type: ignore[attr-defined]

    def close_refused(d: QDialog) -> None:
        d.choose(CaseStatus.CLOSED)  # type: ignore[attr-defined]
        d._try_accept()  # type: ignore[attr-defined]

    shot("desk-close-refused.png", Qt.Key.Key_F7, prepare=close_refused)

    def adjust(d: QDialog) -> None:
        d.receipt.setText(receipt)  # type: ignore[attr-defined]
        d._load_lines()  # type: ignore[attr-defined]
        d.reason.setText("price dropped in Sunday's flyer")  # type: ignore[attr-defined]

    shot("desk-adjustment.png", Qt.Key.Key_F8, prepare=adjust)
    shot("desk-payments.png", Qt.Key.Key_F9)
    shot(
        "desk-queue.png",
        Qt.Key.Key_Q,
        Qt.KeyboardModifier.ControlModifier,
        prepare=lambda d: d.select_department("online"),
    )  # type: ignore[attr-defined]
    shot("desk-follow-ups.png", Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)

    # a return with a reason, so the analysis has something to show
    users = {u.name.split()[0]: u for u in list_users(ctx.db.read)}
    if last is not None:
        line = last.lines[0]
        process_return(
            ProcessReturn(
                str(uuid.uuid4()),
                users["Maria"],
                (ReturnLineRequest(1, Reason.DEFECTIVE, Condition.DEFECTIVE, line.id),),
                RefundMethod.ORIGINAL,
                receipt,
            ),
            uow_factory=ctx.uow,
            clock=ctx.clock,
            store=ctx.store,
            terminal=ctx.terminal,
            rules=ctx.rules,
        )
    shot("desk-report.png", Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)

    # the letter and the case slip of the kettle complaint (the first case)
    case = next(c for c in desk.cases if c.kind == "complaint")
    desk.case_list.setCurrentRow(desk.cases.index(case))
    path = desk.save_letter(case, desk.customer)
    pdf_to_png(path, docs / "desk-letter.png")
    desk.print_case_slip(case, desk.customer)
    settle(800)
    paper(window.cash_office.preview, docs / "desk-case-slip.png")
    agreements = sorted((tmp / "documents").glob("agreement-*.pdf"))
    if not agreements:
        from counter.desk.documents import order_agreement
        from db.desk_queries import orders_for
        from devices.letters import render_slip_pdf

        order = orders_for(ctx.db.read, desk.customer.id)[0]
        doc = order_agreement(order, desk.customer, ctx.store, None, "Maria Lopez")
        target = tmp / "documents" / f"agreement-{order.number}.pdf"
        target.write_bytes(render_slip_pdf(doc))
        agreements = [target]
    pdf_to_png(agreements[-1], docs / "desk-agreement.png")
    desk.refresh()
    settle(200)
    grab(window, out / "service-desk-case.png")
    QTest.keyClick(desk.input, Qt.Key.Key_Escape)
    settle(100)


def main() -> int:
    """Only the service desk's screenshots: ``python scripts/desk_screenshots.py [--out DIR] [--size WxH]``
    (run it like scripts/screenshots.py: screens into DIR/<width>x<height>/)."""
    import argparse
    import os
    import sys
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from app.context import build_context
    from counter.people.users import PinHasher
    from db.demo import build_demo
    from scripts.screenshots import grab, open_for_shots, paper, pdf_to_png, settle, shrink, type_line, when_dialog
    from ui.main_window import build_window, load_style

    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/screens"))
    parser.add_argument("--size", help="the window's size, e.g. 1024x768 (default: the screen's)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    load_style(app)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        build_demo(Path(tmp), days=3, hasher=PinHasher(time_cost=1, memory_cost=1024)).dispose()
        # QTest types as fast as a scanner: the wedge filter would take the PIN for a scan
        ctx = build_context(Path(tmp), overrides={"printer": "sim://printer", "wedge": False})
        window = build_window(ctx)
        shots = args.out / open_for_shots(window, args.size)
        shots.mkdir(parents=True, exist_ok=True)
        users = window.signin.users
        users.setCurrentRow(next(i for i in range(users.count()) if "Maria" in users.item(i).text()))
        type_line(window.signin.pin, "1111")
        settle(200)
        take(app, ctx, window, shots, Path(tmp), grab, when_dialog, paper, pdf_to_png, settle, docs=args.out)  # type: ignore[arg-type]
        window.close()
        ctx.close()
    shrink(shots)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
