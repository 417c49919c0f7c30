"""What Settings and the Reports window show on a shared server in place of the vault's own.

A vault's passphrase, recovery key, remembered unlock and monthly encrypted copy belong
to one file on one laptop; on a server there is none of them. The officer logs in with
their own server login, whose password the council's database administrator manages,
and the server's backups are the administrator's (pg_dump, point-in-time recovery:
docs/server.md). So instead of offering those actions and then refusing them, the
window says what applies: the server and login in use, and who to ask.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from cme_desktop.services.registry import AppServices
from cme_desktop.ui import look
from cme_desktop.ui.fields import add_row

#: What a server's backups are, for Settings and the Reports window.
BACKUPS = (
    "Backups are the server's: the council's database administrator (DBA) keeps them "
    "with pg_dump and point-in-time recovery (PITR). Ask your DBA to restore anything. "
    "The monthly encrypted copy is made only by a vault on one computer."
)
#: Where a server login's password comes from.
PASSWORD = (
    "Your password is your server login's: the DBA sets it, and it is changed with them. "
    "There is no passphrase or recovery key on a server."
)


def on_server(services: AppServices) -> bool:
    """Whether the window works on a shared server (not a vault)."""
    return services.db.kind == "server"


def _note(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    return label


def server_security_page(services: AppServices, idle_minutes: QSpinBox) -> QWidget:
    """The Security tab on a server: the idle time, the connection in use, and who keeps
    the password and the backups."""
    page = QWidget()
    form = QFormLayout(page)
    add_row(form, "&Log out after no use for:", idle_minutes, name="Idle log-out time")
    address = getattr(services.db, "address", None)
    where = _note(str(address) if address is not None else "", "Server connection in use")
    # Selectable: the DBA may ask for it, exactly as written.
    where.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    form.addRow("Server:", where)
    login = getattr(address, "username", "")
    form.addRow("Your login:", _note(login, "Your server login"))
    form.addRow("Password:", _note(PASSWORD, "Password"))
    form.addRow("Backups:", _note(BACKUPS, "Backups"))
    return page


class ServerBackupsPage(QWidget):
    """The Reports window's backups tab on a server: whose they are, and nothing to press."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        heading = QLabel("Backups of the shared server")
        look.role(heading, "subheading")
        layout.addWidget(heading)
        self.note = _note(BACKUPS, "Backups")
        layout.addWidget(self.note)
        layout.addStretch(1)
