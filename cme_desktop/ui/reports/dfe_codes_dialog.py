"""Settings > DfE return codes: the code the return writes for each sex, year group,
length-missing band and primary reason; a reason the DfE adds; one it drops.

The DfE revises its collection; this lets the authority follow it without a new
release (``services/reports/dfe_codebook.py``, ``docs/dfe-return.md``). One table
per breakdown; the codes are typed in place. Save checks every code at once
(none empty, none twice in a breakdown) and keeps them in the vault; a problem is
shown and its row selected, and nothing is saved.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.errors import CmeError, InvalidInput
from cme_desktop.services.reports.dfe_codebook import (
    DEFAULT,
    TOPICS,
    Codebook,
    DfeCodes,
    Entry,
    with_reason,
)
from cme_desktop.services.vault.database import UnitOfWork
from cme_desktop.ui import prompts
from cme_desktop.ui.fields import add_row
from cme_desktop.ui.screen_fit import fit_window

TITLE = "DfE return codes"
#: The columns of each table: the breakdown's label, the code written, and (reasons) retired.
LABEL, CODE, RETIRED = 0, 1, 2
KEY_ROLE = Qt.ItemDataRole.UserRole
_TAB_TITLES = {"sex": "&Sex", "year": "&Year groups", "band": "&Length missing"}


class DfeCodesDialog(QDialog):
    """The authority's codes for the DfE return, one table per breakdown."""

    def __init__(self, parent: QWidget | None, db: UnitOfWork) -> None:
        super().__init__(parent)
        self.codes = DfeCodes(db)
        self.book = self.codes.load()
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "The code the DfE return's CSV writes for each row. Change one when the DfE's "
            "specification for the term gives another; add a primary reason the DfE adds, and "
            "retire one it drops (cases holding it must then be given a current one)."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.tabs = QTabWidget()
        self.tables: dict[str, QTableWidget] = {}
        for topic, name in TOPICS:
            page = QWidget()
            box = QVBoxLayout(page)
            table = self._table(topic, name)
            box.addWidget(table)
            if topic == "reason":
                box.addLayout(self._new_reason_row())
            self.tabs.addTab(page, _TAB_TITLES.get(topic, "&Primary reasons"))
        layout.addWidget(self.tabs, 1)
        row = QHBoxLayout()
        self.reset = QPushButton("Use the program's c&odes")
        self.reset.setAccessibleName("Use the program's own codes and labels")
        self.reset.setToolTip(
            "Puts back the program's codes and labels and un-retires its reasons; reasons "
            "the authority added are kept."
        )
        self.reset.clicked.connect(self.use_defaults)
        row.addWidget(self.reset)
        row.addStretch(1)
        layout.addLayout(row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.show_book(self.book)
        fit_window(self, QSize(760, 560))
        first = self.tables["sex"]
        first.setFocus()
        first.setCurrentCell(0, CODE)

    # -- building -------------------------------------------------------------------------

    def _table(self, topic: str, name: str) -> QTableWidget:
        reasons = topic == "reason"
        table = QTableWidget(0, 3 if reasons else 2)
        headers = ["DfE label", "Code written"] + (["Retired"] if reasons else [])
        table.setHorizontalHeaderLabels(headers)
        table.setAccessibleName(f"Codes written for {name.lower()}")
        table.verticalHeader().setVisible(False)
        table.setTabKeyNavigation(False)
        # Typing on a cell replaces its code, as in a spreadsheet.
        triggers = QAbstractItemView.EditTrigger
        table.setEditTriggers(
            triggers.AnyKeyPressed | triggers.EditKeyPressed | triggers.DoubleClicked
        )
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = table.horizontalHeader()
        header.setSectionResizeMode(LABEL, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CODE, QHeaderView.ResizeMode.ResizeToContents)
        if reasons:
            header.setSectionResizeMode(RETIRED, QHeaderView.ResizeMode.ResizeToContents)
        self.tables[topic] = table
        return table

    def _new_reason_row(self) -> QFormLayout:
        form = QFormLayout()
        self.new_code = QLineEdit()
        self.new_code.setMaxLength(12)
        self.new_code.setPlaceholderText("as the DfE gives it")
        add_row(form, "New reason's co&de:", self.new_code, name="New primary reason's code")
        self.new_label = QLineEdit()
        self.new_label.setPlaceholderText("the DfE's wording")
        add_row(form, "New reason's la&bel:", self.new_label, name="New primary reason's label")
        self.add_button = QPushButton("&Add the reason")
        self.add_button.setAccessibleName("Add the new primary reason")
        self.add_button.clicked.connect(self.add_reason)
        form.addRow("", self.add_button)
        return form

    def show_book(self, book: Codebook) -> None:
        """Fill the tables from ``book``."""
        for topic, _name in TOPICS:
            table = self.tables[topic]
            entries = book.entries(topic)
            table.setRowCount(len(entries))
            for row, entry in enumerate(entries):
                label = QTableWidgetItem(entry.label)
                label.setData(KEY_ROLE, entry.key)
                if topic != "reason":
                    # The DfE's breakdowns themselves are fixed: only their codes change.
                    label.setFlags(label.flags() & ~Qt.ItemFlag.ItemIsEditable)
                table.setItem(row, LABEL, label)
                table.setItem(row, CODE, QTableWidgetItem(entry.code))
                if topic == "reason":
                    retired = QTableWidgetItem("added by the authority" if entry.added else "")
                    retired.setFlags(
                        (retired.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                        & ~Qt.ItemFlag.ItemIsEditable
                    )
                    checked = Qt.CheckState.Checked if entry.retired else Qt.CheckState.Unchecked
                    retired.setCheckState(checked)
                    table.setItem(row, RETIRED, retired)

    # -- reading the tables -----------------------------------------------------------------

    def typed(self) -> Codebook:
        """The codes as typed in the tables (not yet checked)."""
        out: dict[str, tuple[Entry, ...]] = {}
        for topic, _name in TOPICS:
            table = self.tables[topic]
            entries = []
            for row, entry in enumerate(self.book.entries(topic)):
                label_item, code_item = table.item(row, LABEL), table.item(row, CODE)
                label = label_item.text() if label_item is not None else entry.label
                code = code_item.text() if code_item is not None else ""
                retired = entry.retired
                if topic == "reason":
                    box = table.item(row, RETIRED)
                    retired = box is not None and box.checkState() == Qt.CheckState.Checked
                entries.append(replace(entry, code=code, label=label, retired=retired))
            out[topic] = tuple(entries)
        return Codebook(**out)

    # -- actions -----------------------------------------------------------------------------

    def add_reason(self) -> None:
        """Add the typed reason to the table (kept when the dialog is saved)."""
        try:
            self.book = with_reason(
                self.typed(), code=self.new_code.text(), label=self.new_label.text()
            )
        except InvalidInput as exc:
            prompts.error(self, TITLE, exc)
            (self.new_label if exc.field == "new_reason_label" else self.new_code).setFocus()
            return
        self.show_book(self.book)
        self.new_code.clear()
        self.new_label.clear()
        table = self.tables["reason"]
        table.setFocus()
        table.setCurrentCell(table.rowCount() - 1, CODE)

    def use_defaults(self) -> None:
        """The program's own codes and labels back; the authority's added reasons stay."""
        added = tuple(e for e in self.typed().reason if e.added)
        self.book = replace(DEFAULT, reason=(*DEFAULT.reason, *added))
        self.show_book(self.book)

    def accept(self) -> None:
        try:
            self.book = self.codes.save(self.typed())
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            self._select(getattr(exc, "field", None) or "")
            return
        super().accept()

    def _select(self, field: str) -> None:
        """Show the row ``field`` (``topic:key``) names, ready to type over its code."""
        topic, _, key = field.partition(":")
        if topic not in self.tables:
            return
        self.tabs.setCurrentIndex([t for t, _n in TOPICS].index(topic))
        table = self.tables[topic]
        for row in range(table.rowCount()):
            item = table.item(row, LABEL)
            if item is not None and item.data(KEY_ROLE) == key:
                table.setFocus()
                table.setCurrentCell(row, CODE)
                return
