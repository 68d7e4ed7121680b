"""The cash office: open a shift with a counted float, paid in / paid out / cash drops,
X report, blind close, manager recount, and the Z report (GUI thread only).

The close is blind: the person counting never sees the expected amount on this screen
unless they hold the cash-office right (supervisors and managers), and the over/short
is shown only after the count is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from app.context import AppContext
from app.events import ZReportCommitted
from app.reactions import documents_folder
from counter.cash.report_document import report_document
from counter.cash.reports import DayReport
from counter.cash.shifts import (
    CashRules,
    Count,
    MovementKind,
    ShiftError,
    close_shift,
    denominations,
    open_shift,
    record_movement,
    recount_shift,
    take_x_report,
    take_z_report,
)
from counter.errors import CounterError
from counter.i18n import N_, _
from counter.payments.card_day import CardDay, close_terminal_day
from counter.people.users import Permission, User
from devices.escpos.report import render_report, render_terminal_slip
from devices.pdf import render_report_pdf
from ui.a11y import show_kind
from ui.actions import CashAction, key_of
from ui.devices.printing import REPORT, PrintBridge
from ui.dialogs import CounterDialog
from ui.i18n import live, live_text
from ui.key_legend import KeyLegend
from ui.ops import Problem, attempt
from ui.runner import Runner
from ui.sales.preview import ReceiptPreview


class CountDialog(CounterDialog):
    """Count the drawer by denomination. Tab/↓ moves down the list; the total follows."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, title: str, headline: str, *, with_note: bool) -> None:
        super().__init__(parent, title, headline)
        self.ctx = ctx
        self.cur = ctx.store.currency
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        self.spins: dict[Decimal, QSpinBox] = {}
        for row, denom in enumerate(denominations(self.cur)):
            label = QLabel(self.cur.format(denom, ctx.store.locale))
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            spin = QSpinBox()
            spin.setRange(0, 99_999)
            spin.setMinimumHeight(30)
            spin.valueChanged.connect(self._update)
            spin.setAccessibleName(_("{denomination} counted").format(denomination=label.text()))
            spin.setAccessibleDescription(_("How many of this note or coin are in the drawer; Tab moves to the next"))
            col = (row % 6) * 0 + (0 if row < 6 else 2)
            grid.addWidget(label, row % 6, col)
            grid.addWidget(spin, row % 6, col + 1)
            self.spins[denom] = spin
        self.form.addRow(grid)
        self.total = QLabel()
        self.total.setObjectName("dialogAmount")
        self.form.addRow(_("Counted"), self.total)
        self.note = (
            self.line_edit(_("Note"), placeholder=_("what happened, if the count is off")) if with_note else None
        )
        first = next(iter(self.spins.values()))
        self.first_field = None
        first.setFocus()
        self.count: Count | None = None
        self._update()

    def _update(self) -> None:
        total = sum((d * s.value() for d, s in self.spins.items()), Decimal(0))
        self.total.setText(self.cur.format(total, self.ctx.store.locale))

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)  # type: ignore[arg-type]
        next(iter(self.spins.values())).setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._try_accept()
            return
        super().keyPressEvent(event)

    def validate(self) -> None:
        self.count = Count.of(self.cur, {d: s.value() for d, s in self.spins.items()})


class MovementDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext, kind: MovementKind) -> None:
        super().__init__(parent, kind.label, kind.label)
        self.ctx, self.kind = ctx, kind
        example = ctx.store.currency.plain(Decimal("20"), ctx.store.locale)
        self.amount = self.line_edit(_("Amount"), placeholder=_("e.g. {amount}").format(amount=example))
        self.reason = self.line_edit(_("Reason"), placeholder=_("e.g. window cleaner, change from the bank"))
        self.value = Decimal(0)

    def validate(self) -> None:
        self.value = self.ctx.store.currency.parse(self.amount.text(), locale=self.ctx.store.locale, allow_zero=False)
        if not self.reason.text().strip():
            raise ShiftError(_("Say why the cash moves."), _("Type a short reason."))


