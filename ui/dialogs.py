"""Small keyboard-first dialogs of the sale screen: quantity, discount, cash, card.

Each validates what was typed before closing and says what is wrong inside the dialog,
so nothing half-typed ever reaches the cart. A barcode scanned into a dialog by mistake
(a long run of digits) is recognised and refused with a message that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from babel.numbers import NumberFormatError, parse_decimal
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from counter.errors import CounterError, InvalidAmount, InvalidQuantity
from counter.i18n import N_, _
from counter.money import Currency
from counter.sales.cart import MAX_QUANTITY, is_large_line, parse_quantity
from counter.sales.pricing import Discount
from counter.sales.tenders import CARD_BRANDS, CardDetails
from ui.fit import dialog_room, keep_inside, text_room

if TYPE_CHECKING:
    from devices.barcodes import ScanData

T = TypeVar("T")


def looks_like_scan(text: str) -> bool:
    digits = text.strip()
    return digits.isdigit() and len(digits) >= 8


SCAN_IN_DIALOG = N_("That looked like a barcode scan. Finish this window first (or press Esc), then scan again.")


class _FormScroll(QScrollArea):
    """The dialog's headline, form and error line, scrolling only when the screen is too
    low for them. Its size hint is the whole form (not QScrollArea's capped one), and the
    keys pass through it to the dialog: arrows and Page keys never scroll it away."""

    def __init__(self, body: QWidget) -> None:
        super().__init__()
        self.body = body
        self.setObjectName("dialogScroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        # up and down only: a form that scrolled sideways would hide its right end; the fields
        # give up the scroll bar's width instead
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setWidget(body)
        self.viewport().setAutoFillBackground(False)
        body.setAutoFillBackground(False)

    def body_height(self, width: int) -> int:
        body = self.body
        hint = body.heightForWidth(width) if body.hasHeightForWidth() else -1
        return max(hint, body.minimumSizeHint().height(), 0 if hint > 0 else body.sizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        width = max(self.body.sizeHint().width(), self.body.minimumSizeHint().width())
        return QSize(width, self.body_height(width))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        event.ignore()


class CounterDialog(QDialog):
    """A dialog with a headline, a form, an error line and OK/Cancel on Enter/Esc.

    It opens as large as its form asks, never larger than the screen's free area (the form
    scrolls there); an error shown later makes it taller so that the error wraps below
    the fields instead of covering them."""

    def __init__(self, parent: QWidget | None, title: str, headline: str) -> None:
        super().__init__(parent)
        self.setObjectName("counterDialog")
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 20)
        layout.setSpacing(8)
        body = QWidget()
        body.setObjectName("dialogBody")
        content = QVBoxLayout(body)
        content.setContentsMargins(24, 20, 24, 6)
        content.setSpacing(14)
        self.headline = QLabel(headline)
        self.headline.setObjectName("dialogHeadline")
        self.headline.setWordWrap(True)
        content.addWidget(self.headline)
        self.form = QFormLayout()
        self.form.setSpacing(10)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        content.addLayout(self.form)
        self.error = QLabel("")
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.error.hide()
        content.addWidget(self.error)
        content.addStretch(1)
        self.form_scroll = _FormScroll(body)
        layout.addWidget(self.form_scroll, 1)
        self.button_row = buttons = QHBoxLayout()
        buttons.setContentsMargins(24, 0, 24, 0)
        buttons.addStretch(1)
        self.cancel_button = QPushButton(_("Cancel  (Esc)"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.cancel_button.setAccessibleDescription(_("Closes this window without doing anything more (Esc)"))
        self.ok_button = QPushButton(_("OK  (Enter)"))
        self.ok_button.setObjectName("primary")
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self._ok_clicked)
        self.ok_button.setAccessibleDescription(_("Does what this window is for (Enter)"))
        self._enter_taken = False  # this Enter was handled by a field already (see _field_enter)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        layout.addLayout(buttons)
        self.first_field: QLineEdit | None = None

    # ------------------------------------------------------------ on the screen
    def _natural_height(self, width: int) -> int:
        """The height that shows the whole form at ``width`` without scrolling."""
        layout = self.layout()
        assert layout is not None
        margins = layout.contentsMargins()
        scroll_width = width - margins.left() - margins.right()
        chrome = margins.top() + margins.bottom() + layout.spacing()
        return self.form_scroll.body_height(scroll_width) + chrome + self.button_row.sizeHint().height()

    def setVisible(self, visible: bool) -> None:  # noqa: N802 - Qt naming
        """Before it first shows: as large as the form asks, within the screen's free area."""
        if visible and not self.isVisible():
            self._fit_to_screen()
        super().setVisible(visible)

    def _fit_to_screen(self) -> None:
        max_width, max_height = dialog_room(self.parentWidget() or self)
        self.setMinimumSize(min(self.minimumWidth(), max_width), min(self.minimumHeight(), max_height))
        self.ensurePolished()
        for edit in self.findChildren(QLineEdit):  # a field as wide as its placeholder says what to type
            if edit.placeholderText():
                edit.ensurePolished()
                needed = edit.width() - text_room(edit) + edit.fontMetrics().horizontalAdvance(edit.placeholderText())
                # a few pixels more: the focus frame is thicker than the resting one (high contrast)
                edit.setMinimumWidth(max(edit.minimumWidth(), min(needed + 6, max_width // 2)))
        layout = self.layout()
        assert layout is not None
        layout.activate()
        width = min(
            max(self.sizeHint().width(), self.minimumWidth(), self.width() if self.isVisible() else 0), max_width
        )
        natural = max(self._natural_height(width), self.minimumHeight())
        if natural > max_height:
            width = self._scrolling_width(width, max_width)
        self.resize(width, min(natural, max_height))

    def _scrolling_width(self, width: int, max_width: int) -> int:
        """The form scrolls up and down: as wide again as its scroll bar, so it never
        has to scroll sideways too."""
        layout = self.layout()
        assert layout is not None
        margins = layout.contentsMargins().left() + layout.contentsMargins().right()
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        body = max(self.form_scroll.body.minimumSizeHint().width(), self.form_scroll.body.sizeHint().width())
        return min(max(width, body + margins + bar + 2), max_width)

    def fit_height(self) -> None:
        """Taller, up to the screen's free height, when the form needs it (a long error)."""
        if not self.isVisible():
            return  # sized when it shows
        layout = self.layout()
        assert layout is not None
        layout.activate()
        max_width, max_height = dialog_room(self)
        natural = self._natural_height(self.width())
        width = self._scrolling_width(self.width(), max_width) if natural > max_height else self.width()
        wanted = min(natural, max_height)
        if wanted > self.height() or width > self.width():
            self.resize(width, max(wanted, self.height()))
            keep_inside(self)
        if self.error.isVisible():
            self.form_scroll.ensureWidgetVisible(self.error)

    def exec(self) -> int:
        """Run the dialog, then have Qt delete it on the GUI thread once control returns to
        the event loop (callers read its fields right after ``exec`` returns). A dialog run by
        ``exec`` is left owned by Python: kept alive it costs memory all day (every dialog is
        a child of its screen); caught in a reference cycle, the garbage collector could free
        it on whatever thread it runs on (a printer's), which crashes Qt."""
        try:
            return super().exec()
        finally:
            self.deleteLater()

    def line_edit(self, label: str, text: str = "", placeholder: str = "") -> QLineEdit:
        edit = QLineEdit(text)
        edit.setPlaceholderText(placeholder)
        edit.setMinimumHeight(40)
        edit.returnPressed.connect(self._field_enter)
        self.form.addRow(label, edit)
        if self.first_field is None:
            self.first_field = edit
        return edit

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt naming
        """The cursor starts in the field to type, with its text selected for overtyping."""
        super().showEvent(event)
        if self.first_field is not None:
            self.first_field.setFocus(Qt.FocusReason.OtherFocusReason)
            self.first_field.selectAll()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.fit_height()

    def validate(self) -> None:
        """Raise CounterError if the input is not acceptable; store the result otherwise."""

    def handle_scan(self, scan: ScanData) -> bool:
        """A scan while this dialog is open (see ui.devices.wedge): refused here, so that it lands
        neither in a field of the dialog nor in the sale behind it. Dialogs that want
        scans override this; returning False passes the scan to the screen behind."""
        self.show_error(_(SCAN_IN_DIALOG))
        return True

    def _field_enter(self) -> None:
        """Enter in a field. The same key press then reaches the dialog, which clicks its
        default button: that second go is skipped, so one Enter validates once (a first
        Enter that only warns, as a large quantity does, is not taken as the second)."""
        self._enter_taken = True
        QTimer.singleShot(0, self._enter_done)
        self._try_accept()

    def _enter_done(self) -> None:
        self._enter_taken = False

    def _ok_clicked(self) -> None:
        if not self._enter_taken:
            self._try_accept()

    def _try_accept(self) -> None:
        try:
            self.validate()
        except CounterError as exc:
            self.show_error(f"{exc.message} {exc.hint}".strip())
            return
        self.accept()


def _check_not_scan(text: str) -> None:
    if looks_like_scan(text):
        raise InvalidAmount(_(SCAN_IN_DIALOG))


class QuantityDialog(CounterDialog):
    """How many of an item. With its price, a large line (``is_large_line``: 100 or more, or
    $1,000 or more) is said with its amount and taken on a second Enter: 1,000 typed for
    100 never goes on the sale unseen."""

    def __init__(
        self,
        parent: QWidget | None,
        item_name: str,
        quantity: int,
        *,
        unit_price: Decimal | None = None,
        money: Callable[[Decimal], str] | None = None,
    ) -> None:
        super().__init__(parent, _("Quantity"), _("How many of {item}?").format(item=item_name))
        self.item_name = item_name
        self.edit = self.line_edit(_("Quantity"), str(quantity))
        self.edit.selectAll()
        self.value = quantity
        self.unit_price = unit_price
        self.money = money or str
        self._confirmed: int | None = None  # the large quantity already said once

    def validate(self) -> None:
        text = self.edit.text().strip()
        if looks_like_scan(text):  # a quantity first; a barcode typed (or scanned, wedge off) too
            raise InvalidQuantity(
                _("{typed} is more than {limit:,} of one item.").format(typed=text, limit=MAX_QUANTITY),
                _("Type the quantity. If that was a barcode, press Esc, then scan it on the sale."),
            )
        quantity = parse_quantity(text)
        if self.unit_price is not None and is_large_line(quantity, self.unit_price) and self._confirmed != quantity:
            self._confirmed = quantity
            raise InvalidQuantity(
                _("{quantity:,} × {item} comes to {amount}.").format(
                    quantity=quantity, item=self.item_name, amount=self.money(self.unit_price * quantity)
                ),
                _("Press Enter again if that is right, or change the quantity."),
            )
        self.value = quantity

    def handle_scan(self, scan: ScanData) -> bool:
        return False  # the next item, scanned while this is open: the sale screen adds it


def parse_discount(text: str, currency: Currency, locale: str = "en_US") -> Discount:
    cleaned = text.strip().replace(" ", "")
    if cleaned.endswith("%"):
        number = cleaned[:-1]
        try:
            value = parse_decimal(number, locale=locale, strict=True)
        except (ArithmeticError, NumberFormatError):
            raise InvalidAmount(
                _("“{typed}” is not a percentage.").format(typed=text.strip()), _("Type for example 10% or 2.50.")
            ) from None
        if not value.is_finite() or value <= 0 or value > 100:
            raise InvalidAmount(_("A percentage must be above 0 and at most 100."), _("Type for example 10%."))
        return Discount(True, value)
    return Discount(False, currency.parse(cleaned, locale=locale, allow_zero=False))


class DiscountDialog(CounterDialog):
    def __init__(
        self, parent: QWidget | None, title: str, headline: str, currency: Currency, locale: str = "en_US"
    ) -> None:
        super().__init__(parent, title, headline)
        self.currency, self.number_locale = currency, locale
        example = _("10%  or  {amount}").format(amount=currency.plain(Decimal("2.50"), locale))
        self.edit = self.line_edit(_("Discount"), placeholder=example)
        hint = QLabel(_("End with % for a percentage; otherwise it is an amount off."))
        hint.setObjectName("dialogHint")
        self.form.addRow("", hint)
        self.value: Discount | None = None

    def validate(self) -> None:
        _check_not_scan(self.edit.text())
        self.value = parse_discount(self.edit.text(), self.currency, self.number_locale)


class CashDialog(CounterDialog):
    """Amount tendered. Enter on an empty field means the exact amount."""

    def __init__(self, parent: QWidget | None, due: Decimal, currency: Currency, locale: str) -> None:
        # Translators: the title of the dialog taking a cash payment
        super().__init__(parent, _("Cash"), _("Cash due: {amount}").format(amount=currency.format(due, locale)))
        self.headline.setObjectName("dialogAmount")
        self.currency, self.due, self.number_locale = currency, due, locale
        exact = _("{amount}  (Enter = exact amount)").format(amount=currency.plain(due, locale))
        # Translators: the cash the customer hands over
        self.edit = self.line_edit(_("Tendered"), placeholder=exact)
        self.part = QCheckBox(_("Part payment: take this cash and the rest by card  (Alt+P)"))
        self.part.setShortcut("Alt+P")
        self.part.setAccessibleDescription(
            _("When checked, this cash pays part of the total and the card pays the rest")
        )
        self.form.addRow("", self.part)
        quick = QHBoxLayout()
        for note in _quick_notes(due):
            button = QPushButton(currency.format(note, locale))
            button.setAutoDefault(False)
            button.setAccessibleDescription(_("Takes this amount as the cash handed over"))
            button.clicked.connect(lambda _checked=False, n=note: self._quick(n))
            quick.addWidget(button)
        # Translators: buttons for the usual banknotes handed over (one press: that much cash)
        self.form.addRow(_("Quick"), quick)
        self.tendered = due
        self.part_payment = False

    def _quick(self, note: Decimal) -> None:
        self.edit.setText(self.currency.plain(note, self.number_locale))
        self._try_accept()

    def validate(self) -> None:
        text = self.edit.text().strip()
        _check_not_scan(text)
        self.tendered = self.currency.parse(text, locale=self.number_locale, allow_zero=False) if text else self.due
        self.part_payment = self.part.isChecked()
        if self.tendered < self.due and not self.part_payment:
            raise InvalidAmount(
                _("{tendered} is less than the {due} due.").format(
                    tendered=self.currency.format(self.tendered), due=self.currency.format(self.due)
                ),
                _("Take more cash, or tick Part payment (Alt+P) and take the rest by card."),
            )


def _quick_notes(due: Decimal) -> list[Decimal]:
    notes: list[Decimal] = []
    for n in (5, 10, 20, 50, 100):
        note = Decimal(n)
        if note > due and len(notes) < 3:
            notes.append(note)
    return notes


class CardDialog(CounterDialog):
    """Card paid on the external terminal: record brand, last 4 and approval code only."""

    def __init__(self, parent: QWidget | None, remaining: Decimal, currency: Currency, locale: str) -> None:
        headline = _("Card: charge {amount} on the terminal").format(amount=currency.format(remaining, locale))
        # Translators: the title of the dialog recording a card payment
        super().__init__(parent, _("Card"), headline)
        self.headline.setObjectName("dialogAmount")
        self.currency, self.remaining, self.number_locale = currency, remaining, locale
        self.last4 = QLineEdit()  # first in focus: the amount is usually right already
        self.approval = QLineEdit()
        self.first_field = self.last4
        self.amount = self.line_edit(_("Amount"), currency.plain(remaining, locale))
        self.brand = QComboBox()
        self.brand.addItems(CARD_BRANDS)
        self.brand.setMinimumHeight(40)
        # Translators: the card's brand (Visa, Mastercard...)
        self.form.addRow(_("Brand"), self.brand)
        self._field(self.last4, _("Last 4 digits"), "4242", 4)
        self._field(self.approval, _("Approval code"), _("from the terminal's slip"), 12)
        self.amount_value = remaining
        self.card: CardDetails | None = None

    def _field(self, edit: QLineEdit, label: str, placeholder: str, length: int) -> None:
        edit.setPlaceholderText(placeholder)
        edit.setMaxLength(length)
        edit.setMinimumHeight(40)
        edit.returnPressed.connect(self._advance_or_accept)
        self.form.addRow(label, edit)

    def _advance_or_accept(self) -> None:
        """Enter in "last 4" moves on to the approval code; Enter there takes the card."""
        if self.focusWidget() is self.last4 and not self.approval.text():
            self.approval.setFocus()
        else:
            self._try_accept()

    def validate(self) -> None:
        _check_not_scan(self.amount.text())
        self.amount_value = self.currency.parse(self.amount.text(), locale=self.number_locale, allow_zero=False)
        if self.amount_value > self.remaining:
            raise InvalidAmount(
                _("Only {amount} is due.").format(amount=self.currency.format(self.remaining)),
                _("Charge the card for that amount or less."),
            )
        self.card = CardDetails.checked(self.brand.currentText(), self.last4.text(), self.approval.text())


def ask(dialog: CounterDialog, result: Callable[[], T]) -> T | None:
    """Run a dialog; its result when accepted, None when cancelled. The dialog is deleted
    once control returns to the event loop: each one is a child of its screen, and keeping
    every cash dialog of the day alive cost ~50 MB per 400 sales (bench/cold_start.py)."""
    try:
        return result() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()


class VoucherDialog(CounterDialog):
    """Pay with a store-credit voucher: scan or type its code, see its balance."""

    def __init__(self, parent: QWidget | None, ctx: object, remaining: Decimal) -> None:
        from app.context import AppContext

        assert isinstance(ctx, AppContext)
        super().__init__(
            parent,
            _("Store credit"),
            _("Store credit: up to {amount}").format(amount=ctx.store.currency.format(remaining, ctx.store.locale)),
        )
        self.ctx, self.remaining = ctx, remaining
        self.code_edit = self.line_edit(_("Voucher code"), placeholder=_("scan the voucher, or type the code (SC…)"))
        self.amount = self.line_edit(_("Amount"), placeholder=_("Enter = all that is due, up to the balance"))
        self.code: str | None = None
        self.balance = Decimal(0)
        self.amount_value = Decimal(0)

    def handle_scan(self, scan: ScanData) -> bool:
        """The voucher's barcode: its code goes in the code field, and Enter is pressed."""
        self.code_edit.setText(scan.text)
        self._try_accept()
        return True

    def validate(self) -> None:
        from counter.sales.vouchers import check_voucher_code

        code = check_voucher_code(self.code_edit.text())
        with self.ctx.read_uow() as uow:
            balance = uow.vouchers.balance(code)
        if balance is None:
            raise InvalidAmount(
                _("No store-credit voucher has the code {code}.").format(code=code), _("Check the code on the voucher.")
            )
        if balance <= 0:
            raise InvalidAmount(_("Voucher {code} has been spent.").format(code=code), _("Take another tender."))
        text = self.amount.text().strip()
        cur = self.ctx.store.currency
        amount = (
            cur.parse(text, locale=self.ctx.store.locale, allow_zero=False) if text else min(balance, self.remaining)
        )
        if amount > balance:
            raise InvalidAmount(
                _("Voucher {code} holds only {amount}.").format(code=code, amount=cur.format(balance)),
                _("Take that much from it."),
            )
        self.code, self.balance, self.amount_value = code, balance, amount
