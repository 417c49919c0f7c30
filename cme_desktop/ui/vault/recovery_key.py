"""Showing the recovery key once: on screen, and on paper through the print dialog.

The key is never written to a file: it goes to the printer the officer picks
(the dialog offers no "print to file") and is dropped from the screen when
the officer confirms it is stored.
"""

from __future__ import annotations

import html
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QTextDocument
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui import look, prompts
from cme_desktop.ui.fields import EnterAdvances


def recovery_page_html(key: str, *, on: date) -> str:
    """The printed page: the key, large, and what it is for."""
    return (
        "<h2>CME Desktop &mdash; vault recovery key</h2>"
        f"<p>Made on {html.escape(format_date(on))}.</p>"
        "<p style='font-size:20pt; font-family:monospace; letter-spacing:2px'>"
        f"<b>{html.escape(key)}</b></p>"
        "<p>This key opens the case vault if the passphrase is forgotten: on the unlock "
        "screen choose <i>Unlock with the recovery key</i>, type the key, then choose a "
        "new passphrase.</p>"
        "<p>Keep this page in the manager's safe. Anyone holding it and a copy of the vault "
        "file can read every case, so do not photograph, scan, e-mail or file it.</p>"
    )


def print_recovery_key(parent: QWidget | None, key: str) -> bool:
    """Print the recovery key page; False when the officer cancels the print dialog."""
    printer = prompts.choose_printer(parent, "Print the recovery key", allow_file=False)
    if printer is None:
        return False
    doc = QTextDocument()
    doc.setHtml(recovery_page_html(key, on=date.today()))
    doc.print_(printer)
    return True


class RecoveryKeyPanel(QWidget):
    """The key shown once, a Print button, and "I have stored it" before Continue."""

    confirmed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._key = ""
        layout = QVBoxLayout(self)
        look.add_heading(
            layout,
            "Your recovery key",
            "If the passphrase is ever forgotten, this key is the only way into the vault. "
            "It is shown this once: print it, or write it down, and give it to your manager "
            "to keep in the safe.",
        )
        self.key_label = QLabel()
        look.role(self.key_label, "recovery_key")
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setWeight(QFont.Weight.Bold)
        self.key_label.setFont(font)
        self.key_label.setAccessibleName("Recovery key")
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.key_label)
        row = QHBoxLayout()
        self.print_button = QPushButton("&Print…")
        self.print_button.setAccessibleName("Print the recovery key")
        self.print_button.clicked.connect(self._print)
        row.addWidget(self.print_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.stored = QCheckBox("I have &stored the recovery key safely")
        self.stored.setAccessibleName("I have stored the recovery key")
        layout.addWidget(self.stored)
        self.continue_button = QPushButton("C&ontinue")
        self.continue_button.setEnabled(False)
        self.continue_button.setDefault(True)
        self.continue_button.setAccessibleName("Continue")
        self.stored.toggled.connect(self.continue_button.setEnabled)
        self.continue_button.clicked.connect(self._confirm)
        end = QHBoxLayout()
        end.addStretch(1)
        end.addWidget(self.continue_button)
        layout.addLayout(end)
        layout.addStretch(1)
        # Enter on the ticked check box continues (it cannot while the box is unticked).
        EnterAdvances(self, self.continue_button)

    def show_key(self, key: str) -> None:
        self._key = key
        self.key_label.setText(key)
        self.stored.setChecked(False)
        self.print_button.setFocus()

    def is_pending(self) -> bool:
        """True while a key is on screen that the officer has not confirmed storing."""
        return bool(self._key)

    def _print(self) -> None:
        if print_recovery_key(self, self._key):
            self.stored.setFocus()

    def _confirm(self) -> None:
        if not self.stored.isChecked():
            return
        self._key = ""
        self.key_label.clear()
        self.confirmed.emit()
