"""First run: create the vault, show the recovery key once, then ask who the authority is.

The officer types a passphrase twice (with a strength indication) and,
optionally, their name. The vault is created off the GUI thread (the key
derivation takes about half a second); the recovery key is then shown until
the officer ticks "I have stored it". Then the authority's name, LA number and
the officer's contact details are asked (``authority_page``) and saved to the
settings, so no document says just "Local Authority"; only then is ``created``
emitted with the unlocked database.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.errors import CmeError
from cme_desktop.services.vault.unlock import CreatedVault, Vault
from cme_desktop.ui import background, look, prompts
from cme_desktop.ui.fields import EnterAdvances, add_row, card_pages
from cme_desktop.ui.vault.authority_page import AuthorityPage
from cme_desktop.ui.vault.passphrase import NewPassphraseFields
from cme_desktop.ui.vault.recovery_key import RecoveryKeyPanel

if TYPE_CHECKING:  # the database modules load after the screen is drawn
    from cme_desktop.services.vault.database import Database


def _create_asking_authority(vault: Vault, passphrase: str, actor: str) -> CreatedVault:
    """A new vault that notes its authority page is still to be answered, so that quitting
    before it is answered brings the page back after the next unlock."""
    from cme_desktop.services.settings import SettingsService

    created = vault.create(passphrase, actor=actor)
    settings = SettingsService(created.db)
    # The vault is made: if this cannot be saved (a full disk), the page is asked now all
    # the same, only not again after a quit. The name typed with the passphrase is kept.
    with suppress(CmeError):
        settings.save(replace(settings.load(), authority_pending=True, officer_name=actor))
    return created


class FirstRunPage(QWidget):
    """Creates a new vault; emits ``created(db, officer_name)`` once the key is stored."""

    created = Signal(object, str)

    def __init__(self, vault: Vault, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vault = vault
        self._db: Database | None = None
        self.stack = card_pages(self, max_width=620)
        self.stack.addWidget(self._create_page())
        self.recovery = RecoveryKeyPanel()
        self.recovery.confirmed.connect(self._ask_authority)
        self.stack.addWidget(self.recovery)
        self.authority = AuthorityPage()
        self.authority.submitted.connect(self._save_authority)
        self.stack.addWidget(self.authority)

    def _create_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        look.add_heading(
            layout,
            "Welcome to CME Desktop",
            "The case records are kept in an encrypted vault on this computer. Choose the "
            "passphrase that will open it. Nobody, including IT support, can open the vault "
            "without the passphrase or the recovery key shown next.",
        )
        form = QFormLayout()
        self.officer_name = QLineEdit()
        self.officer_name.setPlaceholderText("As it should appear on letters and forms")
        add_row(form, "Your &name:", self.officer_name, name="Your name")
        layout.addLayout(form)
        self.passphrase = NewPassphraseFields(label="&Passphrase:")
        layout.addWidget(self.passphrase)
        self.location = QLabel(f"Vault: {self.vault.path}")
        look.role(self.location, "hint")
        self.location.setWordWrap(True)
        self.location.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.location)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.create_button = QPushButton("Cr&eate vault")
        self.create_button.setDefault(True)
        self.create_button.setAccessibleName("Create vault")
        self.create_button.clicked.connect(self.create_vault)
        buttons.addWidget(self.create_button)
        layout.addLayout(buttons)
        EnterAdvances(page, self.create_button)  # Enter in any field creates the vault
        return page

    def focus_first(self) -> None:
        self.officer_name.setFocus()

    def is_busy(self) -> bool:
        """True while a new vault's recovery key waits to be confirmed."""
        return self.recovery.is_pending()

    def create_vault(self) -> None:
        """Create the vault from what was typed (off the GUI thread)."""
        if not self.create_button.isEnabled():
            return
        try:
            passphrase = self.passphrase.passphrase()
        except CmeError as exc:
            prompts.error(self, "Create the vault", exc)
            self.passphrase.first.setFocus()
            return
        self.create_button.setEnabled(False)
        actor = self.officer_name.text().strip()
        background.run(
            self,
            lambda: _create_asking_authority(self.vault, passphrase, actor),
            on_done=self._created,
            on_error=self._failed,
        )

    def _created(self, created: CreatedVault) -> None:
        self._db = created.db
        self.passphrase.clear()
        self.recovery.show_key(created.recovery_key)
        self.stack.setCurrentWidget(self.recovery)

    def _failed(self, exc: BaseException) -> None:
        self.create_button.setEnabled(True)
        prompts.error(self, "Create the vault", exc)

    def _ask_authority(self) -> None:
        self.authority.fill(officer_name=self.officer_name.text().strip())
        self.stack.setCurrentWidget(self.authority)
        self.authority.focus_first()

    def _save_authority(self) -> None:
        """Check and save the authority's details, then hand the vault on."""
        from cme_desktop.services.settings import SettingsService, with_authority

        if self._db is None:
            return
        service = SettingsService(self._db)
        try:
            service.save(with_authority(service.load(), self.authority.answers()))
        except CmeError as exc:
            prompts.error(self, "Your authority", exc)
            self.authority.focus_field(getattr(exc, "field", None))
            return
        self.officer_name.setText(self.authority.officer_name.text().strip())
        self._finish()

    def _finish(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            self.created.emit(db, self.officer_name.text().strip())

    def abandon(self) -> None:
        """Close a vault created but not yet handed on (the window is closing)."""
        if self._db is not None:
            self._db.close()
            self._db = None
