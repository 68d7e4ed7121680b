"""What a screen shows that escaped translation, and which controls have no accessible name.

Used by ``scripts/screenshots.py --audit FILE``: each screen and dialog it grabs is walked
here first. Two kinds of finding:

- ``untranslated``: in the pseudo-language ``en_XA`` every translated letter is accented, so a
  run of two or more plain ASCII letters on a screen is English that did not go through
  ``counter.i18n``, unless it is data (an item's or a person's name, a code, a key name): the
  caller gives those words.
- ``unnamed``: a control that takes the keyboard focus whose accessible name (what a screen
  reader says: its ``accessibleName``, its text, or its label's) is empty, walked through
  Qt's accessibility tree (``QAccessible``), as an assistive technology sees it; ``undescribed``:
  one that is named but says nothing of what it does (no description or tooltip).
- ``focus-order``: Tab goes back against the reading order: the Tab focus chain's next
  visible, enabled control is above the one before it (by more than half its height) or on
  the same row before it (to its left; to its right in a right-to-left layout). A jump up to
  the top of the next column (wholly after the one before) reads on and is not flagged.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QPoint, QRect, Qt
from PySide6.QtGui import QAccessible, QAccessibleInterface
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from counter.sales.vouchers import looks_like_voucher

#: key names stay as the keyboard prints them, in every language
KEY_NAMES = {
    "Esc", "Enter", "Ctrl", "Shift", "Alt", "Tab", "PgUp", "PgDn", "Del", "Home", "End", "Space",
    "Backspace", "Ins", "Up", "Down", "Left", "Right", "Return",
}  # fmt: skip
ASCII_RUN = re.compile(r"[A-Za-z]{2,}")
#: not words to translate: addresses (sim://printer), what is quoted (“baud”: typed or a code),
#: and tokens holding a digit (S01-T01-000134/gift, CP858, hashes, amounts)
NOT_WORDS = re.compile(r"\S*://\S*|“[^”]*”|\"[^\"]*\"|\S*\d\S*")
#: acronyms stay as they are in every language (EAN, UPC, GTIN, ISO, PDF, HQ, PIN, SKU)
ACRONYM = re.compile(r"^[A-Z]{2,4}$")
#: words a person types as they are ("none" in a device address field), and product names
KEYWORDS = {"none", "Epson", "Counter"}
#: a printed document shows the pseudo-language folded into the code page's letters, so a line
#: of it is checked by the pseudo-language's marks instead of its letters
PSEUDO_MARKS = ("[", "]", "~")
TAG = re.compile(r"<[^>]*>")
#: roles of the controls a person operates; each needs a name
CONTROL_ROLES = {
    QAccessible.Role.PushButton,
    QAccessible.Role.CheckBox,
    QAccessible.Role.RadioButton,
    QAccessible.Role.ComboBox,
    QAccessible.Role.EditableText,
    QAccessible.Role.SpinBox,
    QAccessible.Role.List,
    QAccessible.Role.Table,
    QAccessible.Role.Tree,
    QAccessible.Role.PageTab,
    QAccessible.Role.Slider,
    QAccessible.Role.ButtonMenu,
    QAccessible.Role.ButtonDropDown,
}


@dataclass(frozen=True)
class Finding:
    screen: str
    kind: str  # "untranslated" | "unnamed" | "undescribed" | "focus-order"
    where: str  # the widget's class and object name
    text: str


def _where(widget: QWidget) -> str:
    name = widget.objectName()
    return f"{type(widget).__name__}{'#' + name if name else ''}"


def shown_texts(top: QWidget) -> Iterable[tuple[QWidget, str]]:
    """Every text ``top`` and its visible children show a person."""
    widgets = [top, *top.findChildren(QWidget)]
    for widget in widgets:
        if widget is not top and not widget.isVisibleTo(top):
            continue
        if widget.isWindow():
            yield widget, widget.windowTitle()
        if widget.toolTip():
            yield widget, widget.toolTip()
        if isinstance(widget, QLabel):
            yield widget, html.unescape(TAG.sub(" ", widget.text()))
        elif isinstance(widget, QAbstractButton):
            yield widget, widget.text()
        elif isinstance(widget, QLineEdit):
            yield widget, widget.placeholderText()
        elif isinstance(widget, QGroupBox):
            yield widget, widget.title()
        elif isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                yield widget, widget.tabText(i)
        elif isinstance(widget, QComboBox):
            for i in range(widget.count()):
                yield widget, widget.itemText(i)
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            yield widget, widget.toPlainText() if widget.isReadOnly() else widget.placeholderText()
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount()
            for column in range(columns):
                yield widget, str(model.headerData(column, Qt.Orientation.Horizontal) or "")
            for row in range(min(model.rowCount(), 30)):
                for column in range(columns):
                    yield widget, str(model.data(model.index(row, column)) or "")


def english_words(line: str, allowed: set[str]) -> list[str]:
    """The plain English words of ``line`` that are not data, codes, acronyms or key names."""
    words = ASCII_RUN.findall(NOT_WORDS.sub(" ", line))
    return [
        w
        for w in words
        if w not in allowed and w.lower() not in allowed and not ACRONYM.match(w) and not looks_like_voucher(w)
    ]  # a voucher code is data: about 1 in 30 has no digit (SCEPJAVZTDQ), and was taken for English


def untranslated(screen: str, top: QWidget, data_words: set[str]) -> list[Finding]:
    found: dict[tuple[str, str], Finding] = {}
    allowed = data_words | KEY_NAMES | KEYWORDS
    for widget, text in shown_texts(top):
        printed = widget.objectName() == "receiptPreview"  # the bytes the printer got, decoded
        for line in text.splitlines():
            english = english_words(line, allowed)
            if printed and any(mark in line for mark in PSEUDO_MARKS):
                english = []
            if english:
                key = (_where(widget), line.strip())
                found.setdefault(key, Finding(screen, "untranslated", key[0], line.strip()[:400]))
    return list(found.values())


def _walk(iface: QAccessibleInterface | None, depth: int = 0) -> Iterable[QAccessibleInterface]:
    if iface is None or not iface.isValid() or depth > 60:
        return
    yield iface
    for i in range(iface.childCount()):
        yield from _walk(iface.child(i), depth + 1)


def unnamed(screen: str, top: QWidget) -> list[Finding]:
    """The focusable controls of ``top``'s accessibility tree that a screen reader cannot name."""
    found: list[Finding] = []
    for iface in _walk(QAccessible.queryAccessibleInterface(top)):
        state = iface.state()
        if iface.role() not in CONTROL_ROLES or not state.focusable or state.invisible:
            continue
        obj = iface.object()
        if isinstance(obj, QWidget) and not obj.isVisibleTo(top):
            continue
        where = _where(obj) if isinstance(obj, QWidget) else iface.role().name
        if not iface.text(QAccessible.Text.Name).strip():
            found.append(Finding(screen, "unnamed", where, iface.role().name))
        elif not iface.text(QAccessible.Text.Description).strip():
            found.append(Finding(screen, "undescribed", where, iface.text(QAccessible.Text.Name)[:80]))
    return found


