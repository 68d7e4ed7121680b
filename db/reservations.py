"""``HqReservations``: counter.sync.upstream.ReturnReservations over HQ's API (chain-wide receipt
look-up, reservations of returned quantities, no-receipt totals and holds, offline caps). It runs on whichever thread
runs the return (the return screen's worker thread, never the GUI thread) and writes to
the store only inside the return's own unit of work."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine, select, text

from counter.i18n import _
from counter.journal import EventType, utc_stamp
from counter.money import Currency
from counter.ports import UnitOfWork
from counter.sales.sale import Sale
from counter.store import StoreConfig, TerminalIdentity
from counter.sync.upstream import (
    ChainNoReceipt,
    NoReceiptHold,
    OfflineCaps,
    RemoteSale,
    Reservation,
    ReservationRefused,
    ReservedLine,
    UpstreamUnavailable,
    chain_no_receipt_from_wire,
    remote_sale_from_wire,
)
from db import schema as s
from db.hq_client import HqClient, HqRefused
from db.sync import Syncer

log = logging.getLogger(__name__)


@dataclass
class HqReservations:
    """Implements counter.sync.upstream.ReturnReservations over HQ's API. Each call waits at most
    ``timeout`` seconds: past that HQ counts as away, and the return goes the offline way,
    within the caps (the return screen runs it off the GUI thread meanwhile)."""

    client: HqClient
    syncer: Syncer
    read: Engine
    store: StoreConfig
    terminal: TerminalIdentity
    caps_value: OfflineCaps = field(default_factory=OfflineCaps)
    cache_seconds: float = 30.0
    timeout: float = 3.0
    _cache: dict[str, tuple[float, RemoteSale]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def caps(self) -> OfflineCaps:
        return self.caps_value

    def reachable(self) -> bool:
        return self.syncer.status.online

    def lookup(self, receipt_number: str) -> RemoteSale | None:
        with self._lock:
            hit = self._cache.get(receipt_number)
        if hit is not None and time.monotonic() - hit[0] < self.cache_seconds:
            return hit[1]
        try:
            data = self.client._call("GET", f"/sales/{receipt_number}", timeout=self.timeout)
        except HqRefused as exc:
            if exc.status != 404:
                raise
            data = None
        if data is None:
            return None
        remote = remote_sale_from_wire(data)
        with self._lock:
            self._cache[receipt_number] = (time.monotonic(), remote)
        return remote

    def reserve(self, reservation: Reservation) -> list[ReservedLine]:
        """Reserve the quantities; HQ computes the amounts and answers them."""
        payload = {
            "return_id": reservation.return_id,
            "sale_id": reservation.sale_id,
            "lines": [{"sale_line_id": ln.sale_line_id, "quantity": ln.quantity} for ln in reservation.lines],
        }
        with self._lock:
            self._cache.pop(reservation.receipt_number, None)
        for attempt in range(2):
            try:
                data = self.client._call("POST", "/reservations", json=payload, timeout=self.timeout)
            except HqRefused as exc:
                if exc.error == "unknown_sale" and attempt == 0:
                    # Our own sale not pushed yet: send the journal, then ask again. (No
                    # transaction of the return is open meanwhile: counter.returns.process
                    # reserves between its read and its write.)
                    self.syncer.push_all(max_batches=20)
                    continue
                if exc.error == "unknown_sale":
                    raise UpstreamUnavailable(_("HQ does not hold this sale yet."), "") from exc
                raise ReservationRefused(
                    exc.message, _("Check what the customer brings back against the receipt.")
                ) from exc
            return self._answered(reservation, data)
        raise UpstreamUnavailable(_("HQ does not hold this sale yet."), "")

    def _answered(self, reservation: Reservation, data: object) -> list[ReservedLine]:
        try:
            return [
                ReservedLine(
                    str(ln["sale_line_id"]),
                    int(ln["quantity"]),
                    int(ln["amount_minor"]),
                    int(ln["tax_minor"]),
                    int(ln["gross_minor"]),
                )
                for ln in data["lines"]  # type: ignore[index]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            self.release(reservation.return_id)
            raise UpstreamUnavailable(_("HQ's answer to the reservation is not understood."), "") from exc

    def hold_no_receipt(self, hold: NoReceiptHold) -> ChainNoReceipt:
        """Ask HQ the customer's no-receipt total in the chain and hold this return's amount
        against it (hq/no_receipt.py). Only the ID document's key is sent, never its number."""
        payload = {
            "return_id": hold.return_id,
            "customer_key": hold.customer_key,
            "amount_minor": hold.amount_minor,
            "window_days": hold.window_days,
        }
        try:
            data = self.client._call("POST", "/no-receipt/holds", json=payload, timeout=self.timeout)
        except HqRefused as exc:
            raise ReservationRefused(
                exc.message, _("Start the return again; if it happens again, call support.")
            ) from exc
        try:
            return chain_no_receipt_from_wire(data)
        except (KeyError, TypeError, ValueError) as exc:
            self.release(hold.return_id)
            raise UpstreamUnavailable(_("HQ's answer about the customer's returns is not understood."), "") from exc

    def release(self, return_id: str) -> None:
        try:
            self.client._call("DELETE", f"/reservations/{return_id}", timeout=self.timeout)
        except HqRefused as exc:
            log.warning("HQ did not release reservation %s: %s", return_id, exc.message)

    def adopt(self, uow: UnitOfWork, sale: Sale, now: datetime) -> None:
        conn: Connection = uow.connection  # type: ignore[attr-defined]
        if conn.execute(select(s.sales.c.id).where(s.sales.c.id == sale.id)).first() is not None:
            return
        known = conn.execute(select(s.users.c.id).where(s.users.c.id == sale.cashier_id)).first()
        if known is None:
            # The copy must name its cashier; one from another store is kept as an
            # inactive placeholder that can never sign in (no PIN verifier matches "!").
            conn.execute(
                s.users.insert().values(
                    id=sale.cashier_id,
                    name=f"Cashier of {sale.store_id}",
                    role="cashier",
                    pin_hash="!",
                    active=False,
                    failed_attempts=0,
                )
            )
        # The copy is journaled here, so verify derives its rows like any other (counter.projection).
        body = {
            **sale.journal_body(),
            "origin_terminal": sale.terminal_id,
            "completed_at": utc_stamp(sale.completed_at),
        }
        uow.journal.append(EventType.SALE_ADOPTED, body, now)

    def offline_refunded_today(self, now: datetime) -> Decimal:
        midnight = now.astimezone(self.store.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        stmt = text(
            "SELECT coalesce(sum(json_extract(body, '$.refund_total')), 0) FROM journal "
            "WHERE terminal_id = :t AND type = :type AND at >= :since "
            "AND coalesce(json_extract(body, '$.hq_reserved'), 0) = 0"
        )
        with self.read.connect() as conn:
            minor = conn.execute(
                stmt,
                {
                    "t": self.terminal.terminal_id,
                    "type": str(EventType.RETURN_PROCESSED),
                    "since": utc_stamp(midnight.astimezone(UTC) - timedelta(0)),
                },
            ).scalar_one()
        return Currency.of(self.store.currency.code).from_minor(int(minor))
