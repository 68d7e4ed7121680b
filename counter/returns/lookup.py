"""What a return reads before anything is written: the receipt found in this store file
(checked against its sealed journal entries) or at HQ, what is still returnable of it, the
no-receipt price, and the context the quote and the command decide from."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from counter.catalog import Item
from counter.i18n import _
from counter.money import ZERO, Currency
from counter.ports import ReturnsRepository, UnitOfWork
from counter.returns.customer_limit import customer_total
from counter.returns.model import ProcessReturn, ReturnableLine, ReturnContext, Returned, ReturnError
from counter.returns.policy import ReturnRules
from counter.returns.refunds import PaidTender
from counter.sales.sale import Sale
from counter.sales.tenders import TenderKind
from counter.store import StoreConfig, TerminalIdentity, receipt_store
from counter.sync.upstream import ChainNoReceipt, RemoteSale, ReturnReservations, UpstreamUnavailable


def load_context(
    uow: UnitOfWork,
    cmd: ProcessReturn,
    store: StoreConfig,
    terminal: TerminalIdentity,
    rules: ReturnRules,
    now: datetime,
    remote: RemoteSale | None = None,
    chain: ChainNoReceipt | None = None,
) -> ReturnContext:
    """Read what a return needs, in the caller's transaction. A receipt of another lane
    or store comes as ``remote`` (looked up at HQ beforehand, never from in here: no
    network inside a transaction); any other receipt is found in this store file. Without
    a receipt, ``chain`` is HQ's answer about the customer's returns at the other lanes
    (asked beforehand the same way; None: not asked), added to this file's own
    (``counter.returns.customer_limit``)."""
    sale = None
    if cmd.original_receipt:
        number = normalize_receipt_number(cmd.original_receipt)
        if remote is not None and remote.sale.receipt_number == number:
            sale = remote.sale
        else:
            sale, remote = find_sale(uow, number, store), None
    else:
        remote = None
    shift = uow.shifts.current(terminal.terminal_id)
    ctx = ReturnContext(sale=sale, drawer_cash=uow.shifts.expected_cash(shift) if shift else ZERO)
    ctx.remote = remote
    if sale is not None:
        lines = returnable_lines(uow, sale, remote)
        ctx.returnable = {rl.line.id: rl for rl in lines}
        refunded = dict(uow.returns.refunded_per_tender(sale.id))
        if remote is not None:
            for n, amount in remote.refunded.items():
                refunded[n] = max(refunded.get(n, ZERO), amount)
        ctx.paid = tuple(
            PaidTender(n, t.kind, t.amount, refunded.get(n, ZERO), t.card, t.voucher)
            for n, t in enumerate(sale.tenders, start=1)
            if t.kind is not TenderKind.EXCHANGE_CREDIT
        )
        ctx.policies = uow.returns.policies({rl.category_id for rl in lines})
    else:
        items = {str(ln.item.id): ln.item for ln in cmd.lines if ln.item}
        ctx.policies = uow.returns.policies({item.category_id for item in items.values()})
        days = rules.no_receipt_lowest_price_days
        ctx.no_receipt_prices = {
            item_id: no_receipt_price(uow.returns, item, days, now, store.currency) for item_id, item in items.items()
        }
        if cmd.id_document is not None:
            own = uow.returns.no_receipt_refunds(cmd.id_document.key, now, rules.no_receipt_window_days)
            ctx.customer_recent_no_receipt = customer_total(own, chain, store.currency)
    return ctx


def no_receipt_price(returns: ReturnsRepository, item: Item, days: int, now: datetime, currency: Currency) -> Decimal:
    """What a no-receipt return refunds per unit: the lowest price the item sold for in the
    last ``days`` days (after discounts, before tax), or its shelf price if lower. The one
    rule, for the quote, the command and the screen that shows it."""
    lowest = returns.lowest_unit_amount(str(item.id), now - timedelta(days=days))
    return item.price if lowest is None else min(item.price, currency.from_minor(lowest))


def find_remote_sale(receipt_text: str, upstream: ReturnReservations) -> RemoteSale:
    """Another lane's or store's sale as HQ knows it (a network call: never inside a
    transaction)."""
    number = normalize_receipt_number(receipt_text)
    try:
        remote = upstream.lookup(number)
    except UpstreamUnavailable as exc:
        raise ReturnError(
            _("Receipt {number} is not from this lane, and HQ cannot be reached to look it up.").format(number=number),
            _("Try again when the status bar shows Sync online, or return the items without a receipt."),
        ) from exc
    if remote is None:
        raise ReturnError(
            _("No sale in the chain has the receipt number {number}.").format(number=number),
            _("Check the number on the receipt, or search by date and amount."),
        )
    return remote


def find_sale(uow: UnitOfWork, receipt_text: str, store: StoreConfig) -> Sale:
    """The sale of this store file with that receipt number, its rows checked against its
    sealed journal entries (ReturnError when they differ)."""
    number = normalize_receipt_number(receipt_text)
    sale = uow.sales.get_by_number(number)
    if sale is None:
        owner = receipt_store(number)
        if owner is not None and owner != store.store_id:
            raise ReturnError(
                _("Receipt {number} is from another store.").format(number=number),
                _("Look it up at that store, or return the items without a receipt."),
            )
        raise ReturnError(
            _("No sale has the receipt number {number}.").format(number=number),
            _("Check the number on the receipt, or search by date and amount.")
            if owner is not None
            else _(
                "A receipt number looks like {example}: check it on the receipt, or search by date and amount."
            ).format(example=f"{store.store_id}-T01-000123"),
        )
    # Money is decided from these rows (a return, a bill adjustment): only as the journal has them.
    changed = uow.returns.differences_from_journal(sale.id)
    if changed:
        raise ReturnError(
            _(
                "The records of receipt {number} were changed outside Counter: they no longer match "
                "its journal, so nothing can be refunded on them."
            ).format(number=number),
            _("Call a manager: `counter journal verify` names what was changed."),
        )
    return sale


def normalize_receipt_number(text: str) -> str:
    """Accept what the receipt's barcode, its QR code (``CNTR:...``) or a person gives."""
    number = text.strip().upper()
    if number.startswith("CNTR:"):
        number = number[5:]
    return number


def returnable_lines(uow: UnitOfWork, sale: Sale, remote: RemoteSale | None = None) -> list[ReturnableLine]:
    returned = uow.returns.returned_for(sale.id)
    if remote is not None:
        returned = merged_ledger(returned, remote)
    categories = uow.returns.categories_of([ln.item_id for ln in sale.lines])
    return [ReturnableLine(ln, returned.get(ln.id, Returned()), categories.get(ln.item_id, "")) for ln in sale.lines]


def merged_ledger(local: Mapping[str, Returned], remote: RemoteSale) -> dict[str, Returned]:
    """Per line, the larger of what this store file and HQ know was returned: HQ knows
    every lane that synced, this file knows its own returns not yet pushed."""
    out: dict[str, Returned] = dict(local)
    for line_id, r in remote.returned.items():
        mine = out.get(line_id)
        if mine is None or r.quantity > mine.quantity:
            out[line_id] = Returned(r.quantity, r.amount, r.tax, r.gross)
    return out
