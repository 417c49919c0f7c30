"""File > Export register entry… and Import register entry… (``cme-register/1``).

Export: the case in front, to a PDF the officer names, protected with a generated
password shown once with the reminder to send it by another channel. Import: a PDF
chosen and its password asked; the record is read in the import sandbox, the case it
surely matches is offered for an update, otherwise a new child on the register, and
nothing is written until the officer says yes. The work runs off the window's thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from cme_desktop.services.cases.detail import case_reference
from cme_desktop.ui import background, prompts

if TYPE_CHECKING:
    from cme_desktop.services.register.exchange import RegisterTransfer
    from cme_desktop.services.registry import AppServices
    from cme_desktop.ui.window import Window

EXPORT_TITLE = "Export register entry"
IMPORT_TITLE = "Import register entry"
FILTER = "Register entry (*.pdf)"


def install(window: Window) -> tuple[QAction, QAction]:
    """Add the two File menu actions (with mnemonics, so the keyboard reaches them)."""
    widget = window.widget()
    export = QAction("Export re&gister entry…", widget)
    export.setToolTip("The case's register entry as a password-protected PDF (cme-register/1)")
    export.triggered.connect(lambda: _export(widget, window.services, window.current_case_id()))
    window.add_action("File", export, needs_case=True)
    imported = QAction("Import register &entry…", widget)
    imported.setToolTip("A register entry exported by another authority")
    imported.triggered.connect(lambda: _import(widget, window))
    window.add_action("File", imported)
    return export, imported


def _export(parent: QWidget, services: AppServices | None, case_id: int | None) -> None:
    if services is None or case_id is None:
        return
    from cme_desktop.services.protection.passwords import generate_short_password
    from cme_desktop.services.register import exchange
    from cme_desktop.services.settings import SettingsService, authority_of

    target = prompts.save_file(
        parent, EXPORT_TITLE, f"register-{case_reference(case_id)}.pdf", FILTER
    )
    if target is None:
        return
    if target.suffix.lower() != ".pdf":
        target = target.with_name(target.name + ".pdf")
    password = generate_short_password()
    db = services.db

    def work() -> int:
        authority = authority_of(SettingsService(db).load()).name
        return exchange.export_entry(
            db, case_id, target=target, password=password, authority=authority
        )

    background.run(
        parent,
        work,
        on_done=lambda _size: prompts.info(
            parent,
            EXPORT_TITLE,
            f"Saved {target.name}, protected with the password:\n\n{password}\n\n"
            "Send the password by another channel (phone or text), never in the same email. "
            "It is not shown again.",
        ),
        on_error=lambda exc: prompts.error(parent, EXPORT_TITLE, exc),
    )


def _import(parent: QWidget, window: Window) -> None:
    services = window.services
    if services is None:
        return
    path = prompts.open_file(parent, IMPORT_TITLE, FILTER)
    if path is None:
        return
    password = prompts.ask_password(parent, IMPORT_TITLE, f"Password for {path.name}:")
    if password is None:
        return
    background.run(
        parent,
        lambda: _read(path, password),
        on_done=lambda transfer: _decide(parent, window, services, transfer),
        on_error=lambda exc: prompts.error(parent, IMPORT_TITLE, exc),
    )


def _read(path: Path, password: str) -> RegisterTransfer:
    """The file's record, read in the import sandbox (a PDF from elsewhere is untrusted)."""
    from cme_desktop.services.importing.input_files import read_input_file
    from cme_desktop.services.importing.sandbox import run_isolated
    from cme_desktop.services.register import exchange

    transfer: RegisterTransfer = run_isolated(
        exchange.read_transfer, read_input_file(path), password=password
    )
    return transfer


def _decide(
    parent: QWidget, window: Window, services: AppServices, transfer: RegisterTransfer
) -> None:
    from cme_desktop.services.register import exchange

    matches = exchange.find_matches(services.db, transfer)
    sure = exchange.proposed_case(matches)
    name = transfer.full_name
    if sure is not None:
        match = next(m for m in matches if m.case_id == sure)
        question = (
            f"The file is {name}'s register entry. It matches {match.reference} "
            f"{match.full_name} ({match.reason}).\n\nUpdate that child's register entry from "
            "the file? Its parents, providers and details become the file's; the file's "
            "events are added."
        )
    else:
        maybe = "; ".join(f"{m.reference} {m.full_name}" for m in matches[:3])
        question = (
            f"The file is {name}'s register entry. "
            + (f"It may be {maybe}, but not surely: check by hand first.\n\n" if maybe else "")
            + "Put the child on the register as a child new to the record?"
        )
    if not prompts.confirm(parent, IMPORT_TITLE, question):
        return
    db = services.db
    background.run(
        parent,
        lambda: exchange.import_entry(db, transfer, case_id=sure),
        on_done=lambda done: _imported(parent, window, done),
        on_error=lambda exc: prompts.error(parent, IMPORT_TITLE, exc),
    )


def _imported(parent: QWidget, window: Window, done: object) -> None:
    from cme_desktop.services.register.exchange import ExchangeImported

    assert isinstance(done, ExchangeImported)
    # A new child is a new row of the list; an update changes the open case.
    if done.created:
        window.changes.cases_changed.emit()
    else:
        window.changes.case_changed.emit(done.case_id)
    verb = "Put on the register as" if done.created else "Updated the register entry of"
    prompts.info(
        parent,
        IMPORT_TITLE,
        f"{verb} {case_reference(done.case_id)}; {done.events_added} event(s) added.",
    )
