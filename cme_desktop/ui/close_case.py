"""The Close case dialog: the outcome, the day, and the details that outcome needs.

The checks are ``services/cases/closing.py``; this dialog only shows, for the
chosen outcome, the fields it needs: the school and start day ("On roll at a
school"), the receiving authority and the day it was told ("Moved out of the
authority"), the school leaving date ("end of compulsory school age"), and the
enquiries with their dates and results and where the case was passed on
("Untraceable"). The others are hidden, so Tab goes through only what is asked.
The enquiries already recorded on the case are filled in.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from cme_desktop.models import vocabularies as vocab
from cme_desktop.models.closure_terms import PASSED_ON_TO, UNTRACEABLE_ENQUIRIES
from cme_desktop.services.cases.closing import ChecklistEntry, ClosureDetails
from cme_desktop.services.cases.closure_records import ClosureRecords
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.rules.school_age import compulsory_school_age
from cme_desktop.ui.dialogs import FormDialog, term_combo, text_box
from cme_desktop.ui.fields import DateField, add_row, name_field
from cme_desktop.ui.workspace.context import CaseContext

#: The rows each outcome shows besides the outcome, the day and the note.
ROWS_OF: dict[str, tuple[str, ...]] = {
    "on_roll": ("school", "school_start"),
    "moved_out": ("receiving_authority", "authority_told_on"),
    "over_age": ("leaving_date",),
    "untraceable": (
        *(f"enquiry.{t.key}" for t in UNTRACEABLE_ENQUIRIES),
        "passed_on_to",
        "passed_on_on",
        "passed_on_note",
    ),
}


class CloseCaseDialog(FormDialog):
    """Close a case with one of the closing outcomes and what that outcome needs."""

    def __init__(self, parent: QWidget | None, ctx: CaseContext) -> None:
        super().__init__(parent, "Close the case", ok_text="&Close case")
        self.ctx = ctx
        self.set_intro(
            "Choose why the case is closed; the details that outcome needs appear below. "
            "It can be reopened later; nothing is lost."
        )
        self.outcome = term_combo(vocab.CLOSING_OUTCOMES)
        self.add("&Outcome:", self.outcome, "outcome")
        self.on = DateField("closed_on", "Closed on")
        self.on.set_value(date.today())
        self.add("&Date closed:", self.on, "closed_on")
        #: The row widget of each detail, shown for the outcomes that need it.
        self.rows: dict[str, QWidget] = {}
        self.school = self._row("&School:", QLineEdit(), "school")
        self.school_start = self._row("Sta&rts on:", DateField("school_start", "Starts on"))
        # Most often the child started by the day the case closes, as the closing day is.
        assert isinstance(self.school_start, DateField)
        self.school_start.set_value(date.today())
        self.authority = self._row("&Authority:", QLineEdit(), "receiving_authority")
        self.told_on = self._row(
            "Authority &told on:", DateField("authority_told_on", "Authority told on")
        )
        self.leaving_label = QLabel(self._leaving_text())
        self.leaving_label.setWordWrap(True)
        add_row(self.form, "Leaving date:", self.leaving_label)
        self.rows["leaving_date"] = self.leaving_label
        self.enquiry_dates: dict[str, DateField] = {}
        self.enquiry_results: dict[str, QLineEdit] = {}
        for term in UNTRACEABLE_ENQUIRIES:
            self._enquiry_row(term.key, term.label, term.help)
        self.passed_on_to: QComboBox = term_combo(PASSED_ON_TO)
        self._row("&Passed on to:", self.passed_on_to, "passed_on_to")
        self.passed_on_on = self._row("Passed on o&n:", DateField("passed_on_on", "Passed on on"))
        self.passed_on_note = self._row("Passed on &how:", QLineEdit(), "passed_on_note")
        self.note = text_box(3)
        self.add("Not&e:", self.note, "note")
        self._fill_recorded()
        self.outcome.currentIndexChanged.connect(self._show_rows)
        self._show_rows()

    # -- building -------------------------------------------------------------------

    def _row(self, label: str, widget: QWidget, field: str = "") -> QWidget:
        name = field or getattr(widget, "field", "")
        self.add(label, widget, name)
        self.rows[name] = widget
        return widget

    def _enquiry_row(self, key: str, label: str, help_text: str) -> None:
        made_on = DateField(f"enquiry.{key}", f"{label}: date")
        result = QLineEdit()
        name_field(result, f"{label}: result")
        result.setPlaceholderText("What it found")
        # Room for a sentence: the result is what a reader of the closed case looks for.
        result.setMinimumWidth(result.fontMetrics().averageCharWidth() * 44)
        if help_text:
            made_on.setToolTip(help_text)
            result.setToolTip(help_text)
        made_on.setMaximumWidth(made_on.fontMetrics().averageCharWidth() * 14)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(made_on)
        line.addWidget(result, 1)
        add_row(self.form, f"{label}:", row, name=f"{label}: date")
        # Each part in the Tab order by itself: the date, then the result.
        self._rows += [made_on, result]
        self.fields[f"enquiry.{key}"] = made_on
        self.fields[f"enquiry.{key}.result"] = result
        self.rows[f"enquiry.{key}"] = row
        self.enquiry_dates[key] = made_on
        self.enquiry_results[key] = result

    def _leaving_text(self) -> str:
        detail = getattr(self.parentWidget(), "detail", None)
        dob = getattr(detail, "date_of_birth", None)
        if not isinstance(dob, date):
            return "The date of birth is not recorded: add it before closing this way."
        leaving = compulsory_school_age(dob)[1]
        return f"{format_date(leaving)}: the case can close this way from that day."

    def _fill_recorded(self) -> None:
        records = ClosureRecords(self.ctx.services.db)
        for entry in records.checklist(self.ctx.case_id, "untraceable"):
            if entry.made_on is not None:
                self.enquiry_dates[entry.item].set_value(entry.made_on)
                self.enquiry_results[entry.item].setText(entry.result)

    def _show_rows(self) -> None:
        wanted = set(ROWS_OF.get(self.outcome_key(), ()))
        for name, widget in self.rows.items():
            self.form.setRowVisible(widget, name in wanted)
        # The cursor opens in the first text the outcome asks for (the school, the
        # authority, the first enquiry's result), else in the note.
        texts: list[tuple[str, QWidget]] = [
            ("school", self.school),
            ("receiving_authority", self.authority),
            *((f"enquiry.{k}", r) for k, r in self.enquiry_results.items()),
            ("passed_on_note", self.passed_on_note),
        ]
        self.typing_field = next(
            (w for n, w in texts if n in wanted and isinstance(w, QLineEdit) and not w.text()),
            self.note,
        )
        self.adjustSize()

    # -- what the officer chose -------------------------------------------------------

    def outcome_key(self) -> str:
        return str(self.outcome.currentData() or "")

    def details(self) -> ClosureDetails:
        """The details the chosen outcome needs, read from the shown fields."""
        assert isinstance(self.school, QLineEdit) and isinstance(self.authority, QLineEdit)
        assert isinstance(self.school_start, DateField) and isinstance(self.told_on, DateField)
        assert isinstance(self.passed_on_on, DateField)
        assert isinstance(self.passed_on_note, QLineEdit)
        outcome = self.outcome_key()
        if outcome == "on_roll":
            return ClosureDetails(school=self.school.text(), school_start=self.school_start.value())
        if outcome == "moved_out":
            return ClosureDetails(
                receiving_authority=self.authority.text(),
                authority_told_on=self.told_on.value(),
            )
        if outcome == "untraceable":
            enquiries = tuple(
                ChecklistEntry(key, self.enquiry_dates[key].value(), result.text())
                for key, result in self.enquiry_results.items()
            )
            return ClosureDetails(
                enquiries=enquiries,
                passed_on_to=str(self.passed_on_to.currentData() or ""),
                passed_on_on=self.passed_on_on.value(),
                passed_on_note=self.passed_on_note.text(),
            )
        return ClosureDetails()

    def submit(self) -> None:
        self.ctx.services.cases.close(
            self.ctx.case_id,
            outcome=self.outcome_key(),
            on=self.on.value(),
            note=self.note.toPlainText(),
            details=self.details(),
        )
        self.ctx.changed()
