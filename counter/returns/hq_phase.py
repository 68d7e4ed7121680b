"""The HQ phase of a return (``counter.returns.process.process_return``): between the read
that quotes it and the write that records it, with no transaction open, HQ is asked.

* A receipted return reserves its quantities on the chain's ledger; HQ answers its own
  amounts per line.
* A return without a receipt asks HQ the customer's no-receipt total over the window at
  every lane and store, and HQ holds this return's amount against it until the return's
  entry arrives, so a lane asking a moment later already sees it
  (``counter.returns.customer_limit`` adds this lane's returns HQ does not know).
* When HQ cannot be asked, the offline caps apply instead (a return without a receipt is
  refused offline unless the store allows it).

A reservation or hold whose return then fails to commit is given back (``ReservationGuard``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from counter.returns.customer_limit import window_days
from counter.returns.model import ProcessReturn, ReturnContext, ReturnError, ReturnQuote
from counter.returns.policy import ReturnRules
from counter.store import StoreConfig
from counter.sync.upstream import (
    ChainNoReceipt,
    NoReceiptHold,
    Reservation,
    ReservationRefused,
    ReservedLine,
    ReturnReservations,
    UpstreamUnavailable,
    check_offline_return,
)


@dataclass(frozen=True)
class HqAnswer:
    """What the HQ phase brought back: whether HQ reserved (or held) the return, HQ's
    amounts per line of a receipted return, and HQ's no-receipt total for the customer."""

    reserved: bool = False
    lines: Sequence[ReservedLine] = ()
    chain: ChainNoReceipt | None = None


class ReservationGuard:
    """Releases the HQ reservation of a return that did not commit (leaves after the uow)."""

    def __init__(self, upstream: ReturnReservations | None, return_id: str) -> None:
        self.upstream = upstream
        self.return_id = return_id
        self.reserved = False

    def __enter__(self) -> ReservationGuard:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is not None and self.reserved and self.upstream is not None:
            # If HQ cannot be told, it keeps the reservation, listed as unconfirmed.
            with contextlib.suppress(UpstreamUnavailable):
                self.upstream.release(self.return_id)


def ask_hq(
    upstream: ReturnReservations | None,
    return_id: str,
    cmd: ProcessReturn,
    ctx: ReturnContext,
    q: ReturnQuote,
    store: StoreConfig,
    rules: ReturnRules,
    now: datetime,
) -> HqAnswer:
    """Reserve at HQ (a receipted return) or hold against the customer's chain-wide total
    (without a receipt); when HQ cannot be asked, check the offline caps. No HQ set up:
    nothing to do."""
    if upstream is None:
        return HqAnswer()
    m = store.currency.to_minor
    if ctx.sale is not None:
        reservation = Reservation(
            return_id,
            ctx.sale.id,
            ctx.sale.receipt_number,
            tuple(
                ReservedLine(ln.sale_line_id or "", ln.request.quantity, m(ln.amount), m(ln.tax), m(ln.gross))
                for ln in q.lines
            ),
        )
        try:
            return HqAnswer(True, upstream.reserve(reservation))
        except ReservationRefused as exc:
            raise ReturnError(exc.message, exc.hint) from exc
        except UpstreamUnavailable:
            pass
    elif cmd.id_document is not None:  # quote refuses a return without receipt and without ID
        hold = NoReceiptHold(return_id, cmd.id_document.key, m(q.refund_total), window_days(rules))
        try:
            return HqAnswer(True, (), upstream.hold_no_receipt(hold))
        except ReservationRefused as exc:
            raise ReturnError(exc.message, exc.hint) from exc
        except UpstreamUnavailable:
            pass
    check_offline_return(
        upstream.caps,
        q.refund_total,
        upstream.offline_refunded_today(now),
        ctx.sale is not None,
        lambda a: store.currency.format(a, store.locale),
    )
    return HqAnswer()
