"""Upstream (HQ) as the domain sees it: the wire limits both sides keep, the sale a
receipt look-up brings back from HQ, the ``ReturnReservations`` port through which a
return reserves its quantities chain-wide, and the offline caps that bound what a lane
may refund while HQ cannot be asked.

No I/O here: ``db/reservations.py`` implements the port over HTTP, ``hq/`` serves it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from counter.catalog import TaxClass
from counter.errors import CounterError
from counter.i18n import _
from counter.journal import parse_stamp
from counter.money import Currency
from counter.sales.pricing import TaxTotal
from counter.sales.sale import Sale, SaleLine
from counter.sales.tenders import CardDetails, Tender, TenderKind


def is_loopback_host(host: str) -> bool:
    """localhost or a loopback address: the only place HQ may be reached over plain http."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def certificate_fingerprint(pem: str) -> str:
    """SHA-256 of a certificate (its DER bytes), as ``AB:CD:...`` like ``openssl x509 -fingerprint``:
    what ``counter hq serve`` prints and a terminal pins at enrolment."""
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


if TYPE_CHECKING:
    from counter.ports import UnitOfWork

API = "/v1"
#: Entries per push; the client sends at most this many, HQ refuses more.
MAX_BATCH = 500
#: Bytes of one request body; HQ answers 413 above it.
MAX_BODY_BYTES = 4 * 1024 * 1024
#: How far a terminal's clock may be from HQ's before its pushes are refused.
MAX_CLOCK_SKEW_SECONDS = 300
#: Downstream changes per pull page (the client writes each page in its own short
#: transaction, so selling goes on between pages).
PULL_PAGE = 5000


class UpstreamUnavailable(CounterError):
    """HQ could not be asked (offline, timed out, or answered with a server error)."""


class ReservationRefused(CounterError):
    """HQ refused a return's reservation: more would come back than was sold."""


@dataclass(frozen=True)
class ReturnedAtHq:
    quantity: int
    amount: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class RemoteSale:
    """A sale looked up at HQ with what the chain has returned of it so far."""

    sale: Sale
    returned: Mapping[str, ReturnedAtHq] = field(default_factory=dict)  # by sale line id
    refunded: Mapping[int, Decimal] = field(default_factory=dict)  # by tender seq (1-based)


@dataclass(frozen=True)
class ReservedLine:
    sale_line_id: str
    quantity: int
    amount_minor: int
    tax_minor: int
    gross_minor: int


@dataclass(frozen=True)
class Reservation:
    """A return's reservation: HQ is sent the quantities only (the amounts are the lane's
    quote; ``counter.returns.process`` holds them to what HQ answers)."""

    return_id: str
    sale_id: str
    receipt_number: str
    lines: tuple[ReservedLine, ...]


def by_line(lines: Sequence[ReservedLine]) -> dict[str, ReservedLine]:
    """The lines merged per sale line."""
    out: dict[str, ReservedLine] = {}
    for ln in lines:
        p = out.get(ln.sale_line_id)
        out[ln.sale_line_id] = (
            ln
            if p is None
            else ReservedLine(
                ln.sale_line_id,
                p.quantity + ln.quantity,
                p.amount_minor + ln.amount_minor,
                p.tax_minor + ln.tax_minor,
                p.gross_minor + ln.gross_minor,
            )
        )
    return out


@dataclass(frozen=True)
class NoReceiptHold:
    """A return without a receipt, about to be taken: HQ is asked the customer's no-receipt
    total in the chain over the window, and holds this return's amount against it until
    the return's journal entry arrives (or ``release``). ``customer_key`` is the ID
    document's key (``counter.returns.model.CustomerId.key``), never the ID's number."""

    return_id: str
    customer_key: str
    amount_minor: int
    window_days: int


@dataclass(frozen=True)
class ChainNoReceipt:
    """HQ's answer: what the customer's other returns without a receipt refunded over the
    window at every lane and store of the chain (minor units), those HQ received and those
    it holds for a lane that has not pushed them yet, and the ids of the returns counted."""

    total_minor: int
    counted: frozenset[str] = frozenset()


@dataclass(frozen=True)
class OfflineCaps:
    """What a lane may refund while HQ cannot be asked (store settings, key ``offline_caps``)."""

    #: largest refund of one return taken offline
    per_return: Decimal = Decimal("200.00")
    #: total refunded by this lane's offline returns in one local day
    per_day: Decimal = Decimal("500.00")
    #: take returns without a receipt while offline
    no_receipt: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"per_return": str(self.per_return), "per_day": str(self.per_day), "no_receipt": self.no_receipt}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> OfflineCaps:
        d = cls()
        data = data or {}
        return cls(
            Decimal(str(data.get("per_return", d.per_return))),
            Decimal(str(data.get("per_day", d.per_day))),
            bool(data.get("no_receipt", d.no_receipt)),
        )


