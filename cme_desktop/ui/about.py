"""Help > About CME Desktop: the version, where the vault and the log are, the licences.

The third-party notices (``resources/licences/THIRD-PARTY-NOTICES.md``) open
first; every licence text shipped beside them can be chosen and read in the
same scrolling view, as the LGPL asks for Qt. "Copy diagnostics" gives the
helpdesk the same text as after an unforeseen error.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.resource_files import resource_path
from cme_desktop.services.diagnostics import LogSession, version_line
from cme_desktop.ui.crash import copy_diagnostics
from cme_desktop.ui.screen_fit import fit_window

NOTICES = "THIRD-PARTY-NOTICES.md"


def licence_texts() -> list[Path]:
    """The notices first, then every licence text shipped, by name."""
    folder = resource_path(f"licences/{NOTICES}").parent
    others = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.name != NOTICES),
        key=lambda p: p.name.lower(),
    )
    return [folder / NOTICES, *others]


class AboutDialog(QDialog):
    """What the program is, which version, where its files are, and whose work it uses."""

    def __init__(
        self, parent: QWidget | None, *, vault_path: Path | None, log: LogSession | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About CME Desktop")
        self.setObjectName("aboutDialog")
        self.setAccessibleName("About CME Desktop")
        self._vault_path = vault_path
        self._log = log
        self.version = QLabel(version_line())
        self.version.setObjectName("aboutVersion")
        font = self.version.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.version.setFont(font)
        blurb = QLabel(
            "The case records of the Children Missing Education named officer, kept in an "
            "encrypted vault on this computer."
        )
        blurb.setWordWrap(True)
        self.vault = self._path_field(vault_path, "Vault file", "none open")
        self.log_file = self._path_field(
            log.path if log is not None else None, "Log file", "not written"
        )
        places = QFormLayout()
        places.addRow("&Vault:", self.vault)
        places.addRow("&Log:", self.log_file)

        self.texts = licence_texts()
        self.choice = QComboBox()
        self.choice.setAccessibleName("Licence text to show")
        self.choice.addItems(["Third-party notices", *(path.name for path in self.texts[1:])])
        chosen = QLabel("Third-party l&icences:")
        chosen.setBuddy(self.choice)
        self.viewer = QTextBrowser()
        self.viewer.setObjectName("licenceText")
        self.viewer.setAccessibleName("Licence text")
        self.viewer.setOpenExternalLinks(True)
        # Tab leaves the text for the buttons instead of stepping through its many links;
        # the arrow keys and Page Up/Down scroll it, and the text can be selected to copy.
        self.viewer.setTabChangesFocus(True)
        self.viewer.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.choice.currentIndexChanged.connect(self._show_text)

        buttons = QDialogButtonBox()
        self.copy_button = QPushButton("&Copy diagnostics")
        self.copy_button.setAccessibleName("Copy diagnostics")
        self.copy_button.setAutoDefault(False)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        close.setDefault(True)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy)
        self.copied = QLabel("")
        self.copied.setAccessibleName("Copy result")

        layout = QVBoxLayout(self)
        layout.addWidget(self.version)
        layout.addWidget(blurb)
        layout.addLayout(places)
        layout.addWidget(chosen)
        layout.addWidget(self.choice)
        layout.addWidget(self.viewer, 1)
        layout.addWidget(self.copied)
        layout.addWidget(buttons)
        self._show_text(0)
        fit_window(self, QSize(780, 640))
        close.setFocus()

    @staticmethod
    def _path_field(path: Path | None, name: str, missing: str) -> QLineEdit:
        field = QLineEdit(str(path) if path is not None else missing)
        field.setReadOnly(True)
        field.setAccessibleName(name)
        field.setCursorPosition(0)
        return field

    def _show_text(self, index: int) -> None:
        path = self.texts[index]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = f"{path.name} cannot be read from the program's folder."
        if path.suffix.lower() == ".md":
            self.viewer.setMarkdown(text)
        else:
            self.viewer.setPlainText(text)

    def copy(self) -> None:
        copy_diagnostics(vault_path=self._vault_path, log=self._log)
        self.copied.setText("Diagnostics copied to the clipboard.")
