"""One batch of files being imported: read one at a time with progress and Cancel, then
reviewed.

An ``ImportRun`` takes files from disk or dropped from memory (a message dragged
out of Outlook) and goes through them in order, one file at a time:

1. The file is opened off the GUI thread, in the sandbox (``sandbox.run_isolated``):
   an email gives its attached forms, a pupil database report its rows.
2. Each of its forms is read in the background. An encrypted one needs a password:
   the background work never waits for the officer, so the password is asked here,
   on the GUI thread (``prompts.ask_password``), once per file, and the form is read
   again in the background with it. A wrong password is said plainly and asked
   again, at most ``MAX_ATTEMPTS`` times. A Word file is known to be encrypted
   before it is read, so its password is asked first; a PDF says so when opened.
   Then the next file.
3. Meanwhile a progress window says "Reading 3 of 5: name" and offers Cancel.
   Cancel lets the file being read finish, then stops before the next one: what was
   read goes on to be reviewed, and at the end the officer is told what was
   imported and which files were not opened.
4. The files that could not be read are listed with the reason and what to ask the
   sender for; then each referral is reviewed (``ImportReview``) and saved only when
   the officer presses Import. The cases open in the workspace, the list refreshes
   (``changes``) and ``escalation_due`` is announced, so that the escalation
   questions are offered when the referral calls for them; the next review waits
   for them.
5. A pupil database report is previewed (matched against the cases, nothing saved)
   and the new cases are logged only once the officer agrees.
6. A school's deletion or new pupil return is matched against the cases and each
   row's proposal shown (``SchoolReturnsReview``); the rows the officer leaves
   ticked are carried out.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from cme_desktop.services.errors import CmeError, PasswordRequired, UnreadableFile, WrongPassword
from cme_desktop.services.importing.detect import (
    EMAIL_KINDS,
    MAX_FILE_BYTES,
    detect_kind,
    unsupported_message,
)
from cme_desktop.services.importing.pupil_csv import PupilRecord
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.importing.school_returns_csv import SchoolReturnRow
from cme_desktop.ui import background, prompts
from cme_desktop.ui.changes import EscalationDue
from cme_desktop.ui.importing import school_returns_review
from cme_desktop.ui.importing.outlook_drop import Dropped
from cme_desktop.ui.importing.review import ImportReview
from cme_desktop.ui.window import Window

_log = logging.getLogger(__name__)

TITLE = "Import referrals"
MAX_ATTEMPTS = 3
#: How long reading may take before the progress window appears (quick imports show none).
PROGRESS_DELAY_MS = 400

#: A file to import: on disk, or dropped from memory.
Source = Path | Dropped


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
    returns: tuple[SchoolReturnRow, ...] | None = None


def _too_large() -> UnreadableFile:
    return UnreadableFile("The file is far larger than any referral form: not opened.")


def open_file(path: Path) -> Opened:
    """Read one file from disk and take it apart, in the sandbox (background work)."""
    from cme_desktop.services.importing.read import read_input_file

    # A pipe, /dev/zero or a device is refused before a byte is read.
    return open_data(path.name, read_input_file(path))


def open_data(name: str, data: bytes) -> Opened:
    """Take one file apart from its bytes, in the sandbox (background work)."""
    from cme_desktop.services.importing.sandbox import run_isolated

    if len(data) > MAX_FILE_BYTES:
        raise _too_large()
    kind = detect_kind(data, name)
    # A file's name may name a child: the log has its kind and size only.
    _log.info("import: a %s file of %d bytes", kind, len(data))
    if kind == "csv":
        from cme_desktop.services.importing.pupil_csv import read_pupil_csv
        from cme_desktop.services.importing.school_returns_csv import read_school_returns

        rows = run_isolated(read_school_returns, data)
        if rows is not None:
            return Opened(returns=tuple(rows))
        return Opened(report=tuple(run_isolated(read_pupil_csv, data)))
    if kind not in EMAIL_KINDS:
        return Opened(documents=(Document(name, data, name, kind == "encrypted_office"),))
    from cme_desktop.services.importing.email import open_email

    content = run_isolated(open_email, data, filename=name)
    documents = tuple(
        Document(a.name, a.data, f"{name} › {a.name}", a.kind == "encrypted_office")
        for a in content.attachments
    )
    skipped = tuple((n, unsupported_message(k)) for n, k in content.others if k == "doc")
    return Opened(documents=documents, skipped=skipped)


def open_source(source: Source) -> Opened:
    """Open a file on disk or one dropped from memory (background work)."""
    if isinstance(source, Dropped):
        return open_data(source.name, source.data)
    return open_file(source)


def source_name(source: Source) -> str:
    return source.name


def read_document(document: Document) -> list[ParsedReferral]:
    """One form read in the sandbox with the password given (background work)."""
    from cme_desktop.services.importing.read import read_file_isolated

    found = read_file_isolated(document.data, filename=document.name, password=document.password)
    return [replace(p, source=document.source) for p in found]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class ImportRun(QObject):
    """One batch of files: read in turn (progress, Cancel), passwords asked, skipped listed,
    each referral reviewed."""

    finished = Signal()

    def __init__(
        self,
        window: Window,
        sources: Sequence[Source],
        *,
        today: date | None = None,
        skipped: Sequence[tuple[str, str]] = (),
        progress_delay_ms: int = PROGRESS_DELAY_MS,
    ) -> None:
        super().__init__(window.widget())
        self.window = window
        self.widget = window.widget()
        self.today = today
        self.files: deque[Source] = deque(sources)
        self.total = len(self.files)
        self.started = 0  # files begun; every earlier one is read through
        self.documents: deque[Document] = deque()
        self.referrals: list[ParsedReferral] = []
        self.reports: list[tuple[str, tuple[PupilRecord, ...]]] = []
        self.returns: list[tuple[str, tuple[SchoolReturnRow, ...]]] = []
        self.skipped: list[tuple[str, str]] = list(skipped)
        self.not_read: list[str] = []
        self.imported: list[int] = []
        self.review: ImportReview | None = None
        self._reviewed = 0
        self.done = False
        self.progress = background.Progress(
            "Reading the files…",
            cancellable=True,
            stopping_text="Stopping once this file is read…",
            parent=self,
        )
        self._progress_delay_ms = progress_delay_ms

    def start(self) -> None:
        """Begin with the first file; the rest follows as each step finishes."""
        background.ProgressDialog(
            self.widget, TITLE, self.progress, delay_ms=self._progress_delay_ms
        )
        self._step()

    def was_cancelled(self) -> bool:
        return self.progress.cancelled()

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

    # -- 1. and 2. files, one at a time, and their forms ------------------------------------

    def _step(self) -> None:
        """The next thing to read: a form of the file being read, else the next file."""
        if self.window.services is None:  # locked meanwhile: drop everything read
            return self._finish()
        cancelled = self.progress.cancelled()
        if self.documents and not cancelled:
            return self._next_document()
        self.not_read += [d.source for d in self.documents]
        self.documents.clear()
        if self.files and not cancelled:
            return self._next_file()
        self.not_read += [source_name(s) for s in self.files]
        self.files.clear()
        self.progress.report(self.started, self.total, "Read.")
        self.progress.end()
        self._show_skipped()

    def _next_file(self) -> None:
        source = self.files[0]
        name = source_name(source)
        text = f"Reading {self.started + 1} of {self.total}: {name}"
        self.progress.report(self.started, self.total, text)
        if self.progress.cancelled():  # Cancel pressed as the count moved on
            return self._step()
        self.files.popleft()
        self.started += 1
        self._status(f"Reading {name}…")
        self._run(
            lambda: open_source(source),
            lambda opened: self._opened(source, opened),
            name,
            self._step,
        )

    def _opened(self, source: Source, opened: Opened) -> None:
        self.documents.extend(opened.documents)
        self.skipped.extend(opened.skipped)
        if opened.report is not None:
            self.reports.append((source_name(source), opened.report))
        if opened.returns is not None:
            self.returns.append((source_name(source), opened.returns))
        self._step()

    def _next_document(self) -> None:
        document = self.documents.popleft()
        if document.encrypted and not self._ask(document):
            return self._step()
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
        self.progress.say(f"Reading {self.started} of {self.total}: {document.source}")

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
                return self._step()
            if not isinstance(error, CmeError):
                prompts.error(self.widget, TITLE, error)
            self.skipped.append((document.name, getattr(error, "message", str(error))))
            self._step()

        def done(found: list[ParsedReferral]) -> None:
            self.referrals.extend(found)
            self._step()

        background.run(self.widget, lambda: read_document(document), on_done=done, on_error=failed)

    # -- 4. what was skipped, then the reviews ----------------------------------------------

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

    # -- 5. pupil database reports ----------------------------------------------------------

    def _next_report(self) -> None:
        services = self.window.services
        if services is None or not self.reports:
            return self._next_returns()
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

    def summary(self) -> str:
        """What a cancelled import did: the files read, what was imported, what was not opened."""
        read = self.started
        lines = [
            f"The import was stopped after {read} of {_plural(self.total, 'file')}."
            if read
            else "The import was stopped before any file was read."
        ]
        if self.imported:
            lines.append(f"Imported: {_plural(len(self.imported), 'case')} created or updated.")
        else:
            lines.append("Nothing was imported.")
        if self.not_read:
            names = "\n".join(f"• {name}" for name in self.not_read)
            lines.append(
                f"Not opened, so not imported (import them again when you are ready):\n{names}"
            )
        return "\n\n".join(lines)

    # -- 6. schools' deletion and new pupil returns ------------------------------------------

    def _next_returns(self) -> None:
        services = self.window.services
        if services is None or not self.returns:
            return self._finish()
        name, rows = self.returns.pop(0)

        def saved(case_ids: list[int], text: str) -> None:
            self.imported.extend(case_ids)
            self.window.changes.cases_changed.emit()
            for case_id in case_ids:
                self.window.changes.case_changed.emit(case_id)
            self._status(text)

        school_returns_review.review(
            self.widget,
            services,
            name,
            rows,
            run=lambda work, done: self._run(work, done, name, self._next_returns),
            saved=saved,
            after=self._next_returns,
        )

    def _finish(self) -> None:
        if self.done:
            return
        self.done = True
        self.progress.end()
        if self.window.services is not None and self.progress.cancelled():
            prompts.info(self.widget, TITLE, self.summary())
        elif self.imported:
            self._status(f"Imported: {len(self.imported)} case(s) created or updated.")
        self.finished.emit()


__all__ = [
    "MAX_ATTEMPTS",
    "TITLE",
    "Document",
    "ImportRun",
    "Opened",
    "Source",
    "open_data",
    "open_file",
    "open_source",
    "read_document",
]
