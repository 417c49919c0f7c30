"""The login screen of ``cme-desktop --server URL``: the officer's own server login.

Shown instead of the vault's unlock screen (and again after each lock). The address is
fixed by the command line; the login name comes from it (or the computer's user name)
and may be changed; the password is asked unless the address carries one or the OS
credential store keeps one for this address, and may be remembered there. Logging in
runs in the background (a server may take seconds to answer); what went wrong is said
on the page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.errors import CmeError
from cme_desktop.services.server import connection, schema
from cme_desktop.services.server.connection import ServerAddress
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.vault.secret_store import SecretStore
from cme_desktop.ui import background, look
from cme_desktop.ui.fields import EnterAdvances, add_row, card_pages

if TYPE_CHECKING:
    from cme_desktop.services.vault.database import Database


def log_in(
    address: ServerAddress,
    password: str,
    *,
    store: SecretStore | None = None,
    remember: bool = False,
) -> Database:
    """Connect to ``address`` and check its schema is this program's; keep the password in
    ``store`` when asked (only once the login worked)."""
    db = ServerDatabase.connect(address, password or None)
    try:
        if not schema.is_current(db.engine):
            raise CmeError(
                f"The database at {address} is not set up for this version of CME Desktop. "
                f"Ask its administrator to run: cme --server {address} server-upgrade"
            )
        if remember and store is not None:
            connection.remember_password(address, store, password)
    except BaseException:
        db.close()
        raise
    return db


class ServerLoginPage(QWidget):
    """Emits ``unlocked(db)`` with the connected server database."""

    unlocked = Signal(object)
    #: A login is about to start (in the background): what it needs must be loaded.
    starting = Signal()

    def __init__(
        self,
        address: ServerAddress,
        store: SecretStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.address = address
        self.store = store
        self._busy = False
        self.stack = card_pages(self, max_width=560)
        page = QWidget()
        layout = QVBoxLayout(page)
        heading = QLabel("Log in to the CME server")
        look.role(heading, "heading")
        layout.addWidget(heading)
        where = QLabel(f"{address.host}:{address.port}, database {address.database}")
        look.role(where, "hint")
        where.setWordWrap(True)
        where.setAccessibleName("Server")
        layout.addWidget(where)
        form = QFormLayout()
        self.login = QLineEdit(address.username)
        add_row(form, "&Login:", self.login, name="Server login")
        self.password = QLineEdit(address.password or "")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        add_row(form, "&Password:", self.password, name="Server password")
        layout.addLayout(form)
        self.remember = QCheckBox("Re&member the password on this computer")
        self.remember.setAccessibleName("Remember the password on this computer")
        self.remember.setToolTip(
            "Keep the password in this computer's credential store, so that signing in to "
            "Windows is enough to log in to the server from here."
        )
        self.remember.setVisible(store is not None)
        layout.addWidget(self.remember)
        self.message = QLabel()
        look.role(self.message, "problem")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Login message")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.login_button = QPushButton("&Log in")
        self.login_button.setDefault(True)
        self.login_button.setAccessibleName("Log in")
        self.login_button.clicked.connect(self.log_in)
        buttons.addWidget(self.login_button)
        layout.addLayout(buttons)
        EnterAdvances(page, self.login_button)
        self.stack.addWidget(page)

    @property
    def busy(self) -> bool:
        """True while an unlock (or login) is under way."""
        return self._busy

    def focus_first(self) -> None:
        (self.login if not self.login.text() else self.password).setFocus()

    def _address(self) -> ServerAddress:
        from dataclasses import replace

        return replace(self.address, username=self.login.text().strip(), password=None)

    def log_in(self) -> None:
        """Log in with the name and password typed (or the password kept for them)."""
        if self._busy:
            return
        if not self.login.text().strip():
            self.message.setText("Type your server login.")
            self.login.setFocus()
            return
        address = self._address()
        password = self.password.text() or connection.stored_password(address, self.store)
        if not password:
            self.message.setText("Type your password for the server.")
            self.password.setFocus()
            return
        remember = self.remember.isVisible() and self.remember.isChecked()
        self._busy = True
        self.login_button.setEnabled(False)
        self.message.setText("Logging in…")
        self.starting.emit()
        store = self.store
        background.run(
            self,
            lambda: log_in(address, password, store=store, remember=remember),
            on_done=self._done,
            on_error=self._failed,
        )

    def _done(self, db: Database) -> None:
        self._busy = False
        self.login_button.setEnabled(True)
        self.password.clear()
        self.message.clear()
        self.unlocked.emit(db)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.login_button.setEnabled(True)
        self.message.setText(exc.message if isinstance(exc, CmeError) else str(exc))
        self.password.selectAll()
        self.password.setFocus()
