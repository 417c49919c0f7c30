"""The case timeline: notes, calls, contacts and home visits, newest first, filterable.

"Add entry…" logs a note, call, contact, email or letter; "Record visit…" logs a
home visit in one step: when, the outcome (none is chosen for the officer: a
pre-selected "Child seen" would inflate the figures), who was seen, what was
found and the next step, which can become a task (a visit ticks step 5 of
policy 3.0). What the program records by itself (a referral imported, an export
sent, a case closed) is shown as "Recorded automatically".

"Edit entry…" (or Enter on a row) corrects one of the officer's entries;
"Delete entry…" asks why and strikes the entry through: it stays on the
timeline, with the reason, and is no longer counted.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.detail import CaseDetail, TimelineRow
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui import prompts
from cme_desktop.ui.dialogs import FormDialog, set_combo_key, term_combo, text_box
from cme_desktop.ui.fields import DateField
from cme_desktop.ui.workspace.context import CaseContext
from cme_desktop.ui.workspace.tables import ROW_ID_ROLE, SmallTable
from cme_desktop.ui.workspace.versions import VersionedDialog


def _when(parent: FormDialog, row: TimelineRow | None = None) -> tuple[DateField, QTimeEdit]:
    day = DateField("occurred_at", "Date")
    day.set_value(row.occurred_at.date() if row is not None else date.today())
    parent.add("&Date:", day, "occurred_at")
    start = QTime(row.occurred_at.hour, row.occurred_at.minute) if row else QTime.currentTime()
    at = QTimeEdit(start)
    at.setDisplayFormat("HH:mm")
    parent.add("&Time:", at, "time")
    return day, at


def _occurred_at(day: DateField, at: QTimeEdit) -> datetime:
    value = day.value()
    if value is None:
        raise InvalidInput("Give the date.", field="occurred_at")
    t = at.time()
    return datetime.combine(value, time(t.hour(), t.minute()))


def _show_when(day: DateField, at: QTimeEdit, row: TimelineRow) -> None:
    day.set_value(row.occurred_at.date())
    at.setTime(QTime(row.occurred_at.hour, row.occurred_at.minute))


def _entry_of(detail: CaseDetail, row: TimelineRow | None) -> TimelineRow | None:
    """``row`` as ``detail`` has it now (``None``: gone, or deleted since)."""
    found = next((t for t in detail.timeline if row is not None and t.id == row.id), None)
    return found if found is not None and found.deleted_at is None else None


class EntryDialog(VersionedDialog):
    """A note, phone call, contact, email or letter; given ``row``, that entry corrected."""

    def __init__(
        self, parent: QWidget | None, ctx: CaseContext, row: TimelineRow | None = None
    ) -> None:
        super().__init__(parent, "Edit a timeline entry" if row else "Add a timeline entry")
        self.ctx = ctx
        self.row: TimelineRow | None = row
        self.kind = term_combo(tuple(t for t in vocab.OFFICER_TIMELINE_KINDS if t.key != "visit"))
        self.add("&Kind:", self.kind, "kind")
        self.day, self.at = _when(self, row)
        self.summary = text_box(5)
        self.add("&What happened:", self.summary, "summary")
        if row is not None:
            # The kind stays what it was: a call corrected is still a call.
            set_combo_key(self.kind, row.kind)
            self.kind.setEnabled(False)
            self.summary.setPlainText(row.summary)

    def fresh_row(self, detail: CaseDetail) -> TimelineRow | None:
        return _entry_of(detail, self.row)

    def show_row(self, row: TimelineRow) -> None:
        _show_when(self.day, self.at, row)
        self.summary.setPlainText(row.summary)

    def save_row(self) -> None:
        if self.row is not None:
            self.ctx.services.cases.edit_timeline(
                self.row.id,
                occurred_at=_occurred_at(self.day, self.at),
                summary=self.summary.toPlainText(),
                version=self.row.version,
            )
        else:
            self.ctx.services.cases.add_timeline(
                self.ctx.case_id,
                kind=str(self.kind.currentData()),
                occurred_at=_occurred_at(self.day, self.at),
                summary=self.summary.toPlainText(),
            )
        self.ctx.changed()


#: What the visit dialog says when Save is pressed before an outcome is chosen.
NO_OUTCOME = "Choose the outcome of the visit: what you found at the address."


class VisitDialog(VersionedDialog):
    """A home visit: when, outcome, who was seen, what was found, the next step.

    Given ``row``, that visit corrected (the next step is then not offered as a task).
    """

    def __init__(
        self, parent: QWidget | None, ctx: CaseContext, row: TimelineRow | None = None
    ) -> None:
        super().__init__(parent, "Edit a home visit" if row else "Record a home visit")
        self.ctx = ctx
        self.row: TimelineRow | None = row
        self.day, self.at = _when(self, row)
        self.outcome = term_combo(vocab.VISIT_OUTCOMES, blank="Choose the outcome…")
        self.add("&Outcome:", self.outcome, "outcome")
        self.who_seen = QLineEdit()
        self.add("&Who was seen:", self.who_seen, "who_seen")
        self.summary = text_box(4)
        self.summary.setPlaceholderText(
            "Signs of the property being occupied, what neighbours said, …"
        )
        self.add("What was &found:", self.summary, "summary")
        self.next_step = QLineEdit()
        self.add("&Next step:", self.next_step, "next_step")
        self.as_task = QCheckBox("Add as a tas&k")
        self.task_due = DateField("task_due", "Task due on")
        self.task_due.set_value(date.today() + timedelta(days=7))
        self.task_due.setEnabled(False)
        self.as_task.toggled.connect(self.task_due.setEnabled)
        if row is None:
            self.add("", self.as_task, "as_task")
            self.as_task.setAccessibleName("Add the next step as a task")
            self.add("Task d&ue on:", self.task_due, "task_due")
        else:
            self.show_row(row)

    def fresh_row(self, detail: CaseDetail) -> TimelineRow | None:
        return _entry_of(detail, self.row)

    def show_row(self, row: TimelineRow) -> None:
        _show_when(self.day, self.at, row)
        set_combo_key(self.outcome, row.outcome)
        self.who_seen.setText(row.who_seen)
        self.summary.setPlainText(row.summary)
        self.next_step.setText(row.next_step)

    def save_row(self) -> None:
        outcome = str(self.outcome.currentData() or "")
        if not outcome:
            raise InvalidInput(NO_OUTCOME, field="outcome")
        if self.row is not None:
            self.ctx.services.cases.edit_timeline(
                self.row.id,
                occurred_at=_occurred_at(self.day, self.at),
                outcome=outcome,
                who_seen=self.who_seen.text(),
                summary=self.summary.toPlainText(),
                next_step=self.next_step.text(),
                version=self.row.version,
            )
            self.ctx.changed()
            return
        due = None
        if self.as_task.isChecked():
            due = self.task_due.value()
            if due is None:
                raise InvalidInput("Give the date the task is due.", field="task_due")
        self.ctx.services.cases.add_timeline(
            self.ctx.case_id,
            kind="visit",
            occurred_at=_occurred_at(self.day, self.at),
            outcome=outcome,
            who_seen=self.who_seen.text(),
            summary=self.summary.toPlainText(),
            next_step=self.next_step.text(),
            next_step_due=due,
        )
        self.ctx.changed()


#: Why the officer cannot change an entry the program wrote.
AUTOMATIC = "This entry was recorded automatically and cannot be changed. Add a note to correct it."
#: What the officer is asked before an entry is struck through.
DELETE_QUESTION = (
    "Why is this entry being deleted? It stays on the timeline, struck through, with your reason."
)


def by_text(row: TimelineRow) -> str:
    """Who wrote the entry, and, in words, whether it was edited or deleted and why."""
    parts = [row.author]
    if row.deleted_at is not None:
        parts.append(f"Deleted {format_date(row.deleted_at.date())}: {row.deleted_reason}")
    elif row.edited_at is not None:
        parts.append(f"Edited {format_date(row.edited_at.date())}")
    return " — ".join(p for p in parts if p)


def entry_text(row: TimelineRow) -> str:
    """What the timeline shows for an entry: the outcome and details of a visit, else the text."""
    parts = []
    if row.kind == "visit" and row.outcome:
        parts.append(vocab.label_of(vocab.VISIT_OUTCOMES, row.outcome) + ".")
    if row.who_seen:
        parts.append(f"Seen: {row.who_seen}.")
    if row.summary:
        parts.append(row.summary)
    if row.next_step:
        parts.append(f"Next step: {row.next_step}")
    return " ".join(parts)


class TimelineSection(QWidget):
    """The entries of one case, newest first, with a filter by kind."""

    def __init__(self, ctx: CaseContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._rows: tuple[TimelineRow, ...] = ()
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        show = QLabel("Sho&w:")
        self.filter = QComboBox()
        self.filter.addItem("Everything", "")
        for term in vocab.TIMELINE_KINDS:
            self.filter.addItem(term.label, term.key)
        self.filter.setAccessibleName("Show entries of kind")
        show.setBuddy(self.filter)
        self.filter.currentIndexChanged.connect(lambda _i: self._fill())
        bar.addWidget(show)
        bar.addWidget(self.filter)
        bar.addStretch(1)
        add = QPushButton("Add &entry…")
        add.setAccessibleName("Add a timeline entry")
        add.clicked.connect(self.add_entry)
        visit = QPushButton("Rec&ord visit…")
        visit.setAccessibleName("Record a home visit")
        visit.clicked.connect(self.record_visit)
        bar.addWidget(add)
        bar.addWidget(visit)
        layout.addLayout(bar)
        self.table = SmallTable(("When", "Kind", "What happened", "By"), "Timeline")
        self.table.activated_id.connect(lambda _i: self.edit_entry())
        layout.addWidget(self.table)
        corrections = QHBoxLayout()
        self.edit_button = QPushButton("Edit entr&y…")
        self.edit_button.setAccessibleName("Edit the selected timeline entry")
        self.edit_button.clicked.connect(self.edit_entry)
        self.delete_button = QPushButton("Delete e&ntry…")
        self.delete_button.setAccessibleName("Delete the selected timeline entry")
        self.delete_button.clicked.connect(self.delete_entry)
        corrections.addWidget(self.edit_button)
        corrections.addWidget(self.delete_button)
        corrections.addStretch(1)
        layout.addLayout(corrections)

    def show_case(self, detail: CaseDetail) -> None:
        self._rows = detail.timeline
        self._fill()

    def _fill(self) -> None:
        kind = self.filter.currentData()
        rows = [r for r in self._rows if not kind or r.kind == kind]
        self.table.set_rows(
            [
                (
                    r.id,
                    (
                        r.occurred_at.strftime("%d/%m/%Y %H:%M"),
                        vocab.label_of(vocab.TIMELINE_KINDS, r.kind),
                        entry_text(r),
                        by_text(r),
                    ),
                )
                for r in rows
            ],
            struck=[r.deleted_at is not None for r in rows],
        )
        metrics = self.fontMetrics()
        self.table.setColumnWidth(0, metrics.averageCharWidth() * 18)
        self.table.setColumnWidth(1, metrics.averageCharWidth() * 14)
        self.table.setColumnWidth(2, metrics.averageCharWidth() * 70)
        self.table.resizeRowsToContents()

    def shown_ids(self) -> list[int]:
        items = (self.table.item(r, 0) for r in range(self.table.rowCount()))
        return [int(item.data(ROW_ID_ROLE)) for item in items if item is not None]

    def add_entry(self) -> None:
        EntryDialog(self, self.ctx).exec()

    def record_visit(self) -> None:
        VisitDialog(self, self.ctx).exec()

    def selected(self) -> TimelineRow | None:
        """The selected entry, if the officer may correct it; else says why and ``None``."""
        entry_id = self.table.current_id()
        row = next((r for r in self._rows if r.id == entry_id), None)
        if row is None:
            prompts.info(self, "Timeline", "Select an entry first.")
            return None
        if row.kind == "system":
            prompts.info(self, "Timeline", AUTOMATIC)
            return None
        if row.deleted_at is not None:
            prompts.info(self, "Timeline", "That entry has been deleted already.")
            return None
        return row

    def edit_entry(self) -> None:
        """Correct the selected entry (a visit in the visit form)."""
        row = self.selected()
        if row is None:
            return
        if row.kind == "visit":
            VisitDialog(self, self.ctx, row).exec()
        else:
            EntryDialog(self, self.ctx, row).exec()

    def delete_entry(self) -> None:
        """Ask why, then strike the selected entry through (it is kept, with the reason)."""
        row = self.selected()
        if row is None:
            return
        reason = prompts.ask_text(self, "Delete entry", DELETE_QUESTION)
        if reason is None:
            return
        self.ctx.run(
            self,
            "Delete entry",
            lambda: self.ctx.services.cases.delete_timeline(row.id, reason=reason),
        )
