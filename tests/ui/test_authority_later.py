"""The first run's authority page, left unanswered (the officer quit on it), is asked again
after the next unlock, until it is answered; a vault whose page was answered, or that was
never made by the first run, is not asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cme_desktop.services.settings import SettingsService
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.vault.authority_later import AuthorityDialog
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.main_window import Prompts, make_window, unlock
from tests.ui.test_first_run import GOOD, _to_the_authority_page


def _quit_on_the_authority_page(qtbot: Any, tmp_path: Path) -> Vault:
    window, page, vault = _to_the_authority_page(qtbot, tmp_path)
    assert page.stack.currentWidget() is page.authority
    window.close()  # quit before answering
    assert vault.exists
    return vault


def _start(qtbot: Any, vault: Vault) -> MainWindow:
    window = make_window(vault)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window, GOOD)
    return window


def _asked(window: MainWindow) -> AuthorityDialog | None:
    QApplication.processEvents()
    found = [d for d in window.findChildren(AuthorityDialog) if d.isVisible()]
    return found[0] if found else None


def test_quitting_on_the_authority_page_asks_it_at_the_next_start(
    qtbot: Any, tmp_path: Path, asked: Prompts
) -> None:
    vault = _quit_on_the_authority_page(qtbot, tmp_path)
    window = _start(qtbot, vault)
    qtbot.waitUntil(lambda: _asked(window) is not None, timeout=5_000)
    dialog = _asked(window)
    assert dialog is not None
    assert dialog.page.authority_name.hasFocus()  # typing goes straight in
    assert dialog.page.officer_name.text() == "Robin Example"  # kept from the first page
    for widget, typed in (
        (dialog.page.authority_name, "Testshire County Council"),
        (dialog.page.la_number, "855"),
        (dialog.page.officer_name, ""),
        (dialog.page.officer_title, ""),
        (dialog.page.phone, "0116 000 0000"),
        (dialog.page.email, ""),
        (dialog.page.address, ""),
    ):
        qtbot.keyClicks(widget, typed)
        qtbot.keyClick(widget, Qt.Key.Key_Return)  # Enter moves on; on the last it saves
    assert not dialog.isVisible() and asked.titles("error") == []
    services = window.services
    assert services is not None
    saved = SettingsService(services.db).load()
    assert saved.authority_name == "Testshire County Council" and not saved.authority_pending
    window.close()
    again = _start(qtbot, vault)  # answered: not asked again
    qtbot.wait(100)
    assert _asked(again) is None
    again.close()


def test_later_asks_again_at_the_next_start_and_a_bad_answer_is_named(
    qtbot: Any, tmp_path: Path, asked: Prompts
) -> None:
    vault = _quit_on_the_authority_page(qtbot, tmp_path)
    window = _start(qtbot, vault)
    qtbot.waitUntil(lambda: _asked(window) is not None, timeout=5_000)
    dialog = _asked(window)
    assert dialog is not None
    dialog.page.authority_name.setText("Testshire County Council")
    dialog.page.la_number.setText("85")
    dialog.page.save_button.click()
    assert asked.titles("error") == ["Your authority"] and "3 digits" in asked.texts("error")[0]
    assert dialog.isVisible() and dialog.page.la_number.hasFocus()
    dialog.later_button.click()
    assert not dialog.isVisible()
    window.close()
    again = _start(qtbot, vault)
    qtbot.waitUntil(lambda: _asked(again) is not None, timeout=5_000)
    again.close()


def test_a_vault_not_made_by_an_unfinished_first_run_is_not_asked(
    qtbot: Any, tmp_path: Path, asked: Prompts
) -> None:
    vault = Vault(tmp_path / "cases.cme", scrypt=FAST_SCRYPT)
    vault.create(PASSPHRASE, actor="T").db.close()
    window = make_window(vault)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    qtbot.wait(100)
    assert _asked(window) is None
    window.close()
