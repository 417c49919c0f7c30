"""A read-only table of a few rows for a case section (addresses, carers, tasks ...)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1
WARN = QColor("#b00020")


class SmallTable(QTableWidget):
    """Rows of plain text, selectable by row; Enter or double-click emits ``activated_id``."""

    activated_id = Signal(int)

    def __init__(self, headers: Sequence[str], accessible_name: str) -> None:
        super().__init__(0, len(headers))
        self.setHorizontalHeaderLabels(list(headers))
        self.setAccessibleName(accessible_name)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(False)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.doubleClicked.connect(lambda index: self._activate(index.row()))

    def set_rows(
        self,
        rows: Sequence[tuple[int, Sequence[str]]],
        *,
        warn: Sequence[bool] = (),
        bold: Sequence[bool] = (),
    ) -> None:
        """Replace the rows: ``(row id, cell texts)``; ``warn`` rows in red bold."""
        self.setRowCount(0)
        font = QFont()
        font.setBold(True)
        for r, (row_id, cells) in enumerate(rows):
            self.insertRow(r)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ROW_ID_ROLE, row_id)
                if r < len(warn) and warn[r]:
                    item.setForeground(QBrush(WARN))
                    item.setFont(font)
                elif r < len(bold) and bold[r]:
                    item.setFont(font)
                self.setItem(r, c, item)
        self.resizeRowsToContents()

    def current_id(self) -> int | None:
        item = self.item(self.currentRow(), 0) if self.currentRow() >= 0 else None
        return int(item.data(ROW_ID_ROLE)) if item is not None else None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
            self._activate(self.currentRow())
            return
        super().keyPressEvent(event)

    def _activate(self, row: int) -> None:
        item = self.item(row, 0)
        if item is not None:
            self.activated_id.emit(int(item.data(ROW_ID_ROLE)))
