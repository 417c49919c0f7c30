"""Print visit sheets…: one case, or a day's visits in the order the officer chooses.

The officer puts the visits in order and may add a note ("why the visit"), then
sees a print preview and prints through the system print dialog, or saves a PDF.
The sheets are made by ``VisitSheetService`` in memory and drawn on the printer
page by page with QtPdf, from a buffer: the PDF touches the disk only when the
officer chooses "Save as PDF…", and then atomically. A print is audited once,
when it happens: not when the preview is drawn, however often it is redrawn.

A saved PDF is protected by default (AES-256, a generated password of at most 32
characters, shown once, so that every PDF reader opens it); an unprotected one only
once the officer has confirmed it, which is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence, QPageLayout, QPageSize
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.errors import CmeError, CorruptFile, OutputError
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import authority_of
from cme_desktop.ui import background, prompts, protected_save
from cme_desktop.ui.desk import CASES_TAB
from cme_desktop.ui.fields import buttons_in_order
from cme_desktop.ui.menu_layout import FILES_OUT
from cme_desktop.ui.password_shown_once import PasswordShownOnce
from cme_desktop.ui.pdf_pages import PdfPages
from cme_desktop.ui.screen_fit import fit_window
from cme_desktop.ui.window import Window

TITLE = "Print visit sheets"
#: The object name of a saved PDF's password dialog, closed when the vault locks.
PASSWORD_DIALOG = "visitSheetsPassword"


def new_printer() -> QPrinter:
    """A printer set up for the sheets: A4, the whole paper (the sheets have margins)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)
    printer.setDocName("Home visit sheets")
    return printer


# --- choosing the visits ----------------------------------------------------------------


@dataclass(frozen=True)
class VisitPlan:
    """The officer's choice: the cases in visiting order, a note, and where to print."""

    case_ids: tuple[int, ...]
    note: str
    output: str  # "printer" (preview first) or "pdf"


