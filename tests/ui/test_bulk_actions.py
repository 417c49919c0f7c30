"""Actions on the cases selected in the list, by keyboard: context menu and Case menu,
the count confirmed, one change for all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QWidget
from sqlalchemy import select

from cme_desktop.models import Case, Task
from cme_desktop.ui import prompts
from cme_desktop.ui.case_list import bulk
from cme_desktop.ui.case_list.bulk import BulkCloseDialog, BulkTaskDialog
from cme_desktop.ui.main_window import MainWindow
from tests.support.main_window import Prompts


def _select_three(qtbot: Any, window: MainWindow) -> list[int]:
    """The first three open cases, selected with the keyboard (Shift+Down)."""
    window.desk.show_cases()
    table = window.desk.case_list.table
    table.setFocus()
    table.setCurrentIndex(table.model().index(0, 0))
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    ids = bulk.selected_case_ids(window)
    assert len(ids) == 3
    return ids


def _when_open(kind: type[QWidget], fill: Callable[[Any], None]) -> list[str]:
    """Fill the modal dialog of ``kind`` once it is open (exec blocks the test); a dialog
    left open is cancelled, so a failure shows in the result, never as a hang. Returns
    the problems seen inside the dialog."""
    problems: list[str] = []

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if not (isinstance(dialog, kind) and dialog.isVisible()):
            QTimer.singleShot(10, look)
            return
        try:
            fill(dialog)
        except AssertionError as exc:
            problems.append(str(exc) or "assertion failed")
        if dialog.isVisible():
            assert isinstance(dialog, QDialog)
            dialog.reject()

    QTimer.singleShot(0, look)
    return problems


def _type(dialog: QWidget, text: str) -> None:
    """Key by key, into whatever has the focus in the dialog."""
    for ch in text:
        QTest.keyClick(dialog.focusWidget() or dialog, ch)


@pytest.fixture
def actions(window: MainWindow) -> bulk.BulkActions:
    return bulk.install(window)


def test_the_actions_are_in_the_case_menu(window: MainWindow, actions: bulk.BulkActions) -> None:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Case" and a.menu())
    assert isinstance(menu, QMenu)
    for action in actions.actions():
        assert action in menu.actions()
        assert action.text() and action.statusTip()


def test_the_menu_key_opens_the_context_menu(
    qtbot: Any, window: MainWindow, actions: bulk.BulkActions
) -> None:
    _select_three(qtbot, window)
    table = window.desk.case_list.table
    qtbot.keyClick(table, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    menus = [m for m in table.findChildren(QMenu) if m.isVisible()]
    assert menus, "Shift+F10 opens the menu of the selected cases"
    assert menus[-1].actions() == actions.actions()
    menus[-1].close()


def test_add_a_task_to_three_cases(
    qtbot: Any, window: MainWindow, actions: bulk.BulkActions, asked: Prompts
) -> None:
    ids = _select_three(qtbot, window)

    def fill(dialog: BulkTaskDialog) -> None:
        _type(dialog, "Revisit after 4pm")  # the cursor starts in the first field
        QTest.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Return)

    problems = _when_open(BulkTaskDialog, fill)
    actions.add_task.trigger()
    assert problems == []
    assert asked.texts("confirm") == ["Add “Revisit after 4pm” to 3 cases?"]
    services = window.services
    assert services is not None
    with services.db.read() as session:
        titled = session.scalars(
            select(Task.case_id).where(Task.title == "Revisit after 4pm")
        ).all()
    assert sorted(titled) == sorted(ids)


def test_close_confirms_the_count_and_closes_all(
    qtbot: Any, window: MainWindow, actions: bulk.BulkActions, asked: Prompts
) -> None:
    ids = _select_three(qtbot, window)

    def fill(dialog: BulkCloseDialog) -> None:
        assert dialog.focusWidget() is dialog.outcome, "the cursor starts on the outcome"
        QTest.keyClick(dialog.outcome, Qt.Key.Key_Down)
        QTest.keyClick(dialog.outcome, Qt.Key.Key_Return)

    problems = _when_open(BulkCloseDialog, fill)
    actions.close_cases.trigger()
    assert problems == []
    question = asked.texts("confirm")
    assert len(question) == 1 and question[0].startswith("Close 3 cases as “")
    services = window.services
    assert services is not None
    with services.db.read() as session:
        statuses = session.scalars(select(Case.status).where(Case.id.in_(ids))).all()
    assert statuses == ["closed"] * 3


def test_declining_changes_nothing(
    qtbot: Any, window: MainWindow, actions: bulk.BulkActions, asked: Prompts
) -> None:
    ids = _select_three(qtbot, window)
    asked.confirm_answer = False

    def fill(dialog: BulkCloseDialog) -> None:
        dialog.outcome.setCurrentIndex(1)
        dialog.accept()

    _when_open(BulkCloseDialog, fill)
    actions.close_cases.trigger()
    services = window.services
    assert services is not None
    with services.db.read() as session:
        statuses = session.scalars(select(Case.status).where(Case.id.in_(ids))).all()
    assert statuses == ["open"] * 3


def test_nothing_selected_says_so(
    window: MainWindow, actions: bulk.BulkActions, asked: Prompts
) -> None:
    window.desk.show_dashboard()
    actions.add_task.trigger()
    assert asked.titles("info") == ["Add a task to the selected cases"]


def test_export_the_selected_cases_protected(
    qtbot: Any,
    window: MainWindow,
    actions: bulk.BulkActions,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _select_three(qtbot, window)
    target = tmp_path / "selected.xlsx"
    monkeypatch.setattr(prompts, "save_file", lambda *_a, **_k: target)
    actions.export_list.trigger()
    assert asked.titles("protection") == ["Export the selected cases"]
    assert target.exists() and target.read_bytes()[:2] != b"PK", "encrypted, not a plain zip"
    shown = [w for w in window.findChildren(QWidget, bulk.PASSWORD_DIALOG) if w.isVisible()]
    assert shown, "the password is shown once"
    shown[0].close()
