"""The DfE termly return's tab of the Reports window: figures, PDF, and the cases that block it.

The census day is proposed (the latest school-census Thursday, or a census day
saved in Settings, up to today) and can be changed. When counted children lack a
sex, a date of birth or a DfE reason, the return cannot be saved as CSV: the
cases are listed under the chooser, and Enter or a double-click opens one in its
case workspace to complete it; making the return again picks up the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from cme_desktop.services.registry import AppServices
from cme_desktop.services.reports.dfe_return import Blocker
from cme_desktop.ui.reports.report_page import Made, ReportPage

CASE_ID_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class DfeMade(Made):
    """The return as made: ``csv`` is empty while ``blockers`` (or ``not_ready``) hold it up."""

    blockers: tuple[Blocker, ...] = ()
    not_ready: str = ""


class DfePage(ReportPage):
    """A ``ReportPage`` that lists the cases blocking the return and opens them."""

    def __init__(
        self,
        services: AppServices,
        chooser: QWidget,
        prepare: Callable[[], Callable[[], Made]],
        open_case: Callable[[int], Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(services, chooser, prepare, parent)
        self.open_case = open_case
        self.blocked = QWidget()
        box = QVBoxLayout(self.blocked)
        box.setContentsMargins(0, 0, 0, 0)
        self.blocked_label = QLabel()
        self.blocked_label.setWordWrap(True)
        self.blockers = QListWidget()
        self.blockers.setAccessibleName("Cases that block the DfE return")
        self.blockers.setToolTip("Enter or double-click opens the case to complete it.")
        self.blockers.setMaximumHeight(self.blockers.fontMetrics().lineSpacing() * 7 + 12)
        self.blocked_label.setBuddy(self.blockers)
        self.blockers.itemActivated.connect(self._open)
        box.addWidget(self.blocked_label)
        box.addWidget(self.blockers)
        self.blocked.hide()
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(1, self.blocked)

    def show_made(self, made: Made) -> None:
        super().show_made(made)
        blockers = made.blockers if isinstance(made, DfeMade) else ()
        not_ready = made.not_ready if isinstance(made, DfeMade) else ""
        self.blockers.clear()
        for blocker in blockers:
            item = QListWidgetItem(blocker.text)
            item.setData(CASE_ID_ROLE, blocker.case_id)
            self.blockers.addItem(item)
        if blockers:
            self.blocked_label.setText(
                f"&Not ready: {len(blockers)} counted case(s) need details before the CSV can "
                "be saved. Open one (Enter or double-click), complete it, then make the "
                "return again."
            )
        self.blocked.setVisible(bool(blockers))
        if blockers or not_ready:
            self.save_csv_button.setEnabled(False)
            self.status.setText(
                not_ready or f"{made.name}: not ready — {len(blockers)} case(s) need details first."
            )
            if blockers:
                self.blockers.setCurrentRow(0)

    def _open(self, item: QListWidgetItem) -> None:
        if self.open_case is not None:
            self.open_case(int(item.data(CASE_ID_ROLE)))
