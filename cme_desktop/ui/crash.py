"""When something nobody foresaw goes wrong: a plain message instead of a vanished window.

``install(window, log)`` logs every exception nothing caught, on the GUI
thread or any other (``services.diagnostics.install_exception_hooks``), and
shows ``CrashDialog`` on the GUI thread: the record is safe, the details are
in the log, and "Copy diagnostics" puts what the helpdesk needs on the
clipboard. The window goes on working; an unsaved edit is still in it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import PySide6
from PySide6.QtCore import QObject, QSize, Qt, Signal, qVersion
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.diagnostics import (
    LogSession,
    diagnostics_text,
    install_exception_hooks,
)
from cme_desktop.ui.screen_fit import fit_window

TITLE = "Something went wrong"


def toolkit_versions() -> str:
    """The Qt and PySide6 versions in use, for the helpdesk."""
    return f"{qVersion()} (PySide6 {PySide6.__version__})"


def copy_diagnostics(*, vault_path: Path | None, log: LogSession | None) -> str:
    """Put the diagnostics (``services.diagnostics.diagnostics_text``) on the clipboard."""
    text = diagnostics_text(vault_path=vault_path, log=log, toolkit=toolkit_versions())
    QApplication.clipboard().setText(text)
    return text


def crash_message(log: LogSession | None) -> str:
    """What the officer reads: the record is safe, and where the details are."""
    where = (
        f"The details are in the log at:\n{log.path}"
        if log is not None and log.path is not None
        else "No log could be written on this computer."
    )
    return (
        "Something went wrong. The record is safe: every change you saved is in the vault.\n\n"
        f"{where}\n\n"
        "If it happens again, tell your IT service desk: Copy diagnostics puts what they need "
        "on the clipboard (versions and the log, nothing about any child)."
    )


class CrashDialog(QDialog):
    """The plain message shown after an unforeseen error, with "Copy diagnostics"."""

    def __init__(
        self, parent: QWidget | None, *, vault_path: Path | None, log: LogSession | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setObjectName("crashDialog")
        self.setAccessibleName(TITLE)
        self._vault_path = vault_path
        self._log = log
        self.message = QLabel(crash_message(log))
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.message.setAccessibleName("What happened")
        self.copied = QLabel("")
        self.copied.setAccessibleName("Copy result")
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.copied)
        layout.addWidget(buttons)
        fit_window(self, QSize(560, 260))
        close.setFocus()

    def copy(self) -> None:
        copy_diagnostics(vault_path=self._vault_path, log=self._log)
        self.copied.setText("Copied: paste it into your message to the IT service desk.")


class CrashReporter(QObject):
    """Shows ``CrashDialog`` on the GUI thread, whichever thread failed; one at a time."""

    failed = Signal()

    def __init__(self, window: QWidget, *, vault_path: Path | None, log: LogSession | None):
        super().__init__(window)
        self._window = window
        self._vault_path = vault_path
        self._log = log
        self.dialog: CrashDialog | None = None
        # Queued when the error was on another thread: widgets are made on the GUI thread only.
        self.failed.connect(self._show)

    def _show(self) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            return  # one message says it; a second error adds only to the log
        parent = self._window if self._window.isVisible() else None
        self.dialog = CrashDialog(parent, vault_path=self._vault_path, log=self._log)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.destroyed.connect(self._forget)
        self.dialog.open()

    def _forget(self) -> None:
        self.dialog = None


def install(
    window: QWidget, *, vault_path: Path | None, log: LogSession | None
) -> Callable[[], None]:
    """Log every uncaught exception and show ``CrashDialog`` over ``window``.

    Returns what puts Python's hooks back (at the end of the program, or of a test).
    """
    reporter = CrashReporter(window, vault_path=vault_path, log=log)  # kept by its parent

    def report() -> None:
        # RuntimeError: the window is already gone (the program is ending); the log has it.
        with contextlib.suppress(RuntimeError):
            reporter.failed.emit()

    return install_exception_hooks(report)
