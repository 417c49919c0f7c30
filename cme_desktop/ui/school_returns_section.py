"""The case workspace's "Pupil returns & closing" section: schools' returns, the "20 school
days" checklist, and passing on an untraceable child's case after the closing.

It lists the schools' deletion and new pupil returns kept on the case (regulation
13 of SI 2024/208). When the latest deletion return's ground is 9(1)(i) — 20 or
more school days' continuous absence, with joint reasonable enquiries by the
school and the authority — the checklist of those enquiries is shown beneath:
each check with the day it was made and what it found, saved in one call
(``ClosureRecords.save_checklist``). For any other ground it is not shown.

A case closed "untraceable" shows where and when it was passed on (the lost
pupils database, another authority), to record or correct once it is: until
then the child still counts as missing education (``docs/closures.md``).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models.closure_terms import (
    DELETION_GROUNDS,
    PASSED_ON_TO,
    TWENTY_DAY_CHECKS,
    TWENTY_DAYS_GROUND,
)
from cme_desktop.models.vocabularies import label_of
from cme_desktop.services.cases.closing import ChecklistEntry
from cme_desktop.services.cases.closure_records import ClosureRecords
from cme_desktop.services.cases.detail import CaseDetail
from cme_desktop.services.errors import CmeError
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui import prompts
from cme_desktop.ui.fields import DateField, add_row, label_for, name_field
from cme_desktop.ui.window import Window
from cme_desktop.ui.workspace.context import CaseContext

# No Alt+letter: every letter of these words is taken by a menu, another section's tab or
# a field in sight beside the tab bar; the arrow keys on the tab bar reach it.
TITLE = "Pupil returns && closing"
NO_RETURNS = "No school has sent a deletion or new pupil return for this child."
NOT_TWENTY_DAYS = (
    "The 20 school days checklist appears when a school deletes the child on ground 9(1)(i)."
)


class SchoolReturnsSection(QWidget):
    """The returns on the case; the 20 school days checklist when the ground is 9(1)(i);
    where an untraceable child's case was passed on."""

    def __init__(self, ctx: CaseContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.records = ClosureRecords(ctx.services.db)
        layout = QVBoxLayout(self)
        self.returns_label = QLabel(NO_RETURNS)
        self.returns_label.setWordWrap(True)
        self.returns_label.setAccessibleName("School returns on this case")
        layout.addWidget(self.returns_label)
        self.hint = QLabel(NOT_TWENTY_DAYS)
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.checklist = QGroupBox("20 school days: joint reasonable enquiries (9(1)(i))")
        grid = QGridLayout(self.checklist)
        grid.setColumnStretch(2, 1)
        self.dates: dict[str, DateField] = {}
        self.results: dict[str, QLineEdit] = {}
        for row, term in enumerate(TWENTY_DAY_CHECKS):
            made_on = DateField(term.key, f"{term.label}: date")
            made_on.setMaximumWidth(made_on.fontMetrics().averageCharWidth() * 14)
            result = QLineEdit()
            result.setPlaceholderText("What was done and found")
            name_field(result, f"{term.label}: what was found")
            label = label_for(made_on, term.label, name=f"{term.label}: date")
            label.setWordWrap(True)
            grid.addWidget(label, row, 0)
            grid.addWidget(made_on, row, 1)
            grid.addWidget(result, row, 2)
            self.dates[term.key] = made_on
            self.results[term.key] = result
        self.save_button = QPushButton("Save the checklist")
        self.save_button.setAccessibleName("Save the 20 school days checklist")
        self.save_button.clicked.connect(self.save)
        grid.addWidget(
            self.save_button, len(TWENTY_DAY_CHECKS), 1, 1, 2, Qt.AlignmentFlag.AlignLeft
        )
        layout.addWidget(self.checklist)
        layout.addWidget(self._passed_on_box())
        layout.addStretch(1)
        self.checklist.hide()
        self.passed_on.hide()

    def _passed_on_box(self) -> QGroupBox:
        self.passed_on = QGroupBox("Closed as untraceable: passed on")
        form = QFormLayout(self.passed_on)
        self.passed_on_to = QComboBox()
        for term in PASSED_ON_TO:
            self.passed_on_to.addItem(term.label, term.key)
        add_row(form, "Passed on to:", self.passed_on_to)
        self.passed_on_on = DateField("passed_on_on", "Passed on on")
        add_row(form, "Passed on on:", self.passed_on_on)
        self.passed_on_note = QLineEdit()
        add_row(form, "How:", self.passed_on_note, name="How it was passed on")
        self.passed_on_button = QPushButton("Record passing on")
        self.passed_on_button.setAccessibleName("Record where the case was passed on")
        self.passed_on_button.clicked.connect(self.record_passed_on)
        form.addRow("", self.passed_on_button)
        return self.passed_on

    def show_case(self, detail: CaseDetail) -> None:
        """Show the case's returns, for a 9(1)(i) deletion its checklist, and for a case
        closed untraceable where it was passed on."""
        try:
            returns = self.records.school_returns(self.ctx.case_id)
            ground = self.records.deletion_ground(self.ctx.case_id)
            entries = self.records.checklist(self.ctx.case_id, "twenty_days")
            closure = self.records.closure(self.ctx.case_id)
        except CmeError as exc:
            prompts.error(self, "School returns", exc)
            return
        untraceable = detail.status == "closed" and detail.closing_outcome == "untraceable"
        self.passed_on.setVisible(untraceable)
        if untraceable and closure is not None:
            index = self.passed_on_to.findData(closure.passed_on_to)
            self.passed_on_to.setCurrentIndex(max(index, 0))
            self.passed_on_on.set_value(closure.passed_on_on)
            self.passed_on_note.setText(closure.passed_on_note)
        lines = []
        for r in returns:
            if r.kind == "deletion":
                text = (
                    f"Deleted by {r.school} on {_day(r.on)}: {label_of(DELETION_GROUNDS, r.ground)}"
                )
                text += f". Destination: {r.destination}" if r.destination else ""
            else:
                text = f"New pupil at {r.school} from {_day(r.on)}"
            lines.append(f"• {text} (received {format_date(r.received_on)}).")
        self.returns_label.setText("\n".join(lines) if lines else NO_RETURNS)
        twenty_days = ground == TWENTY_DAYS_GROUND
        self.checklist.setVisible(twenty_days)
        self.hint.setVisible(not twenty_days)
        for entry in entries:
            self.dates[entry.item].set_value(entry.made_on)
            self.results[entry.item].setText(entry.result)

    def entries(self) -> list[ChecklistEntry]:
        """The checks as typed (a check without a date is left unrecorded)."""
        return [
            ChecklistEntry(key, self.dates[key].value(), self.results[key].text())
            for key in self.dates
        ]

    def save(self) -> None:
        """Record the checks with a date, in one service call."""
        try:
            count = self.records.save_checklist(self.ctx.case_id, "twenty_days", self.entries())
        except CmeError as exc:
            prompts.error(self, "20 school days checklist", exc)
            return
        if count:
            self.ctx.changed()

    def record_passed_on(self) -> None:
        """Record where and when the untraceable child's case was passed on."""
        try:
            self.records.record_passed_on(
                self.ctx.case_id,
                to=str(self.passed_on_to.currentData() or ""),
                on=self.passed_on_on.value(),
                note=self.passed_on_note.text(),
            )
        except CmeError as exc:
            prompts.error(self, "Passed on", exc)
            return
        self.ctx.changed()


def _day(day: date | None) -> str:
    return format_date(day) if day is not None else "a day not given"


def install(window: Window) -> None:
    """Add the "Pupil returns & closing" section to every case workspace."""
    window.add_case_section(TITLE, SchoolReturnsSection)
