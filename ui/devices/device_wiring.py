"""The devices' part of the main window (GUI thread): status-bar items, where scans go,
when the drawer opens, what the customer display shows, and the device keys.

Built once by the composition root (``ui.main_window.build_window``) after the screens,
with the pieces it uses (the sale screen, the stack, the print bridge, who is signed in,
the status bar and its printer item): it plugs into the screens' signals and extension
points (``SaleScreen.add_handler``, ``SaleScreen.before_new_sale``, ``handle_scan``) so
that the screens know nothing of device objects.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QStackedWidget, QStatusBar, QWidget

from app.config import Settings
from app.context import AppContext
from app.events import DeskPaymentCommitted, ReturnCommitted, SaleCommitted, VoidCommitted
from counter.i18n import N_, _
from counter.people.users import User
from devices.barcodes import ScanData
from ui.actions import Action
from ui.cash.cash_drawer import DrawerControl
from ui.devices.customer_display import CustomerDisplay
from ui.devices.device_bridge import DEVICES_KEY, DeviceBridge, DeviceState
from ui.devices.print_jobs import PrintJobsDialog, failed_summary, jobs_indicator
from ui.devices.printing import PrintBridge
from ui.devices.wedge import WedgeFilter, route_scan, scan_start, wedge_config
from ui.i18n import live
from ui.sales.sale_screen import SaleScreen

STATE_POLL_MS = 2000  # scanners and displays reconnect quietly; their label follows
# Translators: the devices' names in the status bar ("Drawer: closed")
LABELS = {"drawer": N_("Drawer"), "terminal": N_("Card terminal"), "scanner": N_("Scanner"), "display": N_("Display")}


class DeviceUi(QObject):
    def __init__(
        self,
        ctx: AppContext,
        devices: DeviceBridge,
        *,
        sale: SaleScreen,
        stack: QStackedWidget,
        printing: PrintBridge,
        current_user: Callable[[], User | None],
        status_bar: QStatusBar,
        printer_label: QLabel,
        parent: QObject | None = None,
    ) -> None:
        """``status_bar`` takes the device items and the devices' messages; ``printer_label``
        is the window's printer item, reset when the printer is set up anew."""
        super().__init__(parent)
        self.ctx = ctx
        self.devices = devices
        self.sale, self.stack, self.printing, self.current_user = sale, stack, printing, current_user
        self.status_bar, self.printer_label = status_bar, printer_label
        self.drawers = DrawerControl(self.ctx, devices, current_user)
        self.display = CustomerDisplay(self.ctx, devices)
        s = self.ctx.settings
        self.wedge = WedgeFilter(wedge_config(s), self._wedge_scan)
        self.wedge.enabled = s.wedge
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.wedge)
        self._status_items()
        self._connect()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh_states)
        self._timer.start(STATE_POLL_MS)
        live(self, self.refresh_states)  # again at once when the language changes
        live(self, self.refresh_jobs)
        self.display.welcome()

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.wedge)
        self._timer.stop()

    # ------------------------------------------------------------- wiring
    def _status_items(self) -> None:
        """Drawer, card terminal, scanner and display after the window's own items, then
        the (usually hidden) "not printed" button."""
        bar = self.status_bar
        self.labels: dict[str, QLabel] = {}
        for kind in ("drawer", "terminal", "scanner", "display"):
            label = QLabel("")
            label.setObjectName("statusItem")
            self.labels[kind] = label
            bar.addPermanentWidget(label)
        self.jobs_button = jobs_indicator(self.open_print_jobs)
        bar.addPermanentWidget(self.jobs_button)

    def _connect(self) -> None:
        d = self.devices
        sale = self.sale
        # After-commit reactions (app/events.py): the drawer is handled once the screen has
        # said its own message (next turn of the event loop), so both stay visible.
        after = self.ctx.after_commit
        self._unsubscribe: list[Callable[[], None]] = [
            after.subscribe(SaleCommitted, lambda e: QTimer.singleShot(0, lambda: self._after_sale(e))),
            after.subscribe(ReturnCommitted, lambda e: QTimer.singleShot(0, lambda: self._after_return(e))),
            after.subscribe(DeskPaymentCommitted, lambda e: QTimer.singleShot(0, lambda: self._after_desk_payment(e))),
            after.subscribe(VoidCommitted, lambda e: QTimer.singleShot(0, lambda: self._after_void(e))),
        ]
        sale.cart_changed.connect(lambda: self.display.cart_changed(sale))
        sale.before_new_sale = self.drawers.check_closed
        sale.add_handler(Action.NO_SALE, self.no_sale)
        sale.add_handler(Action.DEVICES, self.open_settings)
        sale.add_handler(Action.PRINT_JOBS, self.open_print_jobs)
        d.scanned.connect(self._serial_scan)
        d.drawer_changed.connect(self._drawer_changed)
        d.problem.connect(self._device_problem)
        d.applied.connect(self._applied)
        d.terminal_changed.connect(lambda _status: self.refresh_states())
        self.printing.jobs_changed.connect(self.refresh_jobs)
        self.printing.printer_replaced.connect(self._printer_replaced)

    def _device_problem(self, text: str) -> None:
        self.status_bar.showMessage(text, 15000)
        self.refresh_states()

    # ------------------------------------------------------- drawer, display
    def _after_sale(self, event: SaleCommitted) -> None:
        """A cash sale opens the drawer (at the counter or the desk); the display shows it."""
        self.drawers.after_sale(event.sale, event.warn or event.tell)
        self.display.sale_paid(event.sale)
        if any(t.card is not None for t in event.sale.tenders):
            self.devices.check_terminal_soon()  # the status bar follows the terminal after a card

    def _after_return(self, event: ReturnCommitted) -> None:
        self.drawers.after_return(event.record, event.warn or event.tell)
        self.display.return_done(event.record)

    def _after_desk_payment(self, event: DeskPaymentCommitted) -> None:
        """Cash taken or given back at the desk outside a sale opens the drawer."""
        self.drawers.after_desk_payment(event, event.warn or event.tell)

    def _after_void(self, event: VoidCommitted) -> None:
        """A sale voided after payments were taken opens the drawer for the cash given back."""
        self.drawers.after_void(event, event.warn or event.tell)

    def no_sale(self) -> None:
        sale, user = self.sale, self.current_user()
        if user is None:
            return
        if not sale.cart.is_empty or sale.payment is not None:
            sale.say(_("Finish or void this sale (Shift+F6) first: a no-sale opens the drawer between sales."), "error")
            return
        self.drawers.no_sale(sale, user, sale.say)

    def _drawer_changed(self, opened: object) -> None:
        self.refresh_states()
        sale = self.sale
        if opened is False and _("The cash drawer is still open.") in sale.message.text():
            sale.say(_("The cash drawer is closed: scan the first item of the next sale."), "info")

    # ---------------------------------------------------------------- scans
    def _wedge_scan(self, start: QWidget | None, scan: ScanData) -> None:
        route_scan(start or scan_start() or self.stack.currentWidget(), scan, self._unhandled)

    def _serial_scan(self, scan: ScanData) -> None:
        route_scan(scan_start() or self.stack.currentWidget(), scan, self._unhandled)

    def _unhandled(self, scan: ScanData) -> None:
        said = (
            _("Scanned “{code}”, but this screen takes no scans. Sign in first, then scan.")
            if self.current_user() is None
            else _("Scanned “{code}”, but this screen takes no scans. Go to the sale screen to scan items.")
        )
        self.status_bar.showMessage(said.format(code=scan.text), 10000)

    # -------------------------------------------------------------- windows
    def open_settings(self) -> None:
        from ui.devices.device_settings import DeviceSettingsDialog

        dialog = DeviceSettingsDialog(
            self.stack.currentWidget(), self.ctx, self.printing, self.devices, self.drawers, self.current_user()
        )
        if dialog.exec() == DeviceSettingsDialog.DialogCode.Accepted:
            text = (
                _("Device settings saved to counter.toml and in use now. But: {notes}").format(
                    notes=" ".join(dialog.saved_notes)
                )
                if dialog.saved_notes
                else _("Device settings saved to counter.toml and in use now.")
            )
            self.sale.say(text, "error" if dialog.saved_notes else "ok")
        self.refresh_states()

    def open_print_jobs(self) -> None:
        PrintJobsDialog(self.stack.currentWidget(), self.ctx, self.printing, self.current_user()).exec()
        self.refresh_jobs()

    # --------------------------------------------------------------- states
    def refresh_states(self) -> None:
        d = self.devices
        states = {
            "drawer": d.drawer_state(),
            "terminal": d.terminal_state(),
            "scanner": d.scanner_state(),
            "display": d.display_state(),
        }
        for kind, state in states.items():
            _show(self.labels[kind], _("{device}: {state}").format(device=_(LABELS[kind]), state=state.label), state)
            # The drawer and a set-up card terminal are always there (they matter at every
            # sale); a scanner or display that works needs no room in a full status bar, one
            # in trouble does.
            always = kind == "drawer" or (kind == "terminal" and state.text != "none")
            self.labels[kind].setVisible(always or state.kind == "error")

    def refresh_jobs(self) -> None:
        count, detail = failed_summary(self.ctx)
        button = self.jobs_button
        button.setVisible(count > 0)
        button.setText(_("⚠ {count} not printed").format(count=count) if count else "")
        button.setToolTip(detail)

    def _printer_replaced(self) -> None:
        label = self.printer_label
        label.setText(_("Printer: checking…") if self.printing.printer else _("Printer: none set up"))
        label.setProperty("kind", "")
        label.style().unpolish(label)
        label.style().polish(label)

    def _applied(self, settings: Settings) -> None:
        config = wedge_config(settings)
        self.wedge.configure(config, enabled=settings.wedge)
        self.refresh_states()
        self.display.welcome()


def _show(label: QLabel, text: str, state: DeviceState) -> None:
    if label.text() == text and label.property("kind") == state.kind:
        return
    label.setText(text)
    where = _("Set up in Devices ({key}).").format(key=DEVICES_KEY)
    label.setToolTip(f"{state.detail} {where}".strip())

    label.setProperty("kind", state.kind)
    label.style().unpolish(label)
    label.style().polish(label)


__all__ = ["DEVICES_KEY", "DeviceUi"]
