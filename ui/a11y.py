"""What a screen reader says of a control: its accessible name and description (GUI thread only).

A field with a label beside it in a form is named by that label (its buddy); a field without
one, a list or a table is named here. Every control also says what it does and its key, as
its description. The texts are English marked ``N_`` and set translated, again after each
language switch (``ui.i18n.live``).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from counter.i18n import N_, _
from ui.i18n import live


def live_accessible(widget: QWidget, name: str | None, description: str) -> None:
    """``widget``'s accessible name (unless ``None``: its label names it) and description,
    ``_(…)`` of the English texts, now and after each switch."""

    def apply() -> None:
        if name is not None:
            widget.setAccessibleName(_(name))
        widget.setAccessibleDescription(_(description))

    live(widget, apply)


#: a message's kind said in words, not by its colour alone (a screen reader reads it with the message)
KIND_WORDS = {"error": N_("Problem"), "ok": N_("Done")}


def show_kind(label: QWidget, kind: str) -> None:
    """A message panel's ``kind`` ("error", "ok", "info"): its style (``resources/style.qss``:
    colour, and bold for a problem) and, in words, its accessible description."""
    label.setProperty("kind", kind)
    label.setAccessibleDescription(_(KIND_WORDS[kind]) if kind in KIND_WORDS else "")
    label.style().unpolish(label)
    label.style().polish(label)
