"""Typing in the dialogs that correct one row (a carer, a tracking step, a timeline entry)
and in Export referral is kept across an idle lock like the others, and opened again on
the same row: after the unlock the correction is still a correction, not a new row."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, export_dialog
from cme_desktop.ui.export_dialog import ExportDialog
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.workspace.people import CarerDialog
from cme_desktop.ui.workspace.steps import StepDialog
from cme_desktop.ui.workspace.timeline import EntryDialog
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.main_window import KNOWN_NAME, Prompts, make_window, unlock

TYPED = "Quillon Marbury-Stott"


@pytest.fixture
def slow_idle(qtbot: Any, demo_vault: Vault, asked: Prompts) -> Any:
    """A window that locks after 1.2 s without input."""
    window = make_window(demo_vault, idle_lock_ms=1_200)
    export_dialog.install(window)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    yield window
    background.wait_for_all()
    asked.save_answer = "discard"
    window.close()


def _known(window: MainWindow) -> CaseWorkspace:
    services = window.services
    assert services is not None
    case_id = services.case_list.matching_ids(CaseQuery(search=KNOWN_NAME, quick="all"))[0]
    workspace = window.desk.open_case(case_id)
    assert workspace is not None
    return workspace


def _lock_with(
    qtbot: Any, window: MainWindow, open_it: Any, kind: type[QWidget], type_in: Any
) -> None:
    """Open a dialog with ``open_it``, type with ``type_in``, and wait: the vault locks."""

    def typing() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            QTimer.singleShot(20, typing)
            return
        type_in(dialog)

    QTimer.singleShot(0, typing)
    with qtbot.waitSignal(window.vault_locked, timeout=6_000):
        open_it()


def _reopened(qtbot: Any, window: MainWindow, kind: type[QWidget], read: Any = None) -> Any:
    """After the unlock, the dialog of ``kind`` opened again (or ``read(dialog)``, read
    before it is closed, for a dialog deleted on closing)."""
    seen: list[Any] = []

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            QTimer.singleShot(20, look)
            return
        seen.append(read(dialog) if read is not None else dialog)
        QTimer.singleShot(0, lambda: dialog.done(QDialog.DialogCode.Rejected))

    QTimer.singleShot(0, look)
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    return seen[0]


def test_a_carer_being_corrected_opens_again_on_that_carer(
    qtbot: Any, slow_idle: MainWindow
) -> None:
    window = slow_idle
    workspace = _known(window)
    services = window.services
    assert services is not None
    carer_id = services.cases.save_carer(workspace.case_id, name="Dana Quartermain")
    workspace.refresh()
    people = workspace.people
    _lock_with(
        qtbot,
        window,
        lambda: people.edit_carer(carer_id),
        CarerDialog,
        lambda d: d.telephone.setText("07700 900123"),
    )
    dialog = _reopened(qtbot, window, CarerDialog)
    assert dialog.carer_id == carer_id  # the same carer, not a new one
    assert dialog.name.text() == "Dana Quartermain"
    assert dialog.telephone.text() == "07700 900123"
    after = window.services
    assert after is not None and after.drafts.pending() == []
    assert [c.name for c in after.cases.get(workspace.case_id).carers].count(
        "Dana Quartermain"
    ) == 1


def test_a_step_being_edited_opens_again_on_that_step(qtbot: Any, slow_idle: MainWindow) -> None:
    window = slow_idle
    workspace = _known(window)
    steps = workspace.steps
    _lock_with(qtbot, window, lambda: steps.edit(3), StepDialog, lambda d: d.note.setText(TYPED))
    dialog = _reopened(qtbot, window, StepDialog)
    assert dialog.step.number == 4 and dialog.note.text() == TYPED


def test_a_timeline_entry_being_corrected_is_corrected_not_added(
    qtbot: Any, slow_idle: MainWindow
) -> None:
    window = slow_idle
    workspace = _known(window)
    services = window.services
    assert services is not None
    from datetime import datetime

    entry_id = services.cases.add_timeline(
        workspace.case_id, kind="note", occurred_at=datetime(2026, 5, 2, 9), summary="Rang"
    )
    row = next(t for t in services.cases.get(workspace.case_id).timeline if t.id == entry_id)
    _lock_with(
        qtbot,
        window,
        lambda: EntryDialog(workspace, workspace.ctx, row).exec(),
        EntryDialog,
        lambda d: d.summary.setPlainText(TYPED),
    )
    dialog = _reopened(qtbot, window, EntryDialog)
    assert dialog.row is not None and dialog.row.id == entry_id
    assert dialog.summary.toPlainText() == TYPED


def test_an_export_being_chosen_opens_again_without_its_typed_password(
    qtbot: Any, slow_idle: MainWindow, tmp_path: Any
) -> None:
    window = slow_idle
    workspace = _known(window)

    def choose(dialog: ExportDialog) -> None:
        dialog.set_target(tmp_path / "referral.docx")
        dialog.set_recipient("police")
        dialog.typed.setChecked(True)
        dialog.password_edit.setText("a typed secret 123")

    services = window.services
    assert services is not None
    _lock_with(
        qtbot,
        window,
        lambda: export_dialog.export_referral(window, services, workspace.case_id).exec(),
        ExportDialog,
        choose,
    )
    shown = _reopened(
        qtbot,
        window,
        ExportDialog,
        lambda d: (
            d.case_id,
            d.fmt(),
            d.target(),
            d.recipient.currentData(),
            d.typed.isChecked(),
            d.password_edit.text(),
        ),
    )
    # The same case, format, file, recipient and typed password mode; the password not kept.
    assert shown == (workspace.case_id, "docx", tmp_path / "referral.docx", "police", True, "")
