"""The review of a school's deletion or new pupil return: what each row would do, ticked.

Every row of the return is listed with its proposal (``importing.school_returns``):
open a new case, keep the deletion return on the matching open case, close the
matching open case as on roll, or nothing (with why). The rows that would change
a case are ticked; the officer unticks any she does not want (Space on the row)
and presses Apply. Nothing is saved before that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.importing.school_returns import ACTIONS_DONE, Proposal, ReturnsApplied
from cme_desktop.services.importing.school_returns_csv import SchoolReturnRow
from cme_desktop.services.registry import AppServices
from cme_desktop.ui import prompts
from cme_desktop.ui.fields import buttons_in_order
from cme_desktop.ui.screen_fit import fit_window

COLUMNS = ("Do it", "Row", "Child", "Return", "What it does")
_KINDS = {"deletion": "Deletion", "new_pupil": "New pupil"}


class SchoolReturnsReview(QDialog):
    """Each row of a school's return and its proposal; the ticked ones are carried out."""

    def __init__(self, parent: QWidget | None, name: str, proposals: Sequence[Proposal]) -> None:
        super().__init__(parent)
        title = f"School return: {name}"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setModal(True)
        self.proposals = tuple(proposals)
        layout = QVBoxLayout(self)
        doable = sum(1 for p in self.proposals if p.action in ACTIONS_DONE)
        intro = QLabel(
            f"“{name}” lists {len(self.proposals)} pupils. {doable} would change a case: "
            "they are ticked. Untick any you do not want (Space on the row), then Apply. "
            "Nothing is saved before that."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(len(self.proposals), len(COLUMNS))
        self.table.setAccessibleName("The return's rows and what each would do")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.installEventFilter(self)
        for index, proposal in enumerate(self.proposals):
            tick = QTableWidgetItem()
            if proposal.action in ACTIONS_DONE:
                tick.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                tick.setCheckState(Qt.CheckState.Checked)
            else:
                tick.setFlags(Qt.ItemFlag.ItemIsEnabled)
            row = proposal.row
            cells = (
                tick,
                QTableWidgetItem(str(row.row)),
                QTableWidgetItem(row.full_name or "(no name)"),
                QTableWidgetItem(_KINDS.get(row.kind, "?")),
                QTableWidgetItem(proposal.message),
            )
            for column, item in enumerate(cells):
                if column:
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(index, column, item)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        # The proposal is a sentence: wrapped in its cell, never cut short.
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        apply_button.setText("&Apply ticked rows")
        apply_button.setEnabled(doable > 0)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        buttons_in_order(self.buttons, self.table)
        self.table.setCurrentCell(0, 0)
        self.table.setFocus()
        fit_window(self, QSize(980, 520))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Space ticks or unticks the row in front, wherever in the row the cursor is.
        if (
            watched is self.table
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Space
        ):
            self.toggle(self.table.currentRow())
            return True
        return super().eventFilter(watched, event)

    def toggle(self, index: int) -> None:
        """Tick or untick row ``index`` (a row that would change nothing stays unticked)."""
        item = self.table.item(index, 0) if index >= 0 else None
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            return
        ticked = item.checkState() == Qt.CheckState.Checked
        item.setCheckState(Qt.CheckState.Unchecked if ticked else Qt.CheckState.Checked)

    def confirmed(self) -> set[int]:
        """The file's row numbers the officer left ticked."""
        out: set[int] = set()
        for index, proposal in enumerate(self.proposals):
            item = self.table.item(index, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.add(proposal.row.row)
        return out


def review(
    parent: QWidget | None,
    services: AppServices,
    name: str,
    rows: Sequence[SchoolReturnRow],
    *,
    run: Callable[[Callable[[], Any], Callable[[Any], None]], None],
    saved: Callable[[list[int], str], None],
    after: Callable[[], None],
) -> None:
    """Match a return's rows (``run`` in the background), show the review, and carry out
    the rows left ticked; ``saved`` is told the cases changed, then ``after`` follows."""
    from cme_desktop.services.importing import school_returns

    db = services.db

    def planned(proposals: tuple[Proposal, ...]) -> None:
        dialog = SchoolReturnsReview(parent, name, proposals)
        if not dialog.exec() or not dialog.confirmed():
            return after()
        confirmed = dialog.confirmed()
        run(
            lambda: school_returns.apply(db, proposals, confirmed=confirmed, source_name=name),
            applied,
        )

    def applied(result: ReturnsApplied) -> None:
        done = [p for p in result.proposals if p.done and p.case_id is not None]
        saved(
            [p.case_id for p in done if p.case_id is not None],
            f"{len(done)} row(s) of {name} done.",
        )
        failed = [p for p in result.proposals if p.problem]
        if failed:
            lines = "\n".join(f"• Row {p.row.row}: {p.message}" for p in failed)
            prompts.warn(parent, "School return", f"These rows were not done:\n\n{lines}")
        after()

    run(lambda: school_returns.plan(db, rows), planned)
