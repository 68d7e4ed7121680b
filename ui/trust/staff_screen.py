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
    QGridLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.context import AppContext
from counter.errors import CounterError
from counter.i18n import N_, _, display_name
from counter.people.user_admin import (
    UserAdminError,
    add_user,
    change_role,
    reset_pin,
    set_active,
    set_badge,
    set_language,
)
from counter.people.users import Permission, Role, User, UserId, check_pin_format
from devices.barcodes import ScanData
from ui.actions import key_of
from ui.dialogs import CounterDialog
from ui.session import role_name
from ui.theme import scaled
from ui.trust.language_dialog import LanguageDialog

# Translators: the staff list's columns ("Sign-in": locked, or how many wrong PINs)
COLUMNS = (N_("Name"), N_("Role"), N_("Status"), N_("Badge"), N_("Sign-in"), N_("Language"))


class StaffDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext, admin: User) -> None:
        super().__init__(parent, _("Staff"), _("Who may sign in at this store, and what each may do"))
        self.ctx, self.admin = ctx, admin
        self.setMinimumSize(scaled(860), scaled(520))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("staffTable")
        self.table.setHorizontalHeaderLabels([_(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(300)
        self.table.setAccessibleName(_("Staff"))
        self.table.setAccessibleDescription(_("Up and Down pick a person; the keys below change them"))
        self.form.addRow(self.table)
        buttons = QGridLayout()  # three to a row: long words (German) wrap onto the next row
        # Not ``self.actions``: that would hide QWidget.actions().
        self.staff_actions: dict[str, tuple[str, Callable[[], None]]] = {
            _("Add person  (Ctrl+N)"): ("Ctrl+N", self.add),
            _("Role  (Ctrl+R)"): ("Ctrl+R", self.role),
            _("Reset PIN  (Ctrl+P)"): ("Ctrl+P", self.pin),
            _("Badge  (Ctrl+B)"): ("Ctrl+B", self.badge),
            _("Language  (Ctrl+L)"): ("Ctrl+L", self.language),
            _("Deactivate / reactivate  (Del)"): ("Del", self.toggle_active),
        }
        # Keys are matched in keyPressEvent, not with QShortcut (which needs an active window).
        self.keymap: dict[QKeyCombination, Callable[[], None]] = {}
        for label, (key, handler) in self.staff_actions.items():
            button = QPushButton(label)
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(handler)
            buttons.addWidget(button, len(self.keymap) // 3, len(self.keymap) % 3)
            self.keymap[key_of(key)] = handler
        self.form.addRow(buttons)
        self.ok_button.hide()
        self.cancel_button.setText(_("Close  (Esc)"))
        if not admin.can(Permission.MANAGE_USERS):
            self.show_error(
                _("{name}, only an administrator changes the staff list; you can look.").format(name=admin.name)
            )
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
                role_name(user.role),
                _("active") if user.active else _("deactivated"),
                # Translators: the person has a staff badge
                _("yes") if user.badge_hash else "",
                _("LOCKED") if locked else _wrong_pins(user.failed_attempts),
                display_name(user.language) if user.language else _("the store's"),
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
            raise UserAdminError(_("Pick a person in the list first."), "")
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
                Role(str(dialog.role.currentData())),
                dialog.pin_value,
                badge=dialog.badge.text() or None,
                hasher=self.ctx.hasher,
                badge_key=self.ctx.badge_key,
            )
            return user, _("{name} was added as {role}.").format(name=user.name, role=user.role)

        self._run(act)

    def role(self) -> None:
        def act() -> tuple[User, str] | None:
            user = self.selected()
            dialog = RoleDialog(self, user)
            if dialog.exec() != RoleDialog.DialogCode.Accepted:
                return None
            changed = self.ctx.handle(change_role, self.admin, user.id, Role(str(dialog.role.currentData())))
            return changed, _("{name} is now {role}.").format(name=changed.name, role=role_name(changed.role))

        self._run(act)

    def language(self) -> None:
        def act() -> tuple[User, str] | None:
            user = self.selected()
            dialog = LanguageDialog(self, user.name, user.language, self.ctx.store.locale)
            if dialog.exec() != LanguageDialog.DialogCode.Accepted:
                return None
            changed = self.ctx.handle(set_language, self.admin, user.id, dialog.chosen)
            shown = display_name(changed.language) if changed.language else _("the store's language")
            return changed, _("{name}'s screens speak {language}.").format(name=changed.name, language=shown)

        self._run(act)

    def pin(self) -> None:
        def act() -> tuple[User, str] | None:
            user = self.selected()
            dialog = PinDialog(self, user)
            if dialog.exec() != PinDialog.DialogCode.Accepted:
                return None
            changed = self.ctx.handle(reset_pin, self.admin, user.id, dialog.pin_value, hasher=self.ctx.hasher)
            return changed, _("{name} has a new PIN (and is not locked).").format(name=changed.name)

        self._run(act)

    def badge(self) -> None:
        def act() -> tuple[User, str] | None:
            user = self.selected()
            dialog = BadgeDialog(self, user)
            if dialog.exec() != BadgeDialog.DialogCode.Accepted:
                return None
            code = None if dialog.remove.isChecked() else dialog.code.text()
            changed = self.ctx.handle(set_badge, self.admin, user.id, code, badge_key=self.ctx.badge_key)
            said = _("{name}'s badge was taken away.") if code is None else _("{name}'s badge was set.")
            return changed, said.format(name=changed.name)

        self._run(act)

    def toggle_active(self) -> None:
        def act() -> tuple[User, str]:
            user = self.selected()
            changed = self.ctx.handle(set_active, self.admin, UserId(user.id), not user.active)
            said = _("{name} is active again.") if changed.active else _("{name} is deactivated.")
            return changed, said.format(name=changed.name)

        self._run(act)


def _wrong_pins(count: int) -> str:
    """The sign-in column of a person not locked: how many wrong PINs since the last right one."""
    if not count:
        return ""
    return _("{count} wrong PINs").format(count=count)


def _pin_pair(dialog: CounterDialog) -> tuple[QLineEdit, QLineEdit]:
    first = dialog.line_edit(_("New PIN"), placeholder=_("4 to 8 digits"))
    again = dialog.line_edit(_("PIN again"), placeholder=_("the same digits"))
    for edit in (first, again):
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setMaxLength(8)
    return first, again


def _checked_pin(first: QLineEdit, again: QLineEdit) -> str:
    pin = check_pin_format(first.text())
    if again.text() != pin:
        raise UserAdminError(_("The two PINs are not the same."), _("Type the new PIN twice."))
    return pin


class PersonDialog(CounterDialog):
    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent, _("Add a person"), _("A new person on the staff list"))
        self.name = self.line_edit(_("Name"), placeholder=_("as it shows on receipts and reports"))
        self.role = QComboBox()
        for r in Role:  # shown translated, kept as the role's code (the item's data)
            self.role.addItem(role_name(r), str(r))
        self.form.addRow(_("Role"), self.role)
        self.pin, self.again = _pin_pair(self)
        self.badge = self.line_edit(_("Badge"), placeholder=_("optional: scan the staff badge"))
        self.pin_value = ""

    def handle_scan(self, scan: ScanData) -> bool:
        if scan.error:
            self.show_error(scan.error)
        else:
            self.badge.setText(scan.text)
        return True

    def validate(self) -> None:
        if len(" ".join(self.name.text().split())) < 2:
            raise UserAdminError(_("Type the person's name."), "")
        self.pin_value = _checked_pin(self.pin, self.again)


class RoleDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, user: User) -> None:
        super().__init__(parent, _("Role"), _("What may {name} do?").format(name=user.name))
        self.role = QComboBox()
        for r in Role:  # shown translated, kept as the role's code
            self.role.addItem(role_name(r), str(r))
        self.role.setCurrentIndex(max(0, self.role.findData(str(user.role))))
        self.form.addRow(_("Role"), self.role)
        self.first_field = None


class PinDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, user: User) -> None:
        super().__init__(parent, _("Reset PIN"), _("A new PIN for {name}").format(name=user.name))
        self.pin, self.again = _pin_pair(self)
        self.pin_value = ""

    def validate(self) -> None:
        self.pin_value = _checked_pin(self.pin, self.again)


class BadgeDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, user: User) -> None:
        super().__init__(parent, _("Badge"), _("Scan {name}'s staff badge").format(name=user.name))
        self.code = self.line_edit(_("Badge"), placeholder=_("scan it, or type the code printed on it"))
        self.remove = QCheckBox(_("Take the badge away"))
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
            raise UserAdminError(_("Scan the badge (or tick Take the badge away)."), "")
