"""The child and family details form: the part of a case the officer edits and saves.

The form keeps the values it was loaded with (its baseline). When the case
changes underneath it (a visit logged, a task added), fields the officer has
not touched take the new values and typed edits stay — so a reload never
loses what was typed, and a save never undoes someone else's change.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.detail import CaseDetail, CaseDraft
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.dates import format_uk_date, parse_uk_date
from cme_desktop.services.rules.school_age import (
    AgeStatus,
    age_on,
    duty_status,
    school_year_group,
    year_group_label,
)
from cme_desktop.services.rules.upn import upn_problem
from cme_desktop.ui import look
from cme_desktop.ui.dialogs import set_combo_key, term_combo, text_box
from cme_desktop.ui.fields import DateField, WrappingCheckBox, add_row, mark_invalid
from cme_desktop.ui.workspace.dfe_box import DfeReturnBox

GENDERS = ("", "Female", "Male", "Other", "Not known")
_IN_CARE = (("Not known", None), ("Yes", True), ("No", False))
_DATE_FIELDS = (
    "date_of_birth",
    "date_last_attended",
    "new_school_start",
    "notified_on",
    "cme_confirmed_on",
)
_TEXT_FIELDS = (
    "full_name",
    "aka",
    "ethnicity",
    "upn",
    "sen_disability",
    "school",
    "new_school",
    "identified_by",
)
_COMBO_FIELDS = ("identification_route", "referring_agency", "reason_missing", "sex", "dfe_reason")


def raw_of(draft: CaseDraft) -> dict[str, Any]:
    """A draft as the form shows it (dates as dd/mm/yyyy), to compare with what is typed."""
    raw: dict[str, Any] = {name: getattr(draft, name) for name in _TEXT_FIELDS + _COMBO_FIELDS}
    raw.update({name: format_uk_date(getattr(draft, name)) for name in _DATE_FIELDS})
    raw["gender"] = draft.gender
    raw["child_in_care"] = draft.child_in_care
    raw["whereabouts_unknown"] = draft.whereabouts_unknown
    raw["last_known_address"] = draft.last_known_address
    raw["groups"] = frozenset(draft.groups)
    return raw


def age_text(dob: date | None, today: date) -> str:
    """``Age 11 (Year 6)`` for the form, or why it cannot be said."""
    if dob is None:
        return "Age not known"
    try:
        return f"Age {age_on(dob, today)} ({year_group_label(school_year_group(dob, today))})"
    except InvalidInput as exc:
        return exc.message


class DetailsForm(QScrollArea):
    """Child, address, school, identification, reason and groups — saved in one call."""

    edited = Signal()
    duty_changed = Signal(str, bool)  # explanation, whether it is a warning

    def __init__(self, parent: QWidget | None = None, *, today: date | None = None) -> None:
        super().__init__(parent)
        self._today = today
        self._baseline: dict[str, Any] | None = None
        self._loading = False
        self.setWidgetResizable(True)
        body = QWidget()
        self.setWidget(body)
        columns = QHBoxLayout(body)
        left, right = QVBoxLayout(), QVBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        self.widgets: dict[str, QWidget] = {}
        left.addWidget(self._child_box())
        left.addWidget(self._school_box())
        self.dfe_box = DfeReturnBox(self.widgets, self._case_facts)
        self.dfe_box.watch_gender(self._combo("gender"))
        left.addWidget(self.dfe_box)
        left.addStretch(1)
        right.addWidget(self._identified_box())
        right.addWidget(self._groups_box())
        right.addStretch(1)
        for widget in self.widgets.values():
            self._watch(widget)
        self.dfe_box.refresh_note()

    @property
    def today(self) -> date:
        return self._today or date.today()

    # -- building -------------------------------------------------------------------------

    def _line(self, form: QFormLayout, label: str, field: str) -> QLineEdit:
        edit = QLineEdit()
        add_row(form, label, edit)
        self.widgets[field] = edit
        return edit

    def _date(self, form: QFormLayout, label: str, field: str) -> DateField:
        edit = DateField(field, label.replace("&", "").rstrip(":"))
        add_row(form, label, edit)
        self.widgets[field] = edit
        return edit

    def _child_box(self) -> QGroupBox:
        box = QGroupBox("Child")
        form = QFormLayout(box)
        self._line(form, "Full &name:", "full_name")
        self._line(form, "Also known as:", "aka")
        self._date(form, "Date of &birth:", "date_of_birth")
        self.age = QLabel()
        self.age.setAccessibleName("Age today")
        form.addRow("Age today:", self.age)
        self.duty = QLabel()
        self.duty.setObjectName("dutyFlag")
        self.duty.setWordWrap(True)
        self.duty.setAccessibleName("Compulsory school age")
        form.addRow("School age:", self.duty)
        gender = QComboBox()
        gender.addItems(GENDERS)
        add_row(form, "Gender:", gender)
        self.widgets["gender"] = gender
        self._line(form, "Ethnicity:", "ethnicity")
        upn = self._line(form, "&UPN:", "upn")
        upn.setMaxLength(20)
        upn.setPlaceholderText("13 characters, e.g. A123456789012")
        self.upn_problem = QLabel()
        look.role(self.upn_problem, "problem")
        self.upn_problem.setWordWrap(True)
        self.upn_problem.setAccessibleName("UPN check")
        self._upn_form, self._upn_row = form, form.rowCount()
        form.addRow("", self.upn_problem)
        form.setRowVisible(self._upn_row, False)
        self._line(form, "SEN / disability:", "sen_disability")
        in_care = QComboBox()
        for text, value in _IN_CARE:
            in_care.addItem(text, value)
        add_row(form, "Child in care:", in_care)
        self.widgets["child_in_care"] = in_care
        unknown = QCheckBox("&Whereabouts unknown")
        unknown.setAccessibleName("Whereabouts unknown")
        form.addRow("", unknown)
        self.widgets["whereabouts_unknown"] = unknown
        address = text_box(3)
        add_row(form, "Last known &address:", address)
        self.widgets["last_known_address"] = address
        upn.textChanged.connect(self._check_upn)
        dob = self.widgets["date_of_birth"]
        assert isinstance(dob, DateField)
        dob.textChanged.connect(lambda _t: self._show_age())
        return box

    def _school_box(self) -> QGroupBox:
        box = QGroupBox("School")
        form = QFormLayout(box)
        self._line(form, "Sch&ool:", "school")
        self._date(form, "Date last attended:", "date_last_attended")
        self._line(form, "New school:", "new_school")
        self._date(form, "New school starts:", "new_school_start")
        return box

    def _identified_box(self) -> QGroupBox:
        box = QGroupBox("How the child was identified (8.1) and why missing (4.0)")
        form = QFormLayout(box)
        route = term_combo(vocab.IDENTIFICATION_ROUTES)
        add_row(form, "How identified:", route)
        self.widgets["identification_route"] = route
        self._line(form, "Identified by:", "identified_by")
        agency = term_combo(vocab.PARTNER_AGENCIES, blank="—")
        add_row(form, "Referring agenc&y:", agency)
        self.widgets["referring_agency"] = agency
        self._date(form, "Notified on:", "notified_on")
        reason = term_combo(vocab.REASONS_MISSING, blank="—")
        add_row(form, "Reason &missing:", reason)
        self.widgets["reason_missing"] = reason
        return box

    def _groups_box(self) -> QGroupBox:
        box = QGroupBox("Groups")
        layout = QVBoxLayout(box)
        self.group_boxes: dict[str, WrappingCheckBox] = {}
        for title, terms in (
            ("More at risk (4.0)", vocab.AT_RISK_GROUPS),
            ("Other vulnerable groups (4.1)", vocab.VULNERABLE_GROUPS),
        ):
            heading = QLabel(title)
            look.role(heading, "subheading")
            layout.addWidget(heading)
            grid = QGridLayout()
            for i, term in enumerate(terms):
                check = WrappingCheckBox(term.label)
                check.setToolTip(term.help or term.label)
                grid.addWidget(check, i, 0)
                self.group_boxes[term.key] = check
            layout.addLayout(grid)
        for check in self.group_boxes.values():
            check.toggled.connect(lambda _c: self._changed())
        return box

    def _combo(self, field: str) -> QComboBox:
        widget = self.widgets[field]
        assert isinstance(widget, QComboBox)
        return widget

    def _case_facts(self) -> tuple[str, list[str], bool]:
        """What the DfE reason is proposed from: reason missing, groups, whereabouts."""
        unknown = self.widgets["whereabouts_unknown"]
        return (
            str(self._combo("reason_missing").currentData() or ""),
            [k for k, c in self.group_boxes.items() if c.isChecked()],
            isinstance(unknown, QCheckBox) and unknown.isChecked(),
        )

    def _watch(self, widget: QWidget) -> None:
        if isinstance(widget, QLineEdit):
            widget.textChanged.connect(lambda _t: self._changed())
        elif isinstance(widget, QPlainTextEdit):
            widget.textChanged.connect(self._changed)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(lambda _i: self._changed())
        elif isinstance(widget, QCheckBox):
            widget.toggled.connect(lambda _c: self._changed())

    def _changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    # -- values ---------------------------------------------------------------------------

    def raw(self) -> dict[str, Any]:
        """What the form shows now, in the form's own terms (see ``raw_of``)."""
        raw: dict[str, Any] = {}
        for name, widget in self.widgets.items():
            if isinstance(widget, QLineEdit):
                raw[name] = widget.text().strip()
            elif isinstance(widget, QPlainTextEdit):
                raw[name] = widget.toPlainText().strip()
            elif isinstance(widget, QCheckBox):
                raw[name] = widget.isChecked()
            elif isinstance(widget, QComboBox):
                raw[name] = widget.currentData() if name != "gender" else widget.currentText()
        raw["groups"] = frozenset(k for k, c in self.group_boxes.items() if c.isChecked())
        return raw

    def set_raw(self, raw: dict[str, Any]) -> None:
        self._loading = True
        try:
            for name, widget in self.widgets.items():
                value = raw[name]
                if isinstance(widget, QLineEdit):
                    widget.setText(value or "")
                    mark_invalid(widget, False)
                elif isinstance(widget, QPlainTextEdit):
                    if widget.toPlainText() != value:
                        widget.setPlainText(value or "")
                elif isinstance(widget, QCheckBox):
                    widget.setChecked(bool(value))
                elif name == "gender" and isinstance(widget, QComboBox):
                    if widget.findText(value) < 0:
                        widget.addItem(value)
                    widget.setCurrentIndex(widget.findText(value))
                elif name == "child_in_care" and isinstance(widget, QComboBox):
                    widget.setCurrentIndex(max(0, widget.findData(value)))
                elif isinstance(widget, QComboBox):
                    set_combo_key(widget, value or "")
            for key, check in self.group_boxes.items():
                check.setChecked(key in raw["groups"])
        finally:
            self._loading = False
        self._show_age()

    def show_case(self, detail: CaseDetail) -> None:
        """Show the case; typed edits the case did not also change are kept."""
        new = raw_of(detail.draft)
        if self._baseline is not None and self.is_dirty():
            current, old = self.raw(), self._baseline
            merged = {k: (new[k] if current.get(k) == old.get(k) else current[k]) for k in new}
        else:
            merged = new
        self._baseline = new
        self.set_raw(merged)

    def is_dirty(self) -> bool:
        return self._baseline is not None and self.raw() != self._baseline

    def edits(self) -> dict[str, Any]:
        """The fields typed and not saved, as plain values (groups as a sorted list)."""
        if self._baseline is None:
            return {}
        changed = {k: v for k, v in self.raw().items() if v != self._baseline.get(k)}
        if "groups" in changed:
            changed["groups"] = sorted(changed["groups"])
        return changed

    def apply_edits(self, edits: dict[str, Any]) -> None:
        """Type ``edits`` (from ``edits()``) over the case shown; unknown fields are left out."""
        raw = self.raw()
        for name, value in edits.items():
            if name == "groups" and isinstance(value, list):
                raw[name] = frozenset(str(g) for g in value if g in self.group_boxes)
            elif name in raw and name != "groups":
                raw[name] = value
        self.set_raw(raw)
        self.edited.emit()

    def draft(self) -> CaseDraft:
        """The details as typed; raises ``InvalidInput`` for a date or UPN that cannot be."""
        raw = self.raw()
        dates: dict[str, date | None] = {}
        for name in _DATE_FIELDS:
            widget = self.widgets[name]
            assert isinstance(widget, DateField)
            dates[name] = widget.value()
        problem = upn_problem(raw["upn"]) if raw["upn"] else None
        if problem:
            raise InvalidInput(problem, field="upn")
        values: dict[str, Any] = {name: raw[name] for name in _TEXT_FIELDS}
        values.update({name: raw[name] or "" for name in _COMBO_FIELDS})
        values.update(dates)
        return CaseDraft(
            **values,
            gender=raw["gender"],
            child_in_care=raw["child_in_care"],
            whereabouts_unknown=raw["whereabouts_unknown"],
            last_known_address=raw["last_known_address"],
            groups=tuple(sorted(raw["groups"])),
        )

    def focus_field(self, field: str | None) -> None:
        widget = self.widgets.get(field or "")
        if widget is not None:
            self.ensureWidgetVisible(widget)
            widget.setFocus()
            mark_invalid(widget, True)

    def clear(self) -> None:
        self._baseline = None
        self.set_raw(raw_of(CaseDraft(full_name="")))

    # -- live checks ----------------------------------------------------------------------

    def _check_upn(self, text: str) -> None:
        problem = upn_problem(text) if text.strip() else None
        self.upn_problem.setText(problem or "")
        self._upn_form.setRowVisible(self._upn_row, bool(problem))
        mark_invalid(self.widgets["upn"], bool(problem))

    def _show_age(self) -> None:
        widget = self.widgets["date_of_birth"]
        assert isinstance(widget, DateField)
        text = widget.text().strip()
        dob = parse_uk_date(text) if text else None
        if dob is not None and dob > self.today:
            self.age.setText("The date of birth is in the future.")
            self._set_duty("", warn=False)
            return
        self.age.setText(age_text(dob, self.today))
        try:
            status = duty_status(dob, self.today)
        except InvalidInput as exc:
            self._set_duty(exc.message, warn=True)
            return
        if status.status in (AgeStatus.UNDER_AGE, AgeStatus.OVER_AGE):
            self._set_duty(f"The CME duty does not apply. {status.explanation}", warn=True)
        else:
            self._set_duty(status.explanation, warn=status.status is AgeStatus.UNKNOWN)

    def _set_duty(self, text: str, *, warn: bool) -> None:
        self.duty.setText(text)
        look.warning(self.duty, warn)
        self.duty_changed.emit(text, warn)