class CashOfficeScreen(QWidget):
    finished = Signal()
    shift_changed = Signal()

    def __init__(self, ctx: AppContext, printing: PrintBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cashOfficeScreen")
        #: each says whether a sale is unfinished somewhere (see has_open_sale)
        self.open_sale_checks: list[Callable[[], bool]] = []
        self.ctx, self.printing = ctx, printing
        self.user: User | None = None
        self.last_report: tuple[DayReport, int] | None = None
        self.keymap = {key_of(a.key): a for a in CashAction}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        body = QHBoxLayout()
        body.setContentsMargins(16, 16, 16, 8)
        body.setSpacing(16)
        left = QVBoxLayout()
        title = QLabel()
        live_text(title, N_("CASH OFFICE"))
        title.setObjectName("screenTitle")
        left.addWidget(title)
        self.status = QLabel()
        self.status.setObjectName("receiptHeader")
        self.status.setWordWrap(True)
        left.addWidget(self.status)
        self.runner = Runner(self)  # the card terminal's end of day runs off the GUI thread
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(90)
        left.addWidget(self.message)
        left.addStretch(1)
        body.addLayout(left, 3)
        self.preview = ReceiptPreview()
        live(self.preview, lambda: self.preview.setPlaceholderText(_("X and Z reports appear here as they print.")))
        body.addWidget(self.preview, 2)
        container = QWidget()
        container.setLayout(body)
        outer.addWidget(container, 1)
        legend = KeyLegend([(a.key, a.label, partial(self.trigger, a)) for a in CashAction])
        outer.addWidget(legend)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the screen itself takes the keys

    def start(self, user: User) -> None:
        self.user = user
        self.refresh()
        self.say(_("Pick what to do with the keys below."), "info")
        self.setFocus()

    def say(self, text: str, kind: str = "info") -> None:
        self.message.setText(text)
        show_kind(self.message, kind)

    def problem(self, p: Problem) -> None:
        self.say(p.text, "error")

    def _money(self, amount: Decimal) -> str:
        return self.ctx.store.currency.format(amount, self.ctx.store.locale)

    def refresh(self) -> None:
        with self.ctx.read_uow() as uow:
            shift = uow.shifts.current(self.ctx.terminal.terminal_id)
            expected = uow.shifts.expected_cash(shift) if shift else None
            number, _z_at, grand, taken = uow.shifts.last_z(self.ctx.terminal.terminal_id)
            names = uow.shifts.user_names()
        zone = self.ctx.store.zone
        if shift is None:
            text = _("No shift is open on this drawer. F2 opens one with a counted float.")
        else:
            opened = shift.opened_at.astimezone(zone).strftime("%a %H:%M")
            who = names.get(shift.opened_by, shift.opened_by)
            text = _("Shift open since {opened} by {name}, float {amount}.").format(
                opened=opened, name=who, amount=self._money(shift.float_total)
            )
            if self.user is not None and self.user.can(Permission.CASH_OFFICE) and expected is not None:
                text += "\n" + _("Expected in the drawer now: {amount}.").format(amount=self._money(expected))
        if number:
            text += "\n" + _("Last Z report: {number}. Grand total of sales: {amount}.").format(
                number=number, amount=self._money(grand.sales)
            )
        self.status.setText(text)
        self.shift_changed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        action = self.keymap.get(event.keyCombination())
        if action is not None:
            self.trigger(action)
        else:
            super().keyPressEvent(event)

    def trigger(self, action: CashAction) -> None:
        handlers = {
            CashAction.OPEN_SHIFT: self._open,
            CashAction.PAID_IN: lambda: self._move(MovementKind.PAID_IN),
            CashAction.PAID_OUT: lambda: self._move(MovementKind.PAID_OUT),
            CashAction.CASH_DROP: lambda: self._move(MovementKind.CASH_DROP),
            CashAction.X_REPORT: self._x,
            CashAction.CLOSE_SHIFT: self._close,
            CashAction.RECOUNT: self._recount,
            CashAction.Z_REPORT: self._z,
            CashAction.REPRINT: self._reprint,
            CashAction.BACK: self.finished.emit,
        }
        attempt(handlers[action], self.problem)
        self.setFocus()

    def _user(self) -> User:
        assert self.user is not None
        return self.user

    def _open(self) -> None:
        dialog = CountDialog(self, self.ctx, _("Open shift"), _("Count the float in the drawer"), with_note=False)
        if dialog.exec() != CountDialog.DialogCode.Accepted or dialog.count is None:
            return
        self.ctx.handle(open_shift, self._user(), dialog.count)
        self.refresh()
        self.say(
            _("Shift open with a float of {amount}. Ready to sell.").format(amount=self._money(dialog.count.total)),
            "ok",
        )

    def _move(self, kind: MovementKind) -> None:
        dialog = MovementDialog(self, self.ctx, kind)
        if dialog.exec() != MovementDialog.DialogCode.Accepted:
            return
        self.ctx.handle(record_movement, self._user(), kind, dialog.value, dialog.reason.text())
        self.refresh()
        self.say(
            _("{kind}: {amount} recorded ({reason}).").format(
                kind=kind.label, amount=self._money(dialog.value), reason=dialog.reason.text().strip()
            ),
            "ok",
        )

    def _close(self) -> None:
        dialog = CountDialog(
            self, self.ctx, _("Close shift"), _("Blind close: count everything in the drawer"), with_note=True
        )
        if dialog.exec() != CountDialog.DialogCode.Accepted or dialog.count is None:
            return
        result = self.ctx.handle(
            close_shift,
            self._user(),
            dialog.count,
            dialog.note.text() if dialog.note else "",
            rules=CashRules(),
            has_suspended_sale=self.has_open_sale(),
        )
        self.refresh()
        text = _("Shift closed. Counted {amount}.").format(amount=self._money(result.counted))
        if self._user().can(Permission.CASH_OFFICE):
            text += " " + _("Expected {expected}: over/short {over_short}.").format(
                expected=self._money(result.expected), over_short=self._money(result.over_short)
            )
        self.say(text, "ok")

    def has_open_sale(self) -> bool:
        """Whether a sale is unfinished anywhere (the checks are added by the main window
        and the trust wiring: the sale screen's cart, the sales parked at the idle lock)."""
        return any(check() for check in self.open_sale_checks)

    def _recount(self) -> None:
        with self.ctx.read_uow() as uow:
            shifts = uow.shifts.shifts_since(self.ctx.terminal.terminal_id, "")
        closed = [s for s in shifts if not s.is_open]
        if not closed:
            raise ShiftError(_("There is no closed shift to recount."), "")
        shift = closed[-1]
        dialog = CountDialog(
            self, self.ctx, _("Recount"), _("Manager's recount of the last closed shift"), with_note=True
        )
        if dialog.exec() != CountDialog.DialogCode.Accepted or dialog.count is None:
            return
        result = self.ctx.handle(
            recount_shift, self._user(), shift.id, dialog.count, dialog.note.text() if dialog.note else ""
        )
        self.refresh()
        self.say(
            _("Recount recorded: {counted}, over/short {over_short}.").format(
                counted=self._money(result.counted), over_short=self._money(result.over_short)
            ),
            "ok",
        )

    def _x(self) -> None:
        report = self.ctx.handle(take_x_report, self._user())
        self._print(report, 0)

    def _z(self) -> None:
        """With an integrated card terminal, its day closes first (off the GUI thread), so the
        Z report holds its totals beside the till's; a terminal that cannot close is said, and
        the Z is taken without them."""
        if self.ctx.card_terminal is None:
            self._take_z()
            return
        self.say(_("Closing the card terminal's day first…"), "info")
        call = partial(self.ctx.handle, close_terminal_day, self._user())
        self.runner.off_gui(call, self._terminal_closed)

    def _terminal_closed(self, day: CardDay | None, error: CounterError | None) -> None:
        note = ""
        if day is not None:
            if day.receipt_lines and not self.ctx.settings.card_terminal_prints:
                slip = render_terminal_slip(_("Card terminal end of day"), day.receipt_lines, self.printing.profile)
                self.printing.print_bytes(slip, kind="card_slip", reference="card-end-of-day", copy_number=0)
            note = " " + (
                _("Card totals agree: {amount}.").format(amount=self._money(day.till_amount))
                if day.agrees
                else _(
                    "CARD DIFFERENCE: the terminal has {terminal_amount} ({terminal_count}), "
                    "the till {till_amount} ({till_count}). Check the slips."
                ).format(
                    terminal_amount=self._money(day.terminal_amount),
                    terminal_count=day.terminal_count,
                    till_amount=self._money(day.till_amount),
                    till_count=day.till_count,
                )
            )
        elif error is not None:
            note = " " + _("The card terminal's day was NOT closed: {problem}").format(
                problem=f"{error.message} {error.hint}".rstrip()
            )
        attempt(self._take_z, self.problem)
        if note:
            self.say(f"{self.message.text()}{note}", "ok" if day is not None and day.agrees else "error")

    def _take_z(self) -> None:
        report = self.ctx.handle(take_z_report, self._user())
        self.refresh()
        self._print(report, 0)
        self.ctx.after_commit.publish(ZReportCommitted(report.number, self.say))  # the day's backup follows

    def _reprint(self) -> None:
        if self.last_report is None:
            raise ShiftError(_("No report has been printed here yet."), _("Print an X or Z report first."))
        report, copies = self.last_report
        self._print(report, copies + 1)

    def _print(self, report: DayReport, copy_number: int) -> None:
        doc = report_document(
            report,
            self.ctx.store,
            printed_at=self.ctx.clock.now(),
            printed_by=self._user().name,
            copy_number=copy_number,
        )
        name = f"z-report-{report.terminal}-{report.number}" if report.kind == "Z" else f"x-report-{report.terminal}"
        stamp = datetime.now(self.ctx.store.zone).strftime("%Y%m%d-%H%M%S")
        copy = f"-copy{copy_number}" if copy_number else ""
        path = documents_folder(self.ctx.data_dir) / f"{name}-{stamp}{copy}.pdf"
        try:
            path.write_bytes(render_report_pdf(doc))
        except OSError as exc:
            raise ShiftError(
                _("The PDF could not be saved ({reason}).").format(reason=exc.strerror), _("Check the disk.")
            ) from exc
        data = render_report(doc, self.printing.profile)
        self.printing.print_bytes(data, kind=REPORT, reference=name, copy_number=copy_number)
        self.last_report = (report, copy_number)
        if report.kind == "Z":
            label = _("Z report {number} (COPY {copy})") if copy_number else _("Z report {number}")
        else:
            label = _("X report (COPY {copy})") if copy_number else _("X report")
        self.say(
            _("{report}: sales {sales}, returns {returns}. Printing; PDF saved as {file}.").format(
                report=label.format(number=report.number, copy=copy_number),
                sales=self._money(report.sales.amount),
                returns=self._money(report.returns.amount),
                file=path.name,
            ),
            "ok",
        )
