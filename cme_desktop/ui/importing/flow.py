"""Importing in the window: File > Import… (Ctrl+I), Import folder…, and files dropped on it.

``install(window)`` adds the actions and lets the main window take dropped files
(forms, emails, several at once, a folder). Each batch is an ``ImportRun``:

1. Every file is opened off the GUI thread, in the sandbox (``sandbox.run_isolated``):
   an email gives its attached forms, a pupil database report its rows.
2. Each form is read in the background. An encrypted one needs a password: the
   background work never waits for the officer, so the password is asked here, on
   the GUI thread (``prompts.ask_password``), once per file, and the form is read
   again in the background with it. A wrong password is said plainly and asked
   again, at most ``MAX_ATTEMPTS`` times. A Word file is known to be encrypted
   before it is read, so its password is asked first; a PDF says so when opened.
3. The files that could not be read are listed with the reason and what to ask
   the sender for; then each referral is reviewed (``ImportReview``) and saved
   only when the officer presses Import. The cases open in the workspace, the
   list refreshes (``changes``) and ``escalation_due`` is announced, so that the
   escalation questions are offered when the referral calls for them; the next
   review waits for them.
4. A pupil database report is previewed (matched against the cases, nothing saved)
   and the new cases are logged only once the officer agrees.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QMenu

from cme_desktop.services.errors import CmeError, PasswordRequired, UnreadableFile, WrongPassword
from cme_desktop.services.importing.detect import (
    EMAIL_KINDS,
    MAX_FILE_BYTES,
    detect_kind,
    unsupported_message,
)
from cme_desktop.services.importing.pupil_csv import PupilRecord
from cme_desktop.services.importing.read import iter_folder
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.ui import background, prompts
from cme_desktop.ui.changes import EscalationDue
from cme_desktop.ui.importing.review import ImportReview
from cme_desktop.ui.window import Window

TITLE = "Import referrals"
MAX_ATTEMPTS = 3
FILE_FILTER = (
    "Referrals and reports (*.docx *.pdf *.eml *.msg *.csv);;"
    "Word forms (*.docx);;PDF (*.pdf);;Emails (*.eml *.msg);;Pupil database reports (*.csv);;"
    "All files (*)"
)


@dataclass
class Document:
    """One form to read: a file, or a form attached to an email."""

    name: str
    data: bytes
    source: str
    encrypted: bool
    attempts: int = 0
    password: str | None = None


@dataclass(frozen=True)
class Opened:
    """What opening one file gave: forms to read, a pupil report, or forms skipped."""

    documents: tuple[Document, ...] = ()
    report: tuple[PupilRecord, ...] | None = None
    skipped: tuple[tuple[str, str], ...] = ()


def open_file(path: Path) -> Opened:
    """Read one file from disk and take it apart, in the sandbox (background work)."""
    from cme_desktop.services.importing.sandbox import run_isolated

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UnreadableFile("The file is far larger than any referral form: not opened.")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"The file cannot be read ({exc.strerror}).") from None
    kind = detect_kind(data, path.name)
    if kind == "csv":
        from cme_desktop.services.importing.pupil_csv import read_pupil_csv

        return Opened(report=tuple(run_isolated(read_pupil_csv, data)))
    if kind not in EMAIL_KINDS:
        return Opened(documents=(Document(path.name, data, path.name, kind == "encrypted_office"),))
    from cme_desktop.services.importing.email import open_email

    content = run_isolated(open_email, data, filename=path.name)
    documents = tuple(
        Document(a.name, a.data, f"{path.name} › {a.name}", a.kind == "encrypted_office")
        for a in content.attachments
    )
    skipped = tuple((n, unsupported_message(k)) for n, k in content.others if k == "doc")
    return Opened(documents=documents, skipped=skipped)


def read_document(document: Document) -> list[ParsedReferral]:
    """One form read in the sandbox with the password given (background work)."""
    from cme_desktop.services.importing.read import read_file_isolated

    found = read_file_isolated(document.data, filename=document.name, password=document.password)
    return [replace(p, source=document.source) for p in found]


class ImportRun(QObject):
    """One batch of files: read, passwords asked, skipped listed, each referral reviewed."""

    finished = Signal()

    def __init__(self, window: Window, paths: list[Path], *, today: date | None = None) -> None:
        super().__init__(window.widget())
        self.window = window
        self.widget = window.widget()
        self.today = today
        self.files: deque[Path] = deque(paths)
        self.documents: deque[Document] = deque()
        self.referrals: list[ParsedReferral] = []
        self.reports: list[tuple[str, tuple[PupilRecord, ...]]] = []
        self.skipped: list[tuple[str, str]] = []
        self.imported: list[int] = []
        self.review: ImportReview | None = None
        self._reviewed = 0
        self.done = False

    def start(self) -> None:
        """Begin with the first file; the rest follows as each step finishes."""
        self._next_file()

    def _status(self, text: str) -> None:
        self.window.show_status(text, 5000)

    def _run(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        name: str,
        after: Callable[[], None],
    ) -> None:
        """``work`` in the background; a failure is listed against ``name``, then ``after``."""

        def failed(error: BaseException) -> None:
            if not isinstance(error, CmeError):
                prompts.error(self.widget, TITLE, error)
            self.skipped.append((name, getattr(error, "message", str(error))))
            after()

        background.run(self.widget, work, on_done=on_done, on_error=failed)

    # -- 1. files ---------------------------------------------------------------------------

    def _next_file(self) -> None:
        if self.window.services is None:  # locked meanwhile: drop everything read
            return self._finish()
        if not self.files:
            return self._next_document()
        path = self.files.popleft()
        self._status(f"Reading {path.name}…")
        self._run(
            lambda: open_file(path),
            lambda opened: self._opened(path, opened),
            path.name,
            self._next_file,
        )

    def _opened(self, path: Path, opened: Opened) -> None:
        self.documents.extend(opened.documents)
        self.skipped.extend(opened.skipped)
        if opened.report is not None:
            self.reports.append((path.name, opened.report))
        self._next_file()

    # -- 2. forms and their passwords ---------------------------------------------------------

    def _next_document(self) -> None:
        if self.window.services is None:
            return self._finish()
        if not self.documents:
            return self._show_skipped()
        document = self.documents.popleft()
        if document.encrypted and not self._ask(document):
            return self._next_document()
        self._read(document)

    def _ask(self, document: Document, problem: str = "") -> bool:
        """Ask for the form's password; False (and the form skipped) when none is given."""
        document.attempts += 1
        label = (
            f"{problem}\n\nType the password for “{document.name}” again "
            f"(attempt {document.attempts} of {MAX_ATTEMPTS}):"
            if problem
            else f"“{document.name}” is password-protected. Type the password the sender "
            "gave you (by phone or text message):"
        )
        password = prompts.ask_password(self.widget, "Password for a referral", label)
        if not password:
            self.skipped.append((document.name, "No password was given, so it was not opened."))
            return False
        document.password = password
        return True

    def _read(self, document: Document) -> None:
        self._status(f"Reading {document.name}…")

        def failed(error: BaseException) -> None:
            if isinstance(error, (PasswordRequired, WrongPassword)):
                if document.attempts >= MAX_ATTEMPTS:
                    self.skipped.append(
                        (
                            document.name,
                            f"{error.message} Stopped after {MAX_ATTEMPTS} attempts: check the "
                            "password with the sender (by phone or text message, not email).",
                        )
                    )
                elif self._ask(document, error.message if document.password else ""):
                    return self._read(document)
                return self._next_document()
            if not isinstance(error, CmeError):
                prompts.error(self.widget, TITLE, error)
            self.skipped.append((document.name, getattr(error, "message", str(error))))
            self._next_document()

        def done(found: list[ParsedReferral]) -> None:
            self.referrals.extend(found)
            self._next_document()

        background.run(self.widget, lambda: read_document(document), on_done=done, on_error=failed)

    # -- 3. what was skipped, then the reviews ----------------------------------------------------

    def _show_skipped(self) -> None:
        if self.skipped:
            lines = "\n".join(f"• {name}: {why}" for name, why in self.skipped)
            prompts.warn(self.widget, TITLE, f"These could not be imported:\n\n{lines}")
        self._next_review()

    def _next_review(self) -> None:
        services = self.window.services
        if services is None:
            return self._finish()
        if self._reviewed >= len(self.referrals):
            return self._next_report()
        parsed = self.referrals[self._reviewed]
        self._reviewed += 1
        review = ImportReview(
            self.widget,
            services,
            parsed,
            number=self._reviewed,
            total=len(self.referrals),
            today=self.today,
        )
        self.review = review
        review.finished.connect(lambda _code: self._reviewed_one(review))
        review.open()

    def _reviewed_one(self, review: ImportReview) -> None:
        """The review closed: imported (then the cases are shown) or skipped."""
        if self.review is review:
            self.review = None
        review.deleteLater()
        result = review.outcome
        if result is None or self.window.services is None:
            return self._next_review()
        changes = self.window.changes
        self.imported.extend(result.case_ids)
        changes.cases_changed.emit()
        for case_id in result.case_ids:
            changes.case_changed.emit(case_id)
        for case_id in reversed(result.case_ids):  # the first child's case ends in front
            self.window.desk.open_case(case_id)
        due = EscalationDue(result.case_ids[0], "referral imported")
        changes.escalation_due.emit(due)
        if due.wizard is None:
            self._next_review()
        else:
            due.wizard.finished.connect(lambda _code: self._next_review())

    # -- 4. pupil database reports ----------------------------------------------------------

    def _next_report(self) -> None:
        services = self.window.services
        if services is None or not self.reports:
            return self._finish()
        name, records = self.reports.pop(0)

        def previewed(preview: Any) -> None:
            counts = {o: preview.count(o) for o in ("new", "open_case", "closed_case", "check")}
            text = (
                f"“{name}” lists {len(preview.rows)} children.\n\n"
                f"• {counts['new']} have no case yet: a new case will be logged for each.\n"
                f"• {counts['open_case']} already have an open case: not duplicated.\n"
                f"• {counts['closed_case']} match a closed case: reopen those by hand if "
                "needed.\n"
                f"• {counts['check']} may match a case: check those by hand.\n\n"
                f"Log the {counts['new']} new case{'s' if counts['new'] != 1 else ''} now?"
            )
            if counts["new"] and prompts.confirm(self.widget, TITLE, text, default_yes=True):
                self._run(
                    lambda: importing.import_pupil_report(records), saved, name, failed_report
                )
            else:
                self._next_report()

        def saved(result: Any) -> None:
            self.imported.extend(result.created_ids)
            self.window.changes.cases_changed.emit()
            self._status(f"{len(result.created_ids)} case(s) logged from {name}.")
            self._next_report()

        def failed_report() -> None:
            name_, why = self.skipped.pop()
            prompts.error(self.widget, TITLE, f"{name_}: {why}")
            self._next_report()

        importing = services.importing
        self._run(
            lambda: importing.import_pupil_report(records, auto=False),
            previewed,
            name,
            failed_report,
        )

    def _finish(self) -> None:
        if self.done:
            return
        self.done = True
        if self.imported:
            self._status(f"Imported: {len(self.imported)} case(s) created or updated.")
        self.finished.emit()


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
        if self.window.services is None:
            return None
        if self.run is not None and not self.run.done:
            prompts.info(self.widget, TITLE, "An import is under way: finish it first.")
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
        self.run = ImportRun(self.window, files, today=self.today)
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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.widget:
            return False
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, (QDragEnterEvent, QDropEvent))
            if self.window.services is not None and self.dropped_paths(event):
                event.setDropAction(Qt.DropAction.CopyAction)
                event.accept()
                return True
            return False
        if kind == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            paths = self.dropped_paths(event)
            if not paths or self.window.services is None:
                return False
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.import_paths(paths)
            return True
        return False


def install(window: Window) -> Importer:
    """Add File > Import… (Ctrl+I) and Import folder… (Ctrl+Shift+I), and take dropped files.

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


__all__ = ["ImportRun", "Importer", "install", "open_file", "read_document"]
