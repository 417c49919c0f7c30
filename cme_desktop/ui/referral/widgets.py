"""Small input widgets of the referral editor and the escalation wizard.

``ChoiceButtons``: a row of toggle buttons where at most one is down and none
means "not answered" (a radio group cannot be cleared). By keyboard it works
like a radio group: Tab enters the row at the chosen answer (else the first),
the arrow keys move along it and Space chooses. ``UkDateEdit``: a
line edit that reads a date the way an officer types it, day first
(``2/4/13``, ``02/04/2013``, ``2 April 2013``) and shows it back as
``dd/mm/yyyy``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from cme_desktop.services.rules.dates import format_uk_date, parse_uk_date
from cme_desktop.ui import look

UNCERTAIN_TIP = "Check this: the form was hard to read here"


def uncertain_style() -> str:
    """The style sheet of a field to check (the import review's doubtful values)."""
    return look.boxed_style("uncertain")


class ChoiceButtons(QFrame):
    """One of a few answers, or none. ``value()`` is the chosen answer's value, else ``None``.

    ``answered()`` tells "not answered" from an answer whose value is ``None``
    (the wizard's "Not known").
    """

    changed = Signal()

    def __init__(self, choices: Sequence[tuple[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChoiceButtons")
        self._values = [value for _, value in choices]
        layout = QHBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(2)
        self.buttons: list[QPushButton] = []
        # No QButtonGroup: exclusive by hand, so that clicking the chosen button again
        # clears the answer, and because a group lets Tab reach only the button that last
        # had focus, and its arrow keys move nowhere unless the group is exclusive.
        for index, (label, _) in enumerate(choices):
            button = QPushButton(label, self)
            button.setCheckable(True)
            # Enter belongs to the dialog (Next, Save), not to the answer that has focus.
            button.setAutoDefault(False)
            button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _checked=False, i=index: self._clicked(i))
            button.installEventFilter(self)
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addStretch(1)
        self._tab_stop()
        self.set_highlight(False)

    def set_highlight(self, on: bool) -> None:
        """Mark the answer for checking (the import review's uncertain fields)."""
        frame = f" ChoiceButtons {{ {uncertain_style()} }}" if on else ""
        self.setStyleSheet(look.choice_style() + frame)

    def _clicked(self, index: int) -> None:
        for i, button in enumerate(self.buttons):
            if i != index:
                button.setChecked(False)
        self._tab_stop()
        self.changed.emit()

    def _tab_stop(self) -> None:
        """Tab stops at the chosen answer (else the first): one stop per row, as in a
        radio group; the other answers are a press of an arrow key away."""
        chosen = next((b for b in self.buttons if b.isChecked()), self.buttons[0])
        for button in self.buttons:
            focus = Qt.FocusPolicy.StrongFocus if button is chosen else Qt.FocusPolicy.ClickFocus
            button.setFocusPolicy(focus)
        self.setFocusProxy(chosen)  # focusing the row (Alt+letter, a finding) focuses it

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and watched in self.buttons
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(Qt.Key(event.key()), 0)
            if step:
                assert isinstance(watched, QPushButton)
                self._move_focus(self.buttons.index(watched) + step, step)
                return True
        return super().eventFilter(watched, event)

    def _move_focus(self, index: int, step: int) -> None:
        """Focus the next usable answer along the row (it is not chosen until Space)."""
        while 0 <= index < len(self.buttons):
            button = self.buttons[index]
            if button.isEnabled() and button.isVisible():
                reason = (
                    Qt.FocusReason.BacktabFocusReason if step < 0 else Qt.FocusReason.TabFocusReason
                )
                button.setFocus(reason)
                return
            index += step

    def answered(self) -> bool:
        """True when one of the buttons is down."""
        return any(b.isChecked() for b in self.buttons)

    def value(self) -> Any:
        """The chosen answer's value; ``None`` when none is chosen."""
        for button, value in zip(self.buttons, self._values, strict=True):
            if button.isChecked():
                return value
        return None

    def set_value(self, value: Any, *, answered: bool | None = None) -> None:
        """Choose the answer with ``value`` (none when no answer has it).

        ``answered=True`` chooses the answer whose value is ``None`` too.
        """
        chosen = answered if answered is not None else value is not None
        for button, own in zip(self.buttons, self._values, strict=True):
            button.setChecked(chosen and own == value)
        self._tab_stop()

    def choose(self, label: str) -> None:
        """Click the button labelled ``label``, as the officer would."""
        for button in self.buttons:
            if button.text() == label:
                button.click()
                return
        raise KeyError(label)

    def set_available(self, available: bool) -> None:
        """Enable the buttons, or clear the answer and disable them."""
        if not available:
            self.set_value(None)
        self.setEnabled(available)


class UkDateEdit(QLineEdit):
    """A date typed day first; shown back as ``dd/mm/yyyy`` once the officer leaves the field."""

    def __init__(self, parent: QWidget | None = None, *, today: date | None = None) -> None:
        super().__init__(parent)
        self._today = today
        self.setPlaceholderText("dd/mm/yyyy")
        self.setMaximumWidth(140)
        self.editingFinished.connect(self.tidy)

    def date_value(self) -> date | None:
        """The date typed, or ``None`` when blank or unreadable."""
        return parse_uk_date(self.text(), today=self._today)

    def iso(self) -> str | None:
        day = self.date_value()
        return day.isoformat() if day else None

    def unreadable(self) -> bool:
        """True when something is typed that is not a date."""
        return bool(self.text().strip()) and self.date_value() is None

    def set_iso(self, value: str | None) -> None:
        self.setText(format_uk_date(date.fromisoformat(value)) if value else "")

    def tidy(self) -> None:
        """Show a readable date as ``dd/mm/yyyy``."""
        day = self.date_value()
        if day is not None and self.text() != format_uk_date(day):
            self.setText(format_uk_date(day))


def message_label(parent: QWidget | None = None) -> QLabel:
    """The line under a field where its warning or error appears."""
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setVisible(False)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def show_message(label: QLabel, text: str, severity: str) -> None:
    """Show ``text`` under a field (red for an error, amber for a warning); hide when blank."""
    look.role(label, "error" if severity == "error" else "caution")
    label.setText(text)
    label.setVisible(bool(text))


def hint_label(text: str, parent: QWidget | None = None) -> QLabel:
    """Grey, italic help text in the policy's words."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    look.role(label, "hint")
    font = label.font()
    font.setItalic(True)
    label.setFont(font)
    return label
