"""First run, last step: the authority and how to reach its named officer.

Asked once the recovery key is stored, so that no form, letter or report ever
goes out from "Local Authority": the authority's name, its three-digit LA
number, and the officer's name, title, telephone, email and address. Focus
starts on the first field; Enter moves to the next one, and on the last one
saves. The answers are checked by ``services.settings.with_authority``; a
problem is shown in words and the field it names gets the focus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.ui import look
from cme_desktop.ui.fields import add_row

if TYPE_CHECKING:  # the settings load the database modules, after the screen is drawn
    from cme_desktop.services.settings import AuthorityAnswers


class AuthorityPage(QWidget):
    """The authority's details; ``submitted`` when Save is pressed (``answers`` reads them)."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        look.add_heading(
            layout,
            "Your authority",
            "These details go on every referral form, letter and report, so that schools, "
            "families and other authorities know who to contact. They can be changed later "
            "in Settings.",
        )
        form = QFormLayout()
        self.authority_name = QLineEdit()
        self.authority_name.setPlaceholderText("e.g. Leicestershire County Council")
        self.la_number = QLineEdit()
        self.la_number.setPlaceholderText("3 digits, e.g. 855")
        self.la_number.setMaxLength(3)
        self.officer_name = QLineEdit()
        self.officer_title = QLineEdit()
        self.officer_title.setPlaceholderText("Children Missing Education Officer")
        self.phone = QLineEdit()
        self.email = QLineEdit()
        self.email.setPlaceholderText("name@council.gov.uk")
        self.address = QLineEdit()
        self.address.setPlaceholderText("Office address, as it should appear on letters")
        add_row(form, "A&uthority:", self.authority_name, name="Authority name")
        add_row(form, "&LA number:", self.la_number, name="LA number")
        add_row(form, "Your &name:", self.officer_name, name="Your name")
        add_row(form, "Job &title:", self.officer_title, name="Job title")
        add_row(form, "Tele&phone:", self.phone, name="Telephone")
        add_row(form, "E&mail:", self.email, name="Email")
        add_row(form, "Office a&ddress:", self.address, name="Office address")
        layout.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.save_button = QPushButton("&Save and start")
        self.save_button.setAccessibleName("Save the authority's details and start")
        self.save_button.clicked.connect(self.submit)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        #: The fields in order: Enter moves along them.
        self.fields: dict[str, QLineEdit] = {
            "authority_name": self.authority_name,
            "la_number": self.la_number,
            "officer_name": self.officer_name,
            "officer_title": self.officer_title,
            "contact_phone": self.phone,
            "contact_email": self.email,
            "contact_address": self.address,
        }
        self._enter = _EnterMovesOn(self, list(self.fields.values()), self.save_button)

    def fill(self, *, officer_name: str = "", officer_title: str = "") -> None:
        """Start from what is known already (the name typed with the passphrase)."""
        self.officer_name.setText(officer_name)
        self.officer_title.setText(officer_title)

    def focus_first(self) -> None:
        self.authority_name.setFocus()

    def answers(self) -> AuthorityAnswers:
        from cme_desktop.services.settings import AuthorityAnswers

        return AuthorityAnswers(
            authority_name=self.authority_name.text(),
            la_number=self.la_number.text(),
            officer_name=self.officer_name.text(),
            officer_title=self.officer_title.text(),
            contact_phone=self.phone.text(),
            contact_email=self.email.text(),
            contact_address=self.address.text(),
        )

    def focus_field(self, name: str | None) -> None:
        """Put the focus on the field a problem names (the first one if none)."""
        widget = self.fields.get(name or "", self.authority_name)
        widget.setFocus()
        widget.selectAll()

    def submit(self) -> None:
        self.submitted.emit()


class _EnterMovesOn(QObject):
    """Enter in a field moves to the next field; in the last one, presses the button."""

    def __init__(self, page: QWidget, fields: list[QLineEdit], button: QPushButton) -> None:
        super().__init__(page)
        self.fields = fields
        self.button = button
        for field in fields:
            field.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and watched in self.fields
        ):
            at = self.fields.index(watched)
            if at + 1 < len(self.fields):
                self.fields[at + 1].setFocus()
            else:
                self.button.click()
            return True
        return super().eventFilter(watched, event)
