"""When the cash drawer opens, at the counter (GUI thread).

* After a committed cash sale (the sale screen's ``sale_recorded``) or a committed return
  that hands out cash or takes cash for an exchange (the return screen's ``recorded``):
  both signals are emitted after the commit, so the drawer never opens for something
  that was not recorded.
* For a no-sale (a key on the sale screen): the person types why; without the
  OPEN_DRAWER permission a supervisor approves with their PIN (the approval dialog of the
  return screen, bound to this request).

Each opening is first journaled (``counter.cash.drawer.open_drawer``), then kicked. When
``drawer_wait_closed`` is on, a new sale cannot start while the drawer reports open.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QWidget

from app.context import AppContext
from app.events import DeskPaymentCommitted, VoidCommitted
from counter.cash.drawer import (
    MIN_NOTE,
    NO_AMOUNT,
    DrawerError,
    DrawerReason,
    OpenDrawer,
    needs_approval,
    open_drawer,
    takes_cash,
)
from counter.errors import CartError
from counter.people.users import User
from counter.returns.policy import ApprovalKind
from counter.returns.process import ReturnRecord
from counter.sales.sale import Sale
from counter.sales.tenders import TenderKind
from ui.devices.device_bridge import DEVICES_KEY, DeviceBridge
from ui.dialogs import CounterDialog
from ui.ops import describe
from ui.returns.return_dialogs import ApprovalDialog

Say = Callable[[str, str], None]  # a screen's message panel: (text, kind)


class NoSaleDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, approval_needed: bool) -> None:
        super().__init__(parent, "No sale", "Open the cash drawer without a sale")
        self.reason = self.line_edit("Reason", placeholder="why, e.g. change for the float")
        note = (
            "A supervisor approves this with their PIN next. The opening is recorded with your name."
            if approval_needed
            else "The opening is recorded with your name and this reason."
        )
        hint = QLabel(note)
        hint.setObjectName("dialogHint")
        hint.setWordWrap(True)
        self.form.addRow("", hint)
        self.ok_button.setText("Open drawer  (Enter)")
        self.value = ""

    def validate(self) -> None:
        text = self.reason.text().strip()
        if len(text) < MIN_NOTE:
            raise DrawerError("Say why the drawer is opened without a sale.", "Type a short reason, then Enter.")
        self.value = text


class DrawerControl(QObject):
    def __init__(self, ctx: AppContext, devices: DeviceBridge, current_user: Callable[[], User | None]) -> None:
        super().__init__()
        self.ctx = ctx
        self.devices = devices
        self.current_user = current_user
        self._pending: dict[str, Say] = {}  # request id -> where to say how the kick went
        devices.kick_finished.connect(self._kick_finished)

    # ------------------------------------------------------- cash movements
    def after_sale(self, sale: Sale, say: Say) -> None:
        if takes_cash(sale.tenders):
            self._open_for(DrawerReason.CASH_SALE, sale.receipt_number, say)

    def after_return(self, record: ReturnRecord, say: Say) -> None:
        cash_out = any(p.kind is TenderKind.CASH and p.amount > 0 for p in record.quote.allocation.parts)
        cash_in = record.exchange_sale is not None and takes_cash(record.exchange_sale.tenders)
        if cash_out or cash_in:
            reason = DrawerReason.CASH_REFUND if cash_out else DrawerReason.CASH_SALE
            self._open_for(reason, record.return_number, say)

    def after_desk_payment(self, event: DeskPaymentCommitted, say: Say) -> None:
        if event.cash_in > 0 or event.cash_out > 0:
            reason = DrawerReason.CASH_REFUND if event.cash_out > 0 else DrawerReason.CASH_SALE
            self._open_for(reason, event.reference, say)

    def after_void(self, event: VoidCommitted, say: Say) -> None:
        """A sale voided after payments were taken: the drawer opens for the cash given back."""
        if event.record.cash_out > 0:
            self._open_for(DrawerReason.CASH_REFUND, event.record.void_number, say)

    def _open_for(self, reason: DrawerReason, reference: str, say: Say) -> None:
        user = self.current_user()
        if user is not None:
            self._open(OpenDrawer(user, reason, reference), say)

    def _open(self, cmd: OpenDrawer, say: Say) -> bool:
        """Journal, then kick. False (and said) when the drawer was not opened."""
        try:
            self.ctx.handle(open_drawer, cmd)
        except Exception as exc:  # what was recorded before stands; the drawer stays shut
            say(f"The cash drawer was not opened: {describe(exc).text}", "error")
            return False
        try:
            self.devices.kick(cmd.request_id)
        except Exception as exc:
            say(f"The cash drawer did not open: {describe(exc).text}", "error")
            return False
        self._pending[cmd.request_id] = say
        return True

    def _kick_finished(self, request_id: str, error: str) -> None:
        say = self._pending.pop(request_id, None)
        if say is not None and error:
            say(f"The cash drawer did not open: {error} Open it with its key.", "error")

    # -------------------------------------------------------------- no sale
    def no_sale(self, parent: QWidget, user: User, say: Say, *, note: str | None = None) -> None:
        """The no-sale key: reason (asked unless ``note`` gives it, as the drawer test of
        the device settings does), approval when needed, journal, kick."""
        if self.devices.drawer is None:
            say(
                f"No cash drawer is set up. Set it up in Devices ({DEVICES_KEY}), or open the drawer with its key.",
                "error",
            )
            return
        approval = needs_approval(user)
        if note is None:
            dialog = NoSaleDialog(parent, approval)
            if dialog.exec() != NoSaleDialog.DialogCode.Accepted:
                say("No sale cancelled: the drawer stays closed.", "info")
                return
            note = dialog.value
        cmd = OpenDrawer(user, DrawerReason.NO_SALE, None, note)
        if approval and not self._approve(parent, user, cmd):
            say("Not approved: the drawer stays closed, nothing was recorded.", "info")
            return
        if self._open(cmd, say):
            say(f"Drawer opened, no sale: “{cmd.note}”. Recorded with your name.", "ok")

    def _approve(self, parent: QWidget, user: User, cmd: OpenDrawer) -> bool:
        dialog = ApprovalDialog(
            parent,
            self.ctx,
            request_id=cmd.request_id,
            kinds=frozenset({ApprovalKind.NO_SALE}),
            amount=NO_AMOUNT,
            requester=user,
        )
        dialog.headline.setText(f"A supervisor approves opening the drawer without a sale.\nReason: {cmd.note}")
        return dialog.exec() == ApprovalDialog.DialogCode.Accepted

    # ----------------------------------------------------------------- gate
    def check_closed(self) -> None:
        """Before a new sale starts: refuse while the drawer reports open (when the setting
        asks for it). Raises CartError, which the sale screen shows."""
        if not self.ctx.settings.drawer_wait_closed or self.devices.drawer_open is not True:
            return
        self.devices.refresh_drawer()  # the sooner we know it was closed, the better
        raise CartError(
            "The cash drawer is still open.", "Close the drawer, then scan again: the next sale starts then."
        )


__all__ = ["DrawerControl", "NoSaleDialog"]