def _tab_stops(top: QWidget) -> list[QWidget]:
    """The controls Tab visits in ``top``, in the focus chain's order (each once)."""
    stops: list[QWidget] = []
    seen: set[int] = set()
    widget: QWidget | None = top.nextInFocusChain()
    while widget is not None and widget is not top and id(widget) not in seen:
        seen.add(id(widget))
        tab = bool(widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value)
        shown = widget.isVisibleTo(top) and widget.isEnabled() and top.isAncestorOf(widget)
        if tab and shown and widget.focusProxy() is None:
            stops.append(widget)
        widget = widget.nextInFocusChain()
    return stops


def focus_order(screen: str, top: QWidget) -> list[Finding]:
    """Where Tab goes from one control to one before it in reading order (see the module's doc)."""
    rtl = top.layoutDirection() == Qt.LayoutDirection.RightToLeft

    def place(widget: QWidget) -> QRect:
        r = widget.rect().translated(widget.mapTo(top, QPoint(0, 0)))
        if rtl:  # mirrored: reading goes from the right
            r.moveLeft(top.width() - r.right())
        return r

    found: list[Finding] = []
    stops = _tab_stops(top)
    if not stops:
        return found
    # Tab goes round: the chain is read from the control first in reading order, and its
    # wrap from the last control back to that one is not a step back (so two controls are
    # always in order; a third out of place is found)
    first = min(range(len(stops)), key=lambda i: (place(stops[i]).top(), place(stops[i]).left()))
    stops = stops[first:] + stops[:first]
    for before, after in zip(stops, stops[1:], strict=False):
        a, b = place(before), place(after)
        next_column = b.left() >= a.right()
        above = a.center().y() - b.center().y() > a.height() / 2 and not next_column
        same_row = abs(b.center().y() - a.center().y()) <= max(a.height(), b.height()) / 2
        if above or (same_row and b.right() <= a.left()):
            found.append(Finding(screen, "focus-order", f"{_where(before)} → {_where(after)}", _label(before, after)))
    return found


