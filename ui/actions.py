"""Every counter action with its key and label, declared once.

Screens build their shortcuts and the on-screen key legend from this registry, so a
key is never assigned twice and the legend never lies.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class ActionSpec:
    key: str  # a QKeySequence string
    label: str


class Action(enum.Enum):
    SEARCH = ActionSpec("F2", "Find item")
    QUANTITY = ActionSpec("F3", "Quantity")
    LINE_DISCOUNT = ActionSpec("F4", "Line discount")
    ORDER_DISCOUNT = ActionSpec("F5", "Sale discount")
    VOID_LINE = ActionSpec("F6", "Void line")
    VOID_SALE = ActionSpec("Shift+F6", "Void sale")
    PAY_CASH = ActionSpec("F9", "Cash")
    PAY_CARD = ActionSpec("F10", "Card")
    REPRINT = ActionSpec("F11", "Reprint")
    SIGN_OUT = ActionSpec("F12", "Sign out")

    @property
    def key(self) -> str:
        return self.value.key

    @property
    def label(self) -> str:
        return self.value.label


#: Actions of the sale screen, in legend order.
SALE_ACTIONS = tuple(Action)
