"""The staff list, for administrators (GUI thread only).

Opened from the sale screen (Ctrl+Shift+S). Everyone sees who is on the list; only a
role with the manage-users right changes it (the services check it again and journal a
refusal): add a person (Ctrl+N), change a role (Ctrl+R), reset a PIN (Ctrl+P, which
also lifts a lock), set or take away a badge (Ctrl+B), deactivate or reactivate (Del).
The last active administrator can be neither demoted nor deactivated.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.context import AppContext
from counter.errors import CounterError
from counter.people.user_admin import UserAdminError, add_user, change_role, reset_pin, set_active, set_badge
from counter.people.users import Permission, Role, User, UserId, check_pin_format
from devices.barcodes import ScanData
from ui.actions import key_of
from ui.dialogs import CounterDialog

COLUMNS = ("Name", "Role", "Status", "Badge", "Sign-in")


class StaffDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext, admin: User) -> None:
        super().__init__(parent, "Staff", "Who may sign in at this store, and what each may do")
        self.ctx, self.admin = ctx, admin
        self.setMinimumSize(860, 520)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("staffTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(300)
        self.form.addRow(self.table)
        buttons = QHBoxLayout()
        # Not ``self.actions``: that would hide QWidget.actions().
        self.staff_actions: dict[str, tuple[str, Callable[[], None]]] = {
            "Add person  (Ctrl+N)": ("Ctrl+N", self.add),
            "Role  (Ctrl+R)": ("Ctrl+R", self.role),
            "Reset PIN  (Ctrl+P)": ("Ctrl+P", self.pin),
            "Badge  (Ctrl+B)": ("Ctrl+B", self.badge),
            "Deactivate / reactivate  (Del)": ("Del", self.toggle_active),
        }
        # Keys are matched in keyPressEvent, not with QShortcut (which needs an active window).
        self.keymap: dict[QKeyCombination, Callable[[], None]] = {}
        for label, (key, handler) in self.staff_actions.items():
            button = QPushButton(label)
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(handler)
            buttons.addWidget(button)
            self.keymap[key_of(key)] = handler
        self.form.addRow(buttons)
        self.ok_button.hide()
        self.cancel_button.setText("Close  (Esc)")
        if not admin.can(Permission.MANAGE_USERS):
            self.show_error(f"{admin.name}, only an administrator changes the staff list; you can look.")
        self.users: list[User] = []
        self.reload()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        handler = self.keymap.get(event.keyCombination())
        if handler is not None:
            handler()
        else:
            super().keyPressEvent(event)

    def reload(self, select: str | None = None) -> None:
        with self.ctx.read_uow() as uow:
            self.users = list(uow.users.all())
        self.table.setRowCount(len(self.users))
        for row, user in enumerate(self.users):
            locked = user.locked_until is not None and user.locked_until > self.ctx.clock.now()
            cells = (
                user.name,
                str(user.role),
                "active" if user.active else "deactivated",
                "yes" if user.badge_hash else "",
                "LOCKED" if locked else (f"{user.failed_attempts} wrong PINs" if user.failed_attempts else ""),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, user.id)
                self.table.setItem(row, col, item)
            if user.id == select:
                self.table.selectRow(row)
        if self.table.currentRow() < 0 and self.users:
            self.table.selectRow(0)

    def selected(self) -> User:
        row = self.table.currentRow()
        if row < 0 or row >= len(self.users):
            raise UserAdminError("Pick a person in the list first.", "")
        return self.users[row]

    def _run(self, action: Callable[[], tuple[User, str] | None]) -> None:
        """Run a staff change; its error shows in this window, the list is read again."""
        try:
            changed = action()
        except CounterError as exc:
            self.show_error(f"{exc.message} {exc.hint}".strip())
            self.reload()
            return
        if changed is not None:
            user, text = changed
            self.error.hide()
            self.headline.setText(text)
            self.reload(select=user.id)

    def add(self) -> None:
        def act() -> tuple[User, str] | None:
            dialog = PersonDialog(self)
            if dialog.exec() != PersonDialog.DialogCode.Accepted:
                return None
            user = self.ctx.handle(
                add_user,
                self.admin,
                dialog.name.text(),
                Role(dialog.role.currentText()),
                dialog.pin_value,
                badge=dialog.badge.text() or None,
                hasher=self.ctx.hasher,
                badge_key=self.ctx.badge_key,
            )
            return user, f"{user.name} was added as {user.role}."

        self._run(act)

    def role(self) -> None:
        def act() -> tuple[User, str] | None:
            user = self.selected()
            dialog = RoleDialog(self, user)
            if dialog.exec() != RoleDialog.DialogCode.Accepted:
                return None
            changed = self.ctx.handle(change_role, self.admin, user.id, Role(dialog.role.currentText()))
            return changed, f"{changed.name} is now {changed.role}."

        self._run(act)

    def pin(self) -> None:
        def act() -> tuple[User, str] | None:
            user = self.selected()
            dialog = PinDialog(self, user)
            if dialog.exec() != PinDialog.DialogCode.Accepted:
                return None
            changed = self.ctx.handle(reset_pin, self.admin, user.id, dialog.pin_value, hasher=self.ctx.hasher)
            return changed, f"{changed.name} has a new PIN (and is not locked)."

        self._run(act)

    def badge(self) -> None:
        def act() -> tuple[User, str] | None:
            user = self.selected()
            dialog = BadgeDialog(self, user)
            if dialog.exec() != BadgeDialog.DialogCode.Accepted:
                return None
            code = None if dialog.remove.isChecked() else dialog.code.text()
            changed = self.ctx.handle(set_badge, self.admin, user.id, code, badge_key=self.ctx.badge_key)
            return changed, f"{changed.name}'s badge was {'taken away' if code is None else 'set'}."

        self._run(act)

    def toggle_active(self) -> None:
        def act() -> tuple[User, str]:
            user = self.selected()
            changed = self.ctx.handle(set_active, self.admin, UserId(user.id), not user.active)
            return changed, f"{changed.name} is {'active again' if changed.active else 'deactivated'}."

        self._run(act)


def _pin_pair(dialog: CounterDialog) -> tuple[QLineEdit, QLineEdit]:
    first = dialog.line_edit("New PIN", placeholder="4 to 8 digits")
    again = dialog.line_edit("PIN again", placeholder="the same digits")
    for edit in (first, again):
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setMaxLength(8)
    return first, again


def _checked_pin(first: QLineEdit, again: QLineEdit) -> str:
    pin = check_pin_format(first.text())
    if again.text() != pin:
        raise UserAdminError("The two PINs are not the same.", "Type the new PIN twice.")
    return pin


class PersonDialog(CounterDialog):
    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent, "Add a person", "A new person on the staff list")
        self.name = self.line_edit("Name", placeholder="as it shows on receipts and reports")
        self.role = QComboBox()
        self.role.addItems([str(r) for r in Role])
        self.form.addRow("Role", self.role)
        self.pin, self.again = _pin_pair(self)
        self.badge = self.line_edit("Badge", placeholder="optional: scan the staff badge")
        self.pin_value = ""

    def handle_scan(self, scan: ScanData) -> bool:
        if scan.error:
            self.show_error(scan.error)
        else:
            self.badge.setText(scan.text)
        return True

    def validate(self) -> None:
        if len(" ".join(self.name.text().split())) < 2:
            raise UserAdminError("Type the person's name.", "")
        self.pin_value = _checked_pin(self.pin, self.again)


class RoleDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, user: User) -> None:
        super().__init__(parent, "Role", f"What may {user.name} do?")
        self.role = QComboBox()
        self.role.addItems([str(r) for r in Role])
        self.role.setCurrentText(str(user.role))
        self.form.addRow("Role", self.role)
        self.first_field = None


class PinDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, user: User) -> None:
        super().__init__(parent, "Reset PIN", f"A new PIN for {user.name}")
        self.pin, self.again = _pin_pair(self)
        self.pin_value = ""

    def validate(self) -> None:
        self.pin_value = _checked_pin(self.pin, self.again)


class BadgeDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, user: User) -> None:
        super().__init__(parent, "Badge", f"Scan {user.name}'s staff badge")
        self.code = self.line_edit("Badge", placeholder="scan it, or type the code printed on it")
        self.remove = QCheckBox("Take the badge away")
        self.form.addRow("", self.remove)

    def handle_scan(self, scan: ScanData) -> bool:
        if scan.error:
            self.show_error(scan.error)
        else:
            self.code.setText(scan.text)
            self._try_accept()
        return True

    def validate(self) -> None:
        if not self.remove.isChecked() and not self.code.text().strip():
            raise UserAdminError("Scan the badge (or tick Take the badge away).", "")
