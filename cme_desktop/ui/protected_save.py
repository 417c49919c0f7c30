"""Saving a file that names children: protected by default, unprotected only once confirmed.

Shared by the Reports window and the visit sheets: the question with "Protect with a
password" ticked, the confirmation an unprotected file needs, the generated password
(at most 32 characters, so that every PDF reader takes it), and the dialog that shows it
once and says where the file went. The file itself is written by
``services.protection.outputs.ProtectedFiles``, which audits an unprotected one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QWidget

from cme_desktop.services.protection.outputs import UNPROTECTED_WARNING
from cme_desktop.services.protection.passwords import generate_short_password
from cme_desktop.ui import prompts
from cme_desktop.ui.password_shown_once import PasswordShownOnce


@dataclass(frozen=True)
class Choice:
    """How the officer chose to save: with this password, or (``None``) unprotected."""

    password: str | None

    @property
    def protected(self) -> bool:
        return self.password is not None


def choose(parent: QWidget | None, title: str, text: str) -> Choice | None:
    """Ask whether to protect the file; unticked, confirm. ``None`` when the officer cancels."""
    protect = prompts.ask_protection(parent, title, text)
    if protect is None:
        return None
    if protect:
        return Choice(generate_short_password())
    if not prompts.confirm(parent, title, UNPROTECTED_WARNING):
        return None
    return Choice(None)


def show_password(
    password: str, path: Path, parent: QWidget, *, title: str = "", name: str = ""
) -> PasswordShownOnce:
    """The saved file's password, shown once, naming where the file was saved (not modal)."""
    dialog = PasswordShownOnce(password, file_name=str(path), parent=parent)
    if title:
        dialog.setWindowTitle(title)
    if name:
        dialog.setObjectName(name)
    dialog.open()
    return dialog
