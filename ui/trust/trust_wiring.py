"""Trust in the app (GUI thread only): the idle lock, badge and PIN sign-in back into a
kept sale, the card-number guard on every text field, the staff list, and the offer to
reprint receipts that a crash interrupted. Built by ``ui.main_window.build_window``
with the pieces it uses, so that the screens know nothing of it. The sign-in screen's
``signed_in`` comes here: ``TrustUi`` is handed the window's fresh sign-in step
(``begin_session``) and wraps it (see the idle lock), then offers what a crash left unprinted.

**Idle lock.** Any key, click or scan restarts a timer (``idle_lock_minutes``, 2 by
default). When it runs out while someone is signed in, open dialogs are cancelled (what
they held was not yet recorded), ``SessionLocked`` is journaled and the sign-in screen
shows with that person picked. Nothing of the open sale is lost: when the same person
signs back in (PIN or badge), the screen they were on comes back as they left it. If
someone else signs in meanwhile, the open sale is parked under its owner's name and comes
back when they sign in; a shift cannot be closed while a sale is parked. No right
survives the lock: whoever comes back proves who they are again.

**Interrupted print jobs.** Jobs a crash left queued or sent (db/spool.py), and documents
a commit made due that never became a job (counter.trust.outbox: a crash right after the
commit), are read at start-up, before this run prints anything, and offered once to the
first person who signs in: print them (the never-printed as originals, the unconfirmed as
COPY n, journaled like F11) or skip (recorded with who skipped); either way they are
settled. Due credit notes are files, not paper: they are saved whatever the answer. Then
the cash drawer openings a crash left due (a cash sale whose drawer never opened) are
offered the same way (``DrawerControl.offer_due``): opened now, or recorded as not needed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QStackedWidget, QWidget

from app.context import AppContext
from counter.i18n import _, display_name, language, ngettext
from counter.people.staff import lock_session
from counter.people.user_admin import set_language
from counter.people.users import User, UserId
from counter.sales.cart import Cart
from counter.sales.tenders import Payment
from counter.trust.outbox import Due, DueDocument, DueDrawer
from ui.actions import Action
from ui.cash.cash_drawer import DrawerControl
from ui.devices.print_jobs import reprint
from ui.devices.printing import PrintBridge
from ui.dialogs import CounterDialog
from ui.ops import attempt, said_after
from ui.returns.card_refund_dialog import settle_open_refund
from ui.sales.sale_screen import SaleScreen
from ui.session import Session
from ui.trust.card_guard import REFUSED, CardGuard
from ui.trust.language_dialog import LanguageDialog
from ui.trust.signin import SignInScreen
from ui.trust.staff_screen import StaffDialog

log = logging.getLogger(__name__)

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class ActivityWatch(QObject):
    """Restarts the idle timer on every key, click, wheel or touch, anywhere in the app."""

    def __init__(self, timer: QTimer, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = timer

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if event.type() in _ACTIVITY and self.timer.isActive():
            self.timer.start()
        return False


@dataclass
class ParkedSale:
    cart: Cart
    payment: Payment | None
    customer: Any
    customer_id: str | None


class TrustUi(QObject):
    def __init__(
        self,
        ctx: AppContext,
        *,
        session: Session,
        signin: SignInScreen,
        sale: SaleScreen,
        stack: QStackedWidget,
        printing: PrintBridge,
        begin_session: Callable[[User], None],
        show_shift: Callable[[], None],
        status: Callable[[str, int], None],
        drawers: DrawerControl | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``begin_session`` is the window's fresh sign-in (the sale screen, started for
        the person), which ``signed_in`` wraps; ``show_shift`` re-reads the shift for the
        status bar; ``status(text, ms)`` shows a line in the status bar."""
        super().__init__(parent)
        self.ctx = ctx
        self.session, self.signin, self.sale, self.stack, self.printing = session, signin, sale, stack, printing
        self.begin_session, self.show_shift, self.status = begin_session, show_shift, status
        self.locked: tuple[User, QWidget] | None = None  # who the screen locked on, and where they were
        self.parked: dict[UserId, ParkedSale] = {}
        self.pending_jobs: list[dict[str, Any]] = self.ctx.reads.interrupted_jobs()  # before anything prints
        # Documents a commit made due that were never carried out (a crash right after it).
        self.pending_due: list[DueDocument] = printing.reactions.pending()
        # And the drawer openings such a commit made due (ui/cash/cash_drawer.py).
        self.drawers = drawers
        self.pending_drawers: list[DueDrawer] = drawers.due.pending() if drawers is not None else []
        app = QApplication.instance()
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.timeout.connect(self.lock)
        self.set_idle_minutes(self.ctx.settings.idle_lock_minutes)
        self.activity = ActivityWatch(self.idle, self)
        self.guard = CardGuard(self._card_refused, self)
        if app is not None:
            app.installEventFilter(self.activity)
            app.installEventFilter(self.guard)
        signin.signed_in.connect(self.signed_in)  # its only handler: begin_session is wrapped here
        sale.signed_out.connect(self.idle.stop)
        sale.add_handler(Action.STAFF, self.open_staff)
        sale.add_handler(Action.LANGUAGE, self.choose_language)

    def has_parked_sale(self) -> bool:
        """A sale is kept at the idle lock for someone not signed in (no shift closes then)."""
        return bool(self.parked)

    def close(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.activity)
            app.removeEventFilter(self.guard)
        self.idle.stop()

    def set_idle_minutes(self, minutes: int) -> None:
        self.idle_ms = max(0, int(minutes * 60_000))
        self.idle.setInterval(self.idle_ms or 1)

    # --------------------------------------------------------------- locking
    def lock(self) -> None:
        """The idle timer ran out: back to the sign-in screen, keeping everything open."""
        user = self.session.user
        if user is None or self.stack.currentWidget() is self.signin:
            return
        for _attempt in range(10):  # cancel dialogs (innermost first): nothing in them was recorded
            modal = QApplication.activeModalWidget()
            if modal is None:
                break
            if isinstance(modal, QDialog):
                modal.reject()
            else:
                modal.close()
        attempt(lambda: self.ctx.handle(lock_session, user, "idle"), self.sale.problem)
        self.locked = (user, self.stack.currentWidget() or self.sale)
        self.session.end(_("Locked"))
        self.stack.setCurrentWidget(self.signin)
        self.signin.reload()
        self.signin.select(user.id)
        kept = not self.sale.cart.is_empty or self.sale.payment is not None
        minutes = max(1, round(self.idle_ms / 60_000))
        said = (
            ngettext(
                "Locked after {n} minute without activity. The open sale is kept. {name}, sign in again to go on.",
                "Locked after {n} minutes without activity. The open sale is kept. {name}, sign in again to go on.",
                minutes,
            )
            if kept
            else ngettext(
                "Locked after {n} minute without activity. {name}, sign in again to go on.",
                "Locked after {n} minutes without activity. {name}, sign in again to go on.",
                minutes,
            )
        )
        self.signin.error.setText(said.format(n=minutes, name=user.name))
        self.signin.focus()

    def signed_in(self, user: User) -> None:
        locked, self.locked = self.locked, None
        if locked is not None and locked[0].id == user.id:
            where = locked[1]
            self.session.begin(user)
            self.show_shift()
            self.stack.setCurrentWidget(where)
            if where is self.sale:
                self.sale.user = user
                self.sale.input.setFocus()
                self.sale.say(_("Welcome back, {name}: everything is as you left it.").format(name=user.name), "info")
        else:
            if locked is not None:
                self._park(locked[0])
            self.begin_session(user)
            self._unpark(user)
        self._arm()
        self._offer_interrupted(user)
        # a card request a stop left unknown is resolved before anything else (then the
        # interrupted sale it paid comes back on screen to be given back)
        QTimer.singleShot(0, lambda: self._recover_cards(user))

    def _recover_cards(self, user: User) -> None:
        """Card requests a stop left unknown first (then the interrupted sale they paid comes
        back to be given back), then the card refunds still owed (their returns stay open)."""
        if self.sale.payments.recover_cards():
            self.sale.voids.restore_interrupted()
        with self.ctx.read_uow() as uow:
            owed = list(uow.cards.open_refunds(self.ctx.terminal.terminal_id))
        for row in owed:
            said = row.answer.text if row.answer is not None else ""
            done = settle_open_refund(self.sale, self.ctx, row, user, said, self.sale.say)
            if done:
                self.sale.say(done, "ok")

    def _arm(self) -> None:
        if self.idle_ms:
            self.idle.start()

    def _park(self, owner: User) -> None:
        sale = self.sale
        if sale.cart.is_empty and sale.payment is None:
            return
        self.parked[owner.id] = ParkedSale(
            sale.cart, sale.payment, getattr(sale, "customer", None), getattr(sale, "customer_id", None)
        )

    def _unpark(self, user: User) -> None:
        parked = self.parked.pop(user.id, None)
        sale = self.sale
        if parked is None:
            if self.parked:
                names = ", ".join(sorted(self._name(uid) for uid in self.parked))
                sale.say(
                    _("Signed in as {name}. A sale is kept for {names} until they sign in.").format(
                        name=user.name, names=names
                    ),
                    "info",
                )
            return
        sale.cart, sale.payment = parked.cart, parked.payment
        sale.customer, sale.customer_id = parked.customer, parked.customer_id
        sale.model.set_cart(sale.cart)
        sale._refresh()
        sale.say(_("Welcome back, {name}: your open sale is here as you left it.").format(name=user.name), "info")

    def _name(self, user_id: UserId) -> str:
        with self.ctx.read_uow() as uow:
            user = uow.users.get(user_id)
        return user.name if user else str(user_id)

    # ---------------------------------------------------- interrupted printing
    def _offer_interrupted(self, user: User) -> None:
        jobs, self.pending_jobs = self.pending_jobs, []
        due, self.pending_due = self.pending_due, []
        drawers, self.pending_drawers = self.pending_drawers, []
        if not jobs and not due and not drawers:
            return
        QTimer.singleShot(0, lambda: self._ask_reprint(user, jobs, due, drawers))

    def _ask_reprint(
        self, user: User, jobs: list[dict[str, Any]], due: list[DueDocument], drawers: list[DueDrawer] | None = None
    ) -> None:
        """Offer what a crash left unprinted. Credit notes (files, not paper) are saved
        whatever the answer; receipts that never reached the printer are printed as
        originals, those the printer may have had as copies (COPY n). Then the drawer
        openings it left due."""
        files = [d for d in due if d.due is Due.CREDIT_NOTE]
        paper = [d for d in due if d.due is not Due.CREDIT_NOTE]
        saved = self.printing.reactions.carry_out_items(files)
        said = saved.saved_lines + saved.problems
        if jobs or paper:
            dialog = InterruptedJobsDialog(self.stack.currentWidget(), self.ctx, jobs, paper)
            answer = dialog.exec()
            if answer == QDialog.DialogCode.Accepted:
                done = self.printing.reactions.carry_out_items(paper)
                if done.jobs:
                    said.append(_("Printing {documents}.").format(documents=", ".join(d.label for d in paper)))
                said += done.problems
                printed = []
                for job in jobs:
                    ok, text = attempt(partial(reprint, self.ctx, self.printing, user, job["id"]), self.sale.problem)
                    if ok:
                        printed.append(job["reference"])
                if printed:
                    said.append(_("Printing copies of {documents}.").format(documents=", ".join(printed)))
            else:
                declined = self.printing.reactions.decline(paper, user.id)
                if declined:
                    said.append(
                        ngettext(
                            "{n} unprinted receipt skipped by {name}.",
                            "{n} unprinted receipts skipped by {name}.",
                            declined,
                        ).format(n=declined, name=user.name)
                    )
            self.ctx.settle_interrupted([j["id"] for j in jobs])
        if said:
            self.sale.say(" ".join(said), "info")
        if drawers and self.drawers is not None:
            sale = self.sale
            self.drawers.offer_due(
                self.stack.currentWidget(),
                user,
                drawers,
                lambda text, kind: sale.say(said_after(sale.message.text(), text), kind),
            )

    # ------------------------------------------------------------ card guard
    def _card_refused(self, widget: QWidget) -> None:
        top = widget.window()
        if isinstance(top, CounterDialog):
            top.show_error(_(REFUSED))
            return
        screen = self.stack.currentWidget()
        say = getattr(screen, "say", None)
        if callable(say):
            say(_(REFUSED), "error")
        else:
            self.status(_(REFUSED), 15000)
        results = getattr(screen, "results", None)
        if results is not None:
            results.hide()

    # ----------------------------------------------------------------- staff
    def open_staff(self) -> None:
        user = self.session.user
        if user is None:
            return
        StaffDialog(self.stack.currentWidget(), self.ctx, user).exec()
        self.signin.reload()

    def choose_language(self) -> None:
        """The signed-in person's own screen language (Ctrl+Shift+L), kept for their next
        sign-ins; the screens switch at once."""
        user = self.session.user
        if user is None:
            return
        dialog = LanguageDialog(self.stack.currentWidget(), user.name, user.language, self.ctx.store.locale)
        if dialog.exec() != LanguageDialog.DialogCode.Accepted or dialog.chosen == user.language:
            return
        ok, changed = attempt(lambda: self.ctx.handle(set_language, user, user.id, dialog.chosen), self.sale.problem)
        if ok and changed is not None:
            self.session.speak(changed.language)
            self.status(_("Your screens now speak {language}.").format(language=display_name(language())), 8000)


