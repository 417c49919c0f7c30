"""Importing in the window: File > Import… (Ctrl+I), Import folder…, and what is dropped on it.

``install(window)`` adds the actions and lets the main window take what is dropped
on it: files (forms, emails, several at once, a folder) from the file manager, and
messages or attachments dragged straight out of Outlook, which arrive as data in
memory, not files (``outlook_drop``). Each batch is an ``ImportRun`` (``run.py``):
the files read one at a time with progress and Cancel, then each referral reviewed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QMenu

from cme_desktop.services.errors import CmeError
from cme_desktop.services.importing.read import iter_folder
from cme_desktop.ui import prompts
from cme_desktop.ui.importing.outlook_drop import DroppedMessages, is_outlook_drop, read_drop
from cme_desktop.ui.importing.run import TITLE, ImportRun, Source
from cme_desktop.ui.window import Window

FILE_FILTER = (
    "Referrals and reports (*.docx *.pdf *.eml *.msg *.csv);;"
    "Word forms (*.docx);;PDF (*.pdf);;Emails (*.eml *.msg);;Pupil database reports (*.csv);;"
    "All files (*)"
)
#: Why a message of a drop from Outlook was left out (only the first may come with it).
DRAG_ONE_AT_A_TIME = (
    "Outlook handed over only the first of the messages dragged together. Drag this one on its own."
)


class Importer(QObject):
    """The import actions of one main window, and the files dropped on it."""

    def __init__(self, window: Window) -> None:
        super().__init__(window.widget())
        self.window = window
        self.widget = window.widget()
        self.run: ImportRun | None = None
        self.today: date | None = None  # the date new cases open on; tests fix it
        self.import_action = QAction("&Import…", self.widget)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_action.setStatusTip(
            "Import referral forms (Word, PDF), the emails that carried them, or a pupil "
            "database report; you can also drop files on the window"
        )
        self.import_action.triggered.connect(lambda _checked=False: self.choose_files())
        self.folder_action = QAction("Import &folder…", self.widget)
        self.folder_action.setShortcut(QKeySequence("Ctrl+Shift+I"))
        self.folder_action.setStatusTip("Import every referral form and email in a folder")
        self.folder_action.triggered.connect(lambda _checked=False: self.choose_folder())
        self.widget.setAcceptDrops(True)
        self.widget.installEventFilter(self)

    def choose_files(self) -> None:
        """File > Import…: the files the officer picks."""
        paths = prompts.open_files(self.widget, TITLE, FILE_FILTER)
        if paths:
            self.import_paths(paths)

    def choose_folder(self) -> None:
        """File > Import folder…: every form and email in the folder picked."""
        folder = prompts.open_folder(self.widget, "Import a folder of referrals")
        if folder is not None:
            self.import_paths([folder])

    def import_paths(self, paths: list[Path]) -> ImportRun | None:
        """Import these files (a folder gives its forms and emails); None if one is under way."""
        if not self._can_start():
            return None
        files: list[Path] = []
        for path in paths:
            try:
                files += list(iter_folder(path)) if path.is_dir() else [path]
            except CmeError as error:
                prompts.error(self.widget, TITLE, error)
        if not files:
            prompts.info(self.widget, TITLE, "There are no referral forms or emails to import.")
            return None
        return self._start(files)

    def import_dropped(self, dropped: DroppedMessages) -> ImportRun | None:
        """Import messages or attachments dragged out of Outlook, from memory."""
        if not self._can_start():
            return None
        left_out = [(name, DRAG_ONE_AT_A_TIME) for name in dropped.left_out]
        return self._start(list(dropped.items), skipped=left_out)

    def _can_start(self) -> bool:
        if self.window.services is None:
            return False
        if self.run is not None and not self.run.done:
            prompts.info(self.widget, TITLE, "An import is under way: finish it first.")
            return False
        return True

    def _start(
        self, sources: Sequence[Source], *, skipped: Sequence[tuple[str, str]] = ()
    ) -> ImportRun:
        self.run = ImportRun(self.window, sources, today=self.today, skipped=skipped)
        self.run.start()
        return self.run

    # -- drag and drop ------------------------------------------------------------------------

    @staticmethod
    def dropped_paths(event: QDropEvent | QDragEnterEvent) -> list[Path]:
        """The local files (or folders) being dragged or dropped."""
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]

    def _takes(self, event: QDropEvent | QDragEnterEvent) -> bool:
        """True when the drag holds files, or messages from Outlook, and the vault is open."""
        if self.window.services is None:
            return False
        return is_outlook_drop(event.mimeData()) or bool(self.dropped_paths(event))

    def drop(self, event: QDropEvent) -> None:
        """Import what was dropped: Outlook's messages from memory, else the files."""
        mime = event.mimeData()
        if mime is not None and is_outlook_drop(mime):
            try:
                dropped = read_drop(mime)
            except CmeError as error:
                prompts.error(self.widget, TITLE, error)
                return
            self.import_dropped(dropped)
            return
        self.import_paths(self.dropped_paths(event))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.widget:
            return False
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, (QDragEnterEvent, QDropEvent))
            if self._takes(event):
                event.setDropAction(Qt.DropAction.CopyAction)
                event.accept()
                return True
            return False
        if kind == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            if not self._takes(event):
                return False
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.drop(event)
            return True
        return False


def install(window: Window) -> Importer:
    """Add File > Import… (Ctrl+I) and Import folder… (Ctrl+Shift+I), and take what is dropped.

    Installing twice gives the same ``Importer``.
    """
    existing = window.widget().findChild(Importer)
    if isinstance(existing, Importer):
        return existing
    importer = Importer(window)
    window.add_action("File", importer.import_action)
    window.add_action("File", importer.folder_action)
    # Importing is the first thing on the File menu, as in other applications.
    menu = next(
        (
            a.menu()
            for a in window.widget().menuBar().actions()
            if a.text().replace("&", "") == "File"
        ),
        None,
    )
    if isinstance(menu, QMenu) and menu.actions()[0] is not importer.import_action:
        first = menu.actions()[0]
        for action in (importer.import_action, importer.folder_action):
            menu.removeAction(action)
            menu.insertAction(first, action)
        menu.insertSeparator(first)
    return importer


__all__ = ["FILE_FILTER", "ImportRun", "Importer", "install"]
