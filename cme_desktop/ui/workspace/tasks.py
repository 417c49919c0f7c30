"""Tasks with due dates and reminders; open ones feed the dashboard and the list's column.

"Change task…" corrects a task's wording or dates; "Delete task…" asks why and strikes
the task through: it stays on the case, with the reason, and leaves the dashboard.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from cme_desktop.services.cases.detail import CaseDetail, TaskRow
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui import prompts
from cme_desktop.ui.fields import DateField
from cme_desktop.ui.workspace.context import CaseContext
from cme_desktop.ui.workspace.tables import SmallTable
from cme_desktop.ui.workspace.versions import VersionedDialog


class TaskDialog(VersionedDialog):
    """Add a task; given ``row``, correct that task."""

    def __init__(
        self, parent: QWidget | None, ctx: CaseContext, row: TaskRow | None = None
    ) -> None:
        super().__init__(parent, "Edit a task" if row else "Add a task")
        self.ctx = ctx
        self.row: TaskRow | None = row
        self.title = QLineEdit()
        self.title.setPlaceholderText("e.g. Phone the school to check the roll")
        self.add("&Task:", self.title, "title")
        self.due_on = DateField("due_on", "Due on")
        self.due_on.set_value(date.today() + timedelta(days=7))
        self.add("&Due on:", self.due_on, "due_on")
        self.remind_on = DateField("remind_on", "Remind on")
        self.add("&Remind on:", self.remind_on, "remind_on")
        if row is not None:
            self.show_row(row)

    def fresh_row(self, detail: CaseDetail) -> TaskRow | None:
        """The task as ``detail`` has it now (``None``: gone, or deleted since)."""
        row = self.row
        found = next((t for t in detail.tasks if row is not None and t.id == row.id), None)
        return found if found is not None and found.deleted_at is None else None

    def show_row(self, row: TaskRow) -> None:
        self.title.setText(row.title)
        self.due_on.set_value(row.due_on)
        self.remind_on.set_value(row.remind_on)

    def save_row(self) -> None:
        due = self.due_on.value()
        if due is None:
            raise InvalidInput("Give the date the task is due.", field="due_on")
        if self.row is not None:
            self.ctx.services.cases.edit_task(
                self.row.id,
                title=self.title.text(),
                due_on=due,
                remind_on=self.remind_on.value(),
                version=self.row.version,
            )
            self.ctx.changed()
            return
        self.ctx.services.cases.add_task(
            self.ctx.case_id,
            title=self.title.text(),
            due_on=due,
            remind_on=self.remind_on.value(),
            origin="officer",
        )
        self.ctx.changed()


#: What the officer is asked before a task is struck through.
DELETE_QUESTION = (
    "Why is this task being deleted? It stays on the case, struck through, with your reason."
)


def task_status(task: TaskRow, today: date) -> str:
    if task.deleted_at is not None:
        return f"Deleted {format_date(task.deleted_at.date())}: {task.deleted_reason}"
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
        self._tasks: tuple[TaskRow, ...] = ()
        layout = QVBoxLayout(self)
        self.table = SmallTable(("Due", "Task", "Reminder", "Status"), "Tasks")
        self.table.activated_id.connect(lambda _i: self.complete())
        layout.addWidget(self.table)
        row = QHBoxLayout()
        add = QPushButton("&Add task…")
        add.clicked.connect(self.add_task)
        self.done = QPushButton("Mark d&one")
        self.done.setAccessibleName("Mark the selected task done")
        self.done.clicked.connect(self.complete)
        self.edit_button = QPushButton("Cha&nge task…")
        self.edit_button.setAccessibleName("Edit the selected task")
        self.edit_button.clicked.connect(self.edit_task)
        self.delete_button = QPushButton("D&elete task…")
        self.delete_button.setAccessibleName("Delete the selected task")
        self.delete_button.clicked.connect(self.delete_task)
        row.addWidget(add)
        row.addWidget(self.done)
        row.addWidget(self.edit_button)
        row.addWidget(self.delete_button)
        row.addStretch(1)
        layout.addLayout(row)

    def show_case(self, detail: CaseDetail) -> None:
        today = self._today or date.today()
        self._tasks = detail.tasks
        self._open_ids = {t.id for t in detail.tasks if t.done_on is None and t.deleted_at is None}
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
            warn=[t.id in self._open_ids and t.due_on < today for t in detail.tasks],
            struck=[t.deleted_at is not None for t in detail.tasks],
        )
        self.table.setColumnWidth(1, self.fontMetrics().averageCharWidth() * 50)

    def add_task(self) -> None:
        TaskDialog(self, self.ctx).exec()

    def complete(self) -> None:
        task_id = self.table.current_id()
        if task_id is None or task_id not in self._open_ids:
            return
        self.ctx.run(self, "Tasks", lambda: self.ctx.services.cases.complete_task(task_id))

    def selected(self) -> TaskRow | None:
        """The selected task, if it can be corrected; else says why and ``None``."""
        task_id = self.table.current_id()
        task = next((t for t in self._tasks if t.id == task_id), None)
        if task is None:
            prompts.info(self, "Tasks", "Select a task first.")
            return None
        if task.deleted_at is not None:
            prompts.info(self, "Tasks", "That task has been deleted already.")
            return None
        return task

    def edit_task(self) -> None:
        task = self.selected()
        if task is not None:
            TaskDialog(self, self.ctx, task).exec()

    def delete_task(self) -> None:
        """Ask why, then strike the selected task through (it is kept, with the reason)."""
        task = self.selected()
        if task is None:
            return
        reason = prompts.ask_text(self, "Delete task", DELETE_QUESTION)
        if reason is None:
            return
        self.ctx.run(
            self, "Delete task", lambda: self.ctx.services.cases.delete_task(task.id, reason=reason)
        )
