"""One report in the Reports window: a chooser, the figures beside the PDF, Save and Print.

The report is worked out in the background (``prepare`` reads the chooser on
the window's thread and returns the work), shown as tables beside its PDF
(QtPdf, from memory), and only then saved or printed; saving and printing are
audited.

The list that names children has a tab of its own (``pupils_page``), read from SQL
a page at a time and saved protected by default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.errors import CmeError
from cme_desktop.services.registry import AppServices
from cme_desktop.services.reports.tables import Table
from cme_desktop.ui import background, look, prompts
from cme_desktop.ui.pdf_pages import PdfPages

TITLE = "Reports"


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
        # While the figures are worked out (seconds at 100,000 cases): a busy bar and
        # Cancel, which drops the report when it comes.
        self.busy = background.ProgressPanel(compact=True)
        top.addWidget(self.busy, 1)
        self.figures = QTableWidget(0, 1)
        self.figures.setAccessibleName("Figures of the report")
        self.figures.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.figures.setTabKeyNavigation(False)  # Tab goes on to the buttons; arrows move
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
        try:
            work = self.prepare()  # reads the chooser here, on the window's thread
        except CmeError as exc:
            self._failed(exc)
            return
        progress = background.Progress("Working out the figures…", cancellable=True, parent=self)
        self.busy.follow(progress)
        self.status.hide()
        background.run(
            self,
            work,
            on_done=self.show_made,
            on_error=self._failed,
            progress=progress,
            on_cancelled=self._cancelled,
        )

    def _cancelled(self) -> None:
        self.make_button.setEnabled(True)
        self.status.show()
        self.status.setText("Cancelled: no report was made.")

    def _failed(self, exc: BaseException) -> None:
        self.make_button.setEnabled(True)
        self.status.show()
        self.status.setText("The report could not be made.")
        prompts.error(self, TITLE, exc)

    def show_made(self, made: Made) -> None:
        self.made = made
        self.make_button.setEnabled(True)
        self.status.show()
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
        if self.made is None:
            return
        self._save(self.made.pdf, ".pdf", "PDF (*.pdf)")

    def save_csv(self) -> None:
        if self.made is None:
            return
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
    shade, on_shade = look.fill("shade")
    row = 0
    for grid in grids:
        title = QTableWidgetItem(grid.title)
        title.setFont(bold)
        title.setBackground(QBrush(shade))
        title.setForeground(QBrush(on_shade))
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
