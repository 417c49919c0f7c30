"""The monthly saves of the central record (policy 8.3), in the Reports window.

The saved months are listed; "Save this month now" makes the month's save if
it is due, and "Restore into a new file…" restores a backup into a new, checked
file and says what the checks found. The vault in use is never overwritten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.registry import AppServices
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui import background, prompts
from cme_desktop.ui.reports.report_page import TITLE


class SavesPage(QWidget):
    """The saved months, with Save this month now and Restore into a new file…"""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.saves = services.backups.saves()
        self.list = QTableWidget(0, 4)
        self.list.setAccessibleName("Monthly saves")
        self.list.setHorizontalHeaderLabels(["Month", "Saved on", "Open cases then", "Backup file"])
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setTabKeyNavigation(False)  # Tab goes on to the buttons; arrows move
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.list.horizontalHeader()
        for col in range(3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.list.verticalHeader().hide()
        self.save_button = QPushButton("Save this month now")
        self.restore_button = QPushButton("Restore into a new file…")
        self.save_button.clicked.connect(self.save_now)
        self.restore_button.clicked.connect(self.restore_selected)
        self.status = QLabel(
            "The record is saved on the first unlock of each month (policy 8.3). A restore "
            "makes a new, checked file; the vault in use is never overwritten."
        )
        self.status.setWordWrap(True)
        self.saving = background.ProgressPanel(compact=True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.saving, 1)
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.saves = self.services.backups.saves()
        self.list.setRowCount(len(self.saves))
        for row, save in enumerate(self.saves):
            file = str(save.backup_file) if save.backup_exists else "pruned (statistics kept)"
            values = (
                save.month,
                format_date(save.taken_at.date()),
                str(save.stats.get("open", "")),
                file,
            )
            for col, text in enumerate(values):
                self.list.setItem(row, col, QTableWidgetItem(text))
        self.save_button.setEnabled(self.services.backups.due())

    def save_now(self) -> None:
        self.save_button.setEnabled(False)
        # One encrypted copy made by SQLCipher: it cannot be stopped half way, so no Cancel.
        progress = background.Progress(
            "Saving this month: an encrypted copy of the whole record, then its figures…",
            parent=self,
        )
        self.saving.follow(progress)
        background.run(
            self,
            self.services.backups.save_month,
            on_done=self._saved,
            on_error=self._failed,
            progress=progress,
        )

    def _saved(self, info: Any) -> None:
        self.refresh()
        if info is not None:
            self.status.setText(f"Saved {info.month}: {info.backup_file}")

    def _failed(self, exc: BaseException) -> None:
        self.refresh()
        prompts.error(self, TITLE, exc)

    def restore_selected(self) -> None:
        rows = self.list.selectionModel().selectedRows()
        if not rows:
            prompts.info(self, TITLE, "Choose the month to restore.")
            return
        save = self.saves[rows[0].row()]
        if not save.backup_exists or save.backup_file is None:
            prompts.warn(self, TITLE, f"The backup of {save.month} is no longer there.")
            return
        suggested = str(save.backup_file.with_name(f"restored-{save.backup_file.name}"))
        target = prompts.save_file(self, "Restore into a new file", suggested, "CME vault (*.cme)")
        if target is None:
            return
        backup = save.backup_file
        self.restore_button.setEnabled(False)
        self.status.setText(f"Restoring {save.month} and checking it…")
        background.run(
            self,
            lambda: self.services.backups.restore(backup, Path(target)),
            on_done=self._restored,
            on_error=self._restore_failed,
        )

    def _restored(self, check: Any) -> None:
        self.restore_button.setEnabled(True)
        self.status.setText(check.summary())
        prompts.info(
            self,
            TITLE,
            check.summary()
            + "\n\nThe vault in use has not been changed. To work from the restored copy, "
            "lock CME Desktop and open that file instead.",
        )

    def _restore_failed(self, exc: BaseException) -> None:
        self.restore_button.setEnabled(True)
        self.status.setText("Nothing was restored.")
        prompts.error(self, TITLE, exc)
