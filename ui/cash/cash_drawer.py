"""When the cash drawer opens, at the counter (GUI thread).

* After a committed cash sale or a committed return that hands out cash or takes cash for
  an exchange (``SaleCommitted``/``ReturnCommitted``, app/events.py): the commit itself
  made the opening due (counter.trust.outbox, ``Due.DRAWER``), so the drawer never opens
  for something that was not recorded, and a crash never loses an opening. Here it is
  journaled and settled in one transaction (app.drawer), then kicked.
* After a crash: the openings it left due are offered to the first person who signs in
  (``offer_due``, from ui/trust/trust_wiring.py): Enter opens the drawer, journaled with
  their name; Esc records that it was not needed. The drawer never opens by itself.
* For a no-sale (a key on the sale screen): the person types why; without the
  OPEN_DRAWER permission a supervisor approves with their PIN (the approval dialog of the
  return screen, bound to this request).

Each opening is first journaled (``counter.cash.drawer.open_drawer``, app.drawer), then
kicked. When ``drawer_wait_closed`` is on, a new sale cannot start while the drawer
reports open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QWidget

from app.context import AppContext
from app.drawer import AFTER_RESTART, DueDrawers
from app.events import DeskPaymentCommitted, VoidCommitted
from counter.cash.drawer import (
    MIN_NOTE,
    NO_AMOUNT,
    DrawerError,
    DrawerReason,
    OpenDrawer,
    needs_approval,
    open_drawer,
)
from counter.errors import CartError
from counter.i18n import _
from counter.people.users import User
from counter.returns.policy import ApprovalKind
from counter.returns.process import ReturnRecord
from counter.sales.sale import Sale
from counter.trust.outbox import DueDrawer
from ui.devices.device_bridge import DEVICES_KEY, DeviceBridge
from ui.dialogs import CounterDialog
from ui.ops import describe
from ui.returns.return_dialogs import ApprovalDialog

Say = Callable[[str, str], None]  # a screen's message panel: (text, kind)


class NoSaleDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, approval_needed: bool) -> None:
        super().__init__(parent, _("No sale"), _("Open the cash drawer without a sale"))
        self.reason = self.line_edit(_("Reason"), placeholder=_("why, e.g. change for the float"))
        note = (
            _("A supervisor approves this with their PIN next. The opening is recorded with your name.")
            if approval_needed
            else _("The opening is recorded with your name and this reason.")
        )
        hint = QLabel(note)
        hint.setObjectName("dialogHint")
        hint.setWordWrap(True)
        self.form.addRow("", hint)
        self.ok_button.setText(_("Open drawer  (Enter)"))
        self.value = ""

    def validate(self) -> None:
        text = self.reason.text().strip()
        if len(text) < MIN_NOTE:
            raise DrawerError(_("Say why the drawer is opened without a sale."), _("Type a short reason, then Enter."))
        self.value = text


class DueDrawerDialog(CounterDialog):
    """At the first sign-in after a crash: the cash movements whose drawer never opened."""

    def __init__(self, parent: QWidget | None, items: Sequence[DueDrawer], money: Callable[[Decimal], str]) -> None:
        super().__init__(
            parent,
            _("Cash drawer"),
            _("Counter stopped before the drawer opened. The sales and returns are recorded."),
        )
        for item in items:
            label = QLabel(_("{what}, but the drawer did not open.").format(what=item.text(money)))
            label.setObjectName("dueDrawer")
            label.setWordWrap(True)
            self.form.addRow(label)
        self.ok_button.setText(_("Open it now  (Enter)"))
        self.cancel_button.setText(_("Not needed  (Esc)"))


class DrawerControl(QObject):
    def __init__(self, ctx: AppContext, devices: DeviceBridge, current_user: Callable[[], User | None]) -> None:
        super().__init__()
        self.ctx = ctx
        self.devices = devices
        self.current_user = current_user
        #: the openings commits made due (app.drawer)
        self.due = DueDrawers(ctx.uow, ctx.read_uow, ctx.clock)
        self._pending: dict[str, Say] = {}  # request id -> where to say how the kick went
        devices.kick_finished.connect(self._kick_finished)

    # ------------------------------------------------------- cash movements
    def after_sale(self, sale: Sale, say: Say) -> None:
        self._open_due([sale.receipt_number], say)

    def after_return(self, record: ReturnRecord, say: Say) -> None:
        self._open_due([record.return_number], say)

    def _open_due(self, references: Sequence[str], say: Say) -> None:
        """After their commit: journal the openings these records made due (each settled in
        the same transaction), then kick. Nothing due (a card sale): nothing happens."""
        user = self.current_user()
        if user is None:
            return  # (nobody signed in: it stays due, offered when Counter next starts)
        try:
            kicks = self.due.open_for(references, user.id)
        except Exception as exc:  # the opening stays due; the drawer stays shut
            say(
                _(
                    "The cash drawer was not opened: {problem} Open it with its key; "
                    "the opening stays due and is offered when Counter next starts."
                ).format(problem=describe(exc).text),
                "error",
            )
            return
        if kicks:
            self._kick(kicks[0], say)  # one kick opens the drawer for all of them

    def after_desk_payment(self, event: DeskPaymentCommitted, say: Say) -> None:
        if event.cash_in > 0 or event.cash_out > 0:
            self._open_due([event.reference], say)  # due with the payment's commit, like a sale's

    def after_void(self, event: VoidCommitted, say: Say) -> None:
        """A sale voided after payments were taken: the drawer opens for the cash given back
        (due with the void's commit, like a refund's)."""
        if event.record.cash_out > 0:
            self._open_due([event.record.void_number], say)

    def _open(self, cmd: OpenDrawer, say: Say) -> bool:
        """Journal, then kick. False (and said) when the drawer was not opened."""
        try:
            self.ctx.handle(open_drawer, cmd)
        except Exception as exc:  # what was recorded before stands; the drawer stays shut
            say(_("The cash drawer was not opened: {problem}").format(problem=describe(exc).text), "error")
            return False
        return self._kick(cmd.request_id, say)

    def _kick(self, request_id: str, say: Say) -> bool:
        """Kick an opening already journaled. False (and said) when it did not open."""
        try:
            self.devices.kick(request_id)
        except Exception as exc:
            say(_("The cash drawer did not open: {problem}").format(problem=describe(exc).text), "error")
            return False
        self._pending[request_id] = say
        return True

    def _kick_finished(self, request_id: str, error: str) -> None:
        say = self._pending.pop(request_id, None)
        if say is not None and error:
            say(_("The cash drawer did not open: {problem} Open it with its key.").format(problem=error), "error")

    # ---------------------------------------------------------- after a crash
    def offer_due(self, parent: QWidget | None, user: User, items: Sequence[DueDrawer], say: Say) -> None:
        """Offer ``user`` the openings a crash left due: Enter journals them with their name
        and kicks the drawer once; Esc settles them as not needed, with their name."""
        if not items:
            return
        store = self.ctx.store
        dialog = DueDrawerDialog(parent, items, lambda amount: store.currency.format(amount, store.locale))
        references = ", ".join(item.reference for item in items)
        if dialog.exec() != DueDrawerDialog.DialogCode.Accepted:
            try:
                self.due.decline(items, user.id)
            except Exception as exc:
                say(_("“Not needed” was not recorded: {problem}").format(problem=describe(exc).text), "error")
                return
            say(
                _("Drawer not opened for {references}: recorded as not needed by {name}.").format(
                    references=references, name=user.name
                ),
                "info",
            )
            return
        try:
            kicks = [rid for item in items if (rid := self.due.open(item, user.id, AFTER_RESTART)) is not None]
        except Exception as exc:
            say(
                _("The cash drawer was not opened: {problem} Open it with its key.").format(problem=describe(exc).text),
                "error",
            )
            return
        if not kicks:
            say(
                _("The drawer for {references} was opened meanwhile: nothing more to do.").format(
                    references=references
                ),
                "info",
            )
        elif self._kick(kicks[0], say):
            say(_("Drawer opened for {references}, recorded with your name.").format(references=references), "ok")

    # -------------------------------------------------------------- no sale
    def no_sale(self, parent: QWidget, user: User, say: Say, *, note: str | None = None) -> None:
        """The no-sale key: reason (asked unless ``note`` gives it, as the drawer test of
        the device settings does), approval when needed, journal, kick."""
        if self.devices.drawer is None:
            say(
                _("No cash drawer is set up. Set it up in Devices ({key}), or open the drawer with its key.").format(
                    key=DEVICES_KEY
                ),
                "error",
            )
            return
        approval = needs_approval(user)
        if note is None:
            dialog = NoSaleDialog(parent, approval)
            if dialog.exec() != NoSaleDialog.DialogCode.Accepted:
                say(_("No sale cancelled: the drawer stays closed."), "info")
                return
            note = dialog.value
        cmd = OpenDrawer(user, DrawerReason.NO_SALE, None, note)
        if approval and not self._approve(parent, user, cmd):
            say(_("Not approved: the drawer stays closed, nothing was recorded."), "info")
            return
        if self._open(cmd, say):
            say(_("Drawer opened, no sale: “{reason}”. Recorded with your name.").format(reason=cmd.note), "ok")

    def _approve(self, parent: QWidget, user: User, cmd: OpenDrawer) -> bool:
        dialog = ApprovalDialog(
            parent,
            self.ctx,
            request_id=cmd.request_id,
            kinds=frozenset({ApprovalKind.NO_SALE}),
            amount=NO_AMOUNT,
            requester=user,
        )
        dialog.headline.setText(
            _("A supervisor approves opening the drawer without a sale.\nReason: {reason}").format(reason=cmd.note)
        )
        return dialog.exec() == ApprovalDialog.DialogCode.Accepted

    # ----------------------------------------------------------------- gate
    def check_closed(self) -> None:
        """Before a new sale starts: refuse while the drawer reports open (when the setting
        asks for it). Raises CartError, which the sale screen shows."""
        if not self.ctx.settings.drawer_wait_closed or self.devices.drawer_open is not True:
            return
        self.devices.refresh_drawer()  # the sooner we know it was closed, the better
        raise CartError(
            _("The cash drawer is still open."), _("Close the drawer, then scan again: the next sale starts then.")
        )


__all__ = ["DrawerControl", "DueDrawerDialog", "NoSaleDialog"]
