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


@dataclass(frozen=True)
class ActionSpec:
    key: str  # a QKeySequence string
    label: str
    in_legend: bool = True  # False: a back-office key, said where it is needed (status bar, README)


class _Keyed(enum.Enum):
    @property
    def key(self) -> str:
        return self.value.key  # type: ignore[no-any-return]

    @property
    def label(self) -> str:
        return self.value.label  # type: ignore[no-any-return]


class Action(_Keyed):
    """The sale screen."""

    SEARCH = ActionSpec("F2", "Find item")
    QUANTITY = ActionSpec("F3", "Quantity")
    LINE_DISCOUNT = ActionSpec("F4", "Line discount")
    ORDER_DISCOUNT = ActionSpec("F5", "Sale discount")
    VOID_LINE = ActionSpec("F6", "Void line")
    VOID_SALE = ActionSpec("Shift+F6", "Void sale")
    RETURNS = ActionSpec("F7", "Returns")
    PAY_VOUCHER = ActionSpec("F8", "Store credit")
    PAY_CASH = ActionSpec("F9", "Cash")
    PAY_CARD = ActionSpec("F10", "Card")
    REPRINT = ActionSpec("F11", "Reprint")
    GIFT_RECEIPT = ActionSpec("Shift+F11", "Gift receipt")
    SIGN_OUT = ActionSpec("F12", "Sign out")
    CASH_OFFICE = ActionSpec("Ctrl+K", "Cash office")
    NO_SALE = ActionSpec("Shift+F9", "No sale")
    PRINT_JOBS = ActionSpec("Ctrl+Shift+P", "Print jobs", in_legend=False)
    DEVICES = ActionSpec("Ctrl+Shift+D", "Devices", in_legend=False)
    STAFF = ActionSpec("Ctrl+Shift+S", "Staff", in_legend=False)  # the staff list (ui/trust/staff_screen.py)
    MANAGER_STATION = ActionSpec("Ctrl+Shift+M", "Manager station", in_legend=False)  # ui/trust/manager_station.py
    CUSTOMER = ActionSpec("Ctrl+U", "Customer")


class CashAction(_Keyed):
    """The cash office."""

    OPEN_SHIFT = ActionSpec("F2", "Open shift")
    PAID_IN = ActionSpec("F3", "Paid in")
    PAID_OUT = ActionSpec("F4", "Paid out")
    CASH_DROP = ActionSpec("F5", "Cash drop")
    X_REPORT = ActionSpec("F6", "X report")
    CLOSE_SHIFT = ActionSpec("F7", "Close shift")
    RECOUNT = ActionSpec("F8", "Recount")
    Z_REPORT = ActionSpec("F9", "Z report")
    REPRINT = ActionSpec("F11", "Reprint report")
    BACK = ActionSpec("Esc", "Back to sale")


class ReturnAction(_Keyed):
    """The return screen."""

    RECEIPT = ActionSpec("F2", "New return")
    QUANTITY = ActionSpec("F3", "Quantity")
    REASON = ActionSpec("F4", "Reason")
    CONDITION = ActionSpec("F5", "Condition")
    DISPOSITION = ActionSpec("Shift+F5", "Goes to")
    EXCHANGE = ActionSpec("F6", "Exchange")
    CUSTOMER_ID = ActionSpec("F7", "Customer ID")
    REFUND_TO = ActionSpec("F8", "Refund to")
    APPROVE = ActionSpec("F9", "Approve")
    COMPLETE = ActionSpec("F10", "Complete")
    FIND_SALE = ActionSpec("Ctrl+F", "Find sale")
    NO_RECEIPT = ActionSpec("Ctrl+N", "No receipt")
    WAIVE_FEE = ActionSpec("Shift+F4", "Waive fee")
    POLICIES = ActionSpec("Ctrl+P", "Policies")
    CUSTOMER = ActionSpec("Ctrl+U", "Customer")
    BACK = ActionSpec("Esc", "Back to sale")


class ServiceAction(_Keyed):
    """The service desk (customers, cases, referrals, adjustments, orders and accounts)."""

    FIND = ActionSpec("F2", "Find customer")
    NEW_CUSTOMER = ActionSpec("F3", "New customer")
    EDIT_CUSTOMER = ActionSpec("F4", "Edit contact")
    LOG_CONTACT = ActionSpec("F5", "Log contact")
    REFER = ActionSpec("F6", "Refer")
    CASE_STATUS = ActionSpec("F7", "Case status")
    ADJUST = ActionSpec("F8", "Adjust bill")
    PAYMENTS = ActionSpec("F9", "Payments")
    ATTACH = ActionSpec("F10", "Attach to sale")
    PRINT = ActionSpec("F11", "Slip / letter")
    DEPARTMENT_NOTE = ActionSpec("Ctrl+O", "Dept. note")
    TELL = ActionSpec("Ctrl+T", "Tell outcome")
    QUEUES = ActionSpec("Ctrl+Q", "Queues")
    FOLLOW_UPS = ActionSpec("Ctrl+L", "Follow-ups")
    REPORT = ActionSpec("Ctrl+R", "Returns report")
    BACK = ActionSpec("Esc", "Back")


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
