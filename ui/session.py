"""Who is signed in at this window (GUI thread).

One ``Session`` per window, built by the composition root (``ui.main_window``): the window
begins it at a sign-in and ends it at a sign-out, the trust wiring ends it at the idle lock
and begins it again when the same person comes back, and the devices and the manager
station read it. The status-bar item that names the person goes with it, so the bar never
names anyone but who is signed in.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from counter.people.users import User

SIGNED_OUT = "Not signed in"


class Session:
    def __init__(self, label: QLabel) -> None:
        self.user: User | None = None
        self.label = label
        self.label.setText(SIGNED_OUT)

    def current(self) -> User | None:
        """The person signed in, or None (the sign-in screen, the lock, the manager station)."""
        return self.user

    def begin(self, user: User) -> None:
        self.user = user
        self.label.setText(f"{user.name} ({user.role})")

    def end(self, shown: str = SIGNED_OUT) -> None:
        """No one is signed in; the status bar says ``shown`` ("Locked", ...)."""
        self.user = None
        self.label.setText(shown)
