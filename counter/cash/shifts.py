"""Shifts and the cash in the drawer: float, cash movements, blind close, over/short.

A drawer (one per terminal) belongs to at most one open shift. Selling and refunding
need an open shift. The cash expected in the drawer is always known:

    expected = counted float + cash taken by sales (net of change)
               + cash part payments of sales not completed − what voids gave back of them
               − cash refunded + paid in − paid out − cash drops

A close is blind: the cashier counts by denomination without seeing the expected amount;
over/short is recorded, and a note is required above the store's tolerance. A manager may
recount afterwards: the recount is a new record (ShiftRecounted) that the Z report uses;
a closed shift itself is never edited.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from counter.cash.reports import DayReport, build_report
from counter.errors import CounterError
from counter.i18n import N_, _
from counter.journal import EventType
from counter.money import ZERO, Currency
from counter.people.access import authorize
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.trust.carddata import refuse_card_data

#: Notes and coins counted at the drawer, largest first (shipped for USD, EUR and GBP).
DENOMINATIONS: dict[str, tuple[str, ...]] = {
    "USD": ("100", "50", "20", "10", "5", "2", "1", "0.25", "0.10", "0.05", "0.01"),
    "EUR": ("500", "200", "100", "50", "20", "10", "5", "2", "1", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01"),
    "GBP": ("50", "20", "10", "5", "2", "1", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01"),
    # the Swiss franc's smallest coin is 5 centimes; Swedish cash has no öre coins at all
    "CHF": ("1000", "200", "100", "50", "20", "10", "5", "2", "1", "0.50", "0.20", "0.10", "0.05"),
    "SEK": ("1000", "500", "200", "100", "50", "20", "10", "5", "2", "1"),
}
MAX_PIECES = 100_000


class ShiftError(CounterError):
    """A cash-office step that cannot be taken as asked."""


class MovementKind(enum.StrEnum):
    PAID_IN = "paid_in"
    PAID_OUT = "paid_out"
    CASH_DROP = "cash_drop"  # to the safe

    @property
    def label(self) -> str:
        return _(_MOVEMENT_LABELS[self.value])

    @property
    def sign(self) -> int:
        return 1 if self is MovementKind.PAID_IN else -1


#: what each movement is called on screen and on reports (the journal keeps the code)
_MOVEMENT_LABELS = {"paid_in": N_("Paid in"), "paid_out": N_("Paid out"), "cash_drop": N_("Cash drop to the safe")}
#: the action an AccessRefused entry records (stored: stays English)
_MOVEMENT_ACTIONS = {
    "paid_in": "record a paid in",
    "paid_out": "record a paid out",
    "cash_drop": "record a cash drop to the safe",
}


def denominations(currency: Currency) -> tuple[Decimal, ...]:
    try:
        return tuple(Decimal(d) for d in DENOMINATIONS[currency.code])
    except KeyError:
        raise ShiftError(
            _("No denominations are set up for {currency}.").format(currency=currency.code),
            _("Ask the administrator."),
        ) from None


@dataclass(frozen=True)
class Count:
    """Pieces per denomination. Builds only from non-negative whole numbers."""

    pieces: Mapping[Decimal, int]

    @classmethod
    def of(cls, currency: Currency, pieces: Mapping[Decimal, int]) -> Count:
        allowed = set(denominations(currency))
        for denom, n in pieces.items():
            if denom not in allowed:
                raise ShiftError(
                    _("{value} is not a {currency} note or coin.").format(value=denom, currency=currency.code), ""
                )
            if n < 0:
                raise ShiftError(_("A count cannot be negative."), _("Type how many of each note or coin, 0 or more."))
            if n > MAX_PIECES:
                raise ShiftError(
                    _("{count} pieces of {value} is not a drawer count.").format(count=f"{n:,}", value=denom),
                    _("Check the number."),
                )
        return cls({d: n for d, n in pieces.items() if n})

    @property
    def total(self) -> Decimal:
        return sum((d * n for d, n in self.pieces.items()), ZERO)

    def to_json(self, currency: Currency) -> dict[str, int]:
        return {str(d): n for d, n in sorted(self.pieces.items(), reverse=True)}


@dataclass(frozen=True)
class Shift:
    id: str
    terminal_id: str
    opened_by: str
    opened_at: datetime
    float_total: Decimal
    closed_at: datetime | None = None
    counted: Decimal | None = None
    expected: Decimal | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def over_short(self) -> Decimal | None:
        if self.counted is None or self.expected is None:
            return None
        return self.counted - self.expected


@dataclass(frozen=True)
class CashRules:
    """Cash-office settings of the store."""

    #: over/short beyond this needs a note at close
    close_tolerance: Decimal = Decimal("5.00")
    #: a no-sale drawer opening needs a supervisor's approval
    no_sale_needs_approval: bool = False


def open_shift(
    user: User,
    count: Count,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    terminal_id: str,
    currency: Currency,
) -> Shift:
    authorize(
        user,
        Permission.SELL,
        N_("open a shift"),
        uow_factory=uow_factory,
        clock=clock,
        error=ShiftError,
        hint=_("Ask a supervisor."),
    )
    with uow_factory() as uow:
        if uow.shifts.current(terminal_id) is not None:
            raise ShiftError(
                _("A shift is already open on this drawer."),
                _("Close it (blind count) before opening another one."),
            )
        now = clock.now()
        shift = Shift(str(uuid.uuid4()), terminal_id, user.id, now, count.total)
        uow.journal.append(
            EventType.SHIFT_OPENED,
            {
                "shift_id": shift.id,
                "user": user.id,
                "float": currency.to_minor(count.total),
                "count": count.to_json(currency),
            },
            now,
        )
        uow.commit()
    return shift


def require_open_shift(uow: UnitOfWork, terminal_id: str) -> Shift:
    shift = uow.shifts.current(terminal_id)
    if shift is None:
        raise ShiftError(
            _("No shift is open on this drawer, so nothing can be sold or refunded."),
            _("Open a shift and count the float (Cash office, Ctrl+K)."),
        )
    return shift


def record_movement(
    user: User,
    kind: MovementKind,
    amount: Decimal,
    reason: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    terminal_id: str,
    currency: Currency,
) -> Decimal:
    """Paid in, paid out or cash drop. Returns the cash expected in the drawer afterwards."""
    if kind is not MovementKind.PAID_IN:
        authorize(
            user,
            Permission.CASH_OFFICE,
            _MOVEMENT_ACTIONS[kind.value],
            uow_factory=uow_factory,
            clock=clock,
            error=ShiftError,
            message=_("{name} may not take cash out of the drawer.").format(name=user.name),
            hint=_("Ask a supervisor."),
        )
    if amount <= 0:
        raise ShiftError(_("The amount must be above zero."), _("Type the amount of cash."))
    currency.to_minor(amount)
    if not reason.strip():
        raise ShiftError(_("Say why the cash moves."), _("Type a short reason, e.g. “window cleaner”."))
    refuse_card_data(reason, N_("in a reason"))
    with uow_factory() as uow:
        shift = require_open_shift(uow, terminal_id)
        expected = uow.shifts.expected_cash(shift)
        if kind.sign < 0 and amount > expected:
            raise ShiftError(
                _("The drawer should hold only {expected}; {amount} cannot come out of it.").format(
                    expected=currency.format(expected), amount=currency.format(amount)
                ),
                _("Check the amount."),
            )
        now = clock.now()
        uow.journal.append(
            EventType.CASH_MOVED,
            {
                "shift_id": shift.id,
                "kind": str(kind),
                "amount": currency.to_minor(amount),
                "reason": reason.strip(),
                "user": user.id,
            },
            now,
        )
        uow.commit()
    return expected + kind.sign * amount


@dataclass(frozen=True)
class CloseResult:
    shift: Shift
    counted: Decimal
    expected: Decimal

    @property
    def over_short(self) -> Decimal:
        return self.counted - self.expected


def close_shift(
    user: User,
    count: Count,
    note: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    terminal_id: str,
    currency: Currency,
    rules: CashRules,
    has_suspended_sale: bool = False,
) -> CloseResult:
    authorize(
        user,
        Permission.CLOSE_SHIFT,
        N_("close the shift"),
        uow_factory=uow_factory,
        clock=clock,
        error=ShiftError,
        hint=_("Ask a supervisor."),
    )
    refuse_card_data(note, N_("in a note"))
    if has_suspended_sale:
        raise ShiftError(_("A sale is still open on this counter."), _("Pay or void it before closing the shift."))
    with uow_factory() as uow:
        shift = require_open_shift(uow, terminal_id)
        expected = uow.shifts.expected_cash(shift)
        over_short = count.total - expected
        if abs(over_short) > rules.close_tolerance and not note.strip():
            raise ShiftError(
                _("The count does not match what the drawer should hold."),
                _("Count again, or write a note saying what happened; a manager will review it."),
            )
        now = clock.now()
        uow.journal.append(
            EventType.SHIFT_CLOSED,
            {
                "shift_id": shift.id,
                "user": user.id,
                "counted": currency.to_minor(count.total),
                "expected": currency.to_minor(expected),
                "over_short": currency.to_minor(over_short),
                "count": count.to_json(currency),
                "note": note.strip(),
            },
            now,
        )
        uow.commit()
    return CloseResult(shift, count.total, expected)


def recount_shift(
    manager: User,
    shift_id: str,
    count: Count,
    note: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    currency: Currency,
) -> CloseResult:
    """A manager's recount of a closed shift, recorded as a correction (ShiftRecounted)."""
    authorize(
        manager,
        Permission.CASH_OFFICE,
        N_("recount a drawer"),
        uow_factory=uow_factory,
        clock=clock,
        error=ShiftError,
        hint=_("Ask a manager."),
    )
    refuse_card_data(note, N_("in a note"))
    with uow_factory() as uow:
        shift = uow.shifts.get(shift_id)
        if shift is None or shift.is_open or shift.expected is None:
            raise ShiftError(_("Only a closed shift can be recounted."), _("Close the shift first."))
        if uow.shifts.in_z_report(shift_id):
            raise ShiftError(_("This shift is already in a Z report."), _("Its count can no longer change."))
        now = clock.now()
        uow.journal.append(
            EventType.SHIFT_RECOUNTED,
            {
                "shift_id": shift_id,
                "user": manager.id,
                "counted": currency.to_minor(count.total),
                "expected": currency.to_minor(shift.expected),
                "over_short": currency.to_minor(count.total - shift.expected),
                "count": count.to_json(currency),
                "note": note.strip(),
            },
            now,
        )
        uow.commit()
    return CloseResult(shift, count.total, shift.expected)


