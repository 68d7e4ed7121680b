"""What must happen after a commit, recorded by the commit itself (the outbox).

A sale or a return is only half done when its transaction commits: the customer still needs
the receipt, and a return its credit note. If Counter is killed between the commit and the
printer (a crash, the power, a frozen till), those are lost without a word, and the cashier
cannot tell whether the sale went through. So the handler that commits also records each
document that is *due*, with its full content, in the same transaction
(``uow.outbox.add``). After the commit the application carries the due documents out
(``app.reactions``): the print job is written in the transaction that settles the due
item, so at every moment a receipt is either due, or a print job whose fate the
interrupted-jobs check already follows (db/spool.py). At the next start, what is still due
is offered to the person who signs in; nothing is printed behind anybody's back.

The cash drawer's opening is due the same way (``Due.DRAWER``, a ``DueDrawer``): a commit
that took or handed out cash records it (counter.cash.drawer.DrawerOpening), and
``DrawerOpened`` is journaled in the transaction that settles it (app.drawer), before the
kick. A drawer a crash left due is offered at the next sign-in, never opened by itself.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from counter.cash.drawer import DrawerOpening
from counter.documents import Receipt
from counter.i18n import N_, _


class Due(enum.StrEnum):
    PRINT = "print"  # a customer document for the receipt printer
    CREDIT_NOTE = "credit_note"  # a return's credit note, saved as a PDF in the documents folder
    DRAWER = "drawer"  # the cash drawer opens for the cash a sale or a return moved (a DueDrawer)


class DueState(enum.StrEnum):
    PENDING = "pending"
    # carried out: a print job written (its own state follows the printer), a PDF saved, or
    # the drawer's DrawerOpened journaled
    DONE = "done"
    DECLINED = "declined"  # offered after a restart, and the person chose not to print it (or open it)


@dataclass(frozen=True)
class DueDocument:
    id: str
    due: Due
    reference: str  # the receipt or return number
    document: Receipt
    created_at: datetime

    @property
    def label(self) -> str:
        text = _DOCUMENT_LABELS.get(str(self.document.kind), N_("Document {reference}"))
        if self.due is Due.CREDIT_NOTE:
            text = N_("Credit note {reference}")
        return _(text).format(reference=self.reference)


#: what a due document is called when it is offered after a restart
_DOCUMENT_LABELS = {
    "sale": N_("Receipt {reference}"),
    "gift": N_("Gift receipt {reference}"),
    "return": N_("Return receipt {reference}"),
    "void": N_("Void slip {reference}"),
}


@dataclass(frozen=True)
class DueDrawer:
    """A drawer opening a commit owes (``Due.DRAWER``): it holds no document."""

    id: str
    reference: str  # the receipt or return number
    opening: DrawerOpening
    created_at: datetime

    def text(self, money: Callable[[Decimal], str]) -> str:
        """What is said when it is offered: "Sale S01-T01-000042 took $20.00 cash"."""
        return self.opening.text(self.reference, money)
