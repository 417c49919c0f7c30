"""The password of a protected file, shown once, and a clipboard that forgets it.

Used wherever a file leaves the vault encrypted (an exported referral, the
escalation summary): the password is shown this once with a Copy button, the
clipboard is cleared after ``CLIPBOARD_SECONDS`` if it still holds it, and the
officer is reminded to send it by another channel.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QMimeData, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.ui.screen_fit import fit_wrapped, largest_size

#: How long a copied password may stay on the clipboard.
CLIPBOARD_SECONDS = 30
SEND_SEPARATELY = (
    "Send the password by another channel: read it out over the phone or send it by "
    "text message. Never put it in the same email as the file."
)

# Marks the clipboard entry as a secret, so that clipboard managers and the Windows
# clipboard history do not keep it (formats that systems without them ignore).
_SECRET_HINTS = (
    ("x-kde-passwordManagerHint", b"secret"),
    (
        'application/x-qt-windows-mime;value="ExcludeClipboardContentFromMonitorProcessing"',
        b"\x01\x00\x00\x00",
    ),
    (
        'application/x-qt-windows-mime;value="CanIncludeInClipboardHistory"',
        b"\x00\x00\x00\x00",
    ),
)


def copy_secret(text: str, *, clear_after_ms: int, owner: QObject | None = None) -> None:
    """Put ``text`` on the clipboard and take it off after ``clear_after_ms``.

    The clipboard is cleared only if it still holds ``text``: what the officer copied
    since is left alone. ``owner`` (default: the application) keeps the timer alive
    after the dialog that copied has closed.
    """
    clipboard = QGuiApplication.clipboard()
    mime = QMimeData()
    mime.setText(text)
    for kind, value in _SECRET_HINTS:
        if kind.startswith("application/x-qt-windows-mime") and sys.platform != "win32":
            continue
        mime.setData(kind, value)
    clipboard.setMimeData(mime)

    def clear() -> None:
        if clipboard.text() == text:
            clipboard.clear()

    context = owner if owner is not None else QGuiApplication.instance()
    if context is not None:
        QTimer.singleShot(clear_after_ms, context, clear)


class PasswordShownOnce(QDialog):
    """The password of an exported file, shown this once, with Copy and the reminder."""

    def __init__(
        self,
        password: str,
        *,
        file_name: str,
        clear_after_ms: int = CLIPBOARD_SECONDS * 1000,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("The file's password")
        self._password = password
        self._clear_after_ms = clear_after_ms
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"<b>{_escape(file_name)}</b> is protected with this password. "
            "It is shown only now: it is not kept anywhere."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.password_label = QLabel(password)
        self.password_label.setObjectName("exportPassword")
        self.password_label.setAccessibleName("Password")
        self.password_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.password_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.5)
        font.setWeight(QFont.Weight.Bold)
        self.password_label.setFont(font)
        layout.addWidget(self.password_label)
        row = QHBoxLayout()
        row.addStretch(1)
        self.copy_button = QPushButton("&Copy")
        # Enter means Done wherever the focus is; Copy is Space or Alt+C.
        self.copy_button.setAutoDefault(False)
        self.copy_button.setAccessibleName("Copy the password")
        self.copy_button.clicked.connect(self.copy)
        row.addWidget(self.copy_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.copied_label = QLabel("")
        self.copied_label.setWordWrap(True)
        layout.addWidget(self.copied_label)
        reminder = QLabel(f"<b>{_escape(SEND_SEPARATELY)}</b>")
        reminder.setObjectName("warning")
        reminder.setWordWrap(True)
        layout.addWidget(reminder)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.done_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.done_button.setText("&Done")
        self.done_button.setDefault(True)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.finished.connect(self._forget)
        # Wrapped text is never cut off: the height is worked out for the width chosen.
        width = min(self.fontMetrics().averageCharWidth() * 64, largest_size(parent).width())
        width = max(width, self.password_label.sizeHint().width() + 40)
        fit_wrapped(self, width)

    def copy(self) -> None:
        """Copy the password; it leaves the clipboard after the interval."""
        copy_secret(self._password, clear_after_ms=self._clear_after_ms)
        seconds = max(1, round(self._clear_after_ms / 1000))
        self.copied_label.setText(
            f"Copied. The clipboard will be cleared in {seconds} seconds if it still holds "
            "the password."
        )
        fit_wrapped(self, self.width())

    def _forget(self) -> None:
        # Shown once: nothing on screen or in this dialog keeps it afterwards.
        self._password = ""
        self.password_label.clear()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
