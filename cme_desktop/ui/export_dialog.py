"""Export referral…: a case's referral as a password-protected PDF or Word file.

The officer chooses the format, the file, who the referral is for (a partner
agency, policy 2.1) and the password: generated (words to read out over the
phone) or typed. The export runs off the GUI thread through ``ExportService``,
which encrypts in memory and writes atomically. The password is then shown once,
with a Copy button; the clipboard is cleared after 30 seconds if it still holds
it, and the officer is reminded to send it by another channel.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QFont, QFontDatabase, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models.vocabularies import PARTNER_AGENCIES
from cme_desktop.services.cases.service import case_reference
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.protection.exports import MIN_PASSWORD, ExportResult
from cme_desktop.services.protection.passwords import generate_password, password_entropy_bits
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import authority_of
from cme_desktop.ui import background, prompts
from cme_desktop.ui.vault.passphrase import strength

if TYPE_CHECKING:
    from cme_desktop.ui.main_window import MainWindow

#: How long a copied password may stay on the clipboard.
CLIPBOARD_SECONDS = 30
TITLE = "Export referral"
SEND_SEPARATELY = (
    "Send the password by another channel: read it out over the phone or send it by "
    "text message. Never put it in the same email as the file."
)

_FORMATS = (
    ("pdf", "PDF (opens in Adobe Reader and web browsers)", "PDF files (*.pdf)"),
    ("docx", "Word document (opens in Word and LibreOffice)", "Word documents (*.docx)"),
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
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("&Done")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.finished.connect(self._forget)

    def copy(self) -> None:
        """Copy the password; it leaves the clipboard after the interval."""
        copy_secret(self._password, clear_after_ms=self._clear_after_ms)
        seconds = max(1, round(self._clear_after_ms / 1000))
        self.copied_label.setText(
            f"Copied. The clipboard will be cleared in {seconds} seconds if it still holds "
            "the password."
        )

    def _forget(self) -> None:
        # Shown once: nothing on screen or in this dialog keeps it afterwards.
        self._password = ""
        self.password_label.clear()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ExportDialog(QDialog):
    """Export one case's referral, encrypted, to a file the officer chooses."""

    def __init__(
        self,
        services: AppServices,
        case_id: int,
        *,
        case_label: str = "",
        clear_after_ms: int = CLIPBOARD_SECONDS * 1000,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.case_id = case_id
        self.clear_after_ms = clear_after_ms
        self.result_file: ExportResult | None = None
        self.password_dialog: PasswordShownOnce | None = None
        self._locked = False
        self.setWindowTitle(f"{TITLE} — {case_label or case_reference(case_id)}")
        layout = QVBoxLayout(self)

        what = QGroupBox("Format")
        what_layout = QVBoxLayout(what)
        self.format_group = QButtonGroup(self)
        self.format_buttons: dict[str, QRadioButton] = {}
        for key, label, _ in _FORMATS:
            button = QRadioButton(label)
            self.format_group.addButton(button)
            self.format_buttons[key] = button
            what_layout.addWidget(button)
        self.format_buttons["pdf"].setChecked(True)
        self.format_group.buttonToggled.connect(self._format_changed)
        layout.addWidget(what)

        form = QFormLayout()
        target_row = QHBoxLayout()
        self.target_edit = QLineEdit()
        self.target_edit.setReadOnly(True)
        self.target_edit.setPlaceholderText("Choose where to save the file")
        self.target_edit.setAccessibleName("File to export to")
        self.choose_button = QPushButton("C&hoose…")
        self.choose_button.clicked.connect(self.choose_target)
        target_row.addWidget(self.target_edit, 1)
        target_row.addWidget(self.choose_button)
        target_label = QLabel("Save &to:")
        target_label.setBuddy(self.choose_button)
        form.addRow(target_label, target_row)
        self.recipient = QComboBox()
        self.recipient.setAccessibleName("Who the referral is for")
        self.recipient.addItem("Choose who it is for…", "")
        for term in PARTNER_AGENCIES:
            self.recipient.addItem(term.label, term.key)
        self.recipient.currentIndexChanged.connect(self._update)
        form.addRow("&For:", self.recipient)
        layout.addLayout(form)

        secret = QGroupBox("Password")
        secret_layout = QVBoxLayout(secret)
        bits = password_entropy_bits()
        self.generated = QRadioButton(
            f"&Generate one: words that are easy to read out over the phone ({bits:.0f} bits)"
        )
        self.typed = QRadioButton("T&ype one")
        self.generated.setChecked(True)
        secret_layout.addWidget(self.generated)
        secret_layout.addWidget(self.typed)
        typed_form = QFormLayout()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName("Password")
        self.again_edit = QLineEdit()
        self.again_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.again_edit.setAccessibleName("Password again")
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(True)
        self.meter.setAccessibleName("Password strength")
        typed_form.addRow("Pass&word:", self.password_edit)
        typed_form.addRow("Type it &again:", self.again_edit)
        typed_form.addRow("Strength:", self.meter)
        self.typed_box = QWidget()
        self.typed_box.setLayout(typed_form)
        secret_layout.addWidget(self.typed_box)
        self.problem_label = QLabel("")
        self.problem_label.setObjectName("problem")
        self.problem_label.setWordWrap(True)
        secret_layout.addWidget(self.problem_label)
        once = QLabel("The password is shown once, after the export, for you to pass on.")
        once.setWordWrap(True)
        once.setObjectName("hint")
        secret_layout.addWidget(once)
        layout.addWidget(secret)
        self.generated.toggled.connect(self._update)
        self.password_edit.textChanged.connect(self._update)
        self.again_edit.textChanged.connect(self._update)

        reminder = QLabel(SEND_SEPARATELY)
        reminder.setWordWrap(True)
        reminder.setObjectName("hint")
        layout.addWidget(reminder)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(
            "&Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update()

    # -- state ---------------------------------------------------------------------------

    def fmt(self) -> str:
        """ "pdf" or "docx"."""
        return "docx" if self.format_buttons["docx"].isChecked() else "pdf"

    def target(self) -> Path | None:
        text = self.target_edit.text().strip()
        return Path(text) if text else None

    def set_target(self, path: Path) -> None:
        """Export to ``path`` (its suffix decides the format)."""
        if path.suffix.lower() == ".docx":
            self.format_buttons["docx"].setChecked(True)
        elif path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + f".{self.fmt()}")
        self.target_edit.setText(str(path))
        self._update()

    def set_recipient(self, key: str) -> None:
        index = self.recipient.findData(key)
        if index < 0:
            raise InvalidInput("Unknown partner agency.", field="recipient")
        self.recipient.setCurrentIndex(index)

    def problem(self) -> str | None:
        """What stops the export, or ``None`` when it can go ahead."""
        if self.target() is None:
            return "Choose where to save the file."
        if not self.recipient.currentData():
            return "Choose who the referral is for."
        if self.typed.isChecked():
            first, second = self.password_edit.text(), self.again_edit.text()
            if len(first) < MIN_PASSWORD:
                return f"Type a password of at least {MIN_PASSWORD} characters."
            if first != second:
                return "Type the same password twice."
        return None

    def _update(self) -> None:
        typed = self.typed.isChecked()
        self.typed_box.setVisible(typed)
        s = strength(self.password_edit.text())
        self.meter.setValue(s.score)
        self.meter.setFormat(s.label)
        problem = self.problem()
        self.problem_label.setText(problem or "")
        self.problem_label.setVisible(problem is not None)
        self.export_button.setEnabled(problem is None)

    def _format_changed(self) -> None:
        target = self.target()
        if target is not None:
            self.target_edit.setText(str(target.with_suffix(f".{self.fmt()}")))
        self._update()

    # -- actions -------------------------------------------------------------------------

    def choose_target(self) -> None:
        """Ask where to save (a name without the child's: file names travel in emails)."""
        fmt = self.fmt()
        filters = next(f for key, _, f in _FORMATS if key == fmt)
        current = self.target()
        suggested = current or Path.home() / f"{case_reference(self.case_id)}-referral.{fmt}"
        path = prompts.save_file(self, TITLE, str(suggested), filters)
        if path is not None:
            self.set_target(path)

    def export(self) -> None:
        """Export in the background; on success show the password once and close."""
        problem = self.problem()
        target = self.target()
        if problem is not None or target is None:
            prompts.error(self, TITLE, problem or "Choose where to save the file.")
            return
        password = generate_password() if self.generated.isChecked() else self.password_edit.text()
        recipient = str(self.recipient.currentData())
        authority = authority_of(self.services.settings.load())
        exports = self.services.exports
        case_id = self.case_id

        def work() -> ExportResult:
            return exports.export_referral(
                case_id,
                target=target,
                password=password,
                authority=authority,
                recipient=recipient,
            )

        self.setEnabled(False)
        background.run(
            self,
            work,
            on_done=lambda result: self._exported(result, password),
            on_error=self._failed,
        )

    def _exported(self, result: ExportResult, password: str) -> None:
        self.result_file = result
        if self._locked:
            return  # never show a password on a locked screen; the officer exports again
        # Enabled again so that the password dialog (a child) is usable; nothing more
        # is exported from here.
        self.setEnabled(True)
        self.export_button.setEnabled(False)
        self.password_edit.clear()
        self.again_edit.clear()
        self.password_dialog = PasswordShownOnce(
            password,
            file_name=result.path.name,
            clear_after_ms=self.clear_after_ms,
            parent=self,
        )
        self.password_dialog.finished.connect(lambda _code: self.accept())
        self.password_dialog.open()

    def _failed(self, exc: BaseException) -> None:
        self.setEnabled(True)
        if not self._locked:
            prompts.error(self, TITLE, exc)

    def close_for_lock(self) -> None:
        """The vault locked: close, and show no password from an export still finishing."""
        self._locked = True
        if self.password_dialog is not None:
            self.password_dialog.reject()
        self.reject()


def export_referral(
    parent: QWidget | None, services: AppServices, case_id: int, *, case_label: str = ""
) -> ExportDialog:
    """Open "Export referral…" for ``case_id`` (window-modal; returns the dialog)."""
    dialog = ExportDialog(services, case_id, case_label=case_label, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def export_action(
    parent: QWidget,
    services: Callable[[], AppServices | None],
    current_case: Callable[[], int | None],
    *,
    shortcut: str = "Ctrl+E",
) -> QAction:
    """The "Export referral…" action for whichever case is in front.

    ``services`` is asked at the time: the window has services only while unlocked.
    """
    action = QAction("&Export referral…", parent)
    action.setShortcut(QKeySequence(shortcut))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setStatusTip("Save the case's referral as a password-protected PDF or Word file")
    action.setToolTip(f"Export referral ({shortcut})")

    def trigger() -> None:
        found = services()
        case_id = current_case()
        if found is None:
            return
        if case_id is None:
            prompts.info(parent, TITLE, "Open or select a case first, then export its referral.")
            return
        export_referral(parent, found, case_id)

    action.triggered.connect(lambda _checked=False: trigger())
    return action


def free_shortcut(window: QWidget, wanted: str, fallback: str) -> str:
    """``wanted`` unless another of the window's actions already has it."""
    key = QKeySequence(wanted)
    taken = any(a.shortcut() == key for a in window.actions())
    return fallback if taken else wanted


def install(window: MainWindow) -> QAction:
    """Add File > Export referral… (Ctrl+E) and a toolbar button to the main window.

    Ctrl+E falls back to Ctrl+Shift+E while the window gives Ctrl+E to another action,
    so that neither shortcut becomes ambiguous.
    """
    shortcut = free_shortcut(window, "Ctrl+E", "Ctrl+Shift+E")
    action = export_action(
        window, lambda: window.services, lambda: window.current_case_id(), shortcut=shortcut
    )
    window.add_action("File", action, toolbar=True)
    place_in_window(window, action)
    window.vault_locked.connect(lambda: _close_for_lock(window))
    return action


def _close_for_lock(window: QWidget) -> None:
    for dialog in window.findChildren(ExportDialog):
        dialog.close_for_lock()


_GROUP = "cmeFilesOut"


def place_in_window(window: MainWindow, action: QAction) -> None:
    """Group the files-out actions: at the top of File (Settings, Lock and Quit stay last)
    and beside the case actions on the toolbar (Lock stays at the far right)."""
    action.setProperty(_GROUP, True)
    anchor = window.settings_action
    for menu in window.findChildren(QMenu):
        if action in menu.actions() and anchor in menu.actions():
            menu.removeAction(action)
            _insert_in_group(menu, action, anchor)
    bar = window.toolbar
    if action in bar.actions() and window.lock_action in bar.actions():
        bar.removeAction(action)
        items = bar.actions()
        # The action just before Lock is the spacer that pushes Lock to the right.
        _insert_in_group(bar, action, items[items.index(window.lock_action) - 1], after=True)


def _insert_in_group(
    container: QMenu | QToolBar, action: QAction, anchor: QAction, *, after: bool = False
) -> None:
    """Insert before ``anchor``, joining the group if it is there, else starting it between
    separators (``after``: the anchor is a spacer, so no separator after the group)."""
    items = container.actions()
    at = items.index(anchor)
    previous = items[at - 1] if at > 0 else None
    if previous is not None and previous.property(_GROUP):
        container.insertAction(anchor, action)
    elif (
        previous is not None
        and previous.isSeparator()
        and at > 1
        and items[at - 2].property(_GROUP)
    ):
        container.insertAction(previous, action)
    else:
        if previous is not None and not previous.isSeparator():
            container.insertSeparator(anchor)
        container.insertAction(anchor, action)
        if not after:
            container.insertSeparator(anchor)
