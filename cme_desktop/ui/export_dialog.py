"""Export referral…: a case's referral as a password-protected PDF or Word file.

The officer chooses the format, the file, who the referral is for (a partner
agency, policy 2.1) and the password: generated (at most 32 letters and digits,
read out over the phone) or typed. The export runs off the GUI thread through ``ExportService``,
which encrypts in memory and writes atomically. The password is then shown once
(``PasswordShownOnce``), with the reminder to send it by another channel.
An export being chosen when the vault locks by itself is kept (its choices, never a
typed password) and opened again after the unlock (``ui/unsaved.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
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
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models.vocabularies import PARTNER_AGENCIES
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.drafts import Draft
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.protection.exports import MIN_PASSWORD, ExportResult
from cme_desktop.services.protection.passwords import (
    MAX_PDF_PASSWORD,
    TOO_LONG_FOR_PDF,
    generate_short_password,
    short_password_entropy_bits,
)
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import authority_of
from cme_desktop.ui import background, prompts
from cme_desktop.ui.menu_layout import FILES_OUT
from cme_desktop.ui.password_shown_once import (
    CLIPBOARD_SECONDS,
    SEND_SEPARATELY,
    PasswordShownOnce,
)
from cme_desktop.ui.screen_fit import fit_window
from cme_desktop.ui.vault.passphrase import strength
from cme_desktop.ui.window import Window

TITLE = "Export referral"
#: The kind of draft an export being chosen is kept as at an idle lock (``export:<case id>``).
DRAFT_KIND = "export"

_FORMATS = (
    ("pdf", "PDF (opens in Adobe Reader and web browsers)", "PDF files (*.pdf)"),
    ("docx", "Word document (opens in Word and LibreOffice)", "Word documents (*.docx)"),
)


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
        bits = short_password_entropy_bits()
        self.generated = QRadioButton(
            f"&Generate one: letters and digits that are easy to read out ({bits:.0f} bits)"
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
        fit_window(self)

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
            if self.fmt() == "pdf" and len(first) > MAX_PDF_PASSWORD:
                return TOO_LONG_FOR_PDF
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
        password = (
            generate_short_password() if self.generated.isChecked() else self.password_edit.text()
        )
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

    # -- kept across an idle lock ------------------------------------------------------------

    def unsaved_draft(self) -> dict[str, object] | None:
        """The choices made (format, file, recipient, typed or generated password), or
        ``None`` when none was. A typed password is never kept: it is typed again."""
        data: dict[str, object] = {
            "format": self.fmt(),
            "target": self.target_edit.text(),
            "recipient": str(self.recipient.currentData() or ""),
            "typed": self.typed.isChecked(),
        }
        untouched = {"format": "pdf", "target": "", "recipient": "", "typed": False}
        return None if data == untouched or self.result_file is not None else data

    def restore_draft(self, data: dict[str, object]) -> None:
        """Put back the choices kept by ``unsaved_draft``."""
        if data.get("format") in self.format_buttons:
            self.format_buttons[str(data["format"])].setChecked(True)
        if data.get("target"):
            self.target_edit.setText(str(data["target"]))
        index = self.recipient.findData(str(data.get("recipient", "")))
        if index > 0:
            self.recipient.setCurrentIndex(index)
        if data.get("typed"):
            self.typed.setChecked(True)
        self._update()

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


def install(window: Window) -> QAction:
    """Add File > Export referral… (Ctrl+E) and a toolbar button to the main window.

    Ctrl+E falls back to Ctrl+Shift+E while the window gives Ctrl+E to another action,
    so that neither shortcut becomes ambiguous.
    """
    widget = window.widget()
    shortcut = free_shortcut(widget, "Ctrl+E", "Ctrl+Shift+E")
    action = export_action(
        widget, lambda: window.services, lambda: window.current_case_id(), shortcut=shortcut
    )
    window.add_action("File", action, toolbar=True, group=FILES_OUT)
    window.vault_locked.connect(lambda: _close_for_lock(widget))

    def gather() -> list[Draft]:
        return [
            Draft(
                f"{DRAFT_KIND}:{dialog.case_id}",
                f"the export of {case_reference(dialog.case_id)}'s referral (not made yet)",
                data,
                case_id=dialog.case_id,
            )
            for dialog in widget.findChildren(ExportDialog)
            if dialog.isVisible() and (data := dialog.unsaved_draft())
        ]

    def restore(kept: Draft) -> bool:
        services = window.services
        if services is None or kept.case_id is None:
            return False
        case_id, data = kept.case_id, dict(kept.data)
        # Opened once the question that offered it back has closed.
        QTimer.singleShot(0, lambda: export_referral(widget, services, case_id).restore_draft(data))
        return True

    window.add_draft_keeper(DRAFT_KIND, gather, restore)
    return action


def _close_for_lock(window: QWidget) -> None:
    for dialog in window.findChildren(ExportDialog):
        dialog.close_for_lock()
