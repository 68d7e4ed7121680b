"""What the customer's line display shows, in step with the counter (GUI thread).

While a sale is built: the item just scanned (or changed) with its amount, and the running
total. After payment: the total and the change (or what was paid), then, a few seconds
later or when the cart empties, the welcome text. After a return: the refund. The display
itself (``devices.display.LineDisplay``) only ever writes the newest text, on its worker.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from app.context import AppContext
from counter.i18n import _
from counter.returns.process import ReturnRecord
from counter.sales.sale import Sale
from ui.devices.device_bridge import DeviceBridge

if TYPE_CHECKING:
    from ui.sales.sale_screen import SaleScreen

WELCOME_AFTER_MS = 8000  # long enough to read the change, short enough for the next customer


class CustomerDisplay(QObject):
    def __init__(self, ctx: AppContext, devices: DeviceBridge) -> None:
        super().__init__()
        self.ctx = ctx
        self.devices = devices
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.welcome)

    def _money(self, amount: Decimal) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)

    def welcome(self) -> None:
        width = self.devices.display.columns if self.devices.display is not None else 20
        self.devices.show(self.ctx.settings.display_welcome.center(width), self.ctx.store.name.center(width))

    def cart_changed(self, screen: SaleScreen) -> None:
        """The sale screen re-read its cart (an item added, changed, voided; a new sale)."""
        if screen.cart.is_empty:
            if not self._timer.isActive():  # the change of the sale just paid stays a while
                self.welcome()
            return
        self._timer.stop()
        total = self._money(screen.model.pricing.total)
        row = screen.table.currentIndex().row()
        line = screen.model.line_at(row if row >= 0 else screen.model.rowCount() - 1)
        # The customer's line display: 20 characters a line, an amount beside each word; the
        # texts are short on purpose (a long one is cut).
        if line is None:
            # Translators: the customer display (20 characters a line, with an amount beside it)
            self.devices.show_pair(_("Total"), total)
            return
        priced = screen.model.pricing.lines[screen.model.row_of(line.id)]
        amount = self._money(priced.extended - priced.line_discount)
        name = line.item.name if line.quantity == 1 else f"{line.quantity} x {line.item.name}"
        self.devices.show_pair(name, amount, _("Total"), total)

    def sale_paid(self, sale: Sale) -> None:
        if sale.change:
            # Translators: the customer display: the change given back (short, with an amount beside it)
            self.devices.show_pair(_("Total"), self._money(sale.total), _("Change"), self._money(sale.change))
        else:
            # Translators: the customer display: the sale is paid (short)
            self.devices.show_pair(_("Total"), self._money(sale.total), _("Paid"), _("Thank you"))
        self._timer.start(WELCOME_AFTER_MS)

    def return_done(self, record: ReturnRecord) -> None:
        q = record.quote
        if q.to_pay > 0:
            # Translators: the customer display: a return that is an exchange, and what is left to pay (short)
            self.devices.show_pair(_("Exchange"), "", _("To pay"), self._money(q.to_pay))
        else:
            # Translators: the customer display: the refund given (short)
            self.devices.show_pair(_("Refund"), self._money(q.allocation.total), "", _("Thank you"))

        self._timer.start(WELCOME_AFTER_MS)
