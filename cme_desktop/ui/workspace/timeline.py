"""The case timeline: notes, calls, contacts and home visits, newest first, filterable.

"Add entry…" logs a note, call, contact, email or letter; "Record visit…" logs a
home visit in one step: when, the outcome, who was seen, what was found and the
next step (a visit ticks step 5 of policy 3.0).
"""

from __future__ import annotations

from datetime import date, datetime, time

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
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
from cme_desktop.ui.dialogs import FormDialog, term_combo, text_box
from cme_desktop.ui.fields import DateField
from cme_desktop.ui.workspace.context import CaseContext
from cme_desktop.ui.workspace.tables import ROW_ID_ROLE, SmallTable


def _when(parent: FormDialog) -> tuple[DateField, QTimeEdit]:
    day = DateField("occurred_at", "Date")
    day.set_value(date.today())
    parent.add("&Date:", day, "occurred_at")
    at = QTimeEdit(QTime.currentTime())
    at.setDisplayFormat("HH:mm")
    parent.add("&Time:", at, "time")
    return day, at


def _occurred_at(day: DateField, at: QTimeEdit) -> datetime:
    value = day.value()
    if value is None:
        raise InvalidInput("Give the date.", field="occurred_at")
    t = at.time()
    return datetime.combine(value, time(t.hour(), t.minute()))


class EntryDialog(FormDialog):
    """A note, phone call, contact, email or letter."""

    def __init__(self, parent: QWidget | None, ctx: CaseContext) -> None:
        super().__init__(parent, "Add a timeline entry")
        self.ctx = ctx
        self.kind = term_combo(tuple(t for t in vocab.TIMELINE_KINDS if t.key != "visit"))
        self.add("&Kind:", self.kind, "kind")
        self.day, self.at = _when(self)
        self.summary = text_box(5)
        self.add("&What happened:", self.summary, "summary")

    def submit(self) -> None:
        self.ctx.services.cases.add_timeline(
            self.ctx.case_id,
            kind=str(self.kind.currentData()),
            occurred_at=_occurred_at(self.day, self.at),
            summary=self.summary.toPlainText(),
        )
        self.ctx.changed()


class VisitDialog(FormDialog):
    """A home visit: when, outcome, who was seen, what was found, the next step."""

    def __init__(self, parent: QWidget | None, ctx: CaseContext) -> None:
        super().__init__(parent, "Record a home visit")
        self.ctx = ctx
        self.day, self.at = _when(self)
        self.outcome = term_combo(vocab.VISIT_OUTCOMES)
        self.add("&Outcome:", self.outcome, "outcome")
        self.who_seen = QLineEdit()
        self.add("Who was &seen:", self.who_seen, "who_seen")
        self.summary = text_box(4)
        self.summary.setPlaceholderText(
            "Signs of the property being occupied, what neighbours said, …"
        )
        self.add("What was &found:", self.summary, "summary")
        self.next_step = QLineEdit()
        self.add("&Next step:", self.next_step, "next_step")

    def submit(self) -> None:
        self.ctx.services.cases.add_timeline(
            self.ctx.case_id,
            kind="visit",
            occurred_at=_occurred_at(self.day, self.at),
            outcome=str(self.outcome.currentData()),
            who_seen=self.who_seen.text(),
            summary=self.summary.toPlainText(),
            next_step=self.next_step.text(),
        )
        self.ctx.changed()


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
        show = QLabel("S&how:")
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
        visit = QPushButton("Record &visit…")
        visit.setAccessibleName("Record a home visit")
        visit.clicked.connect(self.record_visit)
        bar.addWidget(add)
        bar.addWidget(visit)
        layout.addLayout(bar)
        self.table = SmallTable(("When", "Kind", "What happened", "By"), "Timeline")
        layout.addWidget(self.table)

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
                        r.author,
                    ),
                )
                for r in rows
            ]
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
