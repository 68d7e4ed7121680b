"""The manager station: approval requests sent by the store's lanes through HQ, answered
here with a manager's or supervisor's PIN (GUI thread; HQ is asked on ``ui.runner``
workers, so the window never waits for the network).

Reached with Ctrl+Shift+M by someone who may approve, or as the app's home screen with
``counter --manager`` (a back-office machine: no one signs in, each answer takes a PIN).
While the screen is shown it asks HQ for the store's pending requests every few
seconds; the count is in the window title and on the screen, and a new request is
announced in the message line. A (approve) and D (decline) open the PIN dialog; the
rights are checked here against this counter's users table (pulled from HQ), and the PIN
goes to HQ with the answer: **HQ** checks it against its own verifier and counts a wrong
one toward the approver's lockout (this station never vouches for anyone). The answer is
journaled here once HQ has taken it (the first answer wins; a late one is told who
answered first); a wrong PIN, a lock or a missing right HQ found is said on screen and
journaled here as a refusal.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from counter.errors import CounterError
from counter.i18n import N_, _, ngettext
from counter.people.users import Permission, User
from counter.sync.upstream import UpstreamUnavailable
from counter.trust.remote_approval import (
    RemoteRequest,
    check_note,
    record_station_answer,
    record_station_refusal,
    verify_station_approver,
)
from db.hq_client import HqRefused
from ui.a11y import live_accessible, show_kind
from ui.actions import Action
from ui.columns import Column, ColumnFit, LineDetail
from ui.dialogs import CounterDialog
from ui.i18n import live, live_text
from ui.key_legend import KeyLegend
from ui.runner import Runner
from ui.sales.sale_screen import SaleScreen
from ui.session import Session
from ui.trust.signin import SignInScreen

# Translators: the manager station's columns: what is asked, its amount, who asked, at which lane, for how long
COLUMNS = (N_("What"), N_("Amount"), N_("Asked by"), N_("Lane"), N_("Waiting"))
#: HQ's refusals of the approver (hq/approvals.py), as the station's message opens them
#: (the keys are HQ's codes; the texts are translated where shown)
APPROVER_REFUSALS = {
    "wrong_pin": N_("Wrong PIN (checked by HQ)"),
    "locked": N_("Locked at HQ"),
    "no_right": N_("Not allowed"),
    "self_approval": N_("Not allowed"),
    "unknown_approver": N_("Not allowed"),
    "own_lane": N_("Not allowed"),
}


def _clock(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 60}:{s % 60:02d}"


class StationAnswerDialog(CounterDialog):
    """Approve or decline one request: who answers, their PIN, and a note for the lane."""

    def __init__(
        self, parent: QWidget | None, ctx: AppContext, request: RemoteRequest, *, approve: bool, preselect: str | None
    ) -> None:
        money = ctx.store.currency.format(ctx.store.currency.from_minor(request.amount_minor), ctx.store.locale)
        title, question, button = (
            (_("Approve a request"), _("Approve for {name} at {lane}?"), _("Approve  (Enter)"))
            if approve
            else (_("Decline a request"), _("Decline for {name} at {lane}?"), _("Decline  (Enter)"))
        )
        super().__init__(parent, title, question.format(name=request.requester_name, lane=request.terminal))
        self.setMinimumWidth(540)
        self.ctx, self.request, self.approve = ctx, request, approve
        amount = QLabel(money)
        amount.setObjectName("dialogAmount")
        self.form.addRow(amount)
        what = QLabel(request.what)
        what.setWordWrap(True)
        self.form.addRow(what)
        self.approver = QComboBox()
        self.approver.setMinimumHeight(40)
        for user in ctx.reads.list_users():
            if user.can(Permission.APPROVE):
                self.approver.addItem(f"{user.name} ({user.role})", user.id)
        if preselect is not None and (index := self.approver.findData(preselect)) >= 0:
            self.approver.setCurrentIndex(index)
        self.form.addRow(_("Manager"), self.approver)
        self.approver.setAccessibleDescription(_("Who answers; they type their PIN below"))
        self.pin = self.line_edit(_("PIN"), placeholder=_("your PIN"))
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.note = self.line_edit(
            _("Note"), placeholder=_("optional: the lane reads it") if approve else _("why not (the lane reads it)")
        )
        self.first_field = self.pin
        self.ok_button.setText(button)
        self.approver_user: User | None = None
        self.note_text = ""
        self.pin_text = ""  # handed to HQ with the answer, then dropped

    def validate(self) -> None:
        note = check_note(self.note.text())
        pin = self.pin.text()
        self.pin.clear()
        self.approver_user = self.ctx.handle(
            verify_station_approver, request=self.request, approver_id=self.approver.currentData(), pin=pin
        )
        self.note_text = note
        self.pin_text = pin

    def done(self, result: int) -> None:  # noqa: D102 - QDialog.done
        super().done(result)
        self.deleteLater()  # owned by Python after exec(): deleted here, on the GUI thread


class ManagerStationScreen(QWidget):
    finished = Signal()
    #: the number of pending requests, after each look at HQ
    count_changed = Signal(int)

    POLL_MS = 3000

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("managerStation")
        self.ctx = ctx
        self.user: User | None = None
        self.requests: list[RemoteRequest] = []
        self.seen: set[str] = set()
        self.first_look = True
        self.listed_at = 0.0  # time.monotonic() of the last list
        self.last_ok: str = ""
        self.worker = Runner(self)
        self.timer = QTimer(self)
        self.timer.setInterval(self.POLL_MS)
        self.timer.timeout.connect(self.refresh)
        self.ages = QTimer(self)  # the "Waiting" column counts up between looks
        self.ages.setInterval(1000)
        self.ages.timeout.connect(self._show_ages)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 0)
        outer.setSpacing(12)
        title = QLabel()
        live_text(title, N_("MANAGER STATION"))
        title.setObjectName("screenTitle")
        outer.addWidget(title)
        self.headline = QLabel(_("Looking for requests…"))
        self.headline.setStyleSheet("font-size: 26px; font-weight: 700; color: #0f1b33;")
        outer.addWidget(self.headline)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("cartTable")
        live(self.table, lambda: self.table.setHorizontalHeaderLabels([_(c) for c in COLUMNS]))
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(44)
        money = ctx.store.currency.format(ctx.store.currency.from_minor(999_999), ctx.store.locale)
        columns = [Column(1, money), Column(2), Column(3), Column(4, "99:59")]
        self.columns = ColumnFit(self.table, 0, columns)  # what is asked takes the rest
        self.table.installEventFilter(self)
        say = N_("Up and Down pick a request; A approves it, D declines it, each with your PIN")
        live_accessible(self.table, N_("Requests waiting"), say)
        outer.addWidget(self.table, 1)
        outer.addWidget(LineDetail(self.columns))  # the picked request in full
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        outer.addWidget(self.message)
        self.status = QLabel("")
        self.status.setObjectName("subtle")
        outer.addWidget(self.status)
        outer.addWidget(self._legend())
        if ctx.remote_approvals is None:
            live(self, self._not_enrolled)

    def _not_enrolled(self) -> None:
        self.headline.setText(_("Not connected to HQ"))
        self.say(
            _(
                "This counter is not enrolled with HQ, so no request can reach it. "
                "Enrol it (`counter sync enrol`, see the README), then open the manager station again."
            ),
            "error",
        )

    def _legend(self) -> QWidget:
        # the labels are marked here; the key legend shows them (ui.key_legend)
        return KeyLegend(
            [
                ("A", N_("Approve"), lambda: self.answer(True)),
                ("D", N_("Decline"), lambda: self.answer(False)),
                # Translators: a key that asks HQ again for the pending requests
                ("F5", N_("Refresh"), self.refresh),
                # Translators: a key that goes back to the previous screen
                ("Esc", N_("Back"), self.finished.emit),
            ],
            fill=False,
        )

    # ------------------------------------------------------------- lifecycle
    def start(self, user: User | None) -> None:
        """Shown: look now, then every few seconds (GUI thread)."""
        self.user = user
        self.table.setFocus()
        if self.ctx.remote_approvals is None:
            return
        self.refresh()
        self.timer.start()
        self.ages.start()

    def stop(self) -> None:
        self.timer.stop()
        self.ages.stop()

    def hideEvent(self, event: object) -> None:  # noqa: N802 - Qt naming
        self.stop()  # polling only while someone can see the list
        super().hideEvent(event)  # type: ignore[arg-type]

    def say(self, text: str, kind: str = "info") -> None:
        self.message.setText(text)
        show_kind(self.message, kind)

    # --------------------------------------------------------------- polling
    def refresh(self) -> None:
        remote = self.ctx.remote_approvals
        if remote is None or self.worker.in_flight:
            return  # one call at a time; the next tick asks again
        self.worker.off_gui(remote.pending, self._on_list)

    def _on_list(self, result: list[RemoteRequest] | None, error: CounterError | None) -> None:
        now = time.strftime("%H:%M:%S")
        if error is not None or result is None:
            unreachable = isinstance(error, UpstreamUnavailable)
            if unreachable:
                said = (
                    _(
                        "HQ cannot be reached (last answer {time}); new requests cannot arrive now. "
                        "Trying again every few seconds."
                    )
                    if self.last_ok
                    else _("HQ cannot be reached; new requests cannot arrive now. Trying again every few seconds.")
                )
            else:
                said = (
                    _(
                        "HQ refused: {problem} (last answer {time}); new requests cannot arrive now. "
                        "Trying again every few seconds."
                    )
                    if self.last_ok
                    else _("HQ refused: {problem}; new requests cannot arrive now. Trying again every few seconds.")
                )
            self.status.setText(said.format(problem=error.message if error else "?", time=self.last_ok))
            self.status.setStyleSheet("color: #b91c1c; font-weight: 600;")
            return
        self.last_ok = now
        self.status.setText(
            _("Checked with HQ at {time}; every {seconds} s while this screen is open.").format(
                time=now, seconds=f"{self.POLL_MS / 1000:g}"
            )
        )
        self.status.setStyleSheet("")
        fresh = [r for r in result if r.id not in self.seen]
        self.seen |= {r.id for r in result}
        self.listed_at = time.monotonic()
        self._fill(result)
        if fresh and not self.first_look:
            r = fresh[-1]
            self.say(
                _("New request from {name} at {lane}: {what}. A approves, D declines.").format(
                    name=r.requester_name, lane=r.terminal, what=r.what
                ),
                "ok",
            )
        self.first_look = False
        self.count_changed.emit(len(result))

    def _fill(self, requests: list[RemoteRequest]) -> None:
        current = self.current()
        keep = current.id if current is not None else None
        self.requests = requests
        self.table.setRowCount(len(requests))
        cur, loc = self.ctx.store.currency, self.ctx.store.locale
        for row, r in enumerate(requests):
            cells = (
                r.what,
                cur.format(cur.from_minor(r.amount_minor), loc),
                r.requester_name,
                r.terminal,
                _clock(r.age.total_seconds()),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text if col == 0 else "")
                if col in (1, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        n = len(requests)
        self.headline.setText(
            _("No request waiting")
            if n == 0
            else ngettext("{n} request waiting", "{n} requests waiting", n).format(n=n)
        )
        if requests:
            ids = [r.id for r in requests]
            self.table.selectRow(ids.index(keep) if keep in ids else 0)

    def _show_ages(self) -> None:
        extra = time.monotonic() - self.listed_at
        for row, r in enumerate(self.requests):
            item = self.table.item(row, 4)
            if item is not None:
                item.setText(_clock(r.age.total_seconds() + extra))

    def current(self) -> RemoteRequest | None:
        row = self.table.currentRow()
        return self.requests[row] if 0 <= row < len(self.requests) else None

    # --------------------------------------------------------------- answers
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        # The table would take letters for its type-ahead search: A and D are ours.
        if watched is self.table and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key == Qt.Key.Key_A:
                self.answer(True)
                return True
            if key == Qt.Key.Key_D:
                self.answer(False)
                return True
            if key == Qt.Key.Key_F5:
                self.refresh()
                return True
            if key == Qt.Key.Key_Escape:
                self.finished.emit()
                return True
        return super().eventFilter(watched, event)

    def answer(self, approve: bool) -> None:
        remote = self.ctx.remote_approvals
        request = self.current()
        if remote is None:
            return
        if request is None:
            self.say(_("No request is selected: there is nothing to answer yet."), "info")
            return
        preselect = self.user.id if self.user is not None else None
        dialog = StationAnswerDialog(self, self.ctx, request, approve=approve, preselect=preselect)
        if dialog.exec() != StationAnswerDialog.DialogCode.Accepted or dialog.approver_user is None:
            self.say(_("Nothing was answered."), "info")
            self.table.setFocus()
            return
        approver, note, pin = dialog.approver_user, dialog.note_text, dialog.pin_text
        dialog.pin_text = ""
        self.say(_("Sending {name}'s answer to HQ, which checks the PIN…").format(name=approver.name), "info")
        self.worker.off_gui(
            lambda: remote.answer(request.id, approve=approve, approver_id=approver.id, pin=pin, note=note),
            lambda result, error: self._on_answered(request, approver, approve, note, result, error),
        )
        self.table.setFocus()

    def _on_answered(
        self,
        request: RemoteRequest,
        approver: User,
        approve: bool,
        note: str,
        result: RemoteRequest | None,
        error: CounterError | None,
    ) -> None:
        if error is not None or result is None:
            if isinstance(error, UpstreamUnavailable):
                self.say(
                    _("HQ cannot be reached: your answer was not sent. Press A or D again when it is back."), "error"
                )
            elif isinstance(error, HqRefused) and error.error in APPROVER_REFUSALS:
                self.say(
                    _("{refusal}: {problem} Nothing was answered.").format(
                        refusal=_(APPROVER_REFUSALS[error.error]), problem=error.message
                    ),
                    "error",
                )
                # the refusal is HQ's to keep; this station's journal only mirrors it
                with contextlib.suppress(CounterError):
                    self.ctx.handle(record_station_refusal, request=request, approver=approver, why=error.message)
            else:
                self.say(error.message if error else _("HQ did not answer."), "error")
            self.refresh()
            return
        try:
            self.ctx.handle(record_station_answer, request=result, approver=approver, approved=approve, note=note)
        except CounterError as exc:  # HQ has the answer; only this station's journal missed it
            self.say(_("Sent, but not recorded here: {problem}").format(problem=exc.message), "error")
        else:
            money = self.ctx.store.currency.format(
                self.ctx.store.currency.from_minor(request.amount_minor), self.ctx.store.locale
            )
            if approve:
                said = _("Approved by {approver}: {name} at {lane} goes on ({amount}).")
            else:
                said = _("Declined by {approver}: {name} at {lane} is told.")
            self.say(
                said.format(approver=approver.name, name=request.requester_name, lane=request.terminal, amount=money),
                "ok",
            )
        self.refresh()


# ----------------------------------------------------------- the main window's entry


@dataclass(frozen=True)
class StationPlace:
    """Where the manager station sits (built by ``ui.main_window.build_window``): the
    window's stack, the screens it is opened from and goes back to, and who is signed in."""

    stack: QStackedWidget
    sale: SaleScreen
    signin: SignInScreen
    session: Session


