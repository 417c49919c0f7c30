"""Small input widgets shared by forms: a date field that may be left blank, a labelled form,
and the labels that name every field for a screen reader (``label_for``, ``add_row``).

``DateField`` reads what an officer types (``02/04/2013``, ``2 Apr 2013``,
``2013-04-02``) with the referral record's own date reader, tidies it to
``dd/mm/yyyy`` when focus leaves, and marks itself when it cannot be read.
"""

from __future__ import annotations

import html
import re
from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.dates import format_uk_date, parse_uk_date
from cme_desktop.ui import look


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """A red border while the field cannot be saved as typed."""
    look.mark_invalid(widget, invalid)


class DateField(QLineEdit):
    """A date typed day first; blank means not known."""

    def __init__(self, field: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.label = label
        self.setPlaceholderText("dd/mm/yyyy")
        self.setAccessibleName(label)
        self.setMaxLength(40)
        self.editingFinished.connect(self._tidy)
        self.textChanged.connect(lambda _t: mark_invalid(self, False))

    def problem(self) -> str | None:
        """Why the text is not a date, or ``None`` when it is one (or blank)."""
        text = self.text().strip()
        if text and parse_uk_date(text) is None:
            return f"{self.label}: '{text}' is not a date (write it as dd/mm/yyyy)."
        return None

    def value(self) -> date | None:
        """The date typed; raises ``InvalidInput`` when it cannot be read."""
        problem = self.problem()
        if problem:
            mark_invalid(self, True)
            raise InvalidInput(problem, field=self.field)
        text = self.text().strip()
        return parse_uk_date(text) if text else None

    def set_value(self, value: date | None) -> None:
        self.setText(format_uk_date(value) if value else "")
        mark_invalid(self, False)

    def _tidy(self) -> None:
        text = self.text().strip()
        if not text:
            return
        parsed = parse_uk_date(text)
        if parsed is None:
            mark_invalid(self, True)
        elif format_uk_date(parsed) != text:
            self.setText(format_uk_date(parsed))


def plain_label(text: str) -> str:
    """A label's words as a screen reader should say them: no markup, no '&' shortcut
    marker, no closing colon."""
    if "<" in text:
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    else:
        text = text.replace("&&", "\0").replace("&", "").replace("\0", "&")
    return " ".join(text.split()).rstrip(":").strip()


def name_field(widget: QWidget, text: str) -> None:
    """Give ``widget`` the accessible name ``text`` (its label, see ``plain_label``).

    A row of answer buttons (a ``ChoiceButtons``) is named as a group and each
    answer is described by the question, so that a screen reader says "Yes,
    toggle button, <the question>" rather than a bare "Yes".
    """
    name = plain_label(text)
    widget.setAccessibleName(name)
    for button in widget.findChildren(QAbstractButton):
        if not button.accessibleDescription():
            button.setAccessibleDescription(name)


def label_for(widget: QWidget, text: str, *, name: str = "") -> QLabel:
    """A label for ``widget``: its buddy (Alt+letter moves there) and its accessible name.

    Every field gets its label through here (or ``add_row``), so no field is left
    without a name a screen reader can say.
    """
    label = QLabel(text)
    label.setBuddy(widget)
    name_field(widget, name or text)
    return label


def add_row(form: QFormLayout, text: str, widget: QWidget, *, name: str = "") -> QLabel:
    """A form row whose label is the widget's buddy (Alt+letter) and accessible name."""
    label = label_for(widget, text, name=name)
    form.addRow(label, widget)
    return label


def buttons_in_order(box: QDialogButtonBox, after: QWidget | None = None) -> None:
    """Tab through a dialog's buttons as they stand, left to right (after ``after``).

    Qt's own order follows the order the buttons were added, not where the platform's
    layout puts them, and with a default button set it can pass over the others
    altogether; the officer tabbing from the last field must reach every button.
    """
    layout = box.layout()
    chain: list[QWidget] = [after] if after is not None else []
    if layout is not None:
        # Each button's place in the layout, asked by the button: walking the layout's
        # items would make a Python object of each spacer too, which Qt may delete and
        # reuse the memory of while that object still stands for it.
        placed = [(layout.indexOf(b), n, b) for n, b in enumerate(box.buttons())]
        chain += [b for at, _n, b in sorted(placed, key=lambda p: (p[0], p[1])) if at >= 0]
    for before, following in zip(chain, chain[1:], strict=False):
        QWidget.setTabOrder(before, following)


def plain(text: str) -> str:
    """Text for a button or check box shown as written: '&' is not a shortcut marker."""
    return text.replace("&", "&&")


class WrappingCheckBox(QWidget):
    """A check box whose long label wraps (the policy's group names are long)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.box = QCheckBox()
        self.box.setAccessibleName(text)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.box, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        self.toggled = self.box.toggled
        self.setFocusProxy(self.box)

    def isChecked(self) -> bool:
        return self.box.isChecked()

    def setChecked(self, on: bool) -> None:
        self.box.setChecked(on)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        # A click on the wrapped label ticks the box, as a click on a check box's text would.
        if event.button() == Qt.MouseButton.LeftButton:
            self.box.toggle()
            self.box.setFocus()
            event.accept()
            return
        super().mousePressEvent(event)


class EnterAdvances(QObject):
    """Enter on a page that is not a dialog presses the page's main button.

    In a dialog Qt does this itself; on the unlock and first-run pages (parts of
    the main window) Enter on a check box or a field would otherwise do nothing.
    Enter on a focused push button presses that button, as in a dialog.
    """

    def __init__(self, page: QWidget, button: QPushButton) -> None:
        super().__init__(page)
        self.page = page
        self.button = button
        page.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.page
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            focused = self.page.focusWidget()
            target = focused if isinstance(focused, QPushButton) else self.button
            if target.isVisible() and target.isEnabled():
                target.click()
            return True
        return super().eventFilter(watched, event)


def card_pages(owner: QWidget, *, max_width: int) -> SwitchedPages:
    """Pages in a card centred on ``owner`` (the vault's first-run and unlock screens)."""
    outer = QVBoxLayout(owner)
    outer.addStretch(1)
    card = QFrame()
    look.role(card, "card")
    card.setMaximumWidth(max_width)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(card, 3)
    row.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(2)
    stack = SwitchedPages()
    QVBoxLayout(card).addWidget(stack)
    return stack


class SwitchedPages(QWidget):
    """Pages shown one at a time that, unlike QStackedWidget, size to the page shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._pages: list[QWidget] = []
        self._current = -1

    def addWidget(self, page: QWidget) -> int:
        self._pages.append(page)
        self._layout.addWidget(page)
        if self._current < 0:
            self._current = 0
        page.setVisible(len(self._pages) - 1 == self._current)
        return len(self._pages) - 1

    def setCurrentIndex(self, index: int) -> None:
        self._current = index
        for i, page in enumerate(self._pages):
            page.setVisible(i == index)

    def setCurrentWidget(self, page: QWidget) -> None:
        self.setCurrentIndex(self._pages.index(page))

    def currentIndex(self) -> int:
        return self._current

    def currentWidget(self) -> QWidget | None:
        return self._pages[self._current] if 0 <= self._current < len(self._pages) else None
