"""Data protection in the window: Case > Subject access pack…, Tools > Retention review….

The subject access pack names the child and everyone on the record, so it is
always protected: a generated password, shown once, then where to save it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from cme_desktop.services.documents.subject_access import pack_name
from cme_desktop.services.errors import CmeError
from cme_desktop.services.protection.passwords import generate_short_password
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import authority_of
from cme_desktop.ui import prompts, protected_save
from cme_desktop.ui.retention import TITLE as RETENTION_TITLE
from cme_desktop.ui.retention import RetentionWindow
from cme_desktop.ui.window import Window

SAR_TITLE = "Subject access pack"


def save_subject_access(parent: QWidget, services: AppServices, case_id: int) -> Path | None:
    """Ask where, then save the pack of ``case_id`` protected; where it went, or None."""
    suggested = str(Path.home() / pack_name(case_id))
    path = prompts.save_file(parent, SAR_TITLE, suggested, "PDF (*.pdf)")
    if path is None:
        return None
    if path.suffix.lower() != ".pdf":
        path = path.with_name(path.name + ".pdf")
    password = generate_short_password()
    try:
        pack = services.subject_access.produce(
            case_id,
            target=path,
            password=password,
            authority=authority_of(services.settings.load()),
        )
    except CmeError as exc:
        prompts.error(parent, SAR_TITLE, exc)
        return None
    protected_save.show_password(
        password, pack.path, parent, title="The subject access pack's password"
    )
    return pack.path


def open_retention(window: Window) -> RetentionWindow | None:
    """The review queue, over the window (one at a time)."""
    services = window.services
    if services is None:
        return None
    widget = window.widget()
    for existing in widget.findChildren(RetentionWindow):
        existing.refresh()
        existing.raise_()
        existing.activateWindow()
        return existing
    dialog = RetentionWindow(
        widget,
        services,
        window.desk.open_case,
        changed=window.changes.case_changed.emit,
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def install(window: Window) -> tuple[QAction, QAction]:
    """Add Case > Subject access pack… and Tools > Retention review…."""
    widget = window.widget()
    sar = QAction("Subject &access pack…", widget)
    sar.setStatusTip("The whole record of the child in front, as a password-protected PDF")
    sar.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def trigger_sar() -> None:
        services = window.services
        case_id = window.current_case_id()
        if services is None:
            return
        if case_id is None:
            prompts.info(widget, SAR_TITLE, "Open or select a case first.")
            return
        save_subject_access(widget, services, case_id)

    sar.triggered.connect(lambda _checked=False: trigger_sar())
    window.add_action("Case", sar, needs_case=True)
    review = QAction(f"{RETENTION_TITLE}…", widget)
    review.setStatusTip("Closed cases due for erasure or review under the retention rule")
    review.triggered.connect(lambda _checked=False: open_retention(window))
    window.add_action("Tools", review)
    # The queue names children: it closes with the vault.
    window.vault_locked.connect(lambda: [d.close() for d in widget.findChildren(RetentionWindow)])
    return sar, review
