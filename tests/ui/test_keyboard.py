"""Everything by keyboard: the escalation answers, the quick filters, Enter in the search
box, Enter on a page of the unlock and first-run screens, and the password shown once."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QWidget

from cme_desktop.services.cases.case_list import QUICK_FILTERS, CaseQuery
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui.escalation_wizard import EscalationWizard, QuestionPage
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.password_shown_once import PasswordShownOnce
from cme_desktop.ui.vault.recovery_key import RecoveryKeyPanel
from cme_desktop.ui.vault.unlock import UnlockPage
from tests.support.credentials import PASSPHRASE
from tests.support.main_window import KNOWN_NAME, Prompts

RIGHT, LEFT, TAB, BACKTAB = Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Tab, Qt.Key.Key_Backtab


def press(window: QWidget, key: Qt.Key, modifier: Any = Qt.KeyboardModifier.NoModifier) -> Any:
    """Press ``key`` where the window's focus is; return what has the focus afterwards."""
    QTest.keyClick(window.focusWidget() or window, key, modifier)
    return window.focusWidget()


def _known_case_id(window: MainWindow) -> int:
    services = window.services
    assert services is not None
    return services.case_list.matching_ids(CaseQuery(search=KNOWN_NAME, quick="all"))[0]


def test_every_escalation_answer_is_reached_by_tab_and_arrows(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    wizard = EscalationWizard(services, _known_case_id(window), window)
    qtbot.addWidget(wizard)
    wizard.show()
    page = wizard.currentPage()
    assert isinstance(page, QuestionPage)
    rows = [page.choices[key] for key in page.choices if page.choices[key].isVisible()]
    assert len(rows) >= 2
    first = rows[0]
    first.buttons[0].setFocus()
    # Along the row with the arrow keys: Yes, No, Not known; Space chooses.
    assert press(wizard, RIGHT) is first.buttons[1]
    assert press(wizard, RIGHT) is first.buttons[2]
    assert press(wizard, RIGHT) is first.buttons[2]  # the end of the row
    assert press(wizard, LEFT) is first.buttons[1]
    press(wizard, Qt.Key.Key_Space)
    assert first.value() is False and first.answered()
    # Tab goes to the next question (one stop per row); Shift+Tab comes back to the answer.
    assert press(wizard, TAB) is rows[1].buttons[0]
    assert press(wizard, BACKTAB) is first.buttons[1]
    # Every row answered by keyboard: Not known on each (Tab, two Rights, Space).
    for row in rows[1:]:
        row.buttons[0].setFocus()
        press(wizard, RIGHT)
        press(wizard, RIGHT)
        press(wizard, Qt.Key.Key_Space)
        assert row.answered() and row.value() is None
    visible = [r for r in page.choices.values() if r.isVisible()]
    for row in visible:  # questions shown by an answer are answered too
        if not row.answered():
            row.buttons[0].setFocus()
            press(wizard, Qt.Key.Key_Space)
    assert page.isComplete()
    # Enter on an answer goes on to the next page: the answers are not Enter's default.
    before = wizard.currentId()
    press(wizard, Qt.Key.Key_Return)
    assert wizard.currentId() != before


def test_every_quick_filter_is_reached_by_keyboard(qtbot: Any, window: MainWindow) -> None:
    panel = window.desk.case_list
    panel.search.setFocus()
    assert press(window, TAB) is panel.step
    assert press(window, TAB) is panel.cohort  # CME, children not in school, or both
    assert press(window, TAB) is panel.quick_buttons["open"]  # the filter in use
    reached = {"open"}
    for _ in QUICK_FILTERS:
        focused = press(window, RIGHT)
        key = str(focused.property("quick"))
        reached.add(key)
        assert panel.model.query.quick == key  # chosen and applied as the arrow moves
    for _ in QUICK_FILTERS:
        reached.add(str(press(window, LEFT).property("quick")))
    assert reached == set(QUICK_FILTERS)
    # Tab leaves the filters for the list, and comes back to the one in use.
    assert press(window, TAB) is panel.table
    assert press(window, BACKTAB) is panel.quick.checkedButton()
    # Alt+W (Show:) jumps to them from anywhere in the list screen.
    panel.search.setFocus()
    QTest.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
    assert window.focusWidget() is panel.quick.checkedButton()


def test_enter_in_the_search_box_opens_the_one_case_found(qtbot: Any, window: MainWindow) -> None:
    panel = window.desk.case_list
    panel.focus_search()
    QTest.keyClicks(panel.search, KNOWN_NAME)
    QTest.keyClick(panel.search, Qt.Key.Key_Return)
    workspace = window.desk.current_workspace()
    assert workspace is not None and workspace.case_id == _known_case_id(window)


def test_enter_with_several_found_goes_to_the_list(qtbot: Any, window: MainWindow) -> None:
    panel = window.desk.case_list
    panel.quick_buttons["all"].click()
    panel.focus_search()
    QTest.keyClicks(panel.search, "an")
    QTest.keyClick(panel.search, Qt.Key.Key_Return)
    assert panel.model.rowCount() > 1
    assert window.desk.current_workspace() is None
    assert window.focusWidget() is panel.table


def test_enter_on_the_ticked_box_continues_after_the_recovery_key(qtbot: Any) -> None:
    panel = RecoveryKeyPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_key("ABCD-EFGH-IJKL-MNOP")
    confirmed: list[bool] = []
    panel.confirmed.connect(lambda: confirmed.append(True))
    panel.stored.setFocus()
    QTest.keyClick(panel.stored, Qt.Key.Key_Return)
    assert confirmed == [] and panel.is_pending()  # not ticked: nothing happens
    QTest.keyClick(panel.stored, Qt.Key.Key_Space)
    assert panel.stored.isChecked()
    QTest.keyClick(panel.stored, Qt.Key.Key_Return)
    assert confirmed == [True] and not panel.is_pending()


def test_enter_anywhere_on_the_unlock_page_unlocks_once(
    qtbot: Any, demo_vault: Vault, asked: Prompts
) -> None:
    page = UnlockPage(demo_vault)
    qtbot.addWidget(page)
    page.show()
    opened: list[Any] = []
    page.unlocked.connect(opened.append)
    QTest.keyClicks(page.passphrase, PASSPHRASE)
    QTest.keyClick(page.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    qtbot.wait(100)
    assert len(opened) == 1
    opened[0].close()


def _cut_off(widget: QWidget) -> list[str]:
    """Wrapped labels shown shorter than their text needs at their width."""
    return [
        label.text()[:40]
        for label in widget.findChildren(QLabel)
        if label.isVisible()
        and label.wordWrap()
        and label.text()
        and label.height() < label.heightForWidth(label.width())
    ]


def test_the_password_dialog_done_on_enter_and_nothing_cut_off(qtbot: Any) -> None:
    dialog = PasswordShownOnce(
        "amber-orbit-velvet-harbour-1987",
        file_name="CME-000123 referral for the Children's Social Care front door team.pdf",
        clear_after_ms=60_000,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert _cut_off(dialog) == []
    dialog.copy_button.setFocus()
    QTest.keyClick(dialog.copy_button, Qt.Key.Key_Space)  # Space on Copy copies
    assert QGuiApplication.clipboard().text() == "amber-orbit-velvet-harbour-1987"
    assert dialog.isVisible()
    qtbot.wait(50)
    assert _cut_off(dialog) == []  # the "Copied…" line did not push the reminder off
    QTest.keyClick(dialog.copy_button, Qt.Key.Key_Return)  # Enter is Done, wherever it is
    assert not dialog.isVisible()
    assert dialog.password_label.text() == ""
    QGuiApplication.clipboard().clear()
