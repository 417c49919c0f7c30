"""Locking: after the idle time or on Ctrl+L the vault closes, every widget holding case
data is cleared, and unlocking puts the officer back where they were."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from cme_desktop.services.errors import VaultLocked
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background
from cme_desktop.ui.vault.unlock import UnlockPage
from cme_desktop.ui.workspace.timeline import EntryDialog
from tests.support.main_window import KNOWN_NAME, Prompts, make_window, unlock


def _holds_no_case_data(window: Any) -> None:
    desk = window.desk
    assert desk.workspaces() == []
    assert desk.case_list.model.rowCount() == 0
    assert desk.case_list.model.cached_pages() == 0
    assert desk.case_list.search.text() == ""
    assert desk.dashboard.tasks.rowCount() == 0
    assert desk.dashboard.data is None
    assert isinstance(window.gate, UnlockPage)
    assert window.stack.currentWidget() is window.gate


@pytest.fixture
def idle_window(qtbot: Any, demo_vault: Vault, asked: Prompts) -> Any:
    window = make_window(demo_vault, idle_lock_ms=300)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    yield window
    background.wait_for_all()
    asked.save_answer = "discard"
    window.close()


def test_idle_lock_clears_everything_and_unlock_restores(
    qtbot: Any, idle_window: Any, asked: Prompts
) -> None:
    window = idle_window
    panel = window.desk.case_list
    panel.search.setText("Zebedee")
    panel.apply_filters()
    case_id = panel.model.case_id(0)
    window.desk.open_case(case_id)
    workspace = window.desk.current_workspace()
    workspace.details.widgets["aka"].setText("typed, never saved")
    services = window.services
    dialog = EntryDialog(workspace, workspace.ctx)
    dialog.show()

    with qtbot.waitSignal(window.vault_locked, timeout=5_000):
        pass
    _holds_no_case_data(window)
    assert not dialog.isVisible()  # an open dialog is closed with the lock
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert asked.titles("save_discard_cancel") == []  # nothing is asked or saved on idle
    with pytest.raises(VaultLocked):
        services.cases.get(case_id)

    unlock(qtbot, window)
    qtbot.waitUntil(lambda: asked.titles("restore_or_discard") != [], timeout=5_000)
    restored = window.desk.current_workspace()
    assert restored is not None and restored.case_id == case_id
    assert window.desk.case_list.search.text() == "Zebedee"
    assert window.desk.case_list.model.case_id(0) == case_id
    # The unsaved edit was kept as a draft and, once restored, is typed in again, unsaved.
    assert asked.titles("restore_or_discard") == ["Unsaved changes kept"]
    assert restored.details.widgets["aka"].text() == "typed, never saved"
    assert restored.is_dirty()
    assert restored.detail is not None and restored.detail.full_name == KNOWN_NAME
    assert restored.detail.draft.aka == ""


def test_input_postpones_the_idle_lock(qtbot: Any, demo_vault: Vault, asked: Prompts) -> None:
    window = make_window(demo_vault, idle_lock_ms=800)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    window.desk.case_list.table.setFocus()
    for _ in range(12):  # 1.2 s of an officer scrolling: longer than the idle time
        qtbot.wait(100)
        # Through the window, as the keyboard's keys arrive.
        qtbot.keyClick(window.windowHandle(), Qt.Key.Key_Down)
    assert not window.is_locked()
    qtbot.waitUntil(window.is_locked, timeout=5_000)


def test_ctrl_l_asks_about_unsaved_edits(qtbot: Any, window: Any, asked: Prompts) -> None:
    panel = window.desk.case_list
    panel.search.setText("Zebedee")
    panel.apply_filters()
    workspace = window.desk.open_case(panel.model.case_id(0))
    workspace.details.widgets["aka"].setText("Zeb")
    asked.save_answer = "cancel"
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert not window.is_locked()
    assert asked.titles("save_discard_cancel") == ["Unsaved changes"]
    asked.save_answer = "save"
    assert window.lock() is True
    assert window.is_locked()
    _holds_no_case_data(window)
    unlock(qtbot, window)
    assert window.desk.current_workspace().detail.draft.aka == "Zeb"
    assert window.gate is None


def test_quitting_asks_about_unsaved_edits(qtbot: Any, window: Any, asked: Prompts) -> None:
    panel = window.desk.case_list
    panel.search.setText("Zebedee")
    panel.apply_filters()
    workspace = window.desk.open_case(panel.model.case_id(0))
    workspace.details.widgets["aka"].setText("Zeb")
    services = window.services
    asked.save_answer = "cancel"
    window.quit_action.trigger()
    assert window.isVisible() and not window.is_locked()
    asked.save_answer = "discard"
    window.quit_action.trigger()
    assert not window.isVisible() and window.is_locked()
    with pytest.raises(VaultLocked):
        services.cases.get(workspace.case_id)
