"""The layout of the referral form (Appendix A): its sections, labels and fields.

``ReferralForm`` builds the widgets, in the form's order and with its words, and
says when a field is edited (``edited(path)``). What the fields mean — the record,
the checks, the summary strip — is ``ReferralEditor``'s business
(``referral_editor.py``). Fields are known by the dotted paths of the
``cme-referral/1`` record; a child's fields as ``"children.<key>"`` (the child shown).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    PARENTAL_CONSENT_QUESTION,
    REFERRER_ACTIONS,
    RISK_INDICATORS,
    SERIOUS_INDICATORS,
    SOCIAL_CARE_REFERRAL_QUESTION,
)
from cme_desktop.services.referral.record import field_label
from cme_desktop.ui.fields import label_for, name_field, plain
from cme_desktop.ui.referral.widgets import (
    ChoiceButtons,
    UkDateEdit,
    hint_label,
    message_label,
)

TITLE = "Referral Checklist for Children Missing out on Education (CME)"
ADDITIONAL_INFORMATION_HINT = "E.G. additional addresses, information surrounding SEN/Care etc"
INDICATORS_INTRO = (
    "Please complete the table below. Indicate as appropriate and mark whether the "
    "indicators are current or historic"
)
INDICATOR_COLUMNS = (
    "No",
    "Vulnerabilities, Warning Signs & Risk Indicators (for the child and/or family)",
    "Yes or No?",
    "Current / Historic (C/H?)",
)
ASSESSMENT_INTRO = (
    "(The Vulnerabilities, Warning Signs & Risk Indicators above should help inform your "
    "professional judgement when completing the final section of this referral form)"
)
ACTION_COLUMNS = ("Action", "Outcome (Include date completed)", "Date completed")
SERIOUS_TIP = "A serious indicator: when it is current, the escalation questions are offered."

# The pupil details in the form's rows: the child's field on the left, the family's on
# the right (None where the form leaves the box empty).
PUPIL_ROWS: tuple[tuple[str, str | None], ...] = (
    ("full_name", "last_known_address"),
    ("aka", "parents_carers"),
    ("date_of_birth", "telephone"),
    ("gender", "email"),
    ("ethnicity", "school"),
    ("sen_disability", None),
    ("child_in_care", "date_last_attended"),
    ("upn", None),
)
CHILD_KINDS = {
    "full_name": "line",
    "aka": "line",
    "date_of_birth": "date",
    "gender": "line",
    "ethnicity": "line",
    "sen_disability": "line",
    "child_in_care": "yes_no",
    "upn": "line",
}
FAMILY_KINDS = {
    "last_known_address": "lines3",
    "parents_carers": "lines2",
    "telephone": "line",
    "email": "line",
    "school": "line",
    "date_last_attended": "date",
    "additional_information": "lines3",
}
REFERRER_ROWS = (
    ("name", "Name", "position"),
    ("contact_details", None, "organisation"),
    ("date_completed", None, None),
)


def _yes_no() -> ChoiceButtons:
    return ChoiceButtons((("Yes", True), ("No", False)))


class ReferralForm(QWidget):
    """The form's widgets, in Appendix A's order; ``edited(path)`` on any change by the officer."""

    edited = Signal(str)
    field_left = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, today: date | None = None) -> None:
        super().__init__(parent)
        self._today = today
        self.fields: dict[str, QWidget] = {}
        self.messages: dict[str, QLabel] = {}
        self.summary_strip = QLabel(self)
        self.summary_strip.setWordWrap(True)
        self.summary_strip.setObjectName("ReferralSummaryStrip")
        body = QWidget()
        column = QVBoxLayout(body)
        title = QLabel(f"<b>{TITLE}</b>")
        title.setWordWrap(True)
        column.addWidget(title)
        column.addWidget(self._pupil_section())
        column.addWidget(self._actions_section())
        column.addWidget(self._indicators_section())
        column.addWidget(self._questions_section())
        column.addWidget(self._assessment_section())
        column.addWidget(self._referrer_section())
        column.addStretch(1)
        self.scroller = QScrollArea(self)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary_strip)
        layout.addWidget(self.scroller, 1)

    # -- building the form ------------------------------------------------------------

    def _field(self, path: str, kind: str) -> QWidget:
        widget: QWidget
        if kind == "date":
            widget = UkDateEdit(today=self._today)
            widget.textChanged.connect(lambda _t, p=path: self.edited.emit(p))
            # A date is judged once the officer leaves the field, not while typing.
            widget.editingFinished.connect(lambda p=path: self.field_left.emit(p))
        elif kind == "yes_no":
            widget = _yes_no()
            widget.changed.connect(lambda p=path: self.edited.emit(p))
        elif kind.startswith("lines"):
            widget = QPlainTextEdit()
            widget.setTabChangesFocus(True)
            lines = int(kind[5:] or 3)
            widget.setFixedHeight(widget.fontMetrics().lineSpacing() * lines + 14)
            widget.textChanged.connect(lambda p=path: self.edited.emit(p))
        else:
            widget = QLineEdit()
            widget.textChanged.connect(lambda _t, p=path: self.edited.emit(p))
        widget.setObjectName(path)
        self.fields[path] = widget
        return widget

    def _cell(self, path: str, kind: str) -> QWidget:
        """A field with the line for its message under it."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(self._field(path, kind))
        self.messages[path] = message_label()
        column.addWidget(self.messages[path])
        return box

    def _pupil_section(self) -> QGroupBox:
        group = QGroupBox("Pupil details")
        column = QVBoxLayout(group)
        bar = QHBoxLayout()
        self.child_tabs = QTabBar()
        self.child_tabs.setExpanding(False)
        self.add_child_button = QPushButton("Add child")
        self.add_child_button.setToolTip("Another child named on the form (a brother or sister)")
        self.remove_child_button = QPushButton("Remove child")
        self.split_button = QPushButton("Split into one case per child")
        self.split_button.setToolTip(
            "Make a case for each child named, with the shared details, linked as one family"
        )
        bar.addWidget(label_for(self.child_tabs, "Pupil:", name="Pupils on the form"))
        bar.addWidget(self.child_tabs, 1)
        for button in (self.add_child_button, self.remove_child_button, self.split_button):
            bar.addWidget(button)
        column.addLayout(bar)
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        for row, (child_key, family_key) in enumerate(PUPIL_ROWS):
            path = f"children.{child_key}"
            label = "UPN (if known)" if child_key == "upn" else field_label(path)
            # Each line of the form sits at the top of its row, so that a row reads (and
            # Tab goes) across: the child's field, then the family's beside it.
            top = Qt.AlignmentFlag.AlignTop
            cell = self._cell(path, CHILD_KINDS[child_key])
            # The form's own words ("SEN & Disability"): an "&" there is no Alt+letter.
            grid.addWidget(label_for(self.fields[path], plain(label)), row, 0, top)
            grid.addWidget(cell, row, 1, top)
            if family_key is not None:
                cell = self._cell(family_key, FAMILY_KINDS[family_key])
                text = field_label(family_key)
                grid.addWidget(label_for(self.fields[family_key], plain(text)), row, 2, top)
                grid.addWidget(cell, row, 3, top)
        row = len(PUPIL_ROWS)
        extra = QVBoxLayout()
        cell = self._cell("additional_information", "lines3")
        extra.addWidget(
            label_for(
                self.fields["additional_information"], plain(field_label("additional_information"))
            )
        )
        extra.addWidget(hint_label(f"({ADDITIONAL_INFORMATION_HINT})"))
        grid.addLayout(extra, row, 0)
        grid.addWidget(cell, row, 1, 1, 3)
        column.addLayout(grid)
        self.fields["additional_information"].setPlaceholderText(ADDITIONAL_INFORMATION_HINT)  # type: ignore[attr-defined]
        return group

    def _actions_section(self) -> QGroupBox:
        group = QGroupBox(field_label("referrer_actions"))
        grid = QGridLayout(group)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        for column, heading in enumerate(ACTION_COLUMNS):
            grid.addWidget(QLabel(f"<i>{heading}</i>"), 0, column)
        for row, action in enumerate(REFERRER_ACTIONS, start=1):
            text = QVBoxLayout()
            label = QLabel(plain(action.label))  # its buddy makes "&" a marker
            label.setWordWrap(True)
            text.addWidget(label)
            if action.help:
                text.addWidget(hint_label(f"({action.help})"))
            text.addStretch(1)
            grid.addLayout(text, row, 0)
            base = f"referrer_actions.{action.key}"
            grid.addWidget(self._cell(f"{base}.outcome", "lines3"), row, 1)
            grid.addWidget(self._cell(f"{base}.date", "date"), row, 2)
            label.setBuddy(self.fields[f"{base}.outcome"])
            name_field(self.fields[f"{base}.outcome"], f"{action.label}: outcome")
            name_field(self.fields[f"{base}.date"], f"{action.label}: date completed")
        return group

    def _indicators_section(self) -> QGroupBox:
        group = QGroupBox("Vulnerabilities, Warning Signs && Risk Indicators")
        self.indicators_group = group
        column = QVBoxLayout(group)
        column.addWidget(hint_label(INDICATORS_INTRO))
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(10)
        for col, heading in enumerate(INDICATOR_COLUMNS):
            header = QLabel(f"<b>{heading}</b>")
            header.setWordWrap(col == 1)
            grid.addWidget(header, 0, col)
        for row, indicator in enumerate(RISK_INDICATORS, start=1):
            number = QLabel(indicator.key)
            label = QLabel(indicator.label)
            label.setWordWrap(True)
            if indicator.key in SERIOUS_INDICATORS:
                number.setText(f"<b>{indicator.key}</b> ⚑")
                number.setToolTip(SERIOUS_TIP)
                label.setToolTip(SERIOUS_TIP)
            grid.addWidget(number, row, 0)
            grid.addWidget(label, row, 1)
            base = f"risk_indicators.{indicator.key}"
            present = ChoiceButtons((("Yes", True), ("No", False)))
            timing = ChoiceButtons((("Current", "current"), ("Historic", "historic")))
            for path, widget in ((f"{base}.present", present), (f"{base}.timing", timing)):
                widget.setObjectName(path)
                self.fields[path] = widget
            name_field(present, f"{indicator.key}. {indicator.label}")
            name_field(timing, f"{indicator.key}. {indicator.label}: current or historic")
            present.changed.connect(lambda k=indicator.key: self._present_changed(k))
            timing.changed.connect(lambda p=f"{base}.timing": self.edited.emit(p))
            grid.addWidget(present, row, 2)
            cell = QVBoxLayout()
            cell.addWidget(timing)
            self.messages[f"{base}.timing"] = message_label()
            cell.addWidget(self.messages[f"{base}.timing"])
            grid.addLayout(cell, row, 3)
        column.addLayout(grid)
        return group

    def _questions_section(self) -> QGroupBox:
        group = QGroupBox("Safeguarding")
        grid = QGridLayout(group)
        grid.setColumnStretch(0, 1)
        for row, (key, text) in enumerate(
            (
                ("social_care_referral_considered", SOCIAL_CARE_REFERRAL_QUESTION),
                ("parental_consent", PARENTAL_CONSENT_QUESTION),
            )
        ):
            cell = self._cell(key, "yes_no")
            label = label_for(self.fields[key], text)
            label.setWordWrap(True)
            grid.addWidget(label, row, 0)
            grid.addWidget(cell, row, 1)
        return group

    def _assessment_section(self) -> QGroupBox:
        group = QGroupBox(field_label("assessment"))
        column = QVBoxLayout(group)
        column.addWidget(hint_label(ASSESSMENT_INTRO))
        for question in ASSESSMENT_QUESTIONS:
            cell = self._cell(f"assessment.{question.key}", "lines4")
            editor = self.fields[f"assessment.{question.key}"]
            column.addWidget(label_for(editor, f"<b>{question.label}</b>"))
            column.addWidget(hint_label(question.help))
            editor.setPlaceholderText(question.help)  # type: ignore[attr-defined]
            editor.setToolTip(question.help)
            column.addWidget(cell)
        return group

    def _referrer_section(self) -> QGroupBox:
        group = QGroupBox(field_label("referrer"))
        grid = QGridLayout(group)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        labels = {"name": "Name"}
        for row, (left, _, right) in enumerate(REFERRER_ROWS):
            for col, key in ((0, left), (2, right)):
                if key is None:
                    continue
                path = f"referrer.{key}"
                kind = "date" if key == "date_completed" else "line"
                kind = "lines2" if key == "contact_details" else kind
                cell = self._cell(path, kind)
                text = labels.get(key, field_label(path))
                grid.addWidget(label_for(self.fields[path], plain(text)), row, col)
                grid.addWidget(cell, row, col + 1)
        return group

    def _present_changed(self, key: str) -> None:
        # Current / Historic only once the answer is Yes (the table of Appendix A).
        present = self.fields[f"risk_indicators.{key}.present"]
        timing = self.fields[f"risk_indicators.{key}.timing"]
        assert isinstance(present, ChoiceButtons) and isinstance(timing, ChoiceButtons)
        timing.set_available(present.value() is True)
        self.edited.emit(f"risk_indicators.{key}.present")

    def field(self, path: str) -> QWidget:
        """The widget of a field (child fields as ``"children.<key>"``, for the child shown)."""
        return self.fields[path]

    # -- reading and setting a field --------------------------------------------------

    @staticmethod
    def value_of(widget: QWidget) -> Any:
        if isinstance(widget, ChoiceButtons):
            return widget.value()
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText()
        if isinstance(widget, QLineEdit):
            return widget.text()
        raise TypeError(type(widget).__name__)

    @staticmethod
    def set_value_of(widget: QWidget, value: Any) -> None:
        if isinstance(widget, ChoiceButtons):
            widget.set_value(value)
        elif isinstance(widget, UkDateEdit):
            widget.set_iso(value)
        elif isinstance(widget, QPlainTextEdit):
            widget.setPlainText(value or "")
        elif isinstance(widget, QLineEdit):
            widget.setText(value or "")
