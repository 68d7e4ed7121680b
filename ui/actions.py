"""Every counter action with its key and label, declared once.

Screens build their key handling and the on-screen key legend from these registries, so
a key is never assigned twice on a screen and the legend never lies.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QKeyCombination, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence

from counter.i18n import N_, _


@dataclass(frozen=True)
class ActionSpec:
    key: str  # a QKeySequence string
    label: str  # English, marked N_(): shown through _() (``shown``; ui.key_legend translates it)
    in_legend: bool = True  # False: a back-office key, said where it is needed (status bar, README)


class _Keyed(enum.Enum):
    @property
    def key(self) -> str:
        return self.value.key  # type: ignore[no-any-return]

    @property
    def label(self) -> str:
        """The label's English (what the key legend is given; it translates it itself)."""
        return self.value.label  # type: ignore[no-any-return]

    @property
    def shown(self) -> str:
        """The label in the screen's language, for a message."""
        return _(self.value.label)


class Action(_Keyed):
    """The sale screen."""

    SEARCH = ActionSpec("F2", N_("Find item"))
    # Translators: a key: change how many of the picked line
    QUANTITY = ActionSpec("F3", N_("Quantity"))
    LINE_DISCOUNT = ActionSpec("F4", N_("Line discount"))
    ORDER_DISCOUNT = ActionSpec("F5", N_("Sale discount"))
    VOID_LINE = ActionSpec("F6", N_("Void line"))
    VOID_SALE = ActionSpec("Shift+F6", N_("Void sale"))
    RETURNS = ActionSpec("F7", N_("Returns"))
    PAY_VOUCHER = ActionSpec("F8", N_("Store credit"))
    # Translators: a key: take a cash payment
    PAY_CASH = ActionSpec("F9", N_("Cash"))
    # Translators: a key: take a card payment
    PAY_CARD = ActionSpec("F10", N_("Card"))
    REPRINT = ActionSpec("F11", N_("Reprint"))
    GIFT_RECEIPT = ActionSpec("Shift+F11", N_("Gift receipt"))
    SIGN_OUT = ActionSpec("F12", N_("Sign out"))
    CASH_OFFICE = ActionSpec("Ctrl+K", N_("Cash office"))
    NO_SALE = ActionSpec("Shift+F9", N_("No sale"))
    PRINT_JOBS = ActionSpec("Ctrl+Shift+P", N_("Print jobs"), in_legend=False)
    DEVICES = ActionSpec("Ctrl+Shift+D", N_("Devices"), in_legend=False)
    STAFF = ActionSpec("Ctrl+Shift+S", N_("Staff"), in_legend=False)  # the staff list (ui/trust/staff_screen.py)
    LANGUAGE = ActionSpec("Ctrl+Shift+L", N_("Language"), in_legend=False)  # ui/trust/language_dialog.py
    MANAGER_STATION = ActionSpec("Ctrl+Shift+M", N_("Manager station"), in_legend=False)  # ui/trust/manager_station.py
    # Translators: a key: attach a customer (at the service desk)
    CUSTOMER = ActionSpec("Ctrl+U", N_("Customer"))


class CashAction(_Keyed):
    """The cash office."""

    OPEN_SHIFT = ActionSpec("F2", N_("Open shift"))
    PAID_IN = ActionSpec("F3", N_("Paid in"))
    PAID_OUT = ActionSpec("F4", N_("Paid out"))
    CASH_DROP = ActionSpec("F5", N_("Cash drop"))
    X_REPORT = ActionSpec("F6", N_("X report"))
    CLOSE_SHIFT = ActionSpec("F7", N_("Close shift"))
    # Translators: a key: count the drawer again
    RECOUNT = ActionSpec("F8", N_("Recount"))
    Z_REPORT = ActionSpec("F9", N_("Z report"))
    REPRINT = ActionSpec("F11", N_("Reprint report"))
    BACK = ActionSpec("Esc", N_("Back to sale"))


