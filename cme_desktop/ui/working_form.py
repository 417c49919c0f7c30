"""A form whose work runs on a worker thread, the form open: Check out for visits… and
Check in…, which talk to the server and write a vault for seconds or minutes.

OK checks what was typed (on the window's thread) and starts the work through
``ui.background``. While it runs, a busy line under the fields says what is being done,
the fields and buttons are greyed, and the dialog cannot be closed (Escape, the close
button): the work is one transaction that cannot be stopped half way without leaving
the officer unsure what was sent, so there is no Cancel (as for the monthly save). The
window goes on painting and answering; the dialog stays modal, so nothing is typed into
the cases being sent meanwhile. Work in steps (check-in: compare, ask about each
conflict, send) runs one ``run_step`` after another. A failure is said in a message
box, and the form is back as typed, to try again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from cme_desktop.services.errors import CmeError
from cme_desktop.ui import background, prompts
from cme_desktop.ui.dialogs import FormDialog

T = TypeVar("T")


def reason(exc: BaseException) -> str:
    """What went wrong, in the officer's words where the service gave them."""
    if isinstance(exc, CmeError):
        return exc.message
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"A file could not be read or written{where}: {exc.strerror or exc}."
    return f"Something unexpected went wrong ({type(exc).__name__}): {exc}"


class WorkingForm(FormDialog):
    """A ``FormDialog`` whose ``submit()`` starts work with ``run_step`` (module docstring)."""

    def __init__(self, parent: QWidget | None, title: str, *, ok_text: str) -> None:
        super().__init__(parent, title, ok_text=ok_text)
        self.working = background.ProgressPanel(self)
        self.working.setObjectName("workingProgress")
        self.working.setAccessibleName(f"{title} in progress")
        self.working.label.setAccessibleName("What is being done")
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.count() - 1, self.working)  # under the fields
        self.busy = False

    def run_step(
        self,
        text: str,
        work: Callable[[background.Progress], T],
        then: Callable[[T], None],
        *,
        failure: Callable[[BaseException], str] = reason,
    ) -> None:
        """Run ``work(progress)`` on a worker thread, then ``then(result)`` on this one.

        ``then`` starts the next step or calls ``finish()``; a ``CmeError`` it raises is
        said as it is. A failure of ``work`` is said as ``failure(exc)``.
        """
        progress = background.Progress(text, parent=self)
        self.working.follow(progress)
        self._set_busy(True)

        def done(result: Any) -> None:
            try:
                then(result)
            except CmeError as exc:
                self.failed(exc, exc.message)

        background.run(
            self,
            lambda: work(progress),
            on_done=done,
            on_error=lambda exc: self.failed(exc, failure(exc)),
            progress=progress,
        )

    def finish(self) -> None:
        """The work is done: the dialog closes as accepted."""
        self._set_busy(False)
        QDialog.accept(self)

    def failed(self, exc: BaseException, text: str) -> None:
        """Say ``text``; the form is back as typed, the cursor in the field to change."""
        self._set_busy(False)
        prompts.error(self, self.windowTitle(), text)
        field = getattr(exc, "field", None)
        target = self.fields.get(field) if isinstance(field, str) else None
        target = target or self.typing_field
        if target is not None:
            target.setFocus()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for widget in self._rows:
            widget.setEnabled(not busy)
        for button in self.buttons.buttons():
            button.setEnabled(not busy)
        if busy:
            # The greyed field loses the cursor: the dialog keeps it, so Escape and Tab
            # still reach it (and are ignored) rather than the window behind.
            self.setFocus()

    # -- nothing closes the dialog while the work runs ---------------------------------

    def accept(self) -> None:
        if self.busy:
            return
        try:
            self.submit()
        except CmeError as exc:
            self.refused(exc)

    def reject(self) -> None:
        if not self.busy:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
            return
        super().closeEvent(event)
