"""PIN or badge sign-in (GUI thread only).

Pick your name (↑/↓, or click) and type your PIN; Enter signs in. Digits typed while the
list has the focus go to the PIN field, so a cashier can just type. A wrong PIN is
recorded (lockout after 5, longer each time) and said plainly; the PIN field is cleared
every time. Scanning a staff badge here (keyboard-wedge or serial scanner; the scan is
routed to ``handle_scan``) signs its holder in, whoever is picked in the list.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRegularExpression, Qt, Signal
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from counter.i18n import N_, _
from counter.people.staff import sign_in, sign_in_badge
from counter.people.users import User
from devices.barcodes import ScanData
from ui.a11y import live_accessible
from ui.devices.wedge import PIN_ENTRY
from ui.i18n import live, live_text
from ui.ops import Problem, attempt
from ui.session import role_name


class SignInScreen(QWidget):
    signed_in = Signal(object)  # counter.people.users.User
    pin: QLineEdit  # made after the user list, whose activation moves the focus to it

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInScreen")
        self.ctx = ctx
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        card = QFrame()
        card.setObjectName("signInCard")
        card.setMinimumWidth(520)
        col = QVBoxLayout(card)
        col.setContentsMargins(36, 30, 36, 30)
        col.setSpacing(12)
        store = QLabel(ctx.store.name)
        store.setObjectName("storeName")
        where = QLabel()
        terminal = ctx.terminal.code
        live(where, lambda: where.setText(_("Service counter · terminal {terminal}").format(terminal=terminal)))
        where.setObjectName("subtle")
        col.addWidget(store)
        col.addWidget(where)
        col.addSpacing(10)
        who = QLabel()
        live_text(who, N_("Who is signing in?"))
        col.addWidget(who)
        self.users = QListWidget()
        self.users.setObjectName("userList")
        self.users.installEventFilter(self)
        self.users.itemActivated.connect(lambda _i: self.pin.setFocus())
        self.users.setMaximumHeight(260)
        live_accessible(self.users, N_("Staff"), N_("Pick your name with the Up and Down keys, then type your PIN"))
        col.addWidget(self.users)
        keys = QLabel()
        live_text(keys, N_("↑/↓ picks a name · type your PIN · Enter signs in"))
        keys.setObjectName("subtle")
        col.addWidget(keys)
        pin_label = QLabel()
        live_text(pin_label, N_("PIN"))
        col.addWidget(pin_label)
        self.pin = QLineEdit()
        self.pin.setObjectName("pinField")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.setProperty(PIN_ENTRY, True)  # digits typed on the list go to the PIN (ui.devices.wedge)
        self.pin.setMaxLength(8)
        self.pin.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,8}"), self.pin))
        live(self.pin, lambda: self.pin.setPlaceholderText(_("PIN")))
        self.pin.returnPressed.connect(self.submit)
        self.pin.installEventFilter(self)
        live_accessible(self.pin, N_("PIN"), N_("Type your PIN, then Enter signs you in"))
        col.addWidget(self.pin)
        badge = QLabel()
        live_text(badge, N_("Or scan your staff badge."))
        badge.setObjectName("subtle")
        col.addWidget(badge)
        self.error = QLabel("")
        self.error.setObjectName("signInError")
        self.error.setWordWrap(True)
        col.addWidget(self.error)
        col.addStretch(1)
        button = QPushButton()
        live_text(button, N_("Sign in  (Enter)"))
        button.setObjectName("primary")
        live_accessible(button, None, N_("Signs in the person picked with the PIN typed (Enter)"))
        button.clicked.connect(self.submit)
        col.addWidget(button)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignVCenter)  # as tall as it needs, centred
        outer.addStretch(1)
        self.reload()

    def reload(self) -> None:
        self.users.clear()
        for user in self.ctx.reads.list_users():
            item = QListWidgetItem(f"{user.name}    ·  {role_name(user.role)}")
            item.setData(Qt.ItemDataRole.UserRole, user.id)
            self.users.addItem(item)
        if self.users.count():
            self.users.setCurrentRow(0)
        self.pin.clear()
        self.error.clear()

    def focus(self) -> None:
        self.pin.clear()
        self.pin.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            if watched is self.pin and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                step = -1 if event.key() == Qt.Key.Key_Up else 1
                row = max(0, min(self.users.count() - 1, self.users.currentRow() + step))
                self.users.setCurrentRow(row)
                return True
            if watched is self.users and event.text().isdigit():
                self.pin.setFocus()
                self.pin.insert(event.text())
                return True
        return super().eventFilter(watched, event)

    def submit(self) -> None:
        current = self.users.currentItem()
        if current is None:
            self._show(Problem(_("Pick your name from the list."), ""))

            return
        pin = self.pin.text()
        self.pin.clear()
        ok, user = attempt(
            lambda: self.ctx.handle(sign_in, current.data(Qt.ItemDataRole.UserRole), pin, hasher=self.ctx.hasher),
            self._show,
        )
        if ok and isinstance(user, User):
            self.error.clear()
            self.signed_in.emit(user)
        else:
            self.pin.setFocus()

    def handle_scan(self, scan: ScanData) -> bool:
        """A scan while this screen shows is a staff badge (ui.devices.wedge routes it here)."""
        if scan.error:
            self._show(Problem(scan.error, ""))
            return True
        ok, user = attempt(
            lambda: self.ctx.handle(sign_in_badge, scan.text, badge_key=self.ctx.badge_key),
            self._show,
        )
        self.pin.clear()
        if ok and isinstance(user, User):
            self.error.clear()
            self.signed_in.emit(user)
        return True

    def select(self, user_id: str) -> None:
        """Pick ``user_id`` in the list (the person the screen locked on)."""
        for row in range(self.users.count()):
            if self.users.item(row).data(Qt.ItemDataRole.UserRole) == user_id:
                self.users.setCurrentRow(row)
                return

    def _show(self, problem: Problem) -> None:
        self.error.setText(problem.text)