class ReturnAction(_Keyed):
    """The return screen."""

    RECEIPT = ActionSpec("F2", N_("New return"))
    # Translators: a key: change how many of the picked line
    QUANTITY = ActionSpec("F3", N_("Quantity"))
    # Translators: a key: choose why the item is returned
    REASON = ActionSpec("F4", N_("Reason"))
    # Translators: a key: choose the returned item's condition
    CONDITION = ActionSpec("F5", N_("Condition"))
    # Translators: a key: choose where the returned item goes (shelf, repair, scrap...)
    DISPOSITION = ActionSpec("Shift+F5", N_("Goes to"))
    # Translators: a key: exchange the returned items for others
    EXCHANGE = ActionSpec("F6", N_("Exchange"))
    CUSTOMER_ID = ActionSpec("F7", N_("Customer ID"))
    # Translators: a key: choose how the refund is paid
    REFUND_TO = ActionSpec("F8", N_("Refund to"))
    # Translators: a key: ask a supervisor to approve the return
    APPROVE = ActionSpec("F9", N_("Approve"))
    # Translators: a key: finish the return
    COMPLETE = ActionSpec("F10", N_("Complete"))
    FIND_SALE = ActionSpec("Ctrl+F", N_("Find sale"))
    NO_RECEIPT = ActionSpec("Ctrl+N", N_("No receipt"))
    WAIVE_FEE = ActionSpec("Shift+F4", N_("Waive fee"))
    POLICIES = ActionSpec("Ctrl+P", N_("Policies"))
    # Translators: a key: attach a customer (at the service desk)
    CUSTOMER = ActionSpec("Ctrl+U", N_("Customer"))
    BACK = ActionSpec("Esc", N_("Back to sale"))


class ServiceAction(_Keyed):
    """The service desk (customers, cases, referrals, adjustments, orders and accounts)."""

    FIND = ActionSpec("F2", N_("Find customer"))
    NEW_CUSTOMER = ActionSpec("F3", N_("New customer"))
    EDIT_CUSTOMER = ActionSpec("F4", N_("Edit contact"))
    LOG_CONTACT = ActionSpec("F5", N_("Log contact"))
    # Translators: a key: refer the customer's case to a department
    REFER = ActionSpec("F6", N_("Refer"))
    CASE_STATUS = ActionSpec("F7", N_("Case status"))
    ADJUST = ActionSpec("F8", N_("Adjust bill"))
    # Translators: a key: the customer's order payments
    PAYMENTS = ActionSpec("F9", N_("Payments"))
    ATTACH = ActionSpec("F10", N_("Attach to sale"))
    PRINT = ActionSpec("F11", N_("Slip / letter"))
    DEPARTMENT_NOTE = ActionSpec("Ctrl+O", N_("Dept. note"))
    TELL = ActionSpec("Ctrl+T", N_("Tell outcome"))
    # Translators: a key: the service desk's work queues
    QUEUES = ActionSpec("Ctrl+Q", N_("Queues"))
    FOLLOW_UPS = ActionSpec("Ctrl+L", N_("Follow-ups"))
    REPORT = ActionSpec("Ctrl+R", N_("Returns report"))
    # Translators: a key: back to the previous screen
    BACK = ActionSpec("Esc", N_("Back"))


SALE_ACTIONS = tuple(Action)
RETURN_ACTIONS = tuple(ReturnAction)


class ActionKeys(QObject):
    """Takes a screen's action keys before the text field that has the focus acts on them.

    A key a QLineEdit does not use travels up to the screen's ``keyPressEvent``; one it uses
    never arrives there. On X11 (a Linux till) a QLineEdit deletes to the end of the line on
    Ctrl+K and the whole line on Ctrl+U, so the cash office (Ctrl+K) and the customer
    (Ctrl+U) would never open from the scan field. Installed on a screen's fields, this
    filter gives every key of the screen's keymap to ``trigger`` first, on every platform."""

    def __init__(self, keymap: Mapping[QKeyCombination, Any], trigger: Callable[[Any], None], parent: QObject) -> None:
        super().__init__(parent)
        self.keymap = keymap
        self.trigger = trigger

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            action = self.keymap.get(event.keyCombination())
            if action is not None:
                self.trigger(action)
                return True
        return False


def key_of(spec: str) -> QKeyCombination:
    """The key combination of a shortcut such as "Shift+F6" (its first, and only, chord)."""
    combination: QKeyCombination = QKeySequence(spec)[0]  # type: ignore[index]  # PySide6's stub lacks __getitem__
    return combination
