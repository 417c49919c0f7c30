"""Reports > Pupils without a school place: the list read from SQL a page at a time.

The list can run to tens of thousands of children at 100,000 cases. The window
asks SQL for the count and the first page; more pages come as the officer
scrolls (``WithoutPlaceModel``), each read audited. The files (PDF, workbook,
CSV) and the printout are made in the background from the list streamed from SQL
(``without_place.iter_without_place``), never from the rows on screen. They name
children: saved protected by default, unprotected only once confirmed (audited).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.errors import CmeError
from cme_desktop.services.registry import AppServices
from cme_desktop.services.reports import csv as report_csv
from cme_desktop.services.reports import workbook
from cme_desktop.services.reports.without_place import (
    WithoutPlace,
    WithoutPlacePage,
    iter_without_place,
    without_place_page,
)
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.settings import authority_of
from cme_desktop.ui import background, prompts, protected_save
from cme_desktop.ui.password_shown_once import PasswordShownOnce

TITLE = "Pupils without a school place"
#: Rows read from SQL at a time as the officer scrolls.
PAGE = 200
COLUMNS = ("Reference", "Name", "Date of birth", "Year group", "Last school", "Days missing")

Index = QModelIndex | QPersistentModelIndex


def _cells(r: WithoutPlace) -> tuple[str, ...]:
    return (
        r.reference,
        r.full_name,
        format_date(r.date_of_birth),
        r.year_group,
        r.last_school,
        f"{r.days_missing:,}",
    )


class WithoutPlaceModel(QAbstractTableModel):
    """The list as SQL gives it: the count at once, the rows a page at a time."""

    def __init__(
        self,
        first: WithoutPlacePage,
        fetch: Callable[[int, int], WithoutPlacePage],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.total = first.total
        self.fetch = fetch
        self.rows: list[tuple[str, ...]] = [_cells(r) for r in first.rows]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == len(COLUMNS) - 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: Index) -> None:
        if not self.canFetchMore(parent):
            return
        try:
            page = self.fetch(len(self.rows), PAGE)
        except CmeError:
            # The vault was locked or is busy: the rows shown stay; scrolling asks again.
            return
        if not page.rows:
            self.total = len(self.rows)  # the list changed meanwhile: it ends here
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
        self.rows += [_cells(r) for r in page.rows]
        self.endInsertRows()


class PupilsPage(QWidget):
    """The count and the list, a page at a time; the files made from SQL in the background."""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.today: date = local_today()
        self.model: WithoutPlaceModel | None = None
        self.password_dialog: PasswordShownOnce | None = None
        self.make_button = QPushButton("Show the list")
        self.make_button.setAccessibleName("Show the pupils without a school place")
        self.make_button.clicked.connect(self.start)
        self.status = QLabel("Open cases today.")
        self.busy = background.ProgressPanel(compact=True)
        top = QHBoxLayout()
        top.addWidget(self.make_button)
        top.addWidget(self.status, 1)
        top.addWidget(self.busy, 1)
        self.view = QTableView()
        self.view.setAccessibleName("Pupils without a school place")
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)  # Tab goes on to the buttons; arrows move
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().hide()
        self.save_pdf_button = QPushButton("Save PDF…")
        self.save_csv_button = QPushButton("Save spreadsheet…")
        self.save_csv_button.setToolTip(
            "Protected: an Excel workbook that opens with a password. Unprotected: CSV."
        )
        self.print_button = QPushButton("Print…")
        self.save_pdf_button.clicked.connect(lambda: self.save("pdf"))
        self.save_csv_button.clicked.connect(lambda: self.save("table"))
        self.print_button.clicked.connect(self.print_list)
        actions = QHBoxLayout()
        actions.addStretch(1)
        for button in (self.save_pdf_button, self.save_csv_button, self.print_button):
            button.setEnabled(False)
            actions.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addLayout(actions)

    @property
    def name(self) -> str:
        return f"cme-without-place-{self.today.isoformat()}"

    def _page(self, offset: int, limit: int) -> WithoutPlacePage:
        return without_place_page(self.services.db, self.today, offset=offset, limit=limit)

    def start(self) -> None:
        """Count the list and read its first page in the background."""
        self.today = local_today()
        self.make_button.setEnabled(False)
        progress = background.Progress("Reading the list…", cancellable=True, parent=self)
        self.busy.follow(progress)
        background.run(
            self,
            lambda: self._page(0, PAGE),
            on_done=self.show_first,
            on_error=self._failed,
            progress=progress,
            on_cancelled=lambda: self.make_button.setEnabled(True),
        )

    def show_first(self, first: WithoutPlacePage) -> None:
        self.model = WithoutPlaceModel(first, self._page, self)
        self.view.setModel(self.model)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column in (1, 4):  # the name and the last school share the width left
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.make_button.setEnabled(True)
        self.status.setText(
            f"{first.total:,} children of compulsory school age without a school place"
        )
        for button in (self.save_pdf_button, self.save_csv_button, self.print_button):
            button.setEnabled(True)

    def _failed(self, exc: BaseException) -> None:
        self.make_button.setEnabled(True)
        self.status.setText("The list could not be read.")
        prompts.error(self, TITLE, exc)

    def _document(self, fmt: str) -> Callable[[], tuple[bytes, int]]:
        """The work that makes the file ``fmt`` from the list streamed from SQL."""
        db, today = self.services.db, self.today
        authority = authority_of(self.services.settings.load())

        def work() -> tuple[bytes, int]:
            stream = iter_without_place(db, today)
            if fmt == "pdf":
                from cme_desktop.services.reports import pdf

                data = pdf.without_place_pdf(
                    stream.rows, today=today, authority=authority, total=stream.total
                )
            elif fmt == "xlsx":
                data = workbook.without_place_workbook(list(stream.rows))
            else:
                data = report_csv.without_place_csv(stream.rows).encode("utf-8-sig")
            return data, stream.total

        return work

    def save(self, kind: str) -> None:
        """Save the PDF or the table: protected, or plain once confirmed."""
        what = "PDF" if kind == "pdf" else "table"
        protected_as = (
            "a PDF that opens only with a password"
            if kind == "pdf"
            else "an Excel workbook (.xlsx) that opens only with a password"
        )
        choice = protected_save.choose(
            self,
            f"Save the {what}",
            f"This report names children. Protected, it is saved as {protected_as}, "
            "shown to you once."
            + ("" if kind == "pdf" else " Unprotected, it is saved as a CSV file."),
        )
        if choice is None:
            return
        fmt = "pdf" if kind == "pdf" else "xlsx" if choice.protected else "csv"
        filters = {"pdf": "PDF (*.pdf)", "xlsx": "Excel workbook (*.xlsx)", "csv": "CSV (*.csv)"}
        path = prompts.save_file(self, f"Save the {what}", f"{self.name}.{fmt}", filters[fmt])
        if path is None:
            return
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(f"{path.name}.{fmt}")
        make = self._document(fmt)
        services = self.services
        protection = "protected" if choice.protected else "unprotected"

        def work() -> None:
            data, total = make()
            services.protected_files.save(
                path,
                data,
                fmt=fmt,
                password=choice.password,
                what="report",
                detail=f"report=without_place;rows={total}",
            )
            services.statistics.record_export(
                report="without_place", detail=f"rows={total} {fmt} {protection}"
            )

        def done(_: object) -> None:
            self.status.setText(f"Saved to {path}.")
            if choice.password is not None:
                self.password_dialog = protected_save.show_password(choice.password, path, self)

        self._run(f"Writing {path.name}…", work, done)

    def print_list(self) -> None:
        printer = prompts.choose_printer(self, f"Print {self.name}")
        if printer is None:
            return
        printer.setFullPage(True)
        make = self._document("pdf")

        def done(made: tuple[bytes, int]) -> None:
            from cme_desktop.ui.pdf_pages import PdfPages

            data, total = made
            try:
                pages = PdfPages(data, self).paint(printer)
                self.services.statistics.record_export(
                    report="without_place", detail=f"rows={total} printed"
                )
            except CmeError as exc:
                prompts.error(self, TITLE, exc)
                return
            self.status.setText(f"Sent {pages} page(s) to the printer.")

        self._run("Making the list to print…", make, done)

    def _run(self, text: str, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        buttons = (self.save_pdf_button, self.save_csv_button, self.print_button)
        for button in buttons:
            button.setEnabled(False)

        def settle() -> None:
            for button in buttons:
                button.setEnabled(True)

        def finished(result: Any) -> None:
            settle()
            done(result)

        def failed(exc: BaseException) -> None:
            settle()
            prompts.error(self, TITLE, exc)

        progress = background.Progress(text, parent=self)
        self.busy.follow(progress)
        background.run(self, work, on_done=finished, on_error=failed, progress=progress)
