"""A child only on the register opens with no CME action offered: no Close or Reopen case
(button or menu), the tracking steps shown but not tickable, each saying why, and a note
with the way to the Register tab; there, "Education stopped…" brings the child into CME
by keyboard and the CME actions come back. The case list says what Open means for the
children not in school."""

from __future__ import annotations

from datetime import date
from typing import Any

from faker import Faker
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog

from cme_desktop.services.cases.case_list import REGISTER_ONLY_STEP
from cme_desktop.services.register.entry import NewChild, RegisterService
from cme_desktop.ui.case_list.table import COL_STEP, CaseTableModel
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.workspace.register_tab import LeaveDialog
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.main_window import Prompts
from tests.ui.test_typing_at_once import save_by_keyboard, when_dialog_opens

fake = Faker("en_GB")
Faker.seed(4370)


def _open(window: MainWindow, *, off: bool = False) -> CaseWorkspace:
    services = window.services
    assert services is not None
    register = RegisterService(services.db)
    case_id = register.register_new(NewChild(fake.name(), date_of_birth=date(2014, 2, 3)))
    if off:
        register.take_off(case_id, reason="moved_away")
    workspace = window.desk.open_case(case_id)
    assert workspace is not None
    return workspace


def test_no_cme_action_is_offered_and_each_says_why(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace = _open(window)
    assert not workspace.close_button.isVisibleTo(workspace)
    assert not workspace.reopen_button.isVisibleTo(workspace)
    assert not window.close_case_action.isEnabled()
    assert not window.reopen_action.isEnabled()
    note = workspace.register_only
    assert note.isVisibleTo(workspace)
    assert note.text.accessibleName() == "No CME case"
    assert "only on the register of children not in school" in note.text.text()
    assert "Education stopped" in note.text.text()
    assert note.button.accessibleName() and note.button.focusPolicy() & Qt.FocusPolicy.TabFocus
    steps = workspace.show_section("steps")
    assert steps is workspace.steps
    assert workspace.steps.not_cme.isVisibleTo(workspace.steps)
    for control in (*workspace.steps.checks, *workspace.steps.edits):
        assert not control.isEnabled()
        assert "only on the register" in control.accessibleDescription()
    # Pressed from the keyboard anyway (a shortcut): told why, and nothing changes.
    workspace.close_case()
    assert "Closing a case is for CME cases" in asked.texts("info")[-1]
    # The note's button leads to the Register tab.
    note.button.setFocus()
    QTest.keyClick(note.button, Qt.Key.Key_Space)
    assert workspace.sections.tabText(workspace.sections.currentIndex()) == "Register"


def test_education_stopped_brings_the_child_into_cme_by_keyboard(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace = _open(window, off=True)
    assert not workspace.reopen_button.isVisibleTo(workspace)  # closed with the register
    register = workspace.show_section("register")
    assert register is workspace.register
    qtbot.waitUntil(register.stopped_button.isVisible)
    assert register.stopped_button.isEnabled()  # off the register, never a CME case
    assert register.stopped_button.accessibleName().startswith("Education stopped")

    intros: list[str] = []

    def open_cme(dialog: QDialog) -> None:
        assert isinstance(dialog, LeaveDialog)
        intros.append(dialog.intro.text())
        save_by_keyboard(dialog)

    seen = when_dialog_opens(open_cme)
    register.stopped_button.click()
    assert seen and seen[0].result() == QDialog.DialogCode.Accepted, asked.shown
    assert "not on the register now" in intros[0]
    detail = workspace.detail
    assert detail is not None and detail.cohort == "both" and detail.status == "open"
    assert workspace.close_button.isVisibleTo(workspace)
    assert window.close_case_action.isEnabled()
    assert not workspace.register_only.isVisibleTo(workspace)
    steps = workspace.show_section("steps")
    assert steps is workspace.steps
    assert not workspace.steps.not_cme.isVisibleTo(workspace.steps)
    assert all(c.isEnabled() for c in (*workspace.steps.checks, *workspace.steps.edits))


def test_the_list_says_what_open_means_for_children_not_in_school(
    qtbot: Any, window: MainWindow
) -> None:
    panel = window.desk.case_list
    opened = panel.quick_buttons["open"]
    assert opened.toolTip() == "Cases open now"
    panel.cohort.setCurrentIndex(panel.cohort.findData("cnis"))
    assert "on the register of children not in school now" in opened.accessibleDescription()
    assert "taken off the register" in panel.quick_buttons["closed"].toolTip()


def test_the_list_shows_no_tracking_step_for_a_child_only_on_the_register(
    qtbot: Any, window: MainWindow
) -> None:
    workspace = _open(window)
    case_id = workspace.case_id
    panel = window.desk.case_list
    window.desk.show_cases()
    panel.cohort.setCurrentIndex(panel.cohort.findData("cnis"))
    model = panel.table.model()
    assert isinstance(model, CaseTableModel)
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=5_000)
    rows = [r for r in range(model.rowCount()) if model.case_id(r) == case_id]
    assert rows, "the register child is listed"
    step = model.index(rows[0], COL_STEP)
    assert model.data(step) == REGISTER_ONLY_STEP
    assert "no CME case" in model.data(step, Qt.ItemDataRole.ToolTipRole)
