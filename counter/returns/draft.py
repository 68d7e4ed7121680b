"""A return being prepared at the counter (like a cart, but for what comes back).

It holds what the cashier has said so far (which lines, how many, why, in what state,
where the money goes, the new items of an exchange) and turns it into a ProcessReturn
command. Nothing here is written anywhere until that command commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from counter.catalog import Item
from counter.errors import CounterError
from counter.i18n import _
from counter.people.users import User
from counter.returns.model import CustomerId, ExchangeSale, ProcessReturn, ReturnableLine, ReturnLineRequest
from counter.returns.policy import (
    Condition,
    Disposition,
    Reason,
    allowed_dispositions,
    condition_for,
    disposition_for,
)
from counter.returns.refunds import RefundMethod
from counter.sales.cart import Cart
from counter.sales.checkout import CompleteSale
from counter.sales.sale import Sale
from counter.sales.tenders import Tender


class DraftError(CounterError):
    """An edit of the return being prepared that does not fit."""


@dataclass
class DraftLine:
    quantity: int = 0
    reason: Reason | None = None
    condition: Condition = Condition.NEW
    #: None: where the condition proposes (``disposition_for``)
    disposition: Disposition | None = None
    #: the cashier chose the condition: a reason no longer changes it
    condition_chosen: bool = False


@dataclass
class NoReceiptLine:
    item: Item
    unit_price: Decimal
    quantity: int = 1
    reason: Reason | None = None
    condition: Condition = Condition.NEW
    disposition: Disposition | None = None
    condition_chosen: bool = False
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class ReturnDraft:
    cashier: User
    sale: Sale | None = None
    returnable: list[ReturnableLine] = field(default_factory=list)
    picks: dict[str, DraftLine] = field(default_factory=dict)
    no_receipt: list[NoReceiptLine] = field(default_factory=list)
    id_document: CustomerId | None = None
    refund_method: RefundMethod = RefundMethod.ORIGINAL
    waive_fees: bool = False
    exchange: Cart | None = None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def has_receipt(self) -> bool:
        return self.sale is not None

    @property
    def is_empty(self) -> bool:
        return not any(p.quantity for p in self.picks.values()) and not self.no_receipt

    def pick(self, line_id: str) -> DraftLine:
        return self.picks.setdefault(line_id, DraftLine())

    def change(self, line_id: str, step: int) -> DraftLine:
        """Return one more (step +1) or one fewer (step −1) of a receipt line."""
        line = next((rl for rl in self.returnable if rl.line.id == line_id), None)
        if line is None:
            raise DraftError(_("Pick a line of the receipt first."), _("Use ↑/↓."))
        pick = self.pick(line_id)
        wanted = pick.quantity + step
        if wanted > line.returnable:
            raise DraftError(
                _("Only {returnable} of {name} can be returned ({sold} sold, {returned} already returned).").format(
                    returnable=line.returnable,
                    name=line.line.name,
                    sold=line.line.quantity,
                    returned=line.returned.quantity,
                ),
                "",
            )
        pick.quantity = max(0, wanted)
        return pick

    def set_quantity(self, line_id: str, quantity: int) -> None:
        line = next(rl for rl in self.returnable if rl.line.id == line_id)
        if quantity < 0 or quantity > line.returnable:
            raise DraftError(
                _("Between 0 and {returnable} of {name} can be returned.").format(
                    returnable=line.returnable, name=line.line.name
                ),
                "",
            )
        self.pick(line_id).quantity = quantity

    def add_no_receipt(self, item: Item, unit_price: Decimal) -> NoReceiptLine:
        for line in self.no_receipt:
            if line.item.id == item.id:
                line.quantity += 1
                return line
        line = NoReceiptLine(item, unit_price)
        self.no_receipt.append(line)
        return line

    def lines_missing_a_reason(self) -> list[tuple[str, str]]:
        """(line id, name) of each line to return that has no reason yet: the receipt's
        picked lines, then the no-receipt items."""
        names = {rl.line.id: rl.line.name for rl in self.returnable}
        missing = [(i, names[i]) for i, p in self.picks.items() if p.quantity and p.reason is None]
        return missing + [(ln.id, ln.item.name) for ln in self.no_receipt if ln.reason is None]

    def line_name(self, line_id: str) -> str:
        for rl in self.returnable:
            if rl.line.id == line_id:
                return rl.line.name
        return self._no_receipt_line(line_id).item.name

    def _no_receipt_line(self, line_id: str) -> NoReceiptLine:
        line = next((n for n in self.no_receipt if n.id == line_id), None)
        if line is None:
            raise DraftError(_("Pick a line first."), _("Use ↑/↓."))
        return line

    def step(self, line_id: str, step: int) -> None:
        """One more (+1) or one fewer (−1) of any line: a receipt line within what can
        still be returned; a no-receipt item, which leaves the draft below one."""
        if self.has_receipt:
            self.change(line_id, step)
            return
        line = self._no_receipt_line(line_id)
        if step < 0 and line.quantity == 1:
            self.no_receipt.remove(line)
        else:
            line.quantity = max(1, line.quantity + step)

    def return_one_of(self, item: Item) -> int:
        """A scanned item on a receipted return: one more of the first line of that item
        that can still come back. Returns that line's row."""
        if not self.has_receipt:
            raise DraftError(_("Scan the receipt first."), _("No receipt? Press Ctrl+N, then scan the item."))
        row = next(
            (n for n, rl in enumerate(self.returnable) if rl.line.item_id == item.id and rl.returnable > 0), None
        )
        if row is None:
            raise DraftError(
                _("{name} is not on this receipt, or all of it came back already.").format(name=item.name), ""
            )
        self.change(self.returnable[row].line.id, +1)
        return row

    def set_reason(self, line_id: str, reason: Reason) -> None:
        """Why it comes back; on a receipt line not picked yet, this picks one. The reason
        proposes the condition (defective → defective, arrived damaged → damaged) until the
        cashier chooses one."""
        if self.has_receipt:
            pick = self.pick(line_id)
            if not pick.quantity:
                self.change(line_id, +1)
            target: DraftLine | NoReceiptLine = pick
        else:
            target = self._no_receipt_line(line_id)
        target.reason = reason
        if not target.condition_chosen:
            self._set_condition(target, condition_for(reason, target.condition))

    def next_condition(self, line_id: str) -> Condition:
        """The line's condition moves to the next one (new, opened, damaged, ...)."""
        target = self._target(line_id)
        order = list(Condition)
        self._set_condition(target, order[(order.index(target.condition) + 1) % len(order)])
        target.condition_chosen = True
        return target.condition

    def next_disposition(self, line_id: str) -> Disposition:
        """Where the line's units go moves to the next one its condition allows (a defective
        unit: return to vendor, scrap; never back to stock)."""
        target = self._target(line_id)
        allowed = allowed_dispositions(target.condition)
        now = target.disposition or disposition_for(target.condition)
        target.disposition = allowed[(allowed.index(now) + 1) % len(allowed)]
        return target.disposition

    def condition(self, line_id: str) -> Condition:
        return self._target(line_id).condition

    def disposition(self, line_id: str) -> Disposition:
        target = self._target(line_id)
        return target.disposition or disposition_for(target.condition)

    def _target(self, line_id: str) -> DraftLine | NoReceiptLine:
        return self.pick(line_id) if self.has_receipt else self._no_receipt_line(line_id)

    @staticmethod
    def _set_condition(target: DraftLine | NoReceiptLine, condition: Condition) -> None:
        target.condition = condition
        if target.disposition is not None and target.disposition not in allowed_dispositions(condition):
            target.disposition = None  # what the new condition proposes

    def command(
        self, *, exchange_tenders: list[Tender] | None = None, exchange_rounding: Decimal = Decimal(0)
    ) -> ProcessReturn:
        lines: list[ReturnLineRequest] = []
        for line_id, p in self.picks.items():
            if p.quantity:
                lines.append(
                    ReturnLineRequest(
                        p.quantity,
                        p.reason or Reason.OTHER,
                        p.condition,
                        sale_line_id=line_id,
                        disposition=p.disposition,
                    )
                )
        for nr in self.no_receipt:
            lines.append(
                ReturnLineRequest(
                    nr.quantity,
                    nr.reason or Reason.OTHER,
                    nr.condition,
                    item=nr.item,
                    unit_price=nr.unit_price,
                    disposition=nr.disposition,
                )
            )
        exchange = None
        if self.exchange is not None and not self.exchange.is_empty:
            exchange = ExchangeSale(
                CompleteSale(
                    self.cashier,
                    list(self.exchange.lines),
                    self.exchange.order_discount,
                    list(exchange_tenders or []),
                    exchange_rounding,
                )
            )
        return ProcessReturn(
            request_id=self.request_id,
            cashier=self.cashier,
            lines=tuple(lines),
            refund_method=self.refund_method if self.has_receipt else RefundMethod.STORE_CREDIT,
            original_receipt=self.sale.receipt_number if self.sale else None,
            id_document=self.id_document,
            waive_fees=self.waive_fees,
            exchange=exchange,
        )