class VisitOrderDialog(QDialog):
    """The visits in order (Move up / Move down), an optional note, Preview or Save."""

    def __init__(self, cases: Sequence[tuple[int, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.output = "printer"
        layout = QVBoxLayout(self)
        several = len(cases) > 1
        intro = QLabel(
            "Put the visits in the order you will make them: one sheet each, in this order."
            if several
            else "One sheet for this visit."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.list = QListWidget()
        self.list.setAccessibleName("Visits in order")
        for case_id, label in cases:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, case_id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        row.addWidget(self.list, 1)
        moves = QVBoxLayout()
        self.up_button = QPushButton("Move &up")
        self.down_button = QPushButton("Move &down")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        moves.addWidget(self.up_button)
        moves.addWidget(self.down_button)
        moves.addStretch(1)
        row.addLayout(moves)
        layout.addLayout(row)
        self.list.setVisible(several)
        self.up_button.setVisible(several)
        self.down_button.setVisible(several)
        note_label = QLabel("&Why the visit (optional, printed on every sheet):")
        self.note_edit = QLineEdit()
        self.note_edit.setMaxLength(300)
        self.note_edit.setAccessibleName("Why the visit")
        self.note_edit.setPlaceholderText("e.g. a neighbour says the family may have come back")
        note_label.setBuddy(self.note_edit)
        layout.addWidget(note_label)
        layout.addWidget(self.note_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.preview_button = buttons.addButton(
            "&Preview and print…", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.preview_button.setDefault(True)
        self.save_button = buttons.addButton("&Save as PDF…", QDialogButtonBox.ButtonRole.ApplyRole)
        self.preview_button.clicked.connect(lambda: self._choose("printer"))
        self.save_button.clicked.connect(lambda: self._choose("pdf"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        buttons_in_order(buttons, after=self.note_edit)
        self.list.currentRowChanged.connect(self._update)
        self._update()
        fit_window(self)
        # Typing goes into the note; the order is changed with Alt+U and Alt+D.
        self.note_edit.setFocus()

    def move_selected(self, step: int) -> None:
        """Move the selected visit up (-1) or down (+1) the order."""
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)

    def _update(self) -> None:
        row = self.list.currentRow()
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < self.list.count() - 1)

    def _choose(self, output: str) -> None:
        self.output = output
        self.accept()

    def plan(self) -> VisitPlan:
        """The visits in the chosen order, the note and the output."""
        ids = tuple(
            int(self.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.list.count())
        )
        return VisitPlan(case_ids=ids, note=self.note_edit.text().strip(), output=self.output)


# --- one print job -------------------------------------------------------------------------


class VisitSheetJob(QObject):
    """Makes the sheets for a plan, then previews and prints them, or saves a PDF.

    The print is recorded in the audit log once: when the preview's Print is
    accepted, or when the PDF is saved, never for merely looking at the preview.
    """

    def __init__(self, services: AppServices, plan: VisitPlan, parent: QWidget) -> None:
        super().__init__(parent)
        self.services = services
        self.plan = plan
        self.widget = parent
        self.pages: PdfPages | None = None
        self.preview: QPrintPreviewDialog | None = None
        self.printer: QPrinter | None = None
        self.painted = 0
        self.on_finished: Callable[[str], None] | None = None
        self._pdf = b""
        self._cancelled = False

    def start(self) -> None:
        """Make the sheets in the background, then preview or save them."""
        authority = authority_of(self.services.settings.load())
        sheets = self.services.visit_sheets
        ids, note = list(self.plan.case_ids), self.plan.note

        def work() -> bytes:
            return sheets.render_for(ids, authority=authority, note=note, record=False)

        background.run(self.widget, work, on_done=self._made, on_error=self._failed)

    def cancel(self) -> None:
        """The vault locked: close the preview, and open none for sheets still being made."""
        self._cancelled = True
        if self.preview is not None:
            self.preview.reject()

    def _made(self, pdf: bytes) -> None:
        if self._cancelled:
            self._finish("cancelled")
            return
        if self.plan.output == "pdf":
            self._finish("saved" if self.save_pdf(pdf) else "cancelled")
            return
        try:
            self.pages = PdfPages(pdf, self)
        except (CorruptFile, OutputError) as exc:
            self._failed(exc)
            return
        self._pdf = pdf
        self.open_preview()

    def _failed(self, exc: BaseException) -> None:
        if not self._cancelled:
            prompts.error(self.widget, TITLE, exc)
        self._finish("failed")

    def open_preview(self) -> QPrintPreviewDialog:
        """The print preview (window-modal); its Print button opens the system print dialog."""
        self.printer = new_printer()
        preview = QPrintPreviewDialog(self.printer, self.widget)
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        preview.setWindowTitle(f"{TITLE} — preview")
        preview.paintRequested.connect(self.paint)
        toolbar = preview.findChild(QToolBar)
        if toolbar is not None:
            save = QAction("Save as PDF…", preview)
            save.setToolTip("Save the sheets as a PDF file instead of printing them")
            save.triggered.connect(self._save_from_preview)
            toolbar.addSeparator()
            toolbar.addAction(save)
        preview.finished.connect(self._preview_closed)
        self.preview = preview
        fit_window(preview, QSize(900, 1000))
        preview.open()
        return preview

    def paint(self, printer: QPrinter) -> None:
        """Draw the sheets on ``printer`` (the preview's pages, or the real printer)."""
        if self.pages is None:
            return
        try:
            self.painted += self.pages.paint(printer)
        except OutputError as exc:
            prompts.error(self.widget, TITLE, exc)

    def _preview_closed(self, result: int) -> None:
        if result == QDialog.DialogCode.Accepted:
            # QPrintPreviewDialog accepts only after printing through the print dialog.
            self._record("printer", self.widget)
            self._finish("printed")
        else:
            self._finish("cancelled")

    def _save_from_preview(self) -> None:
        preview = self.preview
        if preview is not None and self._save(self._pdf, parent=preview):
            preview.reject()

    def save_pdf(self, pdf: bytes) -> bool:
        """Save as PDF… (atomically, where the officer chooses); False if cancelled."""
        return self._save(pdf, parent=self.widget)

    def _save(self, pdf: bytes, *, parent: QWidget) -> bool:
        choice = protected_save.choose(
            parent,
            "Save visit sheets as PDF",
            "The sheets name children and give their addresses. Protected, the PDF opens "
            "only with a password, shown to you once.",
        )
        if choice is None:
            return False
        suggested = f"visit-sheets-{case_reference(self.plan.case_ids[0])}.pdf"
        path = prompts.save_file(parent, "Save visit sheets as PDF", suggested, "PDF (*.pdf)")
        if path is None:
            return False
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        try:
            self.services.protected_files.save(
                path,
                pdf,
                fmt="pdf",
                password=choice.password,
                what="visit_sheets",
                detail=f"sheets={len(self.plan.case_ids)}",
            )
        except CmeError as exc:
            prompts.error(parent, TITLE, exc)
            return False
        self._record("pdf", parent)
        if choice.password is None:
            saved = f"The visit sheets were saved, unprotected, to {path}."
            prompts.info(self.widget, TITLE, saved)
        else:
            # The main window owns the dialog: the preview it was saved from closes now.
            protected_save.show_password(
                choice.password,
                path,
                self.widget,
                title="The visit sheets' password",
                name=PASSWORD_DIALOG,
            )
        return True

    def _record(self, output: str, parent: QWidget) -> None:
        try:
            self.services.visit_sheets.record_printed(list(self.plan.case_ids), output=output)
        except CmeError as exc:
            prompts.error(parent, TITLE, exc)

    def _finish(self, how: str) -> None:
        self.pages = None
        self.preview = None
        self._pdf = b""
        if self.on_finished is not None:
            self.on_finished(how)
        self.deleteLater()


def case_labels(services: AppServices, case_ids: Sequence[int]) -> list[tuple[int, str]]:
    """A line per case for the order list: reference, name and address (not audited reads)."""
    rows = services.case_list.rows(list(case_ids))
    labels = []
    for case_id in case_ids:
        row = rows.get(case_id)
        if row is None:
            continue
        address = " ".join(row.last_known_address.split()) or "address not known"
        labels.append((case_id, f"{case_reference(case_id)}  {row.full_name} — {address}"))
    return labels


def print_visit_sheets(
    parent: QWidget, services: AppServices, case_ids: Sequence[int]
) -> VisitSheetJob | None:
    """Ask for the order and note, then preview and print (or save) the sheets."""
    if not case_ids:
        prompts.info(parent, TITLE, "Select one or more cases in the list first.")
        return None
    # The sheets' module loads reportlab: only once sheets are asked for.
    from cme_desktop.services.documents.visit_sheet_pdf import MAX_SHEETS

    if len(case_ids) > MAX_SHEETS:
        prompts.error(parent, TITLE, f"Print at most {MAX_SHEETS} visit sheets at a time.")
        return None
    labels = case_labels(services, case_ids)
    if not labels:
        prompts.error(parent, TITLE, "Those cases are no longer in the vault.")
        return None
    dialog = VisitOrderDialog(labels, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    job = VisitSheetJob(services, dialog.plan(), parent)
    job.start()
    return job


def print_action(
    parent: QWidget,
    services: Callable[[], AppServices | None],
    chosen_cases: Callable[[], Sequence[int]],
) -> QAction:
    """The "Print visit sheets…" action (Ctrl+P) for the open or selected cases."""
    action = QAction("&Print visit sheets…", parent)
    action.setShortcut(QKeySequence("Ctrl+P"))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setStatusTip("Print home-visit sheets for the open case or the selected cases")
    action.setToolTip("Print visit sheets (Ctrl+P)")

    def trigger() -> None:
        found = services()
        if found is not None:
            print_visit_sheets(parent, found, chosen_cases())

    action.triggered.connect(lambda _checked=False: trigger())
    return action


def chosen_case_ids(window: Window) -> list[int]:
    """The cases selected in the list when it is in front, else the case in front."""
    desk = window.desk
    if desk.current_workspace() is None and desk.currentIndex() == CASES_TAB:
        table = desk.case_list.table
        model = table.case_model()
        rows = sorted(index.row() for index in table.selectionModel().selectedRows())
        ids = [case_id for case_id in (model.case_id(r) for r in rows) if case_id is not None]
        if ids:
            return ids
    current = window.current_case_id()
    return [current] if current is not None else []


def install(window: Window) -> QAction:
    """Add File > Print visit sheets… (Ctrl+P) and a toolbar button to the main window."""
    widget = window.widget()
    action = print_action(widget, lambda: window.services, lambda: chosen_case_ids(window))
    window.add_action("File", action, toolbar=True, group=FILES_OUT)
    window.vault_locked.connect(lambda: _cancel_for_lock(widget))
    return action


def _cancel_for_lock(window: QWidget) -> None:
    # The sheets hold names and addresses: nothing of them stays on a locked screen.
    for job in window.findChildren(VisitSheetJob):
        job.cancel()
    for dialog in window.findChildren(VisitOrderDialog):
        dialog.reject()
    for shown in window.findChildren(PasswordShownOnce, PASSWORD_DIALOG):
        shown.reject()
