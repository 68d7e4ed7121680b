"""A real Counter workload for the kill harness, run as its own process.

    python -m tests.trust.workload STORE_DIR ACK_FILE SEED
    python -m tests.trust.workload --zygote STORE_DIR ACK_FILE

It drives the services the screens drive (no Qt): sales paid in cash or by card with
their receipts rendered to ESC/POS and spooled exactly as ui/devices/printing.py does (job
queued, then sent, bytes to the "printer" = ``spool.bin``, then done), receipted returns
to the original payment, paid-ins, sign-ins, and now and then a blind shift close, a Z
report and a new shift. After each step's commit has returned it appends one line to
ACK_FILE and fsyncs it: a line there means "the process reported this as done". It
prints READY once the store is open, then works until it is killed.

``--zygote`` (POSIX) imports everything once, then for each seed read from stdin forks a
child that runs the workload: it prints ``PID n``, and ``DONE`` once that child is gone.
A kill point then costs a fork instead of a Python start-up; the store is still opened,
recovered and checked by a fresh process every time.
"""

from __future__ import annotations

import json
import os
import random
import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from counter.barcodes import CodeKind, ScannedCode
from counter.cash.shifts import CashRules, MovementKind, close_shift, open_shift, record_movement, take_z_report
from counter.errors import CounterError
from counter.people.staff import sign_in
from counter.people.users import PinHasher
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.sale import receipt_for
from counter.sales.tenders import CardDetails, Payment
from db import schema as s
from db.demo import FLOAT, count_for
from db.engine import open_database, pin_key
from db.queries import (
    SqlCatalog,
    list_users,
    read_settings,
    return_rules,
    sale_by_number,
    store_config,
    terminal_identity,
)
from db.uow import SqlUnitOfWork
from devices.escpos.encoder import PrinterProfile, render_receipt

SPOOL = "spool.bin"


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Acks:
    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def __call__(self, **record: object) -> None:
        os.write(self.fd, (json.dumps(record) + "\n").encode())
        os.fsync(self.fd)


def main(store_dir: Path, ack_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    db = open_database(store_dir)
    raw = read_settings(db.read)
    store, terminal, rules = store_config(raw), terminal_identity(raw), return_rules(raw)
    catalog = SqlCatalog(db.read, store.currency)
    clock = Clock()
    users = {u.id: u for u in list_users(db.read)}
    cashier, manager = users["u-cashier-1"], users["u-manager"]
    hasher = PinHasher(time_cost=1, memory_cost=1024, key=pin_key(db.require_secret()))
    profile = PrinterProfile()
    with db.read.connect() as conn:
        skus = [r[0] for r in conn.execute(select(s.items.c.sku).where(s.items.c.active).limit(200))]
    items = [item for sku in skus if (item := catalog.by_code(ScannedCode(CodeKind.SKU, sku, sku))) is not None]
    ack = Acks(ack_path)
    spool = os.open(store_dir / SPOOL, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(db.write, terminal, store.currency)

    def ensure_shift() -> None:
        with uow() as u:
            if u.shifts.current(terminal.terminal_id) is not None:
                return
        open_shift(
            cashier, FLOAT, uow_factory=uow, clock=clock, terminal_id=terminal.terminal_id, currency=store.currency
        )
        ack(op="shift_opened")

    def sell() -> None:
        cart = Cart(store.currency, store.prices_include_tax)
        for _ in range(rng.randint(1, 4)):
            cart.add(rng.choice(items), rng.randint(1, 3))
        payment = Payment(cart.total, store.currency, store.smallest_coin)
        if rng.random() < 0.5:
            payment.add_card(cart.total, CardDetails("Visa", f"{rng.randint(0, 9999):04d}", "A1B2C3"))
        else:
            payment.add_cash(payment.cash_due + Decimal(rng.choice((0, 1, 5, 20))))
        sale = complete_sale(
            CompleteSale(cashier, cart.lines, None, payment.tenders, payment.rounding),
            uow_factory=uow,
            clock=clock,
            store=store,
            terminal=terminal,
        )
        ack(op="sale", id=sale.id, receipt=sale.receipt_number, total=store.currency.to_minor(sale.total))
        print_receipt(sale.receipt_number, render_receipt(receipt_for(sale, store), profile))

    def print_receipt(reference: str, data: bytes) -> None:
        """ui/printing.PrintBridge's order: persist queued, mark sent, send, mark done."""
        job_id = str(uuid.uuid4())
        with uow() as u:
            u.print_jobs.add(job_id, "sale", reference, data, 0, clock.now())
            u.commit()
        with uow() as u:
            u.print_jobs.mark(job_id, "sent", None, clock.now())
            u.commit()
        os.write(spool, data)
        with uow() as u:
            u.print_jobs.mark(job_id, "done", None, clock.now())
            u.commit()
        ack(op="printed", job=job_id)

    def take_back() -> None:
        with db.read.connect() as conn:
            number = (
                conn.execute(
                    select(s.sales.c.receipt_number)
                    .where(s.sales.c.terminal_id == terminal.terminal_id)
                    .order_by(s.sales.c.completed_at.desc())
                    .limit(20)
                )
                .scalars()
                .all()
            )
        if not number:
            return
        sale = sale_by_number(db.read, rng.choice(number))
        if sale is None:
            return
        line = rng.choice(sale.lines)
        cmd = ProcessReturn(
            request_id=str(uuid.uuid4()),
            cashier=cashier,
            lines=(ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, line.id),),
            refund_method=RefundMethod.ORIGINAL,
            original_receipt=sale.receipt_number,
        )
        try:
            record = process_return(cmd, uow_factory=uow, clock=clock, store=store, terminal=terminal, rules=rules)
        except CounterError:
            return  # already returned, needs an approval, ...: a refusal writes nothing
        ack(op="return", id=record.id, number=record.return_number)

    def close_day() -> None:
        with uow() as u:
            shift = u.shifts.current(terminal.terminal_id)
            expected = u.shifts.expected_cash(shift) if shift else None
        if expected is None:
            return
        close_shift(
            cashier,
            count_for(expected, store.currency),
            "",
            uow_factory=uow,
            clock=clock,
            terminal_id=terminal.terminal_id,
            currency=store.currency,
            rules=CashRules(),
        )
        ack(op="shift_closed")
        take_z_report(
            manager,
            uow_factory=uow,
            clock=clock,
            terminal_id=terminal.terminal_id,
            currency=store.currency,
            zone=store.zone,
        )
        ack(op="z_report")
        ensure_shift()

    ensure_shift()
    print("READY", flush=True)
    while True:
        roll = rng.random()
        if roll < 0.62:
            sell()
        elif roll < 0.80:
            take_back()
        elif roll < 0.88:
            record_movement(
                cashier,
                MovementKind.PAID_IN,
                Decimal("5.00"),
                "change from the bank",
                uow_factory=uow,
                clock=clock,
                terminal_id=terminal.terminal_id,
                currency=store.currency,
            )
            ack(op="paid_in")
        elif roll < 0.97:
            sign_in(cashier.id, "1111", uow_factory=uow, hasher=hasher, clock=clock)
            ack(op="signed_in")
        else:
            close_day()


def zygote(store_dir: Path, ack_path: Path) -> None:
    for line in sys.stdin:
        seed = int(line)
        pid = os.fork()
        if pid == 0:  # the child: the workload, until it is killed
            try:
                main(store_dir, ack_path, seed)
            finally:
                os._exit(1)
        print(f"PID {pid}", flush=True)
        os.waitpid(pid, 0)
        print("DONE", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "--zygote":
        zygote(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
