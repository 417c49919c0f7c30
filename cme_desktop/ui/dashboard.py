"""The dashboard: my tasks due today and overdue, open cases by tracking step, this month.

Double-click (or Enter on) a task to open its case; click a tracking step to
show the list of open cases at that step.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.case_list import CaseList, Dashboard, DueTask
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui import look
from cme_desktop.ui.fields import plain

CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
#: The widest text of the "Due" column (``_TaskModel.data``).
DUE_WIDEST = "30 Sep 2026 \u2013 overdue"

_Index = QModelIndex | QPersistentModelIndex


class _TaskModel(QAbstractTableModel):
    """The tasks shown, as a model: only the rows on screen are ever drawn, so the dashboard
    shows in the same time whether a few tasks are due or hundreds."""

    HEADERS = ("Due", "Child", "Task")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: tuple[DueTask, ...] = ()
        self._today = date.min
        self._bold = QFont()
        self._bold.setBold(True)

    def set_tasks(self, tasks: tuple[DueTask, ...], today: date) -> None:
        self.beginResetModel()
        self._tasks, self._today = tasks, today
        self.endResetModel()

    def case_id(self, row: int) -> int | None:
        return self._tasks[row].case_id if 0 <= row < len(self._tasks) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._tasks)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._tasks):
            return None
        task = self._tasks[index.row()]
        overdue = task.due_on < self._today
        if role == CASE_ID_ROLE:
            return task.case_id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if index.column() == 0:
                return f"{format_date(task.due_on)} – {'overdue' if overdue else 'today'}"
            return task.full_name if index.column() == 1 else task.title
        if overdue and index.column() == 0:
            if role == Qt.ItemDataRole.ForegroundRole:
                return look.tone_brush("problem")
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        return None


class _TaskTable(QTableView):
    open_requested = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.tasks = _TaskModel(self)
        self.setModel(self.tasks)
        self.setAccessibleName("My tasks due today and overdue")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(False)
        self.verticalHeader().setVisible(False)
        # Widths from the font, not measured row by row: the table fills in the same time
        # however many tasks it shows.
        char = self.fontMetrics().averageCharWidth()
        # The due date of an overdue task is bold: its column fits the longest in bold.
        bold = QFont(self.font())
        bold.setBold(True)
        longest = QFontMetrics(bold).horizontalAdvance(DUE_WIDEST)
        self.setColumnWidth(0, longest + 3 * char)
        self.setColumnWidth(1, 24 * char)
        self.horizontalHeader().setStretchLastSection(True)
        self.setAlternatingRowColors(True)
        self.doubleClicked.connect(lambda index: self._open(index.row()))

    def rowCount(self) -> int:  # noqa: N802 - as QTableWidget names it
        """How many tasks are shown."""
        return self.tasks.rowCount()

    def currentRow(self) -> int:  # noqa: N802
        return self.currentIndex().row()

    def setCurrentCell(self, row: int, column: int) -> None:  # noqa: N802
        self.setCurrentIndex(self.tasks.index(row, column))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
            self._open(self.currentRow())
            return
        super().keyPressEvent(event)

    def _open(self, row: int) -> None:
        case_id = self.tasks.case_id(row)
        if case_id is not None:
            self.open_requested.emit(case_id)


class DashboardView(QWidget):
    """Today's work at a glance."""

    open_requested = Signal(int)
    step_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source: CaseList | None = None
        self._stale = True
        self.data: Dashboard | None = None
        layout = QHBoxLayout(self)

        tasks_box = QGroupBox("My tasks: overdue and due today")
        tasks_layout = QVBoxLayout(tasks_box)
        self.tasks = _TaskTable()
        self.tasks.open_requested.connect(self.open_requested)
        tasks_layout.addWidget(self.tasks)
        # Said when the lists hold only the most overdue tasks and the first due today.
        self.cut_note = QLabel()
        self.cut_note.setWordWrap(True)
        self.cut_note.setVisible(False)
        tasks_layout.addWidget(self.cut_note)
        hint = QLabel("Double-click a task, or press Enter, to open the case.")
        look.role(hint, "hint")
        tasks_layout.addWidget(hint)
        layout.addWidget(tasks_box, 1)

        right = QVBoxLayout()
        steps_box = QGroupBox("Open cases by tracking step")
        grid = QGridLayout(steps_box)
        grid.setColumnStretch(2, 1)
        self.step_buttons: list[QPushButton] = []
        self.step_counts: list[QLabel] = []
        self.step_bars: list[QProgressBar] = []
        for number, term in enumerate(vocab.TRACKING_STEPS, start=1):
            button = QPushButton(plain(f"{number}. {term.label}"))
            look.role(button, "link")
            button.setAccessibleName(f"Show open cases at step {number}: {term.label}")
            button.clicked.connect(lambda _c=False, n=number: self.step_chosen.emit(n))
            count = QLabel("0")
            count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            bar = QProgressBar()
            bar.setTextVisible(False)
            bar.setMaximumHeight(10)
            bar.setAccessibleName(f"Share of open cases at step {number}")
            grid.addWidget(button, number, 0)
            grid.addWidget(count, number, 1)
            grid.addWidget(bar, number, 2)
            self.step_buttons.append(button)
            self.step_counts.append(count)
            self.step_bars.append(bar)
        right.addWidget(steps_box)

        month_box = QGroupBox("This month")
        month = QGridLayout(month_box)
        self.new_this_month = QLabel("0")
        self.overdue_count = QLabel("0")
        self.due_today_count = QLabel("0")
        self.due_next_week = QLabel("0")
        figures = (
            ("New notifications this month", self.new_this_month),
            ("Cases with overdue tasks", self.overdue_count),
            ("Tasks due today", self.due_today_count),
            ("Tasks due in the next 7 days", self.due_next_week),
        )
        for row, (text, label) in enumerate(figures):
            look.role(label, "figure")
            label.setAccessibleName(text)
            month.addWidget(QLabel(text), row, 0)
            month.addWidget(label, row, 1, Qt.AlignmentFlag.AlignRight)
        right.addWidget(month_box)
        right.addStretch(1)
        layout.addLayout(right, 1)

    # -- the vault ------------------------------------------------------------------------

    def attach(self, source: CaseList) -> None:
        self._source = source
        self._stale = True

    def mark_stale(self) -> None:
        """Something changed: read again when next shown (now, if visible)."""
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self, *, today: date | None = None) -> None:
        """Read the dashboard figures from the vault."""
        if self._source is None:
            return
        self._stale = False
        self.show_data(self._source.dashboard(today=today))

    def show_data(self, data: Dashboard) -> None:
        self.data = data
        self.tasks.tasks.set_tasks(data.overdue + data.due_today, data.today)
        self.cut_note.setText(cut_note(data))
        self.cut_note.setVisible(data.cut)
        total = sum(data.open_by_step.values()) or 1
        for i, (count, bar) in enumerate(zip(self.step_counts, self.step_bars, strict=True)):
            n = data.open_by_step.get(i + 1, 0)
            count.setText(f"{n:,}")
            bar.setRange(0, total)
            bar.setValue(n)
        self.new_this_month.setText(f"{data.new_this_month:,}")
        self.overdue_count.setText(f"{data.overdue_cases:,}")
        self.due_today_count.setText(f"{data.due_today_total:,}")
        self.due_next_week.setText(f"{data.due_next_7_days:,}")

    def clear(self) -> None:
        """Forget every name and figure (the vault is being locked)."""
        self._source = None
        self.data = None
        self.tasks.tasks.set_tasks((), date.min)
        self.cut_note.clear()
        self.cut_note.setVisible(False)
        for count, bar in zip(self.step_counts, self.step_bars, strict=True):
            count.setText("0")
            bar.setValue(0)
        for label in (
            self.new_this_month,
            self.overdue_count,
            self.due_today_count,
            self.due_next_week,
        ):
            label.setText("0")
        self._stale = True


def cut_note(data: Dashboard) -> str:
    """What the task lists leave out, when they do ("" when they hold every task)."""
    if not data.cut:
        return ""
    parts = []
    overdue, today = len(data.overdue), len(data.due_today)
    if overdue < data.overdue_total:
        parts.append(f"the {overdue:,} most overdue of {data.overdue_total:,} overdue tasks")
    if today < data.due_today_total:
        parts.append(f"{today:,} of the {data.due_today_total:,} tasks due today")
    return (
        f"Showing {' and '.join(parts)}. The case list's \u201cOverdue tasks\u201d filter "
        "shows every case with an overdue task."
    )
