"""Case > Save chronology…: the whole history of the case in front, as a PDF.

Asked like every file that names a child (``protected_save``): protected with a
generated password (shown once) unless the officer unticks it and confirms; then
where to save. ``ChronologyService`` writes it, audits it and notes it on the
case's timeline; the message afterwards says where the file went.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.errors import CmeError
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import authority_of
from cme_desktop.ui import prompts, protected_save
from cme_desktop.ui.window import Window

TITLE = "Save chronology"
QUESTION = (
    "The chronology names the child and holds the whole case history. Protected, the PDF "
    "opens only with a password, shown to you once."
)


def save_chronology(parent: QWidget, services: AppServices, case_id: int) -> Path | None:
    """Ask how and where, then save the chronology of ``case_id``; where it went, or None."""
    choice = protected_save.choose(parent, TITLE, QUESTION)
    if choice is None:
        return None
    suggested = str(Path.home() / f"{case_reference(case_id)}-chronology.pdf")
    path = prompts.save_file(parent, TITLE, suggested, "PDF (*.pdf)")
    if path is None:
        return None
    if path.suffix.lower() != ".pdf":
        path = path.with_name(path.name + ".pdf")
    try:
        saved = services.chronology.save(
            case_id,
            path,
            authority=authority_of(services.settings.load()),
            password=choice.password,
        )
    except CmeError as exc:
        prompts.error(parent, TITLE, exc)
        return None
    if choice.password is None:
        prompts.info(parent, TITLE, f"The chronology was saved, unprotected, to {saved.path}.")
    else:
        protected_save.show_password(
            choice.password, saved.path, parent, title="The chronology's password"
        )
    return saved.path


def install(window: Window) -> QAction:
    """Add Case > Save chronology… for the case in front."""
    widget = window.widget()
    action = QAction("Save c&hronology…", widget)
    action.setStatusTip("Save the case's whole history, oldest first, as a PDF to print")
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def trigger() -> None:
        services = window.services
        case_id = window.current_case_id()
        if services is None:
            return
        if case_id is None:
            prompts.info(widget, TITLE, "Open or select a case first, then save its chronology.")
            return
        save_chronology(widget, services, case_id)

    action.triggered.connect(lambda _checked=False: trigger())
    window.add_action("Case", action, needs_case=True)
    return action
