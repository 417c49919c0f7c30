"""Reports > Reports and monthly saves… (on a server: Reports…): the Reports window, and
the monthly save on unlock.

Tabs: the quarterly report (``QuarterlyPage``, with its kept figures' recount), the
DfE termly return (``DfePage``), pupils without a school place (``PupilsPage``, read
a page at a time) and the monthly saves (``SavesPage``).
``install(window)`` adds the menu action and saves the central record on the
first unlock of a month (policy 8.3).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QMainWindow,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.errors import CmeError, ReturnBlocked
from cme_desktop.services.registry import AppServices
from cme_desktop.services.reports import csv as report_csv
from cme_desktop.services.reports.periods import Quarter, proposed_census_day
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.settings import authority_of
from cme_desktop.ui import background, prompts
from cme_desktop.ui.fields import label_for
from cme_desktop.ui.reports.dfe_page import DfeMade, DfePage
from cme_desktop.ui.reports.monthly_saves import SavesPage
from cme_desktop.ui.reports.pupils_page import PupilsPage
from cme_desktop.ui.reports.quarterly_page import QuarterlyMade, QuarterlyPage
from cme_desktop.ui.reports.report_page import Made, grid_of
from cme_desktop.ui.screen_fit import fit_window
from cme_desktop.ui.server_settings import ServerBackupsPage, on_server
from cme_desktop.ui.window import Window


class ReportsDialog(QDialog):
    """Quarterly report, DfE return, pupils without a place, and the monthly saves."""

    def __init__(
        self,
        services: AppServices,
        parent: QWidget | None = None,
        *,
        open_case: Callable[[int], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(reports_title(server=on_server(services)))
        fit_window(self, QSize(1200, 780))
        self.services = services
        self.authority = authority_of(services.settings.load())
        # The reports' PDFs need reportlab: loaded with this window, on its thread (the
        # reports are made on a worker thread, which then imports nothing).
        from cme_desktop.services.reports import pdf

        self.pdf = pdf
        today = local_today()
        self.quarter = QComboBox()
        last = Quarter.containing(today).previous()
        for n in range(-1, 8):
            q = last.previous(n)
            self.quarter.addItem(f"{q.label} ({q})", str(q))
        self.quarter.setCurrentIndex(1)
        # The latest school-census Thursday (or census day saved in Settings) up to today.
        day = proposed_census_day(today, services.settings.load().census_dates)
        self.census = QDateEdit(QDate(day.year, day.month, day.day))
        self.census.setCalendarPopup(True)
        self.census.setDisplayFormat("d MMM yyyy")
        self.tabs = QTabWidget()
        self.quarterly = QuarterlyPage(
            services, _labelled("Quarter", self.quarter), self.make_quarterly
        )
        self.dfe = DfePage(
            services, _labelled("Census date", self.census), self.make_dfe, open_case
        )
        self.pupils = PupilsPage(services)
        self.tabs.addTab(self.quarterly, "Quarterly report")
        self.tabs.addTab(self.dfe, "DfE termly return")
        self.tabs.addTab(self.pupils, "Pupils without a school place")
        if on_server(services):
            # A server's backups are its administrator's: said, not offered and refused.
            self.tabs.addTab(ServerBackupsPage(), "Backups")
        else:
            self.saves = SavesPage(services)
            self.tabs.addTab(self.saves, "Monthly saves")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(close)

    # Each maker reads its chooser on the window's thread and returns the work for a
    # worker thread, which then touches no widget.

    def done(self, result: int) -> None:
        for page in (self.quarterly, self.dfe):
            page.release_preview()
        super().done(result)

    def closeEvent(self, event: Any) -> None:
        for page in (self.quarterly, self.dfe):
            page.release_preview()
        super().closeEvent(event)

    def make_quarterly(self) -> Callable[[], Made]:
        quarter = Quarter.parse(str(self.quarter.currentData()))
        return lambda: self._quarterly(quarter)

    def _quarterly(self, quarter: Quarter) -> Made:
        report = self.services.statistics.quarterly(quarter)
        kept_at = dict(report.kept).get(quarter)
        # A quarter shown as kept is checked against the records now (a pass over the
        # quarter's cases), so that a correction made since is said, not hidden.
        differences = self.services.statistics.recount(quarter) if kept_at else []
        return QuarterlyMade(
            grids=tuple(grid_of(t) for t in report.tables),
            pdf=self.pdf.quarterly_pdf(report, authority=self.authority),
            csv=report_csv.quarterly_csv(report),
            name=f"cme-quarterly-{quarter}",
            kind="quarterly",
            detail=f"quarter={quarter}",
            quarter=quarter,
            kept_at=kept_at,
            differences=tuple(differences),
        )

    def make_dfe(self) -> Callable[[], Made]:
        census: date = self.census.date().toPython()  # type: ignore[assignment]
        return lambda: self._dfe(census)

    def _dfe(self, census: date) -> Made:
        ret = self.services.statistics.dfe_termly(census)
        try:
            text, not_ready = report_csv.dfe_csv(ret), ""
        except ReturnBlocked as exc:
            # Shown, not raised: the figures and the cases to complete are what the officer
            # needs to see; only the CSV waits.
            text, not_ready = "", "" if ret.blockers else exc.message
        return DfeMade(
            grids=tuple(grid_of(t) for t in ret.tables),
            pdf=self.pdf.dfe_pdf(ret, authority=self.authority),
            csv=text,
            name=f"cme-dfe-return-{census.isoformat()}",
            kind="dfe_termly",
            detail=f"census={census.isoformat()}",
            blockers=ret.blockers,
            not_ready=not_ready,
        )


def _labelled(text: str, widget: QWidget) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(label_for(widget, text))
    row.addWidget(widget)
    return box


def open_reports(
    parent: QWidget | None,
    services: AppServices,
    open_case: Callable[[int], Any] | None = None,
) -> ReportsDialog:
    """Show the Reports window (not modal); the main window's menu calls this."""
    dialog = ReportsDialog(services, parent, open_case=open_case)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def reports_title(*, server: bool) -> str:
    """The Reports window's name: a vault's monthly saves are its own; a server's backups
    are its DBA's (docs/server.md §6), so on a server the window is named for its reports."""
    return "Reports" if server else "Reports and monthly saves"


