"""The timeline and task correction dialogs keep the version they read: a save over a newer
version asks, as the case's details form does, and each answer does what it says."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from cme_desktop.services.cases.detail import TaskRow, TimelineRow
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, prompts
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.workspace import versions
from cme_desktop.ui.workspace.tasks import TaskDialog
from cme_desktop.ui.workspace.timeline import EntryDialog, VisitDialog
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.main_window import KNOWN_NAME, Prompts, make_window, unlock

AT = datetime(2026, 11, 2, 10, 30)
DAY = date(2026, 11, 20)


def _known(window: MainWindow) -> CaseWorkspace:
    panel = window.desk.case_list
    panel.search.setText(KNOWN_NAME)
    panel.apply_filters()
    case_id = panel.model.case_id(0)
    assert case_id is not None
    workspace = window.desk.open_case(case_id)
    assert workspace is not None and workspace.detail is not None
    return workspace


def _entry(window: MainWindow, workspace: CaseWorkspace, *, kind: str = "note") -> TimelineRow:
    services = window.services
    assert services is not None
    extra = {"outcome": "no_reply_occupied"} if kind == "visit" else {}
    entry_id = services.cases.add_timeline(
        workspace.case_id, kind=kind, occurred_at=AT, summary="Rang the school", **extra
    )
    workspace.load()
    assert workspace.detail is not None
    return next(t for t in workspace.detail.timeline if t.id == entry_id)


def _now(window: MainWindow, workspace: CaseWorkspace) -> Any:
    assert window.services is not None
    return window.services.cases.get(workspace.case_id)


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The answers ``reload_or_keep`` gives, in turn (each question is recorded by removal)."""
    given: list[str] = []

    def reload_or_keep(_parent: Any, title: str, text: str) -> str:
        assert "changed elsewhere since you opened it" in text
        return given.pop(0)

    monkeypatch.setattr(prompts, "reload_or_keep", reload_or_keep)
    return given


