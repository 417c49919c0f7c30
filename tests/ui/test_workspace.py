"""The case workspace: edit and save, a failed save keeps what was typed, the UPN check,
the school-age flag, the timeline, tasks, close with an outcome and reopen, the guard."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt

from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.errors import InvalidInput
from cme_desktop.ui.close_case import CloseCaseDialog
from cme_desktop.ui.dialogs import NewCaseDialog
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.workspace.tasks import TaskDialog
from cme_desktop.ui.workspace.timeline import EntryDialog, VisitDialog
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.main_window import KNOWN_NAME, Prompts


def _open_known(window: MainWindow) -> CaseWorkspace:
    panel = window.desk.case_list
    panel.search.setText(KNOWN_NAME)
    panel.apply_filters()
    case_id = panel.model.case_id(0)
    assert case_id is not None
    workspace = window.desk.open_case(case_id)
    assert workspace is not None and workspace.detail is not None
    return workspace


def _field(workspace: CaseWorkspace, name: str) -> Any:
    return workspace.details.widgets[name]


def test_edit_save_and_reopen(qtbot: Any, window: MainWindow, asked: Prompts) -> None:
    workspace = _open_known(window)
    aka = _field(workspace, "aka")
    assert not window.save_action.isEnabled() or not workspace.is_dirty()
    qtbot.keyClicks(aka, "Zeb Q")
    workspace.details.group_boxes["young_carers"].setChecked(True)
    assert workspace.is_dirty()
    assert window.desk.tabText(window.desk.currentIndex()).endswith("*")
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not workspace.is_dirty(), asked.shown
    case_id = workspace.case_id
    window.close_tab_action.trigger()
    again = window.desk.open_case(case_id)
    assert again is not None and again.detail is not None
    assert again.detail.draft.aka == "Zeb Q"
    assert _field(again, "aka").text() == "Zeb Q"
    assert again.details.group_boxes["young_carers"].isChecked()
    # The list shows the saved case; searching by the new AKA finds it.
    panel = window.desk.case_list
    panel.search.setText("Zeb Q")
    panel.apply_filters()
    assert case_id in panel.model.ids()


def test_failed_save_keeps_what_was_typed(
    qtbot: Any, window: MainWindow, asked: Prompts, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _open_known(window)
    services = window.services
    assert services is not None

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise InvalidInput("The school name is too long.", field="school")

    monkeypatch.setattr(services.cases, "update", refuse)
    school = _field(workspace, "school")
    school.setText("A school typed by the officer")
    assert workspace.save() is False
    assert asked.texts("error") == ["The school name is too long."]
    assert school.text() == "A school typed by the officer"
    assert school.hasFocus() or workspace.details.widgets["school"] is school
    assert workspace.is_dirty()


def test_bad_date_and_upn_are_flagged_as_typed(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace = _open_known(window)
    upn = _field(workspace, "upn")
    qtbot.keyClicks(upn, "A12345678901")
    assert workspace.details.upn_problem.text()
    assert upn.property("invalid") is True
    upn.clear()
    assert workspace.details.upn_problem.text() == ""
    attended = _field(workspace, "date_last_attended")
    attended.setText("31/02/2024")
    assert workspace.save() is False
    assert "is not a date" in asked.texts("error")[-1]
    assert attended.text() == "31/02/2024"


def test_duty_flag_when_over_compulsory_school_age(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace = _open_known(window)
    assert workspace.duty.isHidden()
    assert "Of compulsory school age" in workspace.details.duty.text()
    _field(workspace, "date_of_birth").setText("01/01/2000")
    assert workspace.duty.isVisibleTo(workspace)
    assert "does not apply" in workspace.duty.text()
    assert "Over compulsory school age" in workspace.duty.text()


def test_visit_entry_and_task(qtbot: Any, window: MainWindow, asked: Prompts) -> None:
    workspace = _open_known(window)
    visit = VisitDialog(workspace, workspace.ctx)
    visit.outcome.setCurrentIndex(visit.outcome.findData("family_seen"))
    visit.who_seen.setText("Mother")
    visit.summary.setPlainText("Curtains open, car on drive.")
    visit.next_step.setText("Letter to parents")
    visit.accept()
    assert workspace.detail is not None
    steps = {s.step: s for s in workspace.detail.steps}
    assert steps["home_visit"].done_on == date.today()
    assert workspace.steps.checks[4].isChecked()
    first = workspace.timeline.table.item(0, 2).text()
    assert "Family seen" in first and "Mother" in first and "Letter to parents" in first

    entry = EntryDialog(workspace, workspace.ctx)
    entry.summary.setPlainText("Phoned the school office.")
    entry.kind.setCurrentIndex(entry.kind.findData("phone"))
    entry.accept()
    workspace.timeline.filter.setCurrentIndex(workspace.timeline.filter.findData("visit"))
    assert workspace.timeline.table.rowCount() == 1

    task = TaskDialog(workspace, workspace.ctx)
    task.title.setText("Check the roll")
    task.due_on.set_value(date.today() - timedelta(days=1))
    task.accept()
    assert workspace.detail.next_task_due == date.today() - timedelta(days=1)
    panel = window.desk.case_list
    row = panel.model.row_of(workspace.case_id)
    assert row is not None
    assert "overdue" in panel.model.index(row, 6).data()
    workspace.tasks.table.setCurrentCell(0, 0)
    workspace.tasks.complete()
    assert workspace.detail.next_task_due is None


def test_empty_entry_is_refused_and_the_dialog_stays(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace = _open_known(window)
    entry = EntryDialog(workspace, workspace.ctx)
    entry.show()
    entry.accept()
    assert asked.texts("error") == ["Write what happened."]
    assert entry.isVisible()
    entry.reject()


def test_close_with_outcome_and_reopen(qtbot: Any, window: MainWindow, asked: Prompts) -> None:
    workspace = _open_known(window)
    dialog = CloseCaseDialog(workspace, workspace.ctx)
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("on_roll"))
    dialog.note.setPlainText("Started at Larkrise.")
    dialog.school.setText("")
    dialog.accept()
    assert "without the school the child is on roll at" in asked.texts("error")[-1]
    assert workspace.detail.status == "open"
    dialog.school.setText("Larkrise Primary")
    dialog.accept()
    assert workspace.detail is not None and workspace.detail.status == "closed"
    assert "On roll at a school" in workspace.status.text()
    assert workspace.reopen_button.isVisibleTo(workspace)
    assert not window.close_case_action.isEnabled()
    assert workspace.case_id not in window.desk.case_list.model.ids()  # the list shows open
    window.reopen_action.trigger()
    assert asked.titles("ask_text") == ["Reopen the case"]
    assert workspace.detail.status == "open"
    assert "Reopened for the test" in workspace.timeline.table.item(0, 2).text()


def test_unsaved_changes_guard_on_closing_a_tab(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace = _open_known(window)
    _field(workspace, "identified_by").setText("Attendance officer")
    asked.save_answer = "cancel"
    assert window.desk.close_current_tab() is False
    assert window.desk.workspaces() == [workspace]
    asked.save_answer = "discard"
    assert window.desk.close_current_tab() is True
    assert window.desk.workspaces() == []
    again = _open_known(window)
    assert _field(again, "identified_by").text() != "Attendance officer"


def test_edits_survive_a_change_made_elsewhere(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace = _open_known(window)
    _field(workspace, "school").setText("Typed but not saved")
    services = window.services
    assert services is not None and workspace.detail is not None
    draft = workspace.detail.draft
    services.cases.update(
        workspace.case_id,
        draft=CaseDraft(**{**draft.__dict__, "ethnicity": "Not known"}),
        version=workspace.detail.version,
    )
    window.changes.case_changed.emit(workspace.case_id)
    assert _field(workspace, "school").text() == "Typed but not saved"
    assert _field(workspace, "ethnicity").text() == "Not known"
    assert workspace.save(), asked.shown
    assert workspace.detail.draft.school == "Typed but not saved"
    assert workspace.detail.draft.ethnicity == "Not known"


def test_new_case(qtbot: Any, window: MainWindow, asked: Prompts) -> None:
    services = window.services
    assert services is not None
    dialog = NewCaseDialog(window, services, window.changes)
    dialog.full_name.setText("Zebedee Quartermain")
    dialog.dob.setText("04/03/2015")
    asked.confirm_answer = False
    dialog.accept()
    assert dialog.case_id is None  # the officer chose not to duplicate the known child
    assert "may be the same child" in asked.texts("confirm")[0]
    dialog.full_name.setText("Ottilie Brannagh")
    dialog.accept()
    assert dialog.case_id is not None
    assert services.cases.get(dialog.case_id).draft.date_of_birth == date(2015, 3, 4)


def test_whereabouts_unknown_offers_the_escalation_questions(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    """Offered, not forced: the officer is asked, and saying no leaves the case as saved."""
    workspace = _open_known(window)
    _field(workspace, "whereabouts_unknown").setChecked(True)
    asked.confirm_answer = False
    assert workspace.save()
    qtbot.waitUntil(lambda: any(kind == "confirm" for kind, *_ in asked.shown), timeout=5000)
    title, text = next((t, x) for kind, t, x in asked.shown if kind == "confirm")
    assert title == "Consider escalation"
    assert "whereabouts are unknown" in text
    assert workspace.detail is not None and workspace.detail.draft.whereabouts_unknown
    assert not workspace.detail.escalations
