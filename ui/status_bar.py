"""The main window's status bar, whose items make room and whose messages wrap (GUI thread).

Its permanent items (who is signed in, the terminal, the shift, the printer, sync) each
keep their whole text. When the bar is too narrow for all of them, or a message needs the
room beside them, the items that may yield step aside in the order they were given (the
terminal first: the window's title names it too), and come back when the message goes
or the window widens. An item that says something wrong (the lane offline or refused by HQ)
is *held*: it stays, and the others step aside for it. A message still too long for one line
wraps: the bar grows a line.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizeGrip, QStatusBar, QStyle, QStyleOption, QWidget

#: room kept between the message and the first item, and at the bar's ends
GAP = 24
EDGE = 6
WRAP = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap


class CounterStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("counterStatus")
        self.yielding: list[QWidget] = []  # items that may step aside, the first first
        self.stepped_aside: set[QWidget] = set()
        self.held: set[QWidget] = set()  # items that must be seen now: they do not step aside
        self.messageChanged.connect(lambda _text: self.make_room())

    def add_item(self, widget: QWidget, *, may_yield: bool = False) -> None:
        """A permanent item; ``may_yield``: it steps aside when room is short (in the order added)."""
        self.addPermanentWidget(widget)
        if may_yield:
            self.yielding.append(widget)

    def hold(self, widget: QWidget, held: bool) -> None:
        """Keep ``widget`` on the bar whatever the room (``held``), or let it yield again."""
        if held == (widget in self.held):
            return
        if held:
            self.held.add(widget)
        else:
            self.held.discard(widget)
        self.make_room()

    def _may_yield(self) -> list[QWidget]:
        return [w for w in self.yielding if w not in self.held]

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        """As narrow as the items that never yield: the others step aside rather than
        make the window wider than its screen."""
        layout = self.layout()
        spacing = layout.spacing() if layout is not None else 0
        yielding = self._may_yield()
        staying = [w for w in self._items() if w not in yielding and w not in self.stepped_aside]
        width = sum(w.sizeHint().width() + spacing for w in staying) + GAP
        return QSize(width, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.make_room()

    def _items(self) -> list[QWidget]:
        return [
            w
            for w in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if not isinstance(w, QSizeGrip) and not w.isWindow() and w.isVisibleTo(self)
        ]

    def event(self, event: QEvent) -> bool:
        """An item's text or visibility changed (a longer printer state, the "not printed"
        key shown): make room again, once the bar has laid itself out."""
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self.make_room()
        return handled

    def make_room(self) -> None:
        """Items step aside until the others and the message fit on one line (or none is
        left to yield); only what changes is shown or hidden, so this settles at once."""
        message = self.currentMessage()
        layout = self.layout()
        spacing = layout.spacing() if layout is not None else 0
        yielding = self._may_yield()
        staying = [w for w in self._items() if w not in yielding]
        staying += [w for w in self.held & self.stepped_aside if w not in staying]  # held since it stepped aside
        shown = staying + [w for w in yielding if w.isVisibleTo(self) or w in self.stepped_aside]
        used = sum(w.sizeHint().width() + spacing for w in shown)
        wanted = self.fontMetrics().horizontalAdvance(message) + GAP if message else 0
        aside: set[QWidget] = set()
        for widget in yielding:
            if used + wanted <= self.width() - GAP:
                break
            if widget in shown:
                aside.add(widget)
                used -= widget.sizeHint().width() + spacing
        for widget in self.stepped_aside - aside:
            widget.show()
        for widget in aside - self.stepped_aside:
            widget.hide()
        self.stepped_aside = aside
        room = self.width() - used - GAP - 2 * EDGE
        fits = used + wanted <= self.width() - GAP
        lines = self.fontMetrics().boundingRect(QRect(0, 0, max(room, 40), 10_000), WRAP, message).height()
        height = lines + 2 * EDGE if message and not fits else 0
        if height != self.minimumHeight():
            self.setMinimumHeight(height)
        self.update()

    def message_rect(self) -> QRect:
        """Where the message is drawn: from the left end to the first item."""
        right = min((w.geometry().x() for w in self._items() if w.isVisible()), default=self.width())
        return QRect(EDGE, 0, max(0, right - 2 * EDGE), self.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt naming
        """QStatusBar's own painting, but the message wraps instead of being cut."""
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, option, painter, self)
        message = self.currentMessage()
        if message:
            painter.setPen(self.palette().windowText().color())
            painter.drawText(self.message_rect(), WRAP, message)
        painter.end()
