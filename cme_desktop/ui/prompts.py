"""Every message box and file dialog goes through here, so tests replace one module."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from cme_desktop.services.errors import CmeError


def info(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def warn(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def error(parent: QWidget | None, title: str, problem: BaseException | str) -> None:
    """Show what went wrong in the officer's words (a CmeError's own message)."""
    if isinstance(problem, CmeError):
        text = problem.message
    elif isinstance(problem, BaseException):
        text = f"Something unexpected went wrong ({type(problem).__name__}): {problem}"
    else:
        text = problem
    QMessageBox.critical(parent, title, text)


def confirm(parent: QWidget | None, title: str, text: str, *, default_yes: bool = False) -> bool:
    default = QMessageBox.StandardButton.Yes if default_yes else QMessageBox.StandardButton.No
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        default,
    )
    return answer == QMessageBox.StandardButton.Yes


def save_discard_cancel(parent: QWidget | None, title: str, text: str) -> str:
    """'save', 'discard' or 'cancel' — for the unsaved-changes guard."""
    buttons = (
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    answer = QMessageBox.question(parent, title, text, buttons, QMessageBox.StandardButton.Save)
    if answer == QMessageBox.StandardButton.Save:
        return "save"
    if answer == QMessageBox.StandardButton.Discard:
        return "discard"
    return "cancel"


def ask_password(parent: QWidget | None, title: str, label: str) -> str | None:
    """A password, never echoed; ``None`` when the officer cancels."""
    text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Password)
    return text if ok else None


def ask_text(parent: QWidget | None, title: str, label: str, value: str = "") -> str | None:
    text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, value)
    return text if ok else None


def open_file(parent: QWidget | None, caption: str, filters: str) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, caption, "", filters)
    return Path(name) if name else None


def open_files(parent: QWidget | None, caption: str, filters: str) -> list[Path]:
    names, _ = QFileDialog.getOpenFileNames(parent, caption, "", filters)
    return [Path(n) for n in names]


def open_folder(parent: QWidget | None, caption: str) -> Path | None:
    name = QFileDialog.getExistingDirectory(parent, caption)
    return Path(name) if name else None


def save_file(parent: QWidget | None, caption: str, suggested: str, filters: str) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, caption, suggested, filters)
    return Path(name) if name else None


def choose_printer(
    parent: QWidget | None, title: str, *, allow_file: bool = True
) -> QPrinter | None:
    """The printer the officer picks in the print dialog; ``None`` when they cancel.

    ``allow_file=False`` hides "print to file" for pages that must never be
    written to disk (the recovery key).
    """
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(title)
    if not allow_file:
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintToFile, False)
    return printer if dialog.exec() == QDialog.DialogCode.Accepted else None
