"""A read-only table of a few rows for a case section (addresses, carers, tasks ...)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from cme_desktop.ui import look

ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1


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
        struck: Sequence[bool] = (),
    ) -> None:
        """Replace the rows: ``(row id, cell texts)``; ``warn`` rows in red bold.

        ``struck`` rows (deleted, kept for the record) are struck through but for their
        last cell, which says so in words (a screen reader does not announce a strike).
        """
        self.setRowCount(0)
        font = QFont()
        font.setBold(True)
        strike = QFont()
        strike.setStrikeOut(True)
        for r, (row_id, cells) in enumerate(rows):
            self.insertRow(r)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ROW_ID_ROLE, row_id)
                if r < len(warn) and warn[r]:
                    # Read on the shaded rows too (the harder of the two backgrounds).
                    item.setForeground(look.tone_brush("problem", on=look.Role.AlternateBase))
                    item.setFont(font)
                elif r < len(bold) and bold[r]:
                    item.setFont(font)
                if r < len(struck) and struck[r]:
                    item.setForeground(look.tone_brush("muted", on=look.Role.AlternateBase))
                    if c < len(cells) - 1:
                        item.setFont(strike)
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
