"""Tools > Retention review…: the closed cases the retention rule says are due.

The list shows each due case with when it was closed and when it fell due; the
officer opens a case to read it, keeps it longer (a date and a reason), or erases
it. Erasure cannot be undone, so it takes a second step: the case reference typed
in a dialog whose Erase button stays disabled until it matches.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.retention import DueCase
from cme_desktop.services.errors import CmeError
from cme_desktop.services.registry import AppServices
from cme_desktop.services.rules.dates import format_uk_date, parse_uk_date
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.ui import prompts
from cme_desktop.ui.dialogs import text_box
from cme_desktop.ui.fields import add_row, buttons_in_order
from cme_desktop.ui.screen_fit import fit_window, fit_wrapped

TITLE = "Retention review"
COLUMNS = ("Reference", "Name", "Closed", "Outcome", "Due for review", "Kept longer because")


class EraseDialog(QDialog):
    """The second step of an erasure: the case reference typed to enable Erase."""

    def __init__(self, parent: QWidget | None, case_id: int, name: str) -> None:
        super().__init__(parent)
        self.reference = case_reference(case_id)
        self.setWindowTitle(f"Erase {self.reference}")
        layout = QVBoxLayout(self)
        text = QLabel(
            f"Erase the personal data of {name} ({self.reference})? This cannot be undone: "
            "the name, addresses, people, notes, referrals and files go for good. The "
            "statistics and an audit row that the case was erased remain.\n\n"
            f"Type {self.reference} to confirm."
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        self.typed = QLineEdit()
        self.typed.setPlaceholderText(self.reference)
        add_row(form, "Case &reference:", self.typed, name="Type the case reference to confirm")
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.erase = buttons.addButton("&Erase", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.erase.setAccessibleName(f"Erase {self.reference}")
        self.erase.setEnabled(False)
        self.erase.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        buttons_in_order(buttons, self.typed)
        self.typed.textChanged.connect(
            lambda text: self.erase.setEnabled(text.strip().upper() == self.reference)
        )
        fit_wrapped(self, 480)  # the warning is wrapped: its height at that width
        self.typed.setFocus()

    def confirmation(self) -> str:
        return self.typed.text()


class KeepLongerDialog(QDialog):
    """Keep a case beyond the rule: until a date, and why."""

    def __init__(self, parent: QWidget | None, case: DueCase, today: date) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Keep {case.reference} longer")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.until = QLineEdit(format_uk_date(today + timedelta(days=365)))
        self.until.setPlaceholderText("dd/mm/yyyy")
        add_row(form, "Keep &until:", self.until, name="Keep the case until (dd/mm/yyyy)")
        self.reason = text_box(3)
        add_row(form, "&Why:", self.reason, name="Why the case is kept longer")
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.keep = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.keep.setText("&Keep longer")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        fit_window(self, QSize(480, self.sizeHint().height()))
        self.reason.setFocus()


class RetentionWindow(QDialog):
    """The review queue: due cases, and what the officer does with each."""

    def __init__(
        self,
        parent: QWidget | None,
        services: AppServices,
        open_case: Callable[[int], object],
        *,
        changed: Callable[[int], object] = lambda _case_id: None,
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.open_case = open_case
        self.changed = changed
        self.today = today or local_today()
        self.due: list[DueCase] = []
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)
        layout = QVBoxLayout(self)
        self.rule = QLabel(services.retention.rule().describe())
        self.rule.setWordWrap(True)
        layout.addWidget(self.rule)
        self.count = QLabel()
        layout.addWidget(self.count)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setAccessibleName("Cases due for review")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setTabKeyNavigation(False)
        self.table.doubleClicked.connect(lambda _index: self._open())
        self.table.itemSelectionChanged.connect(self._enable)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.open_button = QPushButton("&Open case")
        self.keep_button = QPushButton("&Keep longer…")
        self.erase_button = QPushButton("&Erase…")
        self.close_button = QPushButton("&Close")
        for button, run in (
            (self.open_button, self._open),
            (self.keep_button, self._keep),
            (self.erase_button, self._erase),
        ):
            button.clicked.connect(lambda _checked=False, run=run: run())
            row.addWidget(button)
        row.addStretch(1)
        self.close_button.clicked.connect(self.close)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        self.refresh()
        fit_window(self, QSize(1000, 560))
        self.table.setFocus()

    def refresh(self) -> None:
        """Read the queue again (after an erasure, an extension, or a settings change)."""
        try:
            self.due = self.services.retention.due(today=self.today)
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            self.due = []
        self.table.setRowCount(len(self.due))
        for r, case in enumerate(self.due):
            values = (
                case.reference,
                case.full_name,
                format_uk_date(case.closed_on),
                vocab.label_of(vocab.CLOSING_OUTCOMES, case.closing_outcome),
                format_uk_date(case.due_on),
                case.retention_reason,
            )
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        n = len(self.due)
        self.count.setText(
            "No closed case is due for review."
            if not n
            else f"{n} closed case{'s' * (n != 1)} due for review on {format_uk_date(self.today)}."
        )
        if n:
            self.table.selectRow(0)
        self._enable()

    def _selected(self) -> DueCase | None:
        rows = self.table.selectionModel().selectedRows()
        return self.due[rows[0].row()] if rows else None

    def _enable(self) -> None:
        chosen = self._selected() is not None
        for button in (self.open_button, self.keep_button, self.erase_button):
            button.setEnabled(chosen)

    def _open(self) -> None:
        case = self._selected()
        if case is not None:
            self.open_case(case.case_id)

    def _keep(self) -> None:
        case = self._selected()
        if case is None:
            return
        dialog = KeepLongerDialog(self, case, self.today)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            until = parse_uk_date(dialog.until.text())
            if until is None:
                prompts.warn(self, TITLE, "Give the date to keep the case until as dd/mm/yyyy.")
                continue
            try:
                self.services.retention.extend(
                    case.case_id,
                    until=until,
                    reason=dialog.reason.toPlainText(),
                    today=self.today,
                )
            except CmeError as exc:
                prompts.error(self, TITLE, exc)
                continue
            self.changed(case.case_id)
            break
        self.refresh()

    def _erase(self) -> None:
        case = self._selected()
        if case is None:
            return
        dialog = EraseDialog(self, case.case_id, case.full_name)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            erased = self.services.erasure.erase(
                case.case_id, confirmation=dialog.confirmation(), today=self.today
            )
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            return
        self.changed(case.case_id)
        self.refresh()
        prompts.info(self, TITLE, f"{erased.reference} has been erased.")
