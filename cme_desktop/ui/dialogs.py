"""Dialogs that do one thing each: a form, and one service call when the officer presses OK.

``FormDialog.accept`` runs ``submit()``; if the service refuses (a typed
error), the message is shown and the dialog stays open with everything the
officer typed.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.detail import CaseDraft, case_reference
from cme_desktop.services.errors import CmeError, InvalidInput
from cme_desktop.services.registry import AppServices
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui import prompts
from cme_desktop.ui.changes import Changes
from cme_desktop.ui.fields import DateField, add_row
from cme_desktop.ui.workspace.context import CaseContext


def term_combo(terms: tuple[vocab.Term, ...], *, blank: str | None = None) -> QComboBox:
    """A drop-down of a policy vocabulary: labels shown, keys kept as item data."""
    combo = QComboBox()
    if blank is not None:
        combo.addItem(blank, "")
    for term in terms:
        combo.addItem(term.label, term.key)
        if term.help:
            combo.setItemData(combo.count() - 1, term.help, 3)  # 3 = Qt.ToolTipRole
    combo.setMinimumContentsLength(24)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    return combo


def set_combo_key(combo: QComboBox, key: str) -> None:
    index = combo.findData(key)
    combo.setCurrentIndex(index if index >= 0 else 0)


def text_box(lines: int = 4) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setTabChangesFocus(True)
    box.setMinimumHeight(box.fontMetrics().lineSpacing() * lines + 12)
    box.setMaximumHeight(box.fontMetrics().lineSpacing() * (lines + 3) + 12)
    return box


class FormDialog(QDialog):
    """A form with Save and Cancel; Save runs ``submit()`` and closes only if it worked."""

    def __init__(self, parent: QWidget | None, title: str, *, ok_text: str = "&Save") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setModal(True)
        layout = QVBoxLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.hide()
        layout.addWidget(self.intro)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(ok_text)
        ok.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.fields: dict[str, QWidget] = {}

    def set_intro(self, text: str) -> None:
        self.intro.setText(text)
        self.intro.show()

    def add(self, label: str, widget: QWidget, field: str = "") -> QWidget:
        add_row(self.form, label, widget)
        if field:
            self.fields[field] = widget
        return widget

    def submit(self) -> None:
        """Do the dialog's one service call; raise a ``CmeError`` to stay open."""
        raise NotImplementedError

    def accept(self) -> None:
        try:
            self.submit()
        except CmeError as exc:
            prompts.error(self, self.windowTitle(), exc)
            field = getattr(exc, "field", None)
            if field in self.fields:
                self.fields[field].setFocus()
            return
        super().accept()


class NewCaseDialog(FormDialog):
    """Log a new case: the few details needed to start; the rest in the workspace."""

    def __init__(self, parent: QWidget | None, services: AppServices, changes: Changes) -> None:
        super().__init__(parent, "New case", ok_text="&Create case")
        self.services = services
        self.changes = changes
        self.case_id: int | None = None
        self.full_name = self.add("Child's &name:", QLineEdit(), "full_name")
        self.dob = self.add(
            "Date of &birth:", DateField("date_of_birth", "Date of birth"), "date_of_birth"
        )
        self.school = self.add("&School:", QLineEdit(), "school")
        self.address = self.add("&Last known address:", text_box(3), "last_known_address")
        self.route = self.add(
            "&How identified:", term_combo(vocab.IDENTIFICATION_ROUTES), "identification_route"
        )
        self.notified = self.add(
            "&Notified on:", DateField("notified_on", "Notified on"), "notified_on"
        )
        assert isinstance(self.notified, DateField)
        self.notified.set_value(date.today())
        self.resize(560, self.sizeHint().height())

    def draft(self) -> CaseDraft:
        assert isinstance(self.full_name, QLineEdit) and isinstance(self.school, QLineEdit)
        assert isinstance(self.dob, DateField) and isinstance(self.notified, DateField)
        assert isinstance(self.address, QPlainTextEdit) and isinstance(self.route, QComboBox)
        return CaseDraft(
            full_name=self.full_name.text(),
            date_of_birth=self.dob.value(),
            school=self.school.text(),
            last_known_address=self.address.toPlainText(),
            identification_route=str(self.route.currentData()),
            notified_on=self.notified.value(),
        )

    def submit(self) -> None:
        draft = self.draft()
        if not draft.full_name.strip():
            raise InvalidInput("The child's name is needed.", field="full_name")
        similar = self.services.case_list.find_similar(
            full_name=draft.full_name, date_of_birth=draft.date_of_birth
        )
        if similar:
            lines = "\n".join(
                f"• {r.full_name}, born "
                f"{format_date(r.date_of_birth) if r.date_of_birth else 'not known'} "
                f"({case_reference(r.id)}, {r.status})"
                for r in similar[:5]
            )
            if not prompts.confirm(
                self,
                "New case",
                f"These cases may be the same child:\n\n{lines}\n\nCreate a new case anyway?",
            ):
                return
        self.case_id = self.services.cases.create(draft=draft)
        self.changes.case_changed.emit(self.case_id)


class CloseCaseDialog(FormDialog):
    """Close a case with one of the closing outcomes."""

    def __init__(self, parent: QWidget | None, ctx: CaseContext) -> None:
        super().__init__(parent, "Close the case", ok_text="&Close case")
        self.ctx = ctx
        self.set_intro("Choose why the case is closed. It can be reopened later; nothing is lost.")
        self.outcome = term_combo(vocab.CLOSING_OUTCOMES)
        self.add("&Outcome:", self.outcome, "outcome")
        self.on = DateField("closed_on", "Closed on")
        self.on.set_value(date.today())
        self.add("Closed &on:", self.on, "closed_on")
        self.note = text_box(3)
        self.add("N&ote:", self.note, "note")

    def submit(self) -> None:
        outcome, on, note = str(self.outcome.currentData()), self.on.value(), self.note
        self.ctx.services.cases.close(
            self.ctx.case_id, outcome=outcome, on=on, note=note.toPlainText()
        )
        self.ctx.changed()