#: What Reports… holds, said in the status bar.
REPORTS_TIP = "The quarterly report, the DfE termly return, pupils without a place"
SERVER_REPORTS_TIP = f"{REPORTS_TIP} (the server's backups are your DBA's)"


def install(window: Window) -> QAction:
    """Reports > Reports and monthly saves… (Ctrl+R), and the monthly save after unlocking.

    On the first unlock in a new month the central record is saved (policy 8.3)
    in the background; the status bar says so, and a failure is shown to the
    officer without stopping their work. On a server the action is Reports > Reports…:
    there are no monthly saves there (its backups are the DBA's).
    """
    widget = window.widget()
    action = QAction(f"{reports_title(server=window.on_server)}…", widget)
    action.setShortcut(QKeySequence("Ctrl+R"))
    action.setStatusTip(SERVER_REPORTS_TIP if window.on_server else REPORTS_TIP)
    action.triggered.connect(
        lambda: (
            open_reports(widget, window.services, window.desk.open_case)
            if window.services
            else None
        )
    )
    window.add_action("Reports", action)
    window.on_unlock(lambda: _monthly_save(window))
    window.vault_locked.connect(lambda: _close_for_lock(widget))
    return action


def _close_for_lock(widget: QWidget) -> None:
    # The reports show children's names, and a saved file's password may be on screen:
    # nothing of them stays once the vault is locked.
    for dialog in widget.findChildren(ReportsDialog):
        if dialog.pupils.password_dialog is not None:
            dialog.pupils.password_dialog.reject()
        dialog.close()


def _monthly_save(window: Window) -> None:
    services = window.services
    if services is None or not services.backups.due():
        return
    widget = window.widget()

    def done(info: Any) -> None:
        if info is not None:
            window.show_status(f"Monthly save of {info.month} made: {info.backup_file}", 15000)

    def failed(exc: BaseException) -> None:
        prompts.warn(
            widget,
            "Monthly save",
            "The central record could not be saved for this month: "
            f"{exc.message if isinstance(exc, CmeError) else exc}\n"
            "Your work is not affected; the save will be tried again at the next unlock.",
        )

    background.run(
        widget,
        services.backups.save_month,
        on_done=done,
        on_error=failed,
        busy=False,
        progress=_saving_progress(widget),
    )


#: What the status bar says while the month is saved. The save is one encrypted copy made
#: by SQLCipher and cannot be stopped half way without leaving a partial file, so there is
#: no Cancel: the officer sees what is happening and goes on working.
SAVING_TEXT = "Saving this month's copy of the central record (policy 8.3)…"


def _saving_progress(window: QMainWindow) -> background.Progress:
    """A busy indicator in the window's status bar for the monthly save."""
    panel = window.findChild(background.ProgressPanel, "monthlySaveProgress")
    if not isinstance(panel, background.ProgressPanel):
        panel = background.ProgressPanel(compact=True)
        panel.setObjectName("monthlySaveProgress")
        window.statusBar().addPermanentWidget(panel)
    progress = background.Progress(SAVING_TEXT, parent=panel)
    panel.follow(progress)
    return progress
