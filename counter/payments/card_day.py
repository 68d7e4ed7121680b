"""The terminal's end of day beside the till's: the day closes together.

``close_terminal_day`` asks the terminal to close its batch (ZVT end of day), journals its
totals (``CardDayClosed``) and compares them with what the till journaled through that
terminal since the last end of day: approved sale payments less refunds and reversals
(``CardRequests.till_totals``). A difference is flagged on the Z report and on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from counter.errors import TenderError
from counter.i18n import _
from counter.journal import EventType
from counter.payments.terminal import DayTotals, PaymentTerminal
from counter.people.access import authorize
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.store import StoreConfig, TerminalIdentity


@dataclass(frozen=True)
class CardDay:
    """The terminal's totals beside the till's for the same batch."""

    terminal_count: int
    terminal_amount: Decimal
    till_count: int
    till_amount: Decimal
    by_brand: dict[str, tuple[int, Decimal]]
    receipt_lines: tuple[str, ...]
    text: str

    @property
    def difference(self) -> Decimal:
        return self.terminal_amount - self.till_amount

    @property
    def agrees(self) -> bool:
        return self.difference == 0 and self.terminal_count == self.till_count

    def lines(self, money: Callable[[Decimal], str]) -> list[tuple[str, str]]:
        """The Z report's rows."""
        rows = [
            (_("Card terminal (end of day)"), f"{self.terminal_count} / {money(self.terminal_amount)}"),
            (_("Till, cards through terminal"), f"{self.till_count} / {money(self.till_amount)}"),
        ]
        rows += [(f"  {brand}", f"{n} / {money(amount)}") for brand, (n, amount) in sorted(self.by_brand.items())]
        if self.agrees:
            # Translators: a row of the Z report: the terminal's and the till's card totals are the same
            rows.append((_("Card totals"), _("agree")))
        else:
            rows.append(
                (_("CARD DIFFERENCE"), f"{money(self.difference)} ({self.terminal_count - self.till_count:+d})")
            )
        return rows


def close_terminal_day(
    user: User,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    card_terminal: PaymentTerminal | None,
) -> CardDay:
    """Run the terminal's end of day and journal it with its totals."""
    if card_terminal is None:
        raise TenderError(_("No card terminal is set up."), _("Set one up in Devices (Ctrl+Shift+D)."))
    authorize(
        user,
        Permission.CLOSE_SHIFT,
        "close the card terminal's day",
        uow_factory=uow_factory,
        clock=clock,
        message=_("{name} may not close the card terminal's day.").format(name=user.name),
    )
    with uow_factory() as uow:
        if uow.cards.pending(terminal.terminal_id):
            raise TenderError(
                _("A card payment's outcome is still unknown."), _("Resolve it first (sign in again, or press Retry).")
            )
        till = uow.cards.till_totals(terminal.terminal_id)
    totals: DayTotals = card_terminal.end_of_day()  # DeviceError: nothing closed, nothing journaled
    if not totals.ok:
        raise TenderError(
            _("The card terminal did not close its day: {text}").format(text=totals.text),
            _("Try again, or call the terminal's help line."),
        )
    cur = store.currency
    with uow_factory() as uow:
        uow.journal.append(
            EventType.CARD_DAY_CLOSED,
            {
                "user": user.id,
                "ok": totals.ok,
                "count": totals.count,
                "amount": totals.amount_minor,
                "by_brand": {b: {"count": t.count, "amount": t.amount_minor} for b, t in totals.by_brand.items()},
                "text": totals.text[:500],
                "till_count": till.count,
                "till_amount": till.amount_minor,
            },
            clock.now(),
        )
        uow.commit()
    return CardDay(
        totals.count, cur.from_minor(totals.amount_minor), till.count, cur.from_minor(till.amount_minor),
        {b: (t.count, cur.from_minor(t.amount_minor)) for b, t in totals.by_brand.items()},
        totals.receipt_lines, totals.text,
    )  # fmt: skip