def take_z_report(
    user: User,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    terminal_id: str,
    currency: Currency,
    zone: ZoneInfo,
) -> DayReport:
    """Close the day: every shift of this drawer must be closed first."""
    authorize(
        user,
        Permission.CASH_OFFICE,
        N_("take the Z report"),
        uow_factory=uow_factory,
        clock=clock,
        error=ShiftError,
    )
    with uow_factory() as uow:
        if uow.shifts.current(terminal_id) is not None:
            raise ShiftError(
                _("A shift is still open on this drawer."), _("Close it with a blind count before the Z report.")
            )
        number, last_seq, grand, _unused = uow.shifts.last_z(terminal_id)
        entries = list(uow.shifts.journal_after(terminal_id, last_seq))
        if all(e.type == EventType.Z_REPORT_TAKEN for e in entries):
            raise ShiftError(_("Nothing has happened since the last Z report."), _("There is no day to close."))
        report = build_report(
            "Z",
            terminal_id,
            entries,
            currency=currency,
            zone=zone,
            users=uow.shifts.user_names(),
            grand_before=grand,
            number=number + 1,
        )
        now = clock.now()
        after = report.grand_after
        m = currency.to_minor
        uow.journal.append(
            EventType.Z_REPORT_TAKEN,
            {
                "number": number + 1,
                "user": user.id,
                "first_seq": report.first_seq,
                "last_seq": report.last_seq,
                "sales": m(report.sales.amount),
                "sales_count": report.sales.count,
                "returns": m(report.returns.amount),
                "returns_count": report.returns.count,
                "over_short": m(report.over_short),
                "grand_sales": m(after.sales),
                "grand_returns": m(after.returns),
                "shift_ids": [s.shift_id for s in report.shifts],
            },
            now,
        )
        uow.commit()
    return report