class ReturnReservations(Protocol):
    """The chain-wide side of a return. Every method may raise UpstreamUnavailable."""

    @property
    def caps(self) -> OfflineCaps: ...

    def reachable(self) -> bool:
        """What the sync worker last saw (no network call): may an online step be tried?"""
        ...

    def lookup(self, receipt_number: str) -> RemoteSale | None:
        """The sale with that receipt number anywhere in the chain, or None."""
        ...

    def reserve(self, reservation: Reservation) -> Sequence[ReservedLine]:
        """Reserve the quantities atomically at HQ; ReservationRefused if they are no
        longer there. Idempotent by return id. The answer: per sale line, the amounts HQ
        computed from the chain's ledger (HQ takes no lane's amounts)."""
        ...

    def hold_no_receipt(self, hold: NoReceiptHold) -> ChainNoReceipt:
        """The customer's no-receipt total in the chain (other returns than this one), with
        this return's amount held against it at HQ. Idempotent by return id."""
        ...

    def release(self, return_id: str) -> None:
        """Give back a reservation (or a no-receipt hold) whose return was not recorded after all."""
        ...

    def adopt(self, uow: UnitOfWork, sale: Sale, now: datetime) -> None:
        """Keep a copy of another lane's sale in this unit of work, so the return points at it
        (journaled here as SaleAdopted: its rows are that entry's projection)."""
        ...

    def offline_refunded_today(self, now: datetime) -> Decimal:
        """What this lane refunded today in returns that HQ did not reserve."""
        ...


def check_offline_return(caps: OfflineCaps, refund: Decimal, today: Decimal, has_receipt: bool, money: Any) -> None:
    """Refuse an offline return beyond the caps. ``money`` formats an amount for people."""
    if not has_receipt and not caps.no_receipt:
        raise CounterError(
            _(
                "Returns without a receipt are not taken while HQ cannot be reached: the customer's "
                "returns at the other lanes cannot be counted."
            ),
            _("Ask the customer to come back later, or call the store manager."),
        )
    if refund > caps.per_return:
        raise CounterError(
            _("HQ cannot be reached, and offline a return may refund at most {limit} (this one is {amount}).").format(
                limit=money(caps.per_return), amount=money(refund)
            ),
            _("Split the return, or wait until the status bar shows Sync online."),
        )
    if today + refund > caps.per_day:
        raise CounterError(
            _("HQ cannot be reached, and this lane's offline refunds today would pass {limit}.").format(
                limit=money(caps.per_day)
            ),
            _("Wait until the status bar shows Sync online, or ask a manager."),
        )


# ----------------------------------------------------------------------- wire formats


def sale_from_wire(data: Mapping[str, Any]) -> Sale:
    """A sale as HQ's look-up sends it: the SaleCompleted body (money in minor units) plus
    terminal, completed_at and the line numbers."""
    cur = Currency.of(str(data["currency"]))
    f = cur.from_minor
    return Sale(
        id=str(data["sale_id"]),
        receipt_number=str(data["receipt_number"]),
        store_id=str(data["store"]),
        terminal_id=str(data["terminal"]),
        cashier_id=str(data["cashier"]),
        cashier_name=str(data.get("cashier_name") or data["cashier"]),
        completed_at=parse_stamp(str(data["completed_at"])),
        currency=cur,
        prices_include_tax=bool(data["prices_include_tax"]),
        lines=tuple(
            SaleLine(
                id=str(ln["line_id"]),
                line_no=int(ln.get("line_no", n)),
                item_id=str(ln["item_id"]),
                sku=str(ln["sku"]),
                name=str(ln["name"]),
                quantity=int(ln["qty"]),
                unit_price=f(int(ln["unit_price"])),
                line_discount=f(int(ln["line_discount"])),
                order_discount=f(int(ln["order_discount"])),
                amount=f(int(ln["amount"])),
                tax=f(int(ln["tax"])),
                gross=f(int(ln["gross"])),
                tax_code=str(ln["tax_code"]),
                tax_rate=Decimal(str(ln["tax_rate"])),
            )
            for n, ln in enumerate(data["lines"], start=1)
        ),
        taxes=tuple(
            TaxTotal(TaxClass(str(t["code"]), str(t["code"]), Decimal(str(t["rate"]))), f(t["base"]), f(t["tax"]))
            for t in data["taxes"]
        ),
        tenders=tuple(
            Tender(
                TenderKind(str(t["kind"])),
                f(int(t["amount"])),
                f(int(t["tendered"])),
                CardDetails(str(t["card_brand"]), str(t["card_last4"]), str(t["approval_code"] or ""))
                if t.get("card_brand")
                else None,
            )
            for t in data["tenders"]
        ),
        rounding=f(int(data["rounding"])),
    )


def remote_sale_from_wire(data: Mapping[str, Any]) -> RemoteSale:
    sale = sale_from_wire(data["sale"])
    f = sale.currency.from_minor
    returned = {
        str(k): ReturnedAtHq(int(v["qty"]), f(int(v["amount"])), f(int(v["tax"])), f(int(v["gross"])))
        for k, v in data.get("returned", {}).items()
    }
    refunded = {int(k): f(int(v)) for k, v in data.get("refunded", {}).items()}
    return RemoteSale(sale, returned, refunded)


def chain_no_receipt_from_wire(data: Mapping[str, Any]) -> ChainNoReceipt:
    """HQ's answer to a no-receipt hold (``hq/no_receipt.py``); ValueError, KeyError or
    TypeError when it is not one."""
    total = data["total_minor"]
    counted = data["returns"]
    if type(total) is not int or total < 0 or not isinstance(counted, list):
        raise ValueError("not a no-receipt total")
    return ChainNoReceipt(total, frozenset(str(x) for x in counted))
