"""Who is signed in at this window (GUI thread).

One ``Session`` per window, built by the composition root (``ui.main_window``): the window
begins it at a sign-in and ends it at a sign-out, the trust wiring ends it at the idle lock
and begins it again when the same person comes back, and the devices and the manager
station read it. The status-bar item that names the person goes with it, so the bar never
names anyone but who is signed in.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QLabel

from counter.i18n import N_, _
from counter.people.users import User
from ui.i18n import live, switch_language

SIGNED_OUT = N_("Not signed in")
#: a role's name as the status bar shows it (the role's value is its stored code)
ROLE_NAMES = {
    # Translators: a staff role, shown after the person's name in the status bar
    "cashier": N_("cashier"),
    # Translators: a staff role, shown after the person's name in the status bar
    "supervisor": N_("supervisor"),
    # Translators: a staff role, shown after the person's name in the status bar
    "manager": N_("manager"),
    # Translators: a staff role, shown after the person's name in the status bar
    "admin": N_("admin"),
}


def role_name(role: str) -> str:
    """A role's name in the screen's language (the role itself is a stored code)."""
    name = ROLE_NAMES.get(str(role))
    return _(name) if name else str(role)


class Session:
    """Also sets the screen's language: the person's while they are signed in, the store's
    (``store_language``, its locale's) at the sign-in screen and the lock."""

    def __init__(self, label: QLabel, store_language: str = "") -> None:
        self.user: User | None = None
        self.label = label
        self.store_language = store_language
        self.shown: str | None = None  # what ``end`` was told to show (None: "Not signed in")
        live(label, self._show)  # said again after a language switch

    def current(self) -> User | None:
        """The person signed in, or None (the sign-in screen, the lock, the manager station)."""
        return self.user

    def begin(self, user: User) -> None:
        self.user = user
        switch_language(user.language or self.store_language)
        self._show()

    def speak(self, language: str) -> None:
        """The person signed in chose another language (their own, in the staff screen)."""
        if self.user is not None:
            self.user = replace(self.user, language=language)
            switch_language(language or self.store_language)
            self._show()

    def end(self, shown: str | None = None) -> None:
        """No one is signed in; the status bar says ``shown`` ("Locked", ..., already in the
        screen's language), else "Not signed in"."""
        self.user = None
        self.shown = shown
        switch_language(self.store_language)
        self._show()

    def _show(self) -> None:
        user = self.user
        if user is not None:
            # Translators: the status bar's item naming who is signed in, e.g. "Anna (cashier)"
            self.label.setText(_("{name} ({role})").format(name=user.name, role=role_name(user.role)))
        else:
            self.label.setText(_(SIGNED_OUT) if self.shown is None else self.shown)