class InterruptedJobsDialog(CounterDialog):
    """At start-up: the receipts a crash left unprinted (recorded, never sent to the
    printer: printed as originals) or unconfirmed (printed again as copies)."""

    #: at most this many of each group are listed; the rest are counted
    SHOWN = 12

    def __init__(
        self, parent: QWidget | None, ctx: Any, jobs: list[dict[str, Any]], due: list[DueDocument] | None = None
    ) -> None:
        due = due or []
        super().__init__(
            parent,
            _("Receipts to check"),
            _("Counter stopped before these receipts were printed. The sales and returns are recorded."),
        )
        zone = ctx.store.zone
        if due:
            self.form.addRow(QLabel(_("Never printed (they print as originals):")))
            for item in due[-self.SHOWN :]:
                when = item.created_at.astimezone(zone).strftime("%b %d %H:%M")
                total = ctx.store.currency.format(item.document.total, ctx.store.locale)
                label = QLabel(f"{item.label}  ·  {total}  ·  {when}")
                label.setObjectName("unprintedDocument")
                self.form.addRow(label)
            if len(due) > self.SHOWN:
                self.form.addRow(QLabel(_("… and {count} older ones.").format(count=len(due) - self.SHOWN)))
        if jobs:
            self.form.addRow(QLabel(_("Sent to the printer, not confirmed (they print as COPY):")))
        for job in jobs:
            when = datetime.fromisoformat(job["created_at"]).astimezone(zone).strftime("%b %d %H:%M")
            label = QLabel(f"{job['reference']}  ·  {job['kind']}  ·  {when}")
            label.setObjectName("interruptedJob")
            self.form.addRow(label)
        self.ok_button.setText(_("Print them  (Enter)"))
        self.cancel_button.setText(_("Not needed: skip  (Esc)"))
