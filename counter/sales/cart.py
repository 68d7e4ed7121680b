"""The cart being rung up at the counter: lines, quantities, voids and discounts.

A cart lives in memory until it is paid; nothing of it is written before ``CompleteSale``
commits, so an abandoned cart leaves no trace but a voided-sale journal entry (later).
Voided lines stay in the cart, marked void, so the receipt and the audit can show them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from counter.catalog import Item
from counter.errors import CartError, InvalidQuantity
from counter.i18n import _
from counter.money import Currency
from counter.sales.pricing import Discount, LineInput, Pricing, price_lines

MAX_QUANTITY = 9999
MAX_LINES = 500


def check_quantity(quantity: int) -> int:
    if quantity < 1:
        raise InvalidQuantity(_("The quantity must be at least 1."), _("To take an item off, void the line (F6)."))
    if quantity > MAX_QUANTITY:
        raise InvalidQuantity(
            _("{quantity} is more than {max_quantity:,} of one item.").format(
                quantity=quantity, max_quantity=MAX_QUANTITY
            ),
            _("Check the quantity; a larger order goes through the back office."),
        )
    return quantity


#: a line this big is confirmed before it goes on the sale: a quantity typed with a zero
#: too many (1000 for 100, 1200 for 12) is the commonest costly slip at a till
LARGE_QUANTITY = 100
LARGE_LINE = Decimal(1000)


def is_large_line(quantity: int, unit_price: Decimal) -> bool:
    """True when ``quantity`` of an item at ``unit_price`` should be confirmed first."""
    return quantity >= LARGE_QUANTITY or quantity * unit_price >= LARGE_LINE


def parse_quantity(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        if text.startswith("-"):
            raise InvalidQuantity(_("A quantity cannot be negative."), _("To take items back, use Returns."))
        raise InvalidQuantity(_("“{text}” is not a whole number.").format(text=text), _("Type a quantity such as 2."))
    if len(text) > 6:
        raise InvalidQuantity(
            _("{text} is more than {max_quantity:,} of one item.").format(text=text, max_quantity=MAX_QUANTITY),
            _("Check the quantity."),
        )
    return check_quantity(int(text))


def check_discount(discount: Discount, currency: Currency) -> Discount:
    if discount.value <= 0:
        raise CartError(_("A discount must be above zero."), _("Type a percentage or an amount."))
    if discount.is_percent and discount.value > 100:
        raise CartError(_("A discount cannot be more than 100 %."), _("Type a smaller percentage."))
    if discount.is_percent and discount.value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise CartError(_("Use at most two decimals in a percentage."), _("For example 12.5."))
    if not discount.is_percent:
        currency.to_minor(discount.value)  # refuses sub-cent amounts
    return discount


@dataclass
class CartLine:
    item: Item
    quantity: int
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    discount: Discount | None = None
    voided: bool = False

    def as_input(self) -> LineInput:
        return LineInput(self.item.price, self.quantity, self.item.tax, self.discount)


@dataclass
class Cart:
    currency: Currency
    prices_include_tax: bool
    lines: list[CartLine] = field(default_factory=list)
    order_discount: Discount | None = None

    @property
    def active_lines(self) -> list[CartLine]:
        return [ln for ln in self.lines if not ln.voided]

    @property
    def is_empty(self) -> bool:
        return not self.active_lines

    def add(self, item: Item, quantity: int = 1) -> CartLine:
        """Add an item; the same item again (undiscounted) raises that line's quantity."""
        check_quantity(quantity)
        if not item.active:
            raise CartError(
                _("{name} is no longer sold.").format(name=item.name), _("Ask a supervisor before selling it.")
            )
        for line in reversed(self.lines):
            if line.item.id == item.id and not line.voided and line.discount is None:
                line.quantity = check_quantity(line.quantity + quantity)
                return line
        if len(self.active_lines) >= MAX_LINES:
            raise CartError(
                _("A sale can hold at most {max_lines} lines.").format(max_lines=MAX_LINES),
                _("Pay this sale and start another."),
            )
        line = CartLine(item, quantity)
        self.lines.append(line)
        return line

    def line(self, line_id: str) -> CartLine:
        for line in self.lines:
            if line.id == line_id and not line.voided:
                return line
        raise CartError(_("That line is not in the sale any more."), _("Pick a line from the list."))

    def set_quantity(self, line_id: str, quantity: int) -> CartLine:
        line = self.line(line_id)
        previous, line.quantity = line.quantity, check_quantity(quantity)
        try:
            self.price()  # an amount discount may no longer fit a smaller line
        except CartError:
            line.quantity = previous
            raise
        return line

    def void(self, line_id: str) -> CartLine:
        line = self.line(line_id)
        line.voided = True
        return line

    def discount_line(self, line_id: str, discount: Discount | None) -> CartLine:
        line = self.line(line_id)
        if discount is not None:
            check_discount(discount, self.currency)
            extended = line.item.price * line.quantity
            if not discount.is_percent and discount.value > extended:
                raise CartError(
                    _("The discount is larger than the line ({extended}).").format(extended=extended),
                    _("Enter a smaller amount, or void the line instead."),
                )
        line.discount = discount
        return line

    def discount_order(self, discount: Discount | None) -> None:
        previous = self.order_discount
        self.order_discount = check_discount(discount, self.currency) if discount else None
        try:
            self.price()
        except CartError:
            self.order_discount = previous
            raise

    def price(self) -> Pricing:
        return price_lines(
            [ln.as_input() for ln in self.active_lines],
            self.currency,
            prices_include_tax=self.prices_include_tax,
            order_discount=self.order_discount,
        )

    @property
    def total(self) -> Decimal:
        return self.price().total
