"""Correcting a case's history in the window: a visit's outcome is never chosen for the
officer, its next step can become a task, and timeline entries and tasks are edited or
deleted (struck through, with the reason asked), by keyboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QLabel

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.registry import AppServices
from cme_desktop.ui import chronology, prompts
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.password_shown_once import PasswordShownOnce
from cme_desktop.ui.workspace.tables import SmallTable
from cme_desktop.ui.workspace.tasks import TaskDialog
from cme_desktop.ui.workspace.timeline import AUTOMATIC, NO_OUTCOME, EntryDialog, VisitDialog
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.main_window import KNOWN_NAME, Prompts
from tests.ui.test_typing_at_once import save_by_keyboard, type_keys, when_dialog_opens


def _known(window: MainWindow) -> tuple[CaseWorkspace, AppServices]:
    services = window.services
    assert services is not None
    ids = services.case_list.matching_ids(CaseQuery(search=KNOWN_NAME, quick="all"))
    workspace = window.desk.open_case(ids[0])
    assert workspace is not None
    return workspace, services


def _select(table: SmallTable, row_id: int) -> int:
    for r in range(table.rowCount()):
        item = table.item(r, 0)
        if item is not None and table.current_id() != row_id:
            table.setCurrentCell(r, 0)
        if table.current_id() == row_id:
            return r
    raise AssertionError(f"row {row_id} is not shown")


def _clear_and_type(widget: Any, text: str) -> None:
    widget.setFocus()
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(widget, Qt.Key.Key_Delete)
    QTest.keyClicks(widget, text)


def _on_next_dialog(act: Callable[[QDialog], None]) -> list[BaseException]:
    """Run ``act`` on the next modal dialog; a failed check closes it and is kept to raise."""
    failures: list[BaseException] = []

    def guarded(dialog: QDialog) -> None:
        try:
            act(dialog)
        except BaseException as exc:  # noqa: BLE001 - raised again by the test
            failures.append(exc)
            dialog.reject()

    when_dialog_opens(guarded)
    return failures


def test_a_visit_is_refused_until_its_outcome_is_chosen_and_its_next_step_becomes_a_task(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace, services = _known(window)
    results: list[int] = []

    def act(dialog: QDialog) -> None:
        assert isinstance(dialog, VisitDialog)
        assert dialog.outcome.currentData() == "", "no outcome is chosen for the officer"
        type_keys(dialog, "Nobody came to the door")  # the first field: who was seen
        save_by_keyboard(dialog)
        assert asked.texts("error") == [NO_OUTCOME]
        assert dialog.isVisible(), "the dialog stays open with what was typed"
        assert dialog.focusWidget() is dialog.outcome
        dialog.outcome.setCurrentIndex(dialog.outcome.findData("no_reply_occupied"))
        dialog.next_step.setFocus()
        type_keys(dialog, "Revisit 503 Declan Street after 4pm")
        assert not dialog.task_due.isEnabled()
        dialog.as_task.setFocus()
        QTest.keyClick(dialog.as_task, Qt.Key.Key_Space)
        assert dialog.as_task.isChecked() and dialog.task_due.isEnabled()
        _clear_and_type(dialog.task_due, f"{date.today() + timedelta(days=2):%d/%m/%Y}")
        save_by_keyboard(dialog)
        results.append(dialog.result())

    failures = _on_next_dialog(act)
    workspace.timeline.record_visit()
    assert failures == []

    assert results == [QDialog.DialogCode.Accepted], asked.shown
    detail = services.cases.get(workspace.case_id)
    visit = next(t for t in detail.timeline if t.kind == "visit")
    assert (visit.outcome, visit.who_seen) == ("no_reply_occupied", "Nobody came to the door")
    task = next(t for t in detail.tasks if t.origin == "visit")
    assert task.title == "Revisit 503 Declan Street after 4pm"
    assert task.due_on == date.today() + timedelta(days=2)


def test_an_entry_is_edited_then_deleted_and_shown_struck_through(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace, services = _known(window)
    entry_id = services.cases.add_timeline(
        workspace.case_id, kind="phone", occurred_at=datetime.now(), summary="Rang mum"
    )
    workspace.ctx.changed()
    timeline = workspace.timeline
    _select(timeline.table, entry_id)

    def act(dialog: QDialog) -> None:
        assert isinstance(dialog, EntryDialog)
        assert dialog.windowTitle() == "Edit a timeline entry"
        _clear_and_type(dialog.summary, "Rang dad: moved to Leeds")
        save_by_keyboard(dialog)

    failures = _on_next_dialog(act)
    QTest.keyClick(timeline.table, Qt.Key.Key_Return)  # Enter on a row edits it
    assert failures == []
    row = _select(timeline.table, entry_id)
    assert timeline.table.item(row, 2).text() == "Rang dad: moved to Leeds"
    assert "Edited" in timeline.table.item(row, 3).text()

    asked.text_answer = "Written on the wrong case"
    timeline.delete_button.click()
    row = _select(timeline.table, entry_id)
    cells = [timeline.table.item(row, c) for c in range(4)]
    assert all(c is not None for c in cells)
    assert cells[2].text() == "Rang dad: moved to Leeds", "kept, not erased"
    assert cells[2].font().strikeOut()
    assert "Written on the wrong case" in cells[3].text() and not cells[3].font().strikeOut()
    [stored] = [t for t in services.cases.get(workspace.case_id).timeline if t.id == entry_id]
    assert stored.deleted_reason == "Written on the wrong case"

    # A deleted entry cannot be deleted again; nor can one the program recorded.
    timeline.delete_button.click()
    assert asked.texts("info")[-1] == "That entry has been deleted already."
    services.visit_sheets.record_printed([workspace.case_id], output="printer")
    workspace.ctx.changed()
    automatic = next(
        t.id for t in services.cases.get(workspace.case_id).timeline if t.kind == "system"
    )
    _select(timeline.table, automatic)
    timeline.edit_button.click()
    assert asked.texts("info")[-1] == AUTOMATIC


def test_a_task_is_changed_and_deleted_with_a_reason(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace, services = _known(window)
    task_id = services.cases.add_task(
        workspace.case_id, title="Ring schol", due_on=date.today() + timedelta(days=3)
    )
    workspace.ctx.changed()
    tasks = workspace.tasks
    _select(tasks.table, task_id)

    def act(dialog: QDialog) -> None:
        assert isinstance(dialog, TaskDialog)
        assert dialog.windowTitle() == "Edit a task"
        _clear_and_type(dialog.title, "Ring the school office")
        save_by_keyboard(dialog)

    failures = _on_next_dialog(act)
    tasks.edit_button.click()
    assert failures == []
    row = _select(tasks.table, task_id)
    assert tasks.table.item(row, 1).text() == "Ring the school office"

    asked.text_answer = None  # cancelled: nothing changes
    tasks.delete_button.click()
    assert tasks.table.item(_select(tasks.table, task_id), 3).text() == "Open"

    asked.text_answer = "Done by phone already"
    tasks.delete_button.click()
    row = _select(tasks.table, task_id)
    assert tasks.table.item(row, 1).font().strikeOut()
    assert tasks.table.item(row, 3).text().endswith("Done by phone already")
    dashboard = services.case_list.dashboard(today=date.today() + timedelta(days=3))
    assert task_id not in [t.id for t in dashboard.due_tasks]


def test_case_save_chronology_asks_for_protection_and_shows_the_password_once(
    qtbot: Any,
    window: MainWindow,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chronology.install(window)  # as the application installs it (app.FEATURES)
    workspace, services = _known(window)
    target = tmp_path / "chronology"  # the officer left out the ending: .pdf is added
    monkeypatch.setattr(prompts, "save_file", lambda *_a, **_k: target)
    [action] = [a for a in window.findChildren(QAction) if a.text() == "Save c&hronology…"]
    assert action.isEnabled()

    action.trigger()

    assert asked.titles("protection") == ["Save chronology"]
    saved = tmp_path / "chronology.pdf"
    shown = window.findChild(PasswordShownOnce)
    assert isinstance(shown, PasswordShownOnce)
    password = shown.password_label.text()
    assert str(saved) in " ".join(label.text() for label in shown.findChildren(QLabel))
    with pikepdf.open(saved, password=password) as pdf:
        assert pdf.encryption.bits == 256
    latest = services.cases.get(workspace.case_id).timeline[0]
    assert latest.summary == "Chronology saved as a password-protected PDF (chronology.pdf)."
    shown.reject()
