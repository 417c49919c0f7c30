"""Every message box and file dialog goes through here, so tests replace one module."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QShowEvent
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
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


class ProtectionBox(QMessageBox):
    """Save a file that names children: "Protect with a password" ticked, Save the default.

    The tick box has the focus when the box opens, so Space changes it and Enter saves.
    """

    def __init__(self, parent: QWidget | None, title: str, text: str) -> None:
        super().__init__(
            QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent
        )
        self.save_button = self.addButton("&Save…", QMessageBox.ButtonRole.AcceptRole)
        self.setDefaultButton(self.save_button)
        self.setEscapeButton(QMessageBox.StandardButton.Cancel)
        self.protect_box = QCheckBox("&Protect with a password")
        self.protect_box.setAccessibleName("Protect with a password")
        self.protect_box.setChecked(True)
        self.setCheckBox(self.protect_box)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.protect_box.setFocus()

    def answer(self) -> bool | None:
        """True: protect; False: unprotected; None: cancelled."""
        if self.clickedButton() is not self.save_button:
            return None
        return self.protect_box.isChecked()


def ask_protection(parent: QWidget | None, title: str, text: str) -> bool | None:
    """Before saving a file that names children: protect it (True), not (False), or cancel (None).

    Unticked, the caller asks ``confirm`` with ``protection.outputs.UNPROTECTED_WARNING``.
    """
    box = ProtectionBox(parent, title, text)
    box.exec()
    return box.answer()


def restore_or_discard(parent: QWidget | None, title: str, text: str) -> str:
    """'restore', 'discard' or 'later' (Escape: asked again at the next unlock) — for
    the unsaved changes kept when the vault locked by itself."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton)
    box.setParent(parent, box.windowFlags())
    restore = box.addButton("&Restore", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("&Discard", QMessageBox.ButtonRole.DestructiveRole)
    later = box.addButton("Decide &later", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore)
    box.setEscapeButton(later)
    box.exec()
    clicked = box.clickedButton()
    return "restore" if clicked is restore else "discard" if clicked is discard else "later"


def reload_or_keep(parent: QWidget | None, title: str, text: str) -> str:
    """'reload', 'keep' or 'cancel' — for a save refused because someone else saved first."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.NoButton)
    box.setParent(parent, box.windowFlags())
    reload = box.addButton("&Reload their version", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("&Keep my changes", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    reload.setAccessibleName("Reload the case as the other person saved it")
    keep.setAccessibleName("Save my changes on top of the other person's")
    box.setDefaultButton(keep)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    return "reload" if clicked is reload else "keep" if clicked is keep else "cancel"


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