def _opened(qtbot: Any, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_keep_my_changes_puts_mine_over_theirs(
    qtbot: Any, window: MainWindow, asked: Prompts, answers: list[str]
) -> None:
    workspace = _known(window)
    row = _entry(window, workspace)
    dialog = _opened(qtbot, EntryDialog(workspace.timeline, workspace.ctx, row))
    # The officer types, by keyboard, into the box the dialog opened in...
    assert isinstance(dialog, EntryDialog)
    dialog.summary.selectAll()
    qtbot.keyClicks(dialog.summary, "Mine: the school has no record")
    # ...while another officer moves the time of the same entry.
    assert window.services is not None
    window.services.cases.edit_timeline(
        row.id, occurred_at=AT.replace(hour=9), summary=row.summary, version=row.version
    )
    answers.append("keep")
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert answers == [] and asked.shown == []
    assert dialog.result() == QDialog.DialogCode.Accepted
    saved = next(t for t in _now(window, workspace).timeline if t.id == row.id)
    assert saved.summary == "Mine: the school has no record"  # mine
    assert saved.occurred_at == AT.replace(hour=9)  # theirs, untouched by me
    assert saved.version == row.version + 2


def test_reload_shows_theirs_in_the_dialog_and_saves_nothing_of_mine(
    qtbot: Any, window: MainWindow, asked: Prompts, answers: list[str]
) -> None:
    workspace = _known(window)
    row = _entry(window, workspace, kind="visit")
    dialog = _opened(qtbot, VisitDialog(workspace.timeline, workspace.ctx, row))
    assert isinstance(dialog, VisitDialog)
    dialog.who_seen.setText("Mine: a neighbour")
    assert window.services is not None
    window.services.cases.edit_timeline(
        row.id,
        occurred_at=AT,
        outcome="no_reply_occupied",
        summary="Theirs: curtains drawn",
        who_seen="Theirs: nobody",
        version=row.version,
    )
    answers.append("reload")
    dialog.accept()
    assert dialog.isVisible()  # open still, on their version
    assert dialog.who_seen.text() == "Theirs: nobody"
    assert dialog.summary.toPlainText() == "Theirs: curtains drawn"
    saved = next(t for t in _now(window, workspace).timeline if t.id == row.id)
    assert saved.who_seen == "Theirs: nobody"
    # The timeline behind the dialog shows theirs too.
    assert any("Theirs: curtains drawn" in t for t in _cells(workspace))
    # A save from here is made over the version now shown: no second question.
    dialog.next_step.setText("Visit again on Friday")
    dialog.accept()
    assert not dialog.isVisible() and answers == [] and asked.shown == []
    saved = next(t for t in _now(window, workspace).timeline if t.id == row.id)
    assert (saved.who_seen, saved.next_step) == ("Theirs: nobody", "Visit again on Friday")


def _cells(workspace: CaseWorkspace) -> list[str]:
    table = workspace.timeline.table
    return [item.text() for r in range(table.rowCount()) if (item := table.item(r, 2)) is not None]


def test_cancel_keeps_the_dialog_as_typed_and_the_record_as_they_saved_it(
    qtbot: Any, window: MainWindow, asked: Prompts, answers: list[str]
) -> None:
    workspace = _known(window)
    assert window.services is not None
    task_id = window.services.cases.add_task(
        workspace.case_id, title="Phone the school", due_on=DAY
    )
    workspace.load()
    assert workspace.detail is not None
    task: TaskRow = next(t for t in workspace.detail.tasks if t.id == task_id)
    dialog = _opened(qtbot, TaskDialog(workspace.tasks, workspace.ctx, task))
    assert isinstance(dialog, TaskDialog)
    dialog.title.setText("Mine: email the school")
    window.services.cases.edit_task(
        task_id, title="Theirs: visit the school", due_on=DAY, version=task.version
    )
    answers.append("cancel")
    dialog.accept()
    assert dialog.isVisible() and dialog.title.text() == "Mine: email the school"
    saved = next(t for t in _now(window, workspace).tasks if t.id == task_id)
    assert saved.title == "Theirs: visit the school"
    # Then keeping mine: my title over theirs, their due date (unchanged here) kept.
    answers.append("keep")
    dialog.accept()
    assert not dialog.isVisible() and answers == [] and asked.shown == []
    saved = next(t for t in _now(window, workspace).tasks if t.id == task_id)
    assert saved.title == "Mine: email the school"


def test_an_entry_deleted_meanwhile_is_said_and_nothing_is_saved(
    qtbot: Any, window: MainWindow, asked: Prompts, answers: list[str]
) -> None:
    workspace = _known(window)
    row = _entry(window, workspace)
    dialog = _opened(qtbot, EntryDialog(workspace.timeline, workspace.ctx, row))
    assert isinstance(dialog, EntryDialog)
    dialog.summary.setPlainText("Mine")
    assert window.services is not None
    window.services.cases.delete_timeline(row.id, reason="Logged on the wrong case")
    answers.append("keep")
    dialog.accept()
    assert dialog.isVisible()
    assert asked.texts("error") == ["That entry has been deleted already."]
    saved = next(t for t in _now(window, workspace).timeline if t.id == row.id)
    assert saved.summary == "Rang the school" and saved.deleted_at is not None


def test_an_entry_deleted_while_the_question_was_open_is_said(
    qtbot: Any, window: MainWindow, asked: Prompts, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _known(window)
    row = _entry(window, workspace)
    services = window.services
    assert services is not None
    dialog = _opened(qtbot, EntryDialog(workspace.timeline, workspace.ctx, row))
    assert isinstance(dialog, EntryDialog)
    dialog.summary.setPlainText("Mine")
    services.cases.edit_timeline(row.id, occurred_at=AT, summary="Theirs", version=row.version)

    def deleted_meanwhile(_parent: Any, _title: str, _text: str) -> str:
        services.cases.delete_timeline(row.id, reason="Logged on the wrong case")
        return "keep"

    monkeypatch.setattr(prompts, "reload_or_keep", deleted_meanwhile)
    dialog.accept()
    assert dialog.isVisible() and dialog.summary.toPlainText() == "Mine"
    assert asked.texts("info") == [versions.GONE]
    saved = next(t for t in _now(window, workspace).timeline if t.id == row.id)
    assert saved.summary == "Theirs" and saved.deleted_at is not None


def test_a_correction_kept_across_an_idle_lock_still_saves_from_the_version_read(
    qtbot: Any, demo_vault: Vault, asked: Prompts, answers: list[str]
) -> None:
    window = make_window(demo_vault, idle_lock_ms=1_200)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    try:
        workspace = _known(window)
        row = _entry(window, workspace)
        services = window.services
        assert services is not None

        def typing() -> None:
            dialog = QApplication.activeModalWidget()
            if not isinstance(dialog, EntryDialog):
                QTimer.singleShot(20, typing)
                return
            dialog.summary.setPlainText("Mine, typed before the lock")
            # Meanwhile another officer moves the time of the same entry.
            services.cases.edit_timeline(
                row.id, occurred_at=AT.replace(hour=9), summary=row.summary, version=row.version
            )

        QTimer.singleShot(0, typing)
        with qtbot.waitSignal(window.vault_locked, timeout=6_000):
            EntryDialog(workspace.timeline, workspace.ctx, row).exec()
        saved: list[bool] = []

        def save_again() -> None:
            dialog = QApplication.activeModalWidget()
            if not isinstance(dialog, EntryDialog):
                QTimer.singleShot(20, save_again)
                return
            saved.append(dialog.summary.toPlainText() == "Mine, typed before the lock")
            answers.append("keep")
            dialog.accept()  # asked: the entry changed while the vault was locked

        QTimer.singleShot(0, save_again)
        unlock(qtbot, window)
        qtbot.waitUntil(lambda: bool(saved) and not answers, timeout=6_000)
        assert saved == [True]
        reopened = window.desk.current_workspace()
        assert reopened is not None
        now = next(t for t in _now(window, reopened).timeline if t.id == row.id)
        assert now.summary == "Mine, typed before the lock"  # mine
        assert now.occurred_at == AT.replace(hour=9)  # theirs, kept
    finally:
        background.wait_for_all()
        asked.save_answer = "discard"
        window.close()
