"""The unlock screen: passphrase, wrong passphrase, the growing wait, recovery key, remember."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from cme_desktop.services.errors import WrongPassphrase
from cme_desktop.ui.vault import unlock as unlock_module
from cme_desktop.ui.vault.unlock import UnlockPage
from tests.support.credentials import PASSPHRASE, MemorySecretStore
from tests.support.main_window import Prompts, make_window, unlock
from tests.support.vault_copies import Template, copy_vault


def test_passphrase_opens_the_case_list(qtbot: Any, demo_vault: Any, asked: Prompts) -> None:
    window = make_window(demo_vault)
    qtbot.addWidget(window)
    window.show()
    page = window.gate
    assert isinstance(page, UnlockPage)
    assert not page.remember.isVisibleTo(page)  # no system keyring here
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=10_000)
    assert window.desk.case_list.model.rowCount() > 0
    assert window.desk.case_list.count.text().startswith("Showing ")
    assert window.toolbar.isVisibleTo(window)
    window.close()


def test_wrong_passphrase_says_so_and_the_wait_grows(
    qtbot: Any, demo_vault: Any, asked: Prompts, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(demo_vault)
    qtbot.addWidget(window)
    window.show()
    page = window.gate
    assert isinstance(page, UnlockPage)
    for attempt in range(1, 4):
        page.passphrase.setText(f"not the passphrase {attempt}")
        page.unlock()
        qtbot.waitUntil(lambda n=attempt: demo_vault.failed_attempts() == n, timeout=10_000)
        qtbot.waitUntil(lambda: "does not open" in page.message.text(), timeout=10_000)
    assert window.is_locked()
    # After three failures the vault asks for a wait (1 s); the button counts down.
    qtbot.waitUntil(lambda: page.unlock_button.text() == "&Unlock", timeout=5_000)
    # A longer wait is shown as a countdown and blocks the next try.
    monkeypatch.setattr(unlock_module, "unlock_delay_seconds", lambda n: 30.0)
    page.passphrase.setText("still wrong")
    page.unlock()
    qtbot.waitUntil(lambda: demo_vault.failed_attempts() == 4, timeout=10_000)
    qtbot.waitUntil(lambda: page.unlock_button.text().startswith("Wait "), timeout=5_000)
    assert not page.unlock_button.isEnabled()
    assert "each is recorded" in page.message.text()
    page.passphrase.setText(PASSPHRASE)
    page.unlock()
    assert window.is_locked() and demo_vault.failed_attempts() == 4


def test_recovery_key_unlocks_and_sets_a_new_passphrase(
    qtbot: Any, demo_template: Template, tmp_path: Path, asked: Prompts
) -> None:
    vault = copy_vault(demo_template, tmp_path / "v")
    window = make_window(vault)
    qtbot.addWidget(window)
    window.show()
    page = window.gate
    assert isinstance(page, UnlockPage)
    qtbot.mouseClick(page.recovery_button, Qt.MouseButton.LeftButton)
    assert page.stack.currentIndex() == 1
    new = "a brand new passphrase for the vault"
    page.recovery_key.setText(demo_template.recovery_key.lower())
    page.new_passphrase.first.setText(new)
    page.new_passphrase.second.setText(new + "!")
    page.unlock_with_recovery_key()
    assert "different" in page.recovery_message.text()
    page.new_passphrase.second.setText(new)
    page.unlock_with_recovery_key()
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=10_000)
    window.close()
    vault.unlock(new).close()
    with pytest.raises(WrongPassphrase):
        vault.unlock(PASSPHRASE)


def test_wrong_recovery_key_is_explained(qtbot: Any, demo_vault: Any, asked: Prompts) -> None:
    window = make_window(demo_vault)
    qtbot.addWidget(window)
    window.show()
    page = window.gate
    assert isinstance(page, UnlockPage)
    page.show_recovery()
    page.recovery_key.setText("AAAAA-BBBBB-CCCCC")
    page.new_passphrase.first.setText("another long passphrase")
    page.new_passphrase.second.setText("another long passphrase")
    page.unlock_with_recovery_key()
    qtbot.waitUntil(
        lambda: "recovery key does not open" in page.recovery_message.text(), timeout=10_000
    )
    assert window.is_locked()


def test_remember_on_this_computer(
    qtbot: Any, demo_template: Template, tmp_path: Path, asked: Prompts
) -> None:
    store = MemorySecretStore()
    vault = copy_vault(demo_template, tmp_path / "v", secret_store=store)
    window = make_window(vault)
    qtbot.addWidget(window)
    window.show()
    page = window.gate
    assert isinstance(page, UnlockPage)
    assert page.remember.isVisibleTo(page)
    page.remember.setChecked(True)
    unlock(qtbot, window)
    assert vault.is_remembered() and store.secrets
    window.close()

    again = make_window(vault)
    qtbot.addWidget(again)
    again.show()
    page = again.gate
    assert isinstance(page, UnlockPage)
    assert page.remembered_button.isVisibleTo(page)
    page.unlock_remembered()
    qtbot.waitUntil(lambda: not again.is_locked(), timeout=10_000)
    # After a lock the passphrase is needed again: walking up to the screen is not enough.
    again.lock()
    page = again.gate
    assert isinstance(page, UnlockPage)
    assert not page.remembered_button.isVisibleTo(page)
