"""Dialogs that do one thing each: a form, and one service call when the officer presses OK.

``FormDialog.accept`` runs ``submit()``; if the service refuses (a typed
error), the message is shown and the dialog stays open with everything the
officer typed.

A form opens with the cursor in the field the officer types in first, never on
Save: an officer who types straight after Ctrl+T must not have the first words
land on a button (a space would press it) or a drop-down. That field is the
first empty text field that is not a date (the kind, date and time are usually
right already), unless the dialog names its ``typing_field``. Tab goes through
the fields in order, then the buttons; Ctrl+Enter saves from anywhere, even a
multi-line box.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from PySide6.QtCore import QSize, Qt, QTime
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
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
from cme_desktop.ui.screen_fit import fit_window


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
        self._rows: list[QWidget] = []
        #: Where the cursor is when the dialog opens (default: the first row's field).
        self.typing_field: QWidget | None = None
        self._shown = False
        self._opened_with: dict[str, Any] | None = None

    def set_intro(self, text: str) -> None:
        self.intro.setText(text)
        self.intro.show()

    def add(self, label: str, widget: QWidget, field: str = "") -> QWidget:
        add_row(self.form, label, widget)
        if field:
            self.fields[field] = widget
        self._rows.append(widget)
        return widget

    def showEvent(self, event: QShowEvent) -> None:
        if not self._shown:
            self._shown = True
            # The buttons were made before the fields: put them after the fields in the
            # Tab order, and the cursor in the first field (Qt would give Save the focus).
            chain = [*self._rows, *self.buttons.buttons()]
            for before, after in itertools.pairwise(chain):
                QWidget.setTabOrder(before, after)
            # Wide enough for a sentence in a line field, as small dialogs otherwise open
            # just wide enough for their labels.
            hint = self.sizeHint()
            width = max(hint.width(), self.fontMetrics().averageCharWidth() * 64)
            fit_window(self, QSize(width, hint.height()))
            first = self.typing_field or self.first_empty_text()
            if first is not None:
                first.setFocus(Qt.FocusReason.OtherFocusReason)
            self._opened_with = self.values()
        super().showEvent(event)

    # -- typing kept across an idle lock ------------------------------------------------

    def values(self) -> dict[str, Any]:
        """What each named field shows, as plain values (a drop-down by its position)."""
        out: dict[str, Any] = {}
        for name, widget in self.fields.items():
            if isinstance(widget, QLineEdit):
                out[name] = widget.text()
            elif isinstance(widget, QPlainTextEdit):
                out[name] = widget.toPlainText()
            elif isinstance(widget, QComboBox):
                out[name] = widget.currentIndex()
            elif isinstance(widget, QCheckBox):
                out[name] = widget.isChecked()
            elif isinstance(widget, QDateTimeEdit):
                out[name] = widget.time().toString("HH:mm")
        return out

    def set_values(self, values: dict[str, Any]) -> None:
        """Show ``values`` (from ``values()``); names it does not have are left out."""
        for name, value in values.items():
            widget = self.fields.get(name)
            if isinstance(widget, QLineEdit):
                widget.setText(str(value))
            elif isinstance(widget, QPlainTextEdit):
                widget.setPlainText(str(value))
            elif isinstance(widget, QComboBox) and isinstance(value, int):
                widget.setCurrentIndex(value if 0 <= value < widget.count() else 0)
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QDateTimeEdit):
                widget.setTime(QTime.fromString(str(value), "HH:mm"))

    def unsaved_values(self) -> dict[str, Any] | None:
        """The fields' values if anything changed since the dialog opened, else ``None``."""
        if self._opened_with is None:
            return None
        now = self.values()
        return now if now != self._opened_with else None

    def first_empty_text(self) -> QWidget | None:
        """The first empty text field that is not a date; else the first field."""
        for widget in self._rows:
            if isinstance(widget, DateField) or not widget.isEnabled():
                continue
            if isinstance(widget, QLineEdit) and not widget.text():
                return widget
            if isinstance(widget, QPlainTextEdit) and not widget.toPlainText():
                return widget
        return self._rows[0] if self._rows else None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.accept()  # Ctrl+Enter: save, even from a box where Enter starts a new line
            return
        super().keyPressEvent(event)

    def submit(self) -> None:
        """Do the dialog's one service call; raise a ``CmeError`` to stay open."""
        raise NotImplementedError

    def accept(self) -> None:
        try:
            self.submit()
        except CmeError as exc:
            self.refused(exc)
            return
        super().accept()

    def refused(self, exc: CmeError) -> None:
        """Say why the service refused; the cursor goes to the field it names."""
        prompts.error(self, self.windowTitle(), exc)
        field = getattr(exc, "field", None)
        if field in self.fields:
            self.fields[field].setFocus()


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
            "N&otified on:", DateField("notified_on", "Notified on"), "notified_on"
        )
        assert isinstance(self.notified, DateField)
        self.notified.set_value(date.today())

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
