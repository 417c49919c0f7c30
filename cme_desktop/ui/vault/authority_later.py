"""The authority page again, after an unlock, when the first run was left before it.

The first run asks for the authority and the officer's contact details last
(``authority_page``). An officer who quits there has a vault without them, and
every PDF would say "Local Authority"; the vault notes the page as unanswered
(``Settings.authority_pending``), and after the next unlock the same page is
shown in a dialog. Saving it clears the note; "Later" leaves it for the next
unlock.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from cme_desktop.services.errors import CmeError
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import with_authority
from cme_desktop.ui import prompts
from cme_desktop.ui.screen_fit import fit_window
from cme_desktop.ui.vault.authority_page import AuthorityPage
from cme_desktop.ui.window import Window

TITLE = "Your authority"


class AuthorityDialog(QDialog):
    """The first run's authority page in a dialog: Save and start, or Later."""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle(TITLE)
        layout = QVBoxLayout(self)
        self.page = AuthorityPage()
        self.page.save_button.setText("&Save")
        self.page.save_button.setAccessibleName("Save the authority's details")
        layout.addWidget(self.page)
        row = QHBoxLayout()
        row.addStretch(1)
        self.later_button = QPushButton("Ask me &later")
        self.later_button.setAccessibleName("Ask for the authority's details at the next unlock")
        self.later_button.setAutoDefault(False)
        self.later_button.clicked.connect(self.reject)
        row.addWidget(self.later_button)
        layout.addLayout(row)
        settings = services.settings.load()
        self.page.fill(officer_name=settings.officer_name, officer_title=settings.officer_title)
        self.page.submitted.connect(self.save)
        # Wide enough for an authority's name and an office address on one line each.
        fit_window(self, QSize(max(560, self.sizeHint().width()), self.sizeHint().height()))
        self.page.focus_first()

    def save(self) -> None:
        """Check and save the answers; a problem is told and its field gets the focus."""
        service = self.services.settings
        try:
            service.save(with_authority(service.load(), self.page.answers()))
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            self.page.focus_field(getattr(exc, "field", None))
            return
        self.accept()


def ask_if_unanswered(window: Window) -> AuthorityDialog | None:
    """After an unlock: the authority page, if the first run was left before it was answered."""
    services = window.services
    if services is None:
        return None
    try:
        settings = services.settings.load()
    except CmeError:
        return None  # the unlock's own checks tell what is wrong with the vault
    if not settings.authority_pending or settings.configured:
        return None
    dialog = AuthorityDialog(services, window.widget())
    dialog.open()
    return dialog


def install(window: Window) -> None:
    """Ask for the authority's details after an unlock while they are still unanswered."""
    window.on_unlock(lambda: ask_if_unanswered(window))
