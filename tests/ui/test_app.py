"""The composition root: ``cme-desktop [--db PATH]`` and the window it builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMenu

from cme_desktop.app import build_window, make_application, parse_args
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui.vault.first_run import FirstRunPage
from cme_desktop.ui.vault.unlock import UnlockPage


def test_db_option_names_the_vault(tmp_path: Path) -> None:
    assert parse_args([]).db is None  # the user's data folder
    assert parse_args(["--db", str(tmp_path / "x.cme")]).db == tmp_path / "x.cme"


def test_a_new_vault_starts_with_the_first_run(qtbot: Any, tmp_path: Path) -> None:
    make_application(["test"])
    window = build_window(Vault(tmp_path / "new" / "cases.cme"))
    qtbot.addWidget(window)
    assert isinstance(window.gate, FirstRunPage)
    assert window.is_locked() and not window.toolbar.isVisibleTo(window)
    [file_menu] = [m for m in window.findChildren(QMenu) if m.title() == "&File"]
    texts = [a.text() for a in file_menu.actions()]
    assert texts[-3:] == ["&Settings…", "&Lock", "&Quit"]
    assert not window.lock_action.isEnabled() and window.quit_action.isEnabled()


def test_an_existing_vault_starts_locked(qtbot: Any, demo_vault: Vault) -> None:
    window = build_window(demo_vault)
    qtbot.addWidget(window)
    assert isinstance(window.gate, UnlockPage)
    shortcuts = {a.shortcut().toString() for a in window.actions() if a.text()}
    assert {"Ctrl+F", "Ctrl+N", "Ctrl+L", "Ctrl+W", "Ctrl+S"} <= shortcuts