def _label(*widgets: QWidget) -> str:
    names = []
    for widget in widgets:
        iface = QAccessible.queryAccessibleInterface(widget)
        names.append(iface.text(QAccessible.Text.Name)[:40] if iface is not None else "")
    return " → ".join(names)


class Auditor:
    """Collects the findings of every screen grabbed, then writes them as JSON."""

    def __init__(self, path: Path, store_file: Path | None = None, locale: str = "en_US") -> None:
        self.path = path
        self.store_file = store_file
        self.data_words: set[str] = locale_words(locale) | {"Counter"}  # the product's name
        self.screens: list[str] = []
        self.findings: list[Finding] = []

    def allow(self, texts: Iterable[str]) -> None:
        """Words of data shown on screens (names, codes, typed notes): not English to translate."""
        for text in texts:
            self.data_words.update(ASCII_RUN.findall(text or ""))

    def audit(self, screen: str, top: QWidget) -> None:
        if self.store_file is not None:  # read again: the walk makes customers and cases as it goes
            self.data_words |= data_words(self.store_file)
        self.screens.append(screen)
        self.findings += untranslated(screen, top, self.data_words)
        self.findings += unnamed(screen, top)
        self.findings += focus_order(screen, top)

    def audit_document(self, name: str, text: str) -> None:
        """A printed or PDF document's text: each line that holds words must carry the
        pseudo-language's marks, or be data (a PDF's fonts and a printer's code page fold the
        accented letters, so letters alone cannot tell)."""
        if self.store_file is not None:
            self.data_words |= data_words(self.store_file)
        self.screens.append(name)
        allowed = self.data_words | KEY_NAMES | KEYWORDS
        for line in text.splitlines():
            if english_words(line, allowed) and not any(mark in line for mark in PSEUDO_MARKS):
                self.findings.append(Finding(name, "untranslated", "document", line.strip()[:400]))

    def write(self) -> None:
        self.path.write_text(
            json.dumps({"screens": self.screens, "findings": [asdict(f) for f in self.findings]}, indent=1),
            encoding="utf-8",
        )


#: the columns whose text is data a person typed or the store configured, not words to translate
DATA_COLUMNS = {
    "items": ("name", "sku"),
    "sale_lines": ("name",),  # a service's line: its name and what the desk typed
    "order_lines": ("name",),
    "users": ("name",),
    "customers": ("name", "email"),
    "customer_addresses": ("line1", "line2", "city", "region"),
    "categories": ("name",),
    "departments": ("name", "code"),
    "tax_classes": ("label",),
    "cases": ("subject", "follow_up_note", "resolution"),
    "contacts": ("words", "actions"),
    "case_events": ("text",),
    "referrals": ("note", "outcome"),
    "referral_notes": ("text",),
    "shifts": ("note",),
    "cash_movements": ("reason",),
    "approvals": ("reason",),
    "adjustments": ("reason", "competitor"),
    "tenders": ("card_brand",),
    "part_payments": ("card_brand",),
    "counters": ("name",),
    "settings": ("value",),
}


def locale_words(locale: str) -> set[str]:
    """Month and day names and the AM/PM marks of a locale: dates shown the store locale's way
    (counter.dates) are locale data from CLDR, not text of the catalogue."""
    from babel import Locale

    loc = Locale.parse(locale)
    words: set[str] = set()
    for table in (loc.months, loc.days):
        for context in table.values():
            for names in context.values():
                for name in names.values():
                    words.update(ASCII_RUN.findall(name))
    periods = loc.day_periods.get("format", {}).get("abbreviated", {})
    for mark in (periods.get("am", ""), periods.get("pm", "")):
        words.update(ASCII_RUN.findall(mark))
    return words


def data_words(db_file: Path) -> set[str]:
    """The words of the store's own data (names, notes, its settings) in a lane's store file."""
    import sqlite3

    words: set[str] = set()
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as conn:
        for table, columns in DATA_COLUMNS.items():
            for column in columns:
                try:
                    rows = conn.execute(f"SELECT DISTINCT {column} FROM {table}")  # noqa: S608 - names from the table above
                except sqlite3.Error:
                    continue
                for (value,) in rows:
                    words.update(ASCII_RUN.findall(str(value or "")))
    return words
