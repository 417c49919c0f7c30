"""Reports: the quarterly report, the DfE return, pupils without a place, and the monthly saves.

Each report is worked out in the background, shown as tables beside its PDF
(QtPdf, from memory), and only then saved or printed. Saving and printing
are audited. The monthly saves list restores a backup into a new file,
checked, and shows what the checks found.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QByteArray, QDate, QIODevice, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.errors import CmeError
from cme_desktop.services.registry import AppServices
from cme_desktop.services.reports import pdf as report_pdf
from cme_desktop.services.reports.statistics import Quarter, Table, WithoutPlace
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.settings import authority_of
from cme_desktop.ui import background, prompts

if TYPE_CHECKING:
    from cme_desktop.ui.main_window import MainWindow

TITLE = "Reports"
SHADE = QColor("#e8eef4")


@dataclass(frozen=True)
class Made:
    """A report ready to show: its grids, its PDF and CSV, and how files are named."""

    grids: tuple[Grid, ...]
    pdf: bytes
    csv: str
    name: str  # file name without suffix
    kind: str  # for the audit log
    detail: str


@dataclass(frozen=True)
class Grid:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    bold: frozenset[int] = frozenset()


def _figure(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def grid_of(table: Table) -> Grid:
    """A table of figures as text, for the window."""
    rows = tuple((r.label, *(_figure(v) for v in r.values)) for r in table.rows)
    bold = frozenset(i for i, r in enumerate(table.rows) if r.total)
    return Grid(table.title, ("", *table.columns), rows, bold)


def grid_of_pupils(rows: Sequence[WithoutPlace]) -> Grid:
    return Grid(
        f"{len(rows)} children of compulsory school age without a school place",
        ("Reference", "Name", "Date of birth", "Year group", "Last school", "Days missing"),
        tuple(
            (
                r.reference,
                r.full_name,
                format_date(r.date_of_birth),
                r.year_group,
                r.last_school,
                f"{r.days_missing:,}",
            )
            for r in rows
        ),
    )


# --- one report: chooser, figures, preview, save and print -------------------------------------


class ReportPage(QWidget):
    """A chooser, a Make button, the figures beside the PDF, and Save/Print."""

    def __init__(
        self,
        services: AppServices,
        chooser: QWidget,
        prepare: Callable[[], Callable[[], Made]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.prepare = prepare
        self.made: Made | None = None
        self.make_button = QPushButton("Make report")
        self.make_button.clicked.connect(self.start)
        self.status = QLabel("Choose, then make the report.")
        top = QHBoxLayout()
        top.addWidget(chooser)
        top.addWidget(self.make_button)
        top.addWidget(self.status, 1)
        self.figures = QTableWidget(0, 1)
        self.figures.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.figures.verticalHeader().hide()
        self.figures.horizontalHeader().hide()
        self.preview = _preview_widget()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.figures)
        split.addWidget(self.preview)
        split.setSizes([520, 480])
        self.save_pdf_button = QPushButton("Save PDF…")
        self.save_csv_button = QPushButton("Save CSV…")
        self.print_button = QPushButton("Print…")
        self.save_pdf_button.clicked.connect(self.save_pdf)
        self.save_csv_button.clicked.connect(self.save_csv)
        self.print_button.clicked.connect(self.print_report)
        actions = QHBoxLayout()
        actions.addStretch(1)
        for button in (self.save_pdf_button, self.save_csv_button, self.print_button):
            button.setEnabled(False)
            actions.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addLayout(actions)

    def start(self) -> None:
        """Make the report in the background."""
        self.make_button.setEnabled(False)
        self.status.setText("Working out the figures…")
        try:
            work = self.prepare()  # reads the chooser here, on the window's thread
        except CmeError as exc:
            self._failed(exc)
            return
        background.run(self, work, on_done=self.show_made, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.make_button.setEnabled(True)
        self.status.setText("The report could not be made.")
        prompts.error(self, TITLE, exc)

    def show_made(self, made: Made) -> None:
        self.made = made
        self.make_button.setEnabled(True)
        self.status.setText(f"{made.name}: ready to save or print.")
        _fill(self.figures, made.grids)
        self.release_preview()
        self._document = _show_pdf(self.preview, made.pdf)
        for button in (self.save_pdf_button, self.save_csv_button, self.print_button):
            button.setEnabled(True)

    def release_preview(self) -> None:
        """Detach the PDF from the viewer before either goes (QtPdf renders in a thread)."""
        document = getattr(self, "_document", None)
        if document is None:
            return
        self.preview.setDocument(None)  # type: ignore[attr-defined]
        document.close()
        document.deleteLater()
        self._document = None

    def save_pdf(self) -> None:
        if self.made is not None:
            self._save(self.made.pdf, ".pdf", "PDF (*.pdf)")

    def save_csv(self) -> None:
        if self.made is not None:
            self._save(self.made.csv.encode("utf-8-sig"), ".csv", "CSV (*.csv)")

    def _save(self, data: bytes, suffix: str, filters: str) -> None:
        assert self.made is not None
        path = prompts.save_file(
            self, f"Save {suffix[1:].upper()}", self.made.name + suffix, filters
        )
        if path is None:
            return
        if path.suffix.lower() != suffix:
            path = path.with_name(path.name + suffix)
        try:
            write_atomically(path, data)
            self.services.statistics.record_export(
                report=self.made.kind, detail=f"{self.made.detail} {suffix[1:]}"
            )
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            return
        self.status.setText(f"Saved {path.name}.")

    def print_report(self) -> None:
        from cme_desktop.ui.visit_sheets import PdfPages

        if self.made is None:
            return
        printer = prompts.choose_printer(self, f"Print {self.made.name}")
        if printer is None:
            return
        printer.setFullPage(True)
        try:
            pages = PdfPages(self.made.pdf, self).paint(printer)
            self.services.statistics.record_export(
                report=self.made.kind, detail=f"{self.made.detail} printed"
            )
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            return
        self.status.setText(f"Sent {pages} page(s) to the printer.")


def _preview_widget() -> QWidget:
    try:
        from PySide6.QtPdfWidgets import QPdfView
    except ImportError:  # the PDF viewer is an optional part of Qt
        label = QLabel("The PDF preview needs Qt's PDF module; the figures are on the left.")
        label.setWordWrap(True)
        return label
    view = QPdfView()
    view.setPageMode(QPdfView.PageMode.MultiPage)
    view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
    return view


def _show_pdf(view: QWidget, pdf: bytes) -> Any:
    """Load ``pdf`` from memory into the preview; returns what must be kept alive."""
    try:
        from PySide6.QtPdf import QPdfDocument
    except ImportError:
        return None
    # The buffer is the document's child, so it outlives the document's own teardown.
    document = QPdfDocument()
    buffer = QBuffer(document)
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document.load(buffer)
    view.setDocument(document)  # type: ignore[attr-defined]
    return document


def _fill(widget: QTableWidget, grids: Sequence[Grid]) -> None:
    width = max((len(g.headers) for g in grids), default=1)
    widget.clear()
    widget.setColumnCount(width)
    widget.setRowCount(sum(len(g.rows) + 2 for g in grids))
    bold = QFont(widget.font())
    bold.setBold(True)
    row = 0
    for grid in grids:
        title = QTableWidgetItem(grid.title)
        title.setFont(bold)
        title.setBackground(QBrush(SHADE))
        widget.setItem(row, 0, title)
        widget.setSpan(row, 0, 1, width)
        for col, text in enumerate(grid.headers):
            item = QTableWidgetItem(text)
            item.setFont(bold)
            widget.setItem(row + 1, col, item)
        for i, values in enumerate(grid.rows):
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if col and grid.headers[0] == "":
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if i in grid.bold:
                    item.setFont(bold)
                widget.setItem(row + 2 + i, col, item)
        row += len(grid.rows) + 2
    widget.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for col in range(1, width):
        widget.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)


# --- the monthly saves ---------------------------------------------------------------------


class SavesPage(QWidget):
    """The saved months, with Save this month now and Restore into a new file…"""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.saves = services.backups.saves()
        self.list = QTableWidget(0, 4)
        self.list.setHorizontalHeaderLabels(["Month", "Saved on", "Open cases then", "Backup file"])
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
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
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
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
        background.run(
            self, self.services.backups.save_month, on_done=self._saved, on_error=self._failed
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


# --- the window ------------------------------------------------------------------------------


class ReportsDialog(QDialog):
    """Quarterly report, DfE return, pupils without a place, and the monthly saves."""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reports and monthly saves")
        self.resize(1200, 780)
        self.services = services
        self.authority = authority_of(services.settings.load())
        today = date.today()
        self.quarter = QComboBox()
        last = Quarter.containing(today).previous()
        for n in range(-1, 8):
            q = last.previous(n)
            self.quarter.addItem(f"{q.label} ({q})", str(q))
        self.quarter.setCurrentIndex(1)
        self.census = QDateEdit(QDate(today.year, today.month, today.day))
        self.census.setCalendarPopup(True)
        self.census.setDisplayFormat("d MMM yyyy")
        past = [d for d in services.settings.load().census_dates if d <= today]
        if past:
            day = max(past)
            self.census.setDate(QDate(day.year, day.month, day.day))
        self.tabs = QTabWidget()
        self.quarterly = ReportPage(
            services, _labelled("Quarter", self.quarter), self.make_quarterly
        )
        self.dfe = ReportPage(services, _labelled("Census date", self.census), self.make_dfe)
        self.pupils = ReportPage(services, QLabel("Open cases today"), self.make_pupils)
        self.saves = SavesPage(services)
        self.tabs.addTab(self.quarterly, "Quarterly report")
        self.tabs.addTab(self.dfe, "DfE termly return")
        self.tabs.addTab(self.pupils, "Pupils without a school place")
        self.tabs.addTab(self.saves, "Monthly saves")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(close)

    # Each maker reads its chooser on the window's thread and returns the work for a
    # worker thread, which then touches no widget.

    def done(self, result: int) -> None:
        for page in (self.quarterly, self.dfe, self.pupils):
            page.release_preview()
        super().done(result)

    def closeEvent(self, event: Any) -> None:
        for page in (self.quarterly, self.dfe, self.pupils):
            page.release_preview()
        super().closeEvent(event)

    def make_quarterly(self) -> Callable[[], Made]:
        quarter = Quarter.parse(str(self.quarter.currentData()))
        return lambda: self._quarterly(quarter)

    def _quarterly(self, quarter: Quarter) -> Made:
        report = self.services.statistics.quarterly(quarter)
        return Made(
            grids=tuple(grid_of(t) for t in report.tables),
            pdf=report_pdf.quarterly_pdf(report, authority=self.authority),
            csv=report_pdf.quarterly_csv(report),
            name=f"cme-quarterly-{quarter}",
            kind="quarterly",
            detail=f"quarter={quarter}",
        )

    def make_dfe(self) -> Callable[[], Made]:
        census: date = self.census.date().toPython()  # type: ignore[assignment]
        return lambda: self._dfe(census)

    def _dfe(self, census: date) -> Made:
        ret = self.services.statistics.dfe_termly(census)
        return Made(
            grids=tuple(grid_of(t) for t in ret.tables),
            pdf=report_pdf.dfe_pdf(ret, authority=self.authority),
            csv=report_pdf.dfe_csv(ret),
            name=f"cme-dfe-return-{census.isoformat()}",
            kind="dfe_termly",
            detail=f"census={census.isoformat()}",
        )

    def make_pupils(self) -> Callable[[], Made]:
        return lambda: self._pupils(date.today())

    def _pupils(self, today: date) -> Made:
        rows = self.services.statistics.pupils_without_place(today)
        return Made(
            grids=(grid_of_pupils(rows),),
            pdf=report_pdf.without_place_pdf(rows, today=today, authority=self.authority),
            csv=report_pdf.without_place_csv(rows),
            name=f"cme-without-place-{today.isoformat()}",
            kind="without_place",
            detail=f"rows={len(rows)}",
        )


def _labelled(text: str, widget: QWidget) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(QLabel(text))
    row.addWidget(widget)
    return box


def open_reports(parent: QWidget | None, services: AppServices) -> ReportsDialog:
    """Show the Reports window (not modal); the main window's menu calls this."""
    dialog = ReportsDialog(services, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def install(window: MainWindow) -> QAction:
    """Reports > Reports and monthly saves… (Ctrl+R), and the monthly save after unlocking.

    On the first unlock in a new month the central record is saved (policy 8.3)
    in the background; the status bar says so, and a failure is shown to the
    officer without stopping their work.
    """
    action = QAction("Reports and monthly saves…", window)
    action.setShortcut(QKeySequence("Ctrl+R"))
    action.setStatusTip("The quarterly report, the DfE termly return, pupils without a place")
    action.triggered.connect(
        lambda: open_reports(window, window.services) if window.services else None
    )
    window.add_action("Reports", action)
    window.vault_unlocked.connect(lambda: _monthly_save(window))
    return action


def _monthly_save(window: MainWindow) -> None:
    services = window.services
    if services is None or not services.backups.due():
        return

    def done(info: Any) -> None:
        if info is not None:
            window.statusBar().showMessage(
                f"Monthly save of {info.month} made: {info.backup_file}", 15000
            )

    def failed(exc: BaseException) -> None:
        prompts.warn(
            window,
            "Monthly save",
            "The central record could not be saved for this month: "
            f"{exc.message if isinstance(exc, CmeError) else exc}\n"
            "Your work is not affected; the save will be tried again at the next unlock.",
        )

    background.run(window, services.backups.save_month, on_done=done, on_error=failed, busy=False)
