"""The case's Register tab, by keyboard alone: put on the register, a parent, a provider,
a parent's notification, then education stopping opens a CME case on the same record.

Each dialog is opened by its button's Alt+letter and typed into the moment it opens, one
key at a time into whatever has the focus (``test_typing_at_once``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QTableWidget, QWidget

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.register.entry import NewChild, RegisterService
from cme_desktop.ui.close_case import CloseCaseDialog
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.workspace.register_tab import RegisterSection
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.main_window import KNOWN_NAME, Prompts
from tests.ui.test_typing_at_once import save_by_keyboard, type_keys, when_dialog_opens


def _known_case(window: MainWindow) -> CaseWorkspace:
    services = window.services
    assert services is not None
    ids = services.case_list.matching_ids(CaseQuery(search=KNOWN_NAME, quick="all"))
    workspace = window.desk.open_case(ids[0])
    assert workspace is not None
    return workspace


def _alt(window: QWidget, key: Qt.Key) -> None:
    """Alt+letter, as typed into the window (a button's or a tab's mnemonic)."""
    QTest.keyClick(window, key, Qt.KeyboardModifier.AltModifier)


def _in_dialog(qtbot: Any, window: MainWindow, key: Qt.Key, act: Callable[[QDialog], None]) -> None:
    """Alt+``key`` in the window opens a dialog; ``act`` types into it as it opens."""
    # The offscreen platform leaves a closed dialog the active window: the window is made
    # active again, as the desktop does, so that its Alt+letters reach it.
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    seen = when_dialog_opens(act)
    _alt(window, key)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen[0].result() == QDialog.DialogCode.Accepted, seen[0].windowTitle()


def _cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None
    return item.text()


def test_the_register_by_keyboard(qtbot: Any, window: MainWindow, asked: Prompts) -> None:
    workspace = _known_case(window)
    # The "Register" tab, from the tab bar by the arrow keys.
    bar = workspace.sections.tabBar()
    bar.setFocus()
    for _ in range(bar.count()):
        if workspace.sections.tabText(workspace.sections.currentIndex()) == "Register":
            break
        QTest.keyClick(bar, Qt.Key.Key_Right)
    assert workspace.sections.tabText(workspace.sections.currentIndex()) == "Register"
    register = workspace.register
    assert isinstance(register, RegisterSection)
    qtbot.waitUntil(register.put_on_button.isVisible)  # a section is shown once built
    assert register.status.text().startswith("Not on the register")
    assert register.put_on_button.isEnabled() and not register.take_off_button.isEnabled()

    def put_on(dialog: QDialog) -> None:
        # The cursor starts in "Lives in the area": Yes is the first answer.
        tab = dialog.focusWidget()
        assert tab is not None and tab.accessibleName() == "Lives in the area"
        QTest.keyClick(tab, Qt.Key.Key_Down)  # "No": not in the area, so not eligible
        QTest.keyClick(tab, Qt.Key.Key_Up)  # back to "Yes"
        save_by_keyboard(dialog)

    _in_dialog(qtbot, window, Qt.Key.Key_P, put_on)
    assert register.record is not None and register.record.on_register, asked.shown
    assert register.status.text().startswith("On the register since")
    assert "Eligibility" in register.eligibility.text()

    def parent(dialog: QDialog) -> None:
        type_keys(dialog, "Morgan Vale")
        focus = dialog.focusWidget()
        assert focus is not None
        QTest.keyClick(focus, Qt.Key.Key_Tab)  # home address, filled from the case
        QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Space)  # provides education
        QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        type_keys(dialog, "15")
        save_by_keyboard(dialog)

    _in_dialog(qtbot, window, Qt.Key.Key_A, parent)
    assert register.parent_table.rowCount() == 1
    cells = [_cell(register.parent_table, 0, c) for c in range(4)]
    assert cells[0] == "Morgan Vale" and cells[2:] == ["Yes", "15"], asked.shown

    def provider(dialog: QDialog) -> None:
        type_keys(dialog, "Northfield Maths Tuition")
        save_by_keyboard(dialog)

    _in_dialog(qtbot, window, Qt.Key.Key_E, provider)
    assert _cell(register.provider_table, 0, 0) == "Northfield Maths Tuition"

    def notification(dialog: QDialog) -> None:
        # The first kind the officer records is the parents' notification (s.436D).
        focus = dialog.focusWidget()
        assert focus is not None
        QTest.keyClick(focus, Qt.Key.Key_Tab)
        QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        type_keys(dialog, "Letter of 1 Dec")
        save_by_keyboard(dialog)

    _in_dialog(qtbot, window, Qt.Key.Key_W, notification)
    kinds = [_cell(register.events, r, 1) for r in range(register.events.rowCount())]
    assert "Parent's notification received (s.436D)" in kinds
    assert any(_cell(register.events, r, 3) == "Letter of 1 Dec" for r in range(len(kinds)))

    # The child's CME case is open: nothing to open, so only taking them off is offered.
    assert not register.stopped_button.isEnabled()

    def take_off(dialog: QDialog) -> None:
        focus = dialog.focusWidget()
        assert focus is not None
        QTest.keyClick(focus, Qt.Key.Key_Tab)  # the reason: "Registered pupil at a school"
        save_by_keyboard(dialog)

    _in_dialog(qtbot, window, Qt.Key.Key_O, take_off)
    assert register.record is not None and not register.record.on_register
    assert register.record.left_reason == "school_place"
    assert register.record.cohort == "both"
    assert register.put_on_button.isEnabled()
    assert asked.texts("error") == []


def test_the_tab_fits_a_small_screen(qtbot: Any, window: MainWindow) -> None:
    workspace = _known_case(window)
    register = workspace.register
    workspace.resize(1366 - 40, 768 - 120)
    body = register.widget()
    assert body is not None
    hint = body.minimumSizeHint()
    assert hint.width() <= 1366 - 60, hint


def test_closing_as_home_educated_offers_the_register(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace = _known_case(window)

    def close_as_ehe(dialog: QDialog) -> None:
        assert isinstance(dialog, CloseCaseDialog)
        dialog.outcome.setCurrentIndex(dialog.outcome.findData("ehe"))
        save_by_keyboard(dialog)

    seen = when_dialog_opens(close_as_ehe)
    workspace.close_case()
    assert seen and seen[0].result() == QDialog.DialogCode.Accepted, asked.shown
    assert any("register of children not in school" in t for t in asked.texts("confirm"))
    record = workspace.register.record
    assert record is not None and record.on_register and record.cohort == "both"
    assert workspace.detail is not None and workspace.detail.status == "closed"


def test_declining_leaves_the_child_off_the_register(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    asked.confirm_answer = False
    workspace = _known_case(window)

    def close_as_ehe(dialog: QDialog) -> None:
        assert isinstance(dialog, CloseCaseDialog)
        dialog.outcome.setCurrentIndex(dialog.outcome.findData("ehe"))
        save_by_keyboard(dialog)

    when_dialog_opens(close_as_ehe)
    workspace.close_case()
    services = window.services
    assert services is not None
    assert RegisterService(services.db).get(workspace.case_id) is None


def test_the_case_list_s_record_filter_by_keyboard(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    RegisterService(services.db).register_new(NewChild("Wren Calloway"))
    panel = window.desk.case_list
    everyone = services.case_list.count(CaseQuery(quick="open"))
    panel.search.setFocus()
    QTest.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)  # Records:
    assert window.focusWidget() is panel.cohort
    QTest.keyClick(panel.cohort, Qt.Key.Key_End)  # "Children not in school"
    assert panel.model.query.cohort == "cnis"
    assert panel.model.rowCount() == 1
    assert panel.count.text() == "Showing 1 case"
    QTest.keyClick(panel.cohort, Qt.Key.Key_Up)  # "CME"
    assert panel.model.rowCount() == everyone - 1
    QTest.keyClick(panel.cohort, Qt.Key.Key_Home)  # "Both (all)"
    assert panel.model.rowCount() == everyone


def test_a_child_only_on_the_register_is_not_shown_as_a_cme_case(
    qtbot: Any, window: MainWindow
) -> None:
    services = window.services
    assert services is not None
    case_id = RegisterService(services.db).register_new(NewChild("Wren Calloway"))
    workspace = window.desk.open_case(case_id)
    assert workspace is not None
    text = workspace.status.text()
    assert "On the register of children not in school (no CME case)" in text
    assert "step 1 of 9" not in text