def x_report(uow: UnitOfWork, terminal_id: str, currency: Currency, zone: ZoneInfo) -> DayReport:
    """The open shift so far (or, with no open shift, the day since the last Z). Writes nothing."""
    shift = uow.shifts.current(terminal_id)
    _unused, last_seq, grand, _unused_too = uow.shifts.last_z(terminal_id)
    entries = list(uow.shifts.journal_after(terminal_id, last_seq))
    if shift is not None:
        start = next(
            (n for n, e in enumerate(entries) if e.type == EventType.SHIFT_OPENED and shift.id in e.body),
            0,
        )
        entries = entries[start:]
    return build_report(
        "X", terminal_id, entries, currency=currency, zone=zone, users=uow.shifts.user_names(), grand_before=grand
    )


def take_x_report(
    user: User,
    *,
    uow_factory: Callable[[], UnitOfWork],
    read_uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    terminal_id: str,
    currency: Currency,
    zone: ZoneInfo,
) -> DayReport:
    """The X report, for a person the cash office is open to (a refusal is journaled as
    AccessRefused, like every other refused right). Writes nothing else."""
    authorize(
        user,
        Permission.CASH_OFFICE,
        N_("print the X report"),
        uow_factory=uow_factory,
        clock=clock,
        error=ShiftError,
        hint=_("Ask a supervisor."),
    )
    with read_uow_factory() as uow:
        return x_report(uow, terminal_id, currency, zone)
