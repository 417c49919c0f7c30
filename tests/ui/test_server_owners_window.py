"""Owners in the window on a real PostgreSQL server: the list's Owner column and "Mine
only", the workspace's owner and "Give to…" (by keyboard, audited by the server), the
action disabled with the reason for other roles, and none of it in a vault."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog
from sqlalchemy import text

from cme_desktop.ui.case_list.table import COL_OWNER
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.workspace.owner import GiveToDialog
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.main_window import KNOWN_NAME
from tests.support.server_logins import Team, team  # noqa: F401 - the fixture
from tests.support.server_window import create_cases, window_fixture  # noqa: F401
from tests.ui.test_mnemonics import clashes


@pytest.fixture
def cases(team: Team) -> dict[str, int]:  # noqa: F811
    """Two cases of the officer, one of a colleague, one not allocated (an import)."""
    mine = ("Amy Adams", "Carl Cole")
    made = dict(zip(mine, create_cases(team, "officer", *mine), strict=True))
    made["Bea Brown"] = create_cases(team, "colleague", "Bea Brown")[0]
    made["Dan Drew"] = create_cases(team, "administrator", "Dan Drew")[0]
    return made


def _names(window: MainWindow) -> list[str]:
    model = window.desk.case_list.model
    return [r.full_name for i in range(model.rowCount()) if (r := model.row_data(i))]


def _open(window: MainWindow, case_id: int) -> CaseWorkspace:
    workspace = window.desk.open_case(case_id)
    assert workspace is not None and workspace.detail is not None
    return workspace


def test_the_list_shows_owners_and_mine_only_keeps_the_officers_own(
    qtbot: Any,
    server_window: Callable[[str], MainWindow],
    team: Team,  # noqa: F811
    cases: dict[str, int],
) -> None:
    window = server_window("officer")
    panel = window.desk.case_list
    qtbot.waitUntil(lambda: panel.model.rowCount() == 4, timeout=10_000)
    assert not panel.table.isColumnHidden(COL_OWNER)
    owners = {
        panel.model.index(i, 0).data(): panel.model.index(i, COL_OWNER).data()
        for i in range(panel.model.rowCount())
    }
    assert owners == {
        "Amy Adams": team.logins["officer"],
        "Carl Cole": team.logins["officer"],
        "Bea Brown": team.logins["colleague"],
        "Dan Drew": "Not allocated",
    }
    assert panel.mine.isVisible() and panel.mine.accessibleName()
    assert "Alt+M" not in clashes(window)
    # Tab stops at the button (Alt+M too); Space turns it on.
    assert panel.mine.focusPolicy() & Qt.FocusPolicy.TabFocus
    panel.mine.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(panel.mine, Qt.Key.Key_Space)
    assert panel.mine.isChecked()
    assert _names(window) == ["Amy Adams", "Carl Cole"]
    assert panel.count.text() == "Showing 2 cases"
    # A search for someone else's case says that "Mine only" hides it, and shows it.
    qtbot.keyClicks(panel.search, "brown")
    panel.apply_filters()
    assert panel.count.text() == "0 of 1 shown — Open and Mine only are on"
    panel.show_all_matches()
    assert not panel.mine.isChecked() and _names(window) == ["Bea Brown"]


def test_an_officer_gives_a_case_by_keyboard_and_the_server_audits_it(
    qtbot: Any,
    server_window: Callable[[str], MainWindow],
    team: Team,  # noqa: F811
    cases: dict[str, int],
) -> None:
    window = server_window("officer")
    workspace = _open(window, cases["Dan Drew"])
    bar = workspace.owner
    assert bar.isVisible() and bar.label.text() == "Owner: Not allocated"
    assert bar.give_button.isEnabled()
    colleague = team.logins["colleague"]
    seen: list[str] = []
    offered: list[str] = []

    def choose() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, GiveToDialog):
            QTimer.singleShot(10, choose)  # not open yet
            return
        try:
            seen.append(dialog.windowTitle())
            seen.append("typing" if dialog.focusWidget() is dialog.to else "not typing")
            seen.append(str(sorted(clashes(dialog))))
            seen.append(str(QRect(0, 0, 1366, 728).contains(dialog.frameGeometry())))
            offered.extend(str(dialog.to.itemData(i)) for i in range(dialog.to.count()))
            qtbot.keyClicks(dialog.to, colleague)
            seen.append(str(dialog.to.currentData()))
            qtbot.keyClick(dialog.to, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        finally:
            if dialog.isVisible():  # a failure above must not leave the test waiting
                dialog.reject()

    # Tab reaches the button; Space presses it.
    bar.give_button.setFocus(Qt.FocusReason.TabFocusReason)
    QTimer.singleShot(0, choose)
    qtbot.keyClick(bar.give_button, Qt.Key.Key_Space)
    # The choice takes the keys at once; no shared Alt+letter; it fits 1366x768.
    assert seen == ["Give the case to another officer", "typing", "[]", "True", colleague]
    # The server's officers, and nobody; not the administrator nor the manager.
    assert set(offered) >= {"", team.logins["officer"], colleague}
    assert team.logins["administrator"] not in offered
    assert team.logins["manager"] not in offered
    qtbot.waitUntil(lambda: bar.label.text() == f"Owner: {colleague}", timeout=5_000)
    with team.superuser.begin() as conn:
        owner = conn.execute(
            text("SELECT owner FROM cases WHERE id = :i"), {"i": cases["Dan Drew"]}
        ).scalar_one()
        audited = conn.execute(
            text(
                "SELECT actor, detail FROM audit_log WHERE action = 'case_reassigned' "
                "AND entity_id = :i"
            ),
            {"i": cases["Dan Drew"]},
        ).all()
    assert owner == colleague
    assert [tuple(r) for r in audited] == [(team.logins["officer"], f"from=- to={colleague}")]
    # The list follows: the case's row now names its owner.
    panel = window.desk.case_list
    panel.show_all_matches()
    row = next(
        i for i in range(panel.model.rowCount()) if panel.model.case_id(i) == cases["Dan Drew"]
    )
    assert panel.model.index(row, COL_OWNER).data() == colleague


@pytest.mark.parametrize("person", ["administrator", "manager"])
def test_other_roles_see_give_to_disabled_with_the_reason(
    server_window: Callable[[str], MainWindow], cases: dict[str, int], person: str
) -> None:
    window = server_window(person)
    bar = _open(window, cases["Amy Adams"]).owner
    assert bar.isVisible()
    assert not bar.give_button.isEnabled()
    assert bar.give_button.toolTip() == "Only a CME officer can give a case to someone else."
    assert bar.give_button.accessibleDescription() == bar.give_button.toolTip()


def test_in_a_vault_no_owner_shows(qtbot: Any, window: MainWindow) -> None:
    panel = window.desk.case_list
    assert panel.table.isColumnHidden(COL_OWNER)
    assert not panel.mine.isVisible()
    case_id = panel.model.case_id(0)
    assert case_id is not None
    workspace = _open(window, case_id)
    assert not workspace.owner.isVisible()
    assert KNOWN_NAME  # the demo vault of the other window tests
    dialog_count = len([w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog)])
    workspace.owner.give()  # nothing to give in a vault: no dialog opens
    assert (
        len([w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog)]) == dialog_count
    )