def attach_station(
    ctx: AppContext, place: StationPlace, *, title: str, set_title: Callable[[str], None]
) -> ManagerStationScreen:
    """Add the manager station to the window: Ctrl+Shift+M on the sale screen for whoever
    may approve (``Action.MANAGER_STATION``), and the pending count in the window title
    (``title`` as it is, ``set_title`` to change it; composition root, GUI thread)."""
    station = ManagerStationScreen(ctx)
    place.stack.addWidget(station)
    place.sale.add_handler(Action.MANAGER_STATION, lambda: open_station(place, station))
    station.finished.connect(lambda: _leave(place, station))
    station.count_changed.connect(
        lambda n: set_title(_("({count} waiting) {title}").format(count=n, title=title) if n else title)
    )
    return station


def open_station(place: StationPlace, station: ManagerStationScreen, *, manager_mode: bool = False) -> None:
    user = place.session.user
    if not manager_mode:
        if user is None:
            return  # from the sign-in screen: sign in first (or start with --manager)
        if not user.can(Permission.APPROVE):
            place.sale.say(_("Only a supervisor or a manager opens the manager station."), "error")
            return
        if place.stack.currentWidget() is not place.sale:
            return
    if user is None:
        place.session.end(_("Manager station: a PIN for each answer"))
    place.stack.setCurrentWidget(station)
    station.start(user)


def _leave(place: StationPlace, station: ManagerStationScreen) -> None:
    station.stop()
    if place.session.user is None:
        place.session.end()
        place.stack.setCurrentWidget(place.signin)
        place.signin.reload()
        place.signin.focus()
    else:
        place.stack.setCurrentWidget(place.sale)
        place.sale.input.setFocus()
        place.sale.say(_("Back at the sale screen."), "info")
