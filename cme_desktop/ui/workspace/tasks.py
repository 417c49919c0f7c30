"""Tasks with due dates and reminders; open ones feed the dashboard and the list's column."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from cme_desktop.services.cases.detail import CaseDetail, TaskRow
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui.dialogs import FormDialog
from cme_desktop.ui.fields import DateField
from cme_desktop.ui.workspace.context import CaseContext
from cme_desktop.ui.workspace.tables import SmallTable


class TaskDialog(FormDialog):
    def __init__(self, parent: QWidget | None, ctx: CaseContext) -> None:
        super().__init__(parent, "Add a task")
        self.ctx = ctx
        self.title = QLineEdit()
        self.title.setPlaceholderText("e.g. Phone the school to check the roll")
        self.add("&Task:", self.title, "title")
        self.due_on = DateField("due_on", "Due on")
        self.due_on.set_value(date.today() + timedelta(days=7))
        self.add("&Due on:", self.due_on, "due_on")
        self.remind_on = DateField("remind_on", "Remind on")
        self.add("&Remind on:", self.remind_on, "remind_on")

    def submit(self) -> None:
        due = self.due_on.value()
        if due is None:
            raise InvalidInput("Give the date the task is due.", field="due_on")
        self.ctx.services.cases.add_task(
            self.ctx.case_id,
            title=self.title.text(),
            due_on=due,
            remind_on=self.remind_on.value(),
            origin="officer",
        )
        self.ctx.changed()


def task_status(task: TaskRow, today: date) -> str:
    if task.done_on is not None:
        return f"Done {format_date(task.done_on)}"
    if task.due_on < today:
        return "Overdue"
    return "Due today" if task.due_on == today else "Open"


class TasksSection(QWidget):
    def __init__(self, ctx: CaseContext, *, today: date | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self._today = today
        self._open_ids: set[int] = set()
        layout = QVBoxLayout(self)
        self.table = SmallTable(("Due", "Task", "Reminder", "Status"), "Tasks")
        self.table.activated_id.connect(lambda _i: self.complete())
        layout.addWidget(self.table)
        row = QHBoxLayout()
        add = QPushButton("&Add task…")
        add.clicked.connect(self.add_task)
        self.done = QPushButton("Mark &done")
        self.done.setAccessibleName("Mark the selected task done")
        self.done.clicked.connect(self.complete)
        row.addWidget(add)
        row.addWidget(self.done)
        row.addStretch(1)
        layout.addLayout(row)

    def show_case(self, detail: CaseDetail) -> None:
        today = self._today or date.today()
        self._open_ids = {t.id for t in detail.tasks if t.done_on is None}
        self.table.set_rows(
            [
                (
                    t.id,
                    (
                        format_date(t.due_on),
                        t.title,
                        format_date(t.remind_on) if t.remind_on else "",
                        task_status(t, today),
                    ),
                )
                for t in detail.tasks
            ],
            warn=[t.done_on is None and t.due_on < today for t in detail.tasks],
        )
        self.table.setColumnWidth(1, self.fontMetrics().averageCharWidth() * 50)

    def add_task(self) -> None:
        TaskDialog(self, self.ctx).exec()

    def complete(self) -> None:
        task_id = self.table.current_id()
        if task_id is None or task_id not in self._open_ids:
            return
        self.ctx.run(self, "Tasks", lambda: self.ctx.services.cases.complete_task(task_id))
