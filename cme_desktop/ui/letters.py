"""Case > Letter…: one of the standard letters, filled from the case, read, edited, saved.

The officer picks the letter (to the parents after a home visit, to a school, to
another authority); its text, filled from the case and the settings
(``services.documents.letters``), stands in an editor to read and change. Save as
PDF or as Word asks like every file that names a child (``protected_save``):
protected with a generated password (shown once) unless the officer unticks it
and confirms; Print sends it to a printer (not to a file). A blank left in square
brackets ("[school address]") is named first. The service notes "Letter sent: …"
on the case's timeline.

The register's letters go to the parents the register holds, one letter per home
address: "To:" lists them, and the officer writes each letter in turn. When the
register holds no parent the letter is to the case's carers, and the dialog says so.

Typing in the letter survives an idle lock: the window keeps it as an encrypted
draft (``ui/unsaved.py``) and opens the letter again with it after the unlock.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.drafts import Draft
from cme_desktop.services.documents.letters import (
    TEMPLATES,
    Addressee,
    LetterTemplate,
    Recipients,
    blanks_in,
)
from cme_desktop.services.errors import CmeError
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import authority_of
from cme_desktop.ui import look, prompts, protected_save
from cme_desktop.ui.fields import add_row, buttons_in_order, name_field
from cme_desktop.ui.pdf_pages import PdfPages
from cme_desktop.ui.screen_fit import fit_window
from cme_desktop.ui.window import Window

TITLE = "Letter"
#: The kind of draft a letter being written is kept as (``letter:<case id>``).
DRAFT_KIND = "letter"
QUESTION = (
    "The letter names the child and the family. Protected, the file opens only with a "
    "password, shown to you once: give it to the recipient by phone."
)
_FILTERS = {"pdf": "PDF (*.pdf)", "docx": "Word document (*.docx)"}


class LetterDialog(QDialog):
    """The letter for one case: which letter, its text to edit, and Save as PDF or Word."""

    def __init__(self, services: AppServices, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.case_id = case_id
        self.saved: Path | None = None
        self._filled = ""  # the text as filled in, to tell the officer's edits from it
        self._index = 0  # the letter the text was filled from
        self._to_index = 0  # and whom it was to
        self.recipients = Recipients(())
        self.setWindowTitle(f"{TITLE} — {case_reference(case_id)}")
        self.authority = authority_of(services.settings.load())
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.template = QComboBox()
        for template in TEMPLATES:
            self.template.addItem(f"{template.title} (to {template.to})", template.name)
        add_row(form, "&Letter:", self.template)
        # The register's letters: one per home address of the register's parents.
        self.to = QComboBox()
        add_row(form, "T&o:", self.to, name="Addressed to")
        self.form = form
        layout.addLayout(form)
        self.to_note = QLabel()
        self.to_note.setWordWrap(True)
        self.to_note.setAccessibleName("Whom the letter is addressed to")
        look.warning(self.to_note, True)
        layout.addWidget(self.to_note)
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.text_label = QLabel("&Text (check it, fill in any [blanks], change what you need):")
        self.text_label.setBuddy(self.text)
        name_field(self.text, "Text of the letter")
        layout.addWidget(self.text_label)
        layout.addWidget(self.text, 1)
        self.buttons = QDialogButtonBox()
        self.print_button = QPushButton("P&rint…")
        self.print_button.setAutoDefault(False)
        self.buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.clicked.connect(lambda _checked=False: self.print_letter())
        self.pdf_button = QPushButton("Save as &PDF…")
        self.word_button = QPushButton("Save as &Word…")
        for button, fmt in ((self.pdf_button, "pdf"), (self.word_button, "docx")):
            button.setAutoDefault(False)
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
            button.clicked.connect(lambda _checked=False, f=fmt: self.save_as(f))
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        buttons_in_order(self.buttons, self.text)
        self.template.currentIndexChanged.connect(lambda _i: self._template_chosen())
        self.to.currentIndexChanged.connect(lambda _i: self._addressee_chosen())
        self._fill()
        fit_window(self, QSize(760, 860))
        self.template.setFocus()

    def chosen(self) -> LetterTemplate:
        """The letter picked in the list."""
        return TEMPLATES[max(0, self.template.currentIndex())]

    def chosen_to(self) -> Addressee | None:
        """Whom the letter is to (``None`` when the case could not be read)."""
        addressees = self.recipients.addressees
        return (
            addressees[self.to.currentIndex()]
            if 0 <= self.to.currentIndex() < len(addressees)
            else None
        )

    def is_modified(self) -> bool:
        """True when the officer has changed the filled-in text."""
        return self.text.toPlainText() != self._filled

    def _read_recipients(self) -> None:
        """Whom the chosen letter goes to, listed in "To:" (shown for the register's)."""
        template = self.chosen()
        try:
            self.recipients = self.services.letters.recipients(self.case_id, template)
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            self.recipients = Recipients(())
        self.to.blockSignals(True)
        self.to.clear()
        for addressee in self.recipients.addressees:
            self.to.addItem(addressee.label())
        self.to.setCurrentIndex(0 if self.recipients.addressees else -1)
        self.to.blockSignals(False)
        self.form.setRowVisible(self.to, template.to_register_parents)
        count = len(self.recipients.addressees)
        if template.to_register_parents and count > 1:
            self.to.setToolTip(
                f"The parents live at {count} addresses: write and save one letter for each."
            )
        else:
            self.to.setToolTip("")
        self.to_note.setText(self.recipients.note)
        self.to_note.setVisible(bool(self.recipients.note))
        self._to_index = self.to.currentIndex()

    def _fill(self, *, recipients: bool = True) -> None:
        if recipients:
            self._read_recipients()
        try:
            self._filled = self.services.letters.draft(
                self.case_id,
                self.chosen(),
                authority=self.authority,
                today=date.today(),
                to=self.chosen_to(),
            )
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            self._filled = ""
        self.text.setPlainText(self._filled)
        self._index = self.template.currentIndex()
        self._to_index = self.to.currentIndex()

    def _template_chosen(self) -> None:
        if self.is_modified() and not prompts.confirm(
            self, TITLE, "Start again from the new letter? The changes to this one are lost."
        ):
            self.template.blockSignals(True)
            self.template.setCurrentIndex(self._index)
            self.template.blockSignals(False)
            return
        self._fill()

    def _addressee_chosen(self) -> None:
        if self.is_modified() and not prompts.confirm(
            self,
            TITLE,
            "Start again with the letter to the parent chosen? The changes to this one are lost.",
        ):
            self.to.blockSignals(True)
            self.to.setCurrentIndex(self._to_index)
            self.to.blockSignals(False)
            return
        self._fill(recipients=False)

    # -- keeping the typing across an idle lock ---------------------------------------------

    def unsaved_draft(self) -> dict[str, Any] | None:
        """The letter and its text when the officer changed it, else ``None``."""
        if not self.is_modified():
            return None
        return {
            "template": self.chosen().name,
            "to": self.to.currentIndex(),
            "text": self.text.toPlainText(),
        }

    def restore_draft(self, data: dict[str, Any]) -> None:
        """Put back a letter kept by ``unsaved_draft``: the same letter, the same text."""
        names = [t.name for t in TEMPLATES]
        if data.get("template") in names:
            self.template.blockSignals(True)
            self.template.setCurrentIndex(names.index(str(data["template"])))
            self.template.blockSignals(False)
            self._fill()
        to = data.get("to")
        if isinstance(to, int) and 0 < to < self.to.count():
            self.to.blockSignals(True)
            self.to.setCurrentIndex(to)
            self.to.blockSignals(False)
            self._fill(recipients=False)
        self.text.setPlainText(str(data.get("text", "")))

    # -- saving -----------------------------------------------------------------------------

    def _blanks_accepted(self, text: str, doing: str) -> bool:
        blanks = blanks_in(text)
        if blanks and not prompts.confirm(
            self,
            TITLE,
            f"The letter still has {len(blanks)} blank(s) to fill in: {', '.join(blanks)}. "
            f"{doing} it anyway?",
        ):
            self.text.setFocus()
            return False
        return True

    def print_letter(self) -> None:
        """Print the letter on the printer the officer picks (never to a file: a printed
        letter leaves no plain copy behind), and note it on the timeline."""
        text = self.text.toPlainText()
        if not self._blanks_accepted(text, "Print"):
            return
        template = self.chosen()
        try:
            pdf = self.services.letters.render(
                self.case_id, template, text, authority=self.authority
            )
            printer = prompts.choose_printer(self, "Print the letter", allow_file=False)
            if printer is None:
                return
            PdfPages(pdf, self).paint(printer)
            self.services.letters.printed(self.case_id, template, self.chosen_to())
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            return
        self.saved = None
        self.accept()

    def save_as(self, fmt: str) -> None:
        """Ask how and where, then save the letter as ``fmt`` (``pdf`` or ``docx``)."""
        text = self.text.toPlainText()
        if not self._blanks_accepted(text, "Save"):
            return
        choice = protected_save.choose(self, TITLE, QUESTION)
        if choice is None:
            return
        template = self.chosen()
        stem = f"{case_reference(self.case_id)}-{template.name}"
        if self.to.count() > 1:
            stem += f"-{self.to.currentIndex() + 1}"  # one letter per parent's address
        suggested = str(Path.home() / f"{stem}.{fmt}")
        path = prompts.save_file(
            self, f"Save the letter as {fmt.upper()}", suggested, _FILTERS[fmt]
        )
        if path is None:
            return
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(f"{path.name}.{fmt}")
        try:
            saved = self.services.letters.save(
                self.case_id,
                template,
                text,
                path,
                authority=self.authority,
                password=choice.password,
                to=self.chosen_to(),
            )
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            return
        self.saved = saved.path
        parent = self.parentWidget() or self
        if choice.password is None:
            prompts.info(parent, TITLE, f"The letter was saved, unprotected, to {saved.path}.")
        else:
            protected_save.show_password(
                choice.password, saved.path, parent, title="The letter's password"
            )
        self.accept()


def install(window: Window) -> QAction:
    """Add Case > Letter… (Ctrl+Shift+L) for the case in front, and keep a letter being
    written across an idle lock."""
    widget = window.widget()
    action = QAction("&Letter…", widget)
    action.setShortcut(QKeySequence("Ctrl+Shift+L"))
    action.setStatusTip("Write one of the standard letters for the case, filled in from it")
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def start(case_id: int, kept: dict[str, Any] | None = None) -> None:
        services = window.services
        if services is None:
            return
        dialog = LetterDialog(services, case_id, widget)
        if kept is not None:
            dialog.restore_draft(kept)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            window.changes.case_changed.emit(case_id)

    def trigger() -> None:
        case_id = window.current_case_id()
        if window.services is None:
            return
        if case_id is None:
            prompts.info(widget, TITLE, "Open or select a case first, then write its letter.")
            return
        start(case_id)

    def gather() -> list[Draft]:
        return [
            Draft(
                f"{DRAFT_KIND}:{dialog.case_id}",
                f"a letter for {case_reference(dialog.case_id)} (not saved yet)",
                data,
                case_id=dialog.case_id,
            )
            for dialog in widget.findChildren(LetterDialog)
            if dialog.isVisible() and (data := dialog.unsaved_draft())
        ]

    def restore(kept: Draft) -> bool:
        if kept.case_id is None:
            return False
        case_id = kept.case_id
        # Opened once the question that offered it back has closed.
        QTimer.singleShot(0, lambda: start(case_id, dict(kept.data)))
        return True

    action.triggered.connect(lambda _checked=False: trigger())
    window.add_action("Case", action, needs_case=True)
    window.add_draft_keeper(DRAFT_KIND, gather, restore)
    return action
