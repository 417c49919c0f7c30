"""Small input widgets of the referral editor and the escalation wizard.

``ChoiceButtons``: a row of toggle buttons where at most one is down and none
means "not answered" (a radio group cannot be cleared). ``UkDateEdit``: a
line edit that reads a date the way an officer types it, day first
(``2/4/13``, ``02/04/2013``, ``2 April 2013``) and shows it back as
``dd/mm/yyyy``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from cme_desktop.services.rules.dates import format_uk_date, parse_uk_date

UNCERTAIN_TIP = "Check this: the form was hard to read here"
UNCERTAIN_STYLE = "background-color: #fff1b8; border: 1px solid #c99a00;"
WARNING_COLOUR = "#8a5a00"
_CHOICE_STYLE = """
QPushButton { padding: 3px 12px; border: 1px solid #8c96a3; border-radius: 3px;
              background: #f7f8fa; color: #1b1b1b; }
QPushButton:hover { background: #e8eef8; }
QPushButton:checked { background: #1f5fbf; color: white; border-color: #174a94; }
QPushButton:disabled { color: #b4b4b4; background: #f0f0f0; border-color: #d4d4d4; }
QPushButton:focus { border: 2px dotted #1f5fbf; }
"""
ERROR_COLOUR = "#b00020"


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
        self._group = QButtonGroup(self)
        # Exclusive by hand, so that clicking the chosen button again clears the answer.
        self._group.setExclusive(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(2)
        self.buttons: list[QPushButton] = []
        for index, (label, _) in enumerate(choices):
            button = QPushButton(label, self)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            self._group.addButton(button, index)
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addStretch(1)
        self._group.idClicked.connect(self._clicked)
        self.set_highlight(False)

    def set_highlight(self, on: bool) -> None:
        """Mark the answer for checking (the import review's uncertain fields)."""
        frame = f"ChoiceButtons {{ {UNCERTAIN_STYLE} }}" if on else ""
        self.setStyleSheet(_CHOICE_STYLE + frame)

    def _clicked(self, index: int) -> None:
        for i, button in enumerate(self.buttons):
            if i != index:
                button.setChecked(False)
        self.changed.emit()

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
    colour = ERROR_COLOUR if severity == "error" else WARNING_COLOUR
    label.setStyleSheet(f"color: {colour};")
    label.setText(text)
    label.setVisible(bool(text))


def hint_label(text: str, parent: QWidget | None = None) -> QLabel:
    """Grey, italic help text in the policy's words."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet("color: #555; font-style: italic;")
    return label
